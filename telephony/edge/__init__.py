"""The SIP edge: Kamailio in front of the executors (registrar, dispatcher, the way back to phones).

config.py      the settings Kamailio runs with, its rendered configuration and command line
dispatcher.py  the executors in the dispatcher's table, and Kamailio's RPC to reload them
trunks.py      gateways and number routes as the running edge has them (registrations, reloads)
"""

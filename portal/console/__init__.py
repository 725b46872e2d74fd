"""The web console: server-rendered pages for CSP admins, enterprise admins and AA admins.

Views translate HTTP and forms; every change goes through the same service functions as the API
(`autoattendant.services`), so the rules and their coded messages exist once.
"""

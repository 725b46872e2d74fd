"""Provisioning backends (the interface is `autoattendant.provisioning.ProvisioningBackend`).

`bundled` (the default) keeps accounts, number routes and SIP clients in this portal's telephony
tables, where the bundled executor reads them.
"""

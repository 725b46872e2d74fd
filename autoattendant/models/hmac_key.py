from __future__ import annotations

import secrets

from django.db import models

from autoattendant import sids
from autoattendant.models.base import SidModel, TenantQuerySet


class HmacKeyQuerySet(TenantQuerySet):
    csp_admins_only = True


class HmacKey(SidModel):
    """An organisation's shared secret for signed server-to-server requests and single sign-on.

    The secret is kept as is: verifying an HMAC needs it, and the reference returns it to CSP admins.
    """

    SID_PREFIX = sids.HMAC_KEY

    organisation = models.ForeignKey("autoattendant.Organisation", on_delete=models.CASCADE, related_name="hmac_keys")
    key = models.CharField(max_length=128)

    objects = HmacKeyQuerySet.as_manager()

    class Meta:
        ordering = ["date_created", "id"]

    @staticmethod
    def new_secret() -> str:
        return secrets.token_hex(32)

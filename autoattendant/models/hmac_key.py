from __future__ import annotations

import secrets

from django.db import models

from autoattendant import sids
from autoattendant.choices import Role
from autoattendant.models.base import SidModel


class HmacKeyQuerySet(models.QuerySet):
    def visible_to(self, user) -> HmacKeyQuerySet:
        if user is None or not user.is_authenticated or user.role != Role.CSP_ADMIN:
            return self.none()
        return self.filter(organisation_id=user.organisation_id)


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

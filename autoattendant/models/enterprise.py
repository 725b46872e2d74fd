from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower

from autoattendant import sids
from autoattendant.models.base import SidModel, TenantQuerySet


class EnterpriseQuerySet(TenantQuerySet):
    enterprise_lookup = "pk"

    def for_aa_admin(self, user) -> EnterpriseQuerySet:
        """An AA admin's own enterprise: the one its AA systems belong to, even before any is assigned."""
        return self.filter(pk=user.enterprise_id)


class Enterprise(SidModel):
    """A business customer of a CSP."""

    SID_PREFIX = sids.ENTERPRISE

    organisation = models.ForeignKey("autoattendant.Organisation", on_delete=models.PROTECT, related_name="enterprises")
    name = models.CharField(max_length=200)
    ext_from_phone_number = models.CharField(max_length=32, blank=True)
    admin = models.ForeignKey("autoattendant.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        ordering = ["date_created", "id"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "organisation", name="enterprise_name_unique_in_organisation"),
        ]

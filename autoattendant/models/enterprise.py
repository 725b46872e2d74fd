from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower

from autoattendant import sids
from autoattendant.choices import Role
from autoattendant.models.base import SidModel, TenantQuerySet


class EnterpriseQuerySet(TenantQuerySet):
    def visible_to(self, user) -> EnterpriseQuerySet:
        if user is None or not user.is_authenticated:
            return self.none()
        if user.role == Role.CSP_ADMIN:
            return self.filter(organisation_id=user.organisation_id)
        return self.filter(pk=user.enterprise_id)


class Enterprise(SidModel):
    """A business customer of a CSP."""

    SID_PREFIX = sids.ENTERPRISE

    organisation = models.ForeignKey("autoattendant.Organisation", on_delete=models.PROTECT, related_name="enterprises")
    name = models.CharField(max_length=200)
    ext_from_phone_number = models.CharField(max_length=32, blank=True)
    admin = models.ForeignKey(
        "autoattendant.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        ordering = ["date_created", "id"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "organisation", name="enterprise_name_unique_in_organisation"),
        ]

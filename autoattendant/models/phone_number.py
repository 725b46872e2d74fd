from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.db import models

from autoattendant import sids
from autoattendant.choices import ExtensionType
from autoattendant.models.base import SidModel, TenantQuerySet


class PhoneNumberQuerySet(TenantQuerySet):
    aa_system_lookup = "aa_system"


class PhoneNumber(SidModel):
    """A number of an enterprise: an AA number callers dial, or an extension calls are put through to."""

    SID_PREFIX = sids.PHONE_NUMBER

    organisation = models.ForeignKey("autoattendant.Organisation", on_delete=models.PROTECT, related_name="+")
    enterprise = models.ForeignKey("autoattendant.Enterprise", on_delete=models.CASCADE, related_name="phone_numbers")
    number = models.CharField(max_length=64)
    is_extension = models.BooleanField(default=False)
    extension = models.CharField(max_length=16, blank=True)
    extension_spoken_name = models.CharField(max_length=200, blank=True)
    extension_type = models.CharField(max_length=8, choices=ExtensionType.choices, default=ExtensionType.NUMBER)
    friendly_name = models.CharField(max_length=200, blank=True)
    aa_system = models.ForeignKey(
        "autoattendant.AutoAttendantSystem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="phone_numbers",
    )

    objects = PhoneNumberQuerySet.as_manager()

    class Meta:
        ordering = ["date_created", "id"]
        constraints = [
            models.UniqueConstraint("organisation", "number", name="phone_number_unique_in_organisation"),
        ]
        indexes = [
            models.Index(fields=["organisation", "date_created", "id"], name="phone_number_org_created"),
            # The API's `number` filter is a substring match (LIKE '%x%'): pg_trgm serves it for 3+
            # characters instead of a scan of the organisation's numbers (bench/api_search.py).
            GinIndex(fields=["number"], opclasses=["gin_trgm_ops"], name="phone_number_number_trgm"),
        ]

    def __str__(self) -> str:
        return self.number

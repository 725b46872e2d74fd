from __future__ import annotations

from django.db import models

from autoattendant import sids
from autoattendant.models.base import SidModel, TenantQuerySet


class MenuQuerySet(TenantQuerySet):
    organisation_lookup = "aa_system__enterprise__organisation_id"
    enterprise_lookup = "aa_system__enterprise_id"
    aa_system_lookup = "aa_system"


class Menu(SidModel):
    """What a caller hears and may press: a greeting and an action per key.

    `options` is `[{"key", "actionType", "actionData"}]`, keys 0-9 * # at most once each, every
    action validated by `autoattendant.services.actions`.
    """

    SID_PREFIX = sids.MENU

    aa_system = models.ForeignKey("autoattendant.AutoAttendantSystem", on_delete=models.CASCADE, related_name="menus")
    name = models.CharField(max_length=200)
    greeting_announcement = models.ForeignKey(
        "autoattendant.Announcement", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    allow_dial_by_extension = models.BooleanField(default=False)
    options = models.JSONField(default=list)

    objects = MenuQuerySet.as_manager()

    class Meta:
        ordering = ["date_created", "id"]

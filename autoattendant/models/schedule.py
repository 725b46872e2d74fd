from __future__ import annotations

from django.db import models

from autoattendant import sids
from autoattendant.choices import ScheduleType
from autoattendant.models.base import SidModel, TenantQuerySet


class ScheduleQuerySet(TenantQuerySet):
    organisation_lookup = "aa_system__enterprise__organisation_id"
    enterprise_lookup = "aa_system__enterprise_id"
    aa_system_lookup = "aa_system"


class Schedule(SidModel):
    """When a menu answers: weekly ranges (WORK_HOURS) or dates (SPECIAL_DAY, which may carry its own
    weekly ranges, e.g. a half day), evaluated in the AA system's time zone.

    `weekly_ranges`: `[{"days": ["MON", ...], "start": "09:00", "end": "17:00"}]` (end before start:
    overnight). `dates`: `[{"start": "2026-12-24", "end": "2026-12-26"}, {"month": 1, "day": 1,
    "recurYearly": true}, {"month": 9, "weekday": "MON", "ordinal": "FIRST", "recurYearly": true}]`.
    """

    SID_PREFIX = sids.SCHEDULE

    aa_system = models.ForeignKey(
        "autoattendant.AutoAttendantSystem", on_delete=models.CASCADE, related_name="schedules"
    )
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=12, choices=ScheduleType.choices)
    menu = models.ForeignKey("autoattendant.Menu", on_delete=models.PROTECT, related_name="schedules")
    weekly_ranges = models.JSONField(default=list, blank=True)
    dates = models.JSONField(default=list, blank=True)

    objects = ScheduleQuerySet.as_manager()

    class Meta:
        ordering = ["date_created", "id"]

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.db import models

from autoattendant import sids
from autoattendant.choices import CallOutcome
from autoattendant.models.base import TenantQuerySet
from autoattendant.models.enterprise import Enterprise
from autoattendant.models.system import AutoAttendantSystem


class CallRecordQuerySet(TenantQuerySet):
    """A record names its AA system and enterprise by SID, as they were when the call arrived. Every
    record has both (a call to a number in no AA system is counted by the executor, not stored);
    rows stored before that rule without an enterprise are nobody's, and stay unlisted."""

    # Through the enterprise rather than the system: the calls of a deleted AA system stay listed.
    def for_csp_admin(self, user) -> CallRecordQuerySet:
        return self.filter(enterprise_sid__in=Enterprise.objects.for_csp_admin(user).values("sid"))

    def for_enterprise_admin(self, user) -> CallRecordQuerySet:
        return self.filter(enterprise_sid__in=Enterprise.objects.for_enterprise_admin(user).values("sid"))

    def for_aa_admin(self, user) -> CallRecordQuerySet:
        return self.filter(aa_system_sid__in=AutoAttendantSystem.objects.for_aa_admin(user).values("sid"))


class CallRecord(models.Model):
    """A call an executor handled (a CDR): stored IN_PROGRESS when the portal serves the call's entry
    document, completed by the executor's report once it ended (or closed as LOST); keyed by the
    executor's call SID, so a retried report updates the same row. Written by
    `autoattendant.services.calls` only."""

    sid = models.CharField(max_length=40, unique=True, editable=False)
    call_sid = models.CharField(max_length=255, unique=True, help_text="The executor's call SID (CallSid, CA…).")
    sip_call_id = models.CharField(
        max_length=255, blank=True, help_text="The SIP Call-ID of the caller's INVITE: the call in SIP traces."
    )
    from_number = models.CharField(max_length=255, blank=True)
    to_number = models.CharField(max_length=255, blank=True)
    aa_system_sid = models.CharField(max_length=40, blank=True, help_text="Empty: a number in no AA system.")
    enterprise_sid = models.CharField(max_length=40, blank=True, help_text="The AA system's, when the call arrived.")
    account_sid = models.CharField(
        max_length=40, blank=True, db_index=True, help_text="The telephony (Restcomm) account the call belongs to."
    )
    direction = models.CharField(
        max_length=16, default="inbound", help_text="Restcomm's: inbound, outbound-api or outbound-dial."
    )
    parent_call_sid = models.CharField(max_length=64, blank=True, help_text="The call that created this leg.")
    menu_path = models.JSONField(default=list, blank=True, help_text="The menus the caller walked, in order.")
    keys = models.JSONField(default=list, blank=True, help_text="Each entry the caller made, in order.")
    outcome = models.CharField(max_length=16, choices=CallOutcome.choices)
    dial_status = models.CharField(max_length=32, blank=True)
    transfer_target = models.CharField(max_length=255, blank=True)
    start_time = models.DateTimeField()
    answer_time = models.DateTimeField(null=True, blank=True)
    end_time = models.DateTimeField(null=True, blank=True, help_text="Empty while in progress, and when lost.")
    duration_seconds = models.PositiveIntegerField(default=0, help_text="From answer to end; 0 if never answered.")
    executor = models.CharField(max_length=255, blank=True, help_text="Host name of the executor that ran it.")
    hangup_cause = models.CharField(max_length=500, blank=True)
    date_created = models.DateTimeField(auto_now_add=True)
    date_updated = models.DateTimeField(auto_now=True)

    objects = CallRecordQuerySet.as_manager()

    class Meta:
        # The table the telephony app created: the model moved, its rows stayed where they were.
        db_table = "telephony_callrecord"
        ordering = ["-start_time", "-id"]
        indexes = [
            # Tenant scope first, newest first: every list (the default sort is startTime:desc).
            models.Index(fields=["enterprise_sid", "-start_time"], name="call_record_enterprise_start"),
            models.Index(fields=["aa_system_sid", "-start_time"], name="call_record_system_start"),
            models.Index(fields=["outcome", "-start_time"], name="call_record_outcome_start"),
            models.Index(fields=["-start_time"], name="call_record_start"),
            models.Index(fields=["sip_call_id"], name="call_record_sip_call_id"),
            # `number`, `from` and `to` match substrings.
            GinIndex(fields=["from_number"], name="call_record_from_trgm", opclasses=["gin_trgm_ops"]),
            GinIndex(fields=["to_number"], name="call_record_to_trgm", opclasses=["gin_trgm_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.from_number} -> {self.to_number} ({self.outcome})"

    def save(self, *args, **kwargs) -> None:
        if not self.sid:
            self.sid = sids.new_sid(sids.CALL_RECORD)
        super().save(*args, **kwargs)

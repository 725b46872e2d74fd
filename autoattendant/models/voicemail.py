from __future__ import annotations

from django.db import models

from autoattendant import sids
from autoattendant.models.base import TenantQuerySet
from autoattendant.models.system import AutoAttendantSystem


class VoicemailMessageQuerySet(TenantQuerySet):
    """The messages of the AA systems the user sees: a message names its AA system by SID, so the
    system's own tenancy decides (an AA admin: the systems assigned to it)."""

    def visible_to(self, user) -> VoicemailMessageQuerySet:
        return self.filter(aa_system_sid__in=AutoAttendantSystem.objects.visible_to(user).values("sid"))


class VoicemailMessage(models.Model):
    """A message a caller left: for an extension's mailbox, or the AA system's general one. Written by
    `autoattendant.services.voicemail` only."""

    sid = models.CharField(max_length=40, unique=True, editable=False)
    aa_system_sid = models.CharField(max_length=40, db_index=True)
    extension_sid = models.CharField(max_length=40, blank=True, db_index=True, help_text="Empty: the general box.")
    call_sid = models.CharField(max_length=64, blank=True)
    caller = models.CharField(max_length=128, blank=True)
    recording_url = models.CharField(max_length=500)
    duration_seconds = models.PositiveIntegerField(default=0)
    date_created = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = VoicemailMessageQuerySet.as_manager()

    class Meta:
        # The table the telephony app created: the model moved, its rows stayed where they were.
        db_table = "telephony_voicemailmessage"
        ordering = ["-date_created", "-id"]

    def __str__(self) -> str:
        return f"{self.caller} -> {self.extension_sid or self.aa_system_sid}"

    def save(self, *args, **kwargs) -> None:
        if not self.sid:
            self.sid = sids.new_sid(sids.VOICEMAIL)
        super().save(*args, **kwargs)

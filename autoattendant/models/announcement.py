from __future__ import annotations

from django.db import models

from autoattendant import sids
from autoattendant.choices import AnnouncementStatus, AnnouncementType, Voice
from autoattendant.models.base import SidModel, TenantQuerySet


def audio_uri(sid: str) -> str:
    """Where the console and the executor fetch an announcement's rendered WAV."""
    return f"/autoattendant/announcement/{sid}/audio.wav"


class AnnouncementQuerySet(TenantQuerySet):
    organisation_lookup = "enterprise__organisation_id"

    def for_aa_admin(self, user) -> AnnouncementQuerySet:
        """The enterprise's announcements: any menu of the enterprise may play any of them, so an AA
        admin reads them all (and changes none: the API and the console refuse its writes)."""
        return self.filter(enterprise_id=user.enterprise_id)


class Announcement(SidModel):
    """A prompt callers hear: text rendered to speech, or uploaded audio, kept as 8 kHz mono WAV."""

    SID_PREFIX = sids.ANNOUNCEMENT

    enterprise = models.ForeignKey("autoattendant.Enterprise", on_delete=models.CASCADE, related_name="announcements")
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=8, choices=AnnouncementType.choices)
    text = models.TextField(blank=True)
    language = models.CharField(max_length=16, default="en")
    voice = models.CharField(max_length=8, choices=Voice.choices, default=Voice.WOMAN)
    status = models.CharField(max_length=12, choices=AnnouncementStatus.choices, default=AnnouncementStatus.PROCESSING)
    failure_reason = models.TextField(blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    # The uploaded file as received (AUDIO) and the normalised 8 kHz mono 16-bit WAV callers hear.
    source_file = models.FileField(upload_to="announcements/source/", blank=True)
    audio_file = models.FileField(upload_to="announcements/audio/", blank=True)
    # Bumped on every change of what is to be rendered, so a late render of old content is dropped.
    revision = models.PositiveIntegerField(default=1)

    objects = AnnouncementQuerySet.as_manager()

    class Meta:
        ordering = ["date_created", "id"]

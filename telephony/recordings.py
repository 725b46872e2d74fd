"""The calls' recordings as the Restcomm API sees them (telephony.models.Recording rows over the
files autoattendant.recordings keeps)."""

from __future__ import annotations

from django.db import transaction

from autoattendant import recordings
from autoattendant.models import VoicemailMessage
from telephony.models import Recording


class RecordingInUse(Exception):
    """A voicemail message plays this recording: delete the message (its service removes the file)."""


def delete_recording(recording: Recording) -> None:
    """Remove the recording and its file, unless a voicemail message still plays it."""
    if VoicemailMessage.objects.filter(recording_url=recordings.url(recording.sid)).exists():
        raise RecordingInUse(recording.sid)
    recording.delete()
    sid = recording.sid
    transaction.on_commit(lambda: recordings.delete(sid))

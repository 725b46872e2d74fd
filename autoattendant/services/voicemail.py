"""Voicemail messages: stored when a caller's recording ends, read and deleted by the enterprise's
admins. A message's audio is a recording the portal keeps (`autoattendant.recordings`) or one kept
elsewhere, named by its URL.
"""

from __future__ import annotations

from django.db import connection, transaction

from autoattendant import recordings
from autoattendant.choices import AuditAction
from autoattendant.models import AutoAttendantSystem, VoicemailMessage
from autoattendant.services import audit
from autoattendant.services.access import access_voicemail_message
from autoattendant.services.roles import Permissions

# Created by calls only; read and deleted by every role, each in its tenant scope.
PERMISSIONS = Permissions()


@transaction.atomic
def store_voicemail_message(
    *,
    aa_system_sid: str,
    recording_url: str,
    extension_sid: str = "",
    call_sid: str = "",
    caller: str = "",
    duration_seconds: int = 0,
) -> VoicemailMessage:
    """The message a call left in a mailbox (`extension_sid` empty: the AA system's general box).

    Stored once per call and recording: the executor retries the step that reports it when unsure
    the portal answered, and a retry must not leave the message twice.
    """
    if call_sid:
        # Two reports of one call wait for each other here, so the second finds the first's row.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"voicemail:{call_sid}"])
        stored = VoicemailMessage.objects.filter(call_sid=call_sid, recording_url=recording_url).first()
        if stored is not None:
            return stored
    return VoicemailMessage.objects.create(
        aa_system_sid=aa_system_sid,
        extension_sid=extension_sid,
        call_sid=call_sid,
        caller=caller,
        recording_url=recording_url,
        duration_seconds=duration_seconds,
    )


@transaction.atomic
def delete_voicemail_message(actor, sid: str) -> VoicemailMessage:
    """Delete a message the actor sees; its recording goes too once no other message names it."""
    PERMISSIONS.require(actor, "delete")
    message = access_voicemail_message(actor, sid, for_update=True)
    system = AutoAttendantSystem.objects.get(sid=message.aa_system_sid)
    audit.record(actor, AuditAction.DELETE, message, owner=system)
    message.delete()
    recording = recordings.sid_from_url(message.recording_url)
    if recording and not VoicemailMessage.objects.filter(recording_url=message.recording_url).exists():
        transaction.on_commit(lambda: recordings.delete(recording))
    return message

"""Recordings: what `Record` and voicemail stored, per account and per call, with their `.wav`;
DELETE removes one (not one a voicemail message still plays)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpResponseBase
from django.urls import path

from autoattendant import recordings
from telephony import accounts
from telephony.models import Recording
from telephony.recordings import RecordingInUse, delete_recording
from telephony.restcomm.base import API_VERSION, RestcommView, resource
from telephony.restcomm.errors import RestcommError


class RecordingView(RestcommView):
    def visible(self, account_sid: str):
        account = self.target(account_sid)
        return Recording.objects.filter(account_sid__in=accounts.below(account).values("sid"))

    def represent(self, recording: Recording) -> dict[str, Any]:
        return {
            "Sid": recording.sid,
            "DateCreated": recording.date_created,
            "DateUpdated": recording.date_updated,
            "AccountSid": recording.account_sid,
            "CallSid": recording.call_sid,
            "Duration": f"{recording.duration:g}",
            "ApiVersion": API_VERSION,
            "Uri": self.uri("Accounts", recording.account_sid, "Recordings", recording.sid),
        }

    def found(self, account_sid: str, recording_sid: str) -> Recording:
        return self.one(self.visible(account_sid), "recording", recording_sid)


class RecordingList(RecordingView):
    """The account's recordings, or a call's."""

    paged = True

    def get(self, request, account_sid: str, call_sid: str | None = None, format=None):
        found = self.visible(account_sid)
        call_sid = call_sid or self.request.query_params.get("CallSid")
        if call_sid:
            found = found.filter(call_sid=call_sid)
        return self.page("Recordings", "Recording", found, self.represent)


class RecordingDetail(RecordingView):
    def get(self, request, account_sid: str, recording_sid: str, format=None):
        return self.item("Recording", self.represent(self.found(account_sid, recording_sid)))

    def delete(self, request, account_sid: str, recording_sid: str, format=None):
        recording = self.found(account_sid, recording_sid)
        try:
            with transaction.atomic():
                delete_recording(recording)
        except RecordingInUse:
            raise RestcommError(
                409, "A voicemail message plays this recording: delete the message through the /autoattendant API"
            ) from None
        return self.deleted()


class RecordingAudio(RecordingView):
    """`Recordings/{RecordingSid}.wav`: the audio itself."""

    def get(self, request, account_sid: str, recording_sid: str, format=None) -> HttpResponseBase:
        recording = self.found(account_sid, recording_sid)
        audio = recordings.serve(request._request, recordings.url(recording.sid), filename=f"{recording.sid}.wav")
        if audio is None:
            raise RestcommError(404, f"The audio of recording {recording_sid} is gone")
        return audio


urlpatterns = [
    # `.wav` before the resource, whose converter would take `RE….wav` whole otherwise.
    path(
        "Accounts/<str:account_sid>/Recordings/<str:recording_sid>.wav", RecordingAudio.as_view(), name="restcomm-wav"
    ),
    *resource("Accounts/<str:account_sid>/Recordings", RecordingList.as_view(), "restcomm-recordings"),
    *resource(
        "Accounts/<str:account_sid>/Calls/<str:call_sid>/Recordings",
        RecordingList.as_view(),
        "restcomm-call-recordings",
    ),
    *resource(
        "Accounts/<str:account_sid>/Recordings/<str:recording_sid>", RecordingDetail.as_view(), "restcomm-recording"
    ),
]

"""Voicemail messages callers left, listed per AA system and per extension; read and deleted here,
created only by calls (the executor posts the recording to the RCML voicemail-done step).

`GET /autoattendant/voicemail/{sid}/audio.wav` plays a message whose recording the executor uploaded
to the portal (`POST /rcml/recording`), within the caller's tenancy like the list.
"""

from __future__ import annotations

import django_filters
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from autoattendant import recordings
from autoattendant.api.base import ResourceViewSet
from autoattendant.api.fields import Timestamp
from autoattendant.api.filters import ResourceFilterSet
from autoattendant.api.wav import RANGE_HEADER, AudioSchema
from autoattendant.errors import AAError, Code
from autoattendant.models import VoicemailMessage
from autoattendant.services import voicemail


class VoicemailMessageSerializer(serializers.Serializer):
    sid = serializers.CharField(read_only=True)
    dateCreated = Timestamp(source="date_created")
    uri = serializers.SerializerMethodField()
    autoAttendantSid = serializers.CharField(source="aa_system_sid")
    extensionSid = serializers.SerializerMethodField()
    caller = serializers.CharField()
    callSid = serializers.CharField(source="call_sid")
    recordingUrl = serializers.CharField(source="recording_url")
    durationSeconds = serializers.IntegerField(source="duration_seconds")

    def get_uri(self, obj) -> str:
        return f"/autoattendant/voicemail/search/{obj.sid}"

    def get_extensionSid(self, obj) -> str | None:
        return obj.extension_sid or None


class VoicemailMessageFilterSet(ResourceFilterSet):
    autoAttendantSid = django_filters.CharFilter(field_name="aa_system_sid")
    extensionSid = django_filters.CharFilter(method="filter_extension")
    caller = django_filters.CharFilter(field_name="caller", lookup_expr="icontains")

    class Meta:
        model = VoicemailMessage
        fields: list[str] = []

    def filter_extension(self, queryset, name, value):
        # "system" names the AA system's general mailbox.
        return queryset.filter(extension_sid="" if value == "system" else value)


class VoicemailMessageViewSet(ResourceViewSet):
    model = VoicemailMessage
    serializer_class = VoicemailMessageSerializer
    filterset_class = VoicemailMessageFilterSet
    not_found = Code.VOICEMAIL_NOT_FOUND
    sort_fields = {"dateCreated": "date_created", "caller": "caller", "durationSeconds": "duration_seconds"}
    default_sort = "dateCreated:desc"
    collection_actions = {}
    item_actions = {"delete": "destroy"}
    permissions = voicemail.PERMISSIONS  # every role, each in its tenant scope
    error_codes = {
        "retrieve": [Code.VOICEMAIL_NOT_FOUND],
        "destroy": [Code.VOICEMAIL_NOT_FOUND],
        "audio": [Code.VOICEMAIL_NOT_FOUND, Code.VOICEMAIL_AUDIO_UNAVAILABLE],
    }
    destroy_service = staticmethod(voicemail.delete_voicemail_message)
    schema = AudioSchema()

    @extend_schema(
        summary="The message's recording",
        description=(
            "The WAV the executor recorded (`audio/wav`), when it uploaded it to the portal; a message whose "
            "recording is kept elsewhere (another `recordingUrl`), or whose file is gone, is 536. Single byte "
            "ranges (`Range: bytes=0-1023`) are answered with 206, `If-None-Match` with 304."
        ),
        parameters=[RANGE_HEADER],
    )
    def audio(self, request, sid: str, *args, **kwargs):
        message = self.fetch(sid)
        response = recordings.serve(request, message.recording_url, filename=f"{message.sid}.wav")
        if response is None:
            raise AAError(Code.VOICEMAIL_AUDIO_UNAVAILABLE, {"sid": sid})
        return response

    @classmethod
    def routes(cls, resource: str, *, aliases: tuple[str, ...] = ()) -> list:
        """The resource's routes and, first, `{sid}/audio.wav` (GET; HEAD too)."""
        audio = cls.as_view({"get": "audio"})
        patterns = [path(f"autoattendant/{resource}/<str:sid>/audio.wav", audio, name=f"{resource}-audio")]
        return patterns + super().routes(resource, aliases=aliases)

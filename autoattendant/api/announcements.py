"""/autoattendant/announcement: prompts spoken from text (TTS, JSON) or uploaded (AUDIO, multipart).

Shapes and translation only; the rules are in `autoattendant.services.announcements`. Besides the
resource's five routes, `GET /autoattendant/announcement/{sid}/audio.wav` streams the rendered 8 kHz
WAV to the console (Basic or HMAC, tenant-scoped) and to the call executor (its bearer token, any
announcement).
"""

from __future__ import annotations

import django_filters
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models import F
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.settings import api_settings

from autoattendant.api.base import ResourceSerializer, ResourceViewSet
from autoattendant.api.errors import field_errors
from autoattendant.api.filters import ResourceFilterSet
from autoattendant.api.wav import RANGE_HEADER, AudioSchema
from autoattendant.choices import AnnouncementStatus, AnnouncementType, Voice
from autoattendant.errors import AAError, Code
from autoattendant.models import Announcement
from autoattendant.models.announcement import audio_uri
from autoattendant.services import announcements
from speech.wav_http import serve_wav
from telephony.auth import (
    EntryCredentialsAuthentication,
    EntryPrincipal,
    ExecutorPrincipal,
    ExecutorTokenAuthentication,
)

# The executor fetches prompts to play them; it reads nothing else of the API.
AUDIO_READERS = frozenset({*announcements.PERMISSIONS.read, ExecutorPrincipal.role})
# Room for a multipart body's boundaries and other fields around the largest file accepted.
MULTIPART_OVERHEAD = 64 * 1024


class AnnouncementSerializer(ResourceSerializer):
    uri_base = "/autoattendant/announcement/search/"

    name = serializers.CharField()
    enterpriseSid = serializers.SerializerMethodField()
    type = serializers.CharField()
    text = serializers.SerializerMethodField()
    language = serializers.CharField()
    voice = serializers.SerializerMethodField()
    status = serializers.CharField()
    failureReason = serializers.SerializerMethodField()
    durationSeconds = serializers.SerializerMethodField()
    audioUri = serializers.SerializerMethodField()

    def get_enterpriseSid(self, obj) -> str:
        return getattr(obj, "enterprise_ref", None) or obj.enterprise.sid

    def get_text(self, obj) -> str | None:
        return obj.text if obj.type == AnnouncementType.TTS else None

    def get_voice(self, obj) -> str | None:
        return obj.voice if obj.type == AnnouncementType.TTS else None

    def get_failureReason(self, obj) -> str | None:
        return obj.failure_reason or None

    def get_durationSeconds(self, obj) -> float | None:
        return obj.duration_seconds

    def get_audioUri(self, obj) -> str | None:
        return audio_uri(obj.sid) if obj.status == AnnouncementStatus.READY else None


def echo(data):
    """The request as the error envelope echoes it: an uploaded file by its name."""
    if hasattr(data, "lists"):
        data = {key: values[-1] if values else None for key, values in data.lists()}
    if isinstance(data, dict):
        return {key: value.name if isinstance(value, UploadedFile) else value for key, value in data.items()}
    return data


class AnnouncementInput(serializers.Serializer):
    """TTS as JSON (`text`, `language`, `voice`), or AUDIO as multipart/form-data with the file in `audio`."""

    name = serializers.CharField(max_length=200)
    enterpriseSid = serializers.CharField(source="enterprise_sid", required=False, allow_null=True, allow_blank=True)
    type = serializers.ChoiceField(
        source="announcement_type",
        choices=AnnouncementType.choices,
        required=False,
        help_text="TTS or AUDIO; without it, AUDIO when a file is sent, else TTS.",
    )
    text = serializers.CharField(
        required=False, allow_blank=True, max_length=announcements.TEXT_MAX_LENGTH, help_text="What TTS speaks."
    )
    language = serializers.CharField(
        required=False, max_length=16, help_text="An espeak-ng language code such as en, en-us or de (default en)."
    )
    voice = serializers.ChoiceField(choices=Voice.choices, required=False)
    audio = serializers.FileField(
        required=False,
        allow_empty_file=True,  # an empty file is the service's 527, not a generic 400
        use_url=False,
        help_text="AUDIO: a WAV, MP3, OGG or FLAC file, at most 20 MB and 5 minutes.",
    )

    echo = staticmethod(echo)


class AnnouncementUpdateInput(AnnouncementInput):
    name = serializers.CharField(max_length=200, required=False)


class AnnouncementFilterSet(ResourceFilterSet):
    name = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    type = django_filters.ChoiceFilter(field_name="type", choices=AnnouncementType.choices)
    status = django_filters.ChoiceFilter(field_name="status", choices=AnnouncementStatus.choices)
    enterpriseSid = django_filters.CharFilter(field_name="enterprise__sid")

    class Meta:
        model = Announcement
        fields: list[str] = []


class AnnouncementSchema(AudioSchema):
    """The envelope schema, except that `audio.wav` answers with the WAV itself."""


WRITE_ERRORS = [Code.AUDIO_UNREADABLE, Code.AUDIO_TOO_LONG, Code.AUDIO_TOO_LARGE]


class AnnouncementViewSet(ResourceViewSet):
    model = Announcement
    serializer_class = AnnouncementSerializer
    create_serializer_class = AnnouncementInput
    update_serializer_class = AnnouncementUpdateInput
    filterset_class = AnnouncementFilterSet
    not_found = Code.ANNOUNCEMENT_NOT_FOUND
    sort_fields = {"name": "name", "dateCreated": "date_created", "type": "type", "status": "status"}
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    authentication_classes = [
        EntryCredentialsAuthentication,
        *api_settings.DEFAULT_AUTHENTICATION_CLASSES,
        ExecutorTokenAuthentication,
    ]
    permissions = announcements.PERMISSIONS
    action_roles = {"audio": AUDIO_READERS}
    error_codes = {
        "create": [Code.ENTERPRISE_NOT_FOUND, Code.ENTERPRISE_REQUIRED, *WRITE_ERRORS],
        "retrieve": [Code.ANNOUNCEMENT_NOT_FOUND],
        "update": [Code.ANNOUNCEMENT_NOT_FOUND, Code.ENTERPRISE_NOT_FOUND, Code.ANNOUNCEMENT_IN_USE, *WRITE_ERRORS],
        "destroy": [Code.ANNOUNCEMENT_NOT_FOUND, Code.ANNOUNCEMENT_IN_USE],
        "audio": [Code.ANNOUNCEMENT_NOT_FOUND, Code.ANNOUNCEMENT_NOT_READY],
    }
    schema = AnnouncementSchema()

    create_service = staticmethod(announcements.create_announcement)
    update_service = staticmethod(announcements.update_announcement)
    destroy_service = staticmethod(announcements.delete_announcement)

    def scoped_queryset(self):
        if isinstance(self.request.user, EntryPrincipal):  # a remote Restcomm: its enterprise's prompts
            return Announcement.objects.filter(enterprise__sid=self.request.user.enterprise_sid)
        if isinstance(self.request.user, ExecutorPrincipal):
            return Announcement.objects.all()  # the executor plays every enterprise's prompts
        return super().scoped_queryset().annotate(enterprise_ref=F("enterprise__sid"))

    def get_throttles(self):
        # Executors are the platform's own machines, sharing one token: not rate-limited as a user.
        if isinstance(getattr(self.request, "user", None), ExecutorPrincipal | EntryPrincipal):
            return []
        return super().get_throttles()

    def validated(self, *, partial: bool) -> dict:
        self._refuse_oversized_body()
        try:
            return super().validated(partial=partial)
        except ValidationError as exc:
            # Multipart data holds the file: echo its name, not the object.
            raise AAError(
                Code.BAD_REQUEST, echo(self.request.data), message="Validation failed", errors=field_errors(exc.detail)
            ) from None

    def _refuse_oversized_body(self) -> None:
        """A body far past the largest file accepted is refused before it is parsed."""
        try:
            length = int(self.request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length <= settings.ANNOUNCEMENT_MAX_BYTES + MULTIPART_OVERHEAD:
            return
        if self.request.content_type.startswith("multipart/"):
            raise AAError(
                Code.AUDIO_TOO_LARGE,
                {},
                errors={"audio": [f"The request has {length} bytes; at most {settings.ANNOUNCEMENT_MAX_BYTES}."]},
            )
        raise AAError(Code.BAD_REQUEST, {}, message="The request body is too large")

    @extend_schema(
        summary="The announcement's audio",
        description=(
            "The rendered 8 kHz mono 16-bit PCM WAV (`audio/wav`), once the announcement is READY; while a "
            "change is being rendered, the previous audio. Single byte ranges (`Range: bytes=0-1023`) are "
            "answered with 206. The call executor authenticates with `Authorization: Bearer <EXECUTOR_TOKEN>`."
        ),
        parameters=[RANGE_HEADER],
    )
    def audio(self, request, sid: str, *args, **kwargs):
        announcement = self.fetch(sid)
        name = announcements.audio_to_play(announcement)
        response = serve_wav(request, announcement.audio_file.storage, name, filename=f"{sid}.wav")
        if response is None:  # the row says READY but the file is gone: nothing to play
            raise AAError(Code.ANNOUNCEMENT_NOT_READY, {"sid": sid})
        return response

    @classmethod
    def routes(cls, resource: str, *, aliases: tuple[str, ...] = ()) -> list:
        """The resource's routes and, first, `{sid}/audio.wav` (GET; HEAD too)."""
        audio = cls.as_view({"get": "audio"})
        patterns = []
        for name in (resource, *aliases):
            patterns.append(path(f"autoattendant/{name}/<str:sid>/audio.wav", audio, name=f"{name}-audio"))
        return patterns + super().routes(resource, aliases=aliases)

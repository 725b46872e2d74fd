"""/autoattendant/schedule (SIDs `SC…`), and which menu answers an AA system when:
`GET /autoattendant/system/{sid}/activeMenu` and `GET /autoattendant/system/{sid}/timeline`.

Shapes and translation only; the rules are in `autoattendant.services.schedules` and the time
arithmetic in `autoattendant.scheduling`.
"""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.db.models import F
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, viewsets

from autoattendant import scheduling
from autoattendant.api.base import ResourceSerializer, ResourceViewSet
from autoattendant.api.fields import Timestamp
from autoattendant.api.filters import ReferenceTimeField, ResourceFilterSet
from autoattendant.api.responses import ok
from autoattendant.choices import ScheduleType
from autoattendant.errors import AAError, Code
from autoattendant.models import Schedule
from autoattendant.services import schedules

TIME_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d$"
WEEKLY_RANGES_SCHEMA = {
    "type": "array",
    "maxItems": scheduling.MAX_WEEKLY_RANGES,
    "items": {
        "type": "object",
        "required": ["days", "start", "end"],
        "properties": {
            "days": {"type": "array", "minItems": 1, "items": {"type": "string", "enum": list(scheduling.WEEKDAYS)}},
            "start": {"type": "string", "pattern": TIME_PATTERN, "example": "09:00"},
            "end": {
                "type": "string",
                "pattern": r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$",
                "example": "17:00",
                "description": "Before start: the range runs overnight into the next morning. 24:00: midnight.",
            },
        },
    },
    "description": "Local times in the AA system's timezoneId; a range belongs to the day it starts on.",
    "example": [{"days": ["MON", "TUE", "WED", "THU", "FRI"], "start": "09:00", "end": "17:00"}],
}
_RECUR = {
    "type": "boolean",
    "default": False,
    "description": "Every year. A yearly range's years only place it (2026-12-24 to 2027-01-02 crosses the "
    "year end); a yearly day takes no year.",
}
_YEAR = {"type": "integer", "minimum": scheduling.MIN_YEAR, "maximum": scheduling.MAX_YEAR}
DATES_SCHEMA = {
    "type": "array",
    "maxItems": scheduling.MAX_DATES,
    "items": {
        "oneOf": [
            {
                "type": "object",
                "title": "Date range",
                "required": ["start"],
                "properties": {
                    "start": {"type": "string", "format": "date"},
                    "end": {"type": "string", "format": "date", "description": "Inclusive; default: start."},
                    "recurYearly": _RECUR,
                },
            },
            {
                "type": "object",
                "title": "Day of a month",
                "required": ["month", "day"],
                "properties": {
                    "month": {"type": "integer", "minimum": 1, "maximum": 12},
                    "day": {"type": "integer", "minimum": 1, "maximum": 31},
                    "year": {**_YEAR, "description": "Required unless recurYearly is true."},
                    "recurYearly": _RECUR,
                },
            },
            {
                "type": "object",
                "title": "Weekday of a month",
                "required": ["month", "weekday", "ordinal"],
                "properties": {
                    "month": {"type": "integer", "minimum": 1, "maximum": 12},
                    "weekday": {"type": "string", "enum": list(scheduling.WEEKDAYS)},
                    "ordinal": {"type": "string", "enum": list(scheduling.ORDINALS)},
                    "year": {**_YEAR, "description": "Required unless recurYearly is true."},
                    "recurYearly": _RECUR,
                },
            },
        ]
    },
    "description": "The days a SPECIAL_DAY schedule covers (whole days, or only its weeklyRanges on them).",
    "example": [
        {"start": "2026-12-24", "end": "2026-12-26"},
        {"month": 1, "day": 1, "recurYearly": True},
        {"month": 9, "weekday": "MON", "ordinal": "FIRST", "recurYearly": True},
    ],
}
# A plain string in the schema: the enum lives in the description so that the `type` fields of
# other resources (announcements) never collide with it in the generated enum components.
SCHEDULE_TYPE_SCHEMA = {"type": "string", "example": "WORK_HOURS", "description": "WORK_HOURS or SPECIAL_DAY."}
ANSWER_TYPE_SCHEMA = {
    "type": "string",
    "example": "WORK_HOURS",
    "description": "SPECIAL_DAY, WORK_HOURS, or DEFAULT (no schedule applies: the system's default menu).",
}


@extend_schema_field(WEEKLY_RANGES_SCHEMA)
class WeeklyRangesField(serializers.JSONField):
    def to_representation(self, value):
        return value


@extend_schema_field(DATES_SCHEMA)
class DatesField(serializers.JSONField):
    def to_representation(self, value):
        return value


@extend_schema_field(SCHEDULE_TYPE_SCHEMA)
class ScheduleTypeField(serializers.CharField):
    """Checked by `scheduling.validate` (530 naming `type`), like the rest of the schedule's shape."""


class ScheduleSerializer(ResourceSerializer):
    uri_base = "/autoattendant/schedule/search/"

    name = serializers.CharField()
    autoAttendantSid = serializers.SerializerMethodField()
    type = ScheduleTypeField()
    menuSid = serializers.SerializerMethodField()
    weeklyRanges = WeeklyRangesField(source="weekly_ranges")
    dates = DatesField()

    # Lists annotate the related SIDs (ScheduleViewSet); a deleted schedule kept its related rows.
    def get_autoAttendantSid(self, obj) -> str:
        return getattr(obj, "aa_system_ref", None) or obj.aa_system.sid

    def get_menuSid(self, obj) -> str:
        return getattr(obj, "menu_ref", None) or obj.menu.sid


class ScheduleInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    autoAttendantSid = serializers.CharField(source="aa_system_sid", max_length=64)
    type = ScheduleTypeField(max_length=32, required=False)
    menuSid = serializers.CharField(source="menu_sid", max_length=64)
    weeklyRanges = WeeklyRangesField(source="weekly_ranges", required=False, allow_null=True)
    dates = DatesField(required=False, allow_null=True)


class ScheduleUpdateInput(ScheduleInput):
    name = serializers.CharField(max_length=200, required=False)
    autoAttendantSid = serializers.CharField(source="aa_system_sid", max_length=64, required=False)
    menuSid = serializers.CharField(source="menu_sid", max_length=64, required=False)


class ScheduleFilterSet(ResourceFilterSet):
    name = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    type = django_filters.ChoiceFilter(field_name="type", choices=ScheduleType.choices)
    autoAttendantSid = django_filters.CharFilter(field_name="aa_system__sid")
    menuSid = django_filters.CharFilter(field_name="menu__sid")

    class Meta:
        model = Schedule
        fields: list[str] = []


WRITE_ERRORS = [Code.SYSTEM_NOT_FOUND, Code.MENU_NOT_FOUND, Code.INVALID_SCHEDULE, Code.SCHEDULE_OVERLAP]


class ScheduleViewSet(ResourceViewSet):
    model = Schedule
    serializer_class = ScheduleSerializer
    create_serializer_class = ScheduleInput
    update_serializer_class = ScheduleUpdateInput
    filterset_class = ScheduleFilterSet
    not_found = Code.SCHEDULE_NOT_FOUND
    sort_fields = {"name": "name", "dateCreated": "date_created", "type": "type"}
    permissions = schedules.PERMISSIONS  # every role, each in its tenant scope
    error_codes = {
        "create": WRITE_ERRORS,
        "retrieve": [Code.SCHEDULE_NOT_FOUND],
        "update": [Code.SCHEDULE_NOT_FOUND, *WRITE_ERRORS],
        "destroy": [Code.SCHEDULE_NOT_FOUND],
    }

    def scoped_queryset(self):
        return super().scoped_queryset().annotate(aa_system_ref=F("aa_system__sid"), menu_ref=F("menu__sid"))

    create_service = staticmethod(schedules.create_schedule)
    update_service = staticmethod(schedules.update_schedule)
    destroy_service = staticmethod(schedules.delete_schedule)


# Which menu answers when.


class ActiveMenuSerializer(serializers.Serializer):
    menuSid = serializers.CharField(allow_null=True, help_text="Null when no schedule applies and no default menu.")
    scheduleSid = serializers.CharField(allow_null=True, help_text="Null for the default menu.")
    type = serializers.CharField(help_text=ANSWER_TYPE_SCHEMA["description"])


class TimelineIntervalSerializer(ActiveMenuSerializer):
    start = Timestamp()
    end = Timestamp(help_text="Exclusive: the next interval starts here.")


class TimelineSerializer(serializers.Serializer):
    timezoneId = serializers.CharField()
    intervals = TimelineIntervalSerializer(many=True)


MAX_TIMELINE_DAYS = 31
TIME_HELP = (
    "`2020-01-27T11:14:10+0000`, `2020-01-27T11:14:10Z`, `2020-01-27T06:14:10-05:00`, or without an offset "
    "(UTC), or a date alone (midnight UTC). Default: now."
)


def _bad(parameter: str, message: str) -> AAError:
    return AAError(Code.BAD_REQUEST, {}, message="Validation failed", errors={parameter: [message]})


def _moment(request, parameter: str) -> datetime.datetime:
    """A query parameter as an aware UTC datetime, whole seconds, as the API's timestamps are."""
    raw = request.query_params.get(parameter)
    if raw is None or not raw.strip():
        return timezone.now().replace(microsecond=0)
    try:
        value = ReferenceTimeField().to_python(raw)
    except forms.ValidationError as exc:
        raise _bad(parameter, " ".join(exc.messages)) from None
    if not isinstance(value, datetime.datetime):
        value = datetime.datetime.combine(value, datetime.time(), tzinfo=datetime.UTC)
    if not scheduling.MIN_YEAR < value.year < scheduling.MAX_YEAR:
        raise _bad(parameter, f"Must be within the years {scheduling.MIN_YEAR + 1} to {scheduling.MAX_YEAR - 1}.")
    return value.replace(microsecond=0)


def _days(request) -> int:
    raw = (request.query_params.get("days") or "7").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_TIMELINE_DAYS:
        raise _bad("days", f"Must be a whole number from 1 to {MAX_TIMELINE_DAYS}.")
    return int(raw)


class SystemScheduleViewSet(viewsets.GenericViewSet):
    """Read-only answers about an AA system's schedules, from what is stored now (the published call
    flow follows within moments). Every role, within its tenant scope."""

    lookup_field = "sid"
    error_codes = {"active_menu": [Code.SYSTEM_NOT_FOUND], "timeline": [Code.SYSTEM_NOT_FOUND]}
    response_serializers = {"active_menu": ActiveMenuSerializer, "timeline": TimelineSerializer}

    @property
    def serializer_class(self):
        # The envelope schema (autoattendant.api.schema) describes `data` with the view's serializer.
        return self.response_serializers.get(getattr(self, "action", None), ActiveMenuSerializer)

    @extend_schema(
        summary="The menu that answers the AA system's numbers at a moment",
        description=(
            "SPECIAL_DAY schedules first, then WORK_HOURS, then the system's default menu (type DEFAULT), "
            "evaluated in the system's timezoneId."
        ),
        parameters=[
            OpenApiParameter("sid", str, OpenApiParameter.PATH, description="The AA system's SID (AA…)."),
            OpenApiParameter("at", str, description=TIME_HELP),
        ],
    )
    def active_menu(self, request, sid: str):
        at = _moment(request, "at")
        return ok(ActiveMenuSerializer(schedules.active_menu(request.user, sid, at)).data)

    @extend_schema(
        summary="The intervals in which one menu answers the AA system's numbers",
        description=(
            "From `from` through `days` local days of the system's timezoneId; consecutive intervals, "
            "each with the menu, schedule and type answering throughout it."
        ),
        parameters=[
            OpenApiParameter("sid", str, OpenApiParameter.PATH, description="The AA system's SID (AA…)."),
            OpenApiParameter("from", str, description=TIME_HELP),
            OpenApiParameter(
                "days",
                {"type": "integer", "minimum": 1, "maximum": MAX_TIMELINE_DAYS},
                description=f"Local days to cover, 1 to {MAX_TIMELINE_DAYS}.",
                default=7,
            ),
        ],
    )
    def timeline(self, request, sid: str):
        start, days = _moment(request, "from"), _days(request)
        return ok(TimelineSerializer(schedules.menu_timeline(request.user, sid, start, days)).data)

    @classmethod
    def routes(cls) -> list:
        """`system/{sid}/activeMenu` and `system/{sid}/timeline`, a trailing slash accepted too."""
        patterns = []
        for suffix, action, name in (
            ("activeMenu", "active_menu", "active-menu"),
            ("timeline", "timeline", "timeline"),
        ):
            view = cls.as_view({"get": action})
            route = f"autoattendant/system/<str:sid>/{suffix}"
            patterns.append(path(route, view, name=f"system-{name}"))
            patterns.append(path(f"{route}/", view, name=f"system-{name}-slash"))
        return patterns

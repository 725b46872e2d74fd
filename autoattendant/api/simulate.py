"""`POST /autoattendant/system/{sid}/simulate`: what a caller to one of the system's AA numbers hears.

The call simulator (telephony.simulator) walks the system's published RCML exactly as the call
executor would, and the trace comes back in the success envelope. Nothing is changed or stored.
"""

from __future__ import annotations

import datetime

from django import forms
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, viewsets

from autoattendant import scheduling
from autoattendant.api.filters import ReferenceTimeField
from autoattendant.api.responses import ok
from autoattendant.errors import AAError, Code
from autoattendant.services.access import access_system
from telephony import simulator

KEYS_SCHEMA = {
    "oneOf": [
        {"type": "string", "example": "1,#,203"},
        {
            "type": "array",
            "items": {"type": "string", "pattern": simulator.KEY_ENTRY.pattern},
            "maxItems": simulator.MAX_KEY_ENTRIES,
        },
    ],
    "description": (
        'What the caller types at each Gather in turn: `"1,#,203"` or `["1", "#", "203"]`. '
        "An empty entry, or no entry left, is a timeout."
    ),
}


@extend_schema_field(KEYS_SCHEMA)
class KeysField(serializers.Field):
    def to_internal_value(self, data):
        if isinstance(data, list) and all(isinstance(entry, str) for entry in data):
            entries = [entry.strip() for entry in data]
        elif isinstance(data, str):
            entries = simulator.parse_keys(data)
        else:
            raise serializers.ValidationError('A comma-separated string such as "1,#,203", or a list of strings.')
        try:
            return simulator.check_key_entries(entries)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def to_representation(self, value):
        return value


class SimulateInput(serializers.Serializer):
    number = serializers.CharField(max_length=64, help_text="One of the system's AA numbers (or its PH… SID).")
    at = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text=(
            "When the call is made, for the schedules: `2026-12-24T10:00:00+0100`, `…Z`, without an offset (UTC), "
            "or a date alone (midnight UTC). Default: now."
        ),
    )
    keys = KeysField(required=False, default=list)
    dialStatus = serializers.ChoiceField(
        choices=simulator.DIAL_STATUSES,
        required=False,
        default="completed",
        help_text="How every transfer ends: `completed` (answered: the walk ends there) or why it was not.",
    )

    def validate_at(self, value):
        if value in (None, "") or not str(value).strip():
            return None
        try:
            moment = ReferenceTimeField().to_python(value)
        except forms.ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        if not isinstance(moment, datetime.datetime):
            moment = datetime.datetime.combine(moment, datetime.time(), tzinfo=datetime.UTC)
        if not scheduling.MIN_YEAR < moment.year < scheduling.MAX_YEAR:
            raise serializers.ValidationError(
                f"Must be within the years {scheduling.MIN_YEAR + 1} to {scheduling.MAX_YEAR - 1}."
            )
        return moment


EVENT_SCHEMA = {
    "type": "object",
    "additionalProperties": True,
    "description": (
        'In call order: `{"fetch": url, "method", "via", "status"}` for each document fetched; `{"verb": "Say", '
        '"text"}`, `{"verb": "Play", "announcementSid", "url"}`, `{"verb": "Pause", "length"}`, `{"verb": "Gather", '
        '"numDigits", "timeout", "finishOnKey", "menuSid"}`, then `{"input": "1"}` or `{"timeout": true}`; '
        '`{"verb": "Dial", "target", "targetType", "extension", "dialCallStatus"}`, `{"verb": "Record", "box"}`, '
        '`{"verb": "Hangup"}`, `{"verb": "Reject", "reason"}`.'
    ),
}
OUTCOME_SCHEMA = {
    "type": "object",
    "required": ["type"],
    "additionalProperties": True,
    "properties": {
        "type": {"type": "string", "enum": ["TRANSFER", "VOICEMAIL", "HANGUP", "REJECTED", "LOOP", "ERROR"]},
        "target": {"type": "string", "description": "TRANSFER: the number or client dialled."},
        "targetType": {"type": "string", "enum": ["number", "client", "uri"]},
        "extension": {"type": "string", "description": "TRANSFER: the extension, when the target is one."},
        "box": {"type": "string", "description": 'VOICEMAIL: the extension\'s PH… SID, or "system".'},
    },
}


@extend_schema_field({"type": "array", "items": EVENT_SCHEMA})
class EventsField(serializers.JSONField):
    pass


@extend_schema_field(OUTCOME_SCHEMA)
class OutcomeField(serializers.JSONField):
    pass


class SimulationSerializer(serializers.Serializer):
    menuPath = serializers.ListField(
        child=serializers.CharField(), help_text="The menus (MN… SIDs) the caller went through, in order."
    )
    events = EventsField()
    outcome = OutcomeField()


class SimulateViewSet(viewsets.GenericViewSet):
    """The call simulator of an AA system, for every role within its tenant scope."""

    lookup_field = "sid"
    serializer_class = SimulationSerializer
    error_codes = {"simulate": [Code.SYSTEM_NOT_FOUND, Code.NUMBER_NOT_ROUTED, Code.NOT_PUBLISHED]}

    @extend_schema(
        summary="Simulate a call to one of the AA system's numbers",
        description=(
            "Walks the system's published RCML exactly as the call executor does (the same endpoints and "
            "documents): the menu the schedules choose at `at`, then `keys` typed at each Gather in turn. "
            "Returns the menus walked, every prompt, fetch and input, and how the call ends."
        ),
        request=SimulateInput,
        parameters=[OpenApiParameter("sid", str, OpenApiParameter.PATH, description="The AA system's SID (AA…).")],
    )
    def simulate(self, request, sid: str):
        system = access_system(request.user, sid)
        if not isinstance(request.data, dict):
            raise AAError(Code.BAD_REQUEST, {}, message="The request body must be a JSON object")
        data = SimulateInput(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        trace = simulator.simulate_system(
            system, given["number"], given.get("at"), given["keys"], dial_status=given["dialStatus"]
        )
        return ok(SimulationSerializer(trace).data)

    @classmethod
    def routes(cls) -> list:
        """`system/{sid}/simulate`, a trailing slash accepted too."""
        view = cls.as_view({"post": "simulate"})
        route = "autoattendant/system/<str:sid>/simulate"
        return [path(route, view, name="system-simulate"), path(f"{route}/", view, name="system-simulate-slash")]

"""/autoattendant/call: the call records (CDRs); read-only here.

`GET /autoattendant/call/search` and `GET /autoattendant/call/search/{sid}`, within the caller's
tenancy (autoattendant.models.call_record.CallRecordQuerySet). A record is made when the portal
serves a call's entry document (outcome IN_PROGRESS) and completed by the executor's report
(`POST /rcml/call`), or closed as LOST; all through autoattendant.services.calls.
"""

from __future__ import annotations

import django_filters
from django.db.models import Q
from rest_framework import serializers

from autoattendant.api.base import ResourceViewSet
from autoattendant.api.fields import Timestamp
from autoattendant.api.filters import ReferenceTimeFilter, ResourceFilterSet
from autoattendant.choices import CallOutcome
from autoattendant.errors import Code
from autoattendant.models import CallRecord
from autoattendant.services import calls


class OptionalText(serializers.CharField):
    """A text field that an empty value leaves out: `null`, not `""`."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value or None


class CallRecordSerializer(serializers.Serializer):
    sid = serializers.CharField(read_only=True)
    callSid = serializers.CharField(
        source="call_sid", read_only=True, help_text="The executor's call SID (CallSid in its RCML requests)."
    )
    sipCallId = OptionalText(source="sip_call_id", help_text="The SIP Call-ID of the caller's INVITE.")
    # `from` is a Python keyword: declared through the class namespace.
    locals()["from"] = serializers.CharField(source="from_number", read_only=True, help_text="The caller.")
    to = serializers.CharField(source="to_number", read_only=True, help_text="The number called.")
    aaSystemSid = OptionalText(source="aa_system_sid")
    enterpriseSid = OptionalText(source="enterprise_sid")
    menuPath = serializers.ListField(
        source="menu_path", child=serializers.CharField(), read_only=True, help_text="Menu SIDs, in the order walked."
    )
    keys = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text='Each entry the caller made, e.g. ["1", "203"].'
    )
    outcome = serializers.ChoiceField(choices=CallOutcome.choices, read_only=True)
    dialStatus = OptionalText(source="dial_status", help_text="The last Dial's status (completed, no-answer…).")
    transferTarget = OptionalText(source="transfer_target", help_text="Where the call was transferred.")
    startTime = Timestamp(source="start_time")
    answerTime = Timestamp(source="answer_time", allow_null=True)
    endTime = Timestamp(source="end_time", allow_null=True, help_text="null while IN_PROGRESS, and when LOST.")
    durationSeconds = serializers.IntegerField(
        source="duration_seconds", read_only=True, help_text="From answer to end; 0 if never answered."
    )
    hangupCause = OptionalText(source="hangup_cause")
    dateCreated = Timestamp(source="date_created")


class CallRecordFilterSet(ResourceFilterSet):
    # Calls are dated by when they started, not by when their record arrived.
    startTime = ReferenceTimeFilter(field_name="start_time")
    endTime = ReferenceTimeFilter(field_name="start_time", end=True)
    aaSystemSid = django_filters.CharFilter(field_name="aa_system_sid")
    callSid = django_filters.CharFilter(field_name="call_sid")
    sipCallId = django_filters.CharFilter(field_name="sip_call_id")
    number = django_filters.CharFilter(method="filter_number", help_text="Part of the caller's or the called number.")
    outcome = django_filters.ChoiceFilter(field_name="outcome", choices=CallOutcome.choices)
    locals()["from"] = django_filters.CharFilter(
        field_name="from_number", lookup_expr="contains", help_text="Part of the caller's number."
    )
    to = django_filters.CharFilter(
        field_name="to_number", lookup_expr="contains", help_text="Part of the called number."
    )

    class Meta:
        model = CallRecord
        fields: list[str] = []

    def filter_number(self, queryset, name, value):
        return queryset.filter(Q(from_number__contains=value) | Q(to_number__contains=value))


class CallRecordViewSet(ResourceViewSet):
    model = CallRecord
    serializer_class = CallRecordSerializer
    filterset_class = CallRecordFilterSet
    not_found = Code.CALL_RECORD_NOT_FOUND
    permissions = calls.PERMISSIONS
    sort_fields = {
        "startTime": "start_time",
        "endTime": "end_time",
        "durationSeconds": "duration_seconds",
        "outcome": "outcome",
        "from": "from_number",
        "to": "to_number",
        "dateCreated": "date_created",
    }
    default_sort = "startTime:desc"
    collection_actions = {}
    item_actions = {}
    error_codes = {"retrieve": [Code.CALL_RECORD_NOT_FOUND]}

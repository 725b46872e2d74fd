"""/autoattendant/system: AA systems, with their numbers, extensions and policies.

Shapes and translation only; the rules are in `autoattendant.services`.
"""

from __future__ import annotations

import django_filters
from django.db.models import F, Prefetch
from rest_framework import serializers

from autoattendant.api.base import NAME_AND_DATE, ResourceSerializer, ResourceViewSet
from autoattendant.api.fields import ActionField, SidList
from autoattendant.api.filters import ResourceFilterSet
from autoattendant.choices import SystemStatus
from autoattendant.errors import Code
from autoattendant.models import AutoAttendantSystem, PhoneNumber
from autoattendant.services import systems

# Shapes


class AutoAttendantSystemSerializer(ResourceSerializer):
    uri_base = "/autoattendant/system/search/"

    name = serializers.CharField()
    description = serializers.CharField()
    status = serializers.CharField()
    aaNumbers = serializers.SerializerMethodField()
    extensions = serializers.SerializerMethodField()
    aaNumberSids = serializers.SerializerMethodField()
    extensionNumberSids = serializers.SerializerMethodField()
    enterpriseSid = serializers.CharField(source="enterprise.sid")
    timeoutSeconds = serializers.IntegerField(source="timeout_seconds")
    timeoutMaxOccurance = serializers.IntegerField(source="timeout_max_occurance")
    timeoutAction = ActionField(source="timeout_action")
    invalidExtensionMaxOccurance = serializers.IntegerField(source="invalid_extension_max_occurance")
    invalidExtensionAction = ActionField(source="invalid_extension_action")
    invalidInputMaxOccurance = serializers.IntegerField(source="invalid_input_max_occurance")
    invalidInputAction = ActionField(source="invalid_input_action")
    timezoneId = serializers.CharField(source="timezone_id")
    publishStatus = serializers.CharField(source="publish_status", read_only=True)
    publishedVersion = serializers.IntegerField(source="published_version", read_only=True, allow_null=True)
    publishError = serializers.CharField(source="publish_error", read_only=True)
    defaultMenuSid = serializers.SerializerMethodField()
    operatorExtensionSid = serializers.SerializerMethodField()

    # Lists annotate these SIDs (AutoAttendantSystemViewSet); a deleted system kept its related rows.
    def get_defaultMenuSid(self, obj) -> str | None:
        if not obj.default_menu_id:
            return None
        return getattr(obj, "default_menu_ref", None) or obj.default_menu.sid

    def get_operatorExtensionSid(self, obj) -> str | None:
        if not obj.operator_extension_id:
            return None
        return getattr(obj, "operator_extension_ref", None) or obj.operator_extension.sid

    def _numbers(self, obj, is_extension: bool) -> list:
        # A deleted system has no pk left; its numbers were prefetched before it went.
        prefetched = getattr(obj, "_prefetched_objects_cache", {}).get("phone_numbers")
        if prefetched is None:
            prefetched = obj.phone_numbers.all() if obj.pk else []
        numbers = sorted(prefetched, key=lambda n: (n.date_created, n.pk))
        return [number for number in numbers if number.is_extension == is_extension]

    def get_aaNumbers(self, obj) -> list[str]:
        return [number.number for number in self._numbers(obj, False)]

    def get_extensions(self, obj) -> list[str]:
        return [number.number for number in self._numbers(obj, True)]

    def get_aaNumberSids(self, obj) -> list[str]:
        return [number.sid for number in self._numbers(obj, False)]

    def get_extensionNumberSids(self, obj) -> list[str]:
        return [number.sid for number in self._numbers(obj, True)]


class AutoAttendantSystemInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    status = serializers.ChoiceField(choices=SystemStatus.choices, required=False)
    timezoneId = serializers.CharField(source="timezone_id", required=False, max_length=64)
    enterpriseSid = serializers.CharField(source="enterprise_sid", required=False, allow_null=True, allow_blank=True)
    aaNumbers = SidList(required=False)
    aaNumberSids = SidList(required=False)
    extensions = SidList(required=False)
    extensionNumberSids = SidList(required=False)
    timeoutSeconds = serializers.IntegerField(source="timeout_seconds", min_value=1, max_value=120, required=False)
    timeoutMaxOccurance = serializers.IntegerField(
        source="timeout_max_occurance", min_value=1, max_value=20, required=False
    )
    timeoutAction = ActionField(source="timeout_action", required=False)
    invalidExtensionMaxOccurance = serializers.IntegerField(
        source="invalid_extension_max_occurance", min_value=1, max_value=20, required=False
    )
    invalidExtensionAction = ActionField(source="invalid_extension_action", required=False)
    invalidInputMaxOccurance = serializers.IntegerField(
        source="invalid_input_max_occurance", min_value=1, max_value=20, required=False
    )
    invalidInputAction = ActionField(source="invalid_input_action", required=False)
    defaultMenuSid = serializers.CharField(
        source="default_menu_sid", required=False, allow_null=True, allow_blank=True, max_length=64
    )
    operatorExtensionSid = serializers.CharField(
        source="operator_extension_sid", required=False, allow_null=True, allow_blank=True, max_length=64
    )

    def validate(self, attrs):
        """`aaNumbers` and `aaNumberSids` (and the extension pair) are one field under two names."""
        for names, target in (
            (("aaNumbers", "aaNumberSids"), "aa_number_sids"),
            (("extensions", "extensionNumberSids"), "extension_sids"),
        ):
            given = [attrs.pop(name) for name in names if name in attrs]
            if len(given) == 2 and given[0] != given[1]:
                raise serializers.ValidationError({names[1]: [f"Give {names[0]} or {names[1]}, not both."]})
            if given:
                attrs[target] = given[0]
        return attrs


class AutoAttendantSystemUpdateInput(AutoAttendantSystemInput):
    name = serializers.CharField(max_length=200, required=False)


# Filters


class AutoAttendantSystemFilterSet(ResourceFilterSet):
    name = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    enterpriseSid = django_filters.CharFilter(field_name="enterprise__sid")
    status = django_filters.ChoiceFilter(field_name="status", choices=SystemStatus.choices)
    timezoneId = django_filters.CharFilter(field_name="timezone_id")

    class Meta:
        model = AutoAttendantSystem
        fields: list[str] = []


# The resource

SYSTEM_WRITE_ERRORS = [
    Code.ENTERPRISE_NOT_FOUND,
    Code.NOT_AN_EXTENSION,
    Code.PHONE_NUMBER_NOT_FOUND,
    Code.EXTENSION_AS_AA_NUMBER,
    Code.NUMBER_IN_OTHER_SYSTEM,
    Code.UNKNOWN_TIMEZONE,
    Code.INVALID_ACTION,
    Code.UNKNOWN_ACTION_TYPE,
    Code.ANNOUNCEMENT_NOT_FOUND,
    Code.MENU_NOT_FOUND,
    Code.EXTENSION_NOT_IN_SYSTEM,
    Code.ENTERPRISE_REQUIRED,
]


class AutoAttendantSystemViewSet(ResourceViewSet):
    model = AutoAttendantSystem
    serializer_class = AutoAttendantSystemSerializer
    create_serializer_class = AutoAttendantSystemInput
    update_serializer_class = AutoAttendantSystemUpdateInput
    filterset_class = AutoAttendantSystemFilterSet
    not_found = Code.SYSTEM_NOT_FOUND
    sort_fields = NAME_AND_DATE
    permissions = systems.PERMISSIONS
    error_codes = {
        "create": SYSTEM_WRITE_ERRORS,
        "retrieve": [Code.SYSTEM_NOT_FOUND],
        "update": [Code.SYSTEM_NOT_FOUND, *SYSTEM_WRITE_ERRORS],
        "destroy": [Code.SYSTEM_NOT_FOUND, Code.SYSTEM_HAS_NUMBERS],
    }

    def scoped_queryset(self):
        return (
            super()
            .scoped_queryset()
            .select_related("enterprise")
            .annotate(default_menu_ref=F("default_menu__sid"), operator_extension_ref=F("operator_extension__sid"))
            .prefetch_related(
                Prefetch(
                    "phone_numbers",
                    queryset=PhoneNumber.objects.only("sid", "number", "is_extension", "date_created", "aa_system_id"),
                )
            )
        )

    create_service = staticmethod(systems.create_system)
    update_service = staticmethod(systems.update_system)
    destroy_service = staticmethod(systems.delete_system)

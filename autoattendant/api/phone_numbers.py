"""/autoattendant/phonenumber: AA numbers callers dial, and extensions (a number or a SIP client).

Shapes and translation only; the rules are in `autoattendant.services`.
"""

from __future__ import annotations

import django_filters
from django.db.models import F
from rest_framework import serializers

from autoattendant.api.base import ResourceSerializer, ResourceViewSet
from autoattendant.api.filters import ResourceFilterSet, StrictBooleanFilter
from autoattendant.choices import ExtensionType
from autoattendant.errors import Code
from autoattendant.models import PhoneNumber
from autoattendant.services import phone_numbers

# Shapes


class PhoneNumberSerializer(ResourceSerializer):
    uri_base = "/autoattendant/phonenumber/search/"

    number = serializers.CharField()
    extensionSpokenName = serializers.CharField(source="extension_spoken_name")
    isExtension = serializers.BooleanField(source="is_extension")
    extension = serializers.CharField()
    extensionType = serializers.CharField(source="extension_type")
    friendlyName = serializers.CharField(source="friendly_name")
    enterpriseSid = serializers.SerializerMethodField()
    autoAttendantSid = serializers.SerializerMethodField()

    # Lists annotate the related SIDs (PhoneNumberViewSet) rather than load whole related rows.
    def get_enterpriseSid(self, obj) -> str:
        return getattr(obj, "enterprise_sid", None) or obj.enterprise.sid

    def get_autoAttendantSid(self, obj) -> str | None:
        if not obj.aa_system_id:
            return None
        return getattr(obj, "aa_system_sid", None) or obj.aa_system.sid


class PhoneNumberInput(serializers.Serializer):
    number = serializers.CharField(max_length=64)
    isExtension = serializers.BooleanField(source="is_extension", default=False)
    enterpriseSid = serializers.CharField(source="enterprise_sid")
    extension = serializers.CharField(max_length=16, required=False, allow_blank=True)
    extensionSpokenName = serializers.CharField(
        source="extension_spoken_name", max_length=200, required=False, allow_blank=True
    )
    autoAttendantSid = serializers.CharField(source="aa_system_sid", required=False, allow_null=True, allow_blank=True)
    friendlyName = serializers.CharField(source="friendly_name", max_length=200, required=False, allow_blank=True)
    extensionType = serializers.ChoiceField(source="extension_type", choices=ExtensionType.choices, required=False)
    extensionClientPassword = serializers.CharField(
        source="extension_client_password",
        max_length=128,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        write_only=True,
    )


class PhoneNumberUpdateInput(PhoneNumberInput):
    number = serializers.CharField(max_length=64, required=False)
    isExtension = serializers.BooleanField(source="is_extension", required=False)
    enterpriseSid = serializers.CharField(source="enterprise_sid", required=False)


# Filters


class PhoneNumberFilterSet(ResourceFilterSet):
    number = django_filters.CharFilter(field_name="number", lookup_expr="contains")
    isExtension = StrictBooleanFilter(field_name="is_extension")
    enterpriseSid = django_filters.CharFilter(field_name="enterprise__sid")
    autoAttendantSid = django_filters.CharFilter(field_name="aa_system__sid")
    extension = django_filters.CharFilter(field_name="extension")
    extensionSpokenName = django_filters.CharFilter(field_name="extension_spoken_name", lookup_expr="icontains")
    extensionType = django_filters.CharFilter(field_name="extension_type")
    friendlyName = django_filters.CharFilter(field_name="friendly_name", lookup_expr="icontains")

    class Meta:
        model = PhoneNumber
        fields: list[str] = []


# The resource


class PhoneNumberViewSet(ResourceViewSet):
    model = PhoneNumber
    serializer_class = PhoneNumberSerializer
    create_serializer_class = PhoneNumberInput
    update_serializer_class = PhoneNumberUpdateInput
    filterset_class = PhoneNumberFilterSet
    not_found = Code.PHONE_NUMBER_NOT_FOUND
    sort_fields = {
        "number": "number",
        "dateCreated": "date_created",
        "extension": "extension",
        "friendlyName": "friendly_name",
    }
    permissions = phone_numbers.PERMISSIONS
    error_codes = {
        "create": [
            Code.ENTERPRISE_NOT_FOUND,
            Code.NUMBER_NOT_UNIQUE,
            Code.NUMBER_PROVISIONING_FAILED,
            Code.CLIENT_PASSWORD_NEEDED,
            Code.CLIENT_PROVISIONING_FAILED,
            Code.SYSTEM_NOT_FOUND,
            Code.EXTENSION_NOT_UNIQUE,
        ],
        "retrieve": [Code.PHONE_NUMBER_NOT_FOUND],
        "update": [
            Code.PHONE_NUMBER_NOT_FOUND,
            Code.NUMBER_NOT_UNIQUE,
            Code.ENTERPRISE_NOT_FOUND,
            Code.NUMBER_PROVISIONING_FAILED,
            Code.CLIENT_PASSWORD_NEEDED,
            Code.CLIENT_PROVISIONING_FAILED,
            Code.SYSTEM_NOT_FOUND,
            Code.EXTENSION_NOT_UNIQUE,
            Code.NUMBER_IN_SYSTEM,
            Code.EXTENSION_AS_AA_NUMBER,
            Code.NOT_AN_EXTENSION,
        ],
        "destroy": [Code.PHONE_NUMBER_NOT_FOUND, Code.NUMBER_IN_SYSTEM],
    }

    def scoped_queryset(self):
        return (
            super().scoped_queryset().annotate(enterprise_sid=F("enterprise__sid"), aa_system_sid=F("aa_system__sid"))
        )

    create_service = staticmethod(phone_numbers.create_phone_number)
    update_service = staticmethod(phone_numbers.update_phone_number)
    destroy_service = staticmethod(phone_numbers.delete_phone_number)

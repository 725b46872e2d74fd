"""/autoattendant/enterprise: a CSP's business customers, each created with its enterprise admin.

Shapes and translation only; the rules are in `autoattendant.services`.
"""

from __future__ import annotations

import django_filters
from django.db.models import Count
from rest_framework import serializers

from autoattendant.api.base import NAME_AND_DATE, ResourceSerializer, ResourceViewSet
from autoattendant.api.filters import ResourceFilterSet
from autoattendant.choices import UserStatus
from autoattendant.errors import Code
from autoattendant.models import Enterprise
from autoattendant.services import enterprises

# Shapes


class EnterpriseSerializer(ResourceSerializer):
    uri_base = "/autoattendant/enterprise/search/"

    name = serializers.CharField()
    aaSystemCount = serializers.SerializerMethodField()
    enterpriseAdminEmail = serializers.SerializerMethodField()
    extFromPhoneNumber = serializers.CharField(source="ext_from_phone_number", required=False)

    def to_representation(self, obj):
        # The reference's data has exactly its eight fields; the optional From number shows only when set.
        data = super().to_representation(obj)
        if not data.get("extFromPhoneNumber"):
            data.pop("extFromPhoneNumber", None)
        return data

    def get_aaSystemCount(self, obj) -> int:
        count = getattr(obj, "aa_system_count", None)
        if count is None:
            count = obj.aa_systems.count() if obj.pk else 0
        return count

    def get_enterpriseAdminEmail(self, obj) -> str | None:
        return obj.admin.email_id if obj.admin_id else None


class EnterpriseAdminInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    emailId = serializers.EmailField(source="email_id", max_length=254)
    password = serializers.CharField(trim_whitespace=False)
    status = serializers.ChoiceField(choices=UserStatus.choices, required=False)


class EnterpriseAdminUpdate(EnterpriseAdminInput):
    emailId = serializers.EmailField(source="email_id", max_length=254, required=False)
    password = serializers.CharField(trim_whitespace=False, required=False)


class EnterpriseCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    enterpriseAdmin = EnterpriseAdminInput(source="admin")
    extFromPhoneNumber = serializers.CharField(source="ext_from_phone_number", required=False, allow_blank=True)

    @staticmethod
    def echo(data):
        """The envelope echoes the request with the admin's default status filled in."""
        if isinstance(data, dict) and isinstance(data.get("enterpriseAdmin"), dict):
            data = {**data, "enterpriseAdmin": {"status": UserStatus.ACTIVE.value, **data["enterpriseAdmin"]}}
        return data


class EnterpriseUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    enterpriseAdmin = EnterpriseAdminUpdate(source="admin", required=False)
    extFromPhoneNumber = serializers.CharField(source="ext_from_phone_number", required=False, allow_blank=True)


# Filters


class EnterpriseFilterSet(ResourceFilterSet):
    name = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    extFromPhoneNumber = django_filters.CharFilter(field_name="ext_from_phone_number", lookup_expr="icontains")

    class Meta:
        model = Enterprise
        fields: list[str] = []


# The resource


class EnterpriseViewSet(ResourceViewSet):
    model = Enterprise
    serializer_class = EnterpriseSerializer
    create_serializer_class = EnterpriseCreateInput
    update_serializer_class = EnterpriseUpdateInput
    filterset_class = EnterpriseFilterSet
    not_found = Code.ENTERPRISE_NOT_FOUND
    sort_fields = NAME_AND_DATE
    permissions = enterprises.PERMISSIONS
    error_codes = {
        "create": [Code.ENTERPRISE_NAME_NOT_UNIQUE, Code.USER_NOT_UNIQUE, Code.ACCOUNT_PROVISIONING_FAILED],
        "retrieve": [Code.ENTERPRISE_NOT_FOUND],
        "update": [Code.ENTERPRISE_NAME_NOT_UNIQUE, Code.USER_NOT_UNIQUE, Code.ENTERPRISE_NOT_FOUND],
        "destroy": [Code.ENTERPRISE_NOT_FOUND, Code.ENTERPRISE_HAS_SYSTEMS],
    }

    def scoped_queryset(self):
        return super().scoped_queryset().select_related("admin").annotate(aa_system_count=Count("aa_systems"))

    create_service = staticmethod(enterprises.create_enterprise)
    update_service = staticmethod(enterprises.update_enterprise)
    destroy_service = staticmethod(enterprises.delete_enterprise)

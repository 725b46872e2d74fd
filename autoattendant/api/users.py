"""/autoattendant/user: CSP admins, enterprise admins and AA admins.

Shapes and translation only; the rules are in `autoattendant.services`.
"""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from rest_framework import serializers

from autoattendant.api.base import NAME_AND_DATE, ResourceSerializer, ResourceViewSet
from autoattendant.api.fields import RoleField, SidList
from autoattendant.api.filters import ResourceFilterSet
from autoattendant.choices import Role, UserStatus
from autoattendant.errors import Code
from autoattendant.models import AutoAttendantSystem, User
from autoattendant.services import users

# Shapes


class UserSerializer(ResourceSerializer):
    uri_base = "/autoattendant/user/search/"

    emailId = serializers.CharField(source="email_id")
    status = serializers.CharField()
    role = serializers.CharField()
    name = serializers.CharField()
    enterpriseSid = serializers.SerializerMethodField()
    autoAttendantSids = serializers.SerializerMethodField()

    def get_enterpriseSid(self, obj) -> str | None:
        return obj.enterprise.sid if obj.enterprise_id else None

    def get_autoAttendantSids(self, obj) -> list[str]:
        if not obj.pk:
            return []
        return [system.sid for system in obj.aa_systems.all()]


class UserInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    emailId = serializers.EmailField(source="email_id", max_length=254)
    password = serializers.CharField(trim_whitespace=False)
    role = RoleField()
    status = serializers.ChoiceField(choices=UserStatus.choices, required=False)
    enterpriseSid = serializers.CharField(source="enterprise_sid", required=False, allow_null=True, allow_blank=True)
    autoAttendantSids = SidList(source="aa_system_sids", required=False)


class UserUpdateInput(UserInput):
    emailId = serializers.EmailField(source="email_id", max_length=254, required=False)
    password = serializers.CharField(trim_whitespace=False, required=False)
    role = RoleField(required=False)


# Filters


class RoleFilter(django_filters.CharFilter):
    def filter(self, qs, value):
        if not value:
            return qs
        try:
            return qs.filter(role=Role.parse(value))
        except ValueError:
            return qs.none()


class UserFilterSet(ResourceFilterSet):
    name = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    emailId = django_filters.CharFilter(field_name="email_id", lookup_expr="icontains")
    role = RoleFilter()
    status = django_filters.ChoiceFilter(field_name="status", choices=UserStatus.choices)
    enterpriseSid = django_filters.CharFilter(field_name="enterprise__sid")
    autoAttendantSid = django_filters.CharFilter(field_name="aa_systems__sid", distinct=True)

    class Meta:
        model = User
        fields: list[str] = []


# The resource


class UserViewSet(ResourceViewSet):
    model = User
    serializer_class = UserSerializer
    create_serializer_class = UserInput
    update_serializer_class = UserUpdateInput
    filterset_class = UserFilterSet
    not_found = Code.USER_NOT_FOUND
    sort_fields = {**NAME_AND_DATE, "emailId": "email_id", "role": "role", "status": "status"}
    permissions = users.PERMISSIONS
    error_codes = {
        "create": [
            Code.USER_NOT_UNIQUE,
            Code.ENTERPRISE_NOT_FOUND,
            Code.ROLE_NOT_ALLOWED,
            Code.ENTERPRISE_REQUIRED,
            Code.SYSTEM_NOT_FOUND,
        ],
        "retrieve": [Code.USER_NOT_FOUND],
        "update": [
            Code.USER_NOT_FOUND,
            Code.USER_NOT_UNIQUE,
            Code.ENTERPRISE_NOT_FOUND,
            Code.ROLE_NOT_ALLOWED,
            Code.USER_IS_ENTERPRISE_ADMIN,
            Code.SYSTEM_NOT_FOUND,
        ],
        "destroy": [Code.USER_NOT_FOUND, Code.USER_IS_ENTERPRISE_ADMIN, Code.CANNOT_DELETE_SELF, Code.ROLE_NOT_ALLOWED],
    }

    def scoped_queryset(self):
        return (
            super()
            .scoped_queryset()
            .select_related("enterprise")
            .prefetch_related(Prefetch("aa_systems", queryset=AutoAttendantSystem.objects.only("sid")))
        )

    create_service = staticmethod(users.create_user)
    update_service = staticmethod(users.update_user)
    destroy_service = staticmethod(users.delete_user)

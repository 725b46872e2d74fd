"""The /autoattendant resources: each declares its shapes, scope, rules' entry points and codes."""

from __future__ import annotations

from django.db.models import Count, F, Prefetch

from autoattendant.api import filters, serializers
from autoattendant.api.base import ResourceViewSet
from autoattendant.api.responses import ok
from autoattendant.errors import Code
from autoattendant.models import AutoAttendantSystem, Enterprise, HmacKey, PhoneNumber, User
from autoattendant.services import enterprises, hmac_keys, phone_numbers, systems, users

NAME_AND_DATE = {"name": "name", "dateCreated": "date_created"}
COMMON_ERRORS = [Code.BAD_REQUEST, Code.UNAUTHENTICATED, Code.FORBIDDEN, Code.THROTTLED]


class EnterpriseViewSet(ResourceViewSet):
    model = Enterprise
    serializer_class = serializers.EnterpriseSerializer
    create_serializer_class = serializers.EnterpriseCreateInput
    update_serializer_class = serializers.EnterpriseUpdateInput
    filterset_class = filters.EnterpriseFilterSet
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


class UserViewSet(ResourceViewSet):
    model = User
    serializer_class = serializers.UserSerializer
    create_serializer_class = serializers.UserInput
    update_serializer_class = serializers.UserUpdateInput
    filterset_class = filters.UserFilterSet
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


class PhoneNumberViewSet(ResourceViewSet):
    model = PhoneNumber
    serializer_class = serializers.PhoneNumberSerializer
    create_serializer_class = serializers.PhoneNumberInput
    update_serializer_class = serializers.PhoneNumberUpdateInput
    filterset_class = filters.PhoneNumberFilterSet
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
    serializer_class = serializers.AutoAttendantSystemSerializer
    create_serializer_class = serializers.AutoAttendantSystemInput
    update_serializer_class = serializers.AutoAttendantSystemUpdateInput
    filterset_class = filters.AutoAttendantSystemFilterSet
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


class HmacKeyViewSet(ResourceViewSet):
    model = HmacKey
    serializer_class = serializers.HmacKeySerializer
    filterset_class = filters.HmacKeyFilterSet
    not_found = Code.HMAC_KEY_NOT_FOUND
    permissions = hmac_keys.PERMISSIONS
    item_actions = {"delete": "destroy"}  # a key is rotated by POST, never edited
    error_codes = {"retrieve": [Code.HMAC_KEY_NOT_FOUND], "destroy": [Code.HMAC_KEY_NOT_FOUND]}

    def scoped_queryset(self):
        return super().scoped_queryset().select_related("organisation")

    def create(self, request, *args, **kwargs):
        """Create the organisation's key, or rotate it when one exists (201, or 200 on rotation)."""
        key, created = hmac_keys.create_or_rotate_hmac_key(request.user)
        return ok(self.render(self.fetch(key.sid)), status=201 if created else 200)

    destroy_service = staticmethod(hmac_keys.delete_hmac_key)

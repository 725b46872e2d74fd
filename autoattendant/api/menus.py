"""/autoattendant/menu: a greeting and an action per key, in one AA system (SIDs `MN…`).

Shapes and translation only; the rules are in `autoattendant.services.menus`.
"""

from __future__ import annotations

import django_filters
from django.db.models import F
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from autoattendant.api.base import ResourceSerializer, ResourceViewSet
from autoattendant.api.filters import ResourceFilterSet, StrictBooleanFilter
from autoattendant.choices import MENU_KEYS, ActionType
from autoattendant.errors import Code
from autoattendant.models import Menu
from autoattendant.services import menus

OPTIONS_SCHEMA = {
    "type": "array",
    "maxItems": len(MENU_KEYS),
    "items": {
        "type": "object",
        "required": ["key", "actionType"],
        "properties": {
            "key": {"type": "string", "enum": list(MENU_KEYS)},
            "actionType": {"type": "string", "enum": list(ActionType.values)},
            "actionData": {
                "type": "string",
                "nullable": True,
                "description": "What the action names: an AN…, MN… or PH… SID, or an E.164 number.",
            },
        },
    },
    "description": "One action per key (0-9, *, #), each key at most once.",
    "example": [
        {"key": "1", "actionType": "TRANSFER_TO_EXTENSION", "actionData": "PH0123456789abcdef0123456789abcdef"},
        {"key": "0", "actionType": "TRANSFER_TO_OPERATOR"},
    ],
}


@extend_schema_field(OPTIONS_SCHEMA)
class MenuOptionsField(serializers.JSONField):
    """`[{"key", "actionType", "actionData"}]`; keys and actions are checked by the menu service."""

    def to_representation(self, value):
        return value


class MenuSerializer(ResourceSerializer):
    uri_base = "/autoattendant/menu/search/"

    name = serializers.CharField()
    autoAttendantSid = serializers.SerializerMethodField()
    greetingAnnouncementSid = serializers.SerializerMethodField()
    allowDialByExtension = serializers.BooleanField(source="allow_dial_by_extension")
    options = MenuOptionsField()

    # Lists annotate the related SIDs (MenuViewSet); a deleted menu kept its related rows.
    def get_autoAttendantSid(self, obj) -> str:
        return getattr(obj, "aa_system_ref", None) or obj.aa_system.sid

    def get_greetingAnnouncementSid(self, obj) -> str | None:
        if not obj.greeting_announcement_id:
            return None
        return getattr(obj, "greeting_ref", None) or obj.greeting_announcement.sid


class MenuInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    autoAttendantSid = serializers.CharField(source="aa_system_sid", max_length=64)
    greetingAnnouncementSid = serializers.CharField(
        source="greeting_announcement_sid", required=False, allow_null=True, allow_blank=True, max_length=64
    )
    allowDialByExtension = serializers.BooleanField(source="allow_dial_by_extension", required=False)
    options = MenuOptionsField(required=False, allow_null=True)


class MenuUpdateInput(MenuInput):
    name = serializers.CharField(max_length=200, required=False)
    autoAttendantSid = serializers.CharField(source="aa_system_sid", max_length=64, required=False)


class MenuFilterSet(ResourceFilterSet):
    name = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    autoAttendantSid = django_filters.CharFilter(field_name="aa_system__sid")
    greetingAnnouncementSid = django_filters.CharFilter(field_name="greeting_announcement__sid")
    allowDialByExtension = StrictBooleanFilter(field_name="allow_dial_by_extension")

    class Meta:
        model = Menu
        fields: list[str] = []


OPTION_ERRORS = [
    Code.INVALID_ACTION,
    Code.UNKNOWN_ACTION_TYPE,
    Code.ANNOUNCEMENT_NOT_FOUND,
    Code.MENU_NOT_FOUND,
    Code.PHONE_NUMBER_NOT_FOUND,
    Code.NOT_AN_EXTENSION,
    Code.EXTENSION_NOT_IN_SYSTEM,
]


class MenuViewSet(ResourceViewSet):
    model = Menu
    serializer_class = MenuSerializer
    create_serializer_class = MenuInput
    update_serializer_class = MenuUpdateInput
    filterset_class = MenuFilterSet
    not_found = Code.MENU_NOT_FOUND
    sort_fields = {"name": "name", "dateCreated": "date_created"}
    permissions = menus.PERMISSIONS  # every role, each in its tenant scope
    error_codes = {
        "create": [Code.SYSTEM_NOT_FOUND, *OPTION_ERRORS],
        "retrieve": [Code.MENU_NOT_FOUND],
        "update": [Code.SYSTEM_NOT_FOUND, *OPTION_ERRORS],
        "destroy": [Code.MENU_NOT_FOUND, Code.MENU_IN_USE],
    }

    def scoped_queryset(self):
        return (
            super()
            .scoped_queryset()
            .annotate(aa_system_ref=F("aa_system__sid"), greeting_ref=F("greeting_announcement__sid"))
        )

    create_service = staticmethod(menus.create_menu)
    update_service = staticmethod(menus.update_menu)
    destroy_service = staticmethod(menus.delete_menu)

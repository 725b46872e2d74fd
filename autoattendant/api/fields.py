"""Field types shared by the resource serializers."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from autoattendant.choices import Role

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S%z"


# Not OpenAPI's `date-time` (RFC 3339 wants `+00:00`): the reference's `+0000`.
@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}$",
        "example": "2020-01-27T11:14:10+0000",
    }
)
class Timestamp(serializers.DateTimeField):
    """`2020-01-27T11:14:10+0000`, always UTC."""

    def __init__(self, **kwargs):
        kwargs.setdefault("format", TIMESTAMP_FORMAT)
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)


class RoleField(serializers.ChoiceField):
    """A role; the reference's ENTERPRISE_ADMIN is read as BG_ADMIN."""

    def __init__(self, **kwargs):
        super().__init__(choices=Role.choices + [("ENTERPRISE_ADMIN", "Enterprise admin (BG_ADMIN)")], **kwargs)

    def to_internal_value(self, data):
        try:
            return Role.parse(data).value
        except (ValueError, TypeError):
            self.fail("invalid_choice", input=data)


class SidList(serializers.ListField):
    def __init__(self, **kwargs):
        kwargs.setdefault("child", serializers.CharField(max_length=64))
        kwargs.setdefault("max_length", 1000)
        super().__init__(**kwargs)


class ActionField(serializers.JSONField):
    """`{"actionType": ..., "actionData": ...}`; its content is checked by the action registry."""

    def to_representation(self, value):
        return value

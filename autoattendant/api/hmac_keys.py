"""/autoattendant/hmac: the organisation's HMAC key for signed requests and single sign-on.

Shapes and translation only; the rules are in `autoattendant.services`.
"""

from __future__ import annotations

from rest_framework import serializers

from autoattendant.api.base import ResourceSerializer, ResourceViewSet
from autoattendant.api.filters import ResourceFilterSet
from autoattendant.api.responses import ok
from autoattendant.errors import Code
from autoattendant.models import HmacKey
from autoattendant.services import hmac_keys

# Shapes


class HmacKeySerializer(ResourceSerializer):
    uri_base = "/autoattendant/hmac/search/"

    organisationSid = serializers.CharField(source="organisation.sid")
    hmacKey = serializers.CharField(source="key")


# Filters


class HmacKeyFilterSet(ResourceFilterSet):
    class Meta:
        model = HmacKey
        fields: list[str] = []


# The resource


class HmacKeyViewSet(ResourceViewSet):
    model = HmacKey
    serializer_class = HmacKeySerializer
    filterset_class = HmacKeyFilterSet
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

"""Registration status of extensions, beside the phone numbers they are:

`GET /autoattendant/phonenumber/registration?extensionSids=PH…,PH…` (many),
`GET /autoattendant/phonenumber/{sid}/registration` (one),
`DELETE /autoattendant/phonenumber/{sid}/registration` (drop all) and
`DELETE /autoattendant/phonenumber/{sid}/registration/{registrationSid}` (drop one).

Shapes and translation only; what a registration is, and who may see or drop it, is in
`telephony.registrations`.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets

from autoattendant.api.fields import Timestamp
from autoattendant.api.responses import ok
from autoattendant.errors import AAError, Code
from telephony import registrations

EXTENSION_SID = OpenApiParameter("sid", str, OpenApiParameter.PATH, description="The extension's SID (PH…).")


class BindingSerializer(serializers.Serializer):
    sid = serializers.CharField(help_text="The registration's SID (RG…), stable while the binding lasts.")
    contact = serializers.CharField(help_text="The phone's Contact URI: where the edge sends its calls.")
    userAgent = serializers.CharField(source="user_agent", help_text="The phone's User-Agent.")
    sourceAddress = serializers.CharField(
        source="source_address",
        help_text="`host:port` the phone registered from (behind NAT: the address seen), else its contact's.",
    )
    transport = serializers.CharField(help_text="udp, tcp, tls, ws, wss or sctp.")
    expires = Timestamp(
        allow_null=True,
        help_text="When the binding ends unless the phone registers again (UTC); null: a permanent binding.",
    )
    lastModified = Timestamp(source="last_modified", help_text="The phone's last REGISTER (UTC).")


class RegistrationStatusSerializer(serializers.Serializer):
    extensionSid = serializers.CharField(source="extension_sid")
    registered = serializers.BooleanField(help_text="At least one unexpired registration.")
    registrations = BindingSerializer(source="bindings", many=True)


class RegistrationStatusListSerializer(serializers.ListSerializer):
    """Many extensions' statuses: `data` of the batch read is a plain array, in the order named."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("child", RegistrationStatusSerializer())
        super().__init__(*args, **kwargs)


class RegistrationViewSet(viewsets.GenericViewSet):
    """Phones registered for SIP client extensions, for CSP and enterprise admins within their scope.

    A `number` extension has nothing that registers: `registered` false, no registrations. An AA number
    is 493; another tenant's extension is 491, like a missing one.
    """

    error_codes = {
        "registration_batch": [Code.PHONE_NUMBER_NOT_FOUND, Code.NOT_AN_EXTENSION],
        "registration": [Code.PHONE_NUMBER_NOT_FOUND, Code.NOT_AN_EXTENSION],
        "drop_registrations": [Code.PHONE_NUMBER_NOT_FOUND, Code.NOT_AN_EXTENSION],
        "drop_registration": [Code.PHONE_NUMBER_NOT_FOUND, Code.NOT_AN_EXTENSION, Code.REGISTRATION_NOT_FOUND],
    }

    @property
    def serializer_class(self):
        # The envelope schema (autoattendant.api.schema) describes `data` with the view's serializer.
        if getattr(self, "action", None) == "registration_batch":
            return RegistrationStatusListSerializer
        return RegistrationStatusSerializer

    @extend_schema(
        summary="The registration status of many extensions",
        description=(
            "One entry per SID named, in the order named. Every SID must be an extension the caller sees "
            "(491 otherwise, 493 for an AA number)."
        ),
        parameters=[
            OpenApiParameter(
                "extensionSids",
                {"type": "array", "items": {"type": "string"}, "maxItems": registrations.MAX_BATCH},
                required=True,
                explode=False,
                description=f"Extension SIDs (PH…), comma-separated or repeated; at most {registrations.MAX_BATCH}.",
            )
        ],
    )
    def registration_batch(self, request):
        sids = [sid.strip() for value in request.query_params.getlist("extensionSids") for sid in value.split(",")]
        sids = [sid for sid in sids if sid]
        if not sids:
            raise AAError(
                Code.BAD_REQUEST,
                {},
                message="Validation failed",
                errors={"extensionSids": ["Name at least one extension SID."]},
            )
        statuses = registrations.registration_statuses(request.user, sids)
        return ok(RegistrationStatusListSerializer(statuses).data)

    @extend_schema(
        summary="The registration status of an extension",
        description="Its phones' current (unexpired) registrations at the SIP edge, most recently refreshed first.",
        parameters=[EXTENSION_SID],
    )
    def registration(self, request, sid: str):
        return ok(RegistrationStatusSerializer(registrations.registration_status(request.user, sid)).data)

    @extend_schema(
        summary="Drop all of an extension's registrations",
        description=(
            "Calls stop reaching its phones until they register again. Answers with what is left "
            "(nothing). Allowed to those who may edit the extension."
        ),
        parameters=[EXTENSION_SID],
    )
    def drop_registrations(self, request, sid: str):
        return ok(RegistrationStatusSerializer(registrations.drop_registrations(request.user, sid)).data)

    @extend_schema(
        summary="Drop one of an extension's registrations",
        description="Answers with the extension's registrations left.",
        parameters=[
            EXTENSION_SID,
            OpenApiParameter(
                "registrationSid", str, OpenApiParameter.PATH, description="The registration's SID (RG…)."
            ),
        ],
    )
    def drop_registration(self, request, sid: str, registrationSid: str):  # noqa: N803 (the path's name)
        status = registrations.drop_registrations(request.user, sid, registrationSid)
        return ok(RegistrationStatusSerializer(status).data)

    @classmethod
    def routes(cls) -> list:
        """Before the phone number's own item routes (`phonenumber/{sid}`); both spellings of the
        resource, a trailing slash accepted too."""
        shapes: list[tuple[str, dict[str, Any], str]] = [
            ("registration", {"get": "registration_batch"}, "registration-batch"),
            ("<str:sid>/registration", {"get": "registration", "delete": "drop_registrations"}, "registration"),
            ("<str:sid>/registration/<str:registrationSid>", {"delete": "drop_registration"}, "registration-item"),
        ]
        patterns = []
        for resource in ("phonenumber", "phoneNumber"):
            for suffix, actions, name in shapes:
                route = f"autoattendant/{resource}/{suffix}"
                view = cls.as_view(actions)
                patterns.append(path(route, view, name=f"{resource}-{name}"))
                patterns.append(path(f"{route}/", view, name=f"{resource}-{name}-slash"))
        return patterns

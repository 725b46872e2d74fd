"""Fetch-by-SID through the caller's tenant scope: another tenant's object is simply not found."""

from __future__ import annotations

from django.db import models

from autoattendant.errors import AAError, Code, ErrorCode
from autoattendant.models import (
    AutoAttendantSystem,
    Enterprise,
    HmacKey,
    PhoneNumber,
    User,
    VoicemailMessage,
)


def access_by_sid(queryset: models.QuerySet, user, sid: object, not_found: ErrorCode, *, for_update: bool = False):
    """The row with `sid` that `user` may see, else `not_found`: every `access_*` helper is this."""
    if not isinstance(sid, str) or not sid or "\x00" in sid:  # PostgreSQL text cannot hold NUL
        raise AAError(not_found, {"sid": sid})
    queryset = queryset.visible_to(user)
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    try:
        return queryset.get(sid=sid)
    except queryset.model.DoesNotExist:
        raise AAError(not_found, {"sid": sid}) from None


def access_enterprise(user, sid, *, for_update: bool = False) -> Enterprise:
    return access_by_sid(
        Enterprise.objects.select_related("organisation", "admin"),
        user,
        sid,
        Code.ENTERPRISE_NOT_FOUND,
        for_update=for_update,
    )


def access_user(user, sid, *, for_update: bool = False) -> User:
    return access_by_sid(
        User.objects.select_related("enterprise"), user, sid, Code.USER_NOT_FOUND, for_update=for_update
    )


def access_phone_number(user, sid, *, for_update: bool = False) -> PhoneNumber:
    return access_by_sid(
        PhoneNumber.objects.select_related("enterprise", "aa_system"),
        user,
        sid,
        Code.PHONE_NUMBER_NOT_FOUND,
        for_update=for_update,
    )


def access_system(user, sid, *, for_update: bool = False) -> AutoAttendantSystem:
    return access_by_sid(
        AutoAttendantSystem.objects.select_related("enterprise"),
        user,
        sid,
        Code.SYSTEM_NOT_FOUND,
        for_update=for_update,
    )


def access_hmac_key(user, sid, *, for_update: bool = False) -> HmacKey:
    return access_by_sid(HmacKey.objects.all(), user, sid, Code.HMAC_KEY_NOT_FOUND, for_update=for_update)


def access_voicemail_message(user, sid, *, for_update: bool = False) -> VoicemailMessage:
    return access_by_sid(VoicemailMessage.objects.all(), user, sid, Code.VOICEMAIL_NOT_FOUND, for_update=for_update)

"""The AA entry's own credentials, for a remote Restcomm server that runs the AA documents.

Such a server fetches an AA number's VoiceUrl and every document after it; it does not hold the
executors' shared token. The VoiceUrl the `restcomm` backend sets carries credentials of the number's
enterprise in its userinfo (`http://EN…:<secret>@host/rcml/voice`), and the documents' relative
URLs keep them when resolved against it, so the whole call authenticates. The secret is an HMAC of
the enterprise SID with a key derived from SECRET_KEY (Django's `salted_hmac`): nothing is stored,
and a new SECRET_KEY changes every secret (`manage.py restcomm_resync --fix` sets the new URLs).

Credentials of an enterprise open only its own numbers (the entry, `find`), its own AA systems'
documents (`allowed`) and its own announcements' audio (telephony.auth.EntryCredentialsAuthentication);
any other is answered as missing.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

SALT = "telephony.rcml.entry-credentials"
USER_PREFIX = "EN"

# The enterprise whose credentials the RCML request being served carries (None: the executors' token).
scope: ContextVar[str | None] = ContextVar("rcml_entry_scope", default=None)


def secret(user: str) -> str:
    return salted_hmac(SALT, user, algorithm="sha256").hexdigest()


def voice_url(enterprise_sid: str) -> str:
    """The AA entry of the enterprise's numbers, with its credentials, under RCML_PUBLIC_URL."""
    parts = urlsplit(settings.RCML_PUBLIC_URL)
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{enterprise_sid}:{secret(enterprise_sid)}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/") + "/rcml/voice", "", ""))


def enterprise_of(request: HttpRequest) -> str | None:
    """The enterprise whose entry credentials the request carries (HTTP Basic), or None."""
    return enterprise_of_header(request.META.get("HTTP_AUTHORIZATION", ""))


def enterprise_of_header(authorization: str) -> str | None:
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, given = base64.b64decode(encoded.strip(), validate=True).decode("latin-1").partition(":")
    except (binascii.Error, ValueError):
        return None
    if not user.startswith(USER_PREFIX) or not hmac.compare_digest(given, secret(user)):
        return None
    return user


def allowed(enterprise_sid: str, step: dict[str, Any]) -> bool:
    """A step of an AA system's documents (`aa_sid` in its URL) is the enterprise's when the system is;
    the entry itself is scoped by `find`."""
    return "aa_sid" not in step or enterprise_of_system(step["aa_sid"]) == enterprise_sid


def enterprise_of_system(aa_sid: str) -> str:
    """The AA system's enterprise SID ("" for none), cached: a system never moves between enterprises."""
    from django.core.cache import cache as redis

    from autoattendant.models import AutoAttendantSystem
    from telephony.rcml.cache import PLAN_TTL_SECONDS, try_redis

    key = f"rcml:enterprise-of:{aa_sid}"
    found = try_redis(lambda: redis.get(key), None)
    if found is None:
        found = AutoAttendantSystem.objects.filter(sid=aa_sid).values_list("enterprise__sid", flat=True).first() or ""
        if found:
            try_redis(lambda: redis.set(key, found, timeout=PLAN_TTL_SECONDS), None)
    return found


def find(dialled: str) -> tuple[str, dict[str, Any]] | None:
    """Who answers a dialled number: with entry credentials, one of that enterprise's AA numbers (the
    portal's own phone numbers, as there is no local route with the `restcomm` backend); with the
    executors' token, the number's route (`cache.find`)."""
    from telephony.rcml import cache

    enterprise_sid = scope.get()
    if enterprise_sid is None:
        return cache.find(dialled)
    return find_in_enterprise(enterprise_sid, dialled)


def find_in_enterprise(enterprise_sid: str, dialled: str) -> tuple[str, dict[str, Any]] | None:
    """The enterprise's AA number as dialled (with or without `+`) and its AA system's entry,
    `{"sid", "version", "active"}` as `cache.find` gives it; None when no system answers it. One
    query, once per call: the steps after it read only the plans' cache."""
    from autoattendant.choices import SystemStatus
    from autoattendant.models import PhoneNumber
    from telephony.rcml.cache import NUMBER_MAX_CHARS, number_variants

    if len(dialled) > NUMBER_MAX_CHARS or "\x00" in dialled:
        return None
    variants = number_variants(dialled)
    rows = (
        PhoneNumber.objects.filter(
            enterprise__sid=enterprise_sid, is_extension=False, number__in=variants, aa_system__isnull=False
        )
        .select_related("aa_system")
        .only("number", "aa_system__sid", "aa_system__status", "aa_system__published_version")
    )
    found = {row.number: row for row in rows}
    for variant in variants:
        row = found.get(variant)
        if row is not None:
            system = row.aa_system
            return variant, {
                "sid": system.sid,
                "version": system.published_version,
                "active": system.status == SystemStatus.ACTIVE,
            }
    return None

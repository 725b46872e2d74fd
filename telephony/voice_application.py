"""The rules of a VoiceApplication's fields (VoiceUrl and its kin), shared by numbers and clients.

A URL is absolute http(s) or empty (none); a method is GET or POST. Whether an executor may fetch a
URL (an address inside the network) is decided when it fetches, not here. Errors name Restcomm's
parameters, as the Restcomm API receives them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from autoattendant.services.field_rules import FieldErrors
from telephony.models import VoiceApplication

API_VERSION = "2012-04-24"
METHODS = ("GET", "POST")
URL_MAX_LENGTH = 1000  # VoiceApplication's columns
FRIENDLY_NAME_MAX_LENGTH = 200  # numbers', clients' and extensions' columns

# Restcomm's parameter for each field, in the reference's order.
URL_FIELDS = {"voice_url": "VoiceUrl", "voice_fallback_url": "VoiceFallbackUrl", "status_callback": "StatusCallback"}
METHOD_FIELDS = {
    "voice_method": "VoiceMethod",
    "voice_fallback_method": "VoiceFallbackMethod",
    "status_callback_method": "StatusCallbackMethod",
}
PARAMETERS = {
    "VoiceUrl": "voice_url",
    "VoiceMethod": "voice_method",
    "VoiceFallbackUrl": "voice_fallback_url",
    "VoiceFallbackMethod": "voice_fallback_method",
    "StatusCallback": "status_callback",
    "StatusCallbackMethod": "status_callback_method",
    "ApiVersion": "api_version",
}

# What each parameter means, for the API's documentation.
DESCRIPTIONS = [
    ("VoiceUrl", "The RCML application's URL, absolute http or https; empty: none."),
    ("VoiceMethod", "GET or POST (the default) for VoiceUrl."),
    ("VoiceFallbackUrl", "Fetched when VoiceUrl fails; absolute http or https; empty: none."),
    ("VoiceFallbackMethod", "GET or POST (the default) for VoiceFallbackUrl."),
    ("StatusCallback", "Told the call's status; absolute http or https; empty: none."),
    ("StatusCallbackMethod", "GET or POST (the default) for StatusCallback."),
    ("ApiVersion", f"{API_VERSION}, the only version served."),
]

URL_MESSAGE = "An absolute http or https URL."
METHOD_MESSAGE = "GET or POST."
API_VERSION_MESSAGE = f"The only API version served is {API_VERSION}."


def is_absolute_http_url(url: str) -> bool:
    if len(url) > URL_MAX_LENGTH or any(c.isspace() or c == "\x00" for c in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def check_friendly_name(errors: FieldErrors, friendly_name: str) -> None:
    """A number's or a client's FriendlyName (PostgreSQL text cannot hold NUL)."""
    if len(friendly_name) > FRIENDLY_NAME_MAX_LENGTH:
        errors.add("FriendlyName", f"At most {FRIENDLY_NAME_MAX_LENGTH} characters.")
    elif "\x00" in friendly_name:
        errors.add("FriendlyName", "No NUL characters.")


def apply(target: VoiceApplication, changes: dict[str, Any], errors: FieldErrors) -> None:
    """Set the voice fields `changes` names (model field names; None leaves a field as it is) on
    `target`, adding to `errors` what breaks a rule."""
    for field, parameter in URL_FIELDS.items():
        value = changes.get(field)
        if value is None:
            continue
        value = value.strip()
        if value and not is_absolute_http_url(value):
            errors.add(parameter, URL_MESSAGE)
        setattr(target, field, value)
    for field, parameter in METHOD_FIELDS.items():
        value = changes.get(field)
        if value is None:
            continue
        value = value.strip().upper() or "POST"
        if value not in METHODS:
            errors.add(parameter, METHOD_MESSAGE)
        setattr(target, field, value)
    api_version = changes.get("api_version")
    if api_version is not None:
        if api_version.strip() not in ("", API_VERSION):
            errors.add("ApiVersion", API_VERSION_MESSAGE)
        target.api_version = API_VERSION

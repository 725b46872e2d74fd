"""SIDs: a type prefix plus 32 hex characters, as the reference's identifiers are."""

import re
import uuid

ORGANISATION = "OR"
ENTERPRISE = "EN"
USER = "RCS"
PHONE_NUMBER = "PH"
ANNOUNCEMENT = "AN"
AA_SYSTEM = "AA"
HMAC_KEY = "OHK"
MENU = "MN"
SCHEDULE = "SC"
VOICEMAIL = "VM"
CALL_RECORD = "CA"
RECORDING = "RE"
REGISTRATION = "RG"  # a phone's binding at the SIP edge, derived from its ruid (telephony.registrations)

_PATTERN = re.compile(r"^[A-Z]{2,3}[0-9a-f]{32}$")


def new_sid(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex}"


def looks_like(prefix: str, value: object) -> bool:
    return isinstance(value, str) and value.startswith(prefix) and bool(_PATTERN.match(value))

"""Numbers (Restcomm's IncomingPhoneNumbers, `NumberRoute`): where a number's calls go, its rules in
one place.

A number routes to one place. An AA number (`phone_number_sid` set, provisioned by the bundled
backend from the CSP API) answers with its AA system: its VoiceUrl is the portal's AA entry and it is
changed or released only through the /autoattendant API. Any other number is created here and runs
the RCML application at its VoiceUrl. A number is held by one account, in whichever form it was
written (`+1234` and `1234` are the same number). Every change drops the number's cached entry once
committed, so the next call finds its new route.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from autoattendant.errors import AAError, Code
from autoattendant.services.field_rules import PHONE_NUMBER_MAX_DIGITS, FieldErrors
from telephony import voice_application
from telephony.models import NumberRoute, TelephonyAccount
from telephony.rcml.cache import forget_entries, number_variants

# What Restcomm takes for a number: E.164, `+` added when it is missing (`1234` is `+1234`), the
# separators people write (spaces, dots, dashes, parentheses) left out.
SEPARATORS = re.compile(r"[\s.()\-]")
E164 = re.compile(rf"\+[1-9][0-9]{{0,{PHONE_NUMBER_MAX_DIGITS - 1}}}")
PHONE_NUMBER_MESSAGE = (
    f"A phone number in E.164: an optional +, then at most {PHONE_NUMBER_MAX_DIGITS} digits, not starting with 0."
)
BOOLEAN_MESSAGE = "true or false."
ENTRY_PATH = "/rcml/voice"


def normalise(number: str) -> str:
    bare = SEPARATORS.sub("", number or "")
    return bare if bare.startswith("+") else f"+{bare}"


def entry_url() -> str:
    """The portal's AA entry, absolute: where an AA number's calls are answered."""
    # RCML_PUBLIC_URL: the portal as a remote Restcomm server reaches it (set with the `restcomm` backend).
    base = getattr(settings, "RCML_PUBLIC_URL", "") or f"http://127.0.0.1:{settings.PORTAL_HTTP_PORT}"
    return base.rstrip("/") + ENTRY_PATH


def is_aa_number(route: NumberRoute) -> bool:
    return bool(route.phone_number_sid)


def voice_url_of(route: NumberRoute) -> str:
    return entry_url() if is_aa_number(route) else route.voice_url


def boolean_from(value: str, parameter: str, errors: FieldErrors) -> bool:
    """Restcomm's booleans: true or false (any case)."""
    lowered = value.strip().lower()
    if lowered not in ("true", "false"):
        errors.add(parameter, BOOLEAN_MESSAGE)
    return lowered == "true"


def check_number_free(number: str, *, exclude: NumberRoute | None = None) -> None:
    """510 when any account holds the number, in any of its forms. Only one form is unique in the
    table, so writers of the same number in another form wait for each other here until commit."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"number:{number.lstrip('+')}"])
    held = NumberRoute.objects.filter(number__in=number_variants(number))
    if exclude is not None and exclude.pk is not None:
        held = held.exclude(pk=exclude.pk)
    if held.exists():
        raise AAError(Code.NUMBER_NOT_UNIQUE, {"PhoneNumber": number})


def forget_entry_after_commit(number: str) -> None:
    """Calls to a re-routed number find its new route at once, not after the cache expires."""
    transaction.on_commit(lambda: forget_entries([number]))


def _refuse_aa_number(route: NumberRoute) -> None:
    if is_aa_number(route):
        raise AAError(Code.AA_NUMBER_NOT_CHANGEABLE, {"Sid": route.sid})


def _apply(route: NumberRoute, friendly_name: str | None, voice_caller_id_lookup: str | None, voice: dict) -> None:
    errors = FieldErrors()
    voice_application.apply(route, voice, errors)
    if voice_caller_id_lookup is not None:
        route.voice_caller_id_lookup = boolean_from(voice_caller_id_lookup, "VoiceCallerIdLookup", errors)
    if friendly_name is not None:
        voice_application.check_friendly_name(errors, friendly_name)
        route.friendly_name = friendly_name.strip() or route.number
    errors.raise_if_any()


def _save(route: NumberRoute) -> None:
    """The number taken meanwhile by another request is 510, as the check before would have said."""
    try:
        with transaction.atomic():
            route.save()
    except IntegrityError as exc:
        raise AAError(Code.NUMBER_NOT_UNIQUE, {"PhoneNumber": route.number}) from exc


@transaction.atomic
def create_number(
    account: TelephonyAccount,
    *,
    phone_number: str | None,
    friendly_name: str | None = None,
    voice_caller_id_lookup: str | None = None,
    **voice: Any,
) -> NumberRoute:
    """A number of `account` routed to the RCML application at its VoiceUrl (`voice`: VoiceApplication
    fields). Its FriendlyName is the number itself unless given."""
    number = normalise(phone_number or "")
    route = NumberRoute(account=account, number=number, friendly_name=number)
    if not E164.fullmatch(number):
        errors = FieldErrors()
        errors.add("PhoneNumber", PHONE_NUMBER_MESSAGE)
        errors.raise_if_any()
    _apply(route, friendly_name, voice_caller_id_lookup, voice)
    check_number_free(number)
    _save(route)
    forget_entry_after_commit(number)
    return route


@transaction.atomic
def update_number(
    route: NumberRoute,
    *,
    friendly_name: str | None = None,
    voice_caller_id_lookup: str | None = None,
    **voice: Any,
) -> NumberRoute:
    """Change what is given (None: left as it is). An AA number is changed through the /autoattendant
    API only (539)."""
    route = NumberRoute.objects.select_for_update().get(pk=route.pk)
    _refuse_aa_number(route)
    _apply(route, friendly_name, voice_caller_id_lookup, voice)
    _save(route)
    forget_entry_after_commit(route.number)
    return route


@transaction.atomic
def release_number(route: NumberRoute) -> None:
    """An AA number is released through the /autoattendant API only (539)."""
    route = NumberRoute.objects.select_for_update().get(pk=route.pk)
    _refuse_aa_number(route)
    route.delete()
    forget_entry_after_commit(route.number)

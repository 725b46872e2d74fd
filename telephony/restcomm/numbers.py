"""IncomingPhoneNumbers: `/Accounts/{AccountSid}/IncomingPhoneNumbers` (the account's own, filtered by
PhoneNumber and FriendlyName; POST makes one) and `/IncomingPhoneNumbers/{Sid}` (GET; POST/PUT change
the voice URLs, FriendlyName, VoiceCallerIdLookup, ApiVersion; DELETE releases it).

The rules are telephony.numbers': an AA number shows the AA entry as its VoiceUrl and is changed only
through the /autoattendant API. SMS is not offered: its parameters are accepted and its fields answer
with their defaults.
"""

from __future__ import annotations

import re
from typing import Any

from telephony import accounts, numbers, voice_application
from telephony.models import NumberRoute
from telephony.restcomm.base import RestcommView, resource

SMS = ("SmsUrl", "SmsMethod", "SmsFallbackUrl", "SmsFallbackMethod")


def number_pattern(value: str) -> str | None:
    """The PhoneNumber filter as a regular expression: a part of the number, `*` any one digit. A `+`
    in a query string arrives as a space; it and the separators people write are left out. None: no
    number can match (a letter, say)."""
    digits = numbers.SEPARATORS.sub("", value).replace("+", "")
    if not re.fullmatch(r"[0-9*]*", digits):
        return None
    return digits.replace("*", "[0-9]")


class NumberView(RestcommView):
    def represent(self, route: NumberRoute) -> dict[str, Any]:
        return {
            "Sid": route.sid,
            "AccountSid": route.account.sid,
            "FriendlyName": route.friendly_name or route.number,
            "PhoneNumber": route.number,
            "VoiceUrl": numbers.voice_url_of(route) or None,
            "VoiceMethod": route.voice_method,
            "VoiceFallbackUrl": route.voice_fallback_url or None,
            "VoiceFallbackMethod": route.voice_fallback_method,
            "StatusCallback": route.status_callback or None,
            "StatusCallbackMethod": route.status_callback_method,
            "VoiceCallerIdLookup": route.voice_caller_id_lookup,
            "DateCreated": route.date_created,
            "DateUpdated": route.date_updated,
            "SmsUrl": None,
            "SmsMethod": "POST",
            "SmsFallbackUrl": None,
            "SmsFallbackMethod": "POST",
            "ApiVersion": route.api_version,
            "Uri": self.uri("Accounts", route.account.sid, "IncomingPhoneNumbers", route.sid),
        }

    def changes(self, params: dict[str, str]) -> dict[str, str | None]:
        return {
            "friendly_name": params.get("FriendlyName"),
            "voice_caller_id_lookup": params.get("VoiceCallerIdLookup"),
            **{field: params.get(parameter) for parameter, field in voice_application.PARAMETERS.items()},
        }

    def found(self, account_sid: str, number_sid: str) -> NumberRoute:
        """The number, if it belongs to the URL's account or one below it."""
        below = accounts.below(self.target(account_sid))
        routes = NumberRoute.objects.select_related("account").filter(account__in=below)
        return self.one(routes, "incoming phone number", number_sid)


FORM = [
    ("FriendlyName", "A name for the number (default: the number).", False),
    ("VoiceCallerIdLookup", "true or false.", False),
    *[(name, description, False) for name, description in voice_application.DESCRIPTIONS],
    *[(name, "Accepted and not used: SMS is not offered.", False) for name in SMS],
]


class NumberList(NumberView):
    """The account's own numbers."""

    paged = True
    creates = True
    form_fields = {"post": [("PhoneNumber", "The number, E.164 (`+` added when missing: 1234 is +1234).", True), *FORM]}
    query_fields = {
        "get": [
            ("PhoneNumber", "Numbers with this part; `*` is any one digit."),
            ("FriendlyName", "Numbers whose friendly name has this part (case ignored)."),
        ]
    }

    def get(self, request, account_sid: str, format=None):
        account = self.target(account_sid)
        routes = NumberRoute.objects.filter(account=account).select_related("account")
        query = self.request.query_params
        pattern = number_pattern(query.get("PhoneNumber") or "")
        friendly_name = (query.get("FriendlyName") or "").strip()
        if pattern is None or "\x00" in friendly_name:
            routes = routes.none()
        if pattern:
            routes = routes.filter(number__regex=pattern)
        if friendly_name:
            routes = routes.filter(friendly_name__icontains=friendly_name)
        return self.page("IncomingPhoneNumbers", "IncomingPhoneNumber", routes, self.represent)

    def post(self, request, account_sid: str, format=None):
        account = self.target(account_sid)
        params = self.params()
        route = numbers.create_number(account, phone_number=params.get("PhoneNumber"), **self.changes(params))
        return self.item("IncomingPhoneNumber", self.represent(route), status=201)


class NumberDetail(NumberView):
    """A number of the account or of one below it."""

    form_fields = {"post": FORM, "put": FORM}

    def get(self, request, account_sid: str, number_sid: str, format=None):
        return self.item("IncomingPhoneNumber", self.represent(self.found(account_sid, number_sid)))

    def post(self, request, account_sid: str, number_sid: str, format=None):
        route = numbers.update_number(self.found(account_sid, number_sid), **self.changes(self.params()))
        return self.item("IncomingPhoneNumber", self.represent(route))

    put = post

    def delete(self, request, account_sid: str, number_sid: str, format=None):
        numbers.release_number(self.found(account_sid, number_sid))
        return self.deleted()


urlpatterns = [
    *resource("Accounts/<str:account_sid>/IncomingPhoneNumbers", NumberList.as_view(), "restcomm-numbers"),
    *resource(
        "Accounts/<str:account_sid>/IncomingPhoneNumbers/<str:number_sid>", NumberDetail.as_view(), "restcomm-number"
    ),
]

"""Calls: `/Accounts/{AccountSid}/Calls` (GET lists them, with filters; POST places an outbound call)
and `/Accounts/{AccountSid}/Calls/{CallSid}` (GET; POST redirects the live call with `Url` or ends it
with `Status`). The rules are telephony.calls'; this module translates HTTP."""

from __future__ import annotations

from typing import Any

from autoattendant.models import CallRecord
from telephony import calls
from telephony.models import NumberRoute, TelephonyAccount
from telephony.restcomm.base import API_VERSION, RestcommView, resource


class CallView(RestcommView):
    def setup(self, request, *args, **kwargs) -> None:
        super().setup(request, *args, **kwargs)
        self._accounts: dict[str, str | None] = {}
        self._numbers: dict[str, str | None] = {}

    def _account_sid(self, record: CallRecord) -> str | None:
        """The call's account: the one it names, or its AA system's enterprise's."""
        if record.account_sid:
            return record.account_sid
        if record.enterprise_sid not in self._accounts:
            self._accounts[record.enterprise_sid] = (
                TelephonyAccount.objects.filter(enterprise_sid=record.enterprise_sid)
                .values_list("sid", flat=True)
                .first()
            )
        return self._accounts[record.enterprise_sid]

    def _phone_number_sid(self, record: CallRecord) -> str | None:
        """An inbound call's IncomingPhoneNumber (the number it called), when there is one."""
        if record.direction != "inbound" or not record.to_number:
            return None
        number = record.to_number
        if number not in self._numbers:
            forms = {number, number.lstrip("+"), "+" + number.lstrip("+")}
            self._numbers[number] = NumberRoute.objects.filter(number__in=forms).values_list("sid", flat=True).first()
        return self._numbers[number]

    def represent(self, record: CallRecord, status: str | None = None) -> dict[str, Any]:
        account_sid = self._account_sid(record) or ""
        parts = ("Accounts", account_sid, "Calls", record.call_sid)
        return {
            "Sid": record.call_sid,
            "DateCreated": record.date_created,
            "DateUpdated": record.date_updated,
            "ParentCallSid": record.parent_call_sid or None,
            "AccountSid": account_sid or None,
            "To": record.to_number,
            "From": record.from_number,
            "PhoneNumberSid": self._phone_number_sid(record),
            "Status": status or calls.status_of(record),
            "StartTime": record.start_time,
            "EndTime": record.end_time,
            "Duration": record.duration_seconds if record.end_time else None,
            "Price": "0.00",
            "Direction": record.direction,
            "AnsweredBy": None,
            "ApiVersion": API_VERSION,
            "ForwardedFrom": None,
            "CallerName": None,
            "Uri": self.uri(*parts),
            "SubresourceUris": {
                "Notifications": self.sub_uri(*parts, "Notifications"),
                "Recordings": self.sub_uri(*parts, "Recordings"),
            },
        }

    def record(self, account_sid: str, call_sid: str) -> CallRecord:
        return self.one(calls.calls_of(self.target(account_sid)), "call", call_sid, field="call_sid")


class CallList(CallView):
    """The account's calls (and those of the accounts below it), newest first; POST places a call."""

    paged = True
    creates = True
    query_fields = {
        "get": [
            ("To", "Only calls to this number, client:<login> or SIP URI."),
            ("From", "Only calls from this caller ID."),
            ("Status", "queued, ringing, in-progress, canceled, completed, failed, busy or no-answer."),
            ("StartTime", "Only calls that started on this day, YYYY-MM-DD (UTC)."),
            ("StartTime>", "On or after this day: how `StartTime>=YYYY-MM-DD` arrives."),
            ("StartTime<", "On or before this day: how `StartTime<=YYYY-MM-DD` arrives."),
            ("ParentCallSid", "Only the legs of this call."),
        ]
    }
    form_fields = {
        "post": [
            ("From", "The caller ID the call shows.", True),
            ("To", "A phone number, client:<login> (one of the account's Clients) or sip:user@host[:port].", True),
            ("Url", "The RCML the call runs once answered (http or https).", True),
            ("Method", "GET or POST (default) for Url.", False),
            ("FallbackUrl", "Fetched when Url fails.", False),
            ("FallbackMethod", "GET or POST (default).", False),
            ("StatusCallback", "Requested when the call ends (CallStatus, CallDuration).", False),
            ("StatusCallbackMethod", "GET or POST (default).", False),
            ("Timeout", "Seconds to ring before no-answer: 1 to 600, 60 by default.", False),
        ]
    }

    def get(self, request, account_sid: str, format=None):
        listed = calls.filtered(calls.calls_of(self.target(account_sid)), dict(request.query_params.items()))
        return self.page("Calls", "Call", listed, self.represent, order=("-start_time", "-id"), sid_field="call_sid")

    def post(self, request, account_sid: str, format=None):
        account = self.target(account_sid)
        record = calls.place_call(account, calls.outbound_call(self.params()))
        return self.item("Call", self.represent(record, status="queued"), status=201)


class CallDetail(CallView):
    """A call; POST redirects it while it is live (Url) or ends it (Status)."""

    form_fields = {
        "post": [
            ("Url", "New RCML the call runs at once (what it plays or gathers is cut short).", False),
            ("Method", "GET or POST (default) for Url.", False),
            ("Status", "completed (hang up, whatever its state) or canceled (only while queued or ringing).", False),
        ]
    }

    def get(self, request, account_sid: str, call_sid: str, format=None):
        return self.item("Call", self.represent(self.record(account_sid, call_sid)))

    def post(self, request, account_sid: str, call_sid: str, format=None):
        record = self.record(account_sid, call_sid)
        status = calls.modify_call(record, calls.modification(self.params()))
        return self.item("Call", self.represent(record, status=status))


urlpatterns = [
    *resource("Accounts/<str:account_sid>/Calls", CallList.as_view(), "restcomm-calls"),
    *resource("Accounts/<str:account_sid>/Calls/<str:call_sid>", CallDetail.as_view(), "restcomm-call"),
]

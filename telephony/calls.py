"""The Restcomm Calls API's rules: which calls an account sees and their status, placing an outbound
call (`outbound-api`), and redirecting or ending a live call wherever it runs. The API view
(telephony.restcomm.calls) only translates HTTP.

A call's status: a live call's (queued, ringing, in-progress) is its executor's, through the
live-call index (telephony.live_calls); an ended call's comes from its record (`restcomm_status`).
"""

from __future__ import annotations

import datetime
import re
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Case, CharField, F, Q, QuerySet, Value, When
from django.utils import timezone

from autoattendant.choices import CallOutcome
from autoattendant.models import CallRecord
from autoattendant.services.calls import CallStart, record_call_start
from telephony import accounts, live_calls, voice_application
from telephony.models import SipClient, TelephonyAccount
from telephony.restcomm.errors import RestcommError

OUTBOUND_API = "outbound-api"
LIVE = "live"  # a record still IN_PROGRESS: its status is its executor's
LIVE_STATUSES = live_calls.STATUSES
ENDED_STATUSES = ("completed", "canceled", "busy", "no-answer", "failed")
STATUSES = (*LIVE_STATUSES, *ENDED_STATUSES)
METHODS = ("GET", "POST")
TIMEOUT_MAX = 600  # seconds a call may ring, as Twilio allows
NUMBER = re.compile(r"\+?[0-9*#]{1,32}")
CLIENT = re.compile(r"client:([A-Za-z0-9._~+@-]{1,64})", re.IGNORECASE)
SIP_URI = re.compile(
    r"sip:([^@\s<>\";]{1,64})@([A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]+\])(?::([0-9]{1,5}))?", re.IGNORECASE
)
CALLER_ID = re.compile(r"[^\s<>\"]{1,64}")

# An ended call's status from its record, in one expression (the list's filter and each item).
RESTCOMM_STATUS = Case(
    When(outcome=CallOutcome.IN_PROGRESS, then=Value(LIVE)),
    When(answer_time__isnull=False, then=Value("completed")),
    When(outcome=CallOutcome.CANCELLED, then=Value("canceled")),
    When(direction=OUTBOUND_API, dial_status__in=["busy", "no-answer", "failed", "canceled"], then=F("dial_status")),
    When(outcome=CallOutcome.REJECTED, hangup_cause__icontains="busy", then=Value("busy")),
    When(
        outcome__in=[CallOutcome.COMPLETED, CallOutcome.CALLER_HANGUP, CallOutcome.TRANSFERRED, CallOutcome.VOICEMAIL],
        then=Value("completed"),
    ),
    default=Value("failed"),
    output_field=CharField(),
)


def calls_of(account: TelephonyAccount) -> QuerySet[Any]:
    """The calls of the account and the accounts below it: those that name one of them, and the AA
    calls of their enterprises; each with `restcomm_status` (LIVE while the call goes on)."""
    below = accounts.below(account)
    enterprises = below.exclude(enterprise_sid__isnull=True).exclude(enterprise_sid="").values("enterprise_sid")
    mine = Q(account_sid__in=below.values("sid")) | Q(enterprise_sid__in=enterprises)
    return CallRecord.objects.filter(mine).annotate(restcomm_status=RESTCOMM_STATUS)


def status_of(record: CallRecord, live: dict[str, dict[str, str]] | None = None) -> str:
    """A call's status as Restcomm names it; `live`: the index's entries (live_calls.statuses)."""
    status = (
        getattr(record, "restcomm_status", None)
        or CallRecord.objects.filter(pk=record.pk)
        .annotate(restcomm_status=RESTCOMM_STATUS)
        .values_list("restcomm_status", flat=True)
        .first()
    )
    if status != LIVE:
        return status or "failed"
    entry = (live if live is not None else live_calls.statuses([record.call_sid])).get(record.call_sid)
    return entry["status"] if entry else "in-progress"


def _day(value: str, name: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        raise RestcommError(400, f"{name} must be a date, YYYY-MM-DD") from None


def filtered(calls: QuerySet[Any], params: dict[str, str]) -> QuerySet[Any]:
    """The list's filters: From, To, Status, StartTime (a day; `StartTime>` on or after, `StartTime<`
    on or before: how `StartTime>=…` and `StartTime<=…` arrive), ParentCallSid."""
    if params.get("From"):
        calls = calls.filter(from_number=params["From"])
    if params.get("To"):
        calls = calls.filter(to_number=params["To"])
    if params.get("ParentCallSid"):
        calls = calls.filter(parent_call_sid=params["ParentCallSid"])
    for key, lookup in (("StartTime", "start_time__date"), ("StartTime>", "start_time__date__gte")):
        if params.get(key):
            calls = calls.filter(**{lookup: _day(params[key], key)})
    if params.get("StartTime<"):
        calls = calls.filter(start_time__date__lte=_day(params["StartTime<"], "StartTime<"))
    status = (params.get("Status") or "").strip().lower()
    if status:
        if status not in STATUSES:
            raise RestcommError(400, f"Status must be one of {', '.join(STATUSES)}")
        if status in ENDED_STATUSES:
            return calls.filter(restcomm_status=status)
        live = calls.filter(restcomm_status=LIVE)
        entries = live_calls.statuses(live.values_list("call_sid", flat=True))
        if status == "in-progress":  # a live call the index does not know is in progress
            others = [sid for sid, entry in entries.items() if entry["status"] != status]
            return live.exclude(call_sid__in=others)
        return live.filter(call_sid__in=[sid for sid, entry in entries.items() if entry["status"] == status])
    return calls


# Placing a call.


@dataclass(frozen=True)
class OutboundCall:
    """A call to place, checked: `to` a number, `client:<login>` or `sip:user@host[:port]`."""

    caller: str
    to: str
    url: str
    method: str = "POST"
    fallback_url: str = ""
    fallback_method: str = "POST"
    status_callback: str = ""
    status_callback_method: str = "POST"
    timeout: int = 60


def _method(params: dict[str, str], name: str) -> str:
    value = (params.get(name) or "POST").strip().upper()
    if value not in METHODS:
        raise RestcommError(400, f"{name} must be GET or POST")
    return value


def _url(params: dict[str, str], name: str, required: bool = False) -> str:
    value = (params.get(name) or "").strip()
    if not value:
        if required:
            raise RestcommError(400, f"{name} is required", code=21205)
        return ""
    if not voice_application.is_absolute_http_url(value):
        raise RestcommError(400, f"{name} is not a valid http or https URL: {value[:100]}", code=21502)
    return value


def check_to(to: str) -> str:
    """A call's To as it is dialled; RestcommError when it is none of the three forms."""
    to = to.strip()
    if not to:
        raise RestcommError(400, "To is required", code=21201)
    if CLIENT.fullmatch(to):
        return to
    if to.lower().startswith("sip:"):
        found = SIP_URI.fullmatch(to)
        if found is None or (found.group(3) and not 0 < int(found.group(3)) < 65536):
            raise RestcommError(400, f"To is not a SIP URI sip:user@host[:port]: {to[:100]}", code=21401)
        return to
    number = re.sub(r"[\s().-]", "", to)
    if not NUMBER.fullmatch(number):
        raise RestcommError(400, f"To is not a phone number, client:<login> or sip:user@host: {to[:100]}", code=21401)
    return number


def outbound_call(params: dict[str, str]) -> OutboundCall:
    """The create request's parameters, checked (From, To, Url required; methods GET or POST;
    Timeout 1–600 s, 60 by default)."""
    caller = (params.get("From") or "").strip()
    if not caller:
        raise RestcommError(400, "From is required", code=21213)
    if not CALLER_ID.fullmatch(caller):
        raise RestcommError(400, "From is a caller ID of at most 64 characters, without spaces", code=21212)
    to = check_to(params.get("To") or "")
    url = _url(params, "Url", required=True)
    timeout_text = (params.get("Timeout") or "60").strip()
    if not timeout_text.isdigit() or not 1 <= int(timeout_text) <= TIMEOUT_MAX:
        raise RestcommError(400, f"Timeout must be a whole number of seconds from 1 to {TIMEOUT_MAX}")
    return OutboundCall(
        caller=caller,
        to=to,
        url=url,
        method=_method(params, "Method"),
        fallback_url=_url(params, "FallbackUrl"),
        fallback_method=_method(params, "FallbackMethod"),
        status_callback=_url(params, "StatusCallback"),
        status_callback_method=_method(params, "StatusCallbackMethod"),
        timeout=int(timeout_text),
    )


def check_client(account: TelephonyAccount, to: str) -> None:
    """`client:<login>` calls a Client of the account or of an account below it; any other login
    (another tenant's phone) is refused as unknown."""
    found = CLIENT.fullmatch(to)
    if found and not SipClient.objects.filter(login=found.group(1), account__in=accounts.below(account)).exists():
        raise RestcommError(404, f"The client {found.group(1)} was not found", code=21401)


def _unreachable(exc: Exception) -> RestcommError:
    return RestcommError(503, f"The call could not be placed: {exc}")


def place_call(account: TelephonyAccount, call: OutboundCall) -> CallRecord:
    """Ask a running executor to place the call; its record (queued, outbound-api) once it took it.

    The record and the executor's yes are one step: the record is written in a transaction that
    commits only when the executor answered 201 (nothing is left when it refuses or is away). The
    index names the executor before it is asked, so the call can be modified as soon as it exists."""
    check_client(account, call.to)
    try:
        chosen = live_calls.pick_executor()
    except live_calls.ExecutorUnreachable as exc:
        raise _unreachable(exc) from None
    call_sid = "CA" + uuid.uuid4().hex
    start = CallStart(
        call_sid=call_sid,
        aa_system_sid="",
        start_time=timezone.now(),
        from_number=call.caller,
        to_number=call.to,
        executor=chosen.name,
        account_sid=account.sid,
        direction=OUTBOUND_API,
    )
    request = {
        "callSid": call_sid,
        "accountSid": account.sid,
        "from": call.caller,
        "to": call.to,
        "url": call.url,
        "method": call.method,
        "fallbackUrl": call.fallback_url,
        "fallbackMethod": call.fallback_method,
        "statusCallback": call.status_callback,
        "statusCallbackMethod": call.status_callback_method,
        "timeout": call.timeout,
    }
    live_calls.track(call_sid, chosen.name, "queued")
    try:
        with transaction.atomic():
            record_call_start(start)
            status, answer = live_calls.control(chosen, "POST", "/calls", request)
            if status != 201:
                raise live_calls.ExecutorUnreachable(
                    f"the executor {chosen.name} refused it ({status}: {answer.get('error', '')})"
                )
    except live_calls.ExecutorUnreachable as exc:
        live_calls.forget([call_sid])
        raise _unreachable(exc) from None
    return calls_of(account).get(call_sid=call_sid)


# Modifying a live call.


@dataclass(frozen=True)
class Modification:
    url: str = ""
    method: str = "POST"
    status: str = ""  # completed or canceled


def modification(params: dict[str, str]) -> Modification:
    status = (params.get("Status") or "").strip().lower()
    if status and status not in ("completed", "canceled"):
        raise RestcommError(400, "Status must be completed or canceled")
    url = _url(params, "Url")
    if not url and not status:
        raise RestcommError(400, "Url or Status is required", code=21205)
    return Modification(url=url, method=_method(params, "Method"), status=status)


def _not_live(call_sid: str) -> RestcommError:
    return RestcommError(400, f"The call {call_sid} is not in progress: it cannot be redirected or ended", code=21220)


def modify_call(record: CallRecord, change: Modification) -> str:
    """Redirect (`Url`) or end (`Status`) a live call, through the executor that holds it; the
    call's status after it. Errors: 400 (21220) a call not live; 409 `canceled` for a call in
    progress; 503 its executor is gone (no heartbeat) or does not answer."""
    where = live_calls.where(record.call_sid) if record.outcome == CallOutcome.IN_PROGRESS else None
    if where is None:
        raise _not_live(record.call_sid)
    if change.status == "canceled" and where["status"] == "in-progress":
        raise RestcommError(409, f"The call {record.call_sid} is in progress; end it with Status=completed")
    holder = live_calls.executor(where["executor"])
    if holder is None:
        raise RestcommError(
            503,
            f"The executor {where['executor']} that holds the call {record.call_sid} is not running "
            f"(no heartbeat for {live_calls.EXECUTOR_TTL} s): the call is lost",
        )
    body = {"status": change.status} if change.status else {"url": change.url, "method": change.method}
    try:
        status, answer = live_calls.control(holder, "POST", f"/calls/{record.call_sid}", body)
    except live_calls.ExecutorUnreachable as exc:
        raise RestcommError(503, f"The call {record.call_sid} cannot be reached: {exc}") from None
    if status == 404:
        raise _not_live(record.call_sid)
    if status == 409:
        raise RestcommError(409, f"The call {record.call_sid} is in progress; end it with Status=completed")
    if status != 200:
        raise RestcommError(503, f"The executor {holder.name} answered {status}: {answer.get('error', '')}")
    return str(answer.get("status") or where["status"])

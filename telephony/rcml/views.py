"""The RCML endpoints the call executor fetches, as Restcomm fetches an application's documents.

Authenticated by the executors' shared token (telephony.auth). Parameters arrive as Restcomm sends
them (CallSid, AccountSid, From, To, CallStatus, ApiVersion, Direction, CallerName, Digits,
DialCallStatus, RecordingUrl, RecordingDuration), by POST form or GET query; the call's state is in
the query string. The entry document's request also names the SIP Call-ID (SipCallId) and the
executor (Executor): serving it records the call. Plain Django views: this is the executor's hot
path (bench/rcml_fetch.py).
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from autoattendant.services.calls import CallStart, queue_call_start, record_call_start
from autoattendant.services.voicemail import store_voicemail_message
from telephony import live_calls
from telephony.rcml import cache, entry_credentials, flow
from telephony.rcml.compiler import PROMPTS, response, say
from telephony.rcml.verbs import (
    ACCOUNT_HEADER,
    INACTIVE_ACCOUNT,
    INACTIVE_SYSTEM,
    MENU_HEADER,
    REFUSAL_HEADER,
    SYSTEM_HEADER,
    UNKNOWN_NUMBER,
    VOICE_HEADERS,
)

logger = logging.getLogger(__name__)

XML = "text/xml; charset=utf-8"
APOLOGY = response(say("Sorry, we cannot take your call right now. Please try again later."), "<Hangup/>")
NOT_IN_SERVICE = response(say(PROMPTS["not_configured"]), "<Hangup/>")
REJECTED = response('<Reject reason="rejected"/>')
ENTRY_MENU = re.compile(r"[?&]path=([A-Z]{2}[0-9a-f]{32})&")


def executor_authorized(request: HttpRequest) -> bool:
    """The request carries the executors' shared token; every executor endpoint checks it."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip(), settings.EXECUTOR_TOKEN)


# What a handler answers: (status, document) or (status, document, headers).
Answer = tuple[int, str] | tuple[int, str, dict[str, str]]


def _params(request: HttpRequest) -> dict[str, str]:
    params = {key: request.GET.get(key, "") for key in request.GET}
    if request.method == "POST":
        params.update({key: request.POST.get(key, "") for key in request.POST})
    return params


def executor_view(handler: Callable[..., Answer]):
    """A handler answers (status, document) or (status, document, headers)."""

    @csrf_exempt
    def view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in ("GET", "POST"):
            return HttpResponse(APOLOGY, status=405, content_type=XML)
        authorized = executor_authorized(request)
        enterprise = None if authorized else entry_credentials.enterprise_of(request)
        if not authorized and enterprise is None:
            return HttpResponse(REJECTED, status=401, content_type=XML, headers={"WWW-Authenticate": "Bearer"})
        if enterprise and not entry_credentials.allowed(enterprise, kwargs):
            return HttpResponse(APOLOGY, status=404, content_type=XML)  # another enterprise's: as missing
        headers = None
        scope = entry_credentials.scope.set(enterprise)
        try:
            status, document, *extra = handler(_params(request), *args, **kwargs)
            if extra:
                headers = extra[0]
        except flow.UnknownStep as exc:
            logger.info("RCML request for an unknown step %s: %s", request.path, exc)
            status, document = 400, APOLOGY
        finally:
            entry_credentials.scope.reset(scope)
        return HttpResponse(document, status=status, content_type=XML, headers=headers)

    view.__name__ = handler.__name__
    return view


@executor_view
def voice(params: dict[str, str]) -> Answer:
    """The entry for a call to a number: for an AA number, the menu its schedules pick right now;
    for a number routed to an RCML application, the application itself.

    The executor asks nothing before it: the answer names the call's account (`X-Account-Sid`) and
    the AA system (`X-AA-System`) beside the document the simulator and any RCML client read, or
    the application (`X-Voice-Url` and its kin, verbs.VOICE_HEADERS) with no document, or why nobody
    takes the call (`X-AA-Refusal`: `unknown-number` with the 404 — a closed account's number too —,
    `inactive-aa-system` or `inactive-account` (suspended) with the Reject). `at` (ISO date-time)
    evaluates the schedules at another moment, for the call simulator.
    """
    found = entry_credentials.find(params.get("To") or params.get("Called") or "")
    if found is None:
        return 404, NOT_IN_SERVICE, {REFUSAL_HEADER: UNKNOWN_NUMBER}
    target = found[1]
    account_sid = target.get("account") or ""
    account = {ACCOUNT_HEADER: account_sid} if account_sid else {}
    if target.get("suspended"):
        return 200, REJECTED, {**account, REFUSAL_HEADER: INACTIVE_ACCOUNT}
    application = target.get("application")
    if application:
        _record_call_start(params, "", account_sid)
        return 200, "", {**account, **{VOICE_HEADERS[name]: value for name, value in application.items() if value}}
    if not target["active"]:
        return 200, REJECTED, {**account, REFUSAL_HEADER: INACTIVE_SYSTEM}
    system = {**account, SYSTEM_HEADER: target["sid"]}
    plan = cache.plan(target["sid"], target["version"]) if target["version"] else None
    if plan is None:
        return 503, APOLOGY, system
    at = _moment(params.get("at"))
    document = flow.entry(plan, at)
    _record_call_start(params, target["sid"], account_sid)
    # The menu the schedules chose: its document's state (`path=MN…&`) names it.
    chosen = ENTRY_MENU.search(document)
    return 200, document, {**system, MENU_HEADER: chosen.group(1)} if chosen else system


def _record_call_start(params: dict[str, str], aa_system_sid: str, account_sid: str) -> None:
    """The call begins for the portal: recorded IN_PROGRESS (autoattendant.services.calls), so it is
    in the records even if its executor dies with it. Queued (one Redis round trip, which also
    indexes the live call under its executor), stored by the writer within seconds; stored here
    when Redis fails. Only a call names its SIP Call-ID (the
    console's simulated calls do not). A database that fails here does not fail the call: its
    executor's end report stores it then."""
    call_sid, sip_call_id = params.get("CallSid") or "", params.get("SipCallId") or ""
    if not call_sid or not sip_call_id or len(call_sid) > 255:
        return
    start = CallStart(
        call_sid=call_sid,
        aa_system_sid=aa_system_sid,
        start_time=datetime.now(UTC),
        from_number=(params.get("From") or "")[:255],
        to_number=(params.get("To") or params.get("Called") or "")[:255],
        sip_call_id=sip_call_id[:255],
        executor=(params.get("Executor") or "")[:255],
        account_sid=account_sid,
    )
    status = params.get("CallStatus") or "ringing"

    def index(pipe=None) -> None:
        """The Calls API reaches the call through its executor (telephony.live_calls)."""
        if start.executor:
            live_calls.track(call_sid, start.executor, status, pipe)

    if cache.try_redis(lambda: queue_call_start(start, also=index), False):
        return
    cache.try_redis(index, None)
    try:
        record_call_start(start)
    except DatabaseError:
        logger.warning("call %s not recorded at its entry document", call_sid, exc_info=True)


def _moment(value: str | None) -> datetime:
    if value:
        try:
            moment = datetime.fromisoformat(value.replace(" ", "+"))
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        except ValueError:
            pass
    return datetime.now(UTC)


def _step(handler: Callable[..., str]):
    @executor_view
    def step(params: dict[str, str], aa_sid: str, version: int, **kwargs) -> tuple[int, str]:
        plan = cache.plan(aa_sid, version)
        if plan is None:
            return 404, APOLOGY
        return 200, handler(plan, params=params, **kwargs)

    step.__name__ = handler.__name__
    return step


@executor_view
def menu(params: dict[str, str], aa_sid: str, version: int, menu_sid: str) -> Answer:
    """A menu's document; `X-AA-Menu` names the menu, for the call record's menu path."""
    plan = cache.plan(aa_sid, version)
    if plan is None:
        return 404, APOLOGY
    return 200, flow.menu(plan, menu_sid, params), {MENU_HEADER: menu_sid}


menu_input = _step(lambda plan, params, menu_sid: flow.menu_input(plan, menu_sid, params))
extension = _step(lambda plan, params: flow.extension_prompt(plan, params))
extension_input = _step(lambda plan, params: flow.extension_input(plan, params))
directory = _step(lambda plan, params: flow.directory_prompt(plan, params))
directory_input = _step(lambda plan, params: flow.directory_input(plan, params))
directory_choice = _step(lambda plan, params: flow.directory_choice(plan, params))
dial_done = _step(lambda plan, params: flow.dial_done(plan, params))
voicemail = _step(lambda plan, params: flow.voicemail_prompt(plan, params))


def _voicemail_done(plan, params) -> str:
    box = params.get("box") or "system"
    recording = params.get("RecordingUrl") or ""
    if recording:
        try:
            duration = max(0, int(float(params.get("RecordingDuration") or 0)))
        except ValueError:
            duration = 0
        store_voicemail_message(
            aa_system_sid=plan["aaSystemSid"],
            extension_sid=box if box in plan["voicemailBoxes"] else "",
            call_sid=(params.get("CallSid") or "")[:64],
            caller=(params.get("From") or "")[:128],
            recording_url=recording[:500],
            duration_seconds=duration,
        )
    return flow.voicemail_saved(plan, params)


voicemail_done = _step(_voicemail_done)

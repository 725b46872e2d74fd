"""The call simulator: a caller's walk through an AA number's published RCML, as the executor makes it.

Every document comes from the executor endpoints (telephony.rcml.urls) through Django's URL resolver
and the real views, in-process, with the executor's bearer token and the request parameters Restcomm
sends (CallSid, AccountSid, From, To, CallStatus, ApiVersion, Direction, CallerName, Digits,
DialCallStatus/DialCallSid/DialCallDuration). Each document is parsed by the executor's own parser
(telephony.rcml.verbs, with Restcomm's defaults) and its verbs run in order, with RCML's semantics
(chapter 3 of the Restcomm guide), so that "Test a call" is what a caller hears:

- Say / Play / Pause: an event each (a Play of an announcement names its `announcementSid`).
- Gather: its nested prompts, a Gather event, then the caller's next key entry (`{"input": "1"}`)
  submitted to its action as `Digits` (up to the finishing key, at most numDigits); with no entry
  left (or an empty one) `{"timeout": true}`, and with no digits to submit (only the finishing key),
  the Gather falls through to the next verb.
- Redirect: fetch its URL. Dial: a TRANSFER when the dialled party answers (`dial_status`
  "completed"; a Dial with no target fails); otherwise its action is fetched with that DialCallStatus
  and the walk goes on.
- Record: the caller is leaving a message (VOICEMAIL; nothing is stored). Hangup: HANGUP.
  Reject: REJECTED. A document that ends: HANGUP. More than MAX_FETCHES fetches: LOOP.

The trace: `{"menuPath": [menu SIDs, as the caller moves between menus: the documents' X-AA-Menu, as
the executor builds a call record's], "events": [...],
"outcome": {"type": ..., ...}}`; every fetch is an event too (`{"fetch": url, "status": 200, ...}`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

from django.conf import settings
from django.test import RequestFactory
from django.urls import Resolver404, resolve

from telephony.rcml import verbs

MAX_FETCHES = 100
ENTRY_URL = "/rcml/voice"
CALLER = "+15555550100"
DIAL_STATUSES = ("completed", "busy", "no-answer", "failed", "canceled")
ANNOUNCEMENT_AUDIO = re.compile(r"/autoattendant/announcement/(?P<sid>[^/?#]+)/audio\.wav")

# A document's observer, e.g. a schema check in tests: (url, HTTP status, body).
DocumentHook = Callable[[str, int, bytes], None]


class SimulationError(Exception):
    """The walk cannot go on: a URL that resolves to no endpoint, or a body that is not RCML."""


# What a caller may type at one Gather, and how many Gathers one simulation walks.
MAX_KEY_ENTRIES = 50
KEY_ENTRY = re.compile(r"^[0-9*#]{0,32}$")


def parse_keys(value: str | Iterable[str] | None) -> list[str]:
    """`"1,#,203"` -> `["1", "#", "203"]`; an empty entry (`"1,,2"`) is a timeout at that Gather."""
    if value is None:
        return []
    if isinstance(value, str):
        if not value.strip():
            return []
        return [part.strip() for part in value.split(",")]
    return [str(part).strip() for part in value]


def check_key_entries(entries: list[str]) -> list[str]:
    """The caller's key entries, or ValueError saying what is wrong (the API and the console's test call)."""
    if len(entries) > MAX_KEY_ENTRIES:
        raise ValueError(f"At most {MAX_KEY_ENTRIES} entries.")
    for entry in entries:
        if not KEY_ENTRY.match(entry):
            raise ValueError(f"{entry!r}: use the keys 0-9, * and #, at most 32 at a time.")
    return entries


def simulate(
    number: str,
    at: datetime | None,
    keys: list[str],
    *,
    dial_status: str = "completed",
    caller: str = CALLER,
    account_sid: str = "",
    on_document: DocumentHook | None = None,
) -> dict[str, Any]:
    """Walk a call to `number` at the moment `at` (None: now; naive: UTC), pressing `keys` in turn."""
    return _Walk(number, at, keys, dial_status, caller, account_sid, on_document).run()


def simulate_system(system, number_ref: str, at: datetime | None, keys: list[str], *, dial_status: str = "completed"):
    """A call to one of `system`'s AA numbers, as the API's simulate endpoint and the console's test
    call both make it: a number of another system is 491, a system never published 531."""
    from autoattendant.errors import AAError, Code

    number = aa_number(system, number_ref)
    if system.published_version is None:
        raise AAError(Code.NOT_PUBLISHED, {"sid": system.sid})
    return simulate(number, at, keys, dial_status=dial_status, account_sid=system.enterprise.sid)


def aa_number(system, ref: str) -> str:
    """The stored form of one of the system's AA numbers, given by value (with or without `+`) or SID."""
    from autoattendant.errors import AAError, Code

    ref = ref.strip()
    bare = ref.lstrip("+")
    candidates = {ref, bare, f"+{bare}"}
    for number, sid in system.phone_numbers.filter(is_extension=False).values_list("number", "sid"):
        if number in candidates or sid == ref:
            return number
    raise AAError(Code.NUMBER_NOT_ROUTED, {"number": ref})


class _Walk:
    def __init__(self, number, at, keys, dial_status, caller, account_sid, on_document):
        if dial_status not in DIAL_STATUSES:
            raise ValueError(f"dial_status must be one of {', '.join(DIAL_STATUSES)}")
        self.number = number
        self.at = at
        self.keys = list(keys)
        self.dial_status = dial_status
        self.on_document = on_document
        self.call_sid = "CA" + uuid.uuid4().hex
        account_sid = account_sid or "AC" + "0" * 32
        self.base_params = verbs.request_parameters(self.call_sid, account_sid, caller, number, caller, "in-progress")
        self.factory = RequestFactory()
        self.events: list[dict[str, Any]] = []
        self.menu_path: list[str] = []
        self.fetches = 0

    def run(self) -> dict[str, Any]:
        entry = dict(self.base_params)
        if self.at is not None:
            moment = self.at if self.at.tzinfo else self.at.replace(tzinfo=UTC)
            entry["at"] = moment.isoformat()
        outcome = self.document(ENTRY_URL, "POST", entry, via="call")
        return {"menuPath": self.menu_path, "events": self.events, "outcome": outcome}

    # Fetching.
    def fetch(self, url: str, method: str, params: dict[str, str], via: str) -> tuple[int, bytes]:
        self.fetches += 1
        parts = urlsplit(url)
        try:
            match = resolve(parts.path)
        except Resolver404:
            self.events.append({"fetch": url, "method": method, "via": via, "status": 404})
            raise SimulationError(f"{url} is not an RCML endpoint") from None
        headers = {"HTTP_AUTHORIZATION": f"Bearer {settings.EXECUTOR_TOKEN}"}
        if method == "GET":
            query = "&".join(filter(None, [parts.query, urlencode(params)]))
            request = self.factory.get(f"{parts.path}?{query}", **headers)
        else:
            target = f"{parts.path}?{parts.query}" if parts.query else parts.path
            request = self.factory.post(
                target, urlencode(params), content_type="application/x-www-form-urlencoded", **headers
            )
        response = match.func(request, *match.args, **match.kwargs)
        body = response.content
        verbs.extend_menu_path(self.menu_path, response.headers.get(verbs.MENU_HEADER))
        self.events.append({"fetch": url, "method": method, "via": via, "status": response.status_code})
        if self.on_document is not None:
            self.on_document(url, response.status_code, body)
        return response.status_code, body

    def document(self, url: str, method: str, params: dict[str, str], via: str) -> dict[str, Any]:
        """Fetch a document and run it, and the documents it leads to, to the call's outcome."""
        while True:
            if self.fetches >= MAX_FETCHES:
                return {"type": "LOOP", "fetches": self.fetches}
            try:
                _status, body = self.fetch(url, method, params, via)
                document = verbs.parse(body)
            except (SimulationError, verbs.RcmlError) as exc:
                return {"type": "ERROR", "url": url, "message": str(exc)}
            step = self.run_verbs(document, url)
            if "outcome" in step:
                return step["outcome"]
            url, method, params, via = step["url"], step["method"], step["params"], step["via"]

    # Running a document's verbs.
    def run_verbs(self, document: verbs.Document, url: str) -> dict[str, Any]:
        """Run verbs until one ends the call or moves it to another document."""
        for verb in document.verbs:
            if isinstance(verb, verbs.Say | verbs.Play | verbs.Pause):
                self.events.append(prompt_event(verb))
            elif isinstance(verb, verbs.Gather):
                step = self.gather(verb, url)
                if step is not None:
                    return step
            elif isinstance(verb, verbs.Redirect):
                return self.next(url, verb.url, verb.method, "Redirect", {})
            elif isinstance(verb, verbs.Dial):
                step = self.dial(verb, url)
                if step is not None:
                    return step
            elif isinstance(verb, verbs.Record):
                box = _query(urljoin(url, verb.action or "")).get("box", "system")
                self.events.append(
                    {
                        "verb": "Record",
                        "box": box,
                        "maxLength": _seconds(verb.max_length),
                        "finishOnKey": verb.finish_on_key,
                        "playBeep": verb.play_beep,
                    }
                )
                return {"outcome": {"type": "VOICEMAIL", "box": box}}
            elif isinstance(verb, verbs.Hangup):
                self.events.append({"verb": "Hangup"})
                return {"outcome": {"type": "HANGUP"}}
            elif isinstance(verb, verbs.Reject):
                self.events.append({"verb": "Reject", "reason": verb.reason})
                return {"outcome": {"type": "REJECTED", "reason": verb.reason}}
            else:
                self.events.append({"verb": verb.name, "unsupported": True})
        # RCML: with no verb left, the call ends.
        return {"outcome": {"type": "HANGUP", "implicit": True}}

    def next(self, url: str, target: str, method: str, via: str, params: dict[str, str]) -> dict[str, Any]:
        return {"url": urljoin(url, target), "method": method, "params": {**self.base_params, **params}, "via": via}

    def gather(self, verb: verbs.Gather, url: str) -> dict[str, Any] | None:
        action = urljoin(url, verb.action or "")
        for prompt in verb.prompts:
            self.events.append(prompt_event(prompt))
        event = {
            "verb": "Gather",
            "numDigits": verb.num_digits,
            "timeout": _seconds(verb.timeout),
            "finishOnKey": verb.finish_on_key,
        }
        menu_sid = self.menu_of(action)
        if menu_sid:
            event["menuSid"] = menu_sid
        self.events.append(event)
        entry = self.keys.pop(0) if self.keys else ""
        if not entry:
            self.events.append({"timeout": True})
            return None  # falls through to the next verb
        digits = verb.digits(entry)
        self.events.append({"input": entry} if digits == entry else {"input": entry, "digits": digits})
        if not digits:
            return None  # only the finishing key: nothing to submit, as with no input
        return self.next(url, action, verb.method, "Gather", {"Digits": digits})

    def dial(self, verb: verbs.Dial, url: str) -> dict[str, Any] | None:
        # The executor rings every target at once; the trace names the first, and with none the Dial fails.
        target = verb.targets[0] if verb.targets else verbs.DialTarget("number", "")
        status = self.dial_status if verb.targets else "failed"
        action = urljoin(url, verb.action) if verb.action else None
        extension = _query(action).get("ext") if action else None
        event = {"verb": "Dial", "target": target.value, "targetType": target.kind, "timeout": _seconds(verb.timeout)}
        if extension:
            event["extension"] = extension
        if verb.caller_id:
            event["callerId"] = verb.caller_id
        event["dialCallStatus"] = status
        self.events.append(event)
        if status == "completed":
            outcome = {"type": "TRANSFER", "target": target.value, "targetType": target.kind}
            if extension:
                outcome["extension"] = extension
            return {"outcome": outcome}
        if action is None:
            return None  # no action: on to the next verb
        params = {"DialCallStatus": status, "DialCallSid": "CA" + uuid.uuid4().hex, "DialCallDuration": "0"}
        return self.next(url, action, verb.method, "Dial", params)

    @staticmethod
    def menu_of(action: str) -> str | None:
        """The menu whose keys a Gather collects (its action is that menu's input endpoint)."""
        try:
            match = resolve(urlsplit(action).path)
        except Resolver404:
            return None
        return match.kwargs.get("menu_sid") if match.url_name == "rcml-input" else None


def prompt_event(verb: verbs.Prompt) -> dict[str, Any]:
    """A prompt as the caller hears it: Restcomm's defaults filled in (a `<Say>` without a voice is
    said by "man"), the loop count only when it is not 1."""
    if isinstance(verb, verbs.Say):
        event = {"verb": "Say", "text": verb.text, "voice": verb.voice, "language": verb.language}
    elif isinstance(verb, verbs.Play):
        found = ANNOUNCEMENT_AUDIO.search(verb.url)
        event = {"verb": "Play", "announcementSid": found["sid"] if found else None, "url": verb.url}
    else:
        return {"verb": "Pause", "length": _seconds(verb.length)}
    if verb.loop != 1:
        event["loop"] = verb.loop
    return event


def _query(url: str) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def _seconds(value: float) -> int | float:
    """Whole seconds as an int in the trace (`"timeout": 5`, not `5.0`)."""
    return int(value) if float(value).is_integer() else value


def describe(trace: dict[str, Any]) -> list[str]:
    """The trace as lines a person reads (the management command prints them)."""
    lines = []
    for event in trace["events"]:
        if "fetch" in event:
            lines.append(f"  {event['method']} {event['fetch']} -> {event['status']}")
        elif "input" in event:
            sent = f" (sends {event['digits']!r})" if "digits" in event else ""
            lines.append(f"    caller presses {event['input']}{sent}")
        elif event.get("timeout") is True and "verb" not in event:
            lines.append("    caller presses nothing: timeout")
        elif event.get("verb") == "Say":
            lines.append(f"    Say: {event['text']}")
        elif event.get("verb") == "Play":
            what = f"announcement {event['announcementSid']}" if event["announcementSid"] else event["url"]
            lines.append(f"    Play: {what}")
        elif event.get("verb") == "Pause":
            lines.append(f"    Pause: {event['length']} s")
        elif event.get("verb") == "Gather":
            menu = f" for menu {event['menuSid']}" if event.get("menuSid") else ""
            lines.append(
                f"    Gather{menu}: numDigits={event['numDigits'] or 'any'} timeout={event['timeout']}s "
                f"finishOnKey={event['finishOnKey']!r}"
            )
        elif event.get("verb") == "Dial":
            extension = f" (extension {event['extension']})" if event.get("extension") else ""
            lines.append(f"    Dial {event['targetType']} {event['target']}{extension}: {event['dialCallStatus']}")
        elif event.get("verb") == "Record":
            lines.append(f"    Record: voicemail box {event['box']}")
        else:
            details = ", ".join(f"{key}={value}" for key, value in event.items() if key != "verb")
            lines.append(f"    {event.get('verb')}{': ' + details if details else ''}")
    lines.append("Menu path: " + (" > ".join(trace["menuPath"]) or "(none)"))
    outcome = trace["outcome"]
    details = ", ".join(f"{key}={value}" for key, value in outcome.items() if key != "type")
    lines.append(f"Outcome: {outcome['type']}" + (f" ({details})" if details else ""))
    return lines

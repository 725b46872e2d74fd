"""RCML documents (chapter 3 of the Restcomm guide) parsed into the verbs a call runs in order.

The one reading of RCML: the executor runs these verbs on a real call and the call simulator walks
them for "Test a call", so a verb, an attribute or a default changes here for both. Attribute
defaults are Restcomm's (Tables 3.3 to 3.23). Verbs an auto attendant never uses (Sms, Fax,
Conference) are kept as `Unsupported` so a document with one still runs the rest. What both send
with each request for a document, and how both build a call's menu path, are here for the same reason.

Pure: the standard library only (no Django, no asyncio), so the executor may import it. The standard
library's parser is enough for documents from the portal (expat refuses external entities).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field

RECORD_FINISH_KEYS = "1234567890*#"
API_VERSION = "2012-04-24"
# Not RCML but the portal's: the header naming the menu a document plays (the entry document's and a
# menu's own), from which a call's menu path is built, by the executor and the simulator alike.
MENU_HEADER = "X-AA-Menu"
# The entry document's answer also tells the executor who answers the call, so that a call costs the
# portal one request: the AA system (its call record's aaSystemSid, and the AccountSid of the call's
# next requests), or why there is none (the executor refuses the call in SIP, and records nothing).
SYSTEM_HEADER = "X-AA-System"
REFUSAL_HEADER = "X-AA-Refusal"
UNKNOWN_NUMBER = "unknown-number"  # 404: no AA system or application answers the number (SIP 404)
INACTIVE_SYSTEM = "inactive-aa-system"  # its AA system is inactive (SIP 480)
INACTIVE_ACCOUNT = "inactive-account"  # its account (or one above it) is suspended (SIP 480)
# Every entry answer names the call's account (TelephonyAccount.sid): the AccountSid of its requests.
ACCOUNT_HEADER = "X-Account-Sid"
# A number routed to an RCML application (its VoiceUrl) has no entry document: the entry's answer (a
# 200 with no body) names the application, and the executor fetches its documents itself.
VOICE_HEADERS = {
    "voice_url": "X-Voice-Url",
    "voice_method": "X-Voice-Method",
    "fallback_url": "X-Voice-Fallback-Url",
    "fallback_method": "X-Voice-Fallback-Method",
    "status_callback": "X-Status-Callback",
    "status_callback_method": "X-Status-Callback-Method",
}


class RcmlError(ValueError):
    """The body is not an RCML document (not XML, or the root is not <Response>)."""


@dataclass(frozen=True)
class Say:
    text: str
    voice: str = "man"
    language: str = "en"
    loop: int = 1  # 0: until the call is hung up


@dataclass(frozen=True)
class Play:
    url: str
    loop: int = 1  # 0: until the call is hung up


@dataclass(frozen=True)
class Pause:
    length: float = 1.0


Prompt = Say | Play | Pause


@dataclass(frozen=True)
class Gather:
    action: str | None = None  # None: the current document's URL
    method: str = "POST"
    timeout: float = 5.0
    finish_on_key: str = "#"  # one key, or "" (no key ends the entry)
    num_digits: int | None = None  # None: unlimited
    prompts: tuple[Prompt, ...] = ()

    def finishes(self, key: str) -> bool:
        """The finishing key ends the entry and is not sent."""
        return bool(self.finish_on_key) and key == self.finish_on_key

    def complete(self, digits: str) -> bool:
        """With numDigits, the entry is submitted as soon as it has that many digits."""
        return self.num_digits is not None and len(digits) >= self.num_digits

    def digits(self, keys: Iterable[str]) -> str:
        """The Digits submitted for keys pressed in turn (an empty string: nothing to submit)."""
        digits = ""
        for key in keys:
            if self.finishes(key):
                break
            digits += key
            if self.complete(digits):
                break
        return digits


@dataclass(frozen=True)
class Record:
    action: str | None = None  # None: the current document's URL
    method: str = "POST"
    timeout: float = 5.0  # seconds of silence that end the recording
    finish_on_key: str = RECORD_FINISH_KEYS  # any of these keys ends the recording
    max_length: float = 3600.0
    play_beep: bool = True
    # Transcription is accepted but not done yet: the action (and the callback) hear it failed.
    transcribe: bool = False  # implied by transcribe_callback
    transcribe_callback: str | None = None


@dataclass(frozen=True)
class DialTarget:
    kind: str  # "number" | "client" | "uri"
    value: str


@dataclass(frozen=True)
class Dial:
    targets: tuple[DialTarget, ...] = ()
    action: str | None = None  # None: on to the next verb when the dialled call ends
    method: str = "POST"
    timeout: float = 30.0
    time_limit: float = 14400.0
    caller_id: str | None = None


@dataclass(frozen=True)
class Redirect:
    url: str  # "": the current document's URL
    method: str = "POST"


@dataclass(frozen=True)
class Hangup:
    pass


@dataclass(frozen=True)
class Reject:
    reason: str = "rejected"  # "rejected" | "busy"


@dataclass(frozen=True)
class Unsupported:
    name: str


Verb = Say | Play | Pause | Gather | Record | Dial | Redirect | Hangup | Reject | Unsupported


@dataclass(frozen=True)
class Document:
    verbs: tuple[Verb, ...] = field(default_factory=tuple)


def request_parameters(
    call_sid: str, account_sid: str, caller: str, called: str, caller_name: str, status: str
) -> dict[str, str]:
    """What every request for a document carries, as Restcomm sends it (3.1, RestComm Request)."""
    return {
        "CallSid": call_sid,
        "AccountSid": account_sid,
        "From": caller,
        "To": called,
        "CallerName": caller_name,
        "CallStatus": status,
        "ApiVersion": API_VERSION,
        "Direction": "inbound",
    }


def extend_menu_path(path: list[str], menu_sid: str | None) -> None:
    """The menu a document plays joins the call's menu path, unless the caller is already in it (a
    menu played again after a wrong key or a timeout)."""
    if menu_sid and (not path or path[-1] != menu_sid):
        path.append(menu_sid)


def _number(value: str | None, default: float, *, minimum: float = 0.0) -> float:
    try:
        number = float(value) if value not in (None, "") else default
    except ValueError:
        return default
    return max(minimum, number)


def _method(value: str | None) -> str:
    return "GET" if (value or "").strip().upper() == "GET" else "POST"


def _loop(value: str | None) -> int:
    return int(_number(value, 1))


def _text(element: ET.Element) -> str:
    return (element.text or "").strip()


def _say(element: ET.Element) -> Say:
    return Say(
        text=_text(element),
        voice=(element.get("voice") or "man").strip().lower(),
        language=(element.get("language") or "en").strip(),
        loop=_loop(element.get("loop")),
    )


def _prompt(element: ET.Element) -> Prompt | None:
    tag = element.tag
    if tag == "Say":
        return _say(element)
    if tag == "Play":
        return Play(url=_text(element), loop=_loop(element.get("loop")))
    if tag == "Pause":
        return Pause(length=_number(element.get("length"), 1.0, minimum=0.0))
    return None


def _gather(element: ET.Element) -> Gather:
    num_digits = element.get("numDigits")
    return Gather(
        action=element.get("action") or None,
        method=_method(element.get("method")),
        timeout=_number(element.get("timeout"), 5.0, minimum=1.0),
        finish_on_key=element.get("finishOnKey", "#")[:1],  # "The value can only be a single character."
        num_digits=int(_number(num_digits, 1, minimum=1)) if num_digits else None,
        prompts=tuple(p for p in (_prompt(child) for child in element) if p is not None),
    )


def _record(element: ET.Element) -> Record:
    callback = element.get("transcribeCallback") or None  # implies transcribe="true"
    return Record(
        action=element.get("action") or None,
        method=_method(element.get("method")),
        timeout=_number(element.get("timeout"), 5.0, minimum=1.0),
        finish_on_key=element.get("finishOnKey", RECORD_FINISH_KEYS),
        max_length=_number(element.get("maxLength"), 3600.0, minimum=1.0),
        play_beep=(element.get("playBeep") or "true").strip().lower() != "false",
        transcribe=(element.get("transcribe") or "").strip().lower() == "true" or callback is not None,
        transcribe_callback=callback,
    )


def _dial(element: ET.Element) -> Dial:
    targets = []
    nouns = {"Number": "number", "Client": "client", "Uri": "uri", "Sip": "uri"}
    for child in element:
        kind = nouns.get(child.tag)
        if kind and _text(child):
            targets.append(DialTarget(kind, _text(child)))
    if not targets and _text(element):
        targets.append(DialTarget("number", _text(element)))  # <Dial>1-444-555-666</Dial>
    return Dial(
        targets=tuple(targets),
        action=element.get("action") or None,
        method=_method(element.get("method")),
        timeout=_number(element.get("timeout"), 30.0, minimum=1.0),
        time_limit=_number(element.get("timeLimit"), 14400.0, minimum=1.0),
        caller_id=element.get("callerId") or None,
    )


def _verb(element: ET.Element) -> Verb:
    tag = element.tag
    prompt = _prompt(element)
    if prompt is not None:
        return prompt
    if tag == "Gather":
        return _gather(element)
    if tag == "Record":
        return _record(element)
    if tag == "Dial":
        return _dial(element)
    if tag == "Redirect":
        return Redirect(url=_text(element), method=_method(element.get("method")))
    if tag == "Hangup":
        return Hangup()
    if tag == "Reject":
        reason = (element.get("reason") or "rejected").strip().lower()
        return Reject(reason="busy" if reason == "busy" else "rejected")
    return Unsupported(tag)


def parse(body: str | bytes) -> Document:
    """The verbs of an RCML document, in order; RcmlError when the body is not one."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise RcmlError(f"not XML: {exc}") from exc
    if root.tag != "Response":
        raise RcmlError(f"the root element is <{root.tag}>, not <Response>")
    return Document(verbs=tuple(_verb(element) for element in root))

"""RCML documents (chapter 3 of the Restcomm guide) parsed into verbs the call runs in order.

Attribute defaults are Restcomm's. Verbs an auto attendant never uses (Sms, Fax, Conference) are
kept as `Unsupported` so a document with one still runs the rest and the log says what was skipped.
Documents come from the portal the executor is configured with; the standard library's parser is
enough (expat refuses external entities).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field


class RcmlError(ValueError):
    """The body is not an RCML document (not XML, or the root is not <Response>)."""


@dataclass(frozen=True)
class Say:
    text: str
    voice: str = "man"
    language: str = "en"
    loop: int = 1


@dataclass(frozen=True)
class Play:
    url: str
    loop: int = 1


@dataclass(frozen=True)
class Pause:
    length: float = 1.0


@dataclass(frozen=True)
class Gather:
    action: str | None = None
    method: str = "POST"
    timeout: float = 5.0
    finish_on_key: str = "#"
    num_digits: int | None = None
    prompts: tuple[Say | Play | Pause, ...] = ()


@dataclass(frozen=True)
class Record:
    action: str | None = None
    method: str = "POST"
    timeout: float = 5.0
    finish_on_key: str = "1234567890*#"
    max_length: float = 3600.0
    play_beep: bool = True


@dataclass(frozen=True)
class DialTarget:
    kind: str  # "number" | "client" | "uri"
    value: str


@dataclass(frozen=True)
class Dial:
    targets: tuple[DialTarget, ...] = ()
    action: str | None = None
    method: str = "POST"
    timeout: float = 30.0
    time_limit: float = 14400.0
    caller_id: str | None = None


@dataclass(frozen=True)
class Redirect:
    url: str
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


def _say(element: ET.Element) -> Say:
    return Say(
        text=(element.text or "").strip(),
        voice=(element.get("voice") or "man").strip().lower(),
        language=(element.get("language") or "en").strip(),
        loop=_loop(element.get("loop")),
    )


def _prompt(element: ET.Element) -> Say | Play | Pause | None:
    tag = element.tag
    if tag == "Say":
        return _say(element)
    if tag == "Play":
        return Play(url=(element.text or "").strip(), loop=_loop(element.get("loop")))
    if tag == "Pause":
        return Pause(length=_number(element.get("length"), 1.0, minimum=0.0))
    return None


def _dial(element: ET.Element) -> Dial:
    targets = []
    nouns = {"Number": "number", "Client": "client", "Uri": "uri", "Sip": "uri"}
    for child in element:
        kind = nouns.get(child.tag)
        if kind and (child.text or "").strip():
            targets.append(DialTarget(kind, child.text.strip()))
    if not targets and (element.text or "").strip():
        targets.append(DialTarget("number", element.text.strip()))  # <Dial>1-444-555-666</Dial>
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
        num_digits = element.get("numDigits")
        return Gather(
            action=element.get("action") or None,
            method=_method(element.get("method")),
            timeout=_number(element.get("timeout"), 5.0, minimum=1.0),
            finish_on_key=element.get("finishOnKey", "#")[:1],
            num_digits=int(_number(num_digits, 1, minimum=1)) if num_digits else None,
            prompts=tuple(p for p in (_prompt(child) for child in element) if p is not None),
        )
    if tag == "Record":
        return Record(
            action=element.get("action") or None,
            method=_method(element.get("method")),
            timeout=_number(element.get("timeout"), 5.0, minimum=1.0),
            finish_on_key=element.get("finishOnKey", "1234567890*#"),
            max_length=_number(element.get("maxLength"), 3600.0, minimum=1.0),
            play_beep=(element.get("playBeep") or "true").strip().lower() != "false",
        )
    if tag == "Dial":
        return _dial(element)
    if tag == "Redirect":
        return Redirect(url=(element.text or "").strip(), method=_method(element.get("method")))
    if tag == "Hangup":
        return Hangup()
    if tag == "Reject":
        reason = (element.get("reason") or "rejected").strip().lower()
        return Reject(reason="busy" if reason == "busy" else "rejected")
    return Unsupported(tag)


def parse(body: str | bytes) -> Document:
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise RcmlError(f"not XML: {exc}") from exc
    if root.tag != "Response":
        raise RcmlError(f"the root element is <{root.tag}>, not <Response>")
    return Document(verbs=tuple(_verb(element) for element in root))

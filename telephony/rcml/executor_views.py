"""The executor's other endpoints, beside the RCML documents: speech, recordings and call records.
JSON (or WAV) in and out, `Authorization: Bearer $EXECUTOR_TOKEN` on every request (401 otherwise).
Who answers a number is not asked here: the entry document's answer says it (telephony.rcml.views).

    GET  /rcml/speech?text=&voice=&language=    <Say> text as 8 kHz WAV, rendered once and kept
    POST /rcml/recording?CallSid=&AccountSid=   a recording (WAV body) -> {"url": "/rcml/recording/<sid>.wav",
                                      "recordingUrl": the Restcomm API's URL of it, for the account}
    GET  /rcml/recording/<sid>.wav    that recording
    POST /rcml/call                   a call's end (CDR): queued, completes its record, idempotent by callSid
    POST /rcml/notification           an error met during a call (a failed fetch, a document that did
                                      not parse): stored as a Notification of the call's account

Plain Django views, like the RCML ones (telephony.rcml.views): the executor's hot path.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import os
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from autoattendant import recordings
from autoattendant.choices import CALL_ENDINGS
from autoattendant.models import CallRecord
from autoattendant.services.calls import CallReport, queue_call_reports, record_call, record_calls
from telephony import live_calls
from telephony.models import Notification, Recording
from telephony.rcml import cache
from telephony.rcml.compiler import say_language
from telephony.rcml.views import executor_authorized
from telephony.restcomm.base import PREFIX as RESTCOMM_PREFIX

logger = logging.getLogger(__name__)

SPEECH_MAX_CHARS = 1000
SPEECH_VOICES = ("woman", "man")
SPEECH_CACHE_CONTROL = "private, max-age=86400"
RECORDING_MAX_BYTES = 20 * 1024 * 1024
CALL_MAX_BYTES = 64 * 1024
MAX_BATCH = 500  # call records in one request
# <Say> languages (RCML's codes, telephony.rcml.compiler.SAY_LANGUAGES) as espeak-ng speaks them.
ESPEAK_LANGUAGES = {
    "en": "en-us",
    "en-gb": "en-gb",
    "bf": "fr-be",
    "bp": "pt-br",
    "cf": "fr",  # espeak-ng has no Canadian French
    "cs": "cs",
    "dan": "da",
    "fi": "fi",
    "es": "es",
    "fr": "fr",
    "de": "de",
    "el": "el",
    "it": "it",
    "nl": "nl",
    "no": "nb",
    "pl": "pl",
    "pt": "pt",
    "ru": "ru",
    "ar": "ar",
    "ca": "ca",
    "sv": "sv",
    "tr": "tr",
}


def _error(status: int, message: str, **extra: Any) -> JsonResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JsonResponse({"error": message, **extra}, status=status, headers=headers)


def executor_endpoint(*methods: str):
    """Token check and allowed methods; the view itself answers JSON or audio."""

    def decorate(handler):
        @csrf_exempt
        def view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method not in methods and not (request.method == "HEAD" and "GET" in methods):
                return _error(405, "method not allowed")
            if not executor_authorized(request):
                return _error(401, "unauthorized")
            return handler(request, *args, **kwargs)

        view.__name__ = handler.__name__
        view.__doc__ = handler.__doc__
        return view

    return decorate


# Speech.


def espeak_language(code: str) -> str | None:
    """An RCML <Say> language (`en`, `en-gb`, `bp`, `es`…) as espeak-ng's; an espeak-ng language
    code itself (`en-us`, `ja`) is taken as it is. None when espeak-ng cannot speak it."""
    rcml = say_language(code)
    if rcml is not None:
        return ESPEAK_LANGUAGES.get(rcml, rcml)
    from speech.tts import known_languages

    code = (code or "").strip().lower().replace("_", "-")
    return code if code in (known_languages() or ()) else None


# Renders of one text wait for each other in this process (another process may render it too: the
# file is replaced atomically, and both renders are the same).
_render_locks = [threading.Lock() for _ in range(64)]


def speech_name(text: str, voice: str, language: str) -> str:
    from speech.tts import voice_name

    digest = hashlib.sha256(f"v1\0{voice_name(language, voice)}\0{text}".encode()).hexdigest()
    return f"speech/{digest[:2]}/{digest}.wav"


def _render_speech(text: str, voice: str, language: str, name: str) -> None:
    from speech.tts import render

    target = Path(default_storage.path(name))
    with _render_locks[int(Path(name).stem[:8], 16) % len(_render_locks)]:
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, partial = tempfile.mkstemp(dir=target.parent, prefix=".render-", suffix=".wav")
        os.close(handle)
        try:
            render(text, language, voice, partial)
            os.replace(partial, target)
        finally:
            if os.path.exists(partial):
                os.unlink(partial)


@executor_endpoint("GET")
def speech(request: HttpRequest) -> HttpResponse:
    """`text` spoken by espeak-ng as 8 kHz mono 16-bit WAV; rendered once per (text, voice, language)."""
    return speech_response(
        request, request.GET.get("text", ""), request.GET.get("voice") or "woman", request.GET.get("language") or "en"
    )


def speech_response(request: HttpRequest, text: str, voice: str, language_code: str) -> HttpResponse:
    """The WAV of `text` as a caller hears it: for the executor, and for the console's test call."""
    from speech.audio import SpeechError
    from speech.wav_http import serve_wav

    voice = voice.strip().lower()
    errors = {}
    if not text.strip():
        errors["text"] = "There is no text to speak."
    elif len(text) > SPEECH_MAX_CHARS or "\x00" in text:
        errors["text"] = f"At most {SPEECH_MAX_CHARS} characters."
    if voice not in SPEECH_VOICES:
        errors["voice"] = "Use woman or man."
    language = espeak_language(language_code)
    if language is None:
        errors["language"] = f"Unknown language {language_code[:20]!r}."
    if errors:
        return _error(400, "invalid request", errors=errors)
    name = speech_name(text, voice, language)
    etag = f'"{Path(name).stem}"'
    if not default_storage.exists(name) and request.headers.get("If-None-Match") != etag:
        try:
            _render_speech(text, voice, language, name)
        except SpeechError as exc:
            logger.warning("Speech for the executor failed: %s", exc)
            return _error(500, "speech failed", detail=str(exc))
    response = serve_wav(
        request, default_storage, name, etag=etag, filename="speech.wav", cache_control=SPEECH_CACHE_CONTROL
    )
    return response if response is not None else _error(500, "speech failed")


# Recordings.


def _read_body(request: HttpRequest, limit: int) -> bytes | None:
    """The body, read as a stream (Django's in-memory limit is for forms); None when over `limit`."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return None
    chunks, total = [], 0
    while True:
        chunk = request.read(64 * 1024)
        if not chunk:
            break
        total += len(chunk)
        if total > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


@executor_endpoint("POST")
def recording_upload(request: HttpRequest) -> HttpResponse:
    """A recording the executor made (a WAV body) -> 201 `{"url": "/rcml/recording/<sid>.wav"}`."""
    call_sid = request.GET.get("CallSid", "")
    if not call_sid.strip() or len(call_sid) > 255:
        return _error(400, "invalid request", errors={"CallSid": "Required, at most 255 characters."})
    data = _read_body(request, RECORDING_MAX_BYTES)
    if data is None:
        return _error(413, f"A recording is at most {RECORDING_MAX_BYTES} bytes.")
    try:
        recordings.check_wav(data)
    except recordings.NotWav as exc:
        return _error(400, "invalid request", errors={"body": f"Not a WAV file: {exc}."})
    sid = recordings.store(data)
    account_sid = request.GET.get("AccountSid", "").strip()[:40] or (
        CallRecord.objects.filter(call_sid=call_sid).values_list("account_sid", flat=True).first() or ""
    )
    Recording.objects.create(sid=sid, account_sid=account_sid, call_sid=call_sid[:64], duration=wav_seconds(data))
    logger.info("Recording %s of call %s stored (%d bytes)", sid, call_sid, len(data))
    answer = {"url": recordings.url(sid)}
    if account_sid:  # where the account fetches it (Restcomm's RecordingUrl): an application has no token
        answer["recordingUrl"] = f"{RESTCOMM_PREFIX}/Accounts/{account_sid}/Recordings/{sid}.wav"
    return JsonResponse(answer, status=201)


def wav_seconds(data: bytes) -> float:
    """How long a WAV plays: its data chunk's size over the format's bytes per second (0 if unknown)."""
    position, byte_rate, size = 12, 0, 0
    while position + 8 <= len(data):
        chunk, length = data[position : position + 4], int.from_bytes(data[position + 4 : position + 8], "little")
        if chunk == b"fmt " and length >= 12:
            byte_rate = int.from_bytes(data[position + 16 : position + 20], "little")
        elif chunk == b"data":
            size = min(length, len(data) - position - 8)
            break
        position += 8 + length + (length & 1)
    return round(size / byte_rate, 2) if byte_rate else 0.0


@executor_endpoint("GET")
def recording(request: HttpRequest, sid: str) -> HttpResponse:
    from speech.wav_http import serve_wav

    if not recordings.SID_PATTERN.match(sid):
        return _error(404, "not found")
    response = serve_wav(
        request,
        default_storage,
        recordings.storage_name(sid),
        filename=f"{sid}.wav",
        cache_control="private, max-age=86400",
    )
    return response if response is not None else _error(404, "not found")


# Call records.


# A call record's fields: API name -> (CallReport field, longest length, may be null). Checked by hand,
# not by a DRF serializer: an executor reports every call, and a serializer costs ~0.7 ms a record,
# more than the rest of the call's way through the portal.
TEXT_FIELDS = {
    "callSid": ("call_sid", 255, False),
    "sipCallId": ("sip_call_id", 255, False),
    "from": ("from_number", 255, False),
    "to": ("to_number", 255, False),
    "aaSystemSid": ("aa_system_sid", 40, True),
    "accountSid": ("account_sid", 40, True),
    "dialStatus": ("dial_status", 32, True),
    "transferTarget": ("transfer_target", 255, True),
    "executor": ("executor", 255, False),
    "hangupCause": ("hangup_cause", 500, True),
}
LIST_FIELDS = {"menuPath": ("menu_path", 500, 40), "keys": ("keys", 1000, 64)}  # items at most, item length
TIME_FIELDS = {"startTime": "start_time", "answerTime": "answer_time", "endTime": "end_time"}
ENDINGS = [value for value, _ in CALL_ENDINGS]  # how a call may end, as the executor reports it


def _text(value: Any, longest: int) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("Not a valid string.")
    text = str(value).strip()
    if "\x00" in text:
        raise ValueError("Null characters are not allowed.")
    if len(text) > longest:
        raise ValueError(f"Ensure this field has no more than {longest} characters.")
    return text


def _moment(value: Any) -> datetime.datetime:
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise ValueError("Datetime has wrong format. Use ISO 8601.")
    return parsed if parsed.tzinfo else timezone.make_aware(parsed)


def call_report(item: Any) -> tuple[CallReport | None, dict[str, list[str]]]:
    """A call record as the executor posts it -> (the report, {}) or (None, errors by field)."""
    if not isinstance(item, dict):
        return None, {"non_field_errors": ["A JSON object is expected."]}
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, (attribute, longest, nullable) in TEXT_FIELDS.items():
        value = item.get(name)
        try:
            values[attribute] = "" if value is None and (nullable or name not in item) else _text(value, longest)
        except ValueError as exc:
            errors[name] = [str(exc)]
    if not values.get("call_sid") and "callSid" not in errors:
        errors["callSid"] = ["This field is required."]
    for name, (attribute, most, longest) in LIST_FIELDS.items():
        value = item.get(name, [])
        try:
            if not isinstance(value, list) or len(value) > most:
                raise ValueError(f"A list of at most {most} items is expected.")
            values[attribute] = [_text(part, longest) for part in value]
        except ValueError as exc:
            errors[name] = [str(exc)]
    outcome = item.get("outcome")
    if not isinstance(outcome, str) or outcome not in ENDINGS:
        errors["outcome"] = [f"Not one of {', '.join(ENDINGS)}."]
    values["outcome"] = item.get("outcome")
    for name, attribute in TIME_FIELDS.items():
        value = item.get(name)
        try:
            values[attribute] = None if value is None and name == "answerTime" else _moment(value)
        except ValueError as exc:
            errors[name] = [str(exc) if value is not None else "This field is required."]
    if errors:
        return None, errors
    start, answer, end = values["start_time"], values["answer_time"], values["end_time"]
    if end < start:
        return None, {"endTime": ["Before startTime."]}
    if answer is not None and not start <= answer <= end:
        return None, {"answerTime": ["Not between startTime and endTime."]}
    return CallReport(**values), {}


@executor_endpoint("POST")
def call_record(request: HttpRequest) -> HttpResponse:
    """A call's end (CDR), or a JSON list of them (at most MAX_BATCH: an executor reporting many
    calls a second batches them), validated here and queued -> 200 `{"queued": n}`; the writer
    (autoattendant.services.calls.store_queued_calls) stores a request's records together, within
    seconds. Each completes the record made when its entry document was served (or makes it);
    posting one again updates the same record. A call that names no AA system is not stored (the
    executor counts such calls itself). If one record is invalid, none is queued (400, errors by
    index for a list).

    When Redis fails, the records are stored before answering, as before the queue: 201
    `{"sid": "CA…"}` (200 `{"sid": null}` for a call not stored), or `{"sids": [...]}` for a list.
    """
    data = _read_body(request, CALL_MAX_BYTES * MAX_BATCH)
    if data is None:
        return _error(413, f"A call record is at most {CALL_MAX_BYTES} bytes, {MAX_BATCH} records a request.")
    try:
        body = json.loads(data)
    except (UnicodeDecodeError, ValueError):
        return _error(400, "invalid request", errors={"body": ["Not JSON."]})
    if isinstance(body, list):
        if not 0 < len(body) <= MAX_BATCH:
            return _error(400, "invalid request", errors={"body": [f"Between 1 and {MAX_BATCH} records."]})
        checked = [call_report(item) for item in body]
        errors = {
            str(index): (found if isinstance(item, dict) else ["A JSON object is expected."])
            for index, (item, (_, found)) in enumerate(zip(body, checked, strict=True))
            if found
        }
        if errors:
            return _error(400, "invalid request", errors=errors)
        reports = [report for report, _ in checked if report is not None]
        _forget_live(reports)
        if cache.try_redis(lambda: queue_call_reports(reports), False):
            return JsonResponse({"queued": len(reports)})
        sids = record_calls(reports)
        return JsonResponse({"sids": sids}, status=201)
    if not isinstance(body, dict) or len(data) > CALL_MAX_BYTES:
        if isinstance(body, dict):
            return _error(413, f"A call record is at most {CALL_MAX_BYTES} bytes.")
        return _error(400, "invalid request", errors={"body": ["A JSON object or a list of them is expected."]})
    report, errors = call_report(body)
    if report is None:
        return _error(400, "invalid request", errors=errors)
    _forget_live([report])
    if cache.try_redis(lambda: queue_call_reports([report]), False):
        return JsonResponse({"queued": 1})
    sid = record_call(report)
    return JsonResponse({"sid": sid}, status=201 if sid else 200)


# Notifications.

NOTIFICATION_MAX_BYTES = 256 * 1024
NOTIFICATION_BATCH = 100
# Notification fields: API name -> (model field, longest kept). Longer text is cut, not refused: a
# notification quotes what an application answered, and the quote is what matters, not its tail.
NOTIFICATION_TEXT = {
    "accountSid": ("account_sid", 40),
    "callSid": ("call_sid", 64),
    "moreInfo": ("more_info", 500),
    "messageText": ("message_text", 4000),
    "requestUrl": ("request_url", 1000),
    "requestMethod": ("request_method", 8),
    "requestVariables": ("request_variables", 16 * 1024),
    "responseHeaders": ("response_headers", 16 * 1024),
    "responseBody": ("response_body", 64 * 1024),
}


def notification(item: Any) -> tuple[Notification | None, dict[str, list[str]]]:
    """A notification as the executor posts it -> (the unsaved row, {}) or (None, errors by field)."""
    if not isinstance(item, dict):
        return None, {"non_field_errors": ["A JSON object is expected."]}
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, (attribute, longest) in NOTIFICATION_TEXT.items():
        value = item.get(name)
        if value is None:
            values[attribute] = ""
        elif isinstance(value, str) and "\x00" not in value:
            values[attribute] = value[:longest]
        else:
            errors[name] = ["Not a valid string."]
    log, code = item.get("log", Notification.ERROR), item.get("errorCode")
    if log not in (Notification.ERROR, Notification.WARNING) or isinstance(log, bool):
        errors["log"] = ["0 (error) or 1 (warning)."]
    if not isinstance(code, int) or isinstance(code, bool) or not 0 < code < 100000:
        errors["errorCode"] = ["A positive integer is expected."]
    when = item.get("messageDate")
    try:
        values["message_date"] = timezone.now() if when is None else _moment(when)
    except ValueError as exc:
        errors["messageDate"] = [str(exc)]
    if errors:
        return None, errors
    return Notification(log=log, error_code=code, **values), {}


@executor_endpoint("POST")
def notification_post(request: HttpRequest) -> HttpResponse:
    """An error or warning met during a call, or a JSON list of them (at most NOTIFICATION_BATCH)
    -> 201 `{"sids": [...]}`. Rare (a call's application failing), so stored at once; if one is
    invalid, none is stored (400, errors by index for a list)."""
    data = _read_body(request, NOTIFICATION_MAX_BYTES)
    if data is None:
        return _error(413, f"At most {NOTIFICATION_MAX_BYTES} bytes.")
    try:
        body = json.loads(data)
    except (UnicodeDecodeError, ValueError):
        return _error(400, "invalid request", errors={"body": ["Not JSON."]})
    items = body if isinstance(body, list) else [body]
    if not 0 < len(items) <= NOTIFICATION_BATCH:
        return _error(400, "invalid request", errors={"body": [f"Between 1 and {NOTIFICATION_BATCH} notifications."]})
    checked = [notification(item) for item in items]
    if any(found for _, found in checked):
        if not isinstance(body, list):
            return _error(400, "invalid request", errors=checked[0][1])
        return _error(400, "invalid request", errors={str(i): found for i, (_, found) in enumerate(checked) if found})
    rows = [row for row, _ in checked if row is not None]
    for row in rows:
        row.sid = f"{Notification.SID_PREFIX}{uuid.uuid4().hex}"
    Notification.objects.bulk_create(rows)
    return JsonResponse({"sids": [row.sid for row in rows]}, status=201)


def _forget_live(reports: list[CallReport]) -> None:
    """Ended calls leave the live-call index (telephony.live_calls)."""
    cache.try_redis(lambda: live_calls.forget(report.call_sid for report in reports), None)


# The executors' registry and their calls (telephony.live_calls): what the Restcomm Calls API needs
# to reach a call wherever it runs.

HEARTBEAT_MAX_BYTES = 4 * 1024 * 1024
HEARTBEAT_MAX_CALLS = 50000


def _heartbeat_errors(body: Any) -> dict[str, list[str]]:
    if not isinstance(body, dict):
        return {"body": ["A JSON object is expected."]}
    errors: dict[str, list[str]] = {}
    name, control, calls = body.get("name"), body.get("control"), body.get("calls", {})
    if not isinstance(name, str) or not 0 < len(name) <= 255:
        errors["name"] = ["The executor's name, <host>:<SIP port>, is required."]
    if not isinstance(control, str) or not control.startswith(("http://", "https://")) or len(control) > 500:
        errors["control"] = ["The control endpoint's http(s) URL is required."]
    if not isinstance(calls, dict) or len(calls) > HEARTBEAT_MAX_CALLS:
        errors["calls"] = [f"An object of at most {HEARTBEAT_MAX_CALLS} call SIDs and their status is expected."]
    elif not all(isinstance(sid, str) and len(sid) <= 255 and isinstance(status, str) for sid, status in calls.items()):
        errors["calls"] = ["Call SIDs and their status are strings."]
    since = body.get("since")
    if since is not None and (isinstance(since, bool) or not isinstance(since, int | float) or since <= 0):
        errors["since"] = ["When the executor's process started, in Unix seconds."]
    return errors


@executor_endpoint("POST")
def executor_heartbeat(request: HttpRequest) -> HttpResponse:
    """An executor is there: `{"name", "control", "draining", "calls": {CallSid: status}, "since"}`
    (`since`: its process's start, Unix seconds) -> 200 `{"ok": true}`; kept in Redis for a few
    seconds (telephony.live_calls). 503 while Redis fails."""
    data = _read_body(request, HEARTBEAT_MAX_BYTES)
    if data is None:
        return _error(413, f"A heartbeat is at most {HEARTBEAT_MAX_BYTES} bytes.")
    try:
        body = json.loads(data)
    except (UnicodeDecodeError, ValueError):
        return _error(400, "invalid request", errors={"body": ["Not JSON."]})
    errors = _heartbeat_errors(body)
    if errors:
        return _error(400, "invalid request", errors=errors)

    def beat() -> bool:
        live_calls.heartbeat(
            body["name"], body["control"], body.get("calls") or {}, bool(body.get("draining")), body.get("since")
        )
        return True

    if not cache.try_redis(beat, False):
        return _error(503, "the registry (Redis) is not answering")
    return JsonResponse({"ok": True})

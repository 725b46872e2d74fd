"""One call through the executor: answer it, run its RCML verb by verb, report a call record.

The call's state between documents lives in the portal's URLs (menu path, counters), so a call here
holds only what RCML semantics need: the caller's media, the digits typed ahead, the legs of a Dial.
Whatever goes wrong — the portal down or slow, a document that is not RCML, an error of ours — the
caller hears the built-in apology and the call ends; a call is never left silent or hanging.

A number routed to an RCML application (its VoiceUrl) is answered the same way, with the documents
fetched from the application: a fetch that fails (no connection, a timeout, a 4xx/5xx, a body that is
not RCML, an address the fetch policy refuses) is reported to the portal as a notification and the
VoiceFallbackUrl is fetched instead; the apology comes only when that fails too. Its StatusCallback
hears the call's end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urljoin

from telephony.executor.media import PCMA, PCMU, Prompt, silence
from telephony.executor.portal_client import ENTRY_URL, AnsweredError, FetchRefused, PortalUnavailable
from telephony.executor.sip import MediaOffer, NoCommonCodec
from telephony.rcml import verbs

if TYPE_CHECKING:
    from telephony.executor.media import RtpSession
    from telephony.executor.portal_client import Application, RcmlDocument
    from telephony.executor.server import ExecutorProcess
    from telephony.executor.sip import InboundCall

logger = logging.getLogger(__name__)

DTMF_PAYLOAD_TYPE = 101
MAX_FETCHES = 500  # documents per call
MAX_SILENT_FETCHES = 20  # documents in a row with nothing said or gathered: a Redirect loop
MAX_LOOPS = 1000  # <Play loop="0">: "until the call is hung up", within reason
FETCH_ATTEMPTS = 2
SHORTEST_RECORDING = 0.5  # seconds; shorter is "an empty recording" (RCML goes on to the next verb)
REJECT_CODES = {"busy": (486, "Busy Here"), "rejected": (603, "Decline")}
DIAL_STATUS_RANK = ("busy", "no-answer", "canceled", "failed")  # the status reported when nobody answered
# Notifications' error codes, Twilio's and Restcomm's numbers (their error dictionary).
HTTP_RETRIEVAL_FAILURE = 11200  # a 4xx/5xx, or the fetch policy refused the address
HTTP_CONNECTION_FAILURE = 11205  # no connection, or no answer in time
DOCUMENT_PARSE_FAILURE = 12100
INVALID_CONTENT_TYPE = 12300
MORE_INFO = "https://www.twilio.com/docs/errors/{code}"
RCML_CONTENT_TYPES = ("text/xml", "application/xml", "text/html")  # or any `…+xml`; none said: parsed as it is
NOTIFIED_BODY_CHARS = 16 * 1024


class Outcome:
    """A call record's outcome (autoattendant.choices.CallOutcome, as the portal names them)."""

    COMPLETED = "COMPLETED"
    CALLER_HANGUP = "CALLER_HANGUP"
    TRANSFERRED = "TRANSFERRED"
    VOICEMAIL = "VOICEMAIL"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"
    FAILED = "FAILED"


class _End(Exception):
    """The call's RCML is over (Hangup, Reject, the end of a document, or a failure handled)."""


class _Failure(Exception):
    """The call cannot go on; the caller hears the apology."""


class _FetchFailed(Exception):
    """An application's document could not be used: its notification's code and what it quotes."""

    def __init__(self, code: int, message: str, document: RcmlDocument | None = None):
        super().__init__(message)
        self.code, self.document = code, document


def _failure_code(error: Exception) -> int:
    """A failed request's notification code: the server said no (or the policy did), or no answer."""
    if isinstance(error, FetchRefused | AnsweredError | LookupError | ValueError):
        return HTTP_RETRIEVAL_FAILURE
    return HTTP_CONNECTION_FAILURE


def _iso(moment: float | None) -> str | None:
    return datetime.fromtimestamp(moment, UTC).isoformat() if moment else None


class Call:
    def __init__(self, executor: ExecutorProcess, inbound: InboundCall):
        self.executor = executor
        self.inbound = inbound
        self.sid = "CA" + uuid.uuid4().hex
        self.rtp: RtpSession | None = None
        self.answered = asyncio.Event()
        self.aa_system_sid = ""
        self.account_sid = ""  # the number's account (the entry's answer): every fetch's AccountSid
        self.application: Application | None = None  # the RCML application the number routes to
        self._document_url = ""  # the document being run: its relative URLs resolve against it
        self.menu_path: list[str] = []
        self.keys: list[str] = []
        self.outcome: str | None = None
        self.transferred = False
        self.voicemail = False
        self.dial_status = ""
        self.transfer_target = ""
        self.hangup_cause = ""
        self.started_at = time.time()
        self.answered_at: float | None = None
        self.fetches = 0
        self.silent_fetches = 0
        self._legs: list[tuple[object, RtpSession]] = []
        self._key_at: float | None = None
        self._invited_at = time.monotonic()

    # The call's life.
    async def run(self) -> None:
        flow = asyncio.create_task(self._flow(), name=f"call {self.sid}")
        ended = asyncio.create_task(self.inbound.ended.wait())
        media_lost = asyncio.create_task(self._media_lost())
        try:
            try:
                done, _ = await asyncio.wait(
                    {flow, ended, media_lost},
                    timeout=self.executor.config.max_call_seconds,
                    return_when=asyncio.FIRST_COMPLETED,
                )
            except asyncio.CancelledError:  # the executor is shutting down
                done, self.hangup_cause = {ended}, "executor shutdown"
            if flow not in done:
                flow.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await flow
                if media_lost in done:
                    self.outcome, self.hangup_cause = Outcome.FAILED, "no RTP from the caller"
                elif not done:
                    self.hangup_cause = "maximum call duration"
            elif flow.exception() is not None:
                logger.error("call %s failed", self.sid, exc_info=flow.exception())
        finally:
            ended.cancel()
            media_lost.cancel()
            await self._release()

    async def _media_lost(self) -> None:
        await self.answered.wait()
        await self.rtp.inactive.wait()

    async def _flow(self) -> None:
        await self._ending_well(self._entry())

    async def _entry(self) -> None:
        # One request: the entry document's answer names the call's AA system, or why there is none.
        # The portal records the call as it serves this document (SIP Call-ID and executor too).
        entry = {"SipCallId": self.inbound.call_id, "Executor": self.executor.name}
        document = await self._fetch(self.executor.portal.absolute(ENTRY_URL), "POST", entry)
        if document.refusal == verbs.INACTIVE_SYSTEM:
            self._reject(480, "Temporarily Unavailable", "inactive AA system")
            return
        if document.refusal == verbs.INACTIVE_ACCOUNT:
            self._reject(480, "Temporarily Unavailable", "inactive account")
            return
        if document.status == 404:
            self._reject(404, "Not Found", "unknown number")
            return
        self.aa_system_sid = document.aa_system_sid or ""
        self.account_sid = document.account_sid or ""
        if document.application is not None:
            self.application = document.application
            document = await self._fetch(document.application.voice_url, document.application.voice_method, {})
        await self._execute(document)

    async def _ending_well(self, program: Awaitable[None]) -> None:
        """Run a call's program (its entry, or a document a live call was redirected to) with the
        endings every program has: whatever goes wrong, the caller hears the apology."""
        try:
            await program
        except _End:
            pass
        except asyncio.CancelledError:
            raise
        except NoCommonCodec:
            self._reject(488, "Not Acceptable Here", "no common codec")
        except (_Failure, PortalUnavailable, verbs.RcmlError) as exc:
            logger.warning("call %s: %s; apologising", self.sid, exc)
            await self._apologise(str(exc))
        except Exception as exc:
            logger.exception("call %s: internal error; apologising", self.sid)
            await self._apologise(f"internal error: {exc.__class__.__name__}")

    async def _execute(self, document: RcmlDocument) -> None:
        while True:
            following = None
            self._document_url = document.url
            for verb in verbs.parse(document.body).verbs:
                following = await self._verb(verb, document.url)
                if following is not None:
                    break
            if following is None:
                raise _End  # the end of a document ends the call
            url, method, params = following
            document = await self._fetch(url, method, params)

    # Talking to the portal, and to the application.
    def params(self) -> dict[str, str]:
        status = "in-progress" if self.answered.is_set() else "ringing"
        inbound = self.inbound
        return verbs.request_parameters(
            self.sid, self.account_sid, inbound.caller, inbound.called, inbound.caller_name, status
        )

    async def _retrying(self, operation, *args):
        for attempt in range(FETCH_ATTEMPTS):
            try:
                return await operation(*args)
            except PortalUnavailable:
                if attempt + 1 == FETCH_ATTEMPTS:
                    raise
                await asyncio.sleep(0.3)

    async def _fetch(self, url: str, method: str, extra: dict[str, str]) -> RcmlDocument:
        self.fetches += 1
        self.silent_fetches += 1
        if self.fetches > MAX_FETCHES or self.silent_fetches > MAX_SILENT_FETCHES:
            raise _Failure(f"too many documents ({self.fetches}); a Redirect loop?")
        if self.application is not None:
            return await self._fetch_application(url, method, extra)
        document = await self._retrying(self.executor.portal.fetch_rcml, url, {**self.params(), **extra}, method)
        if document.status >= 500 and not document.body.lstrip().startswith("<"):
            raise _Failure(f"{url} answered {document.status}")
        verbs.extend_menu_path(self.menu_path, document.menu_sid)
        return document

    async def _fetch_application(self, url: str, method: str, extra: dict[str, str]) -> RcmlDocument:
        """An application's document; when it fails, the VoiceFallbackUrl's (with ErrorCode and
        ErrorUrl, as Twilio sends them); each failure is a notification."""
        params = {**self.params(), **extra}
        try:
            return await self._application_document(url, method, params)
        except _FetchFailed as failed:
            self._notify(failed, url, method, params)
            fallback = self.application.fallback_url if self.application else ""
            if not fallback:
                raise _Failure(f"{url}: {failed}") from None
            fallback_method = self.application.fallback_method if self.application else "POST"
            fallback_params = {**params, "ErrorCode": str(failed.code), "ErrorUrl": url}
            try:
                return await self._application_document(fallback, fallback_method, fallback_params)
            except _FetchFailed as also:
                self._notify(also, fallback, fallback_method, fallback_params)
                raise _Failure(f"{url}: {failed}; the fallback {fallback}: {also}") from None

    async def _application_document(self, url: str, method: str, params: dict[str, str]) -> RcmlDocument:
        """A document that runs, or _FetchFailed saying why not."""
        try:
            document = await self.executor.portal.fetch_document(url, params, method, authorized=False)
        except FetchRefused as exc:
            raise _FetchFailed(HTTP_RETRIEVAL_FAILURE, str(exc)) from None
        except PortalUnavailable as exc:
            raise _FetchFailed(HTTP_CONNECTION_FAILURE, str(exc)) from None
        if document.status >= 400:
            raise _FetchFailed(HTTP_RETRIEVAL_FAILURE, f"{url} answered {document.status}", document)
        content_type = document.content_type.split(";", 1)[0].strip().lower()
        if content_type and not (content_type in RCML_CONTENT_TYPES or content_type.endswith("+xml")):
            raise _FetchFailed(INVALID_CONTENT_TYPE, f"{url} answered Content-Type {content_type}", document)
        try:
            verbs.parse(document.body)
        except verbs.RcmlError as exc:
            raise _FetchFailed(DOCUMENT_PARSE_FAILURE, f"{url}: {exc}", document) from None
        return document

    def _notify(self, failed: _FetchFailed, url: str, method: str, params: dict[str, str], *, log: int = 0) -> None:
        """A notification for the call's account (Restcomm's Notifications), sent in the background."""
        document = failed.document
        self.executor.portal.notify(
            {
                "accountSid": self.account_sid,
                "callSid": self.sid,
                "log": log,
                "errorCode": failed.code,
                "moreInfo": MORE_INFO.format(code=failed.code),
                "messageText": str(failed),
                "messageDate": datetime.now(UTC).isoformat(),
                "requestUrl": url,
                "requestMethod": (method or "POST").upper(),
                "requestVariables": urlencode(params),
                "responseHeaders": "\n".join(f"{k}: {v}" for k, v in document.headers) if document else "",
                "responseBody": document.body[:NOTIFIED_BODY_CHARS] if document else "",
            }
        )

    def _callback(self, url: str, method: str, params: dict[str, str]) -> None:
        """A request whose answer changes nothing (StatusCallback, transcribeCallback), in the
        background; its failure is a warning notification."""
        sent = {**self.params(), **params}

        def failed(error: Exception) -> None:
            self._notify(_FetchFailed(_failure_code(error), str(error)), url, method, sent, log=1)

        self.executor.portal.callback(url, sent, method, failed)

    def _application_status_callback(self, outcome: str) -> None:
        """The application's StatusCallback hears the call's end: its CallStatus and CallDuration."""
        application = self.application
        if application is None or not application.status_callback:
            return
        if self.answered_at is not None:
            status = "completed"
        elif outcome == Outcome.REJECTED and self.hangup_cause == "RCML Reject (busy)":
            status = "busy"
        elif outcome == Outcome.CANCELLED:
            status = "no-answer"
        else:
            status = "failed"
        duration = int(time.time() - self.answered_at) if self.answered_at is not None else 0
        params = {"CallStatus": status, "CallDuration": str(duration)}
        self._callback(application.status_callback, application.status_callback_method, params)

    # Media.
    async def _answer(self) -> None:
        if self.answered.is_set():
            return
        if self.inbound.ended.is_set():
            raise _End
        if self.inbound.offer is None:
            raise NoCommonCodec("the INVITE carried no SDP offer")
        self.rtp = await self.executor.media.open_session()
        ours = MediaOffer(self.rtp.local_host, self.rtp.local_port, (PCMU, PCMA), DTMF_PAYLOAD_TYPE)
        negotiated = self.inbound.answer(ours)
        offer = self.inbound.offer
        self.rtp.set_remote(offer.host, offer.port, negotiated.payload_types[0], negotiated.dtmf_payload_type)
        self.inbound.on_dtmf = self.rtp.push_digit
        self.answered_at = time.time()
        self.answered.set()
        self.executor.metrics.observe("invite_to_answer", time.monotonic() - self._invited_at)

    async def _prompt(self, verb: verbs.Say | verbs.Play) -> Prompt | None:
        """The verb's audio, from the executor's cache; None (skipped, logged) when it is missing or
        unreadable. An application's Play is fetched without the token and cached apart from the
        portal's audio (a URL on the portal gives an application nothing an AA call fetched)."""
        portal, cache = self.executor.portal, self.executor.prompts
        url = ""
        try:
            if isinstance(verb, verbs.Say):
                if not verb.text:
                    return None
                key = f"say\0{verb.voice}\0{verb.language}\0{verb.text}"
                return await cache.get(key, lambda: portal.speech(verb.text, verb.voice, verb.language))
            url = urljoin(self._document_url, verb.url) if self._document_url else portal.absolute(verb.url)
            if self.application is not None:
                return await cache.get(f"app\0{url}", lambda: portal.fetch_audio(url, authorized=False))
            return await cache.get(url, lambda: portal.fetch_audio(url))
        except (LookupError, ValueError, PortalUnavailable) as exc:
            if isinstance(exc, PortalUnavailable) and (self.application is None or not url):
                raise
            logger.warning("call %s: cannot play %r: %s", self.sid, verb, exc)
            if self.application is not None and url:  # an application's audio: its notification
                self._notify(_FetchFailed(_failure_code(exc), str(exc)), url, "GET", {}, log=1)
            return None

    async def _play(self, verb: verbs.Say | verbs.Play | verbs.Pause, *, interruptible: bool = False) -> bool:
        """Say/Play/Pause; False when a digit cut it short (barge-in)."""
        await self._answer()
        self.silent_fetches = 0
        prompt = silence(verb.length) if isinstance(verb, verbs.Pause) else await self._prompt(verb)
        if prompt is None:
            return True
        loops = MAX_LOOPS if getattr(verb, "loop", 1) == 0 else getattr(verb, "loop", 1)
        if self._key_at is not None:  # the first prompt after a key press: how long the caller waited
            self.executor.metrics.observe("key_to_prompt", time.monotonic() - self._key_at)
            self._key_at = None
        for _ in range(loops):
            if not await self.rtp.play(prompt, interruptible=interruptible):
                return False
        return True

    async def _next_digit(self, timeout: float) -> str | None:
        try:
            return await asyncio.wait_for(self.rtp.digits.get(), timeout)
        except TimeoutError:
            return None

    # Verbs: each returns None to go on with the next verb, or (url, method, params) to fetch.
    async def _verb(self, verb: verbs.Verb, url: str):
        if isinstance(verb, verbs.Say | verbs.Play):
            await self._play(verb)
            return None
        if isinstance(verb, verbs.Pause):
            if not self.answered.is_set():
                await asyncio.sleep(verb.length)  # "before picking up the call"
                return None
            await self._play(verb)
            return None
        if isinstance(verb, verbs.Gather):
            return await self._gather(verb, url)
        if isinstance(verb, verbs.Redirect):
            return urljoin(url, verb.url), verb.method, {}
        if isinstance(verb, verbs.Hangup):
            raise _End
        if isinstance(verb, verbs.Reject):
            code, reason = REJECT_CODES[verb.reason]
            if self.answered.is_set():
                raise _End
            self._reject(code, reason, f"RCML Reject ({verb.reason})")
            raise _End
        if isinstance(verb, verbs.Record):
            return await self._record(verb, url)
        if isinstance(verb, verbs.Dial):
            return await self._dial(verb, url)
        logger.info("call %s: <%s> is not supported here; skipped", self.sid, verb.name)
        return None

    async def _gather(self, verb: verbs.Gather, url: str):
        await self._answer()
        self.silent_fetches = 0
        for prompt in verb.prompts:
            if not await self._play(prompt, interruptible=True):
                break
        digits = ""
        while True:
            digit = await self._next_digit(verb.timeout)
            if digit is None:
                break
            if verb.finishes(digit):
                break
            digits += digit
            if verb.complete(digits):
                break
        if not digits:
            return None  # no input: Gather falls through to the next verb
        self.keys.append(digits)
        self._key_at = time.monotonic()
        return urljoin(url, verb.action or ""), verb.method, {"Digits": digits}

    async def _record(self, verb: verbs.Record, url: str):
        await self._answer()
        self.silent_fetches = 0
        if verb.play_beep:
            await self.rtp.play(self.executor.beep)
        self.rtp.clear_digits()
        recording = await self.rtp.record(
            max_seconds=verb.max_length, finish_on_key=verb.finish_on_key, silence_timeout=verb.timeout
        )
        if recording.duration < SHORTEST_RECORDING:
            return None  # an empty recording: no request, the document goes on
        recording_url = await self._retrying(
            self.executor.portal.upload_recording,
            self.sid,
            recording.wav(),
            self.account_sid,
            self.application is not None,
        )
        self.voicemail = True
        params = {"RecordingUrl": recording_url, "RecordingDuration": str(round(recording.duration))}
        digit = getattr(recording, "digit", "") or ""
        if digit:
            params["Digits"] = digit
        if verb.transcribe:
            # Transcription comes later: accepted, and reported as not done.
            params["TranscriptionStatus"] = "failed"
            if verb.transcribe_callback:
                callback = {"TranscriptionStatus": "failed", "RecordingUrl": recording_url}
                self._callback(urljoin(url, verb.transcribe_callback), "POST", callback)
        return urljoin(url, verb.action or ""), verb.method, params

    # Dial: ring every target at once; the first to answer is bridged to the caller.
    def _dial_target(self, target: verbs.DialTarget) -> str:
        if target.kind == "client":
            return f"client:{target.value}"
        if target.kind == "uri":
            return target.value if target.value.startswith("sip:") else f"sip:{target.value}"
        return "number:" + "".join(c for c in target.value if c.isdigit() or c in "+*#")

    async def _dial(self, verb: verbs.Dial, url: str):
        await self._answer()
        self.silent_fetches = 0
        sip, media = self.executor.sip, self.executor.media
        caller_id = verb.caller_id or self.inbound.caller
        legs = []
        for target in verb.targets:
            leg_rtp = await media.open_session()
            ours = MediaOffer(leg_rtp.local_host, leg_rtp.local_port, (PCMU, PCMA), DTMF_PAYLOAD_TYPE)
            leg = sip.dial(
                self._dial_target(target),
                caller_id=caller_id,
                caller_name=self.inbound.caller_name,
                media=ours,
                timeout=verb.timeout,
                account=self.account_sid,  # the gateway of its account (or above) takes a number
            )
            legs.append((leg, leg_rtp, target))
            self._legs.append((leg, leg_rtp))
        ringback = asyncio.create_task(self._ringback())
        status, duration, dial_sid = "failed", 0, ""
        # The caller's hangup cancels this task wherever it waits, so the record's status is set before
        # each wait: "canceled" while the targets ring (Twilio/Restcomm: the dialled call was cancelled
        # before it was answered), "completed" as soon as one answered, whoever hangs up later.
        self.dial_status = "canceled" if legs else "failed"
        try:
            winner, statuses = await self._first_answer(legs)
            ringback.cancel()
            self.rtp.stop_playback()
            if winner is not None:
                leg, leg_rtp, target = winner
                status, dial_sid = "completed", leg.call_id
                self.dial_status = status
                self.transferred, self.transfer_target = True, target.value
                duration = await self._bridge(leg, leg_rtp, verb.time_limit)
            elif statuses:
                status = min(statuses, key=lambda s: DIAL_STATUS_RANK.index(s) if s in DIAL_STATUS_RANK else 9)
            self.dial_status = status
        finally:
            ringback.cancel()
            for leg, leg_rtp, _ in legs:
                leg.hangup() if leg.answered_at else leg.cancel()
                await leg_rtp.close()
                self._legs.remove((leg, leg_rtp))
        if self.inbound.ended.is_set():
            raise _End
        if not verb.action:
            return None
        params = {"DialCallStatus": status, "DialCallSid": dial_sid, "DialCallDuration": str(duration)}
        return urljoin(url, verb.action), verb.method, params

    async def _first_answer(self, legs):
        """The first leg to answer (the others are cancelled), and every leg's status."""
        if not legs:
            return None, []
        pending = {asyncio.ensure_future(leg.result()): (leg, leg_rtp, target) for leg, leg_rtp, target in legs}
        statuses = []
        try:
            while pending:
                done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for future in done:
                    entry = pending.pop(future)
                    status = future.result()
                    statuses.append(status)
                    if status == "completed":
                        return entry, statuses
            return None, statuses
        finally:
            for future in pending:
                future.cancel()

    async def _bridge(self, leg, leg_rtp: RtpSession, time_limit: float) -> int:
        answer = leg.answer
        leg_rtp.set_remote(answer.host, answer.port, answer.payload_types[0], answer.dtmf_payload_type)
        self.rtp.bridge(leg_rtp)
        waits = [
            asyncio.create_task(self.inbound.ended.wait()),
            asyncio.create_task(leg.ended.wait()),
            asyncio.create_task(leg_rtp.inactive.wait()),
        ]
        try:
            await asyncio.wait(waits, timeout=time_limit, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waits:
                task.cancel()
            self.rtp.unbridge()
        return int(time.time() - (leg.answered_at or time.time()))

    async def _ringback(self) -> None:
        """What the caller hears while a Dial rings: a tone a second, then silence."""
        while True:
            await self.rtp.play(self.executor.ringback)
            await asyncio.sleep(3.0)

    # Endings.
    def _reject(self, code: int, reason: str, cause: str) -> None:
        self.outcome, self.hangup_cause = Outcome.REJECTED, cause
        if not self.inbound.ended.is_set():
            self.inbound.reject(code, reason)

    async def _apologise(self, cause: str) -> None:
        """The built-in apology (not from the portal, which may be what failed), then hang up."""
        self.outcome, self.hangup_cause = Outcome.FAILED, cause
        if self.inbound.ended.is_set():
            return
        try:
            await self._answer()
            self.rtp.stop_playback()
            await self.rtp.play(self.executor.apology)
        except NoCommonCodec:
            self.inbound.reject(488, "Not Acceptable Here")
        except Exception:
            logger.exception("call %s: the apology failed too", self.sid)
            if not self.answered.is_set():
                self.inbound.reject(503, "Service Unavailable")

    def _final_outcome(self) -> str:
        cause = self.inbound.end_cause
        if self.outcome in (Outcome.REJECTED, Outcome.FAILED):
            return self.outcome
        if cause == "cancel" and not self.answered.is_set():
            return Outcome.CANCELLED
        if cause == "no-ack":
            self.hangup_cause = self.hangup_cause or "no ACK for our 200 OK"
            return Outcome.FAILED
        if self.transferred:
            return Outcome.TRANSFERRED
        if self.voicemail:
            return Outcome.VOICEMAIL
        if cause in ("bye", "transport"):
            return Outcome.CALLER_HANGUP
        return Outcome.COMPLETED

    async def _release(self) -> None:
        """Hang up what is still up, free the ports, report the call. Never raises."""
        try:
            for leg, leg_rtp in list(self._legs):
                leg.hangup() if leg.answered_at else leg.cancel()
                await leg_rtp.close()
            if not self.inbound.ended.is_set():
                if self.answered.is_set():
                    self.inbound.hangup()
                else:
                    self.inbound.reject(480, "Temporarily Unavailable")
            if self.rtp is not None:
                await self.rtp.close()
        except Exception:
            logger.exception("call %s: releasing failed", self.sid)
        record = self.record()
        self.executor.metrics.count(f"calls_{record['outcome'].lower()}")
        self.executor.report(record)
        self._application_status_callback(record["outcome"])

    def record(self) -> dict:
        outcome = self._final_outcome()
        return {
            "callSid": self.sid,
            "sipCallId": self.inbound.call_id,
            "from": self.inbound.caller,
            "to": self.inbound.called,
            "aaSystemSid": self.aa_system_sid,
            "accountSid": self.account_sid,
            "menuPath": self.menu_path,
            "keys": self.keys,
            "outcome": outcome,
            "dialStatus": self.dial_status,
            "transferTarget": self.transfer_target,
            "startTime": _iso(self.started_at),
            "answerTime": _iso(self.answered_at),
            "endTime": _iso(time.time()),
            "executor": self.executor.name,
            "hangupCause": self.hangup_cause or (self.inbound.end_cause or ""),
        }

"""Calls the Restcomm Calls API reaches: any call redirected to new RCML or ended while it runs, and
calls this executor places itself (`outbound-api`), which run their RCML like any call once answered.

The portal asks through the executor's control endpoint (telephony.executor.control); a call here
only learns "go to this URL now" or "end now". Both interrupt whatever the call is doing (a prompt,
a Gather, a Dial: its legs are hung up), as Restcomm's live call modification does.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from telephony.executor.call import DTMF_PAYLOAD_TYPE, Call, Outcome
from telephony.executor.media import PCMA, PCMU
from telephony.executor.portal_client import Application, shown
from telephony.executor.sip import MediaOffer

if TYPE_CHECKING:
    from collections.abc import Coroutine
    from typing import Any

    from telephony.executor.server import ExecutorProcess
    from telephony.executor.sip.outbound import OutboundCall

logger = logging.getLogger(__name__)

QUEUED, RINGING, IN_PROGRESS = "queued", "ringing", "in-progress"
COMPLETED, CANCELED = "completed", "canceled"


class NotCancelable(Exception):
    """`canceled` asked of a call that was answered already (Restcomm: only queued or ringing calls)."""


class LiveCall(Call):
    """A call that can be redirected to a new document or ended at any moment."""

    def __init__(self, executor: ExecutorProcess, inbound: Any):
        super().__init__(executor, inbound)
        self._interrupt = asyncio.Event()
        self._next: tuple[str, str] | None = None  # a redirect: (url, method)
        self._ending: str | None = None  # completed or canceled, through the Calls API

    @property
    def status(self) -> str:
        """The call's status as Restcomm names it."""
        return IN_PROGRESS if self.answered.is_set() else RINGING

    def redirect(self, url: str, method: str) -> None:
        """Fetch `url` now and run it, whatever the call is doing. From then on the call runs an
        RCML application's documents (the fetch policy, RCML_FETCH_ALLOW, applies to them)."""
        method = (method or "POST").upper()
        if self.application is None:
            self.application = Application(voice_url=url, voice_method=method)
        self._next = (url, method)
        self._interrupt.set()

    def end(self, status: str) -> None:
        """`completed`: hang up whatever the call's state; `canceled`: only one not answered yet."""
        if status == CANCELED and self.answered.is_set():
            raise NotCancelable(f"call {self.sid} is in progress; only a queued or ringing call can be canceled")
        self._ending = status
        self._interrupt.set()

    def _first_program(self) -> Coroutine[Any, Any, None]:
        return Call._flow(self)

    async def _flow(self) -> None:
        program = self._first_program()
        while True:
            self._interrupt.clear()
            task = asyncio.create_task(program, name=f"call {self.sid} program")
            interrupt = asyncio.create_task(self._interrupt.wait())
            try:
                await asyncio.wait({task, interrupt}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                interrupt.cancel()
                if not task.done():
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
            if not self._interrupt.is_set():
                task.result()
                return
            if self.rtp is not None:
                self.rtp.stop_playback()
            if self._ending is not None:
                self.hangup_cause = f"ended through the Calls API ({self._ending})"
                return
            assert self._next is not None
            url, method = self._next
            logger.info("call %s: redirected to %s", self.sid, shown(url))
            program = self._follow(url, method)

    async def _follow(self, url: str, method: str, extra: dict[str, str] | None = None) -> None:
        """Fetch a document and run it, with the endings of any call's program (call.Call._ending_well)."""
        await self._ending_well(self._fetch_and_run(url, method, extra or {}))

    async def _fetch_and_run(self, url: str, method: str, extra: dict[str, str]) -> None:
        self.silent_fetches = 0
        await self._execute(await self._fetch(url, method, extra))

    def _final_outcome(self) -> str:
        if self._ending == CANCELED or (self._ending == COMPLETED and not self.answered.is_set()):
            return Outcome.CANCELLED
        return super()._final_outcome()


@dataclass(frozen=True)
class PlaceRequest:
    """A call to place, as the portal asks for it (validated there: telephony.calls)."""

    call_sid: str
    account_sid: str
    caller: str  # From
    called: str  # To: a number, client:<login> or sip:user@host[:port]
    url: str
    method: str = "POST"
    fallback_url: str = ""
    fallback_method: str = "POST"
    status_callback: str = ""
    status_callback_method: str = "POST"
    timeout: float = 60.0


def dial_target(to: str) -> str:
    """Restcomm's To as the SIP server dials it: client:<login> through the SIP edge, a SIP URI
    directly, anything else as a number through the outbound proxy (TRANSFER_TO_NUMBER's way)."""
    if to.lower().startswith(("client:", "sip:")):
        return to
    return "number:" + "".join(c for c in to if c.isdigit() or c in "+*#")


class DialedParty:
    """The other end of a call we place, as the call's interpreter knows the caller of any call:
    its numbers, `ended` (with `end_cause`), hangup and reject (a CANCEL before the answer)."""

    def __init__(self, caller: str, called: str):
        self.caller = caller
        self.called = called
        self.caller_name = ""
        self.offer = None  # media is set up by the dial, not answered from an offer
        self.ended = asyncio.Event()
        self.end_cause: str | None = None
        self.on_dtmf = None
        self.leg: OutboundCall | None = None
        self._watch: asyncio.Task | None = None

    @property
    def call_id(self) -> str:
        return self.leg.call_id if self.leg is not None else ""

    def answered(self, leg: OutboundCall) -> None:
        """From the answer on, the leg's end is the call's end (the callee's BYE, or ours)."""

        async def watch() -> None:
            await leg.ended.wait()
            self._end(leg.end_cause or "bye")

        self._watch = asyncio.create_task(watch())

    def reject(self, code: int, reason: str = "") -> None:
        if self.leg is not None:
            self.leg.cancel()
        self._end("cancel")

    def hangup(self) -> None:
        if self.leg is not None:
            self.leg.hangup()
        self._end("hangup")

    def _end(self, cause: str) -> None:
        if not self.ended.is_set():
            self.end_cause = cause
            self.ended.set()


class OutboundApiCall(LiveCall):
    """A call placed through the Calls API: dialled from here, then its RCML (the request's Url),
    like any call's. Not answered: busy, no-answer (within its Timeout), failed or canceled."""

    def __init__(self, executor: ExecutorProcess, request: PlaceRequest):
        self.party = DialedParty(request.caller, request.called)
        super().__init__(executor, self.party)
        self.sid = request.call_sid
        self.request = request
        self.account_sid = request.account_sid
        # Its documents are fetched as an application's (call.Call._fetch_application): the fetch
        # policy, FallbackUrl when Url fails, notifications, and the StatusCallback at the end.
        self.application = Application(
            voice_url=request.url,
            voice_method=request.method,
            fallback_url=request.fallback_url,
            fallback_method=request.fallback_method,
            status_callback=request.status_callback,
            status_callback_method=request.status_callback_method,
        )
        self._url, self._method = request.url, request.method

    @property
    def status(self) -> str:
        if self.answered.is_set():
            return IN_PROGRESS
        leg = self.party.leg
        return RINGING if leg is not None and leg.phase == "ringing" else QUEUED

    def redirect(self, url: str, method: str) -> None:
        if self.answered.is_set():
            super().redirect(url, method)
        else:  # not answered yet: the document to run once it is
            self._url, self._method = url, (method or "POST").upper()

    def params(self) -> dict[str, str]:
        return {**super().params(), "Direction": "outbound-api"}

    def _first_program(self) -> Coroutine[Any, Any, None]:
        return self._place()

    async def _place(self) -> None:
        request, party = self.request, self.party
        self.rtp = await self.executor.media.open_session()
        ours = MediaOffer(self.rtp.local_host, self.rtp.local_port, (PCMU, PCMA), DTMF_PAYLOAD_TYPE)
        leg = self.executor.sip.dial(
            dial_target(request.called), caller_id=request.caller, media=ours, timeout=request.timeout
        )
        party.leg = leg
        try:
            status = await leg.result()
        except asyncio.CancelledError:
            leg.cancel()
            raise
        if status != COMPLETED:
            logger.info("call %s to %s: %s", self.sid, request.called, status)
            self.dial_status = status
            self.outcome = Outcome.CANCELLED if status == CANCELED else Outcome.FAILED
            self.hangup_cause = f"outbound call {status}"
            party._end("cancel" if status == CANCELED else status)
            return
        answer = leg.answer
        assert answer is not None
        self.rtp.set_remote(answer.host, answer.port, answer.payload_types[0], answer.dtmf_payload_type)
        leg.on_dtmf = self.rtp.push_digit
        self.answered_at = time.time()
        self.answered.set()
        party.answered(leg)
        self.executor.heartbeat_soon()  # the portal learns "in-progress" now, not at the next heartbeat
        await self._follow(self._url, self._method)

    def final_status(self) -> str:
        """The call's end as Restcomm names it (the StatusCallback's CallStatus)."""
        if self.answered_at is not None:
            return COMPLETED
        if self._ending is not None or self.dial_status == CANCELED:
            return CANCELED
        return self.dial_status if self.dial_status in ("busy", "no-answer", "failed") else "failed"

    def record(self) -> dict:
        record = super().record()
        record.update(accountSid=self.request.account_sid, direction="outbound-api")
        if self.answered_at is None:
            record["dialStatus"] = self.final_status()
        return record

    def _status_callback(self, outcome: str) -> None:
        """The StatusCallback hears the call's end as Restcomm names it (busy, no-answer, canceled too)."""
        callback = self.request.status_callback
        if not callback:
            return
        params = {"CallStatus": self.final_status(), "CallDuration": "0"}
        if self.answered_at is not None:
            params["CallDuration"] = str(int(time.time() - self.answered_at))
        self._callback(callback, self.request.status_callback_method, params)

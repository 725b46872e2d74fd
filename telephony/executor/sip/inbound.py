"""One call to us: aiosipua's IncomingCall behind the interface the call interpreter codes against."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import unquote

from aiosipua import IncomingCall, SipRequest

from telephony.executor.sip import compat
from telephony.executor.sip.dialogs import as_uas, next_hop, refresh_target
from telephony.executor.sip.media import MediaOffer, NoCommonCodec, answer_sdp, media_from_sdp
from telephony.executor.sip.messages import REASONS, top_branch, uri_user
from telephony.executor.sip.transport import T1, T2, TIMER_64T1

if TYPE_CHECKING:
    from telephony.executor.sip.server import SipServer, Stack

logger = logging.getLogger(__name__)

OFFERED, ANSWERED, REJECTED = "offered", "answered", "rejected"


class CallEnded(RuntimeError):
    """The call is over (or already answered/rejected): it cannot be answered now."""


def _callback(function: Callable, *args) -> None:
    try:
        function(*args)
    except Exception:
        logger.exception("SIP: application callback %r failed", function)


class InboundCall:
    """A call to one of our numbers.

    The application answers or rejects it; `ended` is set when it is over for any reason, with
    `end_cause` one of "bye" (caller hung up), "cancel", "no-ack", "hangup" (we hung up), "rejected"
    or "transport" (its TCP connection was lost).
    """

    def __init__(self, server: SipServer, stack: Stack, call: IncomingCall):
        self._server = server
        self._stack = stack
        as_uas(call)  # before any answer but 100: our answers carry its Record-Route
        self._call = call
        invite = call.invite
        self.call_id: str = call.call_id
        sender = invite.from_addr
        self.caller: str = unquote(sender.uri.user or "") if sender is not None else ""
        self.caller_name: str = (sender.display_name or "") if sender is not None else ""
        self.called: str = uri_user(invite.uri)
        self.offer: MediaOffer | None = media_from_sdp(call.sdp_offer)
        self.transport: str = stack.name
        self.remote_addr: tuple[str, int] = call.source_addr
        self.acked = asyncio.Event()
        self.ended = asyncio.Event()
        self.end_cause: str | None = None
        self.on_dtmf: Callable[[str], None] | None = None
        # Called with the caller's new media when a re-INVITE moves it (hold, re-anchoring).
        self.on_media_change: Callable[[MediaOffer], None] | None = None
        self.started_at: float = time.time()
        self.answered_at: float | None = None
        self.negotiated: MediaOffer | None = None
        self._ours: MediaOffer | None = None
        self._state = OFFERED
        self._bye_pending = False
        self._released = False
        self._timer: asyncio.TimerHandle | None = None
        self._final: tuple[bytes, tuple[str, int]] | None = None  # our non-2xx final response, as sent

    def __repr__(self) -> str:
        return f"<InboundCall {self.call_id} {self.caller!r}->{self.called!r} {self._state} {self.end_cause or ''}>"

    # The application's side.
    def ringing(self) -> None:
        if self._state == OFFERED and not self.ended.is_set():
            self._call.ringing()

    def answer(self, media: MediaOffer) -> MediaOffer:
        """200 OK with our SDP; the negotiated media (one codec, the caller's telephone-event type)."""
        if self._state != OFFERED or self.ended.is_set():
            raise CallEnded(f"call {self.call_id} is {self.end_cause or self._state}")
        if self.offer is None or self._call.sdp_offer is None:
            raise NoCommonCodec("the INVITE carried no (usable) SDP offer")
        sdp, negotiated = answer_sdp(self._call.sdp_offer, self.offer, media)
        self._call.accept(sdp)
        self._state = ANSWERED
        self.answered_at = time.time()
        self._ours = media
        self.negotiated = negotiated
        self._timer = asyncio.get_running_loop().call_later(self._server.no_ack_timeout, self._no_ack)
        return negotiated

    def reject(self, code: int, reason: str = "") -> None:
        """A final error response (3xx-6xx) to a call not answered yet; ignored once it was answered or is over."""
        if not 300 <= code <= 699:
            raise ValueError(f"not a rejection status: {code}")
        if self._state != OFFERED or self.ended.is_set():
            logger.debug("SIP: reject(%s) on %r ignored", code, self)
            return
        self._call.reject(code, reason or REASONS.get(code, ""))
        self._state = REJECTED
        self._end("rejected")
        self._await_ack_of_final()

    def hangup(self) -> None:
        """BYE if answered (idempotent); before the answer, reject(480)."""
        if self._state == OFFERED:
            if not self.ended.is_set():
                self.reject(480, "Temporarily Unavailable")
            return
        if self._state != ANSWERED or self.ended.is_set():
            return
        self._end("hangup")
        if self.acked.is_set():
            self._send_bye()
            self._release()
        else:
            self._bye_pending = True  # no BYE before our 200 is ACKed or given up on (RFC 3261 §15)

    # The server's side.
    def _end(self, cause: str) -> None:
        if self.ended.is_set():
            return
        self.end_cause = cause
        self.ended.set()
        self._server._inbound_ended(self)

    def _transaction_done(self) -> None:
        branch = top_branch(self._call.invite)
        if branch:
            self._stack.transport.responses.done((branch, "INVITE"))

    def _release(self) -> None:
        """Forget the call: aiosipua's state, our timers, the server's table."""
        if self._released:
            return
        self._released = True
        self._final = None
        self._transaction_done()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        compat.forget(self._stack.uas, self._call)
        self._server._inbound_released(self)

    def _send_bye(self) -> None:
        host, port = self._stack.signalling_addr
        dialog = self._call.dialog
        bye = dialog.create_request("BYE", via_host=host, via_port=port, via_transport=self._stack.name.upper())
        dialog.terminate()
        self._stack.transport.send(bye, next_hop(dialog, self.remote_addr, self._stack.transport))

    def _await_ack_of_final(self) -> None:
        """After a non-2xx final response: retransmit it until the ACK (Timer G, UDP), give up after 64xT1 (Timer H)."""
        loop = asyncio.get_running_loop()
        branch = top_branch(self._call.invite)
        final = self._stack.transport.responses.get((branch, "INVITE")) if branch else None
        self._final = final if isinstance(final, tuple) else None
        if self._timer is not None:
            self._timer.cancel()
        if self._stack.transport.reliable or self._final is None:
            self._timer = loop.call_later(TIMER_64T1, self._release)
        else:
            self._timer = loop.call_later(T1, self._retransmit_final, T1, loop.time() + TIMER_64T1)

    def _retransmit_final(self, interval: float, deadline: float) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        if now >= deadline - 0.001 or self._final is None:
            self._timer = None
            self._release()
            return
        self._stack.transport.resend(self._final)
        interval = min(interval * 2, T2)
        self._timer = loop.call_later(min(interval, deadline - now), self._retransmit_final, interval, deadline)

    def _acknowledged(self, request: SipRequest) -> None:
        """An ACK with this Call-ID arrived (aiosipua has seen it too)."""
        if self._state == ANSWERED and not self.acked.is_set():
            to = request.to_addr
            if to is None or to.tag != self._call.dialog.local_tag:
                return
            self.acked.set()
            self._transaction_done()
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._bye_pending:
                self._bye_pending = False
                self._send_bye()
                self._release()
        elif self._state == REJECTED:
            self._release()

    def _no_ack(self, *, reinvite: bool = False) -> None:
        """No ACK for our 200 (to the INVITE or a re-INVITE): released with a BYE (RFC 3261 §13.3.1.4)."""
        if not reinvite:
            self._timer = None
        if self._released or (self.acked.is_set() and not reinvite):
            return
        logger.warning("SIP: no ACK for our 200 OK on %s: call released, BYE sent", self.call_id)
        self._end("no-ack")
        self._send_bye()
        self._release()

    def _shutdown(self) -> None:
        """The server stops: 503 if not answered, BYE if answered (without waiting for an ACK), forget it."""
        if self._state == OFFERED and not self.ended.is_set():
            self.reject(503, "Service Unavailable")
        elif self._state == ANSWERED and (not self.ended.is_set() or self._bye_pending):
            self._end("hangup")
            self._send_bye()
        self._release()

    def _bye_received(self) -> None:
        """aiosipua answered the caller's BYE 200 and dropped the call."""
        if self._state == OFFERED:  # a BYE before our final response ends the INVITE too
            self._call.reject(487, "Request Terminated")
            self._state = REJECTED
        self._end("bye")
        self._release()

    def _cancelled(self) -> None:
        """aiosipua answered the CANCEL 200 and the INVITE 487."""
        self._state = REJECTED
        self._end("cancel")
        self._await_ack_of_final()

    def _connection_lost(self) -> None:
        self._end("transport")
        self._release()

    def _dtmf(self, digit: str) -> None:
        if self.on_dtmf is not None and not self.ended.is_set():
            _callback(self.on_dtmf, digit)

    def _reinvited(self, call: IncomingCall) -> None:
        """A re-INVITE (aiosipua has put it in call.invite): 200 with our unchanged media, or 488."""
        stack = self._stack
        if self._state != ANSWERED or self.ended.is_set() or self._ours is None or self.negotiated is None:
            stack.transport.send_reply(call.dialog.create_response(call.invite, 491, "Request Pending"))
            return
        refresh_target(call.dialog, call.invite)
        if call.invite.body and call.sdp_offer is not None:
            offer = media_from_sdp(call.sdp_offer)
            ours, codecs = self._ours, self.negotiated.payload_types
            kept = MediaOffer(ours.host, ours.port, codecs, ours.dtmf_payload_type)
            try:
                if offer is None:
                    raise NoCommonCodec("no audio in the re-INVITE")
                sdp, negotiated = answer_sdp(call.sdp_offer, offer, kept)
            except NoCommonCodec:
                stack.transport.send_reply(call.dialog.create_response(call.invite, 488, "Not Acceptable Here"))
                return
            if (negotiated.host, negotiated.port) != (self.negotiated.host, self.negotiated.port):
                self.negotiated = negotiated
                if self.on_media_change is not None:
                    _callback(self.on_media_change, negotiated)
            call.accept(sdp)
        else:
            call.accept(call.sdp_answer)

    @property
    def state(self) -> str:
        """ "offered" | "answered" | "rejected"."""
        return self._state

"""One call from us (a Dial leg): aiosipua's OutgoingCall behind the interface the call interpreter codes against."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiosipua import DialogState, IncomingCall, OutgoingCall, SipRequest, SipResponse

from telephony.executor.sip.dialogs import confirmed_as_uac, next_hop, refresh_target, request_hop
from telephony.executor.sip.media import (
    MediaOffer,
    NoCommonCodec,
    answer_sdp,
    media_from_sdp,
    negotiated_answer,
    offer_sdp,
)
from telephony.executor.sip.messages import dialog_request_for_2xx, via_header

if TYPE_CHECKING:
    from telephony.executor.sip.server import SipServer, Stack

logger = logging.getLogger(__name__)

BUSY = {486, 600}
NO_ANSWER = {408, 480}
NOT_REGISTERED = {404, 480}  # the SIP edge's answer for a client extension with no binding
NEW, CALLING, RINGING, ANSWERED, DONE = "new", "calling", "ringing", "answered", "done"


class OutboundCall:
    """A call we place. `result()` is "completed" (answered: 200 OK, ACK sent), "busy" (486/600),
    "no-answer" (the timeout elapsed, we CANCEL; or 408/480), "failed" (other final responses,
    a client extension not registered: no SIP edge, or 404/480 from it; no outbound proxy, no
    response at all) or "canceled" (cancel() was called).

    `ended` is set once the answered call is over ("bye": the callee hung up, "hangup": we did,
    "transport": its TCP connection was lost), or at once with the result as `end_cause` when it
    never got answered.
    """

    def __init__(self, server: SipServer, target: str, media: MediaOffer, timeout: float):
        self._server = server
        self.call_id: str = ""
        self.target = target
        self.answer: MediaOffer | None = None
        self.ended = asyncio.Event()
        self.end_cause: str | None = None
        self.answered_at: float | None = None
        self.on_dtmf: Callable[[str], None] | None = None  # SIP INFO digits from the callee
        self._media = media
        self._timeout = timeout
        self._result: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._phase = NEW
        self._stack: Stack | None = None
        self._call: OutgoingCall | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._cancel_deferred = False
        self._cancel_sent = False
        self._late_dialog: SipRequest | None = None  # BYE sent for a 2xx that came after we gave up

    def __repr__(self) -> str:
        return f"<OutboundCall {self.call_id or '-'} {self.target!r} {self._phase} {self.end_cause or ''}>"

    # The application's side.
    async def result(self) -> str:
        return await asyncio.shield(self._result)

    def cancel(self) -> None:
        """Give up on a call not answered yet (CANCEL once it rings); no effect once answered or over."""
        self._give_up("canceled")

    def hangup(self) -> None:
        """BYE if answered (idempotent); before the answer, the same as cancel()."""
        if self._phase in (NEW, CALLING, RINGING):
            self._give_up("canceled")
            return
        if self._phase != ANSWERED or self._call is None or self._stack is None:
            return
        self._phase = DONE
        try:
            self._stack.uac.send_bye(self._call.dialog, self._call.remote_addr)
        except ValueError:
            logger.debug("SIP: no BYE for %r", self)
        self._end("hangup")

    # Placing the call.
    def _fail_now(self, why: str) -> None:
        logger.info("SIP: dial %s failed: %s", self.target, why)
        self._phase = DONE
        self._finish("failed")

    def _send(
        self,
        stack: Stack,
        request_uri: str,
        addr: tuple[str, int],
        from_uri: str,
        display: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._stack = stack

        def add_display_name(invite: SipRequest) -> None:
            if display:
                value = invite.headers.get_first("from") or ""
                name = display.replace("\\", "\\\\").replace('"', '\\"')
                invite.headers.set_single("From", f'"{name}" {value}')

        with stack.transport.rewriting_invite(add_display_name):
            call = stack.uac.send_invite(
                from_uri,
                request_uri,
                addr,
                offer_sdp(self._media),
                user_agent=stack.uas.user_agent,
                extra_headers=headers,
            )
        call.on_ringing = self._on_ringing
        call.on_answer = self._on_answer
        call.on_rejected = self._on_rejected
        self._call = call
        self.call_id = call.call_id
        self._phase = CALLING
        self._server._outbound_started(self)

    def _arm(self) -> None:
        """Start the timeout (from dial(), before a name is resolved or the INVITE sent)."""
        self._timer = asyncio.get_running_loop().call_later(self._timeout, self._give_up, "no-answer")

    # Outcomes.
    def _finish(self, status: str) -> None:
        if not self._result.done():
            self._result.set_result(status)
        if status != "completed":
            self._end(status)

    def _end(self, cause: str) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.ended.is_set():
            return
        self.end_cause = cause
        self.ended.set()
        if self._stack is not None and self.call_id:
            self._server._outbound_ended(self)

    def _give_up(self, status: str) -> None:
        """Timeout or cancel() while calling or ringing: the result is decided, the INVITE is CANCELled."""
        if self._phase == NEW and not self._result.done():  # still resolving the target's name
            self._phase = DONE
            self._finish(status)
            return
        if self._phase not in (CALLING, RINGING) or self._result.done():
            return
        self._finish(status)
        if self._phase == RINGING:
            self._send_cancel()
        else:  # no provisional response yet: a CANCEL must wait for one (RFC 3261 §9.1)
            self._cancel_deferred = True

    def _send_cancel(self) -> None:
        call, stack = self._call, self._stack
        if call is None or stack is None or self._cancel_sent or call.dialog.state != DialogState.EARLY:
            return
        self._cancel_sent = True
        stack.uac.send_cancel(call)

    # aiosipua's callbacks.
    def _on_ringing(self, call: OutgoingCall) -> None:
        if self._phase == CALLING:
            self._phase = RINGING
        if self._cancel_deferred:
            self._send_cancel()

    def _on_answer(self, call: OutgoingCall) -> None:
        assert self._stack is not None
        if self._result.done():  # answered after we gave up: aiosipua ACKed it, we hang it up
            self._phase = DONE
            self._stack.uac.send_bye(call.dialog, call.remote_addr)
            return
        answer = negotiated_answer(media_from_sdp(call.sdp_answer), self._media)
        if answer is None:
            logger.warning("SIP: %s answered without usable SDP; hanging up", self.target)
            self._phase = DONE
            self._stack.uac.send_bye(call.dialog, call.remote_addr)
            self._finish("failed")
            return
        self.answer = answer
        self.answered_at = time.time()
        self._phase = ANSWERED
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._finish("completed")

    def _on_rejected(self, call: OutgoingCall, status: int, reason: str) -> None:
        self._phase = DONE
        if status in NOT_REGISTERED and self.target.lower().startswith("client:"):
            logger.info("SIP: dial %s failed: not registered (%d %s from the SIP edge)", self.target, status, reason)
            self._finish("failed")
        elif status in BUSY:
            self._finish("busy")
        elif status in NO_ANSWER:
            self._finish("no-answer")
        else:
            self._finish("failed")

    # The server's dispatcher.
    def _late_2xx(self, response: SipResponse) -> None:
        """A 2xx to our INVITE after aiosipua forgot the call (it crossed our CANCEL): ACK it, then BYE."""
        stack, call = self._stack, self._call
        if stack is None or call is None:
            return
        host, port = stack.signalling_addr
        transport = stack.name.upper()
        ack = dialog_request_for_2xx("ACK", call.invite, response, via_header(host, port, transport))
        stack.transport.send(ack, request_hop(ack, call.remote_addr))
        if self._late_dialog is None:
            seq = (call.invite.cseq.seq if call.invite.cseq else 1) + 1
            self._late_dialog = dialog_request_for_2xx(
                "BYE", call.invite, response, via_header(host, port, transport), seq
            )
            stack.transport.send(self._late_dialog, request_hop(self._late_dialog, call.remote_addr))

    def _confirming(self, response: SipResponse) -> None:
        """The first 2xx to our INVITE, before aiosipua ACKs it: the dialog's remote target and route set
        come from it, and the ACK and later requests go to the first route (or the Contact)."""
        stack, call = self._stack, self._call
        if stack is None or call is None or call.dialog.state != DialogState.EARLY:
            return
        confirmed_as_uac(call.dialog, response)
        call.remote_addr = next_hop(call.dialog, call.remote_addr, stack.transport)

    def _no_response(self) -> None:
        """64xT1 without any response to our INVITE."""
        if self._stack is not None and self.call_id:
            self._stack.uac.remove_call(self.call_id)
        if self._phase in (CALLING, RINGING):
            self._phase = DONE
            self._finish("failed")

    def _bye_received(self) -> None:
        if self._phase == ANSWERED:
            self._phase = DONE
            self._end("bye")

    def _connection_lost(self) -> None:
        if self._phase == ANSWERED:
            self._phase = DONE
            self._end("transport")
        elif self._phase in (CALLING, RINGING):
            self._phase = DONE
            self._finish("failed")

    def _dtmf(self, digit: str) -> None:
        if self.on_dtmf is not None and not self.ended.is_set():
            try:
                self.on_dtmf(digit)
            except Exception:
                logger.exception("SIP: on_dtmf failed")

    def _reinvited(self, wrapper: IncomingCall) -> None:
        """A re-INVITE from the callee: 200 with our media (the codec we use), or 488."""
        assert self._stack is not None
        transport = self._stack.transport
        if self._call is not None:
            refresh_target(self._call.dialog, wrapper.invite)
        ours = self._media
        if self.answer is not None:
            ours = MediaOffer(ours.host, ours.port, self.answer.payload_types, ours.dtmf_payload_type)
        offer = media_from_sdp(wrapper.sdp_offer)
        if wrapper.sdp_offer is None:
            wrapper.accept(offer_sdp(ours))
            return
        try:
            if offer is None:
                raise NoCommonCodec("no audio in the re-INVITE")
            sdp, _ = answer_sdp(wrapper.sdp_offer, offer, ours)
        except NoCommonCodec:
            transport.send_reply(wrapper.dialog.create_response(wrapper.invite, 488, "Not Acceptable Here"))
            return
        wrapper.accept(sdp)

    @property
    def dialog_call(self) -> OutgoingCall | None:
        return self._call

    @property
    def phase(self) -> str:
        return self._phase

    @property
    def cancel_sent(self) -> bool:
        return self._cancel_sent

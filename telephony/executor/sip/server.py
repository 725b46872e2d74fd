"""The SIP server: aiosipua's UAS and UAC on UDP and TCP, with a dispatcher in front of them.

aiosipua does the dialogs, INVITE/BYE/CANCEL handling, 2xx retransmission, ACKs for our 2xx
responses, CANCEL and BYE building. In front of it, this module adds:

- INFO (DTMF), which aiosipua answers 405;
- 405 to REGISTER: the SIP edge (Kamailio) is the registrar, and calls to client extensions are sent
  to it (SIP_EDGE), which relays them to the phone's binding; no registration lives here;
- OPTIONS 200 while serving, 503 once draining (the edge's dispatcher probes with OPTIONS);
- retransmitted requests answered again from the server transaction's last response, never processed
  twice (aiosipua would start a second call for a retransmitted INVITE, and 481 a retransmitted BYE);
- CANCEL of an INVITE already answered: 200, no effect (aiosipua would drop the answered call);
- 400 to malformed requests that carry a Via, 482 to a second INVITE of a call, 481 to in-dialog
  requests for dialogs we do not know;
- dialogs as RFC 3261 §12 has them (dialogs.py): our answers echo the Record-Route, our in-dialog
  requests (ACK, BYE) go to the remote target through the route set, in both roles;
- BYE after no ACK for our 200 (configurable timeout), BYE held back until the ACK when we hang up first;
- 503 + Retry-After to new INVITEs after stop_accepting();
- the call state aiosipua never forgets (calls we hang up, rejected calls whose ACK never came).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from aiosipua import IncomingCall, SipRequest, SipResponse, SipUAC, SipUAS, parse_uri
from aiosipua.dialog import dialog_matches

from telephony.executor.sip import compat
from telephony.executor.sip.inbound import InboundCall
from telephony.executor.sip.media import MediaOffer
from telephony.executor.sip.messages import is_ip, make_response, problem, transaction_key
from telephony.executor.sip.outbound import OutboundCall
from telephony.executor.sip.transport import DONE, PENDING, TIMER_64T1, TcpTransport, UdpTransport

logger = logging.getLogger(__name__)

ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE"
DTMF_SIGNALS = {"10": "*", "11": "#", "12": "A", "13": "B", "14": "C", "15": "D"}
VALID_DIGITS = set("0123456789*#ABCD")
URI_USER_SAFE = "+-_.!~*'()&=$,;?/"


def parse_dtmf(content_type: str, body: str) -> str | None:
    """The digit in a SIP INFO body: application/dtmf-relay (`Signal=5`) or application/dtmf (`5`)."""
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/dtmf-relay":
        for line in body.splitlines():
            name, _, value = line.partition("=")
            if name.strip().lower() == "signal":
                value = value.strip()
                digit = DTMF_SIGNALS.get(value, value.upper())
                return digit if digit in VALID_DIGITS else None
        return None
    if kind == "application/dtmf":
        value = body.strip()
        digit = DTMF_SIGNALS.get(value, value.upper())
        return digit if digit in VALID_DIGITS else None
    return None


def _guess_host() -> str:
    """Our address as others reach it, when bound to a wildcard address."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # no packet is sent
        return probe.getsockname()[0]
    return "127.0.0.1"


class Stack:
    """One transport with its aiosipua UAS and UAC."""

    def __init__(self, transport: UdpTransport | TcpTransport, uas: SipUAS, uac: SipUAC, advertised: tuple[str, int]):
        self.name = transport.name
        self.transport = transport
        self.uas = uas
        self.uac = uac
        self.signalling_addr = advertised


class SipServer:
    """SIP on UDP and TCP at one host:port: calls to our numbers, calls out.

    `on_invite` is called (as a task) for every new call; the application answers or rejects it.
    `edge` (host, port): the SIP edge that knows where client extensions are registered; None: a
    client extension cannot be reached (a dial to one fails as not registered).
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        on_invite: Callable[[InboundCall], Awaitable[None]],
        outbound_proxy: tuple[str, int] | None = None,
        edge: tuple[str, int] | None = None,
        user_agent: str = "",
        no_ack_timeout: float = 32.0,
        advertised_host: str | None = None,
    ):
        self.host = host
        self.port = port
        self.on_invite = on_invite
        self.outbound_proxy = outbound_proxy
        self.edge = edge
        self.user_agent = user_agent
        self.no_ack_timeout = no_ack_timeout
        self.advertised_host = advertised_host
        self._stacks: dict[str, Stack] = {}
        self._inbound: dict[str, InboundCall] = {}
        self._outbound: dict[str, OutboundCall] = {}
        self._active = 0
        self._accepting = True
        self.probed = False  # an OPTIONS outside any dialog came (the edge's dispatcher probes us)
        self.probe_refused = asyncio.Event()  # ... and one was answered 503 since stop_accepting()
        self._tasks: set[asyncio.Task] = set()
        self.stats = {"invites": 0, "retransmissions": 0, "malformed": 0, "rejected_busy": 0}

    # Lifecycle.
    async def start(self) -> None:
        """Bind UDP and TCP on the same host:port (port 0: a free port, then `self.port` says which)."""
        attempts = 20 if self.port == 0 else 1
        for attempt in range(attempts):
            udp = UdpTransport((self.host, self.port))
            await udp.start()
            tcp = TcpTransport((self.host, udp.local_addr[1]))
            try:
                await tcp.start()
            except OSError:
                await udp.stop()
                if attempt + 1 == attempts:
                    raise
                continue
            break
        self.port = udp.local_addr[1]
        wildcard = self.host in ("", "0.0.0.0", "::")
        advertised = (self.advertised_host or (_guess_host() if wildcard else self.host), self.port)
        for transport in (udp, tcp):
            uac = SipUAC(transport, advertised_addr=advertised)
            uas = SipUAS(transport, user_agent=self.user_agent, uac=uac, advertised_addr=advertised)
            stack = Stack(transport, uas, uac, advertised)
            uas.on_invite = lambda call, stack=stack: self._new_call(stack, call)
            uas.on_bye = self._bye_received
            uas.on_cancel = self._cancelled
            uas.on_ack_timeout = self._ack_timeout
            uas.on_reinvite = self._reinvited
            transport.on_message = lambda message, addr, stack=stack: self._on_message(stack, message, addr)
            transport.client.on_timeout = self._client_timeout
            host = f"[{advertised[0]}]" if ":" in advertised[0] else advertised[0]
            transport.contact_plain = f"<sip:{host}:{advertised[1]}>"
            transport.contact = f"<sip:{host}:{advertised[1]};transport={transport.name}>"
            if transport.name == "udp":
                transport.contact = transport.contact_plain
            self._stacks[transport.name] = stack
        tcp.on_connection_lost = self._connection_lost
        logger.info("SIP: listening on %s:%s (UDP, TCP), advertised as %s:%s", self.host, self.port, *advertised)

    def stop_accepting(self) -> None:
        """New INVITEs are answered 503 (with Retry-After); calls in progress go on."""
        self._accepting = False

    async def stop(self) -> None:
        """Hang up what is left (BYE / 503), then close the transports."""
        self._accepting = False
        for call in list(self._inbound.values()):
            call._shutdown()
        for leg in list(self._outbound.values()):
            leg.hangup()
        for task in list(self._tasks):
            task.cancel()
        for stack in self._stacks.values():
            await stack.uas.stop()
        self._stacks.clear()

    @property
    def active_calls(self) -> int:
        """Inbound calls not ended."""
        return self._active

    # Calls out.
    def dial(
        self,
        target: str,
        *,
        caller_id: str,
        caller_name: str = "",
        media: MediaOffer,
        timeout: float,
        account: str = "",
    ) -> OutboundCall:
        """Call `target`: "client:<login>" (through the SIP edge, which relays to the registered phone),
        "number:<digits>" (through the SIP edge, which picks the gateway of `account`, the call's
        AccountSid, or the outbound proxy; without an edge, to the outbound proxy) or
        "sip:user@host[:port]" (directly). Failures to even start are a result of "failed" at once,
        without sending anything."""
        leg = OutboundCall(self, target, media, timeout)
        try:
            resolved = self._resolve(target)
        except ValueError as exc:
            leg._fail_now(str(exc))
            return leg
        if isinstance(resolved, str):
            leg._fail_now(resolved)
            return leg
        stack, request_uri, addr = resolved
        headers = {"X-Account-Sid": account} if account and request_uri.endswith(";user=phone") else None
        user = quote(caller_id.strip(), safe=URI_USER_SAFE) or "anonymous"
        host, port = stack.signalling_addr
        from_uri = f"sip:{user}@{f'[{host}]' if ':' in host else host}:{port}"
        leg._arm()
        if addr is None:
            task = asyncio.create_task(self._resolve_and_send(leg, stack, request_uri, from_uri, caller_name, headers))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        else:
            leg._send(stack, request_uri, addr, from_uri, caller_name, headers)
        return leg

    def _resolve(self, target: str) -> tuple[Stack, str, tuple[str, int] | None] | str:
        kind, _, value = target.partition(":")
        kind = kind.lower()
        if not self._stacks:
            return "the SIP server is not running"
        if kind == "client":
            # The edge looks the login up among its bindings and relays; 404/480 from it: not registered.
            if self.edge is None:
                return f"client {value!r} is not registered (no SIP edge configured)"
            login = quote(value.strip(), safe=URI_USER_SAFE)
            if not login:
                return "no client login"
            return self._via(self.edge, login)
        if kind == "number":
            digits = "".join(c for c in value if c.isdigit() or c in "+*#")
            if self.edge is not None and digits:
                # Marked as a number (RFC 3261 user=phone): the edge routes it to a gateway or proxy.
                stack, request_uri, addr = self._via(self.edge, quote(digits, safe="+*"))
                return stack, request_uri + ";user=phone", addr
            if self.outbound_proxy is None:
                return "no outbound proxy configured"
            if not digits:
                return f"no digits in {value!r}"
            return self._via(self.outbound_proxy, quote(digits, safe="+*"))
        if kind in ("sip", "sips"):
            if kind == "sips":
                return "sips: is not supported"
            uri = parse_uri(target)
            if (uri.params.get("transport") or "udp").lower() != "udp":
                return "only UDP for sip: targets"
            host = uri.host.strip("[]")
            if not host:
                return f"no host in {target!r}"
            # A name is resolved (A record, no NAPTR/SRV) before sending.
            return self._stacks["udp"], target, (host, uri.port or 5060) if is_ip(host) else None
        return f"unknown target {target!r}"

    def _via(self, proxy: tuple[str, int], user: str) -> tuple[Stack, str, tuple[str, int] | None]:
        """`sip:<user>@<proxy>`, sent to the proxy over UDP (a name is resolved before sending)."""
        host, port = proxy
        shown = f"[{host}]" if ":" in host else host
        return self._stacks["udp"], f"sip:{user}@{shown}:{port}", (host, port) if is_ip(host) else None

    async def _resolve_and_send(
        self,
        leg: OutboundCall,
        stack: Stack,
        request_uri: str,
        from_uri: str,
        caller_name: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        uri = parse_uri(request_uri)
        try:
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET  # as our socket
            infos = await asyncio.get_running_loop().getaddrinfo(
                uri.host.strip("[]"), uri.port or 5060, family=family, type=socket.SOCK_DGRAM
            )
        except OSError as exc:
            leg._fail_now(f"cannot resolve {uri.host}: {exc}")
            return
        if leg.phase != "new":  # cancelled or timed out meanwhile
            return
        host, port = infos[0][4][:2]
        leg._send(stack, request_uri, (host, port), from_uri, caller_name, headers)

    # Bookkeeping.
    def _new_call(self, stack: Stack, incoming: IncomingCall) -> None:
        call = InboundCall(self, stack, incoming)
        self._inbound[call.call_id] = call
        self._active += 1
        self.stats["invites"] += 1
        task = asyncio.get_running_loop().create_task(self._run_on_invite(call))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_on_invite(self, call: InboundCall) -> None:
        try:
            await self.on_invite(call)
        except Exception:
            logger.exception("SIP: on_invite failed for %r", call)
            if call.state == "offered" and not call.ended.is_set():
                call.reject(500, "Server Internal Error")

    def _inbound_ended(self, call: InboundCall) -> None:
        self._active -= 1

    def _inbound_released(self, call: InboundCall) -> None:
        if self._inbound.get(call.call_id) is call:
            del self._inbound[call.call_id]

    def _outbound_started(self, leg: OutboundCall) -> None:
        self._outbound[leg.call_id] = leg

    def _outbound_ended(self, leg: OutboundCall) -> None:
        # Kept a while: a 2xx crossing our CANCEL must still be ACKed and hung up.
        def forget() -> None:
            if self._outbound.get(leg.call_id) is leg:
                del self._outbound[leg.call_id]

        asyncio.get_running_loop().call_later(TIMER_64T1, forget)

    # Replies.
    def _reply(self, stack: Stack, request: SipRequest, status: int, reason: str = "", **headers: str) -> None:
        named = {name.replace("_", "-"): value for name, value in headers.items()}
        response = make_response(request, status, reason, headers=named, user_agent=self.user_agent)
        stack.transport.send_reply(response)

    # The dispatcher.
    def _on_message(self, stack: Stack, message: SipRequest | SipResponse, addr: tuple[str, int]) -> None:
        if isinstance(message, SipResponse):
            self._on_response(stack, message, addr)
            return
        request = message
        method = request.method.upper()
        why = problem(request)
        if why is not None:
            self.stats["malformed"] += 1
            logger.warning("SIP: malformed %s from %s:%s: %s", method, *addr, why)
            if method != "ACK" and request.headers.get("via"):
                self._reply(stack, request, 400, why)
            return
        if method != "ACK":
            key = transaction_key(request)
            last = stack.transport.responses.get(key) if key else None
            if last is not None:
                self.stats["retransmissions"] += 1
                if last is not PENDING and last is not DONE:
                    stack.transport.resend(last)
                return
        handler = self._handlers.get(method)
        try:
            if handler is not None:
                handler(self, stack, request, addr)
            else:
                compat.forward(stack.uas, request, addr)
        except (ValueError, IndexError) as exc:
            logger.warning("SIP: cannot handle %s from %s:%s: %s", method, *addr, exc)
            if method != "ACK" and stack.transport.responses.get(transaction_key(request)) is None:
                self._reply(stack, request, 400, "Bad Request")

    def _on_invite_request(self, stack: Stack, request: SipRequest, addr: tuple[str, int]) -> None:
        call_id = request.call_id or ""
        to = request.to_addr
        if to is not None and to.tag:  # a re-INVITE: aiosipua's, if it knows the dialog
            if stack.uas.get_call(call_id) is None and stack.uac.get_call(call_id) is None:
                self._reply(stack, request, 481)
            else:
                compat.forward(stack.uas, request, addr)
            return
        existing = self._inbound.get(call_id)
        if existing is not None and existing.ended.is_set():
            existing._release()  # a finished call's Call-ID used again (a retry with a higher CSeq): a new call
        elif existing is not None or call_id in self._outbound:
            self._reply(stack, request, 482, "Loop Detected")  # same Call-ID, another branch: merged or looped
            return
        if not self._accepting:
            self.stats["rejected_busy"] += 1
            self._reply(stack, request, 503, "Service Unavailable", Retry_After="30")
            return
        compat.forward(stack.uas, request, addr)

    def _on_ack(self, stack: Stack, request: SipRequest, addr: tuple[str, int]) -> None:
        compat.forward(stack.uas, request, addr)
        call = self._inbound.get(request.call_id or "")
        if call is not None:
            call._acknowledged(request)

    def _on_cancel(self, stack: Stack, request: SipRequest, addr: tuple[str, int]) -> None:
        call = self._inbound.get(request.call_id or "")
        if call is not None and call.state == "offered" and not call.ended.is_set():
            compat.forward(stack.uas, request, addr)  # 200, 487 to the INVITE, then _cancelled()
            return
        if call is not None:  # already answered or rejected: the CANCEL has no effect (RFC 3261 §9.2)
            self._reply(stack, request, 200)
        else:
            self._reply(stack, request, 481)

    def _on_info(self, stack: Stack, request: SipRequest, addr: tuple[str, int]) -> None:
        call_id = request.call_id or ""
        inbound = self._inbound.get(call_id)
        outbound = self._outbound.get(call_id)
        dialog = None
        if inbound is not None and inbound.state == "answered" and not inbound.ended.is_set():
            dialog = inbound._call.dialog
        elif outbound is not None and outbound.phase == "answered" and outbound.dialog_call is not None:
            dialog = outbound.dialog_call.dialog
        if dialog is None or not dialog_matches(dialog, request):
            self._reply(stack, request, 481)
            return
        digit = parse_dtmf(request.content_type or "", request.text) if request.body else None
        if digit is not None:
            (inbound or outbound)._dtmf(digit)
        response = dialog.create_response(request, 200, "OK")
        if self.user_agent:
            response.headers.set_single("User-Agent", self.user_agent)
        stack.transport.send_reply(response)

    def _on_options(self, stack: Stack, request: SipRequest, addr: tuple[str, int]) -> None:
        to = request.to_addr
        if not (to is not None and to.tag):
            self.probed = True
            if not self._accepting:
                self._reply(stack, request, 503, "Service Unavailable", Retry_After="30")
                self.probe_refused.set()
                return
        self._reply(stack, request, 200, "OK", Allow=ALLOW, Accept="application/sdp")

    def _on_register(self, stack: Stack, request: SipRequest, addr: tuple[str, int]) -> None:
        """Phones register with the SIP edge, never here."""
        self._reply(stack, request, 405, "Method Not Allowed", Allow=ALLOW)

    _handlers: dict[str, Callable[[SipServer, Stack, SipRequest, tuple[str, int]], None]] = {
        "INVITE": _on_invite_request,
        "ACK": _on_ack,
        "CANCEL": _on_cancel,
        "INFO": _on_info,
        "OPTIONS": _on_options,
        "REGISTER": _on_register,
    }

    def _on_response(self, stack: Stack, response: SipResponse, addr: tuple[str, int]) -> None:
        call_id = response.call_id or ""
        leg = self._outbound.get(call_id)
        if (
            leg is not None
            and 200 <= response.status_code < 300
            and transaction_key(response) is not None
            and transaction_key(response)[1] == "INVITE"  # type: ignore[index]
            and stack.uac.get_call(call_id) is None
            and leg.cancel_sent
        ):
            leg._late_2xx(response)
            return
        if leg is not None and 200 <= response.status_code < 300:
            key = transaction_key(response)
            if key is not None and key[1] == "INVITE":
                leg._confirming(response)
        compat.forward(stack.uas, response, addr)

    # aiosipua's callbacks.
    def _bye_received(self, call: IncomingCall, request: SipRequest) -> None:
        call_id = request.call_id or ""
        inbound = self._inbound.get(call_id)
        if inbound is not None:
            inbound._bye_received()
            return
        leg = self._outbound.get(call_id)
        if leg is not None:
            leg._bye_received()

    def _cancelled(self, request: SipRequest, addr: tuple[str, int]) -> None:
        call = self._inbound.get(request.call_id or "")
        if call is not None:
            call._cancelled()

    def _ack_timeout(self, call: IncomingCall) -> None:
        inbound = self._inbound.get(call.call_id)
        if inbound is not None:
            inbound._no_ack(reinvite=inbound.acked.is_set())

    def _reinvited(self, call: IncomingCall) -> None:
        inbound = self._inbound.get(call.call_id)
        if inbound is not None:
            inbound._reinvited(call)
            return
        leg = self._outbound.get(call.call_id)
        if leg is not None:
            leg._reinvited(call)

    def _client_timeout(self, request: SipRequest) -> None:
        if request.method.upper() == "INVITE":
            leg = self._outbound.get(request.call_id or "")
            if leg is not None:
                leg._no_response()

    def _connection_lost(self, addr: tuple[str, int]) -> None:
        for call in list(self._inbound.values()):
            if call.transport == "tcp" and call.remote_addr == addr:
                call._connection_lost()
        for leg in list(self._outbound.values()):
            if leg._stack is not None and leg._stack.name == "tcp" and leg.dialog_call is not None:
                if leg.dialog_call.remote_addr == addr:
                    leg._connection_lost()

"""aiosipua's UDP and TCP transports, subclassed for what its transaction layer leaves out.

- Bytes that do not parse as SIP are answered 400 when they carry a Via (aiosipua logs and drops them);
  the reply goes to the source address only, never to a host named in the garbage.
- Server transactions: the last response to each request is remembered for 64xT1, so a retransmitted
  request (INVITE, BYE, CANCEL, REGISTER, ...) is answered again instead of being processed twice.
- Client transactions: requests we send over UDP are retransmitted (Timers A/E) until answered and given
  up after 64xT1 (Timers B/F); a non-2xx final response to our INVITE is ACKed (RFC 3261 §17.1.1.3).
- TCP: responses go back on the connection the request came on, our Via and Contact say TCP, and the
  loss of a connection is reported (calls on it end, registrations over it are dropped).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

from aiosipua import SipMessage, SipRequest, SipResponse, TcpSipTransport, UdpSipTransport

from telephony.executor.sip.messages import (
    ack_for_final,
    lenient_bad_request,
    response_destination,
    stamp_source,
    transaction_key,
)

logger = logging.getLogger(__name__)

T1 = 0.5
T2 = 4.0
TIMER_64T1 = 64 * T1
PROCEEDING_MAX = 300.0  # a ringing INVITE transaction is forgotten after this long without a final response

Addr = tuple[str, int]


class _Marker:
    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


PENDING: Any = _Marker("PENDING")  # a request being worked on (asynchronously): its retransmissions are absorbed
DONE: Any = _Marker("DONE")  # an INVITE transaction over (ACKed): a late copy of the INVITE is dropped


class ResponseCache:
    """The last response of each server transaction, keyed by (Via branch, method), for 64xT1, as
    (wire bytes, destination): a few hundred bytes a transaction, ~10-20 MB at 500 calls/s.

    Two generations swapped every `linger` seconds: O(1), no timers, an entry lives linger..2xlinger.
    """

    def __init__(self, linger: float = TIMER_64T1):
        self.linger = linger
        self._current: dict[tuple[str, str], Any] = {}
        self._previous: dict[tuple[str, str], Any] = {}
        self._since = time.monotonic()

    def _rotate(self) -> None:
        now = time.monotonic()
        if now - self._since >= self.linger:
            self._previous = self._current if now - self._since < 2 * self.linger else {}
            self._current = {}
            self._since = now

    def put(self, key: tuple[str, str], response: Any) -> None:
        self._rotate()
        self._current[key] = response

    def done(self, key: tuple[str, str]) -> None:
        """The transaction is over: keep only a marker (no response) for late copies of its request."""
        self._previous.pop(key, None)
        self.put(key, DONE)

    def get(self, key: tuple[str, str]) -> Any:
        self._rotate()
        value = self._current.get(key)
        if value is None:
            value = self._previous.get(key)
            if value is not None:
                self._current[key] = value
        return value

    def __len__(self) -> int:
        return len(self._current) + len(self._previous)


class _ClientTransaction:
    __slots__ = ("key", "request", "addr", "invite", "interval", "deadline", "timer", "expiry", "final")

    def __init__(self, key: tuple[str, str], request: SipRequest, addr: Addr, deadline: float):
        self.key = key
        self.request = request
        self.addr = addr
        self.invite = key[1] == "INVITE"
        self.interval = T1
        self.deadline = deadline
        self.timer: asyncio.TimerHandle | None = None
        self.expiry: asyncio.TimerHandle | None = None
        self.final = False


class ClientTransactions:
    """Requests we sent, until their final response (RFC 3261 §17.1)."""

    def __init__(
        self,
        send_raw: Callable[[SipMessage, Addr], bool],
        *,
        retransmit: bool,
        on_timeout: Callable[[SipRequest], None] | None = None,
    ):
        self._send_raw = send_raw
        self.retransmit = retransmit
        self.on_timeout = on_timeout
        self._txns: dict[tuple[str, str], _ClientTransaction] = {}

    def __len__(self) -> int:
        return len(self._txns)

    def started(self, request: SipRequest, addr: Addr) -> None:
        method = request.method.upper()
        if method == "ACK" or (not self.retransmit and method != "INVITE"):
            return
        key = transaction_key(request)
        if key is None or key in self._txns:
            return
        loop = asyncio.get_running_loop()
        txn = _ClientTransaction(key, request, addr, loop.time() + TIMER_64T1)
        self._txns[key] = txn
        if self.retransmit:
            txn.timer = loop.call_later(T1, self._fire, txn)
        else:  # TCP: no retransmission, only the give-up timer
            txn.timer = loop.call_later(TIMER_64T1, self._fire, txn)

    def _fire(self, txn: _ClientTransaction) -> None:
        loop = asyncio.get_running_loop()
        txn.timer = None
        now = loop.time()
        if now >= txn.deadline - 0.001 or not self.retransmit:
            self._drop(txn)
            if self.on_timeout is not None:
                try:
                    self.on_timeout(txn.request)
                except Exception:
                    logger.exception("client transaction timeout handler failed")
            return
        self._send_raw(txn.request, txn.addr)
        txn.interval = txn.interval * 2 if txn.invite else min(txn.interval * 2, T2)
        txn.timer = loop.call_later(min(txn.interval, max(txn.deadline - now, 0.0)), self._fire, txn)

    def _drop(self, txn: _ClientTransaction) -> None:
        for handle in (txn.timer, txn.expiry):
            if handle is not None:
                handle.cancel()
        txn.timer = txn.expiry = None
        if self._txns.get(txn.key) is txn:
            del self._txns[txn.key]

    def response(self, response: SipResponse) -> None:
        key = transaction_key(response)
        txn = self._txns.get(key) if key else None
        if txn is None:
            return
        status = response.status_code
        loop = asyncio.get_running_loop()
        if not txn.invite:
            if status >= 200:
                self._drop(txn)
            elif self.retransmit and txn.timer is not None and txn.interval < T2:
                txn.timer.cancel()  # Proceeding: retransmit every T2 (§17.1.2.2)
                txn.interval = T2
                txn.timer = loop.call_later(T2, self._fire, txn)
            return
        if txn.timer is not None:  # any response stops Timer A (and B)
            txn.timer.cancel()
            txn.timer = None
        if status < 200:
            if txn.expiry is None:
                txn.expiry = loop.call_later(PROCEEDING_MAX, self._drop, txn)
        elif status < 300:
            self._drop(txn)  # the 2xx and its ACK belong to the dialog (aiosipua's UAC)
        else:
            self._send_raw(ack_for_final(txn.request, response), txn.addr)  # retransmitted finals: ACKed again
            if not txn.final:
                txn.final = True
                if txn.expiry is not None:
                    txn.expiry.cancel()
                txn.expiry = loop.call_later(TIMER_64T1, self._drop, txn)  # Timer D

    def forget(self, request: SipRequest) -> None:
        """Stop retransmitting a request (e.g. our INVITE when we give up on it before any response)."""
        key = transaction_key(request)
        txn = self._txns.get(key) if key else None
        if txn is not None and txn.timer is not None:
            txn.timer.cancel()
            txn.timer = None
            if txn.expiry is None:
                txn.expiry = asyncio.get_running_loop().call_later(TIMER_64T1, self._drop, txn)

    def close(self) -> None:
        for txn in list(self._txns.values()):
            self._drop(txn)


class _TransportMixin:
    """What both of our transports add to aiosipua's (see the module docstring)."""

    name: ClassVar[str]
    reliable: ClassVar[bool]
    local_addr: Addr
    on_message: Callable[[SipRequest | SipResponse, Addr], None] | None

    def _setup(self) -> None:
        self.responses = ResponseCache()
        self.client = ClientTransactions(self._send_raw, retransmit=not self.reliable)
        self.contact_plain = ""  # how aiosipua writes our Contact (set by the server once bound)
        self.contact = ""  # how we want it written on this transport
        self._invite_rewrite: Callable[[SipRequest], None] | None = None

    # Receiving.
    def _dispatch(self, data: bytes, addr: Addr) -> None:
        if not data.strip():  # CRLF keep-alive (RFC 5626 §3.5.1): pong on TCP, ignore on UDP
            self._keepalive(addr)
            return
        try:
            message = SipMessage.parse(data)
            if isinstance(message, SipRequest):
                stamp_source(message, addr, force_rport=self.reliable)
        except Exception:
            self._malformed(data, addr)
            return
        if isinstance(message, SipResponse):
            try:
                self.client.response(message)
            except Exception:
                logger.exception("SIP: client transaction failed on a response from %s", addr)
        if self.on_message is not None:
            try:
                self.on_message(message, addr)
            except Exception:
                logger.exception("SIP: error handling a message from %s", addr)

    def _keepalive(self, addr: Addr) -> None:
        pass

    def _malformed(self, data: bytes, addr: Addr) -> None:
        response = lenient_bad_request(data)
        answered = "; 400" if response else ""
        logger.warning("SIP: unparseable message from %s:%s (%d bytes)%s", *addr, len(data), answered)
        if response is not None:
            self._send_raw(response, addr)

    # Sending.
    @contextlib.contextmanager
    def rewriting_invite(self, rewrite: Callable[[SipRequest], None]) -> Iterator[None]:
        """Apply `rewrite` to the INVITE sent inside the block (aiosipua builds and sends it in one call)."""
        self._invite_rewrite = rewrite
        try:
            yield
        finally:
            self._invite_rewrite = None

    def _send_raw(self, message: SipMessage, addr: Addr) -> bool:
        try:
            super().send(message, addr)  # type: ignore[misc]
        except (RuntimeError, OSError, ValueError) as exc:
            logger.warning("SIP: cannot send to %s:%s over %s: %s", *addr, self.name, exc)
            return False
        return True

    def _prepare(self, message: SipMessage) -> None:
        if self.contact and self.contact != self.contact_plain:
            if message.headers.get_first("contact") == self.contact_plain:
                message.headers.set_single("Contact", self.contact)

    def send(self, message: SipRequest | SipResponse, addr: Addr) -> None:
        if isinstance(message, SipRequest):
            if self._invite_rewrite is not None and message.method == "INVITE":
                rewrite, self._invite_rewrite = self._invite_rewrite, None
                rewrite(message)
            self._prepare(message)
            if self._send_raw(message, addr):
                self.client.started(message, addr)
            return
        self._prepare(message)
        self._send_raw(message, addr)

    def send_reply(self, response: SipResponse) -> None:
        """Send a response by its Via (RFC 3261 §18.2.2) and remember it for retransmitted requests."""
        destination = response_destination(response)
        if destination is None:
            logger.warning("SIP: cannot route a %s response: no Via", response.status_code)
            return
        self._prepare(response)
        wire = (bytes(response), destination)
        key = transaction_key(response)
        if key is not None:
            self.responses.put(key, wire)
        self.resend(wire)

    def resend(self, wire: tuple[bytes, Addr]) -> None:
        """Send a remembered response again."""
        try:
            self._write(*wire)
        except (RuntimeError, OSError) as exc:
            logger.warning("SIP: cannot send to %s:%s over %s: %s", *wire[1], self.name, exc)

    def _write(self, data: bytes, addr: Addr) -> None:
        raise NotImplementedError


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, owner: UdpTransport):
        self._owner = owner

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self._owner._dispatch(data, (str(addr[0]), int(addr[1])))

    def error_received(self, exc: Exception) -> None:
        logger.debug("SIP: UDP error: %s", exc)


class UdpTransport(_TransportMixin, UdpSipTransport):
    name = "udp"

    def __init__(self, local_addr: Addr):
        super().__init__(local_addr=local_addr)
        self._setup()

    async def start(self) -> None:
        # Our own protocol: aiosipua's asserts a DatagramTransport, which Python 3.11's selector
        # transport is not (harmless, but an error logged at every start).
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: _UdpProtocol(self), local_addr=self.local_addr)
        self._udp_transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        self.local_addr = (self.local_addr[0], int(transport.get_extra_info("sockname")[1]))

    async def stop(self) -> None:
        self.client.close()
        await super().stop()

    def _write(self, data: bytes, addr: Addr) -> None:
        if self._udp_transport is None:
            raise RuntimeError("transport not started")
        self._udp_transport.sendto(data, addr)


class TcpTransport(_TransportMixin, TcpSipTransport):
    name = "tcp"

    def __init__(self, local_addr: Addr):
        super().__init__(local_addr=local_addr)
        self._setup()
        self.on_connection_lost: Callable[[Addr], None] | None = None

    async def start(self) -> None:
        await super().start()
        assert self._server is not None
        self.local_addr = (self.local_addr[0], int(self._server.sockets[0].getsockname()[1]))

    async def stop(self) -> None:
        self.client.close()
        await super().stop()

    def has_connection(self, addr: Addr) -> bool:
        return addr in self._connections

    def _write(self, data: bytes, addr: Addr) -> None:
        connection = self._connections.get(addr)
        if connection is None:
            raise RuntimeError("no connection")
        connection[1].write(data)

    def _keepalive(self, addr: Addr) -> None:
        connection = self._connections.get(addr)
        if connection is not None:
            connection[1].write(b"\r\n")

    def _prepare(self, message: SipMessage) -> None:
        if isinstance(message, SipRequest):  # a request of ours: aiosipua always writes a UDP Via
            vias = message.headers.get("via")
            if vias and vias[0].startswith("SIP/2.0/UDP "):
                rest = vias[1:]
                top = "SIP/2.0/TCP " + vias[0][len("SIP/2.0/UDP ") :]
                message.headers.remove("Via")
                message.headers.append("Via", top)
                for value in rest:
                    message.headers.append("Via", value)
        super()._prepare(message)

    async def _handle_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        addr = (str(peer[0]), int(peer[1])) if peer else ("0.0.0.0", 0)
        try:
            await super()._handle_connection(reader, writer)
        finally:
            if self.on_connection_lost is not None:
                try:
                    self.on_connection_lost(addr)
                except Exception:
                    logger.exception("SIP: connection-lost handler failed")

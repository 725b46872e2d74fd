"""The SIP layer against real sipp: calls in and out, the way to the SIP edge, and what aiosipua lacks.

The SipServer runs in a background thread's event loop with a tiny test app; sipp (and a raw UDP
socket for what sipp cannot send) talks to it on ephemeral ports of 127.0.0.1. Where a call goes to a
client extension, a sipp UAS plays the SIP edge: it receives the INVITE the executor sends it for
`sip:<login>@<edge>` and answers as the edge relaying to a phone would (or 404/480: not registered).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

import pytest

from telephony.executor.sip import InboundCall, MediaOffer, NoCommonCodec, SipServer

SIPP = shutil.which("sipp")
SCENARIOS = Path(__file__).with_name("sipp")
HOST = "127.0.0.1"

pytestmark = pytest.mark.skipif(SIPP is None, reason="sipp is not installed")

ANSWER = "+15550001"  # answered; the caller hangs up
HANGUP = "+15550002"  # answered; the app hangs up after 300 ms
RING = "+15550003"  # rings, never answered
DTMF = "+15550004"  # answered; digits collected
UNKNOWN = "+15550404"
INACTIVE = "+15550480"


class App:
    """The executor's part, reduced: answer known numbers with a fake MediaOffer, 404/480 the others."""

    def __init__(self) -> None:
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind((HOST, 0))
        self.media = MediaOffer(HOST, self.rtp.getsockname()[1], (0, 8), 101)
        self.calls: list[InboundCall] = []
        self.negotiated: dict[str, MediaOffer] = {}
        self.digits: dict[str, list[str]] = defaultdict(list)

    async def on_invite(self, call: InboundCall) -> None:
        self.calls.append(call)
        if call.called == UNKNOWN:
            call.reject(404, "Not Found")
            return
        if call.called == INACTIVE:
            call.reject(480, "Temporarily Unavailable")
            return
        call.ringing()
        if call.called == RING:
            return
        try:
            self.negotiated[call.call_id] = call.answer(self.media)
        except NoCommonCodec:
            call.reject(488)
            return
        call.on_dtmf = self.digits[call.call_id].append
        if call.called == HANGUP:
            await asyncio.sleep(0.3)
            call.hangup()

    def last(self, number: str) -> InboundCall:
        return [call for call in self.calls if call.called == number][-1]

    def close(self) -> None:
        self.rtp.close()


class Harness:
    """A SipServer in its own thread's event loop."""

    def __init__(self, **options) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="sip-server", daemon=True)
        self.thread.start()
        self.app = App()
        self.server: SipServer = self.run(self._start(options))

    async def _start(self, options) -> SipServer:
        server = SipServer(HOST, 0, on_invite=self.app.on_invite, **options)
        await server.start()
        return server

    @property
    def port(self) -> int:
        return self.server.port

    def run(self, coro, timeout: float = 10.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, function, *args, **kwargs):
        async def inside():
            return function(*args, **kwargs)

        return self.run(inside())

    def wait(self, event: asyncio.Event, timeout: float = 5.0) -> None:
        self.run(asyncio.wait_for(event.wait(), timeout), timeout + 1)

    def until(self, predicate, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.call(predicate):
            assert time.monotonic() < deadline, "timed out waiting"
            time.sleep(0.02)

    def close(self) -> None:
        self.run(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()
        self.app.close()


@pytest.fixture(scope="module")
def sip():
    harness = Harness(no_ack_timeout=2.0)
    yield harness
    harness.close()


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (for sipp's -p / -mp)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind((HOST, 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind((HOST, port))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free port")


class Sipp:
    """One sipp run (-m 1), every run wrapped in `timeout`."""

    def __init__(
        self,
        tmp: Path,
        scenario: str,
        *,
        remote: int | None,
        subs: dict[str, str] | None = None,
        args: tuple[str, ...] = (),
        port: int | None = None,
        timeout: int = 15,
        transport: str = "u1",
    ):
        self.tmp = tmp
        self.port = port or free_port()
        name = f"{scenario}-{uuid.uuid4().hex[:8]}"
        text = (SCENARIOS / f"{scenario}.xml").read_text()
        for key, value in (subs or {}).items():
            text = text.replace(f"@@{key}@@", value)
        assert "@@" not in text, f"unfilled placeholder in {scenario}"
        self.path = tmp / f"{name}.xml"
        self.path.write_text(text)
        self.errors = tmp / f"{name}-errors.log"
        self.messages = tmp / f"{name}-messages.log"
        command = ["timeout", "-k", "2", str(timeout), SIPP]
        if remote is not None:
            command.append(f"{HOST}:{remote}")
        command += ["-sf", str(self.path), "-i", HOST, "-p", str(self.port), "-mp", str(free_port())]
        command += ["-t", transport, "-m", "1", "-nostdin", "-timeout", f"{timeout - 3}s", "-timeout_error"]
        command += ["-trace_err", "-error_file", str(self.errors), "-trace_msg", "-message_file", str(self.messages)]
        command += list(args)
        self.command = command
        self.process = subprocess.Popen(command, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def listening(self, timeout: float = 5.0) -> Sipp:
        """Wait until sipp (as a UAS) has bound its UDP port."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                try:
                    probe.bind((HOST, self.port))
                except OSError:
                    time.sleep(0.05)  # bound: give it a moment to read its socket
                    return self
            assert self.process.poll() is None, self.report()
            time.sleep(0.02)
        raise AssertionError("sipp did not start listening")

    def finish(self, timeout: float = 20.0) -> Sipp:
        self.process.wait(timeout)
        assert self.process.returncode == 0, self.report()
        return self

    def report(self) -> str:
        output = self.process.stdout.read().decode(errors="replace") if self.process.stdout else ""
        errors = self.errors.read_text(errors="replace") if self.errors.exists() else ""
        messages = self.messages.read_text(errors="replace")[-6000:] if self.messages.exists() else ""
        return f"sipp exit {self.process.returncode}\n{' '.join(self.command)}\n{output[-3000:]}\n{errors}\n{messages}"

    def received(self, start_line: str) -> int:
        """How many received messages started with `start_line`."""
        text = self.messages.read_text(errors="replace")
        return len(re.findall(r"message received \[\d+\] bytes :\s*\n\s*" + re.escape(start_line), text))


def run_sipp(tmp: Path, scenario: str, *, remote: int, service: str = "", **kwargs) -> Sipp:
    args = ("-s", service) if service else ()
    return Sipp(tmp, scenario, remote=remote, args=args, **kwargs).finish()


class RawPeer:
    """A UDP socket writing SIP by hand: retransmissions, garbage, what sipp will not send."""

    def __init__(self, server_port: int):
        self.server = (HOST, server_port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((HOST, 0))
        self.port = self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()

    def send(self, text: str | bytes) -> None:
        data = text if isinstance(text, bytes) else text.replace("\r\n", "\n").replace("\n", "\r\n").encode()
        self.sock.sendto(data, self.server)

    def request(
        self,
        method: str,
        number: str,
        *,
        call_id: str,
        branch: str,
        cseq: int = 1,
        to_tag: str = "",
        body: str = "",
        cseq_method: str | None = None,
    ) -> str:
        to = f"<sip:{number}@{HOST}:{self.server[1]}>" + (f";tag={to_tag}" if to_tag else "")
        lines = [
            f"{method} sip:{number}@{HOST}:{self.server[1]} SIP/2.0",
            f"Via: SIP/2.0/UDP {HOST}:{self.port};branch={branch};rport",
            f"From: <sip:raw@{HOST}:{self.port}>;tag=rawtag",
            f"To: {to}",
            f"Call-ID: {call_id}",
            f"CSeq: {cseq} {cseq_method or method}",
            f"Contact: <sip:raw@{HOST}:{self.port}>",
            "Max-Forwards: 70",
        ]
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append(f"Content-Length: {len(body.encode())}")
        return "\r\n".join(lines) + "\r\n\r\n" + body

    def receive(self, timeout: float = 2.0) -> str | None:
        self.sock.settimeout(timeout)
        try:
            data, _ = self.sock.recvfrom(65535)
        except TimeoutError:
            return None
        return data.decode(errors="replace")

    def expect(self, status: int, method: str | None = None, timeout: float = 3.0) -> str:
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            message = self.receive(max(deadline - time.monotonic(), 0.01))
            if message is None:
                break
            seen.append(message.split("\r\n", 1)[0])
            if message.startswith(f"SIP/2.0 {status} ") and (method is None or f" {method}\r\n" in message):
                return message
        raise AssertionError(f"no {status} {method or ''}; got {seen}")

    def drain(self, duration: float = 0.3) -> list[str]:
        messages = []
        deadline = time.monotonic() + duration
        while (left := deadline - time.monotonic()) > 0:
            message = self.receive(left)
            if message is None:
                break
            messages.append(message)
        return messages


SDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 101\r\n"
SDP += "a=rtpmap:101 telephone-event/8000\r\n"


def header(message: str, name: str) -> str:
    match = re.search(rf"^{name}:\s*(.*)$", message, re.MULTILINE | re.IGNORECASE)
    assert match, f"no {name} in {message!r}"
    return match.group(1).strip()


def to_tag(message: str) -> str:
    return re.search(r";tag=([^;\s>]+)", header(message, "To")).group(1)


@pytest.fixture
def raw(sip):
    peer = RawPeer(sip.port)
    yield peer
    peer.close()


# Calls in.
@pytest.mark.parametrize(
    "offered, answered, dtmf",
    [("0 8 101", "0 101", 101), ("8 101", "8 101", 101), ("18 8 0", "0", None)],
    ids=["pcmu", "pcma-only", "pcmu-preferred-no-dtmf"],
)
def test_basic_call(sip, tmp_path, offered, answered, dtmf):
    subs = {"CODECS": offered, "ANSWER_RE": f"m=audio {sip.app.media.port} RTP/AVP {answered}\r", "HOLD_MS": "100"}
    run_sipp(tmp_path, "uac_call", remote=sip.port, service=ANSWER, subs=subs)
    call = sip.app.last(ANSWER)
    sip.wait(call.ended)
    assert call.end_cause == "bye"
    assert call.acked.is_set()
    assert (call.caller, call.caller_name, call.called, call.transport) == (
        "+15557654321",
        "Test Caller",
        ANSWER,
        "udp",
    )
    offered_types = tuple(int(pt) for pt in offered.split() if pt != "101")
    assert call.offer == MediaOffer(HOST, call.offer.port, offered_types, 101 if "101" in offered else None)
    negotiated = sip.app.negotiated[call.call_id]
    assert negotiated == MediaOffer(HOST, call.offer.port, (int(answered.split()[0]),), dtmf)
    assert call.answered_at >= call.started_at
    sip.until(lambda: call.call_id not in sip.server._inbound)
    assert sip.server.active_calls == 0


def test_we_hang_up(sip, tmp_path):
    run_sipp(tmp_path, "uac_callee_hangup", remote=sip.port, service=HANGUP)
    call = sip.app.last(HANGUP)
    assert call.ended.is_set() and call.end_cause == "hangup"
    assert sip.app.negotiated[call.call_id].payload_types == (0,)  # the caller offered "8 0": ours first (PCMU)
    call.hangup()  # idempotent


@pytest.mark.parametrize("number, status", [(UNKNOWN, 404), (INACTIVE, 480)])
def test_rejected(sip, tmp_path, number, status):
    subs = {"STATUS": str(status), "HEADER_RE": "To: [^;]+;tag=[0-9a-f]+"}
    run_sipp(tmp_path, "uac_reject", remote=sip.port, service=number, subs=subs)
    call = sip.app.last(number)
    assert call.end_cause == "rejected"
    sip.until(lambda: call.call_id not in sip.server._inbound)  # the ACK ended the INVITE transaction


def test_cancel(sip, tmp_path):
    run_sipp(tmp_path, "uac_cancel", remote=sip.port, service=RING)
    call = sip.app.last(RING)
    sip.wait(call.ended)
    assert call.end_cause == "cancel"
    sip.until(lambda: call.call_id not in sip.server._inbound)
    with pytest.raises(RuntimeError):
        sip.call(call.answer, sip.app.media)


def test_no_ack_releases_the_call_with_bye(sip, tmp_path):
    started = time.monotonic()
    run = run_sipp(tmp_path, "uac_no_ack", remote=sip.port, service=ANSWER)
    call = sip.app.last(ANSWER)
    assert call.end_cause == "no-ack"
    assert not call.acked.is_set()
    assert run.received("SIP/2.0 200 OK") >= 3  # the 200 was retransmitted
    assert run.received("BYE ") == 1
    assert time.monotonic() - started >= 2.0
    sip.until(lambda: call.call_id not in sip.server._inbound)


def test_info_dtmf(sip, tmp_path):
    run_sipp(tmp_path, "uac_info", remote=sip.port, service=DTMF)
    call = sip.app.last(DTMF)
    assert sip.app.digits[call.call_id] == ["5", "7"]
    sip.wait(call.ended)
    assert call.end_cause == "bye"


def test_tcp_call(sip, tmp_path):
    subs = {"CODECS": "0 101", "ANSWER_RE": "m=audio [0-9]+ RTP/AVP 0 101", "HOLD_MS": "100"}
    run_sipp(tmp_path, "uac_call", remote=sip.port, service=ANSWER, subs=subs, transport="t1")
    call = sip.app.last(ANSWER)
    assert call.transport == "tcp"
    sip.wait(call.ended)
    assert call.end_cause == "bye"


# Retransmissions and robustness, with a raw socket.
def test_retransmitted_invite_and_cancel(sip, raw):
    call_id, branch = f"{uuid.uuid4()}@raw", f"z9hG4bK{uuid.uuid4().hex}"
    invite = raw.request("INVITE", RING, call_id=call_id, branch=branch, body=SDP)
    raw.send(invite)
    raw.expect(100)
    raw.expect(180)
    raw.send(invite)  # retransmitted: the last response again, no second call
    raw.expect(180)
    assert [c.call_id for c in sip.app.calls].count(call_id) == 1
    cancel = raw.request("CANCEL", RING, call_id=call_id, branch=branch, cseq_method="CANCEL")
    raw.send(cancel)
    raw.expect(200, "CANCEL")
    final = raw.expect(487, "INVITE")
    raw.send(cancel)  # retransmitted CANCEL: answered again
    raw.expect(200, "CANCEL")
    raw.send(invite)  # late INVITE retransmission: the 487 again
    raw.expect(487, "INVITE")
    raw.send(raw.request("ACK", RING, call_id=call_id, branch=branch, to_tag=to_tag(final)))
    call = [c for c in sip.app.calls if c.call_id == call_id][0]
    sip.wait(call.ended)
    assert call.end_cause == "cancel"
    sip.until(lambda: call_id not in sip.server._inbound)
    assert [c.call_id for c in sip.app.calls].count(call_id) == 1


def test_retransmitted_invite_after_200_and_bye(sip, raw):
    call_id, branch = f"{uuid.uuid4()}@raw", f"z9hG4bK{uuid.uuid4().hex}"
    invite = raw.request("INVITE", ANSWER, call_id=call_id, branch=branch, body=SDP)
    raw.send(invite)
    ok = raw.expect(200, "INVITE")
    raw.send(invite)  # our 200 was "lost": the INVITE comes again, gets the 200 again
    assert to_tag(raw.expect(200, "INVITE")) == to_tag(ok)
    raw.send(raw.request("ACK", ANSWER, call_id=call_id, branch=f"z9hG4bK{uuid.uuid4().hex}", to_tag=to_tag(ok)))
    bye_branch = f"z9hG4bK{uuid.uuid4().hex}"
    bye = raw.request("BYE", ANSWER, call_id=call_id, branch=bye_branch, cseq=2, to_tag=to_tag(ok))
    raw.send(bye)
    raw.expect(200, "BYE")
    raw.send(bye)  # retransmitted BYE: 200 again, not 481
    raw.expect(200, "BYE")
    assert [c.call_id for c in sip.app.calls].count(call_id) == 1
    call = [c for c in sip.app.calls if c.call_id == call_id][0]
    sip.wait(call.ended)
    assert call.end_cause == "bye"
    other = raw.request("BYE", ANSWER, call_id=call_id, branch=f"z9hG4bK{uuid.uuid4().hex}", cseq=3, to_tag=to_tag(ok))
    raw.send(other)  # a new BYE for the ended dialog
    raw.expect(481, "BYE")


def test_malformed_input(sip, raw):
    branch = f"z9hG4bK{uuid.uuid4().hex}"
    raw.send(f"GARBAGE\r\nVia: SIP/2.0/UDP {HOST}:{raw.port};branch={branch}\r\nCall-ID: junk-1\r\nCSeq: 1 FOO\r\n\r\n")
    bad = raw.expect(400)
    assert branch in header(bad, "Via") and header(bad, "Call-ID") == "junk-1"
    options = raw.request("OPTIONS", ANSWER, call_id="junk-2", branch=f"z9hG4bK{uuid.uuid4().hex}")
    raw.send(options.replace("CSeq: 1 OPTIONS", "CSeq: one OPTIONS"))
    raw.expect(400)
    raw.send(os.urandom(300))  # pure garbage: no reply, no crash
    raw.send(b"\x00\xff\r\n\r\nnot sip at all")
    raw.send(b"INVITE\r\n\r\n")
    assert raw.drain(0.3) == []
    raw.send(raw.request("OPTIONS", ANSWER, call_id="junk-3", branch=f"z9hG4bK{uuid.uuid4().hex}"))
    assert "INFO" in header(raw.expect(200, "OPTIONS"), "Allow")


def test_options(sip, raw):
    raw.send(raw.request("OPTIONS", "anything", call_id=f"{uuid.uuid4()}", branch=f"z9hG4bK{uuid.uuid4().hex}"))
    ok = raw.expect(200, "OPTIONS")
    allow = header(ok, "Allow")
    assert "INFO" in allow and "INVITE" in allow and "REGISTER" not in allow  # the SIP edge registers phones


def test_second_invite_of_a_call_is_a_loop(sip, raw):
    call_id = f"{uuid.uuid4()}@raw"
    first = raw.request("INVITE", RING, call_id=call_id, branch=f"z9hG4bK{uuid.uuid4().hex}", body=SDP)
    raw.send(first)
    raw.expect(180)
    raw.send(raw.request("INVITE", RING, call_id=call_id, branch=f"z9hG4bK{uuid.uuid4().hex}", body=SDP))
    raw.expect(482)
    call = [c for c in sip.app.calls if c.call_id == call_id][0]
    sip.call(call.hangup)  # before the answer: 480
    final = raw.expect(480, "INVITE")
    first_branch = first.split("branch=")[1].split(";")[0]
    raw.send(raw.request("ACK", RING, call_id=call_id, branch=first_branch, to_tag=to_tag(final)))
    sip.until(lambda: call_id not in sip.server._inbound)
    raw.send(first)  # a late copy of the finished INVITE: dropped, not a new call
    assert raw.drain(0.3) == []
    retry = raw.request("INVITE", RING, call_id=call_id, branch=f"z9hG4bK{uuid.uuid4().hex}", cseq=2, body=SDP)
    raw.send(retry)  # the same Call-ID again after the call ended (a retry, CSeq 2): a new call
    raw.expect(180)
    assert [c.call_id for c in sip.app.calls].count(call_id) == 2
    sip.call(sip.app.calls[-1].reject, 486)
    final = raw.expect(486, "INVITE")
    retry_branch = retry.split("branch=")[1].split(";")[0]
    raw.send(raw.request("ACK", RING, call_id=call_id, branch=retry_branch, cseq=2, to_tag=to_tag(final)))
    sip.until(lambda: call_id not in sip.server._inbound)


def test_hangup_before_ack_waits_for_the_ack(sip, raw):
    call_id = f"{uuid.uuid4()}@raw"
    raw.send(raw.request("INVITE", HANGUP, call_id=call_id, branch=f"z9hG4bK{uuid.uuid4().hex}", body=SDP))
    ok = raw.expect(200, "INVITE")
    call = [c for c in sip.app.calls if c.call_id == call_id][0]
    sip.wait(call.ended)  # the app hung up 300 ms after answering
    assert call.end_cause == "hangup"
    assert not any(m.startswith("BYE ") for m in raw.drain(0.2))  # no BYE before the ACK (RFC 3261 §15)
    raw.send(raw.request("ACK", HANGUP, call_id=call_id, branch=f"z9hG4bK{uuid.uuid4().hex}", to_tag=to_tag(ok)))
    bye = next(m for m in raw.drain(1.0) if m.startswith("BYE "))
    assert header(bye, "Call-ID") == call_id
    sip.until(lambda: call_id not in sip.server._inbound)


def test_reinvite_and_info_outside_a_dialog(sip, raw):
    call_id = f"{uuid.uuid4()}@raw"
    raw.send(raw.request("INVITE", DTMF, call_id=call_id, branch=f"z9hG4bK{uuid.uuid4().hex}", body=SDP))
    ok = raw.expect(200, "INVITE")
    tag = to_tag(ok)
    raw.send(raw.request("ACK", DTMF, call_id=call_id, branch=f"z9hG4bK{uuid.uuid4().hex}", to_tag=tag))
    call = [c for c in sip.app.calls if c.call_id == call_id][0]
    sip.wait(call.acked)
    moved = []
    call.on_media_change = moved.append
    hold = SDP.replace("40000", "40002") + "a=sendonly\r\n"
    reinvite = raw.request("INVITE", DTMF, call_id=call_id, branch=f"z9hG4bK{uuid.uuid4().hex}", cseq=2, to_tag=tag,
                           body=hold)  # fmt: skip
    raw.send(reinvite)
    answer = raw.expect(200, "INVITE")
    assert f"m=audio {sip.app.media.port} RTP/AVP 0 101" in answer and "a=recvonly" in answer
    raw.send(raw.request("ACK", DTMF, call_id=call_id, branch=f"z9hG4bK{uuid.uuid4().hex}", cseq=2, to_tag=tag))
    assert [m.port for m in moved] == [40002]
    info = raw.request("INFO", DTMF, call_id=call_id, branch=f"z9hG4bK{uuid.uuid4().hex}", cseq=3, to_tag=tag)
    body = "Signal=#\r\nDuration=100"
    info = info.replace("Content-Length: 0", f"Content-Type: application/dtmf-relay\r\nContent-Length: {len(body)}")
    raw.send(info + body)
    raw.expect(200, "INFO")
    assert sip.app.digits[call_id] == ["#"]
    stray = raw.request("INFO", DTMF, call_id="no-such-call", branch=f"z9hG4bK{uuid.uuid4().hex}", to_tag="x")
    raw.send(stray)
    raw.expect(481, "INFO")
    raw.send(raw.request("BYE", DTMF, call_id=call_id, branch=f"z9hG4bK{uuid.uuid4().hex}", cseq=4, to_tag=tag))
    raw.expect(200, "BYE")
    sip.wait(call.ended)
    assert call.end_cause == "bye"


def test_tcp_connection_lost(sip):
    with socket.create_connection((HOST, sip.port), timeout=3) as conn:
        port = conn.getsockname()[1]
        call_id = f"{uuid.uuid4()}@tcp"
        invite = RawPeer.request(
            type("Tcp", (), {"server": (HOST, sip.port), "port": port})(),  # a RawPeer look-alike
            "INVITE", ANSWER, call_id=call_id, branch=f"z9hG4bK{uuid.uuid4().hex}", body=SDP,
        ).replace("SIP/2.0/UDP", "SIP/2.0/TCP")  # fmt: skip
        conn.sendall(invite.encode())
        received = b""
        while b"SIP/2.0 200 OK" not in received:
            received += conn.recv(65535)
    call = [c for c in sip.app.calls if c.call_id == call_id][0]
    assert call.transport == "tcp"
    sip.wait(call.ended)
    assert call.end_cause == "transport"
    sip.until(lambda: call_id not in sip.server._inbound)


# Registration is the SIP edge's.
def test_register_is_refused(sip, raw):
    """Phones register with the edge; an executor reached directly answers 405, naming what it allows."""
    raw.send(raw.request("REGISTER", "1001", call_id=f"{uuid.uuid4()}", branch=f"z9hG4bK{uuid.uuid4().hex}"))
    refused = raw.expect(405, "REGISTER")
    assert "REGISTER" not in header(refused, "Allow") and "INVITE" in header(refused, "Allow")
    assert not hasattr(sip.server, "registrar")


# Calls out.
def dial(sip: Harness, target: str, timeout: float = 5.0):
    media = MediaOffer(HOST, 41000, (0, 8), 101)
    return sip.call(sip.server.dial, target, caller_id="+15551230000", caller_name="Alice Caller", media=media,
                    timeout=timeout)  # fmt: skip


class Edge:
    """A sipp UAS playing the SIP edge for one client dial (the harness's `edge` while it lives)."""

    def __init__(self, sip: Harness, tmp: Path, scenario: str, subs: dict[str, str] | None = None):
        self.sip = sip
        self.sipp = Sipp(tmp, scenario, remote=None, subs=subs).listening()
        self.port = self.sipp.port
        sip.server.edge = (HOST, self.port)

    def __enter__(self) -> Edge:
        return self

    def __exit__(self, *exc_info) -> None:
        self.sip.server.edge = None

    def invite(self) -> str:
        """The INVITE the edge received, as sipp logged it."""
        text = self.sipp.messages.read_text(errors="replace")
        return text[text.index("INVITE sip:") :].split("\n-----", 1)[0]


def test_dial_client_goes_to_the_edge(sip, tmp_path):
    """`client:1002` is `sip:1002@<edge>` in the Request-URI and To, sent to the edge; the SDP is ours."""
    ruri = r"^INVITE sip:1002@127\.0\.0\.1:[0-9]+ SIP/2\.0"
    with Edge(sip, tmp_path, "phone_answer", {"RURI_RE": ruri}) as edge:
        leg = dial(sip, "client:1002")
        assert sip.run(leg.result()) == "completed"
        assert leg.answer == MediaOffer(HOST, 7078, (8,), 101)  # the phone's media, directly
        assert leg.answered_at and not leg.ended.is_set()
        time.sleep(0.2)
        sip.call(leg.hangup)
        edge.sipp.finish()  # it got the ACK and the BYE (sent to the edge too)
    invite = edge.invite()
    assert invite.startswith(f"INVITE sip:1002@{HOST}:{edge.port} SIP/2.0")
    assert header(invite, "To") == f"<sip:1002@{HOST}:{edge.port}>"
    assert f"c=IN IP4 {HOST}" in invite and "m=audio 41000 RTP/AVP 0 8 101" in invite  # media stays ours
    assert leg.ended.is_set() and leg.end_cause == "hangup"
    sip.call(leg.hangup)  # idempotent


def test_dial_busy_client(sip, tmp_path):
    with Edge(sip, tmp_path, "phone_busy") as edge:
        leg = dial(sip, "client:1003")
        assert sip.run(leg.result()) == "busy"
        edge.sipp.finish()  # it got its ACK
    assert leg.ended.is_set() and leg.answer is None


def test_dial_client_that_only_rings(sip, tmp_path):
    with Edge(sip, tmp_path, "phone_ring") as edge:
        leg = dial(sip, "client:1004", timeout=1.0)
        started = time.monotonic()
        assert sip.run(leg.result()) == "no-answer"
        assert 0.8 < time.monotonic() - started < 3.0
        edge.sipp.finish()  # it got the CANCEL, and the ACK of its 487


@pytest.mark.parametrize("status, reason", [(404, "Not Found"), (480, "Temporarily Unavailable")])
def test_dial_client_the_edge_does_not_know(sip, tmp_path, status, reason):
    """No binding at the edge: 404 or 480 from it, and the dial failed as for a client not registered."""
    with Edge(sip, tmp_path, "edge_not_registered", {"STATUS": str(status), "REASON": reason}) as edge:
        leg = dial(sip, "client:4242")
        assert sip.run(leg.result()) == "failed"
        edge.sipp.finish()  # it got its ACK
    assert leg.ended.is_set() and leg.answer is None


def test_dial_cancelled_while_resolving(sip):
    leg = dial(sip, "sip:bob@unresolvable.invalid")
    sip.call(leg.cancel)
    assert sip.run(leg.result()) == "canceled"
    assert leg.call_id == "" and leg.ended.is_set()


def test_dial_client_without_an_edge(sip):
    """No SIP edge configured: the client is not registered anywhere; nothing is sent."""
    assert sip.server.edge is None
    leg = dial(sip, "client:4242")
    assert sip.run(leg.result()) == "failed"
    assert leg.ended.is_set() and leg.call_id == ""
    sip.call(leg.cancel)
    sip.call(leg.hangup)


def test_dial_number_through_outbound_proxy(sip, tmp_path):
    assert sip.run(dial(sip, "number:5551234").result()) == "failed"  # no proxy configured
    trunk = Sipp(tmp_path, "uas_trunk", remote=None, subs={"NUMBER": r"\+15550009999"}).listening()
    sip.server.outbound_proxy = (HOST, trunk.port)
    try:
        leg = dial(sip, "number:+1 (555) 000-9999")
        assert sip.run(leg.result()) == "completed"
        assert leg.answer == MediaOffer(HOST, 7080, (0,), None)
        sip.call(leg.hangup)
        trunk.finish()
    finally:
        sip.server.outbound_proxy = None


# Dialogs through record-routing proxies (RFC 3261 §12): sipp plays the proxies.
def logged(sipp: Sipp, start: str) -> str:
    """The first message sipp received that starts with `start`, as it logged it."""
    text = sipp.messages.read_text(errors="replace")
    match = re.search(r"message received \[\d+\] bytes :\s*\n\s*(" + re.escape(start) + r".*?)\n-{5}", text, re.S)
    assert match, f"sipp received no {start!r}:\n{text[-4000:]}"
    return match.group(1)


def headers(message: str, name: str) -> list[str]:
    return [value.strip() for value in re.findall(rf"^{name}:\s*(.*)$", message, re.MULTILINE | re.IGNORECASE)]


def test_a_call_through_proxies_keeps_their_route_set(sip, tmp_path):
    """Our 180 and 200 echo the INVITE's Record-Route in order; our BYE goes to the first route with the
    whole route set, to the caller's Contact (§12.1.1, §12.2.1.1)."""
    route = Sipp(tmp_path, "proxy_route", remote=None, subs={"ACK": ""}).listening()
    proxy = Sipp(tmp_path, "proxy_call", remote=sip.port, subs={"ROUTE_PORT": str(route.port)}, args=("-s", HANGUP))
    proxy.finish()
    route.finish()  # the BYE came to the first route, not to where the INVITE came from
    call = sip.app.last(HANGUP)
    assert call.end_cause == "hangup"
    record_route = [f"<sip:{HOST}:{route.port};lr;ftag=caller>", "<sip:192.0.2.10:5070;lr>"]
    for answer in ("SIP/2.0 180", "SIP/2.0 200"):
        assert headers(logged(proxy, answer), "Record-Route") == record_route, answer
    bye = logged(route, "BYE ")
    assert bye.startswith("BYE sip:+15557654321@192.0.2.20:5060 SIP/2.0")
    assert headers(bye, "Route") == record_route


def test_a_call_we_place_through_proxies_follows_the_answer(sip, tmp_path):
    """The 200's Contact is the remote target and its Record-Route, reversed, the route set: our ACK and
    BYE go to the first route with the whole set, to the phone's Contact (§12.1.2, §13.2.2.4)."""
    route = Sipp(tmp_path, "proxy_route", remote=None, subs={"ACK": '<recv request="ACK" timeout="10000"/>'})
    route.listening()
    with Edge(sip, tmp_path, "proxy_phone_answer", {"ROUTE_PORT": str(route.port)}) as edge:
        leg = dial(sip, "client:1002")
        assert sip.run(leg.result()) == "completed"
        time.sleep(0.2)
        sip.call(leg.hangup)
        route.finish()  # the ACK and the BYE came to the first route, not to the edge
        edge.sipp.finish()
    route_set = [f"<sip:{HOST}:{route.port};lr;ftag=executor>", "<sip:192.0.2.30:5060;lr>"]
    ack, bye = logged(route, "ACK "), logged(route, "BYE ")
    for request in (ack, bye):
        assert request.split("\n", 1)[0].strip() == f"{request[:3]} sip:1002@192.0.2.40:5062 SIP/2.0"
        assert headers(request, "Route") == route_set
    assert header(ack, "CSeq") == "1 ACK" and header(bye, "CSeq") == "2 BYE"


class RawCallee(RawPeer):
    """A phone written by hand, for what sipp cannot do (answer after a CANCEL, send a 200 twice)."""

    def expect_request(self, method: str, timeout: float = 3.0) -> str:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            message = self.receive(left)
            if message is not None and message.startswith(f"{method} "):
                return message
        raise AssertionError(f"no {method}")

    def respond(self, request: str, status: int, reason: str, *, tag: str = "calleetag", body: str = "") -> None:
        lines = [f"SIP/2.0 {status} {reason}"]
        lines += [f"Via: {v}" for v in re.findall(r"^Via:\s*(.*?)\r$", request, re.MULTILINE)]
        lines += [f"From: {header(request, 'From')}", f"To: {header(request, 'To')};tag={tag}"]
        lines += [f"Call-ID: {header(request, 'Call-ID')}", f"CSeq: {header(request, 'CSeq')}"]
        lines.append(f"Contact: <sip:callee@{HOST}:{self.port}>")
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append(f"Content-Length: {len(body)}")
        self.send("\r\n".join(lines) + "\r\n\r\n" + body)


@pytest.fixture
def callee(sip):
    peer = RawCallee(sip.port)
    yield peer
    peer.close()


def test_dial_uri_answered_after_our_cancel(sip, callee):
    leg = dial(sip, f"sip:bob@{HOST}:{callee.port}")
    invite = callee.expect_request("INVITE")
    again = callee.expect_request("INVITE", timeout=1.0)  # not answered: retransmitted (Timer A)
    assert header(again, "Via") == header(invite, "Via")
    callee.respond(invite, 180, "Ringing")
    time.sleep(0.1)
    sip.call(leg.cancel)
    assert sip.run(leg.result()) == "canceled"
    cancel = callee.expect_request("CANCEL")
    assert header(cancel, "Via") == header(invite, "Via")
    callee.respond(invite, 200, "OK", body=SDP)  # the answer crossed our CANCEL
    callee.respond(cancel, 200, "OK")
    ack = callee.expect_request("ACK")
    assert header(ack, "To").endswith("tag=calleetag") and "CSeq: 1 ACK" in ack
    bye = callee.expect_request("BYE")
    assert header(bye, "Call-ID") == leg.call_id
    assert leg.end_cause == "canceled"


def test_dial_uri_answered_then_callee_hangs_up(sip, callee):
    leg = dial(sip, f"sip:bob@{HOST}:{callee.port}")
    digits = []
    leg.on_dtmf = digits.append
    invite = callee.expect_request("INVITE")
    callee.respond(invite, 200, "OK", body=SDP)
    assert sip.run(leg.result()) == "completed"
    assert leg.answer == MediaOffer(HOST, 40000, (0,), 101)
    callee.expect_request("ACK")
    callee.respond(invite, 200, "OK", body=SDP)  # our ACK was "lost": the 200 again, the ACK again
    callee.expect_request("ACK")
    ours = header(invite, "From")
    info = "\r\n".join([
        f"INFO sip:x@{HOST}:{sip.port} SIP/2.0", f"Via: SIP/2.0/UDP {HOST}:{callee.port};branch=z9hG4bKinfo1",
        f"From: {header(invite, 'To')};tag=calleetag", f"To: {ours}", f"Call-ID: {leg.call_id}", "CSeq: 1 INFO",
        "Content-Type: application/dtmf", "Content-Length: 1", "", "9",
    ])  # fmt: skip
    callee.send(info)
    callee.expect(200, "INFO")
    assert digits == ["9"]
    bye = (
        info.replace("INFO sip", "BYE sip")
        .replace("z9hG4bKinfo1", "z9hG4bKbye1")
        .replace("CSeq: 1 INFO", "CSeq: 2 BYE")
    )
    bye = bye.split("Content-Type")[0] + "Content-Length: 0\r\n\r\n"
    callee.send(bye)
    callee.expect(200, "BYE")
    sip.wait(leg.ended)
    assert leg.end_cause == "bye"


def test_dial_uri_rejected_is_acked(sip, callee):
    leg = dial(sip, f"sip:bob@localhost:{callee.port}")  # a name: resolved first
    invite = callee.expect_request("INVITE")
    callee.respond(invite, 603, "Decline")
    assert sip.run(leg.result()) == "failed"
    ack = callee.expect_request("ACK")
    assert header(ack, "Via") == header(invite, "Via")  # the INVITE's transaction (RFC 3261 §17.1.1.3)
    callee.respond(invite, 603, "Decline")  # retransmitted final: ACKed again
    callee.expect_request("ACK")


def branch() -> str:
    return f"z9hG4bK{uuid.uuid4().hex}"


def test_what_we_send_does_not_name_the_product(sip, raw, callee):
    """No User-Agent or Server header in any request or response (SIP_USER_AGENT is empty by default)."""
    got = []
    raw.send(raw.request("OPTIONS", "anything", call_id=f"{uuid.uuid4()}", branch=branch()))
    raw.send(raw.request("REGISTER", "1001", call_id=f"{uuid.uuid4()}", branch=branch()))  # not ours: 405
    raw.send(raw.request("INVITE", UNKNOWN, call_id=f"{uuid.uuid4()}", branch=branch(), body=SDP))
    raw.send(f"GARBAGE\r\nVia: SIP/2.0/UDP {HOST}:{raw.port};branch={branch()}\r\nCall-ID: x\r\nCSeq: 1 FOO\r\n\r\n")
    got += raw.drain(0.5)
    call_id = f"{uuid.uuid4()}@raw"
    raw.send(raw.request("INVITE", DTMF, call_id=call_id, branch=branch(), body=SDP))
    ok = raw.expect(200, "INVITE")
    raw.send(raw.request("ACK", DTMF, call_id=call_id, branch=branch(), to_tag=to_tag(ok)))
    info = raw.request("INFO", DTMF, call_id=call_id, branch=branch(), cseq=2, to_tag=to_tag(ok))
    body = "Signal=5\r\nDuration=100"
    raw.send(
        info.replace("Content-Length: 0", f"Content-Type: application/dtmf-relay\r\nContent-Length: {len(body)}") + body
    )
    raw.send(raw.request("BYE", DTMF, call_id=call_id, branch=branch(), cseq=3, to_tag=to_tag(ok)))
    got += [ok, *raw.drain(0.5)]
    assert {m.split("\r\n", 1)[0] for m in got} >= {
        "SIP/2.0 200 OK", "SIP/2.0 405 Method Not Allowed", "SIP/2.0 404 Not Found", "SIP/2.0 400 Bad Request"
    }  # fmt: skip

    leg = dial(sip, f"sip:bob@{HOST}:{callee.port}")
    invite = callee.expect_request("INVITE")
    callee.respond(invite, 200, "OK", body=SDP)
    assert sip.run(leg.result()) == "completed"
    got += [invite, callee.expect_request("ACK")]
    sip.call(leg.hangup)
    got.append(callee.expect_request("BYE"))
    for message in got:
        head = message.split("\r\n\r\n", 1)[0]
        assert not re.search(r"^(User-Agent|Server):", head, re.MULTILINE | re.IGNORECASE), head


def test_a_user_agent_when_one_is_set():
    harness = Harness(user_agent="Example SBC")
    peer = RawPeer(harness.port)
    try:
        peer.send(peer.request("OPTIONS", "anything", call_id=f"{uuid.uuid4()}", branch=branch()))
        assert header(peer.expect(200, "OPTIONS"), "User-Agent") == "Example SBC"
    finally:
        peer.close()
        harness.close()


# Shutdown.
def test_stop_accepting(tmp_path):
    harness = Harness()
    peer = RawPeer(harness.port)
    try:
        subs = {"CODECS": "0", "ANSWER_RE": "m=audio", "HOLD_MS": "1500"}
        caller = Sipp(tmp_path, "uac_call", remote=harness.port, subs=subs, args=("-s", ANSWER))
        harness.until(lambda: any(c.acked.is_set() for c in harness.app.calls))
        assert harness.server.active_calls == 1
        peer.send(peer.request("OPTIONS", "probe", call_id=f"{uuid.uuid4()}", branch=branch()))
        serving = peer.expect(200, "OPTIONS")  # the edge's dispatcher probe: up
        assert not re.search(r"^(Server|User-Agent):", serving, re.MULTILINE | re.IGNORECASE)
        harness.call(harness.server.stop_accepting)
        peer.send(peer.request("OPTIONS", "probe", call_id=f"{uuid.uuid4()}", branch=branch()))
        draining = peer.expect(503, "OPTIONS")  # draining: the dispatcher marks this executor
        assert header(draining, "Retry-After")
        peer.send(peer.request("INVITE", ANSWER, call_id=f"{uuid.uuid4()}", branch=branch()))
        refused = peer.expect(503, "INVITE")
        assert header(refused, "Retry-After")
        caller.finish()  # the call in progress went on to its BYE
        harness.wait(harness.app.calls[0].ended)
        assert harness.app.calls[0].end_cause == "bye"
        assert len(harness.app.calls) == 1 and harness.server.active_calls == 0
    finally:
        peer.close()
        harness.close()

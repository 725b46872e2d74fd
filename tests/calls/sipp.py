"""sipp scenarios for the call tests, built from a few steps, and a runner that wraps sipp in `timeout`.

Digits go as RFC 4733 packets replayed from sip-tester's pcaps (`dtmf_2833_<d>.pcap`; sipp reads
`pcap/…` relative to its working directory) or as SIP INFO (`application/dtmf-relay`). sipp replays
a pcap with the RTP timestamps it holds, so the same digit twice in one call reads as one press:
scenarios press distinct digits.
"""

from __future__ import annotations

import csv
import shutil
import struct
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.servers import free_port

SIPP = shutil.which("sipp") or "/usr/bin/sipp"
PCAPS = Path("/usr/share/sip-tester")

SDP = """v=0
o=caller 53655765 2353687637 IN IP4 [local_ip]
s=-
c=IN IP4 [media_ip]
t=0 0
m=audio {media_port} RTP/AVP 0 8 101
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
"""

INVITE = """<send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "Test Caller" <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:{caller}@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

{sdp}
]]></send>
"""

# In-dialog requests go to the answer's Contact ([next_url]) through the Record-Route set ([routes]; no
# line at all when there is none): straight to the executor, or through the SIP edge.
ACK = """<send><![CDATA[
ACK {ruri} SIP/2.0
{routes}Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "Test Caller" <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: <sip:{caller}@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
Content-Length: 0

]]></send>
"""

IN_DIALOG = """<send{retrans}><![CDATA[
{method} [next_url] SIP/2.0
[routes]
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "Test Caller" <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: {cseq} {method}
Contact: <sip:{caller}@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
{headers}Content-Length: [len]

{body}]]></send>
"""

OK_TO_BYE = """<recv request="BYE" timeout="{timeout}"/>
<send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
"""


def caller(
    steps: list[tuple],
    *,
    end: str = "their-bye",
    caller_number: str = "15551230000",
    media_port: str = "[media_port]",
    answered: bool = True,
    bye_timeout_ms: int = 30000,
    expect_status: int = 200,
) -> str:
    """A caller's scenario: INVITE, then `steps` once answered, then the end.

    steps: ("wait", ms) | ("dtmf", "1") (RFC 4733 from the pcap) | ("info", "1") (SIP INFO) |
           ("audio",) (replay sip-tester's g711a.pcap: about 8 s of speech) |
           ("pcap", "name.pcap") (replay a capture in sipp's directory, e.g. held_key_pcap's; no pause)
    end:   "their-bye" (the executor hangs up; we answer 200) | "our-bye" (we hang up) | "no-ack"
    expect_status: the final response expected when `answered` is False (404, 480, 486, ...).
    """
    parts = [INVITE.format(caller=caller_number, sdp=SDP.format(media_port=media_port).strip())]
    parts.append('<recv response="100" optional="true"/>')
    parts.append('<recv response="180" optional="true"/>')
    parts.append('<recv response="183" optional="true"/>')
    if not answered:
        parts.append(f'<recv response="{expect_status}"/>')
        # The ACK of a failure answer is hop by hop: where the INVITE went.
        parts.append(ACK.format(caller=caller_number, ruri="sip:[service]@[remote_ip]:[remote_port]", routes=""))
        return _scenario(parts)
    parts.append('<recv response="200" rtd="true" rrs="true"/>')
    if end == "no-ack":
        # Our 200 is retransmitted until the executor gives up and sends BYE.
        parts.append('<recv response="200" optional="true"/>' * 1)
        parts.append(OK_TO_BYE.format(timeout=bye_timeout_ms))
        return _scenario(parts)
    parts.append(ACK.format(caller=caller_number, ruri="[next_url]", routes="[routes]\n"))
    cseq = 2
    for step in steps:
        kind = step[0]
        if kind == "wait":
            parts.append(f'<pause milliseconds="{step[1]}"/>')
        elif kind == "dtmf":
            parts.append(f'<nop><action><exec play_pcap_audio="pcap/dtmf_2833_{step[1]}.pcap"/></action></nop>')
            parts.append('<pause milliseconds="300"/>')
        elif kind == "audio":
            parts.append('<nop><action><exec play_pcap_audio="pcap/g711a.pcap"/></action></nop>')
        elif kind == "pcap":  # a capture of the test's own, in sipp's working directory
            parts.append(f'<nop><action><exec play_pcap_audio="{step[1]}"/></action></nop>')
        elif kind == "info":
            body = f"Signal={step[1]}\nDuration=160\n"
            parts.append(
                IN_DIALOG.format(
                    retrans=' retrans="500"',
                    method="INFO",
                    caller=caller_number,
                    cseq=cseq,
                    headers="Content-Type: application/dtmf-relay\n",
                    body=body,
                )
            )
            parts.append('<recv response="200"/>')
            cseq += 1
        else:
            raise ValueError(kind)
    if end == "our-bye":
        parts.append(
            IN_DIALOG.format(
                retrans=' retrans="500"', method="BYE", caller=caller_number, cseq=cseq, headers="", body=""
            )
        )
        parts.append('<recv response="200"/>')
    else:
        parts.append(OK_TO_BYE.format(timeout=bye_timeout_ms))
    return _scenario(parts)


def held_key_pcap(path: Path, digit: str, seconds: float) -> None:
    """A key held down for `seconds`, as a phone sends it: sip-tester's press of `digit` (its first packet
    as the template: addresses, SSRC, the event's timestamp) repeated every 20 ms, then the 3 end packets."""
    data = (PCAPS / f"dtmf_2833_{digit}.pcap").read_bytes()
    header, (stamp_s, stamp_us, size, _) = data[:24], struct.unpack_from("<IIII", data, 24)
    template = bytearray(data[40 : 40 + size])
    rtp = 42  # Ethernet, IPv4, UDP
    seq = struct.unpack_from(">H", template, rtp + 2)[0]
    start = stamp_s + stamp_us / 1e6
    count = round(seconds / 0.020)
    out = bytearray(header)
    for i in range(count + 3):
        packet = bytearray(template)
        end = i >= count
        packet[rtp + 1] = (packet[rtp + 1] & 0x7F) | (0x80 if i == 0 else 0)
        struct.pack_into(">H", packet, rtp + 2, (seq + i) & 0xFFFF)
        struct.pack_into(">BH", packet, rtp + 13, (0x80 if end else 0) | 10, min(160 * (min(i, count) + 1), 0xFFFF))
        moment = start + 0.020 * min(i, count)
        out += struct.pack("<IIII", int(moment), round(moment % 1 * 1e6) % 1000000, size, size) + packet
    path.write_bytes(bytes(out))


def edge_refusal(status: int = 404, reason: str = "Not Found") -> str:
    """The SIP edge with no binding for the client dialled: a final response at once, then the ACK."""
    return _scenario(
        [
            f"""<recv request="INVITE" timeout="60000"/>
<send><![CDATA[
SIP/2.0 {status} {reason}
[last_Via:]
[last_From:]
[last_To:];tag=[pid]edge[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
<recv request="ACK"/>
"""
        ]
    )


RING_CSEQ = '<ereg regexp="CSeq: ([0-9]+) INVITE" search_in="msg" check_it="true" assign_to="whole,invite_cseq"/>'


def extension(
    login: str,
    *,
    answer: str = "200",
    hold_ms: int | None = 2000,
    ring_ms: int = 200,
    media_port: str = "[media_port]",
    contact_address: str = "[local_ip]:[local_port]",
) -> str:
    """A client extension taking one call: ring, answer (or refuse), hang up after hold_ms.

    answer "ring": it rings until the executor gives up (CANCEL; 200 to it, 487 to the INVITE).
    hold_ms None: once answered, it stays on until the executor hangs up (BYE; 200 to it).
    media_port: where it says its media goes (a test's own socket, to see what it is sent).
    contact_address: the host:port its answers' Contact names (another than where it sends from: a
    phone behind NAT, which names its private address).
    It listens on the executor's SIP_EDGE port and takes the INVITE as the edge relays it; its answers
    echo the INVITE's Record-Route and its BYE follows that route set (RFC 3261 §12), as a phone's do."""
    reply_headers = """[last_Via:]
[last_Record-Route:]
[last_From:]
[last_To:];tag=[pid]ext[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:{login}@{contact_address};transport=[transport]>
"""
    take = f"""<recv request="INVITE" timeout="60000" rrs="true">
  <action>
    {RING_CSEQ if answer == "ring" else ""}
    <ereg regexp="&lt;(sip:[^>]*)>" search_in="hdr" header="Contact:" check_it="true" assign_to="dummy,contact"/>
    <ereg regexp=".*" search_in="hdr" header="From:" check_it="true" assign_to="caller"/>
  </action>
</recv>
<send><![CDATA[
SIP/2.0 180 Ringing
{reply_headers.format(login=login, contact_address=contact_address)}Content-Length: 0

]]></send>
<pause milliseconds="{ring_ms}"/>
"""
    if answer == "ring":
        take += f"""<recv request="CANCEL"/>
<send><![CDATA[
SIP/2.0 200 OK
{reply_headers.format(login=login, contact_address=contact_address)}Content-Length: 0

]]></send>
<send><![CDATA[
SIP/2.0 487 Request Terminated
[last_Via:]
[last_From:]
[last_To:];tag=[pid]ext[call_number]
[last_Call-ID:]
CSeq: [$invite_cseq] INVITE
Content-Length: 0

]]></send>
<recv request="ACK"/>
"""
        return _scenario([take, '<Reference variables="dummy,contact,caller,whole"/>'])
    if answer != "200":
        take += f"""<send><![CDATA[
SIP/2.0 {answer} Busy Here
{reply_headers.format(login=login, contact_address=contact_address)}Content-Length: 0

]]></send>
<recv request="ACK"/>
"""
        return _scenario([take, '<Reference variables="dummy,contact,caller"/>'])
    take += f"""<send retrans="500"><![CDATA[
SIP/2.0 200 OK
{reply_headers.format(login=login, contact_address=contact_address)}Content-Type: application/sdp
Content-Length: [len]

v=0
o=ext 1 1 IN IP4 [local_ip]
s=-
c=IN IP4 [media_ip]
t=0 0
m=audio {media_port} RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
]]></send>
<recv request="ACK"/>
"""
    if hold_ms is None:
        take += OK_TO_BYE.format(timeout=60000)
        return _scenario([take, '<Reference variables="dummy,contact,caller"/>'])
    take += f"""<pause milliseconds="{hold_ms}"/>
<send retrans="500"><![CDATA[
BYE [$contact] SIP/2.0
[routes]
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{login}@[local_ip]:[local_port]>;tag=[pid]ext[call_number]
To: [$caller]
[last_Call-ID:]
CSeq: 2 BYE
Contact: <sip:{login}@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
Content-Length: 0

]]></send>
<recv response="200"/>
"""
    return _scenario([take, '<Reference variables="dummy"/>'])


def _scenario(parts: list[str]) -> str:
    return (
        '<?xml version="1.0" encoding="ISO-8859-1" ?>\n<scenario name="test">\n' + "\n".join(parts) + "\n</scenario>\n"
    )


@dataclass
class SippRun:
    returncode: int
    output: str
    messages: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


class Sipp:
    """One sipp process against the executor on 127.0.0.1:`target_port`, in its own directory."""

    def __init__(
        self,
        workdir: Path,
        scenario: str,
        target_port: int,
        *,
        service: str = "",
        transport: str = "u1",
        timeout: float = 60.0,
        extra: tuple[str, ...] = (),
        sip_port: int | None = None,
    ):
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "pcap").unlink(missing_ok=True)
        (workdir / "pcap").symlink_to(PCAPS)
        (workdir / "scenario.xml").write_text(scenario)
        self.workdir = workdir
        self.sip_port = sip_port or free_port(2)
        self.media_port = free_port(2)
        self.timeout = timeout
        self.command = [
            "timeout",
            str(int(timeout) + 5),
            SIPP,
            f"127.0.0.1:{target_port}",
            "-sf",
            "scenario.xml",
            "-m",
            "1",
            "-l",
            "1",
            "-i",
            "127.0.0.1",
            "-p",
            str(self.sip_port),
            "-mi",
            "127.0.0.1",
            "-mp",
            str(self.media_port),
            "-t",
            transport,
            "-timeout",
            f"{int(timeout)}s",
            "-timeout_error",
            "-trace_msg",
            "-message_file",
            "messages.log",
            "-trace_err",
            "-error_file",
            "errors.log",
            "-bg",
        ]
        self.command.remove("-bg")  # foreground: we wait on it (Popen for extensions)
        if service:
            self.command += ["-s", service]
        self.command += list(extra)
        self.process: subprocess.Popen | None = None

    def start(self) -> Sipp:
        self.process = subprocess.Popen(
            self.command, cwd=self.workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        return self

    def messages(self) -> str:
        path = self.workdir / "messages.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_for_message(self, text: str, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.messages():
                return True
            if self.process and self.process.poll() is not None:
                return text in self.messages()
            time.sleep(0.1)
        return False

    def wait(self) -> SippRun:
        assert self.process is not None
        try:
            output, _ = self.process.communicate(timeout=self.timeout + 15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            output, _ = self.process.communicate()
        errors = self.workdir / "errors.log"
        text = (output or b"").decode(errors="replace")
        if errors.exists():
            text += "\n" + errors.read_text(errors="replace")
        return SippRun(self.process.returncode, text[-6000:], self.messages())

    def run(self) -> SippRun:
        return self.start().wait()


@dataclass
class Load:
    """What a burst of calls from sipp did."""

    created: int
    succeeded: int
    failed: int


def burst(
    workdir: Path, target_port: int, service: str, count: int, rate: float, hold_ms: int, caller_number: str
) -> Sipp:
    """Start `count` calls to `service` at `rate` per second, each hanging up after `hold_ms`; see `load`."""
    scenario = caller([("wait", hold_ms)], end="our-bye", caller_number=caller_number)
    sipp = Sipp(workdir, scenario, target_port, service=service, timeout=count / rate + 60)
    command = sipp.command
    command[command.index("-m") + 1] = str(count)
    command[command.index("-l") + 1] = str(max(4, int(rate * 10)))
    command += ["-r", str(rate), "-recv_timeout", "8000", "-trace_stat", "-stf", "stats.csv", "-fd", "1"]
    return sipp.start()


def load(sipp: Sipp) -> Load:
    """Wait for a burst to end; its totals from sipp's statistics."""
    assert sipp.process is not None
    sipp.process.communicate(timeout=300)
    with open(sipp.workdir / "stats.csv") as stats:
        last = list(csv.DictReader(stats, delimiter=";"))[-1]
    return Load(int(last["TotalCallCreated"]), int(last["SuccessfulCall(C)"]), int(last["FailedCall(C)"]))

"""The whole product under calls: AA calls/s, concurrent calls' RTP jitter and key-to-next-prompt latency, each
against a baseline measured in the same run on the same machine.

DESIGN.md, "Performance and reliability targets"; issue 4, "Benchmark". Targets: >= 500 answered AA calls/s
with no failed call; 2,000 concurrent calls playing prompts with a p99 gap between two RTP packets of a stream
under 25 ms; key to next prompt p99 under 150 ms at 1,000 calls.

    .venv/bin/python bench/executor_calls.py [--only rate|concurrency|keys] [--quick] [--py-spy] [--keep]   # ~11 min

Setup. Starts the portal exactly as `make run` does (bench/rcml_fetch.py's Portal: `python -m portal.run` with a
temporary DATA_DIR, a free PORTAL_HTTP_PORT, DATABASE_URL/REDIS_URL removed), which also starts the executor
(`manage.py run_executor`); its environment adds SIP_PORT (a free port), RTP_PORT_MIN/MAX 20000-29999,
RTP_TIMEOUT=120 and EXECUTOR_DRAIN_SECONDS=3. Provisions with `manage.py shell -c`: an enterprise, an AA number,
three TTS announcements rendered by the portal's own task (a main greeting of 75 s, so that it plays through
every hold, and two submenu greetings), an AA system (timeoutSeconds 60) whose main menu plays the greeting and
takes 1 (GO_TO_MENU Sales, with its greeting), 2 (GO_TO_MENU Support) and 9 (HANGUP); publishes it. Checks the
entry and key documents, then places one call. The open-files limit is raised to the hard limit for everything.

A receiver process (Python, in a process of its own) binds --receivers UDP ports; every caller's SDP (sipp's scenario,
tests/calls/sipp.py's `caller`, ports spread by an injection file) names one of them, so the executor's RTP goes
there. It takes the kernel's receive timestamp of each packet (SO_TIMESTAMPNS) and, per SSRC, the gaps between
packets, losses, and whether the stream carried frames of the main greeting (the executor's own G.711 encoding of
the rendered WAV). Where asked, it sends each stream, from the address in the SDP, what a phone with silence
suppression sends: a comfort noise packet (RFC 3389) a second, which keeps the executor's socket latched; and key
presses (RFC 4733 telephone-events).

rate         `sipp` callers (INVITE, 200, ACK, --hold-ms 1000 with the greeting playing, BYE) at --rates (50, 100,
             150, ... 800 calls/s) for --step-seconds each, against the executor, then the same scenario and rates
             against `sipp -sn uas`, which goes on up to 3,000 calls/s to find its own limit. A step is clean when
             sipp reports every call successful and none failed, the step kept up (it ended within 1 s of the time
             its calls take on an idle server: a server that falls behind answers ever later, and sipp's timers
             would hide it), and, for the executor, the receiver heard the greeting on as many streams as there
             were calls and the executor counted no call ending otherwise than by the caller's BYE (its metrics,
             SIGUSR1). The result is the highest rate up to which every step was clean, for each side, and the
             ratio; also the highest without a single INVITE retransmission (an answer, even 100, later than 500 ms).
concurrency  For N in --sessions: the baseline, a bare loop in its own process sending N streams of 20 ms packets
             from one socket to the receiver; then N calls held (sipp at --ramp calls/s, each holding until the
             measure is over) while the greeting plays. After a warm-up the receiver measures for --seconds: gap
             p50/p99/max pooled over the streams, the worst stream's p99, losses. The executor's media clock stats
             are read from its metrics line (SIGUSR1 at the end of the window). Stops at the first N that breaks.
keys         --key-calls calls held; the receiver presses 1 on each stream at staggered times over --key-spread
             seconds (GO_TO_MENU Sales). Reported: the executor's `key_to_prompt` (from the digit completing the
             Gather to the first frame of the next prompt queued: the RCML fetches and the prompt load), and the
             receiver's own: from sending the digit to the first frame of the Sales greeting arriving (found by its
             first non-silent frame, minus that frame's offset in the prompt).

Exits 1 on a failed setup or a wrong document; a missed target is printed, not failed.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import math
import multiprocessing
import os
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from array import array
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.media_clock import timestamping_socket  # noqa: E402
from bench.rcml_fetch import Portal, descendants, free_port, log, server_cpu  # noqa: E402

HOST = "127.0.0.1"
SIPP = shutil.which("sipp") or "/usr/bin/sipp"
AA_NUMBER = "+14155550100"
SERVICE = AA_NUMBER.lstrip("+")
RTP_MIN, RTP_MAX = 20000, 29999
TARGET_RATE = 500
UAS_MORE = [1000, 1200, 1500, 2000, 2500, 3000]
KEPT_UP = 1.0  # s: a step may end this much later than on an idle server (its last calls answered late), no more
TARGET_CONCURRENT = 2000
TARGET_GAP_P99_MS = 25.0
TARGET_KEY_CALLS = 1000
TARGET_KEY_P99_MS = 150.0
TARGET_PORTAL_MS = 1.0  # the portal's CPU per answered call (issue 12)
# By command line; the rest is supervisord and portal.run.
PORTAL_PARTS = ("gunicorn", "granian", "celery", "postgres", "redis")
FRAME_NS = 20_000_000
TICK = os.sysconf("SC_CLK_TCK")
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
TIMESPEC = struct.Struct("@qq")
RTP_FIELDS = struct.Struct(">xBHxxxxI")  # payload type byte, sequence number, SSRC
RTP_HEADER = struct.Struct(">BBHII")
PCMU_SILENCE = b"\xff" * 160
COMFORT_NOISE = 13
TELEPHONE_EVENT = 101
LEVELS = re.compile(r" (WARNING|ERROR|CRITICAL) ")

GREETING_MAIN = (
    "Thank you for calling Bench Corporation. For sales, press 1. For support, press 2. To end this call, press 9. "
    "Our offices are open from nine in the morning to five in the evening, Monday to Friday, "
    "and our support line answers every day of the year. "
) * 4 + "Please listen carefully, as our menu options have changed. " * 4
GREETING_SALES = "You have reached the sales team. To hear about our latest offers, stay on the line."
GREETING_SUPPORT = "You have reached technical support. Please have your account number ready."


def fail(message: str) -> SystemExit:
    return SystemExit(f"executor_calls: FAIL: {message}")


# The receiver: a process of its own ---------------------------------------------------------------------------
#
# Stream state, a list per SSRC (lists index faster than attributes in the per-packet path):
SOCK, ADDR, LAST, SEQ, HEARD, GAPS, LOST, OUR_SSRC, OUR_SEQ, OUR_TS, FIRST = range(11)


def end_callers(sipp: subprocess.Popen, hold_ms: int) -> None:
    """Wait for held callers' sipp to finish its calls (killed if it hangs)."""
    try:
        sipp.wait(hold_ms / 1000 + 60)
    except subprocess.TimeoutExpired:
        sipp.kill()
        sipp.wait()


def receiver_main(conn, count: int) -> None:
    socks = [timestamping_socket() for _ in range(count)]
    conn.send([s.getsockname()[1] for s in socks])
    Receiver(conn, socks).run()


class Receiver:
    def __init__(self, conn, socks):
        self.conn = conn
        self.socks = socks
        self.streams: dict[int, list] = {}
        self.greeting: frozenset[bytes] = frozenset()
        self.keepalive = False
        self.ka_round: list[list] = []
        self.ka_started = 0
        self.ka_sent = 0
        self.window = (0, 0)  # [start, end) in CLOCK_REALTIME ns
        self.measuring = False
        self.presses: list[tuple[int, int]] = []  # (due ns, ssrc), latest first
        self.awaiting: dict[int, int] = {}  # ssrc -> ns the digit was sent
        self.marker = b""
        self.marker_offset = 0
        self.key_latencies: list[float] = []
        self.pressed = 0
        self.digit = 1

    def run(self) -> None:
        while True:
            time.sleep(0.002)  # polled rather than woken per packet: senders do not pay for waking us
            self.drain()
            now = time.time_ns()
            if self.keepalive:
                self.send_keepalives(now)
            if self.presses:
                self.send_presses(now)
            if self.measuring and now > self.window[1] + 50_000_000:
                self.measuring = False
                self.conn.send(self.gap_stats())
            while self.conn.poll():
                command = self.conn.recv()
                if command is None:
                    return
                self.conn.send(self.handle(*command))

    def drain(self) -> None:
        streams, greeting = self.streams, self.greeting
        start, end = self.window
        unpack_ts, unpack = TIMESPEC.unpack_from, RTP_FIELDS.unpack_from
        awaiting = self.awaiting
        for index, sock in enumerate(self.socks):
            recvmsg = sock.recvmsg
            while True:
                try:
                    data, ancillary, _, addr = recvmsg(2048, 64)
                except BlockingIOError:
                    break
                if len(data) < 12 or not ancillary:
                    continue
                sec, nsec = unpack_ts(ancillary[0][2])
                stamp = sec * 1_000_000_000 + nsec
                _, seq, ssrc = unpack(data)
                st = streams.get(ssrc)
                if st is None:
                    streams[ssrc] = [index, addr, stamp, seq, data[12:] in greeting, None, 0, 0, 0, 0, stamp]
                    continue
                if start <= stamp < end:
                    gaps = st[GAPS]
                    if gaps is None:
                        gaps = st[GAPS] = array("f")
                    gaps.append((stamp - st[LAST]) / 1e6)
                    missing = (seq - st[SEQ] - 1) & 0xFFFF
                    if missing < 1000:
                        st[LOST] += missing
                st[LAST] = stamp
                st[SEQ] = seq
                if not st[HEARD] and data[12:] in greeting:
                    st[HEARD] = True
                if awaiting and ssrc in awaiting and data[12:] == self.marker:
                    self.key_latencies.append((stamp - awaiting.pop(ssrc) - self.marker_offset) / 1e6)

    # What a phone sends.
    def _send(self, st: list, pt: int, payload: bytes, marker: int = 0, ts: int | None = None) -> None:
        if not st[OUR_SSRC]:
            st[OUR_SSRC], st[OUR_SEQ], st[OUR_TS] = random.getrandbits(32) | 1, random.getrandbits(16), 0
        st[OUR_SEQ] = (st[OUR_SEQ] + 1) & 0xFFFF
        header = RTP_HEADER.pack(0x80, pt | marker, st[OUR_SEQ], st[OUR_TS] if ts is None else ts, st[OUR_SSRC])
        with contextlib.suppress(OSError):
            self.socks[st[SOCK]].sendto(header + payload, st[ADDR])

    def send_keepalives(self, now: int) -> None:
        """Comfort noise (RFC 3389, level -127 dBov) once a second to each live stream, spread over the second."""
        if now - self.ka_started >= 1_000_000_000:
            alive = now - 1_000_000_000
            self.ka_round = [st for st in self.streams.values() if st[LAST] > alive]
            self.ka_started, self.ka_sent = now, 0
        due = min(len(self.ka_round), len(self.ka_round) * (now - self.ka_started) // 1_000_000_000 + 1)
        for st in self.ka_round[self.ka_sent : due]:
            st[OUR_TS] = (st[OUR_TS] + 8000) & 0xFFFFFFFF
            self._send(st, COMFORT_NOISE, b"\x7f")
        self.ka_sent = max(self.ka_sent, due)

    def send_presses(self, now: int) -> None:
        """RFC 4733: the event's first packet (marker), then its end packet three times, one timestamp."""
        while self.presses and self.presses[-1][0] <= now:
            _, ssrc = self.presses.pop()
            st = self.streams.get(ssrc)
            if st is None:
                continue
            st[OUR_TS] = ts = (st[OUR_TS] + 8000) & 0xFFFFFFFF
            self.awaiting[ssrc] = time.time_ns()
            self._send(st, TELEPHONE_EVENT, bytes([self.digit, 10, 0, 160]), 0x80, ts)
            for _ in range(3):
                self._send(st, TELEPHONE_EVENT, bytes([self.digit, 0x80 | 10, 3, 32]), 0, ts)
            self.pressed += 1

    # Commands from the bench.
    def handle(self, name: str, *args):
        if name == "reset":
            self.streams.clear()
            self.awaiting.clear()
            self.presses.clear()
            self.key_latencies = []
            self.pressed = 0
            return "ok"
        if name == "greeting":
            self.greeting = frozenset(args[0]) - {PCMU_SILENCE}
            return len(self.greeting)
        if name == "keepalive":
            self.keepalive = args[0]
            self.ka_started = 0
            return "ok"
        if name == "count":
            alive = time.time_ns() - 500_000_000
            values = list(self.streams.values())
            return {
                "streams": len(values),
                "alive": sum(1 for st in values if st[LAST] > alive),
                "heard": sum(1 for st in values if st[HEARD]),
            }
        if name == "measure":
            warmup, seconds = args
            start = time.time_ns() + int(warmup * 1e9)
            self.window = (start, start + int(seconds * 1e9))
            self.measuring = True
            for st in self.streams.values():
                st[GAPS], st[LOST] = None, 0
            return "measuring"
        if name == "press":
            digit, spread, marker, marker_offset = args
            self.digit = "0123456789*#".index(digit)
            self.marker, self.marker_offset = marker, marker_offset
            alive = time.time_ns() - 500_000_000
            chosen = [ssrc for ssrc, st in self.streams.items() if st[LAST] > alive]
            begin = time.time_ns() + 100_000_000
            step = int(spread * 1e9 / max(1, len(chosen)))
            self.presses = [(begin + i * step, ssrc) for i, ssrc in enumerate(chosen)][::-1]
            return len(chosen)
        if name == "pressed":
            return {"pressed": self.pressed, "latencies": self.key_latencies, "unmatched": len(self.awaiting)}
        raise ValueError(name)

    def gap_stats(self) -> dict:
        pooled = array("f")
        worst = 0.0
        streams = packets = lost = 0
        for st in self.streams.values():
            gaps = st[GAPS]
            if not gaps:
                continue
            streams += 1
            packets += len(gaps)
            lost += st[LOST]
            pooled.extend(gaps)
            worst = max(worst, percentile(sorted(gaps), 0.99))
        ordered = sorted(pooled)
        seconds = (self.window[1] - self.window[0]) / 1e9
        self.window = (0, 0)
        return {
            "streams": streams,
            "packets": packets,
            "rate": packets / streams / seconds if streams else 0.0,  # packets/s of a stream: 50 if on time
            "lost": lost,
            "p50": percentile(ordered, 0.50),
            "p99": percentile(ordered, 0.99),
            "p999": percentile(ordered, 0.999),
            "max": percentile(ordered, 1.0),
            "over_25ms": sum(1 for gap in ordered[int(0.9 * len(ordered)) :] if gap >= TARGET_GAP_P99_MS),
            "worst_stream_p99": worst,
        }


def percentile(ordered, q: float) -> float:
    if not ordered:
        return 0.0
    return float(ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))])


class ReceiverProcess:
    def __init__(self, count: int):
        self.conn, child = multiprocessing.Pipe()
        self.process = multiprocessing.Process(target=receiver_main, args=(child, count), daemon=True)
        self.process.start()
        self.ports: list[int] = self.conn.recv()

    def ask(self, *command):
        self.conn.send(command)
        return self.conn.recv()

    def stop(self) -> None:
        with contextlib.suppress(OSError, BrokenPipeError):
            self.conn.send(None)
        self.process.join(3)
        if self.process.is_alive():
            self.process.kill()


# The baseline sender: a bare loop, its own process ---------------------------------------------------------------


def bare_sender(conn, ports: list[int], sessions: int, seconds: float) -> None:
    """N streams, one socket, a packet per stream every 20 ms at absolute deadlines; the floor of this machine."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((HOST, 0))
    seq_ts = struct.Struct(">HI")
    streams = []
    for i in range(sessions):
        buf = bytearray(172)
        RTP_HEADER.pack_into(buf, 0, 0x80, 0, 0, 0, random.getrandbits(32))
        buf[12:] = PCMU_SILENCE
        streams.append([buf, (HOST, ports[i % len(ports)]), random.getrandbits(16), random.getrandbits(32)])
    pack_into, sendto = seq_ts.pack_into, sock.sendto
    cpu, start = time.process_time(), time.monotonic()
    n = 0
    while True:
        n += 1
        deadline = start + n * 0.020
        now = time.monotonic()
        if now > start + seconds:
            break
        if deadline > now:
            time.sleep(deadline - now)
        for stream in streams:
            buf = stream[0]
            stream[2] = seq = (stream[2] + 1) & 0xFFFF
            stream[3] = ts = (stream[3] + 160) & 0xFFFFFFFF
            pack_into(buf, 2, seq, ts)
            sendto(buf, stream[1])
    conn.send((time.process_time() - cpu) / (time.monotonic() - start))


# The portal and its executor ----------------------------------------------------------------------------------

PROVISION = """
import json, time
from django.conf import settings
from django.db import transaction
from autoattendant.models import Announcement, Menu
from autoattendant.services.announcements import create_announcement
from autoattendant.services.enterprises import create_enterprise
from autoattendant.services.organisations import create_csp
from autoattendant.services.phone_numbers import create_phone_number
from autoattendant.services.publishing import request_publish
from autoattendant.services.systems import create_system
from telephony.rcml.publish import publish
from autoattendant.services.announcement_rendering import render as render_announcement

csp = create_csp(name="Calls Bench CSP", email_id="csp@calls-bench.test", password=None).user
enterprise = create_enterprise(
    csp, name="Calls Bench", admin={"email_id": "bg@calls-bench.test", "password": "bench-password-9", "name": "BG"}
)
aa_number = create_phone_number(csp, number=__AA_NUMBER__, enterprise_sid=enterprise.sid)
texts = __TEXTS__
announcements = {}
for name, text in texts.items():
    a = create_announcement(csp, name=name, enterprise_sid=enterprise.sid, text=text, language="en")
    render_announcement(a.sid, a.revision)  # the portal's own task, run here (the worker may race it: harmless)
    announcements[name] = a
deadline = time.monotonic() + 120
for name, a in announcements.items():
    while True:
        a.refresh_from_db()
        if a.status == "READY" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
system = create_system(
    csp, name="Calls Bench AA", enterprise_sid=enterprise.sid, timezone_id="UTC",
    aa_number_sids=[aa_number.sid], timeout_seconds=60,
)
with transaction.atomic():
    sales = Menu.objects.create(aa_system=system, name="Sales", greeting_announcement=announcements["sales"],
                                options=[{"key": "9", "actionType": "RETURN_TO_MAIN_MENU"}])
    support = Menu.objects.create(aa_system=system, name="Support", greeting_announcement=announcements["support"],
                                  options=[{"key": "9", "actionType": "RETURN_TO_MAIN_MENU"}])
    main = Menu.objects.create(aa_system=system, name="Main", greeting_announcement=announcements["main"], options=[
        {"key": "1", "actionType": "GO_TO_MENU", "actionData": sales.sid},
        {"key": "2", "actionType": "GO_TO_MENU", "actionData": support.sid},
        {"key": "9", "actionType": "HANGUP"},
    ])
    system.default_menu = main
    system.save(update_fields=["default_menu"])
    request_publish(system)
version = publish(system.sid)
system.refresh_from_db()
print(json.dumps({
    "aaSid": system.sid, "version": version, "mainSid": main.sid, "salesSid": sales.sid,
    "enterpriseSid": enterprise.sid,
    "tokenMatches": settings.EXECUTOR_TOKEN == __TOKEN__,
    "announcements": {name: {"sid": a.sid, "status": a.status, "seconds": a.duration_seconds,
                             "path": a.audio_file.path if a.audio_file else ""} for name, a in announcements.items()},
}))
"""


# The call-rate scenario: many AA systems, each with its numbers, its own menus (Main with the bench's
# greeting, Sales, Support) and its own schedules (WORK_HOURS every day, all day -> Main; a SPECIAL_DAY on 25
# December -> Support), through the services as the API would do it, in one process (a few seconds a hundred
# systems), published by the portal's publish function.
SPREAD = """
import json
from django.db import transaction
from autoattendant.models import Announcement, User
from autoattendant.services.menus import create_menu
from autoattendant.services.phone_numbers import create_phone_number
from autoattendant.services.schedules import create_schedule
from autoattendant.services.systems import create_system, update_system
from telephony.rcml.publish import publish

csp = User.objects.get(email_id="csp@calls-bench.test")
enterprise_sid = __ENTERPRISE__
greetings = {a.name: a.sid for a in Announcement.objects.filter(enterprise__sid=enterprise_sid)}
numbers, systems, per = __NUMBERS__, __SYSTEMS__, __PER__
days = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
made = []
for s in range(systems):
    with transaction.atomic():
        mine = numbers[s * per:(s + 1) * per]
        sids = [create_phone_number(csp, number=n, enterprise_sid=enterprise_sid).sid for n in mine]
        system = create_system(csp, name=f"Spread {s:03d}", enterprise_sid=enterprise_sid, timezone_id="UTC",
                               aa_number_sids=sids, timeout_seconds=60)
        back = [{"key": "9", "actionType": "RETURN_TO_MAIN_MENU"}]
        sales = create_menu(csp, name="Sales", aa_system_sid=system.sid, greeting_announcement_sid=greetings["sales"],
                            options=back)
        support = create_menu(csp, name="Support", aa_system_sid=system.sid,
                              greeting_announcement_sid=greetings["support"], options=back)
        main = create_menu(csp, name="Main", aa_system_sid=system.sid, greeting_announcement_sid=greetings["main"],
                           options=[{"key": "1", "actionType": "GO_TO_MENU", "actionData": sales.sid},
                                    {"key": "2", "actionType": "GO_TO_MENU", "actionData": support.sid},
                                    {"key": "9", "actionType": "HANGUP"}])
        update_system(csp, system.sid, default_menu_sid=main.sid)
        create_schedule(csp, name="Open", aa_system_sid=system.sid, type="WORK_HOURS", menu_sid=main.sid,
                        weekly_ranges=[{"days": days, "start": "00:00", "end": "24:00"}])
        create_schedule(csp, name="Christmas", aa_system_sid=system.sid, type="SPECIAL_DAY", menu_sid=support.sid,
                        dates=[{"month": 12, "day": 25, "recurYearly": True}])
    made.append(system.sid)
versions = [publish(sid) for sid in made]
print(json.dumps({"systems": len(made), "published": sum(1 for v in versions if v)}))
"""


class Bench:
    """The portal (with its executor) as `make run` starts it, provisioned; the receiver; sipp."""

    def __init__(self, args, work: Path):
        self.args = args
        self.work = work
        self.token = secrets.token_hex(24)
        self.sip_port = free_sip_port(fixed=True)
        self.portal = Portal(work / "data", free_port(), self.token)
        self.portal.env.update(
            {
                "SIP_PORT": str(self.sip_port),
                "PORTAL_CALLS_PORT": str(free_port()),  # Granian, which the executors ask
                "RTP_PORT_MIN": str(RTP_MIN),
                "RTP_PORT_MAX": str(RTP_MAX),
                "RTP_TIMEOUT": "120",
                "EXECUTOR_DRAIN_SECONDS": "3",
            }
        )
        self.receiver: ReceiverProcess | None = None
        self.executor = 0
        self.executors: list[int] = []
        self.edge: list[int] = []
        self.numbers = [SERVICE]  # what the callers dial, spread over by the injection file
        self.data: dict = {}
        self.frames: dict[str, tuple[bytes, ...]] = {}

    # Setup.
    def start(self) -> None:
        self.receiver = ReceiverProcess(self.args.receivers)
        started = time.monotonic()
        log(f"starting `python -m portal.run` (DATA_DIR={self.portal.data_dir}, SIP {HOST}:{self.sip_port})")
        self.portal.start()
        deadline = time.monotonic() + 60
        while not tcp_listening(self.sip_port):
            if self.portal.process.poll() is not None or time.monotonic() > deadline:
                raise fail(f"the executor does not listen on {self.sip_port}:\n{self.portal.tail()}")
            time.sleep(0.3)
        self.executor = self.find_executor()
        self.executors = self.find_all(b"run_executor")
        self.edge = self.find_all(b"kamailio")
        log(
            f"healthy after {time.monotonic() - started:.0f} s (executor pids {self.executors}, edge pids "
            f"{self.edge or 'none'}); provisioning"
        )
        self.provision()
        if self.args.numbers:
            self.provision_spread()
        self.check_documents()
        self.load_prompts()
        self.first_call()

    def find_executor(self) -> int:
        return self.find_child(b"run_executor")

    def find_child(self, name: bytes) -> int:
        """The process under portal.run (supervisord's program) whose command line has `name`."""
        root = self.portal.process.pid
        for pid in descendants(root):
            with contextlib.suppress(OSError):
                if name in Path(f"/proc/{pid}/cmdline").read_bytes():
                    return pid
        raise fail(f"no {name.decode()} process under portal.run ({root})")

    @staticmethod
    def executor_port(pid: int) -> int:
        """The SIP port of the executor running as `pid` (its EXECUTOR_SIP_PORT; 0 when it has none)."""
        for item in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
            if item.startswith(b"EXECUTOR_SIP_PORT="):
                return int(item.split(b"=", 1)[1])
        return 0

    def find_all(self, name: bytes) -> list[int]:
        """Every process under portal.run whose command line has `name` (several executors), or whose program is
        `name` (Kamailio and its children), whatever starts them."""
        found = []
        for pid in descendants(self.portal.process.pid):
            with contextlib.suppress(OSError):
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                if argv[0].rsplit(b"/", 1)[-1] == name or any(name in arg for arg in argv[1:]):
                    found.append(pid)
        return found

    def provision_spread(self) -> None:
        """--numbers AA numbers in --systems AA systems (the issue's scenario); the callers dial all of them."""
        numbers, systems = self.args.numbers, self.args.systems
        per = max(1, numbers // systems)
        dialled = [f"+1415{7000000 + i:07d}" for i in range(per * systems)]
        script = (
            SPREAD.replace("__ENTERPRISE__", repr(self.data["enterpriseSid"]))
            .replace("__NUMBERS__", repr(dialled))
            .replace("__SYSTEMS__", str(systems))
            .replace("__PER__", str(per))
        )
        started = time.monotonic()
        out = self.portal.manage("shell", "-c", script)
        made = json.loads(next(line for line in reversed(out.splitlines()) if line.startswith("{")))
        if made != {"systems": systems, "published": systems}:
            raise fail(f"spread provisioning: {made}")
        self.numbers = [number.lstrip("+") for number in dialled]
        log(f"{len(dialled)} AA numbers in {systems} AA systems provisioned in {time.monotonic() - started:.0f} s")

    def provision(self) -> None:
        texts = {"main": GREETING_MAIN, "sales": GREETING_SALES, "support": GREETING_SUPPORT}
        script = (
            PROVISION.replace("__AA_NUMBER__", repr(AA_NUMBER))
            .replace("__TOKEN__", repr(self.token))
            .replace("__TEXTS__", repr(texts))
        )
        out = self.portal.manage("shell", "-c", script)
        self.data = json.loads(next(line for line in reversed(out.splitlines()) if line.startswith("{")))
        problems = [n for n, a in self.data["announcements"].items() if a["status"] != "READY" or not a["path"]]
        if self.data["version"] is None or not self.data["tokenMatches"] or problems:
            raise fail(f"provisioning: {self.data}")
        seconds = {n: round(a["seconds"], 1) for n, a in self.data["announcements"].items()}
        log(f"published {self.data['aaSid']} version {self.data['version']}; greetings (s): {seconds}")

    def check_documents(self) -> None:
        form = {"CallSid": "CA" + "0" * 32, "AccountSid": self.data["aaSid"], "From": "+15551230000"}
        form.update({"CallStatus": "ringing", "ApiVersion": "2012-04-24", "Direction": "inbound", "To": AA_NUMBER})
        status, entry = self.portal.post("/rcml/voice", form, self.token)
        main = self.data["announcements"]["main"]["sid"]
        if status != 200 or "<Gather" not in entry or f"/announcement/{main}/audio.wav" not in entry:
            raise fail(f"the entry document does not play the main greeting ({status}):\n{entry}")
        aa, version, menu = self.data["aaSid"], self.data["version"], self.data["mainSid"]
        status, pressed = self.portal.post(
            f"/rcml/{aa}/{version}/input/{menu}?path={menu}&t=0&i=0&e=0", {**form, "Digits": "1"}, self.token
        )
        if status != 200 or f"/menu/{self.data['salesSid']}" not in pressed:
            raise fail(f"key 1 does not lead to the Sales menu ({status}):\n{pressed}")

    def load_prompts(self) -> None:
        """The greetings as the executor sends them: its own G.711 encoding of the rendered WAVs."""
        from telephony.executor.media import PCMU, prompt_from_wav

        for name, announcement in self.data["announcements"].items():
            self.frames[name] = prompt_from_wav(Path(announcement["path"]).read_bytes()).frames(PCMU)
        heard = self.receiver.ask("greeting", self.frames["main"])
        voiced = next(i for i, f in enumerate(self.frames["main"]) if f != PCMU_SILENCE)
        if voiced > 40:
            raise fail(f"the main greeting starts with {voiced * 20} ms of silence")
        log(f"main greeting: {len(self.frames['main'])} frames ({heard} distinct), first voiced frame {voiced}")

    def sales_marker(self) -> tuple[bytes, int]:
        """The Sales greeting's first voiced frame that the main greeting does not contain, and its offset (ns)."""
        main = set(self.frames["main"])
        for index, frame in enumerate(self.frames["sales"]):
            if frame != PCMU_SILENCE and frame not in main:
                return frame, index * FRAME_NS
        raise fail("the Sales greeting has no frame of its own")

    def first_call(self) -> None:
        self.receiver.ask("reset")
        step = self.sipp_calls("first", rate=1, calls=1, hold_ms=1000)
        heard = self.receiver.ask("count")["heard"]
        if not step.clean or heard != 1:
            raise fail(
                f"a single call did not go through (sipp exit {step.exit_code}, {step.successful} successful, "
                f"greeting heard on {heard} stream(s)):\n{step.errors}\n{self.portal.tail()}"
            )
        log(f"one call: INVITE->200 {step.response_ms:.0f} ms, greeting heard")

    # sipp.
    def scenario(self, hold_ms: int) -> tuple[Path, Path]:
        from tests.calls.sipp import caller

        path = self.work / f"caller-{hold_ms}.xml"
        if not path.exists():
            scenario = caller([("wait", hold_ms)], end="our-bye", caller_number="[field0]", media_port="[field1]")
            path.write_text(scenario.replace("[service]", "[field2]"))  # the number dialled: the injection file's
        inf = self.work / "callers.csv"
        if not inf.exists():
            ports, numbers = self.receiver.ports, self.numbers
            lines = [f"1555{i:07d};{ports[i % len(ports)]};{numbers[i % len(numbers)]};" for i in range(20000)]
            inf.write_text("SEQUENTIAL\n" + "\n".join(lines) + "\n")
        return path, inf

    def sipp_command(self, name: str, target: int, rate: float, calls: int, limit: int, hold_ms: int, budget: int):
        scenario, inf = self.scenario(hold_ms)
        stats = self.work / f"{name}.csv"
        command = ["timeout", "-k", "5", str(budget + 15), SIPP, f"{HOST}:{target}", "-sf", str(scenario)]
        command += ["-inf", str(inf), "-s", SERVICE, "-r", f"{rate:g}", "-rp", "1000", "-m", str(calls)]
        command += ["-l", str(limit), "-i", HOST, "-p", str(free_sip_port()), "-mi", HOST, "-mp", str(free_port())]
        command += ["-nostdin", "-recv_timeout", "15000", "-timeout", f"{budget}s", "-timeout_error"]
        command += ["-trace_stat", "-stf", str(stats), "-fd", "1", "-trace_err", "-error_file", str(stats) + ".err"]
        return command, stats

    def sipp_calls(self, name: str, *, rate: float, calls: int, hold_ms: int, target: int | None = None) -> Step:
        """Blocking: `calls` calls at `rate` calls/s, each holding hold_ms, against the executor (or `target`)."""
        budget = int(calls / rate + hold_ms / 1000 + 40)
        limit = int(rate * (hold_ms / 1000 + 3)) + 50
        command, stats = self.sipp_command(name, target or self.sip_port, rate, calls, limit, hold_ms, budget)
        started = time.monotonic()
        result = subprocess.run(command, cwd=self.work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        step = Step.parse(rate, calls, stats, result.returncode, time.monotonic() - started, hold_ms)
        step.errors += result.stderr.decode(errors="replace")[-1500:]
        return step

    def sipp_background(self, name: str, *, rate: float, calls: int, hold_ms: int) -> tuple[subprocess.Popen, Path]:
        budget = int(calls / rate + hold_ms / 1000 + 40)
        command, stats = self.sipp_command(name, self.sip_port, rate, calls, calls, hold_ms, budget)
        process = subprocess.Popen(command, cwd=self.work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        return process, stats

    # The executor's own view.
    def metrics(self, timeout: float = 15.0) -> dict:
        """SIGUSR1 to the executor; its "executor metrics: {...}" line from portal.run's output."""
        path = self.portal.log_path
        offset = path.stat().st_size
        os.kill(self.executor, signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(0.2)
            with open(path, "rb") as log_file:
                log_file.seek(offset)
                found = re.findall(rb"executor metrics: (\{.*\})", log_file.read())
            if found:
                return json.loads(found[-1])
        raise fail(f"no metrics line from the executor within {timeout:g} s")

    def executor_cpu(self) -> float:
        return sum(pid_cpu(pid) for pid in self.executors or [self.executor])

    def edge_cpu(self) -> float:
        """Kamailio's processes under portal.run, if it runs one in front of the executors (the SIP edge)."""
        return sum(pid_cpu(pid) for pid in self.edge)

    def portal_cpu(self) -> float:
        """Granian, gunicorn, Celery, Redis and PostgreSQL: portal.run's tree and the postmaster, without the executors
        and the edge."""
        return server_cpu(self.portal.server_pids()) - self.executor_cpu() - self.edge_cpu()

    def executor_errors(self, since: int) -> list[str]:
        """WARNING/ERROR/CRITICAL lines logged since `since` (an offset in portal.run's output), metrics aside."""
        with open(self.portal.log_path, "rb") as log_file:
            log_file.seek(since)
            text = log_file.read().decode(errors="replace")
        return [line for line in text.splitlines() if LEVELS.search(line) and "executor metrics" not in line]

    def wait_idle(self, timeout: float = 60.0) -> dict:
        """Until the executor has no call in progress; its metrics."""
        deadline = time.monotonic() + timeout
        while True:
            metrics = self.metrics()
            if not metrics.get("calls_in_progress") or time.monotonic() > deadline:
                return metrics
            time.sleep(1.0)

    def portal_parts(self) -> Counter:
        """The portal's CPU seconds so far by part: gunicorn, granian, celery, postgres, redis, and supervisor
        (supervisord and portal.run, which relay every program's output to the log)."""
        parts: Counter = Counter()
        skip = set(self.executors) | set(self.edge)
        for pid in {p for root in self.portal.server_pids() for p in descendants(root)} - skip:
            with contextlib.suppress(OSError):
                command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
                name = next((n for n in PORTAL_PARTS if n.encode() in command), "supervisor")
                parts[name] += pid_cpu(pid)
        return parts

    def wait_portal_quiet(self, below: float = 0.1, timeout: float = 120.0) -> None:
        """Until the portal's processes use less than `below` CPUs over a second: the publish tasks that
        provisioning queued (one per change, each a no-op once published) are worked off before measuring."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            before = self.portal_cpu()
            time.sleep(1.0)
            if self.portal_cpu() - before < below:
                return
        log(f"the portal stayed busy for {timeout:g} s; measuring anyway")

    def portal_idle(self, seconds: float = 3.0) -> float:
        """The portal's CPU (CPUs) with no call: its processes' own timers and polls (gunicorn's, Celery's, beat's,
        PostgreSQL's, Redis'), spent whatever the call rate."""
        before = self.portal_cpu()
        time.sleep(seconds)
        return max(0.0, (self.portal_cpu() - before) / seconds)

    def log_offset(self) -> int:
        return self.portal.log_path.stat().st_size

    def stop(self) -> None:
        if self.receiver is not None:
            self.receiver.stop()
        self.portal.stop()


def tcp_listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def free_sip_port(*, fixed: bool = False) -> int:
    """A port free for both UDP and TCP (SIP listens on both). `fixed`: below the kernel's ephemeral ports (no
    outgoing connection takes it in the seconds before the executor binds it), the RTP range and the tests' ports."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            try:
                udp.bind((HOST, random.randrange(5100, 10000) if fixed else 0))
            except OSError:
                continue
            port = udp.getsockname()[1]
            with socket.socket() as tcp:
                try:
                    tcp.bind((HOST, port))
                except OSError:
                    continue
            return port
    raise fail("no free port")


@dataclass
class Step:
    rate: float
    calls: int
    successful: int = 0
    failed: int = 0
    retransmissions: int = 0
    response_ms: float = 0.0
    seconds: float = 0.0
    exit_code: int = 0
    hold_ms: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    errors: str = ""
    heard: int | None = None  # streams on which the receiver heard the greeting (the executor only)
    executor_failed: int = 0  # calls the executor counted as anything but a caller hang-up
    foreign: float | None = None  # CPUs busy with other work than this run's during the step
    cpu: dict[str, float] = field(default_factory=dict)
    portal_parts: dict[str, float] = field(default_factory=dict)

    @classmethod
    def parse(cls, rate: float, calls: int, stats: Path, code: int, seconds: float, hold_ms: int) -> Step:
        step = cls(rate, calls, seconds=seconds, exit_code=code, hold_ms=hold_ms)
        rows = list(csv.DictReader(stats.open(), delimiter=";")) if stats.exists() else []
        if rows:
            last = rows[-1]
            step.successful = int(last.get("SuccessfulCall(C)") or 0)
            step.failed = int(last.get("FailedCall(C)") or 0)
            step.retransmissions = int(last.get("Retransmissions(C)") or 0)
            step.response_ms = sipp_ms(last.get("ResponseTime1(C)") or "00:00:00:000")
            step.failures = {
                k.removeprefix("Failed").removesuffix("(C)"): int(v)
                for k, v in last.items()
                if k and k.startswith("Failed") and k.endswith("(C)") and k != "FailedCall(C)" and v and int(v)
            }
        errors = Path(str(stats) + ".err")
        if errors.exists():
            step.errors = errors.read_text(errors="replace")[-1500:]
        return step

    @property
    def clean(self) -> bool:
        complete = self.exit_code == 0 and self.failed == 0 and self.successful == self.calls
        on_time = self.seconds <= self.calls / self.rate + self.hold_ms / 1000 + KEPT_UP
        heard = self.heard is None or self.heard >= self.calls
        return complete and on_time and heard and self.executor_failed == 0

    def line(self) -> str:
        heard = "" if self.heard is None else f"  greeting heard {self.heard:5d}"
        cpu = "  CPU ms/call " + ", ".join(f"{k} {v:.2f}" for k, v in self.cpu.items()) if self.cpu else ""
        if self.foreign is not None:
            cpu += f"; foreign work {self.foreign:.2f} CPUs"
        why = ""
        if not self.clean:
            reasons = [f"{k} {v}" for k, v in self.failures.items()]
            if self.executor_failed:
                reasons.append(f"executor: {self.executor_failed} not a clean hang-up")
            if self.seconds > self.calls / self.rate + self.hold_ms / 1000 + KEPT_UP:
                reasons.append("overran")
            if self.exit_code:
                reasons.append(f"sipp exit {self.exit_code}")
            why = " (" + ", ".join(reasons) + ")" if reasons else ""
        return (
            f"{self.rate:5g} calls/s {self.successful:6d}/{self.calls:<6d} ok {self.failed:5d} failed "
            f"{self.retransmissions:5d} retrans  INVITE->200 {self.response_ms:7.1f} ms  {self.seconds:5.1f} s"
            f"{heard}{cpu}  {'clean' if self.clean else 'FAILED'}{why}"
        )


def show_sipp_errors(step: Step) -> None:
    """The first unexpected message sipp logged, if any."""
    if step.failed and step.errors.strip():
        text = step.errors.strip()
        print("    sipp's errors (tail): " + text[-700:].replace("\n", "\n      "))


def sipp_ms(value: str) -> float:
    """sipp's HH:MM:SS:uuuuuu durations -> ms."""
    hours, minutes, seconds, fraction = value.split(":")[:4]
    sub = int(fraction) / (1000 if len(fraction) == 6 else 1)
    return ((int(hours) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + sub


def pid_cpu(pid: int) -> float:
    with contextlib.suppress(OSError, ValueError, IndexError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    return 0.0


class CpuWatch:
    """Where the machine's CPU went over an interval, in CPUs: the executor, the receiver, the rest of this run
    (sipp, the baseline sender, gunicorn, Celery, Redis, PostgreSQL, this script), and foreign work: whatever else
    kept the machine busy (other people's tests), which skews every figure measured meanwhile."""

    def __init__(self, bench: Bench):
        self.bench = bench
        self.start = self.sample()

    def sample(self) -> tuple[float, ...]:
        bench = self.bench
        roots = [os.getpid(), *bench.portal.server_pids()[1:]]  # this script's tree (portal.run is a child), postgres
        ours = server_cpu(roots) + children_cpu()  # children_cpu: the reaped ones (sipp runs, the baseline sender)
        busy, softirq = machine_cpu()
        receiver = pid_cpu(bench.receiver.process.pid)
        return time.monotonic(), busy, softirq, ours, bench.executor_cpu(), receiver

    def shares(self) -> dict[str, float]:
        end = self.sample()
        wall = end[0] - self.start[0]
        busy, softirq, ours, executor, receiver = ((b - a) / wall for a, b in zip(self.start[1:], end[1:], strict=True))
        return {
            "executor": executor,
            "receiver": receiver,
            "rest": ours - executor - receiver,
            "softirq": softirq,  # the kernel's packet delivery on loopback, not charged to a process
            "foreign": busy - softirq - ours,
        }


def machine_cpu() -> tuple[float, float]:
    """CPU seconds all CPUs have been busy since boot (all but idle and iowait; steal included: another VM's work is
    foreign work too), and the part spent in softirq."""
    with open("/proc/stat") as stat:
        ticks = [int(x) for x in stat.readline().split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / TICK, ticks[6] / TICK


def show_cpu(shares: dict[str, float]) -> str:
    return "CPUs: " + ", ".join(f"{name} {value:.2f}" for name, value in shares.items())


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# Profiling (optional): py-spy on the executor ------------------------------------------------------------------


class Profile:
    """py-spy (--py-spy) on the executor, or on another of portal.run's processes and its children."""

    def __init__(self, bench: Bench, name: str, seconds: float, pid: int = 0):
        self.path = bench.work / f"py-spy-{name}.txt"
        self.seconds = seconds
        self.name = name
        self.process = None
        spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        if bench.args.py_spy and Path(spy).exists():
            command = [spy, "record", "-p", str(pid or bench.executor), "-d", str(int(seconds)), "-r", "50"]
            command += ["-f", "raw"] + (["--subprocesses"] if pid else [])
            self.process = subprocess.Popen(
                [*command, "--nonblocking", "-o", str(self.path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )

    def report(self, top: int = 12) -> None:
        if self.process is None:
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(self.seconds + 20)
        if not self.path.exists():
            print(f"  py-spy [{self.name}]: no profile")
            return
        own, inclusive, lines = Counter(), Counter(), Counter()
        total = idle = 0
        for line in self.path.read_text(errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            frames = [re.sub(r":\d+\)", ")", frame) for frame in stack.split(";")]
            if frames[-1].startswith(("EpollSelector.select ", "select (")):
                idle += int(count)  # waiting for I/O (the event loop, gunicorn's poll): not work
                continue
            total += int(count)
            own[frames[-1]] += int(count)
            lines[stack.split(";")[-1]] += int(count)
            for frame in set(frames):
                inclusive[frame] += int(count)
        print(f"  py-spy [{self.name}]: {total} samples (50/s, {idle} more waiting in select/epoll left out)")
        for frame, count in own.most_common(top):
            print(f"    own {100 * count / total:5.1f}%  incl {100 * inclusive[frame] / total:5.1f}%  {frame}")
        print("    top lines: " + "; ".join(f"{100 * c / total:.1f}% {line}" for line, c in lines.most_common(5)))
        ours = [(f, c) for f, c in inclusive.most_common() if re.search(r"\((autoattendant|telephony|portal)/", f)]
        print("    ours, inclusive: " + "; ".join(f"{100 * c / total:.1f}% {f}" for f, c in ours[:8]))


# Part 1: call rate ----------------------------------------------------------------------------------------------


def warm_up(bench: Bench, rate: float = 100.0) -> float:
    """Call every number once, at `rate`, before the ramp: the first call to a number finds nothing cached (its
    route, in Redis; its system's plan, in each process of Granian (the `calls` program)). Its portal CPU per call,
    printed: the ramp then measures numbers called again, as a platform's numbers are."""
    bench.wait_idle()
    bench.wait_portal_quiet()
    portal = bench.portal_cpu()
    calls = len(bench.numbers)
    step = bench.sipp_calls("warm-up", rate=rate, calls=calls, hold_ms=200)
    time.sleep(3.0)
    first = 1000 * (bench.portal_cpu() - portal) / max(step.successful, 1)
    print(
        f"  warm-up: each of the {calls} numbers called once at {rate:g} calls/s: {step.successful} ok, {step.failed} "
        f"failed; portal CPU per first call to a number {first:.2f} ms",
        flush=True,
    )
    return first


def part_rate(bench: Bench, args) -> dict:
    rates = [int(r) for r in args.rates.split(",")]
    print(
        f"\n[rate] caller: INVITE (SDP to the receiver), 200, ACK, {args.hold_ms} ms with the greeting playing, BYE; "
        f"{args.step_seconds:g} s per rate; clean: 0 failed calls, the greeting heard on every call (executor), the "
        f"step over within {KEPT_UP:g} s of an idle server's time",
        flush=True,
    )
    results = {}
    if len(bench.numbers) > 1:
        results["first_calls_ms"] = warm_up(bench)
    bench.wait_portal_quiet()
    idle = bench.portal_idle()
    print(f"  the portal idle (no call, measured over 3 s): {1000 * idle:.0f} CPU-ms/s", flush=True)
    since = bench.log_offset()
    seconds = min(60, len(rates) * (args.step_seconds + 4))
    calls = bench.find_child(b"granian")  # the server the executors ask (program `calls`)
    profiles = [Profile(bench, "rate", seconds), Profile(bench, "rate-calls", seconds, calls)]
    steps = []
    for rate in rates:
        bench.receiver.ask("reset")
        before = bench.wait_idle()["counters"]
        ex_cpu, web_cpu, sipp_cpu, edge_cpu = bench.executor_cpu(), bench.portal_cpu(), children_cpu(), bench.edge_cpu()
        parts, began = bench.portal_parts(), time.monotonic()
        watch = CpuWatch(bench)
        calls = int(rate * args.step_seconds)
        step = bench.sipp_calls(f"rate-executor-{rate}", rate=rate, calls=calls, hold_ms=args.hold_ms)
        time.sleep(3.0)  # the last calls end, their records go out and are written (within ~2 s)
        step.heard = bench.receiver.ask("count")["heard"]
        after = bench.metrics()
        counters = Counter(after["counters"])
        counters.subtract(before)
        step.executor_failed = sum(v for k, v in counters.items() if k != "calls_caller_hangup" and v > 0)
        n = max(step.successful, 1)
        step.cpu = {
            "executor": 1000 * (bench.executor_cpu() - ex_cpu) / n,
            "portal": 1000 * (bench.portal_cpu() - web_cpu) / n,  # Granian, gunicorn, Celery, PostgreSQL, Redis
            "sipp": 1000 * (children_cpu() - sipp_cpu) / n,
        }
        # What the calls added to the portal's idle work: its CPU per call with the idle share taken off.
        step.cpu["portal beyond idle"] = step.cpu["portal"] - 1000 * idle * (time.monotonic() - began) / n
        if bench.edge:
            step.cpu["edge"] = 1000 * (bench.edge_cpu() - edge_cpu) / n
        parts = bench.portal_parts() - parts  # Counter subtraction: the parts that used CPU in the step
        step.portal_parts = {name: 1000 * seconds / n for name, seconds in sorted(parts.items())}
        step.foreign = watch.shares()["foreign"]
        print(f"  executor {step.line()}", flush=True)
        print("    portal CPU ms/call by part: " + ", ".join(f"{k} {v:.2f}" for k, v in step.portal_parts.items()))
        if step.executor_failed:
            print(f"    executor outcomes: {dict((k, v) for k, v in counters.items() if v)}")
        steps.append(step)
        if not step.clean:
            if step.errors.strip():
                print("    sipp errors (tail): " + step.errors.strip().splitlines()[-1][:300])
            break
    for profile in profiles:
        profile.report()
    metrics = bench.metrics()
    answered = [step for step in steps if step.clean and step.rate >= 100] or [s for s in steps if s.clean] or steps
    portal = sorted(step.cpu["portal"] for step in answered)
    results["portal_ms"] = portal[len(portal) // 2] if portal else 0.0
    results["portal_ms_range"] = (portal[0], portal[-1]) if portal else (0.0, 0.0)
    beyond = sorted(step.cpu["portal beyond idle"] for step in answered)
    results["portal_beyond_idle_ms"] = beyond[len(beyond) // 2] if beyond else 0.0
    results["portal_idle_ms_per_s"] = 1000 * idle
    spread = f"{len(bench.numbers)} AA number(s)" + (f" in {args.systems} AA systems" if args.numbers else "")
    verdict = "PASS" if results["portal_ms"] <= TARGET_PORTAL_MS else "MISS"
    print(
        f"  portal CPU per answered call ({spread}; median of the clean steps from 100 calls/s): "
        f"{results['portal_ms']:.2f} ms (range {portal[0] if portal else 0:.2f}-{portal[-1] if portal else 0:.2f}), "
        f"target <= {TARGET_PORTAL_MS:g} ms: {verdict}; beyond its idle work ({1000 * idle:.0f} CPU-ms/s): "
        f"{results['portal_beyond_idle_ms']:.2f} ms",
        flush=True,
    )
    results["executor"] = best(steps)
    results["executor_comfortable"] = best(steps, comfortable=True)
    results["invite_to_answer"] = metrics["latencies"].get("invite_to_answer", {})
    problems = bench.executor_errors(since)
    if problems:
        print(f"  executor warnings/errors during the ramp: {len(problems)}; the first and last:")
        for line in problems[:3] + problems[-2:]:
            print(f"    {line[:300]}")

    bench.wait_idle()
    uas_port = free_sip_port()
    uas_log = open(bench.work / "uas.log", "wb")
    uas = subprocess.Popen(
        ["timeout", "3600", SIPP, "-sn", "uas", "-i", HOST, "-p", str(uas_port), "-mp", str(free_port()), "-nostdin"],
        cwd=bench.work,
        stdout=uas_log,
        stderr=uas_log,
        stdin=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    if uas.poll() is not None:
        raise fail(f"sipp -sn uas did not start: {(bench.work / 'uas.log').read_text(errors='replace')}")
    uas_steps = []
    try:
        for rate in rates + [r for r in UAS_MORE if r > rates[-1]]:  # on to the baseline's own limit
            calls = int(rate * args.step_seconds)
            watch = CpuWatch(bench)
            step = bench.sipp_calls(f"rate-uas-{rate}", rate=rate, calls=calls, hold_ms=args.hold_ms, target=uas_port)
            step.foreign = watch.shares()["foreign"]
            print(f"  uas      {step.line()}", flush=True)
            uas_steps.append(step)
            if not step.clean:
                break
            time.sleep(args.hold_ms / 1000 + 1)
    finally:
        uas.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            uas.wait(10)
        if uas.poll() is None:
            uas.kill()
        uas_log.close()
    results["uas"] = best(uas_steps)
    results["uas_comfortable"] = best(uas_steps, comfortable=True)
    results["uas_capped"] = bool(uas_steps) and uas_steps[-1].clean
    ratio = results["executor"] / results["uas"] if results["uas"] else 0.0
    results["ratio"] = ratio
    capped = " (the top rate tried: its own limit is higher)" if results["uas_capped"] else ""
    answer = results["invite_to_answer"]
    print(
        f"  => executor {results['executor']} calls/s ({results['executor_comfortable']} without a retransmission), "
        f"sipp -sn uas {results['uas']} calls/s{capped}: ratio {ratio:.2f}; the executor's invite_to_answer over the "
        f"ramp (INVITE handled to 200 sent): p50 {answer.get('p50_ms')} ms, p99 {answer.get('p99_ms')} ms"
    )
    return results


def best(steps: list[Step], *, comfortable: bool = False) -> int:
    """The highest rate up to which every step was clean (comfortable: and without an INVITE retransmission)."""
    rate = 0
    for step in steps:
        if not step.clean or (comfortable and step.retransmissions):
            break
        rate = int(step.rate)
    return rate


# Part 2: concurrency --------------------------------------------------------------------------------------------


def show_gaps(name: str, result: dict) -> None:
    print(
        f"  {name:<14} streams {result['streams']:5d}  packets {result['packets']:8d} ({result['rate']:5.2f}/s each)"
        f"  lost {result['lost']:5d}  "
        f"gap p50 {result['p50']:6.2f}  p99 {result['p99']:6.2f}  p99.9 {result['p999']:6.2f}  max {result['max']:7.2f}"
        f" ms  worst stream p99 {result['worst_stream_p99']:6.2f} ms  gaps >= 25 ms {result['over_25ms']}\n"
        f"{'':18}{show_cpu(result['cpu'])}",
        flush=True,
    )


def part_concurrency(bench: Bench, args) -> dict:
    sessions = [int(n) for n in args.sessions.split(",")]
    print(
        f"\n[concurrency] N calls held with the main greeting playing (ramp {args.ramp:g} calls/s), callers sending a "
        f"comfort noise packet a second; {args.warmup:g} s warm-up, then {args.seconds:g} s measured by the receiver "
        "(kernel timestamps); baseline: a bare loop, N streams from one socket",
        flush=True,
    )
    results = {}
    for n in sessions:
        # The baseline: the floor of what this machine does.
        bench.wait_idle()
        time.sleep(2)  # the last call records stored
        bench.receiver.ask("reset")
        watch = CpuWatch(bench)
        parent, child = multiprocessing.Pipe()
        sender = multiprocessing.Process(
            target=bare_sender, args=(child, bench.receiver.ports, n, args.warmup + args.seconds + 1.0), daemon=True
        )
        sender.start()
        time.sleep(0.3)
        bench.receiver.ask("measure", args.warmup, args.seconds)
        base = bench.receiver.conn.recv()
        base_cpu = parent.recv()
        sender.join(5)
        base["cpu"] = {"sender": base_cpu, **watch.shares()}
        del base["cpu"]["executor"]
        show_gaps(f"N={n} baseline", base)

        # The executor.
        bench.receiver.ask("reset")
        bench.receiver.ask("keepalive", True)
        ramp_seconds = n / args.ramp
        hold_ms = int(1000 * (ramp_seconds + 15 + args.warmup + args.seconds))
        since = bench.log_offset()
        sipp, stats = bench.sipp_background(f"hold-{n}", rate=args.ramp, calls=n, hold_ms=hold_ms)
        started = time.monotonic()
        count = {}
        while time.monotonic() < started + ramp_seconds + 15:
            time.sleep(0.5)
            count = bench.receiver.ask("count")
            if count["alive"] >= n or sipp.poll() is not None:
                break
        up = time.monotonic() - started
        log(f"N={n}: {count.get('alive')} streams alive after {up:.1f} s")
        time.sleep(1.0)
        profile = Profile(bench, f"concurrency-{n}", min(args.seconds, 20))
        watch = CpuWatch(bench)
        bench.receiver.ask("measure", args.warmup, args.seconds)
        time.sleep(args.warmup + args.seconds - 0.3)
        metrics = bench.metrics()
        ours = bench.receiver.conn.recv()
        ours["cpu"] = watch.shares()
        heard = bench.receiver.ask("count")["heard"]
        show_gaps(f"N={n} executor", ours)
        media = metrics.get("media", {})
        print(
            f"    executor: {metrics.get('calls_in_progress')} calls in progress, media "
            + ", ".join(f"{k} {v}" for k, v in media.items())
        )
        print(f"    greeting heard on {heard} of {n} streams")
        profile.report()
        end_callers(sipp, hold_ms)
        bench.receiver.ask("keepalive", False)
        step = Step.parse(args.ramp, n, stats, sipp.returncode, time.monotonic() - started, hold_ms)
        problems = bench.executor_errors(since)
        ok = step.successful == n and step.failed == 0 and ours["streams"] >= n
        print(
            f"    sipp: {step.successful}/{n} successful, {step.failed} failed, {step.retransmissions} retransmissions"
            f"{' ' + str(step.failures) if step.failures else ''}, INVITE->200 {step.response_ms:.0f} ms (mean)"
        )
        show_sipp_errors(step)
        if problems:
            print(f"    executor warnings/errors: {len(problems)}; the first and last:")
            for line in problems[:3] + problems[-2:]:
                print(f"      {line[:300]}")
        ratio = ours["p99"] / base["p99"] if base["p99"] else 0.0
        results[n] = {"baseline": base, "executor": ours, "ok": ok, "ratio": ratio, "media": media}
        print(
            f"    => N={n}: p99 {ours['p99']:.2f} ms vs baseline {base['p99']:.2f} ms (ratio {ratio:.2f}); "
            f"{'all calls held' if ok else 'BROKE'}",
            flush=True,
        )
        time.sleep(3)
        if not ok:
            break
    return results


# Part 3: key to next prompt -------------------------------------------------------------------------------------


def part_keys(bench: Bench, args) -> dict:
    n = args.key_calls
    print(
        f"\n[keys] {n} calls held; each presses 1 (RFC 4733 from the caller's SDP address) at a staggered time over "
        f"{args.key_spread:g} s: GO_TO_MENU Sales, whose greeting is the next prompt",
        flush=True,
    )
    marker, offset = bench.sales_marker()
    bench.wait_idle()
    time.sleep(3)  # the call records of a previous part stored
    bench.receiver.ask("reset")
    bench.receiver.ask("keepalive", True)
    ramp_seconds = n / args.ramp
    hold_ms = int(1000 * (ramp_seconds + 10 + args.key_spread + 6))
    since = bench.log_offset()
    before = bench.metrics()["latencies"].get("key_to_prompt", {}).get("count", 0)
    sipp, stats = bench.sipp_background("keys", rate=args.ramp, calls=n, hold_ms=hold_ms)
    started = time.monotonic()
    count = {}
    while time.monotonic() < started + ramp_seconds + 15:
        time.sleep(0.5)
        count = bench.receiver.ask("count")
        if count["alive"] >= n or sipp.poll() is not None:
            break
    time.sleep(1.5)
    chosen = bench.receiver.ask("press", "1", args.key_spread, marker, offset)
    log(f"{count.get('alive')} calls up after {time.monotonic() - started:.1f} s; {chosen} presses scheduled")
    profile = Profile(bench, "keys", args.key_spread)
    watch = CpuWatch(bench)
    time.sleep(args.key_spread + 4)
    shares = watch.shares()
    metrics = bench.metrics()
    pressed = bench.receiver.ask("pressed")
    profile.report()
    end_callers(sipp, hold_ms)
    bench.receiver.ask("keepalive", False)
    step = Step.parse(args.ramp, n, stats, sipp.returncode, time.monotonic() - started, hold_ms)
    internal = metrics["latencies"].get("key_to_prompt", {})
    latencies = sorted(pressed["latencies"])
    external = {
        "count": len(latencies),
        "p50_ms": round(percentile(latencies, 0.5), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "max_ms": round(percentile(latencies, 1.0), 2),
    }
    print(
        f"  executor key_to_prompt (its metric; {internal.get('count', 0) - before} new samples): "
        f"p50 {internal.get('p50_ms')} ms, p99 {internal.get('p99_ms')} ms, max {internal.get('max_ms')} ms"
    )
    print(
        f"  receiver, digit sent -> first frame of the Sales greeting in (less its offset {offset / 1e6:.0f} ms):"
        f" {external['count']} of {pressed['pressed']} presses, p50 {external['p50_ms']} ms, "
        f"p99 {external['p99_ms']} ms, max {external['max_ms']} ms"
    )
    print(f"  sipp: {step.successful}/{n} successful, {step.failed} failed {step.failures or ''}")
    print(f"  during the presses, {show_cpu(shares)} (of {os.cpu_count()})")
    show_sipp_errors(step)
    problems = bench.executor_errors(since)
    if problems:
        print(f"  executor warnings/errors: {len(problems)}; the first and last:")
        for line in problems[:3] + problems[-2:]:
            print(f"    {line[:300]}")
    ok = step.successful == n and step.failed == 0 and internal.get("count", 0) - before >= n
    return {"internal": internal, "external": external, "ok": ok, "calls": n, "cpu": shares}


# Main -------------------------------------------------------------------------------------------------------------


def summary(results: dict) -> None:
    print("\n" + "=" * 100)
    print(
        f"executor_calls summary ({time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, "
        f"load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])})"
    )
    rate = results.get("rate")
    if rate:
        verdict = "PASS" if rate["executor"] >= TARGET_RATE else "MISS"
        print(
            f"  call rate      target >= {TARGET_RATE} calls/s, 0 failed: executor {rate['executor']} calls/s "
            f"({rate['executor_comfortable']} without a retransmission), sipp -sn uas "
            f"{rate['uas']}{'+' if rate['uas_capped'] else ''} calls/s, ratio {rate['ratio']:.2f}  "
            f"{verdict}"
        )
        low, high = rate["portal_ms_range"]
        verdict = "PASS" if rate["portal_ms"] <= TARGET_PORTAL_MS else "MISS"
        first = f"; a number's first call {rate['first_calls_ms']:.2f} ms" if "first_calls_ms" in rate else ""
        print(
            f"  portal CPU     target <= {TARGET_PORTAL_MS:g} ms a call: {rate['portal_ms']:.2f} ms "
            f"({low:.2f}-{high:.2f} over the clean steps{first}; {rate['portal_beyond_idle_ms']:.2f} ms beyond its "
            f"idle work of {rate['portal_idle_ms_per_s']:.0f} CPU-ms/s)  {verdict}"
        )
    concurrency = results.get("concurrency")
    if concurrency:
        for n, r in concurrency.items():
            ours, base = r["executor"], r["baseline"]
            verdict = "-"
            if n == TARGET_CONCURRENT:
                verdict = "PASS" if r["ok"] and ours["p99"] < TARGET_GAP_P99_MS else "MISS"
            print(
                f"  concurrency    N={n:<5d} target p99 gap < {TARGET_GAP_P99_MS:g} ms at N={TARGET_CONCURRENT}: "
                f"executor p99 {ours['p99']:.2f} ms (max {ours['max']:.1f}, {ours['rate']:.2f} packets/s a stream), "
                f"baseline p99 {base['p99']:.2f} ms "
                f"(max {base['max']:.1f}), ratio {r['ratio']:.2f}, {'all held' if r['ok'] else 'BROKE'}  {verdict}"
            )
        if TARGET_CONCURRENT not in concurrency:
            print(f"  concurrency    N={TARGET_CONCURRENT}: not measured (or not reached)  MISS")
    keys = results.get("keys")
    if keys:
        p99 = keys["internal"].get("p99_ms", float("inf"))
        verdict = "PASS" if keys["ok"] and p99 < TARGET_KEY_P99_MS and keys["calls"] >= TARGET_KEY_CALLS else "MISS"
        print(
            f"  key -> prompt  target p99 < {TARGET_KEY_P99_MS:g} ms at {TARGET_KEY_CALLS} calls: "
            f"executor key_to_prompt p99 {p99} ms at {keys['calls']} calls "
            f"(receiver-measured p99 {keys['external']['p99_ms']} ms)  {verdict}"
        )


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=["rate", "concurrency", "keys"])
    parser.add_argument("--quick", action="store_true", help="shorter steps and windows (about 5 minutes)")
    parser.add_argument("--rates", default="50,100,150,200,250,300,400,500,600,800")
    parser.add_argument("--step-seconds", type=float, default=5.0, help="rate: seconds of calls per rate")
    parser.add_argument("--hold-ms", type=int, default=1000, help="rate: how long each call lasts before its BYE")
    parser.add_argument(
        "--numbers", type=int, default=1000, help="AA numbers the calls are spread over (0: the one AA number only)"
    )
    parser.add_argument("--systems", type=int, default=100, help="AA systems those numbers are in")
    parser.add_argument("--sessions", default="500,1000,2000", help="concurrency: the numbers of calls held")
    parser.add_argument("--seconds", type=float, default=30.0, help="concurrency: seconds measured")
    parser.add_argument("--warmup", type=float, default=2.0, help="concurrency: seconds before measuring")
    parser.add_argument("--ramp", type=float, default=100.0, help="calls/s at which held calls are placed")
    parser.add_argument("--key-calls", type=int, default=TARGET_KEY_CALLS)
    parser.add_argument("--key-spread", type=float, default=10.0, help="keys: seconds over which the keys are pressed")
    parser.add_argument("--receivers", type=int, default=4, help="receiver ports the callers' SDP names")
    parser.add_argument("--keep", action="store_true", help="keep sipp's files and portal.run's output")
    parser.add_argument("--py-spy", action="store_true", help="profile the executor with py-spy during each part")
    args = parser.parse_args()
    if args.quick:
        args.step_seconds, args.seconds, args.key_spread = 3.0, 10.0, 8.0
    if not Path(SIPP).exists():
        print("executor_calls: needs sipp: apt-get install -y sip-tester", file=sys.stderr)
        return 2
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 65536, hard))
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="executor-calls-"))
    bench = Bench(args, work)
    results: dict = {}
    keep_log = False
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        bench.start()
        parts = [args.only] if args.only else ["rate", "concurrency", "keys"]
        for part in parts:
            results[part] = {"rate": part_rate, "concurrency": part_concurrency, "keys": part_keys}[part](bench, args)
        summary(results)
        files = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        print(f"  total run {time.monotonic() - started:.0f} s; open files limit {files}")
        return 0
    except SystemExit as exc:
        keep_log = True
        print(exc, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        log("stopping the portal")
        final = bench.portal.log_path
        bench.stop()
        signal.signal(signal.SIGTERM, previous)
        if (keep_log or args.keep) and final.exists():
            kept = Path(tempfile.gettempdir()) / "executor_calls-portal.log"
            shutil.copy(final, kept)
            log(f"portal.run's output kept in {kept}")
        if args.keep:
            log(f"sipp's scenario, statistics and errors kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
        with contextlib.suppress(OSError):
            final.unlink()


if __name__ == "__main__":
    sys.exit(main())

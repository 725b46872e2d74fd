"""RCML fetch, the executor's hot path: requests/s and p99 against a bare Django view, same server, same run.

DESIGN.md, "Performance and reliability targets"; issue 3, "Benchmark". Target: at least 0.5x the
bare view's requests/s, and p99 under 10 ms.

    .venv/bin/python bench/rcml_fetch.py [--duration 5] [--rounds 4] [--clients 50] [--keep]     # about 2 minutes

1. Starts the portal exactly as `make run` does: `python -m portal.run` (embedded PostgreSQL and
   Redis, migrate, gunicorn on 127.0.0.1 with 2 gthread workers x 4 threads, a Celery worker) with a
   temporary DATA_DIR, a free PORTAL_HTTP_PORT, BENCH_VIEWS=1 (the baseline route) and a generated
   EXECUTOR_TOKEN; DATABASE_URL/REDIS_URL are removed from its environment, so no shared database is
   touched. Waits for /healthz.
2. Provisions with `manage.py shell -c` (same DATA_DIR): a CSP, an enterprise, an AA number, five
   extensions, an AA system with a main menu (dial by extension, five keys) and a submenu, a
   WORK_HOURS and a SPECIAL_DAY schedule; the menus and schedules as rows (their API is not the point
   here). It then publishes with telephony.rcml.publish.publish, as the Celery task does.
3. Checks the two documents (and that a wrong token gets 401), then loads the server with 50
   connections, each sending in turn
     rcml  POST /rcml/voice (To=the AA number) and POST /rcml/{aa}/{version}/input/{menu}?path=...
           &t=0&i=0&e=0 (Digits=2), with `Authorization: Bearer <EXECUTOR_TOKEN>` and the Restcomm
           form parameters;
     bare  POST /bench/rcml-constant with the same headers and bodies (telephony/rcml/bench_views.py).
   Rounds alternate bare, rcml, rcml, bare (ABBA) so that a drift of the machine hits both alike.
   a. throughput, with Debian's `wrk` (C, epoll: a few % of a core, where a Python client would
      take a core of the two from the server): each client sends its next request as soon as it has
      the answer. requests/s is the total over the rounds; the server's CPU time per request
      (portal.run's process tree and PostgreSQL, from /proc) is printed too, steadier than
      requests/s when other work shares the machine. The p50/p99 printed here are queueing: with 50
      requests always in flight, Little's law makes the mean latency 50 / (requests/s).
   b. latency, with a small asyncio client (keep-alive connections opened and warmed once; each
      round measured after a warm-up second): the 50 clients pause between requests for
      exponentially distributed think times (independent callers: Poisson arrivals) so that
      together they offer --load (0.25) of the throughput the slower side reached in a, the same
      rate on both sides: still several times what 50 calls in progress ask of an executor (a
      document per caller action). This p99 is held to the 10 ms target: the median of the rounds'
      p99, so that one stall of the whole machine spoils one round, not the result; the p99 of all
      rounds pooled is printed too. (wrk is not used here: it applies its think time before a
      connection's first request too, and gunicorn's gthread worker lends each new connection a
      thread that waits for its first bytes, so every round would start with its 4 threads idle
      and requests queued behind them, hundreds of ms that no real client would see.)
4. Stops the portal (SIGTERM: it stops gunicorn, Celery, Redis and PostgreSQL) and removes DATA_DIR.

Exits 1 if a document is wrong or a request failed; a missed target is printed, not failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
AA_NUMBER = "+14155550100"
TARGET_RATIO = 0.5
TARGET_P99_MS = 10.0
READY_TIMEOUT = 120
STOP_TIMEOUT = 60


def log(message: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The portal, as `make run` starts it ------------------------------------------------------------------


class Portal:
    def __init__(self, data_dir: Path, port: int, token: str):
        self.data_dir = data_dir
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.log_path = data_dir.parent / f"{data_dir.name}.log"
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")}
        env.update(
            {
                "DATA_DIR": str(data_dir),
                "PORTAL_HTTP_PORT": str(port),
                "BENCH_VIEWS": "1",
                "EXECUTOR_TOKEN": token,
                "CACHE_KEY_PREFIX": "aa",
                "LOG_LEVEL": "WARNING",
                "PYTHONUNBUFFERED": "1",
            }
        )
        self.env = env
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log_path, "wb") as out:
            self.process = subprocess.Popen(
                [PYTHON, "-m", "portal.run"],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # our Ctrl-C reaches only us; we stop it in order
            )
        deadline = time.monotonic() + READY_TIMEOUT
        while self.status("/healthz") != 200:
            if self.process.poll() is not None:
                raise SystemExit(f"rcml_fetch: portal.run exited with {self.process.returncode}:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise SystemExit(f"rcml_fetch: /healthz not 200 after {READY_TIMEOUT} s:\n{self.tail()}")
            time.sleep(0.5)

    def status(self, path: str) -> int | None:
        try:
            with urllib.request.urlopen(self.base + path, timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except (urllib.error.URLError, OSError):
            return None

    def post(self, path: str, form: dict[str, str], token: str) -> tuple[int, str]:
        request = urllib.request.Request(
            self.base + path,
            data=urllib.parse.urlencode(form).encode(),
            headers={"Authorization": f"Bearer {token}"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [PYTHON, str(ROOT / "manage.py"), *args], cwd=ROOT, env=self.env, capture_output=True, text=True
        )
        if result.returncode != 0:
            raise SystemExit(f"rcml_fetch: manage.py {args[0]} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def server_pids(self) -> list[int]:
        """portal.run, whose supervisord runs everything (PostgreSQL included), and the postmaster."""
        pids = [self.process.pid] if self.process else []
        with contextlib.suppress(OSError, ValueError, IndexError):
            pids.append(int((self.data_dir / "postgres" / "postmaster.pid").read_text().split()[0]))
        return pids

    def tail(self, chars: int = 3000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-chars:]
        return ""

    def stop(self) -> None:
        """SIGTERM: portal.run has supervisord stop the executor, gunicorn, Celery, Redis and PostgreSQL in order."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                log("portal.run did not stop in time: killing it (its supervisord stops the rest)")
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                # supervisord gets SIGTERM from the kernel (PR_SET_PDEATHSIG) and stops PostgreSQL,
                # Redis and the app processes itself.
        self.process = None


# Provisioning ----------------------------------------------------------------------------------


PROVISION = """
import json
from django.conf import settings
from django.db import transaction
from autoattendant.models import Menu, Schedule
from autoattendant.services.enterprises import create_enterprise
from autoattendant.services.organisations import create_csp
from autoattendant.services.phone_numbers import create_phone_number
from autoattendant.services.publishing import request_publish
from autoattendant.services.systems import create_system
from telephony.rcml.publish import publish

csp = create_csp(name="RCML Bench CSP", email_id="csp@rcml-bench.test", password=None).user
enterprise = create_enterprise(
    csp, name="RCML Bench", admin={"email_id": "bg@rcml-bench.test", "password": "bench-password-9", "name": "BG"}
)
aa_number = create_phone_number(csp, number=__AA_NUMBER__, enterprise_sid=enterprise.sid)
names = ["Alice Archer", "Bob Baker", "Carol Cook", "Dan Dyer", "Eve Evans"]
extensions = [
    create_phone_number(
        csp, number=f"+1415555{1001 + i}", enterprise_sid=enterprise.sid, is_extension=True,
        extension=str(201 + i), extension_spoken_name=name,
    )
    for i, name in enumerate(names)
]
system = create_system(
    csp, name="RCML Bench AA", enterprise_sid=enterprise.sid, timezone_id="America/New_York",
    aa_number_sids=[aa_number.sid], extension_sids=[e.sid for e in extensions],
)
with transaction.atomic():
    sales = Menu.objects.create(aa_system=system, name="Sales", options=[
        {"key": "1", "actionType": "TRANSFER_TO_EXTENSION", "actionData": extensions[1].sid},
        {"key": "2", "actionType": "TRANSFER_TO_EXTENSION", "actionData": extensions[2].sid},
        {"key": "8", "actionType": "RETURN_TO_PREVIOUS_MENU"},
        {"key": "9", "actionType": "RETURN_TO_MAIN_MENU"},
    ])
    main = Menu.objects.create(aa_system=system, name="Main", allow_dial_by_extension=True, options=[
        {"key": "1", "actionType": "TRANSFER_TO_EXTENSION", "actionData": extensions[0].sid},
        {"key": "2", "actionType": "GO_TO_MENU", "actionData": sales.sid},
        {"key": "3", "actionType": "DIAL_BY_NAME"},
        {"key": "0", "actionType": "TRANSFER_TO_OPERATOR"},
        {"key": "9", "actionType": "VOICEMAIL"},
    ])
    every_day = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
    Schedule.objects.create(aa_system=system, name="Open", type="WORK_HOURS", menu=main,
                            weekly_ranges=[{"days": every_day, "start": "00:00", "end": "24:00"}])
    Schedule.objects.create(aa_system=system, name="Holiday", type="SPECIAL_DAY", menu=sales,
                            dates=[{"month": 12, "day": 25, "recurYearly": True}])
    system.default_menu = main
    system.operator_extension = extensions[0]
    system.save(update_fields=["default_menu", "operator_extension"])
    request_publish(system)
version = publish(system.sid)
system.refresh_from_db()
print(json.dumps({"aaSid": system.sid, "version": version, "configVersion": system.config_version,
                  "mainSid": main.sid, "subSid": sales.sid, "tokenMatches": settings.EXECUTOR_TOKEN == __TOKEN__}))
"""


def provision(portal: Portal, token: str) -> dict:
    script = PROVISION.replace("__AA_NUMBER__", repr(AA_NUMBER)).replace("__TOKEN__", repr(token))
    out = portal.manage("shell", "-c", script)
    data = json.loads(next(line for line in reversed(out.splitlines()) if line.startswith("{")))
    if data["version"] is None or not data["tokenMatches"]:
        raise SystemExit(f"rcml_fetch: provisioning failed: {data}")
    return data


# Throughput: wrk ------------------------------------------------------------------------------------

WRK_SCRIPT = """
local requests = {}
local n = 0
function init(args)
  local headers = {["Authorization"] = "Bearer __TOKEN__", ["Content-Type"] = "application/x-www-form-urlencoded"}
  for i, target in ipairs(__TARGETS__) do
    requests[i] = wrk.format("POST", target[1], headers, target[2])
  end
end
function request()
  n = n + 1
  return requests[(n % #requests) + 1]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    e.connect, e.read, e.write, e.status, e.timeout))
  io.write(string.format("LATENCY %d %d\\n", latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass
class Side:
    """One side's results: throughput rounds (wrk) and latency rounds (the paced client)."""

    name: str
    targets: list[tuple[str, str]]  # (path with query, form body), sent in turn
    script: Path | None = None
    requests: int = 0
    seconds: float = 0.0
    cpu: float = 0.0  # CPU seconds the server's processes used during the throughput rounds
    saturated: list[tuple[int, int]] = field(default_factory=list)  # wrk's p50, p99 (us) per round
    latencies: list[list[float]] = field(default_factory=list)  # seconds, per paced round
    paced_seconds: float = 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        return self.cpu / self.requests * 1000 if self.requests else 0.0

    def saturated_ms(self, index: int) -> float:
        return statistics.median(round_[index] for round_ in self.saturated) / 1000

    def p99_of_rounds_ms(self) -> float:
        """The median of the paced rounds' p99: one stall of the whole machine (other work starting,
        the VM descheduled) spoils one round's tail, not the result."""
        return statistics.median(quantile(samples, 0.99) for samples in self.latencies) * 1000

    def pooled_ms(self, q: float) -> float:
        return quantile([x for samples in self.latencies for x in samples], q) * 1000

    @property
    def paced_rps(self) -> float:
        return sum(len(samples) for samples in self.latencies) / self.paced_seconds if self.latencies else 0.0


def quantile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def write_script(path: Path, targets: list[tuple[str, str]], token: str) -> Path:
    lua_targets = "{" + ", ".join(f"{{{json.dumps(p)}, {json.dumps(b)}}}" for p, b in targets) + "}"
    path.write_text(WRK_SCRIPT.replace("__TOKEN__", token).replace("__TARGETS__", lua_targets))
    return path


def run_wrk(base: str, script: Path, clients: int, seconds: float) -> tuple[int, float, tuple[int, int]]:
    argv = ["wrk", "-t2", f"-c{clients}", f"-d{seconds:g}s", "--timeout", "5s", "-s", str(script), base]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    match = re.search(r"^RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$", result.stdout, re.M)
    latency = re.search(r"^LATENCY (\d+) (\d+)$", result.stdout, re.M)
    if result.returncode != 0 or not match or not latency:
        raise SystemExit(f"rcml_fetch: wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    requests, duration_us, *errors = (int(x) for x in match.groups())
    if any(errors):
        names = ("connect", "read", "write", "non-2xx", "timeout")
        detail = ", ".join(f"{n} {e}" for n, e in zip(names, errors, strict=True) if e)
        raise SystemExit(f"rcml_fetch: FAIL: requests failed under load ({detail}) with {script.name}")
    return requests, duration_us / 1e6, (int(latency.group(1)), int(latency.group(2)))


def throughput(base: str, sides: list[Side], clients: int, seconds: float, rounds: int, roots: list[int]) -> None:
    """Rounds in ABBA order (bare, rcml, rcml, bare, ...): a drift of the machine hits both alike."""
    for r in range(rounds):
        for side in sides if r % 2 == 0 else reversed(sides):
            cpu = server_cpu(roots)
            requests, duration, latency = run_wrk(base, side.script, clients, seconds)
            side.cpu += server_cpu(roots) - cpu
            side.requests += requests
            side.seconds += duration
            side.saturated.append(latency)


# Latency: a paced asyncio client -------------------------------------------------------------------
#
# Why not wrk here: wrk opens its connections at once and applies its think time (delay()) before
# the first request too, so each round starts with 50 fresh connections that send nothing for a
# while; gunicorn's gthread worker gives a new connection a thread that waits for its first bytes
# (up to 5 s), so its 4 threads sit idle while requests on other connections queue: hundreds of ms
# of "latency" that no real client (which connects when it has a request to send) would see. This
# client opens and warms its connections once, keeps them alive across rounds, and measures only
# after each round's warm-up second. At a few hundred requests/s it costs a few % of a core.


async def read_body(reader: asyncio.StreamReader, head: bytes) -> int:
    """Read the body an HTTP answer's head announces (Content-Length); the answer's status."""
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return int(head.split(b" ", 2)[1])


class Connection:
    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> float | None:
        """Seconds from sending to the whole answer; None if the server had closed the idle
        connection (reopened, not measured)."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        started = time.perf_counter()
        try:
            self.writer.write(raw)
            head = await self.reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            self.writer.close()
            self.writer = None
            return None
        status = await read_body(self.reader, head)
        elapsed = time.perf_counter() - started
        if status != 200:
            raise SystemExit(f"rcml_fetch: FAIL: a paced request got {status}")
        return elapsed

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def raw_requests(base: str, side: Side, token: str) -> list[bytes]:
    host = urllib.parse.urlsplit(base).netloc
    return [
        (
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n{body}"
        ).encode()
        for path, body in side.targets
    ]


async def paced_round(
    connections: list[Connection], raw: list[bytes], think: float, warmup: float, seconds: float
) -> tuple[list[float], float]:
    """Each connection: an exponentially distributed think time (independent callers: Poisson
    arrivals), capped at 5x its mean and below gunicorn's 2 s keep-alive, then a request."""
    rng = random.Random()
    begin = time.perf_counter() + warmup
    end = begin + seconds
    samples: list[float] = []

    async def client(index: int, connection: Connection) -> None:
        k = index
        while True:
            await asyncio.sleep(min(rng.expovariate(1 / think), 5 * think, 1.5))
            sent = time.perf_counter()
            if sent >= end:
                return
            latency = await connection.request(raw[k % len(raw)])
            k += 1
            if latency is not None and sent >= begin:
                samples.append(latency)

    await asyncio.gather(*(client(i, c) for i, c in enumerate(connections)))
    return samples, seconds


async def latency_phase(
    base: str, sides: list[Side], token: str, clients: int, rate: float, seconds: float, rounds: int
) -> float:
    """ABBA rounds on the same, warmed connections; returns the share of a CPU the client used."""
    parts = urllib.parse.urlsplit(base)
    connections = [Connection(parts.hostname, parts.port) for _ in range(clients)]
    raws = {side.name: raw_requests(base, side, token) for side in sides}
    cpu, clock = time.process_time(), time.perf_counter()
    try:
        for i, connection in enumerate(connections):  # open and warm each connection once
            for raw in raws.values():
                await connection.request(raw[i % len(raw)])
        for r in range(rounds):
            for side in sides if r % 2 == 0 else reversed(sides):
                samples, measured = await paced_round(connections, raws[side.name], clients / rate, 1.0, seconds)
                side.latencies.append(samples)
                side.paced_seconds += measured
    finally:
        for connection in connections:
            connection.close()
    return (time.process_time() - cpu) / (time.perf_counter() - clock)


# CPU accounting ---------------------------------------------------------------------------------------


def _processes() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, CPU seconds used so far), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    table = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()  # state ppid ... utime(12th) stime(13th)
            table[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    return table


def descendants(root: int, table: dict[int, tuple[int, float]] | None = None) -> list[int]:
    """`root` and every process under it, parents first."""
    table = table if table is not None else _processes()
    children = defaultdict(list)
    for pid, (ppid, _) in table.items():
        children[ppid].append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop(0)
        if pid in table and pid not in found:
            found.append(pid)
            todo.extend(children[pid])
    return found


def server_cpu(roots: list[int]) -> float:
    """CPU seconds used by these processes and all their descendants: on a shared, noisy machine the
    server's CPU per request is steadier than requests/s, which depends on what else runs."""
    table = _processes()
    pids = {pid for root in roots for pid in descendants(root, table)}
    return sum(table[pid][1] for pid in pids)


def machine_busy() -> float:
    """CPU seconds all CPUs have spent busy since boot (/proc/stat: all but idle and iowait)."""
    with open("/proc/stat") as stat:
        ticks = [int(x) for x in stat.readline().split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    """This process and its waited-for children (wrk)."""
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage)


# Main ---------------------------------------------------------------------------------------------


def check_documents(portal: Portal, data: dict, token: str, form: dict[str, str]) -> tuple[str, str]:
    aa, version, main, sub = data["aaSid"], data["version"], data["mainSid"], data["subSid"]
    input_path = f"/rcml/{aa}/{version}/input/{main}?path={main}&t=0&i=0&e=0"
    status, entry = portal.post("/rcml/voice", {**form, "To": AA_NUMBER}, token)
    expected_entry = f"/rcml/{aa}/{version}/input/{main}?path={main}&amp;t=0&amp;i=0&amp;e=0"
    if status != 200 or "<Gather" not in entry or expected_entry not in entry:
        raise SystemExit(f"rcml_fetch: FAIL: the entry document is not the main menu ({status}):\n{entry}")
    status, pressed = portal.post(input_path, {**form, "To": AA_NUMBER, "Digits": "2"}, token)
    if status != 200 or f"/rcml/{aa}/{version}/menu/{sub}?path={main}.{sub}" not in pressed:
        raise SystemExit(f"rcml_fetch: FAIL: key 2 does not lead to the submenu ({status}):\n{pressed}")
    status, unauthorised = portal.post("/rcml/voice", {**form, "To": AA_NUMBER}, "wrong-token")
    if status != 401:
        raise SystemExit(f"rcml_fetch: FAIL: a wrong executor token got {status}")
    status, bare = portal.post("/bench/rcml-constant", form, token)
    if status != 200 or not bare.startswith("<Response>"):
        raise SystemExit(f"rcml_fetch: FAIL: the bare view answered {status}: {bare[:200]}")
    return input_path, f"{len(entry)}/{len(pressed)} bytes, bare {len(bare)} bytes"


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5, help="seconds per measured round (default 5)")
    parser.add_argument("--rounds", type=int, default=4, help="rounds per side and phase, ABBA order (default 4)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent connections (default 50)")
    parser.add_argument("--load", type=float, default=0.25, help="latency phase: share of the slower side's req/s")
    parser.add_argument("--keep", action="store_true", help="keep the portal running until Ctrl-C, then stop")
    args = parser.parse_args()

    if not shutil.which("wrk"):
        print("rcml_fetch: needs Debian's wrk: apt-get install -y wrk", file=sys.stderr)
        return 2
    started = time.monotonic()
    data_dir = Path(tempfile.mkdtemp(prefix="rcml-bench-"))
    token = secrets.token_hex(24)
    portal = Portal(data_dir, free_port(), token)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        log(f"starting `python -m portal.run` (DATA_DIR={data_dir}, port {portal.port})")
        portal.start()
        log(f"healthy after {time.monotonic() - started:.0f} s; provisioning")
        data = provision(portal, token)
        log(f"published {data['aaSid']} version {data['version']}")
        form = {
            "CallSid": "CA" + "0" * 32,
            "AccountSid": "AC" + "0" * 32,
            "From": "+15551230000",
            "CallStatus": "in-progress",
            "ApiVersion": "2012-04-24",
            "Direction": "inbound",
            "CallerName": "Bench Caller",
        }
        input_path, sizes = check_documents(portal, data, token, form)
        body = urllib.parse.urlencode({**form, "To": AA_NUMBER})
        work = data_dir / "wrk"
        work.mkdir()
        sides = [
            Side("bare", [("/bench/rcml-constant", body), ("/bench/rcml-constant", body + "&Digits=2")]),
            Side("rcml", [("/rcml/voice", body), (input_path, body + "&Digits=2")]),
        ]
        for side in sides:
            side.script = write_script(work / f"{side.name}.lua", side.targets, token)
        bare, rcml = sides
        roots = portal.server_pids()
        busy, mine = machine_busy(), own_cpu()
        server_before, clock = server_cpu(roots), time.monotonic()

        log("warming up (3 s each)")
        for side in sides:
            run_wrk(portal.base, side.script, args.clients, 3)
        log(f"throughput: {args.rounds} rounds x {args.duration:g} s per side, {args.clients} clients (wrk)")
        throughput(portal.base, sides, args.clients, args.duration, args.rounds, roots)
        rate = args.load * min(bare.rps, rcml.rps)
        log(f"latency: {args.rounds} rounds x {args.duration:g} s per side, {rate:.0f} requests/s offered")
        client_share = asyncio.run(
            latency_phase(portal.base, sides, token, args.clients, rate, args.duration, args.rounds)
        )
        elapsed = time.monotonic() - clock
        others = (machine_busy() - busy - (server_cpu(roots) - server_before) - (own_cpu() - mine)) / elapsed

        ratio = rcml.rps / bare.rps
        p99 = rcml.p99_of_rounds_ms()
        print(
            f"rcml_fetch: {args.clients} clients, gunicorn as `make run` starts it; entry + key-press "
            f"alternating ({sizes}); {args.rounds} x {args.duration:g} s per side and phase, ABBA"
        )
        print(
            f"rcml_fetch [throughput, wrk]: bare {bare.rps:.0f} req/s, rcml {rcml.rps:.0f} req/s: ratio {ratio:.2f}x "
            f"(target >= {TARGET_RATIO}x: {'met' if ratio >= TARGET_RATIO else 'NOT met'}); "
            f"server CPU per request bare {bare.cpu_ms:.2f} ms, rcml {rcml.cpu_ms:.2f} ms; "
            f"p50/p99 with {args.clients} requests always in flight (queueing) "
            f"bare {bare.saturated_ms(0):.0f}/{bare.saturated_ms(1):.0f} ms, "
            f"rcml {rcml.saturated_ms(0):.0f}/{rcml.saturated_ms(1):.0f} ms"
        )
        print(
            f"rcml_fetch [latency, {rate:.0f} req/s offered]: bare {bare.paced_rps:.0f} req/s "
            f"p50 {bare.pooled_ms(0.5):.2f} ms p99 {bare.p99_of_rounds_ms():.2f} ms; "
            f"rcml {rcml.paced_rps:.0f} req/s p50 {rcml.pooled_ms(0.5):.2f} ms p99 {p99:.2f} ms "
            f"(target < {TARGET_P99_MS:g} ms: {'met' if p99 < TARGET_P99_MS else 'NOT met'}); "
            f"p99 of all rounds pooled bare {bare.pooled_ms(0.99):.2f} ms, rcml {rcml.pooled_ms(0.99):.2f} ms"
        )
        print(
            f"rcml_fetch: the paced client used {client_share:.0%} of a CPU; other work on this machine "
            f"kept {others:.2f} of its {os.cpu_count()} CPUs busy"
            + (" (latencies and requests/s are skewed by it)" if others > 0.25 else "")
        )
        met = ratio >= TARGET_RATIO and p99 < TARGET_P99_MS
        print(f"rcml_fetch: target {'met' if met else 'NOT met'}; total run {time.monotonic() - started:.0f} s")
        if args.keep:
            print(f"rcml_fetch: portal at {portal.base}, DATA_DIR={data_dir}; Ctrl-C stops it", flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                while portal.process and portal.process.poll() is None:
                    time.sleep(1)
        return 0
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        log("stopping the portal")
        portal.stop()
        signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(data_dir, ignore_errors=True)
        with contextlib.suppress(OSError):
            portal.log_path.unlink()


if __name__ == "__main__":
    sys.exit(main())

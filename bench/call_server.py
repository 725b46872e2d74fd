"""The executor's endpoints under gunicorn vs Granian: the HTTP server's CPU per request, same app, same run.

Issue 12, "the call path costs the portal almost nothing": how much of a call's portal CPU is the HTTP
server itself, and whether another server makes it cheaper.

    .venv/bin/python bench/call_server.py [--rate 400] [--duration 5] [--rounds 2] [--clients 16]   # ~2 min

1. Starts the portal as `make run` does (`python -m portal.run`: embedded PostgreSQL and Redis, a
   temporary DATA_DIR, a generated EXECUTOR_TOKEN; bench/rcml_fetch.py's Portal) and provisions and
   publishes one AA system (rcml_fetch's provisioning), so /rcml/voice answers from the real cache.
2. Starts each candidate server on its own free port of 127.0.0.1, with the portal's environment:
     gunicorn  portal.wsgi:application as deploy/supervisord.conf runs it (2 gthread workers x 4
               threads, no control socket, no access log)
     gunicorn-1w the same with 1 worker
     granian   the same application, Granian's WSGI interface, 2 workers x 4 blocking threads, HTTP/1
               only, no access log (what the `calls` program runs)
     granian-1w the same with 1 worker
3. Sends each server, in rounds that go through the servers forward then backward (a drift of the
   machine hits all alike), --rate requests/s for --duration s from an asyncio client in this process
   on --clients keep-alive connections (exponentially distributed pauses: independent callers):
     voice  POST /rcml/voice with the executor's token and the Restcomm form (the entry document of a
            call: one request per answered call)
     401    the same with a wrong token (the server and Django's request handling, no work)
   and counts the CPU the server's processes used (its process tree, from /proc) per request. Also
   prints p50/p99 latency, and each server's ratio to gunicorn (today's) measured in the same run.
4. Stops the servers and the portal; removes DATA_DIR.

Exits 1 if a server does not start or an answer is wrong (not 200 for voice, not 401 for 401).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.rcml_fetch import (  # noqa: E402
    AA_NUMBER,
    Portal,
    check_documents,
    free_port,
    log,
    machine_busy,
    provision,
    quantile,
    read_body,
    server_cpu,
)

VENV_BIN = Path(sys.executable).parent
GUNICORN = "--bind 127.0.0.1:{port} --worker-class gthread --threads 4 --graceful-timeout 10 --no-control-socket"
GRANIAN = "--interface wsgi --host 127.0.0.1 --port {port} --http 1 --no-ws --log-level warning --no-access-log"
SERVERS = {
    "gunicorn": f"gunicorn portal.wsgi:application {GUNICORN} --workers 2",
    "gunicorn-1w": f"gunicorn portal.wsgi:application {GUNICORN} --workers 1",
    "granian": f"granian {GRANIAN} --workers 2 --blocking-threads 4 portal.wsgi:application",
    "granian-1w": f"granian {GRANIAN} --workers 1 --blocking-threads 4 portal.wsgi:application",
    "granian-2x1": f"granian {GRANIAN} --workers 2 --blocking-threads 1 portal.wsgi:application",
    "granian-st": f"granian {GRANIAN} --workers 2 --blocking-threads 4 --runtime-mode st portal.wsgi:application",
}
BASELINE = "gunicorn"
DEFAULT = ["gunicorn", "gunicorn-1w", "granian", "granian-1w"]
FORM = {
    "CallSid": "CA" + "0" * 32,
    "AccountSid": "AC" + "0" * 32,
    "From": "+15551230000",
    "To": AA_NUMBER,
    "CallStatus": "ringing",
    "ApiVersion": "2012-04-24",
    "Direction": "inbound",
    "CallerName": "Bench Caller",
}


@dataclass
class Server:
    name: str
    command: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds by endpoint
    requests: dict[str, int] = field(default_factory=dict)
    latencies: dict[str, list[float]] = field(default_factory=dict)

    def start(self, env: dict[str, str], log_path: Path) -> None:
        argv = self.command.format(port=self.port).split()
        with open(log_path, "ab") as out:
            self.process = subprocess.Popen(
                [str(VENV_BIN / argv[0]), *argv[1:]],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def cpu_ms(self, endpoint: str) -> float:
        return 1000 * self.cpu.get(endpoint, 0.0) / max(self.requests.get(endpoint, 0), 1)


class Connection:
    """One keep-alive HTTP/1.1 connection; answers are checked for their status."""

    def __init__(self, port: int):
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes, expected: int) -> float:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        started = time.perf_counter()
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = await read_body(self.reader, head)
        if status != expected:
            raise SystemExit(f"call_server: FAIL: port {self.port} answered {status}, not {expected}")
        return time.perf_counter() - started

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def raw_request(port: int, token: str) -> bytes:
    body = urllib.parse.urlencode(FORM)
    return (
        f"POST /rcml/voice HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n{body}"
    ).encode()


async def paced(server: Server, raw: bytes, expected: int, rate: float, clients: int, seconds: float) -> list[float]:
    """--clients connections, each pausing an exponentially distributed time (mean clients/rate) between
    requests: together `rate` requests/s. Returns the latencies (s)."""
    connections = [Connection(server.port) for _ in range(clients)]
    rng = random.Random()
    samples: list[float] = []
    try:
        for connection in connections:  # open and warm each connection
            await connection.request(raw, expected)
        end = time.perf_counter() + seconds

        async def client(connection: Connection) -> None:
            while True:
                await asyncio.sleep(min(rng.expovariate(rate / clients), 5 * clients / rate))
                if time.perf_counter() >= end:
                    return
                samples.append(await connection.request(raw, expected))

        await asyncio.gather(*(client(c) for c in connections))
    finally:
        for connection in connections:
            connection.close()
    return samples


def measure(server: Server, endpoint: str, raw: bytes, expected: int, args: argparse.Namespace) -> None:
    assert server.process is not None
    before = server_cpu([server.process.pid])
    samples = asyncio.run(paced(server, raw, expected, args.rate, args.clients, args.duration))
    used = server_cpu([server.process.pid]) - before
    server.cpu[endpoint] = server.cpu.get(endpoint, 0.0) + used
    server.requests[endpoint] = server.requests.get(endpoint, 0) + len(samples) + args.clients
    server.latencies.setdefault(endpoint, []).extend(samples)


def wait_ready(server: Server, raw: bytes, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        assert server.process is not None
        if server.process.poll() is not None:
            raise SystemExit(f"call_server: {server.name} exited:\n{log_path.read_text(errors='replace')[-2000:]}")
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            asyncio.run(paced(server, raw, 200, 1000, 1, 0))
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"call_server: {server.name} not answering after 60 s")
        time.sleep(0.5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=400, help="requests/s sent to each server (default 400)")
    parser.add_argument("--duration", type=float, default=5, help="seconds per measured round (default 5)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds, servers forward then backward (default 2)")
    parser.add_argument("--clients", type=int, default=16, help="keep-alive connections (default 16)")
    choices = f"comma-separated, of {', '.join(SERVERS)} (default {','.join(DEFAULT)})"
    parser.add_argument("--servers", default=",".join(DEFAULT), help=choices)
    args = parser.parse_args()

    started = time.monotonic()
    data_dir = Path(tempfile.mkdtemp(prefix="call-server-bench-"))
    token = secrets.token_hex(24)
    portal = Portal(data_dir, free_port(), token)
    servers = [Server(name, SERVERS[name]) for name in args.servers.split(",")]
    log_path = data_dir.parent / f"{data_dir.name}-servers.log"
    try:
        log(f"starting `python -m portal.run` (DATA_DIR={data_dir})")
        portal.start()
        data = provision(portal, token)
        check_documents(portal, data, token, {k: v for k, v in FORM.items() if k != "To"})
        log(f"published {data['aaSid']}; starting {', '.join(s.name for s in servers)}")
        env = {**portal.env, "PYTHONUNBUFFERED": "1"}
        for server in servers:
            server.start(env, log_path)
        for server in servers:
            wait_ready(server, raw_request(server.port, token), log_path)
        requests = {
            "voice": lambda s: (raw_request(s.port, token), 200),
            "401": lambda s: (raw_request(s.port, "wrong-token"), 401),
        }
        log("warming up (2 s each)")
        warm = argparse.Namespace(**{**vars(args), "duration": 2})
        for server in servers:
            for endpoint, make in requests.items():
                measure(server, endpoint, *make(server), warm)
            server.cpu, server.requests, server.latencies = {}, {}, {}
        busy, clock = machine_busy(), time.monotonic()
        for r in range(args.rounds):
            log(f"round {r + 1} of {args.rounds}: {args.rate:g} requests/s x {args.duration:g} s per server, endpoint")
            for server in servers if r % 2 == 0 else list(reversed(servers)):
                for endpoint, make in requests.items():
                    measure(server, endpoint, *make(server), args)
        load = (machine_busy() - busy) / (time.monotonic() - clock)

        base = next((s for s in servers if s.name == BASELINE), servers[0])
        print(
            f"call_server: {args.rate:g} requests/s on {args.clients} keep-alive connections, {args.rounds} x "
            f"{args.duration:g} s per server and endpoint; server CPU per request (its process tree), "
            f"ratio to {base.name} in this run, latency p50/p99"
        )
        for server in servers:
            parts = []
            for endpoint in requests:
                ratio = server.cpu_ms(endpoint) / max(base.cpu_ms(endpoint), 1e-9)
                samples = server.latencies.get(endpoint, [])
                parts.append(
                    f"{endpoint} {server.cpu_ms(endpoint):.3f} ms ({ratio:.2f}x) "
                    f"p50 {1000 * statistics.median(samples):.1f} p99 {1000 * quantile(samples, 0.99):.1f} ms"
                )
            print(f"call_server: {server.name:<12} " + "; ".join(parts))
        total = time.monotonic() - started
        print(f"call_server: the machine was {load:.2f} of {os.cpu_count()} CPUs busy; total run {total:.0f} s")
        return 0
    finally:
        for server in servers:
            server.stop()
        portal.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
        with contextlib.suppress(OSError):
            log_path.unlink()
        with contextlib.suppress(OSError):
            portal.log_path.unlink()


if __name__ == "__main__":
    sys.exit(main())

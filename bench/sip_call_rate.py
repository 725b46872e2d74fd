"""SIP signalling: calls/s the executor's SIP layer sustains, against sipp's own UAS, same machine, same run.

Issue 4, "Benchmark" (the signalling part; the full executor with RCML and media comes later).
Target for the full product: >= 500 calls/s.

    .venv/bin/python bench/sip_call_rate.py [--step-seconds 5] [--hold-ms 500] [--max-rate 3000]   # 1-3 minutes

1. Starts, in a subprocess, telephony.executor.sip.SipServer on 127.0.0.1 (a free port, UDP) with a
   trivial app: every INVITE is answered at once (200 OK with SDP: PCMU/PCMA/telephone-event
   negotiated against the caller's offer, a fixed RTP port, no media); the caller hangs up.
2. Drives it with `sipp -sn uac` (INVITE, 100, 200, ACK, `--hold-ms` of call, BYE, 200) at increasing
   rates (`--step-seconds` of calls per rate: 100, 200, 300, ... calls/s), until a step fails: a
   failed call in sipp's statistics, a call missing, or the step lasting much longer than its calls
   need (the server fell behind and sipp's timers hid it). The last clean rate is the result.
3. The same load against the baseline, `sipp -sn uas` (sipp's own C++ answering machine) on another
   free port of the same machine.
4. Prints, for each rate, successful/failed calls, sipp's retransmissions, the mean INVITE->200
   time and the server's CPU time per call (from /proc: steadier than calls/s when other work shares
   the machine); then the highest clean rate of each side and the ratio.

Both sides share the machine with sipp itself (the load generator takes about a core at 1000
calls/s): on 2 cores the numbers are a floor. Every sipp run is wrapped in `timeout`.
Exits 1 if the SIP server could not be started or reached at all; a missed target is printed, not failed.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = "127.0.0.1"
NUMBER = "15550001"
TARGET = 500
RATES = [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1200, 1400, 1600, 2000, 2500, 3000, 4000, 5000]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def log(message: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
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


# The server under test (this script with --serve, in its own process) ----------------------------------


def serve(port: int, profile: str | None = None) -> None:
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        try:
            serve(port)
        finally:
            profiler.disable()
            with open(profile, "w") as out:
                pstats.Stats(profiler, stream=out).sort_stats(
                    os.environ.get("BENCH_PROFILE_SORT", "tottime")
                ).print_stats(40)
        return
    sys.path.insert(0, str(ROOT))
    logging.basicConfig(level=logging.WARNING)
    from telephony.executor.sip import MediaOffer, NoCommonCodec, SipServer

    media = MediaOffer(HOST, 40000, (0, 8), 101)

    async def on_invite(call) -> None:
        try:
            call.answer(media)
        except NoCommonCodec:
            call.reject(488)

    async def main() -> None:
        server = SipServer(HOST, port, on_invite=on_invite)
        await server.start()
        print("ready", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        await server.stop()

    asyncio.run(main())


class Target:
    """A SIP server in a subprocess: ours (this script --serve) or sipp -sn uas."""

    def __init__(self, name: str, tmp: Path, profile: str | None = None):
        self.name = name
        self.port = free_port()
        self.log_path = tmp / f"{name}.log"
        if name == "ours":
            command = [PYTHON, str(Path(__file__).resolve()), "--serve", str(self.port)]
            if profile:
                command += ["--profile", profile]
        else:
            command = [
                "timeout",
                "3600",
                shutil.which("sipp") or "sipp",
                "-sn",
                "uas",
                "-i",
                HOST,
                "-p",
                str(self.port),
            ]
            command += ["-mp", str(free_port()), "-nostdin"]
        self.out = open(self.log_path, "wb")
        stdout = subprocess.PIPE if name == "ours" else self.out
        self.process = subprocess.Popen(command, cwd=tmp, stdout=stdout, stderr=self.out, stdin=subprocess.DEVNULL)
        if name == "ours":
            assert self.process.stdout is not None
            line = self.process.stdout.readline()
            if line.strip() != b"ready":
                raise SystemExit(f"the SIP server did not start: {self.log_path.read_text(errors='replace')}")
        else:
            time.sleep(0.5)
            if self.process.poll() is not None:
                raise SystemExit(f"sipp -sn uas did not start: {self.log_path.read_text(errors='replace')}")

    def cpu_seconds(self) -> float:
        """User + system CPU of the target process (sipp's `timeout` wrapper: its child)."""
        pids = [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        if children.exists():
            pids += [int(p) for p in children.read_text().split()]
        total = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total / CLOCK_TICKS

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM if self.name == "ours" else signal.SIGINT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.out.close()


# The load -----------------------------------------------------------------------------------------------


@dataclass
class Step:
    rate: int
    calls: int
    successful: int
    failed: int
    retransmissions: int
    response_ms: float
    seconds: float
    cpu_ms_per_call: float
    exit_code: int

    @property
    def clean(self) -> bool:
        """Every call went through ("0 failed calls") and the step did not overrun the time its calls need."""
        expected = self.calls / self.rate
        complete = self.exit_code == 0 and self.failed == 0 and self.successful == self.calls
        return complete and self.seconds < expected + 3

    @property
    def comfortable(self) -> bool:
        """Clean, and no INVITE waited long enough for its answer (500 ms) to be retransmitted."""
        return self.clean and self.retransmissions == 0

    def line(self) -> str:
        verdict = ("ok" if self.comfortable else "ok, overloaded (retransmissions)") if self.clean else "FAILED"
        return (
            f"{self.rate:5d} calls/s {self.successful:6d} ok {self.failed:4d} failed {self.retransmissions:5d} retrans"
            f"  INVITE->200 {self.response_ms:6.1f} ms  {self.seconds:5.1f} s"
            f"  server {self.cpu_ms_per_call:5.2f} ms CPU/call  {verdict}"
        )


def _ms(value: str) -> float:
    """sipp's HH:MM:SS:uuuuuu durations (microseconds last) -> ms."""
    hours, minutes, seconds, fraction = value.split(":")[:4]
    sub = int(fraction) / (1000 if len(fraction) == 6 else 1)
    return ((int(hours) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + sub


def run_step(target: Target, rate: int, seconds: float, hold_ms: int, tmp: Path) -> Step:
    calls = max(int(rate * seconds), 1)
    stats = tmp / f"{target.name}-{rate}.csv"
    budget = int(seconds + hold_ms / 1000 + 30)
    command = ["timeout", "-k", "5", str(budget), shutil.which("sipp") or "sipp", f"{HOST}:{target.port}"]
    command += ["-sn", "uac", "-s", NUMBER, "-r", str(rate), "-rp", "1000", "-m", str(calls), "-d", str(hold_ms)]
    command += ["-i", HOST, "-p", str(free_port()), "-mp", str(free_port()), "-nostdin", "-l", str(rate * 10)]
    command += ["-timeout", f"{budget - 5}s", "-timeout_error"]
    command += ["-trace_stat", "-stf", str(stats), "-fd", "1", "-trace_err", "-error_file", str(tmp / "errors.log")]
    cpu_before = target.cpu_seconds()
    started = time.monotonic()
    process = subprocess.run(command, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.monotonic() - started
    cpu = target.cpu_seconds() - cpu_before
    successful = failed = retransmissions = 0
    response_ms = 0.0
    if stats.exists():
        rows = list(csv.DictReader(stats.open(), delimiter=";"))
        if rows:
            last = rows[-1]
            successful = int(last.get("SuccessfulCall(C)") or 0)
            failed = int(last.get("FailedCall(C)") or 0)
            retransmissions = int(last.get("Retransmissions(C)") or 0)
            response_ms = _ms(last.get("ResponseTime1(C)") or "00:00:00:000")
    cpu_per_call = cpu * 1000 / max(successful, 1)
    code = process.returncode
    return Step(rate, calls, successful, failed, retransmissions, response_ms, elapsed, cpu_per_call, code)


def ramp(target: Target, args, tmp: Path) -> list[Step]:
    log(f"{target.name}: listening on {HOST}:{target.port}")
    steps = []
    for rate in [r for r in RATES if r <= args.max_rate]:
        step = run_step(target, rate, args.step_seconds, args.hold_ms, tmp)
        print(f"  {target.name:5s} {step.line()}", flush=True)
        steps.append(step)
        if not step.clean:
            break
        time.sleep(args.hold_ms / 1000 + 1.0)  # the last calls end
    return steps


def best(steps: list[Step], *, comfortable: bool = False) -> int:
    """The highest rate up to which every step was clean (or comfortable)."""
    rate = 0
    for step in steps:
        if not (step.comfortable if comfortable else step.clean):
            break
        rate = step.rate
    return rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--step-seconds", type=float, default=5.0, help="calls per rate step, in seconds of load")
    parser.add_argument("--hold-ms", type=int, default=500, help="how long each call lasts before sipp's BYE")
    parser.add_argument("--max-rate", type=int, default=3000)
    parser.add_argument("--only", choices=["ours", "sipp"], help="measure one side only")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the SIP server, top 40 functions to FILE")
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve, args.profile)
        return 0
    if shutil.which("sipp") is None:
        print("sipp is not installed (apt-get install sip-tester)", file=sys.stderr)
        return 1
    results: dict[str, tuple[int, int]] = {}
    with tempfile.TemporaryDirectory(prefix="sip-bench-") as tmp_name:
        tmp = Path(tmp_name)
        for name in ("ours", "sipp"):
            if args.only and args.only != name:
                continue
            target = Target(name, tmp, args.profile if name == "ours" else None)
            try:
                steps = ramp(target, args, tmp)
            finally:
                target.stop()
            if steps and steps[0].successful == 0:
                print(f"  {name}: not a single call went through", file=sys.stderr)
                if name == "ours":
                    return 1
            results[name] = (best(steps), best(steps, comfortable=True))
    print()
    ours, baseline = results.get("ours"), results.get("sipp")
    if ours is not None:
        verdict = "meets" if ours[0] >= TARGET else "misses"
        print(f"  SipServer (aiosipua + our layer, one Python process): {ours[0]} calls/s with 0 failed calls")
        print(f"    ({ours[1]} calls/s without a single retransmitted INVITE)")
        print(f"    {verdict} the product's target of {TARGET} calls/s (signalling alone; media and RCML come on top)")
    if baseline is not None:
        print(f"  sipp -sn uas (C++ baseline):                          {baseline[0]} calls/s with 0 failed calls")
        print(f"    ({baseline[1]} calls/s without a single retransmitted INVITE)")
        if baseline[0] >= max(r for r in RATES if r <= args.max_rate):
            print("    (the baseline reached the top rate tried: the load generator, not sipp's UAS, is the limit)")
    if ours is not None and baseline and baseline[0]:
        print(f"  ratio: {ours[0] / baseline[0]:.2f}")
    print(f"  load average: {' '.join(Path('/proc/loadavg').read_text().split()[:3])} (other work skews the figures)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

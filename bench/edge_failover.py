"""Executors behind the SIP edge losing one: calls at --rate calls/s over two executors, one killed with SIGKILL, then
one drained with SIGTERM.

Issue 12, "Figures": at 100 calls/s, one executor killed: new calls failed after the kill (target 0 after the
detection window, which is printed) and calls lost on that executor (counted as what they are); a SIGTERM drain:
0 failed.

    .venv/bin/python bench/edge_failover.py [--rate 100] [--seconds 20] [--hold-ms 2000] [--keep]   # ~2 min

Setup: bench/executor_calls.py's Bench, that is the product as `make run` starts it, here with EXECUTORS=2 (two
executors behind Kamailio), provisioned with one AA system, and one call placed through it first.

Each run: sipp callers at --rate for --seconds (each call INVITE, 200, ACK, --hold-ms, our BYE), through the
edge. After --kill-after seconds one executor (the one with the lower SIP port) is sent the signal. sipp logs
every call's INVITE, answer and end with its own clock (`<log>` actions, -trace_logs), so each call is one of:
- answered and ended: fine;
- answered before the signal, its BYE unanswered: a call lost with its executor (SIGKILL: the media and the
  dialog were in that process);
- INVITE sent after the signal and never answered: a new call failed. The time of the last such INVITE after
  the signal is the window in which the edge still sent calls to the dead executor (without failing over in
  time); it is printed beside the edge's detection window (OPTIONS every SIP_EDGE_PING_SECONDS, the executor
  timeout in failure_route).
Also printed: INVITE->200 p50/p99 before and after the signal, and the calls each executor answered
(its metrics).

Exits 1 on a failed setup; a missed target is printed, not failed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.executor_calls import Bench, fail, percentile  # noqa: E402
from bench.rcml_fetch import log  # noqa: E402

KAMCMD = shutil.which("kamcmd") or "/usr/sbin/kamcmd"
LOG_LINE = re.compile(r"^(invite|answered|ended) (\S+) (\d+)$")


def scenario(bench: Bench, hold_ms: int) -> Path:
    """Bench's caller scenario, with a log line (the call's Call-ID, sipp's clock in ms) at each stage."""
    text = bench.scenario(hold_ms)[0].read_text()
    stamp = '<nop><action><log message="{stage} [call_id] [clock_tick]"/></action></nop>'
    first_send = text.index("<send")
    text = text[:first_send] + stamp.format(stage="invite") + "\n" + text[first_send:]
    answer = '<recv response="200" rtd="true" rrs="true"/>'
    if answer not in text:
        raise fail("the caller scenario has no answer to mark")
    text = text.replace(answer, answer + "\n" + stamp.format(stage="answered"), 1)
    end = text.rindex("</scenario>")
    text = text[:end] + stamp.format(stage="ended") + "\n" + text[end:]
    path = bench.work / f"failover-caller-{hold_ms}.xml"
    path.write_text(text)
    return path


def run(bench: Bench, args, name: str, signum: int) -> dict:
    calls = int(args.rate * args.seconds)
    budget = int(args.seconds + args.hold_ms / 1000 + 60)
    command, _ = bench.sipp_command(name, bench.sip_port, args.rate, calls, calls, args.hold_ms, budget)
    command[command.index("-sf") + 1] = str(scenario(bench, args.hold_ms))
    command += ["-trace_logs", "-log_file", str(bench.work / f"{name}.log")]
    executors = bench.find_all(b"run_executor")
    if len(executors) < 2:
        raise fail(f"{name}: {len(executors)} executor(s) under portal.run; EXECUTORS=2 expected")
    victim = min(executors, key=bench.executor_port)
    uri = f"sip:127.0.0.1:{bench.executor_port(victim)}"
    if dispatcher_flags(bench, uri)[:1] != "A":
        raise fail(f"{name}: the edge does not have {uri} active before the run: {dispatcher_flags(bench, uri)!r}")
    started = time.monotonic()
    sipp = subprocess.Popen(command, cwd=bench.work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(args.kill_after)
    os.kill(victim, signum)
    signalled = time.monotonic()
    sent_at = int((signalled - started) * 1000)  # on sipp's clock ([clock_tick]: ms since it started)
    log(f"{name}: {signal.Signals(signum).name} to the executor at {uri} (pid {victim})")
    marked = None
    while sipp.poll() is None and time.monotonic() - signalled < 30:
        if marked is None and dispatcher_flags(bench, uri)[:1] == "I":
            marked = int((time.monotonic() - signalled) * 1000)
        time.sleep(0.05)
    sipp.wait(timeout=budget + 30)
    stages: dict[str, dict[str, int]] = {}
    for line in (bench.work / f"{name}.log").read_text(errors="replace").splitlines():
        match = LOG_LINE.match(line.strip())
        if match:
            stages.setdefault(match[2], {})[match[1]] = int(match[3])
    invited = [c for c in stages.values() if "invite" in c]
    answered = [c for c in invited if "answered" in c]
    window = marked if marked is not None else 30_000
    new_failed = [c["invite"] - sent_at for c in invited if c["invite"] >= sent_at and "answered" not in c]
    delays = {
        "before": sorted(c["answered"] - c["invite"] for c in answered if c["invite"] < sent_at),
        "window": sorted(c["answered"] - c["invite"] for c in answered if 0 <= c["invite"] - sent_at <= window),
        "after": sorted(c["answered"] - c["invite"] for c in answered if c["invite"] - sent_at > window),
    }
    return {
        "calls": calls,
        "invited": len(invited),
        "completed": sum(1 for c in invited if "ended" in c),
        # Answered before the signal and never ended: held by the executor that went.
        "lost": sum(1 for c in answered if "ended" not in c and c["answered"] < sent_at),
        "unended_after": sum(1 for c in answered if "ended" not in c and c["answered"] >= sent_at),
        "failed_before": sum(1 for c in invited if c["invite"] < sent_at and "answered" not in c),
        "new_failed": len(new_failed),
        "new_failed_after_window": sum(1 for t in new_failed if t > window),
        "marked_ms": marked,
        "delays": {k: (percentile(v, 0.5), percentile(v, 0.99), len(v)) if v else (0, 0, 0) for k, v in delays.items()},
    }


def dispatcher_flags(bench: Bench, uri: str) -> str:
    """The edge's state of one executor (AP active, IP inactive, ...), from its RPC; "" when not listed."""
    socket_path = bench.portal.data_dir / "kamailio" / "ctl.sock"
    out = subprocess.run(
        [KAMCMD, "-s", f"unix:{socket_path}", "dispatcher.list"], capture_output=True, text=True, timeout=5
    ).stdout
    found = re.search(re.escape(f"URI: {uri}") + r"\s+FLAGS: (\w+)", out)
    return found[1] if found else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds of calls in each run")
    parser.add_argument("--hold-ms", type=int, default=2000)
    parser.add_argument("--kill-after", type=float, default=8.0, help="seconds into a run before the signal")
    parser.add_argument("--receivers", type=int, default=64)
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    args.numbers = 0
    work = Path(tempfile.mkdtemp(prefix="edge-failover-"))
    bench = Bench(args, work)
    bench.portal.env.update({"EXECUTORS": "2", "EXECUTOR_DRAIN_SECONDS": str(args.hold_ms / 1000 + 5)})
    try:
        bench.start()
        ping = bench.portal.env.get("SIP_EDGE_PING_SECONDS", "2")
        results = {}
        for name, signum in (("kill", signal.SIGKILL), ("drain", signal.SIGTERM)):
            time.sleep(5)  # supervisord restarts the executor; the edge probes it active again
            results[name] = run(bench, args, name, signum)
        timeout = bench.portal.env.get("SIP_EDGE_EXECUTOR_TIMEOUT_MS", "1500")
        print(
            f"\nexecutors behind the edge: 2; {args.rate:g} calls/s for {args.seconds:g} s a run, each held "
            f"{args.hold_ms} ms; the signal {args.kill_after:g} s in; the edge probes every {ping} s and fails a call "
            f"over after {timeout} ms without an answer"
        )
        for name, r in results.items():
            marked = "never" if r["marked_ms"] is None else f"{r['marked_ms']} ms"
            print(
                f"  {name:5s}  calls {r['invited']}/{r['calls']}, completed {r['completed']}; marked inactive after "
                f"{marked}; lost with the executor {r['lost']}; new calls failed {r['new_failed']}, after the "
                f"detection window {r['new_failed_after_window']}; failed before the signal {r['failed_before']}; "
                f"answered after the signal but not ended {r['unended_after']}"
            )
            for part, (p50, p99, n) in r["delays"].items():
                print(f"         INVITE->200 {part:6s} p50 {p50:.0f} ms, p99 {p99:.0f} ms ({n} calls)")
        kill, drain = results["kill"], results["drain"]
        verdict = "PASS" if kill["new_failed_after_window"] == 0 else "MISS"
        print(
            f"  SIGKILL: new calls failed after the detection window {kill['new_failed_after_window']}, target 0: "
            f"{verdict}; calls lost with the executor {kill['lost']} (the calls it held)"
        )
        failed = drain["new_failed"] + drain["lost"] + drain["failed_before"] + drain["unended_after"]
        print(f"  SIGTERM drain: failed {failed}, target 0: {'PASS' if failed == 0 else 'MISS'}")
    finally:
        bench.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            log(f"kept {work}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

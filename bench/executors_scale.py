"""One executor against two behind the SIP edge: calls/s, and the RTP gap p99 at N held calls, in several runs in a
row for each.

Issue 12, "Figures": 1 executor vs 2 executors behind Kamailio: calls/s and RTP gap p99 at 2,000 held calls, in
three runs in a row, all < 25 ms.

    .venv/bin/python bench/executors_scale.py [--executors 1,2] [--runs 3] [--sessions 2000] [--rates 200,300,...]

For each executor count, the product as `make run` starts it with EXECUTORS set (bench/executor_calls.py's Bench:
Kamailio in front, the executors behind it, the issue's 1,000 AA numbers in 100 AA systems unless --numbers 0),
then:
- calls/s: bench/executor_calls.py's rate part (the highest rate up to which every step was clean, with the
  same scenario against `sipp -sn uas` in the same run as the baseline), once; with one executor, also the
  edge alone: the same callers through Kamailio to `sipp -sn uas` in the executors' place (the dispatcher's
  set swapped with `manage.py executors`), Kamailio's CPU per call;
- the RTP gap: its concurrency part at --sessions held calls, --runs times in a row (each with its own baseline,
  a bare loop sending as many streams from one socket).
Prints one table: executors, calls/s (and the baseline), gap p99 per run and its baseline, all under 25 ms or not.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.executor_calls import (  # noqa: E402
    HOST,
    SIPP,
    TARGET_GAP_P99_MS,
    UAS_MORE,
    Bench,
    best,
    free_sip_port,
    part_concurrency,
    part_rate,
)
from bench.rcml_fetch import free_port, log  # noqa: E402
from tests.calls.sipp import OK_TO_BYE  # noqa: E402

# `sipp -sn uas` with the Record-Route echoed in its answers, as RFC 3261 (12.1.1) asks of a UAS behind a proxy
# (the built-in scenario leaves it out, and the edge relays in-dialog requests by their route set only).
UAS = (
    """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="uas behind the edge">
<recv request="INVITE" crlf="true"/>
<send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_Record-Route:]
[last_From:]
[last_To:];tag=[pid]uas[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

v=0
o=uas 1 1 IN IP4 [local_ip]
s=-
c=IN IP4 [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000
]]></send>
<recv request="ACK" optional="true"/>
"""
    + OK_TO_BYE.format(timeout=60000)
    + "</scenario>\n"
)


def executor_uris(bench: Bench) -> list[str]:
    return [f"sip:{HOST}:{bench.executor_port(pid)}" for pid in bench.find_all(b"run_executor")]


def edge_alone(bench: Bench, args) -> dict:
    """The edge's own cost: the same callers through Kamailio to sipp's UAS (`-aa`: it answers the probes)
    in the executors' place (the dispatcher's set swapped for the run), at the rates until one is not
    clean; Kamailio's CPU per call."""
    executors = executor_uris(bench)
    port = free_sip_port()
    scenario = bench.work / "uas-behind-the-edge.xml"
    scenario.write_text(UAS)
    uas = subprocess.Popen(
        [SIPP, "-sf", str(scenario), "-aa", "-i", HOST, "-p", str(port), "-mp", str(free_port()), "-nostdin"],
        cwd=bench.work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    steps, cpu = [], []
    try:
        bench.portal.manage("executors", "add", f"sip:{HOST}:{port}")
        for uri in executors:
            bench.portal.manage("executors", "remove", uri)
        time.sleep(2 * float(bench.portal.env.get("SIP_EDGE_PING_SECONDS", "2")) + 1)  # probed active
        rates = [int(r) for r in args.rates.split(",")]
        print("\n[edge alone] the same callers through Kamailio to sipp's UAS (no executor)", flush=True)
        for rate in rates + [r for r in UAS_MORE if r > rates[-1]]:
            before = bench.edge_cpu()
            step = bench.sipp_calls(
                f"edge-uas-{rate}", rate=rate, calls=int(rate * args.step_seconds), hold_ms=args.hold_ms
            )
            cpu.append(1000 * (bench.edge_cpu() - before) / max(step.successful, 1))
            print(f"  edge+uas {step.line()}  edge CPU {cpu[-1]:.2f} ms/call", flush=True)
            steps.append(step)
            if not step.clean:
                print(f"    {step.errors[-600:]}")
                break
            time.sleep(args.hold_ms / 1000 + 1)
    finally:
        for uri in executors:
            bench.portal.manage("executors", "add", uri)
        bench.portal.manage("executors", "remove", f"sip:{HOST}:{port}")
        uas.terminate()
        uas.wait(10)
        time.sleep(2 * float(bench.portal.env.get("SIP_EDGE_PING_SECONDS", "2")) + 1)
    clean = [c for c, step in zip(cpu, steps, strict=True) if step.clean]
    return {"rate": best(steps), "capped": bool(steps) and steps[-1].clean, "edge_ms": min(clean) if clean else 0.0}


def measure(executors: int, args) -> dict:
    work = Path(tempfile.mkdtemp(prefix=f"executors-{executors}-"))
    bench = Bench(args, work)
    bench.portal.env["EXECUTORS"] = str(executors)
    try:
        bench.start()
        found = bench.find_all(b"run_executor")
        if len(found) != executors:
            raise SystemExit(f"executors_scale: {len(found)} executors under portal.run, {executors} asked")
        result: dict = {"rate": part_rate(bench, args) if args.rates else None, "gaps": []}
        if args.rates and executors == 1:
            result["edge"] = edge_alone(bench, args)
        for run in range(1, args.runs + 1):
            log(f"{executors} executor(s): run {run} of {args.runs} at {args.sessions} held calls")
            result["gaps"].append(part_concurrency(bench, args).get(int(args.sessions)))
        return result
    finally:
        bench.stop()
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--executors", default="1,2")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sessions", default="2000", help="held calls (one number)")
    parser.add_argument("--rates", default="200,300,400,500,600,700", help="empty: no rate part")
    parser.add_argument("--step-seconds", type=float, default=3.0)
    parser.add_argument("--hold-ms", type=int, default=1000)
    parser.add_argument("--numbers", type=int, default=1000)
    parser.add_argument("--systems", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds measured at each run")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--ramp", type=float, default=100.0)
    parser.add_argument("--receivers", type=int, default=4)
    args = parser.parse_args()
    args.py_spy, args.quick, args.keep, args.only = False, True, False, None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 65536, hard))
    started = time.monotonic()
    results = {int(n): measure(int(n), args) for n in args.executors.split(",")}
    print(f"\nexecutors behind the edge; RTP gap p99 at {args.sessions} held calls, {args.runs} runs in a row")
    print("  executors | calls/s clean (sipp -sn uas) | gap p99 per run, ms (baseline)          | all < 25 ms")
    for n, result in results.items():
        rate = result["rate"]
        calls = f"{rate['executor']} ({rate['uas']}{'+' if rate['uas_capped'] else ''})" if rate else "-"
        runs = [r for r in result["gaps"] if r]
        gaps = ", ".join(f"{r['executor']['p99']:.2f} ({r['baseline']['p99']:.2f})" for r in runs)
        held = all(r["ok"] for r in runs) and len(runs) == args.runs
        under = held and all(r["executor"]["p99"] < TARGET_GAP_P99_MS for r in runs)
        print(f"  {n:9d} | {calls:28s} | {gaps:40s} | {'PASS' if under else 'MISS'}{'' if held else ' (a run broke)'}")
    for result in results.values():
        edge = result.get("edge")
        if edge:
            top = f"{edge['rate']}{'+' if edge['capped'] else ''}"
            print(
                f"  the edge alone (Kamailio in front of sipp's UAS): {top} calls/s clean; "
                f"Kamailio's CPU {edge['edge_ms']:.2f} ms a call"
            )
    print(f"  total {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""One executor against two behind the SIP edge: calls/s, and the RTP gap p99 at N held calls, in several runs in a
row for each.

Issue 12, "Figures": 1 executor vs 2 executors behind Kamailio: calls/s and RTP gap p99 at 2,000 held calls, in
three runs in a row, all < 25 ms.

    .venv/bin/python bench/executors_scale.py [--executors 1,2] [--runs 3] [--sessions 2000] [--rates 200,300,...]

For each executor count, the product as `make run` starts it with EXECUTORS set (bench/executor_calls.py's Bench:
Kamailio in front, the executors behind it, the issue's 1,000 AA numbers in 100 AA systems unless --numbers 0),
then:
- calls/s: bench/executor_calls.py's rate part (the highest rate up to which every step was clean, with the
  same scenario against `sipp -sn uas` in the same run as the baseline), once;
- the RTP gap: its concurrency part at --sessions held calls, --runs times in a row (each with its own baseline,
  a bare loop sending as many streams from one socket).
Prints one table: executors, calls/s (and the baseline), gap p99 per run and its baseline, all under 25 ms or not.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.executor_calls import TARGET_GAP_P99_MS, Bench, part_concurrency, part_rate  # noqa: E402
from bench.rcml_fetch import log  # noqa: E402


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
    print(f"  total {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

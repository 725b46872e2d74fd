"""What the executor measures about itself, for operators and for bench/executor_calls.py.

Counters: `calls_<outcome>` for every call, and `not_recorded_<reason>` for the calls that had no
AA system and so no call record (server.py: `unknown_number`, `inactive_aa_system`,
`no_common_codec`, else the outcome, e.g. `failed` when the portal could not be asked). Latencies are
kept in bounded windows (the most recent samples) and summarised as percentiles;
`manage.py run_executor` logs the summary as one JSON line on SIGUSR1 and at shutdown.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable

WINDOW = 100_000


def _percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


class Metrics:
    def __init__(self) -> None:
        self.counters: collections.Counter[str] = collections.Counter()
        self._samples: dict[str, collections.deque[float]] = collections.defaultdict(
            lambda: collections.deque(maxlen=WINDOW)
        )

    def count(self, name: str, amount: int = 1) -> None:
        self.counters[name] += amount

    def observe(self, name: str, seconds: float) -> None:
        self._samples[name].append(seconds)

    def reset(self, names: Iterable[str] | None = None) -> None:
        for name in list(names if names is not None else self._samples):
            self._samples.pop(name, None)

    def summary(self) -> dict:
        latencies = {}
        for name, samples in self._samples.items():
            ordered = sorted(samples)
            latencies[name] = {
                "count": len(ordered),
                "p50_ms": round(1000 * _percentile(ordered, 0.50), 2),
                "p99_ms": round(1000 * _percentile(ordered, 0.99), 2),
                "max_ms": round(1000 * (ordered[-1] if ordered else 0.0), 2),
            }
        return {"counters": dict(self.counters), "latencies": latencies}

"""Where the live calls are: the executors' registry and the live-call index, in Redis, and the client
of the executors' control endpoint (telephony.executor.control).

- Registry: each executor posts a heartbeat every few seconds (`POST /rcml/executor`: its name
  `<host>:<SIP port>`, its control endpoint's URL, whether it drains, its calls and their status);
  it is kept EXECUTOR_TTL seconds. An executor that stops is forgotten within that time.
- Index: CallSid -> the executor holding the call and its status (queued / ringing / in-progress),
  written when the portal serves a call's entry document or places a call, updated by the
  heartbeats (never re-created by them: a call whose end was reported stays out), removed by the
  call's end report; CALL_TTL is only a backstop.

Executors are stateless and many: a call's executor is found here, wherever it runs.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

EXECUTOR_TTL = 10  # seconds an executor is known after its last heartbeat (it beats every 2 s)
CALL_TTL = 5 * 3600  # a live call's entry, if its end is never reported (executors end calls within 4 h)
CONTROL_TIMEOUT = 5.0  # seconds for an executor's control endpoint to answer
EXECUTORS_KEY = "live:executors"
SEEN_KEY = "live:executors:seen"  # name -> {"at": last heartbeat, "since": its process's start}
EXECUTOR_GONE_SECONDS = 30  # no heartbeat for this long: the executor stopped, its calls with it
EXECUTOR_FORGOTTEN_SECONDS = 3600  # a stopped executor's entry is kept this long (starts queued late)
RESTART_MARGIN_SECONDS = 2.0  # clocks of the executor and the portal may differ a little
STATUSES = ("queued", "ringing", "in-progress")


class ExecutorUnreachable(Exception):
    """The executor holding a call (or chosen for one) is not running, or did not answer."""


@dataclass(frozen=True)
class Executor:
    name: str
    control: str
    calls: int
    draining: bool


def _redis() -> tuple[Any, Any]:
    """The default cache's Redis client and its key function (with the cache's prefix)."""
    return cache._cache.get_client(write=True), cache.make_key  # type: ignore[attr-defined]


def _executor_key(name: str) -> str:
    return f"live:executor:{name}"


def _call_key(call_sid: str) -> str:
    return f"live:call:{call_sid}"


# The registry.


def heartbeat(
    name: str, control: str, calls: dict[str, str], draining: bool = False, since: float | None = None
) -> None:
    """An executor is there: its control URL for EXECUTOR_TTL seconds, its calls' status; and when it
    was last heard of and since when its process runs (kept until its calls are settled)."""
    client, key = _redis()
    pipe = client.pipeline(transaction=False)
    value = json.dumps({"control": control, "calls": len(calls), "draining": draining})
    pipe.set(key(_executor_key(name)), value, ex=EXECUTOR_TTL)
    pipe.sadd(key(EXECUTORS_KEY), name)
    pipe.hset(key(SEEN_KEY), name, json.dumps({"at": time.time(), "since": since}))
    for call_sid, status in calls.items():
        if status in STATUSES:
            entry = json.dumps({"executor": name, "status": status})
            pipe.set(key(_call_key(call_sid)), entry, xx=True, keepttl=True)
    pipe.execute()


def executors() -> list[Executor]:
    """The executors that posted a heartbeat in the last EXECUTOR_TTL seconds."""
    client, key = _redis()
    names = sorted(name.decode() for name in client.smembers(key(EXECUTORS_KEY)))
    if not names:
        return []
    values = client.mget([key(_executor_key(name)) for name in names])
    found, gone = [], []
    for name, value in zip(names, values, strict=True):
        if value is None:
            gone.append(name)
            continue
        data = json.loads(value)
        found.append(Executor(name, data["control"], int(data.get("calls") or 0), bool(data.get("draining"))))
    if gone:
        client.srem(key(EXECUTORS_KEY), *gone)
    return found


def executor(name: str) -> Executor | None:
    return next((found for found in executors() if found.name == name), None)


def pick_executor() -> Executor:
    """An executor for a new call: of those serving (not draining), one of the least busy."""
    serving = [found for found in executors() if not found.draining]
    if not serving:
        raise ExecutorUnreachable("no call executor is running")
    fewest = min(found.calls for found in serving)
    return random.choice([found for found in serving if found.calls == fewest])


# The index.


def track(call_sid: str, executor_name: str, status: str, pipe: Any = None) -> None:
    """Index a live call under its executor; into `pipe` (a Redis pipeline) when given, so it costs
    no round trip of its own."""
    client, key = _redis()
    target = pipe if pipe is not None else client
    target.set(key(_call_key(call_sid)), json.dumps({"executor": executor_name, "status": status}), ex=CALL_TTL)


def forget(call_sids: Iterable[str]) -> None:
    sids = [sid for sid in call_sids if sid]
    if sids:
        client, key = _redis()
        client.delete(*[key(_call_key(sid)) for sid in sids])


def where(call_sid: str) -> dict[str, str] | None:
    """{"executor", "status"} of a live call; None when it is not live (or its end was reported)."""
    return statuses([call_sid]).get(call_sid)


def statuses(call_sids: Iterable[str]) -> dict[str, dict[str, str]]:
    sids = list(call_sids)
    if not sids:
        return {}
    client, key = _redis()
    values = client.mget([key(_call_key(sid)) for sid in sids])
    return {sid: json.loads(value) for sid, value in zip(sids, values, strict=True) if value is not None}


# The executors' control endpoint.


def control(target: Executor, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, dict]:
    """A request to an executor's control endpoint -> (status, JSON answer)."""
    try:
        response = requests.request(
            method,
            target.control.rstrip("/") + path,
            json=body,
            headers={"Authorization": f"Bearer {settings.EXECUTOR_TOKEN}"},
            timeout=CONTROL_TIMEOUT,
        )
    except requests.RequestException as exc:
        raise ExecutorUnreachable(f"the executor {target.name} did not answer: {exc.__class__.__name__}") from exc
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    if response.status_code >= 500 and response.status_code != 503:
        raise ExecutorUnreachable(f"the executor {target.name} answered {response.status_code}")
    return response.status_code, answer if isinstance(answer, dict) else {}


# Calls whose executor stopped.


def close_calls_of_stopped_executors(now: float | None = None) -> int:
    """Close as LOST the calls of executors that stopped (no heartbeat for EXECUTOR_GONE_SECONDS) and
    those a restarted executor's earlier process held (started before its `since`): they cannot end
    any other way, and otherwise would show in progress for hours (CALL_LOST_AFTER_SECONDS). A late
    end report still completes such a record. How many were closed."""
    from datetime import UTC, datetime

    from autoattendant.services.calls import close_calls_of_executor

    client, key = _redis()
    now = time.time() if now is None else now
    closed = 0
    for raw_name, raw in client.hgetall(key(SEEN_KEY)).items():
        name = raw_name.decode() if isinstance(raw_name, bytes) else raw_name
        seen = json.loads(raw)
        last, since = float(seen.get("at") or 0), seen.get("since")
        if now - last > EXECUTOR_GONE_SECONDS:
            moment = datetime.fromtimestamp(last, UTC)
            lost = close_calls_of_executor(
                name,
                datetime.fromtimestamp(now, UTC),
                f"its executor {name} stopped (no heartbeat since {moment:%Y-%m-%d %H:%M:%S} UTC)",
            )
            if now - last > EXECUTOR_FORGOTTEN_SECONDS:
                client.hdel(key(SEEN_KEY), raw_name)
        elif since:
            moment = datetime.fromtimestamp(float(since) - RESTART_MARGIN_SECONDS, UTC)
            lost = close_calls_of_executor(
                name, moment, f"its executor {name} restarted at {moment:%Y-%m-%d %H:%M:%S} UTC"
            )
        else:
            continue
        forget(lost)
        closed += len(lost)
    return closed

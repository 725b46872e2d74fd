"""Published plans in Redis, so serving a call step reads no database row but the number's route.

Keys: `rcml:plan:{sid}:{version}` (immutable, kept a day after last use) and `rcml:current:{sid}`
(the newest version). A miss falls back to PostgreSQL and refills the cache.

Calls must not wait on Redis: when it fails to answer (stopped, paused, restarting), the call path
reads PostgreSQL instead, and this process leaves Redis alone for REDIS_BACKOFF_SECONDS, so that only
the first call step pays portal.cache's short timeout.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
T = TypeVar("T")

PLAN_TTL_SECONDS = 24 * 3600
# Entries are dropped when they change (forget_entries: a publish, a failed publish, a number routed,
# moved or released); the TTL only bounds an entry whose drop was lost with Redis itself.
ROUTE_TTL_SECONDS = 300
LOCAL_PLANS_MAX = 256  # plans each process keeps (a few KB each)
NUMBER_MAX_CHARS = 64  # longer than any number stored
REDIS_BACKOFF_SECONDS = 5.0  # after a Redis failure, the call path reads only PostgreSQL this long

_redis_skip_until = 0.0


def try_redis(operation: Callable[[], T], default: T) -> T:
    """Run a Redis operation of the call path; on a Redis failure, `default` (a miss) and back off."""
    global _redis_skip_until
    if time.monotonic() < _redis_skip_until:
        return default
    try:
        return operation()
    except RedisError as exc:
        _redis_skip_until = time.monotonic() + REDIS_BACKOFF_SECONDS
        logger.warning(
            "Redis failed (%s); call plans and routes come from PostgreSQL for %.0f s", exc, REDIS_BACKOFF_SECONDS
        )
        return default


# A published version never changes, so each process also keeps the plans it served last: a key
# press then costs no Redis round trip and no unpickling (bench/rcml_fetch.py), and a process that
# has served a plan serves its steps through a Redis outage too. Which version is the newest
# (`rcml:current:{sid}`) and the number routes are still read from Redis on every call. Shared
# between requests and threads: callers must not modify a plan.
_local_plans: OrderedDict[tuple[str, int], dict[str, Any]] = OrderedDict()
_local_lock = threading.Lock()


def _local_get(sid: str, version: int) -> dict[str, Any] | None:
    with _local_lock:
        found = _local_plans.get((sid, version))
        if found is not None:
            _local_plans.move_to_end((sid, version))
        return found


def _local_put(sid: str, version: int, plan: dict[str, Any]) -> None:
    with _local_lock:
        _local_plans[(sid, version)] = plan
        while len(_local_plans) > LOCAL_PLANS_MAX:
            _local_plans.popitem(last=False)


def forget_local_plans() -> None:
    """Empty this process's copies (tests that change a published row in place)."""
    with _local_lock:
        _local_plans.clear()


def _plan_key(sid: str, version: int) -> str:
    return f"rcml:plan:{sid}:{version}"


def store_plan(plan: dict[str, Any]) -> None:
    sid, version = plan["aaSystemSid"], plan["version"]
    cache.set_many({_plan_key(sid, version): plan, f"rcml:current:{sid}": version}, timeout=PLAN_TTL_SECONDS)


def plan(sid: str, version: int | None = None) -> dict[str, Any] | None:
    """The plan of that version, or of the newest published one."""
    from telephony.models import PublishedRcml

    newest = version is None
    if version is None:
        version = try_redis(lambda: cache.get(f"rcml:current:{sid}"), None)
    if version is not None:
        local = _local_get(sid, version)
        if local is not None:
            return local
        key = _plan_key(sid, version)
        cached = try_redis(lambda: cache.get(key), None)
        if cached is not None:
            _local_put(sid, version, cached)
            return cached
    rows = PublishedRcml.objects.filter(aa_system_sid=sid)
    row = rows.filter(version=version).first() if version is not None else rows.order_by("-version").first()
    if row is None:
        return None
    # Refill the plan; point `current` at it only when the newest was asked for and no publish has set
    # it meanwhile: a step of an old version, or a slow reader, must not move it back.
    try_redis(lambda: cache.set(_plan_key(sid, row.version), row.plan, timeout=PLAN_TTL_SECONDS), None)
    if newest:
        try_redis(lambda: cache.add(f"rcml:current:{sid}", row.version, timeout=PLAN_TTL_SECONDS), None)
    return row.plan


def entry(number: str) -> dict[str, Any] | None:
    """Who answers a number as stored (see find); None: nobody."""
    key = _entry_key(number)
    found = try_redis(lambda: cache.get(key), None)
    if found is None:
        found = _entry_from_database(number)
        try_redis(lambda: cache.set(key, found, timeout=ROUTE_TTL_SECONDS), None)
    return found or None


def find(dialled: str) -> tuple[str, dict[str, Any]] | None:
    """Who answers a dialled number: the number as stored and its entry; None: nobody. An entry is
    an AA system's, `{"sid", "version", "active", "account"}`, or an RCML application's, `{"account",
    "application": {"voice_url", "voice_method", "fallback_url", "fallback_method",
    "status_callback", "status_callback_method"}}` (a number with a VoiceUrl and no AA system);
    `account` is the number's TelephonyAccount.sid; `{"account", "suspended": True}` when that
    account or one above it is suspended (a closed one's numbers answer nothing). Each form the
    number may be stored in (with or without `+`) has its entry, "nobody" included, all read in one
    Redis command.

    Entries are dropped by each publish of the system, published or failed (publish.py: a new
    version, or a status changed, answers new calls at once), and by each change of the number's
    route (telephony.provisioning.bundled, and whatever changes a NumberRoute: it calls
    forget_entries), and by a change of an account's status; ROUTE_TTL_SECONDS is only a backstop. `version` is None
    while nothing is published. The schedules are not in it: the entry document evaluates them on
    the plan at each call, to the second.
    """
    if len(dialled) > NUMBER_MAX_CHARS or "\x00" in dialled:  # stored nowhere; PostgreSQL refuses NUL
        return None
    keys = {_entry_key(variant): variant for variant in number_variants(dialled)}
    cached: dict[str, Any] = try_redis(lambda: cache.get_many(list(keys)), {})
    for key, variant in keys.items():
        found = cached.get(key)
        if found is None:
            found = _entry_from_database(variant)
            try_redis(lambda: cache.set(key, found, timeout=ROUTE_TTL_SECONDS), None)  # noqa: B023
        if found:
            return variant, found
    return None


def _entry_from_database(number: str) -> dict[str, Any]:
    from autoattendant.choices import SystemStatus
    from autoattendant.models import AutoAttendantSystem
    from telephony.models import AccountStatus, NumberRoute

    # The account and the two above it in the same query: a CSP's and its enterprise's are one walk.
    route = NumberRoute.objects.filter(number=number).select_related("account__parent__parent").first()
    if route is None:
        return {}
    state = route.account.standing()
    if state == AccountStatus.CLOSED:
        return {}  # no longer in service
    if state == AccountStatus.SUSPENDED:
        return {"account": route.account.sid, "suspended": True}
    if route.aa_system_sid:
        system = AutoAttendantSystem.objects.filter(sid=route.aa_system_sid).only("status", "published_version").first()
        if system is None:
            return {}
        return {
            "sid": route.aa_system_sid,
            "version": system.published_version,
            "active": system.status == SystemStatus.ACTIVE,
            "account": route.account.sid,
        }
    # An AA number (provisioned for an AA system) with no system answers nothing; any other number
    # answers with the application at its VoiceUrl.
    if route.phone_number_sid or not route.voice_url:
        return {}
    return {
        "account": route.account.sid,
        "application": {
            "voice_url": route.voice_url,
            "voice_method": route.voice_method,
            "fallback_url": route.voice_fallback_url,
            "fallback_method": route.voice_fallback_method,
            "status_callback": route.status_callback,
            "status_callback_method": route.status_callback_method,
        },
    }


def _entry_key(number: str) -> str:
    return f"rcml:entry:{number}"


def number_variants(number: str) -> list[str]:
    """A dialled number as it may be stored: as dialled, without `+`, with `+`."""
    number = (number or "").strip()
    bare = number.lstrip("+")
    return list(dict.fromkeys([number, bare, f"+{bare}"]))


def forget_entries(numbers: list[str]) -> None:
    """Drop the numbers' entries, each as it may be dialled (a variant may hold "nobody")."""
    keys = [_entry_key(variant) for number in numbers for variant in number_variants(number)]
    if keys:
        cache.delete_many(keys)

"""Published plans in Redis, so serving a call step reads no database row but the number's route.

Keys: `rcml:plan:{sid}:{version}` (immutable, kept a day after last use) and `rcml:current:{sid}`
(the newest version). A miss falls back to PostgreSQL and refills the cache.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache

PLAN_TTL_SECONDS = 24 * 3600
ROUTE_TTL_SECONDS = 30


def _plan_key(sid: str, version: int) -> str:
    return f"rcml:plan:{sid}:{version}"


def store_plan(plan: dict[str, Any]) -> None:
    sid, version = plan["aaSystemSid"], plan["version"]
    cache.set_many({_plan_key(sid, version): plan, f"rcml:current:{sid}": version}, timeout=PLAN_TTL_SECONDS)


def plan(sid: str, version: int | None = None) -> dict[str, Any] | None:
    """The plan of that version, or of the newest published one."""
    from telephony.models import PublishedRcml

    if version is None:
        version = cache.get(f"rcml:current:{sid}")
    if version is not None:
        cached = cache.get(_plan_key(sid, version))
        if cached is not None:
            return cached
    rows = PublishedRcml.objects.filter(aa_system_sid=sid)
    row = rows.filter(version=version).first() if version is not None else rows.order_by("-version").first()
    if row is None:
        return None
    if version is None or version == row.version:
        store_plan(row.plan)
    return row.plan


def route(number: str) -> str | None:
    """The AA system SID that answers a number ("" cached for unrouted numbers)."""
    from autoattendant.choices import SystemStatus
    from autoattendant.models import AutoAttendantSystem
    from telephony.models import NumberRoute

    key = f"rcml:route:{number}"
    sid = cache.get(key)
    if sid is None:
        route_row = NumberRoute.objects.filter(number=number).exclude(aa_system_sid="").first()
        sid = route_row.aa_system_sid if route_row else ""
        if sid and not AutoAttendantSystem.objects.filter(sid=sid, status=SystemStatus.ACTIVE).exists():
            sid = "inactive:" + sid
        cache.set(key, sid, timeout=ROUTE_TTL_SECONDS)
    return sid or None


def forget_route(number: str) -> None:
    cache.delete(f"rcml:route:{number}")

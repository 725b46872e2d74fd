"""`GET /healthz`: is the database reachable, Redis answering, a Celery worker alive?

It answers within HEALTH_TIMEOUT whatever a dependency does: each check runs in a thread of its own
and one that has not answered by then counts as failed (a paused Redis or an unreachable database
can hold a socket far longer). Anonymous callers (load balancers, monitors) get a status per part;
the details (error text, latency, worker names) go to the log and to a signed-in CSP admin.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from autoattendant.choices import Role
from portal.celery import app as celery_app

logger = logging.getLogger(__name__)

HEALTH_TIMEOUT = 2.0  # seconds for the whole answer
CELERY_PING_TIMEOUT = 1.0  # seconds the workers get to answer a ping (within HEALTH_TIMEOUT)

Probe = Callable[[], dict[str, Any] | None]


def _database() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()  # the check's thread ends here: leave no connection behind


def _redis() -> None:
    cache._cache.get_client(write=True).ping()  # type: ignore[attr-defined]


def _celery() -> dict[str, Any]:
    replies = celery_app.control.ping(timeout=CELERY_PING_TIMEOUT) or []
    if not replies:
        raise RuntimeError("no Celery worker answered")
    return {"workers": sorted(name for reply in replies for name in reply)}


CHECKS: dict[str, Probe] = {"database": _database, "redis": _redis, "celery": _celery}


class _Check(threading.Thread):
    """One probe in a daemon thread: a probe stuck on a socket is left behind, not waited for."""

    def __init__(self, name: str, probe: Probe) -> None:
        super().__init__(name=f"healthz-{name}", daemon=True)
        self.probe = probe
        self.result: dict[str, Any] | None = None

    def run(self) -> None:
        started = time.monotonic()
        try:
            detail = self.probe()
        except Exception as exc:  # a health check reports failures, it does not raise them
            self.result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
            return
        self.result = {"ok": True, "latencyMs": round((time.monotonic() - started) * 1000, 1), **(detail or {})}


def run_checks(checks: dict[str, Probe], timeout: float = HEALTH_TIMEOUT) -> dict[str, dict[str, Any]]:
    """Every check's result, all run at once; one still running after `timeout` seconds has failed."""
    deadline = time.monotonic() + timeout
    threads = {name: _Check(name, probe) for name, probe in checks.items()}
    for thread in threads.values():
        thread.start()
    results = {}
    for name, thread in threads.items():
        thread.join(max(0.0, deadline - time.monotonic()))
        results[name] = thread.result or {"ok": False, "error": f"no answer within {timeout:g} s"}
    return results


def _is_csp_admin(request: HttpRequest, database_ok: bool) -> bool:
    """Reading the session needs the database: without it, the caller is taken as anonymous."""
    if not database_ok or not request.COOKIES:
        return False
    user = request.user
    return bool(user.is_authenticated and getattr(user, "role", None) == Role.CSP_ADMIN)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = run_checks(CHECKS)
    healthy = all(check["ok"] for check in checks.values())
    if not healthy:
        failed = {name: check.get("error") for name, check in checks.items() if not check["ok"]}
        logger.warning("healthz: degraded: %s", failed)
    if not _is_csp_admin(request, checks["database"]["ok"]):
        checks = {name: {"ok": check["ok"]} for name, check in checks.items()}
    return JsonResponse({"status": "ok" if healthy else "degraded", "checks": checks}, status=200 if healthy else 503)

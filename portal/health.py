"""`GET /healthz`: is the database reachable, Redis answering, a Celery worker alive?"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from portal.celery import app as celery_app


def _check(probe) -> dict:
    started = time.monotonic()
    try:
        detail = probe()
    except Exception as exc:  # a health check reports failures, it does not raise them
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    result = {"ok": True, "latencyMs": round((time.monotonic() - started) * 1000, 1)}
    if detail:
        result.update(detail)
    return result


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _redis():
    client = cache._cache.get_client(write=True)
    client.ping()


def _celery():
    replies = celery_app.control.ping(timeout=1.0) or []
    if not replies:
        raise RuntimeError("no Celery worker answered")
    return {"workers": sorted(name for reply in replies for name in reply)}


@require_GET
def healthz(request):
    checks = {"database": _check(_database), "redis": _check(_redis), "celery": _check(_celery)}
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if healthy else "degraded", "checks": checks}, status=200 if healthy else 503)

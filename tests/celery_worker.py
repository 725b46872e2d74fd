"""A real Celery worker for the tests that are about the worker (healthz, rendering, publishing)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

from celery import Celery

from portal.celery import app as celery_app
from tests.servers import process, wait_until

BASE_DIR = Path(__file__).resolve().parent.parent
CELERY = BASE_DIR / ".venv" / "bin" / "celery"


def ping(name: str | None = None, timeout: float = 0.5, broker: str | None = None) -> list[dict]:
    """Workers answering a ping: on the test run's broker, or on `broker` (a stack of its own)."""
    kwargs = {"destination": [name]} if name else {}
    if broker is None:
        return celery_app.control.ping(timeout=timeout, **kwargs) or []
    with Celery(broker=broker, set_as_current=False) as app:  # current_app stays the test run's
        return app.control.ping(timeout=timeout, **kwargs) or []


@contextlib.contextmanager
def running_worker(label: str, log: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """Start a solo-pool worker on the `default` queue, wait until it answers a ping, yield its name,
    and stop it (warm shutdown, then kill) on the way out. Its output goes to `log`. An `env` with a
    REDIS_URL of its own is a separate broker: the ping goes there."""
    name = f"{label}-{uuid.uuid4().hex[:8]}@127.0.0.1"
    command = [str(CELERY), "-A", "portal", "worker", "--pool", "solo", "-c", "1", "-Q", "default", "-n", name]
    command += ["-l", "info", "--without-gossip", "--without-mingle"]
    broker = (env or {}).get("REDIS_URL")
    broker = broker if broker and broker != os.environ.get("REDIS_URL") else None
    with process(command, {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}, log) as worker:
        wait_until(lambda: bool(ping(name, broker=broker)), worker, log, "the Celery worker", timeout=90)
        yield name

"""A real Celery worker for the tests that are about the worker (healthz, rendering, publishing)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import Celery

from portal.celery import app as celery_app

BASE_DIR = Path(__file__).resolve().parent.parent
CELERY = BASE_DIR / ".venv" / "bin" / "celery"


def ping(name: str | None = None, timeout: float = 0.5, broker: str | None = None) -> list[dict]:
    """Workers answering a ping: on the test run's broker, or on `broker` (a stack of its own)."""
    kwargs = {"destination": [name]} if name else {}
    if broker is None:
        return celery_app.control.ping(timeout=timeout, **kwargs) or []
    with Celery(broker=broker) as app:
        return app.control.ping(timeout=timeout, **kwargs) or []


@contextlib.contextmanager
def running_worker(label: str, log: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """Start a solo-pool worker on the `default` queue, wait until it answers a ping, yield its name,
    and stop it (warm shutdown, then kill) on the way out. Its output goes to `log`. An `env` with a
    REDIS_URL of its own is a separate broker: the ping goes there."""
    name = f"{label}-{uuid.uuid4().hex[:8]}@127.0.0.1"
    command = [str(CELERY), "-A", "portal", "worker", "--pool", "solo", "-c", "1", "-Q", "default", "-n", name]
    command += ["-l", "info", "--without-gossip", "--without-mingle"]
    with open(log, "wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 90
        broker = (env or {}).get("REDIS_URL")
        broker = broker if broker and broker != os.environ.get("REDIS_URL") else None
        while not ping(name, broker=broker):
            if process.poll() is not None:
                pytest.fail(f"the Celery worker exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"the Celery worker did not answer a ping in 90 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield name
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

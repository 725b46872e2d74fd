"""A real gunicorn serving the portal, on a PostgreSQL database of its own.

pytest-django's `live_server` runs in this process on the test database; gunicorn is another
process and cannot see that database's uncommitted test transactions, so it gets a database of its
own: `<DATABASE_URL's name>_live`, created, migrated with `manage.py migrate`, given a CSP with
`manage.py createcsp --json`, and dropped at teardown. Redis is the test run's own (REDIS_URL).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import requests
from psycopg import sql

BASE_DIR = Path(__file__).resolve().parents[2]
MANAGE = [sys.executable, str(BASE_DIR / "manage.py")]
GUNICORN = BASE_DIR / ".venv" / "bin" / "gunicorn"


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def _drop(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextlib.contextmanager
def throwaway_database(suffix: str) -> Iterator[dict[str, str]]:
    """A new, migrated database next to DATABASE_URL's; yields the environment that points at it."""
    base_url = os.environ["DATABASE_URL"]
    base_name = urlsplit(base_url).path.lstrip("/")
    name = f"{base_name}_{suffix}"
    admin_url = _with_database(base_url, "postgres")
    _drop(admin_url, name)  # left over from a run that was killed
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        env = {**os.environ, "DATABASE_URL": _with_database(base_url, name), "PYTHONUNBUFFERED": "1"}
        migrate = subprocess.run(
            [*MANAGE, "migrate", "--noinput", "-v", "0"],
            env=env,
            cwd=BASE_DIR,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if migrate.returncode != 0:
            pytest.fail(f"migrate failed:\n{migrate.stdout}\n{migrate.stderr}")
        yield env
    finally:
        _drop(admin_url, name)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    credentials: dict[str, str]
    log: Path

    @property
    def basic_auth(self) -> tuple[str, str]:
        return self.credentials["userSid"], self.credentials["authToken"]

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


def _wait_until_serving(url: str, process: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            if requests.get(f"{url}/autoattendant/schema/", timeout=20).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"gunicorn did not serve within {timeout} s:\n{log.read_text()[-4000:]}")
        time.sleep(0.2)


@pytest.fixture(scope="session")
def live_gunicorn(tmp_path_factory) -> Iterator[LiveServer]:
    """gunicorn on 127.0.0.1:<free port>, its own database, and a CSP admin's credentials."""
    workdir = tmp_path_factory.mktemp("live")
    with throwaway_database("live") as env:
        env.update(
            {
                "DATA_DIR": str(workdir),
                "SECRET_KEY": "live-test-secret-key-" + os.urandom(8).hex(),
                "CACHE_KEY_PREFIX": "aa-live",
                # Fuzzing sends many requests a minute; throttling is tested elsewhere.
                "API_THROTTLE_USER": "1000000/min",
                "API_THROTTLE_ANON": "1000000/min",
                "LOG_LEVEL": "WARNING",
            }
        )
        created = subprocess.run(
            [*MANAGE, "createcsp", "--name", "Live CSP", "--email", "admin@live.test", "--json"],
            env=env,
            cwd=BASE_DIR,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if created.returncode != 0:
            pytest.fail(f"createcsp failed:\n{created.stderr}")
        credentials = json.loads(created.stdout)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = workdir / "gunicorn.log"
        with open(log, "wb") as log_file:
            process = subprocess.Popen(
                [
                    str(GUNICORN),
                    "portal.wsgi:application",
                    "-b",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "2",
                    "--worker-class",
                    "gthread",
                    "--threads",
                    "4",
                    "--timeout",
                    "60",
                    "--graceful-timeout",
                    "5",
                    "--error-logfile",
                    "-",
                ],
                cwd=BASE_DIR,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        try:
            _wait_until_serving(url, process, log)
            yield LiveServer(url=url, credentials=credentials, log=log)
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)

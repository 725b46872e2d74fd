"""The portal as real processes, for tests that need it from outside: gunicorn, and the executor.

pytest-django's `live_server` runs in the test process on the test database; another process
cannot see that database's uncommitted test transactions, so each stack gets a database of its own
(`<DATABASE_URL's name>_<suffix>`: created, migrated with `manage.py migrate`, given a CSP with
`manage.py createcsp --json`, dropped at teardown).
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

BASE_DIR = Path(__file__).resolve().parents[1]
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


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_sip_port() -> int:
    """A port free for both UDP and TCP (SIP listens on both)."""
    for _ in range(50):
        port = free_port(socket.SOCK_DGRAM)
        with socket.socket() as tcp:
            try:
                tcp.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no port free for both UDP and TCP")


def listening(port: int) -> bool:
    """Something accepts TCP connections on 127.0.0.1:`port`."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def createcsp(env: dict[str, str], name: str, email: str, password: str | None = None) -> dict[str, str]:
    command = [*MANAGE, "createcsp", "--name", name, "--email", email, "--json"]
    if password:
        command.append(f"--password={password}")
    created = subprocess.run(
        command,
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if created.returncode != 0:
        pytest.fail(f"createcsp failed:\n{created.stderr}")
    return json.loads(created.stdout)


@contextlib.contextmanager
def process(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """Run a command with its output in `log`; terminate it (then kill) on the way out."""
    with open(log, "wb") as log_file:
        proc = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def wait_until(ready, proc: subprocess.Popen, log: Path, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None:
            pytest.fail(f"{what} exited with {proc.returncode}:\n{log.read_text(errors='replace')[-4000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"{what} was not ready within {timeout} s:\n{log.read_text(errors='replace')[-4000:]}")
        time.sleep(0.2)


def _serving(url: str) -> bool:
    try:
        return requests.get(f"{url}/autoattendant/schema/", timeout=20).status_code == 200
    except (requests.ConnectionError, requests.Timeout):
        return False


@contextlib.contextmanager
def gunicorn(env: dict[str, str], log: Path, workers: int = 2, port: int | None = None) -> Iterator[str]:
    """gunicorn on 127.0.0.1:`port` (a free one by default) with `env`; yields its base URL once it serves."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    command = [str(GUNICORN), "portal.wsgi:application", "-b", f"127.0.0.1:{port}", "--workers", str(workers)]
    command += ["--worker-class", "gthread", "--threads", "4", "--timeout", "60", "--graceful-timeout", "5"]
    command += ["--error-logfile", "-"]
    with process(command, env, log) as proc:
        wait_until(lambda: _serving(url), proc, log, "gunicorn")
        yield url


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

"""A second instance of the product as the Restcomm server the `restcomm` backend provisions to, and a
small HTTP front on 127.0.0.1 that stands between them to make that server slow or fail one request.

The peer is real processes on a database of its own (tests/servers.py): gunicorn serving its
Restcomm API, and a CSP made with `createcsp --json`, whose account (accountSid, accountAuthToken)
is the administrator account the backend signs in with.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
import redis
import requests

from tests.calls.conftest import _own_redis_db
from tests.servers import createcsp, gunicorn, throwaway_database


@dataclass
class Peer:
    url: str  # its base URL; its Restcomm API is under url + "/restcomm"
    account_sid: str  # the CSP's account: the backend's administrator account
    auth_token: str
    csp: dict[str, str]  # all createcsp printed
    env: dict[str, str]
    log: Path

    @property
    def restcomm_url(self) -> str:
        return f"{self.url}/restcomm"

    def rows(self, query: str, *params: Any) -> list[tuple]:
        """Rows of the peer's own database (what it holds, whatever its API says)."""
        with psycopg.connect(self.env["DATABASE_URL"]) as connection:
            return connection.execute(query, params).fetchall()

    def accounts(self) -> dict[str, tuple[str, str, str | None]]:
        """Every account below the administrator's: sid -> (friendly name, status, parent sid)."""
        query = """
            SELECT a.sid, a.friendly_name, a.status, p.sid FROM telephony_telephonyaccount a
            LEFT JOIN telephony_telephonyaccount p ON p.id = a.parent_id
            WHERE a.sid <> %s"""
        return {sid: (name, status, parent) for sid, name, status, parent in self.rows(query, self.account_sid)}

    def numbers(self) -> dict[str, tuple[str, str]]:
        """Every IncomingPhoneNumber: number -> (account sid, VoiceUrl)."""
        query = """
            SELECT r.number, a.sid, r.voice_url FROM telephony_numberroute r
            JOIN telephony_telephonyaccount a ON a.id = r.account_id"""
        return {number: (account, url) for number, account, url in self.rows(query)}

    def clients(self) -> dict[str, tuple[str, str]]:
        """Every Client: login -> (account sid, password)."""
        query = """
            SELECT c.login, a.sid, c.password FROM telephony_sipclient c
            JOIN telephony_telephonyaccount a ON a.id = c.account_id"""
        return {login: (account, password) for login, account, password in self.rows(query)}

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


@contextlib.contextmanager
def restcomm_peer(
    workdir: Path, suffix: str, redis_offset: int, extra_env: dict[str, str] | None = None
) -> Iterator[Peer]:
    """The peer's web process on a database and a Redis database of its own."""
    with throwaway_database(suffix) as env:
        env.update(
            {
                "DATA_DIR": str(workdir),
                "SECRET_KEY": f"{suffix}-secret-key-" + os.urandom(8).hex(),
                "REDIS_URL": _own_redis_db(os.environ["REDIS_URL"], redis_offset),
                "CACHE_KEY_PREFIX": f"aa-{suffix}",
                "API_THROTTLE_USER": "1000000/min",
                "API_THROTTLE_ANON": "1000000/min",
                "LOG_LEVEL": "WARNING",
                **(extra_env or {}),
            }
        )
        redis.Redis.from_url(env["REDIS_URL"]).flushdb()
        csp = createcsp(env, f"{suffix} Restcomm CSP", f"admin@{suffix}.test")
        log = workdir / f"{suffix}-gunicorn.log"
        with gunicorn(env, log) as url:
            yield Peer(url, csp["accountSid"], csp["accountAuthToken"], csp, env, log)


class Front:
    """An HTTP server on 127.0.0.1 in front of a target: it forwards each request, or answers a
    request that `fail` picks with a 503 (the target never sees it); with a `delay` it is a slow
    server, answering every request that late, without forwarding it."""

    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.delay = 0.0
        self.fail: Callable[[str, str, int], bool] = lambda method, path, count: False
        self.seen: list[tuple[str, str]] = []
        front = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                front.seen.append((self.command, self.path))
                if front.delay:  # a slow server: it answers late, having done nothing
                    time.sleep(front.delay)
                    self._send(504, b'{"message": "too late"}', "application/json")
                    return
                if front.fail(self.command, self.path, len(front.seen)):
                    self._send(503, b'{"message": "failed by the test front"}', "application/json")
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                try:
                    answer = requests.request(
                        self.command, front.target + self.path, data=body, headers=headers, timeout=30
                    )
                except requests.RequestException:
                    self._send(502, b"", "text/plain")
                    return
                self._send(answer.status_code, answer.content, answer.headers.get("Content-Type", "text/plain"))

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up (timed out) first

            do_GET = do_POST = do_PUT = do_DELETE = _any

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Front:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        self.delay, self.seen = 0.0, []
        self.fail = lambda method, path, count: False

"""The whole product as processes, for calls from a real SIP peer: gunicorn, a Celery worker, the executor.

The executor's SIP edge (SIP_EDGE) is a port where each test that transfers to a client extension
starts a sipp phone: it receives the executor's INVITE for `sip:<login>@<edge>` as a phone behind
the edge would (Kamailio itself, registrations and relaying, is tested in tests/edge).

The stack has a database of its own and a Redis database of its own (so its worker is the only one
that sees its publish tasks). AA systems are set up through the public API as a CSP admin would,
published by the real worker, and called with sipp.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
import requests

from tests.calls.sipp import Sipp
from tests.celery_worker import running_worker
from tests.servers import MANAGE, createcsp, free_sip_port, gunicorn, listening, process, throwaway_database, wait_until

RTP_SPAN = 400


def _own_redis_db(url: str, offset: int = 9) -> str:
    """Another database number of the same Redis: a stack's broker that no other worker reads."""
    parts = urlsplit(url)
    db = int((parts.path or "/0").lstrip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(db + offset) % 16}"))


def _free_rtp_range(shift: int = 0) -> tuple[int, int]:
    """A run of RTP_SPAN ports that is free now (other tests on this machine use ephemeral ports);
    stacks of one test run pass different shifts so that their executors' ranges differ."""
    windows = list(range(15000, 19600 - RTP_SPAN + 1, RTP_SPAN))  # below the ephemeral ports and make run's range
    offset = (os.getpid() + shift) % len(windows)
    for base in windows[offset:] + windows[:offset]:
        try:
            for port in (base, base + RTP_SPAN // 2, base + RTP_SPAN - 1):
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base, base + RTP_SPAN - 1
    raise RuntimeError("no free RTP port range")


def hangup_policies(**overrides) -> dict:
    """An AA system's policies that hang up on a timeout, a wrong key or a wrong extension."""
    hangup = {"actionType": "HANGUP"}
    return {
        "timeoutSeconds": 2,
        "timeoutAction": hangup,
        "timeoutMaxOccurance": 1,
        "invalidInputAction": hangup,
        "invalidInputMaxOccurance": 1,
        "invalidExtensionAction": hangup,
        "invalidExtensionMaxOccurance": 1,
        **overrides,
    }


class Api:
    """The public API as a CSP admin (HTTP Basic), failing loudly on anything but success."""

    def __init__(self, url: str, credentials: dict[str, str]):
        self.url = url
        self.session = requests.Session()
        self.session.auth = (credentials["userSid"], credentials["authToken"])

    def call(self, method: str, path: str, expect: tuple[int, ...] = (200, 201), **kwargs) -> dict:
        response = self.session.request(method, self.url + path, timeout=30, **kwargs)
        assert response.status_code in expect, f"{method} {path}: {response.status_code} {response.text[:2000]}"
        return response.json().get("data") if response.content else {}

    def post(self, path: str, body: dict) -> dict:
        return self.call("POST", path, json=body)

    def put(self, path: str, body: dict) -> dict:
        return self.call("PUT", path, json=body)

    def get(self, path: str, **params) -> dict:
        return self.call("GET", path, params=params)


@dataclass
class CallStack:
    url: str
    api: Api
    sip_port: int
    edge_port: int  # SIP_EDGE: where the executor sends calls to client extensions
    logs: dict[str, Path]
    workdir: Path
    env: dict[str, str]  # the executor's: another executor of the same portal starts with it
    counter: list[int] = field(default_factory=lambda: [0])

    def tail(self, name: str, chars: int = 4000) -> str:
        return self.logs[name].read_text(errors="replace")[-chars:]

    def diagnostics(self) -> str:
        return "\n".join(f"--- {name} ---\n{self.tail(name)}" for name in self.logs)

    def scratch(self, name: str) -> Path:
        self.counter[0] += 1
        path = self.workdir / f"{self.counter[0]:03d}-{name}"
        path.mkdir(parents=True)
        return path

    def at_the_edge(self, name: str, scenario: str, timeout: float = 5.0) -> Sipp:
        """sipp on the SIP_EDGE port, as the phone (or the edge's refusal) the next client dial reaches."""
        phone = Sipp(self.scratch(name), scenario, self.sip_port, sip_port=self.edge_port, extra=("-rtp_echo",))
        phone.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                try:
                    probe.bind(("127.0.0.1", self.edge_port))
                except OSError:
                    return phone  # bound by sipp
            assert phone.process is not None and phone.process.poll() is None, phone.wait().output
            time.sleep(0.05)
        pytest.fail(f"sipp did not bind the edge's port {self.edge_port}")

    def wait_published(self, system_sid: str, timeout: float = 60.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            system = self.api.get(f"/autoattendant/system/search/{system_sid}")
            if system.get("publishStatus") == "PUBLISHED" and system.get("publishedVersion"):
                return system
            if system.get("publishStatus") == "FAILED":
                pytest.fail(f"publish failed: {system.get('publishError')}")
            if time.monotonic() > deadline:
                pytest.fail(f"not published in {timeout} s: {system}\n{self.diagnostics()}")
            time.sleep(0.3)

    def calls(self, **params) -> list[dict]:
        return self.api.get("/autoattendant/call/search", **params)["result"]

    def call_record(self, caller: str, timeout: float = 15.0) -> dict:
        """The call record of the (one) call from `caller`, once the executor has reported its end
        (the portal records it IN_PROGRESS from its entry document on)."""
        deadline = time.monotonic() + timeout
        while True:
            records = [r for r in self.calls(number=caller, pageSize=50) if r["from"] == caller]
            if records and records[0]["outcome"] != "IN_PROGRESS":
                return records[0]
            if time.monotonic() > deadline:
                pytest.fail(f"no call record from {caller}\n{self.diagnostics()}")
            time.sleep(0.3)


@pytest.fixture(scope="session")
def call_stack(tmp_path_factory) -> Iterator[CallStack]:
    workdir = tmp_path_factory.mktemp("calls")
    with throwaway_database("calls") as env:
        env.update(
            {
                "DATA_DIR": str(workdir),
                "SECRET_KEY": "calls-test-secret-key-" + os.urandom(8).hex(),
                "REDIS_URL": _own_redis_db(os.environ["REDIS_URL"]),
                "CACHE_KEY_PREFIX": "aa-calls",
                "API_THROTTLE_USER": "1000000/min",
                "API_THROTTLE_ANON": "1000000/min",
                "LOG_LEVEL": "WARNING",
                # The tests' RCML applications are servers on 127.0.0.1, which the fetch policy refuses
                # by default (tests/calls/test_rcml_apps.py starts an executor of its own without this).
                "RCML_FETCH_ALLOW": "127.0.0.1",
            }
        )
        redis.Redis.from_url(env["REDIS_URL"]).flushdb()
        credentials = createcsp(env, "Calls CSP", "admin@calls.test")
        logs = {name: workdir / f"{name}.log" for name in ("gunicorn", "worker", "executor")}
        with gunicorn(env, logs["gunicorn"]) as url, running_worker("calls", logs["worker"], env):
            sip_port, edge_port = free_sip_port(), free_sip_port()
            rtp_min, rtp_max = _free_rtp_range()
            executor_env = {
                **env,
                "EXECUTOR_PORTAL_URL": url,
                "EXECUTOR_SIP_PORT": str(sip_port),
                "SIP_EDGE": f"127.0.0.1:{edge_port}",
                "RTP_PORT_MIN": str(rtp_min),
                "RTP_PORT_MAX": str(rtp_max),
                "SIP_NO_ACK_TIMEOUT": "3",
                "RTP_TIMEOUT": "20",
                "EXECUTOR_DRAIN_SECONDS": "2",
                "LOG_LEVEL": "INFO",
            }
            command = [*MANAGE, "run_executor", "-v", "2"]
            with process(command, executor_env, logs["executor"]) as executor:
                wait_until(lambda: listening(sip_port), executor, logs["executor"], "the executor")
                yield CallStack(url, Api(url, credentials), sip_port, edge_port, logs, workdir, executor_env)

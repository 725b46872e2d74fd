"""The product behind its SIP edge, as processes: gunicorn, a Celery worker, Kamailio (rendered from the
settings by `manage.py run_edge`, on free ports) and two executors registered with its dispatcher by
`manage.py executors add`. Callers and phones are sipp, or single UDP requests (tests/edge/sip.py).

The edge's limits are low here (a few REGISTERs a second, 5 wrong passwords) so that tests reach
them quickly; the sources that get banned are 127.0.0.2 and up, never 127.0.0.1, which every other
test uses.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
import redis

from tests.calls.conftest import RTP_SPAN, Api, _free_rtp_range, _own_redis_db
from tests.calls.sipp import Sipp, burst
from tests.celery_worker import running_worker
from tests.faults.conftest import publish_front_desk
from tests.servers import BASE_DIR, MANAGE, createcsp, free_sip_port, gunicorn, listening, throwaway_database

AA_NUMBER = "+15550003000"
PHONE = ("dave301", "dave-secret-301")  # a client extension that registers through the edge
TRANSFER_NUMBER = "+15550003001"  # key 1 transfers to TRANSFER_PHONE
TRANSFER_PHONE = ("erin302", "erin-secret-302")
AUTH_FAILURES = 5
REGISTER_DENSITY = 10  # REGISTERs per 2 s from one address
BAN_SECONDS = 60
KAMAILIO = Path("/usr/sbin/kamailio")


@dataclass
class Executor:
    name: str
    port: int
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"sip:127.0.0.1:{self.port}"

    def start(self) -> None:
        log = open(self.log, "ab")  # noqa: SIM115 (the child keeps it)
        with log:
            command = [*MANAGE, "run_executor", "-v", "2"]
            self.process = subprocess.Popen(command, cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not listening(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"executor {self.name} did not start:\n{self.log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)

    def stop(self, signum: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signum)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class EdgeStack:
    url: str
    api: Api
    sip_port: int  # Kamailio's: what callers and phones use
    env: dict[str, str]  # the portal's (manage.py commands see the same database and run directory)
    workdir: Path
    logs: dict[str, Path]
    executors: list[Executor]
    enterprise: str = ""  # the front desk's
    counter: list[int] = field(default_factory=lambda: [0])

    def diagnostics(self) -> str:
        paths = {**self.logs, **{e.name: e.log for e in self.executors}}
        return "\n".join(f"--- {name} ---\n{path.read_text(errors='replace')[-3000:]}" for name, path in paths.items())

    def scratch(self, name: str) -> Path:
        self.counter[0] += 1
        return self.workdir / f"{self.counter[0]:03d}-{name}"

    def manage(self, *args: str) -> str:
        done = subprocess.run([*MANAGE, *args], cwd=BASE_DIR, env=self.env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"manage.py {' '.join(args)}: {done.stdout}\n{done.stderr}"
        return done.stdout

    def states(self) -> dict[str, str]:
        """Each executor's state in the running Kamailio (from `manage.py executors list`): A active, I inactive."""
        listing = self.manage("executors", "list")
        return {line.split("\t")[0]: line.split("\t")[3] for line in listing.splitlines() if line.startswith("sip:")}

    def wait_state(self, executor: Executor, active: bool, timeout: float = 10.0) -> float:
        """Seconds until the dispatcher has `executor` active (or inactive)."""
        started = time.monotonic()
        while True:
            state = self.states().get(executor.uri, "")
            if state.startswith("A") == active:
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                pytest.fail(f"{executor.uri} still {state!r} after {timeout} s\n{self.diagnostics()}")
            time.sleep(0.2)

    def calls(self, count: int, rate: float, hold_ms: int, caller_number: str) -> Sipp:
        return burst(self.scratch("calls"), self.sip_port, AA_NUMBER.lstrip("+"), count, rate, hold_ms, caller_number)

    def bindings(self, login: str) -> list[tuple]:
        with psycopg.connect(self.env["DATABASE_URL"]) as connection:
            query = "SELECT contact, received, user_agent, expires FROM sip_edge_location WHERE username = %s"
            return connection.execute(query, (login,)).fetchall()


def answered_by(sipp: Sipp) -> dict[str, int]:
    """Call-ID -> the port of the executor that answered the call (the Contact of its 200 to the INVITE)."""
    found = {}
    for message in sipp.messages().split("-----------------------------------------------"):
        if "SIP/2.0 200" in message and re.search(r"^CSeq: *1 INVITE", message, re.MULTILINE):
            call_id = re.search(r"^Call-ID: *(\S+)", message, re.MULTILINE | re.IGNORECASE)
            contact = re.search(r"^Contact: *<?sip:[^>]*@?127\.0\.0\.1:(\d+)", message, re.MULTILINE | re.IGNORECASE)
            if call_id and contact:
                found[call_id.group(1)] = int(contact.group(1))
    return found


@pytest.fixture(scope="package")
def edge_stack(tmp_path_factory) -> Iterator[EdgeStack]:
    if not KAMAILIO.exists():
        pytest.fail(f"{KAMAILIO} is missing: scripts/system-deps.sh installs Kamailio")
    workdir = tmp_path_factory.mktemp("edge")
    with throwaway_database("edge") as env:
        edge_port = free_sip_port()
        env.update(
            {
                "DATA_DIR": str(workdir),
                "SECRET_KEY": "edge-test-secret-key-" + os.urandom(8).hex(),
                "REDIS_URL": _own_redis_db(os.environ["REDIS_URL"], 11),
                "CACHE_KEY_PREFIX": "aa-edge",
                "API_THROTTLE_USER": "1000000/min",
                "API_THROTTLE_ANON": "1000000/min",
                "LOG_LEVEL": "WARNING",
                "SIP_PORT": str(edge_port),
                "SIP_EDGE_RUN_DIR": str(workdir / "kamailio"),
                "SIP_EDGE_PING_SECONDS": "1",
                "SIP_EDGE_EXECUTOR_TIMEOUT_MS": "1000",
                "SIP_EDGE_REGISTER_DENSITY": str(REGISTER_DENSITY),
                "SIP_EDGE_AUTH_FAILURES": str(AUTH_FAILURES),
                "SIP_EDGE_BAN_SECONDS": str(BAN_SECONDS),
                # Calls to numbers with no gateway (tests/edge/test_trunks.py plays both proxies).
                "SIP_OUTBOUND_PROXY": f"127.0.0.1:{free_sip_port()}",
                "SIP_OUTBOUND_PROXY_FALLBACK": f"127.0.0.1:{free_sip_port()}",
            }
        )
        redis.Redis.from_url(env["REDIS_URL"]).flushdb()
        credentials = createcsp(env, "Edge CSP", "admin@edge.test")
        logs = {name: workdir / f"{name}.log" for name in ("gunicorn", "worker", "kamailio")}
        with gunicorn(env, logs["gunicorn"]) as url, running_worker("edge", logs["worker"], env):
            rtp_min, _ = _free_rtp_range(shift=3)
            executors = []
            for i in (1, 2):
                port = free_sip_port()
                low = rtp_min + (i - 1) * RTP_SPAN // 2
                executor_env = {
                    **env,
                    "EXECUTOR_PORTAL_URL": url,
                    "EXECUTOR_SIP_PORT": str(port),
                    "SIP_EDGE": f"127.0.0.1:{edge_port}",
                    "RTP_PORT_MIN": str(low),
                    "RTP_PORT_MAX": str(low + RTP_SPAN // 2 - 1),
                    "SIP_NO_ACK_TIMEOUT": "3",
                    "EXECUTOR_DRAIN_SECONDS": "8",
                    "LOG_LEVEL": "INFO",
                }
                executors.append(Executor(f"executor-{i}", port, executor_env, workdir / f"executor-{i}.log"))
            stack = EdgeStack(url, Api(url, credentials), edge_port, env, workdir, logs, executors)
            with open(logs["kamailio"], "wb") as log:
                kamailio = subprocess.Popen(
                    [*MANAGE, "run_edge"], cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
                )
            try:
                deadline = time.monotonic() + 30
                while not listening(edge_port):
                    if kamailio.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(f"Kamailio did not start:\n{logs['kamailio'].read_text(errors='replace')}")
                    time.sleep(0.2)
                for executor in executors:
                    executor.start()
                    stack.manage("executors", "add", executor.uri)
                for executor in executors:
                    stack.wait_state(executor, active=True)
                stack.enterprise = publish_front_desk(stack.api, AA_NUMBER, stack.diagnostics)
                yield stack
            finally:
                for executor in executors:
                    executor.stop()
                kamailio.terminate()
                try:
                    kamailio.wait(20)
                except subprocess.TimeoutExpired:
                    kamailio.kill()
                    kamailio.wait()


def client_extension(stack: EdgeStack, login: str, password: str, extension: str) -> str:
    """A client extension of the front desk's enterprise; the sid of its number."""
    body = {"number": login, "enterpriseSid": stack.enterprise, "isExtension": True, "extension": extension}
    body.update(extensionType="client", extensionClientPassword=password)
    return stack.api.post("/autoattendant/phonenumber", body)["sid"]


@pytest.fixture(scope="package")
def phone(edge_stack) -> tuple[str, str]:
    """A client extension that registers through the edge: its SIP login and password."""
    client_extension(edge_stack, *PHONE, "301")
    return PHONE


@pytest.fixture(scope="package")
def transfer_desk(edge_stack) -> str:
    """An AA number whose key 1 transfers to a client extension (TRANSFER_PHONE); the number dialled."""
    sid = client_extension(edge_stack, *TRANSFER_PHONE, "302")
    transfer = {"actionType": "TRANSFER_TO_EXTENSION", "actionData": sid}
    api, diagnostics = edge_stack.api, edge_stack.diagnostics
    publish_front_desk(api, TRANSFER_NUMBER, diagnostics, edge_stack.enterprise, transfer, (sid,))
    return TRANSFER_NUMBER.lstrip("+")

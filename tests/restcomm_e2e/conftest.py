"""Two instances of the product, each real processes on a database of its own:

- the server (the Restcomm server): gunicorn serving its Restcomm API, its Kamailio edge and one
  executor behind it; its RCML_FETCH_ALLOW lets the executor fetch from the portal's port;
- the portal: gunicorn and a Celery worker with PROVISIONING_BACKEND=restcomm pointed at the server,
  whose administrator account is a CSP's account on the server (`createcsp --json` there); the
  portal's own CSP (`createcsp` here) gets its account on the server through the backend.

A CSP admin provisions on the portal through its CSP API; callers and phones are sipp at the
server's edge.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis

from tests.calls.conftest import RTP_SPAN, Api, _free_rtp_range, _own_redis_db
from tests.celery_worker import running_worker
from tests.edge.conftest import KAMAILIO, Executor
from tests.restcomm_e2e.peer import Peer
from tests.servers import BASE_DIR, MANAGE, createcsp, free_port, free_sip_port, gunicorn, listening, throwaway_database


@dataclass
class Pair:
    server: Peer  # the Restcomm server: its web process, database and CSP account
    sip_port: int  # the server's edge: where callers and phones go
    executor: Executor
    portal_url: str
    portal_env: dict[str, str]
    api: Api  # the portal's CSP API, as its CSP admin
    portal_csp: dict[str, str]  # what `createcsp --json` printed on the portal
    workdir: Path
    logs: dict[str, Path]
    counter: list[int] = field(default_factory=lambda: [0])

    def diagnostics(self) -> str:
        paths = {**self.logs, "executor": self.executor.log}
        return "\n".join(f"--- {name} ---\n{path.read_text(errors='replace')[-3000:]}" for name, path in paths.items())

    def scratch(self, name: str) -> Path:
        self.counter[0] += 1
        return self.workdir / f"{self.counter[0]:03d}-{name}"

    def manage_server(self, *args: str) -> str:
        done = subprocess.run(
            [*MANAGE, *args], cwd=BASE_DIR, env=self.server.env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, f"manage.py {' '.join(args)}: {done.stdout}\n{done.stderr}"
        return done.stdout

    def manage_portal(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*MANAGE, *args], cwd=BASE_DIR, env=self.portal_env, capture_output=True, text=True, timeout=120
        )

    def portal_rows(self, query: str, *params) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.portal_env["DATABASE_URL"]) as connection:
            return connection.execute(query, params).fetchall()


def _wait_active(pair_env: dict[str, str], uri: str, log: Path, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        listing = subprocess.run(
            [*MANAGE, "executors", "list"], cwd=BASE_DIR, env=pair_env, capture_output=True, text=True, timeout=60
        ).stdout
        states = {line.split("\t")[0]: line.split("\t")[3] for line in listing.splitlines() if line.startswith("sip:")}
        if states.get(uri, "").startswith("A"):
            return
        if time.monotonic() > deadline:
            pytest.fail(f"{uri} not active at the edge: {listing}\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.3)


@pytest.fixture(scope="package")
def pair(tmp_path_factory) -> Iterator[Pair]:
    if not KAMAILIO.exists():
        pytest.fail(f"{KAMAILIO} is missing: scripts/system-deps.sh installs Kamailio")
    workdir = tmp_path_factory.mktemp("rce2e")
    portal_port, edge_port = free_port(), free_sip_port()
    logs = {name: workdir / f"{name}.log" for name in ("server", "kamailio", "portal", "portal-worker")}
    server_dir, portal_dir = workdir / "server", workdir / "portal"
    server_dir.mkdir()
    portal_dir.mkdir()
    with throwaway_database("rcserver") as server_env, throwaway_database("rcportal") as portal_env:
        server_env.update(
            {
                "DATA_DIR": str(server_dir),
                "SECRET_KEY": "rc-server-secret-key-" + os.urandom(8).hex(),
                "REDIS_URL": _own_redis_db(os.environ["REDIS_URL"], 13),
                "CACHE_KEY_PREFIX": "aa-rcserver",
                "API_THROTTLE_USER": "1000000/min",
                "API_THROTTLE_ANON": "1000000/min",
                "LOG_LEVEL": "WARNING",
                "SIP_PORT": str(edge_port),
                "SIP_EDGE_RUN_DIR": str(server_dir / "kamailio"),
                "SIP_EDGE_PING_SECONDS": "1",
                "RCML_FETCH_ALLOW": f"127.0.0.1:{portal_port}",
            }
        )
        redis.Redis.from_url(server_env["REDIS_URL"]).flushdb()
        server_csp = createcsp(server_env, "Server CSP", "admin@rcserver.test")
        with gunicorn(server_env, logs["server"]) as server_url:
            server = Peer(
                server_url,
                server_csp["accountSid"],
                server_csp["accountAuthToken"],
                server_csp,
                server_env,
                logs["server"],
            )
            portal_env.update(
                {
                    "DATA_DIR": str(portal_dir),
                    "SECRET_KEY": "rc-portal-secret-key-" + os.urandom(8).hex(),
                    "REDIS_URL": _own_redis_db(os.environ["REDIS_URL"], 14),
                    "CACHE_KEY_PREFIX": "aa-rcportal",
                    "API_THROTTLE_USER": "1000000/min",
                    "API_THROTTLE_ANON": "1000000/min",
                    "LOG_LEVEL": "WARNING",
                    "PROVISIONING_BACKEND": "restcomm",
                    "RESTCOMM_URL": f"{server_url}/restcomm",
                    "RESTCOMM_ACCOUNT_SID": server.account_sid,
                    "RESTCOMM_AUTH_TOKEN": server.auth_token,
                    "RESTCOMM_TIMEOUT": "5",
                    "RCML_PUBLIC_URL": f"http://127.0.0.1:{portal_port}",
                }
            )
            redis.Redis.from_url(portal_env["REDIS_URL"]).flushdb()
            portal_csp = createcsp(portal_env, "Portal CSP", "admin@rcportal.test")
            with (
                gunicorn(portal_env, logs["portal"], port=portal_port) as portal_url,
                running_worker("rcportal", logs["portal-worker"], portal_env),
            ):
                rtp_min, _ = _free_rtp_range(shift=5)
                port = free_sip_port()
                executor_env = {
                    **server_env,
                    "EXECUTOR_PORTAL_URL": server_url,
                    "EXECUTOR_SIP_PORT": str(port),
                    "SIP_EDGE": f"127.0.0.1:{edge_port}",
                    "RTP_PORT_MIN": str(rtp_min),
                    "RTP_PORT_MAX": str(rtp_min + RTP_SPAN - 1),
                    "SIP_NO_ACK_TIMEOUT": "3",
                    "EXECUTOR_DRAIN_SECONDS": "2",
                    "LOG_LEVEL": "INFO",
                }
                executor = Executor("executor", port, executor_env, workdir / "executor.log")
                with open(logs["kamailio"], "wb") as log:
                    kamailio = subprocess.Popen(
                        [*MANAGE, "run_edge"], cwd=BASE_DIR, env=server_env, stdout=log, stderr=subprocess.STDOUT
                    )
                try:
                    deadline = time.monotonic() + 30
                    while not listening(edge_port):
                        if kamailio.poll() is not None or time.monotonic() > deadline:
                            pytest.fail(f"Kamailio did not start:\n{logs['kamailio'].read_text(errors='replace')}")
                        time.sleep(0.2)
                    executor.start()
                    subprocess.run(
                        [*MANAGE, "executors", "add", executor.uri],
                        cwd=BASE_DIR,
                        env=server_env,
                        check=True,
                        timeout=60,
                    )
                    _wait_active(server_env, executor.uri, executor.log)
                    api = Api(portal_url, portal_csp)
                    yield Pair(server, edge_port, executor, portal_url, portal_env, api, portal_csp, workdir, logs)
                finally:
                    executor.stop()
                    kamailio.terminate()
                    try:
                        kamailio.wait(20)
                    except subprocess.TimeoutExpired:
                        kamailio.kill()
                        kamailio.wait()

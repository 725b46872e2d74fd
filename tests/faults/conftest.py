"""The whole product as `make run` starts it (`python -m portal.run`: supervisord, embedded
PostgreSQL and Redis), with an AA number published, for tests that break a part of it under calls.

One product serves the package: each test breaks one part and checks that it came back.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xmlrpc.client
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests
from supervisor.xmlrpc import SupervisorTransport

from tests.calls.conftest import Api, hangup_policies
from tests.calls.sipp import Load, Sipp, burst, load
from tests.servers import free_port, free_sip_port

BASE_DIR = Path(__file__).resolve().parents[2]
AA_NUMBER = "+15550002000"
START_TIMEOUT = 180.0  # seconds for initdb, migrations and the first healthy /healthz
RTP_PORTS = ("19600", "19999")  # below make run's own range (20000-29999) and the call tests' windows


class Product:
    def __init__(self, data_dir: Path, http_port: int, sip_port: int, log: Path):
        self.data_dir = data_dir
        self.url = f"http://127.0.0.1:{http_port}"
        self.sip_port = sip_port
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.api: Api | None = None
        self.runs = 0
        self.env: dict[str, str] = {}

    def rpc(self) -> Any:
        transport = SupervisorTransport(None, None, f"unix://{self.data_dir / 'supervisor.sock'}")
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport).supervisor

    def program(self, name: str) -> dict[str, Any]:
        return self.rpc().getProcessInfo(name)

    def healthz(self) -> int | None:
        try:
            return requests.get(f"{self.url}/healthz", timeout=5).status_code
        except requests.RequestException:
            return None

    def tail(self, chars: int = 6000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def wait_serving(self, program: str, old_pid: int, bound: float) -> float:
        """Seconds until `program` runs as a new process and /healthz answers 200; fails after `bound`."""
        started = time.monotonic()
        while True:
            info = self.program(program)
            if info["pid"] not in (0, old_pid) and info["statename"] == "RUNNING" and self.healthz() == 200:
                return time.monotonic() - started
            if time.monotonic() - started > bound:
                pytest.fail(f"{program} not serving again within {bound} s: {info}\n{self.tail()}")
            time.sleep(0.2)

    def calls(self, count: int, rate: float, hold_ms: int = 1000) -> Sipp:
        """Start `count` calls at `rate` per second (each waits `hold_ms`, then hangs up); see `load`."""
        self.runs += 1
        workdir = self.data_dir / "sipp" / f"{self.runs:02d}"
        return burst(workdir, self.sip_port, AA_NUMBER.lstrip("+"), count, rate, hold_ms, f"1555300{self.runs:04d}")

    @staticmethod
    def load(started: Sipp) -> Load:
        return load(started)


def _environment(data_dir: Path, http_port: int, sip_port: int) -> dict[str, str]:
    """make run's environment: no DATABASE_URL / REDIS_URL, so the embedded servers run."""
    drop = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "CACHE_KEY_PREFIX"}
    env = {key: value for key, value in os.environ.items() if key not in drop}
    env.update(
        {
            "DATA_DIR": str(data_dir),
            "PORTAL_HTTP_PORT": str(http_port),
            "SIP_PORT": str(sip_port),
            "EXECUTOR_SIP_PORT": str(free_sip_port()),
            "RTP_PORT_MIN": RTP_PORTS[0],
            "RTP_PORT_MAX": RTP_PORTS[1],
            "API_THROTTLE_USER": "1000000/min",
            "API_THROTTLE_ANON": "1000000/min",
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def publish_front_desk(
    api: Api,
    number: str,
    diagnostics: Callable[[], str],
    enterprise: str = "",
    key_1: dict | None = None,
    extensions: tuple[str, ...] = (),
) -> str:
    """An AA number and an active system whose menu waits for a key (1: `key_1`, hang up by default):
    what calls dial. In a new enterprise unless one is given; its sid is returned. `extensions`:
    the sids of the enterprise's extension numbers the system serves."""
    if not enterprise:
        admin = {"emailId": "bg@faults.test", "password": "bg-pass-1234"}
        enterprise = api.post("/autoattendant/enterprise", {"name": "Faults Inc", "enterpriseAdmin": admin})["sid"]
    aa_number = api.post(
        "/autoattendant/phonenumber", {"number": number, "enterpriseSid": enterprise, "isExtension": False}
    )["sid"]
    policies = hangup_policies(timeoutSeconds=5)
    body = {"name": f"Desk {number}", "status": "ACTIVE", "timezoneId": "UTC", "enterpriseSid": enterprise}
    body.update(aaNumbers=[aa_number], extensions=list(extensions), **policies)
    system = api.post("/autoattendant/system", body)["sid"]
    option = {"key": "1", **(key_1 or {"actionType": "HANGUP"})}
    menu = api.post("/autoattendant/menu", {"name": "Main", "autoAttendantSid": system, "options": [option]})["sid"]
    api.put(f"/autoattendant/system/{system}", {"defaultMenuSid": menu})
    deadline = time.monotonic() + 60
    while api.get(f"/autoattendant/system/search/{system}").get("publishStatus") != "PUBLISHED":
        if time.monotonic() > deadline:
            pytest.fail(f"not published in 60 s\n{diagnostics()}")
        time.sleep(0.3)
    return enterprise


@pytest.fixture(scope="package")
def product() -> Iterator[Product]:
    # A short DATA_DIR: the unix sockets under it must fit in 107 bytes.
    data_dir = Path(tempfile.mkdtemp(prefix="aaf-", dir="/tmp"))
    http_port, sip_port = free_port(), free_sip_port()
    product = Product(data_dir, http_port, sip_port, data_dir / "run.out")
    product.env = _environment(data_dir, http_port, sip_port)
    # Append: the programs write to this file through /dev/stdout with offsets of their own.
    with open(product.log, "ab") as out:
        product.process = subprocess.Popen(
            [sys.executable, "-m", "portal.run"],
            cwd=BASE_DIR,
            env=product.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while product.healthz() != 200:
            if product.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"make run did not become healthy\n{product.tail()}")
            time.sleep(0.5)
        product.api = Api(product.url, json.loads((data_dir / "demo.json").read_text()))
        publish_front_desk(product.api, AA_NUMBER, product.tail)
        yield product
    finally:
        product.process.send_signal(signal.SIGTERM)
        try:
            status = product.process.wait(120)
        except subprocess.TimeoutExpired:
            product.process.kill()
            status = product.process.wait()
        print(f"make run stopped with status {status}")
        left = _processes_of(data_dir)
        tail = product.tail(200_000)
        stops = re.findall(r"INFO stopped: ([\w-]+)", tail.split("received SIGTERM")[-1])
        shutil.rmtree(data_dir, ignore_errors=True)
        assert status == 0, "SIGTERM of make run is its normal way out"
        assert not left, f"outlived make run: {left}"
        expected = ["executor-1", "kamailio", "calls", "web", "beat", "worker"]
        assert stops[:6] == expected, f"stopped in this order: {stops}\n{tail[-3000:]}"
        assert sorted(stops[6:]) == ["postgres", "redis"], f"stopped in this order: {stops}"


def _processes_of(data_dir: Path) -> list[str]:
    """Processes still running with this DATA_DIR in their command line or environment."""
    found = []
    for proc in psutil.process_iter(["pid", "cmdline", "environ"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if str(data_dir) in cmdline or (proc.info["environ"] or {}).get("DATA_DIR") == str(data_dir):
            found.append(f"{proc.info['pid']} {cmdline[:200]}")
    return found

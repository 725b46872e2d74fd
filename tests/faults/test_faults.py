"""Break one part of the running product during calls; it must come back on its own.

Each test drives calls through sipp at RATE per second for LOAD_SECONDS, breaks a part FAULT_AT
seconds in, and asserts:
- supervisord started the part again, and /healthz answered 200, within RECOVERY_BOUND seconds;
- once back, a burst of calls all succeed (nothing is left broken until someone restarts it);
- the calls that failed during the fault are counted (printed) and at most those that were in
  progress or started before it was serving again (RATE calls a second, plus the calls in progress).

Before supervisord, any of these faults stopped the whole product: every later call failed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

from tests.faults.conftest import BASE_DIR, Product
from tests.servers import free_port, free_sip_port

RATE = 3.0  # calls a second
LOAD_SECONDS = 15
FAULT_AT = 3.0  # seconds into the load
RECOVERY_BOUND = 15.0  # seconds from the fault to a new process and a healthy /healthz
CALL_SECONDS = 1.0  # each call holds this long, then hangs up


def under_load(product: Product, program: str, fault: Callable[[int], None]) -> None:
    old_pid = product.program(program)["pid"]
    running = product.calls(int(RATE * LOAD_SECONDS), RATE, hold_ms=int(CALL_SECONDS * 1000))
    time.sleep(FAULT_AT)
    fault(old_pid)
    recovered = product.wait_serving(program, old_pid, RECOVERY_BOUND)
    during = product.load(running)
    after = product.load(product.calls(6, RATE))
    print(
        f"\n{program}: serving again after {recovered:.1f} s; during the fault {during.failed} of "
        f"{during.created} calls failed; after it {after.succeeded} of {after.created} succeeded"
    )
    assert after.created == 6 and after.succeeded == 6, f"calls fail after the fault\n{product.tail()}"
    # Calls in progress at the fault (RATE * CALL_SECONDS, plus sipp's 8 s answer timeout for those
    # that were waiting) and those that started until the part was back may fail, no more.
    in_progress = RATE * (CALL_SECONDS + 1)
    assert during.failed <= in_progress + RATE * recovered + RATE, (during, recovered)


def test_a_second_make_run_on_the_same_data_dir_is_refused(product):
    env = {**product.env, "PORTAL_HTTP_PORT": str(free_port()), "SIP_PORT": str(free_sip_port())}
    second = subprocess.run(
        [sys.executable, "-m", "portal.run"], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert second.returncode == 1
    assert "another `make run` is already using DATA_DIR" in second.stderr
    assert product.healthz() == 200


def test_redis_paused_then_killed_is_restarted(product):
    def fault(pid: int) -> None:
        os.kill(pid, signal.SIGSTOP)  # hangs every client, as a stuck server does
        time.sleep(2)
        os.kill(pid, signal.SIGKILL)

    under_load(product, "redis", fault)


def test_killed_worker_is_restarted(product):
    under_load(product, "worker", lambda pid: os.killpg(pid, signal.SIGKILL))


def test_killed_executor_is_restarted(product):
    under_load(product, "executor-1", lambda pid: os.kill(pid, signal.SIGKILL))


def test_killed_sip_edge_is_restarted(product):
    under_load(product, "kamailio", lambda pid: os.kill(pid, signal.SIGKILL))


def test_postgresql_restart(product):
    def fault(pid: int) -> None:
        product.rpc().stopProcess("postgres")
        product.rpc().startProcess("postgres")

    under_load(product, "postgres", fault)

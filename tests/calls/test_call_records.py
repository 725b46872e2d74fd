"""Call records with real processes: a call is in the records from the moment the portal serves its
entry document (queued, and stored by the worker within seconds), so an executor killed with SIGKILL
loses none; calls that never had an AA system are counted by the executor, not stored.

The stack is tests/calls/conftest.py's (gunicorn, a Celery worker, an executor); the executors here
are more of the same portal's, started and killed by each test.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from tests.calls.conftest import hangup_policies
from tests.calls.sipp import Sipp, caller
from tests.calls.test_calls import _number, dial
from tests.servers import BASE_DIR, MANAGE, free_sip_port, listening, process, wait_until

AA_NUMBER = "+15550004000"
UNKNOWN_NUMBER = "15550007777"  # in no AA system


@dataclass
class Desk:
    enterprise_sid: str
    system_sid: str
    main_menu: str


@pytest.fixture(scope="module")
def desk(call_stack) -> Desk:
    """An AA system of its own: a main menu that waits for a key (no greeting to render)."""
    api = call_stack.api
    enterprise = api.post(
        "/autoattendant/enterprise",
        {"name": "Records Inc", "enterpriseAdmin": {"emailId": "bg@records.test", "password": "bg-pass-1234"}},
    )["sid"]
    aa = _number(api, enterprise, AA_NUMBER)
    system = api.post(
        "/autoattendant/system",
        {
            "name": "Desk",
            "status": "ACTIVE",
            "timezoneId": "UTC",
            "enterpriseSid": enterprise,
            "aaNumbers": [aa],
            **hangup_policies(timeoutSeconds=5),
        },
    )["sid"]
    options = [{"key": "9", "actionType": "HANGUP"}]
    main = api.post("/autoattendant/menu", {"name": "Main", "autoAttendantSid": system, "options": options})["sid"]
    api.put(f"/autoattendant/system/{system}", {"defaultMenuSid": main})
    call_stack.wait_published(system)
    return Desk(enterprise, system, main)


def executor_env(call_stack, rtp_base: int) -> dict[str, str]:
    env = {**call_stack.env, "EXECUTOR_SIP_PORT": str(free_sip_port())}
    env.update(RTP_PORT_MIN=str(rtp_base), RTP_PORT_MAX=str(rtp_base + 99))
    return env


def stored_rows(call_stack) -> int:
    """Every call record row of the stack's database, whoever's (the API shows only a tenant's)."""
    with psycopg.connect(call_stack.env["DATABASE_URL"]) as connection:
        return connection.execute("SELECT count(*) FROM telephony_callrecord").fetchone()[0]


def metrics(executor: subprocess.Popen, log: Path, timeout: float = 10.0) -> dict:
    """The executor's metrics line, asked for with SIGUSR1."""
    seen = len(re.findall(r"executor metrics: ", log.read_text(errors="replace")))
    executor.send_signal(signal.SIGUSR1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.findall(r"executor metrics: (\{.*\})", log.read_text(errors="replace"))
        if len(found) > seen:
            return json.loads(found[-1])
        time.sleep(0.1)
    pytest.fail(f"no metrics line:\n{log.read_text(errors='replace')[-4000:]}")


def close_lost_calls(call_stack, after_seconds: int) -> int:
    """The periodic task's work, run once against the stack's database with a short timeout."""
    code = "from autoattendant.tasks import close_lost_calls; print(close_lost_calls())"
    env = {**call_stack.env, "CALL_LOST_AFTER_SECONDS": str(after_seconds), "LOG_LEVEL": "ERROR"}
    done = subprocess.run(
        [*MANAGE, "shell", "-c", code], env=env, cwd=BASE_DIR, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout.strip().splitlines()[-1])


def test_a_call_outlives_its_executor_in_the_records_and_is_closed_as_lost(call_stack, desk, tmp_path):
    env = executor_env(call_stack, 19800)
    log = tmp_path / "executor.log"
    number = "15551110020"
    with process([*MANAGE, "run_executor"], env, log) as executor:
        wait_until(lambda: listening(int(env["EXECUTOR_SIP_PORT"])), executor, log, "the executor")
        call = Sipp(
            tmp_path / "call",
            caller([("wait", 30000)], caller_number=number),
            int(env["EXECUTOR_SIP_PORT"]),
            service=AA_NUMBER.lstrip("+"),
            timeout=40,
        ).start()
        try:
            assert call.wait_for_message("SIP/2.0 200 OK", 10), call.messages()
            executor.send_signal(signal.SIGKILL)  # as the OOM killer would: nothing is flushed
            assert executor.wait(timeout=10) == -signal.SIGKILL
        finally:
            call.process.kill()
            call.wait()

    # The portal queued the call's start when it served the entry document: it is stored within
    # seconds, in progress.
    deadline = time.monotonic() + 5
    while not (records := call_stack.calls(number=number, pageSize=50)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(records) == 1, records
    record = records[0]
    assert (record["outcome"], record["endTime"], record["aaSystemSid"]) == ("IN_PROGRESS", None, desk.system_sid)
    assert record["callSid"].startswith("CA") and record["sipCallId"] and record["sipCallId"] != record["callSid"]
    assert record["enterpriseSid"] == desk.enterprise_sid

    # Nobody will report its end: the close task marks it lost, once.
    time.sleep(1.1)
    assert close_lost_calls(call_stack, after_seconds=1) >= 1
    records = call_stack.calls(number=number, pageSize=50)
    assert len(records) == 1, records
    assert records[0]["outcome"] == "LOST" and "No end reported" in records[0]["hangupCause"]
    assert close_lost_calls(call_stack, after_seconds=1) == 0


def test_a_normal_call_has_one_complete_record(call_stack, desk):
    number = "15551110021"
    dial(call_stack, "normal", caller([("wait", 800)], end="our-bye", caller_number=number), number=AA_NUMBER)
    record = call_stack.call_record(number)  # its end reported
    assert [r["sid"] for r in call_stack.calls(number=number, pageSize=50)] == [record["sid"]]
    assert record["outcome"] == "CALLER_HANGUP" and record["endTime"] and record["answerTime"]
    assert record["callSid"].startswith("CA") and "@" not in record["callSid"]
    assert record["sipCallId"] and record["menuPath"] == [desk.main_menu]
    assert close_lost_calls(call_stack, after_seconds=0) == 0  # nothing left in progress
    with psycopg.connect(call_stack.env["DATABASE_URL"]) as connection:
        ran_by = connection.execute(
            "SELECT executor FROM telephony_callrecord WHERE call_sid = %s", [record["callSid"]]
        ).fetchone()[0]
    assert ran_by.endswith(f":{call_stack.sip_port}")  # its host and SIP port: executors may share a host


def test_invites_to_an_unknown_number_are_counted_not_stored(call_stack, desk, tmp_path):
    invites = 40
    env = executor_env(call_stack, 19900)
    log = tmp_path / "executor.log"
    before = stored_rows(call_stack)
    with process([*MANAGE, "run_executor"], env, log) as executor:
        wait_until(lambda: listening(int(env["EXECUTOR_SIP_PORT"])), executor, log, "the executor")
        flood = Sipp(
            tmp_path / "flood",
            caller([], answered=False, expect_status=404),
            int(env["EXECUTOR_SIP_PORT"]),
            service=UNKNOWN_NUMBER,
        )
        flood.command[flood.command.index("-m") + 1] = str(invites)  # calls, 20 at a time, 20 a second
        flood.command[flood.command.index("-l") + 1] = "20"
        flood.command += ["-r", "20"]
        result = flood.run()
        assert result.ok, result.output
        summary = metrics(executor, log)
        counters = summary["counters"]
        time.sleep(1.0)  # anything the executor would post has been posted (its batches wait 0.25 s)
    assert counters.get("not_recorded_unknown_number") == invites, counters
    assert counters.get("calls_rejected") == invites, counters
    assert stored_rows(call_stack) == before
    assert summary["executor"].endswith(f":{env['EXECUTOR_SIP_PORT']}")  # one of several on this machine
    assert f" executor:{env['EXECUTOR_SIP_PORT']} " in log.read_text()  # so is each log line

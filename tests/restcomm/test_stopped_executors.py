"""Calls whose executor stopped (no heartbeat for 30 s) or restarted are closed as LOST within seconds,
not hours: the Calls API stops showing them in progress, and the live-call index forgets them."""

from __future__ import annotations

import json
import time

import pytest
from django.conf import settings
from django.test import Client

from autoattendant.choices import CallOutcome
from autoattendant.models import CallRecord
from autoattendant.services.calls import CallReport, record_calls
from telephony import live_calls
from telephony.tasks import close_calls_of_stopped_executors
from tests.restcomm.test_calls_api import live

pytestmark = pytest.mark.django_db

EXECUTOR = Client(HTTP_AUTHORIZATION=f"Bearer {settings.EXECUTOR_TOKEN}")


def beat(name: str, since: float, calls: dict[str, str] | None = None):
    body = {"name": name, "control": "http://127.0.0.1:6090", "draining": False, "calls": calls or {}, "since": since}
    return EXECUTOR.post("/rcml/executor", json.dumps(body), content_type="application/json")


def outcome(call_sid: str) -> CallRecord:
    return CallRecord.objects.get(call_sid=call_sid)


def test_a_stopped_executors_calls_are_lost_and_forgotten_the_others_stay(restcomm):
    gone = live(restcomm.sid, "in-progress", executor="gone:5090")
    alive = live(restcomm.sid, "in-progress", executor="alive:5091")
    assert beat("gone:5090", time.time() - 100, {gone: "in-progress"}).status_code == 200
    assert beat("alive:5091", time.time() - 100, {alive: "in-progress"}).status_code == 200
    assert live_calls.close_calls_of_stopped_executors() == 0  # both heard of just now

    assert live_calls.close_calls_of_stopped_executors(now=time.time() + 31) == 2  # nothing heard for 31 s
    record = outcome(gone)
    assert record.outcome == CallOutcome.LOST and "its executor gone:5090 stopped" in record.hangup_cause
    assert live_calls.where(gone) is None
    # Listed as ended through the Calls API.
    assert restcomm.get(f"Calls/{gone}.json").body["status"] != "in-progress"


def test_a_restarted_executors_earlier_calls_are_lost_its_new_ones_stay(restcomm):
    earlier = live(restcomm.sid, "in-progress", executor="host:5090")
    time.sleep(2.5)  # beyond the allowance for the clocks of executor and portal
    restarted = time.time()
    time.sleep(0.05)
    later = live(restcomm.sid, "ringing", executor="host:5090")
    assert beat("host:5090", restarted, {later: "ringing"}).status_code == 200
    assert close_calls_of_stopped_executors() == 1  # as beat runs it
    assert outcome(earlier).outcome == CallOutcome.LOST and "restarted" in outcome(earlier).hangup_cause
    assert outcome(later).outcome == CallOutcome.IN_PROGRESS


def test_a_late_end_report_still_completes_a_record_closed_as_lost(restcomm):
    call = live(restcomm.sid, "in-progress", executor="gone:5090")
    beat("gone:5090", time.time() - 100)
    live_calls.close_calls_of_stopped_executors(now=time.time() + 31)
    record = outcome(call)
    report = CallReport(
        call_sid=call,
        outcome="COMPLETED",
        start_time=record.start_time,
        end_time=record.start_time,
        account_sid=restcomm.sid,
        direction="outbound-api",
    )
    record_calls([report])
    assert outcome(call).outcome == CallOutcome.COMPLETED


def test_a_heartbeat_without_since_is_taken_and_a_wrong_one_refused():
    assert beat("old:5090", 1.0).status_code == 200
    body = {"name": "x:1", "control": "http://127.0.0.1:6090", "calls": {}, "since": "yesterday"}
    refused = EXECUTOR.post("/rcml/executor", json.dumps(body), content_type="application/json")
    assert refused.status_code == 400 and set(refused.json()["errors"]) == {"since"}
    del body["since"]
    assert EXECUTOR.post("/rcml/executor", json.dumps(body), content_type="application/json").status_code == 200

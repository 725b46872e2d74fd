"""Call records off the request path, with a real Celery worker and Redis: `/rcml/voice` and
`/rcml/call` queue a call's start and end in a Redis stream, and the worker's writer task stores them
in batches (autoattendant/services/calls.py). The worker runs on pytest-django's test database, so
the tests are `transaction=True`: it sees what they commit, and they see what it stores.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from autoattendant.choices import ActionType
from autoattendant.models import CallRecord
from autoattendant.services import calls
from telephony.rcml import cache as rcml_cache
from tests.celery_worker import running_worker
from tests.telephony.rcml_support import Attendant, option
from tests.telephony.test_publishing import worker_database_url
from tests.test_operations import redis_paused

NUMBER = "+14155550100"
HEADERS = {"HTTP_AUTHORIZATION": f"Bearer {settings.EXECUTOR_TOKEN}"}
VISIBLE_WITHIN = 5.0  # seconds: the writer runs CALL_RECORDS_FLUSH_SECONDS (1 s) after the first event queued

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker(tmp_path) -> Iterator[str]:
    with running_worker("records", tmp_path / "worker.log", {"DATABASE_URL": worker_database_url()}) as name:
        yield name


@pytest.fixture
def desk(tenant) -> Attendant:
    aa = Attendant.build(tenant, NUMBER)
    main = aa.menu("Main", [option("9", ActionType.HANGUP)])
    aa.set(default_menu=main)
    aa.main = main
    aa.publish()
    return aa


def start(call_sid: str, **params: str):
    """The entry document of a call, as its executor fetches it."""
    body = {"To": NUMBER.lstrip("+"), "From": "+15555550100", "CallSid": call_sid, "SipCallId": f"{call_sid}@sip"}
    body.update(Executor="exec-1", **params)
    response = Client().post(
        "/rcml/voice", urlencode(body), content_type="application/x-www-form-urlencoded", **HEADERS
    )
    assert response.status_code == 200, response.content
    return response


def report(desk: Attendant, call_sid: str, **changes) -> dict:
    began = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
    record = {
        "callSid": call_sid,
        "from": "+15555550100",
        "to": NUMBER,
        "aaSystemSid": desk.system.sid,
        "menuPath": [desk.main.sid],
        "keys": ["9"],
        "outcome": "COMPLETED",
        "startTime": began.isoformat(),
        "answerTime": (began + timedelta(seconds=1)).isoformat(),
        "endTime": (began + timedelta(seconds=30)).isoformat(),
        "executor": "exec-1",
    }
    return {**record, **changes}


def end(*records: dict):
    """The executor's end reports (a batch when several)."""
    body = json.dumps(list(records) if len(records) > 1 else records[0])
    return Client().post("/rcml/call", body, content_type="application/json", **HEADERS)


def eventually(check: Callable[[], bool], what: str, timeout: float = VISIBLE_WITHIN) -> float:
    """Seconds until `check()` holds (the test fails if it does not within `timeout`)."""
    began = time.monotonic()
    while not check():
        if time.monotonic() - began > timeout:
            pytest.fail(f"{what}: not within {timeout:g} s")
        time.sleep(0.05)
    return time.monotonic() - began


def row(call_sid: str) -> CallRecord | None:
    return CallRecord.objects.filter(call_sid=call_sid).first()


def queued() -> int:
    client, key = calls._stream()
    return client.xlen(key)


def test_a_start_and_an_end_in_either_order_end_as_one_complete_row(worker, desk):
    # In order, queued within the same second: one batch, the start stored before the end.
    start("CA-in-order")
    assert end(report(desk, "CA-in-order")).json() == {"queued": 1}
    assert CallRecord.objects.count() == 0  # nothing written on the request path
    took = eventually(lambda: row("CA-in-order") is not None and row("CA-in-order").outcome == "COMPLETED", "stored")
    stored = row("CA-in-order")
    assert stored.sip_call_id == "CA-in-order@sip" and stored.executor == "exec-1" and stored.keys == ["9"]
    assert stored.enterprise_sid == desk.tenant.enterprise.sid and took < VISIBLE_WITHIN

    # The end first (a slow entry document), the start after it in the same batch.
    end(report(desk, "CA-end-first", sipCallId="CA-end-first@sip"))
    start("CA-end-first")
    eventually(lambda: row("CA-end-first") is not None, "stored")
    assert row("CA-end-first").outcome == "COMPLETED"

    # The end stored, then its start in a later batch: the start does not reopen the call.
    end(report(desk, "CA-end-stored", outcome="TRANSFERRED", dialStatus="completed"))
    eventually(lambda: row("CA-end-stored") is not None, "stored")
    start("CA-end-stored")
    eventually(lambda: queued() == 0, "the start written")
    again = row("CA-end-stored")
    assert (again.outcome, again.dial_status, again.end_time is not None) == ("TRANSFERRED", "completed", True)
    assert CallRecord.objects.count() == 3


def test_starts_and_ends_posted_again_leave_one_row_and_the_last_end_wins(worker, desk):
    start("CA-again")
    start("CA-again")  # the executor fetched its entry document twice
    eventually(lambda: row("CA-again") is not None, "stored")
    first = row("CA-again")
    assert first.outcome == "IN_PROGRESS" and first.end_time is None
    end(report(desk, "CA-again", outcome="FAILED"))
    end(report(desk, "CA-again", outcome="FAILED"))  # a retried report
    eventually(lambda: row("CA-again").outcome == "FAILED", "the end stored")
    end(report(desk, "CA-again", outcome="CALLER_HANGUP", keys=["1", "9"]))
    eventually(lambda: row("CA-again").outcome == "CALLER_HANGUP", "the last end stored")
    assert CallRecord.objects.filter(call_sid="CA-again").count() == 1
    assert row("CA-again").sid == first.sid and row("CA-again").keys == ["1", "9"]


def test_a_late_end_completes_a_call_closed_as_lost(worker, desk):
    start("CA-late")
    eventually(lambda: row("CA-late") is not None, "stored")
    CallRecord.objects.filter(call_sid="CA-late").update(start_time=datetime.now(UTC) - timedelta(days=1))
    assert calls.close_lost_calls() == 1 and row("CA-late").outcome == "LOST"
    end(report(desk, "CA-late"))
    eventually(lambda: row("CA-late").outcome == "COMPLETED", "the late end stored")


def test_a_request_s_records_are_stored_together_or_not_at_all(worker, desk):
    """An entry that cannot be stored (here: one of its two reports is broken, as no request could
    make it) is set aside whole, and the entries around it are stored."""
    client, key = calls._stream()
    good = json.loads(calls._encode([calls.CallReport(**_fields(desk, "CA-half"))]))[0]
    broken = json.dumps([good, {"call_sid": "CA-broken"}])  # the second lacks its outcome and times
    end(report(desk, "CA-before"))
    client.xadd(key, {"kind": calls.END, "events": broken})
    end(report(desk, "CA-after-1"), report(desk, "CA-after-2"))
    eventually(lambda: queued() == 0, "the queue written")
    assert set(CallRecord.objects.values_list("call_sid", flat=True)) == {"CA-before", "CA-after-1", "CA-after-2"}
    aside = [json.loads(item) for item in client.lrange(cache.make_key(calls.FAILED_KEY), 0, -1)]
    assert len(aside) == 1 and "CA-broken" in aside[0][2] and "CA-half" in aside[0][2]


def _fields(desk: Attendant, call_sid: str) -> dict:
    began = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
    return {
        "call_sid": call_sid,
        "outcome": "COMPLETED",
        "start_time": began,
        "end_time": began + timedelta(seconds=5),
        "aa_system_sid": desk.system.sid,
    }


def test_entries_a_writer_read_but_did_not_store_are_stored_by_the_next(worker, desk):
    """A writer killed between reading the queue and committing: its entries are still pending in the
    stream's consumer group, and the next run stores them first."""
    client, key = calls._stream()
    try:
        client.xgroup_create(key, calls.QUEUE_GROUP, id="0", mkstream=True)
    except Exception as exc:
        assert "BUSYGROUP" in str(exc)
    with client.lock(cache.make_key(calls.WRITER_LOCK_KEY), timeout=30):  # as the dead writer held it
        start("CA-pending")
        read = client.xreadgroup(calls.QUEUE_GROUP, calls.QUEUE_CONSUMER, {key: ">"}, count=10)
        assert len(read[0][1]) == 1  # read, never acknowledged
        time.sleep(1.5)
        assert row("CA-pending") is None
    client.delete(cache.make_key(calls.TRIGGER_KEY))
    start("CA-next")  # the next event sends the writer again
    eventually(lambda: row("CA-pending") is not None and row("CA-next") is not None, "stored")


def test_calls_are_recorded_directly_while_redis_does_not_answer(worker, desk):
    try:
        with redis_paused(3):
            start("CA-no-redis")
            response = end(report(desk, "CA-no-redis-end"))
            assert response.status_code == 201 and response.json()["sid"].startswith("CA"), response.content
            # Stored before the answers: nothing waits for the queue.
            assert row("CA-no-redis").outcome == "IN_PROGRESS"
            assert row("CA-no-redis-end").outcome == "COMPLETED"
    finally:
        rcml_cache._redis_skip_until = 0.0
    # Redis is back: the queue again. A pipeline sent while it was paused is run once it resumes, and
    # may leave the writer's trigger set (for CALL_RECORDS_FLUSH_SECONDS) with no task sent: beat
    # sends the writer every second anyway; this test runs no beat, so it waits the trigger out.
    time.sleep(settings.CALL_RECORDS_FLUSH_SECONDS + 0.2)
    assert end(report(desk, "CA-no-redis")).json() == {"queued": 1}
    eventually(lambda: row("CA-no-redis").outcome == "COMPLETED", "stored", timeout=15)
    assert CallRecord.objects.count() == 2

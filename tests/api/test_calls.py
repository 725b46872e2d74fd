"""Call records: posted by the executor (`POST /rcml/call`), listed in the API by tenancy, with the
filters, paging and sorting of every list."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.db import DataError
from django.test import Client

from autoattendant.choices import Role
from autoattendant.models import CallRecord
from autoattendant.services.calls import CallReport, record_call, record_calls, store_queued_calls
from autoattendant.services.enterprises import create_enterprise
from autoattendant.services.systems import create_system
from autoattendant.services.users import create_user, update_user
from tests.conftest import PASSWORD, Api, assert_error, assert_ok
from tests.telephony.rcml_support import Attendant

CALLS = "/autoattendant/call/search"
START = datetime(2026, 3, 9, 14, 0, 0, tzinfo=UTC)
FIELDS = {
    "sid",
    "callSid",
    "sipCallId",
    "from",
    "to",
    "aaSystemSid",
    "enterpriseSid",
    "menuPath",
    "keys",
    "outcome",
    "dialStatus",
    "transferTarget",
    "startTime",
    "answerTime",
    "endTime",
    "durationSeconds",
    "hangupCause",
    "dateCreated",
}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0000$")


def report(call_sid: str, system_sid: str, *, start: datetime = START, **fields) -> str:
    """What the executor does when a call ends."""
    record = {
        "callSid": call_sid,
        "from": "+15555550100",
        "to": "+14155550100",
        "aaSystemSid": system_sid,
        "menuPath": [],
        "keys": [],
        "outcome": "COMPLETED",
        "startTime": start.isoformat(),
        "answerTime": (start + timedelta(seconds=1)).isoformat(),
        "endTime": (start + timedelta(seconds=31)).isoformat(),
        "executor": "exec-1",
        **fields,
    }
    response = Client(HTTP_AUTHORIZATION=f"Bearer {settings.EXECUTOR_TOKEN}").post(
        "/rcml/call", json.dumps(record), content_type="application/json"
    )
    assert response.json() == {"queued": 1}, response.content
    store_queued_calls()  # the writer's run (a Celery task in production)
    return CallRecord.objects.get(call_sid=record["callSid"]).sid


@pytest.fixture
def calls(tenant, other_tenant):
    """Two AA systems of acme (the AA admin assigned to the first), one of globex, and their calls."""
    front = Attendant.build(tenant, "+14155550100")
    back = Attendant.build(tenant, "+14155550200")
    globex = Attendant.build(other_tenant, "+14155550300")
    update_user(tenant.csp_admin, tenant.aa_admin.sid, aa_system_sids=[front.system.sid])
    sids = {
        "front-1": report(
            "call-1",
            front.system.sid,
            start=START,
            sipCallId="a84b4c76e66710@pc33.example.com",
            **{"from": "+15555550101"},
            outcome="TRANSFERRED",
            menuPath=["MN" + "1" * 32],
            keys=["1", "203"],
            dialStatus="completed",
            transferTarget="+16505550101",
            hangupCause="BYE",
        ),
        "front-2": report(
            "call-2",
            front.system.sid,
            start=START + timedelta(hours=1),
            **{"from": "+15555550102"},
            outcome="CALLER_HANGUP",
        ),
        "front-3": report(
            "call-3",
            front.system.sid,
            start=START + timedelta(days=1),
            **{"from": "+15555550103"},
            outcome="VOICEMAIL",
            answerTime=None,
            endTime=(START + timedelta(days=1, seconds=5)).isoformat(),
        ),
        "back-1": report(
            "call-4",
            back.system.sid,
            start=START + timedelta(hours=2),
            to="+14155550200",
            outcome="COMPLETED",
        ),
        "globex-1": report("call-5", globex.system.sid, start=START, to="+14155550300", outcome="FAILED"),
        "nobody": nobodys_call("call-6"),
    }
    return {"front": front, "back": back, "globex": globex, "sids": sids}


def nobodys_call(call_sid: str) -> str:
    """A row stored before calls to numbers in no AA system became the executor's counters."""
    return CallRecord.objects.create(
        call_sid=call_sid, to_number="+19999999999", outcome="REJECTED", start_time=START, end_time=START
    ).sid


def listed(api, **params) -> list[str]:
    data = assert_ok(api.get(CALLS, {"pageSize": 1000, **params}))
    assert data["total"] == len(data["result"])
    return [item["sid"] for item in data["result"]]


def test_a_call_record_as_the_api_shows_it(tenant, calls):
    sid = calls["sids"]["front-1"]
    one = assert_ok(tenant.csp.get(f"{CALLS}/{sid}"))
    assert set(one) == FIELDS
    assert one == {
        "sid": sid,
        "callSid": "call-1",
        "sipCallId": "a84b4c76e66710@pc33.example.com",
        "from": "+15555550101",
        "to": "+14155550100",
        "aaSystemSid": calls["front"].system.sid,
        "enterpriseSid": tenant.enterprise.sid,
        "menuPath": ["MN" + "1" * 32],
        "keys": ["1", "203"],
        "outcome": "TRANSFERRED",
        "dialStatus": "completed",
        "transferTarget": "+16505550101",
        "startTime": "2026-03-09T14:00:00+0000",
        "answerTime": "2026-03-09T14:00:01+0000",
        "endTime": "2026-03-09T14:00:31+0000",
        "durationSeconds": 30,
        "hangupCause": "BYE",
        "dateCreated": one["dateCreated"],
    }
    assert TIMESTAMP.match(one["dateCreated"])
    unanswered = assert_ok(tenant.csp.get(f"{CALLS}/{calls['sids']['front-3']}"))
    assert unanswered["answerTime"] is None and unanswered["durationSeconds"] == 0
    assert unanswered["dialStatus"] is None and unanswered["transferTarget"] is None
    assert unanswered["hangupCause"] is None and unanswered["sipCallId"] is None


def test_each_role_sees_its_tenancy(tenant, other_tenant, calls):
    sids = calls["sids"]
    acme = {sids["front-1"], sids["front-2"], sids["front-3"], sids["back-1"]}
    assert set(listed(tenant.csp)) == acme
    assert set(listed(tenant.bg)) == acme
    assert set(listed(tenant.aa)) == {sids["front-1"], sids["front-2"], sids["front-3"]}
    assert set(listed(other_tenant.csp)) == {sids["globex-1"]}
    assert set(listed(other_tenant.bg)) == {sids["globex-1"]}
    assert listed(other_tenant.aa) == []  # assigned no system
    # The call to a number in no system is nobody's.
    for api in (tenant.csp, tenant.bg, tenant.aa, other_tenant.csp):
        assert_error(api.get(f"{CALLS}/{sids['nobody']}"), 535)


def test_another_tenants_call_is_not_found(tenant, other_tenant, calls):
    sids = calls["sids"]
    for api, sid in (
        (other_tenant.csp, sids["front-1"]),
        (other_tenant.bg, sids["back-1"]),
        (tenant.aa, sids["back-1"]),  # the AA admin's other system
        (tenant.csp, sids["globex-1"]),
        (tenant.csp, "CA" + "0" * 32),
        (tenant.csp, "nonsense"),
    ):
        error = assert_error(api.get(f"{CALLS}/{sid}"), 535)
        assert error["data"] == {"sid": sid} and error["message"] == "Call record not found"


def test_calls_of_a_deleted_system_stay_listed(tenant, calls):
    from autoattendant.models import AutoAttendantSystem, PhoneNumber

    system = calls["back"].system
    PhoneNumber.objects.filter(aa_system=system).update(aa_system=None)
    AutoAttendantSystem.objects.filter(pk=system.pk).delete()
    assert calls["sids"]["back-1"] in listed(tenant.csp)
    assert calls["sids"]["back-1"] in listed(tenant.bg)


def test_filters(tenant, calls):
    sids, csp = calls["sids"], tenant.csp
    front, back = calls["front"].system.sid, calls["back"].system.sid
    assert set(listed(csp, aaSystemSid=back)) == {sids["back-1"]}
    assert len(listed(csp, aaSystemSid=front)) == 3
    assert listed(csp, aaSystemSid=calls["globex"].system.sid) == []
    # `number` is part of the caller's or of the called number.
    assert set(listed(csp, number="550200")) == {sids["back-1"]}
    assert set(listed(csp, number="5550102")) == {sids["front-2"]}
    assert len(listed(csp, number="555")) == 4
    assert set(listed(csp, **{"from": "0103"})) == {sids["front-3"]}
    assert set(listed(csp, to="+14155550200")) == {sids["back-1"]}
    assert listed(csp, to="+15555550101") == []  # a caller's number is not `to`
    assert set(listed(csp, outcome="VOICEMAIL")) == {sids["front-3"]}
    assert set(listed(csp, outcome="TRANSFERRED", aaSystemSid=front)) == {sids["front-1"]}
    # A call by either of its identifiers: the executor's call SID, the SIP Call-ID (exact).
    assert listed(csp, callSid="call-2") == [sids["front-2"]]
    assert listed(csp, sipCallId="a84b4c76e66710@pc33.example.com") == [sids["front-1"]]
    assert listed(csp, sipCallId="a84b4c76e66710") == []
    error = assert_error(csp.get(CALLS, {"outcome": "GONE"}), 400)
    assert "outcome" in error["errors"]


def test_time_filters_are_on_the_calls_start(tenant, calls):
    sids, csp = calls["sids"], tenant.csp
    first_day = {sids["front-1"], sids["front-2"], sids["back-1"]}
    # A date alone is that whole day, inclusive at both ends.
    assert set(listed(csp, startTime="2026-03-09", endTime="2026-03-09")) == first_day
    assert set(listed(csp, startTime="2026-03-10")) == {sids["front-3"]}
    # Date-times are inclusive, UTC unless they carry an offset.
    assert set(listed(csp, startTime="2026-03-09T15:00:00", endTime="2026-03-09T16:00:00")) == {
        sids["front-2"],
        sids["back-1"],
    }
    assert set(listed(csp, endTime="2026-03-09T10:00:00-0400")) == {sids["front-1"]}
    # Records arrive after the call: the filter is not on dateCreated.
    assert listed(csp, endTime="2026-03-08") == []
    assert_error(csp.get(CALLS, {"startTime": "last week"}), 400)


def test_paging_and_sorting(tenant, calls):
    sids, csp = calls["sids"], tenant.csp
    newest_first = [sids["front-3"], sids["back-1"], sids["front-2"], sids["front-1"]]
    assert listed(csp) == newest_first  # the default: startTime:desc
    assert listed(csp, SortBy="startTime") == newest_first[::-1]
    assert listed(csp, SortBy="durationSeconds:asc")[0] == sids["front-3"]
    assert listed(csp, SortBy="from:desc")[0] == sids["front-3"]
    assert listed(csp, SortBy="outcome")[0] == sids["front-2"]  # CALLER_HANGUP
    page = assert_ok(csp.get(CALLS, {"page": 1, "pageSize": 3}))
    assert [item["sid"] for item in page["result"]] == newest_first[3:]
    assert (page["total"], page["numPages"], page["page"], page["pageSize"]) == (4, 2, 1, 3)
    assert page["uri"].startswith("/autoattendant/call/search")
    error = assert_error(csp.get(CALLS, {"SortBy": "callSid"}), 400)
    assert "SortBy" in error["errors"]


def test_call_records_are_read_only(tenant, calls):
    sid = calls["sids"]["front-1"]
    assert_error(tenant.csp.post("/autoattendant/call", {"callSid": "x"}), 404)
    assert_error(tenant.csp.put(f"/autoattendant/call/{sid}", {"outcome": "FAILED"}), 404)
    assert_error(tenant.csp.delete(f"/autoattendant/call/{sid}"), 404)
    assert_error(tenant.csp.delete(f"{CALLS}/{sid}"), 405)
    assert assert_ok(tenant.csp.get(f"{CALLS}/{sid}"))["outcome"] == "TRANSFERRED"


def test_unauthenticated_is_401(db, anonymous):
    assert_error(anonymous.get(CALLS), 401)
    executor = Client(HTTP_AUTHORIZATION=f"Bearer {settings.EXECUTOR_TOKEN}")
    response = executor.get(CALLS)
    assert response.status_code == 401 and response.json()["errorCode"] == "401"


def test_another_enterprise_of_the_same_csp_finds_none_of_its_calls(tenant, calls):
    sibling = create_enterprise(
        tenant.csp_admin, name="acme Sibling", admin={"email_id": "bg@sibling.acme.test", "password": PASSWORD}
    )
    sibling_system = create_system(tenant.csp_admin, name="Sibling desk", enterprise_sid=sibling.sid)
    sibling_aa = create_user(
        tenant.csp_admin,
        email_id="aa@sibling.acme.test",
        password=PASSWORD,
        role=Role.AA_ADMIN,
        enterprise_sid=sibling.sid,
        aa_system_sids=[sibling_system.sid],
    )
    for user in (sibling.admin, sibling_aa):
        api = Api(user)
        assert listed(api) == []
        assert listed(api, aaSystemSid=calls["front"].system.sid) == []
        for sid in calls["sids"].values():
            assert assert_error(api.get(f"{CALLS}/{sid}"), 535)["data"] == {"sid": sid}


# The service behind `POST /rcml/call`.


def test_a_report_is_stored_once_per_call_sid(tenant):
    front = Attendant.build(tenant, "+14155550100")
    first = CallReport(
        call_sid="retried-call",
        outcome="CALLER_HANGUP",
        start_time=START,
        end_time=START + timedelta(seconds=10),
        aa_system_sid=front.system.sid,
        keys=["1"],
    )
    sid = record_call(first)
    # The executor was unsure and reported again, having learnt more (a later end, an answer).
    again = replace(
        first, outcome="VOICEMAIL", answer_time=START + timedelta(seconds=5), end_time=START + timedelta(seconds=20)
    )
    assert record_call(again) == sid
    stored = CallRecord.objects.get(call_sid="retried-call")
    assert (stored.sid, stored.outcome, stored.duration_seconds) == (sid, "VOICEMAIL", 15)
    assert stored.enterprise_sid == tenant.enterprise.sid and stored.keys == ["1"]
    assert record_call(replace(first, call_sid="another-call")) != sid
    assert CallRecord.objects.count() == 2


def test_a_batch_of_reports_is_stored_all_or_none(tenant):
    system = Attendant.build(tenant, "+14155550100").system
    good = CallReport(call_sid="good", outcome="COMPLETED", start_time=START, end_time=START, aa_system_sid=system.sid)
    too_long = replace(good, call_sid="too-long", outcome="X" * 17)  # wider than the column
    with pytest.raises(DataError):
        record_calls([good, too_long])
    assert not CallRecord.objects.exists()
    assert len(set(record_calls([good, replace(good, call_sid="also-good"), good]))) == 2
    assert CallRecord.objects.count() == 2

"""The Restcomm Calls resource: list and read from the call records (live ones with their executor's
status), filters and paging as the reference shows them, another tenant's call answered as missing,
and the checks of creating and modifying a call that need no executor (the call test places and
modifies real calls: tests/calls/test_live_calls.py)."""

from __future__ import annotations

import datetime
import json
import uuid

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from autoattendant.choices import CallOutcome
from autoattendant.services.calls import CallReport, CallStart, record_call_start, record_calls
from telephony import live_calls
from telephony.models import SipClient, TelephonyAccount
from tests.conftest import make_tenant
from tests.restcomm.conftest import Restcomm, rest_exception

CALL_FIELDS = [
    "Sid",
    "DateCreated",
    "DateUpdated",
    "ParentCallSid",
    "AccountSid",
    "To",
    "From",
    "PhoneNumberSid",
    "Status",
    "StartTime",
    "EndTime",
    "Duration",
    "Price",
    "Direction",
    "AnsweredBy",
    "ApiVersion",
    "ForwardedFrom",
    "CallerName",
    "Uri",
    "SubresourceUris",
]
DAY = datetime.datetime(2026, 11, 20, 10, 0, tzinfo=datetime.UTC)


def _sid() -> str:
    return "CA" + uuid.uuid4().hex


def ended(account_sid: str, *, start=DAY, answered=True, outcome=CallOutcome.COMPLETED, **fields) -> str:
    """A call that ended (as its executor reported it); its CallSid."""
    sid = fields.pop("call_sid", None) or _sid()
    report = CallReport(
        call_sid=sid,
        outcome=outcome,
        start_time=start,
        answer_time=start + datetime.timedelta(seconds=2) if answered else None,
        end_time=start + datetime.timedelta(seconds=12),
        account_sid=account_sid,
        **{"from_number": "+15550001", "to_number": "+15550002", "direction": "outbound-api", **fields},
    )
    assert record_calls([report]) != [None]
    return sid


def live(account_sid: str, status: str | None, executor: str = "executor-a:5090", **fields) -> str:
    sid = _sid()
    start = CallStart(
        call_sid=sid,
        aa_system_sid="",
        start_time=timezone.now(),
        account_sid=account_sid,
        executor=executor,
        **{"from_number": "+15550001", "to_number": "+15550002", "direction": "outbound-api", **fields},
    )
    assert record_call_start(start)
    if status:
        live_calls.track(sid, executor, status)
    return sid


def listed(restcomm: Restcomm, **params) -> list[str]:
    response = restcomm.get("Calls.json", params)
    assert response.status_code == 200, response.content
    return [call["sid"] for call in response.body["calls"]]


@pytest.fixture
def calls(restcomm):
    account = restcomm.sid
    return {
        "completed": ended(account, start=DAY),
        "busy": ended(
            account,
            start=DAY + datetime.timedelta(days=1),
            answered=False,
            outcome=CallOutcome.FAILED,
            dial_status="busy",
            from_number="alice",
        ),
        "no-answer": ended(
            account,
            start=DAY + datetime.timedelta(days=2),
            answered=False,
            outcome=CallOutcome.FAILED,
            dial_status="no-answer",
            to_number="client:bob",
        ),
        "canceled": ended(
            account,
            start=DAY - datetime.timedelta(days=1),
            answered=False,
            outcome=CallOutcome.CANCELLED,
            dial_status="canceled",
        ),
        "child": ended(account, start=DAY, direction="outbound-dial", parent_call_sid="CA" + "1" * 32),
    }


def test_the_list_as_the_reference_pages_it_with_pagesize_1(restcomm, calls):
    """`GET …/Calls?PageSize=1`: one Call of the account's five, the paging attributes as the reference's."""
    response = restcomm.get("Calls", {"PageSize": 1})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/xml")
    page = response.body.find("Calls")
    assert {k: page.get(k) for k in ("page", "numpages", "pagesize", "total", "start", "end")} == {
        "page": "0",
        "numpages": "5",
        "pagesize": "1",
        "total": "5",
        "start": "0",
        "end": "0",
    }
    assert page.get("previouspageuri") == "null"
    assert page.get("uri") == f"/restcomm/2012-04-24/Accounts/{restcomm.sid}/Calls"
    (call,) = page.findall("Call")
    assert [child.tag for child in call] == CALL_FIELDS
    assert page.get("nextpageuri").endswith(f"Page=1&PageSize=1&AfterSid={call.findtext('Sid')}")
    assert call.findtext("Sid") == calls["no-answer"]  # the newest first
    assert (call.findtext("Status"), call.findtext("Direction")) == ("no-answer", "outbound-api")
    assert call.findtext("AccountSid") == restcomm.sid and call.findtext("ApiVersion") == "2012-04-24"
    assert [child.tag for child in call.find("SubresourceUris")] == ["Notifications", "Recordings"]
    following = restcomm.get(page.get("nextpageuri"))
    assert following.body.find("Calls/Call/Sid").text == calls["busy"]


def test_one_call_in_json(restcomm, calls):
    response = restcomm.get(f"Calls/{calls['completed']}.json")
    assert response.status_code == 200
    body = response.body
    assert list(body) == [
        "sid", "date_created", "date_updated", "parent_call_sid", "account_sid", "to", "from",
        "phone_number_sid", "status", "start_time", "end_time", "duration", "price", "direction",
        "answered_by", "api_version", "forwarded_from", "caller_name", "uri", "subresource_uris",
    ]  # fmt: skip
    assert (body["status"], body["duration"], body["from"], body["to"]) == ("completed", 10, "+15550001", "+15550002")
    assert body["start_time"] == "2026-11-20T10:00:00.000+00:00"
    assert body["uri"] == f"/restcomm/2012-04-24/Accounts/{restcomm.sid}/Calls/{calls['completed']}.json"


def test_filters(restcomm, calls):
    assert listed(restcomm, From="alice") == [calls["busy"]]
    assert listed(restcomm, To="client:bob") == [calls["no-answer"]]
    assert listed(restcomm, Status="busy") == [calls["busy"]]
    assert listed(restcomm, Status="canceled") == [calls["canceled"]]
    assert set(listed(restcomm, Status="completed")) == {calls["completed"], calls["child"]}
    assert listed(restcomm, ParentCallSid="CA" + "1" * 32) == [calls["child"]]
    assert set(listed(restcomm, StartTime="2026-11-20")) == {calls["completed"], calls["child"]}
    # `StartTime>=2026-11-21` and `StartTime<=2026-11-19` arrive as the keys `StartTime>` and `StartTime<`.
    assert listed(restcomm, **{"StartTime>": "2026-11-21"}) == [calls["no-answer"], calls["busy"]]
    assert listed(restcomm, **{"StartTime<": "2026-11-19"}) == [calls["canceled"]]
    response = restcomm.client.get(restcomm.url("Calls.json") + "?StartTime>=2026-11-22")
    assert [call["sid"] for call in json.loads(response.content)["calls"]] == [calls["no-answer"]]
    bad = restcomm.get("Calls.json", {"Status": "ringing-ish"})
    assert bad.status_code == 400 and "Status must be one of" in rest_exception(bad)["message"]
    assert restcomm.get("Calls.json", {"StartTime": "20 Nov"}).status_code == 400


def test_live_calls_have_their_executors_status(restcomm):
    queued = live(restcomm.sid, "queued")
    ringing = live(restcomm.sid, "ringing")
    unknown = live(restcomm.sid, None)  # the index lost it: in progress, as its record says
    answered = live(restcomm.sid, "queued")
    live_calls.heartbeat("executor-a:5090", "http://127.0.0.1:9", {answered: "in-progress"})
    statuses = {sid: restcomm.get(f"Calls/{sid}.json").body["status"] for sid in (queued, ringing, unknown, answered)}
    assert statuses == {queued: "queued", ringing: "ringing", unknown: "in-progress", answered: "in-progress"}
    assert listed(restcomm, Status="queued") == [queued]
    assert set(listed(restcomm, Status="in-progress")) == {unknown, answered}
    live_calls.forget([queued])  # its end was reported: a heartbeat does not bring it back
    live_calls.heartbeat("executor-a:5090", "http://127.0.0.1:9", {queued: "in-progress"})
    assert live_calls.where(queued) is None


def test_an_enterprise_call_is_its_accounts_and_the_csps(restcomm, tenant):
    enterprise_account = TelephonyAccount.objects.get(enterprise_sid=tenant.enterprise.sid)
    call = ended(enterprise_account.sid, direction="inbound")
    mine = Restcomm(enterprise_account.sid, enterprise_account.auth_token)
    assert listed(mine) == [call]
    assert call in listed(restcomm)  # the CSP's account is above the enterprise's
    assert restcomm.get(f"/restcomm/2012-04-24/Accounts/{enterprise_account.sid}/Calls/{call}.json").status_code == 200
    assert listed(mine, Status="completed") == [call]


def test_another_tenants_call_is_answered_as_missing(restcomm, db):
    other = make_tenant("globex")
    theirs = ended(other.account.sid)
    for path in (f"Calls/{theirs}", f"Calls/{theirs}.json"):
        response = restcomm.get(path)
        assert response.status_code == 404, response.content
        assert rest_exception(response)["Status" if path.endswith(theirs) else "status"] in ("404", 404)
    assert restcomm.post(f"Calls/{theirs}.json", {"Status": "completed"}).status_code == 404
    assert theirs not in listed(restcomm)
    elsewhere = restcomm.get(f"/restcomm/2012-04-24/Accounts/{other.account.sid}/Calls.json")
    assert elsewhere.status_code == 404


@pytest.mark.parametrize(
    ("data", "code", "message"),
    [
        ({"To": "+15550002", "Url": "http://127.0.0.1/a.xml"}, 21213, "From is required"),
        ({"From": "+15550001", "Url": "http://127.0.0.1/a.xml"}, 21201, "To is required"),
        ({"From": "+15550001", "To": "+15550002"}, 21205, "Url is required"),
        ({"From": "+15550001", "To": "+15550002", "Url": "ftp://127.0.0.1/a.xml"}, 21502, "Url is not a valid"),
        ({"From": "+15550001", "To": "sip:127.0.0.1", "Url": "http://127.0.0.1/a"}, 21401, "To is not a SIP URI"),
        ({"From": "+15550001", "To": "call me", "Url": "http://127.0.0.1/a"}, 21401, "To is not a phone number"),
        ({"From": "+1 555", "To": "+15550002", "Url": "http://127.0.0.1/a"}, 21212, "From is a caller ID"),
        ({"From": "1", "To": "2", "Url": "http://127.0.0.1/a", "Timeout": "0"}, 400, "Timeout must be"),
        ({"From": "1", "To": "2", "Url": "http://127.0.0.1/a", "Method": "PUT"}, 400, "Method must be GET or POST"),
        ({"From": "1", "To": "2", "Url": "http://127.0.0.1/a", "StatusCallback": "x"}, 21502, "StatusCallback"),
    ],
)
def test_create_is_checked(restcomm, data, code, message):
    response = restcomm.post("Calls.json", data)
    assert response.status_code == 400, response.content
    error = rest_exception(response)
    assert error["code"] == code and error["message"].startswith(message), error


def test_create_without_a_running_executor_stores_nothing(restcomm):
    response = restcomm.post(
        "Calls.json", {"From": "+15550001", "To": "sip:alice@127.0.0.1:5061", "Url": "http://127.0.0.1/a"}
    )
    assert response.status_code == 503 and "no call executor is running" in rest_exception(response)["message"]
    gone = live_calls.heartbeat  # an executor whose control endpoint does not answer: refused, nothing stored
    gone("executor-z:5090", "http://127.0.0.1:9", {})
    SipClient.objects.create(
        login="alice", password="secret-42", account_id=TelephonyAccount.objects.get(sid=restcomm.sid).pk
    )
    response = restcomm.post("Calls.json", {"From": "+15550001", "To": "client:alice", "Url": "http://127.0.0.1/a"})
    assert response.status_code == 503 and "executor-z:5090 did not answer" in rest_exception(response)["message"]
    assert listed(restcomm) == []


def test_modifying_a_call_that_is_not_live(restcomm, calls):
    response = restcomm.post(f"Calls/{calls['completed']}.json", {"Url": "http://127.0.0.1/b.xml"})
    assert response.status_code == 400
    assert rest_exception(response)["code"] == 21220
    assert restcomm.post(f"Calls/{calls['completed']}.json", {}).status_code == 400
    assert restcomm.post(f"Calls/{calls['completed']}.json", {"Status": "busy"}).status_code == 400


def test_modifying_a_call_whose_executor_is_gone(restcomm):
    call = live(restcomm.sid, "in-progress", executor="executor-gone:5090")
    response = restcomm.post(f"Calls/{call}", {"Status": "completed"})
    assert response.status_code == 503
    assert "executor-gone:5090" in rest_exception(response)["Message"]
    refused = restcomm.post(f"Calls/{call}.json", {"Status": "canceled"})  # only a queued or ringing call
    assert refused.status_code == 409


def test_the_executors_heartbeat(db):
    executor = Client(HTTP_AUTHORIZATION=f"Bearer {settings.EXECUTOR_TOKEN}")
    body = {"name": "host:5090", "control": "http://127.0.0.1:6090", "draining": False, "calls": {}}
    response = executor.post("/rcml/executor", json.dumps(body), content_type="application/json")
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert live_calls.executors() == [live_calls.Executor("host:5090", "http://127.0.0.1:6090", 0, False)]
    assert live_calls.pick_executor().name == "host:5090"
    executor.post("/rcml/executor", json.dumps({**body, "draining": True}), content_type="application/json")
    with pytest.raises(live_calls.ExecutorUnreachable):
        live_calls.pick_executor()  # a draining executor takes no new call
    bad = executor.post("/rcml/executor", json.dumps({"name": "", "calls": []}), content_type="application/json")
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"name", "control", "calls"}
    assert Client().post("/rcml/executor", json.dumps(body), content_type="application/json").status_code == 401


def test_a_client_of_another_tenant_is_not_called(restcomm, db):
    other = make_tenant("globex")
    SipClient.objects.create(
        login="carol", password="secret-42", account_id=TelephonyAccount.objects.get(sid=other.account.sid).pk
    )
    live_calls.heartbeat("executor-z:5090", "http://127.0.0.1:9", {})
    response = restcomm.post("Calls.json", {"From": "+15550001", "To": "client:carol", "Url": "http://127.0.0.1/a"})
    assert response.status_code == 404 and rest_exception(response)["message"] == "The client carol was not found"


def test_the_openapi_document_lists_the_calls_resource(client, db):
    schema = client.get("/restcomm/schema/", {"format": "json"}).json()
    calls = schema["paths"]["/restcomm/2012-04-24/Accounts/{account_sid}/Calls"]
    form = calls["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert set(form["required"]) == {"From", "To", "Url"} and "Timeout" in form["properties"]
    assert {"StartTime>", "StartTime<", "Status", "PageSize"} <= {p["name"] for p in calls["get"]["parameters"]}
    modify = schema["paths"]["/restcomm/2012-04-24/Accounts/{account_sid}/Calls/{call_sid}"]["post"]
    assert set(modify["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]["properties"]) == {
        "Url",
        "Method",
        "Status",
    }

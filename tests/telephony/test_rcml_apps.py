"""Numbers routed to RCML applications, on the portal's side: the entry's answer names the application
and the call's account (one request, cached and dropped as AA routes are), the call start carries the
account, and the executor's notifications, recordings and end reports are stored for that account."""

from __future__ import annotations

import io
import json
import wave
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.test import Client, TestCase

from autoattendant.choices import ActionType, SystemStatus
from autoattendant.models import CallRecord
from autoattendant.services.calls import store_queued_calls
from telephony.models import Notification, NumberRoute, Recording, TelephonyAccount
from telephony.rcml import cache, verbs
from telephony.rcml.verbs import (
    ACCOUNT_HEADER,
    INACTIVE_SYSTEM,
    REFUSAL_HEADER,
    SYSTEM_HEADER,
    UNKNOWN_NUMBER,
    VOICE_HEADERS,
)
from tests.telephony.rcml_support import Attendant, option

AA_NUMBER = "+14155550100"
APP_NUMBER = "+14155550900"
AUTH = {"HTTP_AUTHORIZATION": f"Bearer {settings.EXECUTOR_TOKEN}"}
APP = "https://apps.example.com/hello.xml"


def entry(number: str, **params):
    body = urlencode({"To": number.lstrip("+"), "From": "+15555550100", "CallSid": "CA-app", **params})
    return Client().post("/rcml/voice", body, content_type="application/x-www-form-urlencoded", **AUTH)


def post_json(path: str, body, **headers):
    return Client().post(path, json.dumps(body), content_type="application/json", **(headers or AUTH))


@pytest.fixture
def account(tenant) -> TelephonyAccount:
    return TelephonyAccount.objects.get(enterprise_sid=tenant.enterprise.sid)


@pytest.fixture
def application(account) -> NumberRoute:
    return NumberRoute.objects.create(
        number=APP_NUMBER,
        account=account,
        voice_url=APP,
        voice_method="GET",
        voice_fallback_url="https://apps.example.com/sorry.xml",
        status_callback="https://apps.example.com/status",
        status_callback_method="GET",
    )


@pytest.fixture
def reception(tenant) -> Attendant:
    aa = Attendant.build(tenant, AA_NUMBER)
    aa.set(default_menu=aa.menu("Main", [option("9", ActionType.HANGUP)], greeting=aa.announcement("Welcome")))
    aa.publish()
    return aa


def voice_headers(response) -> dict[str, str]:
    return {name: response[header] for name, header in VOICE_HEADERS.items() if response.has_header(header)}


# The entry.


def test_an_aa_number_s_entry_names_its_system_and_account(reception, account):
    response = entry(AA_NUMBER)
    assert response.status_code == 200 and b"<Response>" in response.content
    assert response[SYSTEM_HEADER] == reception.system.sid
    assert response[ACCOUNT_HEADER] == account.sid
    assert voice_headers(response) == {}


def test_an_application_number_s_entry_names_the_application(application, account):
    response = entry(APP_NUMBER, SipCallId="sip-call-app-1", Executor="host:5080")
    assert (response.status_code, response.content) == (200, b"")
    assert response[ACCOUNT_HEADER] == account.sid
    assert not response.has_header(SYSTEM_HEADER) and not response.has_header(REFUSAL_HEADER)
    assert voice_headers(response) == {
        "voice_url": APP,
        "voice_method": "GET",
        "fallback_url": "https://apps.example.com/sorry.xml",
        "fallback_method": "POST",
        "status_callback": "https://apps.example.com/status",
        "status_callback_method": "GET",
    }
    # The call is recorded as its account's, with no AA system.
    store_queued_calls()
    record = CallRecord.objects.get(call_sid="CA-app")
    assert (record.account_sid, record.aa_system_sid, record.outcome) == (account.sid, "", "IN_PROGRESS")


def test_the_application_s_entry_is_one_cached_read_and_dropped_when_the_route_changes(
    application, django_assert_num_queries
):
    assert entry(APP_NUMBER)[VOICE_HEADERS["voice_url"]] == APP
    with django_assert_num_queries(0):
        assert entry(APP_NUMBER)[VOICE_HEADERS["voice_url"]] == APP
    application.voice_url = "https://apps.example.com/other.xml"
    with TestCase.captureOnCommitCallbacks(execute=True):
        application.save()
        cache.forget_entries([application.number])
    assert entry(APP_NUMBER)[VOICE_HEADERS["voice_url"]] == "https://apps.example.com/other.xml"


def test_a_number_routed_to_nothing_is_unknown(account, tenant):
    NumberRoute.objects.create(number="+14155550901", account=account)  # no AA system, no VoiceUrl
    # An AA number in no AA system is not an application, whatever its VoiceUrl says.
    NumberRoute.objects.create(number="+14155550902", account=account, phone_number_sid="PH" + "0" * 32, voice_url=APP)
    for number in ("+14155550901", "+14155550902", "+14155550999"):
        response = entry(number)
        assert (response.status_code, response[REFUSAL_HEADER]) == (404, UNKNOWN_NUMBER)
        assert voice_headers(response) == {} and not response.has_header(ACCOUNT_HEADER)


def test_an_inactive_system_s_refusal_names_the_account(tenant, account):
    closed = Attendant.build(tenant, "+14155550300")
    closed.set(default_menu=closed.menu("Main", [option("9", ActionType.HANGUP)]), status=SystemStatus.INACTIVE)
    closed.publish()
    response = entry("+14155550300")
    assert (response[REFUSAL_HEADER], response[ACCOUNT_HEADER]) == (INACTIVE_SYSTEM, account.sid)


# What the executor reports.


NOTIFICATION = {
    "accountSid": "AC" + "1" * 32,
    "callSid": "CA" + "2" * 32,
    "log": 0,
    "errorCode": 11200,
    "moreInfo": "https://www.twilio.com/docs/errors/11200",
    "messageText": "https://apps.example.com/hello.xml answered 500",
    "messageDate": "2026-12-03T18:00:00+00:00",
    "requestUrl": APP,
    "requestMethod": "POST",
    "requestVariables": "CallSid=CA2&AccountSid=AC1",
    "responseHeaders": "Content-Type: text/html",
    "responseBody": "x" * 100_000,
}


def test_a_notification_is_stored(db):
    response = post_json("/rcml/notification", NOTIFICATION)
    assert response.status_code == 201, response.content
    (sid,) = response.json()["sids"]
    row = Notification.objects.get(sid=sid)
    assert sid.startswith("NO") and len(sid) == 34
    assert (row.account_sid, row.call_sid, row.log, row.error_code) == (
        NOTIFICATION["accountSid"],
        NOTIFICATION["callSid"],
        0,
        11200,
    )
    assert (row.request_url, row.request_method, row.request_variables) == (APP, "POST", "CallSid=CA2&AccountSid=AC1")
    assert row.message_date.isoformat() == "2026-12-03T18:00:00+00:00"
    assert len(row.response_body) == 64 * 1024  # a quote, cut


def test_notifications_are_checked_and_need_the_token(db):
    assert post_json("/rcml/notification", NOTIFICATION, HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    bad = post_json("/rcml/notification", [NOTIFICATION, {**NOTIFICATION, "errorCode": "x", "log": 7}])
    assert bad.status_code == 400 and set(bad.json()["errors"]["1"]) == {"errorCode", "log"}
    assert post_json("/rcml/notification", []).status_code == 400
    assert not Notification.objects.exists()
    listed = post_json("/rcml/notification", [NOTIFICATION, {**NOTIFICATION, "log": 1, "errorCode": 12100}])
    assert listed.status_code == 201 and Notification.objects.filter(log=1, error_code=12100).count() == 1


def wav(seconds: float) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x01" * int(8000 * seconds))
    return buffer.getvalue()


def upload(data: bytes, **params):
    return Client().post(f"/rcml/recording?{urlencode(params)}", data, content_type="audio/wav", **AUTH)


def test_a_recording_is_its_call_s_account_s(settings, tmp_path, application, account):
    settings.MEDIA_ROOT = str(tmp_path)
    named = upload(wav(1.5), CallSid="CA-rec-1", AccountSid=account.sid)
    assert named.status_code == 201
    # Without AccountSid: the call's record names it (the entry recorded the call's start).
    entry(APP_NUMBER, CallSid="CA-rec-2", SipCallId="sip-rec-2")
    store_queued_calls()
    found = upload(wav(0.5), CallSid="CA-rec-2")
    rows = {row.call_sid: row for row in Recording.objects.all()}
    assert (rows["CA-rec-1"].account_sid, rows["CA-rec-1"].duration) == (account.sid, 1.5)
    assert (rows["CA-rec-2"].account_sid, rows["CA-rec-2"].duration) == (account.sid, 0.5)
    assert named.json()["url"] == f"/rcml/recording/{rows['CA-rec-1'].sid}.wav"
    # Where the account fetches it, with its own credentials (Restcomm's RecordingUrl).
    wav_path = f"/restcomm/2012-04-24/Accounts/{account.sid}/Recordings/{rows['CA-rec-1'].sid}.wav"
    assert named.json()["recordingUrl"] == wav_path
    assert found.json()["url"] == f"/rcml/recording/{rows['CA-rec-2'].sid}.wav"


def test_an_application_call_s_end_is_stored_for_its_account(db, account):
    report = {
        "callSid": "CA-app-end",
        "sipCallId": "sip-app-end",
        "from": "+15555550100",
        "to": APP_NUMBER,
        "aaSystemSid": "",
        "accountSid": account.sid,
        "outcome": "COMPLETED",
        "startTime": "2026-12-03T18:00:00+00:00",
        "answerTime": "2026-12-03T18:00:01+00:00",
        "endTime": "2026-12-03T18:00:09+00:00",
        "executor": "host:5080",
    }
    assert post_json("/rcml/call", report).status_code in (200, 201)
    store_queued_calls()
    record = CallRecord.objects.get(call_sid="CA-app-end")
    assert (record.account_sid, record.outcome) == (account.sid, "COMPLETED")


# RCML.


def test_record_accepts_transcribe():
    document = verbs.parse(
        '<Response><Record transcribe="true"/><Record transcribeCallback="/t"/><Record transcribe="false"/></Response>'
    )
    asked, called_back, plain = document.verbs
    assert (asked.transcribe, asked.transcribe_callback) == (True, None)
    assert (called_back.transcribe, called_back.transcribe_callback) == (True, "/t")
    assert (plain.transcribe, plain.transcribe_callback) == (False, None)

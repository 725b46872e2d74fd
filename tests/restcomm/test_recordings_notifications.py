"""Recordings (with their `.wav`) and Notifications, per account and per call, in the reference's shape."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from autoattendant import recordings
from autoattendant.models import VoicemailMessage
from telephony.models import Notification, Recording, TelephonyAccount
from tests.api.test_voicemail_audio import recorded_wav
from tests.conftest import make_tenant
from tests.restcomm.conftest import Restcomm, rest_exception

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def enterprise_account(tenant) -> TelephonyAccount:
    return TelephonyAccount.objects.get(enterprise_sid=tenant.enterprise.sid)


def recording(account: TelephonyAccount, call_sid: str = "CA" + "1" * 32) -> Recording:
    sid = recordings.store(recorded_wav())
    return Recording.objects.create(sid=sid, account_sid=account.sid, call_sid=call_sid, duration=1.3)


def test_list_recordings_of_the_account_and_below(restcomm, tenant):
    """curl -X GET …/Accounts/AC…/Recordings"""
    kept = recording(enterprise_account(tenant))
    recording(TelephonyAccount.objects.get(sid=make_tenant("other").account.sid))  # another CSP's
    response = restcomm.get("Recordings")
    listed = response.body.find("Recordings")
    assert listed.get("total") == "1"
    item = listed.find("Recording")
    assert item.findtext("Sid") == kept.sid and item.findtext("Duration") == "1.3"
    assert item.findtext("ApiVersion") == "2012-04-24"
    json_list = restcomm.get("Recordings.json").body
    assert [row["call_sid"] for row in json_list["recordings"]] == [kept.call_sid]


def test_a_calls_recordings_and_the_wav(restcomm, tenant):
    kept = recording(enterprise_account(tenant), call_sid="CA" + "2" * 32)
    recording(enterprise_account(tenant))
    per_call = restcomm.get(f"Calls/{kept.call_sid}/Recordings.json").body
    assert [row["sid"] for row in per_call["recordings"]] == [kept.sid]
    audio = restcomm.client.get(restcomm.url(f"Recordings/{kept.sid}.wav"))
    assert audio.status_code == 200 and audio["Content-Type"] == "audio/wav"
    assert b"".join(audio.streaming_content if audio.streaming else [audio.content]) == recorded_wav()


def test_delete_a_recording_removes_its_file(restcomm, tenant, django_capture_on_commit_callbacks):
    kept = recording(enterprise_account(tenant))
    with django_capture_on_commit_callbacks(execute=True):
        response = restcomm.delete(f"Recordings/{kept.sid}")
    assert response.status_code == 204
    assert not Recording.objects.filter(sid=kept.sid).exists()
    assert not default_storage.exists(recordings.storage_name(kept.sid))
    assert restcomm.get(f"Recordings/{kept.sid}.json").status_code == 404


def test_a_voicemail_messages_recording_is_not_deleted_here(restcomm, tenant):
    kept = recording(enterprise_account(tenant))
    VoicemailMessage.objects.create(aa_system_sid="AA" + "0" * 32, recording_url=recordings.url(kept.sid))
    response = restcomm.delete(f"Recordings/{kept.sid}.json")
    assert response.status_code == 409 and "voicemail" in response.body["message"]
    assert Recording.objects.filter(sid=kept.sid).exists()


def test_another_tenants_recording_is_missing(restcomm):
    other = make_tenant("other")
    theirs = recording(TelephonyAccount.objects.get(sid=other.account.sid))
    assert restcomm.get(f"Recordings/{theirs.sid}.json").status_code == 404
    assert restcomm.delete(f"Recordings/{theirs.sid}").status_code == 404
    assert Recording.objects.filter(sid=theirs.sid).exists()
    # Nor through their account's URL.
    assert (
        Restcomm(restcomm.sid, restcomm.auth_token)
        .get(f"/restcomm/2012-04-24/Accounts/{other.account.sid}/Recordings")
        .status_code
        == 404
    )


def notification(account_sid: str, call_sid: str, log: int = 0, minutes: int = 0) -> Notification:
    return Notification.objects.create(
        account_sid=account_sid,
        call_sid=call_sid,
        log=log,
        error_code=11200,
        more_info="https://www.twilio.com/docs/errors/11200",
        message_text="HTTP retrieval failure",
        message_date=datetime.datetime(2026, 12, 3, 12, minutes, tzinfo=datetime.UTC),
        request_url="http://127.0.0.1:9/app.xml",
        request_method="POST",
        request_variables="CallSid=CA…&From=alice",
    )


def test_notifications_per_account_and_call_newest_first(restcomm, tenant):
    account = enterprise_account(tenant)
    first = notification(account.sid, "CA" + "3" * 32, minutes=1)
    second = notification(account.sid, "CA" + "4" * 32, log=1, minutes=2)
    body = restcomm.get("Notifications.json").body
    assert [row["sid"] for row in body["notifications"]] == [second.sid, first.sid]
    row = body["notifications"][1]
    assert row["error_code"] == 11200 and row["log"] == 0 and row["request_url"] == "http://127.0.0.1:9/app.xml"
    assert [row["sid"] for row in restcomm.get("Notifications.json", {"Log": 1}).body["notifications"]] == [second.sid]
    per_call = restcomm.get(f"Calls/{first.call_sid}/Notifications.json").body
    assert [row["sid"] for row in per_call["notifications"]] == [first.sid]
    item = restcomm.get(f"Notifications/{first.sid}").body.find("Notification")
    assert item.findtext("MessageText") == "HTTP retrieval failure"
    assert rest_exception(restcomm.get("Notifications", {"Log": "x"}))["Status"] == "400"


def test_paging_with_page_size_one_walks_every_notification(restcomm, tenant):
    account = enterprise_account(tenant)
    made = [notification(account.sid, "CA" + "5" * 32, minutes=m).sid for m in range(3)]
    seen, page = [], restcomm.get("Notifications", {"PageSize": 1}).body.find("Notifications")
    while True:
        assert page.get("pagesize") == "1" and page.get("numpages") == "3" and page.get("total") == "3"
        seen += [item.findtext("Sid") for item in page.findall("Notification")]
        if page.get("nextpageuri") == "null":
            break
        page = restcomm.get(page.get("nextpageuri")).body.find("Notifications")
    assert seen == list(reversed(made))

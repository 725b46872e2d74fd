"""Voicemail: a caller leaves a message through the published RCML; admins list it per extension and delete it."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from autoattendant.models import AuditEntry, VoicemailMessage
from autoattendant.services.enterprises import create_enterprise
from autoattendant.services.systems import create_system
from autoattendant.services.users import update_user
from autoattendant.services.voicemail import store_voicemail_message
from tests.conftest import PASSWORD, Api, assert_error, assert_ok
from tests.telephony.rcml_support import Attendant

VOICEMAIL = "/autoattendant/voicemail"


def leave_message(attendant: Attendant, box: str, caller: str = "+14155559999", call_sid: str = "") -> None:
    """What the executor does after <Record>: post the recording to the document's action URL."""
    call_sid = call_sid or f"call-{uuid.uuid4().hex}"
    plan_version = attendant.system.published_version
    menu = attendant.system.default_menu.sid
    url = f"/rcml/{attendant.system.sid}/{plan_version}/voicemail-done?box={box}&path={menu}&t=0&i=0&e=0"
    response = Client(HTTP_AUTHORIZATION=f"Bearer {settings.EXECUTOR_TOKEN}").post(
        url,
        {"CallSid": call_sid, "From": caller, "RecordingUrl": "http://127.0.0.1/rec/1.wav", "RecordingDuration": "7"},
    )
    assert response.status_code == 200 and b"<Hangup/>" in response.content


@pytest.fixture
def office(tenant):
    attendant = Attendant.build(tenant, extensions=(("101", "Alice", "number"), ("102", "Bob", "number")))
    main = attendant.menu(options=[{"key": "1", "actionType": "VOICEMAIL"}])
    attendant.set(default_menu=main)
    attendant.publish()
    return attendant


def test_messages_are_stored_and_listed_per_extension(tenant, office):
    alice = office.ext("101")
    leave_message(office, alice.sid, caller="+14155550001")
    leave_message(office, "system", caller="+14155550002")
    every = assert_ok(tenant.bg.get(f"{VOICEMAIL}/search"))
    assert every["total"] == 2
    newest = every["result"][0]
    assert newest["caller"] == "+14155550002" and newest["extensionSid"] is None
    assert (newest["durationSeconds"], newest["recordingUrl"]) == (7, "http://127.0.0.1/rec/1.wav")
    for_alice = assert_ok(tenant.csp.get(f"{VOICEMAIL}/search", {"extensionSid": alice.sid}))["result"]
    assert [m["caller"] for m in for_alice] == ["+14155550001"]
    general = assert_ok(tenant.csp.get(f"{VOICEMAIL}/search", {"extensionSid": "system"}))["result"]
    assert [m["caller"] for m in general] == ["+14155550002"]
    one = assert_ok(tenant.csp.get(f"{VOICEMAIL}/search/{for_alice[0]['sid']}"))
    assert one["sid"].startswith("VM") and one["autoAttendantSid"] == office.system.sid


def test_a_retried_report_of_a_message_stores_it_once(tenant, office):
    """The executor posts the voicemail-done step again when it is unsure the portal answered."""
    leave_message(office, "system", call_sid="retried-call")
    leave_message(office, "system", call_sid="retried-call")
    assert VoicemailMessage.objects.filter(call_sid="retried-call").count() == 1
    leave_message(office, "system", call_sid="another-call")
    assert assert_ok(tenant.bg.get(f"{VOICEMAIL}/search"))["total"] == 2


def test_an_unknown_box_goes_to_the_general_one(tenant, office):
    leave_message(office, "PH00000000000000000000000000000000")
    assert VoicemailMessage.objects.get().extension_sid == ""


def test_delete_and_not_found(tenant, office):
    leave_message(office, "system")
    sid = VoicemailMessage.objects.get().sid
    deleted = assert_ok(tenant.bg.delete(f"{VOICEMAIL}/{sid}"))
    assert deleted["sid"] == sid and not VoicemailMessage.objects.exists()
    assert AuditEntry.objects.filter(object_sid=sid, action="delete", enterprise_id=tenant.enterprise.pk).exists()
    assert_error(tenant.bg.delete(f"{VOICEMAIL}/{sid}"), 534)
    assert_error(tenant.bg.get(f"{VOICEMAIL}/search/{sid}"), 534)


def test_other_tenants_see_nothing(tenant, other_tenant, office):
    leave_message(office, "system")
    sid = VoicemailMessage.objects.get().sid
    for api in (other_tenant.csp, other_tenant.bg, tenant.aa):  # tenant.aa is assigned no system
        assert assert_ok(api.get(f"{VOICEMAIL}/search"))["total"] == 0
        assert_error(api.get(f"{VOICEMAIL}/search/{sid}"), 534)
        assert_error(api.delete(f"{VOICEMAIL}/{sid}"), 534)
    assert VoicemailMessage.objects.filter(sid=sid).exists()


def test_messages_are_not_created_through_the_api(tenant):
    response = tenant.csp.post(VOICEMAIL, {"caller": "x"})
    assert response.status_code == 404 and response.body["errorCode"] == "404"


def test_an_aa_admin_sees_the_messages_of_its_systems_only(tenant, office):
    update_user(tenant.csp_admin, tenant.aa_admin.sid, aa_system_sids=[office.system.sid])
    other_system = create_system(tenant.csp_admin, name="Back office", enterprise_sid=tenant.enterprise.sid)
    leave_message(office, "system", caller="+14155550001")
    elsewhere = store_voicemail_message(
        aa_system_sid=other_system.sid, recording_url="http://127.0.0.1/rec/2.wav", caller="+14155550002"
    )
    mine = assert_ok(tenant.aa.get(f"{VOICEMAIL}/search"))["result"]
    assert [m["caller"] for m in mine] == ["+14155550001"]
    assert assert_ok(tenant.aa.get(f"{VOICEMAIL}/search", {"autoAttendantSid": other_system.sid}))["total"] == 0
    assert_error(tenant.aa.get(f"{VOICEMAIL}/search/{elsewhere.sid}"), 534)
    assert_error(tenant.aa.delete(f"{VOICEMAIL}/{elsewhere.sid}"), 534)
    assert VoicemailMessage.objects.filter(sid=elsewhere.sid).exists()
    # The enterprise admin sees both.
    assert assert_ok(tenant.bg.get(f"{VOICEMAIL}/search"))["total"] == 2
    assert_ok(tenant.aa.delete(f"{VOICEMAIL}/{mine[0]['sid']}"))


def test_another_enterprise_of_the_same_csp_finds_none_of_the_messages(tenant, office):
    leave_message(office, "system")
    sid = VoicemailMessage.objects.get().sid
    sibling = create_enterprise(
        tenant.csp_admin, name="acme Sibling", admin={"email_id": "bg@sibling.acme.test", "password": PASSWORD}
    )
    api = Api(sibling.admin)
    assert assert_ok(api.get(f"{VOICEMAIL}/search"))["total"] == 0
    error = assert_error(api.get(f"{VOICEMAIL}/search/{sid}"), 534)
    assert error["data"] == {"sid": sid}
    assert_error(api.delete(f"{VOICEMAIL}/{sid}"), 534)
    assert VoicemailMessage.objects.filter(sid=sid).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_reports_of_one_message_store_it_once():
    """Two web workers receive the same report at once (the executor retried too early)."""
    barrier = threading.Barrier(4)
    failures = []

    def report() -> None:
        try:
            barrier.wait(timeout=10)
            store_voicemail_message(
                aa_system_sid="AA" + "1" * 32, recording_url="/rcml/recording/RE1.wav", call_sid="raced-call"
            )
        except Exception as exc:  # reported below, in the test's thread
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=report) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert failures == []
    assert VoicemailMessage.objects.filter(call_sid="raced-call").count() == 1

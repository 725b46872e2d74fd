"""The calls page and the dashboard for an AA admin: the calls, voicemail and changes of its own AA
systems only; another enterprise's message is the 404 page."""

from __future__ import annotations

import datetime

from django.utils import timezone

from autoattendant import recordings
from autoattendant.models import CallRecord
from autoattendant.services.calls import CallReport, record_call
from autoattendant.services.systems import create_system, update_system
from autoattendant.services.users import update_user
from autoattendant.services.voicemail import store_voicemail_message
from tests.api.test_voicemail_audio import recorded_wav

WAV = recorded_wav()


def call_with_message(system, caller: str) -> str:
    """A call to `system` that left a voicemail message the portal keeps; the message's SID."""
    now = timezone.now()
    record_call(
        CallReport(
            call_sid=f"call-{caller}",
            outcome="VOICEMAIL",
            start_time=now,
            end_time=now + datetime.timedelta(seconds=20),
            from_number=caller,
            aa_system_sid=system.sid,
        )
    )
    recording_url = recordings.url(recordings.store(WAV))
    return store_voicemail_message(
        aa_system_sid=system.sid, recording_url=recording_url, call_sid=f"call-{caller}", caller=caller
    ).sid


def test_an_aa_admin_sees_the_calls_and_voicemail_of_its_systems_only(client, tenant, other_tenant, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    csp = tenant.csp_admin
    front = create_system(csp, name="Front desk", enterprise_sid=tenant.enterprise.sid)
    back = create_system(csp, name="Back office", enterprise_sid=tenant.enterprise.sid)
    theirs = create_system(other_tenant.csp_admin, name="Theirs", enterprise_sid=other_tenant.enterprise.sid)
    update_user(csp, tenant.aa_admin.sid, aa_system_sids=[front.sid])
    front_message = call_with_message(front, "+19990001")
    back_message = call_with_message(back, "+19990002")
    their_message = call_with_message(theirs, "+19990003")
    update_system(csp, back.sid, description="Changed by the CSP")  # a change the AA admin did not make
    update_system(tenant.aa_admin, front.sid, description="Changed by its AA admin")

    client.force_login(tenant.aa_admin)
    calls = client.get("/console/calls/").context["calls"]
    assert [(c.from_number, c.system_name) for c in calls] == [("+19990001", "Front desk")]
    assert calls[0].voicemail.sid == front_message
    assert client.get(f"/console/calls/?system={back.sid}").status_code == 404
    assert client.get(f"/console/calls/?system={theirs.sid}").status_code == 404
    played = client.get(f"/console/voicemail/{front_message}/audio.wav")
    assert played.status_code == 200 and b"".join(played.streaming_content) == WAV
    for sid in (back_message, their_message, "VM" + "0" * 32):
        assert client.get(f"/console/voicemail/{sid}/audio.wav").status_code == 404

    dashboard = client.get("/console/").context
    assert dashboard["calls_today"] == 1
    assert [(e.actor_email, e.object_sid) for e in dashboard["changes"]] == [(tenant.aa_admin.email_id, front.sid)]
    # The enterprise admin sees the enterprise's calls and changes, not another enterprise's.
    client.force_login(tenant.bg_admin)
    assert {c.from_number for c in client.get("/console/calls/").context["calls"]} == {"+19990001", "+19990002"}
    assert client.get(f"/console/voicemail/{back_message}/audio.wav").status_code == 200
    assert client.get(f"/console/voicemail/{their_message}/audio.wav").status_code == 404
    assert client.get("/console/").context["calls_today"] == 2
    assert CallRecord.objects.count() == 3


def test_a_call_in_progress_and_a_lost_one_are_labelled_in_words(client, tenant):
    from autoattendant.services.calls import CallStart, close_lost_calls, record_call_start

    system = create_system(tenant.csp_admin, name="Front desk", enterprise_sid=tenant.enterprise.sid)
    now = timezone.now()
    record_call_start(CallStart(call_sid="CA-going-on", aa_system_sid=system.sid, start_time=now, from_number="+1991"))
    long_ago = now - datetime.timedelta(days=1)
    record_call_start(CallStart(call_sid="CA-never-ended", aa_system_sid=system.sid, start_time=long_ago))
    assert close_lost_calls() == 1

    client.force_login(tenant.csp_admin)
    page = client.get("/console/calls/").content.decode()
    assert '<span class="badge IN_PROGRESS" title="The call is going on' in page
    assert ">In progress</span>" in page and ">Lost</span>" in page
    assert "In_Progress" not in page and "Caller_Hangup" not in page

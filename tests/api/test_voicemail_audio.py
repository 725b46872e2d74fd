"""A voicemail message's recording: uploaded by the executor, played to the tenant's admins through the API."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, TestCase

from autoattendant import recordings
from autoattendant.models import VoicemailMessage
from autoattendant.services.users import update_user
from tests.conftest import Api, assert_error
from tests.telephony.rcml_support import Attendant

EXECUTOR = {"HTTP_AUTHORIZATION": f"Bearer {settings.EXECUTOR_TOKEN}"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def recorded_wav() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(bytes(range(256)) * 40)
    return buffer.getvalue()


@pytest.fixture
def office(tenant):
    attendant = Attendant.build(tenant)
    main = attendant.menu(options=[{"key": "1", "actionType": "VOICEMAIL"}])
    attendant.set(default_menu=main)
    attendant.publish()
    return attendant


def leave_message(office: Attendant, audio: bytes | None = None, recording_url: str | None = None) -> VoicemailMessage:
    """What the executor does after <Record>: upload the WAV, then post its URL to voicemail-done."""
    executor = Client(**EXECUTOR)
    if recording_url is None:
        upload = executor.post("/rcml/recording?CallSid=c1", audio, content_type="audio/wav")
        assert upload.status_code == 201, upload.content
        recording_url = f"http://127.0.0.1:8000{upload.json()['url']}"  # the client makes it absolute
    system = office.system
    url = (
        f"/rcml/{system.sid}/{system.published_version}/voicemail-done"
        f"?box=system&path={system.default_menu.sid}&t=0&i=0&e=0"
    )
    done = executor.post(url, {"CallSid": "c1", "From": "+14155559999", "RecordingUrl": recording_url})
    assert done.status_code == 200
    return VoicemailMessage.objects.latest("id")


def audio_url(message: VoicemailMessage) -> str:
    return f"/autoattendant/voicemail/{message.sid}/audio.wav"


def test_admins_play_a_message(tenant, office):
    audio = recorded_wav()
    message = leave_message(office, audio)
    update_user(tenant.csp_admin, tenant.aa_admin.sid, aa_system_sids=[office.system.sid])
    for api in (tenant.csp, tenant.bg, tenant.aa):
        response = api.client.get(audio_url(message))
        assert response.status_code == 200 and response["Content-Type"] == "audio/wav"
        assert b"".join(response.streaming_content) == audio
    part = tenant.bg.client.get(audio_url(message), HTTP_RANGE="bytes=44-99")
    assert part.status_code == 206 and part.content == audio[44:100]
    assert part["Content-Range"] == f"bytes 44-99/{len(audio)}"
    etag = part["ETag"]
    assert tenant.bg.client.get(audio_url(message), HTTP_IF_NONE_MATCH=etag).status_code == 304
    head = tenant.bg.client.head(audio_url(message))
    assert head.status_code == 200 and head["Content-Length"] == str(len(audio))


def test_other_tenants_do_not_hear_it(tenant, other_tenant, office):
    message = leave_message(office, recorded_wav())
    for api in (other_tenant.csp, other_tenant.bg, other_tenant.aa, tenant.aa):  # tenant.aa: no system assigned
        response = api.get(audio_url(message))
        error = assert_error(response, 534)
        assert error["data"] == {"sid": message.sid}
    missing = assert_error(tenant.csp.get(f"/autoattendant/voicemail/VM{'0' * 32}/audio.wav"), 534)
    assert missing["data"] == {"sid": f"VM{'0' * 32}"}
    assert_error(Api().get(audio_url(message)), 401)
    assert_error(Api().get(audio_url(message), HTTP_AUTHORIZATION=EXECUTOR["HTTP_AUTHORIZATION"]), 401)


def test_a_recording_kept_elsewhere_is_536(tenant, office, media):
    elsewhere = leave_message(office, recording_url="http://recordings.example.com/rec/1.wav")
    assert_error(tenant.csp.get(audio_url(elsewhere)), 536)
    gone = leave_message(office, recorded_wav())
    (media / recordings.storage_name(recordings.sid_from_url(gone.recording_url))).unlink()
    assert_error(tenant.csp.get(audio_url(gone)), 536)


def test_deleting_a_message_deletes_its_recording(tenant, office, media):
    message = leave_message(office, recorded_wav())
    stored = media / recordings.storage_name(recordings.sid_from_url(message.recording_url))
    assert stored.exists()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = tenant.bg.delete(f"/autoattendant/voicemail/{message.sid}")
    assert response.status_code == 200
    assert not stored.exists()
    assert_error(tenant.bg.get(audio_url(message)), 534)

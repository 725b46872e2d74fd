"""/autoattendant/announcement: text-to-speech and uploaded audio, rendered to 8 kHz WAV by Celery.

Real audio throughout: files of each format are made with sox, speech with espeak-ng, and the
render task runs for real (called in-process, and once by a real Celery worker).
"""

from __future__ import annotations

import array
import base64
import io
import math
import os
import subprocess
import time
import wave
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection
from django.db.models import F
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from rest_framework.test import APIClient

from autoattendant.api.authentication import sign
from autoattendant.models import Announcement, AuditEntry, AutoAttendantSystem, Menu
from autoattendant.services import announcement_rendering as rendering
from autoattendant.services.systems import create_system
from speech import tts
from tests.api.objects import sibling_admin
from tests.api.resource_cases import CrudCases, assert_documented
from tests.celery_worker import running_worker
from tests.conftest import Api, api_token, assert_error, assert_ok

URL = "/autoattendant/announcement"
UNKNOWN_AN = "AN" + "0" * 32
BASE_DIR = Path(__file__).resolve().parents[2]
CELERY = BASE_DIR / ".venv" / "bin" / "celery"

RESPONSE_FIELDS = {
    "sid",
    "dateCreated",
    "dateUpdated",
    "accountEmail",
    "uri",
    "name",
    "enterpriseSid",
    "type",
    "text",
    "language",
    "voice",
    "status",
    "failureReason",
    "durationSeconds",
    "audioUri",
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


# Real audio files, made once per module with sox.


def sox(*args: str) -> None:
    subprocess.run(["sox", *args], check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def audio_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("audio")
    # 3 s of a 440 Hz tone at CD quality, stereo: each format is made from it.
    sox("-n", "-r", "44100", "-c", "2", "-b", "16", str(folder / "tone.wav"), "synth", "3", "sine", "440", "vol", "0.5")
    for extension in ("mp3", "ogg", "flac"):
        sox(str(folder / "tone.wav"), str(folder / f"tone.{extension}"))
    sox("-n", "-r", "22050", "-c", "1", "-b", "16", str(folder / "short.wav"), "synth", "1.5", "sine", "660")
    # Five minutes and one second of silence: small (8 kHz mono) but too long.
    sox("-n", "-r", "8000", "-c", "1", "-b", "16", str(folder / "long.wav"), "trim", "0", "301")
    (folder / "empty.wav").write_bytes(b"")
    (folder / "garbage.wav").write_bytes(os.urandom(4096))
    (folder / "garbage.bin").write_bytes(b"this is not audio at all " * 100)
    (folder / "garbage.mp3").write_bytes(os.urandom(4096))
    return folder


def upload(api: Api, path: Path, *, method: str = "post", url: str = URL, **fields):
    with open(path, "rb") as handle:
        data = {**fields, "audio": handle}
        response = getattr(api.client, method)(url, data, format="multipart")
    response.body = response.json()
    return response


def _json(response):
    response.body = response.json()
    return response


def render(sid: str) -> str:
    """Run the render task for the announcement's current revision, in this process."""
    return rendering.render(sid, Announcement.objects.get(sid=sid).revision)


def tts_body(**overrides) -> dict:
    return {"name": "Welcome", "type": "TTS", "text": "Thank you for calling Acme.", "language": "en", **overrides}


def create_tts(api: Api, **overrides) -> dict:
    return assert_ok(api.post(URL, tts_body(**overrides)), status=201)


def get_audio(client: APIClient, sid: str, **headers):
    response = client.get(f"{URL}/{sid}/audio.wav", **headers)
    if response.get("Content-Type", "").startswith("application/json"):
        response.body = response.json()  # an error envelope
    return response


def content_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def wav_facts(data: bytes) -> tuple[int, int, int, float, array.array]:
    with wave.open(io.BytesIO(data), "rb") as wav:
        samples = array.array("h", wav.readframes(wav.getnframes()))
        duration = wav.getnframes() / wav.getframerate()
        return wav.getframerate(), wav.getnchannels(), wav.getsampwidth(), duration, samples


def rms(samples: array.array) -> float:
    return math.sqrt(sum(sample * sample for sample in samples) / len(samples)) if samples else 0.0


def executor() -> APIClient:
    from django.conf import settings

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {settings.EXECUTOR_TOKEN}")
    return client


class TestAnnouncementResource(CrudCases):
    path = URL
    prefix = "AN"
    model = Announcement
    fields = RESPONSE_FIELDS
    not_found_code = 516
    not_found_message = "Announcement not found"
    creators = ("bg", "csp")
    # An AA admin hears every announcement of its enterprise and changes none.
    refused = {"create": {"aa": 403}, "update": {"aa": 403}, "delete": {"aa": 403}}
    echoed = ("name", "type", "text", "language", "enterpriseSid")
    update_data = {"name": "Renamed"}

    def owner(self, tenant):
        return tenant.enterprise.sid

    def create_body(self, owner, index):
        return tts_body(name=f"Announcement {index}", enterpriseSid=owner)


# Text to speech.


def test_tts_is_created_processing_then_rendered_to_audible_8khz_speech(tenant):
    data = create_tts(tenant.bg, voice="man")
    assert data["enterpriseSid"] == tenant.enterprise.sid  # an enterprise admin's own by default
    assert data["accountEmail"] == tenant.bg_admin.email_id
    assert (data["type"], data["status"], data["voice"], data["language"]) == ("TTS", "PROCESSING", "man", "en")
    assert data["audioUri"] is None and data["durationSeconds"] is None and data["failureReason"] is None
    assert_error(get_audio(tenant.bg.client, data["sid"]), 533)

    assert render(data["sid"]) == rendering.READY
    ready = assert_ok(tenant.bg.get(f"{URL}/search/{data['sid']}"))
    assert ready["status"] == "READY"
    assert ready["audioUri"] == f"/autoattendant/announcement/{data['sid']}/audio.wav"
    assert 0.5 < ready["durationSeconds"] < 10

    response = get_audio(tenant.bg.client, data["sid"])
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/wav"
    rate, channels, width, duration, samples = wav_facts(content_of(response))
    assert (rate, channels, width) == (8000, 1, 2)
    assert duration == pytest.approx(ready["durationSeconds"], abs=0.01)
    assert rms(samples) > 300, "the speech is silent"


def test_tts_voices_differ_and_languages_are_checked(tenant):
    woman = create_tts(tenant.bg, voice="woman")["sid"]
    man = create_tts(tenant.bg, voice="man")["sid"]
    german = create_tts(tenant.bg, text="Guten Tag, willkommen.", language="DE")["sid"]
    assert Announcement.objects.get(sid=german).language == "de"
    for sid in (woman, man, german):
        assert render(sid) == rendering.READY
    woman_audio = content_of(get_audio(tenant.bg.client, woman))
    man_audio = content_of(get_audio(tenant.bg.client, man))
    assert woman_audio != man_audio
    assert tts.voice_name("en", "woman") == "en+f3" and tts.voice_name("en", "man") == "en+m3"

    body = assert_error(tenant.bg.post(URL, tts_body(language="xx-nowhere")), 400)
    assert "language" in body["errors"]
    assert body["data"]["language"] == "xx-nowhere"


@pytest.mark.parametrize(
    "body,field",
    [
        ({"name": "No text", "type": "TTS"}, "text"),
        ({"name": "Blank", "type": "TTS", "text": "   "}, "text"),
        ({"name": "Bad voice", "type": "TTS", "text": "Hi", "voice": "robot"}, "voice"),
        ({"name": "No file", "type": "AUDIO"}, "audio"),
        ({"type": "TTS", "text": "Hi"}, "name"),
        ({"name": "Bad type", "type": "VIDEO", "text": "Hi"}, "type"),
        ({"name": "Long", "type": "TTS", "text": "x" * 5001}, "text"),
    ],
)
def test_invalid_bodies_are_400_naming_the_field(tenant, body, field):
    response = assert_error(tenant.bg.post(URL, body), 400)
    assert field in response["errors"], response
    assert Announcement.objects.count() == 0


def test_text_is_spoken_as_text_never_as_options(tenant):
    sid = create_tts(tenant.bg, text="--version -w /tmp/owned.wav")["sid"]
    assert render(sid) == rendering.READY
    assert not Path("/tmp/owned.wav").exists()


def test_csp_admin_names_the_enterprise(tenant, other_tenant):
    body = assert_error(tenant.csp.post(URL, tts_body()), 521)
    assert "enterpriseSid" in body["errors"]
    data = create_tts(tenant.csp, enterpriseSid=tenant.enterprise.sid)
    assert data["enterpriseSid"] == tenant.enterprise.sid
    assert_error(tenant.csp.post(URL, tts_body(enterpriseSid=other_tenant.enterprise.sid)), 467)
    assert_error(tenant.bg.post(URL, tts_body(enterpriseSid=other_tenant.enterprise.sid)), 467)


# Uploaded audio.


@pytest.mark.parametrize("filename", ["tone.wav", "tone.mp3", "tone.ogg", "tone.flac"])
def test_each_format_is_normalised_to_8khz_mono_16bit(tenant, audio_dir, filename):
    response = upload(tenant.bg, audio_dir / filename, name=f"Hold music {filename}")
    data = assert_ok(response, status=201)
    assert (data["type"], data["status"], data["text"], data["voice"]) == ("AUDIO", "PROCESSING", None, None)
    assert render(data["sid"]) == rendering.READY
    ready = assert_ok(tenant.bg.get(f"{URL}/search/{data['sid']}"))
    assert ready["status"] == "READY"
    assert ready["durationSeconds"] == pytest.approx(3.0, abs=0.1)

    rate, channels, width, duration, samples = wav_facts(content_of(get_audio(tenant.bg.client, data["sid"])))
    assert (rate, channels, width) == (8000, 1, 2)
    assert duration == pytest.approx(3.0, abs=0.1)
    assert rms(samples) > 1000  # the tone survived: mixed down, not dropped
    # The upload is kept as received, the WAV beside it.
    announcement = Announcement.objects.get(sid=data["sid"])
    assert announcement.source_file.name.startswith("announcements/source/")
    assert announcement.audio_file.name == f"announcements/audio/{data['sid']}-1.wav"


def test_an_upload_without_a_telling_name_is_read_by_its_content(tenant, audio_dir, tmp_path):
    unnamed = tmp_path / "upload"
    unnamed.write_bytes((audio_dir / "tone.mp3").read_bytes())
    data = assert_ok(upload(tenant.bg, unnamed, name="No extension"), status=201)
    assert render(data["sid"]) == rendering.READY


@pytest.mark.parametrize(
    "filename,code",
    [
        ("empty.wav", 527),
        ("garbage.wav", 527),
        ("garbage.bin", 527),
        ("garbage.mp3", 527),
        ("long.wav", 528),
    ],
)
def test_bad_uploads_are_refused_before_any_row_is_written(tenant, audio_dir, media, filename, code):
    body = assert_error(upload(tenant.bg, audio_dir / filename, name="Bad"), code)
    assert "audio" in body["errors"]
    assert body["data"]["audio"] == filename  # the file echoed by its name
    assert body["data"]["name"] == "Bad"
    assert Announcement.objects.count() == 0
    assert not list(media.rglob("*.*"))


def test_oversized_uploads_are_529(tenant, audio_dir, settings, tmp_path):
    settings.ANNOUNCEMENT_MAX_BYTES = 100_000
    # Just over the limit: refused by the service, after parsing.
    just_over = tmp_path / "just_over.wav"
    sox("-n", "-r", "8000", "-c", "1", "-b", "16", str(just_over), "synth", "7", "sine", "440")
    assert 100_000 < just_over.stat().st_size < 164_000
    body = assert_error(upload(tenant.bg, just_over, name="Big"), 529, status=413)
    assert "audio" in body["errors"]
    # Far over: refused from Content-Length alone.
    far_over = tmp_path / "far_over.wav"
    sox("-n", "-r", "8000", "-c", "1", "-b", "16", str(far_over), "synth", "30", "sine", "440")
    assert_error(upload(tenant.bg, far_over, name="Bigger"), 529, status=413)
    assert Announcement.objects.count() == 0


def test_a_file_with_tts_or_text_with_audio_is_400(tenant, audio_dir):
    body = assert_error(upload(tenant.bg, audio_dir / "tone.wav", name="Both", type="TTS", text="Hi"), 400)
    assert "audio" in body["errors"]
    body = assert_error(upload(tenant.bg, audio_dir / "tone.wav", name="Both", type="AUDIO", text="Hi"), 400)
    assert "text" in body["errors"]
    # A multipart validation failure echoes the file by name, in the envelope.
    body = assert_error(upload(tenant.bg, audio_dir / "tone.wav", name=""), 400)
    assert body["data"] == {"name": "", "audio": "tone.wav"}


def test_a_tts_announcement_can_be_created_from_a_form_too(tenant):
    response = tenant.bg.client.post(URL, tts_body(), format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["data"]["type"] == "TTS"


def test_a_source_that_cannot_be_transcoded_fails_visibly(tenant, audio_dir):
    sid = assert_ok(upload(tenant.bg, audio_dir / "tone.flac", name="Broken"), status=201)["sid"]
    announcement = Announcement.objects.get(sid=sid)
    # The stored file went bad after the upload was checked (disk, a partial copy…).
    with open(announcement.source_file.path, "r+b") as handle:
        handle.seek(4)
        handle.write(os.urandom(2048))
    assert render(sid) == rendering.FAILED
    data = assert_ok(tenant.bg.get(f"{URL}/search/{sid}"))
    assert data["status"] == "FAILED" and data["failureReason"] and data["audioUri"] is None
    assert "/tmp/" not in data["failureReason"]
    assert_error(get_audio(tenant.bg.client, sid), 533)
    assert render(sid) == rendering.DONE  # a redelivered task does not try again


# Updates, revisions and the render task.


def test_a_failed_render_is_tried_again_when_the_text_is_sent_again(tenant, monkeypatch):
    sid = create_tts(tenant.bg)["sid"]

    def broken(*args, **kwargs):
        raise tts.SpeechError("Text-to-speech failed: the synthesiser crashed")

    monkeypatch.setattr(tts, "render", broken)
    assert render(sid) == rendering.FAILED
    data = assert_ok(tenant.bg.get(f"{URL}/search/{sid}"))
    assert (data["status"], data["failureReason"]) == ("FAILED", "Text-to-speech failed: the synthesiser crashed")
    monkeypatch.undo()
    data = assert_ok(tenant.bg.put(f"{URL}/{sid}", {"text": "Thank you for calling Acme."}))
    assert (data["status"], data["failureReason"]) == ("PROCESSING", None)
    assert render(sid) == rendering.READY


def test_updating_the_text_re_renders_and_a_stale_render_is_dropped(tenant):
    sid = create_tts(tenant.bg)["sid"]
    assert render(sid) == rendering.READY
    first_audio = content_of(get_audio(tenant.bg.client, sid))

    data = assert_ok(tenant.bg.put(f"{URL}/{sid}", {"text": "We are closed for the holidays. Goodbye."}))
    assert (data["status"], data["audioUri"], data["durationSeconds"]) == ("PROCESSING", None, None)
    assert Announcement.objects.get(sid=sid).revision == 2
    # While it renders, callers still hear the previous audio.
    assert content_of(get_audio(tenant.bg.client, sid)) == first_audio

    assert rendering.render(sid, 1) == rendering.STALE  # the task queued for revision 1, late
    assert Announcement.objects.get(sid=sid).status == "PROCESSING"
    assert rendering.render(sid, 2) == rendering.READY
    assert rendering.render(sid, 2) == rendering.DONE  # redelivered: nothing to do
    announcement = Announcement.objects.get(sid=sid)
    assert announcement.status == "READY" and announcement.audio_file.name.endswith(f"{sid}-2.wav")
    assert content_of(get_audio(tenant.bg.client, sid)) != first_audio


def test_a_change_committed_while_rendering_drops_the_render(tenant, monkeypatch, media):
    sid = create_tts(tenant.bg)["sid"]
    real_render = tts.render

    def render_then_change(*args, **kwargs):
        duration = real_render(*args, **kwargs)
        # Someone saves new text while espeak-ng was busy with the old.
        Announcement.objects.filter(sid=sid).update(revision=F("revision") + 1)
        return duration

    monkeypatch.setattr(tts, "render", render_then_change)
    assert rendering.render(sid, 1) == rendering.STALE
    announcement = Announcement.objects.get(sid=sid)
    assert announcement.status == "PROCESSING" and not announcement.audio_file
    assert not list(media.rglob("*.wav"))  # nothing written for the dropped render


def test_a_rename_keeps_the_audio(tenant):
    sid = create_tts(tenant.bg)["sid"]
    render(sid)
    data = assert_ok(tenant.bg.put(f"{URL}/{sid}", {"name": "Welcome (new)", "text": "Thank you for calling Acme."}))
    assert data["name"] == "Welcome (new)" and data["status"] == "READY"
    assert Announcement.objects.get(sid=sid).revision == 1


def test_a_new_file_is_transcoded_again(tenant, audio_dir):
    sid = assert_ok(upload(tenant.bg, audio_dir / "tone.wav", name="Hold"), status=201)["sid"]
    render(sid)
    old_source = Announcement.objects.get(sid=sid).source_file.name
    data = assert_ok(upload(tenant.bg, audio_dir / "short.wav", method="put", url=f"{URL}/{sid}"))
    assert data["status"] == "PROCESSING" and data["name"] == "Hold"
    assert render(sid) == rendering.READY
    data = assert_ok(tenant.bg.get(f"{URL}/search/{sid}"))
    assert data["durationSeconds"] == pytest.approx(1.5, abs=0.05)
    assert Announcement.objects.get(sid=sid).source_file.name != old_source
    # A bad replacement is refused and the announcement stays as it was.
    assert_error(upload(tenant.bg, audio_dir / "garbage.wav", method="put", url=f"{URL}/{sid}"), 527)
    assert assert_ok(tenant.bg.get(f"{URL}/search/{sid}"))["status"] == "READY"


def test_the_type_changes_when_unused(tenant, audio_dir, media, django_capture_on_commit_callbacks):
    sid = create_tts(tenant.bg)["sid"]
    assert_error(tenant.bg.put(f"{URL}/{sid}", {"type": "AUDIO"}), 400)  # and its file?
    data = assert_ok(upload(tenant.bg, audio_dir / "tone.ogg", method="put", url=f"{URL}/{sid}", type="AUDIO"))
    assert data["type"] == "AUDIO" and data["text"] is None
    assert render(sid) == rendering.READY
    source = Announcement.objects.get(sid=sid).source_file.name
    assert (media / source).exists()

    with django_capture_on_commit_callbacks() as callbacks:
        data = assert_ok(tenant.bg.put(f"{URL}/{sid}", {"type": "TTS", "text": "Back to speech."}))
    assert data["type"] == "TTS" and data["text"] == "Back to speech."
    # The upload is removed once the change commits (the other callback would queue the render).
    for callback in callbacks:
        if "render" not in getattr(callback, "__qualname__", ""):
            callback()
    assert not (media / source).exists()
    assert render(sid) == rendering.READY


def test_ready_and_updates_republish_the_enterprise_systems(tenant):
    system = create_system(tenant.csp_admin, name="Reception", enterprise_sid=tenant.enterprise.sid)
    version = AutoAttendantSystem.objects.get(pk=system.pk).config_version
    sid = create_tts(tenant.bg)["sid"]
    render(sid)
    assert AutoAttendantSystem.objects.get(pk=system.pk).config_version == version + 1
    assert_ok(tenant.bg.put(f"{URL}/{sid}", {"name": "Renamed"}))
    assert AutoAttendantSystem.objects.get(pk=system.pk).config_version == version + 2


def test_changes_are_audited(tenant):
    sid = create_tts(tenant.bg)["sid"]
    assert_ok(tenant.bg.put(f"{URL}/{sid}", {"text": "Something else."}))
    assert_ok(tenant.bg.delete(f"{URL}/{sid}"))
    entries = AuditEntry.objects.filter(object_sid=sid).order_by("time", "id")
    assert [entry.action for entry in entries] == ["create", "update", "delete"]
    assert entries[1].before["text"] == "Thank you for calling Acme." and entries[1].after["text"] == "Something else."
    assert entries[1].after["revision"] == 2
    assert {entry.actor_email for entry in entries} == {tenant.bg_admin.email_id}
    assert entries[0].enterprise_id == tenant.enterprise.pk


# In use.


@pytest.fixture
def used_announcement(tenant) -> dict:
    """An announcement heard as a menu's greeting, behind its key 9, and as a system's timeout action."""
    sid = create_tts(tenant.bg)["sid"]
    system = assert_ok(
        tenant.csp.post(
            "/autoattendant/system",
            {
                "name": "Reception",
                "enterpriseSid": tenant.enterprise.sid,
                "timeoutAction": {"actionType": "ANNOUNCEMENT_HANGUP", "actionData": sid},
            },
        ),
        status=201,
    )
    assert system["timeoutAction"] == {"actionType": "ANNOUNCEMENT_HANGUP", "actionData": sid}
    announcement = Announcement.objects.get(sid=sid)
    menu = Menu.objects.create(
        aa_system=AutoAttendantSystem.objects.get(sid=system["sid"]),
        name="Main menu",
        greeting_announcement=announcement,
        options=[
            {"key": "1", "actionType": "HANGUP"},
            {"key": "9", "actionType": "ANNOUNCEMENT_HANGUP", "actionData": sid},
        ],
    )
    return {"sid": sid, "menu": menu.sid, "system": system["sid"]}


def test_an_announcement_in_use_cannot_be_deleted_and_the_error_says_where(tenant, used_announcement):
    sid, menu, system = used_announcement["sid"], used_announcement["menu"], used_announcement["system"]
    body = assert_error(tenant.bg.delete(f"{URL}/{sid}"), 523)
    assert body["data"] == {"sid": sid}
    assert body["errors"]["usedBy"] == [
        f"menu {menu} (Main menu) greeting",
        f"menu {menu} (Main menu) key 9",
        f"system {system} timeoutAction",
    ]
    assert Announcement.objects.filter(sid=sid).exists()


def test_an_announcement_in_use_keeps_its_type_but_may_change_its_words(tenant, used_announcement, audio_dir):
    sid = used_announcement["sid"]
    body = assert_error(upload(tenant.bg, audio_dir / "tone.wav", method="put", url=f"{URL}/{sid}", type="AUDIO"), 523)
    assert len(body["errors"]["usedBy"]) == 3
    data = assert_ok(tenant.bg.put(f"{URL}/{sid}", {"text": "New words, same place.", "name": "Still used"}))
    assert data["type"] == "TTS" and data["status"] == "PROCESSING"


def test_once_unused_it_can_be_deleted_and_its_files_go(
    tenant, used_announcement, media, django_capture_on_commit_callbacks
):
    sid = used_announcement["sid"]
    render(sid)
    audio = media / Announcement.objects.get(sid=sid).audio_file.name
    assert audio.exists()
    Menu.objects.filter(sid=used_announcement["menu"]).delete()
    AutoAttendantSystem.objects.filter(sid=used_announcement["system"]).update(timeout_action={"actionType": "HANGUP"})
    with django_capture_on_commit_callbacks(execute=True):
        data = assert_ok(tenant.bg.delete(f"{URL}/{sid}"))
    assert data["sid"] == sid and data["name"] == "Welcome"
    assert not Announcement.objects.filter(sid=sid).exists()
    assert not audio.exists()
    assert_error(tenant.bg.get(f"{URL}/search/{sid}"), 516)
    assert_error(tenant.bg.delete(f"{URL}/{sid}"), 516)


# Lists.


def test_search_filters_and_sorts(tenant, audio_dir):
    create_tts(tenant.bg, name="Alpha greeting")
    beta = create_tts(tenant.bg, name="Beta closed")["sid"]
    assert_ok(upload(tenant.bg, audio_dir / "tone.wav", name="Gamma hold music"), status=201)
    render(beta)

    def names(**params):
        data = assert_ok(tenant.bg.get(f"{URL}/search", params))
        return [item["name"] for item in data["result"]]

    assert names() == ["Alpha greeting", "Beta closed", "Gamma hold music"]
    assert names(type="AUDIO") == ["Gamma hold music"]
    assert names(status="READY") == ["Beta closed"]
    assert names(name="closed") == ["Beta closed"]
    assert names(enterpriseSid=tenant.enterprise.sid, SortBy="name:desc") == [
        "Gamma hold music",
        "Beta closed",
        "Alpha greeting",
    ]
    assert names(enterpriseSid="EN" + "0" * 32) == []
    assert_error(tenant.bg.get(f"{URL}/search", {"type": "VIDEO"}), 400)
    assert_error(tenant.bg.get(f"{URL}/search", {"SortBy": "text"}), 400)


# Roles and tenancy.


def test_an_aa_admin_plays_the_audio(tenant):
    sid = create_tts(tenant.bg)["sid"]
    render(sid)
    assert get_audio(tenant.aa.client, sid).status_code == 200


def test_another_tenant_finds_nothing_anywhere(tenant, other_tenant, audio_dir):
    sid = create_tts(tenant.bg)["sid"]
    render(sid)
    strangers = [other_tenant.csp, other_tenant.bg, other_tenant.aa, sibling_admin(tenant)]
    for api in strangers:
        assert assert_ok(api.get(f"{URL}/search"))["total"] == 0
        assert_error(api.get(f"{URL}/search/{sid}"), 516)
        if api.user.role != "AA_ADMIN":
            assert assert_error(api.put(f"{URL}/{sid}", {"name": "Stolen"}), 516)["data"] == {"sid": sid}
            assert_error(upload(api, audio_dir / "tone.wav", method="put", url=f"{URL}/{sid}"), 516)
            assert_error(api.delete(f"{URL}/{sid}"), 516)
        assert assert_error(get_audio(api.client, sid), 516)["data"] == {"sid": sid}
    # The owner's CSP sees it, in the enterprise it belongs to.
    assert assert_ok(tenant.csp.get(f"{URL}/search/{sid}"))["enterpriseSid"] == tenant.enterprise.sid
    assert get_audio(tenant.csp.client, sid).status_code == 200
    announcement = Announcement.objects.get(sid=sid)
    assert announcement.name == "Welcome" and announcement.revision == 1


def test_the_audio_of_an_unknown_sid_is_516(tenant):
    assert_error(get_audio(tenant.bg.client, UNKNOWN_AN), 516)
    assert_error(get_audio(executor(), UNKNOWN_AN), 516)


def test_anonymous_gets_no_audio_401(anonymous):
    assert_error(get_audio(anonymous.client, UNKNOWN_AN), 401)


# The audio, for the console and the executor.


def test_the_executor_fetches_any_enterprise_audio_with_its_token(tenant, other_tenant):
    mine = create_tts(tenant.bg)["sid"]
    theirs = create_tts(other_tenant.bg, text="Globex, how may we help?")["sid"]
    render(mine)
    render(theirs)
    for sid in (mine, theirs):
        response = get_audio(executor(), sid)
        assert response.status_code == 200 and response["Content-Type"] == "audio/wav"
        assert wav_facts(content_of(response))[:3] == (8000, 1, 2)
    # The token opens the audio and nothing else.
    for response in (
        executor().get(f"{URL}/search"),
        executor().get(f"{URL}/search/{mine}"),
        executor().delete(f"{URL}/{mine}"),
    ):
        assert_error(_json(response), 403)
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Bearer not-the-token")
    assert_error(get_audio(wrong, mine), 401)


def test_audio_with_a_signed_request(tenant):
    sid = create_tts(tenant.bg)["sid"]
    render(sid)
    path, stamp = f"{URL}/{sid}/audio.wav", str(int(time.time()))
    response = APIClient().get(
        path,
        HTTP_X_AA_KEY_SID=tenant.hmac_key.sid,
        HTTP_X_AA_TIMESTAMP=stamp,
        HTTP_X_AA_SIGNATURE=sign(tenant.hmac_key.key, stamp, "GET", path, b""),
    )
    assert response.status_code == 200 and response["Content-Type"] == "audio/wav"


def test_audio_ranges_etags_and_head(tenant):
    sid = create_tts(tenant.bg)["sid"]
    render(sid)
    client = tenant.bg.client
    whole = get_audio(client, sid)
    data = content_of(whole)
    assert whole["Accept-Ranges"] == "bytes" and int(whole["Content-Length"]) == len(data)
    assert whole["Content-Disposition"] == f'inline; filename="{sid}.wav"'

    part = get_audio(client, sid, HTTP_RANGE="bytes=0-43")
    assert part.status_code == 206 and part.content == data[:44]
    assert part["Content-Range"] == f"bytes 0-43/{len(data)}"
    tail = get_audio(client, sid, HTTP_RANGE="bytes=-100")
    assert tail.status_code == 206 and tail.content == data[-100:]
    beyond = get_audio(client, sid, HTTP_RANGE=f"bytes={len(data) + 10}-")
    assert beyond.status_code == 200 and content_of(beyond) == data  # unsatisfiable: the whole file
    several = get_audio(client, sid, HTTP_RANGE="bytes=0-1,5-9")
    assert several.status_code == 200

    etag = whole["ETag"]
    assert get_audio(client, sid, HTTP_IF_NONE_MATCH=etag).status_code == 304
    head = client.head(f"{URL}/{sid}/audio.wav")
    assert head.status_code == 200 and head["Content-Length"] == str(len(data)) and not head.content
    # A new rendition is a new tag.
    assert_ok(tenant.bg.put(f"{URL}/{sid}", {"text": "Different words."}))
    render(sid)
    assert get_audio(client, sid, HTTP_IF_NONE_MATCH=etag).status_code == 200


# A real Celery worker.


def _test_database_url() -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


@pytest.fixture
def speech_worker(transactional_db, media, tmp_path):
    """A real Celery worker on the test database and this test's media folder, stopped at teardown."""
    env = {"DATABASE_URL": _test_database_url(), "MEDIA_ROOT": str(media)}
    with running_worker("speech", tmp_path / "worker.log", env):
        yield tmp_path / "worker.log"


def wait_for_status(sid: str, log: Path, timeout: float = 60) -> Announcement:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        announcement = Announcement.objects.get(sid=sid)
        if announcement.status != "PROCESSING":
            return announcement
        time.sleep(0.2)
    pytest.fail(f"{sid} still PROCESSING after {timeout} s:\n{log.read_text()[-3000:]}")


def test_a_real_worker_renders_what_the_api_queues(tenant, speech_worker, audio_dir):
    sid = create_tts(tenant.bg, text="Your call is important to us.")["sid"]
    announcement = wait_for_status(sid, speech_worker)
    assert announcement.status == "READY", announcement.failure_reason
    assert wav_facts(content_of(get_audio(tenant.bg.client, sid)))[:3] == (8000, 1, 2)

    uploaded = assert_ok(upload(tenant.bg, audio_dir / "tone.mp3", name="Hold"), status=201)["sid"]
    assert wait_for_status(uploaded, speech_worker).status == "READY"
    assert assert_ok(tenant.bg.get(f"{URL}/search/{uploaded}"))["durationSeconds"] == pytest.approx(3.0, abs=0.1)

    # A change goes through the worker too, and only its newest revision is kept.
    assert_ok(tenant.bg.put(f"{URL}/{sid}", {"text": "Please hold."}))
    assert_ok(tenant.bg.put(f"{URL}/{sid}", {"text": "Please hold the line."}))
    announcement = wait_for_status(sid, speech_worker)
    assert (announcement.status, announcement.revision) == ("READY", 3)
    assert announcement.audio_file.name.endswith(f"{sid}-3.wav")
    assert "autoattendant.render_announcement" in speech_worker.read_text()


def test_basic_auth_header_helper_is_what_the_console_sends(tenant):
    """The audio URL works with the same Basic credentials as the JSON API (emailId and auth token)."""
    sid = create_tts(tenant.bg)["sid"]
    render(sid)
    raw = base64.b64encode(f"{tenant.bg_admin.email_id}:{api_token(tenant.bg_admin)}".encode()).decode()
    response = APIClient().get(f"{URL}/{sid}/audio.wav", HTTP_AUTHORIZATION=f"Basic {raw}")
    assert response.status_code == 200


def test_a_signed_upload_larger_than_django_keeps_in_memory(tenant, tmp_path):
    """A CSP's server uploads with its HMAC key: the body it signed may exceed DATA_UPLOAD_MAX_MEMORY_SIZE."""
    big = tmp_path / "big.wav"
    sox("-n", "-r", "44100", "-c", "2", "-b", "16", str(big), "synth", "20", "sine", "440")
    assert big.stat().st_size > 2.5 * 1024 * 1024
    with open(big, "rb") as handle:
        body = encode_multipart(BOUNDARY, {"name": "Signed", "enterpriseSid": tenant.enterprise.sid, "audio": handle})
    stamp = str(int(time.time()))
    response = APIClient().post(
        URL,
        body,
        content_type=MULTIPART_CONTENT,
        HTTP_X_AA_KEY_SID=tenant.hmac_key.sid,
        HTTP_X_AA_TIMESTAMP=stamp,
        HTTP_X_AA_SIGNATURE=sign(tenant.hmac_key.key, stamp, "POST", URL, body),
    )
    data = assert_ok(_json(response), status=201)
    assert render(data["sid"]) == rendering.READY
    assert Announcement.objects.get(sid=data["sid"]).duration_seconds == pytest.approx(20, abs=0.05)


def test_form_bodies_too_large_to_parse_are_400(tenant):
    response = tenant.bg.client.post(URL, {"name": "x", "text": "a" * 3_000_000}, format="multipart")
    assert_error(_json(response), 400)
    response = tenant.bg.client.post(URL, {"name": "x", **{f"f{i}": "1" for i in range(1200)}}, format="multipart")
    assert_error(_json(response), 400)
    form = "name=x&text=" + "a" * 3_000_000
    assert_error(_json(tenant.bg.client.post(URL, form, content_type="application/x-www-form-urlencoded")), 400)


def test_responses_match_the_documented_schema(tenant, openapi_schema, audio_dir):
    """Uploads, their refusals, a rendered announcement and its audio's errors are what the schema says."""
    sid = create_tts(tenant.bg)["sid"]
    render(sid)
    api = tenant.bg
    calls = [
        ("/autoattendant/announcement", "post", api.post(URL, tts_body(name="Second"))),
        ("/autoattendant/announcement", "post", upload(api, audio_dir / "tone.flac", name="Upload")),
        ("/autoattendant/announcement", "post", upload(api, audio_dir / "garbage.wav", name="Bad")),
        ("/autoattendant/announcement", "post", api.post(URL, {"name": "No text", "type": "TTS"})),
        ("/autoattendant/announcement/search/{sid}", "get", api.get(f"{URL}/search/{sid}")),
        ("/autoattendant/announcement/{sid}/audio.wav", "get", get_audio(api.client, UNKNOWN_AN)),
    ]
    assert assert_documented(openapi_schema, calls) == {200, 201, 400, 409}

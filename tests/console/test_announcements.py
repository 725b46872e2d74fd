"""Announcements in the console: typed or uploaded, rendered for real, played back, scoped to the tenant."""

from __future__ import annotations

import subprocess
import wave
from io import BytesIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from autoattendant.models import Announcement
from autoattendant.services import announcement_rendering
from autoattendant.services.menus import create_menu
from autoattendant.services.phone_numbers import create_phone_number
from autoattendant.services.systems import create_system

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def bg(client, tenant):
    client.force_login(tenant.bg_admin)
    return client


def render(announcement: Announcement) -> str:
    """The Celery task, run in-process (as the worker would once the upload commits)."""
    return announcement_rendering.render(announcement.sid, Announcement.objects.get(pk=announcement.pk).revision)


def tone(tmp_path: Path, seconds: float = 1.0) -> bytes:
    path = tmp_path / "tone.mp3"
    subprocess.run(["sox", "-n", "-r", "44100", "-c", "2", str(path), "synth", str(seconds), "sine", "440"], check=True)
    return path.read_bytes()


def test_typed_text_is_rendered_and_played_in_the_page(bg, tenant):
    response = bg.post(
        "/console/announcements/new/",
        {"name": "Welcome", "type": "TTS", "text": "Thank you for calling Acme.", "language": "en", "voice": "woman"},
    )
    assert response.status_code == 302
    welcome = Announcement.objects.get(name="Welcome")
    assert welcome.enterprise == tenant.enterprise and welcome.status == "PROCESSING"
    rendering = bg.get("/console/announcements/").content.decode()
    assert f'hx-get="/console/announcements/{welcome.sid}/row/"' in rendering and "Rendering…" in rendering
    assert bg.get(f"/console/announcements/{welcome.sid}/audio.wav").status_code == 404  # nothing to play yet
    assert render(welcome) == announcement_rendering.READY
    row = bg.get(f"/console/announcements/{welcome.sid}/row/").content.decode()
    assert "hx-trigger" not in row and f"/console/announcements/{welcome.sid}/audio.wav?r=1" in row
    audio = bg.get(f"/console/announcements/{welcome.sid}/audio.wav")
    assert audio.status_code == 200 and audio["Content-Type"] == "audio/wav"
    with wave.open(BytesIO(b"".join(audio.streaming_content))) as wav:
        assert wav.getframerate() == 8000 and wav.getnframes() > 8000  # more than a second of speech


def test_an_uploaded_file_is_transcoded(bg, tenant, tmp_path):
    upload = SimpleUploadedFile("jingle.mp3", tone(tmp_path, 2.0), content_type="audio/mpeg")
    response = bg.post("/console/announcements/new/", {"name": "Jingle", "type": "AUDIO", "language": "en",
                                                       "voice": "woman", "audio": upload})  # fmt: skip
    assert response.status_code == 302
    jingle = Announcement.objects.get(name="Jingle")
    assert jingle.type == "AUDIO" and render(jingle) == announcement_rendering.READY
    jingle.refresh_from_db()
    assert 1.9 < jingle.duration_seconds < 2.1
    page = bg.get(f"/console/announcements/{jingle.sid}/").content.decode()
    assert "2.0 s" in page and "<audio" in page


def test_bad_input_is_shown_next_to_its_field_and_nothing_is_saved(bg, tenant):
    no_text = bg.post("/console/announcements/new/", {"name": "Empty", "type": "TTS", "language": "en", "voice": "man"})
    assert no_text.status_code == 400 and "A TTS announcement needs its text. (400)" in no_text.content.decode()
    garbage = SimpleUploadedFile("noise.wav", b"not audio at all", content_type="audio/wav")
    unreadable = bg.post("/console/announcements/new/", {"name": "Noise", "type": "AUDIO", "language": "en",
                                                         "voice": "man", "audio": garbage})  # fmt: skip
    page = unreadable.content.decode()
    assert unreadable.status_code == 400 and "(527)" in page
    assert page.index("(527)") > page.index('name="audio"') - 400  # in the audio field's group
    assert not Announcement.objects.exists()


def test_csp_admin_picks_the_enterprise(client, tenant):
    client.force_login(tenant.csp_admin)
    missing = client.post("/console/announcements/new/", {"name": "Hi", "type": "TTS", "text": "Hi", "language": "en",
                                                           "voice": "man"})  # fmt: skip
    assert missing.status_code == 400 and "This field is required. (521)" in missing.content.decode()
    data = {"name": "Hi", "type": "TTS", "text": "Hi", "language": "en", "voice": "man"}
    made = client.post("/console/announcements/new/", {**data, "enterprise": tenant.enterprise.sid})
    assert made.status_code == 302 and Announcement.objects.get().enterprise == tenant.enterprise


def test_an_announcement_in_use_is_not_deleted_and_the_page_says_where(bg, tenant):
    bg.post("/console/announcements/new/", {"name": "Hello", "type": "TTS", "text": "Hello", "language": "en",
                                            "voice": "woman"})  # fmt: skip
    hello = Announcement.objects.get()
    aa = create_phone_number(tenant.csp_admin, number="+15550100", enterprise_sid=tenant.enterprise.sid)
    system = create_system(tenant.csp_admin, name="Desk", enterprise_sid=tenant.enterprise.sid, aa_number_sids=[aa.sid])
    create_menu(tenant.bg_admin, aa_system_sid=system.sid, name="Main", greeting_announcement_sid=hello.sid)
    refused = bg.post(f"/console/announcements/{hello.sid}/delete/", follow=True).content.decode()
    assert "not deleted: Announcement is in use (523)" in refused and "(Main) greeting" in refused
    assert Announcement.objects.filter(pk=hello.pk).exists()
    renamed = bg.post(f"/console/announcements/{hello.sid}/", {"name": "Hello there", "type": "TTS", "text": "Hello",
                                                               "language": "en", "voice": "woman"})  # fmt: skip
    assert renamed.status_code == 302 and Announcement.objects.get().name == "Hello there"


def test_deleting_an_unused_announcement(bg):
    bg.post("/console/announcements/new/", {"name": "Old", "type": "TTS", "text": "Old", "language": "en",
                                            "voice": "woman"})  # fmt: skip
    old = Announcement.objects.get()
    assert bg.post(f"/console/announcements/{old.sid}/delete/").status_code == 302
    assert not Announcement.objects.exists()


def test_another_enterprise_sees_nothing(client, tenant, other_tenant):
    client.force_login(tenant.bg_admin)
    client.post("/console/announcements/new/", {"name": "Secret", "type": "TTS", "text": "Secret", "language": "en",
                                                "voice": "woman"}, follow=True)  # fmt: skip
    secret = Announcement.objects.get()
    render(secret)
    client.force_login(other_tenant.bg_admin)
    assert b"Secret" not in client.get("/console/announcements/").content
    for url in ("/", "/row/", "/audio.wav"):
        assert client.get(f"/console/announcements/{secret.sid}{url}").status_code == 404
    assert client.post(f"/console/announcements/{secret.sid}/delete/").status_code == 404
    assert Announcement.objects.filter(pk=secret.pk).exists()


def test_an_aa_admin_listens_but_does_not_change(client, tenant):
    client.force_login(tenant.bg_admin)
    client.post("/console/announcements/new/", {"name": "Hours", "type": "TTS", "text": "We open at nine.",
                                                "language": "en", "voice": "woman"})  # fmt: skip
    hours = Announcement.objects.get()
    client.force_login(tenant.aa_admin)
    listed = client.get("/console/announcements/").content.decode()
    assert "Hours" in listed and "New announcement" not in listed
    assert client.get("/console/announcements/new/").status_code == 403
    changed = client.post(f"/console/announcements/{hours.sid}/", {"name": "Mine", "type": "TTS", "text": "x",
                                                                   "language": "en", "voice": "man"})  # fmt: skip
    assert changed.status_code == 404 and Announcement.objects.get().name == "Hours"

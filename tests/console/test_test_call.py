"""Test a call: the keypad runs the real simulator over the published RCML; prompts are playable."""

from __future__ import annotations

import re
import wave
from io import BytesIO
from pathlib import Path

import pytest

from autoattendant.choices import ActionType, ExtensionType, ScheduleType
from autoattendant.models import Schedule
from tests.telephony.rcml_support import Attendant, option

pytestmark = pytest.mark.django_db
NUMBER = "+14155550100"


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def office(tenant):
    """Main menu (greeting spoken) with 1 → Sales, 2 → extension 201; Sales says its own greeting; an
    after-hours menu answers on weekends (system time zone Europe/Berlin)."""
    aa = Attendant.build(tenant, NUMBER, extensions=(("201", "Alice", ExtensionType.NUMBER),))
    aa.set(timezone_id="Europe/Berlin")
    welcome = aa.announcement("Welcome", text="Welcome to Acme.")
    sales_hello = aa.announcement("Sales hello", text="Sales here.")
    sales = aa.menu("Sales", greeting=sales_hello)
    main = aa.menu("Main", greeting=welcome)
    main.options = [option("1", ActionType.GO_TO_MENU, sales.sid),
                    option("2", ActionType.TRANSFER_TO_EXTENSION, aa.ext("201").sid)]  # fmt: skip
    main.save()
    closed = aa.menu("Closed", options=[option("1", ActionType.HANGUP)])
    Schedule.objects.create(
        aa_system=aa.system, menu=closed, type=ScheduleType.WORK_HOURS,
        weekly_ranges=[{"days": ["SAT", "SUN"], "start": "00:00", "end": "24:00"}],
    )  # fmt: skip
    aa.set(default_menu=main)
    aa.publish()
    return aa


def call(client, aa, *, at="2026-12-02T10:00", keys="", press=None, **extra):
    data = {"number": NUMBER, "at": at, "keys": keys, "dial_status": "completed", **extra}
    if press is not None:
        data["press"] = press
    return client.post(f"/console/systems/{aa.system.sid}/test-call/", data)


def test_the_keypad_walks_the_menus_and_keeps_the_keys(client, tenant, office):
    client.force_login(tenant.bg_admin)
    page = client.get(f"/console/systems/{office.system.sid}/test-call/").content.decode()
    assert 'aria-label="Press 5"' in page and "Europe/Berlin" in page and f'value="{NUMBER}"' in page
    first = call(client, office, press="1").content.decode()
    assert re.search(r'class="menu-path">Main › Sales</dd>', first)
    assert 'name="keys" value="1"' in first  # the next press goes on from here
    steps = first[first.index("Step by step") :]
    assert steps.index("the announcement Welcome") < steps.index("The caller presses 1") < steps.index("Sales hello")
    transfer = call(client, office, press="2").content.decode()
    assert "Transfer" in transfer and "to extension 201 (+16505550201)" in transfer


def test_the_schedule_in_the_system_time_zone_picks_the_menu(client, tenant, office):
    client.force_login(tenant.bg_admin)
    # Saturday 00:30 in Berlin is still Friday 23:30 UTC: the weekend menu answers.
    weekend = call(client, office, at="2026-12-05T00:30").content.decode()
    assert 'class="menu-path">Closed</dd>' in weekend
    friday = call(client, office, at="2026-12-04T23:30").content.decode()
    assert 'class="menu-path">Main</dd>' in friday and "Friday 4 December 2026, 23:30 (Europe/Berlin)" in friday


def test_prompts_play_as_the_caller_hears_them(client, tenant, office):
    client.force_login(tenant.bg_admin)
    page = call(client, office).content.decode()
    sources = re.findall(r'<audio controls preload="none" src="([^"]+)"', page)
    welcome = office.system.enterprise.announcements.get(name="Welcome")
    assert sources[0] == f"/console/announcements/{welcome.sid}/audio.wav"  # the greeting first
    speech = [source for source in sources if source.startswith("/console/test-call/speech.wav?s=")]
    assert speech  # then, with no key pressed, the spoken "Sorry, …" of the timeout policy
    spoken = client.get(speech[0])
    assert spoken.status_code == 200
    with wave.open(BytesIO(b"".join(spoken.streaming_content))) as wav:
        assert wav.getframerate() == 8000 and wav.getnframes() > 4000
    # Only what the simulator said is spoken: a forged or altered token is refused.
    assert client.get("/console/test-call/speech.wav?s=forged").status_code == 404
    assert client.get(speech[0][:-3] + "abc").status_code == 404


def test_bad_input_is_shown_next_to_the_field(client, tenant, office):
    client.force_login(tenant.bg_admin)
    bad_keys = call(client, office, keys="1,x")
    assert bad_keys.status_code == 400 and "use the keys 0-9, * and #" in bad_keys.content.decode()
    bad_time = call(client, office, at="soon")
    assert bad_time.status_code == 400 and "Enter a valid date/time." in bad_time.content.decode()
    not_ours = call(client, office, number="+19999999999")
    assert not_ours.status_code == 400 and "Select a valid choice" in not_ours.content.decode()


def test_an_unpublished_system_says_so(client, tenant):
    aa = Attendant.build(tenant, NUMBER)
    client.force_login(tenant.bg_admin)
    response = call(client, aa)
    assert response.status_code == 400 and "(531)" in response.content.decode()


def test_another_tenant_cannot_test_this_system(client, other_tenant, office):
    client.force_login(other_tenant.bg_admin)
    assert client.get(f"/console/systems/{office.system.sid}/test-call/").status_code == 404
    assert call(client, office).status_code == 404

"""The console as its users meet it, in headless Chromium against the product as `make run` serves it
(gunicorn with whitenoise, a real Celery worker): a CSP admin provisions, an enterprise admin arrives
by single sign-on and shapes what callers hear, another enterprise's admin sees none of it.

Every request the browser makes must go to the portal itself: the console works offline.
"""

from __future__ import annotations

import re
import subprocess
import time
import uuid
from urllib.parse import urlencode, urlsplit

import pytest

from portal.console.sso import sso_signature
from tests.console.conftest import STACK_PASSWORD, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def offline(console_stack):
    """Requests to anywhere but the portal are refused and remembered."""
    outside: list[str] = []
    portal = urlsplit(console_stack.url).netloc

    def guard(route):
        url = route.request.url
        if urlsplit(url).netloc == portal or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    return guard, outside


def sso_link(stack, email: str) -> str:
    key, key_sid = stack.credentials["hmacKey"], stack.credentials["hmacKeySid"]
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex
    query = {
        "emailId": email,
        "timestamp": timestamp,
        "nonce": nonce,
        "keySid": key_sid,
        "signature": sso_signature(key, email, timestamp, nonce, key_sid),
    }
    return f"{stack.url}/autoattendant/sso?{urlencode(query)}"


def test_sign_in_page_is_served_by_the_portal_alone(console_stack, page, screens, offline):
    guard, outside = offline
    page.route("**/*", guard)
    page.goto(console_stack.url + "/")
    assert page.url.endswith("/console/login/?next=/console/")
    # The stylesheet and htmx came from the portal (whitenoise), not from a CDN.
    assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).display") == "flex"
    screens.shot(page, "sign in")
    page.get_by_label("Email").fill(console_stack.email)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_text("do not match an active user").is_visible()
    sign_in(page, console_stack.url, console_stack.email, STACK_PASSWORD)
    assert page.evaluate("typeof window.htmx") == "object"
    screens.shot(page, "dashboard")
    assert outside == []


CSV = (
    "number,extension,type,name,clientPassword\n"
    "+14155550100,,,Main line,\n"
    "+14155550201,201,number,Alice,\n"
    "+14155550202,202,number,Bob,\n"
    "+14155550201,203,number,Carol,\n"  # the number is Alice's already: reported, not imported
)


def field(page, label: str):
    """The form field with this label (Django's labels end with a colon)."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}:?$"))


def fits_a_phone(page) -> bool:
    """Nothing wider than a 390 px screen: no sideways scrolling of the page itself."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def wait_until_playable(page, audio) -> float:
    """The browser fetched the WAV and decoded its header: its length in seconds."""
    audio.evaluate("a => { a.preload = 'auto'; a.load(); }")
    page.wait_for_function("a => a.readyState >= 1 && a.duration > 0", arg=audio.element_handle())
    return audio.evaluate("a => a.duration")


def test_a_csp_provisions_and_an_enterprise_admin_shapes_what_callers_hear(
    console_stack, browser, page, screens, offline, tmp_path
):
    stack, base = console_stack, console_stack.url
    guard, outside = offline
    page.route("**/*", guard)

    # The CSP admin: two enterprises, numbers from a CSV file, an AA system.
    sign_in(page, base, stack.email, STACK_PASSWORD)
    for name, admin in (("Story Corp", "boss@story.test"), ("Rival Inc", "boss@rival.test")):
        page.goto(base + "/console/enterprises/")
        page.get_by_role("link", name="New enterprise").click()
        field(page, "Name").fill(name)
        field(page, "Admin email").fill(admin)
        field(page, "Admin name").fill(f"{name} admin")
        field(page, "Admin password").fill("enterprise-pass-1")
        page.get_by_role("button", name="Create enterprise").click()
        page.get_by_text(f"Enterprise {name}").first.wait_for()
    page.goto(base + "/console/enterprises/")
    assert page.get_by_role("link", name="Story Corp").is_visible()
    screens.shot(page, "enterprises")
    page.goto(base + "/console/keys/")
    screens.shot(page, "hmac keys")

    page.goto(base + "/console/numbers/")
    page.get_by_role("link", name="Import from CSV").click()
    field(page, "Enterprise").select_option(label="Story Corp")
    field(page, "CSV file").set_input_files(
        files=[{"name": "story.csv", "mimeType": "text/csv", "buffer": CSV.encode()}]
    )
    screens.shot(page, "csv import")
    page.get_by_role("button", name="Start import").click()
    page.get_by_text("4 of 4 rows").wait_for(timeout=60_000)  # the worker's progress, polled by htmx
    screens.shot(page, "import report")
    report = page.locator("#import-progress")
    assert "3 created, 1 failed" in report.inner_text() and "(510)" in report.inner_text()

    page.goto(base + "/console/systems/")
    page.get_by_role("link", name="New AA system").click()
    field(page, "Enterprise").select_option(label="Story Corp")
    page.get_by_role("button", name="Continue").click()
    field(page, "Name").fill("Front desk")
    field(page, "Time zone").select_option("Europe/Berlin")
    for number in ("+14155550100", "+14155550201", "+14155550202"):  # the AA number and two extensions
        page.get_by_role("checkbox", name=re.compile(re.escape(number))).check()
    screens.shot(page, "new system")
    page.get_by_role("button", name="Create AA system").click()
    page.get_by_role("heading", name="Front desk").wait_for()
    system_url = page.url
    screens.shot(page, "system overview")
    page.get_by_role("button", name="Sign out").click()

    # The enterprise admin arrives from the CSP's own portal by single sign-on.
    page.goto(sso_link(stack, "boss@story.test"))
    page.wait_for_url(base + "/console/")
    assert page.locator(".account .who").inner_text() == "boss@story.test"

    recording = tmp_path / "welcome.wav"
    subprocess.run(["espeak-ng", "-w", str(recording), "Welcome to Story Corp."], check=True)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Announcements").click()
    page.get_by_role("link", name="New announcement").click()
    field(page, "Name").fill("Welcome")
    page.get_by_role("radio", name="An audio file").check()
    assert field(page, "Text").is_hidden()  # only the chosen kind's fields
    field(page, "Audio file").set_input_files(str(recording))
    screens.shot(page, "new announcement")
    page.get_by_role("button", name="Save announcement").click()
    page.get_by_role("link", name="New announcement").click()
    field(page, "Name").fill("Sales hello")
    field(page, "Text").fill("You are through to sales. Press 1 for Bob.")
    page.get_by_role("button", name="Save announcement").click()
    for name in ("Welcome", "Sales hello"):  # rendered by the worker; each row polls until it is ready
        player = page.get_by_label(f"Play {name}")
        player.wait_for(timeout=60_000)
        assert wait_until_playable(page, player) > 1.0
    screens.shot(page, "announcements")

    # Menus: Sales (a submenu), then Main, the default.
    page.goto(system_url)
    page.get_by_role("link", name="Menus").click()
    page.get_by_role("link", name="New menu").click()
    field(page, "Name").fill("Sales")
    field(page, "Greeting").select_option(label="Sales hello")
    field(page, "Key 1").select_option(label="Transfer to an extension")
    field(page, "Key 1: target").select_option(label="202 Bob")
    page.get_by_role("button", name="Save menu").click()
    page.get_by_role("link", name="New menu").click()
    field(page, "Name").fill("Main")
    field(page, "Greeting").select_option(label="Welcome")
    field(page, "Key 1").select_option(label="Go to a menu")
    field(page, "Key 1: target").select_option(label="Sales")
    field(page, "Key 2").select_option(label="Transfer to an extension")
    field(page, "Key 2: target").select_option(label="201 Alice")
    field(page, "Key 9").select_option(label="Go to a menu")
    field(page, "Key 9: target").select_option(label="Sales")
    screens.shot(page, "menu editor")
    page.get_by_role("button", name="Save menu").click()
    page.get_by_role("link", name="New menu").click()
    field(page, "Name").fill("Closed")
    field(page, "Greeting").select_option(label="Welcome")
    page.get_by_role("button", name="Save menu").click()
    page.get_by_role("row", name="Main").get_by_role("button", name="Set as default").click()
    page.get_by_text("Main is now the default menu.").wait_for()
    assert page.locator(".map-scroll svg").count() == 1  # the picture of where callers go
    screens.shot(page, "menus")

    schedules_story(page, screens)

    # Test a call at 10:00 on a Wednesday (work hours), pressing 1 for Sales.
    page.get_by_role("link", name="Test a call").click()
    field(page, "When").fill("2026-12-02T10:00")
    page.get_by_role("button", name="Press 1").click()
    path = page.locator(".menu-path")
    path.wait_for(timeout=30_000)
    assert path.inner_text() == "Main › Sales"
    assert field(page, "Keys pressed").input_value() == "1"
    page.get_by_role("button", name="Press 1").click()  # 1 again: Bob
    page.get_by_text("to extension 202").first.wait_for()
    prompts = page.locator(".prompts audio")
    assert prompts.count() >= 2 and page.get_by_role("button", name="Play in order").is_visible()
    assert wait_until_playable(page, prompts.first) > 1.0
    screens.shot(page, "test a call")
    field(page, "Keys pressed").fill("2")
    field(page, "Keys pressed").press("Enter")  # Enter calls with the keys typed; it presses no keypad key
    page.get_by_text("to extension 201").first.wait_for()
    assert page.locator(".menu-path").inner_text() == "Main" and field(page, "Keys pressed").input_value() == "2"
    page.goto(f"{base}/console/calls/")
    screens.shot(page, "calls")

    # At a phone's width, the pages still fit.
    page.set_viewport_size({"width": 390, "height": 844})
    for url in (system_url, system_url + "menus/", system_url + "schedules/", system_url + "test-call/",
                base + "/console/announcements/"):  # fmt: skip
        page.goto(url)
        assert fits_a_phone(page), url
    screens.shot(page, "announcements at 390 px")
    page.goto(system_url + "test-call/")
    page.get_by_role("button", name="Press 1").click()
    page.locator(".menu-path").wait_for()
    assert fits_a_phone(page)
    screens.shot(page, "test a call at 390 px")
    page.goto(base + "/console/announcements/")
    announcement_url = page.get_by_role("link", name="Welcome").get_attribute("href")

    # Another enterprise's admin sees none of it.
    rival = browser.new_context(viewport={"width": 1280, "height": 900})
    other = rival.new_page()
    other.goto(sso_link(stack, "boss@rival.test"))
    other.wait_for_url(base + "/console/")
    other.goto(base + "/console/announcements/")
    assert other.get_by_text("No announcements yet").is_visible()
    other.goto(base + "/console/systems/")
    assert other.get_by_text("Front desk").count() == 0
    for url in (system_url, system_url + "menus/", system_url + "test-call/", base + announcement_url):
        assert other.goto(url).status == 404, url
    screens.shot(other, "another enterprise")
    rival.close()
    assert outside == []


def schedules_story(page, screens) -> None:
    """Work hours answered by Main, Christmas by Closed; the page reads them back and the timeline."""
    page.get_by_role("link", name="Schedules").click()
    page.get_by_role("link", name="New work hours").click()
    field(page, "Name").fill("Office hours")
    field(page, "Menu").select_option(label="Main (default menu)")
    field(page, "Kind").select_option("WORK_HOURS")
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"):
        field(page, f"{day} 1 start").fill("09:00")
        field(page, f"{day} 1 end").fill("17:00")
    screens.shot(page, "work hours form")
    page.get_by_role("button", name="Save schedule").click()
    page.get_by_text("Schedule Office hours saved.").wait_for()
    page.get_by_role("link", name="New special day").click()
    field(page, "Name").fill("Christmas")
    field(page, "Menu").select_option(label="Closed")
    field(page, "Kind").select_option("SPECIAL_DAY")
    field(page, "Day 1 Date").fill("2026-12-25")
    field(page, "Day 1 Every year").check()
    page.get_by_role("button", name="Save schedule").click()
    page.get_by_text("Schedule Christmas saved.").wait_for()
    assert "25 December every year" in page.locator("#special-days").inner_text()
    monday = page.locator('#work-hours [data-day="MON"]').inner_text()
    assert "Main" in monday and "09:00–17:00" in monday
    # Placed in the day by console.js from data-css-vars (no style attributes under the CSP): 09:00 is
    # 37.5% down the day, and the block spans 8 hours.
    block = page.locator('#work-hours [data-day="MON"] .block').first
    assert float(block.evaluate("b => getComputedStyle(b).getPropertyValue('--start')")) == 37.5
    track = page.locator('#work-hours [data-day="MON"] .track').first.bounding_box()
    box = block.bounding_box()
    assert abs((box["y"] - track["y"]) / track["height"] - 0.375) < 0.02 and box["height"] > track["height"] / 4
    timeline = page.locator("#timeline").inner_text()
    assert "Europe/Berlin" in page.locator("#timezone").inner_text()
    assert "09:00–17:00" in timeline and "Work hours: Office hours" in timeline and "Default menu" in timeline
    screens.shot(page, "schedules")

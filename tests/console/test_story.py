"""The console as its users meet it, in headless Chromium against the product as `make run` serves it
(gunicorn with whitenoise, a real Celery worker): a CSP admin provisions, an enterprise admin arrives
by single sign-on and shapes what callers hear, another enterprise's admin sees none of it.

Every request the browser makes must go to the portal itself: the console works offline.
"""

from __future__ import annotations

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

"""The API docs pages in Chromium, under their Content-Security-Policy."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_the_docs_pages_render_under_their_policy(console_stack, page, screens):
    """Swagger UI and ReDoc start and draw the API; the page fixture fails on any CSP violation."""
    page.goto(console_stack.url + "/autoattendant/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "Auto Attendant Portal API" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator(".opblock").first.wait_for()
    screens.shot(page, "swagger")
    page.goto(console_stack.url + "/autoattendant/redoc/")
    page.get_by_role("heading", name="Auto Attendant Portal API").first.wait_for()
    screens.shot(page, "redoc")

"""Every answer under /autoattendant is the envelope, even where Django's CSRF check would answer first."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api.test_auth import assert_envelope

UNKNOWN = ["/autoattendant/nothing", "/autoattendant/enterprise/search/x/y", "/autoattendant/", "/autoattendant"]


@pytest.mark.parametrize("path", UNKNOWN)
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_unknown_routes_are_404_before_any_csrf_check(tenant, method, path):
    """As a browser or a script sends them: no CSRF token, signed out or signed in to the console."""
    anonymous, signed_in = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    signed_in.force_login(tenant.bg_admin)
    for client in (anonymous, signed_in):
        response = getattr(client, method)(path, "{}", content_type="application/json")
        assert assert_envelope(response, 404)["errorCode"] == "404"


def test_a_csrf_failure_under_autoattendant_is_the_envelope(tenant):
    """A route that exists but is not the API's (single sign-on links): the CSRF refusal as an envelope."""
    strict = Client(enforce_csrf_checks=True)
    body = assert_envelope(strict.post("/autoattendant/sso"), 403)
    assert body["errorCode"] == "403" and "CSRF" in body["message"]
    console = strict.post("/console/login/", {"username": "bg@acme.test", "password": "x"})
    assert console.status_code == 403 and b"This form has expired" in console.content  # the console's page

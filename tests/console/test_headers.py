"""Security headers: a strict Content-Security-Policy, HSTS over TLS only, no-store on signed-in answers."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from tests.servers import BASE_DIR

pytestmark = pytest.mark.django_db

CONSOLE_PAGES = [
    "/console/",
    "/console/enterprises/",
    "/console/numbers/",
    "/console/systems/",
    "/console/users/",
    "/console/keys/",
    "/console/calls/",
    "/console/announcements/",
    "/console/password/",
]


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def assert_strict(response) -> None:
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    for directive in ("script-src", "style-src"):
        assert policy[directive] == ["'self'"], policy
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"] and policy["base-uri"] == ["'self'"]


def test_every_console_page_has_a_strict_policy(client, tenant):
    assert_strict(client.get("/console/login/"))
    client.force_login(tenant.csp_admin)
    for path in CONSOLE_PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_strict(response)
    assert_strict(client.get("/console/nothing-here/"))  # the 404 page too


INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE)


def test_the_console_has_no_inline_code_or_styles(client, tenant):
    """What the policy would block: inline scripts, <style>, style attributes, on* handlers."""
    templates = [path for path in (BASE_DIR / "templates").rglob("*.html") if "drf_spectacular" not in path.parts]
    found = {str(path.relative_to(BASE_DIR)): INLINE.findall(path.read_text()) for path in templates}
    assert not {path: hits for path, hits in found.items() if hits}
    client.force_login(tenant.csp_admin)
    for path in ["/console/login/", *CONSOLE_PAGES]:
        assert not INLINE.findall(client.get(path).content.decode()), path


def test_the_docs_pages_have_their_own_policy_with_a_nonce(client, db):
    for path in ("/autoattendant/docs/", "/autoattendant/redoc/"):
        response = client.get(path)
        assert response.status_code == 200
        policy = directives(response)
        nonces = [source[7:-1] for source in policy["script-src"] if source.startswith("'nonce-")]
        assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
        inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", response.content.decode())
        if path == "/autoattendant/docs/":
            assert inline, "Swagger UI starts from an inline script"
        assert all(len(nonces) == 1 and f'nonce="{nonces[0]}"' in attributes for attributes in inline), inline
    # The console keeps its strict one.
    assert_strict(client.get("/console/login/"))


def test_signed_in_answers_are_not_stored(client, tenant):
    assert "no-store" not in client.get("/autoattendant/docs/").get("Cache-Control", "")
    client.force_login(tenant.csp_admin)
    for path in CONSOLE_PAGES:
        assert "no-store" in client.get(path)["Cache-Control"], path
    # API answers carry tenant data, tokens and HMAC keys: not stored either.
    for response in (
        tenant.csp.client.get("/autoattendant/enterprise/search"),
        tenant.csp.client.get("/autoattendant/hmac/search"),
    ):
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]


def test_hsts_only_over_tls(client, settings, db):
    settings.SECURE_HSTS_SECONDS = 31536000
    assert client.get("/console/login/", secure=True)["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in client.get("/console/login/")


@pytest.mark.parametrize(
    ("env", "seconds"),
    [
        ({}, 0),
        ({"SECURE_COOKIES": "1"}, 31536000),
        ({"BEHIND_TLS_PROXY": "1"}, 31536000),
        ({"SECURE_COOKIES": "1", "HSTS_SECONDS": "600"}, 600),
    ],
)
def test_hsts_is_on_when_served_over_tls(env, seconds, monkeypatch):
    for name in ("SECURE_COOKIES", "BEHIND_TLS_PROXY", "HSTS_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    code = "import json, portal.settings as s; print(json.dumps(s.SECURE_HSTS_SECONDS))"
    output = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(output.stdout) == seconds

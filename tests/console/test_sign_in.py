"""Signing in: password, lockout after failures, password change, logout, and HMAC single sign-on."""

from __future__ import annotations

import re
import time
import uuid

import pytest
from django.test import Client

from autoattendant.choices import AuditAction, UserStatus
from autoattendant.models import AuditEntry
from portal.console.sso import sso_signature
from tests.conftest import PASSWORD, Api

pytestmark = pytest.mark.django_db


def sso_url(key, email: str, *, timestamp: int | None = None, nonce: str | None = None, signature=None) -> str:
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or uuid.uuid4().hex
    signature = signature or sso_signature(key.key, email, timestamp, nonce, key.sid)
    return (
        f"/autoattendant/sso?emailId={email}&timestamp={timestamp}&nonce={nonce}&keySid={key.sid}&signature={signature}"
    )


def test_console_pages_need_sign_in(client):
    response = client.get("/console/")
    assert response.status_code == 302 and response["Location"].startswith("/console/login/")
    assert client.get("/").status_code == 302


def test_sign_in_with_email_and_password_is_audited(client, tenant):
    response = client.post("/console/login/", {"username": "BG@acme.test", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/console/"
    page = client.get("/console/")
    assert page.status_code == 200 and b"bg@acme.test" in page.content
    entry = AuditEntry.objects.get(action=AuditAction.SIGN_IN)
    assert entry.actor == tenant.bg_admin and entry.after == {"via": "password"}


def test_wrong_password_is_refused_next_to_the_form_and_locks_out(client, tenant, settings):
    settings.SIGN_IN_ACCOUNT_LIMIT = 3
    for _ in range(2):
        response = client.post("/console/login/", {"username": "bg@acme.test", "password": "wrong-one"})
        assert response.status_code == 200
        assert b"do not match an active user" in response.content
    locked = client.post("/console/login/", {"username": "bg@acme.test", "password": "wrong-one"})
    assert locked.status_code == 429 and b"Too many failed sign-ins" in locked.content
    # Locked out: even the right password is refused until the cool-off ends.
    still = client.post("/console/login/", {"username": "bg@acme.test", "password": PASSWORD})
    assert still.status_code == 429
    assert 1 <= int(still["Retry-After"]) <= settings.SIGN_IN_COOLOFF_SECONDS
    # Another user from the same address is not locked out.
    other = client.post("/console/login/", {"username": "csp@acme.test", "password": PASSWORD})
    assert other.status_code == 302


def test_an_account_is_locked_out_from_every_address(tenant, settings):
    """Per account, not only per account and address: spreading guesses over addresses gains nothing."""
    settings.SIGN_IN_ACCOUNT_LIMIT = 3
    for n in range(3):
        Client(REMOTE_ADDR=f"127.0.2.{n}").post("/console/login/", {"username": "bg@acme.test", "password": "guess"})
    fresh = Client(REMOTE_ADDR="127.0.2.99").post("/console/login/", {"username": "BG@acme.test", "password": PASSWORD})
    assert fresh.status_code == 429 and b"Too many failed sign-ins" in fresh.content
    # Its API token is a 256-bit secret, not locked by password guesses (README "Authentication").
    assert tenant.bg.get("/autoattendant/enterprise/search").status_code == 200
    rows = AuditEntry.objects.filter(action=AuditAction.SIGN_IN_REFUSED, object_type="console").order_by("id")
    assert [row.after["event"] for row in rows] == ["failed", "failed", "locked", "throttled"]
    assert {row.object_sid for row in rows} == {tenant.bg_admin.sid}
    assert [row.after["source"] for row in rows] == ["127.0.2.0", "127.0.2.1", "127.0.2.2", "127.0.2.99"]
    assert all(row.enterprise_id == tenant.enterprise.pk and "guess" not in str(row.after) for row in rows)


def test_one_address_trying_many_emails_is_throttled(tenant, settings):
    settings.SIGN_IN_SOURCE_LIMIT = 4
    spray = Client(REMOTE_ADDR="127.0.3.1")
    statuses = [
        spray.post("/console/login/", {"username": f"user{n}@acme.test", "password": "Winter2026"}).status_code
        for n in range(10)
    ]
    assert statuses == [200] * 3 + [429] * 7
    # Before the password is checked: the right one is refused from there too.
    assert spray.post("/console/login/", {"username": "bg@acme.test", "password": PASSWORD}).status_code == 429
    assert (
        Client(REMOTE_ADDR="127.0.3.2")
        .post("/console/login/", {"username": "bg@acme.test", "password": PASSWORD})
        .status_code
        == 302
    )
    events = list(
        AuditEntry.objects.filter(action=AuditAction.SIGN_IN_REFUSED, object_type="console").values_list(
            "after__event", flat=True
        )
    )
    assert sorted(events) == sorted(["failed"] * 3 + ["locked", "throttled"])


def test_a_good_password_forgives_the_accounts_earlier_failures(client, tenant, settings):
    settings.SIGN_IN_ACCOUNT_LIMIT = 3
    for _ in range(2):
        client.post("/console/login/", {"username": "bg@acme.test", "password": "wrong-one"})
    assert client.post("/console/login/", {"username": "bg@acme.test", "password": PASSWORD}).status_code == 302
    client.post("/console/logout/")
    for _ in range(2):
        assert client.post("/console/login/", {"username": "bg@acme.test", "password": "wrong-one"}).status_code == 200


def test_inactive_user_cannot_sign_in(client, tenant):
    tenant.bg_admin.status = UserStatus.SUSPENDED
    tenant.bg_admin.save()
    response = client.post("/console/login/", {"username": "bg@acme.test", "password": PASSWORD})
    assert response.status_code == 200 and b"do not match an active user" in response.content


def test_password_change_and_logout(client, tenant):
    client.force_login(tenant.bg_admin)
    wrong = client.post(
        "/console/password/",
        {"old_password": "nope", "new_password1": "a-new-pass-42", "new_password2": "a-new-pass-42"},
    )
    assert wrong.status_code == 200 and b"old password was entered incorrectly" in wrong.content
    changed = client.post(
        "/console/password/",
        {"old_password": PASSWORD, "new_password1": "a-new-pass-42", "new_password2": "a-new-pass-42"},
    )
    assert changed.status_code == 302
    tenant.bg_admin.refresh_from_db()
    assert tenant.bg_admin.check_password("a-new-pass-42")
    assert client.get("/console/logout/").status_code == 405  # sign-out is a POST (CSRF-protected)
    assert client.post("/console/logout/").status_code == 302
    assert client.get("/console/").status_code == 302


def test_guessing_the_old_password_at_password_change_locks_the_account(client, tenant, settings):
    settings.SIGN_IN_ACCOUNT_LIMIT = 3
    client.force_login(tenant.bg_admin)
    guess = {"old_password": "guess", "new_password1": "a-new-pass-42", "new_password2": "a-new-pass-42"}
    statuses = [client.post("/console/password/", guess).status_code for _ in range(4)]
    assert statuses == [200, 200, 429, 429]
    right = {**guess, "old_password": PASSWORD}
    assert client.post("/console/password/", right).status_code == 429
    tenant.bg_admin.refresh_from_db()
    assert tenant.bg_admin.check_password(PASSWORD)
    signing_in = Client(REMOTE_ADDR="127.0.6.1").post(
        "/console/login/", {"username": "bg@acme.test", "password": PASSWORD}
    )
    assert signing_in.status_code == 429


def test_forms_are_csrf_protected(tenant):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/console/login/", {"username": "bg@acme.test", "password": PASSWORD})
    assert response.status_code == 403 and b"This form has expired" in response.content


def test_sso_link_signs_the_user_in(client, tenant):
    response = client.get(sso_url(tenant.hmac_key, "BG@acme.test"))
    assert response.status_code == 302 and response["Location"] == "/console/"
    assert client.get("/console/").status_code == 200
    entry = AuditEntry.objects.get(action=AuditAction.SIGN_IN)
    assert entry.actor == tenant.bg_admin and entry.after == {"via": "sso"}


@pytest.mark.parametrize(
    ("case", "title"),
    [
        ("expired", b"has expired"),
        ("future", b"has expired"),
        ("wrong_signature", b"not signed correctly"),
        ("unknown_key", b"not signed correctly"),
        ("other_organisation", b"not for a user here"),
        ("missing", b"incomplete"),
        ("unknown_user", b"not for a user here"),
    ],
)
def test_sso_refusals_are_a_clear_page_and_an_audit_entry(client, tenant, other_tenant, case, title):
    key = tenant.hmac_key
    if case == "expired":
        url = sso_url(key, "bg@acme.test", timestamp=int(time.time()) - 301)
    elif case == "future":
        url = sso_url(key, "bg@acme.test", timestamp=int(time.time()) + 120)
    elif case == "wrong_signature":
        url = sso_url(key, "bg@acme.test", signature="0" * 64)
    elif case == "unknown_key":
        url = sso_url(key, "bg@acme.test").replace(key.sid, "OHK" + "0" * 31)
    elif case == "other_organisation":
        url = sso_url(key, "bg@globex.test")  # signed right, but with acme's key for a globex user
    elif case == "missing":
        url = sso_url(key, "bg@acme.test").split("&signature=")[0]
    else:
        url = sso_url(key, "nobody@acme.test")
    response = client.get(url)
    assert response.status_code == 403 and title in response.content
    assert client.get("/console/").status_code == 302  # not signed in
    entry = AuditEntry.objects.get(action=AuditAction.SIGN_IN_REFUSED)
    assert entry.object_type == "sso" and entry.after["reason"]
    if case not in ("unknown_key", "missing"):
        assert entry.organisation_id == tenant.csp_admin.organisation_id


def test_junk_sso_links_naming_a_real_key_are_throttled_before_they_are_audited(tenant, settings):
    settings.SIGN_IN_SOURCE_LIMIT = 5
    junk = Client(REMOTE_ADDR="127.0.4.1")
    statuses = [
        junk.get(sso_url(tenant.hmac_key, "bg@acme.test", signature=f"{n:064x}")).status_code for n in range(100)
    ]
    assert statuses == [403] * 4 + [429] * 96
    rows = AuditEntry.objects.filter(action=AuditAction.SIGN_IN_REFUSED, object_type="sso").order_by("id")
    # 96 links refused unchecked: one audit row says so, not 96.
    assert [row.after["event"] for row in rows] == ["failed"] * 4 + ["locked", "throttled"]
    assert all(row.object_sid == tenant.hmac_key.sid and row.after["source"] == "127.0.4.1" for row in rows)
    # A good link from that address waits too; from another it works.
    assert junk.get(sso_url(tenant.hmac_key, "bg@acme.test")).status_code == 429
    assert Client(REMOTE_ADDR="127.0.4.2").get(sso_url(tenant.hmac_key, "bg@acme.test")).status_code == 302


def test_junk_sso_links_from_many_addresses_are_audited_a_bounded_number_of_times(tenant, settings):
    settings.SIGN_IN_ACCOUNT_LIMIT = 5
    for n in range(40):
        Client(REMOTE_ADDR=f"127.0.5.{n}").get(sso_url(tenant.hmac_key, "bg@acme.test", signature="0" * 64))
    rows = AuditEntry.objects.filter(action=AuditAction.SIGN_IN_REFUSED, object_type="sso")
    assert rows.count() == 5  # four failures, then one saying the rest are not audited one by one
    assert Client().get(sso_url(tenant.hmac_key, "bg@acme.test")).status_code == 302


def test_sso_link_works_once(client, tenant):
    url = sso_url(tenant.hmac_key, "bg@acme.test")
    assert client.get(url).status_code == 302
    replay = Client().get(url)
    assert replay.status_code == 403 and b"already been used" in replay.content
    refused = AuditEntry.objects.get(action=AuditAction.SIGN_IN_REFUSED)
    assert "replayed" in refused.after["reason"]


def test_every_user_issues_its_own_api_token_in_the_console(client, tenant):
    """The API takes tokens only, so every user, not only a CSP admin from createcsp, can get one."""
    search = "/autoattendant/enterprise/search"
    client.force_login(tenant.aa_admin)
    page = client.get("/console/token/")
    assert page.status_code == 200 and b"no token yet" in page.content
    issued = client.post("/console/token/")
    assert issued.status_code == 200 and issued["Cache-Control"] == "no-store"
    token = re.search(rb'id="new-token"[^>]*>([0-9a-f]{64})<', issued.content).group(1).decode()
    assert Api(tenant.aa_admin, token=token).get(search).status_code == 200
    # Once: the page shows it no more, and a new one replaces it.
    assert token.encode() not in client.get("/console/token/").content
    again = client.post("/console/token/")
    new = re.search(rb'id="new-token"[^>]*>([0-9a-f]{64})<', again.content).group(1).decode()
    assert new != token
    assert Api(tenant.aa_admin, token=token).get(search).status_code == 401
    assert Api(tenant.aa_admin, token=new).get(search).status_code == 200
    entry = AuditEntry.objects.filter(object_sid=tenant.aa_admin.sid, action=AuditAction.UPDATE).first()
    assert entry.actor == tenant.aa_admin and token not in str(entry.after) and new not in str(entry.after)

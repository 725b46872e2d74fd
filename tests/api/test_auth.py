"""Authentication (Basic, HMAC-signed requests) and the error envelope of every HTTP-level error."""

from __future__ import annotations

import base64
import json
import time

import pytest
from django.test import Client
from rest_framework.test import APIClient

from autoattendant.api.authentication import sign
from autoattendant.choices import AuditAction
from autoattendant.models import AuditEntry, HmacKey
from tests.conftest import PASSWORD, Api, api_token, assert_error, assert_ok

ENTERPRISES = "/autoattendant/enterprise/search"
ERROR_KEYS = {"errorCode", "message", "data"}


def basic(username: str, secret: str) -> dict:
    raw = f"{username}:{secret}".encode()
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(raw).decode()}


def assert_envelope(response, status: int, *, errors: bool = False) -> dict:
    """Exactly the error envelope, as JSON, never an HTML page or a stack trace."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    text = response.content.decode()
    assert "<html" not in text.lower() and "Traceback" not in text, text[:500]
    body = json.loads(text)
    assert set(body) == ERROR_KEYS | ({"errors"} if errors else set()), body
    assert body["errorCode"] == str(status) and isinstance(body["errorCode"], str)
    assert isinstance(body["message"], str) and body["message"]
    return body


def assert_unauthenticated(response) -> dict:
    body = assert_envelope(response, 401)
    assert response["WWW-Authenticate"].startswith("Basic"), response.headers
    assert body["data"] == {}
    return body


# Basic authentication


def test_basic_with_user_sid_and_token(tenant):
    client = APIClient()
    response = client.get(ENTERPRISES, **basic(tenant.csp_admin.sid, tenant.csp_token))
    assert response.status_code == 200
    assert tenant.enterprise.sid in {item["sid"] for item in response.json()["data"]["result"]}


def test_basic_with_email_and_token(tenant):
    response = APIClient().get(ENTERPRISES, **basic(tenant.csp_admin.email_id, tenant.csp_token))
    assert response.status_code == 200, response.content
    # The email is matched case-insensitively, as emails are.
    response = APIClient().get(ENTERPRISES, **basic(tenant.csp_admin.email_id.upper(), tenant.csp_token))
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("role", ["csp_admin", "bg_admin"])
def test_a_console_password_is_not_accepted(tenant, role):
    """The reference's userSid/emailId with the auth token: a password is tried only at the console,
    under its lockout."""
    user = getattr(tenant, role)
    assert user.check_password(PASSWORD)
    for name in (user.email_id, user.sid):
        body = assert_unauthenticated(APIClient().get(ENTERPRISES, **basic(name, PASSWORD)))
        assert tenant.enterprise.sid not in json.dumps(body)
    assert APIClient().get(ENTERPRISES, **basic(user.sid, api_token(user))).status_code == 200


@pytest.mark.parametrize(
    "who",
    [
        "sid-wrong-token",
        "email-wrong-token",
        "wrong-password",
        "unknown-user",
        "unknown-sid",
        "empty-secret",
        "token-of-another-user",
    ],
)
def test_wrong_credentials_are_401(tenant, other_tenant, who):
    credentials = {
        "sid-wrong-token": (tenant.csp_admin.sid, "0" * 64),
        "email-wrong-token": (tenant.csp_admin.email_id, tenant.csp_token[:-1] + "x"),
        "wrong-password": (tenant.bg_admin.email_id, PASSWORD + "x"),
        "unknown-user": ("nobody@nowhere.test", PASSWORD),
        "unknown-sid": ("RCS" + "0" * 32, tenant.csp_token),
        "empty-secret": (tenant.csp_admin.sid, ""),
        "token-of-another-user": (tenant.csp_admin.sid, other_tenant.csp_token),
    }[who]
    body = assert_unauthenticated(APIClient().get(ENTERPRISES, **basic(*credentials)))
    assert tenant.enterprise.sid not in json.dumps(body)


def test_a_suspended_user_is_refused(tenant):
    token = api_token(tenant.bg_admin)
    tenant.bg_admin.status = "SUSPENDED"
    tenant.bg_admin.save()
    assert_unauthenticated(APIClient().get(ENTERPRISES, **basic(tenant.bg_admin.email_id, token)))


@pytest.mark.parametrize(
    "header",
    [
        "Basic",
        "Basic a b",
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),
        "Basic " + base64.b64encode(b"no-colon-at-all").decode(),
        "Basic =",
    ],
)
def test_malformed_basic_header_is_401(tenant, header):
    assert_unauthenticated(APIClient().get(ENTERPRISES, HTTP_AUTHORIZATION=header))


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", ENTERPRISES),
        ("get", "/autoattendant/hmac/search"),
        ("post", "/autoattendant/enterprise"),
        ("put", "/autoattendant/user/RCS00000000000000000000000000000000"),
        ("delete", "/autoattendant/system/AA00000000000000000000000000000000"),
    ],
)
def test_no_authentication_is_401(db, method, path):
    client = APIClient()
    kwargs = {"data": "{}", "content_type": "application/json"} if method in ("post", "put") else {}
    assert_unauthenticated(getattr(client, method)(path, **kwargs))


def test_an_unknown_scheme_is_401(tenant):
    assert_unauthenticated(APIClient().get(ENTERPRISES, HTTP_AUTHORIZATION=f"Bearer {tenant.csp_token}"))


# Failed authentication: throttled per source address on every door, and audited


def refusals(door: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=AuditAction.SIGN_IN_REFUSED, object_type=door).order_by("id"))


def test_wrong_tokens_from_one_address_are_throttled_before_the_token_is_checked(tenant, settings):
    settings.SIGN_IN_SOURCE_LIMIT = 5
    wrong = basic(tenant.csp_admin.sid, "0" * 64)
    statuses = [APIClient().get(ENTERPRISES, **wrong).status_code for _ in range(30)]
    assert statuses == [401] * 4 + [429] * 26
    # Throttled: even the right token is refused from that address, with the envelope and Retry-After.
    response = APIClient().get(ENTERPRISES, **basic(tenant.csp_admin.sid, tenant.csp_token))
    body = assert_envelope(response, 429)
    assert body["data"] == {} and 1 <= int(response["Retry-After"]) <= settings.SIGN_IN_COOLOFF_SECONDS + 1
    # Another address is not throttled by this one's failures.
    other = APIClient(REMOTE_ADDR="127.0.0.2").get(ENTERPRISES, **basic(tenant.csp_admin.sid, tenant.csp_token))
    assert other.status_code == 200


def test_failures_and_the_lockout_are_audited_once_not_per_request(tenant, settings):
    settings.SIGN_IN_SOURCE_LIMIT = 3
    for _ in range(50):
        APIClient().get(ENTERPRISES, **basic(tenant.csp_admin.email_id, "not-the-token"))
    rows = refusals("api")
    # The first refusal of the cool-off is audited, the 46 after it are not.
    assert [row.after["event"] for row in rows] == ["failed", "failed", "locked", "throttled"]
    for row in rows:
        assert row.after["source"] == "127.0.0.1" and row.after["account"] == tenant.csp_admin.email_id
        assert "not-the-token" not in json.dumps(row.after) + row.object_repr
    for row in rows[:3]:  # the user is looked up only when the address may try
        assert row.object_sid == tenant.csp_admin.sid and row.organisation_id == tenant.csp_admin.organisation_id
    assert "wrong auth token" in rows[0].after["reason"]
    # The CSP admin sees them in the product's audit log (the dashboard's recent entries).
    assert AuditEntry.objects.visible_to(tenant.csp_admin).filter(action=AuditAction.SIGN_IN_REFUSED).count() == 3


def test_a_token_is_not_locked_by_its_accounts_failures(tenant, settings):
    """Tokens are 256-bit secrets: failures naming an account from many addresses do not lock its
    token (or anyone who knows an admin's email could stop a CSP's integration); past the account's
    limit they are no longer audited one by one."""
    settings.SIGN_IN_ACCOUNT_LIMIT = 3
    for n in range(10):
        client = APIClient(REMOTE_ADDR=f"127.0.1.{n}")
        assert client.get(ENTERPRISES, **basic(tenant.csp_admin.sid, "f" * 64)).status_code == 401
    assert (
        APIClient(REMOTE_ADDR="127.0.1.1").get(ENTERPRISES, **basic(tenant.csp_admin.sid, tenant.csp_token)).status_code
        == 200
    )
    assert [row.after["event"] for row in refusals("api")] == ["failed", "failed", "throttled"]


def test_failures_count_across_doors(tenant, settings):
    """One address's failures at the console, by SSO and on the API add up."""
    settings.SIGN_IN_SOURCE_LIMIT = 4
    for _ in range(2):
        assert Client().post("/console/login/", {"username": "bg@acme.test", "password": "wrong"}).status_code == 200
    assert APIClient().get(ENTERPRISES, **basic(tenant.csp_admin.sid, "0" * 64)).status_code == 401
    assert APIClient().get(ENTERPRISES, **basic(tenant.csp_admin.sid, "1" * 64)).status_code == 429
    assert APIClient().get(ENTERPRISES, **basic(tenant.csp_admin.sid, tenant.csp_token)).status_code == 429
    path = ENTERPRISES
    assert assert_envelope(APIClient().get(path, **signed(tenant.hmac_key, "GET", path)), 429)
    page = Client().post("/console/login/", {"username": "csp@acme.test", "password": PASSWORD})
    assert page.status_code == 429 and b"Too many failed sign-ins" in page.content


def test_behind_a_tls_proxy_the_address_is_the_one_the_proxy_saw(tenant, settings):
    """BEHIND_TLS_PROXY: the last X-Forwarded-For entry (the proxy's own); what the caller put before it
    is not trusted, so rotating it gains nothing."""
    settings.SIGN_IN_SOURCE_LIMIT = 3
    settings.SIGN_IN_ADDRESS_FROM_PROXY = True
    wrong = basic(tenant.csp_admin.sid, "0" * 64)
    statuses = [
        APIClient().get(ENTERPRISES, HTTP_X_FORWARDED_FOR=f"127.9.9.{n}, 127.0.8.1", **wrong).status_code
        for n in range(5)
    ]
    assert statuses == [401, 401, 429, 429, 429]
    right = basic(tenant.csp_admin.sid, tenant.csp_token)
    assert APIClient().get(ENTERPRISES, HTTP_X_FORWARDED_FOR="127.0.8.2", **right).status_code == 200
    assert refusals("api")[0].after["source"] == "127.0.8.1"


def test_wrong_signatures_from_one_address_are_throttled(tenant, other_tenant, settings):
    settings.SIGN_IN_SOURCE_LIMIT = 5
    path = ENTERPRISES
    wrong_key = (tenant.hmac_key.sid, other_tenant.hmac_key.key)
    statuses = [
        APIClient().get(path, **signed(wrong_key, "GET", path, timestamp=int(time.time()) - n)).status_code
        for n in range(12)
    ]
    assert statuses == [401] * 4 + [429] * 8
    response = APIClient().get(path, **signed(tenant.hmac_key, "GET", path))
    assert_envelope(response, 429)
    assert int(response["Retry-After"]) >= 1
    rows = refusals("hmac")
    assert [row.after["event"] for row in rows] == ["failed"] * 4 + ["locked", "throttled"]
    assert rows[0].object_sid == tenant.hmac_key.sid and rows[0].organisation_id == tenant.csp_admin.organisation_id
    assert APIClient(REMOTE_ADDR="127.0.0.3").get(path, **signed(tenant.hmac_key, "GET", path)).status_code == 200


# HMAC-signed requests


def signed(
    key: HmacKey | tuple[str, str],
    method: str,
    path: str,
    body: bytes = b"",
    *,
    timestamp: int | None = None,
    user: str | None = None,
) -> dict:
    sid, secret = (key.sid, key.key) if isinstance(key, HmacKey) else key
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    headers = {
        "HTTP_X_AA_KEY_SID": sid,
        "HTTP_X_AA_TIMESTAMP": stamp,
        "HTTP_X_AA_SIGNATURE": sign(secret, stamp, method, path, body),
    }
    if user:
        headers["HTTP_X_AA_USER"] = user
    return headers


def test_signed_get_succeeds(tenant):
    path = "/autoattendant/enterprise/search?pageSize=5&name=acme"
    response = APIClient().get(path, **signed(tenant.hmac_key, "GET", path))
    assert response.status_code == 200, response.content
    assert [item["sid"] for item in response.json()["data"]["result"]] == [tenant.enterprise.sid]


def test_the_query_string_is_signed(tenant):
    signed_path = "/autoattendant/enterprise/search?pageSize=5"
    response = APIClient().get(
        "/autoattendant/enterprise/search?pageSize=6", **signed(tenant.hmac_key, "GET", signed_path)
    )
    assert_unauthenticated(response)


def test_signed_post_with_body_succeeds_and_acts_as_the_csp_admin(tenant):
    path = "/autoattendant/enterprise"
    body = json.dumps(
        {
            "name": "Signed Enterprise",
            "enterpriseAdmin": {"emailId": "bg@signed.test", "password": PASSWORD, "name": "Signed"},
        }
    ).encode()
    response = APIClient().post(
        path, body, content_type="application/json", **signed(tenant.hmac_key, "POST", path, body)
    )
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["name"] == "Signed Enterprise"
    assert data["accountEmail"] == tenant.csp_admin.email_id


def test_signed_request_may_name_the_admin_to_act_as(tenant):
    path = "/autoattendant/enterprise/search"
    headers = signed(tenant.hmac_key, "GET", path, user=tenant.csp_admin.email_id)
    assert APIClient().get(path, **headers).status_code == 200
    # Only a CSP admin of the key's organisation.
    headers = signed(tenant.hmac_key, "GET", path, user=tenant.bg_admin.email_id)
    assert_unauthenticated(APIClient().get(path, **headers))


def test_body_changed_after_signing_is_401(tenant):
    path = "/autoattendant/enterprise"
    body = json.dumps({"name": "Signed", "enterpriseAdmin": {"emailId": "bg@s.test", "password": PASSWORD}})
    headers = signed(tenant.hmac_key, "POST", path, body.encode())
    tampered = body.replace("Signed", "Tampered")
    assert_unauthenticated(APIClient().post(path, tampered, content_type="application/json", **headers))
    assert not tenant.enterprise.organisation.enterprises.filter(name="Tampered").exists()


def test_method_changed_after_signing_is_401(tenant):
    path = f"/autoattendant/enterprise/{tenant.enterprise.sid}"
    headers = signed(tenant.hmac_key, "GET", path)
    assert_unauthenticated(APIClient().delete(path, **headers))
    tenant.enterprise.refresh_from_db()


@pytest.mark.parametrize("case", ["wrong-secret", "unknown-key-sid", "other-organisations-sid"])
def test_wrong_key_is_401(tenant, other_tenant, case):
    path = ENTERPRISES
    key = {
        "wrong-secret": (tenant.hmac_key.sid, other_tenant.hmac_key.key),
        "unknown-key-sid": ("OHK" + "0" * 32, tenant.hmac_key.key),
        "other-organisations-sid": (other_tenant.hmac_key.sid, tenant.hmac_key.key),
    }[case]
    assert_unauthenticated(APIClient().get(path, **signed(key, "GET", path)))


@pytest.mark.parametrize("offset", [-301, -3600, 301, 3600])
def test_timestamp_skew_beyond_300_seconds_is_401(tenant, offset):
    path = ENTERPRISES
    headers = signed(tenant.hmac_key, "GET", path, timestamp=int(time.time()) + offset)
    body = assert_unauthenticated(APIClient().get(path, **headers))
    assert "clock" in body["message"]


@pytest.mark.parametrize("offset", [-250, 250])
def test_timestamp_within_the_skew_is_accepted(tenant, offset):
    path = ENTERPRISES
    headers = signed(tenant.hmac_key, "GET", path, timestamp=int(time.time()) + offset)
    assert APIClient().get(path, **headers).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_X_AA_TIMESTAMP": "", "HTTP_X_AA_SIGNATURE": "00"},
        {"HTTP_X_AA_SIGNATURE": "00"},
        {"HTTP_X_AA_TIMESTAMP": "yesterday", "HTTP_X_AA_SIGNATURE": "00"},
    ],
)
def test_incomplete_signature_headers_are_401(tenant, headers):
    assert_unauthenticated(APIClient().get(ENTERPRISES, HTTP_X_AA_KEY_SID=tenant.hmac_key.sid, **headers))


def test_a_replayed_signed_request_is_401(tenant):
    path = ENTERPRISES
    headers = signed(tenant.hmac_key, "GET", path)
    assert APIClient().get(path, **headers).status_code == 200
    body = assert_unauthenticated(APIClient().get(path, **headers))
    assert "already used" in body["message"]
    # A fresh signature (another timestamp) is fine.
    again = signed(tenant.hmac_key, "GET", path, timestamp=int(time.time()) - 1)
    assert again["HTTP_X_AA_SIGNATURE"] != headers["HTTP_X_AA_SIGNATURE"]
    assert APIClient().get(path, **again).status_code == 200


def test_a_replayed_signed_post_creates_nothing_twice(tenant):
    path = "/autoattendant/enterprise"
    body = json.dumps({"name": "Once", "enterpriseAdmin": {"emailId": "bg@once.test", "password": PASSWORD}})
    headers = signed(tenant.hmac_key, "POST", path, body.encode())
    assert APIClient().post(path, body, content_type="application/json", **headers).status_code == 201
    assert_unauthenticated(APIClient().post(path, body, content_type="application/json", **headers))
    assert tenant.enterprise.organisation.enterprises.filter(name="Once").count() == 1


def test_a_deleted_hmac_key_no_longer_works(tenant):
    path = ENTERPRISES
    key = (tenant.hmac_key.sid, tenant.hmac_key.key)
    assert APIClient().get(path, **signed(key, "GET", path)).status_code == 200
    assert_ok(tenant.csp.delete(f"/autoattendant/hmac/{tenant.hmac_key.sid}"))
    assert_unauthenticated(APIClient().get(path, **signed(key, "GET", path, timestamp=int(time.time()) - 2)))


# The error envelope of HTTP-level errors


def test_bad_json_is_400(tenant):
    response = tenant.csp.client.post("/autoattendant/enterprise", '{"name": "x",', content_type="application/json")
    body = assert_envelope(response, 400)
    assert "JSON" in body["message"] or "Malformed" in body["message"]


@pytest.mark.parametrize("payload", ["[]", '[{"name": "x"}]', '"a string"', "42", "null"])
def test_a_json_body_that_is_not_an_object_is_400(tenant, payload):
    response = tenant.csp.client.post("/autoattendant/enterprise", payload, content_type="application/json")
    assert_envelope(response, 400)
    response = tenant.csp.client.put(
        f"/autoattendant/enterprise/{tenant.enterprise.sid}", payload, content_type="application/json"
    )
    assert_envelope(response, 400)


def test_validation_errors_add_errors(tenant):
    response = tenant.csp.client.post("/autoattendant/enterprise", "{}", content_type="application/json")
    body = assert_envelope(response, 400, errors=True)
    assert set(body["errors"]) == {"name", "enterpriseAdmin"}
    assert all(isinstance(m, str) for messages in body["errors"].values() for m in messages)


@pytest.mark.parametrize(
    "path",
    [
        "/autoattendant/nothing",
        "/autoattendant/enterprise/search/x/y",
        "/autoattendant/",
        "/autoattendant",
        "/autoattendant/hmac/search/a/b/c",
    ],
)
def test_unknown_routes_are_404(tenant, anonymous, path):
    for api in (tenant.csp, anonymous):
        body = assert_envelope(api.client.get(path), 404)
        assert body["data"] == {}
    assert_envelope(tenant.csp.client.post(path, "{}", content_type="application/json"), 404)


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/autoattendant/enterprise"),
        ("put", "/autoattendant/enterprise"),
        ("post", "/autoattendant/enterprise/search"),
        ("delete", "/autoattendant/user/search"),
        ("put", "/autoattendant/hmac/HMACSID"),
        ("get", "/autoattendant/hmac/HMACSID"),
    ],
)
def test_wrong_method_is_405(tenant, method, path):
    path = path.replace("HMACSID", tenant.hmac_key.sid)
    kwargs = {"data": "{}", "content_type": "application/json"} if method in ("post", "put") else {}
    response = getattr(tenant.csp.client, method)(path, **kwargs)
    assert_envelope(response, 405)
    assert method.upper() not in response.get("Allow", "").split(", ")


@pytest.mark.parametrize(
    "path", ["/autoattendant/enterprise", "/autoattendant/enterprise/search", "/autoattendant/hmac/search"]
)
def test_options_is_a_405_envelope_not_view_metadata(tenant, path):
    response = tenant.csp.client.options(path)
    body = assert_envelope(response, 405)
    assert "actions" not in body and "renders" not in body


def test_form_encoded_post_is_415(tenant):
    response = tenant.csp.client.post(
        "/autoattendant/enterprise",
        "name=x&enterpriseAdmin=y",
        content_type="application/x-www-form-urlencoded",
    )
    assert_envelope(response, 415)
    response = tenant.csp.client.post("/autoattendant/enterprise", {"name": "x"}, format="multipart")
    assert_envelope(response, 415)
    assert not tenant.enterprise.organisation.enterprises.filter(name="x").exists()


def test_throttled_requests_are_429_with_retry_after(tenant, monkeypatch):
    from rest_framework.throttling import UserRateThrottle

    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {**UserRateThrottle.THROTTLE_RATES, "user": "3/min"})
    api = tenant.csp
    for _ in range(3):
        assert api.get(ENTERPRISES).status_code == 200
    response = api.client.get(ENTERPRISES)
    body = assert_envelope(response, 429)
    assert body["data"] == {}
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 61
    # Per user: another user is not throttled by this one's requests.
    assert tenant.bg.get(ENTERPRISES).status_code == 200


def test_an_unexpected_exception_is_a_500_envelope(tenant, monkeypatch, caplog):
    from autoattendant.api.enterprises import EnterpriseViewSet

    def explode(*args, **kwargs):
        raise RuntimeError("secret internals: password=hunter2")

    monkeypatch.setattr(EnterpriseViewSet, "create_service", staticmethod(explode))
    client = APIClient(raise_request_exception=False)
    client.credentials(**basic(tenant.csp_admin.sid, tenant.csp_token))
    body = {"name": "Boom", "enterpriseAdmin": {"emailId": "bg@boom.test", "password": PASSWORD}}
    response = client.post("/autoattendant/enterprise", json.dumps(body), content_type="application/json")
    envelope = assert_envelope(response, 500)
    assert "hunter2" not in response.content.decode() and "RuntimeError" not in response.content.decode()
    assert envelope["message"] == "Internal server error"
    assert "secret internals" in caplog.text  # logged for the operators, not shown to the caller


def test_a_disallowed_host_is_a_400_envelope(db):
    response = APIClient().get(ENTERPRISES, HTTP_HOST="evil.example")
    assert_envelope(response, 400)


# Roles


def test_bg_admin_cannot_create_enterprises(tenant):
    body = {"name": "Not allowed", "enterpriseAdmin": {"emailId": "bg@no.test", "password": PASSWORD}}
    response = tenant.bg.post("/autoattendant/enterprise", body)
    envelope = assert_error(response, 403)
    assert set(envelope) == ERROR_KEYS
    assert not tenant.enterprise.organisation.enterprises.filter(name="Not allowed").exists()


@pytest.mark.parametrize("role", ["bg", "aa"])
def test_enterprise_admins_cannot_list_hmac_keys(tenant, role):
    response = getattr(tenant, role).get("/autoattendant/hmac/search")
    envelope = assert_error(response, 403)
    assert tenant.hmac_key.key not in json.dumps(envelope) and tenant.hmac_key.sid not in json.dumps(envelope)


def test_the_api_helper_authenticates_as_documented(tenant):
    """The fixtures' Api speaks Basic with userSid:token, issuing a user's token once per test."""
    assert Api(tenant.csp_admin, token=tenant.csp_token).get(ENTERPRISES).status_code == 200
    first = Api(tenant.bg_admin)
    assert Api(tenant.bg_admin).get(ENTERPRISES).status_code == 200
    assert first.get(ENTERPRISES).status_code == 200

"""Authentication (Basic, HMAC-signed requests) and the error envelope of every HTTP-level error."""

from __future__ import annotations

import base64
import json
import time

import pytest
from rest_framework.test import APIClient

from autoattendant.api.authentication import sign
from autoattendant.models import HmacKey
from tests.conftest import PASSWORD, Api, assert_error, assert_ok

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


def test_basic_with_email_and_password(tenant):
    response = APIClient().get(ENTERPRISES, **basic(tenant.bg_admin.email_id, PASSWORD))
    data = response.json()["data"]
    assert response.status_code == 200
    assert [item["sid"] for item in data["result"]] == [tenant.enterprise.sid]
    assert APIClient().get(ENTERPRISES, **basic(tenant.csp_admin.email_id, PASSWORD)).status_code == 200


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
    tenant.bg_admin.status = "SUSPENDED"
    tenant.bg_admin.save()
    assert_unauthenticated(APIClient().get(ENTERPRISES, **basic(tenant.bg_admin.email_id, PASSWORD)))


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
    """The fixtures' Api speaks Basic with userSid:token and userSid:password."""
    assert Api(tenant.csp_admin, token=tenant.csp_token).get(ENTERPRISES).status_code == 200
    assert Api(tenant.bg_admin, password=PASSWORD).get(ENTERPRISES).status_code == 200

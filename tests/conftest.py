"""Shared fixtures: real PostgreSQL and Redis (from DATABASE_URL / REDIS_URL, see scripts/test-services.sh)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from autoattendant.choices import Role
from autoattendant.models import Enterprise, User
from autoattendant.services.enterprises import create_enterprise
from autoattendant.services.organisations import create_csp
from autoattendant.services.users import create_user


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()  # throttling and HMAC replay memory must not leak between tests
    yield


_TOKENS: dict[int, str] = {}


def api_token(user: User) -> str:
    """The user's API auth token: issued on first use in a test, then the same one (a new one would
    revoke the token of an Api made earlier for the same user)."""
    from autoattendant.models.user import hash_token

    token = _TOKENS.get(user.pk)
    if token is None or not User.objects.filter(pk=user.pk, auth_token_hash=hash_token(token)).exists():
        token = _TOKENS[user.pk] = user.issue_auth_token()
        User.objects.filter(pk=user.pk).update(auth_token_hash=user.auth_token_hash)
    return token


class Api:
    """An API client that speaks as one user (Basic, userSid and auth token), with helpers that read
    the envelope."""

    def __init__(self, user: User | None = None, token: str | None = None):
        self.client = APIClient()
        self.user = user
        if user is not None:
            raw = f"{user.sid}:{token or api_token(user)}".encode()
            self.client.credentials(HTTP_AUTHORIZATION="Basic " + base64.b64encode(raw).decode())

    def _call(self, method: str, path: str, data=None, **extra):
        kwargs = {}
        if data is not None:
            kwargs = {"data": json.dumps(data), "content_type": "application/json"}
        response = getattr(self.client, method)(path, **kwargs, **extra)
        response.body = response.json()
        return response

    def get(self, path, params=None, **extra):
        response = self.client.get(path, params or {}, **extra)
        response.body = response.json()
        return response

    def post(self, path, data=None, **extra):
        return self._call("post", path, data, **extra)

    def put(self, path, data=None, **extra):
        return self._call("put", path, data, **extra)

    def delete(self, path, **extra):
        return self._call("delete", path, None, **extra)


def assert_error(response, code: int, status: int | None = None) -> dict:
    """The response is the documented error envelope with this code."""
    from autoattendant.errors import by_number

    expected_status = status or by_number(code).http_status
    assert response.status_code == expected_status, (response.status_code, response.body)
    assert response.body["errorCode"] == str(code), response.body
    assert isinstance(response.body["message"], str) and response.body["message"]
    assert "data" in response.body
    return response.body


def assert_ok(response, status: int = 200) -> dict:
    assert response.status_code == status, (response.status_code, response.body)
    assert response.body["code"] == 200 and response.body["message"] == "OK", response.body
    return response.body["data"]


@dataclass
class Tenant:
    """A CSP with one enterprise and a user of each role."""

    csp_admin: User
    csp_token: str
    enterprise: Enterprise
    bg_admin: User
    aa_admin: User
    hmac_key: object
    account: object = None  # the CSP's telephony account credentials (sid, auth_token)

    @property
    def csp(self) -> Api:
        return Api(self.csp_admin, token=self.csp_token)

    @property
    def bg(self) -> Api:
        return Api(self.bg_admin)

    @property
    def aa(self) -> Api:
        return Api(self.aa_admin)


PASSWORD = "correct-horse-9"


def make_tenant(label: str) -> Tenant:
    csp = create_csp(name=f"{label} CSP", email_id=f"csp@{label}.test", password=PASSWORD)
    enterprise = create_enterprise(
        csp.user,
        name=f"{label} Enterprise",
        admin={"email_id": f"bg@{label}.test", "password": PASSWORD, "name": f"{label} BG"},
    )
    aa_admin = create_user(
        csp.user,
        email_id=f"aa@{label}.test",
        password=PASSWORD,
        role=Role.AA_ADMIN,
        enterprise_sid=enterprise.sid,
        name=f"{label} AA",
    )
    return Tenant(csp.user, csp.auth_token, enterprise, enterprise.admin, aa_admin, csp.hmac_key, csp.account)


@pytest.fixture
def tenant(db) -> Tenant:
    return make_tenant("acme")


@pytest.fixture
def other_tenant(db) -> Tenant:
    return make_tenant("globex")


@pytest.fixture
def anonymous() -> Api:
    return Api()

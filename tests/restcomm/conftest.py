"""A Restcomm API client signed in as an account, on the test database."""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.conftest import Tenant, make_tenant

PREFIX = "/restcomm/2012-04-24"


class Restcomm:
    """Speaks as one account (HTTP Basic `name:secret`), to `/restcomm/2012-04-24/Accounts/<sid>/…`.

    `path` is relative to the account (`Clients.json`, `IncomingPhoneNumbers/PN…`) unless it starts
    with `/`. Each answer gets `.body`: parsed JSON for `.json`, an ElementTree root for XML."""

    def __init__(self, sid: str, auth_token: str, name: str | None = None):
        self.sid = sid
        self.auth_token = auth_token
        self.client = APIClient()
        raw = f"{name or sid}:{auth_token}".encode()
        self.client.credentials(HTTP_AUTHORIZATION="Basic " + base64.b64encode(raw).decode())

    def url(self, path: str) -> str:
        if path.startswith("/"):
            return path
        return f"{PREFIX}/Accounts/{self.sid}/{path}" if path else f"{PREFIX}/Accounts/{self.sid}"

    def _answer(self, response):
        content = response.content
        if not content:
            response.body = None
        elif response["Content-Type"].startswith("application/json"):
            response.body = json.loads(content)
        else:
            response.body = ET.fromstring(content)
        return response

    def get(self, path: str = "", params: dict[str, Any] | None = None):
        return self._answer(self.client.get(self.url(path), params or {}))

    def post(self, path: str = "", data: dict[str, Any] | None = None):
        return self._answer(self.client.post(self.url(path), data or {}))

    def put(self, path: str = "", data: dict[str, Any] | None = None):
        # As curl -X PUT -d sends it: a form body.
        from urllib.parse import urlencode

        return self._answer(
            self.client.put(self.url(path), urlencode(data or {}), content_type="application/x-www-form-urlencoded")
        )

    def delete(self, path: str = ""):
        return self._answer(self.client.delete(self.url(path)))


def rest_exception(response) -> dict[str, Any]:
    """The RestException of an error answer, JSON or XML, as a dict of its fields."""
    if isinstance(response.body, dict):
        return response.body
    exception = response.body.find("RestException")
    assert exception is not None, ET.tostring(response.body)
    return {child.tag: child.text for child in exception}


@pytest.fixture
def tenant(db) -> Tenant:
    return make_tenant("acme")


@pytest.fixture
def restcomm(tenant) -> Restcomm:
    """The CSP's own account."""
    return Restcomm(tenant.account.sid, tenant.account.auth_token)

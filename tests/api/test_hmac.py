"""/autoattendant/hmac: list, single, create-or-rotate, delete; CSP admins only."""

from __future__ import annotations

import re
import time

import pytest
from rest_framework.test import APIClient

from autoattendant.api.authentication import sign
from autoattendant.models import HmacKey
from tests.api.resource_cases import TIMESTAMP, DeleteCases, ReadCases
from tests.conftest import assert_error, assert_ok

REFERENCE_FIELDS = {"sid", "dateUpdated", "dateCreated", "accountEmail", "uri", "organisationSid", "hmacKey"}


class TestHmacKeyResource(ReadCases, DeleteCases):
    """One key per organisation, made with it and rotated by POST (tested below); reads and deletes are generic."""

    path = "/autoattendant/hmac"
    prefix = "OHK"
    model = HmacKey
    fields = REFERENCE_FIELDS
    not_found_code = 458
    not_found_message = "Hmac key not found"
    refused = {"read": {"bg": 403, "aa": 403}, "delete": {"bg": 403, "aa": 403}}
    sort_field = "dateCreated"

    def make(self, tenant, owner=None, index=0, role=None):
        return self.read(tenant, tenant.hmac_key.sid)


def signed_get(sid: str, secret: str, path: str = "/autoattendant/enterprise/search", offset: int = 0):
    stamp = str(int(time.time()) - offset)
    return APIClient().get(
        path,
        HTTP_X_AA_KEY_SID=sid,
        HTTP_X_AA_TIMESTAMP=stamp,
        HTTP_X_AA_SIGNATURE=sign(secret, stamp, "GET", path, b""),
    )


def assert_key_shape(item: dict, tenant) -> None:
    assert set(item) == REFERENCE_FIELDS, item
    key = tenant.hmac_key
    assert item["sid"] == key.sid and re.fullmatch(r"OHK[0-9a-f]{32}", item["sid"])
    assert item["organisationSid"] == tenant.csp_admin.organisation.sid
    assert item["organisationSid"].startswith("OR") and len(item["organisationSid"]) == 34
    assert item["accountEmail"] == tenant.csp_admin.email_id
    assert item["uri"] == f"/autoattendant/hmac/search/{key.sid}"
    assert TIMESTAMP.match(item["dateCreated"]) and TIMESTAMP.match(item["dateUpdated"]), item


def test_list_has_the_organisations_one_key(tenant, other_tenant):
    data = assert_ok(tenant.csp.get("/autoattendant/hmac/search"))
    [item] = data["result"]
    assert_key_shape(item, tenant)
    assert item["hmacKey"] == tenant.hmac_key.key and len(item["hmacKey"]) >= 32
    # Only the caller's organisation's key.
    assert other_tenant.hmac_key.sid not in str(data) and other_tenant.hmac_key.key not in str(data)


def test_single_key(tenant):
    data = assert_ok(tenant.csp.get(f"/autoattendant/hmac/search/{tenant.hmac_key.sid}"))
    assert_key_shape(data, tenant)
    assert data["hmacKey"] == tenant.hmac_key.key


def test_post_rotates_the_existing_key(tenant):
    old_sid, old_secret = tenant.hmac_key.sid, tenant.hmac_key.key
    assert signed_get(old_sid, old_secret).status_code == 200
    data = assert_ok(tenant.csp.post("/autoattendant/hmac"), 200)
    assert set(data) == REFERENCE_FIELDS
    assert data["sid"] == old_sid
    assert data["hmacKey"] != old_secret and len(data["hmacKey"]) >= 32
    assert HmacKey.objects.filter(organisation=tenant.csp_admin.organisation).count() == 1
    assert HmacKey.objects.get(sid=old_sid).key == data["hmacKey"]
    # The old secret no longer signs; the new one does.
    response = signed_get(old_sid, old_secret, offset=1)
    assert response.status_code == 401 and response.json()["errorCode"] == "401"
    assert signed_get(old_sid, data["hmacKey"], offset=2).status_code == 200
    # Rotating again gives yet another secret.
    again = assert_ok(tenant.csp.post("/autoattendant/hmac", {}), 200)
    assert again["sid"] == old_sid and again["hmacKey"] not in (old_secret, data["hmacKey"])


def test_post_creates_a_key_when_there_is_none(tenant):
    assert_ok(tenant.csp.delete(f"/autoattendant/hmac/{tenant.hmac_key.sid}"))
    assert assert_ok(tenant.csp.get("/autoattendant/hmac/search"))["total"] == 0
    data = assert_ok(tenant.csp.post("/autoattendant/hmac"), 201)
    assert set(data) == REFERENCE_FIELDS
    assert data["sid"] != tenant.hmac_key.sid and data["sid"].startswith("OHK")
    assert data["organisationSid"] == tenant.csp_admin.organisation.sid
    assert data["hmacKey"] != tenant.hmac_key.key
    assert signed_get(data["sid"], data["hmacKey"]).status_code == 200
    assert [item["sid"] for item in assert_ok(tenant.csp.get("/autoattendant/hmac/search"))["result"]] == [data["sid"]]


def test_rotation_does_not_touch_other_organisations(tenant, other_tenant):
    before = HmacKey.objects.get(pk=other_tenant.hmac_key.pk).key
    assert_ok(tenant.csp.post("/autoattendant/hmac"), 200)
    assert HmacKey.objects.get(pk=other_tenant.hmac_key.pk).key == before


def test_a_deleted_key_no_longer_signs(tenant):
    sid = tenant.hmac_key.sid
    assert_ok(tenant.csp.delete(f"/autoattendant/hmac/{sid}"))
    assert signed_get(sid, tenant.hmac_key.key).status_code == 401


def test_hmac_keys_are_updated_only_by_rotation(tenant):
    response = tenant.csp.put(f"/autoattendant/hmac/{tenant.hmac_key.sid}", {"hmacKey": "chosen"})
    assert response.status_code == 405 and response.body["errorCode"] == "405"
    assert HmacKey.objects.get(pk=tenant.hmac_key.pk).key == tenant.hmac_key.key


@pytest.mark.parametrize("role", ["bg", "aa"])
def test_csp_admins_only_and_the_refusal_tells_no_secret(tenant, role):
    api = getattr(tenant, role)
    sid = tenant.hmac_key.sid
    for response in (
        api.get("/autoattendant/hmac/search"),
        api.get(f"/autoattendant/hmac/search/{sid}"),
        api.post("/autoattendant/hmac"),
        api.delete(f"/autoattendant/hmac/{sid}"),
    ):
        error = assert_error(response, 403)
        assert tenant.hmac_key.key not in str(error)
    assert HmacKey.objects.get(pk=tenant.hmac_key.pk).key == tenant.hmac_key.key


def test_anonymous_cannot_rotate_401(tenant, anonymous):
    assert_error(anonymous.post("/autoattendant/hmac"), 401)

"""The enterprise resource, endpoint by endpoint, as the CSP API reference documents it."""

from __future__ import annotations

import base64
import re

import pytest
from django.test import Client

from autoattendant.choices import Role, UserStatus
from autoattendant.errors import AAError, Code
from autoattendant.models import AuditEntry, Enterprise, PhoneNumber, User
from telephony.models import NumberRoute, TelephonyAccount
from tests.api.objects import create_system
from tests.api.resource_cases import TIMESTAMP, CrudCases
from tests.conftest import Api, assert_error, assert_ok

ENTERPRISE = "/autoattendant/enterprise"
SEARCH = f"{ENTERPRISE}/search"
# The data fields of the reference's response examples, in its order.
REFERENCE_FIELDS = [
    "sid",
    "dateUpdated",
    "dateCreated",
    "accountEmail",
    "uri",
    "name",
    "aaSystemCount",
    "enterpriseAdminEmail",
]
# The reference's optional create parameter: read back only when it is set.
OPTIONAL_FIELD = "extFromPhoneNumber"
ADMIN_PASSWORD = "yourpassword"


def enterprise_body(name="test Enterprise", email="jane.doe@yourcompany.com", **extra) -> dict:
    return {
        "name": name,
        "enterpriseAdmin": {"emailId": email, "password": ADMIN_PASSWORD, "name": "testbg"},
        **extra,
    }


def create(api: Api, name="test Enterprise", email="jane.doe@yourcompany.com", **extra) -> dict:
    return assert_ok(api.post(ENTERPRISE, enterprise_body(name, email, **extra)), 201)


def assert_enterprise_shape(data: dict) -> None:
    assert [key for key in data if key != OPTIONAL_FIELD] == REFERENCE_FIELDS, list(data)
    assert data.get(OPTIONAL_FIELD, "x")  # never shown empty
    assert re.fullmatch(r"EN[0-9a-f]{32}", data["sid"])
    assert data["uri"] == f"/autoattendant/enterprise/search/{data['sid']}"
    assert TIMESTAMP.match(data["dateCreated"]), data["dateCreated"]
    assert TIMESTAMP.match(data["dateUpdated"]), data["dateUpdated"]
    assert isinstance(data["aaSystemCount"], int)


def audit_rows(sid: str, action: str | None = None):
    rows = AuditEntry.objects.filter(object_sid=sid)
    return rows.filter(action=action) if action else rows


class TestEnterpriseResource(CrudCases):
    path = ENTERPRISE
    prefix = "EN"
    model = Enterprise
    fields = set(REFERENCE_FIELDS)
    not_found_code = 467
    not_found_message = "Enterprise not found"
    refused = {
        "create": {"bg": 403, "aa": 403},
        "read": {"bg": 467, "aa": 467},  # another enterprise of their CSP
        "update": {"bg": 403, "aa": 403},
        "delete": {"bg": 403, "aa": 403},
    }
    echoed = ("name",)
    update_data = {"name": "Enterprise3"}

    def owner(self, tenant):
        return tenant.csp_admin.email_id.split("@")[1]  # admin emails are unique across CSPs

    def create_body(self, owner, index):
        return enterprise_body(f"Enterprise {index}", f"admin{index}@{owner}")

    def assert_shape(self, data, actor=None):
        super().assert_shape(data, actor)
        assert_enterprise_shape(data)


# Create


def test_create_returns_the_reference_fields_and_an_account(tenant):
    data = create(tenant.csp)
    assert list(data) == REFERENCE_FIELDS  # exactly the reference's fields, without the optional one
    assert data["aaSystemCount"] == 0
    assert data["enterpriseAdminEmail"] == "jane.doe@yourcompany.com"
    enterprise = Enterprise.objects.get(sid=data["sid"])
    assert enterprise.organisation_id == tenant.csp_admin.organisation_id
    assert TelephonyAccount.objects.filter(enterprise_sid=data["sid"]).exists()


def test_created_admin_is_an_active_bg_admin_who_can_sign_in(tenant):
    data = create(tenant.csp)
    admin = User.objects.get(email_id="jane.doe@yourcompany.com")
    assert admin.role == Role.BG_ADMIN
    assert admin.status == UserStatus.ACTIVE
    assert admin.name == "testbg"
    assert admin.enterprise.sid == data["sid"]
    assert Enterprise.objects.get(sid=data["sid"]).admin_id == admin.pk
    assert admin.password != ADMIN_PASSWORD  # hashed

    assert admin.check_password(ADMIN_PASSWORD)
    signed_in = Client().post("/console/login/", {"username": "Jane.Doe@yourcompany.com", "password": ADMIN_PASSWORD})
    assert signed_in.status_code == 302 and signed_in["Location"] == "/console/"
    # The API takes the admin's auth token, never the console password.
    as_admin = Api(admin)
    assert assert_ok(as_admin.get(f"{SEARCH}/{data['sid']}"))["sid"] == data["sid"]
    by_password = Api()
    raw = base64.b64encode(f"Jane.Doe@yourcompany.com:{ADMIN_PASSWORD}".encode()).decode()
    by_password.client.credentials(HTTP_AUTHORIZATION=f"Basic {raw}")
    assert_error(by_password.get(SEARCH), 401)


def test_duplicate_name_is_460_with_the_request_echoed(tenant):
    create(tenant.csp)
    body = enterprise_body(email="someone.else@yourcompany.com")
    error = assert_error(tenant.csp.post(ENTERPRISE, body), 460)
    assert error["message"] == "Enterprise name not unique"
    assert error["data"]["name"] == "test Enterprise"
    assert error["data"]["enterpriseAdmin"]["emailId"] == "someone.else@yourcompany.com"
    assert error["data"]["enterpriseAdmin"]["status"] == "ACTIVE"
    assert not User.objects.filter(email_id="someone.else@yourcompany.com").exists()


def test_duplicate_name_is_case_insensitive(tenant):
    create(tenant.csp, name="Acme Widgets")
    assert_error(tenant.csp.post(ENTERPRISE, enterprise_body("aCME wIDGETS", "x@yourcompany.com")), 460)
    assert Enterprise.objects.filter(name__iexact="acme widgets").count() == 1


def test_same_name_in_another_csp_is_allowed(tenant, other_tenant):
    create(tenant.csp, name="Shared Name", email="a@one.test")
    data = create(other_tenant.csp, name="Shared Name", email="b@two.test")
    assert data["name"] == "Shared Name"


def test_admin_email_taken_is_484(tenant):
    error = assert_error(tenant.csp.post(ENTERPRISE, enterprise_body(email=tenant.aa_admin.email_id)), 484)
    assert error["message"] == "supportUser not unique"
    assert not Enterprise.objects.filter(name="test Enterprise").exists()


def test_admin_email_taken_is_484_case_insensitively(tenant):
    assert_error(tenant.csp.post(ENTERPRISE, enterprise_body(email=tenant.bg_admin.email_id.upper())), 484)
    assert not Enterprise.objects.filter(name="test Enterprise").exists()


def test_provisioning_failure_is_499_and_writes_nothing(tenant, monkeypatch):
    from telephony.provisioning.bundled import BundledBackend

    def fail(self, enterprise):
        raise AAError(Code.ACCOUNT_PROVISIONING_FAILED)

    monkeypatch.setattr(BundledBackend, "create_account", fail)
    enterprises, users, audits, accounts = (
        Enterprise.objects.count(),
        User.objects.count(),
        AuditEntry.objects.count(),
        TelephonyAccount.objects.count(),
    )
    error = assert_error(tenant.csp.post(ENTERPRISE, enterprise_body()), 499)
    assert error["message"] == "Error in creating an account on Restcomm"
    assert error["data"]["name"] == "test Enterprise"
    assert Enterprise.objects.count() == enterprises
    assert User.objects.count() == users
    assert not User.objects.filter(email_id="jane.doe@yourcompany.com").exists()
    assert AuditEntry.objects.count() == audits
    assert TelephonyAccount.objects.count() == accounts

    monkeypatch.undo()  # nothing half-created blocks a retry
    assert create(tenant.csp)["name"] == "test Enterprise"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"name", "enterpriseAdmin"}),
        ({"enterpriseAdmin": {"emailId": "a@b.test", "password": "longenough"}}, {"name"}),
        ({"name": "No admin"}, {"enterpriseAdmin"}),
        ({"name": "", "enterpriseAdmin": {"emailId": "a@b.test", "password": "longenough"}}, {"name"}),
        (
            {"name": "Bad email", "enterpriseAdmin": {"emailId": "not-an-email", "password": "longenough"}},
            {"enterpriseAdmin"},
        ),
        (
            {"name": "Short pw", "enterpriseAdmin": {"emailId": "a@b.test", "password": "short"}},
            {"enterpriseAdmin"},
        ),
        ({"name": "x" * 201, "enterpriseAdmin": {"emailId": "a@b.test", "password": "longenough"}}, {"name"}),
        (
            {
                "name": "Long email",
                "enterpriseAdmin": {"emailId": "a" * 250 + "@b.test", "password": "longenough"},
            },
            {"enterpriseAdmin"},
        ),
    ],
)
def test_create_validation_is_400_with_field_errors(tenant, body, fields):
    before = Enterprise.objects.count()
    error = assert_error(tenant.csp.post(ENTERPRISE, body), 400)
    assert set(error["errors"]) == fields, error["errors"]
    assert all(isinstance(m, str) for messages in error["errors"].values() for m in messages)
    assert Enterprise.objects.count() == before


# Read


def test_list_shows_the_csps_enterprises(tenant, other_tenant):
    created = create(tenant.csp)
    data = assert_ok(tenant.csp.get(SEARCH))
    assert data["total"] == 2
    sids = [row["sid"] for row in data["result"]]
    assert sids == [tenant.enterprise.sid, created["sid"]]  # oldest first by default
    for row in data["result"]:
        assert_enterprise_shape(row)
    assert data["result"][0]["enterpriseAdminEmail"] == tenant.bg_admin.email_id


@pytest.mark.parametrize("role", ["bg", "aa"])
def test_enterprise_users_read_only_their_own_enterprise(tenant, role):
    sibling = create(tenant.csp, name="Sibling", email="sibling@acme.test")
    api = getattr(tenant, role)
    data = assert_ok(api.get(SEARCH))
    assert data["total"] == 1
    assert [row["sid"] for row in data["result"]] == [tenant.enterprise.sid]
    assert assert_ok(api.get(f"{SEARCH}/{tenant.enterprise.sid}"))["name"] == tenant.enterprise.name
    assert_error(api.get(f"{SEARCH}/{sibling['sid']}"), 467)


# Update


def test_update_name_keeps_the_admin_and_renames_the_telephony_account(tenant):
    data = create(tenant.csp)
    updated = assert_ok(tenant.csp.put(f"{ENTERPRISE}/{data['sid']}", {"name": "Enterprise3"}))
    assert updated["enterpriseAdminEmail"] == "jane.doe@yourcompany.com"
    assert TelephonyAccount.objects.get(enterprise_sid=data["sid"]).friendly_name == "Enterprise3"


def test_update_to_its_own_name_in_another_case_is_allowed(tenant):
    data = create(tenant.csp)
    assert assert_ok(tenant.csp.put(f"{ENTERPRISE}/{data['sid']}", {"name": "TEST ENTERPRISE"}))["name"] == (
        "TEST ENTERPRISE"
    )


def test_update_to_a_taken_name_is_460(tenant):
    data = create(tenant.csp)
    error = assert_error(tenant.csp.put(f"{ENTERPRISE}/{data['sid']}", {"name": tenant.enterprise.name.upper()}), 460)
    assert error["data"] == {"name": tenant.enterprise.name.upper()}
    assert Enterprise.objects.get(sid=data["sid"]).name == "test Enterprise"


def test_update_admin_email_to_a_taken_one_is_484(tenant):
    data = create(tenant.csp)
    body = {"enterpriseAdmin": {"emailId": tenant.aa_admin.email_id}}
    assert_error(tenant.csp.put(f"{ENTERPRISE}/{data['sid']}", body), 484)
    assert Enterprise.objects.get(sid=data["sid"]).admin.email_id == "jane.doe@yourcompany.com"


def test_update_admin_email_and_password(tenant):
    data = create(tenant.csp)
    body = {"enterpriseAdmin": {"emailId": "new.admin@yourcompany.com", "password": "brand-new-pass"}}
    updated = assert_ok(tenant.csp.put(f"{ENTERPRISE}/{data['sid']}", body))
    assert updated["enterpriseAdminEmail"] == "new.admin@yourcompany.com"
    admin = User.objects.get(email_id="new.admin@yourcompany.com")
    assert admin.role == Role.BG_ADMIN
    assert admin.check_password("brand-new-pass") and not admin.check_password(ADMIN_PASSWORD)
    assert_ok(Api(admin).get(f"{SEARCH}/{data['sid']}"))


def test_update_validation_is_400(tenant):
    error = assert_error(tenant.csp.put(f"{ENTERPRISE}/{tenant.enterprise.sid}", {"name": ""}), 400)
    assert "name" in error["errors"]
    error = assert_error(
        tenant.csp.put(f"{ENTERPRISE}/{tenant.enterprise.sid}", {"enterpriseAdmin": {"emailId": "nope"}}), 400
    )
    assert "enterpriseAdmin" in error["errors"]
    body = {"enterpriseAdmin": {"emailId": "a" * 250 + "@b.test"}}
    assert (
        "enterpriseAdmin" in assert_error(tenant.csp.put(f"{ENTERPRISE}/{tenant.enterprise.sid}", body), 400)["errors"]
    )


# Delete


def test_delete_removes_the_telephony_account(tenant):
    data = create(tenant.csp)
    deleted = assert_ok(tenant.csp.delete(f"{ENTERPRISE}/{data['sid']}"))
    assert (deleted["name"], deleted["enterpriseAdminEmail"], deleted["aaSystemCount"]) == (
        "test Enterprise",
        "jane.doe@yourcompany.com",
        0,
    )
    assert not TelephonyAccount.objects.filter(enterprise_sid=data["sid"]).exists()


def test_delete_with_an_aa_system_is_482(tenant):
    data = create(tenant.csp)
    create_system(tenant, enterpriseSid=data["sid"])
    error = assert_error(tenant.csp.delete(f"{ENTERPRISE}/{data['sid']}"), 482)
    assert error["message"] == "Enterprise has AutoAttendant systems assigned to it"
    assert error["data"] == {"sid": data["sid"]}
    assert Enterprise.objects.filter(sid=data["sid"]).exists()
    assert User.objects.filter(email_id="jane.doe@yourcompany.com").exists()


def test_delete_removes_its_users_and_phone_numbers(tenant):
    data = create(tenant.csp)
    assert_ok(
        tenant.csp.post(
            "/autoattendant/user",
            {
                "name": "AA",
                "emailId": "aa.user@yourcompany.com",
                "password": "longenough",
                "role": "AA_ADMIN",
                "enterpriseSid": data["sid"],
            },
        ),
        201,
    )
    number = assert_ok(
        tenant.csp.post(
            "/autoattendant/phonenumber",
            {
                "number": "+15551230001",
                "enterpriseSid": data["sid"],
            },
        ),
        201,
    )
    assert NumberRoute.objects.filter(phone_number_sid=number["sid"]).exists()
    kept_number = assert_ok(
        tenant.csp.post(
            "/autoattendant/phonenumber",
            {
                "number": "+15551230002",
                "enterpriseSid": tenant.enterprise.sid,
            },
        ),
        201,
    )

    assert_ok(tenant.csp.delete(f"{ENTERPRISE}/{data['sid']}"))
    assert not User.objects.filter(email_id__in=["jane.doe@yourcompany.com", "aa.user@yourcompany.com"]).exists()
    assert not PhoneNumber.objects.filter(sid=number["sid"]).exists()
    assert not NumberRoute.objects.filter(phone_number_sid=number["sid"]).exists()
    # Another enterprise of the same CSP keeps its own.
    assert PhoneNumber.objects.filter(sid=kept_number["sid"]).exists()
    assert User.objects.filter(pk=tenant.bg_admin.pk).exists()


# aaSystemCount


def test_aa_system_count_counts_the_enterprises_systems(tenant):
    data = create(tenant.csp)
    create_system(tenant, name="One", enterpriseSid=data["sid"])
    create_system(tenant, name="Two", enterpriseSid=data["sid"])
    create_system(tenant, name="Elsewhere")
    assert assert_ok(tenant.csp.get(f"{SEARCH}/{data['sid']}"))["aaSystemCount"] == 2
    listed = {row["sid"]: row["aaSystemCount"] for row in assert_ok(tenant.csp.get(SEARCH))["result"]}
    assert listed == {tenant.enterprise.sid: 1, data["sid"]: 2}
    assert assert_ok(tenant.csp.put(f"{ENTERPRISE}/{data['sid']}", {"name": "Renamed"}))["aaSystemCount"] == 2


# Audit


def test_create_update_delete_are_audited_with_before_and_after(tenant):
    data = create(tenant.csp)
    sid = data["sid"]
    created = audit_rows(sid, "create").get()
    assert created.object_type == "enterprise"
    assert created.actor_id == tenant.csp_admin.pk
    assert created.actor_email == tenant.csp_admin.email_id
    assert created.organisation_id == tenant.csp_admin.organisation_id
    assert created.before is None
    assert created.after["name"] == "test Enterprise"
    admin = User.objects.get(email_id="jane.doe@yourcompany.com")
    admin_row = audit_rows(admin.sid, "create").get()
    assert admin_row.after["role"] == "BG_ADMIN"
    assert "password" not in admin_row.after

    assert_ok(tenant.csp.put(f"{ENTERPRISE}/{sid}", {"name": "Enterprise3"}))
    updated = audit_rows(sid, "update").get()
    assert updated.before["name"] == "test Enterprise"
    assert updated.after["name"] == "Enterprise3"

    assert_ok(tenant.csp.delete(f"{ENTERPRISE}/{sid}"))
    deleted = audit_rows(sid, "delete").get()
    assert deleted.before["name"] == "Enterprise3"
    assert deleted.after is None
    assert audit_rows(admin.sid, "delete").exists()  # its users go with it, on the record


def test_failed_writes_are_not_audited(tenant):
    create(tenant.csp)
    count = AuditEntry.objects.count()
    assert_error(tenant.csp.post(ENTERPRISE, enterprise_body(email="x@yourcompany.com")), 460)
    assert_error(tenant.csp.put(f"{ENTERPRISE}/{tenant.enterprise.sid}", {"name": "test enterprise"}), 460)
    assert AuditEntry.objects.count() == count


def test_unknown_method_is_an_enveloped_405(tenant):
    response = tenant.csp.client.patch(
        f"{ENTERPRISE}/{tenant.enterprise.sid}", data="{}", content_type="application/json"
    )
    response.body = response.json()
    assert_error(response, 405)


def test_ext_from_phone_number_is_stored_and_read_back_when_set(tenant):
    data = create(tenant.csp, extFromPhoneNumber="+15550001111")
    assert_enterprise_shape(data)
    assert data["extFromPhoneNumber"] == "+15550001111"
    assert Enterprise.objects.get(sid=data["sid"]).ext_from_phone_number == "+15550001111"
    assert assert_ok(tenant.csp.get(f"{SEARCH}/{data['sid']}"))["extFromPhoneNumber"] == "+15550001111"
    cleared = assert_ok(tenant.csp.put(f"{ENTERPRISE}/{data['sid']}", {"extFromPhoneNumber": ""}))
    assert list(cleared) == REFERENCE_FIELDS
    error = assert_error(tenant.csp.put(f"{ENTERPRISE}/{data['sid']}", {"extFromPhoneNumber": "not a number!"}), 400)
    assert "extFromPhoneNumber" in error["errors"]

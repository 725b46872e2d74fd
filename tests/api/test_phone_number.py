"""POST/GET/PUT/DELETE /autoattendant/phonenumber: AA numbers and extensions, their rules and their
provisioning side effects in the bundled telephony tables."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from autoattendant.models import AuditEntry, AutoAttendantSystem, PhoneNumber
from telephony.models import NumberRoute, SipClient, TelephonyAccount
from tests.api.objects import create_system, second_enterprise
from tests.api.resource_cases import CrudCases
from tests.conftest import assert_error, assert_ok, make_tenant

PN = "/autoattendant/phonenumber"
SYSTEM = "/autoattendant/system"
UNKNOWN_EN = "EN" + "0" * 32

# The reference's own example request and the fields of its example response.
REFERENCE_EXAMPLE = {
    "extension": "123",
    "isExtension": True,
    "number": "1234234234",
    "extensionSpokenName": "testextension",
}
REFERENCE_RESPONSE_FIELDS = {
    "sid",
    "dateUpdated",
    "dateCreated",
    "accountEmail",
    "uri",
    "number",
    "extensionSpokenName",
    "isExtension",
    "extension",
    "extensionType",
}


def create_number(api, enterprise_sid: str, number: str, **fields) -> dict:
    """POST a phone number and return its data (201 expected)."""
    return assert_ok(api.post(PN, {"number": number, "enterpriseSid": enterprise_sid, **fields}), 201)


def create_aa_number(tenant, number: str = "+14155550100", **fields) -> dict:
    return create_number(tenant.csp, tenant.enterprise.sid, number, isExtension=False, **fields)


def create_extension(tenant, number: str = "1671331777", extension: str = "101", **fields) -> dict:
    return create_number(
        tenant.csp,
        tenant.enterprise.sid,
        number,
        isExtension=True,
        extension=extension,
        extensionSpokenName=f"Person {extension}",
        **fields,
    )


def route_of(sid: str) -> NumberRoute:
    return NumberRoute.objects.select_related("account").get(phone_number_sid=sid)


def audit_rows(sid: str, action: str | None = None):
    rows = AuditEntry.objects.filter(object_type="phonenumber", object_sid=sid)
    return rows.filter(action=action) if action else rows


@pytest.fixture
def numbers(tenant):
    """One AA number and one extension of the tenant's enterprise."""
    return SimpleNamespace(aa=create_aa_number(tenant), ext=create_extension(tenant))


@pytest.fixture(name="second_enterprise")
def second_enterprise_fixture(tenant):
    return second_enterprise(tenant)


class TestPhoneNumberResource(CrudCases):
    path = PN
    prefix = "PH"
    model = PhoneNumber
    fields = REFERENCE_RESPONSE_FIELDS | {"enterpriseSid", "autoAttendantSid", "friendlyName"}
    not_found_code = 491
    not_found_message = "PhoneNumber not found"
    # An AA admin sees the numbers of its AA systems only, and changes none.
    refused = {
        "create": {"bg": 403, "aa": 403},
        "read": {"aa": 491},
        "update": {"aa": 403},
        "delete": {"bg": 403, "aa": 403},
    }
    echoed = ("number", "isExtension", "enterpriseSid", "friendlyName")
    sort_field = filter_field = "number"
    update_data = {"friendlyName": "Desk"}

    def owner(self, tenant):
        # An AA number is routed for one CSP only: each tenant's numbers are its own.
        return tenant.enterprise.sid, f"+1415{tenant.csp_admin.pk % 1000:03d}02"

    def create_body(self, owner, index):
        enterprise_sid, digits = owner
        return {
            "number": f"{digits}{index:02d}",
            "enterpriseSid": enterprise_sid,
            "isExtension": False,
            "friendlyName": f"Line {index}",
        }


# Create


@pytest.mark.parametrize("path", [PN, "/autoattendant/phoneNumber", PN + "/"])
def test_create_with_reference_example(tenant, path):
    body = {**REFERENCE_EXAMPLE, "enterpriseSid": tenant.enterprise.sid}
    response = tenant.csp.post(path, body)
    data = assert_ok(response, 201)
    assert data["dateCreated"] == data["dateUpdated"]
    assert {k: data[k] for k in ("number", "extensionSpokenName", "isExtension", "extension", "extensionType")} == {
        "number": "1234234234",
        "extensionSpokenName": "testextension",
        "isExtension": True,
        "extension": "123",
        "extensionType": "number",
    }
    assert data["enterpriseSid"] == tenant.enterprise.sid
    assert data["autoAttendantSid"] is None
    stored = PhoneNumber.objects.get(sid=data["sid"])
    assert stored.enterprise_id == tenant.enterprise.pk and stored.organisation_id == tenant.csp_admin.organisation_id
    # A number-type extension needs nothing on the telephony side.
    assert not NumberRoute.objects.filter(phone_number_sid=data["sid"]).exists()
    assert not SipClient.objects.filter(phone_number_sid=data["sid"]).exists()
    entry = audit_rows(data["sid"], "create").get()
    assert entry.actor_id == tenant.csp_admin.pk and entry.after["number"] == "1234234234"
    # And it reads back the same through either spelling of the resource.
    for read_path in (f"{PN}/search/{data['sid']}", f"/autoattendant/phoneNumber/search/{data['sid']}"):
        assert assert_ok(tenant.csp.get(read_path)) == data


def test_create_aa_number_is_routed_to_nothing_yet(tenant):
    data = create_aa_number(tenant, friendlyName="Main line")
    assert data["isExtension"] is False and data["extension"] == "" and data["friendlyName"] == "Main line"
    route = route_of(data["sid"])
    assert route.number == "+14155550100"
    assert route.aa_system_sid == ""
    assert route.account.enterprise_sid == tenant.enterprise.sid


def test_create_aa_number_with_system_routes_to_it(tenant):
    system = create_system(tenant)
    data = create_aa_number(tenant, autoAttendantSid=system["sid"])
    assert data["autoAttendantSid"] == system["sid"]
    assert route_of(data["sid"]).aa_system_sid == system["sid"]
    shown = assert_ok(tenant.csp.get(f"{SYSTEM}/search/{system['sid']}"))
    assert shown["aaNumbers"] == ["+14155550100"]


def test_create_with_unknown_system_is_490_and_writes_nothing(tenant, other_tenant):
    other_system = create_system(other_tenant)
    for sid in ("AA" + "0" * 32, other_system["sid"]):
        error = assert_error(
            tenant.csp.post(
                PN,
                {"number": "+14155550100", "enterpriseSid": tenant.enterprise.sid, "autoAttendantSid": sid},
            ),
            490,
        )
        assert error["data"] == {"sid": sid}
    assert not PhoneNumber.objects.filter(organisation_id=tenant.csp_admin.organisation_id).exists()
    assert not NumberRoute.objects.filter(number="+14155550100").exists()


def test_create_client_extension_provisions_sip_client(tenant):
    data = create_extension(
        tenant, number="alice", extension="200", extensionType="client", extensionClientPassword="s3cret-pass"
    )
    assert data["extensionType"] == "client"
    assert "extensionClientPassword" not in data
    client = SipClient.objects.select_related("account").get(phone_number_sid=data["sid"])
    assert client.login == "alice"
    assert client.password == "s3cret-pass"
    assert client.account.enterprise_sid == tenant.enterprise.sid
    assert not NumberRoute.objects.filter(phone_number_sid=data["sid"]).exists()
    # The password never reaches the audit trail.
    assert "s3cret-pass" not in str(audit_rows(data["sid"], "create").get().after)


def test_existing_client_keeps_its_password(tenant):
    account = TelephonyAccount.objects.get(enterprise_sid=tenant.enterprise.sid)
    SipClient.objects.create(login="bob", account=account, phone_number_sid="legacy-bob", password="Old-pass-1")
    # No password needed for a client that exists; a given one is ignored.
    data = create_extension(
        tenant, number="bob", extension="201", extensionType="client", extensionClientPassword="New-pass-2"
    )
    client = SipClient.objects.get(login="bob")
    assert client.password == "Old-pass-1"
    assert client.phone_number_sid == data["sid"]
    # Nor does a later update with a password change it.
    assert_ok(tenant.csp.put(f"{PN}/{data['sid']}", {"friendlyName": "Bob", "extensionClientPassword": "Other-3"}))
    assert SipClient.objects.get(login="bob").password == "Old-pass-1"
    assert SipClient.objects.count() == 1


def test_existing_client_needs_no_password(tenant):
    account = TelephonyAccount.objects.get(enterprise_sid=tenant.enterprise.sid)
    SipClient.objects.create(login="carol", account=account, phone_number_sid="legacy-carol", password="Old-pass-1")
    data = create_extension(tenant, number="carol", extension="202", extensionType="client")
    assert SipClient.objects.get(phone_number_sid=data["sid"]).password == "Old-pass-1"


def test_client_without_password_is_495_and_writes_nothing(tenant):
    body = {
        "number": "dave",
        "enterpriseSid": tenant.enterprise.sid,
        "isExtension": True,
        "extension": "203",
        "extensionType": "client",
    }
    for extra in ({}, {"extensionClientPassword": ""}):
        error = assert_error(tenant.csp.post(PN, {**body, **extra}), 495)
        assert error["message"] == "Password needed to provision new client in Restcomm"
        assert error["data"]["number"] == "dave"
    assert not PhoneNumber.objects.filter(number="dave").exists()
    assert not SipClient.objects.exists()
    assert not AuditEntry.objects.filter(object_type="phonenumber").exists()


@pytest.mark.parametrize("password", ["short1", "no-digits-here", "1234567890"])
def test_client_password_failing_policy_is_494(tenant, password):
    error = assert_error(
        tenant.csp.post(
            PN,
            {
                "number": "erin",
                "enterpriseSid": tenant.enterprise.sid,
                "isExtension": True,
                "extension": "204",
                "extensionType": "client",
                "extensionClientPassword": password,
            },
        ),
        494,
    )
    assert error["message"] == "Error in provisioning client"
    assert "extensionClientPassword" in error["errors"]
    assert password not in str(error.get("errors"))
    assert not PhoneNumber.objects.filter(number="erin").exists()
    assert not SipClient.objects.exists()


@pytest.mark.parametrize("sid", [UNKNOWN_EN, "not-a-sid"])
def test_unknown_enterprise_is_467(tenant, sid):
    body = {**REFERENCE_EXAMPLE, "enterpriseSid": sid}
    error = assert_error(tenant.csp.post(PN, body), 467)
    assert error["message"] == "Enterprise not found"
    assert error["data"] == {"sid": sid}  # the missing enterprise, as every not-found names its SID
    assert not PhoneNumber.objects.exists()


def test_other_csps_enterprise_is_467(tenant, other_tenant):
    assert_error(tenant.csp.post(PN, {**REFERENCE_EXAMPLE, "enterpriseSid": other_tenant.enterprise.sid}), 467)
    assert not PhoneNumber.objects.filter(enterprise=other_tenant.enterprise).exists()


def test_duplicate_number_in_organisation_is_510(tenant, second_enterprise):
    create_number(tenant.csp, tenant.enterprise.sid, **{k: v for k, v in REFERENCE_EXAMPLE.items()})
    # Same number: same enterprise, another enterprise of the CSP, AA number or extension alike.
    for enterprise_sid, extra in (
        (tenant.enterprise.sid, {"extension": "124"}),
        (second_enterprise, {}),
        (second_enterprise, {"isExtension": False}),
    ):
        body = {**REFERENCE_EXAMPLE, "enterpriseSid": enterprise_sid, **extra}
        error = assert_error(tenant.csp.post(PN, body), 510)
        assert error["message"] == "PhoneNumber number already exists"
        assert error["data"] == body  # the reference's example echoes the request
    assert PhoneNumber.objects.filter(number="1234234234").count() == 1


def test_same_extension_number_in_another_organisation_is_allowed(tenant, other_tenant):
    mine = create_number(tenant.csp, tenant.enterprise.sid, **REFERENCE_EXAMPLE)
    theirs = create_number(other_tenant.csp, other_tenant.enterprise.sid, **REFERENCE_EXAMPLE)
    assert mine["sid"] != theirs["sid"]
    assert PhoneNumber.objects.filter(number="1234234234").count() == 2


def test_same_aa_number_in_another_organisation_is_refused_by_routing_486(tenant, other_tenant):
    mine = create_aa_number(tenant)
    error = assert_error(
        other_tenant.csp.post(PN, {"number": "+14155550100", "enterpriseSid": other_tenant.enterprise.sid}),
        486,
    )
    assert error["message"] == "Error in provisioning number on Restcomm"
    # The portal row written before provisioning failed is rolled back; the route stays the first CSP's.
    assert list(PhoneNumber.objects.filter(number="+14155550100").values_list("sid", flat=True)) == [mine["sid"]]
    assert route_of(mine["sid"]).account.enterprise_sid == tenant.enterprise.sid
    assert not AuditEntry.objects.filter(
        organisation_id=other_tenant.csp_admin.organisation_id, object_type="phonenumber"
    ).exists()


def test_same_client_login_in_another_organisation_is_494(tenant, other_tenant):
    create_extension(
        tenant, number="frank", extension="205", extensionType="client", extensionClientPassword="Pass-word-1"
    )
    assert_error(
        other_tenant.csp.post(
            PN,
            {
                "number": "frank",
                "enterpriseSid": other_tenant.enterprise.sid,
                "isExtension": True,
                "extension": "205",
                "extensionType": "client",
                "extensionClientPassword": "Pass-word-2",
            },
        ),
        494,
    )
    assert not PhoneNumber.objects.filter(enterprise=other_tenant.enterprise).exists()
    assert SipClient.objects.get(login="frank").password == "Pass-word-1"


def test_duplicate_extension_in_enterprise_is_522(tenant, second_enterprise):
    create_extension(tenant, number="1671331777", extension="101")
    error = assert_error(
        tenant.csp.post(
            PN,
            {
                "number": "1671331778",
                "enterpriseSid": tenant.enterprise.sid,
                "isExtension": True,
                "extension": "101",
            },
        ),
        522,
    )
    assert "extension" in error["errors"]
    assert not PhoneNumber.objects.filter(number="1671331778").exists()
    # The same extension in another enterprise, or an AA number, is fine.
    create_number(tenant.csp, second_enterprise, "1671331778", isExtension=True, extension="101")
    create_number(tenant.csp, tenant.enterprise.sid, "+14155550199", isExtension=False, extension="101")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"isExtension": True}, "extension"),
        ({"isExtension": True, "extension": ""}, "extension"),
        ({"isExtension": True, "extension": "12a"}, "extension"),
        ({"number": "12 34"}, "number"),
        ({"number": "+1(415)555"}, "number"),
        ({"number": ""}, "number"),
        ({"number": "1" * 65}, "number"),
        ({"number": None}, "number"),
        ({"extensionType": "sip"}, "extensionType"),
        ({"enterpriseSid": None}, "enterpriseSid"),
    ],
)
def test_validation_is_400(tenant, body, field):
    request = {"number": "+14155550100", "enterpriseSid": tenant.enterprise.sid, **body}
    error = assert_error(tenant.csp.post(PN, request), 400)
    assert field in error["errors"], error
    assert not PhoneNumber.objects.exists()


def test_missing_fields_are_400(tenant):
    error = assert_error(tenant.csp.post(PN, {}), 400)
    assert {"number", "enterpriseSid"} <= set(error["errors"])


# Search


def test_search_with_filters(tenant, other_tenant, second_enterprise):
    aa1 = create_aa_number(tenant, "+14155550100")
    aa2 = create_aa_number(tenant, "+14155550101")
    ext1 = create_extension(tenant, "1671331777", "101")
    ext2 = create_number(tenant.csp, second_enterprise, "1671331999", isExtension=True, extension="101")
    system = create_system(tenant, aa_sids=[aa1["sid"]], ext_sids=[ext1["sid"]])
    create_aa_number(other_tenant, "+14155550102")  # another CSP's: never seen

    def sids(params=None, api=tenant.csp, path=PN):
        data = assert_ok(api.get(f"{path}/search", params))
        assert data["total"] == len(data["result"])
        return [row["sid"] for row in data["result"]]

    assert sids() == [aa1["sid"], aa2["sid"], ext1["sid"], ext2["sid"]]
    assert sids(path="/autoattendant/phoneNumber") == sids()
    assert sids({"number": "+1415555010"}) == [aa1["sid"], aa2["sid"]]
    assert sids({"number": "5550101"}) == [aa2["sid"]]
    assert sids({"number": "+14155550102"}) == []
    assert sids({"isExtension": "true"}) == [ext1["sid"], ext2["sid"]]
    assert sids({"isExtension": "false"}) == [aa1["sid"], aa2["sid"]]
    assert sids({"enterpriseSid": second_enterprise}) == [ext2["sid"]]
    assert sids({"enterpriseSid": other_tenant.enterprise.sid}) == []
    assert sids({"autoAttendantSid": system["sid"]}) == [aa1["sid"], ext1["sid"]]
    assert sids({"autoAttendantSid": system["sid"], "isExtension": "true"}) == [ext1["sid"]]
    assert sids({"enterpriseSid": tenant.enterprise.sid, "isExtension": "false", "number": "0101"}) == [aa2["sid"]]
    assert sids({"SortBy": "number:desc"})[0] == ext2["sid"]
    # An enterprise admin sees its own enterprise's numbers only.
    assert sids(api=tenant.bg) == [aa1["sid"], aa2["sid"], ext1["sid"]]
    # An AA admin sees the numbers of its AA systems only.
    assert sids(api=tenant.aa) == []
    tenant.aa_admin.aa_systems.add(AutoAttendantSystem.objects.get(sid=system["sid"]))
    assert sids(api=tenant.aa) == [aa1["sid"], ext1["sid"]]


# Update


def test_update_fields(tenant, numbers):
    path = f"{PN}/{numbers.ext['sid']}"
    data = assert_ok(
        tenant.csp.put(
            path,
            {
                "number": "1671331700",
                "extension": "109",
                "extensionSpokenName": "Sales",
                "friendlyName": "Desk",
                "timeoutSeconds": "ignored",
            },
        )
    )
    assert (data["number"], data["extension"], data["extensionSpokenName"], data["friendlyName"]) == (
        "1671331700",
        "109",
        "Sales",
        "Desk",
    )
    assert data["sid"] == numbers.ext["sid"] and data["dateCreated"] == numbers.ext["dateCreated"]
    assert assert_ok(tenant.csp.get(f"{PN}/search/{numbers.ext['sid']}")) == data
    entry = audit_rows(numbers.ext["sid"], "update").get()
    assert entry.before["number"] == "1671331777" and entry.after["number"] == "1671331700"
    assert entry.before["extension"] == "101" and entry.after["extension"] == "109"


def test_update_aa_number_moves_its_route(tenant, numbers):
    assert_ok(tenant.csp.put(f"{PN}/{numbers.aa['sid']}", {"number": "+14155550177"}))
    route = route_of(numbers.aa["sid"])
    assert route.number == "+14155550177"
    assert not NumberRoute.objects.filter(number="+14155550100").exists()


def test_update_assigns_and_unassigns_system_route(tenant, numbers):
    system = create_system(tenant)
    data = assert_ok(tenant.csp.put(f"{PN}/{numbers.aa['sid']}", {"autoAttendantSid": system["sid"]}))
    assert data["autoAttendantSid"] == system["sid"]
    assert route_of(numbers.aa["sid"]).aa_system_sid == system["sid"]
    data = assert_ok(tenant.csp.put(f"{PN}/{numbers.aa['sid']}", {"autoAttendantSid": None}))
    assert data["autoAttendantSid"] is None
    assert route_of(numbers.aa["sid"]).aa_system_sid == ""


def test_update_extension_type_provisions_and_releases_client(tenant, numbers):
    path = f"{PN}/{numbers.ext['sid']}"
    assert_error(tenant.csp.put(path, {"extensionType": "client"}), 495)
    assert PhoneNumber.objects.get(sid=numbers.ext["sid"]).extension_type == "number"
    assert_ok(tenant.csp.put(path, {"extensionType": "client", "extensionClientPassword": "Pass-word-1"}))
    assert SipClient.objects.get(phone_number_sid=numbers.ext["sid"]).login == numbers.ext["number"]
    assert_ok(tenant.csp.put(path, {"extensionType": "number"}))
    assert not SipClient.objects.filter(phone_number_sid=numbers.ext["sid"]).exists()


def test_update_extension_to_aa_number_routes_it(tenant, numbers):
    data = assert_ok(tenant.csp.put(f"{PN}/{numbers.ext['sid']}", {"isExtension": False}))
    assert data["isExtension"] is False
    assert route_of(numbers.ext["sid"]).number == numbers.ext["number"]
    data = assert_ok(tenant.csp.put(f"{PN}/{numbers.ext['sid']}", {"isExtension": True}))
    assert data["isExtension"] is True and data["extension"] == "101"
    assert not NumberRoute.objects.filter(phone_number_sid=numbers.ext["sid"]).exists()


def test_update_aa_number_to_extension_needs_extension(tenant, numbers):
    error = assert_error(tenant.csp.put(f"{PN}/{numbers.aa['sid']}", {"isExtension": True}), 400)
    assert "extension" in error["errors"]
    assert PhoneNumber.objects.get(sid=numbers.aa["sid"]).is_extension is False
    assert route_of(numbers.aa["sid"]).number == numbers.aa["number"]


def test_update_duplicate_number_is_510(tenant, numbers):
    body = {"number": numbers.aa["number"]}
    error = assert_error(tenant.csp.put(f"{PN}/{numbers.ext['sid']}", body), 510)
    assert error["data"] == body
    assert PhoneNumber.objects.get(sid=numbers.ext["sid"]).number == numbers.ext["number"]
    # Its own number is no clash.
    assert_ok(tenant.csp.put(f"{PN}/{numbers.ext['sid']}", {"number": numbers.ext["number"]}))


def test_update_duplicate_extension_is_522(tenant, numbers):
    other = create_extension(tenant, "1671331778", "102")
    assert_error(tenant.csp.put(f"{PN}/{other['sid']}", {"extension": "101"}), 522)
    assert PhoneNumber.objects.get(sid=other["sid"]).extension == "102"


def test_update_to_a_number_routed_elsewhere_is_486_and_changes_nothing(tenant, other_tenant, numbers):
    create_aa_number(other_tenant, "+14155550155")
    error = assert_error(tenant.csp.put(f"{PN}/{numbers.aa['sid']}", {"number": "+14155550155"}), 486)
    assert error["data"] == {"number": "+14155550155"}
    assert PhoneNumber.objects.get(sid=numbers.aa["sid"]).number == numbers.aa["number"]
    assert route_of(numbers.aa["sid"]).number == numbers.aa["number"]  # the released route came back
    assert not audit_rows(numbers.aa["sid"], "update").exists()


@pytest.mark.parametrize("sid", [UNKNOWN_EN, "x"])
def test_update_unknown_enterprise_is_467(tenant, numbers, sid):
    assert_error(tenant.csp.put(f"{PN}/{numbers.aa['sid']}", {"enterpriseSid": sid}), 467)


def test_update_to_other_csps_enterprise_is_467(tenant, other_tenant, numbers):
    assert_error(tenant.csp.put(f"{PN}/{numbers.aa['sid']}", {"enterpriseSid": other_tenant.enterprise.sid}), 467)
    assert PhoneNumber.objects.get(sid=numbers.aa["sid"]).enterprise_id == tenant.enterprise.pk


def test_move_to_another_enterprise(tenant, numbers, second_enterprise):
    client = create_extension(tenant, "grace", "103", extensionType="client", extensionClientPassword="Pass-word-1")
    for data in (numbers.aa, client):
        moved = assert_ok(tenant.csp.put(f"{PN}/{data['sid']}", {"enterpriseSid": second_enterprise}))
        assert moved["enterpriseSid"] == second_enterprise
    assert route_of(numbers.aa["sid"]).account.enterprise_sid == second_enterprise
    assert SipClient.objects.select_related("account").get(login="grace").account.enterprise_sid == second_enterprise
    # The old enterprise's admin no longer sees them.
    assert_error(tenant.bg.get(f"{PN}/search/{numbers.aa['sid']}"), 491)
    searched = assert_ok(tenant.csp.get(f"{PN}/search", {"enterpriseSid": second_enterprise}))
    assert {row["sid"] for row in searched["result"]} == {numbers.aa["sid"], client["sid"]}


def test_move_needs_a_free_extension_in_the_target(tenant, numbers, second_enterprise):
    create_number(tenant.csp, second_enterprise, "1671331999", isExtension=True, extension="101")
    assert_error(tenant.csp.put(f"{PN}/{numbers.ext['sid']}", {"enterpriseSid": second_enterprise}), 522)
    assert PhoneNumber.objects.get(sid=numbers.ext["sid"]).enterprise_id == tenant.enterprise.pk


def test_move_of_a_number_in_a_system_is_508(tenant, numbers, second_enterprise):
    create_system(tenant, aa_sids=[numbers.aa["sid"]])
    assert_error(tenant.csp.put(f"{PN}/{numbers.aa['sid']}", {"enterpriseSid": second_enterprise}), 508)
    assert PhoneNumber.objects.get(sid=numbers.aa["sid"]).enterprise_id == tenant.enterprise.pk


def test_enterprise_admin_may_change_names_and_extension_only(tenant, numbers):
    path = f"{PN}/{numbers.ext['sid']}"
    data = assert_ok(
        tenant.bg.put(path, {"extensionSpokenName": "Reception", "friendlyName": "Front desk", "extension": "100"})
    )
    assert (data["extensionSpokenName"], data["friendlyName"], data["extension"]) == (
        "Reception",
        "Front desk",
        "100",
    )
    assert data["accountEmail"] == tenant.bg_admin.email_id
    for body in (
        {"number": "1671331700"},
        {"extension": "105", "number": "1671331700"},
        {"isExtension": False},
        {"extensionType": "client", "extensionClientPassword": "Pass-word-1"},
        {"enterpriseSid": tenant.enterprise.sid},
        {"autoAttendantSid": None},
        {"friendlyName": "x", "extensionClientPassword": "Pass-word-1"},
    ):
        assert_error(tenant.bg.put(path, body), 403)
    stored = PhoneNumber.objects.get(sid=numbers.ext["sid"])
    assert (stored.number, stored.extension, stored.friendly_name) == ("1671331777", "100", "Front desk")


def test_aa_admin_cannot_update(tenant, numbers):
    system = create_system(tenant, ext_sids=[numbers.ext["sid"]])
    tenant.aa_admin.aa_systems.add(AutoAttendantSystem.objects.get(sid=system["sid"]))
    assert system["extensions"] == [numbers.ext["number"]]
    assert_ok(tenant.aa.get(f"{PN}/search/{numbers.ext['sid']}"))
    assert_error(tenant.aa.put(f"{PN}/{numbers.ext['sid']}", {"friendlyName": "x"}), 403)
    assert PhoneNumber.objects.get(sid=numbers.ext["sid"]).friendly_name == ""


# Delete


def test_delete_aa_number_releases_route(tenant, numbers):
    assert_ok(tenant.csp.delete(f"{PN}/{numbers.aa['sid']}"))
    assert not NumberRoute.objects.filter(phone_number_sid=numbers.aa["sid"]).exists()
    entry = audit_rows(numbers.aa["sid"], "delete").get()
    assert entry.before["number"] == numbers.aa["number"]
    # The number is free again, for this CSP and for the telephony side.
    create_aa_number(tenant, numbers.aa["number"])


def test_delete_client_extension_releases_client(tenant):
    data = create_extension(tenant, "heidi", "104", extensionType="client", extensionClientPassword="Pass-word-1")
    assert SipClient.objects.filter(phone_number_sid=data["sid"]).exists()
    assert_ok(tenant.csp.delete(f"{PN}/{data['sid']}"))
    assert not SipClient.objects.filter(login="heidi").exists()


def test_delete_number_in_system_is_508(tenant, numbers):
    system = create_system(tenant, aa_sids=[numbers.aa["sid"]], ext_sids=[numbers.ext["sid"]])
    for sid in (numbers.aa["sid"], numbers.ext["sid"]):
        error = assert_error(tenant.csp.delete(f"{PN}/{sid}"), 508)
        assert error["message"] == (
            "This phone number cannot be deleted as it is being used in an Auto Attendant System."
        )
        assert error["data"] == {"sid": sid}
    assert PhoneNumber.objects.filter(aa_system__sid=system["sid"]).count() == 2
    assert route_of(numbers.aa["sid"]).aa_system_sid == system["sid"]


# Nothing half-written, with real commits (no test transaction around the request).


@pytest.mark.django_db(transaction=True)
def test_failed_provisioning_commits_nothing():
    tenant = make_tenant("rollback")
    other = make_tenant("rollback2")
    create_aa_number(tenant, "+14155550100")
    audit_before = AuditEntry.objects.count()

    assert_error(
        tenant.csp.post(
            PN,
            {
                "number": "ivan",
                "enterpriseSid": tenant.enterprise.sid,
                "isExtension": True,
                "extension": "300",
                "extensionType": "client",
            },
        ),
        495,
    )
    assert_error(
        tenant.csp.post(
            PN,
            {
                "number": "judy",
                "enterpriseSid": tenant.enterprise.sid,
                "isExtension": True,
                "extension": "301",
                "extensionType": "client",
                "extensionClientPassword": "short",
            },
        ),
        494,
    )
    assert_error(other.csp.post(PN, {"number": "+14155550100", "enterpriseSid": other.enterprise.sid}), 486)

    assert list(PhoneNumber.objects.values_list("number", flat=True)) == ["+14155550100"]
    assert not SipClient.objects.exists()
    assert NumberRoute.objects.count() == 1
    assert AuditEntry.objects.count() == audit_before


@pytest.mark.django_db(transaction=True)
def test_provisioning_failure_after_the_row_is_written_commits_nothing(monkeypatch):
    from autoattendant.errors import AAError, Code
    from telephony.provisioning.bundled import BundledBackend

    tenant = make_tenant("rollback3")
    audit_before = AuditEntry.objects.count()
    seen = {}

    def failing(self, phone_number):
        seen["saved"] = PhoneNumber.objects.filter(sid=phone_number.sid).exists()
        raise AAError(Code.NUMBER_PROVISIONING_FAILED)

    monkeypatch.setattr(BundledBackend, "provision_number", failing)
    assert_error(tenant.csp.post(PN, {"number": "+14155550100", "enterpriseSid": tenant.enterprise.sid}), 486)
    assert seen == {"saved": True}  # the portal row existed when provisioning failed ...
    assert not PhoneNumber.objects.exists()  # ... and is gone with it
    assert AuditEntry.objects.count() == audit_before


def test_update_to_unknown_system_is_490(tenant, other_tenant, numbers, second_enterprise):
    foreign = assert_ok(tenant.csp.post(SYSTEM, {"name": "Elsewhere", "enterpriseSid": second_enterprise}), 201)
    theirs = create_system(other_tenant)
    for sid in ("AA" + "0" * 32, theirs["sid"], foreign["sid"]):
        error = assert_error(tenant.csp.put(f"{PN}/{numbers.aa['sid']}", {"autoAttendantSid": sid}), 490)
        assert error["data"] == {"sid": sid}
    assert PhoneNumber.objects.get(sid=numbers.aa["sid"]).aa_system_id is None
    assert route_of(numbers.aa["sid"]).aa_system_sid == ""

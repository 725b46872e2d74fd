"""POST/GET/PUT/DELETE /autoattendant/system: numbers and extensions, time zone, policies and roles."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from autoattendant.models import AuditEntry, AutoAttendantSystem, PhoneNumber
from telephony.models import NumberRoute
from tests.api.objects import add_number, assign_aa_admin, create_system, second_enterprise
from tests.api.resource_cases import CrudCases
from tests.conftest import assert_error, assert_ok

SYSTEM = "/autoattendant/system"
PN = "/autoattendant/phonenumber"
UNKNOWN_PH = "PH" + "0" * 32
UNKNOWN_EN = "EN" + "0" * 32
# The reference example's announcement SIDs: no announcement exists (yet), so they are never found.
REFERENCE_AN = "AN42b3d3e952ff47ecba9d487095a2bc4e"
MENU_SID = "MN" + "1" * 32

REFERENCE_RESPONSE_FIELDS = {
    "sid",
    "dateUpdated",
    "dateCreated",
    "accountEmail",
    "uri",
    "name",
    "description",
    "status",
    "aaNumbers",
    "extensions",
    "enterpriseSid",
    "timeoutSeconds",
    "timeoutMaxOccurance",
    "timeoutAction",
    "invalidExtensionMaxOccurance",
    "invalidExtensionAction",
    "invalidInputMaxOccurance",
    "invalidInputAction",
    "timezoneId",
}


def reference_body(aa_sids, ext_sids, **overrides) -> dict:
    """The reference's example request, numbers as strings and all; its announcement actions swapped for
    actions that can succeed (no announcement exists to name)."""
    body = {
        "name": "test12",
        "description": "test123",
        "status": "ACTIVE",
        "timezoneId": "Asia/Calcutta",
        "aaNumbers": list(aa_sids),
        "extensions": list(ext_sids),
        "timeoutSeconds": "1",
        "autoattendantSid": "AA9cb83e8b36884e54afc48488d8302274",
        "timeoutAction": {"actionType": "HANGUP"},
        "timeoutMaxOccurance": "2",
        "invalidExtensionAction": {"actionType": "DIAL_BY_EXTENSION"},
        "invalidExtensionMaxOccurance": "1",
        "invalidInputAction": {"actionType": "TRANSFER_TO_NUMBER", "actionData": "+14155550999"},
        "invalidInputMaxOccurance": "2",
    }
    body.update(overrides)
    return body


def number_row(data: dict) -> PhoneNumber:
    return PhoneNumber.objects.select_related("aa_system").get(sid=data["sid"])


def system_audit(sid: str, action: str):
    return AuditEntry.objects.filter(object_type="autoattendantsystem", object_sid=sid, action=action)


@pytest.fixture
def nums(tenant):
    """Two AA numbers and two extensions of the tenant's enterprise."""
    return SimpleNamespace(
        aa1=add_number(tenant, "+14155550100"),
        aa2=add_number(tenant, "+14155550101"),
        ext1=add_number(tenant, "1671331777", "101"),
        ext2=add_number(tenant, "1671331778", "102"),
    )


@pytest.fixture
def system(tenant, nums):
    """A system answering aa1, with ext1, whose invalid-input action transfers to ext1."""
    return create_system(
        tenant,
        [nums.aa1["sid"]],
        [nums.ext1["sid"]],
        invalidInputAction={"actionType": "TRANSFER_TO_EXTENSION", "actionData": nums.ext1["sid"]},
    )


class TestSystemResource(CrudCases):
    path = SYSTEM
    prefix = "AA"
    model = AutoAttendantSystem
    fields = REFERENCE_RESPONSE_FIELDS | {
        "aaNumberSids",
        "extensionNumberSids",
        "defaultMenuSid",
        "operatorExtensionSid",
        "publishStatus",
        "publishedVersion",
        "publishError",
    }
    not_found_code = 490
    not_found_message = "AutoAttendant System not found"
    # An AA admin sees only the systems assigned to it (none here).
    refused = {
        "create": {"bg": 403, "aa": 403},
        "read": {"aa": 490},
        "update": {"aa": 490},
        "delete": {"bg": 403, "aa": 403},
    }
    echoed = ("name", "description", "enterpriseSid")
    update_data = {"name": "Renamed", "description": "new"}

    def owner(self, tenant):
        return tenant.enterprise.sid

    def create_body(self, owner, index):
        return {"name": f"System {index}", "description": f"line {index}", "enterpriseSid": owner}


# Create


@pytest.mark.parametrize("aa_key, ext_key", [("aaNumbers", "extensions"), ("aaNumberSids", "extensionNumberSids")])
def test_create_with_reference_example(tenant, nums, aa_key, ext_key):
    body = reference_body([], [])
    del body["aaNumbers"], body["extensions"]
    body.update(
        {
            aa_key: [nums.aa1["sid"], nums.aa2["sid"]],
            ext_key: [nums.ext1["sid"]],
            "enterpriseSid": tenant.enterprise.sid,
        }
    )
    data = assert_ok(tenant.csp.post(SYSTEM, body), 201)
    assert data["sid"] != body["autoattendantSid"]  # a client cannot choose the SID
    assert {
        key: data[key]
        for key in REFERENCE_RESPONSE_FIELDS - {"sid", "uri", "dateCreated", "dateUpdated", "accountEmail"}
    } == {
        "name": "test12",
        "description": "test123",
        "status": "ACTIVE",
        # The numbers themselves, as the reference's response shows them.
        "aaNumbers": ["+14155550100", "+14155550101"],
        "extensions": ["1671331777"],
        "enterpriseSid": tenant.enterprise.sid,
        "timeoutSeconds": 1,
        "timeoutMaxOccurance": 2,
        "timeoutAction": {"actionType": "HANGUP"},
        "invalidExtensionMaxOccurance": 1,
        "invalidExtensionAction": {"actionType": "DIAL_BY_EXTENSION"},
        "invalidInputMaxOccurance": 2,
        "invalidInputAction": {"actionType": "TRANSFER_TO_NUMBER", "actionData": "+14155550999"},
        "timezoneId": "Asia/Calcutta",
    }
    assert data["aaNumberSids"] == [nums.aa1["sid"], nums.aa2["sid"]]
    assert data["extensionNumberSids"] == [nums.ext1["sid"]]
    assert assert_ok(tenant.csp.get(f"{SYSTEM}/search/{data['sid']}")) == data
    # The numbers point at the system, and the AA numbers route to it.
    for number in (nums.aa1, nums.aa2, nums.ext1):
        assert number_row(number).aa_system.sid == data["sid"]
    assert number_row(nums.ext2).aa_system is None
    for number in (nums.aa1, nums.aa2):
        assert NumberRoute.objects.get(phone_number_sid=number["sid"]).aa_system_sid == data["sid"]
    assert assert_ok(tenant.csp.get(f"{PN}/search/{nums.aa1['sid']}"))["autoAttendantSid"] == data["sid"]


def test_create_infers_enterprise_from_numbers(tenant, nums):
    data = assert_ok(tenant.csp.post(SYSTEM, reference_body([nums.aa1["sid"]], [nums.ext1["sid"]])), 201)
    assert data["enterpriseSid"] == tenant.enterprise.sid
    data = assert_ok(tenant.csp.post(SYSTEM, reference_body([], [nums.ext2["sid"]], name="by extension")), 201)
    assert data["enterpriseSid"] == tenant.enterprise.sid and data["extensions"] == ["1671331778"]


def test_create_minimal_has_defaults(tenant):
    data = create_system(tenant)
    assert (data["aaNumbers"], data["extensions"], data["status"], data["description"]) == (
        [],
        [],
        "ACTIVE",
        "",
    )
    assert data["timezoneId"] == "UTC"
    for key in ("timeoutAction", "invalidExtensionAction", "invalidInputAction"):
        assert data[key] == {"actionType": "HANGUP"}


def test_create_without_enterprise_or_numbers_is_521(tenant):
    error = assert_error(tenant.csp.post(SYSTEM, {"name": "nowhere"}), 521)
    assert "enterpriseSid" in error["errors"]
    assert not AutoAttendantSystem.objects.exists()


def test_create_writes_audit_row(tenant, nums):
    data = create_system(tenant, [nums.aa1["sid"]], [nums.ext1["sid"]])
    entry = system_audit(data["sid"], "create").get()
    assert entry.actor_id == tenant.csp_admin.pk and entry.before is None
    assert entry.after["aaNumbers"] == [nums.aa1["sid"]]
    assert entry.after["extensions"] == [nums.ext1["sid"]]
    assert entry.after["name"] == "Main line" and entry.after["enterprise"] == tenant.enterprise.sid
    assert entry.enterprise_id == tenant.enterprise.pk


def test_enterprise_aa_system_count(tenant, nums):
    path = f"/autoattendant/enterprise/search/{tenant.enterprise.sid}"
    assert assert_ok(tenant.csp.get(path))["aaSystemCount"] == 0
    first = create_system(tenant)
    create_system(tenant, name="Second")
    assert assert_ok(tenant.csp.get(path))["aaSystemCount"] == 2
    listed = assert_ok(tenant.csp.get("/autoattendant/enterprise/search"))["result"]
    assert [row["aaSystemCount"] for row in listed] == [2]
    assert_ok(tenant.csp.delete(f"{SYSTEM}/{first['sid']}"))
    assert assert_ok(tenant.csp.get(path))["aaSystemCount"] == 1


def test_create_unknown_enterprise_is_467(tenant, other_tenant, nums):
    for sid in (UNKNOWN_EN, other_tenant.enterprise.sid):
        body = {"name": "x", "enterpriseSid": sid}
        error = assert_error(tenant.csp.post(SYSTEM, body), 467)
        assert error["message"] == "Enterprise not found"
    assert not AutoAttendantSystem.objects.exists()


def test_create_unknown_phone_number_is_491(tenant, other_tenant, nums):
    theirs = add_number(other_tenant, "+14155550200")
    for aa, ext in (
        ([UNKNOWN_PH], []),
        ([], [UNKNOWN_PH]),
        ([nums.aa1["sid"], UNKNOWN_PH], []),
        ([theirs["sid"]], []),
    ):
        missing = (aa + ext)[-1]
        for with_enterprise in (True, False):
            body = reference_body(aa, ext)
            if with_enterprise:
                body["enterpriseSid"] = tenant.enterprise.sid
            error = assert_error(tenant.csp.post(SYSTEM, body), 491)
            assert error == {"errorCode": "491", "message": "PhoneNumber not found", "data": {"sid": missing}}
    assert not AutoAttendantSystem.objects.exists()
    assert number_row(nums.aa1).aa_system is None
    assert NumberRoute.objects.get(phone_number_sid=nums.aa1["sid"]).aa_system_sid == ""
    assert number_row(theirs).aa_system is None


def test_number_of_another_enterprise_is_491(tenant, nums):
    other = second_enterprise(tenant)
    foreign = add_number(tenant, "+14155550300", enterprise_sid=other)
    body = reference_body([nums.aa1["sid"], foreign["sid"]], [], enterpriseSid=tenant.enterprise.sid)
    assert assert_error(tenant.csp.post(SYSTEM, body), 491)["data"] == {"sid": foreign["sid"]}


def test_create_non_extension_in_extensions_is_493(tenant, nums):
    error = assert_error(tenant.csp.post(SYSTEM, reference_body([], [nums.ext1["sid"], nums.aa1["sid"]])), 493)
    assert error["message"] == "PhoneNumber is not an Extension number"
    assert error["data"] == {"sid": nums.aa1["sid"]}
    assert not AutoAttendantSystem.objects.exists()
    assert number_row(nums.ext1).aa_system is None


def test_create_extension_as_aa_number_is_511(tenant, nums):
    error = assert_error(tenant.csp.post(SYSTEM, reference_body([nums.ext1["sid"]], [])), 511)
    assert error["data"] == {"sid": nums.ext1["sid"]}
    assert not AutoAttendantSystem.objects.exists()


def test_create_number_in_another_system_is_512(tenant, nums, system):
    for aa, ext, taken in (([nums.aa1["sid"]], [], nums.aa1), ([], [nums.ext1["sid"]], nums.ext1)):
        error = assert_error(tenant.csp.post(SYSTEM, reference_body([nums.aa2["sid"], *aa], ext, name="B")), 512)
        assert error["data"] == {"sid": taken["sid"]}
    assert AutoAttendantSystem.objects.count() == 1
    assert number_row(nums.aa1).aa_system.sid == system["sid"]
    assert number_row(nums.aa2).aa_system is None
    assert NumberRoute.objects.get(phone_number_sid=nums.aa2["sid"]).aa_system_sid == ""


@pytest.mark.parametrize("timezone_id", ["Mars/Olympus", "../../etc/passwd", "UTC+99", "asia/calcutta"])
def test_create_unknown_timezone_is_513(tenant, nums, timezone_id):
    body = reference_body([nums.aa1["sid"]], [], timezoneId=timezone_id)
    error = assert_error(tenant.csp.post(SYSTEM, body), 513)
    assert error["data"] == body
    assert "timezoneId" in error["errors"]
    assert not AutoAttendantSystem.objects.exists()


INVALID_ACTIONS = [
    {"actionType": "TRANSFER_TO_NUMBER", "actionData": "4155550100"},
    {"actionType": "TRANSFER_TO_NUMBER", "actionData": "+0123"},
    {"actionType": "TRANSFER_TO_NUMBER"},
    {"actionType": "HANGUP", "actionData": "+14155550100"},
    {"actionType": "DIAL_BY_EXTENSION", "actionData": "AN42b3d3e952ff47ecba9d487095a2bc4e"},
    {"actionType": "HANGUP", "extra": 1},
    {"actionType": "TRANSFER_TO_EXTENSION", "actionData": ["PH1"]},
    "HANGUP",
    ["HANGUP"],
]


@pytest.mark.parametrize("action", INVALID_ACTIONS)
@pytest.mark.parametrize("field", ["timeoutAction", "invalidExtensionAction", "invalidInputAction"])
def test_create_invalid_action_is_514(tenant, nums, field, action):
    body = reference_body([nums.aa1["sid"]], [nums.ext1["sid"]], **{field: action})
    error = assert_error(tenant.csp.post(SYSTEM, body), 514)
    assert error["message"] == "Invalid action"
    assert field in error["errors"]
    assert not AutoAttendantSystem.objects.exists()
    # Numbers assigned before the action was checked are rolled back with the system.
    assert number_row(nums.aa1).aa_system is None and number_row(nums.ext1).aa_system is None
    assert NumberRoute.objects.get(phone_number_sid=nums.aa1["sid"]).aa_system_sid == ""


@pytest.mark.parametrize("action", [{"actionType": "JUMP"}, {"actionType": "hangup"}, {"actionData": "x"}, {}])
def test_create_unknown_action_type_is_515(tenant, nums, action):
    error = assert_error(
        tenant.csp.post(SYSTEM, reference_body([], [], timeoutAction=action, enterpriseSid=tenant.enterprise.sid)),
        515,
    )
    assert "timeoutAction" in error["errors"]
    assert not AutoAttendantSystem.objects.exists()


@pytest.mark.parametrize("action_type", ["ANNOUNCEMENT_HANGUP", "ANNOUNCEMENT_RETURN"])
@pytest.mark.parametrize("data", [REFERENCE_AN, "AN" + "f" * 32, "ANxyz", "PH" + "0" * 32])
def test_create_announcement_not_found_is_516(tenant, nums, action_type, data):
    body = reference_body([nums.aa1["sid"]], [], timeoutAction={"actionType": action_type, "actionData": data})
    error = assert_error(tenant.csp.post(SYSTEM, body), 516)
    assert error["data"] == {"sid": data}
    assert not AutoAttendantSystem.objects.exists()


def test_reference_example_verbatim_is_516(tenant, nums):
    """The reference's example names announcements; none exist, so the first one is not found."""
    body = reference_body(
        [nums.aa1["sid"]],
        [nums.ext1["sid"]],
        timeoutAction={"actionType": "ANNOUNCEMENT_HANGUP", "actionData": REFERENCE_AN},
        invalidInputAction={
            "actionType": "ANNOUNCEMENT_RETURN",
            "actionData": "AN5067f6f1c8f546dd909df1f50ee9f935",
        },
    )
    assert assert_error(tenant.csp.post(SYSTEM, body), 516)["data"] == {"sid": REFERENCE_AN}


@pytest.mark.parametrize("data", [MENU_SID, "MNnope", None])
def test_create_menu_not_found_is_517(tenant, nums, data):
    action = {"actionType": "GO_TO_MENU", "actionData": data}
    body = reference_body([nums.aa1["sid"]], [], invalidExtensionAction=action)
    if data is None:
        assert_error(tenant.csp.post(SYSTEM, body), 514)  # a menu action needs its menu
    else:
        assert assert_error(tenant.csp.post(SYSTEM, body), 517)["data"] == {"sid": data}
    assert not AutoAttendantSystem.objects.exists()


def test_create_transfer_to_extension_in_this_system(tenant, nums, system):
    assert system["invalidInputAction"] == {
        "actionType": "TRANSFER_TO_EXTENSION",
        "actionData": nums.ext1["sid"],
    }
    # An extension given in the same request counts as in the system.
    data = create_system(
        tenant,
        [],
        [nums.ext2["sid"]],
        name="B",
        timeoutAction={"actionType": "TRANSFER_TO_EXTENSION", "actionData": nums.ext2["sid"]},
    )
    assert data["timeoutAction"]["actionData"] == nums.ext2["sid"]


def test_create_transfer_to_extension_not_in_system_is_518(tenant, other_tenant, nums, system):
    # ext2 is unassigned; ext1 is in the other system.
    for target in (nums.ext2, nums.ext1):
        body = reference_body(
            [nums.aa2["sid"]],
            [],
            name="B",
            timeoutAction={"actionType": "TRANSFER_TO_EXTENSION", "actionData": target["sid"]},
        )
        error = assert_error(tenant.csp.post(SYSTEM, body), 518)
        assert error["data"] == {"sid": target["sid"]}
    assert AutoAttendantSystem.objects.count() == 1
    assert number_row(nums.aa2).aa_system is None


def test_create_transfer_to_unknown_or_non_extension(tenant, other_tenant, nums):
    theirs = add_number(other_tenant, "1671331999", "101")
    for target, code in ((UNKNOWN_PH, 491), (theirs["sid"], 491), ("not-a-sid", 491), (nums.aa1["sid"], 493)):
        body = reference_body(
            [nums.aa1["sid"]],
            [nums.ext1["sid"]],
            invalidInputAction={"actionType": "TRANSFER_TO_EXTENSION", "actionData": target},
        )
        assert assert_error(tenant.csp.post(SYSTEM, body), code)["data"] == {"sid": target}
    assert not AutoAttendantSystem.objects.exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": ""}, "name"),
        ({"timezoneId": ""}, "timezoneId"),
        ({"timeoutSeconds": "abc"}, "timeoutSeconds"),
        ({"timeoutSeconds": "0"}, "timeoutSeconds"),
        ({"timeoutMaxOccurance": "-1"}, "timeoutMaxOccurance"),
        ({"status": "BROKEN"}, "status"),
        ({"aaNumbers": "PH1"}, "aaNumbers"),
        ({"aaNumbers": ["a"], "aaNumberSids": ["b"]}, "aaNumberSids"),
        ({"extensions": ["a"], "extensionNumberSids": ["b"]}, "extensionNumberSids"),
    ],
)
def test_create_validation_is_400(tenant, nums, body, field):
    request = {**reference_body([], [], enterpriseSid=tenant.enterprise.sid), **body}
    error = assert_error(tenant.csp.post(SYSTEM, request), 400)
    assert field in error["errors"], error
    assert not AutoAttendantSystem.objects.exists()


def test_create_same_list_under_both_names_is_accepted(tenant, nums):
    data = assert_ok(
        tenant.csp.post(SYSTEM, reference_body([nums.aa1["sid"]], [], aaNumberSids=[nums.aa1["sid"]])), 201
    )
    assert data["aaNumbers"] == [nums.aa1["number"]]


# Search


def test_search_with_filters(tenant, other_tenant, nums):
    second = second_enterprise(tenant)
    sales = create_system(tenant, name="Sales line")
    support = create_system(tenant, name="Support line", status="INACTIVE")
    other_enterprise = assert_ok(tenant.csp.post(SYSTEM, {"name": "Sales desk", "enterpriseSid": second}), 201)
    create_system(other_tenant, name="Sales line")  # another CSP's: never seen

    def sids(params=None, api=tenant.csp):
        data = assert_ok(api.get(f"{SYSTEM}/search", params))
        assert data["total"] == len(data["result"])
        return [row["sid"] for row in data["result"]]

    assert sids() == [sales["sid"], support["sid"], other_enterprise["sid"]]
    assert sids({"enterpriseSid": tenant.enterprise.sid}) == [sales["sid"], support["sid"]]
    assert sids({"enterpriseSid": second}) == [other_enterprise["sid"]]
    assert sids({"enterpriseSid": other_tenant.enterprise.sid}) == []
    assert sids({"name": "sales"}) == [sales["sid"], other_enterprise["sid"]]
    assert sids({"Name": "LINE"}) == [sales["sid"], support["sid"]]
    assert sids({"status": "INACTIVE"}) == [support["sid"]]
    assert sids({"status": "ACTIVE", "name": "sales", "enterpriseSid": second}) == [other_enterprise["sid"]]
    assert sids({"SortBy": "name:desc"}) == [support["sid"], sales["sid"], other_enterprise["sid"]]
    assert_error(tenant.csp.get(f"{SYSTEM}/search", {"status": "BROKEN"}), 400)
    # Enterprise admins see their enterprise's systems, AA admins the systems assigned to them.
    assert sids(api=tenant.bg) == [sales["sid"], support["sid"]]
    assert sids(api=tenant.aa) == []
    assign_aa_admin(tenant, support)
    assert sids(api=tenant.aa) == [support["sid"]]
    row = assert_ok(tenant.csp.get(f"{SYSTEM}/search", {"name": "Support"}))["result"][0]
    assert REFERENCE_RESPONSE_FIELDS <= set(row)


def test_an_aa_admin_reads_the_systems_assigned_to_it(tenant, system):
    assert_error(tenant.aa.get(f"{SYSTEM}/search/{system['sid']}"), 490)
    assign_aa_admin(tenant, system)
    assert assert_ok(tenant.aa.get(f"{SYSTEM}/search/{system['sid']}")) == system


# Update


def test_update_fields_and_policies(tenant, nums, system):
    data = assert_ok(
        tenant.csp.put(
            f"{SYSTEM}/{system['sid']}",
            {
                "name": "Renamed",
                "description": "new",
                "status": "INACTIVE",
                "timezoneId": "Europe/Berlin",
                "timeoutSeconds": "9",
                "timeoutMaxOccurance": "4",
                "timeoutAction": {"actionType": "TRANSFER_TO_NUMBER", "actionData": "+4930123456"},
            },
        )
    )
    assert (data["name"], data["description"], data["status"], data["timezoneId"]) == (
        "Renamed",
        "new",
        "INACTIVE",
        "Europe/Berlin",
    )
    assert (data["timeoutSeconds"], data["timeoutMaxOccurance"]) == (9, 4)
    assert data["timeoutAction"] == {"actionType": "TRANSFER_TO_NUMBER", "actionData": "+4930123456"}
    # What was not sent is kept.
    assert data["invalidInputAction"] == system["invalidInputAction"]
    assert (data["aaNumbers"], data["extensions"]) == (system["aaNumbers"], system["extensions"])
    assert data["dateCreated"] == system["dateCreated"]
    entry = system_audit(system["sid"], "update").get()
    assert entry.before["name"] == "Main line" and entry.after["name"] == "Renamed"
    assert entry.before["timeout_seconds"] == 5 and entry.after["timeout_seconds"] == 9


def test_update_replaces_number_lists(tenant, nums):
    system = create_system(tenant, [nums.aa1["sid"]], [nums.ext1["sid"]])
    path = f"{SYSTEM}/{system['sid']}"
    data = assert_ok(tenant.csp.put(path, {"aaNumbers": [nums.aa2["sid"]], "extensions": [nums.ext2["sid"]]}))
    assert (data["aaNumbers"], data["extensions"]) == (["+14155550101"], ["1671331778"])
    assert number_row(nums.aa1).aa_system is None and number_row(nums.ext1).aa_system is None
    assert NumberRoute.objects.get(phone_number_sid=nums.aa1["sid"]).aa_system_sid == ""
    assert NumberRoute.objects.get(phone_number_sid=nums.aa2["sid"]).aa_system_sid == system["sid"]
    entry = system_audit(system["sid"], "update").get()
    assert entry.before["aaNumbers"] == [nums.aa1["sid"]] and entry.after["aaNumbers"] == [nums.aa2["sid"]]
    assert entry.before["extensions"] == [nums.ext1["sid"]] and entry.after["extensions"] == [nums.ext2["sid"]]
    # The other naming works as well; one list sent leaves the other alone; [] empties it.
    data = assert_ok(tenant.csp.put(path, {"aaNumberSids": [nums.aa1["sid"], nums.aa2["sid"]]}))
    assert (data["aaNumbers"], data["extensions"]) == (["+14155550100", "+14155550101"], ["1671331778"])
    data = assert_ok(tenant.csp.put(path, {"extensionNumberSids": []}))
    assert data["extensions"] == [] and len(data["aaNumbers"]) == 2
    assert number_row(nums.ext2).aa_system is None


def update_cases(nums):
    transfer = {"actionType": "TRANSFER_TO_EXTENSION"}
    return [
        ({"aaNumbers": [UNKNOWN_PH]}, 491, {"sid": UNKNOWN_PH}),
        ({"extensions": [nums.ext1["sid"], nums.aa2["sid"]]}, 493, {"sid": nums.aa2["sid"]}),
        ({"aaNumbers": [nums.ext2["sid"]]}, 511, {"sid": nums.ext2["sid"]}),
        ({"timezoneId": "Nowhere/Land"}, 513, None),
        ({"timeoutAction": {"actionType": "TRANSFER_TO_NUMBER", "actionData": "0800"}}, 514, None),
        ({"invalidExtensionAction": {"actionType": "NOPE"}}, 515, None),
        (
            {"timeoutAction": {"actionType": "ANNOUNCEMENT_HANGUP", "actionData": REFERENCE_AN}},
            516,
            {"sid": REFERENCE_AN},
        ),
        ({"timeoutAction": {"actionType": "GO_TO_MENU", "actionData": MENU_SID}}, 517, {"sid": MENU_SID}),
        ({"timeoutAction": {**transfer, "actionData": nums.ext2["sid"]}}, 518, {"sid": nums.ext2["sid"]}),
        ({"timeoutAction": {**transfer, "actionData": UNKNOWN_PH}}, 491, {"sid": UNKNOWN_PH}),
        # Dropping the extension the invalid-input action transfers to leaves the action dangling.
        ({"extensions": [nums.ext2["sid"]]}, 518, {"sid": nums.ext1["sid"]}),
        ({"enterpriseSid": UNKNOWN_EN}, 467, {"sid": UNKNOWN_EN}),
    ]


@pytest.mark.parametrize("case", range(12))
def test_update_create_codes(tenant, nums, system, case):
    body, code, data = update_cases(nums)[case]
    error = assert_error(tenant.csp.put(f"{SYSTEM}/{system['sid']}", {"name": "changed", **body}), code)
    assert error["data"] == (data if data is not None else {"name": "changed", **body})
    # Nothing changed.
    stored = AutoAttendantSystem.objects.get(sid=system["sid"])
    assert stored.name == "Main line"
    assert assert_ok(tenant.csp.get(f"{SYSTEM}/search/{system['sid']}")) == system
    assert not system_audit(system["sid"], "update").exists()


def test_update_number_in_another_system_is_512(tenant, nums, system):
    other = create_system(tenant, [nums.aa2["sid"]], [], name="B")
    error = assert_error(
        tenant.csp.put(f"{SYSTEM}/{other['sid']}", {"aaNumbers": [nums.aa2["sid"], nums.aa1["sid"]]}), 512
    )
    assert error["data"] == {"sid": nums.aa1["sid"]}
    assert number_row(nums.aa1).aa_system.sid == system["sid"]
    assert NumberRoute.objects.get(phone_number_sid=nums.aa1["sid"]).aa_system_sid == system["sid"]


def test_update_cannot_move_system_to_another_enterprise(tenant, other_tenant, system):
    second = second_enterprise(tenant)
    error = assert_error(tenant.csp.put(f"{SYSTEM}/{system['sid']}", {"enterpriseSid": second}), 400)
    assert "enterpriseSid" in error["errors"]
    assert_error(tenant.csp.put(f"{SYSTEM}/{system['sid']}", {"enterpriseSid": other_tenant.enterprise.sid}), 467)
    assert_ok(tenant.csp.put(f"{SYSTEM}/{system['sid']}", {"enterpriseSid": tenant.enterprise.sid}))


def test_aa_admin_may_change_policies_but_not_numbers(tenant, nums, system):
    assign_aa_admin(tenant, system)
    path = f"{SYSTEM}/{system['sid']}"
    data = assert_ok(
        tenant.aa.put(
            path,
            {
                "timeoutSeconds": "3",
                "invalidExtensionMaxOccurance": "5",
                "invalidExtensionAction": {"actionType": "TRANSFER_TO_OPERATOR"},
            },
        )
    )
    assert (data["timeoutSeconds"], data["invalidExtensionMaxOccurance"]) == (3, 5)
    assert data["accountEmail"] == tenant.aa_admin.email_id
    # Sending the lists unchanged is fine; changing them is not.
    assert_ok(tenant.aa.put(path, {"extensions": [nums.ext1["sid"]], "aaNumbers": [nums.aa1["sid"]]}))
    # Numbers outside its systems are invisible to an AA admin: not found, like another tenant's.
    for body, code in (
        ({"extensions": [nums.ext1["sid"], nums.ext2["sid"]]}, 491),
        ({"extensions": []}, 403),
        ({"extensionNumberSids": [nums.ext2["sid"]]}, 491),
        ({"aaNumbers": []}, 403),
        ({"aaNumberSids": [nums.aa1["sid"], nums.aa2["sid"]]}, 491),
    ):
        assert_error(tenant.aa.put(path, {"timeoutSeconds": "7", **body}), code)
    stored = assert_ok(tenant.csp.get(f"{SYSTEM}/search/{system['sid']}"))
    assert (stored["aaNumbers"], stored["extensions"], stored["timeoutSeconds"]) == (
        ["+14155550100"],
        ["1671331777"],
        3,
    )
    assert_error(tenant.aa.delete(path), 403)


def test_enterprise_admin_cannot_assign_aa_numbers(tenant, nums, system):
    path = f"{SYSTEM}/{system['sid']}"
    for body in (
        {"aaNumbers": [nums.aa1["sid"], nums.aa2["sid"]]},
        {"aaNumberSids": []},
        {"aaNumbers": [nums.aa2["sid"]]},
    ):
        assert_error(tenant.bg.put(path, body), 403)
    assert number_row(nums.aa2).aa_system is None
    assert number_row(nums.aa1).aa_system.sid == system["sid"]
    # Its extensions and policies it may change.
    data = assert_ok(
        tenant.bg.put(
            path,
            {
                "aaNumbers": [nums.aa1["sid"]],
                "extensions": [nums.ext1["sid"], nums.ext2["sid"]],
                "name": "BG",
            },
        )
    )
    assert (data["name"], data["extensions"]) == ("BG", ["1671331777", "1671331778"])
    assert_error(tenant.bg.delete(path), 403)


def test_moving_a_transfer_target_out_via_phone_number_is_refused(tenant, nums, system):
    """revalidate_system: the invalid-input action transfers to ext1, so ext1 cannot leave the system."""
    for body in ({"autoAttendantSid": None}, {"autoAttendantSid": ""}):
        error = assert_error(tenant.csp.put(f"{PN}/{nums.ext1['sid']}", body), 508)
        assert error["data"] == {"sid": system["sid"]}
        assert error["errors"]
    other = create_system(tenant, name="B")
    assert_error(tenant.csp.put(f"{PN}/{nums.ext1['sid']}", {"autoAttendantSid": other["sid"]}), 508)
    # Nor can it stop being an extension while in the system.
    assert_error(tenant.csp.put(f"{PN}/{nums.ext1['sid']}", {"isExtension": False}), 493)
    assert number_row(nums.ext1).aa_system.sid == system["sid"]
    assert assert_ok(tenant.csp.get(f"{SYSTEM}/search/{system['sid']}"))["extensions"] == ["1671331777"]
    # Once the action points elsewhere, it may go.
    assert_ok(tenant.csp.put(f"{SYSTEM}/{system['sid']}", {"invalidInputAction": {"actionType": "HANGUP"}}))
    data = assert_ok(tenant.csp.put(f"{PN}/{nums.ext1['sid']}", {"autoAttendantSid": None}))
    assert data["autoAttendantSid"] is None
    assert assert_ok(tenant.csp.get(f"{SYSTEM}/search/{system['sid']}"))["extensions"] == []


def test_other_numbers_may_leave_via_phone_number(tenant, nums, system):
    data = assert_ok(tenant.csp.put(f"{PN}/{nums.aa1['sid']}", {"autoAttendantSid": None}))
    assert data["autoAttendantSid"] is None
    assert NumberRoute.objects.get(phone_number_sid=nums.aa1["sid"]).aa_system_sid == ""
    assert assert_ok(tenant.csp.get(f"{SYSTEM}/search/{system['sid']}"))["aaNumbers"] == []


# Delete


def test_delete(tenant, nums, system):
    path = f"{SYSTEM}/{system['sid']}"
    error = assert_error(tenant.csp.delete(path), 503)
    assert error == {
        "errorCode": "503",
        "message": "Auto Attendant system has number assigned to it.",
        "data": {"sid": system["sid"]},
    }
    assert AutoAttendantSystem.objects.filter(sid=system["sid"]).exists()
    assert not system_audit(system["sid"], "delete").exists()

    assert_ok(tenant.csp.put(path, {"aaNumbers": []}))
    data = assert_ok(tenant.csp.delete(path))
    assert (data["aaNumbers"], data["extensions"]) == ([], ["1671331777"])
    assert data["invalidInputAction"] == system["invalidInputAction"]
    # Its extension is free again: deletable, or assignable elsewhere.
    assert number_row(nums.ext1).aa_system is None
    entry = system_audit(system["sid"], "delete").get()
    assert entry.before["extensions"] == [nums.ext1["sid"]] and entry.after is None
    assert_ok(tenant.csp.delete(f"{PN}/{nums.ext1['sid']}"))


def test_numbers_may_be_named_as_responses_list_them(tenant, nums, system):
    """A client that PUTs back what it GOT (numbers, not SIDs) changes nothing it did not mean to."""
    path = f"{SYSTEM}/{system['sid']}"
    got = assert_ok(tenant.csp.get(f"{SYSTEM}/search/{system['sid']}"))
    data = assert_ok(
        tenant.csp.put(path, {"aaNumbers": got["aaNumbers"], "extensions": got["extensions"] + ["1671331778"]})
    )
    assert data["aaNumberSids"] == [nums.aa1["sid"]]
    assert data["extensionNumberSids"] == [nums.ext1["sid"], nums.ext2["sid"]]
    assert_error(tenant.csp.put(path, {"extensions": ["+19999999999"]}), 491)


def test_publish_state_is_visible_on_the_system(tenant, nums):
    """Every change queues a publish; the system shows where publishing stands."""
    data = create_system(tenant, [nums.aa1["sid"]], [nums.ext1["sid"]])
    assert (data["publishStatus"], data["publishedVersion"], data["publishError"]) == ("PENDING", None, "")
    system = AutoAttendantSystem.objects.get(sid=data["sid"])
    system.publish_status, system.published_version, system.publish_error = "FAILED", 3, "menu MN… is not ready"
    system.save()
    got = assert_ok(tenant.csp.get(f"{SYSTEM}/search/{data['sid']}"))
    assert (got["publishStatus"], got["publishedVersion"], got["publishError"]) == (
        "FAILED",
        3,
        "menu MN… is not ready",
    )

"""/autoattendant/menu, and the AA system's defaultMenuSid and operatorExtensionSid.

An enterprise admin builds a main menu ("press 1 for sales, 2 for the support menu, 0 for the
operator"), and the portal keeps it consistent: every key's action names something real in the same
AA system, a menu in use cannot be deleted, another tenant's menus are simply not there, and every
change queues a new publish of the system's call flow.
"""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest

from autoattendant.choices import ActionType, PublishStatus
from autoattendant.models import Announcement, AuditEntry, AutoAttendantSystem, Menu, PhoneNumber, Schedule
from tests.api.objects import add_number, assign_aa_admin, create_system, sibling_admin
from tests.api.resource_cases import CrudCases
from tests.conftest import Api, assert_error, assert_ok

MENU = "/autoattendant/menu"
SYSTEM = "/autoattendant/system"
PN = "/autoattendant/phonenumber"
MENU_FIELDS = {
    "sid",
    "dateCreated",
    "dateUpdated",
    "accountEmail",
    "uri",
    "name",
    "autoAttendantSid",
    "greetingAnnouncementSid",
    "allowDialByExtension",
    "options",
}


def missing(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


def announcement(enterprise, name: str = "Welcome") -> Announcement:
    # Rows made directly: the announcement API is not what these tests are about.
    return Announcement.objects.create(enterprise=enterprise, name=name, type="TTS", text="hi", status="READY")


def system_row(sid: str) -> AutoAttendantSystem:
    return AutoAttendantSystem.objects.get(sid=sid)


def create_menu(api: Api, system_sid: str, **fields) -> dict:
    return assert_ok(api.post(MENU, {"name": "Menu", "autoAttendantSid": system_sid, **fields}), 201)


@pytest.fixture
def world(tenant, other_tenant):
    """acme: system A (aa1, ext1, ext3) and system B (aa2, ext4), ext2 in no system, an announcement;
    globex: its own system, extension, announcement and menu."""
    aa1 = add_number(tenant, "+14155550100")
    aa2 = add_number(tenant, "+14155550101")
    ext1 = add_number(tenant, "1671331771", "101")
    ext2 = add_number(tenant, "1671331772", "102")
    ext3 = add_number(tenant, "1671331773", "103")
    ext4 = add_number(tenant, "1671331774", "104")
    a = create_system(tenant, [aa1["sid"]], [ext1["sid"], ext3["sid"]], name="A")
    b = create_system(tenant, [aa2["sid"]], [ext4["sid"]], name="B")
    b_menu = create_menu(tenant.csp, b["sid"], name="B main")
    g_ext = add_number(other_tenant, "1771331771", "101")
    g_system = create_system(other_tenant, [], [g_ext["sid"]], name="G")
    g_menu = create_menu(other_tenant.csp, g_system["sid"], name="G main")
    return SimpleNamespace(
        tenant=tenant,
        other=other_tenant,
        aa1=aa1,
        aa2=aa2,
        ext1=ext1,
        ext2=ext2,
        ext3=ext3,
        ext4=ext4,
        a=a,
        b=b,
        b_menu=b_menu,
        greeting=announcement(tenant.enterprise),
        g_ext=g_ext,
        g_system=g_system,
        g_menu=g_menu,
        g_greeting=announcement(other_tenant.enterprise, "Globex welcome"),
    )


@pytest.fixture
def support(world):
    """A support menu in system A, for GO_TO_MENU."""
    return create_menu(world.tenant.csp, world.a["sid"], name="Support")


def main_menu_body(world, support) -> dict:
    return {
        "name": "Main menu",
        "autoAttendantSid": world.a["sid"],
        "greetingAnnouncementSid": world.greeting.sid,
        "allowDialByExtension": True,
        "options": [
            {"key": "1", "actionType": "TRANSFER_TO_EXTENSION", "actionData": world.ext1["sid"]},
            {"key": "2", "actionType": "GO_TO_MENU", "actionData": support["sid"]},
            {"key": "9", "actionType": "ANNOUNCEMENT_HANGUP", "actionData": world.greeting.sid},
            {"key": "0", "actionType": "TRANSFER_TO_OPERATOR"},
            {"key": "*", "actionType": "REPEAT_MENU", "actionData": None},
        ],
    }


class TestMenuResource(CrudCases):
    path = MENU
    prefix = "MN"
    model = Menu
    fields = MENU_FIELDS
    not_found_code = 517
    not_found_message = "Menu not found"
    creators = ("bg", "csp")
    # An AA admin assigned no system sees none of its menus, nor the system to make one in.
    refused = {"create": {"aa": 490}, "read": {"aa": 517}, "update": {"aa": 517}, "delete": {"aa": 517}}
    echoed = ("name", "autoAttendantSid", "greetingAnnouncementSid", "allowDialByExtension")
    update_data = {"name": "Renamed", "allowDialByExtension": True}

    def owner(self, tenant):
        return create_system(tenant, name="Menus")["sid"], announcement(tenant.enterprise).sid

    def create_body(self, owner, index):
        system_sid, greeting_sid = owner
        return {
            "name": f"Menu {index}",
            "autoAttendantSid": system_sid,
            "greetingAnnouncementSid": greeting_sid,
            "allowDialByExtension": False,
        }


# Create and read


def test_create_read_list(world, support):
    body = main_menu_body(world, support)
    data = assert_ok(world.tenant.bg.post(MENU, body), 201)
    assert (data["name"], data["autoAttendantSid"], data["greetingAnnouncementSid"]) == (
        "Main menu",
        world.a["sid"],
        world.greeting.sid,
    )
    assert data["allowDialByExtension"] is True
    # Stored as given, in the order given; an empty actionData is no actionData.
    assert data["options"] == [*body["options"][:4], {"key": "*", "actionType": "REPEAT_MENU"}]
    assert assert_ok(world.tenant.csp.get(f"{MENU}/search/{data['sid']}")) == data
    listed = assert_ok(world.tenant.bg.get(f"{MENU}/search", {"autoAttendantSid": world.a["sid"]}))
    assert [row["sid"] for row in listed["result"]] == [support["sid"], data["sid"]]
    assert listed["result"][1] == data
    entry = AuditEntry.objects.get(object_type="menu", object_sid=data["sid"], action="create")
    assert entry.actor == world.tenant.bg_admin
    assert entry.enterprise_id == world.tenant.enterprise.pk
    assert entry.organisation_id == world.tenant.enterprise.organisation_id
    assert entry.after["options"] == data["options"]


def test_create_minimal_has_defaults(world):
    data = create_menu(world.tenant.csp, world.a["sid"], name="Bare")
    assert (data["greetingAnnouncementSid"], data["allowDialByExtension"], data["options"]) == (None, False, [])
    data = create_menu(world.tenant.csp, world.a["sid"], options=None, greetingAnnouncementSid="")
    assert (data["greetingAnnouncementSid"], data["options"]) == (None, [])


def test_create_accepts_strings_and_numbers_as_the_api_does(world):
    data = create_menu(
        world.tenant.csp,
        world.a["sid"],
        allowDialByExtension="true",
        options=[{"key": 1, "actionType": "HANGUP"}, {"key": "#", "actionType": "HANGUP"}],
    )
    assert data["allowDialByExtension"] is True
    assert [option["key"] for option in data["options"]] == ["1", "#"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"autoAttendantSid": "A"}, "name"),
        ({"name": "No system"}, "autoAttendantSid"),
        ({"name": "", "autoAttendantSid": "A"}, "name"),
        ({"name": "x" * 201, "autoAttendantSid": "A"}, "name"),
        ({"name": "Bad flag", "autoAttendantSid": "A", "allowDialByExtension": "maybe"}, "allowDialByExtension"),
    ],
)
def test_create_validation_is_400(world, body, field):
    body = {key: (world.a["sid"] if value == "A" else value) for key, value in body.items()}
    error = assert_error(world.tenant.csp.post(MENU, body), 400)
    assert field in error["errors"]
    assert error["data"] == body


def test_create_in_unknown_or_foreign_system_is_490(world):
    for sid in (missing("AA"), world.g_system["sid"], "nope"):
        error = assert_error(world.tenant.csp.post(MENU, {"name": "X", "autoAttendantSid": sid}), 490)
        assert error["data"] == {"sid": sid}
    assert not Menu.objects.filter(name="X").exists()


# Keys


@pytest.mark.parametrize(
    "options, message",
    [
        ([{"key": "1", "actionType": "HANGUP"}, {"key": "1", "actionType": "REPEAT_MENU"}], "Key 1 is given more"),
        ([{"key": 3, "actionType": "HANGUP"}, {"key": "3", "actionType": "HANGUP"}], "Key 3 is given more"),
        ([{"key": "10", "actionType": "HANGUP"}], "key must be one of"),
        ([{"key": "a", "actionType": "HANGUP"}], "key must be one of"),
        ([{"key": "", "actionType": "HANGUP"}], "key must be one of"),
        ([{"key": None, "actionType": "HANGUP"}], "key must be one of"),
        ([{"key": 10, "actionType": "HANGUP"}], "key must be one of"),
        ([{"key": True, "actionType": "HANGUP"}], "key must be one of"),
        ([{"actionType": "HANGUP"}], "key must be one of"),
        (["1"], "must be an object"),
        ([["1", "HANGUP"]], "must be an object"),
        ({"1": "HANGUP"}, "Must be a list"),
        ("1=HANGUP", "Must be a list"),
    ],
)
def test_invalid_or_duplicate_keys_are_400(world, options, message):
    body = {"name": "Keys", "autoAttendantSid": world.a["sid"], "options": options}
    error = assert_error(world.tenant.csp.post(MENU, body), 400)
    assert error["message"] == "Validation failed"
    assert list(error["errors"]) == ["options"]
    assert any(message in text for text in error["errors"]["options"]), error["errors"]
    assert error["data"] == body
    assert not Menu.objects.filter(name="Keys").exists()


def test_every_key_once(world):
    keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "*", "#"]
    data = create_menu(world.tenant.csp, world.a["sid"], options=[{"key": k, "actionType": "HANGUP"} for k in keys])
    assert [option["key"] for option in data["options"]] == keys


# Actions: every type, as a menu option


def valid_actions(world, support) -> dict[str, list]:
    """actionType -> the actionData values it accepts in system A."""
    return {
        "HANGUP": [None],
        "ANNOUNCEMENT_HANGUP": [world.greeting.sid],
        "ANNOUNCEMENT_RETURN": [world.greeting.sid],
        "DIAL_BY_EXTENSION": [None],
        "DIAL_BY_NAME": [None],
        "TRANSFER_TO_EXTENSION": [world.ext1["sid"], world.ext3["sid"]],
        "TRANSFER_TO_NUMBER": ["+14155550123", "+442071234567"],
        "TRANSFER_TO_OPERATOR": [None],  # allowed with no operator set: the caller is told and returns
        "GO_TO_MENU": [support["sid"]],
        "REPEAT_MENU": [None],
        "RETURN_TO_PREVIOUS_MENU": [None],
        "RETURN_TO_MAIN_MENU": [None],
        "VOICEMAIL": [None, world.ext1["sid"]],  # the system's general mailbox, or the extension's
    }


def test_every_action_type_is_accepted_with_a_valid_target(world, support):
    cases = valid_actions(world, support)
    assert set(cases) == set(ActionType.values)
    for action_type, values in cases.items():
        for data in values:
            option = {"key": "5", "actionType": action_type}
            if data is not None:
                option["actionData"] = data
            menu = create_menu(world.tenant.csp, world.a["sid"], name=f"{action_type} {data}", options=[option])
            assert menu["options"] == [option]
            assert Menu.objects.get(sid=menu["sid"]).options == [option]


def invalid_actions(world) -> list[tuple[dict, int, object]]:
    """(option without key, code, data of the error envelope or None for the request's echo)."""
    other_menu = world.b_menu["sid"]
    g_announcement = world.g_greeting.sid
    unknown_an, unknown_mn, unknown_ph = missing("AN"), missing("MN"), missing("PH")
    return [
        ({"actionType": "HANGUP", "actionData": world.ext1["sid"]}, 514, None),
        ({"actionType": "REPEAT_MENU", "actionData": "x"}, 514, None),
        ({"actionType": "ANNOUNCEMENT_HANGUP"}, 514, None),
        ({"actionType": "ANNOUNCEMENT_RETURN", "actionData": 42}, 514, None),
        ({"actionType": "TRANSFER_TO_EXTENSION"}, 514, None),
        ({"actionType": "TRANSFER_TO_NUMBER", "actionData": "0800"}, 514, None),
        ({"actionType": "TRANSFER_TO_NUMBER", "actionData": "+0123"}, 514, None),
        ({"actionType": "GO_TO_MENU"}, 514, None),
        ({"actionType": "VOICEMAIL", "actionData": 7}, 514, None),
        ({"actionType": "HANGUP", "extra": 1}, 514, None),
        ({"actionType": "JUMP"}, 515, None),
        ({"actionType": "hangup"}, 515, None),
        ({}, 515, None),
        ({"actionType": "ANNOUNCEMENT_HANGUP", "actionData": unknown_an}, 516, {"sid": unknown_an}),
        ({"actionType": "ANNOUNCEMENT_RETURN", "actionData": g_announcement}, 516, {"sid": g_announcement}),
        ({"actionType": "ANNOUNCEMENT_HANGUP", "actionData": world.ext1["sid"]}, 516, {"sid": world.ext1["sid"]}),
        ({"actionType": "GO_TO_MENU", "actionData": other_menu}, 517, {"sid": other_menu}),
        ({"actionType": "GO_TO_MENU", "actionData": world.g_menu["sid"]}, 517, {"sid": world.g_menu["sid"]}),
        ({"actionType": "GO_TO_MENU", "actionData": unknown_mn}, 517, {"sid": unknown_mn}),
        ({"actionType": "GO_TO_MENU", "actionData": "MNnope"}, 517, {"sid": "MNnope"}),
        ({"actionType": "TRANSFER_TO_EXTENSION", "actionData": unknown_ph}, 491, {"sid": unknown_ph}),
        ({"actionType": "TRANSFER_TO_EXTENSION", "actionData": world.g_ext["sid"]}, 491, {"sid": world.g_ext["sid"]}),
        ({"actionType": "TRANSFER_TO_EXTENSION", "actionData": world.aa1["sid"]}, 493, {"sid": world.aa1["sid"]}),
        ({"actionType": "TRANSFER_TO_EXTENSION", "actionData": world.ext2["sid"]}, 518, {"sid": world.ext2["sid"]}),
        ({"actionType": "TRANSFER_TO_EXTENSION", "actionData": world.ext4["sid"]}, 518, {"sid": world.ext4["sid"]}),
        ({"actionType": "VOICEMAIL", "actionData": world.aa1["sid"]}, 493, {"sid": world.aa1["sid"]}),
        ({"actionType": "VOICEMAIL", "actionData": world.ext4["sid"]}, 518, {"sid": world.ext4["sid"]}),
        ({"actionType": "VOICEMAIL", "actionData": unknown_ph}, 491, {"sid": unknown_ph}),
    ]


@pytest.mark.parametrize("case", range(28))
def test_invalid_action_targets_are_refused(world, case):
    cases = invalid_actions(world)
    assert len(cases) == 28
    action, code, data = cases[case]
    body = {
        "name": "Refused",
        "autoAttendantSid": world.a["sid"],
        "options": [{"key": "1", "actionType": "HANGUP"}, {"key": "#", **action}],
    }
    error = assert_error(world.tenant.csp.post(MENU, body), code)
    assert error["data"] == (data if data is not None else body)
    if code in (514, 515):
        assert list(error["errors"]) == ["options[#]"]
    assert not Menu.objects.filter(name="Refused").exists()
    # The same on update, which leaves the menu as it was.
    menu = create_menu(world.tenant.csp, world.a["sid"], options=[{"key": "1", "actionType": "HANGUP"}])
    error = assert_error(world.tenant.csp.put(f"{MENU}/{menu['sid']}", {"options": body["options"]}), code)
    assert error["data"] == (data if data is not None else {"options": body["options"]})
    assert assert_ok(world.tenant.csp.get(f"{MENU}/search/{menu['sid']}")) == menu


def test_go_to_menu_may_not_name_its_own_menu(world, support):
    error = assert_error(
        world.tenant.csp.put(
            f"{MENU}/{support['sid']}",
            {"options": [{"key": "1", "actionType": "GO_TO_MENU", "actionData": support["sid"]}]},
        ),
        514,
    )
    assert "REPEAT_MENU" in error["errors"]["options[1]"][0]
    # Menus may point at each other, though: that is how a caller goes down and back up.
    main = create_menu(
        world.tenant.csp,
        world.a["sid"],
        options=[{"key": "2", "actionType": "GO_TO_MENU", "actionData": support["sid"]}],
    )
    back = {"key": "9", "actionType": "GO_TO_MENU", "actionData": main["sid"]}
    assert assert_ok(world.tenant.csp.put(f"{MENU}/{support['sid']}", {"options": [back]}))["options"] == [back]


# Greeting


def test_greeting_must_be_an_announcement_of_the_enterprise(world):
    for sid in (world.g_greeting.sid, missing("AN"), "ANnope", world.ext1["sid"]):
        body = {"name": "Greeted", "autoAttendantSid": world.a["sid"], "greetingAnnouncementSid": sid}
        error = assert_error(world.tenant.csp.post(MENU, body), 516)
        assert error["data"] == {"sid": sid}
    assert not Menu.objects.filter(name="Greeted").exists()
    # An announcement still being rendered is fine: the call flow is republished once it is ready.
    rendering = Announcement.objects.create(
        enterprise=world.tenant.enterprise, name="Later", type="TTS", text="soon", status="PROCESSING"
    )
    assert create_menu(world.tenant.csp, world.a["sid"], greetingAnnouncementSid=rendering.sid)


# Update


def test_update(world, support):
    menu = assert_ok(world.tenant.csp.post(MENU, main_menu_body(world, support)), 201)
    path = f"{MENU}/{menu['sid']}"
    # A partial update: what is not sent stays.
    data = assert_ok(world.tenant.bg.put(path, {"name": "Renamed"}))
    assert data == {
        **menu,
        "name": "Renamed",
        "dateUpdated": data["dateUpdated"],
        "accountEmail": world.tenant.bg_admin.email_id,
    }
    options = [{"key": "#", "actionType": "DIAL_BY_NAME"}]
    data = assert_ok(
        world.tenant.bg.put(
            path,
            {"options": options, "greetingAnnouncementSid": None, "allowDialByExtension": False, "name": "Short"},
        )
    )
    assert (data["options"], data["greetingAnnouncementSid"], data["allowDialByExtension"]) == (options, None, False)
    # The same system may be named; options=[] empties them.
    data = assert_ok(world.tenant.bg.put(path, {"autoAttendantSid": world.a["sid"], "options": []}))
    assert data["options"] == []
    entry = AuditEntry.objects.filter(object_type="menu", object_sid=menu["sid"], action="update").first()
    assert entry.before["options"] == options and entry.after["options"] == []
    assert entry.enterprise_id == world.tenant.enterprise.pk


def test_update_cannot_move_a_menu_to_another_system(world, support):
    path = f"{MENU}/{support['sid']}"
    error = assert_error(world.tenant.csp.put(path, {"autoAttendantSid": world.b["sid"]}), 400)
    assert "autoAttendantSid" in error["errors"]
    for sid in (world.g_system["sid"], missing("AA")):
        assert_error(world.tenant.csp.put(path, {"autoAttendantSid": sid}), 490)
    assert Menu.objects.get(sid=support["sid"]).aa_system.sid == world.a["sid"]


def test_update_validation(world, support):
    path = f"{MENU}/{support['sid']}"
    assert "name" in assert_error(world.tenant.csp.put(path, {"name": ""}), 400)["errors"]
    assert_error(world.tenant.csp.put(path, {"greetingAnnouncementSid": world.g_greeting.sid}), 516)


# Delete


def test_delete_of_a_menu_in_use_is_524_naming_every_user(world, support):
    tenant, sid = world.tenant, support["sid"]
    schedule = Schedule.objects.create(
        aa_system=system_row(world.a["sid"]),
        name="Office hours",
        type="WORK_HOURS",
        menu=Menu.objects.get(sid=sid),
        weekly_ranges=[{"days": ["MON"], "start": "09:00", "end": "17:00"}],
    )
    go = {"actionType": "GO_TO_MENU", "actionData": sid}
    main = create_menu(tenant.csp, world.a["sid"], name="Main", options=[{"key": "2", **go}])
    assert_ok(tenant.csp.put(f"{SYSTEM}/{world.a['sid']}", {"defaultMenuSid": sid, "timeoutAction": go}))

    error = assert_error(tenant.bg.delete(f"{MENU}/{sid}"), 524)
    assert error["data"] == {"sid": sid}
    assert error["errors"]["usedBy"] == [
        f"schedule {schedule.sid} (Office hours)",
        f"AA system {world.a['sid']} (A) defaultMenuSid",
        f"AA system {world.a['sid']} (A) timeoutAction",
        f"menu {main['sid']} (Main) options[2]",
    ]
    assert Menu.objects.filter(sid=sid).exists()
    assert not AuditEntry.objects.filter(object_sid=sid, action="delete").exists()

    # Take each use away; then it goes.
    schedule.delete()
    assert_ok(tenant.csp.put(f"{SYSTEM}/{world.a['sid']}", {"defaultMenuSid": None}))
    assert_ok(tenant.csp.put(f"{SYSTEM}/{world.a['sid']}", {"timeoutAction": {"actionType": "HANGUP"}}))
    assert assert_error(tenant.bg.delete(f"{MENU}/{sid}"), 524)["errors"]["usedBy"] == [
        f"menu {main['sid']} (Main) options[2]"
    ]
    assert_ok(tenant.csp.put(f"{MENU}/{main['sid']}", {"options": []}))
    assert_ok(tenant.bg.delete(f"{MENU}/{sid}"))


# Tenancy and roles


def assert_menu_invisible(api: Api, world, menu: dict) -> None:
    """Every menu endpoint answers as if the menu did not exist, and nothing changes."""
    sid = menu["sid"]
    before = Menu.objects.get(sid=sid)
    for response in (
        api.get(f"{MENU}/search/{sid}"),
        api.put(f"{MENU}/{sid}", {"name": "Hijacked"}),
        api.put(f"{MENU}/{sid}", {"options": [{"key": "1", "actionType": "HANGUP"}]}),
        api.delete(f"{MENU}/{sid}"),
    ):
        assert assert_error(response, 517)["data"] == {"sid": sid}
    for params in ({}, {"autoAttendantSid": menu["autoAttendantSid"]}, {"name": menu["name"]}):
        assert sid not in [row["sid"] for row in assert_ok(api.get(f"{MENU}/search", params))["result"]]
    error = assert_error(api.post(MENU, {"name": "Planted", "autoAttendantSid": menu["autoAttendantSid"]}), 490)
    assert error["data"] == {"sid": menu["autoAttendantSid"]}
    after = Menu.objects.get(sid=sid)
    assert (after.name, after.options, after.date_updated) == (before.name, before.options, before.date_updated)
    assert not Menu.objects.filter(name="Planted").exists()


def test_another_csp_sees_no_menus(world, support):
    for api in (world.other.csp, world.other.bg, world.other.aa):
        assert_menu_invisible(api, world, support)
    # And the other way round.
    for api in (world.tenant.csp, world.tenant.bg, world.tenant.aa):
        assert_menu_invisible(api, world, world.g_menu)


def test_another_enterprise_of_the_same_csp_sees_no_menus(world, support):
    assert_menu_invisible(sibling_admin(world.tenant), world, support)


def test_aa_admin_works_on_its_assigned_systems_only(world, support):
    tenant = world.tenant
    assert_menu_invisible(tenant.aa, world, support)
    assert_menu_invisible(tenant.aa, world, world.b_menu)
    assign_aa_admin(tenant, world.a)
    # System A now: all of it. System B still not.
    assert assert_ok(tenant.aa.get(f"{MENU}/search/{support['sid']}"))["sid"] == support["sid"]
    assert [row["sid"] for row in assert_ok(tenant.aa.get(f"{MENU}/search"))["result"]] == [support["sid"]]
    menu = create_menu(
        tenant.aa, world.a["sid"], options=[{"key": "1", "actionType": "GO_TO_MENU", "actionData": support["sid"]}]
    )
    assert menu["accountEmail"] == tenant.aa_admin.email_id
    assert assert_ok(tenant.aa.put(f"{MENU}/{menu['sid']}", {"name": "Mine"}))["name"] == "Mine"
    assert_ok(tenant.aa.put(f"{MENU}/{menu['sid']}", {"options": []}))
    assert_ok(tenant.aa.delete(f"{MENU}/{menu['sid']}"))
    assert_menu_invisible(tenant.aa, world, world.b_menu)


# Lists


def test_filters(world, support):
    api = world.tenant.csp
    other = create_menu(api, world.a["sid"], name="After hours", greetingAnnouncementSid=world.greeting.sid)
    flagged = create_menu(api, world.a["sid"], name="Directory", allowDialByExtension=True)

    def sids(**params):
        return [row["sid"] for row in assert_ok(api.get(f"{MENU}/search", params))["result"]]

    assert sids() == [world.b_menu["sid"], support["sid"], other["sid"], flagged["sid"]]
    assert sids(name="HOURS") == [other["sid"]]
    assert sids(autoAttendantSid=world.b["sid"]) == [world.b_menu["sid"]]
    assert sids(greetingAnnouncementSid=world.greeting.sid) == [other["sid"]]
    assert sids(allowDialByExtension="true") == [flagged["sid"]]
    assert sids(SortBy="name:desc", autoAttendantSid=world.a["sid"]) == [support["sid"], flagged["sid"], other["sid"]]
    assert_error(api.get(f"{MENU}/search", {"allowDialByExtension": "maybe"}), 400)


# The AA system's default menu and operator


def test_system_default_menu_and_operator(world, support):
    path = f"{SYSTEM}/{world.a['sid']}"
    data = assert_ok(world.tenant.csp.get(f"{SYSTEM}/search/{world.a['sid']}"))
    assert (data["defaultMenuSid"], data["operatorExtensionSid"]) == (None, None)
    data = assert_ok(
        world.tenant.bg.put(path, {"defaultMenuSid": support["sid"], "operatorExtensionSid": world.ext3["sid"]})
    )
    assert (data["defaultMenuSid"], data["operatorExtensionSid"]) == (support["sid"], world.ext3["sid"])
    assert assert_ok(world.tenant.csp.get(f"{SYSTEM}/search/{world.a['sid']}")) == data
    listed = assert_ok(world.tenant.csp.get(f"{SYSTEM}/search", {"name": "A"}))["result"]
    assert [(row["defaultMenuSid"], row["operatorExtensionSid"]) for row in listed] == [
        (support["sid"], world.ext3["sid"])
    ]
    entry = AuditEntry.objects.filter(object_sid=world.a["sid"], action="update").first()
    assert (entry.after["default_menu"], entry.after["operator_extension"]) == (support["sid"], world.ext3["sid"])
    # Not sent: unchanged. null or "": cleared.
    assert assert_ok(world.tenant.csp.put(path, {"name": "A"}))["defaultMenuSid"] == support["sid"]
    data = assert_ok(world.tenant.csp.put(path, {"defaultMenuSid": None, "operatorExtensionSid": ""}))
    assert (data["defaultMenuSid"], data["operatorExtensionSid"]) == (None, None)
    # An AA admin of the system may set them too.
    assign_aa_admin(world.tenant, world.a)
    data = assert_ok(
        world.tenant.aa.put(path, {"defaultMenuSid": support["sid"], "operatorExtensionSid": world.ext1["sid"]})
    )
    assert (data["defaultMenuSid"], data["operatorExtensionSid"]) == (support["sid"], world.ext1["sid"])


def test_system_created_with_an_operator(world):
    ext = add_number(world.tenant, "1671331779", "109")
    data = create_system(world.tenant, [], [ext["sid"]], name="C", operatorExtensionSid=ext["sid"], defaultMenuSid=None)
    assert (data["defaultMenuSid"], data["operatorExtensionSid"]) == (None, ext["sid"])
    # A new system has no menus yet: any defaultMenuSid names another system's menu.
    body = {"name": "D", "enterpriseSid": world.tenant.enterprise.sid, "defaultMenuSid": world.b_menu["sid"]}
    assert_error(world.tenant.csp.post(SYSTEM, body), 517)
    body = {"name": "D", "enterpriseSid": world.tenant.enterprise.sid, "operatorExtensionSid": world.ext2["sid"]}
    assert_error(world.tenant.csp.post(SYSTEM, body), 518)
    assert not AutoAttendantSystem.objects.filter(name="D").exists()


def test_system_default_menu_and_operator_codes(world, support):
    path = f"{SYSTEM}/{world.a['sid']}"
    cases = [
        ({"defaultMenuSid": world.b_menu["sid"]}, 517, world.b_menu["sid"]),
        ({"defaultMenuSid": world.g_menu["sid"]}, 517, world.g_menu["sid"]),
        ({"defaultMenuSid": "MN" + "0" * 32}, 517, "MN" + "0" * 32),
        ({"defaultMenuSid": world.ext1["sid"]}, 517, world.ext1["sid"]),
        ({"operatorExtensionSid": world.aa1["sid"]}, 493, world.aa1["sid"]),
        ({"operatorExtensionSid": world.ext2["sid"]}, 518, world.ext2["sid"]),
        ({"operatorExtensionSid": world.ext4["sid"]}, 518, world.ext4["sid"]),
        ({"operatorExtensionSid": world.g_ext["sid"]}, 491, world.g_ext["sid"]),
        ({"operatorExtensionSid": "PH" + "0" * 32}, 491, "PH" + "0" * 32),
        ({"operatorExtensionSid": support["sid"]}, 491, support["sid"]),
    ]
    for body, code, sid in cases:
        error = assert_error(world.tenant.csp.put(path, {"timeoutSeconds": 9, **body}), code)
        assert error["data"] == {"sid": sid}, body
    stored = system_row(world.a["sid"])
    assert (stored.default_menu_id, stored.operator_extension_id, stored.timeout_seconds) == (None, None, 5)
    assert "defaultMenuSid" in assert_error(world.tenant.csp.put(path, {"defaultMenuSid": "x" * 65}), 400)["errors"]


def test_transfer_to_operator_without_an_operator_is_stored(world):
    """What an admin expects while building: the key may be set before the operator is chosen; until
    then a caller pressing it hears that no operator is available and is back in the menu."""
    data = assert_ok(
        world.tenant.csp.put(f"{SYSTEM}/{world.a['sid']}", {"timeoutAction": {"actionType": "TRANSFER_TO_OPERATOR"}})
    )
    assert data["operatorExtensionSid"] is None
    create_menu(world.tenant.csp, world.a["sid"], options=[{"key": "0", "actionType": "TRANSFER_TO_OPERATOR"}])
    # And clearing the operator later is allowed for the same reason.
    assert_ok(world.tenant.csp.put(f"{SYSTEM}/{world.a['sid']}", {"operatorExtensionSid": world.ext1["sid"]}))
    assert_ok(world.tenant.csp.put(f"{SYSTEM}/{world.a['sid']}", {"operatorExtensionSid": None}))


def test_system_voicemail_action_may_name_a_mailbox(world):
    path = f"{SYSTEM}/{world.a['sid']}"
    action = {"actionType": "VOICEMAIL", "actionData": world.ext1["sid"]}
    assert assert_ok(world.tenant.csp.put(path, {"invalidInputAction": action}))["invalidInputAction"] == action
    assert assert_ok(world.tenant.csp.put(path, {"invalidInputAction": {"actionType": "VOICEMAIL"}}))[
        "invalidInputAction"
    ] == {"actionType": "VOICEMAIL"}
    bad = {"actionType": "VOICEMAIL", "actionData": world.ext2["sid"]}
    assert_error(world.tenant.csp.put(path, {"invalidInputAction": bad}), 518)


def test_the_operator_cannot_leave_the_system(world):
    tenant, ext = world.tenant, world.ext3
    path = f"{SYSTEM}/{world.a['sid']}"
    assert_ok(tenant.csp.put(path, {"operatorExtensionSid": ext["sid"]}))
    # Dropped from the system's extensions: 518, naming the operator.
    error = assert_error(tenant.csp.put(path, {"extensions": [world.ext1["sid"]]}), 518)
    assert error["data"] == {"sid": ext["sid"]} and "operatorExtensionSid" in error["errors"]
    # Moved out, or to another system, or made an AA number, through the phone number API.
    for body in ({"autoAttendantSid": None}, {"autoAttendantSid": world.b["sid"]}):
        error = assert_error(tenant.csp.put(f"{PN}/{ext['sid']}", body), 508)
        assert error["data"] == {"sid": world.a["sid"]} and "operatorExtensionSid" in error["errors"]
    assert_error(tenant.csp.put(f"{PN}/{ext['sid']}", {"isExtension": False}), 493)
    # Deleted: refused like any number of a system.
    assert_error(tenant.csp.delete(f"{PN}/{ext['sid']}"), 508)
    assert PhoneNumber.objects.get(sid=ext["sid"]).aa_system.sid == world.a["sid"]
    # Its spoken name may change; once it is no longer the operator it may go.
    assert_ok(tenant.bg.put(f"{PN}/{ext['sid']}", {"extensionSpokenName": "Reception"}))
    assert_ok(tenant.csp.put(path, {"operatorExtensionSid": None}))
    assert_ok(tenant.csp.put(f"{PN}/{ext['sid']}", {"autoAttendantSid": None}))


def test_a_menu_transfer_target_cannot_leave_the_system(world):
    tenant, ext = world.tenant, world.ext3
    menu = create_menu(
        tenant.csp,
        world.a["sid"],
        name="Sales",
        options=[{"key": "4", "actionType": "TRANSFER_TO_EXTENSION", "actionData": ext["sid"]}],
    )
    field = f"menus[{menu['sid']}].options[4]"
    error = assert_error(tenant.csp.put(f"{SYSTEM}/{world.a['sid']}", {"extensions": [world.ext1["sid"]]}), 518)
    assert error["data"] == {"sid": ext["sid"]} and field in error["errors"]
    error = assert_error(tenant.csp.put(f"{PN}/{ext['sid']}", {"autoAttendantSid": None}), 508)
    assert field in error["errors"]
    # A voicemail box too.
    assert_ok(
        tenant.csp.put(
            f"{MENU}/{menu['sid']}", {"options": [{"key": "4", "actionType": "VOICEMAIL", "actionData": ext["sid"]}]}
        )
    )
    assert_error(tenant.csp.put(f"{PN}/{ext['sid']}", {"autoAttendantSid": None}), 508)
    assert_ok(tenant.csp.put(f"{MENU}/{menu['sid']}", {"options": []}))
    assert_ok(tenant.csp.put(f"{PN}/{ext['sid']}", {"autoAttendantSid": None}))


def test_deleting_a_system_takes_its_menus_along(world, support):
    tenant = world.tenant
    ext = add_number(tenant, "1671331779", "109")
    system = create_system(tenant, [], [ext["sid"]], name="Temporary", operatorExtensionSid=ext["sid"])
    menu = create_menu(tenant.csp, system["sid"])
    Schedule.objects.create(
        aa_system=system_row(system["sid"]), name="Always", type="WORK_HOURS", menu=Menu.objects.get(sid=menu["sid"])
    )
    assert_ok(tenant.csp.put(f"{SYSTEM}/{system['sid']}", {"defaultMenuSid": menu["sid"]}))
    data = assert_ok(tenant.csp.delete(f"{SYSTEM}/{system['sid']}"))
    assert (data["defaultMenuSid"], data["operatorExtensionSid"]) == (menu["sid"], ext["sid"])
    assert not Menu.objects.filter(sid=menu["sid"]).exists()
    assert PhoneNumber.objects.get(sid=ext["sid"]).aa_system is None
    assert Menu.objects.filter(sid=support["sid"]).exists()


# Publishing: every change queues a new version of the system's call flow


class Published:
    """The system's config_version before and after a change."""

    def __init__(self, system_sid: str):
        self.sid = system_sid
        self.version = system_row(system_sid).config_version

    def bumped(self) -> bool:
        row = system_row(self.sid)
        bumped = row.config_version > self.version and row.publish_status == PublishStatus.PENDING
        self.version = row.config_version
        return bumped


def reset_publish_status(system_sid: str) -> None:
    AutoAttendantSystem.objects.filter(sid=system_sid).update(publish_status=PublishStatus.PUBLISHED)


def test_every_change_requests_a_publish(world, support):
    tenant, a = world.tenant, world.a["sid"]
    assert system_row(a).publish_status == PublishStatus.PENDING  # created: published once committed
    published = Published(a)
    steps = [
        lambda: create_menu(tenant.bg, a, name="Main"),
        lambda: tenant.bg.put(f"{MENU}/{support['sid']}", {"options": [{"key": "1", "actionType": "HANGUP"}]}),
        lambda: tenant.bg.put(f"{SYSTEM}/{a}", {"defaultMenuSid": support["sid"]}),
        lambda: tenant.bg.put(f"{SYSTEM}/{a}", {"timeoutSeconds": 7}),
        lambda: tenant.bg.put(f"{PN}/{world.ext1['sid']}", {"extensionSpokenName": "Alice"}),
        lambda: tenant.csp.put(f"{PN}/{world.ext2['sid']}", {"autoAttendantSid": a}),
        lambda: tenant.csp.put(f"{PN}/{world.ext2['sid']}", {"autoAttendantSid": None}),
        lambda: tenant.csp.post(
            PN,
            {
                "number": "1671331790",
                "enterpriseSid": tenant.enterprise.sid,
                "isExtension": True,
                "extension": "190",
                "autoAttendantSid": a,
            },
        ),
        lambda: tenant.bg.put(f"{SYSTEM}/{a}", {"defaultMenuSid": None}),
        lambda: tenant.bg.delete(f"{MENU}/{support['sid']}"),
    ]
    for index, step in enumerate(steps):
        reset_publish_status(a)
        result = step()
        if not isinstance(result, dict):
            assert result.status_code in (200, 201), (index, result.body)
        assert published.bumped(), index
    # A refused change publishes nothing.
    reset_publish_status(a)
    assert_error(tenant.bg.put(f"{SYSTEM}/{a}", {"defaultMenuSid": world.b_menu["sid"]}), 517)
    assert_error(tenant.bg.post(MENU, {"name": "x", "autoAttendantSid": a, "options": "no"}), 400)
    assert not published.bumped()
    # Another system's changes are its own.
    b = Published(world.b["sid"])
    assert_ok(tenant.bg.put(f"{MENU}/{world.b_menu['sid']}", {"name": "B renamed"}))
    assert b.bumped() and not published.bumped()


def test_moving_a_number_between_systems_publishes_both(world):
    a, b = Published(world.a["sid"]), Published(world.b["sid"])
    assert_ok(world.tenant.csp.put(f"{PN}/{world.ext1['sid']}", {"autoAttendantSid": world.b["sid"]}))
    assert a.bumped() and b.bumped()

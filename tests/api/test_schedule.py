"""/autoattendant/schedule, and which menu answers an AA system when (activeMenu, timeline).

Menus are made directly in the database here: their API is tested on its own.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from autoattendant.choices import AuditAction, PublishStatus, Role
from autoattendant.models import AuditEntry, AutoAttendantSystem, Menu, Schedule
from autoattendant.services.systems import create_system
from autoattendant.services.users import create_user, update_user
from tests.api.objects import sibling_admin
from tests.api.resource_cases import TIMESTAMP, CrudCases, assert_documented
from tests.conftest import PASSWORD, Api, assert_error, assert_ok

SCHEDULE = "/autoattendant/schedule"
UNKNOWN_AA = "AA" + "0" * 32
UNKNOWN_MN = "MN" + "0" * 32
WEEKDAYS = ["MON", "TUE", "WED", "THU", "FRI"]
RESPONSE_FIELDS = {
    "sid",
    "dateCreated",
    "dateUpdated",
    "accountEmail",
    "uri",
    "name",
    "autoAttendantSid",
    "type",
    "menuSid",
    "weeklyRanges",
    "dates",
}


def make_system(tenant, name: str, timezone_id: str = "America/New_York", enterprise=None) -> SimpleNamespace:
    """An AA system with three menus (main, holiday, after hours = its default), made directly."""
    enterprise = enterprise or tenant.enterprise
    system = create_system(tenant.csp_admin, name=name, enterprise_sid=enterprise.sid, timezone_id=timezone_id)
    menus = {
        label: Menu.objects.create(aa_system=system, name=f"{name} {label}") for label in ("main", "holiday", "after")
    }
    system.default_menu = menus["after"]
    system.save(update_fields=["default_menu"])
    return SimpleNamespace(system=system, sid=system.sid, **{label: menu.sid for label, menu in menus.items()})


@pytest.fixture
def office(tenant) -> SimpleNamespace:
    return make_system(tenant, "Reception")


def office_hours(office, **overrides) -> dict:
    body = {
        "name": "Office hours",
        "autoAttendantSid": office.sid,
        "type": "WORK_HOURS",
        "menuSid": office.main,
        "weeklyRanges": [{"days": WEEKDAYS, "start": "09:00", "end": "17:00"}],
    }
    return {**body, **overrides}


def holidays(office, **overrides) -> dict:
    body = {
        "name": "Holidays",
        "autoAttendantSid": office.sid,
        "type": "SPECIAL_DAY",
        "menuSid": office.holiday,
        "dates": [
            {"start": "2026-12-24", "end": "2026-12-26"},
            {"month": 1, "day": 1, "recurYearly": True},
            {"month": 9, "weekday": "MON", "ordinal": "FIRST", "recurYearly": True},
        ],
    }
    return {**body, **overrides}


def create(api: Api, body: dict) -> dict:
    return assert_ok(api.post(SCHEDULE, body), 201)


def active_menu(api: Api, system_sid: str, at: str | None = None):
    return api.get(f"/autoattendant/system/{system_sid}/activeMenu", {"at": at} if at is not None else None)


def timeline(api: Api, system_sid: str, **params):
    return api.get(f"/autoattendant/system/{system_sid}/timeline", params)


class TestScheduleResource(CrudCases):
    path = SCHEDULE
    prefix = "SC"
    model = Schedule
    fields = RESPONSE_FIELDS
    not_found_code = 526
    not_found_message = "Schedule not found"
    creators = ("bg", "csp")
    # An AA admin assigned no system sees none of its schedules, nor the system to make one in.
    refused = {"create": {"aa": 490}, "read": {"aa": 526}, "update": {"aa": 526}, "delete": {"aa": 526}}
    echoed = ("name", "autoAttendantSid", "type", "menuSid", "weeklyRanges")
    update_data = {"name": "Late shift"}

    def owner(self, tenant):
        return make_system(tenant, "Reception")

    def create_body(self, owner, index):
        # A day each, so that no two overlap.
        ranges = [{"days": [WEEKDAYS[index]], "start": "09:00", "end": "17:00"}]
        return office_hours(owner, name=f"Schedule {index}", weeklyRanges=ranges)


# Create, read, update, delete.


def test_create_work_hours(tenant, office):
    before = AutoAttendantSystem.objects.get(pk=office.system.pk).config_version
    data = create(tenant.bg, office_hours(office))
    assert data["autoAttendantSid"] == office.sid and data["menuSid"] == office.main
    assert data["type"] == "WORK_HOURS"
    assert data["weeklyRanges"] == [{"days": WEEKDAYS, "start": "09:00", "end": "17:00"}]
    assert data["dates"] == []
    # Every change republishes the system's call flow and is in the audit trail.
    system = AutoAttendantSystem.objects.get(pk=office.system.pk)
    assert system.config_version == before + 1 and system.publish_status == PublishStatus.PENDING
    entry = AuditEntry.objects.get(object_sid=data["sid"])
    assert entry.action == AuditAction.CREATE and entry.actor_email == tenant.bg_admin.email_id
    assert entry.enterprise_id == tenant.enterprise.pk and entry.organisation_id == tenant.csp_admin.organisation_id
    assert entry.after["menu"] == office.main


def test_create_special_day_with_the_issues_example(tenant, office):
    data = create(tenant.csp, holidays(office))
    assert data["type"] == "SPECIAL_DAY" and data["menuSid"] == office.holiday
    assert data["dates"] == [
        {"start": "2026-12-24", "end": "2026-12-26", "recurYearly": False},
        {"month": 1, "day": 1, "recurYearly": True},
        {"month": 9, "weekday": "MON", "ordinal": "FIRST", "recurYearly": True},
    ]
    assert data["weeklyRanges"] == []
    assert assert_ok(tenant.csp.get(f"{SCHEDULE}/search/{data['sid']}")) == data


def test_update_and_delete(tenant, office):
    sid = create(tenant.bg, office_hours(office))["sid"]
    version = AutoAttendantSystem.objects.get(pk=office.system.pk).config_version
    data = assert_ok(
        tenant.bg.put(
            f"{SCHEDULE}/{sid}",
            {"name": "Late shift", "weeklyRanges": [{"days": ["fri"], "start": "22:00", "end": "06:00"}]},
        )
    )
    assert data["name"] == "Late shift"
    assert data["weeklyRanges"] == [{"days": ["FRI"], "start": "22:00", "end": "06:00"}]
    assert data["menuSid"] == office.main  # not given: unchanged
    data = assert_ok(tenant.bg.put(f"{SCHEDULE}/{sid}", {"menuSid": office.holiday}))
    assert data["menuSid"] == office.holiday and data["weeklyRanges"][0]["days"] == ["FRI"]
    # Changing the type checks the whole result: a SPECIAL_DAY needs dates.
    body = assert_error(tenant.bg.put(f"{SCHEDULE}/{sid}", {"type": "SPECIAL_DAY"}), 530)
    assert "dates" in body["errors"]
    data = assert_ok(
        tenant.bg.put(
            f"{SCHEDULE}/{sid}", {"type": "SPECIAL_DAY", "dates": [{"month": 12, "day": 31, "recurYearly": True}]}
        )
    )
    assert data["type"] == "SPECIAL_DAY"
    assert AutoAttendantSystem.objects.get(pk=office.system.pk).config_version == version + 3

    deleted = assert_ok(tenant.bg.delete(f"{SCHEDULE}/{sid}"))
    assert deleted["sid"] == sid and deleted["autoAttendantSid"] == office.sid and deleted["menuSid"] == office.holiday
    assert not Schedule.objects.filter(sid=sid).exists()
    assert AutoAttendantSystem.objects.get(pk=office.system.pk).config_version == version + 4
    actions = list(AuditEntry.objects.filter(object_sid=sid).order_by("id").values_list("action", flat=True))
    assert actions == ["create", "update", "update", "update", "delete"]
    assert_error(tenant.bg.get(f"{SCHEDULE}/search/{sid}"), 526)
    assert_error(tenant.bg.delete(f"{SCHEDULE}/{sid}"), 526)
    assert_error(tenant.bg.put(f"{SCHEDULE}/{sid}", {"name": "x"}), 526)


def test_a_schedule_cannot_move_to_another_system(tenant, office):
    other = make_system(tenant, "Support")
    sid = create(tenant.bg, office_hours(office))["sid"]
    body = assert_error(tenant.bg.put(f"{SCHEDULE}/{sid}", {"autoAttendantSid": other.sid}), 400)
    assert "autoAttendantSid" in body["errors"]
    assert_error(tenant.bg.put(f"{SCHEDULE}/{sid}", {"autoAttendantSid": UNKNOWN_AA}), 490)
    assert_ok(tenant.bg.put(f"{SCHEDULE}/{sid}", {"autoAttendantSid": office.sid, "name": "Same system"}))


def test_search_filters_and_sorting(tenant, office):
    support = make_system(tenant, "Support")
    work = create(tenant.bg, office_hours(office))
    holiday = create(tenant.bg, holidays(office))
    night = create(tenant.bg, office_hours(support, name="Night desk", menuSid=support.after))

    def names(**params) -> list[str]:
        data = assert_ok(tenant.bg.get(f"{SCHEDULE}/search", params))
        return [row["name"] for row in data["result"]]

    assert names() == ["Office hours", "Holidays", "Night desk"]
    assert names(SortBy="name") == ["Holidays", "Night desk", "Office hours"]
    assert names(SortBy="type:desc") == ["Night desk", "Office hours", "Holidays"]
    assert names(name="hour") == ["Office hours"]
    assert names(type="SPECIAL_DAY") == ["Holidays"]
    assert names(autoAttendantSid=support.sid) == ["Night desk"]
    assert names(menuSid=office.holiday) == ["Holidays"]
    result = assert_ok(tenant.bg.get(f"{SCHEDULE}/search"))["result"]
    assert [row["sid"] for row in result] == [work["sid"], holiday["sid"], night["sid"]]
    assert result[0] == work
    assert_error(tenant.bg.get(f"{SCHEDULE}/search", {"type": "HOLIDAY"}), 400)
    assert_error(tenant.bg.get(f"{SCHEDULE}/search", {"SortBy": "menuSid"}), 400)


# Validation: 530 naming the field; 400 for a missing name; 517 for a menu not of this system.


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"type": "HOLIDAY"}, "type"),
        ({"type": None}, "type"),
        ({"weeklyRanges": []}, "weeklyRanges"),
        ({"weeklyRanges": [{"days": ["MONDAY"], "start": "09:00", "end": "17:00"}]}, "weeklyRanges[0].days"),
        ({"weeklyRanges": [{"days": ["MON"], "start": "9am", "end": "17:00"}]}, "weeklyRanges[0].start"),
        ({"weeklyRanges": [{"days": ["MON"], "start": "09:00", "end": "09:00"}]}, "weeklyRanges[0].end"),
        ({"dates": [{"month": 1, "day": 1, "recurYearly": True}]}, "dates"),
        ({"type": "SPECIAL_DAY", "weeklyRanges": None}, "dates"),
        ({"type": "SPECIAL_DAY", "dates": [{"month": 1, "day": 1}]}, "dates[0].year"),
        ({"type": "SPECIAL_DAY", "dates": [{"start": "2026-12-26", "end": "2026-12-24"}]}, "dates[0].end"),
        ({"type": "SPECIAL_DAY", "dates": [{"month": 2, "day": 30, "recurYearly": True}]}, "dates[0].day"),
        (
            {"type": "SPECIAL_DAY", "dates": [{"month": 11, "weekday": "THU", "ordinal": "5TH", "recurYearly": True}]},
            "dates[0].ordinal",
        ),
    ],
)
def test_invalid_schedules_are_530_naming_the_field(tenant, office, changes, field):
    # `"type": None` stands for no type at all.
    body = {key: value for key, value in office_hours(office, **changes).items() if key != "type" or value is not None}
    error = assert_error(tenant.bg.post(SCHEDULE, body), 530)
    assert field in error["errors"], error
    assert error["data"] == body  # the request, echoed
    assert not Schedule.objects.exists()


def test_missing_name_or_menu_is_a_validation_error(tenant, office):
    for missing in ("name", "autoAttendantSid", "menuSid"):
        body = {key: value for key, value in office_hours(office).items() if key != missing}
        error = assert_error(tenant.bg.post(SCHEDULE, body), 400)
        assert missing in error["errors"]
    assert_error(tenant.bg.post(SCHEDULE, ["not", "an", "object"]), 400)


def test_menu_of_another_system_is_517(tenant, office, other_tenant):
    support = make_system(tenant, "Support")
    error = assert_error(tenant.bg.post(SCHEDULE, office_hours(office, menuSid=support.main)), 517)
    assert error["data"] == {"sid": support.main}
    assert_error(tenant.bg.post(SCHEDULE, office_hours(office, menuSid=UNKNOWN_MN)), 517)
    foreign = make_system(other_tenant, "Foreign")
    assert_error(tenant.bg.post(SCHEDULE, office_hours(office, menuSid=foreign.main)), 517)
    sid = create(tenant.bg, office_hours(office))["sid"]
    assert_error(tenant.bg.put(f"{SCHEDULE}/{sid}", {"menuSid": support.main}), 517)
    assert Schedule.objects.get(sid=sid).menu.sid == office.main


def test_unknown_system_is_490(tenant):
    assert_error(tenant.bg.post(SCHEDULE, {**office_hours(SimpleNamespace(sid=UNKNOWN_AA, main=UNKNOWN_MN))}), 490)


# Overlaps.


def test_overlapping_schedules_of_one_type_are_525_naming_the_other(tenant, office):
    first = create(tenant.bg, office_hours(office))
    body = office_hours(office, name="Lunch", weeklyRanges=[{"days": ["WED"], "start": "12:00", "end": "13:00"}])
    error = assert_error(tenant.bg.post(SCHEDULE, body), 525)
    assert error["data"] == {"overlapsSid": first["sid"], "overlapsName": "Office hours"}
    assert first["sid"] in error["errors"]["weeklyRanges"][0]

    # Adjacent is not overlapping; nor are other days, nor an overnight range ending at 09:00.
    for ranges in (
        [{"days": WEEKDAYS, "start": "17:00", "end": "20:00"}],
        [{"days": ["SAT", "SUN"], "start": "09:00", "end": "17:00"}],
        [{"days": ["SUN"], "start": "22:00", "end": "09:00"}],
    ):
        created = create(tenant.bg, office_hours(office, name=f"Extra {ranges[0]['days'][0]}", weeklyRanges=ranges))
        assert_ok(tenant.bg.delete(f"{SCHEDULE}/{created['sid']}"))

    # Special days: the same day twice is refused; different types may overlap (precedence decides).
    holiday = create(tenant.bg, holidays(office))
    error = assert_error(
        tenant.bg.post(SCHEDULE, holidays(office, name="Labor Day", dates=[{"month": 9, "day": 7, "year": 2026}])), 525
    )
    assert error["data"] == {"overlapsSid": holiday["sid"], "overlapsName": "Holidays"}
    assert "dates" in error["errors"]
    create(tenant.bg, holidays(office, name="Day after Labor Day", dates=[{"month": 9, "day": 8, "year": 2026}]))
    # Updating a schedule never collides with itself, but does with the others.
    assert_ok(tenant.bg.put(f"{SCHEDULE}/{first['sid']}", {"name": "Office hours (main)"}))
    late = create(
        tenant.bg, office_hours(office, name="Late", weeklyRanges=[{"days": ["MON"], "start": "18:00", "end": "20:00"}])
    )
    error = assert_error(
        tenant.bg.put(
            f"{SCHEDULE}/{late['sid']}", {"weeklyRanges": [{"days": ["MON"], "start": "16:00", "end": "20:00"}]}
        ),
        525,
    )
    assert error["data"]["overlapsSid"] == first["sid"]
    assert Schedule.objects.get(sid=late["sid"]).weekly_ranges[0]["start"] == "18:00"


def test_schedules_in_different_systems_never_overlap(tenant, office):
    support = make_system(tenant, "Support")
    create(tenant.bg, office_hours(office))
    create(tenant.bg, office_hours(support, menuSid=support.main))


# Roles and tenancy.


def test_every_role_manages_schedules_in_its_scope(tenant, office):
    update_user(tenant.csp_admin, tenant.aa_admin.sid, aa_system_sids=[office.sid])
    for api, name in ((tenant.csp, "by CSP"), (tenant.bg, "by BG"), (tenant.aa, "by AA")):
        data = create(
            api, office_hours(office, name=name, weeklyRanges=[{"days": ["SAT"], "start": "09:00", "end": "10:00"}])
        )
        assert assert_ok(api.get(f"{SCHEDULE}/search/{data['sid']}"))["name"] == name
        assert_ok(api.put(f"{SCHEDULE}/{data['sid']}", {"name": f"{name}, renamed"}))
        assert_ok(api.delete(f"{SCHEDULE}/{data['sid']}"))


def test_aa_admin_only_on_assigned_systems(tenant, office):
    support = make_system(tenant, "Support")
    update_user(tenant.csp_admin, tenant.aa_admin.sid, aa_system_sids=[office.sid])
    mine = create(tenant.aa, office_hours(office))
    theirs = create(tenant.bg, office_hours(support, menuSid=support.main))
    assert_error(tenant.aa.post(SCHEDULE, office_hours(support, menuSid=support.main, name="x")), 490)
    assert_error(tenant.aa.get(f"{SCHEDULE}/search/{theirs['sid']}"), 526)
    assert_error(tenant.aa.put(f"{SCHEDULE}/{theirs['sid']}", {"name": "x"}), 526)
    assert_error(tenant.aa.delete(f"{SCHEDULE}/{theirs['sid']}"), 526)
    assert [row["sid"] for row in assert_ok(tenant.aa.get(f"{SCHEDULE}/search"))["result"]] == [mine["sid"]]
    assert_error(active_menu(tenant.aa, support.sid), 490)
    assert_error(timeline(tenant.aa, support.sid), 490)
    assert_ok(active_menu(tenant.aa, office.sid))
    # Unassigned from the system: its schedules are gone from view.
    update_user(tenant.csp_admin, tenant.aa_admin.sid, aa_system_sids=[])
    assert_error(tenant.aa.get(f"{SCHEDULE}/search/{mine['sid']}"), 526)


@pytest.mark.parametrize("stranger", ["other_csp", "other_csp_bg", "other_enterprise_bg"])
def test_another_tenant_sees_nothing(request, tenant, office, stranger):
    if stranger == "other_enterprise_bg":
        api = sibling_admin(tenant)
    else:
        other = request.getfixturevalue("other_tenant")
        api = other.csp if stranger == "other_csp" else other.bg
    sid = create(tenant.bg, office_hours(office))["sid"]
    before = list(Schedule.objects.values())

    for response in (
        api.get(f"{SCHEDULE}/search/{sid}"),
        api.put(f"{SCHEDULE}/{sid}", {"name": "Hijacked"}),
        api.delete(f"{SCHEDULE}/{sid}"),
    ):
        error = assert_error(response, 526)
        assert error["data"] == {"sid": sid}
    assert_error(api.post(SCHEDULE, office_hours(office, name="Intruder")), 490)
    assert_error(active_menu(api, office.sid), 490)
    assert_error(timeline(api, office.sid), 490)
    for params in ({}, {"autoAttendantSid": office.sid}, {"menuSid": office.main}):
        assert assert_ok(api.get(f"{SCHEDULE}/search", params))["total"] == 0
    assert list(Schedule.objects.values()) == before


def test_anonymous_gets_no_active_menu_401(anonymous, office):
    assert_error(active_menu(anonymous, office.sid), 401)


def test_an_aa_admin_assigned_no_system_reaches_none(tenant, office):
    user = create_user(
        tenant.bg_admin, email_id="new-aa@acme.test", password=PASSWORD, role=Role.AA_ADMIN, enterprise_sid=None
    )
    api = Api(user)
    assert_error(api.post(SCHEDULE, office_hours(office)), 490)
    assert assert_ok(api.get(f"{SCHEDULE}/search"))["total"] == 0


# Which menu answers when.


@pytest.fixture
def configured(tenant, office) -> SimpleNamespace:
    """Office hours on weekdays, Friday night cover, the issue's holidays; New York time."""
    create(tenant.bg, office_hours(office))
    create(
        tenant.bg,
        office_hours(
            office,
            name="Night cover",
            weeklyRanges=[{"days": ["FRI"], "start": "22:00", "end": "06:00"}],
            menuSid=office.holiday,
        ),
    )
    create(tenant.bg, holidays(office))
    office.schedules = {s.name: s.sid for s in Schedule.objects.filter(aa_system=office.system)}
    return office


@pytest.mark.parametrize(
    "at,menu,schedule,kind",
    [
        # The Monday after the spring-forward change, 09:30 EDT, written three ways.
        ("2026-03-09T09:30:00-0400", "main", "Office hours", "WORK_HOURS"),
        ("2026-03-09T13:30:00+0000", "main", "Office hours", "WORK_HOURS"),
        ("2026-03-09T13:30:00Z", "main", "Office hours", "WORK_HOURS"),
        ("2026-03-09T13:30:00", "main", "Office hours", "WORK_HOURS"),  # no offset: UTC
        ("2026-03-09T12:30:00+0000", "after", None, "DEFAULT"),  # 08:30 EDT
        # The Monday after the fall-back change, 09:30 EST.
        ("2026-11-02T14:30:00+0000", "main", "Office hours", "WORK_HOURS"),
        ("2026-11-02T13:30:00+0000", "after", None, "DEFAULT"),
        # Friday 23:00 and Saturday 05:00: the overnight range.
        ("2026-05-16T03:00:00+0000", "holiday", "Night cover", "WORK_HOURS"),
        ("2026-05-16T09:00:00+0000", "holiday", "Night cover", "WORK_HOURS"),
        ("2026-05-16T10:00:00+0000", "after", None, "DEFAULT"),
        # Labor Day (the first Monday of September) and New Year's Day (a Friday in 2027) at 10:00.
        ("2026-09-07T14:00:00+0000", "holiday", "Holidays", "SPECIAL_DAY"),
        ("2027-01-01T15:00:00+0000", "holiday", "Holidays", "SPECIAL_DAY"),
        ("2026-12-25", "holiday", "Holidays", "SPECIAL_DAY"),  # a date alone: midnight UTC (19:00 on the 24th)
    ],
)
def test_active_menu(tenant, configured, at, menu, schedule, kind):
    data = assert_ok(active_menu(tenant.bg, configured.sid, at))
    expected_schedule = configured.schedules[schedule] if schedule else None
    assert data == {"menuSid": getattr(configured, menu), "scheduleSid": expected_schedule, "type": kind}


def test_active_menu_reads_a_plus_sign_that_the_query_string_decoded_as_a_space(tenant, configured):
    response = tenant.bg.client.get(f"/autoattendant/system/{configured.sid}/activeMenu?at=2026-03-09T13:30:00+0000")
    response.body = response.json()
    assert assert_ok(response)["menuSid"] == configured.main


def test_active_menu_defaults_to_now_and_may_have_no_menu(tenant, office):
    assert assert_ok(active_menu(tenant.bg, office.sid)) == {
        "menuSid": office.after,
        "scheduleSid": None,
        "type": "DEFAULT",
    }
    AutoAttendantSystem.objects.filter(pk=office.system.pk).update(default_menu=None)
    assert assert_ok(active_menu(tenant.bg, office.sid)) == {"menuSid": None, "scheduleSid": None, "type": "DEFAULT"}


@pytest.mark.parametrize("at", ["tomorrow", "2026-13-01", "2026-03-09T25:00:00", "1066-10-14T09:00:00", "9999-12-31"])
def test_active_menu_refuses_a_bad_time(tenant, office, at):
    error = assert_error(active_menu(tenant.bg, office.sid, at), 400)
    assert "at" in error["errors"]


def test_active_menu_of_an_unknown_system_is_490(tenant):
    error = assert_error(active_menu(tenant.bg, UNKNOWN_AA), 490)
    assert error["data"] == {"sid": UNKNOWN_AA}


def test_timeline_across_the_spring_forward_change(tenant, configured):
    data = assert_ok(timeline(tenant.bg, configured.sid, **{"from": "2026-03-06T05:00:00+0000", "days": "4"}))
    assert data["timezoneId"] == "America/New_York"
    intervals = data["intervals"]
    assert all(TIMESTAMP.match(i["start"]) and TIMESTAMP.match(i["end"]) for i in intervals)
    assert [(i["start"], i["end"], i["type"], i["menuSid"]) for i in intervals] == [
        ("2026-03-06T05:00:00+0000", "2026-03-06T14:00:00+0000", "DEFAULT", configured.after),
        ("2026-03-06T14:00:00+0000", "2026-03-06T22:00:00+0000", "WORK_HOURS", configured.main),  # 09:00-17:00 EST
        ("2026-03-06T22:00:00+0000", "2026-03-07T03:00:00+0000", "DEFAULT", configured.after),
        ("2026-03-07T03:00:00+0000", "2026-03-07T11:00:00+0000", "WORK_HOURS", configured.holiday),  # Fri 22-06
        ("2026-03-07T11:00:00+0000", "2026-03-09T13:00:00+0000", "DEFAULT", configured.after),
        ("2026-03-09T13:00:00+0000", "2026-03-09T21:00:00+0000", "WORK_HOURS", configured.main),  # 09:00-17:00 EDT
        ("2026-03-09T21:00:00+0000", "2026-03-10T04:00:00+0000", "DEFAULT", configured.after),
    ]
    assert intervals[1]["scheduleSid"] == configured.schedules["Office hours"]
    assert intervals[0]["scheduleSid"] is None


def test_timeline_across_the_fall_back_change_in_berlin(tenant):
    office = make_system(tenant, "Berlin", timezone_id="Europe/Berlin")
    create(tenant.bg, office_hours(office))
    data = assert_ok(timeline(tenant.bg, office.sid, **{"from": "2026-10-23", "days": "4"}))
    work = [(i["start"], i["end"]) for i in data["intervals"] if i["type"] == "WORK_HOURS"]
    assert work == [
        ("2026-10-23T07:00:00+0000", "2026-10-23T15:00:00+0000"),  # 09:00-17:00 CEST
        ("2026-10-26T08:00:00+0000", "2026-10-26T16:00:00+0000"),  # 09:00-17:00 CET
    ]
    assert data["intervals"][0]["start"] == "2026-10-23T00:00:00+0000"
    # From 02:00 CEST on Friday, four local days: to 02:00 CET on Tuesday, 97 hours later.
    assert data["intervals"][-1]["end"] == "2026-10-27T01:00:00+0000"


def test_timeline_holidays_win_over_work_hours(tenant, configured):
    data = assert_ok(timeline(tenant.bg, configured.sid, **{"from": "2026-12-23T05:00:00+0000", "days": "5"}))
    special = [(i["start"], i["end"]) for i in data["intervals"] if i["type"] == "SPECIAL_DAY"]
    assert special == [("2026-12-24T05:00:00+0000", "2026-12-27T05:00:00+0000")]  # 24-26 December, whole days


def test_timeline_defaults_and_limits(tenant, office):
    data = assert_ok(timeline(tenant.bg, office.sid))
    assert len(data["intervals"]) == 1 and data["intervals"][0]["type"] == "DEFAULT"
    for days in ("0", "32", "seven", "-1", "1.5"):
        error = assert_error(timeline(tenant.bg, office.sid, days=days), 400)
        assert "days" in error["errors"]
    error = assert_error(timeline(tenant.bg, office.sid, **{"from": "last week"}), 400)
    assert "from" in error["errors"]
    assert len(assert_ok(timeline(tenant.bg, office.sid, days="31"))["intervals"]) == 1
    assert_error(timeline(tenant.bg, UNKNOWN_AA), 490)


# The responses are what the OpenAPI schema says they are.


def test_responses_match_the_schema(openapi_schema, tenant, configured):
    api = tenant.bg
    calls = [
        (
            "/autoattendant/schedule",
            "post",
            api.post(SCHEDULE, holidays(configured, name="x", dates=[{"start": "2030-01-05"}])),
        ),
        ("/autoattendant/schedule", "post", api.post(SCHEDULE, office_hours(configured, name="Clash"))),
        ("/autoattendant/schedule", "post", api.post(SCHEDULE, office_hours(configured, type="X"))),
        ("/autoattendant/system/{sid}/activeMenu", "get", active_menu(api, configured.sid, "2026-03-09T13:30:00Z")),
        ("/autoattendant/system/{sid}/activeMenu", "get", active_menu(api, configured.sid)),
        ("/autoattendant/system/{sid}/activeMenu", "get", active_menu(api, configured.sid, "soon")),
        ("/autoattendant/system/{sid}/activeMenu", "get", active_menu(api, UNKNOWN_AA)),
        ("/autoattendant/system/{sid}/timeline", "get", timeline(api, configured.sid, days="7")),
        ("/autoattendant/system/{sid}/timeline", "get", timeline(api, configured.sid, days="99")),
    ]
    assert assert_documented(openapi_schema, calls) == {200, 201, 400, 409}

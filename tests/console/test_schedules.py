"""The schedules page of an AA system: the form maps to the service's shape, the service's errors show next
to their fields, the week grid, special days in words and the 14-day timeline in the system's time zone."""

from __future__ import annotations

import datetime
import re

import pytest

from autoattendant.models import Schedule
from autoattendant.services.menus import create_menu
from autoattendant.services.schedules import create_schedule
from autoattendant.services.systems import create_system, update_system
from portal.console import schedules as schedules_page

pytestmark = pytest.mark.django_db

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
# Friday 27 March 2026, 10:00 UTC = 11:00 in Berlin; Berlin springs forward on Sunday 29 March.
NOW = datetime.datetime(2026, 3, 27, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def system(tenant):
    system = create_system(
        tenant.csp_admin, name="Front desk", enterprise_sid=tenant.enterprise.sid, timezone_id="Europe/Berlin"
    )
    main = create_menu(tenant.bg_admin, name="Main", aa_system_sid=system.sid)
    update_system(tenant.bg_admin, system.sid, default_menu_sid=main.sid)
    system.refresh_from_db()
    return system


@pytest.fixture
def menus(tenant, system):
    return {
        "main": system.default_menu,
        "office": create_menu(tenant.bg_admin, name="Office", aa_system_sid=system.sid),
        "holiday": create_menu(tenant.bg_admin, name="Closed for the holiday", aa_system_sid=system.sid),
    }


@pytest.fixture
def fixed_now(monkeypatch):
    monkeypatch.setattr(schedules_page, "_now", lambda: NOW)


def url(system, tail=""):
    return f"/console/systems/{system.sid}/schedules/{tail}"


def work_hours(menu, **times) -> dict:
    return {"name": "Office hours", "menu": menu.sid, "kind": "WORK_HOURS", **times}


def office_week() -> dict:
    """Mon–Fri 09:00–12:00 and 13:00–17:00, Saturday 10:00–14:00."""
    times = {}
    for day in WEEKDAYS:
        times.update({f"{day}_1_start": "09:00", f"{day}_1_end": "12:00", f"{day}_2_start": "13:00"})
        times[f"{day}_2_end"] = "17:00"
    return {**times, "sat_1_start": "10:00", "sat_1_end": "14:00"}


def section(html: str, element_id: str) -> str:
    """The text of the element with this id (up to its closing tag of the same name), tags removed."""
    match = re.search(rf'<(\w+)[^>]* id="{re.escape(element_id)}"', html)
    assert match, f"no element #{element_id}"
    end = html.index(f"</{match[1]}>", match.end())
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html[match.start() : end]))


def day_column(html: str, code: str) -> str:
    match = re.search(rf'<section class="week-day" data-day="{code}".*?</section>', html, re.S)
    assert match, f"no column {code}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match[0]))


def test_work_hours_created_through_the_form_are_stored_and_drawn(client, tenant, system, menus, fixed_now):
    client.force_login(tenant.aa_admin)
    tenant.aa_admin.aa_systems.set([system])
    form = client.get(url(system, "new/"))
    assert form.status_code == 200
    assert b'type="time"' in form.content and b'name="mon_2_end"' in form.content
    assert b"<label" in form.content and b'for="id_mon_1_start"' in form.content

    created = client.post(url(system, "new/"), work_hours(menus["office"], **office_week()))

    assert created.status_code == 302 and created["Location"] == url(system)
    schedule = Schedule.objects.get(aa_system=system)
    assert schedule.type == "WORK_HOURS" and schedule.menu == menus["office"]
    assert schedule.weekly_ranges == [
        {"days": ["MON", "TUE", "WED", "THU", "FRI"], "start": "09:00", "end": "12:00"},
        {"days": ["MON", "TUE", "WED", "THU", "FRI"], "start": "13:00", "end": "17:00"},
        {"days": ["SAT"], "start": "10:00", "end": "14:00"},
    ]
    page = client.get(url(system))
    html = page.content.decode()
    assert "Schedule Office hours saved." in html
    assert "Office 09:00–12:00" in day_column(html, "MON") and "Office 13:00–17:00" in day_column(html, "FRI")
    assert "Office 10:00–14:00" in day_column(html, "SAT")
    assert "Office" not in day_column(html, "SUN") and "No work hours" in day_column(html, "SUN")
    # 13:00 is 54.1667% down the day, 4 hours 16.6667% of it.
    assert 'data-css-vars="--start: 54.1667; --length: 16.6667"' in html
    assert "Mon–Fri 09:00–12:00" in html and "Sat 10:00–14:00" in html


def test_an_overnight_end_and_midnight_map_to_the_service_shape(client, tenant, system, menus, fixed_now):
    client.force_login(tenant.bg_admin)
    data = work_hours(menus["office"], fri_1_start="22:00", fri_1_end="06:00", sat_1_start="18:00")
    created = client.post(url(system, "new/"), {**data, "sat_1_end": "00:00"})
    assert created.status_code == 302
    ranges = Schedule.objects.get(aa_system=system).weekly_ranges
    assert ranges == [
        {"days": ["FRI"], "start": "22:00", "end": "06:00"},
        {"days": ["SAT"], "start": "18:00", "end": "24:00"},
    ]
    html = client.get(url(system)).content.decode()
    assert "22:00–24:00" in day_column(html, "FRI")
    assert "00:00–06:00" in day_column(html, "SAT") and "18:00–24:00" in day_column(html, "SAT")


def test_holidays_and_ordinal_days_are_listed_in_words(client, tenant, system, menus, fixed_now):
    client.force_login(tenant.bg_admin)
    form = client.get(url(system, "new/?type=SPECIAL_DAY"))
    assert form.context["form"]["kind"].value() == "SPECIAL_DAY"
    holiday = {"name": "Holidays", "menu": menus["holiday"].sid, "kind": "SPECIAL_DAY"}
    rows = {
        "day_1_date": "2026-12-25",
        "day_1_yearly": "on",
        "day_2_date": "2026-12-24",
        "day_3_ordinal": "LAST",
        "day_3_weekday": "MON",
        "day_3_month": "5",
        "day_3_yearly": "on",
        "day_4_date": "2026-12-30",
        "day_4_until": "2027-01-02",
    }
    created = client.post(url(system, "new/"), {**holiday, **rows, "special_start": "13:00", "special_end": "00:00"})
    assert created.status_code == 302, created.context["form"].errors
    schedule = Schedule.objects.get(name="Holidays")
    assert schedule.dates == [
        {"month": 12, "day": 25, "recurYearly": True},
        {"start": "2026-12-24", "end": "2026-12-24", "recurYearly": False},
        {"month": 5, "weekday": "MON", "ordinal": "LAST", "recurYearly": True},
        {"start": "2026-12-30", "end": "2027-01-02", "recurYearly": False},
    ]
    assert schedule.weekly_ranges == [
        {"days": ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"], "start": "13:00", "end": "24:00"}
    ]
    html = section(client.get(url(system)).content.decode(), "special-days")
    for words in ("25 December every year", "2026-12-24", "Last Monday of May every year", "2026-12-30 to 2027-01-02"):
        assert words in html
    assert "13:00–24:00" in html and "Closed for the holiday" in html

    # A whole day, from a one-off ordinal rule with a year.
    created = client.post(
        url(system, "new/"),
        {**holiday, "name": "Company day", "day_1_ordinal": "FIRST", "day_1_weekday": "FRI", "day_1_month": "9",
         "day_1_year": "2026"},
    )  # fmt: skip
    assert created.status_code == 302
    assert Schedule.objects.get(name="Company day").dates == [
        {"month": 9, "weekday": "FRI", "ordinal": "FIRST", "recurYearly": False, "year": 2026}
    ]
    html = section(client.get(url(system)).content.decode(), "special-days")
    assert "First Friday of September 2026" in html and "All day" in html


def test_service_errors_sit_next_to_their_fields_and_nothing_is_saved(client, tenant, system, menus, fixed_now):
    client.force_login(tenant.bg_admin)
    client.post(url(system, "new/"), work_hours(menus["office"], **office_week()))
    assert Schedule.objects.count() == 1

    # Overlaps the stored work hours on Monday morning: the service's 525, at the top of the work hours.
    overlap = client.post(
        url(system, "new/"), work_hours(menus["main"], name="Early", mon_1_start="07:00", mon_1_end="10:00")
    )
    assert overlap.status_code == 400
    errors = overlap.context["form"].group_errors["work"]
    assert errors == [f"Overlaps the WORK_HOURS schedule 'Office hours' ({Schedule.objects.get().sid}). (525)"]
    assert "(525)" in section(overlap.content.decode(), "work-errors")

    # An end equal to its start: the service's 530, on both days that share those times.
    same = client.post(
        url(system, "new/"),
        work_hours(menus["main"], name="Weekend", sat_2_start="18:00", sat_2_end="18:00", sun_1_start="18:00",
                   sun_1_end="18:00"),
    )  # fmt: skip
    assert same.status_code == 400
    form = same.context["form"]
    assert "Must differ from start (00:00-24:00 is the whole day). (530)" in form.errors["sat_2_end"]
    assert "(530)" in str(form.errors["sun_1_end"]) and "sat_2_start" not in form.errors
    assert b"Must differ from start" in same.content

    # A start without an end.
    half = client.post(url(system, "new/"), work_hours(menus["main"], name="Weekend", sun_1_start="18:00"))
    assert half.status_code == 400 and "(530)" in str(half.context["form"].errors["sun_1_end"])

    # A weekday rule without its weekday; a one-off weekday rule without a year.
    special = {"name": "Holiday", "menu": menus["holiday"].sid, "kind": "SPECIAL_DAY"}
    no_weekday = client.post(url(system, "new/"), {**special, "day_1_ordinal": "LAST", "day_1_month": "5"})
    assert no_weekday.status_code == 400
    assert (
        "Must be one of MON, TUE, WED, THU, FRI, SAT, SUN. (530)" in no_weekday.context["form"].errors["day_1_weekday"]
    )
    no_year = client.post(
        url(system, "new/"), {**special, "day_2_ordinal": "LAST", "day_2_weekday": "MON", "day_2_month": "5"}
    )
    assert no_year.status_code == 400
    assert "Required unless recurYearly is true. (530)" in no_year.context["form"].errors["day_2_year"]
    # No date at all, then two special days on the same date.
    empty = client.post(url(system, "new/"), special)
    assert empty.status_code == 400
    assert empty.context["form"].group_errors["special"] == ["A SPECIAL_DAY schedule needs at least one date. (530)"]
    create_schedule(
        tenant.bg_admin, name="Christmas", aa_system_sid=system.sid, type="SPECIAL_DAY",
        menu_sid=menus["holiday"].sid, dates=[{"month": 12, "day": 25, "recurYearly": True}],
    )  # fmt: skip
    clash = client.post(url(system, "new/"), {**special, "day_1_date": "2027-12-25"})
    assert clash.status_code == 400 and "(525)" in clash.context["form"].group_errors["special"][0]
    assert set(Schedule.objects.values_list("name", flat=True)) == {"Office hours", "Christmas"}


def test_edit_shows_the_stored_ranges_and_saves_changes(client, tenant, system, menus, fixed_now):
    schedule = create_schedule(
        tenant.bg_admin, name="Office hours", aa_system_sid=system.sid, type="WORK_HOURS",
        menu_sid=menus["office"].sid,
        weekly_ranges=[{"days": ["MON", "TUE"], "start": "09:00", "end": "12:00"},
                       {"days": ["MON"], "start": "13:00", "end": "24:00"}],
    )  # fmt: skip
    client.force_login(tenant.bg_admin)
    page = client.get(url(system, f"{schedule.sid}/"))
    assert page.status_code == 200
    form = page.context["form"]
    assert form["mon_1_start"].value() == "09:00" and form["mon_2_start"].value() == "13:00"
    assert form["mon_2_end"].value() == "00:00" and form["tue_1_end"].value() == "12:00"
    assert form["wed_1_start"].value() is None
    saved = client.post(
        url(system, f"{schedule.sid}/"),
        work_hours(menus["main"], name="Short week", tue_1_start="08:00", tue_1_end="16:00"),
    )
    assert saved.status_code == 302 and saved["Location"] == url(system)
    schedule.refresh_from_db()
    assert schedule.name == "Short week" and schedule.menu == menus["main"]
    assert schedule.weekly_ranges == [{"days": ["TUE"], "start": "08:00", "end": "16:00"}]
    # A special day reads back into its rows.
    holiday = create_schedule(
        tenant.bg_admin, name="Holidays", aa_system_sid=system.sid, type="SPECIAL_DAY",
        menu_sid=menus["holiday"].sid,
        dates=[{"month": 12, "day": 25, "recurYearly": True},
               {"month": 5, "weekday": "MON", "ordinal": "LAST", "recurYearly": True}],
    )  # fmt: skip
    form = client.get(url(system, f"{holiday.sid}/")).context["form"]
    assert form["kind"].value() == "SPECIAL_DAY" and form["day_1_yearly"].value() is True
    assert form["day_1_date"].value().month == 12 and form["day_1_date"].value().day == 25
    assert (form["day_2_ordinal"].value(), form["day_2_weekday"].value(), form["day_2_month"].value()) == (
        "LAST",
        "MON",
        "5",
    )


def test_delete_is_a_post_with_a_confirmation(client, tenant, system, menus, fixed_now):
    schedule = create_schedule(
        tenant.bg_admin, name="Office hours", aa_system_sid=system.sid, type="WORK_HOURS",
        menu_sid=menus["office"].sid, weekly_ranges=[{"days": ["MON"], "start": "09:00", "end": "17:00"}],
    )  # fmt: skip
    client.force_login(tenant.csp_admin)
    page = client.get(url(system)).content.decode()
    assert f'action="{url(system, f"{schedule.sid}/delete/")}"' in page
    assert 'data-confirm="Delete the schedule Office hours?"' in page
    assert client.get(url(system, f"{schedule.sid}/delete/")).status_code == 405
    deleted = client.post(url(system, f"{schedule.sid}/delete/"), follow=True)
    assert deleted.status_code == 200 and b"Schedule Office hours deleted." in deleted.content
    assert not Schedule.objects.filter(pk=schedule.pk).exists()


def test_the_timeline_shows_who_answers_in_the_systems_time_zone(client, tenant, system, menus, fixed_now):
    create_schedule(
        tenant.bg_admin, name="Office hours", aa_system_sid=system.sid, type="WORK_HOURS",
        menu_sid=menus["office"].sid,
        weekly_ranges=[{"days": ["MON", "TUE", "WED", "THU", "FRI"], "start": "09:00", "end": "17:00"}],
    )  # fmt: skip
    create_schedule(
        tenant.bg_admin, name="Easter Monday", aa_system_sid=system.sid, type="SPECIAL_DAY",
        menu_sid=menus["holiday"].sid, dates=[{"start": "2026-04-06", "end": "2026-04-06"}],
    )  # fmt: skip
    client.force_login(tenant.bg_admin)
    html = client.get(url(system)).content.decode()
    assert "Times are in Europe/Berlin" in section(html, "timezone")
    # Friday 11:00 in Berlin (10:00 UTC, CET): the office until 17:00, then the default menu.
    today = section(html, "timeline-2026-03-27")
    assert "Friday 27 March 2026" in today
    assert "11:00–17:00 Office Work hours: Office hours" in today
    assert "17:00–24:00 Main Default menu" in today
    # After the clocks go forward (CEST) the office still opens at 09:00 local, not 09:00 UTC.
    monday = section(html, "timeline-2026-03-30")
    assert "00:00–09:00 Main" in monday and "09:00–17:00 Office" in monday and "17:00–24:00 Main" in monday
    # A special day takes the whole day; a weekend day is the default menu's.
    easter = section(html, "timeline-2026-04-06")
    assert "00:00–24:00 Closed for the holiday Special day: Easter Monday" in easter
    assert "00:00–24:00 Main Default menu" in section(html, "timeline-2026-03-28")
    # 14 local days from Friday 11:00: through Friday 10 April 11:00, and no further.
    last = section(html, "timeline-2026-04-10")
    assert "00:00–09:00 Main" in last and "09:00–11:00 Office" in last and "11:00–" not in last
    assert 'id="timeline-2026-04-11"' not in html


def test_other_tenants_and_unassigned_aa_admins_get_404(client, tenant, other_tenant, system, menus, fixed_now):
    schedule = create_schedule(
        tenant.bg_admin, name="Office hours", aa_system_sid=system.sid, type="WORK_HOURS",
        menu_sid=menus["office"].sid, weekly_ranges=[{"days": ["MON"], "start": "09:00", "end": "17:00"}],
    )  # fmt: skip
    edit = work_hours(menus["office"], name="Taken", tue_1_start="09:00", tue_1_end="17:00")
    client.force_login(other_tenant.bg_admin)
    assert client.get(url(system)).status_code == 404
    assert client.get(url(system, "new/")).status_code == 404
    assert client.get(url(system, f"{schedule.sid}/")).status_code == 404
    assert client.post(url(system, f"{schedule.sid}/"), edit).status_code == 404
    assert client.post(url(system, f"{schedule.sid}/delete/")).status_code == 404
    # Nor through a system of its own: the schedule SID belongs to another system.
    own = create_system(other_tenant.csp_admin, name="Globex desk", enterprise_sid=other_tenant.enterprise.sid)
    client.force_login(other_tenant.csp_admin)
    assert client.get(url(own, f"{schedule.sid}/")).status_code == 404
    assert client.post(url(own, f"{schedule.sid}/delete/")).status_code == 404
    # An AA admin of the same enterprise sees only its assigned systems.
    client.force_login(tenant.aa_admin)
    assert client.get(url(system)).status_code == 404
    tenant.aa_admin.aa_systems.set([system])
    assert client.get(url(system)).status_code == 200
    schedule.refresh_from_db()
    assert schedule.name == "Office hours" and Schedule.objects.filter(pk=schedule.pk).exists()

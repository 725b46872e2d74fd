"""The pure schedule evaluator: which menu answers when, across DST changes, overnight, on special days."""

from __future__ import annotations

import datetime
import subprocess
import sys
import time
from zoneinfo import ZoneInfo

import pytest

from autoattendant import scheduling
from autoattendant.choices import Ordinal, ScheduleType, Weekday
from autoattendant.scheduling import ScheduleError, active, overlaps, timeline, validate

NEW_YORK = "America/New_York"
BERLIN = "Europe/Berlin"
UTC = datetime.UTC
WEEKDAYS = ["MON", "TUE", "WED", "THU", "FRI"]
DEFAULT_MENU = "MNdefault"


def work_hours(*ranges, sid="SCwork", menu="MNwork") -> dict:
    return {"sid": sid, "type": "WORK_HOURS", "menuSid": menu, "weeklyRanges": list(ranges)}


def special_day(*dates, ranges=(), sid="SCholiday", menu="MNholiday") -> dict:
    return {"sid": sid, "type": "SPECIAL_DAY", "menuSid": menu, "dates": list(dates), "weeklyRanges": list(ranges)}


def weekly(days, start, end) -> dict:
    return {"days": list(days), "start": start, "end": end}


OFFICE = work_hours(weekly(WEEKDAYS, "09:00", "17:00"))


def local(zone: str, *args, fold: int = 0) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=ZoneInfo(zone), fold=fold)


def utc(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


def menu_at(schedules, zone, at, default=DEFAULT_MENU) -> str | None:
    return active(schedules, zone, default, at)["menuSid"]


def spans(intervals, menu_sid) -> list[tuple[datetime.datetime, datetime.datetime]]:
    return [(i["start"], i["end"]) for i in intervals if i["menuSid"] == menu_sid]


# The module stands alone.


def test_imports_nothing_from_django():
    code = "import sys, autoattendant.scheduling; sys.exit(any(m.startswith('django') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_its_names_are_the_domain_choices():
    assert list(scheduling.WEEKDAYS) == list(Weekday.values)
    assert list(scheduling.ORDINALS) == list(Ordinal.values)
    assert set(scheduling.TYPES) == set(ScheduleType.values)


# DST: 09:00-17:00 is 09:00-17:00 local on both sides of every change.

DST_CASES = [
    # zone, Friday before, Monday after, UTC offset (hours) before, after
    pytest.param(NEW_YORK, (2026, 3, 6), (2026, 3, 9), -5, -4, id="new-york-spring-forward"),
    pytest.param(NEW_YORK, (2026, 10, 30), (2026, 11, 2), -4, -5, id="new-york-fall-back"),
    pytest.param(BERLIN, (2026, 3, 27), (2026, 3, 30), 1, 2, id="berlin-spring-forward"),
    pytest.param(BERLIN, (2026, 10, 23), (2026, 10, 26), 2, 1, id="berlin-fall-back"),
]


@pytest.mark.parametrize("zone,friday,monday,before,after", DST_CASES)
def test_work_hours_answer_at_0930_local_on_the_monday_after_a_change(zone, friday, monday, before, after):
    assert menu_at([OFFICE], zone, local(zone, *monday, 9, 30)) == "MNwork"
    assert menu_at([OFFICE], zone, local(zone, *friday, 9, 30)) == "MNwork"
    assert menu_at([OFFICE], zone, local(zone, *monday, 8, 59)) == DEFAULT_MENU
    assert menu_at([OFFICE], zone, local(zone, *monday, 17, 0)) == DEFAULT_MENU
    # The same instant seen from UTC: 09:30 local is 09:30 minus the new offset.
    assert menu_at([OFFICE], zone, utc(*monday, 9 - after, 30)) == "MNwork"
    assert menu_at([OFFICE], zone, utc(*monday, 9 - after - 1, 30)) == DEFAULT_MENU


@pytest.mark.parametrize("zone,friday,monday,before,after", DST_CASES)
def test_timeline_has_the_right_utc_instants_on_both_sides_of_a_change(zone, friday, monday, before, after):
    intervals = timeline([OFFICE], zone, DEFAULT_MENU, local(zone, *friday), 4)
    assert spans(intervals, "MNwork") == [
        (utc(*friday, 9 - before), utc(*friday, 17 - before)),
        (utc(*monday, 9 - after), utc(*monday, 17 - after)),
    ]
    assert intervals[0]["start"] == local(zone, *friday)
    # Four local days: the window ends at local midnight, one hour short or long of 96 hours.
    assert intervals[-1]["end"] == local(zone, *monday) + datetime.timedelta(days=1)
    assert (intervals[-1]["end"] - intervals[0]["start"]) == datetime.timedelta(hours=96 + before - after)


def test_a_range_starting_in_the_spring_forward_gap_opens_when_the_clock_jumps():
    early_sunday = work_hours(weekly(["SUN"], "02:30", "04:00"))
    intervals = timeline([early_sunday], NEW_YORK, DEFAULT_MENU, local(NEW_YORK, 2026, 3, 8), 1)
    # 02:00 EST becomes 03:00 EDT at 07:00 UTC: the range runs 03:00-04:00 EDT that day.
    assert spans(intervals, "MNwork") == [(utc(2026, 3, 8, 7), utc(2026, 3, 8, 8))]
    assert menu_at([early_sunday], NEW_YORK, utc(2026, 3, 8, 7)) == "MNwork"
    assert menu_at([early_sunday], NEW_YORK, utc(2026, 3, 8, 6, 59)) == DEFAULT_MENU
    # A week later, the ordinary 02:30-04:00 EDT.
    assert menu_at([early_sunday], NEW_YORK, local(NEW_YORK, 2026, 3, 15, 2, 30)) == "MNwork"


def test_a_range_wholly_inside_the_gap_does_not_happen_that_day():
    in_gap = work_hours(weekly(["SUN"], "02:00", "02:30"))
    intervals = timeline([in_gap], BERLIN, DEFAULT_MENU, local(BERLIN, 2026, 3, 29), 1)
    assert spans(intervals, "MNwork") == []
    assert menu_at([in_gap], BERLIN, local(BERLIN, 2026, 4, 5, 2, 15)) == "MNwork"


def test_a_range_through_the_repeated_hour_runs_continuously():
    # 01:30-03:00 on the fall-back night: from the first 01:30 (EDT) to 03:00 EST, 2.5 hours.
    night = work_hours(weekly(["SUN"], "01:30", "03:00"))
    intervals = timeline([night], NEW_YORK, DEFAULT_MENU, local(NEW_YORK, 2026, 11, 1), 1)
    assert spans(intervals, "MNwork") == [(utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 8))]
    assert menu_at([night], NEW_YORK, local(NEW_YORK, 2026, 11, 1, 1, 15, fold=1)) == "MNwork"


def test_a_range_ending_in_the_repeated_hour_ends_at_its_first_occurrence():
    night = work_hours(weekly(["SUN"], "00:30", "01:30"))
    assert menu_at([night], NEW_YORK, local(NEW_YORK, 2026, 11, 1, 1, 15, fold=0)) == "MNwork"
    assert menu_at([night], NEW_YORK, local(NEW_YORK, 2026, 11, 1, 1, 15, fold=1)) == DEFAULT_MENU
    # ...so the next range, 01:30-02:00, stays adjacent to it rather than overlapping it.
    late = work_hours(weekly(["SUN"], "01:30", "02:00"), sid="SClate", menu="MNlate")
    intervals = timeline([night, late], NEW_YORK, DEFAULT_MENU, local(NEW_YORK, 2026, 11, 1), 1)
    assert spans(intervals, "MNwork") == [(utc(2026, 11, 1, 4, 30), utc(2026, 11, 1, 5, 30))]
    assert spans(intervals, "MNlate") == [(utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 7))]


@pytest.mark.parametrize("zone", [NEW_YORK, BERLIN])
def test_active_and_timeline_agree_at_every_quarter_hour_around_the_changes(zone):
    schedules = [
        OFFICE,
        work_hours(weekly(["SAT"], "22:00", "06:00"), weekly(["SUN"], "01:30", "03:00"), sid="SCnight", menu="MNnight"),
        special_day({"start": "2026-03-30", "end": "2026-03-30"}, ranges=[weekly(WEEKDAYS, "13:00", "24:00")]),
    ]
    for start in (local(zone, 2026, 3, 5), local(zone, 2026, 10, 22)):
        intervals = timeline(schedules, zone, DEFAULT_MENU, start, 6)
        for before, after in zip(intervals, intervals[1:], strict=False):
            assert before["end"] == after["start"]
            assert (before["menuSid"], before["scheduleSid"]) != (after["menuSid"], after["scheduleSid"])
        moment = intervals[0]["start"]
        for interval in intervals:
            while moment < interval["end"]:
                expected = {key: interval[key] for key in ("menuSid", "scheduleSid", "type")}
                assert active(schedules, zone, DEFAULT_MENU, moment) == expected, moment
                moment += datetime.timedelta(minutes=15)


# Overnight ranges.


def test_friday_night_range_runs_into_saturday_morning():
    night = work_hours(weekly(["FRI"], "22:00", "06:00"), menu="MNnight")
    assert menu_at([night], NEW_YORK, local(NEW_YORK, 2026, 5, 15, 21, 59)) == DEFAULT_MENU
    assert menu_at([night], NEW_YORK, local(NEW_YORK, 2026, 5, 15, 22, 0)) == "MNnight"
    assert menu_at([night], NEW_YORK, local(NEW_YORK, 2026, 5, 16, 5, 59)) == "MNnight"
    assert menu_at([night], NEW_YORK, local(NEW_YORK, 2026, 5, 16, 6, 0)) == DEFAULT_MENU
    # It belongs to Friday: Saturday night and Thursday night are not in it.
    assert menu_at([night], NEW_YORK, local(NEW_YORK, 2026, 5, 16, 23, 0)) == DEFAULT_MENU
    assert menu_at([night], NEW_YORK, local(NEW_YORK, 2026, 5, 14, 23, 0)) == DEFAULT_MENU
    assert menu_at([night], NEW_YORK, local(NEW_YORK, 2026, 5, 15, 3, 0)) == DEFAULT_MENU


def test_an_overnight_range_across_the_spring_forward_night_is_an_hour_shorter():
    night = work_hours(weekly(["SAT"], "22:00", "06:00"), menu="MNnight")
    intervals = timeline([night], BERLIN, DEFAULT_MENU, local(BERLIN, 2026, 3, 28), 2)
    # 22:00 CET is 21:00 UTC; 06:00 CEST is 04:00 UTC: seven hours.
    assert spans(intervals, "MNnight") == [(utc(2026, 3, 28, 21), utc(2026, 3, 29, 4))]


def test_sunday_night_range_wraps_to_monday_morning():
    night = work_hours(weekly(["SUN"], "23:00", "07:00"), menu="MNnight")
    assert menu_at([night], BERLIN, local(BERLIN, 2026, 6, 8, 6, 30)) == "MNnight"
    assert menu_at([night], BERLIN, local(BERLIN, 2026, 6, 9, 6, 30)) == DEFAULT_MENU


def test_midnight_as_the_end_of_a_day():
    evening = work_hours(weekly(["MON"], "18:00", "24:00"), menu="MNevening")
    assert menu_at([evening], BERLIN, local(BERLIN, 2026, 6, 8, 23, 59)) == "MNevening"
    assert menu_at([evening], BERLIN, local(BERLIN, 2026, 6, 9, 0, 0)) == DEFAULT_MENU


# Special days.


def test_new_years_day_every_year_takes_the_whole_local_day():
    new_year = special_day({"month": 1, "day": 1, "recurYearly": True})
    schedules = [OFFICE, new_year]
    # 1 January 2027 is a Friday: the holiday menu answers instead of the office's.
    assert menu_at(schedules, NEW_YORK, local(NEW_YORK, 2027, 1, 1, 10)) == "MNholiday"
    assert menu_at(schedules, NEW_YORK, local(NEW_YORK, 2031, 1, 1, 0, 0)) == "MNholiday"
    assert menu_at(schedules, NEW_YORK, local(NEW_YORK, 2026, 12, 31, 10)) == "MNwork"
    intervals = timeline(schedules, NEW_YORK, DEFAULT_MENU, local(NEW_YORK, 2026, 12, 31), 3)
    assert spans(intervals, "MNholiday") == [(utc(2027, 1, 1, 5), utc(2027, 1, 2, 5))]
    assert intervals[0]["menuSid"] == DEFAULT_MENU


def test_a_one_off_day_needs_its_year():
    once = special_day({"month": 7, "day": 3, "year": 2026})
    assert menu_at([once], NEW_YORK, local(NEW_YORK, 2026, 7, 3, 12)) == "MNholiday"
    assert menu_at([once], NEW_YORK, local(NEW_YORK, 2027, 7, 3, 12)) == DEFAULT_MENU


@pytest.mark.parametrize(
    "rule,covered,not_covered",
    [
        # The first Monday of September (Labor Day): 7 September 2026, 6 September 2027.
        (
            {"month": 9, "weekday": "MON", "ordinal": "FIRST"},
            [(2026, 9, 7), (2027, 9, 6)],
            [(2026, 9, 14), (2026, 9, 1)],
        ),
        # The last Thursday of November: 26 November 2026 (also the fourth), 29 November 2029 (the fifth).
        (
            {"month": 11, "weekday": "THU", "ordinal": "LAST"},
            [(2026, 11, 26), (2029, 11, 29)],
            [(2026, 11, 19), (2029, 11, 22)],
        ),
        ({"month": 11, "weekday": "THU", "ordinal": "FOURTH"}, [(2029, 11, 22)], [(2029, 11, 29)]),
        ({"month": 5, "weekday": "SUN", "ordinal": "SECOND"}, [(2026, 5, 10)], [(2026, 5, 3), (2026, 5, 17)]),
        ({"month": 1, "weekday": "MON", "ordinal": "THIRD"}, [(2027, 1, 18)], [(2027, 1, 11)]),
    ],
)
def test_ordinal_weekday_dates(rule, covered, not_covered):
    holiday = special_day({**rule, "recurYearly": True})
    for day in covered:
        assert menu_at([OFFICE, holiday], NEW_YORK, local(NEW_YORK, *day, 10)) == "MNholiday", day
    for day in not_covered:
        assert menu_at([holiday], NEW_YORK, local(NEW_YORK, *day, 10)) == DEFAULT_MENU, day


def test_a_one_off_ordinal_date_is_only_in_its_year():
    holiday = special_day({"month": 9, "weekday": "MON", "ordinal": "FIRST", "year": 2026})
    assert menu_at([holiday], BERLIN, local(BERLIN, 2026, 9, 7, 10)) == "MNholiday"
    assert menu_at([holiday], BERLIN, local(BERLIN, 2027, 9, 6, 10)) == DEFAULT_MENU


def test_a_date_range_across_the_year_end():
    closure = special_day({"start": "2026-12-24", "end": "2027-01-02"})
    for day in [(2026, 12, 24), (2026, 12, 31), (2027, 1, 1), (2027, 1, 2)]:
        assert menu_at([OFFICE, closure], BERLIN, local(BERLIN, *day, 23, 59)) == "MNholiday", day
    for day in [(2026, 12, 23), (2027, 1, 3), (2027, 12, 28)]:
        assert menu_at([closure], BERLIN, local(BERLIN, *day, 12)) == DEFAULT_MENU, day
    intervals = timeline([closure], BERLIN, DEFAULT_MENU, local(BERLIN, 2026, 12, 20), 20)
    assert spans(intervals, "MNholiday") == [(utc(2026, 12, 23, 23), utc(2027, 1, 2, 23))]


def test_a_yearly_date_range_across_the_year_end():
    closure = special_day({"start": "2026-12-24", "end": "2027-01-02", "recurYearly": True})
    for day in [(2030, 12, 24), (2030, 12, 31), (2031, 1, 1), (2031, 1, 2), (2026, 1, 2)]:
        assert menu_at([closure], BERLIN, local(BERLIN, *day, 12)) == "MNholiday", day
    for day in [(2030, 12, 23), (2031, 1, 3), (2031, 6, 1)]:
        assert menu_at([closure], BERLIN, local(BERLIN, *day, 12)) == DEFAULT_MENU, day


def test_a_half_day_special_day_covers_only_its_own_ranges():
    # Christmas Eve: the office as usual in the morning, the holiday menu from 13:00.
    christmas_eve = special_day(
        {"month": 12, "day": 24, "recurYearly": True}, ranges=[weekly(WEEKDAYS, "13:00", "24:00")]
    )
    schedules = [OFFICE, christmas_eve]
    assert menu_at(schedules, NEW_YORK, local(NEW_YORK, 2026, 12, 24, 10)) == "MNwork"  # a Thursday
    assert menu_at(schedules, NEW_YORK, local(NEW_YORK, 2026, 12, 24, 13)) == "MNholiday"
    assert menu_at(schedules, NEW_YORK, local(NEW_YORK, 2026, 12, 24, 23, 30)) == "MNholiday"
    assert menu_at(schedules, NEW_YORK, local(NEW_YORK, 2026, 12, 23, 14)) == "MNwork"
    # Its ranges apply on their days only: 24 December 2028 is a Sunday.
    assert menu_at(schedules, NEW_YORK, local(NEW_YORK, 2028, 12, 24, 14)) == DEFAULT_MENU
    intervals = timeline(schedules, NEW_YORK, DEFAULT_MENU, local(NEW_YORK, 2026, 12, 24), 1)
    assert [(i["type"], i["start"], i["end"]) for i in intervals] == [
        ("DEFAULT", utc(2026, 12, 24, 5), utc(2026, 12, 24, 14)),
        ("WORK_HOURS", utc(2026, 12, 24, 14), utc(2026, 12, 24, 18)),
        ("SPECIAL_DAY", utc(2026, 12, 24, 18), utc(2026, 12, 25, 5)),
    ]


def test_february_29th_recurs_in_leap_years_only():
    leap = special_day({"month": 2, "day": 29, "recurYearly": True})
    assert menu_at([leap], BERLIN, local(BERLIN, 2028, 2, 29, 12)) == "MNholiday"
    assert menu_at([leap], BERLIN, local(BERLIN, 2027, 2, 28, 12)) == DEFAULT_MENU
    assert menu_at([leap], BERLIN, local(BERLIN, 2027, 3, 1, 12)) == DEFAULT_MENU


# Precedence.


def test_special_day_then_work_hours_then_default():
    holiday = special_day({"start": "2026-07-03", "end": "2026-07-03"})
    at_work = local(NEW_YORK, 2026, 7, 2, 10)
    on_holiday = local(NEW_YORK, 2026, 7, 3, 10)
    at_night = local(NEW_YORK, 2026, 7, 2, 22)
    for schedules in ([OFFICE, holiday], [holiday, OFFICE]):
        assert active(schedules, NEW_YORK, DEFAULT_MENU, on_holiday) == {
            "menuSid": "MNholiday",
            "scheduleSid": "SCholiday",
            "type": "SPECIAL_DAY",
        }
        assert active(schedules, NEW_YORK, DEFAULT_MENU, at_work) == {
            "menuSid": "MNwork",
            "scheduleSid": "SCwork",
            "type": "WORK_HOURS",
        }
        assert active(schedules, NEW_YORK, DEFAULT_MENU, at_night) == {
            "menuSid": DEFAULT_MENU,
            "scheduleSid": None,
            "type": "DEFAULT",
        }
    assert active([], NEW_YORK, None, at_night) == {"menuSid": None, "scheduleSid": None, "type": "DEFAULT"}


def test_timeline_merges_adjacent_intervals_of_one_schedule_only():
    split_day = work_hours(weekly(["MON"], "09:00", "12:00"), weekly(["MON"], "12:00", "17:00"))
    intervals = timeline([split_day], BERLIN, DEFAULT_MENU, local(BERLIN, 2026, 6, 8), 1)
    assert [(i["type"], i["start"], i["end"]) for i in intervals] == [
        ("DEFAULT", utc(2026, 6, 7, 22), utc(2026, 6, 8, 7)),
        ("WORK_HOURS", utc(2026, 6, 8, 7), utc(2026, 6, 8, 15)),
        ("DEFAULT", utc(2026, 6, 8, 15), utc(2026, 6, 8, 22)),
    ]
    morning = work_hours(weekly(["MON"], "09:00", "12:00"), sid="SCmorning")
    afternoon = work_hours(weekly(["MON"], "12:00", "17:00"), sid="SCafternoon")
    intervals = timeline([morning, afternoon], BERLIN, DEFAULT_MENU, local(BERLIN, 2026, 6, 8), 1)
    assert [i["scheduleSid"] for i in intervals] == [None, "SCmorning", "SCafternoon", None]


def test_timeline_starts_exactly_at_from_and_covers_the_days():
    start = utc(2026, 6, 10, 13, 45, 10)
    intervals = timeline([OFFICE], BERLIN, DEFAULT_MENU, start, 7)
    assert intervals[0]["start"] == start and intervals[0]["type"] == "WORK_HOURS"
    assert intervals[-1]["end"] == start + datetime.timedelta(days=7)
    assert len(spans(intervals, "MNwork")) == 6  # Wed afternoon, Thu, Fri, Mon, Tue, next Wed morning
    assert all(i["start"].tzinfo is not None and i["start"].utcoffset() == datetime.timedelta(0) for i in intervals)


def test_times_must_be_aware_and_zones_known():
    with pytest.raises(ValueError):
        active([OFFICE], BERLIN, None, datetime.datetime(2026, 6, 8, 10))
    with pytest.raises(ValueError):
        timeline([OFFICE], BERLIN, None, datetime.datetime(2026, 6, 8, 10), 7)
    with pytest.raises(ValueError):
        timeline([OFFICE], BERLIN, None, utc(2026, 6, 8), 0)
    with pytest.raises(ScheduleError) as caught:
        active([OFFICE], "Mars/Olympus_Mons", None, utc(2026, 6, 8))
    assert caught.value.field == "timezoneId"


# Overlaps.


@pytest.mark.parametrize(
    "first,second,expected",
    [
        (weekly(["MON"], "09:00", "17:00"), weekly(["MON"], "16:00", "18:00"), True),
        (weekly(["MON"], "09:00", "17:00"), weekly(["MON"], "17:00", "18:00"), False),
        (weekly(["MON"], "09:00", "17:00"), weekly(["TUE"], "09:00", "17:00"), False),
        (weekly(["FRI"], "22:00", "06:00"), weekly(["SAT"], "05:00", "07:00"), True),
        (weekly(["FRI"], "22:00", "06:00"), weekly(["SAT"], "06:00", "07:00"), False),
        (weekly(["SUN"], "22:00", "06:00"), weekly(["MON"], "05:59", "06:00"), True),
        (weekly(["SUN"], "22:00", "06:00"), weekly(["MON"], "06:00", "09:00"), False),
        (weekly(["MON"], "00:00", "24:00"), weekly(["SUN"], "23:00", "00:30"), True),
    ],
)
def test_work_hours_overlaps(first, second, expected):
    a, b = work_hours(first, sid="SCa"), work_hours(second, sid="SCb")
    assert overlaps(a, b, NEW_YORK) is expected
    assert overlaps(b, a, NEW_YORK) is expected


def test_schedules_of_different_types_may_overlap():
    assert overlaps(OFFICE, special_day({"month": 1, "day": 1, "recurYearly": True}), BERLIN) is False


NEW_YEAR = {"month": 1, "day": 1, "recurYearly": True}
LABOR_DAY = {"month": 9, "weekday": "MON", "ordinal": "FIRST", "recurYearly": True}
LAST_THU_NOV = {"month": 11, "weekday": "THU", "ordinal": "LAST", "recurYearly": True}


@pytest.mark.parametrize(
    "first,second,expected",
    [
        ([NEW_YEAR], [{"start": "2026-12-31", "end": "2027-01-01"}], True),
        ([NEW_YEAR], [{"start": "2026-12-24", "end": "2026-12-31"}], False),
        ([NEW_YEAR], [{"month": 1, "day": 1, "year": 2030}], True),
        ([NEW_YEAR], [{"start": "2026-12-30", "end": "2027-01-02", "recurYearly": True}], True),
        ([LABOR_DAY], [{"start": "2026-09-01", "end": "2026-09-07", "recurYearly": True}], True),
        ([LABOR_DAY], [{"start": "2026-09-08", "end": "2026-09-30", "recurYearly": True}], False),
        ([LABOR_DAY], [{"month": 9, "weekday": "MON", "ordinal": "SECOND", "recurYearly": True}], False),
        # Some year 1 September is the first Monday; 8 September never is.
        ([LABOR_DAY], [{"month": 9, "day": 1, "recurYearly": True}], True),
        ([LABOR_DAY], [{"month": 9, "day": 8, "recurYearly": True}], False),
        ([LABOR_DAY], [{"month": 9, "day": 7, "year": 2026}], True),
        ([LABOR_DAY], [{"month": 9, "day": 8, "year": 2026}], False),
        # The last Thursday of November is the 22nd to the 30th, never the 21st.
        ([LAST_THU_NOV], [{"month": 11, "day": 21, "recurYearly": True}], False),
        ([LAST_THU_NOV], [{"month": 11, "day": 30, "recurYearly": True}], True),
        ([LAST_THU_NOV], [{"month": 11, "weekday": "THU", "ordinal": "FOURTH", "recurYearly": True}], True),
        ([{"month": 2, "day": 29, "recurYearly": True}], [{"start": "2027-02-28", "end": "2027-03-01"}], False),
        ([{"month": 2, "day": 29, "recurYearly": True}], [{"start": "2028-02-28", "end": "2028-03-01"}], True),
    ],
)
def test_special_day_overlaps(first, second, expected):
    a, b = special_day(*first, sid="SCa"), special_day(*second, sid="SCb")
    assert overlaps(a, b, NEW_YORK) is expected
    assert overlaps(b, a, NEW_YORK) is expected


def test_special_days_with_their_own_ranges_overlap_only_where_the_ranges_meet():
    afternoon = special_day({"month": 12, "day": 24, "recurYearly": True}, ranges=[weekly(WEEKDAYS, "13:00", "24:00")])
    morning = special_day({"month": 12, "day": 24, "recurYearly": True}, ranges=[weekly(WEEKDAYS, "08:00", "12:00")])
    whole_day = special_day({"start": "2026-12-24", "end": "2026-12-24"})
    weekend = special_day(
        {"month": 12, "day": 24, "recurYearly": True}, ranges=[weekly(["SAT", "SUN"], "08:00", "24:00")]
    )
    assert overlaps(afternoon, morning, BERLIN) is False
    assert overlaps(afternoon, whole_day, BERLIN) is True
    assert overlaps(afternoon, weekend, BERLIN) is False
    # A New Year's Eve party running past midnight meets New Year's Day.
    party = special_day(
        {"month": 12, "day": 31, "recurYearly": True}, ranges=[weekly(Weekday.values, "20:00", "02:00")]
    )
    assert overlaps(party, special_day(NEW_YEAR), BERLIN) is True
    assert overlaps(party, special_day({"month": 1, "day": 1, "year": 2027}), BERLIN) is True
    assert overlaps(party, special_day({"month": 12, "day": 30, "recurYearly": True}), BERLIN) is False


def test_overlap_checks_are_fast():
    busy = special_day(
        *[{"month": month, "day": 15, "recurYearly": True} for month in range(1, 13)],
        *[{"month": month, "weekday": "FRI", "ordinal": "LAST", "recurYearly": True} for month in range(1, 13)],
        {"start": "2026-07-01", "end": "2027-06-30", "recurYearly": True},
    )
    other = special_day(
        *[{"month": month, "weekday": "MON", "ordinal": "SECOND", "recurYearly": True} for month in range(1, 13)],
        ranges=[weekly(Weekday.values, "22:00", "06:00")],
    )
    started = time.perf_counter()
    assert overlaps(busy, other, NEW_YORK) is True
    assert time.perf_counter() - started < 1.0


# Validation.


def test_validate_normalises():
    clean = validate(
        {
            "sid": "SCx",
            "type": "SPECIAL_DAY",
            "menuSid": "MNx",
            "weeklyRanges": [{"days": ["fri", "MON", "MON"], "start": "09:00", "end": "24:00"}],
            "dates": [
                {"start": "2026-12-25"},
                {"month": "1", "day": "1", "recurYearly": "true"},
                {"month": 9, "weekday": "mon", "ordinal": "first", "year": 2026},
            ],
        }
    )
    assert clean == {
        "sid": "SCx",
        "type": "SPECIAL_DAY",
        "menuSid": "MNx",
        "weeklyRanges": [{"days": ["MON", "FRI"], "start": "09:00", "end": "24:00"}],
        "dates": [
            {"start": "2026-12-25", "end": "2026-12-25", "recurYearly": False},
            {"month": 1, "day": 1, "recurYearly": True},
            {"month": 9, "weekday": "MON", "ordinal": "FIRST", "recurYearly": False, "year": 2026},
        ],
    }
    assert validate(clean) == clean


def _bad(**changes) -> dict:
    base = {"type": "WORK_HOURS", "weeklyRanges": [weekly(WEEKDAYS, "09:00", "17:00")]}
    return {**base, **changes}


def _bad_date(entry) -> dict:
    return {"type": "SPECIAL_DAY", "dates": [{"month": 1, "day": 1, "recurYearly": True}, entry]}


INVALID = [
    ("not an object", "schedule"),
    (_bad(type="HOLIDAY"), "type"),
    (_bad(type=None), "type"),
    (_bad(weeklyRanges=[]), "weeklyRanges"),
    (_bad(weeklyRanges="MON-FRI"), "weeklyRanges"),
    (_bad(weeklyRanges=[weekly(["MON"], "09:00", "17:00")] * 51), "weeklyRanges"),
    (_bad(dates=[{"month": 1, "day": 1, "recurYearly": True}]), "dates"),
    ({"type": "SPECIAL_DAY", "dates": []}, "dates"),
    ({"type": "SPECIAL_DAY"}, "dates"),
    (_bad(weeklyRanges=["09:00-17:00"]), "weeklyRanges[0]"),
    (_bad(weeklyRanges=[{"days": [], "start": "09:00", "end": "17:00"}]), "weeklyRanges[0].days"),
    (_bad(weeklyRanges=[{"days": "MON", "start": "09:00", "end": "17:00"}]), "weeklyRanges[0].days"),
    (_bad(weeklyRanges=[weekly(["MON", "MONDAY"], "09:00", "17:00")]), "weeklyRanges[0].days"),
    (_bad(weeklyRanges=[weekly(["MON"], "9:00", "17:00")]), "weeklyRanges[0].start"),
    (_bad(weeklyRanges=[weekly(["MON"], "24:00", "17:00")]), "weeklyRanges[0].start"),
    (_bad(weeklyRanges=[weekly(["MON"], "09:00", "17:60")]), "weeklyRanges[0].end"),
    (_bad(weeklyRanges=[weekly(["MON"], "09:00", None)]), "weeklyRanges[0].end"),
    (_bad(weeklyRanges=[weekly(["MON"], "09:00", "09:00")]), "weeklyRanges[0].end"),
    (_bad(weeklyRanges=[{**weekly(["MON"], "09:00", "17:00"), "menu": "x"}]), "weeklyRanges[0].menu"),
    (_bad_date("2026-12-25"), "dates[1]"),
    (_bad_date({}), "dates[1]"),
    (_bad_date({"start": "2026-12-25", "end": "2026-12-24"}), "dates[1].end"),
    (_bad_date({"start": "25/12/2026"}), "dates[1].start"),
    (_bad_date({"start": "2026-02-30"}), "dates[1].start"),
    (_bad_date({"start": "2026-12-24", "end": "2027-13-01"}), "dates[1].end"),
    (_bad_date({"start": "2026-01-01", "end": "2027-01-02"}), "dates[1].end"),
    (_bad_date({"start": "2026-01-01", "end": "2026-12-31", "recurYearly": True}), None),
    (_bad_date({"start": "2026-01-01", "end": "2027-01-01", "recurYearly": True}), "dates[1].end"),
    (_bad_date({"start": "2026-01-01", "recurYearly": "yes"}), "dates[1].recurYearly"),
    (_bad_date({"start": "2026-01-01", "day": 3}), "dates[1].day"),
    (_bad_date({"month": 1, "day": 1}), "dates[1].year"),
    (_bad_date({"month": 1, "day": 1, "recurYearly": False}), "dates[1].year"),
    (_bad_date({"month": 1, "day": 1, "year": 2026, "recurYearly": True}), "dates[1].year"),
    (_bad_date({"month": 13, "day": 1, "recurYearly": True}), "dates[1].month"),
    (_bad_date({"month": 0, "day": 1, "recurYearly": True}), "dates[1].month"),
    (_bad_date({"month": True, "day": 1, "recurYearly": True}), "dates[1].month"),
    (_bad_date({"month": 4, "day": 31, "recurYearly": True}), "dates[1].day"),
    (_bad_date({"month": 2, "day": 29, "year": 2027}), "dates[1].day"),
    (_bad_date({"month": 2, "day": 29, "year": 2028}), None),
    (_bad_date({"month": 2, "day": 29, "recurYearly": True}), None),
    (_bad_date({"month": 1, "day": "first", "recurYearly": True}), "dates[1].day"),
    (_bad_date({"month": 1, "day": 1, "year": 1066}), "dates[1].year"),
    (_bad_date({"month": 9, "weekday": "MONDAY", "ordinal": "FIRST", "recurYearly": True}), "dates[1].weekday"),
    (_bad_date({"month": 9, "weekday": "MON", "ordinal": "FIFTH", "recurYearly": True}), "dates[1].ordinal"),
    (_bad_date({"month": 9, "weekday": "MON", "recurYearly": True}), "dates[1].ordinal"),
    (_bad_date({"weekday": "MON", "ordinal": "FIRST", "recurYearly": True}), "dates[1].month"),
    (_bad_date({"month": 9, "weekday": "MON", "ordinal": "FIRST"}), "dates[1].year"),
    (_bad_date({"month": 9, "weekday": "MON", "ordinal": "FIRST", "day": 1, "recurYearly": True}), "dates[1].day"),
    ({"type": "SPECIAL_DAY", "dates": [{"start": "2026-01-01"}] * 101}, "dates"),
    (
        {"type": "SPECIAL_DAY", "dates": [NEW_YEAR], "weeklyRanges": [weekly(["MON"], "13:00", "13:00")]},
        "weeklyRanges[0].end",
    ),
]


@pytest.mark.parametrize("schedule,field", INVALID)
def test_validation_names_the_field(schedule, field):
    if field is None:
        validate(schedule)
        return
    with pytest.raises(ScheduleError) as caught:
        validate(schedule)
    assert caught.value.field == field, caught.value
    assert caught.value.message

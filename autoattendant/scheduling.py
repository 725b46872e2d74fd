"""Schedules, evaluated: which menu answers at a moment, when that changes, and whether two collide.

Pure (no ORM, no Django): the API evaluates rows turned into dicts, the RCML entry endpoint the
published plan, both through these functions. A schedule is the API's camelCase dict:

    {"sid": "SC…", "type": "WORK_HOURS" | "SPECIAL_DAY", "menuSid": "MN…",
     "weeklyRanges": [{"days": ["MON", …], "start": "09:00", "end": "17:00"}],
     "dates": [{"start": "2026-12-24", "end": "2026-12-26"},              # inclusive, one-off
               {"start": "2026-12-24", "end": "2027-01-02", "recurYearly": true},  # month/day range
               {"month": 1, "day": 1, "recurYearly": true},               # or with "year", one-off
               {"month": 9, "weekday": "MON", "ordinal": "FIRST", "recurYearly": true}]}

- A weekly range belongs to the day it starts on; `end` before `start` runs overnight into the next
  morning (FRI 22:00-06:00 ends Saturday 06:00); `end` may be `24:00` (midnight at the day's end).
- A SPECIAL_DAY without weekly ranges covers its whole local days; with weekly ranges, only those
  ranges on those days (a half day: the closed part, e.g. 13:00-24:00, answered by the holiday menu).
- Precedence: a SPECIAL_DAY that covers the moment, then a WORK_HOURS one, then the default menu.

Everything is evaluated on the wall clock of the system's `timezoneId` (zoneinfo), so 09:00-17:00 is
09:00-17:00 local on both sides of a DST change. Each occurrence is a contiguous interval of real time
from `instant(start)` to `instant(end)`, where `instant` maps a wall-clock time to a UTC instant:

- a time that does not exist (the spring-forward gap, 02:30 in New York) maps to the instant the clock
  jumps, i.e. the first moment the wall clock reads later than it: a range starting 02:30 opens at
  03:00 EDT; a range lying wholly inside the gap (02:00-02:30) never happens that day;
- a time that occurs twice (fall back, 01:30 in New York) maps to its first occurrence (RFC 5545 does
  the same): a range 01:30-03:00 runs from 01:30 EDT to 03:00 EST, through the repeated hour.

That mapping never goes backwards as the wall clock advances, so ranges that do not overlap on the
wall clock never overlap in real time and adjacent ranges stay adjacent: `overlaps` can reason on the
wall clock alone, and `active` and `timeline` agree at every instant because both use these intervals.
"""

from __future__ import annotations

import datetime
import re
import zoneinfo
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

UTC = datetime.UTC
DAY = datetime.timedelta(days=1)
MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY

WORK_HOURS = "WORK_HOURS"
SPECIAL_DAY = "SPECIAL_DAY"
DEFAULT = "DEFAULT"
TYPES = (WORK_HOURS, SPECIAL_DAY)
# Index i is `date.weekday() == i`. The same values as autoattendant.choices (Weekday, Ordinal),
# repeated here so that this module imports nothing from Django.
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
ORDINALS = ("FIRST", "SECOND", "THIRD", "FOURTH", "LAST")

MAX_WEEKLY_RANGES = 50
MAX_DATES = 100
MAX_RANGE_DAYS = 366  # a one-off date range, inclusive; longer closures are several entries
MIN_YEAR, MAX_YEAR = 1900, 2999
# Whether two yearly rules ever fall on the same day depends only on the year's weekday of 1 January
# and whether it and the next year are leap years: any 28 consecutive years in 1901-2099 show them all.
YEAR_CYCLE = range(2001, 2029)

_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The precedence of each type: lower answers first.
_RANK = {SPECIAL_DAY: 0, WORK_HOURS: 1}


class ScheduleError(ValueError):
    """A schedule's shape is wrong: `field` names where (`weeklyRanges[0].start`), `message` what."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


# Validation.


def validate(schedule: dict[str, Any]) -> dict[str, Any]:
    """The schedule with `type`, `weeklyRanges` and `dates` checked and normalised (other keys as
    given); raises ScheduleError for the first thing wrong."""
    if not isinstance(schedule, dict):
        raise ScheduleError("schedule", "Must be an object.")
    kind = schedule.get("type")
    if kind not in TYPES:
        raise ScheduleError("type", f"Must be one of {', '.join(TYPES)}.")
    ranges = _list(schedule.get("weeklyRanges"), "weeklyRanges", MAX_WEEKLY_RANGES)
    dates = _list(schedule.get("dates"), "dates", MAX_DATES)
    if kind == WORK_HOURS:
        if not ranges:
            raise ScheduleError("weeklyRanges", "A WORK_HOURS schedule needs at least one weekly range.")
        if dates:
            raise ScheduleError("dates", "Only a SPECIAL_DAY schedule has dates.")
    elif not dates:
        raise ScheduleError("dates", "A SPECIAL_DAY schedule needs at least one date.")
    return {
        **schedule,
        "type": kind,
        "weeklyRanges": [_weekly_range(item, f"weeklyRanges[{i}]") for i, item in enumerate(ranges)],
        "dates": [_date_entry(item, f"dates[{i}]") for i, item in enumerate(dates)],
    }


def _list(value: Any, field: str, limit: int) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ScheduleError(field, "Must be a list.")
    if len(value) > limit:
        raise ScheduleError(field, f"At most {limit} entries.")
    return value


def _only(entry: dict, field: str, allowed: set[str]) -> None:
    for key in entry:
        if key not in allowed:
            raise ScheduleError(f"{field}.{key}", f"Unknown key; expected {', '.join(sorted(allowed))}.")


def _weekly_range(item: Any, field: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise ScheduleError(field, 'Must be an object: {"days": [...], "start": "HH:MM", "end": "HH:MM"}.')
    _only(item, field, {"days", "start", "end"})
    days = item.get("days")
    if not isinstance(days, list) or not days:
        raise ScheduleError(f"{field}.days", f"Must be a non-empty list of {', '.join(WEEKDAYS)}.")
    picked = set()
    for day in days:
        name = day.strip().upper() if isinstance(day, str) else None
        if name not in WEEKDAYS:
            raise ScheduleError(f"{field}.days", f"{day!r} is not one of {', '.join(WEEKDAYS)}.")
        picked.add(WEEKDAYS.index(name))
    start = _time(item.get("start"), f"{field}.start", allow_midnight_end=False)
    end = _time(item.get("end"), f"{field}.end", allow_midnight_end=True)
    if start == end:
        raise ScheduleError(f"{field}.end", "Must differ from start (00:00-24:00 is the whole day).")
    return {"days": [WEEKDAYS[i] for i in sorted(picked)], "start": start, "end": end}


def _time(value: Any, field: str, *, allow_midnight_end: bool) -> str:
    if isinstance(value, str) and (_TIME.match(value) or (allow_midnight_end and value == "24:00")):
        return value
    hint = " (or 24:00 for the end of the day)" if allow_midnight_end else ""
    raise ScheduleError(field, f"Must be a time HH:MM from 00:00 to 23:59{hint}.")


def _int(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ScheduleError(field, f"Must be a whole number from {low} to {high}.")
    return value


def _bool(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ScheduleError(field, "Must be true or false.")


def _iso_date(value: Any, field: str) -> datetime.date:
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            parsed = datetime.date.fromisoformat(value)
        except ValueError:
            pass
        else:
            if MIN_YEAR <= parsed.year <= MAX_YEAR:
                return parsed
    raise ScheduleError(field, f"Must be a date YYYY-MM-DD in the years {MIN_YEAR} to {MAX_YEAR}.")


def _date_entry(entry: Any, field: str) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise ScheduleError(field, "Must be an object: {start, end}, {month, day} or {month, weekday, ordinal}.")
    recur = _bool(entry.get("recurYearly", False), f"{field}.recurYearly")
    if "start" in entry or "end" in entry:
        _only(entry, field, {"start", "end", "recurYearly"})
        start = _iso_date(entry.get("start"), f"{field}.start")
        end = _iso_date(entry.get("end", entry.get("start")), f"{field}.end")
        if end < start:
            raise ScheduleError(f"{field}.end", "Must be on or after start.")
        if recur and (end - start).days >= 365:
            raise ScheduleError(f"{field}.end", "A yearly range must be shorter than a year.")
        if (end - start).days >= MAX_RANGE_DAYS:
            raise ScheduleError(f"{field}.end", f"A date range spans at most {MAX_RANGE_DAYS} days.")
        return {"start": start.isoformat(), "end": end.isoformat(), "recurYearly": recur}

    if "weekday" in entry or "ordinal" in entry:
        _only(entry, field, {"month", "weekday", "ordinal", "recurYearly", "year"})
        month = _int(entry.get("month"), f"{field}.month", 1, 12)
        weekday = entry.get("weekday")
        weekday = weekday.strip().upper() if isinstance(weekday, str) else weekday
        if weekday not in WEEKDAYS:
            raise ScheduleError(f"{field}.weekday", f"Must be one of {', '.join(WEEKDAYS)}.")
        ordinal = entry.get("ordinal")
        ordinal = ordinal.strip().upper() if isinstance(ordinal, str) else ordinal
        if ordinal not in ORDINALS:
            raise ScheduleError(f"{field}.ordinal", f"Must be one of {', '.join(ORDINALS)}.")
        out: dict[str, Any] = {"month": month, "weekday": weekday, "ordinal": ordinal, "recurYearly": recur}
        return _with_year(out, entry, field, recur)

    if "month" in entry or "day" in entry:
        _only(entry, field, {"month", "day", "recurYearly", "year"})
        month = _int(entry.get("month"), f"{field}.month", 1, 12)
        day = _int(entry.get("day"), f"{field}.day", 1, 31)
        out = _with_year({"month": month, "day": day, "recurYearly": recur}, entry, field, recur)
        try:  # 29 February recurs in leap years only; a one-off date must exist
            datetime.date(out.get("year", 2000), month, day)
        except ValueError:
            raise ScheduleError(f"{field}.day", f"Month {month} has no day {day}.") from None
        return out

    raise ScheduleError(field, "Give start and end, month and day, or month, weekday and ordinal.")


def _with_year(out: dict[str, Any], entry: dict, field: str, recur: bool) -> dict[str, Any]:
    if recur:
        if "year" in entry:
            raise ScheduleError(f"{field}.year", "A date that recurs yearly takes no year.")
    else:
        if "year" not in entry:
            raise ScheduleError(f"{field}.year", "Required unless recurYearly is true.")
        out["year"] = _int(entry["year"], f"{field}.year", MIN_YEAR, MAX_YEAR)
    return out


# Compiled forms.


@dataclass(frozen=True, slots=True)
class _Range:
    days: frozenset[int]
    start: int  # minutes after midnight
    end: int  # minutes after the start day's midnight: past 1440 when it runs overnight


@dataclass(frozen=True, slots=True)
class _DateRule:
    kind: str  # "range", "day" or "ordinal"
    recur: bool
    year: int | None = None
    month: int = 0
    day: int = 0
    weekday: int = 0
    ordinal: int = 0  # index in ORDINALS
    first: datetime.date | None = None  # range: as given (the template of a yearly one)
    last: datetime.date | None = None


@dataclass(frozen=True, slots=True)
class _Schedule:
    index: int
    sid: str | None
    type: str
    menu_sid: str | None
    ranges: tuple[_Range, ...]
    rules: tuple[_DateRule, ...]

    @property
    def rank(self) -> tuple[int, int]:
        return (_RANK[self.type], self.index)


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _compile(schedule: dict[str, Any], index: int = 0) -> _Schedule:
    clean = validate(schedule)
    ranges = []
    for item in clean["weeklyRanges"]:
        start, end = _minutes(item["start"]), _minutes(item["end"])
        ranges.append(
            _Range(frozenset(WEEKDAYS.index(d) for d in item["days"]), start, end if end > start else end + 1440)
        )
    rules = []
    for item in clean["dates"]:
        if "start" in item:
            first, last = datetime.date.fromisoformat(item["start"]), datetime.date.fromisoformat(item["end"])
            rules.append(_DateRule("range", item["recurYearly"], first=first, last=last))
        elif "ordinal" in item:
            rules.append(
                _DateRule(
                    "ordinal",
                    item["recurYearly"],
                    item.get("year"),
                    month=item["month"],
                    weekday=WEEKDAYS.index(item["weekday"]),
                    ordinal=ORDINALS.index(item["ordinal"]),
                )
            )
        else:
            rules.append(_DateRule("day", item["recurYearly"], item.get("year"), month=item["month"], day=item["day"]))
    return _Schedule(index, clean.get("sid"), clean["type"], clean.get("menuSid"), tuple(ranges), tuple(rules))


def _compile_all(schedules: Iterable[dict[str, Any]]) -> list[_Schedule]:
    return [_compile(schedule, index) for index, schedule in enumerate(schedules)]


def _zone(timezone_id: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(timezone_id)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise ScheduleError("timezoneId", f"Unknown time zone {timezone_id!r}.") from None


# Dates.


def _nth_weekday(year: int, month: int, weekday: int, ordinal: int) -> datetime.date:
    if ordinal == ORDINALS.index("LAST"):
        following = datetime.date(year + (month == 12), month % 12 + 1, 1)
        last = following - DAY
        return last - datetime.timedelta(days=(last.weekday() - weekday) % 7)
    first = datetime.date(year, month, 1)
    return first + datetime.timedelta(days=(weekday - first.weekday()) % 7 + 7 * ordinal)


def _matches(rule: _DateRule, day: datetime.date) -> bool:
    if rule.kind == "range":
        assert rule.first is not None and rule.last is not None
        if not rule.recur:
            return rule.first <= day <= rule.last
        key, low, high = (day.month, day.day), (rule.first.month, rule.first.day), (rule.last.month, rule.last.day)
        if rule.first.year == rule.last.year:
            return low <= key <= high
        return key >= low or key <= high  # across the year end
    if rule.year is not None and day.year != rule.year:
        return False
    if day.month != rule.month:
        return False
    if rule.kind == "day":
        return day.day == rule.day
    return day.weekday() == rule.weekday and day == _nth_weekday(day.year, day.month, rule.weekday, rule.ordinal)


def _clamped(year: int, month: int, day: int, *, later: bool) -> datetime.date:
    """29 February of a year that has none: the day after (a range's first day) or before (its last)."""
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return datetime.date(year, 3, 1) if later else datetime.date(year, 2, 28)


def _dates(rule: _DateRule, years: Iterable[int]) -> Iterator[datetime.date]:
    """Every day the rule covers: all of a one-off's, a yearly rule's in (or starting in) `years`."""
    if rule.kind == "range":
        assert rule.first is not None and rule.last is not None
        spans = [(rule.first, rule.last)]
        if rule.recur:
            wrap = rule.last.year - rule.first.year
            spans = [
                (
                    _clamped(year, rule.first.month, rule.first.day, later=True),
                    _clamped(year + wrap, rule.last.month, rule.last.day, later=False),
                )
                for year in years
            ]
        for first, last in spans:
            day = first
            while day <= last:
                yield day
                day += DAY
        return
    for year in [rule.year] if rule.year is not None else years:
        if rule.kind == "ordinal":
            yield _nth_weekday(year, rule.month, rule.weekday, rule.ordinal)
        else:
            try:
                yield datetime.date(year, rule.month, rule.day)
            except ValueError:  # 29 February, not a leap year
                pass


# Wall clock and instants.


def _wall(schedule: _Schedule, day: datetime.date, *, known_match: bool = False) -> list[tuple[datetime.datetime, ...]]:
    """The schedule's wall-clock intervals (naive local datetimes) that start on `day`."""
    midnight = datetime.datetime.combine(day, datetime.time())
    if schedule.type == SPECIAL_DAY:
        if not known_match and not any(_matches(rule, day) for rule in schedule.rules):
            return []
        if not schedule.ranges:
            return [(midnight, midnight + DAY)]
    weekday = day.weekday()
    return [
        (midnight + datetime.timedelta(minutes=r.start), midnight + datetime.timedelta(minutes=r.end))
        for r in schedule.ranges
        if weekday in r.days
    ]


def _instant(zone: zoneinfo.ZoneInfo, wall: datetime.datetime) -> datetime.datetime:
    """The UTC instant of a local wall-clock time (see the module docstring for gaps and repeats)."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if first <= second:
        return first  # the only occurrence, or the earlier of two (fall back)
    # In a gap zoneinfo reads fold=0 with the offset from before the jump and fold=1 with the one
    # after, so the jump lies in (second, first]: find the first second that has the later offset.
    target = first.astimezone(zone).utcoffset()
    low, high = int(second.timestamp()), int(first.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.datetime.fromtimestamp(middle, zone).utcoffset() == target:
            high = middle
        else:
            low = middle
    return datetime.datetime.fromtimestamp(high, UTC)


def _aware(value: datetime.datetime, name: str) -> datetime.datetime:
    if not isinstance(value, datetime.datetime) or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    return value.astimezone(UTC)


def _answer(schedule: _Schedule | None, default_menu_sid: str | None) -> dict[str, Any]:
    if schedule is None:
        return {"menuSid": default_menu_sid, "scheduleSid": None, "type": DEFAULT}
    return {"menuSid": schedule.menu_sid, "scheduleSid": schedule.sid, "type": schedule.type}


# The public functions.


def active(
    schedules: Sequence[dict[str, Any]],
    timezone_id: str,
    default_menu_sid: str | None,
    at: datetime.datetime,
) -> dict[str, Any]:
    """`{"menuSid", "scheduleSid", "type"}` answering at the aware datetime `at`: the SPECIAL_DAY
    covering it, else the WORK_HOURS one, else the default menu (type DEFAULT, scheduleSid None).
    Between two schedules of one type (the API refuses such overlaps) the earlier in the list wins."""
    zone = _zone(timezone_id)
    moment = _aware(at, "at")
    today = moment.astimezone(zone).date()
    best: _Schedule | None = None
    for schedule in _compile_all(schedules):
        if best is not None and schedule.rank > best.rank:
            continue
        # An occurrence starts at most a day (an overnight range) before the local day; two days
        # back and one ahead also cover clocks that jump by a whole day (Pacific/Apia, 2011).
        for offset in (-2, -1, 0, 1):
            if any(
                _instant(zone, start) <= moment < _instant(zone, end)
                for start, end in _wall(schedule, today + datetime.timedelta(days=offset))
            ):
                best = schedule
                break
    return _answer(best, default_menu_sid)


def timeline(
    schedules: Sequence[dict[str, Any]],
    timezone_id: str,
    default_menu_sid: str | None,
    start: datetime.datetime,
    days: int,
) -> list[dict[str, Any]]:
    """The consecutive intervals from `start` through `days` local days (a week that springs forward
    is 167 hours) in which one menu answers: `[{"start", "end", "menuSid", "scheduleSid", "type"}]`,
    start and end aware UTC datetimes; adjacent intervals with the same schedule and menu are merged."""
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValueError("days must be a positive whole number")
    zone = _zone(timezone_id)
    begin = _aware(start, "start")
    local_begin = begin.astimezone(zone).replace(tzinfo=None)
    end = max(_instant(zone, local_begin + datetime.timedelta(days=days)), begin + datetime.timedelta(seconds=1))
    compiled = _compile_all(schedules)

    # Every occurrence clipped to the window, as +1/-1 events of its schedule.
    events: list[tuple[datetime.datetime, int, int]] = []
    day = local_begin.date() - datetime.timedelta(days=2)
    last_day = end.astimezone(zone).date() + DAY
    while day <= last_day:
        for schedule in compiled:
            for wall_start, wall_end in _wall(schedule, day):
                low, high = max(_instant(zone, wall_start), begin), min(_instant(zone, wall_end), end)
                if low < high:
                    events.append((low, 1, schedule.index))
                    events.append((high, -1, schedule.index))
        day += DAY
    events.sort(key=lambda event: event[0])

    by_index = {schedule.index: schedule for schedule in compiled}
    covering: dict[int, int] = {}
    intervals: list[dict[str, Any]] = []
    cursor, position = begin, 0
    while cursor < end:
        while position < len(events) and events[position][0] <= cursor:
            _, delta, index = events[position]
            covering[index] = covering.get(index, 0) + delta
            if not covering[index]:
                del covering[index]
            position += 1
        following = events[position][0] if position < len(events) else end
        winner = min((by_index[index] for index in covering), key=lambda s: s.rank, default=None)
        answer = _answer(winner, default_menu_sid)
        if intervals and all(intervals[-1][key] == answer[key] for key in answer):
            intervals[-1]["end"] = min(following, end)
        else:
            intervals.append({"start": cursor, "end": min(following, end), **answer})
        cursor = following
    return intervals


def overlaps(a: dict[str, Any], b: dict[str, Any], timezone_id: str) -> bool:
    """Whether two schedules of the same type ever cover the same moment (different types may: the
    SPECIAL_DAY wins). Decided on the wall clock, which is exact since wall-clock-disjoint ranges are
    disjoint in real time (module docstring); `timezone_id` is checked for symmetry with the others."""
    _zone(timezone_id)
    first, second = _compile(a), _compile(b)
    if first.type != second.type:
        return False
    if first.type == WORK_HOURS:
        return _intersect(_week_intervals(first), _week_intervals(second))

    # SPECIAL_DAY: the days each covers, in the years where they can meet: those of any one-off
    # date (and either side of it), plus a whole calendar cycle when both recur.
    years: set[int] = set()
    for rule in (*first.rules, *second.rules):
        if not rule.recur:
            if rule.kind == "range" and rule.first is not None and rule.last is not None:
                low, high = rule.first.year, rule.last.year
            elif rule.year is not None:
                low = high = rule.year
            else:
                continue  # a one-off rule always names its year (parsed so)
            years.update(range(low - 1, high + 2))
    if any(rule.recur for rule in first.rules) and any(rule.recur for rule in second.rules):
        years.update(YEAR_CYCLE)
    years |= {year - 1 for year in years}
    days_a = {day for rule in first.rules for day in _dates(rule, sorted(years))}
    days_b = {day for rule in second.rules for day in _dates(rule, sorted(years))}

    def near(day: datetime.date, other: set[datetime.date]) -> bool:
        # An overnight range reaches into the next day, so neighbouring days can meet too.
        return day in other or day - DAY in other or day + DAY in other

    walls_a = [w for day in days_a if near(day, days_b) for w in _wall(first, day, known_match=True)]
    walls_b = [w for day in days_b if near(day, days_a) for w in _wall(second, day, known_match=True)]
    return _intersect(walls_a, walls_b)


def _week_intervals(schedule: _Schedule) -> list[tuple[int, int]]:
    """Weekly ranges as minutes of a Monday-to-Sunday week; one running past Sunday wraps to Monday."""
    out = []
    for r in schedule.ranges:
        for weekday in r.days:
            start, end = weekday * MINUTES_PER_DAY + r.start, weekday * MINUTES_PER_DAY + r.end
            if end <= MINUTES_PER_WEEK:
                out.append((start, end))
            else:
                out.extend([(start, MINUTES_PER_WEEK), (0, end - MINUTES_PER_WEEK)])
    return out


def _intersect(first: Sequence[tuple[Any, ...]], second: Sequence[tuple[Any, ...]]) -> bool:
    """Whether any half-open interval of one list meets one of the other."""
    first, second = sorted(first), sorted(second)
    i = j = 0
    while i < len(first) and j < len(second):
        (start_a, end_a), (start_b, end_b) = first[i], second[j]
        if max(start_a, start_b) < min(end_a, end_b):
            return True
        if end_a <= end_b:
            i += 1
        else:
            j += 1
    return False

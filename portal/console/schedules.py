"""Schedules of one AA system: the week of work hours, special days and holidays in words, and which
menu answers over the next 14 days. Every rule is the schedules service's; the form only maps its
fields to the service's shape (`weeklyRanges`, `dates`) and puts the service's errors next to them."""

from __future__ import annotations

import datetime
import re
import zoneinfo
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views import View

from autoattendant import scheduling
from autoattendant.choices import Ordinal, ScheduleType, Weekday
from autoattendant.errors import AAError, Code
from autoattendant.models import Menu, Schedule
from autoattendant.services import schedules
from autoattendant.services.access import access_system
from portal.console.base import ConsoleMixin, add_service_error, fetch, refused

WEEKDAYS = scheduling.WEEKDAYS  # MON … SUN, index = date.weekday()
DAY_NAMES = dict(Weekday.choices)
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
MIN_SLOTS, MAX_SLOTS = 2, 10  # time ranges per weekday in the form (morning and afternoon at least)
MIN_ROWS = 5  # special-day rows in the form
TIMELINE_DAYS = 14
COLOURS = 8  # .menu-c0 … .menu-c7 in schedules.css
FIELDS = {Code.MENU_NOT_FOUND: "menu"}

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _now() -> datetime.datetime:
    """Now, to the minute: where the timeline starts (tests move it)."""
    return timezone.now().replace(second=0, microsecond=0)


# Words: how a schedule reads on the page.


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def days_in_words(days: list[str]) -> str:
    """MON TUE WED FRI -> "Mon–Wed, Fri": runs of three or more days are spans."""
    indexes = sorted(WEEKDAYS.index(day) for day in days)
    if len(indexes) == 7:
        return "Every day"
    runs: list[list[int]] = []
    for index in indexes:
        if runs and index == runs[-1][-1] + 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    words = []
    for run in runs:
        names = [DAY_NAMES[WEEKDAYS[i]][:3] for i in run]
        words.append(f"{names[0]}–{names[-1]}" if len(run) > 2 else ", ".join(names))
    return ", ".join(words)


def span_in_words(start: str, end: str) -> str:
    """09:00–17:00; an end before the start runs into the next morning."""
    return f"{start}–{end}" + (" (next day)" if end != "24:00" and _minutes(end) <= _minutes(start) else "")


def range_in_words(item: dict[str, Any], *, with_days: bool = True) -> str:
    times = span_in_words(item["start"], item["end"])
    if not with_days or len(item["days"]) == 7:
        return times if not with_days else f"Every day {times}"
    return f"{days_in_words(item['days'])} {times}"


def _day_month(month: int, day: int) -> str:
    return f"{day} {MONTHS[month - 1]}"


def date_in_words(entry: dict[str, Any]) -> str:
    """One `dates` entry as people say it: "25 December every year", "Last Monday of May every year"."""
    recur = entry.get("recurYearly", False)
    if "start" in entry:
        first, last = datetime.date.fromisoformat(entry["start"]), datetime.date.fromisoformat(entry["end"])
        if recur:
            if first == last:
                return f"{_day_month(first.month, first.day)} every year"
            return f"{_day_month(first.month, first.day)} to {_day_month(last.month, last.day)} every year"
        return entry["start"] if first == last else f"{entry['start']} to {entry['end']}"
    if "ordinal" in entry:
        rule = f"{Ordinal(entry['ordinal']).label} {Weekday(entry['weekday']).label} of {MONTHS[entry['month'] - 1]}"
        return f"{rule} every year" if recur else f"{rule} {entry['year']}"
    if recur:
        return f"{_day_month(entry['month'], entry['day'])} every year"
    return datetime.date(entry["year"], entry["month"], entry["day"]).isoformat()


def hours_in_words(schedule: Schedule) -> str:
    """A special day's hours: all day, or only its weekly ranges on those days."""
    if not schedule.weekly_ranges:
        return "All day"
    return "; ".join(range_in_words(item, with_days=len(item["days"]) < 7) for item in schedule.weekly_ranges)


# The page: week grid, special days, timeline.


class Palette:
    """One colour per menu, the same in the week grid and the timeline."""

    def __init__(self):
        self.colours: dict[str | None, str] = {}

    def __call__(self, menu_sid: str | None) -> str:
        if menu_sid not in self.colours:
            self.colours[menu_sid] = f"menu-c{len(self.colours) % COLOURS}"
        return self.colours[menu_sid]


def _percent(minutes: int) -> str:
    return f"{minutes * 100 / scheduling.MINUTES_PER_DAY:.4f}"


def week_grid(work_hours: list[Schedule], colour: Palette) -> list[dict[str, Any]]:
    """Monday to Sunday, each with the blocks of the work-hours ranges on it (an overnight range is
    two blocks: to midnight, then the next morning), as percentages of the day."""
    days = [{"code": code, "name": DAY_NAMES[code], "short": DAY_NAMES[code][:3], "blocks": []} for code in WEEKDAYS]
    for schedule in work_hours:
        for item in schedule.weekly_ranges:
            start, end = _minutes(item["start"]), _minutes(item["end"])
            end = end if end > start else end + scheduling.MINUTES_PER_DAY
            for code in item["days"]:
                index = WEEKDAYS.index(code)
                pieces = [(index, start, min(end, scheduling.MINUTES_PER_DAY))]
                if end > scheduling.MINUTES_PER_DAY:
                    pieces.append(((index + 1) % 7, 0, end - scheduling.MINUTES_PER_DAY))
                for day, low, high in pieces:
                    days[day]["blocks"].append(
                        {
                            "schedule": schedule,
                            "menu": schedule.menu.name,
                            "times": f"{_clock(low)}–{_clock(high)}",
                            "start": _percent(low),
                            "length": _percent(high - low),
                            "colour": colour(schedule.menu.sid),
                            "order": low,
                        }
                    )
    for day in days:
        day["blocks"].sort(key=lambda block: block["order"])
    return days


def timeline_days(
    timeline: dict[str, Any], menus: dict[str, str], names: dict[str, str], colour: Palette
) -> list[dict[str, Any]]:
    """The service's intervals cut at local midnights: per local day, the spans and who answers."""
    zone = zoneinfo.ZoneInfo(timeline["timezoneId"])
    days: dict[datetime.date, list[dict[str, Any]]] = {}
    for interval in timeline["intervals"]:
        cursor, end = interval["start"].astimezone(zone), interval["end"].astimezone(zone)
        while cursor < end:
            midnight = datetime.datetime.combine(cursor.date() + scheduling.DAY, datetime.time(), tzinfo=zone)
            stop = min(end, midnight) if midnight > cursor else end
            stop = stop.astimezone(datetime.UTC).astimezone(zone)  # the wall clock as it really reads
            if interval["type"] == scheduling.DEFAULT:
                why = "Default menu" if interval["menuSid"] else "No schedule applies and no default menu is set"
            else:
                kind = ScheduleType(interval["type"]).label
                why = f"{kind}: {names.get(interval['scheduleSid'], interval['scheduleSid'])}"
            days.setdefault(cursor.date(), []).append(
                {
                    "start": cursor.strftime("%H:%M"),
                    "end": "24:00" if stop.date() > cursor.date() else stop.strftime("%H:%M"),
                    "menu": menus.get(interval["menuSid"], interval["menuSid"]) if interval["menuSid"] else "No menu",
                    "why": why,
                    "type": interval["type"],
                    "colour": colour(interval["menuSid"]),
                }
            )
            cursor = stop
    return [{"date": date, "spans": spans} for date, spans in days.items()]


class SchedulePage(ConsoleMixin, View):
    def get(self, request, sid):
        system = fetch(access_system, request.user, sid)
        rows = list(Schedule.objects.filter(aa_system=system).select_related("menu").order_by("date_created", "id"))
        colour = Palette()
        if system.default_menu_id:
            colour(system.default_menu.sid)
        work_hours = [s for s in rows if s.type == scheduling.WORK_HOURS]
        special_days = [
            {"schedule": s, "dates": [date_in_words(entry) for entry in s.dates], "hours": hours_in_words(s)}
            for s in rows
            if s.type == scheduling.SPECIAL_DAY
        ]
        for schedule in work_hours:
            schedule.words = [range_in_words(item) for item in schedule.weekly_ranges]
        timeline = schedules.menu_timeline(request.user, system.sid, start=_now(), days=TIMELINE_DAYS)
        menus = dict(Menu.objects.filter(aa_system=system).values_list("sid", "name"))
        context = {
            "system": system,
            "tab": "schedules",
            "grid": week_grid(work_hours, colour),
            "hours": [{"label": f"{hour:02d}:00", "at": _percent(hour * 60)} for hour in range(0, 25, 3)],
            "work_hours": work_hours,
            "special_days": special_days,
            "timezone_id": timeline["timezoneId"],
            "timeline": timeline_days(timeline, menus, {s.sid: s.name for s in rows}, colour),
            "timeline_days": TIMELINE_DAYS,
        }
        return render(request, "console/schedules/page.html", context)


# The form: the service's shape, field by field.

WORK_FIELD = re.compile(r"^(?:mon|tue|wed|thu|fri|sat|sun)_(\d+)_(?:start|end)$")
ROW_FIELD = re.compile(r"^day_(\d+)_[a-z]+$")
API_FIELD = re.compile(r"^(weeklyRanges|dates)\[(\d+)\](?:\.(\w+))?$")


def _hhmm(value: datetime.time | None) -> str | None:
    return value.strftime("%H:%M") if value is not None else None


def _end(value: datetime.time | None) -> str | None:
    """An end of 00:00 is midnight at the end of the day (a time input cannot say 24:00)."""
    return "24:00" if value == datetime.time() else _hhmm(value)


def _shown(text: str) -> str:
    return "00:00" if text == "24:00" else text


def _sizes(data, schedule: Schedule | None) -> tuple[int, int]:
    """How many ranges per weekday and special-day rows the form has: enough for what is posted or
    stored, at least two ranges a day and five rows."""
    slots, rows = MIN_SLOTS, MIN_ROWS
    if data is not None:
        for key in data:
            if match := WORK_FIELD.match(key):
                slots = max(slots, min(int(match[1]), MAX_SLOTS))
            elif match := ROW_FIELD.match(key):
                rows = max(rows, min(int(match[1]), scheduling.MAX_DATES))
    elif schedule is not None:
        if schedule.type == scheduling.WORK_HOURS:
            for code in WEEKDAYS:
                count = sum(code in item["days"] for item in schedule.weekly_ranges)
                slots = max(slots, min(count, MAX_SLOTS))
        rows = max(rows, min(len(schedule.dates) + 2, scheduling.MAX_DATES))
    return slots, rows


class ScheduleForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="For you and your team, e.g. Office hours or Christmas.")
    menu = forms.ChoiceField(help_text="The menu that answers callers while this schedule applies.")
    kind = forms.ChoiceField(
        choices=ScheduleType.choices,
        help_text="Work hours repeat every week. A special day (a holiday) takes precedence over work hours.",
    )
    special_start = forms.TimeField(label="Start time", required=False, widget=TIME)
    special_end = forms.TimeField(label="End time", required=False, widget=TIME)

    def __init__(self, *args, system, slots: int = MIN_SLOTS, rows: int = MIN_ROWS, **kwargs):
        super().__init__(*args, **kwargs)
        self.system, self.slots, self.rows = system, slots, rows
        menus = Menu.objects.filter(aa_system=system).order_by("name", "id")
        self.fields["menu"].choices = [("", "Choose a menu")] + [
            (m.sid, f"{m.name} (default menu)" if m.pk == system.default_menu_id else m.name) for m in menus
        ]
        for code in WEEKDAYS:
            for slot in range(1, slots + 1):
                for end in ("start", "end"):
                    label = f"{DAY_NAMES[code]} {slot} {end}"
                    self.fields[f"{code.lower()}_{slot}_{end}"] = forms.TimeField(
                        label=label, required=False, widget=TIME
                    )
        blank = [("", "—")]
        for row in range(1, rows + 1):
            p = f"day_{row}"
            self.fields[f"{p}_date"] = forms.DateField(label="Date", required=False, widget=DATE)
            self.fields[f"{p}_until"] = forms.DateField(label="Until", required=False, widget=DATE)
            self.fields[f"{p}_yearly"] = forms.BooleanField(label="Every year", required=False)
            self.fields[f"{p}_ordinal"] = forms.ChoiceField(
                label="Occurrence", required=False, choices=blank + Ordinal.choices
            )
            self.fields[f"{p}_weekday"] = forms.ChoiceField(
                label="Weekday", required=False, choices=blank + Weekday.choices
            )
            self.fields[f"{p}_month"] = forms.ChoiceField(
                label="Month", required=False, choices=blank + [(str(i), name) for i, name in enumerate(MONTHS, 1)]
            )
            self.fields[f"{p}_year"] = forms.IntegerField(label="Year", required=False, widget=forms.NumberInput())
        self.group_errors: dict[str, list[str]] = {"work": [], "special": []}
        self.notes: list[str] = []
        self.targets: dict[str, list[str]] = {}
        self.args: dict[str, Any] = {}

    # Reading a stored schedule into the fields.

    @classmethod
    def initial_for(cls, schedule: Schedule, today: datetime.date) -> tuple[dict[str, Any], list[str]]:
        """The fields' values for a stored schedule, and notes on what the form cannot show as stored."""
        initial: dict[str, Any] = {"name": schedule.name, "menu": schedule.menu.sid, "kind": schedule.type}
        notes: list[str] = []
        if schedule.type == scheduling.WORK_HOURS:
            per_day: dict[str, list[tuple[str, str]]] = {code: [] for code in WEEKDAYS}
            for item in schedule.weekly_ranges:
                for code in item["days"]:
                    per_day[code].append((item["start"], item["end"]))
            for code, spans in per_day.items():
                for slot, (start, end) in enumerate(sorted(spans)[:MAX_SLOTS], 1):
                    initial[f"{code.lower()}_{slot}_start"] = start
                    initial[f"{code.lower()}_{slot}_end"] = _shown(end)
            return initial, notes
        ranges = schedule.weekly_ranges
        if ranges:
            initial["special_start"], initial["special_end"] = ranges[0]["start"], _shown(ranges[0]["end"])
            if len(ranges) > 1 or len(ranges[0]["days"]) < 7:
                stored = "; ".join(range_in_words(item) for item in ranges)
                notes.append(
                    f"Its hours are stored as {stored}. This form sets one time range for every listed day: "
                    "saving replaces them with the times below."
                )
        for row, entry in enumerate(schedule.dates, 1):
            p = f"day_{row}"
            initial[f"{p}_yearly"] = entry.get("recurYearly", False)
            if "start" in entry:
                initial[f"{p}_date"] = entry["start"]
                if entry["end"] != entry["start"]:
                    initial[f"{p}_until"] = entry["end"]
            elif "ordinal" in entry:
                initial.update({f"{p}_ordinal": entry["ordinal"], f"{p}_weekday": entry["weekday"]})
                initial.update({f"{p}_month": str(entry["month"]), f"{p}_year": entry.get("year")})
            else:
                initial[f"{p}_date"] = _a_date(entry.get("year"), entry["month"], entry["day"], today)
        return initial, notes

    # Rows, as the template lays them out.

    def week_rows(self):
        for code in WEEKDAYS:
            slots = [
                (self[f"{code.lower()}_{slot}_start"], self[f"{code.lower()}_{slot}_end"])
                for slot in range(1, self.slots + 1)
            ]
            yield {"name": DAY_NAMES[code], "slots": slots}

    def day_rows(self):
        for row in range(1, self.rows + 1):
            names = ("date", "until", "yearly", "ordinal", "weekday", "month", "year")
            yield {"number": row, **{name: self[f"day_{row}_{name}"] for name in names}}

    # The service's input.

    def clean(self):
        data = super().clean()
        work = data.get("kind") != scheduling.SPECIAL_DAY
        # Fields of the other kind are not sent: their input errors must not block the save.
        for name in list(self.errors):
            if (work and (name.startswith("day_") or name.startswith("special_"))) or (
                not work and WORK_FIELD.match(name)
            ):
                del self.errors[name]
        if work:
            self.args = {"weekly_ranges": self._work_ranges(data), "dates": []}
        else:
            self.args = {"weekly_ranges": self._special_ranges(data), "dates": self._dates(data)}
        self.args.update(name=data.get("name"), type=data.get("kind"), menu_sid=data.get("menu"))
        return data

    def _work_ranges(self, data) -> list[dict[str, Any]]:
        """Per weekday rows grouped into the service's ranges: days with the same times share one."""
        groups: dict[tuple[str | None, str | None], list[str]] = {}
        for code in WEEKDAYS:
            for slot in range(1, self.slots + 1):
                prefix = f"{code.lower()}_{slot}"
                start, end = data.get(f"{prefix}_start"), data.get(f"{prefix}_end")
                if start is not None or end is not None:
                    groups.setdefault((_hhmm(start), _end(end)), []).append(prefix)
        ranges = []
        for index, ((start, end), prefixes) in enumerate(groups.items()):
            days = list(dict.fromkeys(prefix[:3].upper() for prefix in prefixes))
            ranges.append({"days": days, "start": start, "end": end})
            starts, ends = [f"{p}_start" for p in prefixes], [f"{p}_end" for p in prefixes]
            for key in ("", ".start", ".days"):
                self.targets[f"weeklyRanges[{index}]{key}"] = starts
            self.targets[f"weeklyRanges[{index}].end"] = ends
        return ranges

    def _special_ranges(self, data) -> list[dict[str, Any]]:
        """Empty times: the whole day; otherwise one range on every weekday, on the listed days only."""
        start, end = data.get("special_start"), data.get("special_end")
        if start is None and end is None:
            return []
        for key in ("", ".start", ".days"):
            self.targets[f"weeklyRanges[0]{key}"] = ["special_start"]
        self.targets["weeklyRanges[0].end"] = ["special_end"]
        return [{"days": list(WEEKDAYS), "start": _hhmm(start), "end": _end(end)}]

    def _dates(self, data) -> list[dict[str, Any]]:
        dates: list[dict[str, Any]] = []
        for row in range(1, self.rows + 1):
            p = f"day_{row}"
            date, until, yearly = data.get(f"{p}_date"), data.get(f"{p}_until"), data.get(f"{p}_yearly", False)
            ordinal, weekday, month = data.get(f"{p}_ordinal"), data.get(f"{p}_weekday"), data.get(f"{p}_month")
            year = data.get(f"{p}_year")
            if not any((date, until, ordinal, weekday, month, year is not None)):
                continue
            api = f"dates[{len(dates)}]"
            if ordinal or weekday or month:
                if date or until:
                    self.add_error(f"{p}_date", "Give a date or a weekday of a month, not both.")
                    continue
                entry: dict[str, Any] = {
                    "month": int(month) if month else None,
                    "weekday": weekday or None,
                    "ordinal": ordinal or None,
                    "recurYearly": yearly,
                }
                if year is not None:
                    entry["year"] = year
                places = {"": "ordinal", "month": "month", "weekday": "weekday", "ordinal": "ordinal"}
                places.update({"year": "year", "recurYearly": "yearly"})
            else:
                if year is not None:
                    self.add_error(f"{p}_year", "A date has its own year: the year is for a weekday of a month.")
                    continue
                if yearly and date and not until:
                    entry = {"month": date.month, "day": date.day, "recurYearly": True}
                else:
                    entry = {
                        "start": date.isoformat() if date else None,
                        "end": (until or date).isoformat() if (until or date) else None,
                        "recurYearly": yearly,
                    }
                places = {"": "date", "start": "date", "end": "until" if until else "date", "recurYearly": "yearly"}
                places.update({"month": "date", "day": "date", "year": "date"})
            dates.append(entry)
            for key, field in places.items():
                self.targets[f"{api}.{key}" if key else api] = [f"{p}_{field}"]
            self.targets[f"{api}.*"] = [f"{p}_{places['']}"]
        return dates

    # The service's errors, next to the fields they concern.

    def show_service_error(self, exc: AAError) -> None:
        """Each of `exc.errors` on the fields it names; a whole list's (overlaps, "needs at least one")
        at the top of its fieldset; other errors by code, or at the top of the form."""
        if exc.error_code == Code.FORBIDDEN:
            raise PermissionDenied
        if not exc.errors:
            add_service_error(self, exc, FIELDS)
            return
        group = "work" if self.args.get("type") != scheduling.SPECIAL_DAY else "special"
        for api_name, messages_ in exc.errors.items():
            for message in messages_ if isinstance(messages_, list | tuple) else [messages_]:
                text = f"{message} ({exc.error_code.code})"
                match = API_FIELD.match(api_name)
                targets = self.targets.get(api_name)
                if targets is None and match:
                    targets = self.targets.get(f"{match[1]}[{match[2]}].*") or self.targets.get(
                        f"{match[1]}[{match[2]}]"
                    )
                if targets:
                    for field in targets:
                        self.add_error(field, text)
                elif api_name in ("weeklyRanges", "dates") or match:
                    self.group_errors[group].append(text)
                elif api_name == "type":
                    self.add_error("kind", text)
                else:
                    self.add_error(None, text)


def _a_date(year: int | None, month: int, day: int, today: datetime.date) -> datetime.date:
    """A yearly month and day as a date for the date input: this year's, or the next leap year's 29 February."""
    year = year or today.year
    while True:
        try:
            return datetime.date(year, month, day)
        except ValueError:
            year += 1


def _schedule_of(request, system, schedule_sid: str) -> Schedule:
    schedule = fetch(schedules.access_schedule, request.user, schedule_sid)
    if schedule.aa_system_id != system.pk:
        raise Http404("No such schedule in this system")
    return schedule


class ScheduleEdit(ConsoleMixin, View):
    template_name = "console/schedules/form.html"

    def render_form(self, request, system, form, schedule, status=200):
        context = {"system": system, "tab": "schedules", "form": form, "schedule": schedule}
        return render(request, self.template_name, context, status=status)

    def get(self, request, sid, schedule_sid=None):
        system = fetch(access_system, request.user, sid)
        schedule = _schedule_of(request, system, schedule_sid) if schedule_sid else None
        slots, rows = _sizes(None, schedule)
        if schedule is None:
            kind = request.GET.get("type")
            initial = {"kind": kind if kind in scheduling.TYPES else scheduling.WORK_HOURS}
            notes: list[str] = []
        else:
            today = timezone.localdate(timezone=zoneinfo.ZoneInfo(system.timezone_id))
            initial, notes = ScheduleForm.initial_for(schedule, today)
        form = ScheduleForm(system=system, slots=slots, rows=rows, initial=initial)
        form.notes = notes
        return self.render_form(request, system, form, schedule)

    def post(self, request, sid, schedule_sid=None):
        system = fetch(access_system, request.user, sid)
        schedule = _schedule_of(request, system, schedule_sid) if schedule_sid else None
        slots, rows = _sizes(request.POST, schedule)
        form = ScheduleForm(request.POST, system=system, slots=slots, rows=rows)
        if form.is_valid():
            try:
                if schedule is None:
                    saved = schedules.create_schedule(request.user, aa_system_sid=system.sid, **form.args)
                else:
                    saved = schedules.update_schedule(request.user, schedule.sid, **form.args)
            except AAError as exc:
                form.show_service_error(exc)
            else:
                messages.success(request, f"Schedule {saved.name} saved.")
                return redirect("console:schedules", system.sid)
        return self.render_form(request, system, form, schedule, status=400)


class ScheduleDelete(ConsoleMixin, View):
    def post(self, request, sid, schedule_sid):
        system = fetch(access_system, request.user, sid)
        schedule = _schedule_of(request, system, schedule_sid)
        try:
            schedules.delete_schedule(request.user, schedule.sid)
        except AAError as exc:
            refused(request, f"Schedule {schedule.name} not deleted", exc)
        else:
            messages.success(request, f"Schedule {schedule.name} deleted.")
        return redirect("console:schedules", system.sid)


urlpatterns = [
    path("systems/<str:sid>/schedules/", SchedulePage.as_view(), name="schedules"),
    path("systems/<str:sid>/schedules/new/", ScheduleEdit.as_view(), name="schedule_create"),
    path("systems/<str:sid>/schedules/<str:schedule_sid>/", ScheduleEdit.as_view(), name="schedule"),
    path("systems/<str:sid>/schedules/<str:schedule_sid>/delete/", ScheduleDelete.as_view(), name="schedule_delete"),
]

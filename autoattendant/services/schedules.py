"""Schedules: which menu answers when, in an AA system.

The shapes and the time rules are in `autoattendant.scheduling` (pure, shared with the RCML entry
endpoint); here are the tenant, menu and overlap rules, the writes, the audit trail and the republish.
Writes lock their AA system's row first, so two concurrent writes cannot both pass the overlap check.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction

from autoattendant import scheduling
from autoattendant.choices import AuditAction
from autoattendant.errors import AAError, Code
from autoattendant.models import AutoAttendantSystem, Menu, Schedule
from autoattendant.services import audit
from autoattendant.services.access import access_by_sid, access_system
from autoattendant.services.base import UNSET
from autoattendant.services.publishing import request_publish
from autoattendant.services.roles import Permissions

# Every admin of an AA system shapes its schedules.
PERMISSIONS = Permissions()


def access_schedule(user, sid, *, for_update: bool = False) -> Schedule:
    return access_by_sid(
        Schedule.objects.select_related("aa_system__enterprise", "menu"),
        user,
        sid,
        Code.SCHEDULE_NOT_FOUND,
        for_update=for_update,
    )


def as_dict(schedule: Schedule) -> dict[str, Any]:
    """The schedule as `autoattendant.scheduling` reads it (the API's and the published plan's shape)."""
    return {
        "sid": schedule.sid,
        "name": schedule.name,
        "type": schedule.type,
        "menuSid": schedule.menu.sid,
        "weeklyRanges": schedule.weekly_ranges,
        "dates": schedule.dates,
    }


def _validated(kind: Any, weekly_ranges: Any, dates: Any) -> dict[str, Any]:
    try:
        return scheduling.validate({"type": kind, "weeklyRanges": weekly_ranges, "dates": dates})
    except scheduling.ScheduleError as exc:
        raise AAError(Code.INVALID_SCHEDULE, errors={exc.field: [exc.message]}) from None


def _menu(system: AutoAttendantSystem, menu_sid: Any) -> Menu:
    """The menu, which must be one of this system's."""
    menu = None
    if isinstance(menu_sid, str) and menu_sid and "\x00" not in menu_sid:
        menu = Menu.objects.filter(sid=menu_sid, aa_system=system).first()
    if menu is None:
        raise AAError(Code.MENU_NOT_FOUND, {"sid": menu_sid})
    return menu


def _check_no_overlap(schedule: Schedule, system: AutoAttendantSystem) -> None:
    """Two schedules of one type in a system may not cover the same moment (a SPECIAL_DAY may cover
    WORK_HOURS: it takes precedence)."""
    others = Schedule.objects.filter(aa_system=system, type=schedule.type).select_related("menu")
    if schedule.pk is not None:
        others = others.exclude(pk=schedule.pk)
    mine = {"type": schedule.type, "weeklyRanges": schedule.weekly_ranges, "dates": schedule.dates}
    for other in others.order_by("date_created", "id"):
        if scheduling.overlaps(mine, as_dict(other), system.timezone_id):
            field = "weeklyRanges" if schedule.type == scheduling.WORK_HOURS else "dates"
            raise AAError(
                Code.SCHEDULE_OVERLAP,
                {"overlapsSid": other.sid, "overlapsName": other.name},
                errors={field: [f"Overlaps the {other.type} schedule {other.name!r} ({other.sid})."]},
            )


def _write(actor, schedule: Schedule, system: AutoAttendantSystem, *, menu_sid, kind, weekly_ranges, dates) -> None:
    clean = _validated(kind, weekly_ranges, dates)
    schedule.type = clean["type"]
    schedule.weekly_ranges = clean["weeklyRanges"]
    schedule.dates = clean["dates"]
    schedule.menu = _menu(system, menu_sid)
    _check_no_overlap(schedule, system)
    schedule.account_email = actor.email_id
    schedule.save()
    request_publish(system)


@transaction.atomic
def create_schedule(
    actor,
    *,
    name: str,
    aa_system_sid: str,
    type: Any = None,
    menu_sid: Any = None,
    weekly_ranges: Any = None,
    dates: Any = None,
) -> Schedule:
    PERMISSIONS.require(actor, "create")
    system = access_system(actor, aa_system_sid, for_update=True)
    schedule = Schedule(aa_system=system, name=name)
    _write(actor, schedule, system, menu_sid=menu_sid, kind=type, weekly_ranges=weekly_ranges, dates=dates)
    audit.record(actor, AuditAction.CREATE, schedule)
    return schedule


@transaction.atomic
def update_schedule(
    actor,
    sid: str,
    *,
    name=UNSET,
    aa_system_sid=UNSET,
    type=UNSET,
    menu_sid=UNSET,
    weekly_ranges=UNSET,
    dates=UNSET,
) -> Schedule:
    """Change what is given; the result is checked whole (shape, menu, overlaps)."""
    PERMISSIONS.require(actor, "update")
    schedule = access_schedule(actor, sid)
    # Lock the system before the schedule, in the order every schedule and menu write takes them.
    system = access_system(actor, schedule.aa_system.sid, for_update=True)
    schedule = access_schedule(actor, sid, for_update=True)
    if aa_system_sid is not UNSET and aa_system_sid != system.sid:
        access_system(actor, aa_system_sid)  # another tenant's system is simply not found
        raise AAError(
            Code.BAD_REQUEST,
            message="Validation failed",
            errors={"autoAttendantSid": ["A schedule cannot move to another AA system."]},
        )
    before = audit.snapshot(schedule)
    if name is not UNSET:
        schedule.name = name
    _write(
        actor,
        schedule,
        system,
        menu_sid=schedule.menu.sid if menu_sid is UNSET else menu_sid,
        kind=schedule.type if type is UNSET else type,
        weekly_ranges=schedule.weekly_ranges if weekly_ranges is UNSET else weekly_ranges,
        dates=schedule.dates if dates is UNSET else dates,
    )
    audit.record(actor, AuditAction.UPDATE, schedule, before=before)
    return schedule


@transaction.atomic
def delete_schedule(actor, sid: str) -> Schedule:
    PERMISSIONS.require(actor, "delete")
    schedule = access_schedule(actor, sid)
    system = access_system(actor, schedule.aa_system.sid, for_update=True)
    schedule = access_schedule(actor, sid, for_update=True)
    audit.record(actor, AuditAction.DELETE, schedule)
    request_publish(system)
    schedule.delete()
    return schedule


# Reading: which menu answers, from the stored schedules (not the published plan).


def _inputs(actor, system_sid: str) -> tuple[AutoAttendantSystem, list[dict[str, Any]], str | None]:
    PERMISSIONS.require(actor, "read")
    system = access_by_sid(
        AutoAttendantSystem.objects.select_related("default_menu"), actor, system_sid, Code.SYSTEM_NOT_FOUND
    )
    schedules = [
        as_dict(schedule)
        for schedule in Schedule.objects.filter(aa_system=system).select_related("menu").order_by("date_created", "id")
    ]
    return system, schedules, system.default_menu.sid if system.default_menu_id else None


def active_menu(actor, system_sid: str, at: datetime.datetime) -> dict[str, Any]:
    """`{"menuSid", "scheduleSid", "type"}` answering the system's numbers at `at`."""
    system, schedules, default_menu_sid = _inputs(actor, system_sid)
    return scheduling.active(schedules, system.timezone_id, default_menu_sid, at)


def menu_timeline(actor, system_sid: str, start: datetime.datetime, days: int) -> dict[str, Any]:
    """`{"timezoneId", "intervals": [...]}`: the menus answering from `start` through `days` local days."""
    system, schedules, default_menu_sid = _inputs(actor, system_sid)
    intervals = scheduling.timeline(schedules, system.timezone_id, default_menu_sid, start, days)
    return {"timezoneId": system.timezone_id, "intervals": intervals}

"""Menus: what a caller hears (a greeting) and may press (an action per key) in an AA system.

Every option's action is checked by the one action registry (`services.actions.validate_action`);
a menu in use (by a schedule, as its system's default menu, by another menu's or the system's
GO_TO_MENU) cannot be deleted. Menu writes lock their AA system's row first, so a menu cannot be
deleted while another write starts pointing at it.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from autoattendant import sids
from autoattendant.choices import MENU_KEYS, ActionType, AuditAction
from autoattendant.errors import AAError, Code
from autoattendant.models import Announcement, AutoAttendantSystem, Menu, Schedule
from autoattendant.services import audit
from autoattendant.services.access import access_by_sid, access_system
from autoattendant.services.actions import validate_action
from autoattendant.services.base import UNSET
from autoattendant.services.publishing import request_publish
from autoattendant.services.roles import Permissions

# Every admin of an AA system shapes its menus.
PERMISSIONS = Permissions()


def access_menu(user, sid, *, for_update: bool = False) -> Menu:
    return access_by_sid(
        Menu.objects.select_related("aa_system__enterprise", "greeting_announcement"),
        user,
        sid,
        Code.MENU_NOT_FOUND,
        for_update=for_update,
    )


def _validation_error(field: str, messages: list[str]) -> AAError:
    return AAError(Code.BAD_REQUEST, message="Validation failed", errors={field: messages})


def validate_options(options: Any, system: AutoAttendantSystem, menu: Menu | None = None) -> list[dict[str, str]]:
    """The normalised options: `[{"key", "actionType"[, "actionData"]}]`, in the order given.

    Keys are 0-9, * and #, each at most once (400 with `errors.options`); each action is checked
    against the system by the action registry, and may not go to its own menu (REPEAT_MENU does that).
    """
    if options is None:
        return []
    if not isinstance(options, list):
        raise _validation_error("options", ["Must be a list of {key, actionType, actionData} objects."])
    problems: list[str] = []
    keys: list[str] = []
    for index, option in enumerate(options):
        if not isinstance(option, dict):
            problems.append(f"options[{index}] must be an object with key, actionType and actionData.")
            keys.append("")
            continue
        key = option.get("key")
        if isinstance(key, int) and not isinstance(key, bool) and 0 <= key <= 9:
            key = str(key)  # numbers as strings, as elsewhere in the API; and the other way round
        if not isinstance(key, str) or key not in MENU_KEYS:
            problems.append(f"options[{index}]: key must be one of {', '.join(MENU_KEYS)}; got {key!r}.")
        elif key in keys:
            problems.append(f"Key {key} is given more than once.")
        keys.append(key)
    if problems:
        raise _validation_error("options", problems)

    normalised = []
    for key, option in zip(keys, options, strict=True):
        field = f"options[{key}]"
        action = validate_action(field, {name: value for name, value in option.items() if name != "key"}, system)
        if menu is not None and action["actionType"] == ActionType.GO_TO_MENU and action["actionData"] == menu.sid:
            raise AAError(
                Code.INVALID_ACTION, errors={field: ["A menu cannot go to itself; use REPEAT_MENU to play it again."]}
            )
        normalised.append({"key": key, **action})
    return normalised


def validate_menus(system: AutoAttendantSystem) -> None:
    """After the system's numbers or settings change, every menu's options must still hold."""
    for menu in Menu.objects.filter(aa_system=system).order_by("date_created", "id"):
        for option in menu.options:
            field = f"menus[{menu.sid}].options[{option.get('key')}]"
            action = {name: value for name, value in option.items() if name != "key"}
            try:
                validate_action(field, action, system)
            except AAError as exc:
                exc.errors = exc.errors or {field: [f"{exc.message}: {action.get('actionData')}"]}
                raise


def _greeting(system: AutoAttendantSystem, sid: Any) -> Announcement | None:
    """An announcement of the system's enterprise, or none (516 for anything else)."""
    if sid in (None, ""):
        return None
    if not sids.looks_like(sids.ANNOUNCEMENT, sid):
        raise AAError(Code.ANNOUNCEMENT_NOT_FOUND, {"sid": sid})
    announcement = Announcement.objects.filter(sid=sid, enterprise_id=system.enterprise_id).first()
    if announcement is None:
        raise AAError(Code.ANNOUNCEMENT_NOT_FOUND, {"sid": sid})
    return announcement


def _lock_system(menu: Menu) -> AutoAttendantSystem:
    return AutoAttendantSystem.objects.select_for_update().select_related("enterprise").get(pk=menu.aa_system_id)


@transaction.atomic
def create_menu(
    actor,
    *,
    name: str,
    aa_system_sid: str,
    greeting_announcement_sid: str | None = None,
    allow_dial_by_extension: bool = False,
    options: Any = None,
) -> Menu:
    PERMISSIONS.require(actor, "create")
    system = access_system(actor, aa_system_sid, for_update=True)
    menu = Menu(
        aa_system=system,
        name=name,
        allow_dial_by_extension=bool(allow_dial_by_extension),
        account_email=actor.email_id,
    )
    menu.greeting_announcement = _greeting(system, greeting_announcement_sid)
    menu.options = validate_options(options, system)
    menu.save()
    audit.record(actor, AuditAction.CREATE, menu)
    request_publish(system)
    return menu


@transaction.atomic
def update_menu(
    actor,
    sid: str,
    *,
    name=UNSET,
    aa_system_sid=UNSET,
    greeting_announcement_sid=UNSET,
    allow_dial_by_extension=UNSET,
    options=UNSET,
) -> Menu:
    PERMISSIONS.require(actor, "update")
    system = _lock_system(access_menu(actor, sid))
    menu = access_menu(actor, sid, for_update=True)
    before = audit.snapshot(menu)
    if aa_system_sid is not UNSET and aa_system_sid and aa_system_sid != system.sid:
        # Visible but different, or not visible at all: a menu cannot move between AA systems.
        access_system(actor, aa_system_sid)
        raise _validation_error("autoAttendantSid", ["A menu cannot move to another AA system."])
    if name is not UNSET:
        menu.name = name
    if allow_dial_by_extension is not UNSET:
        menu.allow_dial_by_extension = bool(allow_dial_by_extension)
    if greeting_announcement_sid is not UNSET:
        menu.greeting_announcement = _greeting(system, greeting_announcement_sid)
    if options is not UNSET:
        menu.options = validate_options(options, system, menu)
    menu.account_email = actor.email_id
    menu.save()
    audit.record(actor, AuditAction.UPDATE, menu, before=before)
    request_publish(system)
    return menu


def menu_users(menu: Menu) -> list[str]:
    """Where the menu is used, in words: what stops it from being deleted."""
    from autoattendant.services.systems import ACTION_FIELDS

    used_by = [
        f"schedule {sid} ({name})"
        for sid, name in Schedule.objects.filter(menu=menu).order_by("date_created", "id").values_list("sid", "name")
    ]
    system = menu.aa_system
    if system.default_menu_id == menu.pk:
        used_by.append(f"AA system {system.sid} ({system.name}) defaultMenuSid")
    for field, api_name in ACTION_FIELDS.items():
        action = getattr(system, field) or {}
        if action.get("actionType") == ActionType.GO_TO_MENU and action.get("actionData") == menu.sid:
            used_by.append(f"AA system {system.sid} ({system.name}) {api_name}")
    others = Menu.objects.filter(aa_system_id=system.pk).exclude(pk=menu.pk).order_by("date_created", "id")
    for other in others:
        for option in other.options:
            if option.get("actionType") == ActionType.GO_TO_MENU and option.get("actionData") == menu.sid:
                used_by.append(f"menu {other.sid} ({other.name}) options[{option.get('key')}]")
    return used_by


@transaction.atomic
def delete_menu(actor, sid: str) -> Menu:
    PERMISSIONS.require(actor, "delete")
    system = _lock_system(access_menu(actor, sid))
    menu = access_menu(actor, sid, for_update=True)
    menu.aa_system = system
    used_by = menu_users(menu)
    if used_by:
        raise AAError(Code.MENU_IN_USE, {"sid": sid}, errors={"usedBy": used_by})
    audit.record(actor, AuditAction.DELETE, menu)
    menu.delete()
    request_publish(system)
    return menu

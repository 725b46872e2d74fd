"""Validation of stored actions (`{"actionType", "actionData"}`) against the action registry.

Every place that stores an action (the AA system's policies now, menu keys later) calls
`validate_action`, so an action that names a target outside its enterprise and system, or the
wrong kind of target, is refused with a coded error.
"""

from __future__ import annotations

from typing import Any

from autoattendant import sids
from autoattendant.choices import ACTION_TARGETS, ActionTarget, ActionType
from autoattendant.errors import AAError, Code
from autoattendant.services.field_rules import E164


def _announcement_exists(system, sid: str) -> bool:
    from autoattendant.models import Announcement

    return Announcement.objects.filter(sid=sid, enterprise_id=system.enterprise_id).exists()


def _menu_exists(system, sid: str) -> bool:
    from autoattendant.models import Menu

    return Menu.objects.filter(sid=sid, aa_system_id=system.pk).exists()


def validate_action(field: str, value: Any, system) -> dict[str, str]:
    """Return the normalised action, or raise the coded error for what is wrong with it."""
    if not isinstance(value, dict):
        raise AAError(Code.INVALID_ACTION, errors={field: ["Must be an object with actionType and actionData."]})
    unknown_keys = set(value) - {"actionType", "actionData"}
    if unknown_keys:
        raise AAError(Code.INVALID_ACTION, errors={field: [f"Unknown keys: {', '.join(sorted(unknown_keys))}."]})
    action_type = value.get("actionType")
    if not isinstance(action_type, str) or action_type not in ActionType.values:
        raise AAError(
            Code.UNKNOWN_ACTION_TYPE,
            errors={field: [f"actionType must be one of {', '.join(ActionType.values)}."]},
        )
    target = ACTION_TARGETS[action_type]
    data = value.get("actionData")
    if data in ("", None):
        data = None
    if target == ActionTarget.OPTIONAL_EXTENSION:
        if data is None:
            return {"actionType": action_type}
        if not isinstance(data, str):
            raise AAError(Code.INVALID_ACTION, errors={field: [f"{action_type} takes {target.label}."]})
        validate_extension_target(data, system)
        return {"actionType": action_type, "actionData": data}
    if target == ActionTarget.NONE:
        if data is not None:
            raise AAError(Code.INVALID_ACTION, errors={field: [f"{action_type} takes no actionData."]})
        return {"actionType": action_type}
    if not isinstance(data, str):
        raise AAError(Code.INVALID_ACTION, errors={field: [f"{action_type} needs actionData: {target.label}."]})

    if target == ActionTarget.E164:
        if not E164.fullmatch(data):
            raise AAError(
                Code.INVALID_ACTION, errors={field: ["actionData must be an E.164 number such as +14155550100."]}
            )
    elif target == ActionTarget.ANNOUNCEMENT:
        if not sids.looks_like(sids.ANNOUNCEMENT, data) or not _announcement_exists(system, data):
            raise AAError(Code.ANNOUNCEMENT_NOT_FOUND, {"sid": data})
    elif target == ActionTarget.MENU:
        if not sids.looks_like(sids.MENU, data) or not _menu_exists(system, data):
            raise AAError(Code.MENU_NOT_FOUND, {"sid": data})
    elif target == ActionTarget.EXTENSION:
        validate_extension_target(data, system)
    return {"actionType": action_type, "actionData": data}


def validate_extension_target(sid: str, system):
    """The extension (a PhoneNumber) of this AA system named by `sid`: 491, 493 or 518 otherwise."""
    from autoattendant.models import PhoneNumber

    number = PhoneNumber.objects.filter(sid=sid, enterprise_id=system.enterprise_id).first()
    if number is None:
        raise AAError(Code.PHONE_NUMBER_NOT_FOUND, {"sid": sid})
    if not number.is_extension:
        raise AAError(Code.NOT_AN_EXTENSION, {"sid": sid})
    if number.aa_system_id != system.pk:
        raise AAError(Code.EXTENSION_NOT_IN_SYSTEM, {"sid": sid})
    return number

"""Choosing an action in a form (a menu key, a system's timeout policy): its type and what it names.

Each action is three form fields: `<prefix>_type` (the action types of autoattendant.choices),
`<prefix>_target` (an announcement, menu or extension of the system) and `<prefix>_number` (an E.164
number, for a transfer to a number). The service validates the action; this only gathers it.
"""

from __future__ import annotations

from django import forms

from autoattendant.choices import ACTION_TARGETS, ActionTarget, ActionType
from autoattendant.models import Announcement, AutoAttendantSystem

NEEDS_TARGET = {ActionTarget.ANNOUNCEMENT, ActionTarget.MENU, ActionTarget.EXTENSION, ActionTarget.OPTIONAL_EXTENSION}


def target_choices(system: AutoAttendantSystem) -> list:
    """The things an action may name in this system, grouped for a <select>."""
    announcements = Announcement.objects.filter(enterprise_id=system.enterprise_id).order_by("name", "id")
    menus = system.menus.order_by("name", "id")
    extensions = system.phone_numbers.filter(is_extension=True).order_by("extension", "number")
    return [
        ("", "—"),
        ("Announcements", [(a.sid, a.name) for a in announcements]),
        ("Menus", [(m.sid, m.name) for m in menus]),
        ("Extensions", [(e.sid, f"{e.extension or e.number} {e.extension_spoken_name or e.friendly_name}".strip())
                        for e in extensions]),
    ]  # fmt: skip


def add_action_fields(form: forms.Form, prefix: str, label: str, targets: list, *, required: bool = False) -> None:
    types = ([] if required else [("", "Nothing")]) + list(ActionType.choices)
    form.fields[f"{prefix}_type"] = forms.ChoiceField(label=label, choices=types, required=required)
    form.fields[f"{prefix}_target"] = forms.ChoiceField(
        label=f"{label}: target", choices=targets, required=False,
        help_text="The announcement, menu or extension, for actions that name one.",
    )  # fmt: skip
    form.fields[f"{prefix}_number"] = forms.CharField(
        label=f"{label}: phone number", required=False, max_length=16,
        help_text="For a transfer to a phone number: E.164, e.g. +14155550100.",
    )  # fmt: skip
    for suffix in ("type", "target", "number"):
        form.fields[f"{prefix}_{suffix}"].widget.attrs.update({"data-action": prefix, "data-part": suffix})


def action_initial(prefix: str, action: dict | None) -> dict:
    if not action:
        return {}
    target = ACTION_TARGETS.get(str(action.get("actionType")))
    data = action.get("actionData") or ""
    return {
        f"{prefix}_type": action.get("actionType", ""),
        f"{prefix}_target": data if target in NEEDS_TARGET else "",
        f"{prefix}_number": data if target == ActionTarget.E164 else "",
    }


def action_from(cleaned: dict, prefix: str) -> dict | None:
    """The action as the services take it, or None when no type is chosen."""
    action_type = cleaned.get(f"{prefix}_type")
    if not action_type:
        return None
    target = ACTION_TARGETS[action_type]
    if target == ActionTarget.E164:
        return {"actionType": action_type, "actionData": (cleaned.get(f"{prefix}_number") or "").strip()}
    if target in NEEDS_TARGET:
        return {"actionType": action_type, "actionData": cleaned.get(f"{prefix}_target") or None}
    return {"actionType": action_type}


def describe(action: dict | None, names: dict[str, str]) -> str:
    """An action in words, with the names of what it names ("Go to a menu: Sales")."""
    if not action or not action.get("actionType"):
        return "Nothing"
    label = (
        ActionType(action["actionType"]).label if action["actionType"] in ActionType.values else action["actionType"]
    )
    data = action.get("actionData")
    return f"{label}: {names.get(data, data)}" if data else label


# For actions.js: which kind of target each action type needs.
TARGET_KINDS = {action_type: target.value for action_type, target in ACTION_TARGETS.items()}

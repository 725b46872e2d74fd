"""An AA system's configuration as plain data: what the pure compiler takes as input.

This is the only part of RCML compilation that reads the database; the compiler itself is pure.
"""

from __future__ import annotations

from typing import Any

from autoattendant.choices import AnnouncementStatus


def snapshot_system(system) -> dict[str, Any]:
    from autoattendant.models import Announcement, Menu, PhoneNumber, Schedule
    from autoattendant.models.announcement import audio_uri

    enterprise = system.enterprise
    menus = list(Menu.objects.filter(aa_system=system).order_by("date_created", "id"))
    schedules = list(Schedule.objects.filter(aa_system=system).select_related("menu").order_by("date_created", "id"))
    extensions = list(PhoneNumber.objects.filter(aa_system=system, is_extension=True).order_by("extension", "id"))

    announcement_sids = {menu.greeting_announcement.sid for menu in menus if menu.greeting_announcement_id}
    for action in _actions_of(system, menus):
        if action.get("actionType", "").startswith("ANNOUNCEMENT_") and action.get("actionData"):
            announcement_sids.add(action["actionData"])
    announcements = {
        announcement.sid: {
            "name": announcement.name,
            "type": announcement.type,
            "status": announcement.status,
            "text": announcement.text,
            "language": announcement.language,
            "voice": announcement.voice,
            "audioUri": audio_uri(announcement.sid) if announcement.status == AnnouncementStatus.READY else None,
            "revision": announcement.revision,
        }
        for announcement in Announcement.objects.filter(enterprise=enterprise, sid__in=announcement_sids)
    }
    return {
        "aaSystemSid": system.sid,
        "enterpriseSid": enterprise.sid,
        "name": system.name,
        "status": system.status,
        "timezoneId": system.timezone_id,
        "extFromPhoneNumber": enterprise.ext_from_phone_number or "",
        "policies": {
            "timeoutSeconds": system.timeout_seconds,
            "timeoutMaxOccurance": system.timeout_max_occurance,
            "timeoutAction": system.timeout_action,
            "invalidInputMaxOccurance": system.invalid_input_max_occurance,
            "invalidInputAction": system.invalid_input_action,
            "invalidExtensionMaxOccurance": system.invalid_extension_max_occurance,
            "invalidExtensionAction": system.invalid_extension_action,
        },
        "defaultMenuSid": system.default_menu.sid if system.default_menu_id else None,
        "operatorExtensionSid": system.operator_extension.sid if system.operator_extension_id else None,
        "menus": [
            {
                "sid": menu.sid,
                "name": menu.name,
                "greetingAnnouncementSid": menu.greeting_announcement.sid if menu.greeting_announcement_id else None,
                "allowDialByExtension": menu.allow_dial_by_extension,
                "options": menu.options,
            }
            for menu in menus
        ],
        "schedules": [
            {
                "sid": schedule.sid,
                "name": schedule.name,
                "type": schedule.type,
                "menuSid": schedule.menu.sid,
                "weeklyRanges": schedule.weekly_ranges,
                "dates": schedule.dates,
            }
            for schedule in schedules
        ],
        "extensions": [
            {
                "sid": number.sid,
                "number": number.number,
                "extension": number.extension,
                "type": number.extension_type,
                "spokenName": number.extension_spoken_name,
            }
            for number in extensions
        ],
        "announcements": announcements,
    }


def _actions_of(system, menus) -> list[dict]:
    actions = [system.timeout_action, system.invalid_input_action, system.invalid_extension_action]
    for menu in menus:
        actions.extend(menu.options or [])
    return [action for action in actions if isinstance(action, dict)]

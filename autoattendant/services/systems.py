"""AA systems: their numbers, extensions, time zone and timeout / invalid-input policies."""

from __future__ import annotations

import zoneinfo

from django.db import transaction
from django.db.models import Q, prefetch_related_objects

from autoattendant.choices import AuditAction, Role
from autoattendant.errors import AAError, Code
from autoattendant.models import AutoAttendantSystem, PhoneNumber
from autoattendant.provisioning import get_backend
from autoattendant.services import audit
from autoattendant.services.access import access_enterprise, access_system
from autoattendant.services.actions import validate_action, validate_extension_target
from autoattendant.services.base import UNSET
from autoattendant.services.menus import validate_menus
from autoattendant.services.publishing import request_publish
from autoattendant.services.roles import CSP_ADMINS, Permissions
from autoattendant.sids import MENU as MENU_SID_PREFIX
from autoattendant.sids import looks_like

# The CSP creates and deletes AA systems; every admin of the system may change it.
PERMISSIONS = Permissions(create=CSP_ADMINS, delete=CSP_ADMINS)

ACTION_FIELDS = {
    "timeout_action": "timeoutAction",
    "invalid_extension_action": "invalidExtensionAction",
    "invalid_input_action": "invalidInputAction",
}


def validate_timezone(timezone_id: str) -> str:
    try:
        zoneinfo.ZoneInfo(timezone_id)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise AAError(Code.UNKNOWN_TIMEZONE, errors={"timezoneId": [f"Unknown time zone {timezone_id!r}."]}) from None
    return timezone_id


def _numbers(actor, enterprise_id: int, refs: list[str]) -> list[PhoneNumber]:
    """The phone numbers named by SID (or by the number itself, as responses list them), locked,
    each visible to the actor and in the system's enterprise."""
    rows = (
        PhoneNumber.objects.visible_to(actor)
        .select_for_update(of=("self",))
        .select_related("aa_system")
        .filter(Q(sid__in=refs) | Q(number__in=refs), enterprise_id=enterprise_id)
    )
    found = {}
    for number in rows:
        found[number.sid] = found[number.number] = number
    for ref in refs:
        if ref not in found:
            raise AAError(Code.PHONE_NUMBER_NOT_FOUND, {"sid": ref})
    return list({found[ref].pk: found[ref] for ref in refs}.values())


def _assign_numbers(actor, system: AutoAttendantSystem, aa_number_sids, extension_sids) -> None:
    """Make the system's AA numbers and extensions exactly the lists given (None: unchanged)."""
    backend = get_backend()
    for sids, is_extension in ((aa_number_sids, False), (extension_sids, True)):
        if sids is None:
            continue
        wanted = _numbers(actor, system.enterprise_id, sids)
        for number in wanted:
            if number.is_extension and not is_extension:
                raise AAError(Code.EXTENSION_AS_AA_NUMBER, {"sid": number.sid})
            if is_extension and not number.is_extension:
                raise AAError(Code.NOT_AN_EXTENSION, {"sid": number.sid})
            if number.aa_system_id not in (None, system.pk):
                raise AAError(Code.NUMBER_IN_OTHER_SYSTEM, {"sid": number.sid})
        wanted_pks = {number.pk for number in wanted}
        leaving = system.phone_numbers.filter(is_extension=is_extension).exclude(pk__in=wanted_pks)
        for number in leaving.select_related("enterprise"):
            number.aa_system = None
            number.save(update_fields=["aa_system", "date_updated"])
            if not number.is_extension:
                backend.provision_number(number)
        for number in wanted:
            if number.aa_system_id != system.pk:
                number.aa_system = system
                number.save(update_fields=["aa_system", "date_updated"])
                if not number.is_extension:
                    backend.provision_number(number)


def validate_actions(system: AutoAttendantSystem, given: dict | None = None) -> None:
    """Check every stored action of the system, after its numbers are in place."""
    for field, api_name in ACTION_FIELDS.items():
        value = (given or {}).get(field, getattr(system, field))
        setattr(system, field, validate_action(api_name, value, system))
    if system.operator_extension is not None:
        try:
            validate_extension_target(system.operator_extension.sid, system)
        except AAError as exc:
            exc.errors = exc.errors or {"operatorExtensionSid": [f"{exc.message}: {exc.data['sid']}"]}
            raise
    validate_menus(system)


def _set_menu_and_operator(system: AutoAttendantSystem, default_menu_sid, operator_extension_sid) -> None:
    """defaultMenuSid: a menu of this system (517); operatorExtensionSid: an extension in it (491,
    493, 518). None or "" clears either; UNSET leaves it."""
    if default_menu_sid is not UNSET:
        menu = None
        if default_menu_sid:
            if looks_like(MENU_SID_PREFIX, default_menu_sid):
                menu = system.menus.filter(sid=default_menu_sid).first()
            if menu is None:
                raise AAError(Code.MENU_NOT_FOUND, {"sid": default_menu_sid})
        system.default_menu = menu
    if operator_extension_sid is not UNSET:
        if operator_extension_sid and not isinstance(operator_extension_sid, str):
            raise AAError(Code.PHONE_NUMBER_NOT_FOUND, {"sid": operator_extension_sid})
        system.operator_extension = (
            validate_extension_target(operator_extension_sid, system) if operator_extension_sid else None
        )


@transaction.atomic
def create_system(
    actor,
    *,
    name: str,
    enterprise_sid: str | None = None,
    aa_number_sids=None,
    extension_sids=None,
    default_menu_sid=UNSET,
    operator_extension_sid=UNSET,
    **fields,
) -> AutoAttendantSystem:
    PERMISSIONS.require(actor, "create")
    enterprise = _enterprise_of(actor, enterprise_sid, (aa_number_sids or []) + (extension_sids or []))
    if "timezone_id" in fields:
        validate_timezone(fields["timezone_id"])
    actions = {field: fields.pop(field) for field in list(fields) if field in ACTION_FIELDS}
    system = AutoAttendantSystem(enterprise=enterprise, name=name, account_email=actor.email_id, **fields)
    system.save()
    _assign_numbers(actor, system, aa_number_sids or [], extension_sids or [])
    _set_menu_and_operator(system, default_menu_sid, operator_extension_sid)
    validate_actions(system, actions)
    system.save()
    audit.record(actor, AuditAction.CREATE, system, after=_snapshot(system))
    request_publish(system)
    return system


def _enterprise_of(actor, enterprise_sid, number_sids: list[str]):
    """The enterprise named, or else the one the given numbers belong to (the reference's example
    creates a system from its numbers alone)."""
    if enterprise_sid:
        return access_enterprise(actor, enterprise_sid)
    for sid in number_sids:
        number = PhoneNumber.objects.visible_to(actor).select_related("enterprise").filter(sid=sid).first()
        if number is None:
            raise AAError(Code.PHONE_NUMBER_NOT_FOUND, {"sid": sid})
        return number.enterprise
    raise AAError(Code.ENTERPRISE_REQUIRED, errors={"enterpriseSid": ["This field is required."]})


@transaction.atomic
def update_system(
    actor,
    sid: str,
    *,
    enterprise_sid=UNSET,
    aa_number_sids=UNSET,
    extension_sids=UNSET,
    default_menu_sid=UNSET,
    operator_extension_sid=UNSET,
    **fields,
) -> AutoAttendantSystem:
    PERMISSIONS.require(actor, "update")
    system = access_system(actor, sid, for_update=True)
    before = _snapshot(system)
    if enterprise_sid is not UNSET and enterprise_sid and enterprise_sid != system.enterprise.sid:
        # Visible but different, or not visible at all: the system cannot move between enterprises.
        access_enterprise(actor, enterprise_sid)
        raise AAError(Code.BAD_REQUEST, errors={"enterpriseSid": ["An AA system cannot move to another enterprise."]})
    current = _number_sids(system)
    if actor.role == Role.AA_ADMIN and extension_sids is not UNSET:
        if _sids(actor, system, extension_sids) != set(current["extensions"]):
            raise AAError(Code.FORBIDDEN, message="An AA admin cannot change extensions")
    if actor.role != Role.CSP_ADMIN and aa_number_sids is not UNSET:
        if _sids(actor, system, aa_number_sids) != set(current["aaNumbers"]):
            raise AAError(Code.FORBIDDEN, message="Only a CSP admin assigns AA numbers")
    fields = {field: value for field, value in fields.items() if value is not UNSET}
    if "timezone_id" in fields:
        validate_timezone(fields["timezone_id"])
    actions = {field: fields.pop(field) for field in list(fields) if field in ACTION_FIELDS}
    for field, value in fields.items():
        setattr(system, field, value if value is not None else "")
    system.account_email = actor.email_id
    system.save()
    _assign_numbers(
        actor,
        system,
        None if aa_number_sids is UNSET else aa_number_sids,
        None if extension_sids is UNSET else extension_sids,
    )
    _set_menu_and_operator(system, default_menu_sid, operator_extension_sid)
    validate_actions(system, actions)
    system.save()
    audit.record(actor, AuditAction.UPDATE, system, before=before, after=_snapshot(system))
    request_publish(system)
    return system


@transaction.atomic
def delete_system(actor, sid: str) -> AutoAttendantSystem:
    PERMISSIONS.require(actor, "delete")
    system = access_system(actor, sid, for_update=True)
    if system.phone_numbers.filter(is_extension=False).exists():
        raise AAError(Code.SYSTEM_HAS_NUMBERS, {"sid": sid})
    # The response shows the system as it was, extensions included.
    prefetch_related_objects([system], "phone_numbers")
    audit.record(actor, AuditAction.DELETE, system, before=_snapshot(system))
    # Not `system.phone_numbers.update(...)`: that runs on the prefetched queryset and empties its cache.
    PhoneNumber.objects.filter(aa_system=system).update(aa_system=None)
    # Its menus and schedules go with it; their protected references first (the response keeps them).
    _ = system.default_menu, system.operator_extension
    AutoAttendantSystem.objects.filter(pk=system.pk).update(default_menu=None, operator_extension=None)
    system.schedules.all().delete()
    system.menus.all().delete()
    system.delete()
    return system


def revalidate_system(system: AutoAttendantSystem | None) -> None:
    """After a number leaves or changes, the system's actions must still name valid targets."""
    if system is not None:
        try:
            validate_actions(system)
        except AAError as exc:
            raise AAError(
                Code.NUMBER_IN_SYSTEM,
                {"sid": system.sid},
                errors=exc.errors or {"actions": [f"{exc.message}: {exc.data}"]},
            ) from exc


def _sids(actor, system: AutoAttendantSystem, refs: list[str]) -> set[str]:
    return {number.sid for number in _numbers(actor, system.enterprise_id, refs)}


def _number_sids(system: AutoAttendantSystem) -> dict[str, list[str]]:
    numbers = list(system.phone_numbers.order_by("date_created", "id").values_list("sid", "is_extension"))
    return {
        "aaNumbers": [sid for sid, is_extension in numbers if not is_extension],
        "extensions": [sid for sid, is_extension in numbers if is_extension],
    }


def _snapshot(system: AutoAttendantSystem) -> dict:
    return {**audit.snapshot(system), **_number_sids(system)}

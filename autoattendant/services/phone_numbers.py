"""Phone numbers and extensions, provisioned on the telephony side as they are written."""

from __future__ import annotations

from django.db import transaction

from autoattendant.choices import AuditAction, ExtensionType, Role
from autoattendant.errors import AAError, Code
from autoattendant.models import AutoAttendantSystem, PhoneNumber
from autoattendant.provisioning import get_backend
from autoattendant.services import audit, field_rules
from autoattendant.services.access import access_enterprise, access_phone_number, access_system
from autoattendant.services.base import UNSET, save_unique
from autoattendant.services.publishing import request_publish
from autoattendant.services.roles import ADMINS, CSP_ADMINS, Permissions
from autoattendant.services.systems import revalidate_system

# The CSP provisions and releases numbers; an enterprise admin may change a few fields of its own
# (ENTERPRISE_ADMIN_FIELDS).
PERMISSIONS = Permissions(create=CSP_ADMINS, update=ADMINS, delete=CSP_ADMINS)

# Fields an enterprise admin may change on its own numbers; the rest is the CSP's.
ENTERPRISE_ADMIN_FIELDS = {"extension", "extension_spoken_name", "friendly_name"}


def _check_number_free(organisation_id: int, number: str, exclude_pk: int | None = None) -> None:
    clash = PhoneNumber.objects.filter(organisation_id=organisation_id, number=number)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise AAError(Code.NUMBER_NOT_UNIQUE)


def _check_extension_free(phone_number: PhoneNumber) -> None:
    if not phone_number.is_extension:
        return
    clash = PhoneNumber.objects.filter(
        enterprise_id=phone_number.enterprise_id, is_extension=True, extension=phone_number.extension
    ).exclude(pk=phone_number.pk)
    if clash.exists():
        raise AAError(Code.EXTENSION_NOT_UNIQUE, errors={"extension": ["Already used by another extension."]})


def _check_fields(phone_number: PhoneNumber, was: PhoneNumber | None = None) -> None:
    """The field rules on what this write sets (all of it on create): a number stored under an older
    rule keeps its other fields editable until its number, or what kind of number it is, changes."""

    def written(*fields: str) -> bool:
        return was is None or any(getattr(phone_number, field) != getattr(was, field) for field in fields)

    errors = field_rules.FieldErrors()
    if written("number", "is_extension", "extension_type"):
        field_rules.check_number(
            errors,
            phone_number.number,
            is_extension=phone_number.is_extension,
            extension_type=phone_number.extension_type,
        )
    if written("extension", "is_extension"):
        field_rules.check_extension(errors, phone_number.extension, is_extension=phone_number.is_extension)
    errors.raise_if_any()


def _check_fits_system(phone_number: PhoneNumber) -> None:
    """An AA system's numbers stay what its lists say they are."""
    if phone_number.aa_system_id is None:
        return
    if phone_number.aa_system.enterprise_id != phone_number.enterprise_id:
        raise AAError(Code.SYSTEM_NOT_FOUND, {"sid": phone_number.aa_system.sid})


def _provision(phone_number: PhoneNumber, password: str | None, *, was: PhoneNumber | None = None) -> None:
    backend = get_backend()
    if was is not None:
        if not was.is_extension and (phone_number.is_extension or was.number != phone_number.number):
            backend.release_number(was)
        if (
            was.is_extension
            and was.extension_type == ExtensionType.CLIENT
            and (not phone_number.is_extension or phone_number.extension_type != ExtensionType.CLIENT)
        ):
            backend.release_client(was)
    if not phone_number.is_extension:
        backend.provision_number(phone_number)
    elif phone_number.extension_type == ExtensionType.CLIENT:
        backend.provision_client(phone_number, password)


@transaction.atomic
def create_phone_number(
    actor,
    *,
    number: str,
    enterprise_sid: str,
    is_extension: bool = False,
    extension: str = "",
    extension_spoken_name: str = "",
    extension_type: str = ExtensionType.NUMBER,
    friendly_name: str = "",
    aa_system_sid: str | None = None,
    extension_client_password: str | None = None,
) -> PhoneNumber:
    PERMISSIONS.require(actor, "create")
    phone_number = PhoneNumber(
        organisation_id=actor.organisation_id,
        number=number,
        is_extension=is_extension,
        extension=extension or "",
        extension_spoken_name=extension_spoken_name or "",
        extension_type=extension_type or ExtensionType.NUMBER,
        friendly_name=friendly_name or "",
        account_email=actor.email_id,
    )
    _check_fields(phone_number)
    phone_number.enterprise = access_enterprise(actor, enterprise_sid)
    _check_number_free(actor.organisation_id, number)
    if aa_system_sid:
        phone_number.aa_system = access_system(actor, aa_system_sid)
    _check_fits_system(phone_number)
    _check_extension_free(phone_number)
    save_unique(phone_number, {"phone_number_unique": Code.NUMBER_NOT_UNIQUE})
    _provision(phone_number, extension_client_password)
    request_publish(phone_number.aa_system)
    audit.record(actor, AuditAction.CREATE, phone_number)
    return phone_number


@transaction.atomic
def update_phone_number(actor, sid: str, *, extension_client_password: str | None = None, **changes) -> PhoneNumber:
    PERMISSIONS.require(actor, "update")
    phone_number = access_phone_number(actor, sid, for_update=True)
    changes = {field: value for field, value in changes.items() if value is not UNSET}
    if actor.role != Role.CSP_ADMIN and (set(changes) - ENTERPRISE_ADMIN_FIELDS or extension_client_password):
        raise AAError(Code.FORBIDDEN)
    was = PhoneNumber(**{f.attname: getattr(phone_number, f.attname) for f in PhoneNumber._meta.concrete_fields})
    before = audit.snapshot(phone_number)

    if "enterprise_sid" in changes:
        enterprise = access_enterprise(actor, changes.pop("enterprise_sid"))
        if enterprise.pk != phone_number.enterprise_id:
            if phone_number.aa_system_id:
                raise AAError(Code.NUMBER_IN_SYSTEM, {"sid": sid})
            phone_number.enterprise = enterprise
    if "aa_system_sid" in changes:
        system_sid = changes.pop("aa_system_sid")
        phone_number.aa_system = access_system(actor, system_sid) if system_sid else None
    for field, value in changes.items():
        setattr(phone_number, field, value if value is not None else "")
    _check_fields(phone_number, was)
    if phone_number.number != was.number:
        _check_number_free(phone_number.organisation_id, phone_number.number, exclude_pk=phone_number.pk)
    if (
        phone_number.aa_system_id
        and phone_number.aa_system_id == was.aa_system_id
        and (phone_number.is_extension != was.is_extension)
    ):
        # Its system lists it as an AA number or as an extension; it cannot silently change sides.
        raise AAError(Code.EXTENSION_AS_AA_NUMBER if phone_number.is_extension else Code.NOT_AN_EXTENSION, {"sid": sid})
    _check_fits_system(phone_number)
    _check_extension_free(phone_number)
    phone_number.account_email = actor.email_id
    save_unique(phone_number, {"phone_number_unique": Code.NUMBER_NOT_UNIQUE})
    _provision(phone_number, extension_client_password, was=was)
    if was.aa_system_id:
        was_system = AutoAttendantSystem.objects.get(pk=was.aa_system_id)
        revalidate_system(was_system)
        request_publish(was_system)
    if phone_number.aa_system_id and phone_number.aa_system_id != was.aa_system_id:
        request_publish(phone_number.aa_system)
    audit.record(actor, AuditAction.UPDATE, phone_number, before=before)
    return phone_number


@transaction.atomic
def delete_phone_number(actor, sid: str) -> PhoneNumber:
    PERMISSIONS.require(actor, "delete")
    phone_number = access_phone_number(actor, sid, for_update=True)
    if phone_number.aa_system_id:
        raise AAError(Code.NUMBER_IN_SYSTEM, {"sid": sid})
    backend = get_backend()
    backend.release_number(phone_number)
    backend.release_client(phone_number)
    audit.record(actor, AuditAction.DELETE, phone_number)
    phone_number.delete()
    return phone_number

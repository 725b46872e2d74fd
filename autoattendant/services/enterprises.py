"""Enterprises: created with their enterprise admin (a BG_ADMIN user) and telephony account."""

from __future__ import annotations

from django.db import transaction

from autoattendant.choices import AuditAction, Role, UserStatus
from autoattendant.errors import AAError, Code
from autoattendant.models import Enterprise, PhoneNumber, User
from autoattendant.provisioning import get_backend
from autoattendant.services import audit, field_rules
from autoattendant.services.access import access_enterprise
from autoattendant.services.base import UNSET, save_unique
from autoattendant.services.roles import CSP_ADMINS, Permissions
from autoattendant.services.users import check_email_free

# Only a CSP creates, changes and deletes enterprises; an enterprise admin reads its own.
PERMISSIONS = Permissions(create=CSP_ADMINS, update=CSP_ADMINS, delete=CSP_ADMINS)


def _check_name_free(organisation_id: int, name: str, exclude_pk: int | None = None) -> None:
    clash = Enterprise.objects.filter(organisation_id=organisation_id, name__iexact=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise AAError(Code.ENTERPRISE_NAME_NOT_UNIQUE)


def _check_fields(ext_from_phone_number, admin, *, creating: bool) -> None:
    """The field rules on what a write sets: the caller ID and the enterprise admin's password (which
    an update may leave out to keep it)."""
    errors = field_rules.FieldErrors()
    if ext_from_phone_number is not UNSET:
        field_rules.check_caller_id(errors, ext_from_phone_number or "")
    password = admin.get("password") if admin is not UNSET and admin else None
    if creating or password:
        field_rules.check_password(errors, password or "", within="enterpriseAdmin")
    errors.raise_if_any()


def _save(obj: Enterprise | User) -> None:
    save_unique(obj, {"enterprise_name_unique": Code.ENTERPRISE_NAME_NOT_UNIQUE, "email_id": Code.USER_NOT_UNIQUE})


@transaction.atomic
def create_enterprise(actor, *, name: str, admin: dict, ext_from_phone_number: str = "") -> Enterprise:
    PERMISSIONS.require(actor, "create")
    _check_fields(ext_from_phone_number, admin, creating=True)
    _check_name_free(actor.organisation_id, name)
    check_email_free(admin["email_id"])
    enterprise = Enterprise(
        organisation=actor.organisation,
        name=name,
        ext_from_phone_number=ext_from_phone_number or "",
        account_email=actor.email_id,
    )
    _save(enterprise)
    user = User(
        email_id=admin["email_id"],
        name=admin.get("name") or "",
        role=Role.BG_ADMIN,
        status=admin.get("status") or UserStatus.ACTIVE,
        organisation=actor.organisation,
        enterprise=enterprise,
        account_email=actor.email_id,
    )
    user.set_password(admin["password"])
    _save(user)
    enterprise.admin = user
    enterprise.save(update_fields=["admin"])
    get_backend().create_account(enterprise)
    audit.record(actor, AuditAction.CREATE, enterprise)
    audit.record(actor, AuditAction.CREATE, user)
    return enterprise


@transaction.atomic
def update_enterprise(actor, sid: str, *, name=UNSET, ext_from_phone_number=UNSET, admin=UNSET) -> Enterprise:
    PERMISSIONS.require(actor, "update")
    _check_fields(ext_from_phone_number, admin, creating=False)
    enterprise = access_enterprise(actor, sid, for_update=True)
    before = audit.snapshot(enterprise)
    if name is not UNSET and name != enterprise.name:
        _check_name_free(enterprise.organisation_id, name, exclude_pk=enterprise.pk)
        enterprise.name = name
    if ext_from_phone_number is not UNSET:
        enterprise.ext_from_phone_number = ext_from_phone_number or ""
    if admin is not UNSET and admin:
        _update_admin(actor, enterprise, admin)
    enterprise.account_email = actor.email_id
    _save(enterprise)
    get_backend().update_account(enterprise)
    audit.record(actor, AuditAction.UPDATE, enterprise, before=before)
    return enterprise


def _update_admin(actor, enterprise: Enterprise, admin: dict) -> None:
    """Change the enterprise admin's name, email or password (creating one if it was deleted)."""
    user = enterprise.admin
    if user is None:
        if not admin.get("email_id") or not admin.get("password"):
            raise AAError(
                Code.BAD_REQUEST,
                errors={"enterpriseAdmin": ["emailId and password are needed to create a new enterprise admin."]},
            )
        check_email_free(admin["email_id"])
        user = User(role=Role.BG_ADMIN, organisation=enterprise.organisation, enterprise=enterprise)
        action, before = AuditAction.CREATE, None
    else:
        action, before = AuditAction.UPDATE, audit.snapshot(user)
    if admin.get("email_id") and admin["email_id"].lower() != (user.email_id or "").lower():
        check_email_free(admin["email_id"], exclude_pk=user.pk)
        user.email_id = admin["email_id"]
    if admin.get("name") is not None:
        user.name = admin["name"]
    if admin.get("status"):
        user.status = admin["status"]
    if admin.get("password"):
        user.set_password(admin["password"])
    user.account_email = actor.email_id
    _save(user)
    enterprise.admin = user
    audit.record(actor, action, user, before=before)


@transaction.atomic
def delete_enterprise(actor, sid: str) -> Enterprise:
    """Delete an enterprise with its users and numbers; refused while it has AA systems."""
    PERMISSIONS.require(actor, "delete")
    enterprise = access_enterprise(actor, sid, for_update=True)
    if enterprise.aa_systems.exists():
        raise AAError(Code.ENTERPRISE_HAS_SYSTEMS, {"sid": sid})
    backend = get_backend()
    for number in PhoneNumber.objects.filter(enterprise=enterprise).select_related("enterprise"):
        backend.release_number(number)
        backend.release_client(number)
        audit.record(actor, AuditAction.DELETE, number)
    for user in User.objects.filter(enterprise=enterprise):
        audit.record(actor, AuditAction.DELETE, user)
    audit.record(actor, AuditAction.DELETE, enterprise)
    backend.delete_account(enterprise)
    enterprise.delete()
    return enterprise

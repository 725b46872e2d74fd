"""Users and the role rules: who may create, change and delete which users."""

from __future__ import annotations

from django.db import transaction

from autoattendant.choices import AuditAction, Role, UserStatus
from autoattendant.errors import AAError, Code
from autoattendant.models import Enterprise, User
from autoattendant.services import audit, field_rules
from autoattendant.services.access import access_enterprise, access_system, access_user
from autoattendant.services.base import UNSET, save_unique
from autoattendant.services.roles import ADMINS, Permissions

# Enterprise admins and the CSP manage users; which roles each may manage is MANAGEABLE_ROLES.
# Anyone may change their own user (update_user checks whom).
PERMISSIONS = Permissions(create=ADMINS, delete=ADMINS)

# The roles each role may create or manage.
MANAGEABLE_ROLES = {
    Role.CSP_ADMIN: {Role.CSP_ADMIN, Role.BG_ADMIN, Role.AA_ADMIN},
    Role.BG_ADMIN: {Role.BG_ADMIN, Role.AA_ADMIN},
    Role.AA_ADMIN: set(),
}


def check_email_free(email_id: str, exclude_pk: int | None = None) -> None:
    """An email names one user across the whole portal (it is the sign-in name)."""
    clash = User.objects.filter(email_id__iexact=email_id)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise AAError(Code.USER_NOT_UNIQUE)


def _require_manageable(actor, role: str) -> None:
    if actor is None or not actor.is_authenticated or not MANAGEABLE_ROLES.get(actor.role):
        raise AAError(Code.FORBIDDEN)
    if role not in MANAGEABLE_ROLES[actor.role]:
        raise AAError(Code.ROLE_NOT_ALLOWED)


def _enterprise_for(actor, role: str, enterprise_sid) -> Enterprise | None:
    if role == Role.CSP_ADMIN:
        return None
    if not enterprise_sid:
        if actor.role == Role.BG_ADMIN:
            return actor.enterprise
        raise AAError(Code.ENTERPRISE_REQUIRED, errors={"enterpriseSid": ["Required for BG_ADMIN and AA_ADMIN users."]})
    return access_enterprise(actor, enterprise_sid)


def _set_systems(actor, user: User, system_sids: list[str]) -> None:
    if user.role != Role.AA_ADMIN:
        if system_sids:
            raise AAError(
                Code.BAD_REQUEST, errors={"autoAttendantSids": ["Only AA_ADMIN users are assigned AA systems."]}
            )
        user.aa_systems.clear()
        return
    systems = []
    for sid in system_sids:
        system = access_system(actor, sid)
        if system.enterprise_id != user.enterprise_id:
            raise AAError(Code.SYSTEM_NOT_FOUND, {"sid": sid})
        systems.append(system)
    user.aa_systems.set(systems)


@transaction.atomic
def create_user(
    actor,
    *,
    email_id: str,
    password: str,
    role: str,
    name: str = "",
    status: str = UserStatus.ACTIVE,
    enterprise_sid: str | None = None,
    aa_system_sids: list[str] | None = None,
) -> User:
    field_rules.require_password(password)
    _require_manageable(actor, role)
    enterprise = _enterprise_for(actor, role, enterprise_sid)
    check_email_free(email_id)
    user = User(
        email_id=email_id,
        name=name or "",
        role=role,
        status=status or UserStatus.ACTIVE,
        organisation=actor.organisation,
        enterprise=enterprise,
        account_email=actor.email_id,
    )
    user.set_password(password)
    save_unique(user, {"email_id": Code.USER_NOT_UNIQUE})
    _set_systems(actor, user, aa_system_sids or [])
    audit.record(actor, AuditAction.CREATE, user)
    return user


def _is_enterprise_admin(user: User) -> bool:
    return Enterprise.objects.filter(admin=user).exists()


@transaction.atomic
def update_user(
    actor,
    sid: str,
    *,
    email_id=UNSET,
    password=UNSET,
    role=UNSET,
    name=UNSET,
    status=UNSET,
    enterprise_sid=UNSET,
    aa_system_sids=UNSET,
) -> User:
    if password is not UNSET and password:  # empty: the password is kept
        field_rules.require_password(password)
    user = access_user(actor, sid, for_update=True)
    if actor.pk != user.pk:
        _require_manageable(actor, user.role)
    elif role is not UNSET and role != user.role:
        raise AAError(Code.ROLE_NOT_ALLOWED)  # nobody changes their own role
    before = audit.snapshot(user)
    old_enterprise_id = user.enterprise_id
    role_changed = role is not UNSET and role != user.role
    if role_changed:
        _require_manageable(actor, role)
        if _is_enterprise_admin(user):
            raise AAError(Code.USER_IS_ENTERPRISE_ADMIN, {"sid": sid})
        user.role = role
    if enterprise_sid is not UNSET or role_changed:
        current_sid = user.enterprise.sid if user.enterprise else None
        new_enterprise = _enterprise_for(actor, user.role, current_sid if enterprise_sid is UNSET else enterprise_sid)
        if new_enterprise != user.enterprise and _is_enterprise_admin(user):
            raise AAError(Code.USER_IS_ENTERPRISE_ADMIN, {"sid": sid})
        user.enterprise = new_enterprise
    if email_id is not UNSET and email_id.lower() != user.email_id.lower():
        check_email_free(email_id, exclude_pk=user.pk)
        user.email_id = email_id
    if name is not UNSET:
        user.name = name or ""
    if status is not UNSET:
        user.status = status
    if password is not UNSET and password:
        user.set_password(password)
    user.account_email = actor.email_id
    save_unique(user, {"email_id": Code.USER_NOT_UNIQUE})
    if aa_system_sids is not UNSET:
        _set_systems(actor, user, aa_system_sids or [])
    elif user.role != Role.AA_ADMIN or user.enterprise_id != old_enterprise_id:
        user.aa_systems.clear()  # another enterprise's systems never stay assigned
    audit.record(actor, AuditAction.UPDATE, user, before=before)
    return user


@transaction.atomic
def delete_user(actor, sid: str) -> User:
    user = access_user(actor, sid, for_update=True)
    if user.pk == actor.pk:
        raise AAError(Code.CANNOT_DELETE_SELF, {"sid": sid})
    _require_manageable(actor, user.role)
    if _is_enterprise_admin(user):
        raise AAError(Code.USER_IS_ENTERPRISE_ADMIN, {"sid": sid})
    audit.record(actor, AuditAction.DELETE, user)
    user.delete()
    return user


def issue_own_auth_token(user: User) -> str:
    """A new API auth token for the signed-in user, shown once: the API takes tokens, not passwords,
    and only the token's hash is kept. The previous token stops working."""
    token = user.issue_auth_token()
    user.save(update_fields=["auth_token_hash"])
    audit.record(user, AuditAction.UPDATE, user, after={"authToken": "new token issued"})
    return token

"""Creating a CSP: its organisation, first CSP admin, HMAC key and telephony account (the `createcsp` command)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from autoattendant.choices import AuditAction, Role, UserStatus
from autoattendant.errors import AAError, Code
from autoattendant.models import HmacKey, Organisation, User
from autoattendant.provisioning import AccountCredentials, get_backend
from autoattendant.services import audit, field_rules
from autoattendant.services.base import save_unique


@dataclass
class NewCsp:
    organisation: Organisation
    user: User
    auth_token: str
    hmac_key: HmacKey
    account: AccountCredentials  # the CSP's telephony (Restcomm) account


@transaction.atomic
def create_csp(*, name: str, email_id: str, password: str | None) -> NewCsp:
    """`password=None` makes an admin who signs in only with the API token printed once.
    Organisation names are unique, whatever their case (as enterprise names within a CSP)."""
    if password is not None:
        field_rules.require_password(password)
    if User.objects.filter(email_id__iexact=email_id).exists():
        raise AAError(Code.USER_NOT_UNIQUE, {"emailId": email_id})
    if Organisation.objects.filter(name__iexact=name).exists():
        raise AAError(Code.ORGANISATION_NAME_NOT_UNIQUE, {"name": name})
    organisation = Organisation(name=name, account_email=email_id)
    save_unique(organisation, {"organisation_name": Code.ORGANISATION_NAME_NOT_UNIQUE})
    user = User(
        email_id=email_id,
        name=name,
        role=Role.CSP_ADMIN,
        status=UserStatus.ACTIVE,
        organisation=organisation,
        account_email=email_id,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    token = user.issue_auth_token()
    user.save()
    key = HmacKey.objects.create(organisation=organisation, key=HmacKey.new_secret(), account_email=email_id)
    account = get_backend().create_csp_account(organisation, email_id)
    for obj in (organisation, user, key):
        audit.record(user, AuditAction.CREATE, obj)
    return NewCsp(organisation=organisation, user=user, auth_token=token, hmac_key=key, account=account)

"""Telephony (Restcomm) accounts: one per CSP and per enterprise, made by the provisioning backend,
and sub-accounts made through the Restcomm API. The rules for them live here, for the API, the
backend, `createcsp` and the console alike.

An account sees itself and the accounts below it, never one beside or above it.
"""

from __future__ import annotations

import hmac
import re

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from telephony.models import AccountStatus, TelephonyAccount, new_auth_token

FRIENDLY_NAME_MAX = 64  # the reference: "up to 64 characters long"
PASSWORD_MIN = 8
ROLES = ("Administrator", "Developer")


class AccountRuleError(ValueError):
    """Bad input for an account: `status` is the HTTP status, `message` says what is wrong."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def below(account: TelephonyAccount) -> QuerySet[TelephonyAccount]:
    """The account and every account under it (sub-accounts of sub-accounts too)."""
    ids, frontier = {account.pk}, [account.pk]
    while frontier:
        frontier = list(TelephonyAccount.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        frontier = [pk for pk in frontier if pk not in ids]
        ids.update(frontier)
    return TelephonyAccount.objects.filter(pk__in=ids)


def find(account: TelephonyAccount, sid_or_email: str) -> TelephonyAccount | None:
    """The account named in a URL (its SID or email), if the signed-in `account` may see it."""
    key = "sid" if re.fullmatch(r"AC[0-9a-f]{32}", sid_or_email or "") else "email_address__iexact"
    return below(account).filter(**{key: sid_or_email}).first()


def authenticate(name: str, secret: str) -> TelephonyAccount | None:
    """The account whose SID or email is `name` and whose AuthToken (or password) is `secret`."""
    key = "sid" if name.startswith("AC") else "email_address__iexact"
    account = TelephonyAccount.objects.filter(**{key: name}).first()
    if account is None:
        return None
    if hmac.compare_digest(account.auth_token, secret):
        return account
    if account.password and check_password(secret, account.password):
        return account
    return None


def _check_common(friendly_name: str | None, status: str | None, password: str | None) -> None:
    if friendly_name is not None and len(friendly_name) > FRIENDLY_NAME_MAX:
        raise AccountRuleError(f"FriendlyName is up to {FRIENDLY_NAME_MAX} characters long")
    if status is not None and status not in AccountStatus.values:
        raise AccountRuleError(f"Status must be one of {', '.join(AccountStatus.values)}")
    if password is not None and len(password) < PASSWORD_MIN:
        raise AccountRuleError(f"Password must be at least {PASSWORD_MIN} characters long")


def create_sub_account(
    parent: TelephonyAccount,
    *,
    email_address: str,
    password: str,
    friendly_name: str = "",
    status: str = AccountStatus.ACTIVE,
    role: str = "",
) -> TelephonyAccount:
    """A sub-account of `parent`. The role defaults to the parent's, as Restcomm inherits it; a
    sub-account cannot be given a role above its parent's."""
    if not email_address:
        raise AccountRuleError("EmailAddress is required")
    try:
        validate_email(email_address)
    except ValidationError:
        raise AccountRuleError(f"EmailAddress is not an email address: {email_address}") from None
    if not password:
        raise AccountRuleError("Password is required")
    _check_common(friendly_name, status, password)
    role = role or parent.role
    if role not in ROLES:
        raise AccountRuleError(f"Role must be one of {', '.join(ROLES)}")
    if role == "Administrator" and parent.role != "Administrator":
        raise AccountRuleError("A sub-account cannot have a role above its parent's", status=403)
    account = TelephonyAccount(
        parent=parent,
        organisation_sid=parent.organisation_sid,
        email_address=email_address.lower(),
        friendly_name=friendly_name or email_address,
        status=status,
        role=role,
        password=make_password(password),
    )
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError:
        raise AccountRuleError(f"An account with the email address {email_address} exists already", 409) from None
    return account


def update_account(
    account: TelephonyAccount,
    *,
    by: TelephonyAccount,
    friendly_name: str | None = None,
    status: str | None = None,
    password: str | None = None,
) -> TelephonyAccount:
    """Change an account (by itself or by an account above it). A new password makes a new
    AuthToken; an account cannot close or suspend itself (an account above it can)."""
    _check_common(friendly_name, status, password)
    if status is not None and status != account.status and account.pk == by.pk:
        raise AccountRuleError("An account cannot change its own status", status=403)
    if friendly_name is not None:
        account.friendly_name = friendly_name
    if status is not None and status != account.status:
        account.status = status
        _forget_entries_after_commit(account)
    if password is not None:
        account.password = make_password(password)
        account.auth_token = new_auth_token()
    account.save()
    return account


def _forget_entries_after_commit(account: TelephonyAccount) -> None:
    """Calls to the numbers of the account and those below it find its new standing at once."""
    from telephony.models import NumberRoute
    from telephony.rcml.cache import forget_entries

    numbers = list(NumberRoute.objects.filter(account__in=below(account)).values_list("number", flat=True))
    transaction.on_commit(lambda: forget_entries(numbers))


def csp_account(organisation_sid: str) -> TelephonyAccount | None:
    return TelephonyAccount.objects.filter(
        organisation_sid=organisation_sid, enterprise_sid__isnull=True, parent__isnull=True
    ).first()


def enterprise_account(enterprise_sid: str) -> TelephonyAccount | None:
    return TelephonyAccount.objects.filter(enterprise_sid=enterprise_sid).first()

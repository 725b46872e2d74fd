"""SIP clients (Restcomm's Clients): their rules in one place, whichever door a client comes through.

- The CSP API's `client` extensions reach it through the bundled provisioning backend
  (`provision_extension`, `release_extension`).
- The Restcomm API's Clients resource calls `create_client`, `update_client` and `delete_client`. On
  an account of one of this portal's enterprises a Client is a `client` extension of that enterprise,
  made and removed through `autoattendant.services.phone_numbers` (so the CSP API and the console list
  it, and its provisioning lands here again); on any other account (a CSP's, a sub-account made
  through the API) it is a SipClient only.

The SIP edge's registrar reads the enabled clients' logins and passwords (the view
`sip_edge_subscriber`); a client disabled or deleted loses its phones' bindings at once.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction

from autoattendant.choices import ExtensionType, Role
from autoattendant.errors import AAError, Code
from autoattendant.models import Enterprise, PhoneNumber
from autoattendant.services import field_rules
from autoattendant.services import phone_numbers as phone_number_service
from autoattendant.services.field_rules import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, FieldErrors
from telephony import voice_application
from telephony.models import Registration, SipClient, TelephonyAccount

# What a SIP client's password must be, like Restcomm's client password policy: the portal's password
# length, with at least one letter and one digit.
CLIENT_PASSWORD_POLICY = re.compile(rf"(?=.*[A-Za-z])(?=.*\d).{{{PASSWORD_MIN_LENGTH},{PASSWORD_MAX_LENGTH}}}")
PASSWORD_POLICY_MESSAGE = f"{PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters, with a letter and a digit."
LOGIN_TAKEN_MESSAGE = "Another client has this login."
# Where the extensions of clients made through the Restcomm API start, when the enterprise has none.
FIRST_EXTENSION = 100


class AccountActor:
    """A Restcomm account acting on its own enterprise through the domain's services.

    The Restcomm API has already scoped the request to this account; the services then act with the
    rights of the enterprise's CSP (the only role that creates extensions) within its organisation,
    and the audit trail names the account.
    """

    role = Role.CSP_ADMIN
    is_authenticated = True
    pk = None
    enterprise_id = None

    def __init__(self, account: TelephonyAccount, enterprise: Enterprise) -> None:
        self.organisation_id = enterprise.organisation_id
        self.email_id = account.email_address or account.sid

    def __str__(self) -> str:
        return self.email_id


def check_password(password: str | None, *, field: str) -> str:
    """The password of a new client, or one that changes: 495 without one; 494 (naming `field`) for
    one the policy refuses."""
    if not password:
        raise AAError(Code.CLIENT_PASSWORD_NEEDED)
    if not CLIENT_PASSWORD_POLICY.fullmatch(password) or "\x00" in password:
        raise AAError(Code.CLIENT_PROVISIONING_FAILED, errors={field: [PASSWORD_POLICY_MESSAGE]})
    return password


def _check_login_free(login: str, *, exclude: SipClient | None = None) -> None:
    taken = SipClient.objects.filter(login=login)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise AAError(Code.CLIENT_PROVISIONING_FAILED, errors={"Login": [LOGIN_TAKEN_MESSAGE]})


def _save(client: SipClient) -> None:
    """A login taken meanwhile (the registrar knows one client per login) is 494."""
    try:
        with transaction.atomic():
            client.save()
    except IntegrityError as exc:
        raise AAError(Code.CLIENT_PROVISIONING_FAILED) from exc


def _drop_bindings(login: str) -> None:
    """The edge looks bindings up in its table for every call: a phone of a client that is gone or
    disabled is unreachable once its rows are."""
    Registration.objects.filter(username=login).delete()


# The CSP API's door (through the bundled provisioning backend).


def provision_extension(account: TelephonyAccount, phone_number: PhoneNumber, password: str | None) -> SipClient:
    """The SIP client of a `client` extension, its login being the extension's number. An existing
    client (the extension's, or one of the account's with that login) keeps its password, as the
    reference says; a new one needs a password the policy accepts (495, 494)."""
    client = SipClient.objects.filter(phone_number_sid=phone_number.sid).first()
    if client is None:
        client = SipClient.objects.filter(login=phone_number.number, account=account).first()
    if client is None:
        client = SipClient(password=check_password(password, field="extensionClientPassword"))
    if client.login and client.login != phone_number.number:
        _drop_bindings(client.login)
    client.login = phone_number.number
    client.account = account
    client.phone_number_sid = phone_number.sid
    client.friendly_name = phone_number.friendly_name or phone_number.number
    _save(client)
    return client


def release_extension(phone_number: PhoneNumber) -> None:
    for client in SipClient.objects.filter(phone_number_sid=phone_number.sid):
        _drop_bindings(client.login)
        client.delete()


# The Restcomm API's door.


def _enterprise_of(account: TelephonyAccount, *, for_update: bool = False) -> Enterprise | None:
    """The enterprise the account is the telephony account of, if any."""
    if not account.enterprise_sid:
        return None
    enterprises = Enterprise.objects.select_for_update() if for_update else Enterprise.objects.all()
    return enterprises.filter(sid=account.enterprise_sid).first()


def status_from(value: str) -> bool:
    """Restcomm's Status: "1" enabled, "0" disabled."""
    if value.strip() not in ("0", "1"):
        errors = FieldErrors()
        errors.add("Status", "0 (disabled) or 1 (enabled).")
        errors.raise_if_any()
    return value.strip() == "1"


def _free_extension(enterprise: Enterprise) -> str:
    """The next extension after the enterprise's highest (callers dial it in the AA menus), or the
    lowest free one from FIRST_EXTENSION when that would be too long. The enterprise row is locked."""
    used = set(PhoneNumber.objects.filter(enterprise=enterprise, is_extension=True).values_list("extension", flat=True))
    numeric = [int(extension) for extension in used if extension.isdigit()]
    candidate = max([*numeric, FIRST_EXTENSION - 1]) + 1
    if len(str(candidate)) > field_rules.EXTENSION_MAX_DIGITS:
        candidate = FIRST_EXTENSION
        while str(candidate) in used:
            candidate += 1
    return str(candidate)


def _check_restcomm_fields(
    client: SipClient, login: str | None, friendly_name: str | None, voice: dict[str, Any]
) -> None:
    errors = FieldErrors()
    if login is not None and not field_rules.SIP_LOGIN.fullmatch(login):
        errors.add("Login", field_rules.SIP_LOGIN_MESSAGE)
    if friendly_name is not None:
        voice_application.check_friendly_name(errors, friendly_name)
    voice_application.apply(client, voice, errors)
    errors.raise_if_any()


@transaction.atomic
def create_client(
    account: TelephonyAccount,
    *,
    login: str | None,
    password: str | None,
    friendly_name: str | None = None,
    enabled: bool = True,
    by: TelephonyAccount | None = None,
    **voice: Any,
) -> SipClient:
    """A Client of `account` (`voice`: VoiceApplication fields; `by`: the account signed in, if not
    this one). Login is a SIP user part no other client has; the password follows the policy (495
    none, 494 refused)."""
    login = (login or "").strip()
    probe = SipClient()
    _check_restcomm_fields(probe, login, friendly_name, voice)
    password = check_password(password, field="Password")
    _check_login_free(login)
    enterprise = _enterprise_of(account, for_update=True)
    if enterprise is not None:
        phone_number = phone_number_service.create_phone_number(
            AccountActor(by or account, enterprise),
            number=login,
            enterprise_sid=enterprise.sid,
            is_extension=True,
            extension=_free_extension(enterprise),
            extension_type=ExtensionType.CLIENT,
            friendly_name=friendly_name or "",
            extension_client_password=password,
        )
        client = SipClient.objects.select_for_update().get(phone_number_sid=phone_number.sid)
    else:
        client = SipClient(login=login, account=account, password=password, friendly_name=friendly_name or login)
    for field in voice_application.URL_FIELDS | voice_application.METHOD_FIELDS:
        setattr(client, field, getattr(probe, field))
    client.api_version = probe.api_version
    client.enabled = enabled
    _save(client)
    return client


@transaction.atomic
def update_client(
    client: SipClient,
    *,
    password: str | None = None,
    friendly_name: str | None = None,
    enabled: bool | None = None,
    by: TelephonyAccount | None = None,
    **voice: Any,
) -> SipClient:
    """Change what is given (None: left as it is). An extension's FriendlyName is its extension's,
    changed through the phone numbers' service so both APIs show the same."""
    client = SipClient.objects.select_for_update().get(pk=client.pk)
    _check_restcomm_fields(client, None, friendly_name, voice)
    if password is not None:
        client.password = check_password(password, field="Password")
    if friendly_name is not None:
        enterprise = _enterprise_of(client.account)
        if client.phone_number_sid and enterprise is not None:
            phone_number_service.update_phone_number(
                AccountActor(by or client.account, enterprise), client.phone_number_sid, friendly_name=friendly_name
            )
            client.friendly_name = SipClient.objects.get(pk=client.pk).friendly_name
        else:
            client.friendly_name = friendly_name or client.login
    if enabled is not None:
        client.enabled = enabled
        if not enabled:
            _drop_bindings(client.login)
    _save(client)
    return client


@transaction.atomic
def delete_client(client: SipClient, *, by: TelephonyAccount | None = None) -> None:
    """An extension's client goes with its extension (508 while an AA system lists it)."""
    enterprise = _enterprise_of(client.account)
    if client.phone_number_sid and enterprise is not None:
        actor = AccountActor(by or client.account, enterprise)
        phone_number_service.delete_phone_number(actor, client.phone_number_sid)
    _drop_bindings(client.login)
    SipClient.objects.filter(pk=client.pk).delete()

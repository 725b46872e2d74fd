"""The default backend: the portal's own telephony tables, read by the bundled SIP executor."""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction

from autoattendant.errors import AAError, Code
from autoattendant.provisioning import AccountCredentials, ProvisioningBackend
from autoattendant.services.field_rules import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from telephony import accounts
from telephony.models import NumberRoute, SipClient, TelephonyAccount

# What a SIP client's password must be, like Restcomm's client password policy: the portal's password
# length, with at least one letter and one digit.
CLIENT_PASSWORD_POLICY = re.compile(rf"(?=.*[A-Za-z])(?=.*\d).{{{PASSWORD_MIN_LENGTH},{PASSWORD_MAX_LENGTH}}}")


def _forget_entry_after_commit(number: str) -> None:
    """Calls to a re-routed number find its new AA system at once, not after the cache expires."""
    from telephony.rcml.cache import forget_entries

    transaction.on_commit(lambda: forget_entries([number]))


def _credentials(account: TelephonyAccount | None) -> AccountCredentials | None:
    return AccountCredentials(account.sid, account.auth_token) if account is not None else None


class BundledBackend(ProvisioningBackend):
    def create_csp_account(self, organisation, email: str) -> AccountCredentials:
        try:
            with transaction.atomic():
                account = TelephonyAccount.objects.create(
                    organisation_sid=organisation.sid,
                    email_address=email.lower() or None,
                    friendly_name=organisation.name,
                    role="Administrator",
                )
        except IntegrityError as exc:
            raise AAError(Code.ACCOUNT_PROVISIONING_FAILED) from exc
        return AccountCredentials(account.sid, account.auth_token)

    def account_credentials(self, *, organisation=None, enterprise=None) -> AccountCredentials | None:
        if enterprise is not None:
            return _credentials(accounts.enterprise_account(enterprise.sid))
        return _credentials(accounts.csp_account(organisation.sid)) if organisation is not None else None

    def create_account(self, enterprise) -> None:
        organisation = enterprise.organisation
        parent = accounts.csp_account(organisation.sid)
        if parent is None:  # a CSP made before CSPs had accounts, or by hand
            self.create_csp_account(organisation, "")
            parent = accounts.csp_account(organisation.sid)
        try:
            with transaction.atomic():
                TelephonyAccount.objects.create(
                    parent=parent,
                    enterprise_sid=enterprise.sid,
                    organisation_sid=organisation.sid,
                    friendly_name=enterprise.name,
                )
        except IntegrityError as exc:
            raise AAError(Code.ACCOUNT_PROVISIONING_FAILED) from exc

    def update_account(self, enterprise) -> None:
        TelephonyAccount.objects.filter(enterprise_sid=enterprise.sid).update(friendly_name=enterprise.name)

    def delete_account(self, enterprise) -> None:
        TelephonyAccount.objects.filter(enterprise_sid=enterprise.sid).delete()

    def _account(self, phone_number, error) -> TelephonyAccount:
        try:
            return TelephonyAccount.objects.get(enterprise_sid=phone_number.enterprise.sid)
        except TelephonyAccount.DoesNotExist as exc:
            raise AAError(error) from exc

    def provision_number(self, phone_number) -> None:
        account = self._account(phone_number, Code.NUMBER_PROVISIONING_FAILED)
        aa_system_sid = phone_number.aa_system.sid if phone_number.aa_system_id else ""
        route = NumberRoute.objects.filter(phone_number_sid=phone_number.sid).first()
        if route is None:
            route = NumberRoute(phone_number_sid=phone_number.sid)
        route.number = phone_number.number
        route.account = account
        route.aa_system_sid = aa_system_sid
        try:
            with transaction.atomic():
                route.save()
        except IntegrityError as exc:
            # The number routes somewhere else already (another CSP holds it).
            raise AAError(Code.NUMBER_PROVISIONING_FAILED) from exc
        _forget_entry_after_commit(route.number)

    def release_number(self, phone_number) -> None:
        NumberRoute.objects.filter(phone_number_sid=phone_number.sid).delete()
        _forget_entry_after_commit(phone_number.number)

    def provision_client(self, phone_number, password: str | None) -> None:
        account = self._account(phone_number, Code.CLIENT_PROVISIONING_FAILED)
        client = SipClient.objects.filter(phone_number_sid=phone_number.sid).first()
        if client is None:
            client = SipClient.objects.filter(login=phone_number.number, account=account).first()
        if client is None:
            if not password:
                raise AAError(Code.CLIENT_PASSWORD_NEEDED)
            if not CLIENT_PASSWORD_POLICY.fullmatch(password):
                raise AAError(
                    Code.CLIENT_PROVISIONING_FAILED,
                    errors={
                        "extensionClientPassword": [
                            f"{PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters, with a letter and a digit."
                        ]
                    },
                )
            client = SipClient(password=password)
        # An existing client keeps its password, as the reference says.
        client.login = phone_number.number
        client.account = account
        client.phone_number_sid = phone_number.sid
        try:
            with transaction.atomic():
                client.save()
        except IntegrityError as exc:
            raise AAError(Code.CLIENT_PROVISIONING_FAILED) from exc

    def release_client(self, phone_number) -> None:
        SipClient.objects.filter(phone_number_sid=phone_number.sid).delete()

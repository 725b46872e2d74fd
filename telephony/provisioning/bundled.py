"""The default backend: the portal's own telephony tables, read by the bundled SIP executor."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from autoattendant.errors import AAError, Code
from autoattendant.provisioning import AccountCredentials, ProvisioningBackend
from telephony import accounts, clients, numbers
from telephony.models import NumberRoute, TelephonyAccount


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
            # The number routes somewhere else already (another CSP, or an account of the Restcomm
            # API, holds it in some form).
            numbers.check_number_free(route.number, exclude=route)
            with transaction.atomic():
                route.save()
        except (AAError, IntegrityError) as exc:
            raise AAError(Code.NUMBER_PROVISIONING_FAILED) from exc
        numbers.forget_entry_after_commit(route.number)

    def release_number(self, phone_number) -> None:
        NumberRoute.objects.filter(phone_number_sid=phone_number.sid).delete()
        numbers.forget_entry_after_commit(phone_number.number)

    def provision_client(self, phone_number, password: str | None) -> None:
        account = self._account(phone_number, Code.CLIENT_PROVISIONING_FAILED)
        clients.provision_extension(account, phone_number, password)

    def release_client(self, phone_number) -> None:
        clients.release_extension(phone_number)

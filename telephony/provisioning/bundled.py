"""The default backend: the portal's own telephony tables, read by the bundled SIP executor."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from autoattendant.errors import AAError, Code
from autoattendant.provisioning import ProvisioningBackend
from telephony import clients, numbers
from telephony.models import NumberRoute, TelephonyAccount


class BundledBackend(ProvisioningBackend):
    def create_account(self, enterprise) -> None:
        try:
            with transaction.atomic():
                TelephonyAccount.objects.create(
                    enterprise_sid=enterprise.sid,
                    organisation_sid=enterprise.organisation.sid,
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

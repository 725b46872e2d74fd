"""`manage.py restcomm_resync [--fix] [--enterprise SID]`: the portal against the Restcomm server.

Compares each enterprise's account, AA numbers and client extensions with the remote accounts,
IncomingPhoneNumbers and Clients (`PROVISIONING_BACKEND=restcomm`): what is missing remotely, what
is there and should not be, a VoiceUrl that is not the number's AA entry. Remote objects are matched
by their stored SID, else by number or login (a link left stale by a failed undo is re-linked).
With --fix each difference is repaired through the backend; a missing client whose password nobody
knows any more cannot be, and says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from autoattendant.choices import ExtensionType
from autoattendant.errors import AAError
from autoattendant.models import Enterprise, Organisation, PhoneNumber
from telephony.models import RestcommLink
from telephony.provisioning.restcomm import (
    RemoteError,
    RestcommBackend,
    RestcommClient,
    account_path,
    client_path,
    close_account,
    number_fields,
    number_path,
)
from telephony.rcml.cache import number_variants


@dataclass
class Difference:
    what: str
    fix: Callable[[], object] | None  # None: reported, not repairable here


class Resync:
    def __init__(self) -> None:
        self.backend = RestcommBackend()
        self.differences: list[Difference] = []

    def found(self, what: str, fix: Callable[[], object] | None) -> None:
        self.differences.append(Difference(what, fix))

    def organisation(self, organisation: Organisation, enterprises: list[Enterprise], whole: bool) -> None:
        """The CSP's account, its enterprises, and (`whole`) the accounts below it that are no enterprise's."""
        link = RestcommLink.objects.filter(kind=RestcommLink.ACCOUNT, portal_sid=organisation.sid).first()
        csp = None
        if link is not None:
            csp = RestcommClient(link.remote_sid, link.auth_token)
            if self._get(csp, account_path(link.remote_sid)) is None:
                csp = None
        if csp is None:
            self.found(
                f"{organisation.sid} account of CSP {organisation.name!r} missing",
                lambda: self._recreate_csp(organisation, link),
            )
            return  # its enterprises are compared once it exists
        for enterprise in enterprises:
            self.enterprise(enterprise, csp)
        if whole:
            linked = set(
                RestcommLink.objects.filter(kind=RestcommLink.ACCOUNT, remote_account_sid=csp.account_sid).values_list(
                    "remote_sid", flat=True
                )
            )
            for account in csp.items("Accounts", "accounts"):
                if account["sid"] not in linked and account.get("status") != "closed":
                    sid = account["sid"]
                    self.found(
                        f"{organisation.sid} extra account {sid} ({account.get('friendly_name')!r})",
                        partial(close_account, csp, sid),
                    )

    def _recreate_csp(self, organisation: Organisation, link: RestcommLink | None) -> None:
        if link is not None:
            RestcommLink.objects.filter(remote_account_sid=link.remote_sid).delete()
            link.delete()
        self.backend.create_csp_account(organisation, "")

    def enterprise(self, enterprise: Enterprise, csp: RestcommClient) -> None:
        link = RestcommLink.objects.filter(kind=RestcommLink.ACCOUNT, portal_sid=enterprise.sid).first()
        remote = None
        if link is not None:
            client = RestcommClient(link.remote_sid, link.auth_token)
            remote = self._get(client, account_path(link.remote_sid))
            if remote is None:  # its AuthToken changed on the server? The CSP's account sees the new one.
                remote = self._get(csp, account_path(link.remote_sid))
                if remote is not None and remote.get("status") != "closed" and remote.get("auth_token"):
                    token = remote["auth_token"]
                    self.found(
                        f"{enterprise.sid} account's AuthToken changed", partial(self._relink_token, link, token)
                    )
                    client = RestcommClient(link.remote_sid, token)
                else:
                    remote = None
        if remote is None:
            self.found(f"{enterprise.sid} account missing", lambda: self._recreate_account(enterprise, link))
            return  # its numbers and clients are compared once it exists
        if remote.get("friendly_name") != enterprise.name[:64]:
            self.found(
                f"{enterprise.sid} account FriendlyName differs", lambda: self.backend.update_account(enterprise)
            )
        numbers = list(PhoneNumber.objects.filter(enterprise=enterprise).select_related("enterprise"))
        self.numbers(client, [n for n in numbers if not n.is_extension])
        self.clients(client, [n for n in numbers if n.is_extension and n.extension_type == ExtensionType.CLIENT])

    @staticmethod
    def _relink_token(link: RestcommLink, token: str) -> None:
        link.auth_token = token
        link.save(update_fields=["auth_token", "date_updated"])

    def _recreate_account(self, enterprise: Enterprise, link: RestcommLink | None) -> None:
        """A new account, then the enterprise's AA numbers in it (clients need their passwords)."""
        if link is not None:
            RestcommLink.objects.filter(remote_account_sid=link.remote_sid).delete()
            link.delete()
        self.backend.create_account(enterprise)
        for number in PhoneNumber.objects.filter(enterprise=enterprise, is_extension=False).select_related(
            "enterprise"
        ):
            self.backend.provision_number(number)

    def numbers(self, client: RestcommClient, aa_numbers: list[PhoneNumber]) -> None:
        remote = list(client.items(number_path(client.account_sid), "incoming_phone_numbers"))
        matched: set[str] = set()
        for number in aa_numbers:
            item = self._match(number, remote, RestcommLink.NUMBER, "phone_number")
            label = f"{number.enterprise.sid} number {number.number}"
            if item is None:
                self.found(f"{label} missing", partial(self._reprovision, number, RestcommLink.NUMBER))
                continue
            matched.add(item["sid"])
            self._relink_if_stale(number, RestcommLink.NUMBER, item, client, label)
            wanted = number_fields(number)
            if item.get("voice_url") != wanted["VoiceUrl"]:
                self.found(
                    f"{label} VoiceUrl wrong ({_without_secret(item.get('voice_url') or '')})",
                    partial(client.post, number_path(client.account_sid, item["sid"]), wanted),
                )
        for item in remote:
            if item["sid"] not in matched:
                self.found(
                    f"{client.account_sid} extra number {item.get('phone_number')} ({item['sid']})",
                    partial(client.delete, number_path(client.account_sid, item["sid"])),
                )

    def clients(self, client: RestcommClient, extensions: list[PhoneNumber]) -> None:
        remote = list(client.items(client_path(client.account_sid), "clients"))
        matched: set[str] = set()
        for number in extensions:
            item = self._match(number, remote, RestcommLink.CLIENT, "login")
            label = f"{number.enterprise.sid} client {number.number}"
            if item is None:
                self.found(f"{label} missing (its password is needed: set extensionClientPassword)", None)
                continue
            matched.add(item["sid"])
            self._relink_if_stale(number, RestcommLink.CLIENT, item, client, label)
        for item in remote:
            if item["sid"] not in matched:
                self.found(
                    f"{client.account_sid} extra client {item.get('login')} ({item['sid']})",
                    partial(client.delete, client_path(client.account_sid, item["sid"])),
                )

    def _match(self, number: PhoneNumber, remote: list[dict[str, Any]], kind: str, key: str) -> dict | None:
        link = RestcommLink.objects.filter(kind=kind, portal_sid=number.sid).first()
        by_sid = {item["sid"]: item for item in remote}
        if link is not None and link.remote_sid in by_sid:
            return by_sid[link.remote_sid]
        variants = set(number_variants(number.number)) if kind == RestcommLink.NUMBER else {number.number}
        return next((item for item in remote if item.get(key) in variants), None)

    def _relink_if_stale(self, number: PhoneNumber, kind: str, item: dict, client: RestcommClient, label: str) -> None:
        link = RestcommLink.objects.filter(kind=kind, portal_sid=number.sid).first()
        if link is None or link.remote_sid != item["sid"]:
            self.found(
                f"{label} not linked to {item['sid']}",
                lambda: RestcommLink.objects.update_or_create(
                    kind=kind,
                    portal_sid=number.sid,
                    defaults={"remote_sid": item["sid"], "remote_account_sid": client.account_sid},
                ),
            )

    def _reprovision(self, number: PhoneNumber, kind: str) -> None:
        RestcommLink.objects.filter(kind=kind, portal_sid=number.sid).delete()
        self.backend.provision_number(number)

    @staticmethod
    def _get(client: RestcommClient, path: str) -> dict | None:
        try:
            return client.get(path)
        except RemoteError as exc:
            if exc.status in (401, 403, 404):  # gone, or its AuthToken no longer opens it
                return None
            raise


def _without_secret(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.partition("@")
    return f"{scheme}{sep}{userinfo.partition(':')[0]}:…@{host}" if at else url


class Command(BaseCommand):
    help = (
        "Compare the portal's enterprises, AA numbers and client extensions with the Restcomm server's "
        "accounts, IncomingPhoneNumbers and Clients (PROVISIONING_BACKEND=restcomm); report each difference "
        "(missing, extra, VoiceUrl wrong) and, with --fix, repair it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="repair each difference found")
        parser.add_argument("--enterprise", metavar="SID", help="only this enterprise (no extra accounts check)")

    def handle(self, *args, fix: bool = False, enterprise: str | None = None, **options):
        resync = Resync()
        enterprises = Enterprise.objects.select_related("organisation").order_by("organisation_id", "id")
        if enterprise:
            enterprises = enterprises.filter(sid=enterprise)
            if not enterprises.exists():
                raise CommandError(f"No enterprise {enterprise}")
        by_organisation: dict[int, list[Enterprise]] = {}
        for row in enterprises:
            by_organisation.setdefault(row.organisation_id, []).append(row)
        organisations = (
            Organisation.objects.filter(pk__in=by_organisation) if enterprise else Organisation.objects.all()
        )
        try:
            for organisation in organisations.order_by("id"):
                resync.organisation(organisation, by_organisation.get(organisation.pk, []), whole=not enterprise)
        except RemoteError as exc:
            raise CommandError(f"The Restcomm server did not answer: {exc}") from exc
        unfixed = 0
        for difference in resync.differences:
            outcome = ""
            if fix and difference.fix is not None:
                try:
                    with transaction.atomic():
                        difference.fix()
                    outcome = " -> fixed"
                except (AAError, RemoteError) as exc:
                    outcome = f" -> not fixed: {exc}"
                    unfixed += 1
            elif fix:
                unfixed += 1
            self.stdout.write(difference.what + outcome)
        count = len(resync.differences)
        if not fix and count:
            raise CommandError(f"{count} difference(s); --fix repairs them")
        if unfixed:
            raise CommandError(f"{unfixed} difference(s) not fixed")
        self.stdout.write("In step with the Restcomm server." if not count else f"{count} difference(s) fixed.")

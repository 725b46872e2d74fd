"""The `restcomm` backend: accounts, AA numbers and client extensions on a Restcomm server, through
its REST API (reference/001: JSON resources, HTTP Basic `AccountSid:AuthToken`).

The administrator account (RESTCOMM_ACCOUNT_SID, RESTCOMM_AUTH_TOKEN) holds one sub-account per CSP,
which holds one per enterprise. An AA number is an IncomingPhoneNumber of its enterprise's account
whose VoiceUrl is this portal's AA entry with the enterprise's own credentials
(telephony.rcml.entry_credentials); a client extension is a Client. What was created remotely is kept
in `RestcommLink` (remote SID; an account's AuthToken, which its numbers and clients are managed with).

Each method fails with the reference's code (499 account, 486 number, 494 client, 495 no client
password) after undoing its own remote work: what it created is deleted again (an account, which the
API does not delete, is closed), so the service's rollback of the portal leaves nothing on either
side. A remote object orphaned by a failure after the backend returned (the service failing later),
by a failed undo or by a failed deletion is what `manage.py restcomm_resync` reports and repairs.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import DatabaseError, transaction

from autoattendant.errors import AAError, Code, ErrorCode
from autoattendant.provisioning import AccountCredentials, ProvisioningBackend
from telephony.models import RestcommLink
from telephony.rcml import entry_credentials
from telephony.rcml.cache import number_variants

logger = logging.getLogger(__name__)

API_VERSION = "2012-04-24"
ROLE = "Developer"  # an enterprise's account
CSP_ROLE = "Administrator"  # a CSP's: it makes its enterprises' accounts
# Accounts need an EmailAddress: the portal SID at a reserved domain (RFC 2606), unique and stable.
EMAIL_DOMAIN = "autoattendant.invalid"
FRIENDLY_NAME_MAX = 64


class RemoteError(Exception):
    """The Restcomm server could not be reached in time, or refused the request."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class RestcommClient:
    """One account's view of the Restcomm REST API (JSON resources), with RESTCOMM_TIMEOUT."""

    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.account_sid = account_sid
        self.session = requests.Session()
        self.session.auth = (account_sid, auth_token)

    @classmethod
    def administrator(cls) -> RestcommClient:
        if not settings.RESTCOMM_URL or not settings.RESTCOMM_ACCOUNT_SID:
            raise RemoteError("RESTCOMM_URL and RESTCOMM_ACCOUNT_SID are not set")
        return cls(settings.RESTCOMM_ACCOUNT_SID, settings.RESTCOMM_AUTH_TOKEN)

    def url(self, path: str) -> str:
        """`path` below the API version (`Accounts/AC…/Clients`), or a page URI the server gave."""
        if path.startswith("/"):
            parts = urlsplit(settings.RESTCOMM_URL)
            return f"{parts.scheme}://{parts.netloc}{path}"
        return f"{settings.RESTCOMM_URL}/{API_VERSION}/{path}.json"

    def request(
        self, method: str, path: str, data: dict[str, str] | None = None, params: dict[str, str] | None = None
    ) -> dict[str, Any]:
        url = self.url(path)
        try:
            response = self.session.request(method, url, data=data, params=params, timeout=settings.RESTCOMM_TIMEOUT)
        except requests.RequestException as exc:
            raise RemoteError(f"{method} {url}: {exc}") from exc
        if response.status_code >= 400:
            raise RemoteError(f"{method} {url}: {response.status_code} {response.text[:300]}", response.status_code)
        try:
            return response.json() if response.content else {}
        except ValueError as exc:
            raise RemoteError(f"{method} {url}: not JSON") from exc

    def get(self, path: str) -> dict[str, Any]:
        return self.request("GET", path)

    def post(self, path: str, data: dict[str, str]) -> dict[str, Any]:
        return self.request("POST", path, data)

    def delete(self, path: str) -> None:
        """Delete a resource; one already gone is deleted."""
        try:
            self.request("DELETE", path)
        except RemoteError as exc:
            if exc.status != 404:
                raise

    def items(self, path: str, key: str) -> Iterator[dict[str, Any]]:
        """Every item of a list resource, page after page (`key`: the list's snake_case name)."""
        page = self.request("GET", path, params={"PageSize": "1000"})
        while True:
            yield from page.get(key) or []
            following = page.get("next_page_uri")
            if not following:
                return
            page = self.get(following)


class Undo:
    """Remote work done so far, undone in reverse when a call fails (the backend's journal)."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, Callable[[], object]]] = []

    def add(self, what: str, step: Callable[[], object]) -> None:
        self.steps.append((what, step))

    def run(self) -> None:
        for what, step in reversed(self.steps):
            try:
                step()
            except RemoteError:
                logger.warning("Restcomm: could not undo %s; restcomm_resync reports it", what, exc_info=True)


def _link(kind: str, portal_sid: str) -> RestcommLink | None:
    return RestcommLink.objects.filter(kind=kind, portal_sid=portal_sid).first()


def _save_link(kind: str, portal_sid: str, **fields: str) -> RestcommLink:
    with transaction.atomic():  # a savepoint: a failed write leaves the service's transaction usable
        link, _ = RestcommLink.objects.update_or_create(kind=kind, portal_sid=portal_sid, defaults=fields)
    return link


def account_path(account_sid: str) -> str:
    return f"Accounts/{account_sid}"


def close_account(parent: RestcommClient, account_sid: str) -> None:
    """What stands for deleting an account (the API deletes none): closed, it signs in no more."""
    parent.post(account_path(account_sid), {"Status": "closed"})


def email_address(portal_sid: str) -> str:
    return f"{portal_sid.lower()}@{EMAIL_DOMAIN}"


def _password() -> str:
    """An account's Password (required to create one); its AuthToken is what the portal uses."""
    return f"{secrets.token_urlsafe(18)}-9a"


class RestcommBackend(ProvisioningBackend):
    """One instance serves one service operation (services call get_backend() for each): its journal
    holds the remote work of all its calls, undone together when one of them fails."""

    def __init__(self) -> None:
        self.journal = Undo()

    @contextlib.contextmanager
    def call(self, code: ErrorCode, what: str) -> Iterator[Undo]:
        """One backend call: a remote or database failure undoes the remote work done so far (this
        call's and the earlier ones') and is `code`; a coded error undoes it too."""
        try:
            yield self.journal
        except (RemoteError, DatabaseError, KeyError) as exc:  # KeyError: an answer without its documented fields
            logger.warning("Restcomm: %s failed: %r", what, exc)
            self._undo()
            raise AAError(code) from exc
        except AAError:
            self._undo()
            raise

    def _undo(self) -> None:
        journal, self.journal = self.journal, Undo()
        journal.run()

    # --- accounts ---------------------------------------------------------------------------------

    def _create_account(
        self, parent: RestcommClient, portal_sid: str, name: str, undo: Undo, *, email: str = "", role: str = ROLE
    ) -> RestcommLink:
        data = {
            "EmailAddress": email or email_address(portal_sid),
            "FriendlyName": name[:FRIENDLY_NAME_MAX],
            "Password": _password(),
            "Role": role,
        }
        created = parent.post("Accounts", data)
        sid = created["sid"]
        undo.add(f"account {sid}", lambda: close_account(parent, sid))
        return _save_link(
            RestcommLink.ACCOUNT,
            portal_sid,
            remote_sid=sid,
            remote_account_sid=parent.account_sid,
            auth_token=created["auth_token"],
        )

    def _create_csp_account(self, organisation, email: str, undo: Undo) -> RestcommLink:
        administrator = RestcommClient.administrator()
        return self._create_account(
            administrator, organisation.sid, organisation.name, undo, email=email, role=CSP_ROLE
        )

    def create_csp_account(self, organisation, email: str) -> AccountCredentials:
        """The CSP's account, below the administrator account (its email the CSP admin's)."""
        with self.call(Code.ACCOUNT_PROVISIONING_FAILED, f"the account of CSP {organisation.sid}") as undo:
            link = _link(RestcommLink.ACCOUNT, organisation.sid) or self._create_csp_account(organisation, email, undo)
        return AccountCredentials(link.remote_sid, link.auth_token)

    def account_credentials(self, *, organisation=None, enterprise=None) -> AccountCredentials | None:
        owner = enterprise if enterprise is not None else organisation
        link = _link(RestcommLink.ACCOUNT, owner.sid) if owner is not None else None
        return AccountCredentials(link.remote_sid, link.auth_token) if link is not None else None

    def create_account(self, enterprise) -> None:
        """The enterprise's account below its CSP's (made first if the CSP has none yet)."""
        with self.call(Code.ACCOUNT_PROVISIONING_FAILED, f"the account of {enterprise.sid}") as undo:
            organisation = enterprise.organisation
            csp = _link(RestcommLink.ACCOUNT, organisation.sid) or self._create_csp_account(organisation, "", undo)
            parent = RestcommClient(csp.remote_sid, csp.auth_token)
            self._create_account(parent, enterprise.sid, enterprise.name, undo)

    def update_account(self, enterprise) -> None:
        """Its FriendlyName follows the enterprise's name; an enterprise with no account gets one."""
        if _link(RestcommLink.ACCOUNT, enterprise.sid) is None:
            self.create_account(enterprise)
            return
        with self.call(Code.ACCOUNT_PROVISIONING_FAILED, f"the account of {enterprise.sid}"):
            client = self._account_client(enterprise.sid)
            client.post(account_path(client.account_sid), {"FriendlyName": enterprise.name[:FRIENDLY_NAME_MAX]})

    def delete_account(self, enterprise) -> None:
        """Restcomm deletes no account: the enterprise's is closed (its numbers and clients were
        released before), and can no longer sign in."""
        link = _link(RestcommLink.ACCOUNT, enterprise.sid)
        if link is None:
            return
        with self.call(Code.ACCOUNT_PROVISIONING_FAILED, f"the account of {enterprise.sid}"):
            close_account(self._parent_client(link), link.remote_sid)
            RestcommLink.objects.filter(remote_account_sid=link.remote_sid).delete()
            link.delete()

    def _account_client(self, portal_sid: str) -> RestcommClient:
        """The client of a portal object's own account (an enterprise's), by its stored AuthToken."""
        link = _link(RestcommLink.ACCOUNT, portal_sid)
        if link is None:
            raise RemoteError(f"{portal_sid} has no Restcomm account")
        return RestcommClient(link.remote_sid, link.auth_token)

    def _parent_client(self, link: RestcommLink) -> RestcommClient:
        """The client of the account a link's remote object lives in (or, for an account, above it)."""
        if link.remote_account_sid == settings.RESTCOMM_ACCOUNT_SID:
            return RestcommClient.administrator()
        parent = RestcommLink.objects.filter(kind=RestcommLink.ACCOUNT, remote_sid=link.remote_account_sid).first()
        if parent is None:
            raise RemoteError(f"no AuthToken for account {link.remote_account_sid}")
        return RestcommClient(parent.remote_sid, parent.auth_token)

    # --- AA numbers -------------------------------------------------------------------------------

    def provision_number(self, phone_number) -> None:
        """An IncomingPhoneNumber of the enterprise's account whose VoiceUrl is its AA entry (the entry
        finds the AA system, so assigning one changes nothing remotely but the FriendlyName). The
        account may hold it already under another SID (put back by an undo, or made by an answer that
        came too late): it is taken over. One moved to another enterprise leaves the old account
        first, and goes back there if the new one fails."""
        with self.call(Code.NUMBER_PROVISIONING_FAILED, f"number {phone_number.sid}") as undo:
            client = self._account_client(phone_number.enterprise.sid)
            data = number_fields(phone_number)
            link = _link(RestcommLink.NUMBER, phone_number.sid)
            variants = set(number_variants(phone_number.number))
            held = self._held(link, NUMBERS, variants) if link is not None else None
            if held is not None and held[0].account_sid != client.account_sid:
                old, item = held  # a number is held by one account: out of the old one first
                old.delete(number_path(old.account_sid, item["sid"]))
                undo.add(
                    f"number {item['phone_number']}", partial(old.post, number_path(old.account_sid), restored(item))
                )
                held = None
            if held is None:
                found = _find(client, NUMBERS, variants)
                held = (client, found) if found is not None else None
            if held is not None:
                sid = held[1]["sid"]
                client.post(number_path(client.account_sid, sid), data)
            else:
                sid = client.post(number_path(client.account_sid), {"PhoneNumber": phone_number.number, **data})["sid"]
                undo.add(f"number {sid}", partial(client.delete, number_path(client.account_sid, sid)))
            _relink(link, RestcommLink.NUMBER, phone_number.sid, sid, client.account_sid)

    def release_number(self, phone_number) -> None:
        link = _link(RestcommLink.NUMBER, phone_number.sid)
        if link is None:
            return
        with self.call(Code.NUMBER_PROVISIONING_FAILED, f"number {phone_number.sid}") as undo:
            held = self._held(link, NUMBERS, set(number_variants(phone_number.number)))
            if held is not None:
                account, item = held
                account.delete(number_path(account.account_sid, item["sid"]))
                undo.add(
                    f"number {item['phone_number']}",
                    partial(account.post, number_path(account.account_sid), restored(item)),
                )
            link.delete()

    # --- client extensions ------------------------------------------------------------------------

    def provision_client(self, phone_number, password: str | None) -> None:
        """A Client whose Login is the extension's number. An existing client keeps its password (one
        of that login in the account is taken over), also when its login or enterprise changes: it
        is then made anew with the password it had, the old one deleted first (a login is unique)
        and put back if the new one fails."""
        with self.call(Code.CLIENT_PROVISIONING_FAILED, f"client {phone_number.sid}") as undo:
            client = self._account_client(phone_number.enterprise.sid)
            friendly = {"FriendlyName": phone_number.friendly_name or phone_number.number}
            link = _link(RestcommLink.CLIENT, phone_number.sid)
            held = self._held(link, CLIENTS, {phone_number.number}) if link is not None else None
            if held is None:
                found = _find(client, CLIENTS, {phone_number.number})
                held = (client, found) if found is not None else None
            if held is not None:
                account, item = held
                if item.get("login") == phone_number.number and account.account_sid == client.account_sid:
                    client.post(client_path(client.account_sid, item["sid"]), friendly)
                    _relink(link, RestcommLink.CLIENT, phone_number.sid, item["sid"], client.account_sid)
                    return
                password = item.get("password") or password
            if not password:
                raise AAError(Code.CLIENT_PASSWORD_NEEDED)
            if held is not None:
                account, item = held
                account.delete(client_path(account.account_sid, item["sid"]))
                undo.add(
                    f"client {item['login']}", partial(account.post, client_path(account.account_sid), restored(item))
                )
            created = client.post(
                client_path(client.account_sid), {"Login": phone_number.number, "Password": password, **friendly}
            )
            sid = created["sid"]
            undo.add(f"client {sid}", partial(client.delete, client_path(client.account_sid, sid)))
            _relink(link, RestcommLink.CLIENT, phone_number.sid, sid, client.account_sid)

    def release_client(self, phone_number) -> None:
        link = _link(RestcommLink.CLIENT, phone_number.sid)
        if link is None:
            return
        with self.call(Code.CLIENT_PROVISIONING_FAILED, f"client {phone_number.sid}") as undo:
            held = self._held(link, CLIENTS, {phone_number.number})
            if held is not None:
                account, item = held
                account.delete(client_path(account.account_sid, item["sid"]))
                undo.add(
                    f"client {item['login']}", partial(account.post, client_path(account.account_sid), restored(item))
                )
            link.delete()

    def _held(
        self, link: RestcommLink, kind: Listing, values: set[str]
    ) -> tuple[RestcommClient, dict[str, Any]] | None:
        """What a link names, as the server has it, with the client of its account: by its SID, else
        (made again under another SID by an undo) the one of the account whose number or login is
        one of `values`; None: gone."""
        account = self._parent_client(link)
        found = _get_or_none(account, kind.path(link.remote_account_sid, link.remote_sid))
        if found is None:
            found = _find(account, kind, values)
        return (account, found) if found is not None else None


@dataclass(frozen=True)
class Listing:
    """A list resource of an account, and the field its items are known by besides their SID."""

    path: Callable[[str, str], str]
    key: str  # the list's name in a JSON page
    field: str


def _find(client: RestcommClient, kind: Listing, values: set[str]) -> dict[str, Any] | None:
    """The item of the account's list whose number or login is one of `values`."""
    items = client.items(kind.path(client.account_sid, ""), kind.key)
    return next((item for item in items if item.get(kind.field) in values), None)


def _relink(link: RestcommLink | None, kind: str, portal_sid: str, remote_sid: str, account_sid: str) -> None:
    if link is None or (link.remote_sid, link.remote_account_sid) != (remote_sid, account_sid):
        _save_link(kind, portal_sid, remote_sid=remote_sid, remote_account_sid=account_sid)


def restored(item: dict[str, Any]) -> dict[str, str]:
    """What makes a deleted number or client again, from its representation (JSON, snake_case)."""
    if "login" in item:
        return {
            "Login": item["login"],
            "Password": item.get("password") or "",
            "FriendlyName": item.get("friendly_name") or "",
        }
    return {
        "PhoneNumber": item["phone_number"],
        "FriendlyName": item.get("friendly_name") or "",
        "VoiceUrl": item.get("voice_url") or "",
        "VoiceMethod": item.get("voice_method") or "POST",
    }


def _get_or_none(client: RestcommClient, path: str) -> dict[str, Any] | None:
    """A resource as the server has it; None when it has none."""
    try:
        return client.get(path)
    except RemoteError as exc:
        if exc.status != 404:
            raise
        return None


def number_path(account_sid: str, sid: str = "") -> str:
    return f"{account_path(account_sid)}/IncomingPhoneNumbers" + (f"/{sid}" if sid else "")


def client_path(account_sid: str, sid: str = "") -> str:
    return f"{account_path(account_sid)}/Clients" + (f"/{sid}" if sid else "")


NUMBERS = Listing(number_path, "incoming_phone_numbers", "phone_number")
CLIENTS = Listing(client_path, "clients", "login")


def number_fields(phone_number) -> dict[str, str]:
    """What an AA number's IncomingPhoneNumber says besides its PhoneNumber (re-sync compares them)."""
    return {
        "FriendlyName": phone_number.friendly_name or phone_number.number,
        "VoiceUrl": entry_credentials.voice_url(phone_number.enterprise.sid),
        "VoiceMethod": "POST",
    }

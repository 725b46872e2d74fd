"""Where an enterprise's telephony account, AA number routes and SIP clients are created.

The domain's services call the backend named by `PROVISIONING_BACKEND`; the backends themselves
(`bundled`, the portal's own telephony tables; `restcomm` to come) live on the call side and are
found by the dotted paths in `PROVISIONING_BACKENDS`, so the domain imports none of them.

A CSP has an account of its own and each enterprise one below it (Restcomm sub-accounts).
Each method raises `AAError` with the reference's code for its kind of failure (499 account,
486 number, 494 client, 495 missing client password). Services call the backend inside their
transaction, after the portal's own rows are written, so a failure rolls everything back; a
backend that talks to a remote system must undo its own remote work when it fails half-way.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class AccountCredentials:
    """A telephony account's Restcomm credentials: what its admins use on the Restcomm API."""

    sid: str
    auth_token: str


class ProvisioningBackend(ABC):
    @abstractmethod
    def create_csp_account(self, organisation, email: str) -> AccountCredentials:
        """The CSP's own account, above its enterprises' accounts."""

    @abstractmethod
    def account_credentials(self, *, organisation=None, enterprise=None) -> AccountCredentials | None:
        """A CSP's (`organisation`) or an enterprise's account credentials; None when it has none."""

    @abstractmethod
    def create_account(self, enterprise) -> None: ...

    @abstractmethod
    def update_account(self, enterprise) -> None: ...

    @abstractmethod
    def delete_account(self, enterprise) -> None: ...

    @abstractmethod
    def provision_number(self, phone_number) -> None:
        """Route an AA number (isExtension false) to its AA system, or to nothing yet."""

    @abstractmethod
    def release_number(self, phone_number) -> None: ...

    @abstractmethod
    def provision_client(self, phone_number, password: str | None) -> None:
        """Create the SIP client of a `client` extension; an existing client keeps its password."""

    @abstractmethod
    def release_client(self, phone_number) -> None: ...


def get_backend() -> ProvisioningBackend:
    name = settings.PROVISIONING_BACKEND
    try:
        path = settings.PROVISIONING_BACKENDS[name]
    except KeyError as exc:
        choices = sorted(settings.PROVISIONING_BACKENDS)
        raise RuntimeError(f"Unknown PROVISIONING_BACKEND {name!r}; choose one of {choices}") from exc
    return import_string(path)()

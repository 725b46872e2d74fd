"""Accounts: `/Accounts` (the sub-accounts; POST makes one) and `/Accounts/{AccountSid or email}`
(GET; POST/PUT change FriendlyName, Status, Password — a new Password makes a new AuthToken)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from telephony import accounts
from telephony.models import TelephonyAccount
from telephony.restcomm.base import RestcommView, resource

SUBRESOURCES = (
    ("AvailablePhoneNumbers", "AvailablePhoneNumbers"),
    ("Calls", "Calls"),
    ("Conferences", "Conferences"),
    ("IncomingPhoneNumbers", "IncomingPhoneNumbers"),
    ("Notifications", "Notifications"),
    ("OutgoingCallerIds", "OutgoingCallerIds"),
    ("Recordings", "Recordings"),
    ("Sandbox", "Sandbox"),
    ("SMSMessages", "SMS/Messages"),
    ("Transcriptions", "Transcriptions"),
)


class AccountView(RestcommView):
    def represent(self, account: TelephonyAccount) -> dict[str, Any]:
        return {
            "Sid": account.sid,
            "FriendlyName": account.friendly_name,
            "EmailAddress": account.email_address,
            "Status": account.status,
            "Type": "Full",
            "Role": account.role,
            "ParentSid": account.parent.sid if account.parent is not None else None,
            "DateCreated": account.date_created,
            "DateUpdated": account.date_updated,
            "AuthToken": account.auth_token,
            "Uri": self.uri("Accounts", account.sid),
            "SubresourceUris": {name: self.sub_uri("Accounts", account.sid, tail) for name, tail in SUBRESOURCES},
        }


class AccountList(AccountView):
    """The account's sub-accounts."""

    paged = True
    creates = True
    form_fields = {
        "post": [
            ("EmailAddress", "The email address to use for this account.", True),
            ("FriendlyName", "A description of this account, up to 64 characters long (default: the email).", False),
            ("Status", "active (the default), suspended or closed.", False),
            ("Password", "The account's password; it makes the account's AuthToken.", True),
            ("Role", "Administrator or Developer; by default the parent's.", False),
        ]
    }

    def get(self, request, format=None):
        below = accounts.below(self.account).exclude(pk=self.account.pk).select_related("parent")
        return self.page("Accounts", "Account", below, self.represent)

    def post(self, request, format=None):
        params = self.params()
        with transaction.atomic():
            account = accounts.create_sub_account(
                self.account,
                email_address=params.get("EmailAddress", ""),
                password=params.get("Password", ""),
                friendly_name=params.get("FriendlyName", ""),
                status=params.get("Status") or "active",
                role=params.get("Role", ""),
            )
        return self.item("Account", self.represent(account), status=201)


CHANGES = [
    ("FriendlyName", "A description of this account, up to 64 characters long.", False),
    ("Status", "active, suspended or closed (an account above this one may change it).", False),
    ("Password", "A new password: it makes a new AuthToken.", False),
]


class AccountDetail(AccountView):
    """An account, by its SID or email address."""

    form_fields = {"post": CHANGES, "put": CHANGES}

    def get(self, request, account_sid: str, format=None):
        return self.item("Account", self.represent(self.target(account_sid)))

    def post(self, request, account_sid: str, format=None):
        account = self.target(account_sid)
        params = self.params()
        with transaction.atomic():
            accounts.update_account(
                account,
                by=self.account,
                friendly_name=params.get("FriendlyName"),
                status=params.get("Status"),
                password=params.get("Password"),
            )
        return self.item("Account", self.represent(account))

    put = post


urlpatterns = [
    *resource("Accounts", AccountList.as_view(), "restcomm-accounts"),
    *resource("Accounts/<str:account_sid>", AccountDetail.as_view(), "restcomm-account"),
]

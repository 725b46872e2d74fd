"""Clients: `/Accounts/{AccountSid}/Clients` (the account's own; POST makes one) and
`/Clients/{ClientSid}` (GET; POST/PUT change Password, FriendlyName, Status, the voice URLs; DELETE).

The rules are telephony.clients': on an enterprise's account a Client is a `client` extension of that
enterprise, seen by the CSP API and the console too.
"""

from __future__ import annotations

from typing import Any

from telephony import accounts, clients, voice_application
from telephony.models import SipClient
from telephony.restcomm.base import RestcommView, resource


class ClientView(RestcommView):
    def represent(self, client: SipClient) -> dict[str, Any]:
        return {
            "Sid": client.sid,
            "DateCreated": client.date_created,
            "DateUpdated": client.date_updated,
            "AccountSid": client.account.sid,
            "ApiVersion": client.api_version,
            "FriendlyName": client.friendly_name,
            "Login": client.login,
            "Password": client.password,
            "Status": "1" if client.enabled else "0",
            "VoiceUrl": client.voice_url or None,
            "VoiceMethod": client.voice_method,
            "VoiceFallbackUrl": client.voice_fallback_url or None,
            "VoiceFallbackMethod": client.voice_fallback_method,
            "StatusCallback": client.status_callback or None,
            "StatusCallbackMethod": client.status_callback_method,
            "Uri": self.uri("Accounts", client.account.sid, "Clients", client.sid),
        }

    def voice(self, params: dict[str, str]) -> dict[str, str | None]:
        return {field: params.get(parameter) for parameter, field in voice_application.PARAMETERS.items()}

    def found(self, account_sid: str, client_sid: str) -> SipClient:
        """The client, if it belongs to the URL's account or one below it."""
        below = accounts.below(self.target(account_sid))
        return self.one(SipClient.objects.select_related("account").filter(account__in=below), "client", client_sid)


FORM = [
    ("FriendlyName", "A name for the client (default: its Login).", False),
    ("Password", "8 to 128 characters with a letter and a digit; the phone registers with it.", False),
    ("Status", "1 enabled (the default), 0 disabled: a disabled client cannot register.", False),
    *[(name, description, False) for name, description in voice_application.DESCRIPTIONS],
]


class ClientList(ClientView):
    """The account's own clients."""

    paged = True
    creates = True
    form_fields = {
        "post": [
            ("Login", "The SIP user name the phone registers with: letters, digits, '.', '_', '-'.", True),
            *[(name, description, name == "Password") for name, description, _ in FORM],
        ]
    }

    def get(self, request, account_sid: str, format=None):
        account = self.target(account_sid)
        return self.page(
            "Clients", "Client", SipClient.objects.filter(account=account).select_related("account"), self.represent
        )

    def post(self, request, account_sid: str, format=None):
        account = self.target(account_sid)
        params = self.params()
        status = params.get("Status")
        client = clients.create_client(
            account,
            login=params.get("Login"),
            password=params.get("Password"),
            friendly_name=params.get("FriendlyName"),
            enabled=clients.status_from(status) if status else True,
            by=self.account,
            **self.voice(params),
        )
        return self.item("Client", self.represent(client), status=201)


class ClientDetail(ClientView):
    """A client of the account or of one below it."""

    form_fields = {"post": FORM, "put": FORM}

    def get(self, request, account_sid: str, client_sid: str, format=None):
        return self.item("Client", self.represent(self.found(account_sid, client_sid)))

    def post(self, request, account_sid: str, client_sid: str, format=None):
        client = self.found(account_sid, client_sid)
        params = self.params()
        status = params.get("Status")
        client = clients.update_client(
            client,
            password=params.get("Password"),
            friendly_name=params.get("FriendlyName"),
            enabled=clients.status_from(status) if status else None,
            by=self.account,
            **self.voice(params),
        )
        return self.item("Client", self.represent(client))

    put = post

    def delete(self, request, account_sid: str, client_sid: str, format=None):
        clients.delete_client(self.found(account_sid, client_sid), by=self.account)
        return self.deleted()


urlpatterns = [
    *resource("Accounts/<str:account_sid>/Clients", ClientList.as_view(), "restcomm-clients"),
    *resource("Accounts/<str:account_sid>/Clients/<str:client_sid>", ClientDetail.as_view(), "restcomm-client"),
]

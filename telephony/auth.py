"""How the call executor proves itself to the portal: a shared token (`EXECUTOR_TOKEN`).

The executor talks to the portal only over HTTP (number lookup, RCML, audio, call records), so
several executors on several machines share the one token from the environment. A remote Restcomm
server running an enterprise's AA carries that enterprise's entry credentials instead
(telephony.rcml.entry_credentials), which read what the executor reads of that enterprise only.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from rest_framework import authentication, exceptions


class ExecutorPrincipal:
    """The authenticated principal of executor requests: not a user of any tenant."""

    is_authenticated = True
    role = "EXECUTOR"
    pk = None
    email_id = "executor"

    def __str__(self) -> str:
        return "executor"


class ExecutorTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <EXECUTOR_TOKEN>`."""

    keyword = b"bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid bearer header")
        if not hmac.compare_digest(header[1].decode("latin-1"), settings.EXECUTOR_TOKEN):
            raise exceptions.AuthenticationFailed("Invalid executor token")
        return ExecutorPrincipal(), None

    def authenticate_header(self, request):
        return 'Bearer realm="executor"'


class EntryPrincipal:
    """A remote Restcomm server running one enterprise's AA documents: the executor's role, on that
    enterprise's objects only (views scope by `enterprise_sid`)."""

    is_authenticated = True
    role = ExecutorPrincipal.role
    pk = None

    def __init__(self, enterprise_sid: str) -> None:
        self.enterprise_sid = enterprise_sid
        self.email_id = f"entry:{enterprise_sid}"

    def __str__(self) -> str:
        return self.email_id


class EntryCredentialsAuthentication(authentication.BaseAuthentication):
    """HTTP Basic with an enterprise's entry credentials (an AA number's VoiceUrl userinfo); any other
    Basic is left to the next authentication class."""

    def authenticate(self, request):
        from telephony.rcml.entry_credentials import enterprise_of_header

        enterprise_sid = enterprise_of_header(request.META.get("HTTP_AUTHORIZATION", ""))
        return (EntryPrincipal(enterprise_sid), None) if enterprise_sid else None

"""How the call executor proves itself to the portal: a shared token (`EXECUTOR_TOKEN`).

The executor talks to the portal only over HTTP (number lookup, RCML, audio, call records), so
several executors on several machines share the one token from the environment.
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

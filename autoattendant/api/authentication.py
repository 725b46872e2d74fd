"""API authentication: HTTP Basic with a user's SID or email and auth token, or an HMAC-signed request.

Only the auth token: a console password is not accepted here (the reference's `userSid`/`emailId`
with the auth token), so passwords are tried only at the console, under its lockout. Every failure
is counted and audited by autoattendant.services.sign_in_guard, which is asked first: an address
with too many failures gets 429 with Retry-After before any credential is checked.

Signed requests (server-to-server, per organisation):
    X-AA-Key-Sid:   the organisation's HMAC key SID (OHK...)
    X-AA-Timestamp: Unix seconds; refused when more than HMAC_MAX_SKEW_SECONDS from the server's clock
    X-AA-Signature: hex HMAC-SHA256(key, f"{timestamp}\\n{METHOD}\\n{path with query}\\n{sha256 hex of body}")
    X-AA-User:      optional emailId or SID of the organisation's CSP admin to act as
                    (default: its oldest active CSP admin)
A signature is accepted once: it is remembered in the cache for twice the allowed skew.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import time
from typing import NoReturn

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from rest_framework import authentication, exceptions

from autoattendant.choices import Role, UserStatus
from autoattendant.models import HmacKey, User
from autoattendant.models.user import hash_token
from autoattendant.services import sign_in_guard
from autoattendant.services.sign_in_guard import Attempt, Door


def refuse_if_throttled(attempt: Attempt) -> None:
    seconds = sign_in_guard.wait(attempt)
    if seconds:
        raise exceptions.Throttled(wait=seconds)


def refuse(attempt: Attempt, reason: str, message: str) -> NoReturn:
    """Count and audit the failure; 429 when it locked the address, else 401 with `message`."""
    seconds = sign_in_guard.failed(attempt, reason)
    if seconds:
        raise exceptions.Throttled(wait=seconds)
    raise exceptions.AuthenticationFailed(message)


class TokenBasicAuthentication(authentication.BaseAuthentication):
    """`Authorization: Basic base64(userSid-or-emailId:authToken)`; the auth token only."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != b"basic":
            return None
        try:
            username, _, secret = base64.b64decode(header[1]).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError, IndexError):
            username = secret = None
        attempt = Attempt(Door.API, sign_in_guard.source_address(request.META), name=(username or "")[:254])
        refuse_if_throttled(attempt)
        if len(header) != 2 or username is None or secret is None:
            refuse(attempt, "malformed Basic header", "Invalid basic header")
        user = sign_in_guard.named_user(username)
        attempt = sign_in_guard.attempt_at(Door.API, attempt.source, username, user)
        if user is None:
            refuse(attempt, "no such user", "Invalid credentials")
        if not user.check_auth_token(secret):
            refuse(attempt, "wrong auth token", "Invalid credentials")
        if user.status != UserStatus.ACTIVE:
            refuse(attempt, "user is not active", "User is not active")
        return user, None

    def authenticate_header(self, request):
        return 'Basic realm="autoattendant"'


def canonical_request(timestamp: str, method: str, full_path: str, body: bytes) -> bytes:
    return "\n".join([timestamp, method.upper(), full_path, hashlib.sha256(body).hexdigest()]).encode()


def sign(key: str, timestamp: str, method: str, full_path: str, body: bytes) -> str:
    return hmac.new(key.encode(), canonical_request(timestamp, method, full_path, body), hashlib.sha256).hexdigest()


# Room for a multipart body's boundaries and fields around the largest announcement upload.
MULTIPART_OVERHEAD = 64 * 1024


def signed_body(django_request) -> bytes:
    """The raw body, read before DRF parses it. DATA_UPLOAD_MAX_MEMORY_SIZE guards form fields held
    in memory; a multipart upload (an announcement's audio) may be larger, up to ANNOUNCEMENT_MAX_BYTES."""
    try:
        return django_request.body
    except RequestDataTooBig:
        length = int(django_request.META.get("CONTENT_LENGTH") or 0)
        if not django_request.content_type.startswith("multipart/"):
            raise
        if length > settings.ANNOUNCEMENT_MAX_BYTES + MULTIPART_OVERHEAD:
            raise
        # What HttpRequest.body does, without its in-memory limit; the parsers then read the copy.
        django_request._body = django_request.read()
        django_request._stream = io.BytesIO(django_request._body)
        return django_request._body


class HmacSignatureAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        key_sid = request.META.get("HTTP_X_AA_KEY_SID")
        if not key_sid:
            return None
        source = sign_in_guard.source_address(request.META)
        attempt = Attempt(Door.HMAC, source, account=key_sid[:64], name=key_sid[:64])
        refuse_if_throttled(attempt)
        timestamp = request.META.get("HTTP_X_AA_TIMESTAMP", "")
        signature = request.META.get("HTTP_X_AA_SIGNATURE", "")
        if not timestamp or not signature:
            refuse(attempt, "incomplete signature headers", "X-AA-Timestamp and X-AA-Signature are required")
        try:
            skew = abs(time.time() - int(timestamp))
        except ValueError:
            refuse(attempt, "timestamp is not Unix seconds", "X-AA-Timestamp must be Unix seconds")
        if skew > settings.HMAC_MAX_SKEW_SECONDS:
            refuse(attempt, f"timestamp {int(skew)} s off", "Request timestamp is too far from the server's clock")
        key = HmacKey.objects.select_related("organisation").filter(sid=key_sid).first()
        if key is None:
            refuse(attempt, "no such HMAC key", "Invalid signature")
        attempt = Attempt(Door.HMAC, source, key.sid, key.sid, key.organisation_id)
        # request.body is read before DRF parses it; the raw bytes are what was signed.
        expected = sign(key.key, timestamp, request.method, request.get_full_path(), signed_body(request._request))
        if not hmac.compare_digest(expected, signature.lower()):
            refuse(attempt, "wrong signature", "Invalid signature")
        replay_key = "hmac-sig:" + hash_token(f"{key_sid}:{signature.lower()}")
        if not cache.add(replay_key, 1, timeout=2 * settings.HMAC_MAX_SKEW_SECONDS):
            refuse(attempt, "replayed signature", "Signature already used")
        return self._acting_user(key, request.META.get("HTTP_X_AA_USER"), attempt), None

    def _acting_user(self, key: HmacKey, wanted: str | None, attempt: Attempt) -> User:
        admins = User.objects.select_related("organisation", "enterprise").filter(
            organisation=key.organisation, role=Role.CSP_ADMIN, status=UserStatus.ACTIVE
        )
        if wanted:
            admins = admins.named(wanted)
        user = admins.order_by("date_created", "id").first()
        if user is None:
            refuse(attempt, "no active CSP admin to act as", "No active CSP admin to act as")
        return user

    def authenticate_header(self, request):
        return 'Basic realm="autoattendant"'

"""API authentication: HTTP Basic with a user's SID or email and auth token, or an HMAC-signed request.

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

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from rest_framework import authentication, exceptions

from autoattendant.choices import Role, UserStatus
from autoattendant.models import HmacKey, User
from autoattendant.models.user import hash_token


class TokenBasicAuthentication(authentication.BaseAuthentication):
    """`Authorization: Basic base64(userSid-or-emailId:authToken)`; the password is accepted too,
    as Restcomm accepts an account's password in place of its token."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != b"basic":
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid basic header")
        try:
            username, _, secret = base64.b64decode(header[1]).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise exceptions.AuthenticationFailed("Invalid basic header") from None
        lookup = {"sid": username} if username.startswith("RCS") else {"email_id__iexact": username}
        try:
            user = User.objects.select_related("organisation", "enterprise").get(**lookup)
        except (User.DoesNotExist, User.MultipleObjectsReturned):
            user = None
        if user is None or not (
            user.check_auth_token(secret) or (user.has_usable_password() and user.check_password(secret))
        ):
            raise exceptions.AuthenticationFailed("Invalid credentials")
        if user.status != UserStatus.ACTIVE:
            raise exceptions.AuthenticationFailed("User is not active")
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
        timestamp = request.META.get("HTTP_X_AA_TIMESTAMP", "")
        signature = request.META.get("HTTP_X_AA_SIGNATURE", "")
        if not timestamp or not signature:
            raise exceptions.AuthenticationFailed("X-AA-Timestamp and X-AA-Signature are required")
        try:
            skew = abs(time.time() - int(timestamp))
        except ValueError:
            raise exceptions.AuthenticationFailed("X-AA-Timestamp must be Unix seconds") from None
        if skew > settings.HMAC_MAX_SKEW_SECONDS:
            raise exceptions.AuthenticationFailed("Request timestamp is too far from the server's clock")
        key = HmacKey.objects.select_related("organisation").filter(sid=key_sid).first()
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid signature")
        # request.body is read before DRF parses it; the raw bytes are what was signed.
        expected = sign(key.key, timestamp, request.method, request.get_full_path(), signed_body(request._request))
        if not hmac.compare_digest(expected, signature.lower()):
            raise exceptions.AuthenticationFailed("Invalid signature")
        replay_key = "hmac-sig:" + hash_token(f"{key_sid}:{signature.lower()}")
        if not cache.add(replay_key, 1, timeout=2 * settings.HMAC_MAX_SKEW_SECONDS):
            raise exceptions.AuthenticationFailed("Signature already used")
        return self._acting_user(key, request.META.get("HTTP_X_AA_USER")), None

    def _acting_user(self, key: HmacKey, wanted: str | None) -> User:
        admins = User.objects.select_related("organisation", "enterprise").filter(
            organisation=key.organisation, role=Role.CSP_ADMIN, status=UserStatus.ACTIVE
        )
        if wanted:
            lookup = {"sid": wanted} if wanted.startswith("RCS") else {"email_id__iexact": wanted}
            admins = admins.filter(**lookup)
        user = admins.order_by("date_created", "id").first()
        if user is None:
            raise exceptions.AuthenticationFailed("No active CSP admin to act as")
        return user

    def authenticate_header(self, request):
        return 'Basic realm="autoattendant"'

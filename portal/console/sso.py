"""HMAC single sign-on: a CSP's own portal sends its users into the console with a signed link.

    /autoattendant/sso?emailId=…&timestamp=…&nonce=…&keySid=…&signature=…

`signature` is the hex HMAC-SHA256, keyed with the organisation's HMAC key (the `key` the API returns
for `keySid`), of the four other fields joined by newlines in this order:

    f"{emailId}\\n{timestamp}\\n{nonce}\\n{keySid}"

`timestamp` is Unix seconds; a link is good for SSO_MAX_AGE_SECONDS (5 minutes) and once: its nonce
(any string of 8-128 letters, digits, `-` or `_`) is remembered. The user must be an active user of
the key's organisation. Every refusal is a page saying why, and an audit entry; failures are counted
by autoattendant.services.sign_in_guard, asked first: from an address with too many failed sign-ins,
links are refused (429) unchecked and unaudited but for one entry per cool-off.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time

from django.conf import settings
from django.contrib.auth import login
from django.core.cache import cache
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from autoattendant.choices import UserStatus
from autoattendant.models import HmacKey, User
from autoattendant.models.user import hash_token
from autoattendant.services import audit, sign_in_guard
from autoattendant.services.sign_in_guard import Attempt, Door
from portal.console.auth import locked_out

FIELDS = ("emailId", "timestamp", "nonce", "keySid")
NONCE = re.compile(r"^[A-Za-z0-9_-]{8,128}$")
# A link from a clock slightly ahead of ours is still fine.
CLOCK_SKEW_SECONDS = 30


def sso_message(email_id: str, timestamp: str, nonce: str, key_sid: str) -> bytes:
    return "\n".join([email_id, timestamp, nonce, key_sid]).encode()


def sso_signature(key: str, email_id: str, timestamp: str, nonce: str, key_sid: str) -> str:
    return hmac.new(key.encode(), sso_message(email_id, timestamp, nonce, key_sid), hashlib.sha256).hexdigest()


class Refused(Exception):
    def __init__(self, reason: str, title: str, organisation_id: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.title = title
        self.organisation_id = organisation_id


def verify(params) -> User:
    """The user a link signs in, or Refused with the reason."""
    given = {name: params.get(name, "") for name in FIELDS}
    signature = params.get("signature", "")
    if not all(given.values()) or not signature:
        missing = [name for name in (*FIELDS, "signature") if not params.get(name)]
        raise Refused(f"missing {', '.join(missing)}", "This sign-in link is incomplete")
    key = HmacKey.objects.filter(sid=given["keySid"]).first()
    expected = sso_signature(key.key, **_args(given)) if key else ""
    if key is None or not hmac.compare_digest(expected, signature.lower()):
        raise Refused("wrong signature", "This sign-in link is not signed correctly", key and key.organisation_id)
    organisation_id = key.organisation_id
    try:
        age = time.time() - int(given["timestamp"])
    except ValueError:
        raise Refused("timestamp is not Unix seconds", "This sign-in link is malformed", organisation_id) from None
    if age > settings.SSO_MAX_AGE_SECONDS or age < -CLOCK_SKEW_SECONDS:
        raise Refused(f"expired ({int(age)} s old)", "This sign-in link has expired", organisation_id)
    if not NONCE.match(given["nonce"]):
        raise Refused("malformed nonce", "This sign-in link is malformed", organisation_id)
    user = (
        User.objects.select_related("organisation", "enterprise")
        .filter(email_id__iexact=given["emailId"], organisation_id=organisation_id, status=UserStatus.ACTIVE)
        .first()
    )
    if user is None:
        raise Refused(
            "no active user of this organisation", "This sign-in link is not for a user here", organisation_id
        )
    # Last, so a link refused for another reason can be fixed and sent again with the same nonce.
    nonce_key = "sso-nonce:" + hash_token(f"{given['keySid']}:{given['nonce']}")
    if not cache.add(nonce_key, 1, timeout=2 * (settings.SSO_MAX_AGE_SECONDS + CLOCK_SKEW_SECONDS)):
        raise Refused("replayed (nonce already used)", "This sign-in link has already been used", organisation_id)
    return user


def _args(given: dict[str, str]) -> dict[str, str]:
    return {
        "email_id": given["emailId"],
        "timestamp": given["timestamp"],
        "nonce": given["nonce"],
        "key_sid": given["keySid"],
    }


@never_cache
@require_GET
def single_sign_on(request):
    source = sign_in_guard.source_address(request.META)
    key_sid, email = request.GET.get("keySid", "")[:64], request.GET.get("emailId", "")[:254]
    seconds = sign_in_guard.wait(Attempt(Door.SSO, source, account=key_sid, name=email))
    if seconds:
        return locked_out(request, seconds)
    try:
        user = verify(request.GET)
    except Refused as refused:
        attempt = Attempt(Door.SSO, source, account=key_sid, name=email, organisation_id=refused.organisation_id)
        seconds = sign_in_guard.failed(attempt, refused.reason)
        if seconds:
            return locked_out(request, seconds)
        context = {"title": refused.title, "reason": refused.reason}
        return render(request, "console/auth/sso_refused.html", context, status=403)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    audit.signed_in(user, via="sso")
    return redirect("console:dashboard")

"""Failed sign-ins, counted per source address and per account on every door, and their audit.

Every way in calls this one service: the console's sign-in form, HTTP Basic and HMAC-signed requests
on the API, and single sign-on links. Failures are counted in the cache (Redis) and forgotten
SIGN_IN_COOLOFF_SECONDS after the first one of a run:

- per source address, all doors together: after SIGN_IN_SOURCE_LIMIT failures the address is refused
  on every door, before any credential is checked, for SIGN_IN_COOLOFF_SECONDS;
- per account (a user, or an HMAC key): after SIGN_IN_ACCOUNT_LIMIT failures the user's password is
  refused from every address for SIGN_IN_COOLOFF_SECONDS. Passwords are the only guessable secret the
  portal takes (the console's). API tokens and HMAC keys are 256-bit random secrets: an account's
  failures do not lock them, or anyone who knows an admin's email, or a key's SID (it is in every
  single sign-on link), could stop a CSP's integration. Their failures count per source all the same.

The audit log gets one row per failure (door, source address, account; never the secret) while under
both limits, one "locked" row when a limit is reached, and one "throttled" row for the first request
refused in the cool-off: none for the others, however many.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.core.cache import cache

from autoattendant.models import User
from autoattendant.services import audit


class Door(StrEnum):
    CONSOLE = "console"  # email and password
    API = "api"  # HTTP Basic with the auth token
    HMAC = "hmac"  # a request signed with the organisation's HMAC key
    SSO = "sso"  # a single sign-on link signed with the HMAC key
    RESTCOMM = "restcomm"  # the Restcomm API: HTTP Basic with an account's SID or email and AuthToken


# Doors whose secret a person chose and an attacker may guess: an account's failures lock these.
PASSWORD_DOORS = frozenset({Door.CONSOLE})


@dataclass(frozen=True)
class Attempt:
    """One try at a door. `account`: what the failures of one account are counted under (a user's or
    key's SID when the name is known, else the name as given); `name`: how the audit names it."""

    door: Door
    source: str
    account: str = ""
    name: str = ""
    organisation_id: int | None = None
    enterprise_id: int | None = None


def named_user(name: str) -> User | None:
    """The user a sign-in names: by SID (`RCS…`) or, case-insensitively, by email."""
    try:
        return User.objects.select_related("organisation", "enterprise").named(name).get()
    except (User.DoesNotExist, User.MultipleObjectsReturned):
        return None


def attempt_at(door: Door, source: str, name: str, user: User | None) -> Attempt:
    """An attempt naming `name`, counted under the user's SID when it names one (so its SID and its
    email are one account), else under the name."""
    if user is None:
        return Attempt(door, source, account=name.strip().lower()[:254], name=name[:254])
    return Attempt(door, source, user.sid, user.email_id, user.organisation_id, user.enterprise_id)


def source_address(meta: Mapping[str, str]) -> str:
    """The caller's address: behind a TLS proxy (BEHIND_TLS_PROXY), the one the proxy appended to
    X-Forwarded-For; else the connection's."""
    if settings.SIGN_IN_ADDRESS_FROM_PROXY:
        forwarded = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-1][:64]
    return meta.get("REMOTE_ADDR", "")[:64] or "unknown"


def _key(kind: str, scope: str, value: str) -> str:
    return f"sign-in:{kind}:{scope}:" + hashlib.sha256(value.lower().encode()).hexdigest()


def _scopes(attempt: Attempt, *, locking: bool) -> list[tuple[str, str]]:
    """(scope, value) pairs this attempt is counted or locked under."""
    scopes = [("source", attempt.source)]
    if attempt.account and (not locking or attempt.door in PASSWORD_DOORS):
        scopes.append(("account", attempt.account))
    return scopes


def _lock_wait(scope: str, value: str) -> int:
    until = cache.get(_key("lock", scope, value))
    return max(1, math.ceil(until - time.time())) if until else 0


def wait(attempt: Attempt) -> int:
    """Seconds until this attempt may be tried (0: go ahead), asked before checking any credential.
    Only the first refusal of a source's or account's cool-off is audited."""
    for scope, value in _scopes(attempt, locking=True):
        seconds = _lock_wait(scope, value)
        if seconds:
            if cache.add(_key("audited", scope, value), 1, timeout=seconds):
                _audit(attempt, "throttled", f"refused: too many failed sign-ins from this {_what(scope)}")
            return seconds
    return 0


def failed(attempt: Attempt, reason: str) -> int:
    """Count a failure and audit it; the seconds the source or account is now locked for (0: not)."""
    cooloff = settings.SIGN_IN_COOLOFF_SECONDS
    limits = {"source": settings.SIGN_IN_SOURCE_LIMIT, "account": settings.SIGN_IN_ACCOUNT_LIMIT}
    counts = {scope: _count(_key("count", scope, value), cooloff) for scope, value in _scopes(attempt, locking=False)}
    if all(count < limits[scope] for scope, count in counts.items()):
        _audit(attempt, "failed", reason)
        return 0
    locked = 0
    for scope, value in _scopes(attempt, locking=True):
        if counts[scope] == limits[scope]:
            cache.set(_key("lock", scope, value), time.time() + cooloff, timeout=cooloff)
            _audit(attempt, "locked", f"{reason}; {limits[scope]} failures from this {_what(scope)}: locked out")
            locked = cooloff
        elif counts[scope] > limits[scope]:
            locked = max(locked, _lock_wait(scope, value))
    if not locked and counts.get("account") == limits["account"]:
        # A token or key named in too many failures: audited once, then no more one by one.
        _audit(attempt, "throttled", f"{reason}; {limits['account']} failures for this account: no longer audited")
    return locked


def succeeded(attempt: Attempt) -> None:
    """A good password forgives the account's earlier failures (not the source's)."""
    if attempt.account and attempt.door in PASSWORD_DOORS:
        cache.delete(_key("count", "account", attempt.account))


def _what(scope: str) -> str:
    return "address" if scope == "source" else "account"


def _count(key: str, timeout: int) -> int:
    cache.add(key, 0, timeout=timeout)  # the window starts at the first failure
    try:
        return cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.set(key, 1, timeout=timeout)
        return 1


def _audit(attempt: Attempt, event: str, reason: str) -> None:
    audit.sign_in_failed(
        door=str(attempt.door),
        source=attempt.source,
        name=attempt.name or attempt.account,
        account_sid=attempt.account if attempt.account[:3] in {"RCS", "OHK"} or attempt.account[:2] == "AC" else "",
        organisation_id=attempt.organisation_id,
        enterprise_id=attempt.enterprise_id,
        event=event,
        reason=reason,
    )

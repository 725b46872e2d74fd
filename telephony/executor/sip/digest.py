"""Server-side digest authentication (RFC 2617 / RFC 7616, MD5 and SHA-256, qop=auth): aiosipua only answers challenges.

Nonces are stateless: a timestamp and an HMAC over it and the realm with a per-process secret, so any
realm can be challenged without remembering anything, and a nonce older than `lifetime` is reported
stale (the client retries with the fresh nonce of a new challenge, without asking its user).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from enum import Enum

_HASHES = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}


class NonceState(Enum):
    VALID = "valid"
    STALE = "stale"
    INVALID = "invalid"


class Nonces:
    def __init__(self, secret: bytes | None = None, lifetime: float = 300.0):
        self._secret = secret or os.urandom(32)
        self.lifetime = lifetime

    def _mac(self, stamp: str, realm: str) -> str:
        return hmac.new(self._secret, f"{stamp}:{realm}".encode(), hashlib.sha256).hexdigest()[:32]

    def make(self, realm: str, now: float | None = None) -> str:
        stamp = format(int(time.time() if now is None else now), "x")
        return f"{stamp}.{self._mac(stamp, realm)}"

    def check(self, nonce: str, realm: str, now: float | None = None) -> NonceState:
        stamp, _, mac = nonce.partition(".")
        if not stamp or not hmac.compare_digest(mac, self._mac(stamp, realm)):
            return NonceState.INVALID
        try:
            issued = int(stamp, 16)
        except ValueError:
            return NonceState.INVALID
        age = (time.time() if now is None else now) - issued
        return NonceState.VALID if -5 <= age <= self.lifetime else NonceState.STALE


def challenge(realm: str, nonce: str, *, stale: bool = False) -> str:
    """A WWW-Authenticate value."""
    realm = realm.replace("\\", "").replace('"', "")
    value = f'Digest realm="{realm}", nonce="{nonce}", algorithm=MD5, qop="auth"'
    return value + ", stale=true" if stale else value


def response_matches(params: dict[str, str], method: str, password: str) -> bool:
    """Whether the credentials' `response` is the digest of `password` (parameter names lower-cased)."""
    algorithm = params.get("algorithm", "MD5").upper()
    hasher = _HASHES.get(algorithm)
    if hasher is None:
        return False

    def h(text: str) -> str:
        return hasher(text.encode("utf-8")).hexdigest()

    username, realm, nonce, uri = (params.get(k, "") for k in ("username", "realm", "nonce", "uri"))
    ha1 = h(f"{username}:{realm}:{password}")
    ha2 = h(f"{method}:{uri}")
    qop = params.get("qop", "")
    if qop:
        if qop.lower() != "auth":
            return False
        expected = h(f"{ha1}:{nonce}:{params.get('nc', '')}:{params.get('cnonce', '')}:{qop}:{ha2}")
    else:
        expected = h(f"{ha1}:{nonce}:{ha2}")
    return hmac.compare_digest(expected, params.get("response", "").lower())

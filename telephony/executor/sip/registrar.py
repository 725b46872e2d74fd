"""The registrar for `client` extensions: REGISTER with digest authentication (aiosipua's UAS answers 405).

SIP username = the extension's number (the To user); the password comes from the portal through the
`password_for` callback. Any domain is accepted: the realm is the domain the phone puts in its To
(or Request-URI).

Bindings live in this process's memory: one executor serves them all. Several executors would share
them through the portal (or Redis) later, behind this same class.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import formatdate
from urllib.parse import unquote

from aiosipua import SipRequest, SipResponse, parse_address, parse_auth, parse_uri, stringify_uri

from telephony.executor.sip.digest import Nonces, NonceState, challenge, response_matches
from telephony.executor.sip.messages import make_response

logger = logging.getLogger(__name__)

DEFAULT_EXPIRES = 3600


@dataclass
class Binding:
    login: str
    contact: str  # the Contact URI: the Request-URI of calls to this phone
    addr: tuple[str, int]  # where the REGISTER came from: calls are sent there (NAT)
    transport: str  # "udp" | "tcp"
    expires_at: float  # time.time()


class Registrar:
    def __init__(
        self,
        password_for: Callable[[str], Awaitable[str | None]],
        *,
        max_expires: int = 3600,
        min_expires: int = 60,
        nonces: Nonces | None = None,
        user_agent: str | None = None,
    ):
        self.password_for = password_for
        self.max_expires = max_expires
        self.min_expires = min(min_expires, max_expires)
        self.nonces = nonces or Nonces()
        self.user_agent = user_agent
        self._bindings: dict[str, dict[str, Binding]] = {}  # login -> contact -> binding (latest last)

    # Reading.
    def _current(self, login: str, now: float) -> dict[str, Binding]:
        mine = self._bindings.get(login)
        if not mine:
            return {}
        for contact in [c for c, b in mine.items() if b.expires_at <= now]:
            del mine[contact]
        if not mine:
            del self._bindings[login]
        return mine

    def lookup(self, login: str) -> Binding | None:
        """The most recently refreshed unexpired binding of `login`."""
        mine = self._current(login, time.time())
        return next(reversed(mine.values())) if mine else None

    def bindings(self) -> list[Binding]:
        now = time.time()
        return [b for login in list(self._bindings) for b in self._current(login, now).values()]

    def drop_connection(self, transport: str, addr: tuple[str, int]) -> None:
        """A connection closed: the bindings that came over it cannot be reached any more."""
        for login, mine in list(self._bindings.items()):
            for contact in [c for c, b in mine.items() if b.transport == transport and b.addr == addr]:
                del mine[contact]
            if not mine:
                del self._bindings[login]

    # REGISTER.
    def _response(self, request: SipRequest, status: int, reason: str = "", **headers: str) -> SipResponse:
        named = {name.replace("_", "-"): value for name, value in headers.items()}
        return make_response(request, status, reason, headers=named, user_agent=self.user_agent)

    def _challenge(self, request: SipRequest, realm: str, *, stale: bool = False) -> SipResponse:
        value = challenge(realm, self.nonces.make(realm), stale=stale)
        return self._response(request, 401, "Unauthorized", WWW_Authenticate=value)

    async def handle(self, request: SipRequest, addr: tuple[str, int], transport: str) -> SipResponse:
        """The response to a REGISTER."""
        to = request.to_addr
        login = unquote(to.uri.user or "") if to is not None else ""
        realm = (to.uri.host if to is not None else "") or parse_uri(request.uri).host
        if not login:
            return self._response(request, 400, "Missing user in To")
        raw = request.get_header("authorization")
        if not raw:
            return self._challenge(request, realm)
        credentials = parse_auth(raw, credentials=True)
        params = {key.lower(): value for key, value in credentials.params.items()}
        if credentials.scheme.lower() != "digest" or not params.get("nonce"):
            return self._challenge(request, realm)
        state = self.nonces.check(params["nonce"], params.get("realm", ""))
        if state is not NonceState.VALID:
            return self._challenge(request, realm, stale=state is NonceState.STALE)
        if params.get("username") != login:
            logger.info("REGISTER %s from %s:%s: username %r does not match", login, *addr, params.get("username"))
            return self._response(request, 403, "Forbidden")
        try:
            password = await self.password_for(login)
        except Exception:
            logger.exception("REGISTER %s: no password lookup", login)
            return self._response(request, 503, "Service Unavailable", Retry_After="30")
        if password is None or not response_matches(params, request.method.upper(), password):
            logger.info("REGISTER %s from %s:%s: wrong credentials", login, *addr)
            return self._response(request, 403, "Forbidden")
        return self._bind(request, addr, transport, login)

    def _bind(self, request: SipRequest, addr: tuple[str, int], transport: str, login: str) -> SipResponse:
        contacts = request.headers.get("contact")
        raw_expires = request.get_header("expires")
        try:
            default = int(raw_expires) if raw_expires is not None else DEFAULT_EXPIRES
        except ValueError:
            return self._response(request, 400, "Invalid Expires")
        now = time.time()
        if any(contact.strip() == "*" for contact in contacts):
            if len(contacts) != 1 or default != 0:
                return self._response(request, 400, "Invalid wildcard Contact")
            self._bindings.pop(login, None)
            logger.info("REGISTER %s: all bindings removed", login)
            return self._ok(request, login, now, None)
        plan: list[tuple[str, int]] = []
        for raw in contacts:
            address = parse_address(raw)
            try:
                expires = int(address.params["expires"] or "") if "expires" in address.params else default
            except ValueError:
                return self._response(request, 400, "Invalid expires")
            if expires < 0:
                return self._response(request, 400, "Invalid expires")
            if 0 < expires < self.min_expires:
                return self._response(request, 423, "Interval Too Brief", Min_Expires=str(self.min_expires))
            plan.append((stringify_uri(address.uri), min(expires, self.max_expires)))
        mine = self._bindings.setdefault(login, {})
        for contact, expires in plan:
            mine.pop(contact, None)
            if expires > 0:
                mine[contact] = Binding(login, contact, addr, transport, now + expires)
        if not mine:
            del self._bindings[login]
        if plan:
            logger.info("REGISTER %s: %s from %s:%s over %s", login, plan, *addr, transport)
        return self._ok(request, login, now, plan[0][1] if plan else None)

    def _ok(self, request: SipRequest, login: str, now: float, granted: int | None) -> SipResponse:
        response = self._response(request, 200, "OK", Date=formatdate(now, usegmt=True))
        for binding in self._current(login, now).values():
            response.headers.append("Contact", f"<{binding.contact}>;expires={max(int(binding.expires_at - now), 0)}")
        if granted is not None:
            response.headers.set_single("Expires", str(granted))
        return response

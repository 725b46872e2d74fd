"""Which servers an executor may fetch from for an RCML application (VoiceUrl, fallback, action,
Redirect, Play, StatusCallback, transcribeCallback): any http(s) server, except addresses inside the
machine or its link — loopback, link-local (169.254/16, fe80::/10: cloud metadata services),
unspecified, multicast, broadcast, and the machine's own addresses — so that a URL given through the
Restcomm API cannot reach the services beside the executor.

An operator opens such addresses with RCML_FETCH_ALLOW: comma-separated host names, `host:port`, IP
addresses and CIDR networks (`127.0.0.1:8080`, `apps.internal`, `10.0.0.0/8`, `[::1]:8080`). The
portal's own URL is always allowed: it is where the executor's AA documents come from.

The check is made where the connection is made (`PolicyConnector`, on the addresses a name resolves
to), so a name that resolves to an internal address is refused as an address literal is, and each
redirect is a new connection checked again. Pure: the standard library and aiohttp, no Django.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

OWN_ADDRESS_SECONDS = 60.0  # how long "this address is (not) ours" is remembered
# An address no machine has (TEST-NET-1, RFC 5737): if it can be bound, binding proves nothing.
NOT_OURS = "192.0.2.1"


class FetchRefused(OSError):
    """The fetch policy refuses the address (aiohttp passes it on as the connection's error)."""


def _address(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return address


def _split_host_port(entry: str) -> tuple[str, int | None]:
    """`host`, `host:port`, `[v6]:port`, `v6` -> (host, port or None)."""
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") and rest[1:] else None
    if entry.count(":") == 1:
        host, _, port = entry.partition(":")
        return host, int(port)
    return entry, None


@dataclass(frozen=True)
class _Allowed:
    host: str | None = None  # a name (lower case), or None for a network
    network: Network | None = None
    port: int | None = None  # None: any port


@dataclass
class FetchPolicy:
    """RCML_FETCH_ALLOW and the portal's URL, and the decision for each address an executor would
    connect to."""

    allowed: tuple[_Allowed, ...] = ()
    _own: dict[Address, tuple[bool, float]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_setting(cls, allow: str, portal_url: str = "") -> FetchPolicy:
        """RCML_FETCH_ALLOW's value; ValueError names an entry that is none of the forms."""
        entries = [entry.strip() for entry in (allow or "").split(",") if entry.strip()]
        allowed = [cls._entry(entry) for entry in entries]
        if portal_url:
            parts = urlsplit(portal_url)
            if parts.hostname:
                port = parts.port or (443 if parts.scheme == "https" else 80)
                host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
                allowed.append(cls._entry(f"{host}:{port}"))
        return cls(tuple(allowed))

    @staticmethod
    def _entry(entry: str) -> _Allowed:
        try:
            if "/" in entry:
                return _Allowed(network=ipaddress.ip_network(entry.strip("[]"), strict=False))
            host, port = _split_host_port(entry)
            if port is not None and not 0 < port < 65536:
                raise ValueError(port)
        except ValueError:
            raise ValueError(f"RCML_FETCH_ALLOW: {entry!r} is not a host, host:port or CIDR network") from None
        address = _address(host)
        if address is not None:
            return _Allowed(network=ipaddress.ip_network(address), port=port)
        if not host or any(c in host for c in " /@?#"):
            raise ValueError(f"RCML_FETCH_ALLOW: {entry!r} is not a host, host:port or CIDR network")
        return _Allowed(host=host.lower().rstrip("."), port=port)

    # The decision.
    def allows_name(self, host: str, port: int) -> bool:
        """The name (as the URL has it) is allowed whatever it resolves to."""
        name = host.lower().rstrip(".")
        return any(a.host == name and a.port in (None, port) for a in self.allowed)

    def refusal(self, host: str, port: int, address_text: str) -> str | None:
        """Why `address_text` (what `host` resolved to) may not be connected to; None: it may."""
        if self.allows_name(host, port):
            return None
        address = _address(address_text)
        if address is None:
            return f"{address_text!r} is not an IP address"
        for allowed in self.allowed:
            if allowed.network is not None and address in allowed.network and allowed.port in (None, port):
                return None
        kind = self._internal(address)
        return f"{host} ({address}) is {kind}; not in RCML_FETCH_ALLOW" if kind else None

    def _internal(self, address: Address) -> str | None:
        if address.is_loopback:
            return "a loopback address"
        if address.is_link_local:
            return "a link-local address"
        if address.is_unspecified or address in ipaddress.ip_network("0.0.0.0/8"):
            return "an unspecified address"
        if address.is_multicast:
            return "a multicast address"
        if address == ipaddress.IPv4Address("255.255.255.255"):
            return "the broadcast address"
        if self._is_own(address):
            return "this machine's address"
        return None

    def _is_own(self, address: Address) -> bool:
        """Whether the address is one of this machine's: a socket can be bound to it only then."""
        now = time.monotonic()
        known = self._own.get(address)
        if known is not None and known[1] > now:
            return known[0]
        own = _bindable(address) and not _bindable(ipaddress.IPv4Address(NOT_OURS))
        if len(self._own) > 1024:
            self._own.clear()
        self._own[address] = (own, now + OWN_ADDRESS_SECONDS)
        return own

    def check(self, host: str, port: int, addresses: Sequence[str]) -> list[str]:
        """The addresses that may be connected to; FetchRefused when none may."""
        refusals = [(address, self.refusal(host, port, address)) for address in addresses]
        allowed = [address for address, why in refusals if why is None]
        if not allowed:
            reasons = "; ".join(dict.fromkeys(why for _, why in refusals if why)) or f"{host} has no address"
            raise FetchRefused(f"refused by the fetch policy: {reasons}")
        return allowed

    def check_url(self, url: str) -> str | None:
        """Why `url` would be refused now (resolving its host here, blocking); None: it would be
        fetched. For a check before a URL is accepted (the connector checks again on each fetch)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return f"{url!r} is not an http(s) URL"
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            addresses = [info[4][0] for info in socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)]
        except OSError as exc:
            return f"{parts.hostname} does not resolve: {exc}"
        try:
            self.check(parts.hostname, port, [str(a) for a in addresses])
        except FetchRefused as exc:
            return str(exc)
        return None


def _bindable(address: Address) -> bool:
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.bind((str(address), 0))
        return True
    except OSError:
        return False


class PolicyConnector(aiohttp.TCPConnector):
    """aiohttp's connector, refusing what the policy refuses among the addresses it would connect
    to: names after resolution, address literals as they are (aiohttp does not resolve those)."""

    def __init__(self, policy: FetchPolicy, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.policy = policy

    async def _resolve_host(self, host: str, port: int, traces: Any = None) -> list[Any]:
        resolved = await super()._resolve_host(host, port, traces=traces)
        allowed = set(self.policy.check(host, port, [entry["host"] for entry in resolved]))
        return [entry for entry in resolved if entry["host"] in allowed]

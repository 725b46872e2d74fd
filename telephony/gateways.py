"""Gateways (Restcomm's Management/Gateways: SIP trunks) and the outbound proxy: the rules, the writes,
and the push to the SIP edge that carries them out.

The SIP edge (Kamailio) registers with every gateway whose Register is set (its UserName, Password and
TTL), and sends an executor's call to a number through the gateway of the call's account or of the
nearest account above it; with none, through the active outbound proxy (SIP_OUTBOUND_PROXY, or
SIP_OUTBOUND_PROXY_FALLBACK once switched). It reads them from views over these tables (migration
0010) and is told after each committed change (telephony.edge.trunks).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from autoattendant.errors import AAError, Code
from telephony.edge import trunks
from telephony.edge.config import EdgeConfig, proxy_address
from telephony.models import ActiveOutboundProxy, Gateway, TelephonyAccount

MIN_TTL, MAX_TTL, DEFAULT_TTL = 60, 86400, 3600
# Kamailio's uacreg columns hold 64 characters (user, password, the registrar's host:port).
MAX_CREDENTIAL = 64
LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
HOST = rf"(?:{LABEL}(?:\.{LABEL})*|\[[0-9A-Fa-f:.]+\])"
PROXY = re.compile(rf"^(?P<sip>sip:)?(?P<host>{HOST})(?::(?P<port>[0-9]{{1,5}}))?(?P<params>;transport=(?:udp|tcp))?$")
# Restcomm's form fields and the model's names.
FIELDS = {
    "FriendlyName": "friendly_name",
    "UserName": "user_name",
    "Password": "password",
    "Proxy": "proxy",
    "Register": "register",
    "TTL": "ttl",
}


def _invalid(field: str, message: str) -> AAError:
    return AAError(Code.BAD_REQUEST, message=f"{field} {message}")


def check_proxy(value: str) -> str:
    """`host[:port]` or `sip:host[:port]` (`;transport=udp|tcp` allowed): where the gateway is."""
    proxy = value.strip()
    match = PROXY.match(proxy)
    if not match or (match.group("port") and not 0 < int(match.group("port")) < 65536):
        raise _invalid("Proxy", "must be host[:port] or a sip: URI (sip:host[:port][;transport=udp|tcp])")
    if len(match.group("host")) + len(match.group("port") or "") + 1 > MAX_CREDENTIAL:
        raise _invalid("Proxy", f"host:port must be at most {MAX_CREDENTIAL} characters")
    return proxy


def _boolean(field: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no", ""):
        return False
    raise _invalid(field, "must be true or false")


def _ttl(value: Any) -> int:
    try:
        ttl = int(str(value).strip())
    except ValueError:
        raise _invalid("TTL", "must be a number of seconds") from None
    if not MIN_TTL <= ttl <= MAX_TTL:
        raise _invalid("TTL", f"must be {MIN_TTL}-{MAX_TTL} seconds")
    return ttl


def fields_from_form(params: Mapping[str, Any]) -> dict[str, Any]:
    """Restcomm's form fields (FriendlyName, UserName, Password, Proxy, Register, TTL) that were sent,
    under the model's names (create_gateway and update_gateway check them); others are ignored."""
    found: dict[str, Any] = {}
    for name, field in FIELDS.items():
        if name in params:
            found[field] = params[name]
    return found


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(values)
    for field in ("friendly_name", "user_name", "password"):
        if field in cleaned:
            cleaned[field] = str(cleaned[field] or "").strip() if field != "password" else str(cleaned[field] or "")
    if "proxy" in cleaned:
        cleaned["proxy"] = check_proxy(str(cleaned["proxy"] or ""))
    if "register" in cleaned:
        cleaned["register"] = _boolean("Register", cleaned["register"])
    if "ttl" in cleaned:
        cleaned["ttl"] = _ttl(cleaned["ttl"])
    if len(cleaned.get("friendly_name", "")) > 200:
        raise _invalid("FriendlyName", "must be at most 200 characters")
    for field, name in (("user_name", "UserName"), ("password", "Password")):
        if len(cleaned.get(field, "")) > MAX_CREDENTIAL:
            raise _invalid(name, f"must be at most {MAX_CREDENTIAL} characters")
    return cleaned


def _check_whole(gateway: Gateway) -> None:
    """Rules on the gateway as it will be stored."""
    if gateway.register and not (gateway.user_name and gateway.password):
        # A registrar's challenge needs both (and Kamailio's uac skips a registration without them).
        raise _invalid("Register", "a gateway that registers needs a UserName and a Password")


def gateways_of(account: TelephonyAccount) -> QuerySet[Gateway]:
    """The account's own gateways, oldest first."""
    return Gateway.objects.filter(account=account).order_by("date_created", "id")


def create_gateway(account: TelephonyAccount, values: Mapping[str, Any]) -> Gateway:
    """A new gateway of `account` (values: the model's fields; Proxy required)."""
    cleaned = _clean(dict(values))
    if not cleaned.get("proxy"):
        raise _invalid("Proxy", "is required")
    cleaned.setdefault("ttl", DEFAULT_TTL)
    with transaction.atomic():
        gateway = Gateway(account=account, **cleaned)
        _check_whole(gateway)
        gateway.save()
        _push_after_commit(gateway.sid)
    return gateway


def update_gateway(gateway: Gateway, values: Mapping[str, Any]) -> Gateway:
    """Change the fields given; the others keep their values."""
    cleaned = _clean(dict(values))
    with transaction.atomic():
        gateway = Gateway.objects.select_for_update().get(pk=gateway.pk)
        for field, value in cleaned.items():
            setattr(gateway, field, value)
        _check_whole(gateway)
        gateway.save()
        _push_after_commit(gateway.sid)
    return gateway


def delete_gateway(gateway: Gateway) -> None:
    """Delete it: the edge unregisters from it and its accounts' calls take another way."""
    sid = gateway.sid
    with transaction.atomic():
        Gateway.objects.filter(pk=gateway.pk).delete()
        _push_after_commit(sid)


def _ctl_socket() -> Path:
    return EdgeConfig.from_settings(settings).ctl_socket


def _push_after_commit(gateway_sid: str) -> None:
    transaction.on_commit(lambda: trunks.push_gateway(_ctl_socket(), gateway_sid))


# The outbound proxy: which one is active is one row (pk CHOICE) of ActiveOutboundProxy.
CHOICE = 1


@dataclass(frozen=True)
class OutboundProxies:
    primary: str
    fallback: str
    using_fallback: bool
    allow_fallback_to_primary: bool = True

    @property
    def active(self) -> str:
        return self.fallback if self.using_fallback and self.fallback else self.primary


def may_switch_proxy(account: TelephonyAccount) -> bool:
    """The outbound proxy is shared by every account: only a CSP's own account (an administrator's:
    no enterprise, no account above it) switches it."""
    return account.parent_id is None and account.enterprise_sid is None and bool(account.organisation_sid)


def outbound_proxies() -> OutboundProxies:
    choice = ActiveOutboundProxy.objects.filter(pk=CHOICE).first()
    return OutboundProxies(
        primary=proxy_address(settings.SIP_OUTBOUND_PROXY),
        fallback=proxy_address(settings.SIP_OUTBOUND_PROXY_FALLBACK),
        using_fallback=bool(choice and choice.fallback),
    )


def switch_proxy(account: TelephonyAccount) -> OutboundProxies:
    """Primary -> fallback, fallback -> primary, for every edge (kept in the database, pushed to the
    running edge once committed); the proxies as they are then."""
    if not may_switch_proxy(account):
        raise AAError(Code.FORBIDDEN, message="Only an administrator's account switches the outbound proxy")
    if not proxy_address(settings.SIP_OUTBOUND_PROXY_FALLBACK):
        raise AAError(Code.BAD_REQUEST, message="No fallback outbound proxy is configured")
    with transaction.atomic():
        ActiveOutboundProxy.objects.get_or_create(pk=CHOICE)
        choice = ActiveOutboundProxy.objects.select_for_update().get(pk=CHOICE)
        choice.fallback = not choice.fallback
        choice.save()
        transaction.on_commit(lambda: trunks.push_routes(_ctl_socket()))
    return outbound_proxies()

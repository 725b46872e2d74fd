"""Registration status of SIP client extensions: the phones' bindings as the SIP edge keeps them.

The edge's registrar (Kamailio usrloc, DB-only mode) keeps its bindings in `sip_edge_location`
(`telephony.models.Registration`), one row per phone contact, `username` being the client's SIP
login (`SipClient.login`, kept per extension by the bundled provisioning backend). Kamailio writes
`expires` and `last_modified` as naive timestamps in UTC and leaves expired rows until its timer
removes them, so only unexpired rows count; `expires` at the epoch (time 0) is a permanent binding
(one added by `kamctl ul add`, say), which Kamailio never expires. Deleting a row drops the binding at once: in DB-only
mode Kamailio looks bindings up in the table for every call.

The API and the console both call these functions; they scope the extension through the caller's
tenant first (another tenant's extension is 491, like a missing one).
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from aiosipua import parse_uri
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from autoattendant import sids
from autoattendant.choices import AuditAction, ExtensionType
from autoattendant.errors import AAError, Code
from autoattendant.models import PhoneNumber
from autoattendant.services import audit
from autoattendant.services import phone_numbers as phone_number_rules
from autoattendant.services.access import access_phone_number
from autoattendant.services.roles import ADMINS, Permissions
from telephony.models import Registration, SipClient

# CSP admins and enterprise admins read an extension's registrations; dropping them is editing the
# extension, so it follows the extension's own update rule.
PERMISSIONS = Permissions(
    read=ADMINS, create=frozenset(), update=frozenset(), delete=phone_number_rules.PERMISSIONS.update
)

# How many extensions one batch read may name (a console or API page's worth).
MAX_BATCH = 1000

# usrloc's `expires` of a permanent binding: time 0.
PERMANENT = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


@dataclass(frozen=True)
class Binding:
    """One phone contact registered for an extension."""

    sid: str
    contact: str
    user_agent: str
    source_address: str
    transport: str
    expires: datetime.datetime | None  # None: permanent
    last_modified: datetime.datetime


@dataclass(frozen=True)
class RegistrationStatus:
    extension_sid: str
    bindings: list[Binding]

    @property
    def registered(self) -> bool:
        return bool(self.bindings)

    def describe(self) -> str:
        """One line per binding: what the console shows on hover."""
        return "\n".join(f"{b.user_agent or 'unknown phone'} from {b.source_address}" for b in self.bindings)


def registration_sid(ruid: str) -> str:
    """A stable SID for a binding: Kamailio's ruid identifies it, but is no SID (`uloc-…`)."""
    return f"{sids.REGISTRATION}{hashlib.sha256(ruid.encode()).hexdigest()[:32]}"


def _utc(value: datetime.datetime) -> datetime.datetime:
    """Kamailio's naive timestamps are UTC (the edge's machines run in UTC)."""
    return value.replace(tzinfo=datetime.UTC) if timezone.is_naive(value) else value.astimezone(datetime.UTC)


def _host_port(uri: str) -> str:
    """`host:port` of a SIP URI (`sip:ip:port`, or a contact), the scheme's default port when none."""
    try:
        parsed = parse_uri(uri.strip().strip("<>"))
    except ValueError:
        return uri
    port = parsed.port or (5061 if parsed.scheme == "sips" else 5060)
    return f"{parsed.host}:{port}"


def _transport(row: Registration) -> str:
    """`udp`, `tcp`, `tls`, `ws`, `wss` or `sctp`: the edge's socket the phone registered on
    (`udp:127.0.0.1:5080`), else the contact's `transport` parameter, else udp."""
    if row.socket and ":" in row.socket:
        return row.socket.split(":", 1)[0].lower()
    try:
        param = parse_uri(row.contact.strip().strip("<>")).params.get("transport")
    except ValueError:
        param = None
    return (param or "udp").lower()


def _binding(row: Registration) -> Binding:
    return Binding(
        sid=registration_sid(row.ruid),
        contact=row.contact,
        user_agent=row.user_agent,
        source_address=_host_port(row.received or row.contact),
        transport=_transport(row),
        expires=None if _utc(row.expires) == PERMANENT else _utc(row.expires),
        last_modified=_utc(row.last_modified),
    )


def _is_client(phone_number: PhoneNumber) -> bool:
    return phone_number.is_extension and phone_number.extension_type == ExtensionType.CLIENT


def _rows(extension_sids: list[str], *, now: datetime.datetime | None = None):
    """The edge's rows of these extensions' SIP clients (unexpired only when `now` is given), each
    annotated with its extension's SID: one query, whatever the number of extensions."""
    clients = SipClient.objects.filter(phone_number_sid__in=extension_sids)
    columns = ("ruid", "username", "contact", "received", "expires", "last_modified", "user_agent", "socket")
    rows = (
        Registration.objects.filter(username__in=clients.values("login"))
        .only(*columns)
        .annotate(
            extension_sid=Subquery(SipClient.objects.filter(login=OuterRef("username")).values("phone_number_sid")[:1])
        )
    )
    if now is not None:
        rows = rows.filter(Q(expires__gt=now) | Q(expires=PERMANENT))
    return rows.order_by("-last_modified", "id")


def statuses_of(phone_numbers: Iterable[PhoneNumber]) -> dict[str, RegistrationStatus]:
    """The registration status of each of these numbers, already scoped to the caller, by SID.

    A `number` extension (or an AA number) has nothing that registers: it is not registered. One
    query for all the client extensions among them, none when there is none.
    """
    numbers = list(phone_numbers)
    client_sids = [n.sid for n in numbers if _is_client(n)]
    found: dict[str, list[Binding]] = {sid: [] for sid in client_sids}
    if client_sids:
        for row in _rows(client_sids, now=timezone.now()):
            found.setdefault(row.extension_sid, []).append(_binding(row))
    return {n.sid: RegistrationStatus(n.sid, found.get(n.sid, [])) for n in numbers}


def _extension(actor, sid: object, *, for_update: bool = False) -> PhoneNumber:
    phone_number = access_phone_number(actor, sid, for_update=for_update)
    if not phone_number.is_extension:
        raise AAError(Code.NOT_AN_EXTENSION, {"sid": sid})
    return phone_number


def registration_status(actor, extension_sid: str) -> RegistrationStatus:
    """An extension's current registrations; 491 out of the caller's scope, 493 for an AA number."""
    PERMISSIONS.require(actor, "read")
    phone_number = _extension(actor, extension_sid)
    return statuses_of([phone_number])[phone_number.sid]


def registration_statuses(actor, extension_sids: list[str]) -> list[RegistrationStatus]:
    """Many extensions' registrations, in the order named (each once): two queries in all.

    Every SID must name an extension the caller sees: the first that does not is answered as
    `registration_status` would answer it alone (491 or 493), so a batch never hides a wrong SID.
    """
    PERMISSIONS.require(actor, "read")
    wanted = list(dict.fromkeys(extension_sids))
    if len(wanted) > MAX_BATCH:
        raise AAError(
            Code.BAD_REQUEST,
            {},
            message="Validation failed",
            errors={"extensionSids": [f"At most {MAX_BATCH} SIDs."]},
        )
    valid = [sid for sid in wanted if sid and "\x00" not in sid]
    by_sid = {n.sid: n for n in PhoneNumber.objects.visible_to(actor).filter(sid__in=valid)}
    for sid in wanted:
        if sid not in by_sid:
            raise AAError(Code.PHONE_NUMBER_NOT_FOUND, {"sid": sid})
        if not by_sid[sid].is_extension:
            raise AAError(Code.NOT_AN_EXTENSION, {"sid": sid})
    statuses = statuses_of(by_sid[sid] for sid in wanted)
    return [statuses[sid] for sid in wanted]


def drop_registrations(actor, extension_sid: str, registration: str | None = None) -> RegistrationStatus:
    """Drop one of an extension's registrations (its SID, `RG…`), or all of them; each dropped binding
    is audited. Calls reach the phone again once it registers again. Returns what is left.

    A `number` extension has none: dropping all of them drops nothing, dropping one is 538.
    """
    PERMISSIONS.require(actor, "delete")
    with transaction.atomic():
        phone_number = _extension(actor, extension_sid, for_update=True)
        rows = list(_rows([phone_number.sid], now=timezone.now())) if _is_client(phone_number) else []
        if registration is not None:
            rows = [row for row in rows if registration_sid(row.ruid) == registration]
            if not rows:
                raise AAError(Code.REGISTRATION_NOT_FOUND, {"sid": registration})
        for row in rows:
            _audit_drop(actor, phone_number, row)
        Registration.objects.filter(id__in=[row.id for row in rows]).delete()
        return statuses_of([phone_number])[phone_number.sid]


def _audit_drop(actor, phone_number: PhoneNumber, row: Registration) -> None:
    binding = _binding(row)
    row.sid = binding.sid  # type: ignore[attr-defined]  # the audit row names the binding by its SID
    before = {
        "extensionSid": phone_number.sid,
        "login": row.username,
        "contact": binding.contact,
        "userAgent": binding.user_agent,
        "sourceAddress": binding.source_address,
        "transport": binding.transport,
        "expires": binding.expires.isoformat() if binding.expires else None,
        "lastModified": binding.last_modified.isoformat(),
    }
    audit.record(actor, AuditAction.DELETE, row, before=before, owner=phone_number)

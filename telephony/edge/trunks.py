"""The gateways and the outbound proxy as the running SIP edge has them, and the RPCs that make it read
them again after a change (Kamailio's `uac` registers with gateways, its `trunks` htable routes calls
to numbers; both read views over the portal's tables, migration 0010).

A change reaches the running edge through its RPC socket once committed; an edge that is not running
reads everything when it starts, so a failed push is logged, not raised.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from telephony.edge.dispatcher import DispatcherError, kamcmd

logger = logging.getLogger(__name__)

# uac.reg_dump's flags (Kamailio uac module, "uac.reg_info").
DISABLED, ONGOING, ONLINE, AUTH_SENT = 1, 2, 4, 8


@dataclass(frozen=True)
class RegistrationState:
    gateway_sid: str
    flags: int
    expires_in: int  # seconds until the registration runs out (negative: it has)

    @property
    def state(self) -> str:
        if self.flags & DISABLED:
            return "refused"
        if self.flags & ONLINE and self.expires_in > 0:
            return "registered"
        if self.flags & ONGOING:
            return "registering"
        return "unregistered"


def push_gateway(ctl_socket: Path, gateway_sid: str) -> None:
    """The edge takes one gateway again: its registration (uac re-reads the row, or drops it when the
    gateway is gone or no longer registers, unregistering first) and the number routes."""
    try:
        try:
            kamcmd(ctl_socket, "uac.reg_refresh", gateway_sid)
        except DispatcherError as exc:
            if "not found" not in str(exc).lower():
                raise
            _drop_registration(ctl_socket, gateway_sid)
        kamcmd(ctl_socket, "htable.reload", "trunks")
    except DispatcherError as exc:
        logger.warning("SIP edge: gateway %s not pushed (it is read at the next start): %s", gateway_sid, exc)


def push_routes(ctl_socket: Path) -> None:
    """The edge reads the number routes again (gateways per account, the active outbound proxy)."""
    try:
        kamcmd(ctl_socket, "htable.reload", "trunks")
    except DispatcherError as exc:
        logger.warning("SIP edge: number routes not pushed (they are read at the next start): %s", exc)


def _drop_registration(ctl_socket: Path, gateway_sid: str) -> None:
    try:
        kamcmd(ctl_socket, "uac.reg_unregister", "l_uuid", gateway_sid)
    except DispatcherError as exc:
        if "not found" in str(exc).lower():
            return  # it was never registered with
        logger.info("SIP edge: gateway %s not unregistered: %s", gateway_sid, exc)
    try:
        kamcmd(ctl_socket, "uac.reg_remove", gateway_sid)
    except DispatcherError as exc:
        if "not found" not in str(exc).lower():
            raise


def registrations(ctl_socket: Path) -> dict[str, RegistrationState]:
    """Each gateway's registration as the running edge has it (`uac.reg_dump`), by gateway SID."""
    listing = kamcmd(ctl_socket, "uac.reg_dump")
    found: dict[str, RegistrationState] = {}
    for block in re.split(r"\n\s*\}\s*\n?|\{\s*\n", listing):
        fields = dict(re.findall(r"^\s*(\w+):\s*(.*?)\s*$", block, re.MULTILINE))
        if "l_uuid" in fields:
            found[fields["l_uuid"]] = RegistrationState(
                fields["l_uuid"], int(fields.get("flags") or 0), int(fields.get("diff_expires") or 0)
            )
    return found

"""The executors the SIP edge dispatches calls to: rows of its dispatcher table (set 1), and the
reload that makes a running Kamailio read them (its RPC, `kamcmd` on the ctl socket).

An executor's attributes are those of Kamailio's algorithm 11 (relative weight with congestion
control): `rweight` is its share of new calls among the active executors (1-100), and with `cc=1`
the dispatcher lowers that share by 1 for every millisecond its OPTIONS answers are slower than
usual, up to `weight` ms, where it gets no new calls while others are not congested. A busy
executor answers later, so calls go to the others: load-aware without a per-call count to keep.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from telephony.models import ExecutorNode

SET_ID = 1
DEFAULT_WEIGHT = 50
DEFAULT_CONGESTION_MS = 50  # estimated congestion at which an executor gets no new calls
LOCAL = "local"  # description of the executors `make run` starts on this machine
URI = re.compile(r"^sip:(?P<host>[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:]+\]):(?P<port>[0-9]{1,5})(;transport=(udp|tcp))?$")


class DispatcherError(Exception):
    """A wrong executor address or weight, or Kamailio's RPC failed."""


@dataclass(frozen=True)
class Executor:
    uri: str
    weight: int
    congestion_ms: int
    description: str
    state: str = ""  # as the running Kamailio sees it (AP active and probing, IP inactive...), if asked

    @classmethod
    def from_row(cls, row: ExecutorNode) -> Executor:
        attrs = dict(part.partition("=")[::2] for part in row.attrs.split(";") if part)
        return cls(
            uri=row.destination,
            weight=int(attrs.get("rweight") or 0),
            congestion_ms=int(attrs.get("weight") or 0),
            description=row.description,
        )


def executor_uri(value: str) -> str:
    """`sip:host:port` (a bare `host:port` accepted), checked."""
    uri = value.strip() if value.strip().startswith("sip:") else f"sip:{value.strip()}"
    match = URI.match(uri)
    if not match or not 0 < int(match.group("port")) < 65536:
        raise DispatcherError(f"not an executor address (sip:host:port): {value!r}")
    return uri


def attrs(weight: int, congestion_ms: int) -> str:
    if not 1 <= weight <= 100:
        raise DispatcherError(f"weight must be 1-100, not {weight}")
    if not 1 <= congestion_ms <= 10000:
        raise DispatcherError(f"congestion tolerance must be 1-10000 ms, not {congestion_ms}")
    return f"rweight={weight};weight={congestion_ms};cc=1"


def executors() -> list[Executor]:
    rows = ExecutorNode.objects.filter(setid=SET_ID).order_by("destination")
    return [Executor.from_row(row) for row in rows]


def add(
    uri: str, weight: int = DEFAULT_WEIGHT, congestion_ms: int = DEFAULT_CONGESTION_MS, description: str = ""
) -> Executor:
    """Add an executor, or change the weights of one already there."""
    uri = executor_uri(uri)
    row, _ = ExecutorNode.objects.update_or_create(
        setid=SET_ID,
        destination=uri,
        defaults={"attrs": attrs(weight, congestion_ms), "description": description[:64], "flags": 0},
    )
    return Executor.from_row(row)


def remove(uri: str) -> bool:
    deleted, _ = ExecutorNode.objects.filter(setid=SET_ID, destination=executor_uri(uri)).delete()
    return deleted > 0


@transaction.atomic
def replace_local(uris: list[str]) -> list[Executor]:
    """The executors `make run` starts replace those it started last time (others are left alone)."""
    ExecutorNode.objects.filter(setid=SET_ID, description=LOCAL).delete()
    return [add(uri, description=LOCAL) for uri in uris]


def kamcmd(ctl_socket: Path, *command: str, timeout: float = 10.0) -> str:
    """One RPC command to the running Kamailio; DispatcherError when it is not running or fails."""
    binary = shutil.which("kamcmd") or "/usr/sbin/kamcmd"
    if not ctl_socket.exists():
        raise DispatcherError(f"the SIP edge is not running (no {ctl_socket})")
    try:
        done = subprocess.run(
            [binary, "-s", f"unix:{ctl_socket}", *command], capture_output=True, text=True, timeout=timeout
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DispatcherError(f"kamcmd {' '.join(command)}: {exc}") from exc
    if done.returncode != 0 or done.stdout.startswith("error:"):
        raise DispatcherError(f"kamcmd {' '.join(command)}: {(done.stderr or done.stdout).strip()}")
    return done.stdout


def reload(ctl_socket: Path, patience: float = 5.0) -> None:
    """Make the running Kamailio read the dispatcher table again (it takes one reload a second)."""
    deadline = time.monotonic() + patience
    while True:
        try:
            kamcmd(ctl_socket, "dispatcher.reload")
            return
        except DispatcherError as exc:
            if "ongoing reload" not in str(exc).lower() or time.monotonic() > deadline:
                raise
        time.sleep(0.3)


def states(ctl_socket: Path) -> dict[str, str]:
    """Each executor's state as the running Kamailio has it (`dispatcher.list`): URI -> flags."""
    listing = kamcmd(ctl_socket, "dispatcher.list")
    found = {}
    uri = None
    for line in listing.splitlines():
        line = line.strip()
        if line.startswith("URI:"):
            uri = line.split(":", 1)[1].strip()
        elif line.startswith("FLAGS:") and uri:
            found[uri] = line.split(":", 1)[1].strip()
            uri = None
    return found

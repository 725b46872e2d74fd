"""Kamailio's configuration, rendered from the portal's settings (deploy/kamailio/kamailio.cfg).

The template names each value as {{NAME}}; everything else in it is Kamailio's own language, so what
runs is readable in the repository and in $SIP_EDGE_RUN_DIR/kamailio.cfg as rendered.
"""

from __future__ import annotations

import os
import re
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "kamailio" / "kamailio.cfg"
MODULES_DIRS = ("/usr/lib/x86_64-linux-gnu/kamailio/modules", "/usr/lib/aarch64-linux-gnu/kamailio/modules")
# User-Agents of SIP scanners: they get no answer at all (matched without regard to case).
HOST_PORT = re.compile(r"^([A-Za-z0-9.\-]+|\[[0-9A-Fa-f:]+\])(:[0-9]{1,5})?$")
SCANNERS = ("friendly-scanner", "sipvicious", "sipcli", "sip-scan", "VaxSIPUserAgent", "iWar", "sundayddr", "SIPBOMBER")


class EdgeConfigError(Exception):
    """The settings cannot make a configuration (a placeholder without a value, no modules)."""


@dataclass(frozen=True)
class EdgeConfig:
    bind: str
    port: int
    db_url: str  # Kamailio's form: postgres://user[:password]@host[:port]/name
    db_socket_dir: str  # PostgreSQL on a unix socket: libpq's PGHOST, the URL's host left empty
    db_port: str
    run_dir: Path
    kamailio: str = "/usr/sbin/kamailio"
    children: int = 4
    ping_seconds: int = 2
    executor_timeout_ms: int = 1500
    register_density: int = 40
    auth_failures: int = 10
    ban_seconds: int = 300
    log_level: int = 1  # Kamailio's debug: 1 notices and warnings, 2 info, 3 debug
    shared_memory_mb: int = 256  # transactions live here: 64 MB ran out near 700 calls/s
    outbound_proxy: str = ""  # host[:port] of calls to numbers with no gateway (SIP_OUTBOUND_PROXY)
    outbound_proxy_fallback: str = ""  # ... once switched to the fallback (SIP_OUTBOUND_PROXY_FALLBACK)
    public_address: str = ""  # host[:port] gateways reach us at (our registrations' Contact); "": address
    register_timer: int = 5  # s between uac's passes over the gateways it registers with
    register_retry: int = 30  # s before a refused registration is tried again

    @classmethod
    def from_settings(cls, settings: Any) -> EdgeConfig:
        db_url, socket_dir = kamailio_db_url(settings.DATABASES["default"])
        return cls(
            bind=settings.SIP_BIND,
            port=settings.SIP_PORT,
            db_url=db_url,
            db_socket_dir=socket_dir,
            db_port=str(settings.DATABASES["default"].get("PORT") or ""),
            run_dir=Path(settings.SIP_EDGE_RUN_DIR),
            kamailio=settings.SIP_EDGE_KAMAILIO,
            children=settings.SIP_EDGE_CHILDREN,
            shared_memory_mb=settings.SIP_EDGE_SHARED_MEMORY_MB,
            ping_seconds=settings.SIP_EDGE_PING_SECONDS,
            executor_timeout_ms=settings.SIP_EDGE_EXECUTOR_TIMEOUT_MS,
            register_density=settings.SIP_EDGE_REGISTER_DENSITY,
            auth_failures=settings.SIP_EDGE_AUTH_FAILURES,
            ban_seconds=settings.SIP_EDGE_BAN_SECONDS,
            outbound_proxy=proxy_address(settings.SIP_OUTBOUND_PROXY),
            outbound_proxy_fallback=proxy_address(settings.SIP_OUTBOUND_PROXY_FALLBACK),
            public_address=proxy_address(settings.SIP_EDGE_PUBLIC_ADDRESS),
        )

    @property
    def ctl_socket(self) -> Path:
        return self.run_dir / "ctl.sock"

    @property
    def cfg_file(self) -> Path:
        return self.run_dir / "kamailio.cfg"

    @property
    def pid_file(self) -> Path:
        return self.run_dir / "kamailio.pid"

    @property
    def address(self) -> str:
        """host:port where executors reach the edge (SIP_EDGE): the bind address, loopback for any."""
        host = "127.0.0.1" if self.bind in ("0.0.0.0", "") else self.bind
        return f"{host}:{self.port}"

    def values(self) -> dict[str, str]:
        return {
            "BIND": self.bind,
            "PORT": str(self.port),
            "DB_URL": self.db_url,
            "CTL_SOCKET": str(self.ctl_socket),
            "MODULES_DIR": modules_dir(),
            "CHILDREN": str(self.children),
            "PING_INTERVAL": str(self.ping_seconds),
            "EXECUTOR_TIMEOUT_MS": str(self.executor_timeout_ms),
            "PIKE_DENSITY": str(self.register_density),
            "AUTH_FAILURES": str(self.auth_failures),
            "BAN_SECONDS": str(self.ban_seconds),
            "SCANNERS": "|".join(re.escape(name) for name in SCANNERS),
            "LOG_LEVEL": str(self.log_level),
            "LOG_PREFIX": "edge {$mt $hdr(CSeq) $ci}: ",
            "ADDRESS": self.public_address or self.address,
            "REGISTER_TIMER": str(self.register_timer),
            "REGISTER_RETRY": str(self.register_retry),
            "OUTBOUND_PROXY": self.outbound_proxy,
            "OUTBOUND_PROXY_FALLBACK": self.outbound_proxy_fallback,
        }

    def render(self, template: str | None = None) -> str:
        text = TEMPLATE.read_text() if template is None else template
        values = self.values()

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in values:
                raise EdgeConfigError(f"{TEMPLATE.name}: no value for {{{{{name}}}}}")
            return values[name]

        return re.sub(r"\{\{([A-Z_]+)\}\}", value, text)

    def write(self) -> Path:
        """Render into the run directory (created, private) and return the file's path."""
        self.run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.cfg_file.write_text(self.render())
        self.cfg_file.chmod(0o600)  # it holds the database password
        return self.cfg_file

    def command(self) -> list[str]:
        """Kamailio in the foreground, logging to stderr, with its own pid file and run directory."""
        return [
            self.kamailio,
            "-f", str(self.cfg_file),
            "-P", str(self.pid_file),
            "-Y", str(self.run_dir),
            "-DD",
            "-E",
            "-m", str(self.shared_memory_mb),
            "-M", "8",
        ]  # fmt: skip

    def stop_leftovers(self, timeout: float = 10.0) -> list[int]:
        """Kill what is left of an instance of ours whose main process was killed: its children keep
        the SIP ports and would keep the new one from starting. Ours: Kamailio on our cfg file."""
        ours = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if argv[0].decode(errors="replace") == self.kamailio and str(self.cfg_file).encode() in argv:
                ours.append(int(entry.name))
        for pid in ours:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(_running(pid) for pid in ours):
            time.sleep(0.05)
        return ours

    def environment(self, base: dict[str, str]) -> dict[str, str]:
        """Kamailio's environment: PGHOST (and PGPORT) name the socket of a PostgreSQL on a unix socket."""
        env = dict(base)
        if self.db_socket_dir:
            env["PGHOST"] = self.db_socket_dir
            if self.db_port:
                env["PGPORT"] = self.db_port
        return env


def proxy_address(value: str) -> str:
    """A `host[:port]` setting (an outbound proxy, the edge's public address; a `sip:` prefix allowed)
    as the edge writes it; empty stays empty."""
    address = value.strip().removeprefix("sip:")
    if address and not HOST_PORT.match(address):
        raise EdgeConfigError(f"not a host[:port]: {value!r}")
    return address


def kamailio_db_url(database: dict[str, Any]) -> tuple[str, str]:
    """Django's database settings as Kamailio's URL, and the socket directory when HOST is one.

    Kamailio's URL has no room for a socket path: its host is left empty and libpq finds the socket
    through PGHOST and PGPORT (see `EdgeConfig.environment`)."""
    user = quote(str(database.get("USER") or "postgres"), safe="")
    password = database.get("PASSWORD") or ""
    credentials = f"{user}:{quote(str(password), safe='')}" if password else user
    host = str(database.get("HOST") or "")
    port = str(database.get("PORT") or "")
    if host.startswith("/"):
        return f"postgres://{credentials}@/{database['NAME']}", host
    where = (host or "localhost") + (f":{port}" if port else "")
    return f"postgres://{credentials}@{where}/{database['NAME']}", ""


def _running(pid: int) -> bool:
    """The process exists and is not a zombie (one whose parent died may never be reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def modules_dir() -> str:
    for candidate in MODULES_DIRS:
        if Path(candidate, "tm.so").exists():
            return candidate
    found = sorted(Path("/usr/lib").glob("*/kamailio/modules/tm.so"))
    if not found:
        raise EdgeConfigError("Kamailio's modules are not installed (scripts/system-deps.sh installs them)")
    return str(found[0].parent)

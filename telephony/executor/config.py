"""The executor's settings, from the environment (12-factor), each overridable by a command option."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


def host_port(value: str, default_port: int = 5060) -> tuple[str, int] | None:
    """`host[:port]` (a bare `sip:` prefix allowed) -> (host, port); empty -> None."""
    value = value.strip().removeprefix("sip:")
    if not value:
        return None
    host, _, port = value.rpartition(":") if value.count(":") == 1 else (value, "", "")
    return (host or value, int(port) if port else default_port)


@dataclass(frozen=True)
class ExecutorConfig:
    portal_url: str
    token: str
    sip_host: str = "127.0.0.1"
    sip_port: int = 5080
    rtp_host: str = "127.0.0.1"
    rtp_port_min: int = 20000
    rtp_port_max: int = 29999
    outbound_proxy: tuple[str, int] | None = None
    sip_edge: tuple[str, int] | None = None  # the SIP edge (registrar): calls to client extensions go there
    portal_timeout: float = 4.0  # one RCML/audio fetch; the caller hears the apology after two tries
    rtp_timeout: float = 30.0  # no RTP from the caller for this long: the call is dropped
    no_ack_timeout: float = 32.0  # 64 x T1: our 200 OK never acknowledged
    drain_seconds: float = 30.0  # on shutdown, calls in progress get this long to finish
    max_call_seconds: float = 4 * 3600.0
    sip_user_agent: str = ""  # the User-Agent of our SIP messages; none by default: we do not name the product
    # The control endpoint (telephony.executor.control): the portal places, redirects and ends calls
    # through it. 0: SIP port + 1000. Its URL as the portal reaches it: http://<SIP address>:<port>
    # unless EXECUTOR_CONTROL_URL says otherwise (an executor bound to 0.0.0.0, or behind NAT).
    control_port: int = 0
    control_url: str = ""
    heartbeat_seconds: float = 2.0  # how often the executor tells the portal it is there (and its calls)
    # RCML_FETCH_ALLOW: internal addresses an RCML application's URLs may reach (fetch_policy.py)
    fetch_allow: str = ""

    @classmethod
    def from_env(cls, token: str, environ: Mapping[str, str] | None = None) -> ExecutorConfig:
        env = os.environ if environ is None else environ
        sip_host = env.get("SIP_BIND") or "127.0.0.1"
        http_port = env.get("PORTAL_HTTP_PORT") or "8000"
        return cls(
            portal_url=(env.get("EXECUTOR_PORTAL_URL") or f"http://127.0.0.1:{http_port}").rstrip("/"),
            token=env.get("EXECUTOR_TOKEN") or token,
            sip_host=sip_host,
            # Behind the edge, SIP_PORT is the edge's; a lone executor (no EXECUTOR_SIP_PORT) takes it.
            sip_port=int(env.get("EXECUTOR_SIP_PORT") or env.get("SIP_PORT") or 5080),
            rtp_host=env.get("RTP_BIND") or sip_host,
            rtp_port_min=int(env.get("RTP_PORT_MIN") or 20000),
            rtp_port_max=int(env.get("RTP_PORT_MAX") or 29999),
            outbound_proxy=host_port(env.get("SIP_OUTBOUND_PROXY") or ""),
            sip_edge=host_port(env.get("SIP_EDGE") or ""),
            portal_timeout=float(env.get("EXECUTOR_PORTAL_TIMEOUT") or 4.0),
            rtp_timeout=float(env.get("RTP_TIMEOUT") or 30.0),
            no_ack_timeout=float(env.get("SIP_NO_ACK_TIMEOUT") or 32.0),
            drain_seconds=float(env.get("EXECUTOR_DRAIN_SECONDS") or 30.0),
            sip_user_agent=(env.get("SIP_USER_AGENT") or "").strip(),
            control_port=int(env.get("EXECUTOR_CONTROL_PORT") or 0),
            control_url=(env.get("EXECUTOR_CONTROL_URL") or "").strip().rstrip("/"),
            heartbeat_seconds=float(env.get("EXECUTOR_HEARTBEAT_SECONDS") or 2.0),
            fetch_allow=(env.get("RCML_FETCH_ALLOW") or "").strip(),
        )

    @property
    def control_address(self) -> tuple[str, int]:
        """Where the control endpoint listens: the SIP address, EXECUTOR_CONTROL_PORT (or SIP port + 1000)."""
        return self.sip_host, self.control_port or self.sip_port + 1000

    @property
    def advertised_control_url(self) -> str:
        """The control endpoint's URL as the executor tells the portal."""
        if self.control_url:
            return self.control_url
        host, port = self.control_address
        host = "127.0.0.1" if host == "0.0.0.0" else host
        return f"http://{f'[{host}]' if ':' in host else host}:{port}"

"""`manage.py run_executor`: the bundled SIP call executor (telephony.executor), in the foreground.

Behind the SIP edge (Kamailio), several run side by side: each with its own --sip-port
(EXECUTOR_SIP_PORT) and --rtp-ports, and --sip-edge for calls to client extensions.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging

from django.conf import settings
from django.core.management.base import BaseCommand

from telephony.executor.config import ExecutorConfig, host_port


class Command(BaseCommand):
    help = "Answer SIP calls to AA numbers and run their published RCML (stops cleanly on SIGTERM/SIGINT)."

    def add_arguments(self, parser):
        parser.add_argument("--portal-url", help="the portal's base URL (env EXECUTOR_PORTAL_URL)")
        parser.add_argument("--sip-bind", help="SIP address (env SIP_BIND, default 127.0.0.1)")
        parser.add_argument(
            "--sip-port", type=int, help="SIP port, UDP and TCP (env EXECUTOR_SIP_PORT, else SIP_PORT, default 5080)"
        )
        parser.add_argument("--rtp-ports", help="RTP port range MIN-MAX (env RTP_PORT_MIN/RTP_PORT_MAX)")
        parser.add_argument("--outbound-proxy", help="host[:port] for Dial to numbers (env SIP_OUTBOUND_PROXY)")
        parser.add_argument(
            "--sip-edge", help="host:port of the SIP edge, for Dial to client extensions (env SIP_EDGE)"
        )
        parser.add_argument("--drain-seconds", type=float, help="on shutdown, time calls get to finish")

    def handle(self, *args, **options):
        config = ExecutorConfig.from_env(settings.EXECUTOR_TOKEN)
        changes = {}
        if options["portal_url"]:
            changes["portal_url"] = options["portal_url"].rstrip("/")
        if options["sip_bind"]:
            changes["sip_host"] = changes["rtp_host"] = options["sip_bind"]
        if options["sip_port"]:
            changes["sip_port"] = options["sip_port"]
        if options["rtp_ports"]:
            low, _, high = options["rtp_ports"].partition("-")
            changes["rtp_port_min"], changes["rtp_port_max"] = int(low), int(high or low)
        if options["outbound_proxy"]:
            changes["outbound_proxy"] = host_port(options["outbound_proxy"])
        if options["sip_edge"]:
            changes["sip_edge"] = host_port(options["sip_edge"])
        if options["drain_seconds"] is not None:
            changes["drain_seconds"] = options["drain_seconds"]
        config = dataclasses.replace(config, **changes)
        logging.basicConfig(
            level=logging.DEBUG if options["verbosity"] > 1 else logging.INFO,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
        # Each line names its executor by SIP port: several may share a machine and a log.
        named = logging.Formatter(f"%(asctime)s %(levelname)s executor:{config.sip_port} %(name)s %(message)s")
        for handler in logging.getLogger().handlers:
            handler.setFormatter(named)

        from telephony.executor.server import ExecutorProcess

        async def main():
            await ExecutorProcess(config).serve()

        asyncio.run(main())

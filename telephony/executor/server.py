"""The executor process: SIP, media and the portal client wired together, with a graceful shutdown.

Shutdown (SIGTERM or SIGINT): new calls are refused with 503, and so are the SIP edge's OPTIONS
probes (its dispatcher stops sending calls here); calls in progress get `drain_seconds` to finish,
then the rest are hung up; every call record is posted before exit. An executor the edge probes
also stays (within `drain_seconds`) until it has answered one probe 503: until then the edge may
still send it calls, and a 503 lets the edge try another executor at once, where silence would
cost the caller the edge's timeout.

Several executors may run on one machine: each has its own SIP port (EXECUTOR_SIP_PORT) and RTP
range, and names itself `<host>:<SIP port>` in call records, logs and metrics.

Call records: the portal records a call when it serves the call's entry document, and the end
report posted here completes that record. A call that never had an AA system or an account (a number
routed nowhere, an entry document that failed: its answer names the call's system and account) has
nothing to complete and no tenant to show it to: it is counted in the metrics
(`not_recorded_<reason>`), not posted. A call placed through the Calls API names its account: it is posted.

The Restcomm Calls API reaches this executor's calls through its control endpoint
(telephony.executor.control, EXECUTOR_CONTROL_PORT): place a call, redirect one, end one. Every
EXECUTOR_HEARTBEAT_SECONDS (and at once when a call it placed is answered) the executor tells the
portal its name, that endpoint's URL and its calls' status (`POST /rcml/executor`); the portal
keeps them in Redis for a few seconds, so an executor that stops is soon no longer asked.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import socket
import time
from pathlib import Path

from telephony.executor.config import ExecutorConfig
from telephony.executor.control import ControlServer
from telephony.executor.live import LiveCall
from telephony.executor.media import MediaEngine, PromptCache, prompt_from_wav, tone
from telephony.executor.metrics import Metrics
from telephony.executor.portal_client import PortalClient
from telephony.executor.sip import InboundCall, SipServer

logger = logging.getLogger(__name__)

# Spoken by espeak-ng once and kept in the repository: the apology must not need the portal.
APOLOGY_WAV = Path(__file__).with_name("apology.wav")
REPORT_DELAY = 0.25  # seconds a call record may wait to share a request with others
MAX_BATCH = 500  # the portal's limit of records a request
# Why a call was not recorded, for its counter: the rejections call.py names, else the outcome.
NOT_RECORDED_CAUSES = {
    "unknown number": "unknown_number",
    "inactive AA system": "inactive_aa_system",
    "inactive account": "inactive_account",
    "no common codec": "no_common_codec",
}


class ExecutorProcess:
    def __init__(self, config: ExecutorConfig):
        self.config = config
        self._host = socket.gethostname()
        self.portal = PortalClient(
            config.portal_url, config.token, timeout=config.portal_timeout, fetch_allow=config.fetch_allow
        )
        self.media = MediaEngine(
            config.rtp_host, config.rtp_port_min, config.rtp_port_max, inactivity_timeout=config.rtp_timeout
        )
        self.sip = SipServer(
            config.sip_host,
            config.sip_port,
            on_invite=self.on_invite,
            outbound_proxy=config.outbound_proxy,
            edge=config.sip_edge,
            no_ack_timeout=config.no_ack_timeout,
            user_agent=config.sip_user_agent,
        )
        self.metrics = Metrics()
        self.prompts = PromptCache()
        self.apology = prompt_from_wav(APOLOGY_WAV.read_bytes())
        self.beep = tone(1000.0, 0.3)
        self.ringback = tone(425.0, 1.0)
        self.calls: dict[str, asyncio.Task] = {}
        self.live: dict[str, LiveCall] = {}  # the same calls, for the control endpoint
        self.control = ControlServer(self, *config.control_address, config.token)
        self._beat_now = asyncio.Event()
        self._heartbeats: asyncio.Task | None = None
        self._reports: set[asyncio.Task] = set()
        self._unreported: list[dict] = []
        self._stopping = asyncio.Event()
        self.started_at = time.time()  # in each heartbeat: the portal closes the calls of a process before it

    @property
    def name(self) -> str:
        """This executor among others: its host and SIP port (call records, logs, metrics)."""
        return f"{self._host}:{self.sip.port}"

    async def start(self) -> None:
        await self.portal.start()
        await self.media.start()
        await self.sip.start()
        try:
            await self.control.start()
        except OSError as exc:  # calls still come in; the Calls API cannot reach this executor's
            logger.error("executor %s: no control endpoint on %s:%s (%s)", self.name, *self.config.control_address, exc)
        else:
            self._heartbeats = asyncio.create_task(self._heartbeat_loop(), name="heartbeat")
        edge = self.config.sip_edge
        logger.info(
            "executor %s: SIP on %s:%s (UDP, TCP), RTP %s:%s-%s, portal %s, SIP edge %s",
            self.name,
            self.config.sip_host,
            self.sip.port,
            self.config.rtp_host,
            self.config.rtp_port_min,
            self.config.rtp_port_max,
            self.config.portal_url,
            f"{edge[0]}:{edge[1]}" if edge else "none (client extensions cannot be reached)",
        )
        logger.info("executor %s: control endpoint %s", self.name, self.config.advertised_control_url)

    async def on_invite(self, inbound: InboundCall) -> None:
        self.start_call(LiveCall(self, inbound))

    def start_call(self, call: LiveCall) -> None:
        """Run a call (one that came in, or one placed through the control endpoint) until it ends."""
        task = asyncio.create_task(call.run(), name=f"call {call.sid}")
        self.calls[call.sid] = task
        self.live[call.sid] = call

        def done(_: asyncio.Task) -> None:
            self.calls.pop(call.sid, None)
            self.live.pop(call.sid, None)

        task.add_done_callback(done)

    @property
    def draining(self) -> bool:
        return self._stopping.is_set()

    def heartbeat_soon(self) -> None:
        self._beat_now.set()

    def _heartbeat(self) -> dict:
        return {
            "name": self.name,
            "control": self.config.advertised_control_url,
            "draining": self.draining,
            "calls": {sid: call.status for sid, call in self.live.items()},
            "since": self.started_at,
        }

    async def _heartbeat_loop(self) -> None:
        while True:
            self._beat_now.clear()
            await self.portal.heartbeat(self._heartbeat())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._beat_now.wait(), self.config.heartbeat_seconds)

    def report(self, record: dict) -> None:
        """Post a call record in the background; the call does not wait for the portal. Records of
        the next REPORT_DELAY go together in one request (hundreds of calls a second, few requests).
        A call with no AA system and no account is counted instead (see the module's docstring)."""
        if not record.get("aaSystemSid") and not record.get("accountSid"):
            cause = NOT_RECORDED_CAUSES.get(record.get("hangupCause") or "", str(record.get("outcome", "")).lower())
            self.metrics.count(f"not_recorded_{cause or 'other'}")
            return
        self._unreported.append(record)
        if len(self._unreported) >= MAX_BATCH:
            self._send_reports()
        elif len(self._unreported) == 1:
            asyncio.get_running_loop().call_later(REPORT_DELAY, self._send_reports)

    def _send_reports(self) -> None:
        records, self._unreported = self._unreported, []
        if not records:
            return
        post = self.portal.post_call(records[0]) if len(records) == 1 else self.portal.post_calls(records)
        task = asyncio.create_task(post)
        self._reports.add(task)
        task.add_done_callback(self._reports.discard)

    def log_metrics(self) -> None:
        summary = {
            **self.metrics.summary(),
            "executor": self.name,
            "calls_in_progress": len(self.calls),
            "media": self.media.stats(),
        }
        logger.warning("executor metrics: %s", json.dumps(summary, sort_keys=True))

    def request_stop(self) -> None:
        self._stopping.set()

    async def serve(self) -> None:
        """Run until SIGTERM/SIGINT (or request_stop), then drain."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, self.request_stop)
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGUSR1, self.log_metrics)
        await self.start()
        try:
            await self._stopping.wait()
        finally:
            await self.shutdown()

    async def shutdown(self) -> None:
        self.sip.stop_accepting()
        self.heartbeat_soon()  # the portal stops choosing this executor for new calls
        waits: list[asyncio.Future] = list(self.calls.values())
        if self.calls:
            logger.info("executor: %d call(s) in progress; draining %ss", len(self.calls), self.config.drain_seconds)
        probe = None
        if self.sip.probed and not self.sip.probe_refused.is_set():
            probe = asyncio.ensure_future(self.sip.probe_refused.wait())
            waits.append(probe)
        if waits:
            await asyncio.wait(waits, timeout=self.config.drain_seconds)
        if probe is not None and not probe.done():
            probe.cancel()
            logger.warning("executor: no probe from the SIP edge was answered 503 while draining")
        for task in list(self.calls.values()):
            task.cancel()  # Call.run releases the call (BYE) and reports it
        if self.calls:
            await asyncio.wait(list(self.calls.values()), timeout=5)
        self._send_reports()
        if self._reports:
            await asyncio.wait(list(self._reports), timeout=10)
        if self._heartbeats is not None:
            self._heartbeats.cancel()
        await self.control.stop()
        await self.sip.stop()
        await self.media.stop()
        await self.portal.close()
        self.log_metrics()
        logger.info("executor: stopped")

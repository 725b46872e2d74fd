"""Test a call is what a caller hears: the same scenarios through the simulator and through real calls.

One AA system (set up with the API, published by the worker): on weekdays 09:00-17:00 New York time
the Day menu answers (1 the Sales submenu, 3 Bob, who is busy), otherwise the Night menu (1 Alice);
a wrong key is retried once, a timeout hangs up.
Each scenario (keys pressed, time of the call, what the dialled extension does) is run twice: by the
API's simulate endpoint, and as a sipp call through an executor of the same portal, with the
extensions' phones as sipp at the executor's SIP edge port. Their menu paths, outcomes, keys and dial
statuses must agree.

The time of a real call: the entry document takes the moment from `at`, the parameter the simulator
sends. This module's executor reaches the portal through a small proxy that adds the scenario's `at`
to the executor's POST /rcml/voice, so both ask the schedules about the same moment, any day of the
week, without waiting for a clock and without a test hook in the product. Everything else passes
through unchanged.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

import pytest

from tests.calls.sipp import Sipp, caller, extension
from tests.servers import MANAGE, free_sip_port, listening, process, wait_until

ZONE = "America/New_York"
AA_NUMBER = "+15550002000"
ALICE = ("alice301", "alice-secret-301")  # answers
BOB = ("bob302", "bob-secret-302")  # busy
DAY = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo(ZONE))  # a Tuesday, in work hours
NIGHT = datetime(2026, 12, 5, 10, 0, tzinfo=ZoneInfo(ZONE))  # the Saturday after: the default menu
# The simulator's outcome types, as the executor's call records name them.
CALL_OUTCOMES = {"TRANSFER": "TRANSFERRED", "HANGUP": "COMPLETED", "VOICEMAIL": "VOICEMAIL", "REJECTED": "REJECTED"}
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "date", "server"}


class ClockProxy(ThreadingHTTPServer):
    """The portal as this module's executor sees it, with the entry document asked about `at`."""

    daemon_threads = True

    def __init__(self, portal_url: str):
        super().__init__(("127.0.0.1", 0), _Forward)
        self.portal = urlsplit(portal_url)
        self.at: datetime | None = None
        self.url = f"http://127.0.0.1:{self.server_address[1]}"


class _Forward(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the executor's pool expects

    def do_GET(self) -> None:
        self.forward()

    def do_POST(self) -> None:
        self.forward()

    def forward(self) -> None:
        server: ClockProxy = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.command == "POST" and urlsplit(self.path).path == "/rcml/voice" and server.at is not None:
            body += (b"&" if body else b"") + urlencode({"at": server.at.isoformat()}).encode()
        headers = {name: value for name, value in self.headers.items() if name.lower() not in HOP_BY_HOP}
        portal = http.client.HTTPConnection(server.portal.hostname, server.portal.port, timeout=30)
        try:
            portal.request(self.command, self.path, body=body if self.command == "POST" else None, headers=headers)
            reply = portal.getresponse()
            data = reply.read()
        finally:
            portal.close()
        self.send_response(reply.status)
        for name, value in reply.getheaders():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        pass


@dataclass
class Parity:
    system_sid: str
    menus: dict[str, str]  # name -> SID
    sip_port: int
    clock: ClockProxy


@pytest.fixture(scope="module")
def parity(call_stack, tmp_path_factory) -> Iterator[Parity]:
    api = call_stack.api
    enterprise = api.post(
        "/autoattendant/enterprise",
        {
            "name": "Parity Inc",
            "extFromPhoneNumber": "+15550009100",
            "enterpriseAdmin": {"emailId": "bg@parity.test", "password": "bg-pass-1234"},
        },
    )["sid"]

    def number(value: str, login: str | None = None, password: str = "") -> str:
        body = {"number": value, "enterpriseSid": enterprise, "isExtension": login is not None}
        if login:
            body.update(extension=login[-3:], extensionType="client", extensionClientPassword=password)
        return api.post("/autoattendant/phonenumber", body)["sid"]

    alice, bob = number(ALICE[0], *ALICE), number(BOB[0], *BOB)
    hangup = {"actionType": "HANGUP"}
    system = api.post(
        "/autoattendant/system",
        {
            "name": "Parity",
            "status": "ACTIVE",
            "timezoneId": ZONE,
            "enterpriseSid": enterprise,
            "aaNumbers": [number(AA_NUMBER)],
            "extensions": [alice, bob],
            "timeoutSeconds": 2,
            "timeoutAction": hangup,
            "timeoutMaxOccurance": 1,
            "invalidInputAction": hangup,
            "invalidInputMaxOccurance": 2,  # one retry: at the limit the call ends before sipp's next step
            "invalidExtensionAction": hangup,
            "invalidExtensionMaxOccurance": 1,
        },
    )["sid"]

    def menu(name: str, *options: tuple[str, str, str]) -> str:
        keys = [{"key": key, "actionType": action, "actionData": data} for key, action, data in options]
        return api.post("/autoattendant/menu", {"name": name, "autoAttendantSid": system, "options": keys})["sid"]

    sales = menu("Sales", ("5", "TRANSFER_TO_EXTENSION", alice))
    day = menu("Day", ("1", "GO_TO_MENU", sales), ("3", "TRANSFER_TO_EXTENSION", bob))
    night = menu("Night", ("1", "TRANSFER_TO_EXTENSION", alice))
    api.put(f"/autoattendant/system/{system}", {"defaultMenuSid": night})
    weekdays = ["MON", "TUE", "WED", "THU", "FRI"]
    api.post(
        "/autoattendant/schedule",
        {
            "name": "Work hours",
            "autoAttendantSid": system,
            "type": "WORK_HOURS",
            "menuSid": day,
            "weeklyRanges": [{"days": weekdays, "start": "09:00", "end": "17:00"}],
        },
    )
    call_stack.wait_published(system)

    clock = ClockProxy(call_stack.url)
    serving = threading.Thread(target=clock.serve_forever, daemon=True)
    serving.start()
    sip_port = free_sip_port()
    log = tmp_path_factory.mktemp("parity") / "executor.log"
    env = {**call_stack.env, "EXECUTOR_PORTAL_URL": clock.url, "EXECUTOR_SIP_PORT": str(sip_port)}
    try:
        with process([*MANAGE, "run_executor"], env, log) as executor:
            wait_until(lambda: listening(sip_port), executor, log, "the executor")
            yield Parity(system, {"Day": day, "Night": night, "Sales": sales}, sip_port, clock)
    finally:
        clock.shutdown()
        clock.server_close()


@dataclass(frozen=True)
class Scenario:
    name: str
    at: datetime
    keys: tuple[str, ...]  # one entry a Gather; the real caller presses them a few seconds apart
    dial_status: str = "completed"  # what the dialled extension does, for the simulator
    voicemail: bool = False  # the caller leaves a message after the voicemail prompt
    menu_path: tuple[str, ...] = ()  # what both must say (menu names)
    outcome: str = ""


SCENARIOS = [
    Scenario("submenu-then-transfer", DAY, ("1", "5"), menu_path=("Day", "Sales"), outcome="TRANSFERRED"),
    Scenario("busy-then-voicemail", DAY, ("3",), "busy", voicemail=True, menu_path=("Day",), outcome="VOICEMAIL"),
    Scenario("invalid-key", DAY, ("9",), menu_path=("Day",), outcome="COMPLETED"),
    Scenario("timeout", DAY, (), menu_path=("Day",), outcome="COMPLETED"),
    Scenario("night-transfer", NIGHT, ("1",), menu_path=("Night",), outcome="TRANSFERRED"),
]


def simulated(call_stack, parity: Parity, scenario: Scenario) -> dict:
    """The call as the simulator makes it, through the API."""
    trace = call_stack.api.post(
        f"/autoattendant/system/{parity.system_sid}/simulate",
        {
            "number": AA_NUMBER,
            "at": scenario.at.isoformat(),
            "keys": list(scenario.keys),
            "dialStatus": scenario.dial_status,
        },
    )
    dials = [event for event in trace["events"] if event.get("verb") == "Dial"]
    return {
        "menuPath": trace["menuPath"],
        "outcome": CALL_OUTCOMES.get(trace["outcome"]["type"], trace["outcome"]["type"]),
        "keys": [event.get("digits", event["input"]) for event in trace["events"] if "input" in event],
        "dialStatus": dials[-1]["dialCallStatus"] if dials else "",
        "transferTarget": trace["outcome"].get("target"),
    }


def phone(call_stack, name: str, login: str, answer: str) -> Sipp:
    """A client extension's phone taking one call as the SIP edge relays it (this module's executor
    has the stack's SIP_EDGE)."""
    return call_stack.at_the_edge(name, extension(login, answer=answer, hold_ms=500))


def called(call_stack, parity: Parity, scenario: Scenario, caller_number: str) -> dict:
    """The call as the executor makes it, from sipp: its call record."""
    steps: list[tuple] = []
    for entry in scenario.keys:
        steps += [("wait", 1500), *(("dtmf", key) for key in entry)]
    if scenario.voicemail:
        # Speech from before the beep on, then # (which ends a recording) rather than 5 s of silence.
        steps += [("wait", 2500), ("audio",), ("wait", 5000), ("dtmf", "pound")]
    ringing = None
    if scenario.keys and scenario.outcome == "TRANSFERRED":
        ringing = phone(call_stack, f"{scenario.name}-alice", ALICE[0], answer="200")
    elif scenario.dial_status == "busy":
        ringing = phone(call_stack, f"{scenario.name}-bob", BOB[0], answer="486")
    parity.clock.at = scenario.at
    call = caller(steps, caller_number=caller_number)
    run = Sipp(
        call_stack.scratch(scenario.name), call, parity.sip_port, service=AA_NUMBER.lstrip("+"), timeout=60
    ).run()
    assert run.ok, f"sipp failed ({run.returncode}):\n{run.output}\n{run.messages[-3000:]}"
    if ringing is not None:
        assert ringing.wait().ok
    record = call_stack.call_record(caller_number)
    return {key: record[key] for key in ("menuPath", "outcome", "keys", "dialStatus", "transferTarget")}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.name)
def test_the_simulator_and_a_real_call_agree(call_stack, parity, scenario):
    caller_number = f"1555333{SCENARIOS.index(scenario):04d}"
    simulation = simulated(call_stack, parity, scenario)
    call = called(call_stack, parity, scenario, caller_number)
    call["dialStatus"] = call["dialStatus"] or ""
    assert call == simulation
    assert simulation["menuPath"] == [parity.menus[name] for name in scenario.menu_path]
    assert simulation["outcome"] == scenario.outcome

"""Calls placed, redirected and ended through the Restcomm Calls API, with the real executor of the
call stack and sipp as the called phone (a SIP URI: `sip:alice@127.0.0.1:<port>`, dialled directly).

The RCML the call runs comes from a small HTTP server in the test, which records every request. It
listens from the moment this module is imported, and its address is added to RCML_FETCH_ALLOW then:
the call stack's processes (started after every test module is collected) take the environment as
it is, and an executor refuses a loopback address that is not allowed.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from tests.calls.sipp import Sipp, caller, extension
from tests.servers import createcsp, free_sip_port

LONG_PAUSE = '<Response><Pause length="40"/></Response>'
LONG_GATHER = '<Response><Gather numDigits="1" timeout="40"><Pause length="1"/></Gather></Response>'
DOCUMENTS = {
    "/first.xml": LONG_PAUSE,
    "/second.xml": LONG_PAUSE,
    "/gather.xml": LONG_GATHER,
    "/status": "<Response/>",
}


class RcmlApplication:
    """An RCML application on 127.0.0.1: serves DOCUMENTS and keeps each request's path and parameters."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        application = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                params = dict(parse_qsl(self.rfile.read(length).decode()))
                path = urlsplit(self.path).path
                application.requests.append((path, params))
                body = DOCUMENTS.get(path)
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/xml")
                self.end_headers()
                self.wfile.write((body or "<Response><Hangup/></Response>").encode())

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_for(self, path: str, timeout: float = 10.0) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for seen, params in self.requests:
                if seen == path:
                    return params
            time.sleep(0.05)
        pytest.fail(f"{path} was not requested within {timeout} s; requests: {self.requests}")


APPLICATION = RcmlApplication()
os.environ["RCML_FETCH_ALLOW"] = ",".join(
    filter(None, [os.environ.get("RCML_FETCH_ALLOW", ""), f"127.0.0.1:{APPLICATION.port}"])
)


@pytest.fixture(scope="module")
def serving() -> Iterator[RcmlApplication]:
    thread = threading.Thread(target=APPLICATION.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield APPLICATION
    finally:
        APPLICATION.server.shutdown()
        APPLICATION.server.server_close()


@pytest.fixture
def application(serving) -> RcmlApplication:
    serving.requests.clear()
    return serving


class Calls:
    """The Restcomm Calls resource of one account on the call stack."""

    def __init__(self, url: str, sid: str, token: str):
        self.base = f"{url}/restcomm/2012-04-24/Accounts/{sid}/Calls"
        self.session = requests.Session()
        self.session.auth = (sid, token)

    def create(self, **data: str) -> requests.Response:
        """POST Calls.json, waiting (a few seconds at most) for the executor's first heartbeat."""
        deadline = time.monotonic() + 10
        while True:
            response = self.session.post(f"{self.base}.json", data=data, timeout=30)
            if response.status_code != 503 or time.monotonic() > deadline:
                return response
            time.sleep(0.5)

    def modify(self, sid: str, **data: str) -> requests.Response:
        return self.session.post(f"{self.base}/{sid}.json", data=data, timeout=30)

    def get(self, sid: str, timeout: float = 0.0) -> dict:
        """The call; `timeout`: how long to wait for its record (a call that came in is stored within seconds)."""
        deadline = time.monotonic() + timeout
        while True:
            response = self.session.get(f"{self.base}/{sid}.json", timeout=30)
            if response.status_code != 404 or time.monotonic() > deadline:
                assert response.status_code == 200, response.text
                return response.json()
            time.sleep(0.2)

    def wait_status(self, sid: str, status: str, timeout: float = 15.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            call = self.get(sid)
            if call["status"] == status or time.monotonic() > deadline:
                assert call["status"] == status, call
                return call
            time.sleep(0.2)


@pytest.fixture(scope="module")
def calls(call_stack) -> Calls:
    """The Calls resource of a new CSP's account, which has a Client `bob` (for calls to client:bob)."""
    created = createcsp(call_stack.env, "Live Calls CSP", "admin@live-calls.test")
    found = Calls(call_stack.url, created["accountSid"], created["accountAuthToken"])
    client = found.session.post(
        found.base.removesuffix("/Calls") + "/Clients.json",
        data={"Login": "bob", "Password": "Bob-secret-1"},
        timeout=30,
    )
    assert client.status_code == 201, client.text
    return found


@contextlib.contextmanager
def phone(call_stack, name: str, **kwargs) -> Iterator[tuple[Sipp, int]]:
    """sipp as a SIP phone on its own port, taking one call (see tests.calls.sipp.extension)."""
    port = free_sip_port()
    sipp = Sipp(call_stack.scratch(name), extension("alice", **kwargs), call_stack.sip_port, sip_port=port)
    sipp.start()
    time.sleep(0.3)  # bound
    try:
        yield sipp, port
    finally:
        if sipp.process is not None and sipp.process.poll() is None:
            sipp.process.kill()


def test_a_call_placed_redirected_and_ended_through_the_api(call_stack, calls, application):
    with phone(call_stack, "alice-live", hold_ms=None) as (alice, port):
        response = calls.create(
            From="+16175551212",
            To=f"sip:alice@127.0.0.1:{port}",
            Url=f"{application.url}/first.xml",
            StatusCallback=f"{application.url}/status",
        )
        assert response.status_code == 201, response.text
        created = response.json()
        sid = created["sid"]
        assert (created["status"], created["direction"], created["to"]) == (
            "queued",
            "outbound-api",
            f"sip:alice@127.0.0.1:{port}",
        )
        # Answered: the executor runs the document at Url, with Restcomm's parameters.
        first = application.wait_for("/first.xml")
        assert (first["CallSid"], first["Direction"], first["CallStatus"]) == (sid, "outbound-api", "in-progress")
        assert (first["From"], first["AccountSid"]) == ("+16175551212", calls.session.auth[0])
        assert calls.wait_status(sid, "in-progress")["direction"] == "outbound-api"
        assert "INVITE sip:alice@127.0.0.1" in alice.messages()
        # Redirected while it pauses for 40 s: the new document is fetched at once.
        started = time.monotonic()
        redirected = calls.modify(sid, Url=f"{application.url}/second.xml")
        assert redirected.status_code == 200, redirected.text
        assert application.wait_for("/second.xml", timeout=5)["CallSid"] == sid
        assert time.monotonic() - started < 5
        # Canceled only applies to a call not answered yet.
        assert calls.modify(sid, Status="canceled").status_code == 409
        # Ended: the phone gets the executor's BYE.
        ended = calls.modify(sid, Status="completed")
        assert ended.status_code == 200 and ended.json()["status"] == "completed", ended.text
        run = alice.wait()
        assert run.ok and "BYE sip:" in run.messages, run.output
    call = calls.wait_status(sid, "completed")
    assert (call["direction"], call["from"], call["end_time"] is not None) == ("outbound-api", "+16175551212", True)
    assert application.wait_for("/status")["CallStatus"] == "completed"
    listed = calls.session.get(f"{calls.base}.json", params={"Status": "completed"}, timeout=30).json()["calls"]
    assert sid in [item["sid"] for item in listed]
    assert calls.modify(sid, Status="completed").status_code == 400  # not live any more


def test_a_busy_phone(call_stack, calls, application):
    with phone(call_stack, "alice-busy", answer="486") as (alice, port):
        response = calls.create(
            From="+16175551212", To=f"sip:alice@127.0.0.1:{port}", Url=f"{application.url}/first.xml"
        )
        assert response.status_code == 201, response.text
        assert alice.wait().ok
    assert calls.wait_status(response.json()["sid"], "busy")["end_time"]
    assert not application.requests  # never answered, nothing fetched


def test_a_ringing_call_canceled(call_stack, calls, application):
    with phone(call_stack, "alice-rings", answer="ring", ring_ms=0) as (alice, port):
        response = calls.create(
            From="+16175551212", To=f"sip:alice@127.0.0.1:{port}", Url=f"{application.url}/first.xml"
        )
        sid = response.json()["sid"]
        assert alice.wait_for_message("SIP/2.0 180 Ringing", timeout=10)
        calls.wait_status(sid, "ringing", timeout=5)
        canceled = calls.modify(sid, Status="canceled")
        assert canceled.status_code == 200, canceled.text
        run = alice.wait()
        assert run.ok and "CANCEL sip:" in run.messages, run.output
    assert calls.wait_status(sid, "canceled")["duration"] in (0, None)


def test_a_client_is_called_through_the_sip_edge(call_stack, calls, application):
    """`To=client:bob`: the INVITE goes to SIP_EDGE (sipp there, as the phone the edge relays to)."""
    bob = call_stack.at_the_edge("bob-live", extension("bob", hold_ms=1000))
    response = calls.create(From="+16175551212", To="client:bob", Url=f"{application.url}/first.xml")
    assert response.status_code == 201, response.text
    sid = response.json()["sid"]
    assert application.wait_for("/first.xml")["To"] == "client:bob"
    run = bob.wait()  # it hangs up after a second
    assert run.ok and f"INVITE sip:bob@127.0.0.1:{call_stack.edge_port} SIP/2.0" in run.messages, run.output
    call = calls.wait_status(sid, "completed")
    assert (call["to"], call["direction"]) == ("client:bob", "outbound-api")


def test_a_phone_that_rings_past_the_timeout(call_stack, calls, application):
    with phone(call_stack, "alice-away", answer="ring", ring_ms=0) as (alice, port):
        response = calls.create(
            From="+16175551212", To=f"sip:alice@127.0.0.1:{port}", Url=f"{application.url}/first.xml", Timeout="2"
        )
        assert response.status_code == 201, response.text
        run = alice.wait()
        assert run.ok and "CANCEL sip:" in run.messages, run.output
    assert calls.wait_status(response.json()["sid"], "no-answer")["end_time"]
    assert not application.requests


def test_a_number_without_an_outbound_proxy_fails(calls, application):
    response = calls.create(From="+16175551212", To="+1 (415) 555-0100", Url=f"{application.url}/first.xml")
    assert response.status_code == 201, response.text
    assert response.json()["to"] == "+14155550100"
    assert calls.wait_status(response.json()["sid"], "failed")["end_time"]
    assert not application.requests


def test_a_call_that_came_in_is_redirected_and_ended_where_it_runs(call_stack, calls, application):
    """A call to a number of the account routed to the test's application: the portal learnt its
    executor when it served the call's entry, so the API reaches it there."""
    number = "+15557770001"
    account = calls.base.removesuffix("/Calls")
    routed = calls.session.post(
        f"{account}/IncomingPhoneNumbers.json",
        data={"PhoneNumber": number, "VoiceUrl": f"{application.url}/gather.xml"},
    )
    assert routed.status_code == 201, routed.text
    scenario = caller([], caller_number="15550009999")
    them = Sipp(call_stack.scratch("inbound-live"), scenario, call_stack.sip_port, service=number.lstrip("+"))
    them.start()
    try:
        sid = application.wait_for("/gather.xml")["CallSid"]
        call = calls.get(sid, timeout=10)
        assert (call["direction"], call["from"], call["status"]) == ("inbound", "15550009999", "in-progress")
        redirected = calls.modify(sid, Url=f"{application.url}/second.xml")
        assert redirected.status_code == 200, redirected.text
        assert application.wait_for("/second.xml", timeout=5)["CallSid"] == sid  # the 40 s Gather cut short
        assert calls.modify(sid, Status="completed").status_code == 200
        run = them.wait()
        assert run.ok, run.output  # the executor's BYE, answered
    finally:
        if them.process is not None and them.process.poll() is None:
            them.process.kill()
    assert calls.wait_status(sid, "completed")["direction"] == "inbound"


def test_the_executors_control_endpoint_wants_the_executors_token(call_stack):
    control = f"http://127.0.0.1:{call_stack.sip_port + 1000}"  # EXECUTOR_CONTROL_PORT unset: the SIP port + 1000
    for method, path in (("POST", "/calls"), ("GET", "/calls/CA1"), ("POST", "/calls/CA1")):
        answer = requests.request(
            method, control + path, json={}, headers={"Authorization": "Bearer wrong"}, timeout=10
        )
        assert (answer.status_code, answer.json()) == (401, {"error": "unauthorized"})

"""Calls from a real SIP peer (sipp) through AA systems set up with the API and published by the worker.

The stack (tests/calls/conftest.py) is gunicorn, a Celery worker and `manage.py run_executor`.
Each test dials the reception's AA number from its own caller number, so its call record is its own.
A client extension's phone is a sipp on the executor's SIP edge port (registration is the edge's).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import threading
import time
from dataclasses import dataclass

import pytest

from tests.calls.conftest import hangup_policies
from tests.calls.sipp import Sipp, caller, edge_refusal, extension, held_key_pcap
from tests.servers import MANAGE, free_port, free_sip_port, listening, process, wait_until

PN = "/autoattendant/phonenumber"
SYSTEM = "/autoattendant/system"
MENU = "/autoattendant/menu"
AA_NUMBER = "+15550001000"
NO_SYSTEM_NUMBER = "+15550001001"
INACTIVE_NUMBER = "+15550001002"
ALICE = ("alice201", "alice-secret-1")  # answers
BOB = ("bob202", "bob-secret-2")  # busy
CAROL = ("carol203", "carol-secret-3")  # not registered: the edge answers 404
CALLER_ID = "+15550009000"  # the enterprise's extFromPhoneNumber: what extensions see calling


@dataclass
class Reception:
    enterprise_sid: str
    system_sid: str
    main_menu: str
    support_menu: str


def _number(api, enterprise_sid: str, number: str, extension: str | None = None, password: str = "", name: str = ""):
    body = {"number": number, "enterpriseSid": enterprise_sid, "isExtension": extension is not None}
    if extension:
        body.update(extension=extension, extensionSpokenName=name)
        if password:
            body.update(extensionType="client", extensionClientPassword=password)
    return api.post(PN, body)["sid"]


@pytest.fixture(scope="module")
def reception(call_stack) -> Reception:
    """Main menu (greeting; 1 Alice, 2 support menu, 3 Carol; dial by extension) and a support menu
    (4 voicemail, 5 Bob); an AA number with no system; an inactive system."""
    api = call_stack.api
    enterprise = api.post(
        "/autoattendant/enterprise",
        {
            "name": "Calls Inc",
            "extFromPhoneNumber": CALLER_ID,
            "enterpriseAdmin": {"emailId": "bg@calls.test", "password": "bg-pass-1234"},
        },
    )["sid"]
    aa = _number(api, enterprise, AA_NUMBER)
    _number(api, enterprise, NO_SYSTEM_NUMBER)
    inactive_aa = _number(api, enterprise, INACTIVE_NUMBER)
    alice = _number(api, enterprise, ALICE[0], "201", ALICE[1], "Alice")
    bob = _number(api, enterprise, BOB[0], "202", BOB[1], "Bob")
    carol = _number(api, enterprise, CAROL[0], "203", CAROL[1], "Carol")
    system = api.post(
        SYSTEM,
        {
            "name": "Reception",
            "status": "ACTIVE",
            "timezoneId": "UTC",
            "enterpriseSid": enterprise,
            "aaNumbers": [aa],
            "extensions": [alice, bob, carol],
            **hangup_policies(),
        },
    )["sid"]
    greeting = api.post(
        "/autoattendant/announcement",
        {
            "name": "Welcome",
            "type": "TTS",
            "text": "Welcome to Calls Inc.",
            "language": "en",
            "enterpriseSid": enterprise,
        },
    )["sid"]
    support = api.post(
        MENU,
        {
            "name": "Support",
            "autoAttendantSid": system,
            "options": [
                {"key": "4", "actionType": "VOICEMAIL"},
                {"key": "5", "actionType": "TRANSFER_TO_EXTENSION", "actionData": bob},
            ],
        },
    )["sid"]
    main = api.post(
        MENU,
        {
            "name": "Main",
            "autoAttendantSid": system,
            "greetingAnnouncementSid": greeting,
            "allowDialByExtension": True,
            "options": [
                {"key": "1", "actionType": "TRANSFER_TO_EXTENSION", "actionData": alice},
                {"key": "2", "actionType": "GO_TO_MENU", "actionData": support},
                {"key": "3", "actionType": "TRANSFER_TO_EXTENSION", "actionData": carol},
            ],
        },
    )["sid"]
    api.put(f"{SYSTEM}/{system}", {"defaultMenuSid": main})
    inactive = api.post(
        SYSTEM,
        {
            "name": "Closed",
            "status": "INACTIVE",
            "timezoneId": "UTC",
            "enterpriseSid": enterprise,
            "aaNumbers": [inactive_aa],
            **hangup_policies(),
        },
    )["sid"]
    call_stack.wait_published(system)
    call_stack.wait_published(inactive)
    return Reception(enterprise, system, main, support)


def dial(call_stack, name: str, scenario: str, number: str = AA_NUMBER, **kwargs):
    run = Sipp(call_stack.scratch(name), scenario, call_stack.sip_port, service=number.lstrip("+"), **kwargs).run()
    assert run.ok, f"sipp failed ({run.returncode}):\n{run.output}\n{run.messages[-4000:]}\n{call_stack.diagnostics()}"
    return run


def registered(call_stack, name: str, login: str, **kwargs) -> Sipp:
    """A client extension's phone taking one call as the SIP edge relays it, echoing media back."""
    return call_stack.at_the_edge(name, extension(login, **kwargs))


def test_key_transfers_to_a_registered_client_extension(call_stack, reception):
    phone = registered(call_stack, "alice", ALICE[0])
    dial(call_stack, "press-1", caller([("wait", 1500), ("dtmf", "1")], caller_number="15551110001"))
    run = phone.wait()
    assert run.ok, run.output
    invite = run.messages[run.messages.index("INVITE sip:alice201@") :]
    assert invite.startswith(f"INVITE sip:alice201@127.0.0.1:{call_stack.edge_port} SIP/2.0"), invite[:300]
    from_line = next(line for line in invite.splitlines() if line.startswith("From:"))
    assert f"<sip:{CALLER_ID}@" in from_line, invite[:600]
    record = call_stack.call_record("15551110001")
    assert record["outcome"] == "TRANSFERRED"
    assert (record["keys"], record["menuPath"]) == (["1"], [reception.main_menu])
    assert (record["dialStatus"], record["transferTarget"]) == ("completed", "alice201")
    assert record["aaSystemSid"] == reception.system_sid and record["answerTime"]


def test_caller_hangs_up_during_the_transfer(call_stack, reception):
    """The usual end of a transferred call: the caller's BYE while bridged; the Dial still completed."""
    phone = registered(call_stack, "alice-stays-on", ALICE[0], hold_ms=None)
    steps = [("wait", 1500), ("dtmf", "1"), ("wait", 4000)]
    dial(call_stack, "press-1-then-bye", caller(steps, end="our-bye", caller_number="15551110015"))
    assert phone.wait().ok  # it got the executor's BYE
    record = call_stack.call_record("15551110015")
    assert (record["outcome"], record["dialStatus"], record["transferTarget"]) == (
        "TRANSFERRED",
        "completed",
        "alice201",
    )


def test_caller_hangs_up_while_the_extension_rings(call_stack, reception):
    phone = registered(call_stack, "alice-rings", ALICE[0], answer="ring")
    steps = [("wait", 1500), ("dtmf", "1"), ("wait", 2500)]
    dial(call_stack, "press-1-then-cancel", caller(steps, end="our-bye", caller_number="15551110016"))
    assert phone.wait().ok  # it got the executor's CANCEL
    record = call_stack.call_record("15551110016")
    assert (record["outcome"], record["dialStatus"], record["transferTarget"]) == ("CALLER_HANGUP", "canceled", None)


def test_the_key_that_transfers_is_not_passed_on(call_stack, reception):
    """The caller holds 1 (the transfer) until the extension has answered, then presses 2 while bridged:
    the extension's phone gets the 2 as RFC 4733 events, and nothing of the 1."""
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(0.2)
    events: list[int] = []
    done = threading.Event()

    def receive():
        while not done.is_set():
            try:
                packet = receiver.recv(2048)
            except TimeoutError:
                continue
            if packet[1] & 0x7F == 101 and len(packet) >= 16:
                events.append(packet[12])

    thread = threading.Thread(target=receive)
    thread.start()
    try:
        media_port = str(receiver.getsockname()[1])
        phone = registered(call_stack, "alice-hears-keys", ALICE[0], hold_ms=None, media_port=media_port)
        workdir = call_stack.scratch("held-1-then-2")
        held_key_pcap(workdir / "held_1.pcap", "1", seconds=5.0)
        steps = [("wait", 1500), ("pcap", "held_1.pcap"), ("wait", 6000), ("dtmf", "2"), ("wait", 1000)]
        scenario = caller(steps, end="our-bye", caller_number="15551110017")
        run = Sipp(workdir, scenario, call_stack.sip_port, service=AA_NUMBER.lstrip("+")).run()
        assert run.ok, f"{run.output}\n{call_stack.diagnostics()}"
        assert phone.wait().ok
    finally:
        done.set()
        thread.join()
        receiver.close()
    record = call_stack.call_record("15551110017")
    assert (record["keys"], record["dialStatus"]) == (["1"], "completed")
    assert events and set(events) == {2}, events


def test_dial_by_extension(call_stack, reception):
    phone = registered(call_stack, "alice-by-extension", ALICE[0])
    steps = [("wait", 1000), ("dtmf", "2"), ("dtmf", "0"), ("dtmf", "1")]
    dial(call_stack, "dial-201", caller(steps, caller_number="15551110002"))
    assert phone.wait().ok
    record = call_stack.call_record("15551110002")
    assert (record["outcome"], record["keys"], record["transferTarget"]) == ("TRANSFERRED", ["201"], "alice201")


def test_submenu_then_voicemail_is_recorded(call_stack, reception):
    steps = [("wait", 1000), ("dtmf", "2"), ("wait", 4000), ("dtmf", "4"), ("wait", 6000), ("audio",), ("wait", 7500)]
    dial(call_stack, "voicemail", caller(steps, caller_number="15551110003"), timeout=90)
    record = call_stack.call_record("15551110003")
    assert record["outcome"] == "VOICEMAIL"
    assert record["menuPath"] == [reception.main_menu, reception.support_menu]
    assert record["keys"] == ["2", "4"]
    messages = call_stack.api.get("/autoattendant/voicemail/search", aaSystemSid=reception.system_sid)["result"]
    mine = [m for m in messages if m["caller"] == "15551110003"]
    assert len(mine) == 1 and mine[0]["durationSeconds"] >= 3, mine


def test_busy_extension_reports_busy_and_offers_voicemail(call_stack, reception):
    phone = registered(call_stack, "bob-busy", BOB[0], answer="486")
    steps = [("wait", 1000), ("dtmf", "2"), ("wait", 3000), ("dtmf", "5")]
    dial(call_stack, "press-5", caller(steps, caller_number="15551110004"), timeout=90)
    assert phone.wait().ok
    record = call_stack.call_record("15551110004")
    assert record["dialStatus"] == "busy" and record["transferTarget"] is None
    assert record["outcome"] in ("COMPLETED", "VOICEMAIL")


def test_unregistered_extension_by_sip_info_digit(call_stack, reception):
    edge = call_stack.at_the_edge("carol-not-registered", edge_refusal(404, "Not Found"))
    dial(call_stack, "info-3", caller([("wait", 1000), ("info", "3")], caller_number="15551110005"))
    run = edge.wait()
    assert run.ok and "INVITE sip:carol203@127.0.0.1:" in run.messages, run.output
    record = call_stack.call_record("15551110005")
    assert (record["keys"], record["dialStatus"]) == (["3"], "failed")


def test_nobody_presses_anything_and_the_timeout_policy_ends_the_call(call_stack, reception):
    started = time.monotonic()
    dial(call_stack, "silent", caller([], caller_number="15551110006"))
    assert time.monotonic() - started < 30
    record = call_stack.call_record("15551110006")
    assert (record["outcome"], record["keys"], record["menuPath"]) == ("COMPLETED", [], [reception.main_menu])


def test_invalid_key_policy(call_stack, reception):
    dial(call_stack, "invalid-9", caller([("wait", 1000), ("dtmf", "9")], caller_number="15551110007"))
    record = call_stack.call_record("15551110007")
    assert (record["outcome"], record["keys"]) == ("COMPLETED", ["9"])


def test_caller_hangs_up_during_the_greeting(call_stack, reception):
    dial(call_stack, "our-bye", caller([("wait", 800)], end="our-bye", caller_number="15551110008"))
    record = call_stack.call_record("15551110008")
    assert record["outcome"] == "CALLER_HANGUP"


@pytest.mark.parametrize(("number", "status"), [("+15550009999", 404), (NO_SYSTEM_NUMBER, 404), (INACTIVE_NUMBER, 480)])
def test_numbers_without_a_working_system_are_refused(call_stack, reception, number, status):
    dial(call_stack, f"refused-{status}", caller([], answered=False, expect_status=status), number=number)


def test_no_ack_ends_the_call_with_a_bye(call_stack, reception):
    dial(call_stack, "no-ack", caller([], end="no-ack", caller_number="15551110009", bye_timeout_ms=20000))
    record = call_stack.call_record("15551110009")
    assert record["outcome"] == "FAILED"


def test_call_over_tcp(call_stack, reception):
    dial(call_stack, "tcp", caller([("wait", 1000), ("dtmf", "9")], caller_number="15551110010"), transport="t1")
    assert call_stack.call_record("15551110010")["keys"] == ["9"]


def test_the_caller_hears_the_greeting(call_stack, reception):
    """Our own socket is the caller's media address: RTP arrives every 20 ms and carries speech."""
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(0.5)
    packets: list[tuple[float, bytes]] = []

    def receive():
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            try:
                packets.append((time.monotonic(), receiver.recv(2048)))
            except TimeoutError:
                continue

    thread = threading.Thread(target=receive)
    thread.start()
    media_port = str(receiver.getsockname()[1])
    dial(call_stack, "hear", caller([], caller_number="15551110011", media_port=media_port))
    thread.join()
    receiver.close()
    assert len(packets) > 100, len(packets)
    payload_types = {p[1] & 0x7F for _, p in packets}
    assert payload_types == {0}, payload_types  # PCMU, the first codec offered
    sequence = [int.from_bytes(p[2:4], "big") for _, p in packets]
    assert all((b - a) % 65536 == 1 for a, b in zip(sequence, sequence[1:], strict=False))
    speech = [p for _, p in packets if len(set(p[12:])) > 8]  # not one repeated silence byte
    assert len(speech) > 25, "no speech in the first seconds of the call"


def test_portal_unreachable_gets_the_apology_then_a_hangup(call_stack, tmp_path):
    """An executor whose portal is down still answers, apologises and hangs up."""
    sip_port = free_sip_port()
    env = {
        **os.environ,
        "EXECUTOR_PORTAL_URL": f"http://127.0.0.1:{free_port()}",
        "EXECUTOR_SIP_PORT": str(sip_port),
        "RTP_PORT_MIN": "19600",
        "RTP_PORT_MAX": "19699",
        "EXECUTOR_PORTAL_TIMEOUT": "1",
    }
    log = tmp_path / "executor.log"
    with process([*MANAGE, "run_executor"], env, log) as executor:
        wait_until(lambda: listening(sip_port), executor, log, "the executor")
        started = time.monotonic()
        run = Sipp(tmp_path / "sipp", caller([], caller_number="15551110012"), sip_port, service="15550001000").run()
        assert run.ok, run.output + log.read_text()
        assert 5 < time.monotonic() - started < 25  # the apology (6.6 s) was played before the BYE
    assert "apologising" in log.read_text()


def test_shutdown_refuses_new_calls_and_lets_calls_in_progress_finish(call_stack, reception, tmp_path):
    """SIGTERM: a new INVITE gets 503, the call in progress ends as its menu says, the process exits 0."""
    sip_port = free_sip_port()
    env = {**call_stack.env, "EXECUTOR_SIP_PORT": str(sip_port), "RTP_PORT_MIN": "19700", "RTP_PORT_MAX": "19799"}
    env["EXECUTOR_DRAIN_SECONDS"] = "15"
    log = tmp_path / "executor.log"
    with process([*MANAGE, "run_executor"], env, log) as executor:
        wait_until(lambda: listening(sip_port), executor, log, "the executor")
        first = Sipp(tmp_path / "first", caller([], caller_number="15551110013"), sip_port, service="15550001000")
        first.start()
        assert first.wait_for_message("SIP/2.0 200 OK", 10), first.messages()
        executor.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        refused = caller([], answered=False, expect_status=503, caller_number="15551110014")
        second = Sipp(tmp_path / "second", refused, sip_port, service="15550001000").run()
        assert second.ok, second.output + log.read_text()
        result = first.wait()
        assert result.ok, result.output + log.read_text()
        assert executor.wait(timeout=20) == 0, log.read_text()
    record = call_stack.call_record("15551110013")
    assert (record["outcome"], record["menuPath"]) == ("COMPLETED", [reception.main_menu])


def options(sock: socket.socket, port: int) -> str:
    """An OPTIONS as the SIP edge's dispatcher probes an executor, and the answer."""
    local = sock.getsockname()[1]
    branch = f"z9hG4bK{os.urandom(8).hex()}"
    request = "\r\n".join(
        [
            f"OPTIONS sip:127.0.0.1:{port} SIP/2.0",
            f"Via: SIP/2.0/UDP 127.0.0.1:{local};branch={branch};rport",
            f"From: <sip:edge@127.0.0.1:{local}>;tag=probe",
            f"To: <sip:127.0.0.1:{port}>",
            f"Call-ID: probe-{branch}",
            "CSeq: 10 OPTIONS",
            "Max-Forwards: 70",
            "Content-Length: 0",
            "",
            "",
        ]
    )
    sock.sendto(request.encode(), ("127.0.0.1", port))
    return sock.recv(65535).decode(errors="replace")


def test_a_draining_executor_answers_the_edge_s_probe_503_before_it_exits(tmp_path):
    """SIGTERM with no call in progress: an executor the edge probes (OPTIONS 200 while serving) stays
    until it has answered a probe 503, so the dispatcher marks it instead of timing out on it."""
    sip_port = free_sip_port()
    env = {
        **os.environ,
        "EXECUTOR_PORTAL_URL": f"http://127.0.0.1:{free_port()}",
        "EXECUTOR_SIP_PORT": str(sip_port),
        "RTP_PORT_MIN": "19600",
        "RTP_PORT_MAX": "19699",
        "EXECUTOR_DRAIN_SECONDS": "15",
    }
    log = tmp_path / "executor.log"
    with (
        process([*MANAGE, "run_executor"], env, log) as executor,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe,
    ):
        wait_until(lambda: listening(sip_port), executor, log, "the executor")
        probe.bind(("127.0.0.1", 0))
        probe.settimeout(3)
        serving = options(probe, sip_port)
        assert serving.startswith("SIP/2.0 200 "), serving
        assert not re.search(r"^(Server|User-Agent):", serving, re.MULTILINE | re.IGNORECASE), serving
        executor.send_signal(signal.SIGTERM)
        time.sleep(1.0)
        assert executor.poll() is None, log.read_text()  # the edge has not seen it draining yet
        draining = options(probe, sip_port)
        assert draining.startswith("SIP/2.0 503 ") and "Retry-After:" in draining, draining
        assert executor.wait(timeout=10) == 0, log.read_text()

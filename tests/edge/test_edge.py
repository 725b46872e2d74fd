"""The SIP edge: Kamailio registers phones against the portal's credentials, limits floods and password
guessing, says nothing to scanners nor its own name to anyone, and spreads calls over the executors,
around one that dies or drains."""

from __future__ import annotations

import signal
import socket
import time

import pytest

from tests.calls.sipp import Sipp, caller, extension, load
from tests.edge.conftest import AUTH_FAILURES, REGISTER_DENSITY, TRANSFER_PHONE, answered_by
from tests.edge.scenarios import register
from tests.edge.sip import Answer, Peer
from tests.servers import free_port


def test_a_phone_registers_with_its_password_and_its_binding_is_in_the_location_table(edge_stack, phone):
    login, password = phone
    port = free_port(2)
    run = Sipp(edge_stack.scratch("register"), register(login, password), edge_stack.sip_port, sip_port=port).run()
    assert run.ok, f"{run.output}\n{run.messages}\n{edge_stack.diagnostics()}"
    contacts = [row[0] for row in edge_stack.bindings(login)]
    assert f"sip:{login}@127.0.0.1:{port};transport=UDP" in contacts


def test_a_wrong_password_is_challenged_then_refused(edge_stack, phone):
    login, _ = phone
    before = edge_stack.bindings(login)
    run = Sipp(edge_stack.scratch("register-wrong"), register(login, "not-it", "403"), edge_stack.sip_port).run()
    assert run.ok, f"{run.output}\n{run.messages}"
    assert "SIP/2.0 401" in run.messages
    assert edge_stack.bindings(login) == before


def test_password_guessing_from_one_address_is_answered_a_few_times_then_not_at_all(edge_stack, phone):
    login, password = phone
    guesser = Peer("127.0.0.2", edge_stack.sip_port)
    answers = [guesser.register(login, f"guess-{i}", timeout=0.5) for i in range(AUTH_FAILURES + 5)]
    refused = [a for pair in answers for a in pair if a is not None and a.status == 403]
    assert len(refused) == AUTH_FAILURES, [[a and a.status for a in pair] for pair in answers]
    assert answers[-1] == [None]
    # Banned: even the right password from that address gets nothing; from elsewhere it still works.
    assert guesser.register(login, password, timeout=0.5) == [None]
    honest = Peer("127.0.0.1", edge_stack.sip_port)
    assert [a and a.status for a in honest.register(login, password)] == [401, 200]


def test_a_register_flood_from_one_address_is_cut_off(edge_stack, phone):
    flooder = Peer("127.0.0.3", edge_stack.sip_port)
    for _ in range(300):
        flooder.send(flooder.request("REGISTER", f"sip:127.0.0.1:{edge_stack.sip_port}", phone[0]))
        time.sleep(0.002)
    answered = 0
    while flooder.receive(0.5) is not None:
        answered += 1
    print(f"\nREGISTER flood: {answered} of 300 answered")
    assert 0 < answered <= 3 * REGISTER_DENSITY
    assert flooder.ask("REGISTER", phone[0], timeout=0.5) is None


def test_scanners_get_no_answer(edge_stack):
    for agent in ("friendly-scanner", "sipvicious", "SIPVicious PBX scanner", "sipcli/v1.8", "VaxSIPUserAgent/3.1"):
        scanner = Peer("127.0.0.4", edge_stack.sip_port, user_agent=agent)
        assert scanner.ask("OPTIONS") is None, agent
        assert scanner.ask("REGISTER", "100") is None, agent
    phone = Peer("127.0.0.4", edge_stack.sip_port, user_agent="Yealink SIP-T46S")
    assert (answer := phone.ask("OPTIONS")) is not None and answer.status == 200


def _anonymous(answer: Answer | None) -> None:
    assert answer is not None
    assert answer.header("Server") is None and answer.header("User-Agent") is None, answer.text
    assert "kamailio" not in answer.text.lower() and "sip router" not in answer.text.lower(), answer.text


def test_no_answer_names_the_product(edge_stack, phone):
    peer = Peer("127.0.0.5", edge_stack.sip_port)
    _anonymous(peer.ask("OPTIONS"))
    _anonymous(peer.ask("SUBSCRIBE"))
    challenge, refusal = peer.register(phone[0], "wrong")
    _anonymous(challenge)
    _anonymous(refusal)
    # Nor do the dispatcher's OPTIONS to an executor: one added (and removed) with `manage.py executors`.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as fake:
        fake.bind(("127.0.0.1", 0))
        fake.settimeout(5)
        uri = f"sip:127.0.0.1:{fake.getsockname()[1]}"
        assert "reloaded" in edge_stack.manage("executors", "add", uri, "--weight", "1")
        try:
            probe = fake.recv(65535).decode()
        finally:
            edge_stack.manage("executors", "remove", uri)
    assert probe.startswith("OPTIONS ")
    _anonymous(Answer(0, probe))
    assert uri not in edge_stack.states()


def test_calls_are_spread_over_both_executors(edge_stack):
    sipp = edge_stack.calls(20, 10, hold_ms=500, caller_number="15553100001")
    done = load(sipp)
    assert done.created == 20 and done.succeeded == 20, f"{done}\n{edge_stack.diagnostics()}"
    ports = list(answered_by(sipp).values())
    shares = {executor.port: ports.count(executor.port) for executor in edge_stack.executors}
    print(f"\ncalls per executor: {shares}")
    assert all(share >= 3 for share in shares.values()), shares


def _phone_at(edge_stack, login: str, password: str, name: str, port: int, contact: str | None = None) -> Sipp:
    """A phone registered through the edge from `port`, then sipp taking one call on that port.
    contact: the host:port its Contact names instead (behind NAT: not where it sends from)."""
    names = {"contact_address": contact} if contact else {}
    signup = Sipp(
        edge_stack.scratch(f"{name}-register"), register(login, password, **names), edge_stack.sip_port, sip_port=port
    )
    assert (run := signup.run()).ok, f"{run.output}\n{run.messages}"
    scenario = extension(login, hold_ms=1000, **names)
    phone = Sipp(edge_stack.scratch(name), scenario, edge_stack.sip_port, sip_port=port)
    phone.command += ["-rtp_echo"]
    phone.start()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                return phone  # bound by sipp
        time.sleep(0.05)
    pytest.fail("the phone's sipp did not start")


def test_a_phone_registered_at_the_edge_takes_a_transfer_from_either_executor(edge_stack, transfer_desk):
    login, password = TRANSFER_PHONE
    port = free_port(2)  # one binding, the same phone each time
    for answering in edge_stack.executors:
        others = [e for e in edge_stack.executors if e is not answering]
        for other in others:  # the call can only go to `answering`
            edge_stack.manage("executors", "remove", other.uri)
        try:
            phone = _phone_at(edge_stack, login, password, f"phone-{answering.name}", port)
            steps = [("wait", 1500), ("dtmf", "1")]
            scenario = caller(steps, caller_number=f"1555320000{answering.port % 10}")
            call = Sipp(edge_stack.scratch("transferred"), scenario, edge_stack.sip_port, service=transfer_desk)
            assert (run := call.run()).ok, f"{run.output}\n{edge_stack.diagnostics()}"
            assert list(answered_by(call).values()) == [answering.port]
            taken = phone.wait()
            assert taken.ok, taken.output
            assert f"INVITE sip:{login}@127.0.0.1:" in taken.messages  # relayed by the edge to its binding
        finally:
            for other in others:
                edge_stack.manage("executors", "add", other.uri)
                edge_stack.wait_state(other, active=True)


def test_a_phone_behind_nat_takes_a_transfer_through_the_address_it_sends_from(edge_stack, transfer_desk):
    """Its REGISTER and its answers name an address it cannot be reached at (its private one; here a port
    nobody listens on): the edge calls it where its REGISTER came from, and the executor's ACK and BYE,
    addressed to the Contact of its 200 through the edge, reach it there too (the Contact's alias)."""
    login, password = TRANSFER_PHONE
    unreachable = free_port(socket.SOCK_DGRAM)  # closed again: nothing answers there
    phone = _phone_at(edge_stack, login, password, "phone-nat", free_port(2), contact=f"127.0.0.1:{unreachable}")
    scenario = caller([("wait", 1500), ("dtmf", "1")], caller_number="15553200009")
    call = Sipp(edge_stack.scratch("transferred-nat"), scenario, edge_stack.sip_port, service=transfer_desk)
    assert (run := call.run()).ok, f"{run.output}\n{edge_stack.diagnostics()}"
    taken = phone.wait()
    assert taken.ok, taken.output  # the ACK of its 200 arrived, and its BYE was answered
    assert f"INVITE sip:{login}@127.0.0.1:{unreachable}" in taken.messages  # the binding kept its Contact
    ack = next(line for line in taken.messages.splitlines() if line.startswith("ACK "))
    assert f"127.0.0.1:{unreachable}" in ack and "alias=" not in ack, ack  # to its Contact, the edge's alias taken off


def test_a_killed_executor_loses_its_calls_and_new_ones_go_to_the_other(edge_stack):
    killed, other = edge_stack.executors
    sipp = edge_stack.calls(40, 10, hold_ms=2000, caller_number="15553100002")
    time.sleep(1.5)
    assert killed.process is not None
    killed.process.send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    detected = edge_stack.wait_state(killed, active=False)
    done = load(sipp)
    by_port = answered_by(sipp)
    on_killed = sum(1 for port in by_port.values() if port == killed.port)
    print(
        f"\nSIGKILL: marked inactive {detected:.1f} s after the kill (probe every 1 s); {done.failed} of "
        f"{done.created} calls failed, {on_killed} had been answered by the killed executor"
    )
    assert len(by_port) == done.created == 40, f"every call is answered\n{edge_stack.diagnostics()}"
    assert done.failed <= on_killed, "only calls in progress on the killed executor are lost"
    assert sum(1 for port in by_port.values() if port == other.port) >= 40 - on_killed
    assert time.monotonic() - killed_at < 60
    killed.start()
    edge_stack.wait_state(killed, active=True)


def test_a_draining_executor_gets_no_new_calls_and_none_fail(edge_stack):
    staying, draining = edge_stack.executors
    sipp = edge_stack.calls(30, 10, hold_ms=1500, caller_number="15553100003")
    time.sleep(1.0)
    assert draining.process is not None
    draining.process.send_signal(signal.SIGTERM)
    edge_stack.wait_state(draining, active=False)
    done = load(sipp)
    print(f"\nSIGTERM: {done.failed} of {done.created} calls failed")
    assert done.created == 30 and done.failed == 0, f"{done}\n{edge_stack.diagnostics()}"
    assert draining.process.wait(30) == 0
    draining.start()
    edge_stack.wait_state(draining, active=True)
    assert edge_stack.states()[staying.uri].startswith("A")

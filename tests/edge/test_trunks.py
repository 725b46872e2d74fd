"""Gateways (SIP trunks) and the outbound proxy, carried out by the SIP edge: Kamailio registers with a
gateway that asks for it, answering its registrar's challenge; an executor's call to a number goes out
through the gateway of its account (or of the nearest account above it), the gateway's challenge
answered with its credentials; with no gateway, through the active outbound proxy, which an
administrator switches to the fallback. sipp plays the gateways, the proxies and the callers."""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import psycopg
import pytest

from tests.calls.sipp import Sipp, caller
from tests.edge import trunk_scenarios
from tests.edge.conftest import EdgeStack
from tests.faults.conftest import publish_front_desk
from tests.servers import free_sip_port

NUMBER_DESK = "+15550003100"  # key 1: TRANSFER_TO_NUMBER DIALLED
DIALLED = "+15550007100"


def accounts(stack: EdgeStack) -> tuple[str, str]:
    """The AccountSids of the CSP and of the front desk's enterprise (the account below it). Where the
    enterprise's account has no account above it yet, its CSP's account is made its parent here."""
    with psycopg.connect(stack.env["DATABASE_URL"]) as connection:
        account = connection.execute(
            "SELECT id, sid, parent_id, organisation_sid FROM telephony_telephonyaccount WHERE enterprise_sid = %s",
            (stack.enterprise,),
        ).fetchone()
        assert account, "the enterprise has no account"
        if account[2] is None:
            csp = connection.execute(
                """SELECT id FROM telephony_telephonyaccount
                   WHERE organisation_sid = %s AND enterprise_sid IS NULL AND parent_id IS NULL""",
                (account[3],),
            ).fetchone()
            if csp is None:
                csp = connection.execute(
                    """INSERT INTO telephony_telephonyaccount (sid, organisation_sid, friendly_name, status, role,
                           auth_token, password, date_created, date_updated)
                       VALUES (%s, %s, 'Edge CSP', 'active', 'Administrator', %s, '', now(), now()) RETURNING id""",
                    ("AC" + uuid.uuid4().hex, account[3], uuid.uuid4().hex),
                ).fetchone()
            connection.execute(
                "UPDATE telephony_telephonyaccount SET parent_id = %s WHERE id = %s", (csp[0], account[0])
            )
        parent = connection.execute(
            "SELECT parent.sid FROM telephony_telephonyaccount parent JOIN telephony_telephonyaccount a "
            "ON a.parent_id = parent.id WHERE a.id = %s",
            (account[0],),
        ).fetchone()
    return parent[0], account[1]


def add_gateway(stack: EdgeStack, account: str, port: int, *options: str) -> str:
    added = stack.manage("gateways", "add", "--account", account, "--proxy", f"127.0.0.1:{port}", *options)
    return added.split()[-1]


def listening_sipp(stack: EdgeStack, name: str, scenario: str, port: int) -> Sipp:
    """sipp as a server on 127.0.0.1:`port` (UDP), once it is bound there."""
    sipp = Sipp(stack.scratch(name), scenario, stack.sip_port, sip_port=port, timeout=60).start()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                return sipp
        time.sleep(0.05)
    pytest.fail(f"sipp {name} did not start")


def proxy_port(stack: EdgeStack, setting: str) -> int:
    return int(stack.env[setting].rpartition(":")[2])


@pytest.fixture(scope="module")
def number_desk(edge_stack) -> str:
    """An AA number whose key 1 transfers to DIALLED (TRANSFER_TO_NUMBER); the number to call."""
    transfer = {"actionType": "TRANSFER_TO_NUMBER", "actionData": DIALLED}
    publish_front_desk(edge_stack.api, NUMBER_DESK, edge_stack.diagnostics, edge_stack.enterprise, transfer)
    return NUMBER_DESK.lstrip("+")


def test_the_edge_registers_with_a_gateway_that_asks_for_it_answering_the_challenge(edge_stack):
    _, enterprise = accounts(edge_stack)
    port = free_sip_port()
    user, password = "trunk-user-1", "trunk-secret-1"
    registrar = listening_sipp(edge_stack, "registrar", trunk_scenarios.registrar(user, password, 120), port)
    sid = add_gateway(
        edge_stack, enterprise, port, "--user", user, "--password", password, "--register", "--ttl", "120"
    )
    try:
        run = registrar.wait()
        assert run.ok, f"{run.output}\n{run.messages}\n{edge_stack.diagnostics()}"
        assert f"Contact: <sip:{sid}@127.0.0.1:{edge_stack.sip_port}>" in run.messages
        assert "Expires: 120" in run.messages
        assert sid in registrations(edge_stack)
        deadline = time.monotonic() + 5
        while f"{sid}\t{enterprise}\t127.0.0.1:{port}\t{user}\tregistered" not in edge_stack.manage("gateways", "list"):
            assert time.monotonic() < deadline, edge_stack.manage("gateways", "list")
            time.sleep(0.2)
    finally:
        edge_stack.manage("gateways", "remove", sid)
    assert sid not in registrations(edge_stack)  # the edge no longer registers with it


def registrations(stack: EdgeStack) -> str:
    """What the running edge registers with (Kamailio's `uac.reg_dump`)."""
    socket_path = Path(stack.env["SIP_EDGE_RUN_DIR"]) / "ctl.sock"
    dump = subprocess.run(["kamcmd", "-s", f"unix:{socket_path}", "uac.reg_dump"], capture_output=True, text=True)
    assert dump.returncode == 0, dump.stderr
    return dump.stdout


def test_a_call_from_a_gateway_we_registered_with_reaches_an_executor_for_the_number_dialled(edge_stack, number_desk):
    _, enterprise = accounts(edge_stack)
    nobody = free_sip_port()  # its registrar does not answer: the edge knows the gateway all the same
    sid = add_gateway(edge_stack, enterprise, nobody, "--user", "u", "--password", "p", "--register")
    try:
        scenario = trunk_scenarios.from_gateway(sid, NUMBER_DESK)
        call = Sipp(edge_stack.scratch("from-gateway"), scenario, edge_stack.sip_port)
        assert (run := call.run()).ok, f"{run.output}\n{run.messages}\n{edge_stack.diagnostics()}"
    finally:
        edge_stack.manage("gateways", "remove", sid)


def test_a_number_call_goes_out_through_the_gateway_above_its_account_with_the_gateways_credentials(edge_stack):
    """The gateway is the CSP's; the call is the enterprise's (the account below): the nearest one above."""
    csp, enterprise = accounts(edge_stack)
    number, user, password = "+15550007000", "trunk-user-2", "trunk-secret-2"
    port = free_sip_port()
    trunk = listening_sipp(edge_stack, "gateway", trunk_scenarios.gateway(number, user=user), port)
    sid = add_gateway(edge_stack, csp, port, "--user", user, "--password", password)
    # The executor placing the call: sipp from an address in the dispatcher's list (it answers probes).
    executor_port = free_sip_port()
    edge_stack.manage("executors", "add", f"sip:127.0.0.1:{executor_port}")
    try:
        scenario = trunk_scenarios.number_call(number, enterprise)
        call = Sipp(edge_stack.scratch("executor"), scenario, edge_stack.sip_port, sip_port=executor_port)
        call.command += ["-aa"]
        assert (run := call.run()).ok, f"{run.output}\n{run.messages}\n{edge_stack.diagnostics()}"
        taken = trunk.wait()
        assert taken.ok, f"{taken.output}\n{taken.messages}\n{edge_stack.diagnostics()}"
        assert f"INVITE sip:{number}@127.0.0.1:{port} SIP/2.0" in taken.messages
        assert "x-account-sid" not in taken.messages.lower()  # the account stays between executor and edge
        assert trunk_scenarios.digest_answers(taken.messages, "Proxy-Authorization", "INVITE", password) == [True]
    finally:
        edge_stack.manage("executors", "remove", f"sip:127.0.0.1:{executor_port}")
        edge_stack.manage("gateways", "remove", sid)


def test_a_number_call_from_outside_the_executors_is_not_sent_to_a_gateway(edge_stack):
    """Anyone may call the edge: a number marked user=phone from a caller goes to an executor as any
    call does, never out through a gateway (toll fraud)."""
    csp, enterprise = accounts(edge_stack)
    port = free_sip_port()
    trunk = listening_sipp(edge_stack, "gateway-untouched", trunk_scenarios.gateway("+15550007001"), port)
    sid = add_gateway(edge_stack, csp, port)
    try:
        scenario = trunk_scenarios.number_call("+15550007001", enterprise)
        call = Sipp(edge_stack.scratch("outsider"), scenario, edge_stack.sip_port, timeout=10)
        run = call.run()
        assert "SIP/2.0 4" in run.messages, run.messages  # an executor: not a number it serves
        assert trunk.process is not None and trunk.process.poll() is None  # the gateway got nothing
        assert "INVITE" not in trunk.messages()
    finally:
        if trunk.process and trunk.process.poll() is None:
            trunk.process.kill()
        edge_stack.manage("gateways", "remove", sid)


def _transfer_to_number(stack: EdgeStack, desk: str, proxy_setting: str, name: str) -> str:
    """A call to the desk presses 1: the executor dials DIALLED, which must reach the proxy of
    `proxy_setting`; what that proxy received."""
    proxy = listening_sipp(stack, name, trunk_scenarios.gateway(DIALLED), proxy_port(stack, proxy_setting))
    scenario = caller([("wait", 1500), ("dtmf", "1")], caller_number="15553100001")
    call = Sipp(stack.scratch(f"{name}-caller"), scenario, stack.sip_port, service=desk)
    run = call.run()
    taken = proxy.wait()
    assert taken.ok, f"{taken.output}\n{taken.messages}\n{run.output}\n{stack.diagnostics()}"
    assert run.ok, f"{run.output}\n{stack.diagnostics()}"
    return taken.messages


def test_a_transfer_to_a_number_with_no_gateway_goes_through_the_outbound_proxy(edge_stack, number_desk):
    received = _transfer_to_number(edge_stack, number_desk, "SIP_OUTBOUND_PROXY", "primary-proxy")
    assert f"INVITE sip:{DIALLED}@{edge_stack.env['SIP_OUTBOUND_PROXY']} SIP/2.0" in received
    assert f"Record-Route: <sip:127.0.0.1:{edge_stack.sip_port};lr" in received  # through the edge


def switch_proxy(stack: EdgeStack, account_sid: str) -> tuple[int, dict]:
    """GET …/OutboundProxy/switchProxy.json on the portal, signed in as the account."""
    with psycopg.connect(stack.env["DATABASE_URL"]) as connection:
        row = connection.execute("SELECT auth_token FROM telephony_telephonyaccount WHERE sid = %s", (account_sid,))
        token = row.fetchone()[0]
    request = urllib.request.Request(
        f"{stack.url}/restcomm/2012-04-24/Accounts/{account_sid}/OutboundProxy/switchProxy.json"
    )
    request.add_header("Authorization", "Basic " + base64.b64encode(f"{account_sid}:{token}".encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_switching_the_outbound_proxy_moves_number_calls_to_the_fallback_and_back(edge_stack, number_desk):
    """Switched through the Restcomm API: the portal stores the choice and pushes it to the running edge."""
    csp, enterprise = accounts(edge_stack)
    primary, fallback = edge_stack.env["SIP_OUTBOUND_PROXY"], edge_stack.env["SIP_OUTBOUND_PROXY_FALLBACK"]
    assert switch_proxy(edge_stack, enterprise)[0] == 403  # an enterprise's account may not
    status, switched = switch_proxy(edge_stack, csp)
    assert status == 200 and switched["ActiveProxy"] == fallback and switched["UsingFallBackProxy"] is True
    try:
        received = _transfer_to_number(edge_stack, number_desk, "SIP_OUTBOUND_PROXY_FALLBACK", "fallback-proxy")
        assert f"INVITE sip:{DIALLED}@{fallback} SIP/2.0" in received
    finally:
        status, back = switch_proxy(edge_stack, csp)
    assert status == 200 and back["ActiveProxy"] == primary
    _transfer_to_number(edge_stack, number_desk, "SIP_OUTBOUND_PROXY", "primary-again")
    # The command line switches the same choice.
    assert f"active\t{primary}\n" in edge_stack.manage("gateways", "proxy") + "\n"
    with pytest.raises(AssertionError, match="administrator"):
        edge_stack.manage("gateways", "switch-proxy", "--account", enterprise)


def test_a_transfer_to_a_number_goes_out_through_the_gateway_of_the_calls_account(edge_stack, number_desk):
    """The AA number is the enterprise's; the gateway is its CSP's (the account above): the executor names
    the call's account, the edge finds that gateway and answers its 407 with its credentials."""
    csp, _ = accounts(edge_stack)
    user, password = "trunk-user-3", "trunk-secret-3"
    port = free_sip_port()
    trunk = listening_sipp(edge_stack, "gateway-transfer", trunk_scenarios.gateway(DIALLED, user=user), port)
    sid = add_gateway(edge_stack, csp, port, "--user", user, "--password", password)
    try:
        scenario = caller([("wait", 1500), ("dtmf", "1")], caller_number="15553100002")
        run = Sipp(
            edge_stack.scratch("gateway-transfer-caller"), scenario, edge_stack.sip_port, service=number_desk
        ).run()
        taken = trunk.wait()
        assert taken.ok, f"{taken.output}\n{taken.messages}\n{run.output}\n{edge_stack.diagnostics()}"
        assert run.ok, f"{run.output}\n{edge_stack.diagnostics()}"
        assert f"INVITE sip:{DIALLED}@127.0.0.1:{port} SIP/2.0" in taken.messages
        assert trunk_scenarios.digest_answers(taken.messages, "Proxy-Authorization", "INVITE", password) == [True]
    finally:
        edge_stack.manage("gateways", "remove", sid)

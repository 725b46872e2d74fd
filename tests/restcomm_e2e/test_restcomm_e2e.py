"""End to end, no mock: the portal provisions to a second instance of the product with the `restcomm`
backend, and a call from sipp at that server's edge walks the portal's menus (the server's executor
fetching the portal's AA entry with the enterprise's own credentials) and reaches a phone registered
at the server's edge with the client extension's credentials."""

from __future__ import annotations

import subprocess
import time
from urllib.parse import urlsplit

import pytest

from tests.calls.conftest import Api, hangup_policies
from tests.calls.sipp import Sipp, caller
from tests.edge.test_edge import _phone_at
from tests.restcomm_e2e.conftest import Pair
from tests.restcomm_e2e.peer import Front
from tests.servers import BASE_DIR, MANAGE, free_port, gunicorn

AA_NUMBER = "+15550007000"
LOGIN, PASSWORD = "alice701", "alice-secret-701"


def test_a_call_at_the_server_walks_the_portals_menus_and_reaches_the_phone_of_a_client_extension(pair: Pair):
    api = pair.api
    admin = {"emailId": "bg@rce2e.test", "password": "bg-pass-1234"}
    enterprise = api.post("/autoattendant/enterprise", {"name": "Restcomm Inc", "enterpriseAdmin": admin})["sid"]
    body = {"number": LOGIN, "enterpriseSid": enterprise, "isExtension": True, "extension": "701"}
    body.update(extensionType="client", extensionClientPassword=PASSWORD)
    client = api.post("/autoattendant/phonenumber", body)["sid"]
    greeting = api.post(
        "/autoattendant/announcement",
        {"name": "Welcome", "type": "TTS", "text": "Welcome.", "language": "en", "enterpriseSid": enterprise},
    )["sid"]
    deadline = time.monotonic() + 60
    while api.get(f"/autoattendant/announcement/search/{greeting}")["status"] != "READY":
        assert time.monotonic() < deadline, pair.diagnostics()
        time.sleep(0.3)
    number = api.post("/autoattendant/phonenumber", {"number": AA_NUMBER, "enterpriseSid": enterprise})["sid"]
    body = {"name": "Desk", "status": "ACTIVE", "timezoneId": "UTC", "enterpriseSid": enterprise}
    body.update(aaNumbers=[number], extensions=[client], **hangup_policies(timeoutSeconds=5))
    system = api.post("/autoattendant/system", body)["sid"]
    option = {"key": "1", "actionType": "TRANSFER_TO_EXTENSION", "actionData": client}
    menu = {"name": "Main", "autoAttendantSid": system, "greetingAnnouncementSid": greeting, "options": [option]}
    api.put(f"/autoattendant/system/{system}", {"defaultMenuSid": api.post("/autoattendant/menu", menu)["sid"]})
    while api.get(f"/autoattendant/system/search/{system}").get("publishStatus") != "PUBLISHED":
        assert time.monotonic() < deadline, pair.diagnostics()
        time.sleep(0.3)

    # The server holds the enterprise's account below the portal's CSP's, its client and its number.
    accounts = pair.server.accounts()
    csp_account = pair.portal_csp["accountSid"]
    assert accounts[csp_account][2] == pair.server.account_sid
    enterprise_account = next(sid for sid, row in accounts.items() if row[2] == csp_account)
    assert accounts[enterprise_account][:2] == ("Restcomm Inc", "active")
    assert pair.server.clients()[LOGIN] == (enterprise_account, PASSWORD)
    (number, (account, voice_url)) = next(
        (n, row) for n, row in pair.server.numbers().items() if n.endswith("5550007000")
    )
    assert account == enterprise_account
    url = urlsplit(voice_url)
    assert (url.username, url.hostname, url.port, url.path) == (
        enterprise,
        "127.0.0.1",
        urlsplit(pair.portal_url).port,
        "/rcml/voice",
    )

    phone = _phone_at(pair, LOGIN, PASSWORD, "phone", free_port(2))
    scenario = caller([("wait", 1500), ("dtmf", "1")], caller_number="15557000001")
    call = Sipp(pair.scratch("call"), scenario, pair.sip_port, service=AA_NUMBER.lstrip("+"))
    assert (run := call.run()).ok, f"{run.output}\n{pair.diagnostics()}"
    taken = phone.wait()
    assert taken.ok, f"{taken.output}\n{pair.diagnostics()}"
    assert f"INVITE sip:{LOGIN}@127.0.0.1:" in taken.messages  # relayed by the server's edge to its binding

    # The greeting was played from the portal's audio, fetched with the same credentials.
    assert "cannot play" not in pair.executor.log.read_text(errors="replace"), pair.diagnostics()
    # Nothing of the AA is on the server: the menu and the transfer came from the portal's documents.
    assert pair.server.rows("SELECT count(*) FROM autoattendant_autoattendantsystem") == [(0,)]


def test_resync_finds_the_portal_in_step_then_repairs_a_number_gone_from_the_server(pair: Pair):
    admin = {"emailId": "bg-resync@rce2e.test", "password": "bg-pass-1234"}
    enterprise = pair.api.post("/autoattendant/enterprise", {"name": "Resync Inc", "enterpriseAdmin": admin})["sid"]
    pair.api.post("/autoattendant/phonenumber", {"number": "+15550007100", "enterpriseSid": enterprise})
    done = pair.manage_portal("restcomm_resync")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "In step" in done.stdout
    pair.server.rows("DELETE FROM telephony_numberroute WHERE number LIKE %s RETURNING id", "%5550007100")
    done = pair.manage_portal("restcomm_resync")
    assert done.returncode != 0
    assert f"{enterprise} number +15550007100 missing" in done.stdout, done.stdout + done.stderr
    done = pair.manage_portal("restcomm_resync", "--fix")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "-> fixed" in done.stdout
    assert any(n.endswith("5550007100") for n in pair.server.numbers())
    assert pair.manage_portal("restcomm_resync").returncode == 0


REVERSE_TOKENS = (
    "UPDATE telephony_restcommlink SET auth_token = reverse(auth_token) WHERE portal_sid IN (%s, %s) RETURNING id"
)


def snapshot(pair: Pair) -> tuple:
    """What both databases hold of provisioning: the portal's rows and links, the server's accounts,
    numbers and clients."""
    portal = tuple(
        pair.portal_rows(query)
        for query in (
            "SELECT sid, name FROM autoattendant_organisation ORDER BY sid",
            "SELECT sid, name FROM autoattendant_enterprise ORDER BY sid",
            "SELECT sid, number FROM autoattendant_phonenumber ORDER BY sid",
            "SELECT kind, portal_sid, remote_sid, auth_token FROM telephony_restcommlink ORDER BY kind, portal_sid",
        )
    )
    return portal, pair.server.accounts(), pair.server.numbers(), pair.server.clients()


@pytest.mark.parametrize("failure", ["down", "refusing", "slow"])
def test_a_server_down_refusing_or_slow_answers_the_documented_codes_with_nothing_written(pair: Pair, failure):
    """The portal as another real process (the same database) whose Restcomm server is down, refuses
    its credentials, or answers after RESTCOMM_TIMEOUT: an enterprise 499, an AA number 486, a
    client extension 494, a CSP (createcsp) 499; neither database changes."""
    admin = {"emailId": f"bg-{failure}@rce2e.test", "password": "bg-pass-1234"}
    enterprise = pair.api.post("/autoattendant/enterprise", {"name": f"Errors {failure}", "enterpriseAdmin": admin})
    env = {**pair.portal_env, "RESTCOMM_TIMEOUT": "1"}
    with Front(pair.server.url) as slow:
        if failure == "down":
            env["RESTCOMM_URL"] = f"http://127.0.0.1:{free_port()}/restcomm"
        elif failure == "refusing":  # every account's AuthToken the portal holds is wrong
            env["RESTCOMM_AUTH_TOKEN"] = "0" * 32
            pair.portal_rows(REVERSE_TOKENS, enterprise["sid"], pair.portal_csp["organisationSid"])
        else:
            slow.delay = 2.5
            env["RESTCOMM_URL"] = f"{slow.url}/restcomm"
        before = snapshot(pair)
        try:
            with gunicorn(env, pair.workdir / f"portal-{failure}.log", workers=1) as url:
                api = Api(url, pair.portal_csp)
                admin = {"emailId": f"bg-never-{failure}@rce2e.test", "password": "bg-pass-1234"}
                codes = {
                    "enterprise": api.session.post(
                        f"{url}/autoattendant/enterprise", json={"name": "Never", "enterpriseAdmin": admin}, timeout=30
                    ).json()["errorCode"],
                    "number": api.session.post(
                        f"{url}/autoattendant/phonenumber",
                        json={"number": "+15550007999", "enterpriseSid": enterprise["sid"], "isExtension": False},
                        timeout=30,
                    ).json()["errorCode"],
                    "client": api.session.post(
                        f"{url}/autoattendant/phonenumber",
                        json={
                            "number": "never799",
                            "enterpriseSid": enterprise["sid"],
                            "isExtension": True,
                            "extension": "799",
                            "extensionType": "client",
                            "extensionClientPassword": "never-pass-799",
                        },
                        timeout=30,
                    ).json()["errorCode"],
                }
            csp = subprocess.run(
                [
                    *MANAGE,
                    "createcsp",
                    "--name",
                    f"Never {failure}",
                    "--email",
                    f"never-{failure}@rce2e.test",
                    "--json",
                ],
                cwd=BASE_DIR,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            after = snapshot(pair)
        finally:
            if failure == "refusing":  # reversed again: the CSP's is right for the tests after this one
                pair.portal_rows(REVERSE_TOKENS, enterprise["sid"], pair.portal_csp["organisationSid"])
    assert codes == {"enterprise": "499", "number": "486", "client": "494"}, pair.diagnostics()
    assert csp.returncode != 0 and "499" in csp.stderr + csp.stdout, csp.stderr
    assert after == before

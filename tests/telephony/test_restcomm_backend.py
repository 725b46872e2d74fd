"""The `restcomm` provisioning backend against a second instance of the product as the Restcomm server
(tests/restcomm_e2e/peer.py: its gunicorn, its own database), through a small front that can make it
slow or fail one request. This portal is the test process, its CSP API driven as a CSP admin would.

Each failure answers the documented code (499 account, 486 number, 494/495 client) with nothing
written on either side: this portal's rows are rolled back, and the peer's database holds nothing
new (what the backend had made before failing is undone: deleted, or for an account closed).
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator

import pytest
import requests
from django.core.management import call_command
from django.core.management.base import CommandError

from autoattendant.models import Enterprise, Organisation, User
from autoattendant.provisioning import get_backend
from autoattendant.services.organisations import create_csp
from telephony.models import RestcommLink
from telephony.rcml import entry_credentials
from tests.conftest import PASSWORD, Tenant, assert_error, assert_ok, make_tenant
from tests.restcomm_e2e.peer import Front, Peer, restcomm_peer
from tests.servers import free_port

TIMEOUT = 1.0


@pytest.fixture(scope="module")
def peer(tmp_path_factory) -> Iterator[Peer]:
    with restcomm_peer(tmp_path_factory.mktemp("restcomm-peer"), "rcpeer", redis_offset=12) as running:
        yield running


@pytest.fixture(scope="module")
def front(peer) -> Iterator[Front]:
    with Front(peer.url) as running:
        yield running


@pytest.fixture
def restcomm(settings, peer, front) -> Peer:
    """This portal provisions to the peer (through the front)."""
    front.reset()
    settings.PROVISIONING_BACKEND = "restcomm"
    settings.RESTCOMM_URL = f"{front.url}/restcomm"
    settings.RESTCOMM_ACCOUNT_SID = peer.account_sid
    settings.RESTCOMM_AUTH_TOKEN = peer.auth_token
    settings.RESTCOMM_TIMEOUT = TIMEOUT
    settings.RCML_PUBLIC_URL = "http://127.0.0.1:8000"
    return peer


def label() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def tenant(restcomm, db) -> Tenant:
    """A CSP and its enterprise, both with accounts on the peer."""
    return make_tenant(label())


def new_enterprise(tenant: Tenant, name: str = ""):
    name = name or f"Enterprise {label()}"
    admin = {"emailId": f"bg-{label()}@example.test", "password": PASSWORD}
    return tenant.csp.post("/autoattendant/enterprise", {"name": name, "enterpriseAdmin": admin})


def links() -> set[tuple[str, str, str]]:
    return set(RestcommLink.objects.values_list("kind", "portal_sid", "remote_sid"))


def first_post_to(suffix: str):
    """A `Front.fail` that fails the first POST to a URL ending in `suffix`, and lets the others through."""
    posts: list[str] = []

    def fail(method: str, path: str, count: int) -> bool:
        if method == "POST" and path.split("?")[0].endswith(suffix):
            posts.append(path)
            return len(posts) == 1
        return False

    return fail


# Accounts.


def test_a_csp_and_its_enterprise_get_accounts_one_below_the_other(tenant, restcomm):
    backend = get_backend()
    csp = backend.account_credentials(organisation=tenant.enterprise.organisation)
    enterprise = backend.account_credentials(enterprise=tenant.enterprise)
    assert csp is not None and enterprise is not None
    remote = restcomm.accounts()
    assert remote[csp.sid][1:] == ("active", restcomm.account_sid)
    assert remote[enterprise.sid] == (tenant.enterprise.name, "active", csp.sid)
    # The stored AuthToken opens the enterprise's account on the server.
    answer = requests.get(
        f"{restcomm.restcomm_url}/2012-04-24/Accounts/{enterprise.sid}.json",
        auth=(enterprise.sid, enterprise.auth_token),
        timeout=10,
    )
    assert answer.status_code == 200 and answer.json()["sid"] == enterprise.sid


def test_renaming_an_enterprise_renames_its_account_and_deleting_it_closes_the_account(tenant, restcomm):
    created = assert_ok(new_enterprise(tenant), 201)
    sid = RestcommLink.objects.get(kind="account", portal_sid=created["sid"]).remote_sid
    assert_ok(tenant.csp.put(f"/autoattendant/enterprise/{created['sid']}", {"name": "Renamed Ltd"}))
    assert restcomm.accounts()[sid][:2] == ("Renamed Ltd", "active")
    assert_ok(tenant.csp.delete(f"/autoattendant/enterprise/{created['sid']}"))
    assert restcomm.accounts()[sid][1] == "closed"
    assert not RestcommLink.objects.filter(portal_sid=created["sid"]).exists()


@pytest.mark.parametrize("failure", ["down", "refusing", "slow"])
def test_an_enterprise_the_server_cannot_take_is_499_with_nothing_written(tenant, restcomm, front, settings, failure):
    if failure == "down":
        settings.RESTCOMM_URL = f"http://127.0.0.1:{free_port()}/restcomm"
    elif failure == "refusing":  # the CSP's account no longer takes the AuthToken the portal keeps
        RestcommLink.objects.filter(portal_sid=tenant.enterprise.organisation.sid).update(auth_token="0" * 32)
    else:
        front.delay = TIMEOUT + 1.5
    before_links, before_remote = links(), restcomm.accounts()
    response = new_enterprise(tenant, name="Never Made Ltd")
    assert_error(response, 499)
    assert not Enterprise.objects.filter(name="Never Made Ltd").exists()
    assert not User.objects.filter(enterprise__name="Never Made Ltd").exists()
    assert links() == before_links
    assert restcomm.accounts() == before_remote


def test_a_failure_half_way_closes_the_csp_account_made_before_it(restcomm, front, db):
    """A CSP with no account yet (made before the backend was switched): its enterprise's creation
    makes the CSP's account first; when the enterprise's own account then fails, the CSP's is closed
    and the portal holds neither."""
    tenant = make_tenant(label())
    organisation = tenant.enterprise.organisation
    RestcommLink.objects.filter(portal_sid=organisation.sid).delete()
    before_remote = restcomm.accounts()
    posts = []

    def second_account_post(method: str, path: str, count: int) -> bool:
        if method == "POST" and path.startswith("/restcomm/2012-04-24/Accounts.json"):
            posts.append(path)
            return len(posts) == 2
        return False

    front.fail = second_account_post
    assert_error(new_enterprise(tenant, name="Half Way Ltd"), 499)
    assert len(posts) == 2
    assert not Enterprise.objects.filter(name="Half Way Ltd").exists()
    assert not RestcommLink.objects.filter(portal_sid=organisation.sid).exists()
    made = {sid: row for sid, row in restcomm.accounts().items() if sid not in before_remote}
    assert len(made) == 1 and next(iter(made.values()))[1] == "closed", made


def test_a_csp_the_server_refuses_is_499_with_nothing_written(restcomm, settings, db):
    settings.RESTCOMM_AUTH_TOKEN = "0" * 32
    before_remote = restcomm.accounts()
    name = f"Refused {label()}"
    with pytest.raises(Exception) as raised:
        create_csp(name=name, email_id=f"csp-{label()}@example.test", password=PASSWORD)
    assert getattr(raised.value, "error_code", None) is not None and raised.value.error_code.code == 499
    assert not Organisation.objects.filter(name=name).exists()
    assert restcomm.accounts() == before_remote


# Client extensions.


def client_extension(tenant: Tenant, login: str, password: str | None = "phone-pass-123", extension: str = ""):
    body = {"number": login, "enterpriseSid": tenant.enterprise.sid, "isExtension": True, "extensionType": "client"}
    body["extension"] = extension or str(300 + uuid.uuid4().int % 600)
    if password is not None:
        body["extensionClientPassword"] = password
    return tenant.csp.post("/autoattendant/phonenumber", body)


def enterprise_account(tenant: Tenant) -> str:
    credentials = get_backend().account_credentials(enterprise=tenant.enterprise)
    assert credentials is not None
    return credentials.sid


def test_a_client_extension_is_a_client_of_its_enterprises_account(tenant, restcomm):
    login = f"c{label()}"
    created = assert_ok(client_extension(tenant, login), 201)
    assert restcomm.clients()[login] == (enterprise_account(tenant), "phone-pass-123")
    link = RestcommLink.objects.get(kind="client", portal_sid=created["sid"])
    assert link.remote_account_sid == enterprise_account(tenant)
    # A new login: the client is made again, with the password it had.
    renamed = f"c{label()}"
    assert_ok(tenant.csp.put(f"/autoattendant/phonenumber/{created['sid']}", {"number": renamed}))
    clients = restcomm.clients()
    assert login not in clients and clients[renamed] == (enterprise_account(tenant), "phone-pass-123")
    assert_ok(tenant.csp.delete(f"/autoattendant/phonenumber/{created['sid']}"))
    assert renamed not in restcomm.clients()
    assert not RestcommLink.objects.filter(portal_sid=created["sid"]).exists()


def test_a_client_extension_without_a_password_is_495_with_nothing_written(tenant, restcomm):
    login = f"c{label()}"
    before = restcomm.clients()
    assert_error(client_extension(tenant, login, password=None), 495)
    assert not tenant.enterprise.phone_numbers.filter(number=login).exists()
    assert restcomm.clients() == before


@pytest.mark.parametrize("failure", ["down", "refusing", "slow", "refused-password"])
def test_a_client_the_server_cannot_take_is_494_with_nothing_written(tenant, restcomm, front, settings, failure):
    login, password = f"c{label()}", "phone-pass-123"
    if failure == "down":
        settings.RESTCOMM_URL = f"http://127.0.0.1:{free_port()}/restcomm"
    elif failure == "refusing":
        RestcommLink.objects.filter(portal_sid=tenant.enterprise.sid).update(auth_token="0" * 32)
    elif failure == "slow":
        front.delay = TIMEOUT + 1.5
    else:  # the server's own password policy
        password = "x"
    before_links, before = links(), restcomm.clients()
    assert_error(client_extension(tenant, login, password=password), 494)
    assert not tenant.enterprise.phone_numbers.filter(number=login).exists()
    assert links() == before_links
    assert restcomm.clients() == before


def test_a_login_change_that_fails_half_way_puts_the_old_client_back(tenant, restcomm, front):
    login = f"c{label()}"
    created = assert_ok(client_extension(tenant, login), 201)
    posts: list[str] = []

    def first_client_post(method: str, path: str, count: int) -> bool:
        if method == "POST" and path.endswith("/Clients.json"):
            posts.append(path)
            return len(posts) == 1  # the new login's; the old one's coming back goes through
        return False

    front.fail = first_client_post
    renamed = f"c{label()}"
    assert_error(tenant.csp.put(f"/autoattendant/phonenumber/{created['sid']}", {"number": renamed}), 494)
    assert tenant.enterprise.phone_numbers.get(sid=created["sid"]).number == login
    clients = restcomm.clients()
    # The old client was deleted to free its login, then made again when the new one failed.
    assert renamed not in clients and clients[login] == (enterprise_account(tenant), "phone-pass-123")


# AA numbers.


def aa_number(tenant: Tenant, number: str = ""):
    number = number or f"+1555{uuid.uuid4().int % 10**7:07d}"
    return tenant.csp.post(
        "/autoattendant/phonenumber", {"number": number, "enterpriseSid": tenant.enterprise.sid, "isExtension": False}
    )


def test_an_aa_number_is_an_incoming_number_whose_voice_url_is_the_aa_entry(tenant, restcomm):
    created = assert_ok(aa_number(tenant), 201)
    number = created["number"]
    assert restcomm.numbers()[number] == (
        enterprise_account(tenant),
        entry_credentials.voice_url(tenant.enterprise.sid),
    )
    assert_ok(tenant.csp.put(f"/autoattendant/phonenumber/{created['sid']}", {"friendlyName": "Front desk"}))
    names = restcomm.rows("SELECT friendly_name FROM telephony_numberroute WHERE number = %s", number)
    assert names == [("Front desk",)]
    assert_ok(tenant.csp.delete(f"/autoattendant/phonenumber/{created['sid']}"))
    assert number not in restcomm.numbers()
    assert not RestcommLink.objects.filter(portal_sid=created["sid"]).exists()


@pytest.mark.parametrize("failure", ["down", "refusing", "slow", "taken"])
def test_a_number_the_server_cannot_take_is_486_with_nothing_written(tenant, restcomm, front, settings, failure):
    number = f"+1555{uuid.uuid4().int % 10**7:07d}"
    if failure == "down":
        settings.RESTCOMM_URL = f"http://127.0.0.1:{free_port()}/restcomm"
    elif failure == "refusing":
        RestcommLink.objects.filter(portal_sid=tenant.enterprise.sid).update(auth_token="0" * 32)
    elif failure == "slow":
        front.delay = TIMEOUT + 1.5
    else:  # another account of the server holds it
        other = make_tenant(label())
        assert_ok(aa_number(other, number), 201)
    before_links, before = links(), restcomm.numbers()
    assert_error(aa_number(tenant, number), 486)
    assert not tenant.enterprise.phone_numbers.filter(number=number).exists()
    assert links() == before_links
    assert restcomm.numbers() == before


# Re-sync.


def resync(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("restcomm_resync", *args, stdout=out)
    except CommandError as exc:
        return 1, out.getvalue() + str(exc)
    return 0, out.getvalue()


def test_resync_reports_each_difference_and_repairs_it(tenant, restcomm):
    number = assert_ok(aa_number(tenant), 201)["number"]
    other = assert_ok(aa_number(tenant), 201)["number"]
    login = f"c{label()}"
    assert_ok(client_extension(tenant, login), 201)
    only = ("--enterprise", tenant.enterprise.sid)
    assert resync(*only) == (0, "In step with the Restcomm server.\n")

    account = enterprise_account(tenant)
    restcomm.rows("DELETE FROM telephony_numberroute WHERE number = %s RETURNING id", number)
    restcomm.rows(
        "UPDATE telephony_numberroute SET voice_url = 'http://elsewhere.test/x' WHERE number = %s RETURNING id", other
    )
    extra = requests.post(
        f"{restcomm.restcomm_url}/2012-04-24/Accounts/{account}/Clients.json",
        data={"Login": f"x{label()}", "Password": "extra-pass-123"},
        auth=(account, get_backend().account_credentials(enterprise=tenant.enterprise).auth_token),
        timeout=10,
    )
    assert extra.status_code == 201, extra.text
    status, report = resync(*only)
    assert status == 1
    assert f"number {number} missing" in report
    assert f"number {other} VoiceUrl wrong" in report
    assert f"extra client {extra.json()['login']}" in report
    assert "secret" not in report and entry_credentials.secret(tenant.enterprise.sid) not in report

    status, report = resync("--fix", *only)
    assert status == 0, report
    assert report.count("-> fixed") == 3
    numbers, clients = restcomm.numbers(), restcomm.clients()
    voice_url = entry_credentials.voice_url(tenant.enterprise.sid)
    assert numbers[number] == (account, voice_url) and numbers[other] == (account, voice_url)
    assert extra.json()["login"] not in clients and login in clients
    assert resync(*only)[0] == 0


def test_resync_names_a_missing_client_it_cannot_make_without_its_password(tenant, restcomm):
    login = f"c{label()}"
    assert_ok(client_extension(tenant, login), 201)
    restcomm.rows("DELETE FROM telephony_sipclient WHERE login = %s RETURNING id", login)
    status, report = resync("--fix", "--enterprise", tenant.enterprise.sid)
    assert status == 1
    assert f"client {login} missing (its password is needed" in report


def test_a_number_moved_to_another_enterprise_moves_account_and_goes_back_if_the_new_one_fails(tenant, restcomm, front):
    created = assert_ok(aa_number(tenant), 201)
    number, first = created["number"], tenant.enterprise
    second = assert_ok(new_enterprise(tenant), 201)["sid"]
    second_account = RestcommLink.objects.get(kind="account", portal_sid=second).remote_sid
    front.fail = lambda method, path, count: (
        method == "POST" and path.endswith("/IncomingPhoneNumbers.json") and (f"/Accounts/{second_account}/" in path)
    )
    assert_error(tenant.csp.put(f"/autoattendant/phonenumber/{created['sid']}", {"enterpriseSid": second}), 486)
    assert restcomm.numbers()[number] == (enterprise_account(tenant), entry_credentials.voice_url(first.sid))
    front.reset()
    # The number came back under another SID: the next change finds it by its number.
    assert_ok(tenant.csp.put(f"/autoattendant/phonenumber/{created['sid']}", {"enterpriseSid": second}))
    assert restcomm.numbers()[number] == (second_account, entry_credentials.voice_url(second))


def test_a_number_the_server_lost_is_made_again_by_its_next_change(tenant, restcomm):
    created = assert_ok(aa_number(tenant), 201)
    restcomm.rows("DELETE FROM telephony_numberroute WHERE number = %s RETURNING id", created["number"])
    assert_ok(tenant.csp.put(f"/autoattendant/phonenumber/{created['sid']}", {"friendlyName": "Again"}))
    assert restcomm.numbers()[created["number"]][0] == enterprise_account(tenant)


def test_resync_closes_an_account_below_the_csps_that_is_no_enterprises(tenant, restcomm):
    csp = get_backend().account_credentials(organisation=tenant.enterprise.organisation)
    assert csp is not None
    stray = requests.post(
        f"{restcomm.restcomm_url}/2012-04-24/Accounts.json",
        data={"EmailAddress": f"stray-{label()}@example.test", "Password": "stray-pass-123", "FriendlyName": "Stray"},
        auth=(csp.sid, csp.auth_token),
        timeout=10,
    )
    assert stray.status_code == 201, stray.text
    sid = stray.json()["sid"]
    status, report = resync()
    assert status == 1 and f"extra account {sid} ('Stray')" in report, report
    assert resync("--fix")[0] == 0
    assert restcomm.accounts()[sid][1] == "closed"
    assert resync() == (0, "In step with the Restcomm server.\n")


def test_resync_takes_an_enterprise_accounts_new_auth_token_from_the_csps_view(tenant, restcomm):
    credentials = get_backend().account_credentials(enterprise=tenant.enterprise)
    assert credentials is not None
    changed = requests.put(
        f"{restcomm.restcomm_url}/2012-04-24/Accounts/{credentials.sid}.json",
        data={"Password": "a-new-password-123"},
        auth=(credentials.sid, credentials.auth_token),
        timeout=10,
    )
    assert changed.status_code == 200 and changed.json()["auth_token"] != credentials.auth_token
    only = ("--enterprise", tenant.enterprise.sid)
    status, report = resync(*only)
    assert status == 1 and "account's AuthToken changed" in report, report
    assert resync("--fix", *only)[0] == 0
    assert get_backend().account_credentials(enterprise=tenant.enterprise).auth_token == changed.json()["auth_token"]
    assert resync(*only)[0] == 0


def test_a_number_change_whose_new_number_fails_puts_the_old_one_back(tenant, restcomm, front):
    """The service releases the old number, then provisions the new one: when that fails, the
    backend's journal makes the old one again, and the next change takes it over."""
    created = assert_ok(aa_number(tenant), 201)
    old, new = created["number"], f"+1555{uuid.uuid4().int % 10**7:07d}"
    front.fail = first_post_to("/IncomingPhoneNumbers.json")  # the new number's; the old one's return passes
    assert_error(tenant.csp.put(f"/autoattendant/phonenumber/{created['sid']}", {"number": new}), 486)
    numbers = restcomm.numbers()
    assert new not in numbers and numbers[old] == (
        enterprise_account(tenant),
        entry_credentials.voice_url(tenant.enterprise.sid),
    )
    front.reset()
    assert_ok(tenant.csp.put(f"/autoattendant/phonenumber/{created['sid']}", {"friendlyName": "Still here"}))
    assert restcomm.rows("SELECT friendly_name FROM telephony_numberroute WHERE number = %s", old) == [("Still here",)]
    assert resync("--enterprise", tenant.enterprise.sid)[0] == 0


def test_an_enterprise_whose_account_cannot_be_closed_keeps_its_numbers_and_clients(tenant, restcomm, front):
    created = assert_ok(new_enterprise(tenant), 201)
    enterprise = Enterprise.objects.get(sid=created["sid"])
    login, number = f"c{label()}", f"+1555{uuid.uuid4().int % 10**7:07d}"
    body = {"number": login, "enterpriseSid": enterprise.sid, "isExtension": True, "extension": "333"}
    assert_ok(
        tenant.csp.post(
            "/autoattendant/phonenumber",
            {**body, "extensionType": "client", "extensionClientPassword": "phone-pass-123"},
        ),
        201,
    )
    assert_ok(tenant.csp.post("/autoattendant/phonenumber", {"number": number, "enterpriseSid": enterprise.sid}), 201)
    account = RestcommLink.objects.get(kind="account", portal_sid=enterprise.sid).remote_sid
    front.fail = lambda method, path, count: method == "POST" and path.endswith(f"/Accounts/{account}.json")
    assert_error(tenant.csp.delete(f"/autoattendant/enterprise/{enterprise.sid}"), 499)
    assert Enterprise.objects.filter(sid=enterprise.sid).exists()
    assert restcomm.accounts()[account][1] == "active"
    assert restcomm.numbers()[number][0] == account
    assert restcomm.clients()[login] == (account, "phone-pass-123")  # made again with its password
    front.reset()
    assert resync("--fix", "--enterprise", enterprise.sid)[0] == 0  # the links name the new SIDs
    assert_ok(tenant.csp.delete(f"/autoattendant/enterprise/{enterprise.sid}"))
    assert restcomm.accounts()[account][1] == "closed"
    assert number not in restcomm.numbers() and login not in restcomm.clients()

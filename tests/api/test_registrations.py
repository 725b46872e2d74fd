"""Registration status of extensions: the phones of SIP client extensions, as the SIP edge's registrar
keeps their bindings (rows written as Kamailio writes them), read and dropped through the API."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autoattendant.choices import AuditAction
from autoattendant.models import AuditEntry
from telephony.models import Registration
from telephony.registrations import registration_sid
from tests.api.objects import add_number, second_enterprise, sibling_admin
from tests.api.resource_cases import assert_documented
from tests.conftest import Tenant, assert_error, assert_ok
from tests.sip_edge_rows import insert_binding

pytestmark = pytest.mark.django_db

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0000$")
BASE = "/autoattendant/phonenumber"


def add_client(tenant: Tenant, login: str, extension: str, enterprise_sid: str | None = None) -> dict:
    body = {
        "number": login,
        "enterpriseSid": enterprise_sid or tenant.enterprise.sid,
        "isExtension": True,
        "extension": extension,
        "extensionType": "client",
        "extensionClientPassword": "phone-pass-1",
    }
    return assert_ok(tenant.csp.post(BASE, body), 201)


def bind(login: str, **kwargs) -> str:
    with connection.cursor() as cursor:
        return insert_binding(cursor, login, **kwargs)


@pytest.fixture
def alice(tenant) -> dict:
    return add_client(tenant, "alice.smith", "201")


def test_a_client_extensions_current_registrations(tenant, alice):
    assert assert_ok(tenant.csp.get(f"{BASE}/{alice['sid']}/registration")) == {
        "extensionSid": alice["sid"],
        "registered": False,
        "registrations": [],
    }
    desk = bind(
        "alice.smith",
        contact="sip:alice.smith@192.168.1.20:5062;transport=tcp",
        received="sip:203.0.113.7:40312",  # behind NAT: the address the edge saw
        socket="tcp:127.0.0.1:5080",
        refreshed_ago=100,
    )
    softphone = bind("alice.smith", contact="sip:alice.smith@198.51.100.4", user_agent="Linphone/5.2", refreshed_ago=5)
    bind("alice.smith", contact="sip:alice.smith@10.0.0.9:5060", expires_in=-60)  # expired, not yet removed
    data = assert_ok(tenant.csp.get(f"{BASE}/{alice['sid']}/registration"))
    assert data["extensionSid"] == alice["sid"] and data["registered"] is True
    first, second = data["registrations"]  # the most recently refreshed first; the expired one hidden
    assert first["sid"] == registration_sid(softphone) and re.fullmatch(r"RG[0-9a-f]{32}", first["sid"])
    assert first["userAgent"] == "Linphone/5.2" and first["transport"] == "udp"
    assert first["sourceAddress"] == "198.51.100.4:5060"  # no received: the contact's host, default port
    assert second == {
        "sid": registration_sid(desk),
        "contact": "sip:alice.smith@192.168.1.20:5062;transport=tcp",
        "userAgent": "Yealink SIP-T46S 66.86.0.15",
        "sourceAddress": "203.0.113.7:40312",
        "transport": "tcp",
        "expires": second["expires"],
        "lastModified": second["lastModified"],
    }
    assert TIMESTAMP.match(second["expires"]) and TIMESTAMP.match(second["lastModified"])
    assert second["lastModified"] < first["lastModified"] < second["expires"]
    # The enterprise's admin reads it too; an AA admin does not.
    assert assert_ok(tenant.bg.get(f"{BASE}/{alice['sid']}/registration")) == data
    assert_error(tenant.aa.get(f"{BASE}/{alice['sid']}/registration"), 403)


def test_expiry_is_read_as_utc(tenant, alice):
    """Kamailio's naive timestamps are UTC: a binding ending in 90 s is unexpired, and says so."""
    import datetime

    bind("alice.smith", expires_in=90)
    expires = assert_ok(tenant.csp.get(f"{BASE}/{alice['sid']}/registration"))["registrations"][0]["expires"]
    left = datetime.datetime.strptime(expires, "%Y-%m-%dT%H:%M:%S%z") - datetime.datetime.now(datetime.UTC)
    assert 60 < left.total_seconds() <= 90


def test_a_permanent_binding_counts_and_never_expires(tenant, alice):
    """usrloc's `expires` of time 0 (a binding added by hand, `kamctl ul add`): Kamailio never expires it."""
    ruid = bind("alice.smith", expires_in=None)
    data = assert_ok(tenant.csp.get(f"{BASE}/{alice['sid']}/registration"))
    assert data["registered"] is True
    assert [(r["sid"], r["expires"]) for r in data["registrations"]] == [(registration_sid(ruid), None)]


def test_a_number_extension_has_nothing_that_registers_and_an_aa_number_is_493(tenant):
    extension = add_number(tenant, "+14155550201", extension="202")
    aa_number = add_number(tenant, "+14155550100")
    bind("+14155550201")  # a row for a login no client of this extension has
    assert assert_ok(tenant.csp.get(f"{BASE}/{extension['sid']}/registration")) == {
        "extensionSid": extension["sid"],
        "registered": False,
        "registrations": [],
    }
    assert assert_ok(tenant.csp.delete(f"{BASE}/{extension['sid']}/registration"))["registered"] is False
    assert Registration.objects.count() == 1  # nothing of a number extension's is dropped
    missing = f"{BASE}/{extension['sid']}/registration/RG{'0' * 32}"
    assert assert_error(tenant.csp.delete(missing), 538)["data"] == {"sid": f"RG{'0' * 32}"}
    for response in (
        tenant.csp.get(f"{BASE}/{aa_number['sid']}/registration"),
        tenant.csp.delete(f"{BASE}/{aa_number['sid']}/registration"),
        tenant.csp.get(f"{BASE}/registration", {"extensionSids": aa_number["sid"]}),
    ):
        assert assert_error(response, 493)["data"] == {"sid": aa_number["sid"]}


def test_another_tenants_extension_is_answered_like_a_missing_one(tenant, other_tenant, alice):
    ruid = bind("alice.smith")
    sibling = sibling_admin(tenant)
    for api in (other_tenant.csp, other_tenant.bg, sibling):
        for response in (
            api.get(f"{BASE}/{alice['sid']}/registration"),
            api.get(f"{BASE}/registration", {"extensionSids": alice["sid"]}),
            api.delete(f"{BASE}/{alice['sid']}/registration"),
            api.delete(f"{BASE}/{alice['sid']}/registration/{registration_sid(ruid)}"),
        ):
            assert assert_error(response, 491)["data"] == {"sid": alice["sid"]}
    nobody = f"PH{'0' * 32}"
    assert_error(tenant.csp.get(f"{BASE}/{nobody}/registration"), 491)
    assert Registration.objects.count() == 1


def test_many_extensions_at_once_in_one_query_for_the_bindings(tenant):
    enterprise_sid = second_enterprise(tenant)
    clients = [add_client(tenant, f"desk.{i}", f"3{i:02d}") for i in range(12)]
    clients.append(add_client(tenant, "annex.1", "401", enterprise_sid=enterprise_sid))
    number_extension = add_number(tenant, "+14155550299", extension="299")
    for index, client in enumerate(clients):
        if index % 3 == 0:
            bind(client["number"], user_agent=f"phone {index}")
    bind(clients[1]["number"], expires_in=-1)

    def batch(sids: list[dict]):
        return tenant.csp.get(f"{BASE}/registration", {"extensionSids": ",".join(s["sid"] for s in sids)})

    with CaptureQueriesContext(connection) as two:
        data = assert_ok(batch(clients[:2]))
    with CaptureQueriesContext(connection) as all_of_them:
        data = assert_ok(batch([*reversed(clients), number_extension]))
    assert len(all_of_them) == len(two)  # the number of extensions does not matter
    assert [entry["extensionSid"] for entry in data] == [c["sid"] for c in reversed(clients)] + [
        number_extension["sid"]
    ]
    registered = {entry["extensionSid"]: entry["registered"] for entry in data}
    assert registered == {c["sid"]: i % 3 == 0 for i, c in enumerate(clients)} | {number_extension["sid"]: False}
    by_sid = {entry["extensionSid"]: entry for entry in data}
    assert by_sid[clients[12]["sid"]]["registrations"][0]["userAgent"] == "phone 12"  # the other enterprise's
    # Repeated parameters, the /phoneNumber spelling, and a SID named twice (answered once).
    repeated = tenant.bg.get(
        "/autoattendant/phoneNumber/registration/",
        {"extensionSids": [clients[0]["sid"], clients[3]["sid"], clients[0]["sid"]]},
    )
    assert [entry["extensionSid"] for entry in assert_ok(repeated)] == [clients[0]["sid"], clients[3]["sid"]]
    # The enterprise admin sees its own enterprise only.
    assert_error(tenant.bg.get(f"{BASE}/registration", {"extensionSids": clients[12]["sid"]}), 491)
    assert "extensionSids" in assert_error(tenant.csp.get(f"{BASE}/registration"), 400)["errors"]
    too_many = ",".join(f"PH{i:032x}" for i in range(1001))
    assert_error(tenant.csp.get(f"{BASE}/registration", {"extensionSids": too_many}), 400)
    assert_error(tenant.aa.get(f"{BASE}/registration", {"extensionSids": clients[0]["sid"]}), 403)


def test_drop_one_registration_then_all_of_them_audited(tenant, alice):
    bob = add_client(tenant, "bob.jones", "202")
    desk, soft = bind("alice.smith", refreshed_ago=50), bind("alice.smith", user_agent="Linphone/5.2")
    expired = bind("alice.smith", expires_in=-5)
    bobs = bind("bob.jones")
    assert_error(tenant.aa.delete(f"{BASE}/{alice['sid']}/registration"), 403)
    assert_error(tenant.csp.delete(f"{BASE}/{alice['sid']}/registration/{registration_sid(expired)}"), 538)
    assert_error(tenant.csp.delete(f"{BASE}/{alice['sid']}/registration/{registration_sid(bobs)}"), 538)

    left = assert_ok(tenant.bg.delete(f"{BASE}/{alice['sid']}/registration/{registration_sid(soft)}"))
    assert [r["sid"] for r in left["registrations"]] == [registration_sid(desk)] and left["registered"]
    assert not Registration.objects.filter(ruid=soft).exists()
    entry = AuditEntry.objects.get(object_type="registration")
    assert entry.action == AuditAction.DELETE and entry.actor == tenant.bg_admin
    assert entry.object_sid == registration_sid(soft) and entry.enterprise_id == tenant.enterprise.pk
    assert entry.before["extensionSid"] == alice["sid"] and entry.before["userAgent"] == "Linphone/5.2"

    gone = assert_ok(tenant.csp.delete(f"{BASE}/{alice['sid']}/registration/"))
    assert gone == {"extensionSid": alice["sid"], "registered": False, "registrations": []}
    assert set(Registration.objects.values_list("ruid", flat=True)) == {expired, bobs}  # Kamailio's timer's
    assert AuditEntry.objects.filter(object_type="registration").count() == 2
    assert assert_ok(tenant.csp.get(f"{BASE}/{bob['sid']}/registration"))["registered"] is True


def test_responses_match_the_schema(tenant, openapi_schema, alice):
    ruid = bind("alice.smith", received="sip:203.0.113.7:40312")
    bind("alice.smith", expires_in=None)  # permanent: `expires` is null
    item = "/autoattendant/phonenumber/{sid}/registration"
    one = "/autoattendant/phonenumber/{sid}/registration/{registrationSid}"
    calls = [
        (item, "get", tenant.csp.get(f"{BASE}/{alice['sid']}/registration")),
        (item, "get", tenant.aa.get(f"{BASE}/{alice['sid']}/registration")),
        (item, "get", tenant.csp.get(f"{BASE}/PHnothing/registration")),
        (f"{BASE}/registration", "get", tenant.csp.get(f"{BASE}/registration", {"extensionSids": alice["sid"]})),
        (f"{BASE}/registration", "get", tenant.csp.get(f"{BASE}/registration")),
        (one, "delete", tenant.csp.delete(f"{BASE}/{alice['sid']}/registration/RGnothing")),
        (one, "delete", tenant.csp.delete(f"{BASE}/{alice['sid']}/registration/{registration_sid(ruid)}")),
        (item, "delete", tenant.csp.delete(f"{BASE}/{alice['sid']}/registration")),
    ]
    assert assert_documented(openapi_schema, calls) == {200, 400, 403, 409}

"""Registration state of SIP client extensions in the console: on the numbers list (one query for the
page), an extension's registered phones on its page, and dropping them (POST with CSRF, audited).
Bindings are rows written as Kamailio writes them."""

from __future__ import annotations

import psycopg
import pytest
import requests
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from autoattendant.choices import AuditAction
from autoattendant.models import AuditEntry
from autoattendant.services.phone_numbers import create_phone_number
from telephony.models import Registration
from telephony.registrations import registration_sid
from tests.console.conftest import STACK_PASSWORD, sign_in
from tests.sip_edge_rows import insert_binding


def add_client(tenant, login: str, extension: str):
    return create_phone_number(
        tenant.csp_admin,
        number=login,
        enterprise_sid=tenant.enterprise.sid,
        is_extension=True,
        extension=extension,
        extension_type="client",
        extension_client_password="phone-pass-1",
    )


def bind(login: str, **kwargs) -> str:
    with connection.cursor() as cursor:
        return insert_binding(cursor, login, **kwargs)


@pytest.fixture
def csp(client, tenant):
    client.force_login(tenant.csp_admin)
    return client


@pytest.mark.django_db
def test_the_numbers_list_shows_each_client_extensions_state_in_one_query(csp, tenant):
    add_client(tenant, "alice.smith", "201")
    add_client(tenant, "bob.jones", "202")
    bind("alice.smith", received="sip:203.0.113.7:40312", user_agent="Yealink SIP-T46S")
    bind("alice.smith", contact="sip:alice.smith@198.51.100.4:5062", user_agent="Linphone/5.2", refreshed_ago=5)
    bind("bob.jones", expires_in=-30)  # expired: Bob is not registered
    with CaptureQueriesContext(connection) as few:
        page = csp.get("/console/numbers/?kind=extension")
    text = page.content.decode()
    assert page.status_code == 200
    assert 'title="Linphone/5.2 from 198.51.100.4:5062\nYealink SIP-T46S from 203.0.113.7:40312"' in text
    assert "2 phones: Linphone/5.2 from 198.51.100.4:5062" in text
    assert text.count(">Registered</span>") == 1 and text.count(">Not registered</span>") == 1
    for index in range(10):
        add_client(tenant, f"desk.{index}", f"3{index:02d}")
        bind(f"desk.{index}")
    with CaptureQueriesContext(connection) as many:
        page = csp.get("/console/numbers/?kind=extension")
    assert page.content.decode().count(">Registered</span>") == 11
    location_reads = [q["sql"] for q in many.captured_queries if "sip_edge_location" in q["sql"]]
    assert len(location_reads) == 1 and len(many) == len(few)


@pytest.mark.django_db
def test_an_extensions_page_lists_its_phones_and_drops_them(csp, tenant):
    alice = add_client(tenant, "alice.smith", "201")
    desk = bind("alice.smith", received="sip:203.0.113.7:40312", user_agent="Yealink SIP-T46S", refreshed_ago=60)
    soft = bind("alice.smith", user_agent="Linphone/5.2")
    page = csp.get(f"/console/numbers/{alice.sid}/").content.decode()
    assert "Registered phones" in page and "Yealink SIP-T46S" in page and "203.0.113.7:40312" in page
    assert f'value="{registration_sid(soft)}"' in page

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(tenant.csp_admin)
    assert strict.post(f"/console/numbers/{alice.sid}/registrations/drop/").status_code == 403  # no CSRF token
    assert Registration.objects.count() == 2

    dropped = csp.post(
        f"/console/numbers/{alice.sid}/registrations/drop/", {"registration": registration_sid(soft)}, follow=True
    )
    assert b"The registration was dropped" in dropped.content and b"1 left." in dropped.content
    assert list(Registration.objects.values_list("ruid", flat=True)) == [desk]
    missing = csp.post(
        f"/console/numbers/{alice.sid}/registrations/drop/", {"registration": registration_sid(soft)}, follow=True
    )
    assert b"Registration not found (538)" in missing.content
    csp.post(f"/console/numbers/{alice.sid}/registrations/drop/")
    assert not Registration.objects.exists()
    audited = AuditEntry.objects.filter(object_type="registration", action=AuditAction.DELETE)
    assert sorted(audited.values_list("object_sid", flat=True)) == sorted(map(registration_sid, (soft, desk)))
    assert b"Not registered: no phone is registered" in csp.get(f"/console/numbers/{alice.sid}/").content


@pytest.mark.django_db
def test_another_csps_extension_cannot_be_dropped(client, tenant, other_tenant):
    alice = add_client(tenant, "alice.smith", "201")
    bind("alice.smith")
    client.force_login(other_tenant.csp_admin)
    assert client.post(f"/console/numbers/{alice.sid}/registrations/drop/").status_code == 404
    assert Registration.objects.count() == 1
    client.force_login(tenant.csp_admin)
    assert client.post(f"/console/numbers/{alice.sid}/registrations/drop/").status_code == 302
    assert not Registration.objects.exists()


@pytest.mark.django_db
def test_an_aa_systems_page_shows_its_client_extensions_state_to_its_admins(client, tenant):
    from autoattendant.services.systems import create_system

    alice, bob = add_client(tenant, "alice.smith", "201"), add_client(tenant, "bob.jones", "202")
    bind("alice.smith", user_agent="Linphone/5.2")
    system = create_system(
        tenant.csp_admin, name="Front desk", enterprise_sid=tenant.enterprise.sid, extension_sids=[alice.sid, bob.sid]
    )
    client.force_login(tenant.bg_admin)
    page = client.get(f"/console/systems/{system.sid}/").content.decode()
    assert '201 <span class="badge ok" title="Linphone/5.2 from 192.168.1.20:5060">registered</span>' in page
    assert '202 <span class="badge warn">not registered</span>' in page
    tenant.aa_admin.aa_systems.set([system])
    client.force_login(tenant.aa_admin)  # an AA admin does not read registrations
    assert "registered</span>" not in client.get(f"/console/systems/{system.sid}/").content.decode()


@pytest.mark.browser
def test_a_csp_admin_sees_which_phones_are_registered(console_stack, page, screens):
    stack, base = console_stack, console_stack.url
    auth = (stack.credentials["userSid"], stack.credentials["authToken"])

    def api(method: str, path: str, body: dict) -> dict:
        response = requests.request(method, f"{base}/autoattendant/{path}", json=body, auth=auth, timeout=20)
        assert response.status_code == 201, response.text
        return response.json()["data"]

    enterprise = api(
        "POST",
        "enterprise",
        {
            "name": "Phones Ltd",
            "enterpriseAdmin": {"emailId": "boss@phones.test", "password": "enterprise-pass-1", "name": "Boss"},
        },
    )
    for login, extension in (("carol.desk", "201"), ("dave.desk", "202")):
        api(
            "POST",
            "phonenumber",
            {
                "number": login,
                "enterpriseSid": enterprise["sid"],
                "isExtension": True,
                "extension": extension,
                "extensionType": "client",
                "extensionClientPassword": "phone-pass-1",
            },
        )
    with psycopg.connect(stack.env["DATABASE_URL"], autocommit=True) as db, db.cursor() as cursor:
        insert_binding(cursor, "carol.desk", received="sip:203.0.113.7:40312", user_agent="Yealink SIP-T46S")
        insert_binding(cursor, "carol.desk", user_agent="Linphone/5.2", refreshed_ago=5)

    sign_in(page, base, stack.email, STACK_PASSWORD)
    page.goto(f"{base}/console/numbers/?kind=extension&q=desk")
    carol = page.get_by_role("row").filter(has_text="carol.desk")
    badge = carol.get_by_text("Registered", exact=True)
    assert badge.is_visible()
    assert (
        badge.get_attribute("title") == "Linphone/5.2 from 192.168.1.20:5060\nYealink SIP-T46S from 203.0.113.7:40312"
    )
    assert carol.get_by_text("2 phones: Linphone/5.2 from 192.168.1.20:5060").is_visible()
    assert page.get_by_role("row").filter(has_text="dave.desk").get_by_text("Not registered").is_visible()
    screens.shot(page, "extensions with their registration state")

    carol.get_by_role("link", name="carol.desk").click()
    assert page.get_by_role("heading", name="Registered phones").is_visible()
    phones = page.get_by_role("row").filter(has_text="203.0.113.7:40312")
    assert phones.get_by_text("Yealink SIP-T46S").is_visible()
    screens.shot(page, "an extension's registered phones")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Drop Yealink SIP-T46S from 203.0.113.7:40312").click()
    page.get_by_text("The registration was dropped").wait_for()
    assert page.get_by_text("1 left.").is_visible()
    assert page.get_by_role("row").filter(has_text="203.0.113.7:40312").count() == 0
    assert page.get_by_role("row").filter(has_text="Linphone/5.2").count() == 1
    screens.shot(page, "one registration dropped")

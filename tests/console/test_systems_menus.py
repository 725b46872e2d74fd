"""AA systems and menus in the console: the same rules as the API, the map and its warnings."""

from __future__ import annotations

import pytest

from autoattendant.models import AutoAttendantSystem, Menu
from autoattendant.services.menus import create_menu
from autoattendant.services.phone_numbers import create_phone_number
from autoattendant.services.systems import create_system, update_system

pytestmark = pytest.mark.django_db

POLICIES = {
    "timeout_type": "HANGUP",
    "timeout_max_occurance": "3",
    "invalid_input_type": "REPEAT_MENU",
    "invalid_input_max_occurance": "3",
    "invalid_extension_type": "HANGUP",
    "invalid_extension_max_occurance": "2",
    "timeout_seconds": "5",
}


@pytest.fixture
def numbers(tenant):
    admin, enterprise = tenant.csp_admin, tenant.enterprise.sid
    return {
        "aa": create_phone_number(admin, number="+15550100", enterprise_sid=enterprise),
        "spare": create_phone_number(admin, number="+15550101", enterprise_sid=enterprise),
        "ext": create_phone_number(
            admin, number="+15550201", enterprise_sid=enterprise, is_extension=True, extension="201"
        ),
    }


@pytest.fixture
def system(tenant, numbers):
    return create_system(
        tenant.csp_admin,
        name="Front desk",
        enterprise_sid=tenant.enterprise.sid,
        aa_number_sids=[numbers["aa"].sid],
        extension_sids=[numbers["ext"].sid],
    )


def test_csp_admin_creates_a_system_in_two_steps(client, tenant, numbers):
    client.force_login(tenant.csp_admin)
    choose = client.get("/console/systems/new/")
    assert b"acme Enterprise" in choose.content
    form = client.get(f"/console/systems/new/?enterprise={tenant.enterprise.sid}")
    assert numbers["aa"].sid.encode() in form.content and numbers["ext"].sid.encode() in form.content
    data = {
        "enterprise": tenant.enterprise.sid,
        "name": "Reception",
        "timezone_id": "Europe/Berlin",
        "aa_numbers": [numbers["aa"].sid],
        "extensions": [numbers["ext"].sid],
        **POLICIES,
    }
    created = client.post("/console/systems/new/", data)
    system = AutoAttendantSystem.objects.get(name="Reception")
    assert created.status_code == 302 and created["Location"] == f"/console/systems/{system.sid}/"
    assert system.timezone_id == "Europe/Berlin" and system.invalid_input_action == {"actionType": "REPEAT_MENU"}
    assert set(system.phone_numbers.values_list("sid", flat=True)) == {numbers["aa"].sid, numbers["ext"].sid}
    # The choices offered are the enterprise's free numbers; anything else is refused before the service.
    taken = client.post("/console/systems/new/", {**data, "name": "Other"})
    assert taken.status_code == 400 and "aa_numbers" in taken.context["form"].errors
    bad_policy = {**data, "name": "Other", "aa_numbers": [], "extensions": [], "timeout_type": "GO_TO_MENU"}
    refused = client.post("/console/systems/new/", bad_policy)
    assert refused.status_code == 400 and "(514)" in str(refused.context["form"].errors["timeout_type"])
    assert not AutoAttendantSystem.objects.filter(name="Other").exists()


def test_enterprise_admin_edits_policies_but_not_aa_numbers(client, tenant, system, numbers):
    client.force_login(tenant.bg_admin)
    page = client.get(f"/console/systems/{system.sid}/edit/")
    assert page.status_code == 200 and page.context["form"].fields["aa_numbers"].disabled
    data = {
        "name": "Front desk",
        "status": "ACTIVE",
        "timezone_id": "America/New_York",
        "aa_numbers": [numbers["spare"].sid],  # ignored: disabled for an enterprise admin
        "extensions": [numbers["ext"].sid],
        **POLICIES,
        "timeout_type": "TRANSFER_TO_NUMBER",
        "timeout_number": "not-a-number",
    }
    wrong = client.post(f"/console/systems/{system.sid}/edit/", data)
    assert wrong.status_code == 400 and "(514)" in str(wrong.context["form"].errors["timeout_type"])
    saved = client.post(f"/console/systems/{system.sid}/edit/", {**data, "timeout_number": "+14155550100"})
    assert saved.status_code == 302
    system.refresh_from_db()
    assert system.timezone_id == "America/New_York"
    assert system.timeout_action == {"actionType": "TRANSFER_TO_NUMBER", "actionData": "+14155550100"}
    assert list(system.phone_numbers.filter(is_extension=False).values_list("sid", flat=True)) == [numbers["aa"].sid]
    assert client.post(f"/console/systems/{system.sid}/delete/").status_code == 403


def test_delete_refused_while_numbers_are_assigned(client, tenant, system):
    client.force_login(tenant.csp_admin)
    response = client.post(f"/console/systems/{system.sid}/delete/", follow=True)
    assert b"(503)" in response.content and AutoAttendantSystem.objects.filter(pk=system.pk).exists()


def test_menus_keypad_editor_and_map(client, tenant, system, numbers):
    client.force_login(tenant.bg_admin)
    assert client.get(f"/console/systems/{system.sid}/menus/new/").status_code == 200
    sub = client.post(
        f"/console/systems/{system.sid}/menus/new/",
        {"name": "Sales", "key_0_type": "TRANSFER_TO_EXTENSION", "key_0_target": numbers["ext"].sid},
    )
    assert sub.status_code == 302
    sales = Menu.objects.get(name="Sales")
    main = client.post(
        f"/console/systems/{system.sid}/menus/new/",
        {"name": "Main", "allow_dial_by_extension": "on", "key_1_type": "GO_TO_MENU", "key_1_target": sales.sid,
         "key_hash_type": "HANGUP"},
    )  # fmt: skip
    assert main.status_code == 302
    main_menu = Menu.objects.get(name="Main")
    assert main_menu.options == [
        {"key": "1", "actionType": "GO_TO_MENU", "actionData": sales.sid},
        {"key": "#", "actionType": "HANGUP"},
    ]
    bad = client.post(
        f"/console/systems/{system.sid}/menus/{main_menu.sid}/", {"name": "Main", "key_2_type": "GO_TO_MENU"}
    )
    assert bad.status_code == 400 and "key_2_type" in bad.context["form"].errors
    overview = client.get(f"/console/systems/{system.sid}/")
    warnings = overview.context["map"].warnings()
    assert any("no default menu" in w for w in warnings)
    assert any("“Main” is not reached" in w for w in warnings)
    assert client.post(f"/console/systems/{system.sid}/menus/{main_menu.sid}/default/").status_code == 302
    overview = client.get(f"/console/systems/{system.sid}/")
    assert overview.context["map"].warnings() == []
    assert b"<svg" in overview.content and b"Sales" in overview.content  # the map, drawn by dot
    in_use = client.post(f"/console/systems/{system.sid}/menus/{sales.sid}/delete/", follow=True)
    assert b"(524)" in in_use.content and Menu.objects.filter(pk=sales.pk).exists()


def test_key_to_an_extension_taken_out_of_the_system_is_a_warning(client, tenant, system, numbers):
    menu = create_menu(tenant.bg_admin, name="Main", aa_system_sid=system.sid)
    update_system(tenant.bg_admin, system.sid, default_menu_sid=menu.sid)
    # A key to the extension, then the extension stored as gone: what a deleted target looks like.
    Menu.objects.filter(pk=menu.pk).update(
        options=[{"key": "3", "actionType": "TRANSFER_TO_EXTENSION", "actionData": "PH" + "0" * 32}]
    )
    client.force_login(tenant.bg_admin)
    page = client.get(f"/console/systems/{system.sid}/menus/")
    assert any("key 3: PhoneNumber not found (491)" in w for w in page.context["map"].warnings())


def test_aa_admin_sees_only_assigned_systems_and_others_are_404(client, tenant, other_tenant, system):
    other = create_system(tenant.csp_admin, name="Warehouse", enterprise_sid=tenant.enterprise.sid)
    tenant.aa_admin.aa_systems.set([system])
    client.force_login(tenant.aa_admin)
    listed = client.get("/console/systems/")
    assert [s.name for s in listed.context["object_list"]] == ["Front desk"]
    assert client.get(f"/console/systems/{other.sid}/").status_code == 404
    assert client.get(f"/console/systems/{other.sid}/menus/").status_code == 404
    client.force_login(other_tenant.bg_admin)
    assert client.get(f"/console/systems/{system.sid}/").status_code == 404
    assert client.get("/console/systems/").context["object_list"].count() == 0


def test_the_dashboard_stops_showing_the_first_steps_once_a_system_exists(client, tenant, system):
    client.force_login(tenant.csp_admin)
    page = client.get("/console/")
    assert page.context["counts"]["systems"] == 1 and b"Getting started" not in page.content

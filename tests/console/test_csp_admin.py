"""The CSP admin's pages: dashboard, enterprises, users, HMAC keys — through the same services as the API."""

from __future__ import annotations

import pytest

from autoattendant.choices import Role
from autoattendant.models import Enterprise, HmacKey, User
from autoattendant.services.systems import create_system
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def csp(client, tenant):
    client.force_login(tenant.csp_admin)
    return client


def test_dashboard_counts_and_recent_changes(csp, tenant, other_tenant):
    page = csp.get("/console/")
    assert page.status_code == 200
    assert page.context["counts"]["enterprises"] == 1  # not globex's
    assert b"acme Enterprise" in page.content  # its creation is a recent change
    assert b"globex" not in page.content
    text = page.content.decode()
    assert "Getting started" in text  # no AA system yet: the steps to the first one
    assert "Created enterprise <strong>acme Enterprise" in text and "Created HMAC key" in text


def test_enterprise_list_search_sort_and_page(csp, tenant):
    from autoattendant.services.enterprises import create_enterprise

    for index in range(30):
        create_enterprise(
            tenant.csp_admin, name=f"Shop {index:02d}", admin={"email_id": f"a{index}@shop.test", "password": PASSWORD}
        )
    first = csp.get("/console/enterprises/?sort=-name")
    names = [e.name for e in first.context["object_list"]]
    assert names[0] == "Shop 29" and len(names) == 25
    second = csp.get("/console/enterprises/?sort=-name&page=2")
    assert len(second.context["object_list"]) == 6
    found = csp.get("/console/enterprises/?q=shop 1")
    assert sorted(e.name for e in found.context["object_list"]) == [f"Shop 1{i}" for i in range(10)]


def test_create_enterprise_with_its_admin(csp, tenant):
    form = {"name": "Initech", "admin_email": "bill@initech.test", "admin_name": "Bill", "admin_password": PASSWORD}
    response = csp.post("/console/enterprises/new/", form)
    enterprise = Enterprise.objects.get(name="Initech")
    assert response.status_code == 302 and response["Location"] == f"/console/enterprises/{enterprise.sid}/"
    assert enterprise.admin.email_id == "bill@initech.test" and enterprise.admin.role == Role.BG_ADMIN
    assert enterprise.organisation_id == tenant.csp_admin.organisation_id


def test_enterprise_name_taken_is_460_next_to_the_name(csp, tenant):
    form = {"name": "ACME enterprise", "admin_email": "new@acme.test", "admin_password": PASSWORD}
    response = csp.post("/console/enterprises/new/", form)
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == ["Enterprise name not unique (460)"]
    taken = csp.post("/console/enterprises/new/", {**form, "name": "Fresh", "admin_email": "bg@acme.test"})
    assert taken.context["form"].errors["admin_email"] == ["supportUser not unique (484)"]
    short = csp.post("/console/enterprises/new/", {**form, "name": "Fresh", "admin_password": "short"})
    assert "admin_password" in short.context["form"].errors
    assert not Enterprise.objects.filter(name="Fresh").exists()


def test_edit_and_delete_enterprise_with_the_api_rules(csp, tenant):
    sid = tenant.enterprise.sid
    page = csp.get(f"/console/enterprises/{sid}/")
    assert page.status_code == 200 and b"bg@acme.test" in page.content
    saved = csp.post(f"/console/enterprises/{sid}/", {"name": "Acme Corp", "admin_email": "bg@acme.test"})
    assert saved.status_code == 302
    tenant.enterprise.refresh_from_db()
    assert tenant.enterprise.name == "Acme Corp"
    create_system(tenant.csp_admin, name="Main line", enterprise_sid=sid)
    refused = csp.post(f"/console/enterprises/{sid}/delete/", follow=True)
    assert b"Enterprise has AutoAttendant systems assigned to it (482)" in refused.content
    assert Enterprise.objects.filter(sid=sid).exists()


def test_other_tenants_enterprise_is_not_found_and_other_roles_are_refused(csp, client, tenant, other_tenant):
    assert csp.get(f"/console/enterprises/{other_tenant.enterprise.sid}/").status_code == 404
    assert csp.post(f"/console/enterprises/{other_tenant.enterprise.sid}/delete/").status_code == 404
    client.force_login(tenant.bg_admin)
    assert client.get("/console/enterprises/").status_code == 403
    assert client.get("/console/keys/").status_code == 403


def test_users_create_aa_admin_with_systems_and_rules(client, tenant):
    system = create_system(tenant.csp_admin, name="Front desk", enterprise_sid=tenant.enterprise.sid)
    client.force_login(tenant.bg_admin)
    form = {"email_id": "aa2@acme.test", "password": PASSWORD, "role": "AA_ADMIN", "aa_systems": [system.sid]}
    assert client.post("/console/users/new/", form).status_code == 302
    created = User.objects.get(email_id="aa2@acme.test")
    assert created.enterprise == tenant.enterprise and list(created.aa_systems.all()) == [system]
    csp_role = client.post("/console/users/new/", {**form, "email_id": "x@acme.test", "role": "CSP_ADMIN"})
    assert "role" in csp_role.context["form"].errors  # not a choice an enterprise admin has
    self_delete = client.post(f"/console/users/{tenant.bg_admin.sid}/delete/", follow=True)
    assert b"(520)" in self_delete.content or b"(501)" in self_delete.content
    client.force_login(tenant.aa_admin)
    assert client.get("/console/users/").status_code == 403


def test_csp_admin_creates_enterprise_admin_and_needs_an_enterprise(csp, tenant, other_tenant):
    form = {"email_id": "boss@acme.test", "password": PASSWORD, "role": "BG_ADMIN"}
    missing = csp.post("/console/users/new/", form)
    assert missing.status_code == 400 and "(521)" in str(missing.context["form"].errors["enterprise"])
    created = csp.post("/console/users/new/", {**form, "enterprise": tenant.enterprise.sid})
    assert created.status_code == 302
    assert csp.get(f"/console/users/{other_tenant.bg_admin.sid}/").status_code == 404
    listed = csp.get("/console/users/?role=BG_ADMIN")
    assert {u.email_id for u in listed.context["object_list"]} == {"bg@acme.test", "boss@acme.test"}


def test_hmac_key_is_shown_once_rotated_and_retired(csp, tenant):
    old_secret = tenant.hmac_key.key
    page = csp.get("/console/keys/")
    assert page.status_code == 200 and tenant.hmac_key.sid.encode() in page.content
    assert old_secret.encode() not in page.content
    assert f"keySid={tenant.hmac_key.sid}".encode() in page.content  # the SSO recipe, with this key
    rotated = csp.post("/console/keys/rotate/")
    key = HmacKey.objects.get(sid=tenant.hmac_key.sid)
    assert key.key != old_secret and key.key.encode() in rotated.content
    assert rotated["Cache-Control"] == "no-store"
    assert key.key.encode() not in csp.get("/console/keys/").content
    assert csp.post(f"/console/keys/{key.sid}/retire/").status_code == 302
    assert not HmacKey.objects.filter(sid=key.sid).exists()

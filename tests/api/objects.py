"""The objects API tests build on, made through the API as a CSP's client makes them (or, for another
enterprise's admin, by the service), so that each resource's tests say only what is theirs."""

from __future__ import annotations

from autoattendant.services.enterprises import create_enterprise as create_enterprise_directly
from tests.conftest import PASSWORD, Api, Tenant, assert_ok


def create_enterprise(api: Api, name: str, admin_email: str) -> dict:
    body = {"name": name, "enterpriseAdmin": {"emailId": admin_email, "password": PASSWORD, "name": name}}
    return assert_ok(api.post("/autoattendant/enterprise", body), 201)


def second_enterprise(tenant: Tenant) -> str:
    """The SID of a second enterprise of the tenant's CSP."""
    return create_enterprise(tenant.csp, "acme second", "bg2@acme.test")["sid"]


def sibling_admin(tenant: Tenant, name: str = "Sibling", email: str = "bg.sibling@acme.test") -> Api:
    """The admin of another enterprise of the tenant's CSP: inside the CSP, outside the enterprise."""
    admin = {"email_id": email, "password": PASSWORD, "name": f"{name} BG"}
    return Api(create_enterprise_directly(tenant.csp_admin, name=name, admin=admin).admin)


def add_number(tenant: Tenant, number: str, extension: str | None = None, enterprise_sid: str | None = None) -> dict:
    """An AA number, or an extension when one is given, of the tenant's enterprise unless another is named."""
    body = {
        "number": number,
        "enterpriseSid": enterprise_sid or tenant.enterprise.sid,
        "isExtension": extension is not None,
    }
    if extension is not None:
        body["extension"] = extension
    return assert_ok(tenant.csp.post("/autoattendant/phonenumber", body), 201)


def create_system(tenant: Tenant, aa_sids=(), ext_sids=(), **fields) -> dict:
    """An AA system of the tenant's enterprise (unless `enterpriseSid` says another) answering those numbers."""
    body = {
        "name": "Main line",
        "enterpriseSid": tenant.enterprise.sid,
        "aaNumberSids": list(aa_sids),
        "extensionNumberSids": list(ext_sids),
        **fields,
    }
    return assert_ok(tenant.csp.post("/autoattendant/system", body), 201)


def assign_aa_admin(tenant: Tenant, system: dict) -> None:
    assert_ok(tenant.csp.put(f"/autoattendant/user/{tenant.aa_admin.sid}", {"autoAttendantSids": [system["sid"]]}))

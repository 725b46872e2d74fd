"""The Restcomm account page: each admin sees the credentials of their own telephony account, and they work."""

from __future__ import annotations

import pytest

from telephony.models import TelephonyAccount
from tests.restcomm.conftest import Restcomm

pytestmark = pytest.mark.django_db


def test_a_csp_admin_sees_the_csps_account_and_its_credentials_work(client, tenant, other_tenant):
    client.force_login(tenant.csp_admin)
    page = client.get("/console/restcomm-account/")
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    credentials = page.context["credentials"]
    assert credentials.sid == tenant.account.sid and credentials.auth_token == tenant.account.auth_token
    assert credentials.auth_token.encode() in page.content
    assert other_tenant.account.sid.encode() not in page.content
    assert Restcomm(credentials.sid, credentials.auth_token).get().status_code == 200


def test_an_enterprise_admin_sees_the_enterprises_account(client, tenant):
    client.force_login(tenant.bg_admin)
    page = client.get("/console/restcomm-account/")
    account = TelephonyAccount.objects.get(enterprise_sid=tenant.enterprise.sid)
    assert page.context["credentials"].sid == account.sid
    assert tenant.account.auth_token.encode() not in page.content  # not the CSP's
    # The enterprise's account sees itself, not its CSP's account above it.
    enterprise = Restcomm(account.sid, account.auth_token)
    assert enterprise.get().status_code == 200
    assert enterprise.get(f"/restcomm/2012-04-24/Accounts/{tenant.account.sid}.json").status_code == 404


def test_an_aa_admin_has_no_such_page(client, tenant):
    client.force_login(tenant.aa_admin)
    assert client.get("/console/restcomm-account/").status_code == 403
    assert b"Restcomm account" not in client.get("/console/").content

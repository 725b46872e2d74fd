"""Accounts as the reference's curl examples use them, and what an account may see."""

from __future__ import annotations

import re

import pytest

from telephony.models import TelephonyAccount
from tests.conftest import make_tenant
from tests.restcomm.conftest import PREFIX, Restcomm, rest_exception

pytestmark = pytest.mark.django_db

SUBRESOURCES = [
    "AvailablePhoneNumbers",
    "Calls",
    "Conferences",
    "IncomingPhoneNumbers",
    "Notifications",
    "OutgoingCallerIds",
    "Recordings",
    "Sandbox",
    "SMSMessages",
    "Transcriptions",
]


def test_get_the_default_account_in_xml(restcomm):
    """curl -X GET http://AC…:token@…/restcomm/2012-04-24/Accounts/AC…"""
    response = restcomm.get()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    assert response.body.tag == "RestcommResponse"
    account = response.body.find("Account")
    assert account.findtext("Sid") == restcomm.sid
    assert account.findtext("AuthToken") == restcomm.auth_token
    assert account.findtext("Status") == "active"
    assert account.findtext("Type") == "Full"
    assert account.findtext("FriendlyName") == "acme CSP"
    assert account.findtext("Uri") == f"{PREFIX}/Accounts/{restcomm.sid}"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d", account.findtext("DateCreated"))
    uris = account.find("SubresourceUris")
    assert [child.tag for child in uris] == SUBRESOURCES
    assert uris.findtext("SMSMessages") == f"{PREFIX}/Accounts/{restcomm.sid}/SMS/Messages"


def test_the_same_in_json_with_the_suffix(restcomm):
    response = restcomm.get(f"{PREFIX}/Accounts/{restcomm.sid}.json")
    assert response.status_code == 200
    body = response.body
    assert body["sid"] == restcomm.sid and body["auth_token"] == restcomm.auth_token
    assert body["uri"] == f"{PREFIX}/Accounts/{restcomm.sid}.json"
    assert body["subresource_uris"]["sms_messages"] == f"{PREFIX}/Accounts/{restcomm.sid}/SMS/Messages"


def test_the_bare_version_prefix_serves_it_too(restcomm):
    response = restcomm.get(f"/2012-04-24/Accounts/{restcomm.sid}.json")
    assert response.status_code == 200 and response.body["sid"] == restcomm.sid


def test_sign_in_with_the_email_address(tenant):
    """curl -X GET http://administrator%40company.com:token@…/Accounts/AC…"""
    client = Restcomm(tenant.account.sid, tenant.account.auth_token, name="csp@acme.test")
    response = client.get(f"{PREFIX}/Accounts/csp@acme.test.json")
    assert response.status_code == 200, response.content
    assert response.body["sid"] == tenant.account.sid
    assert response.body["email_address"] == "csp@acme.test"


def test_wrong_credentials_are_refused_in_the_error_shape(tenant):
    client = Restcomm(tenant.account.sid, "0" * 32)
    response = client.get(f"{PREFIX}/Accounts/{tenant.account.sid}.json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic")
    assert response.body["status"] == 401 and response.body["message"]
    response = client.get(f"{PREFIX}/Accounts/{tenant.account.sid}")
    assert rest_exception(response)["Status"] == "401"


def test_change_the_password_makes_a_new_auth_token(restcomm):
    """curl -X PUT …/Accounts/AC… -d "Password=NewPassword" """
    response = restcomm.put(f"{PREFIX}/Accounts/{restcomm.sid}.json", {"Password": "NewPassword"})
    assert response.status_code == 200, response.content
    new_token = response.body["auth_token"]
    assert new_token != restcomm.auth_token and re.fullmatch(r"[0-9a-f]{32}", new_token)
    assert restcomm.get().status_code == 401  # the old token no longer works
    assert Restcomm(restcomm.sid, new_token).get().status_code == 200
    assert Restcomm(restcomm.sid, "NewPassword").get().status_code == 200  # nor does the password stop working


def test_create_a_sub_account_and_use_it(restcomm):
    """curl -X POST …/Accounts/ -d FriendlyName=MySubAccount -d EmailAddress=test@telestax.com -d Password=restcomm"""
    response = restcomm.post(
        f"{PREFIX}/Accounts/",
        {"FriendlyName": "MySubAccount", "EmailAddress": "test@telestax.com", "Password": "restcomm"},
    )
    assert response.status_code == 201, response.content
    account = response.body.find("Account")
    assert account.findtext("FriendlyName") == "MySubAccount"
    assert account.findtext("Status") == "active"
    assert account.findtext("ParentSid") == restcomm.sid
    sub = Restcomm("test@telestax.com", account.findtext("AuthToken"), name="test@telestax.com")
    mine = sub.get(f"{PREFIX}/Accounts/{account.findtext('Sid')}.json")
    assert mine.status_code == 200 and mine.body["friendly_name"] == "MySubAccount"
    # The sub-account cannot see its parent: answered as missing.
    assert sub.get(f"{PREFIX}/Accounts/{restcomm.sid}.json").status_code == 404


def test_the_sub_account_list_is_paged(restcomm):
    for n in range(3):
        assert (
            restcomm.post(
                f"{PREFIX}/Accounts.json", {"EmailAddress": f"sub{n}@acme.test", "Password": "restcomm1"}
            ).status_code
            == 201
        )
    response = restcomm.get(f"{PREFIX}/Accounts.json", {"PageSize": 1})
    body = response.body
    # The CSP's account sees its enterprise's account and the three new ones.
    assert body["total"] == 4 and body["num_pages"] == 4 and body["page_size"] == 1
    assert len(body["accounts"]) == 1 and body["previous_page_uri"] is None
    following = restcomm.get(body["next_page_uri"]).body
    assert following["page"] == 1 and following["accounts"][0]["sid"] != body["accounts"][0]["sid"]


def test_another_csp_account_is_answered_as_missing(restcomm, db):
    other = make_tenant("other")
    response = restcomm.get(f"{PREFIX}/Accounts/{other.account.sid}.json")
    assert response.status_code == 404
    assert "not found" in response.body["message"]


def test_bad_input_is_refused_and_nothing_is_written(restcomm):
    before = TelephonyAccount.objects.count()
    response = restcomm.post(f"{PREFIX}/Accounts.json", {"EmailAddress": "not-an-email", "Password": "restcomm"})
    assert response.status_code == 400 and "EmailAddress" in response.body["message"]
    response = restcomm.post(f"{PREFIX}/Accounts.json", {"EmailAddress": "a@acme.test"})
    assert response.status_code == 400 and "Password" in response.body["message"]
    assert TelephonyAccount.objects.count() == before


def test_an_enterprise_has_its_account_below_its_csp(tenant):
    enterprise_account = TelephonyAccount.objects.get(enterprise_sid=tenant.enterprise.sid)
    assert enterprise_account.parent.sid == tenant.account.sid


def test_sms_and_ussd_are_not_offered(restcomm):
    response = restcomm.post("SMS/Messages.json", {"To": "+13216549878", "From": "+19876543212", "Body": "hi"})
    assert response.status_code == 405 and "SMS is not offered" in response.body["message"]
    response = restcomm.post("UssdPush", {"From": "Restcomm", "To": "123"})
    assert response.status_code == 405 and "USSD" in rest_exception(response)["Message"]


def test_transcriptions_exist_and_list_none(restcomm):
    response = restcomm.get("Transcriptions.json")
    assert response.status_code == 200
    assert response.body["total"] == 0 and response.body["transcriptions"] == []


def test_guessing_auth_tokens_is_cut_off_with_429(tenant, settings):
    """As on the CSP API: an address with too many failures is refused before any check."""
    settings.SIGN_IN_SOURCE_LIMIT = 3
    wrong = Restcomm(tenant.account.sid, "f" * 32)
    statuses = [wrong.get().status_code for _ in range(4)]
    assert statuses[:2] == [401, 401] and statuses[-1] == 429
    locked = Restcomm(tenant.account.sid, tenant.account.auth_token).get()
    assert locked.status_code == 429 and int(locked["Retry-After"]) > 0  # even the right token, for a while
    from autoattendant.models import AuditEntry

    assert AuditEntry.objects.filter(object_sid=tenant.account.sid).exists()  # the failures are audited


def test_a_suspended_account_cannot_sign_in_and_cannot_suspend_itself(restcomm):
    created = restcomm.post(f"{PREFIX}/Accounts.json", {"EmailAddress": "s@acme.test", "Password": "restcomm1"}).body
    sub = Restcomm(created["sid"], created["auth_token"])
    refused = sub.post(f"{PREFIX}/Accounts/{created['sid']}.json", {"Status": "suspended"})
    assert refused.status_code == 403
    assert restcomm.post(f"{PREFIX}/Accounts/{created['sid']}.json", {"Status": "suspended"}).status_code == 200
    assert sub.get().status_code == 401

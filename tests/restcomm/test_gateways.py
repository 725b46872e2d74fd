"""Management/Gateways as the reference's curl examples use them (create, list, update, delete), their
rules, another tenant's gateway answered as missing; OutboundProxy (list, switchProxy, getActiveProxy),
switched by a CSP's account only. The SIP edge that carries them out: tests/edge/test_trunks.py."""

from __future__ import annotations

import re

import pytest

from telephony.models import Gateway, TelephonyAccount
from tests.conftest import make_tenant
from tests.restcomm.conftest import PREFIX, Restcomm, rest_exception

pytestmark = pytest.mark.django_db

CREATE = {
    "FriendlyName": "mygateway",
    "UserName": "username",
    "Password": "password",
    "Proxy": "my.gateway.com",
    "Register": "true",
    "TTL": "3600",
}
FIELDS = ["Sid", "DateCreated", "DateUpdated", "AccountSid", "FriendlyName", "UserName", "Password", "Proxy"]
FIELDS += ["Register", "TTL", "Uri"]


def created(restcomm: Restcomm, **changes: str) -> str:
    response = restcomm.post("Management/Gateways.json", {**CREATE, **changes})
    assert response.status_code == 201, response.content
    return response.body["sid"]


def test_create_a_gateway_in_xml(restcomm):
    """curl -X POST …/Accounts/AC…/Management/Gateways -d FriendlyName=mygateway -d UserName=username
    -d Password=password -d Proxy=my.gateway.com -d Register=true -d TTL=3600"""
    response = restcomm.post("Management/Gateways", CREATE)
    assert response.status_code == 201
    assert response["Content-Type"].startswith("application/xml")
    gateway = response.body.find("Gateway")
    assert [child.tag for child in gateway] == FIELDS
    sid = gateway.findtext("Sid")
    assert re.fullmatch(r"GW[0-9a-f]{32}", sid)
    assert gateway.findtext("AccountSid") == restcomm.sid
    assert gateway.findtext("FriendlyName") == "mygateway"
    assert gateway.findtext("UserName") == "username"
    assert gateway.findtext("Password") == "password"
    assert gateway.findtext("Proxy") == "my.gateway.com"
    assert gateway.findtext("Register") == "true"
    assert gateway.findtext("TTL") == "3600"
    assert gateway.findtext("Uri") == f"{PREFIX}/Accounts/{restcomm.sid}/Management/Gateways/{sid}"
    stored = Gateway.objects.get(sid=sid)
    assert stored.account.sid == restcomm.sid and stored.register and stored.ttl == 3600


def test_create_in_json(restcomm):
    response = restcomm.post("Management/Gateways.json", {**CREATE, "Register": "false", "TTL": "600"})
    assert response.status_code == 201
    body = response.body
    assert list(body) == ["sid", "date_created", "date_updated", "account_sid", "friendly_name", "user_name"] + [
        "password",
        "proxy",
        "register",
        "ttl",
        "uri",
    ]
    assert body["register"] is False and body["ttl"] == 600
    assert body["uri"] == f"{PREFIX}/Accounts/{restcomm.sid}/Management/Gateways/{body['sid']}.json"


def test_list_the_gateways(restcomm):
    """curl -G …/Accounts/AC…/Management/Gateways"""
    first, second = created(restcomm), created(restcomm, FriendlyName="second", Proxy="sip:10.0.0.7:5070")
    response = restcomm.get("Management/Gateways")
    assert response.status_code == 200
    listing = response.body.find("Gateways")
    assert listing.get("total") == "2" and listing.get("page") == "0" and listing.get("numpages") == "1"
    assert [gateway.findtext("Sid") for gateway in listing] == [first, second]
    paged = restcomm.get("Management/Gateways.json", {"PageSize": "1"}).body
    assert paged["total"] == 2 and paged["num_pages"] == 2 and [g["sid"] for g in paged["gateways"]] == [first]
    following = restcomm.get(paged["next_page_uri"]).body
    assert [g["sid"] for g in following["gateways"]] == [second]


def test_update_a_gateway(restcomm):
    """curl -X POST …/Management/Gateways/GW… -d FriendlyName=MyGatewayNewName -d UserName=newUserName"""
    sid = created(restcomm)
    response = restcomm.post(
        f"Management/Gateways/{sid}", {"FriendlyName": "MyGatewayNewName", "UserName": "newUserName"}
    )
    assert response.status_code == 200
    gateway = response.body.find("Gateway")
    assert gateway.findtext("FriendlyName") == "MyGatewayNewName"
    assert gateway.findtext("UserName") == "newUserName"
    assert gateway.findtext("Password") == "password" and gateway.findtext("Proxy") == "my.gateway.com"
    put = restcomm.put(f"Management/Gateways/{sid}.json", {"Register": "false", "TTL": "120"})
    assert put.status_code == 200 and put.body["register"] is False and put.body["ttl"] == 120
    assert restcomm.get(f"Management/Gateways/{sid}.json").body["friendly_name"] == "MyGatewayNewName"


def test_delete_a_gateway(restcomm):
    """curl -X DELETE …/Management/Gateways/GW…"""
    sid = created(restcomm)
    assert restcomm.delete(f"Management/Gateways/{sid}").status_code == 204
    assert not Gateway.objects.filter(sid=sid).exists()
    missing = restcomm.get(f"Management/Gateways/{sid}.json")
    assert missing.status_code == 404 and rest_exception(missing)["status"] == 404


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"Proxy": ""}, "Proxy"),
        ({"Proxy": "not a host"}, "Proxy"),
        ({"Proxy": "sips:gw.example.com"}, "Proxy"),
        ({"Proxy": "gw.example.com:70000"}, "Proxy"),
        ({"Proxy": "sip:gw.example.com;transport=sctp"}, "Proxy"),
        ({"TTL": "10"}, "TTL"),
        ({"TTL": "100000"}, "TTL"),
        ({"TTL": "soon"}, "TTL"),
        ({"Register": "maybe"}, "Register"),
        ({"Register": "true", "Password": ""}, "Register"),
        ({"UserName": "u" * 65}, "UserName"),
    ],
)
def test_a_wrong_field_is_a_400_and_nothing_is_stored(restcomm, changes, field):
    response = restcomm.post("Management/Gateways.json", {**CREATE, **changes})
    assert response.status_code == 400, response.content
    assert rest_exception(response)["message"].startswith(field)
    assert not Gateway.objects.exists()


def test_an_update_keeps_the_rules(restcomm):
    sid = created(restcomm, Register="false", Password="")
    response = restcomm.post(f"Management/Gateways/{sid}.json", {"Register": "true"})
    assert response.status_code == 400
    assert Gateway.objects.get(sid=sid).register is False


def test_proxies_in_the_forms_the_edge_takes(restcomm):
    for proxy in ("gw.example.com", "10.0.0.7:5070", "sip:gw.example.com", "sip:[2001:db8::1]:5060;transport=tcp"):
        assert restcomm.post("Management/Gateways.json", {**CREATE, "Proxy": proxy}).status_code == 201, proxy


def test_another_tenants_gateway_is_answered_as_missing(restcomm, tenant):
    other = make_tenant("globex")
    theirs = Restcomm(other.account.sid, other.account.auth_token)
    sid = created(theirs)
    for path in (f"Management/Gateways/{sid}", f"Management/Gateways/{sid}.json"):
        assert restcomm.get(path).status_code == 404
    assert restcomm.post(f"Management/Gateways/{sid}.json", {"FriendlyName": "mine"}).status_code == 404
    assert restcomm.delete(f"Management/Gateways/{sid}.json").status_code == 404
    assert Gateway.objects.get(sid=sid).friendly_name == "mygateway"
    # Nor through their account's URL.
    assert (
        restcomm.get(f"/restcomm/2012-04-24/Accounts/{other.account.sid}/Management/Gateways.json").status_code == 404
    )
    assert restcomm.get("Management/Gateways.json").body["total"] == 0


def test_an_account_above_reaches_the_gateways_of_one_below(restcomm, tenant):
    enterprise = TelephonyAccount.objects.get(enterprise_sid=tenant.enterprise.sid)
    below = Restcomm(enterprise.sid, enterprise.auth_token)
    sid = created(below)
    url = f"/restcomm/2012-04-24/Accounts/{enterprise.sid}/Management/Gateways/{sid}.json"
    assert restcomm.get(url).status_code == 200
    # ... and not the other way round.
    mine = created(restcomm)
    upward = f"/restcomm/2012-04-24/Accounts/{restcomm.sid}/Management/Gateways/{mine}.json"
    assert below.get(upward).status_code == 404


@pytest.fixture
def proxies(settings):
    settings.SIP_OUTBOUND_PROXY = "10.0.0.1:5060"
    settings.SIP_OUTBOUND_PROXY_FALLBACK = "sip:10.0.0.2:5080"
    return settings


def test_the_outbound_proxies_and_which_is_active(restcomm, proxies):
    body = restcomm.get("OutboundProxy.json").body
    assert body == {
        "ActiveProxy": "10.0.0.1:5060",
        "UsingFallBackProxy": False,
        "AllowFallbackToPrimary": True,
        "PrimaryProxy": "10.0.0.1:5060",
        "FallbackProxy": "10.0.0.2:5080",
    }
    xml = restcomm.get("OutboundProxy").body.find("OutboundProxy")
    assert xml.findtext("ActiveProxy") == "10.0.0.1:5060" and xml.findtext("UsingFallBackProxy") == "false"


def test_switch_proxy_and_back(restcomm, proxies):
    switched = restcomm.get("OutboundProxy/switchProxy.json").body
    assert switched["ActiveProxy"] == "10.0.0.2:5080" and switched["UsingFallBackProxy"] is True
    assert restcomm.get("OutboundProxy/getActiveProxy.json").body == {"ActiveProxy": "10.0.0.2:5080"}
    back = restcomm.get("OutboundProxy/switchProxy.json").body
    assert back["ActiveProxy"] == "10.0.0.1:5060" and back["UsingFallBackProxy"] is False
    assert restcomm.get("OutboundProxy/getActiveProxy").body.find("OutboundProxy").findtext("ActiveProxy") == (
        "10.0.0.1:5060"
    )


def test_only_a_csps_account_switches_the_proxy(restcomm, tenant, proxies):
    enterprise = TelephonyAccount.objects.get(enterprise_sid=tenant.enterprise.sid)
    below = Restcomm(enterprise.sid, enterprise.auth_token)
    refused = below.get("OutboundProxy/switchProxy.json")
    assert refused.status_code == 403
    assert below.get("OutboundProxy/getActiveProxy.json").body == {"ActiveProxy": "10.0.0.1:5060"}


def test_no_fallback_no_switch(restcomm, settings):
    settings.SIP_OUTBOUND_PROXY, settings.SIP_OUTBOUND_PROXY_FALLBACK = "10.0.0.1", ""
    response = restcomm.get("OutboundProxy/switchProxy.json")
    assert response.status_code == 400
    assert restcomm.get("OutboundProxy/getActiveProxy.json").body == {"ActiveProxy": "10.0.0.1"}

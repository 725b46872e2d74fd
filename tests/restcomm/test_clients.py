"""Clients as the reference's curl examples use them; a Client on an enterprise's account is a client
extension the CSP API lists; a disabled one cannot register; bad input writes nothing."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from autoattendant.models import PhoneNumber
from telephony.models import SipClient, TelephonyAccount
from tests.conftest import assert_ok, make_tenant
from tests.restcomm.conftest import PREFIX, Restcomm, rest_exception

pytestmark = pytest.mark.django_db

# The reference's examples use "test" and "NewPassword", which the client password policy (8 to 128
# characters with a letter and a digit) refuses; these follow it.
PASSWORD = "test1234"
NEW_PASSWORD = "NewPassword1"
DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d")


def subscribers() -> list[str]:
    """The logins the SIP edge's registrar can find."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT username FROM sip_edge_subscriber ORDER BY username")
        return [row[0] for row in cursor.fetchall()]


def create_alice(restcomm: Restcomm, **extra: str) -> dict:
    response = restcomm.post("Clients.json", {"Login": "alice", "Password": PASSWORD, **extra})
    assert response.status_code == 201, response.content
    return response.body


def test_create_a_client(restcomm):
    """curl -X POST …/Accounts/AC…/Clients.json -d "Login=alice" -d "Password=test" """
    body = create_alice(restcomm)
    sid = body["sid"]
    assert re.fullmatch(r"CL[0-9a-f]{32}", sid)
    assert list(body) == [
        "sid",
        "date_created",
        "date_updated",
        "account_sid",
        "api_version",
        "friendly_name",
        "login",
        "password",
        "status",
        "voice_url",
        "voice_method",
        "voice_fallback_url",
        "voice_fallback_method",
        "status_callback",
        "status_callback_method",
        "uri",
    ]
    assert DATE.fullmatch(body["date_created"]) and DATE.fullmatch(body["date_updated"])
    assert {key: body[key] for key in body if key not in ("sid", "date_created", "date_updated")} == {
        "account_sid": restcomm.sid,
        "api_version": "2012-04-24",
        "friendly_name": "alice",
        "login": "alice",
        "password": PASSWORD,
        "status": "1",
        "voice_url": None,
        "voice_method": "POST",
        "voice_fallback_url": None,
        "voice_fallback_method": "POST",
        "status_callback": None,
        "status_callback_method": "POST",
        "uri": f"{PREFIX}/Accounts/{restcomm.sid}/Clients/{sid}.json",
    }
    # A phone can register as alice now.
    assert "alice" in subscribers()
    shown = restcomm.get(f"Clients/{sid}")
    assert shown.status_code == 200 and shown["Content-Type"].startswith("application/xml")
    client = shown.body.find("Client")
    assert client.findtext("Login") == "alice" and client.findtext("Status") == "1"
    assert client.findtext("VoiceUrl") == ""  # an empty element
    assert client.findtext("Uri") == f"{PREFIX}/Accounts/{restcomm.sid}/Clients/{sid}"


def test_delete_a_client(restcomm):
    """curl -X DELETE …/Accounts/AC…/Clients/CL…"""
    sid = create_alice(restcomm)["sid"]
    response = restcomm.delete(f"Clients/{sid}")
    assert response.status_code == 204
    assert not SipClient.objects.filter(sid=sid).exists()
    assert "alice" not in subscribers()
    assert restcomm.get(f"Clients/{sid}.json").status_code == 404


def test_change_a_clients_password(restcomm):
    """curl -X PUT …/Accounts/AC…/Clients/CL… -d "Password=NewPassword" """
    sid = create_alice(restcomm)["sid"]
    response = restcomm.put(f"Clients/{sid}", {"Password": NEW_PASSWORD})
    assert response.status_code == 200, response.content
    assert response.body.find("Client").findtext("Password") == NEW_PASSWORD
    assert SipClient.objects.get(sid=sid).password == NEW_PASSWORD
    # POST changes it as PUT does; FriendlyName and the voice URLs too.
    response = restcomm.post(
        f"Clients/{sid}.json",
        {
            "FriendlyName": "Alice",
            "VoiceUrl": "http://127.0.0.1:8080/restcomm/demos/hello-play.xml",
            "VoiceMethod": "GET",
        },
    )
    assert response.status_code == 200, response.content
    assert (response.body["friendly_name"], response.body["voice_method"], response.body["password"]) == (
        "Alice",
        "GET",
        NEW_PASSWORD,
    )
    assert response.body["voice_url"] == "http://127.0.0.1:8080/restcomm/demos/hello-play.xml"


def test_list_the_clients(restcomm):
    """curl -X GET …/Accounts/AC…/Clients/"""
    create_alice(restcomm)
    assert restcomm.post("Clients.json", {"Login": "bob", "Password": PASSWORD}).status_code == 201
    response = restcomm.get("Clients/")
    assert response.status_code == 200
    listed = response.body.find("Clients")
    assert listed.get("total") == "2" and listed.get("page") == "0"
    assert [client.findtext("Login") for client in listed.findall("Client")] == ["alice", "bob"]
    first = restcomm.get("Clients.json", {"PageSize": 1}).body
    assert first["num_pages"] == 2 and [c["login"] for c in first["clients"]] == ["alice"]
    assert [c["login"] for c in restcomm.get(first["next_page_uri"]).body["clients"]] == ["bob"]


def test_another_tenants_client_is_answered_as_missing(restcomm):
    other = make_tenant("globex")
    theirs = Restcomm(other.account.sid, other.account.auth_token)
    sid = theirs.post("Clients.json", {"Login": "mallory", "Password": PASSWORD}).body["sid"]
    for response in (
        restcomm.get(f"Clients/{sid}.json"),
        restcomm.put(f"Clients/{sid}.json", {"Password": NEW_PASSWORD}),
        restcomm.delete(f"Clients/{sid}.json"),
        # Nor through their account in the URL.
        restcomm.get(f"{PREFIX}/Accounts/{other.account.sid}/Clients/{sid}.json"),
        restcomm.get(f"{PREFIX}/Accounts/{other.account.sid}/Clients.json"),
    ):
        assert response.status_code == 404, response.content
        assert "not found" in response.body["message"]
    assert SipClient.objects.get(sid=sid).password == PASSWORD
    assert restcomm.get("Clients.json").body["total"] == 0


def test_a_client_on_an_enterprise_account_is_a_client_extension(restcomm, tenant):
    enterprise_account = TelephonyAccount.objects.get(enterprise_sid=tenant.enterprise.sid)
    response = restcomm.post(
        f"{PREFIX}/Accounts/{enterprise_account.sid}/Clients.json",
        {"Login": "alice", "Password": PASSWORD, "FriendlyName": "Alice Smith"},
    )
    assert response.status_code == 201, response.content
    assert response.body["account_sid"] == enterprise_account.sid
    extension = PhoneNumber.objects.get(number="alice")
    shown = assert_ok(tenant.csp.get(f"/autoattendant/phonenumber/search/{extension.sid}"))
    assert shown["enterpriseSid"] == tenant.enterprise.sid
    assert (shown["number"], shown["isExtension"], shown["extensionType"]) == ("alice", True, "client")
    assert shown["friendlyName"] == "Alice Smith" and shown["extension"] == "100"
    # Its own account's credentials see it too; deleting it deletes the extension.
    own = Restcomm(enterprise_account.sid, enterprise_account.auth_token)
    sid = response.body["sid"]
    assert own.get(f"Clients/{sid}.json").body["login"] == "alice"
    assert own.delete(f"Clients/{sid}").status_code == 204
    assert not PhoneNumber.objects.filter(number="alice").exists()
    # The CSP's own account lists only its own clients.
    assert restcomm.get("Clients.json").body["total"] == 0


def test_a_disabled_client_cannot_register(restcomm):
    sid = create_alice(restcomm, Status="0")["sid"]
    assert SipClient.objects.get(sid=sid).enabled is False
    assert "alice" not in subscribers()
    response = restcomm.put(f"Clients/{sid}.json", {"Status": "1"})
    assert response.body["status"] == "1"
    assert "alice" in subscribers()
    restcomm.put(f"Clients/{sid}.json", {"Status": "0"})
    assert "alice" not in subscribers()


@pytest.mark.parametrize("suffix", [".json", ""])
def test_bad_input_is_refused_and_nothing_is_written(restcomm, suffix):
    cases = [
        ({"Login": "alice"}, 409, 495, "Password needed to provision new client in Restcomm"),
        ({"Login": "alice", "Password": "test"}, 409, 494, "Password"),
        ({"Login": "alice", "Password": PASSWORD, "VoiceMethod": "PUT"}, 400, 400, "VoiceMethod"),
        ({"Login": "alice", "Password": PASSWORD, "VoiceUrl": "hello-play.xml"}, 400, 400, "VoiceUrl"),
        ({"Login": "al ice", "Password": PASSWORD}, 400, 400, "Login"),
        ({"Login": "alice", "Password": PASSWORD, "Status": "2"}, 400, 400, "Status"),
        ({"Login": "alice", "Password": PASSWORD, "FriendlyName": "x" * 201}, 400, 400, "FriendlyName"),
        ({"Login": "alice", "Password": "test1234\x00"}, 409, 494, "Password"),
        ({"Login": "alice\x00", "Password": PASSWORD}, 400, 400, "Login"),
    ]
    for data, status, code, said in cases:
        response = restcomm.post(f"Clients{suffix}", data)
        assert response.status_code == status, (data, response.content)
        exception = rest_exception(response)
        assert str(exception["code" if suffix else "Code"]) == str(code), exception
        assert said in exception["message" if suffix else "Message"], exception
    assert not SipClient.objects.exists()
    sid = create_alice(restcomm)["sid"]
    # Nor is a refused change written, nor a second alice.
    assert restcomm.put(f"Clients/{sid}.json", {"Password": "short", "FriendlyName": "x"}).status_code == 409
    assert restcomm.post("Clients.json", {"Login": "alice", "Password": PASSWORD}).status_code == 409
    client = SipClient.objects.get()
    assert (client.password, client.friendly_name) == (PASSWORD, "alice")
    assert restcomm.get(f"Clients/{sid}\x00.json").status_code == 404


def test_the_openapi_document_lists_the_clients_resources(client):
    paths = client.get("/restcomm/schema/", {"format": "json"}).json()["paths"]
    listing = paths[f"{PREFIX}/Accounts/{{account_sid}}/Clients"]
    form = listing["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert set(form["required"]) == {"Login", "Password"} and "VoiceMethod" in form["properties"]
    assert "201" in listing["post"]["responses"]
    assert {"Page", "PageSize", "AfterSid"} <= {parameter["name"] for parameter in listing["get"]["parameters"]}
    assert {"get", "post", "put", "delete"} <= set(paths[f"{PREFIX}/Accounts/{{account_sid}}/Clients/{{client_sid}}"])

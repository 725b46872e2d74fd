"""IncomingPhoneNumbers as the reference's curl examples use them; an AA number shows the AA entry and
is changed only through the /autoattendant API; a number is held by one account; every change drops
the number's cached entry; bad input writes nothing."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from telephony.models import NumberRoute, TelephonyAccount
from telephony.rcml.cache import number_variants
from tests.conftest import assert_error, assert_ok, make_tenant
from tests.restcomm.conftest import PREFIX, Restcomm, rest_exception

pytestmark = pytest.mark.django_db

HELLO = "http://127.0.0.1:8080/restcomm/demos/hello-play.xml"
DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d")


def entry_keys(number: str) -> list[str]:
    return [f"rcml:entry:{variant}" for variant in number_variants(number)]


def cache_entries(number: str) -> None:
    """What a call to the number leaves in the cache (here: "nobody answers")."""
    cache.set_many({key: {} for key in entry_keys(number)})


def cached(number: str) -> bool:
    return bool(cache.get_many(entry_keys(number)))


@pytest.fixture
def by_email(tenant) -> Restcomm:
    """The CSP's account, signed in with its email address, as the reference's number examples do."""
    return Restcomm(tenant.account.sid, tenant.account.auth_token, name="csp@acme.test")


def attach(restcomm: Restcomm, number: str = "1234", **extra: str) -> dict:
    response = restcomm.post("IncomingPhoneNumbers.json", {"PhoneNumber": number, "VoiceUrl": HELLO, **extra})
    assert response.status_code == 201, response.content
    return response.body


def test_attach_a_phone_number_to_an_application(by_email, django_capture_on_commit_callbacks):
    """curl -X POST http://administrator%40company.com:…/IncomingPhoneNumbers.json -d "PhoneNumber=1234"
    -d "VoiceUrl=http://127.0.0.1:8080/restcomm/demos/hello-play.xml" """
    cache_entries("+1234")
    with django_capture_on_commit_callbacks(execute=True):
        body = attach(by_email)
    sid = body["sid"]
    assert re.fullmatch(r"PN[0-9a-f]{32}", sid)
    assert DATE.fullmatch(body["date_created"]) and DATE.fullmatch(body["date_updated"])
    # The reference's example, but for its friendly name "234": the number as written is ours.
    assert {key: body[key] for key in body if key not in ("sid", "date_created", "date_updated")} == {
        "account_sid": by_email.sid,
        "friendly_name": "+1234",
        "phone_number": "+1234",
        "voice_url": HELLO,
        "voice_method": "POST",
        "voice_fallback_url": None,
        "voice_fallback_method": "POST",
        "status_callback": None,
        "status_callback_method": "POST",
        "voice_caller_id_lookup": False,
        "sms_url": None,
        "sms_method": "POST",
        "sms_fallback_url": None,
        "sms_fallback_method": "POST",
        "api_version": "2012-04-24",
        "uri": f"{PREFIX}/Accounts/{by_email.sid}/IncomingPhoneNumbers/{sid}.json",
    }
    route = NumberRoute.objects.get(sid=sid)
    assert (route.number, route.account.sid, route.voice_url, route.phone_number_sid) == (
        "+1234",
        by_email.sid,
        HELLO,
        None,
    )
    assert not cached("+1234")  # the next call to it finds its application


def test_delete_a_phone_number(by_email, django_capture_on_commit_callbacks):
    """curl -X DELETE http://administrator%40company.com:…/IncomingPhoneNumbers/PN…"""
    sid = attach(by_email)["sid"]
    cache_entries("+1234")
    with django_capture_on_commit_callbacks(execute=True):
        response = by_email.delete(f"IncomingPhoneNumbers/{sid}")
    assert response.status_code == 204
    assert not NumberRoute.objects.filter(sid=sid).exists()
    assert not cached("+1234")
    assert by_email.get(f"IncomingPhoneNumbers/{sid}.json").status_code == 404


def test_list_of_phone_numbers(by_email):
    """curl -X GET http://administrator%40company.com:…/IncomingPhoneNumbers.json"""
    attach(by_email, "1234")
    attach(by_email, "+1 (415) 555-0100", FriendlyName="Sales line")
    body = by_email.get("IncomingPhoneNumbers.json").body
    assert body["total"] == 2 and body["page"] == 0
    assert [n["phone_number"] for n in body["incoming_phone_numbers"]] == ["+1234", "+14155550100"]
    assert body["incoming_phone_numbers"][1]["friendly_name"] == "Sales line"
    # Filters: part of the number (a `+` arrives as a space), `*` any digit; part of the friendly name.
    for params, expected in (
        ({"PhoneNumber": "+1415"}, ["+14155550100"]),
        ({"PhoneNumber": "555*100"}, ["+14155550100"]),
        ({"PhoneNumber": "12*4"}, ["+1234"]),
        ({"FriendlyName": "sales"}, ["+14155550100"]),
        ({"FriendlyName": "nobody"}, []),
    ):
        found = by_email.get("IncomingPhoneNumbers.json", params).body["incoming_phone_numbers"]
        assert [n["phone_number"] for n in found] == expected, params
    # XML and paging.
    listed = by_email.get("IncomingPhoneNumbers", {"PageSize": 1}).body.find("IncomingPhoneNumbers")
    assert listed.get("numpages") == "2" and listed.get("nextpageuri")
    assert [n.findtext("PhoneNumber") for n in listed.findall("IncomingPhoneNumber")] == ["+1234"]


def test_change_a_number(by_email, django_capture_on_commit_callbacks):
    sid = attach(by_email)["sid"]
    cache_entries("+1234")
    changes = {
        "VoiceUrl": "https://apps.example.test/ivr.xml",
        "VoiceMethod": "get",
        "VoiceFallbackUrl": "http://127.0.0.1:8080/fallback.xml",
        "StatusCallback": "http://127.0.0.1:8080/status",
        "StatusCallbackMethod": "GET",
        "FriendlyName": "Main line",
        "VoiceCallerIdLookup": "true",
        "ApiVersion": "2012-04-24",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = by_email.put(f"IncomingPhoneNumbers/{sid}", changes)
    assert response.status_code == 200, response.content
    number = response.body.find("IncomingPhoneNumber")
    assert number.findtext("VoiceUrl") == "https://apps.example.test/ivr.xml"
    assert number.findtext("VoiceMethod") == "GET"
    assert number.findtext("VoiceCallerIdLookup") == "true"
    assert number.findtext("FriendlyName") == "Main line"
    route = NumberRoute.objects.get(sid=sid)
    assert (route.voice_fallback_url, route.status_callback, route.status_callback_method) == (
        "http://127.0.0.1:8080/fallback.xml",
        "http://127.0.0.1:8080/status",
        "GET",
    )
    assert not cached("+1234")
    # An empty URL clears it; what is not sent stays.
    body = by_email.post(f"IncomingPhoneNumbers/{sid}.json", {"VoiceFallbackUrl": ""}).body
    assert body["voice_fallback_url"] is None and body["voice_url"] == "https://apps.example.test/ivr.xml"


def test_another_tenants_number_is_answered_as_missing(restcomm):
    other = make_tenant("globex")
    theirs = Restcomm(other.account.sid, other.account.auth_token)
    sid = attach(theirs, "+15550001111")["sid"]
    for response in (
        restcomm.get(f"IncomingPhoneNumbers/{sid}.json"),
        restcomm.put(f"IncomingPhoneNumbers/{sid}.json", {"VoiceUrl": "http://evil.example.test/x.xml"}),
        restcomm.delete(f"IncomingPhoneNumbers/{sid}.json"),
        restcomm.get(f"{PREFIX}/Accounts/{other.account.sid}/IncomingPhoneNumbers.json"),
    ):
        assert response.status_code == 404, response.content
        assert "not found" in response.body["message"]
    assert NumberRoute.objects.get(sid=sid).voice_url == HELLO
    assert restcomm.get("IncomingPhoneNumbers.json").body["total"] == 0


def create_aa_number(tenant, number: str = "14155550100") -> dict:
    return assert_ok(
        tenant.csp.post("/autoattendant/phonenumber", {"number": number, "enterpriseSid": tenant.enterprise.sid}),
        status=201,
    )


def test_an_aa_number_shows_the_aa_entry_and_is_changed_only_through_the_csp_api(restcomm, tenant, settings):
    settings.RCML_PUBLIC_URL = "https://portal.example.test"
    phone_number = create_aa_number(tenant)
    account = TelephonyAccount.objects.get(enterprise_sid=tenant.enterprise.sid)
    base = f"{PREFIX}/Accounts/{account.sid}/IncomingPhoneNumbers"
    listed = restcomm.get(f"{base}.json").body["incoming_phone_numbers"]
    assert [(n["phone_number"], n["voice_url"]) for n in listed] == [
        ("14155550100", "https://portal.example.test/rcml/voice")
    ]
    sid = listed[0]["sid"]
    for response in (
        restcomm.put(f"{base}/{sid}.json", {"VoiceUrl": HELLO}),
        restcomm.post(f"{base}/{sid}.json", {"FriendlyName": "mine now"}),
        restcomm.delete(f"{base}/{sid}.json"),
    ):
        assert response.status_code == 409, response.content
        assert response.body["code"] == 539 and "/autoattendant API" in response.body["message"]
    route = NumberRoute.objects.get(sid=sid)
    assert (route.phone_number_sid, route.voice_url, route.friendly_name) == (phone_number["sid"], "", "")


def test_a_number_is_held_by_one_account(restcomm, tenant):
    create_aa_number(tenant)
    other = make_tenant("globex")
    theirs = Restcomm(other.account.sid, other.account.auth_token)
    attach(theirs, "15550001111")
    # The AA number (stored without its +) and another tenant's number, in any form they are written.
    for number in ("+14155550100", "14155550100", "+1 555 000 1111", "15550001111"):
        response = restcomm.post("IncomingPhoneNumbers.json", {"PhoneNumber": number, "VoiceUrl": HELLO})
        assert response.status_code == 409, (number, response.content)
        assert response.body["code"] == 510
    assert NumberRoute.objects.count() == 2
    # Nor can the CSP API make an AA number of one a Restcomm account holds.
    attach(restcomm, "+14155550199")
    error = assert_error(
        tenant.csp.post(
            "/autoattendant/phonenumber", {"number": "14155550199", "enterpriseSid": tenant.enterprise.sid}
        ),
        486,
    )
    assert error["message"] == "Error in provisioning number on Restcomm"
    assert NumberRoute.objects.count() == 3


@pytest.mark.parametrize("suffix", [".json", ""])
def test_bad_input_is_refused_and_nothing_is_written(restcomm, suffix):
    cases = [
        ({"VoiceUrl": HELLO}, "PhoneNumber"),
        ({"PhoneNumber": "0123", "VoiceUrl": HELLO}, "PhoneNumber"),
        ({"PhoneNumber": "12ab", "VoiceUrl": HELLO}, "PhoneNumber"),
        ({"PhoneNumber": "1234", "VoiceUrl": HELLO, "VoiceMethod": "PUT"}, "VoiceMethod"),
        ({"PhoneNumber": "1234", "VoiceUrl": "/restcomm/demos/hello-play.xml"}, "VoiceUrl"),
        ({"PhoneNumber": "1234", "VoiceUrl": HELLO, "VoiceFallbackUrl": "file:///etc/passwd"}, "VoiceFallbackUrl"),
        ({"PhoneNumber": "1234", "VoiceUrl": HELLO, "StatusCallbackMethod": "DELETE"}, "StatusCallbackMethod"),
        ({"PhoneNumber": "1234", "VoiceUrl": HELLO, "VoiceCallerIdLookup": "maybe"}, "VoiceCallerIdLookup"),
        ({"PhoneNumber": "1234", "VoiceUrl": HELLO, "ApiVersion": "2010-04-01"}, "ApiVersion"),
        ({"PhoneNumber": "1234", "VoiceUrl": HELLO, "FriendlyName": "x" * 201}, "FriendlyName"),
        ({"PhoneNumber": "1234", "VoiceUrl": HELLO, "FriendlyName": "a\x00b"}, "FriendlyName"),
        ({"PhoneNumber": "1234", "VoiceUrl": HELLO + "\x00"}, "VoiceUrl"),
        ({"PhoneNumber": "12\x0034", "VoiceUrl": HELLO}, "PhoneNumber"),
    ]
    for data, said in cases:
        response = restcomm.post(f"IncomingPhoneNumbers{suffix}", data)
        assert response.status_code == 400, (data, response.content)
        exception = rest_exception(response)
        assert str(exception["code" if suffix else "Code"]) == "400"
        assert said in exception["message" if suffix else "Message"], exception
    assert not NumberRoute.objects.exists()
    sid = attach(restcomm)["sid"]
    assert (
        restcomm.put(f"IncomingPhoneNumbers/{sid}.json", {"VoiceMethod": "PATCH", "FriendlyName": "x"}).status_code
        == 400
    )
    route = NumberRoute.objects.get()
    assert (route.voice_method, route.friendly_name) == ("POST", "+1234")
    # What no number holds finds none, and is no error.
    assert restcomm.get(f"IncomingPhoneNumbers/PN\x00{sid}.json").status_code == 404
    for params in ({"PhoneNumber": "12a"}, {"PhoneNumber": "\x00"}, {"FriendlyName": "\x00"}):
        response = restcomm.get("IncomingPhoneNumbers.json", params)
        assert response.status_code == 200 and response.body["total"] == 0, params


def test_sms_fields_are_accepted_and_answered_with_their_defaults(restcomm):
    body = attach(restcomm, SmsUrl="http://127.0.0.1:8080/sms.xml", SmsMethod="GET")
    assert (body["sms_url"], body["sms_method"], body["sms_fallback_method"]) == (None, "POST", "POST")


def test_the_openapi_document_lists_the_numbers_resources(client):
    paths = client.get("/restcomm/schema/", {"format": "json"}).json()["paths"]
    listing = paths[f"{PREFIX}/Accounts/{{account_sid}}/IncomingPhoneNumbers"]
    form = listing["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert form["required"] == ["PhoneNumber"] and "VoiceFallbackUrl" in form["properties"]
    assert {"PhoneNumber", "FriendlyName", "PageSize"} <= {
        parameter["name"] for parameter in listing["get"]["parameters"]
    }
    item = paths[f"{PREFIX}/Accounts/{{account_sid}}/IncomingPhoneNumbers/{{number_sid}}"]
    assert {"get", "post", "put", "delete"} <= set(item)

"""The executor's RCML endpoints (telephony.rcml.views): authentication, errors, immutable versions,
a constant number of queries per step, and voicemail. Every document answered is valid RCML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from autoattendant.choices import ActionType, ExtensionType, SystemStatus
from autoattendant.models import VoicemailMessage
from telephony.rcml.compiler import PROMPTS
from tests.telephony.rcml_support import Attendant, assert_valid_rcml, option

NUMBER = "+14155550100"
AUTH = {"HTTP_AUTHORIZATION": f"Bearer {settings.EXECUTOR_TOKEN}"}
CALL = {
    "CallSid": "CA0123456789abcdef0123456789abcdef",
    "AccountSid": "AC0123456789abcdef0123456789abcdef",
    "From": "+15555550100",
    "To": NUMBER,
    "CallStatus": "in-progress",
    "ApiVersion": "2012-04-24",
    "Direction": "inbound",
    "CallerName": "+15555550100",
}


class ExecutorRequests:
    """The call executor's side of HTTP: form-encoded POSTs (or GETs) with Restcomm's parameters."""

    def __init__(self, headers: dict | None = None):
        self.client = Client()
        self.headers = AUTH if headers is None else headers

    def post(self, url: str, **params):
        response = self.client.post(
            url, urlencode({**CALL, **params}), content_type="application/x-www-form-urlencoded", **self.headers
        )
        return self.check(response)

    def get(self, url: str, **params):
        separator = "&" if "?" in url else "?"
        return self.check(self.client.get(f"{url}{separator}{urlencode({**CALL, **params})}", **self.headers))

    @staticmethod
    def check(response):
        assert response["Content-Type"] == "text/xml; charset=utf-8"
        assert_valid_rcml(response.content, f"{response.request['PATH_INFO']} ({response.status_code})")
        response.xml = ET.fromstring(response.content)
        return response


@pytest.fixture
def executor() -> ExecutorRequests:
    return ExecutorRequests()


@pytest.fixture
def reception(tenant) -> Attendant:
    aa = Attendant.build(tenant, NUMBER, extensions=(("101", "Alice", ExtensionType.NUMBER),))
    sub = aa.menu("Sub", [option("1", ActionType.RETURN_TO_PREVIOUS_MENU)])
    main = aa.menu(
        "Main",
        [option("1", ActionType.GO_TO_MENU, sub.sid), option("2", ActionType.TRANSFER_TO_EXTENSION, aa.ext("101").sid)],
        greeting=aa.announcement("Welcome"),
    )
    aa.set(default_menu=main)
    aa.main, aa.sub = main, sub
    aa.publish()
    return aa


def base(aa: Attendant) -> str:
    return f"/rcml/{aa.system.sid}/{aa.system.published_version}"


def state(*menus) -> str:
    return f"path={'.'.join(m.sid for m in menus)}&t=0&i=0&e=0"


# Authentication.


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_AUTHORIZATION": "Bearer wrong-token"},
        {"HTTP_AUTHORIZATION": f"Basic {settings.EXECUTOR_TOKEN}"},
        {"HTTP_AUTHORIZATION": "Bearer "},
    ],
)
def test_executor_token_is_required(reception, headers):
    for url in ("/rcml/voice", f"{base(reception)}/menu/{reception.main.sid}?{state(reception.main)}"):
        response = ExecutorRequests(headers).post(url)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Bearer"
        assert [el.tag for el in response.xml] == ["Reject"]


def test_the_token_is_accepted_whatever_the_scheme_case(reception):
    response = ExecutorRequests({"HTTP_AUTHORIZATION": f"bearer {settings.EXECUTOR_TOKEN}"}).post("/rcml/voice")
    assert response.status_code == 200


def test_get_is_accepted_and_other_methods_are_not(reception, executor):
    response = executor.get("/rcml/voice")
    assert response.status_code == 200 and response.xml[0].tag == "Gather"
    response = executor.client.put("/rcml/voice", **AUTH)
    assert response.status_code == 405


# Errors.


def test_unknown_number_is_not_in_service(db, executor):
    response = executor.post("/rcml/voice", To="+19995550000")
    assert response.status_code == 404
    assert [(el.tag, el.text) for el in response.xml] == [("Say", PROMPTS["not_configured"]), ("Hangup", None)]


def test_number_not_published_is_503(tenant, executor):
    Attendant.build(tenant, NUMBER)  # routed to a system that has never been published
    response = executor.post("/rcml/voice")
    assert response.status_code == 503
    assert [el.tag for el in response.xml] == ["Say", "Hangup"]


def test_inactive_system_rejects(reception, executor):
    reception.set(status=SystemStatus.INACTIVE)
    response = executor.post("/rcml/voice")
    assert response.status_code == 200
    assert [(el.tag, el.get("reason")) for el in response.xml] == [("Reject", "rejected")]


@pytest.mark.parametrize(
    "query",
    [
        "path=MNnosuchmenu&t=0&i=0&e=0",
        "t=0&i=0&e=0",
        "path={main}&t=abc",
        "path={main}.MNother&t=0",
    ],
)
def test_a_garbled_state_is_400(reception, executor, query):
    query = query.format(main=reception.main.sid)
    response = executor.post(f"{base(reception)}/input/{reception.main.sid}?{query}", Digits="1")
    assert response.status_code == 400
    assert [el.tag for el in response.xml] == ["Say", "Hangup"]


def test_a_menu_that_is_not_the_end_of_the_path_is_400(reception, executor):
    url = f"{base(reception)}/input/{reception.sub.sid}?{state(reception.main)}"
    assert executor.post(url, Digits="1").status_code == 400
    assert executor.post(f"{base(reception)}/directory?path=&t=0").status_code == 400


def test_an_unknown_version_is_404(reception, executor):
    url = f"/rcml/{reception.system.sid}/999/menu/{reception.main.sid}?{state(reception.main)}"
    assert executor.post(url).status_code == 404
    url = f"/rcml/AAnosuchsystem/1/menu/{reception.main.sid}?{state(reception.main)}"
    assert executor.post(url).status_code == 404


# Versions are immutable.


def test_a_stale_version_is_still_served_after_a_newer_publish(reception, executor):
    old = base(reception)
    entry = executor.post("/rcml/voice")
    assert entry.xml[0].get("action").startswith(f"{old}/input/{reception.main.sid}?")
    reception.main.options = [option("1", ActionType.HANGUP)]
    reception.main.save()
    reception.publish()
    new = base(reception)
    assert new != old
    # A call that started on the old version finishes on it: key 1 still goes to the submenu ...
    response = executor.post(f"{old}/input/{reception.main.sid}?{state(reception.main)}", Digits="1")
    assert response.status_code == 200
    assert response.xml[0].tag == "Redirect" and f"{old}/menu/{reception.sub.sid}?" in response.xml[0].text
    # ... while new calls get the new version, where key 1 hangs up.
    entry = executor.post("/rcml/voice")
    assert entry.xml[0].get("action").startswith(f"{new}/input/{reception.main.sid}?")
    response = executor.post(f"{new}/input/{reception.main.sid}?{state(reception.main)}", Digits="1")
    assert [el.tag for el in response.xml] == ["Hangup"]


def test_an_old_version_read_from_the_database_does_not_become_the_current_one(reception, executor):
    old = base(reception)
    reception.publish()
    new = base(reception)
    cache.clear()  # Redis lost everything: both versions come back from PostgreSQL
    assert executor.post(f"{old}/menu/{reception.main.sid}?{state(reception.main)}").status_code == 200
    entry = executor.post("/rcml/voice")
    assert entry.xml[0].get("action").startswith(f"{new}/input/")


# A constant number of queries per request.


def test_warm_cache_serves_steps_without_queries(reception, executor, django_assert_max_num_queries):
    menu_url = f"{base(reception)}/menu/{reception.sub.sid}?{state(reception.main, reception.sub)}"
    input_url = f"{base(reception)}/input/{reception.main.sid}?{state(reception.main)}"
    executor.post("/rcml/voice")  # warms the number's route and the plan
    with django_assert_max_num_queries(1):
        assert executor.post("/rcml/voice").status_code == 200
    for _ in range(3):
        with django_assert_max_num_queries(0):
            assert executor.post(menu_url).status_code == 200
        with django_assert_max_num_queries(0):
            assert executor.post(input_url, Digits="2").xml[0].tag == "Dial"
        with django_assert_max_num_queries(0):
            assert executor.post(input_url, Digits="").status_code == 200


def test_cold_cache_is_a_few_queries_then_none(reception, executor, django_assert_max_num_queries):
    cache.clear()
    with django_assert_max_num_queries(3):  # the route, the system's status, the newest plan
        assert executor.post("/rcml/voice").status_code == 200
    with django_assert_max_num_queries(1):
        assert executor.post("/rcml/voice").status_code == 200


# Voicemail.


def test_voicemail_done_stores_the_message(reception, executor):
    box = reception.ext("101").sid
    url = f"{base(reception)}/voicemail-done?box={box}&{state(reception.main)}"
    response = executor.post(url, RecordingUrl="https://media.example/rec/RE1.wav", RecordingDuration="12.6")
    assert response.status_code == 200
    assert [(el.tag, el.text) for el in response.xml] == [("Say", PROMPTS["message_saved"]), ("Hangup", None)]
    message = VoicemailMessage.objects.get()
    assert message.aa_system_sid == reception.system.sid
    assert message.extension_sid == box
    assert message.call_sid == CALL["CallSid"] and message.caller == CALL["From"]
    assert message.recording_url == "https://media.example/rec/RE1.wav"
    assert message.duration_seconds == 12


def test_voicemail_done_for_the_general_box_and_without_a_recording(reception, executor):
    url = f"{base(reception)}/voicemail-done?box=system&{state(reception.main)}"
    executor.post(url, RecordingUrl="https://media.example/rec/RE2.wav", RecordingDuration="x")
    message = VoicemailMessage.objects.get()
    assert message.extension_sid == "" and message.duration_seconds == 0
    executor.post(url)  # an empty recording: nothing to keep
    assert VoicemailMessage.objects.count() == 1


def test_voicemail_prompt_records_into_the_box(reception, executor):
    box = reception.ext("101").sid
    response = executor.post(f"{base(reception)}/voicemail?box={box}&{state(reception.main)}")
    record = response.xml.find("Record")
    assert f"box={box}&" in record.get("action")
    response = executor.post(f"{base(reception)}/voicemail?box=PHnotabox&{state(reception.main)}")
    assert "box=system&" in response.xml.find("Record").get("action")

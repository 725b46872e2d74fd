"""The AA entry's own credentials (telephony.rcml.entry_credentials): what a remote Restcomm server
fetching an AA number's VoiceUrl uses instead of the executors' token. The whole call walks with them
(relative URLs resolved against the VoiceUrl keep its userinfo), and they open only their
enterprise's numbers and AA systems."""

from __future__ import annotations

import base64
import re
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import override_settings

from autoattendant.choices import ActionType
from telephony.models import NumberRoute
from telephony.rcml import entry_credentials
from telephony.rcml.cache import forget_entries
from tests.telephony.rcml_support import Attendant, option
from tests.telephony.test_rcml_views import CALL, ExecutorRequests

NUMBER = "+14155550123"
OTHER_NUMBER = "+14155550456"


def basic(url: str) -> dict[str, str]:
    """The Authorization an HTTP client sends for the userinfo of `url`."""
    parts = urlsplit(url)
    raw = f"{parts.username}:{parts.password}".encode()
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(raw).decode()}


def fetch(url: str, **params):
    """POST `url` as a remote Restcomm does: its path on this portal, its userinfo as Basic."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    return ExecutorRequests(basic(url)).post(target, **params)


def build(tenant, number: str) -> Attendant:
    aa = Attendant.build(tenant, number)
    sub = aa.menu("Sub", [option("1", ActionType.HANGUP)])
    main = aa.menu("Main", [option("1", ActionType.GO_TO_MENU, sub.sid)])
    aa.set(default_menu=main)
    aa.main, aa.sub = main, sub
    aa.publish()
    return aa


@pytest.fixture
def desk(tenant) -> Attendant:
    return build(tenant, NUMBER)


@pytest.fixture
def other_desk(other_tenant) -> Attendant:
    return build(other_tenant, OTHER_NUMBER)


@override_settings(RCML_PUBLIC_URL="https://aa.example.net:8443/portal/")
def test_the_voice_url_carries_the_enterprise_and_its_signature(tenant):
    url = entry_credentials.voice_url(tenant.enterprise.sid)
    parts = urlsplit(url)
    assert (parts.scheme, parts.hostname, parts.port, parts.path) == (
        "https",
        "aa.example.net",
        8443,
        "/portal/rcml/voice",
    )
    assert parts.username == tenant.enterprise.sid
    assert re.fullmatch(r"[0-9a-f]{64}", parts.password or "")
    assert url == entry_credentials.voice_url(tenant.enterprise.sid)  # stable: nothing stored
    with override_settings(SECRET_KEY="another-secret-key-for-this-test-only-0123456789"):
        assert entry_credentials.voice_url(tenant.enterprise.sid) != url


def test_a_whole_call_walks_with_the_voice_urls_credentials(desk):
    # No local route: with the restcomm backend the entry finds the number among the enterprise's.
    NumberRoute.objects.all().delete()
    voice_url = entry_credentials.voice_url(desk.tenant.enterprise.sid)
    entry = fetch(voice_url, To=NUMBER)
    assert entry.status_code == 200, entry.content
    assert entry["X-AA-System"] == desk.system.sid
    gather = entry.xml.find("Gather")
    assert gather is not None
    step = urljoin(voice_url, gather.get("action"))
    assert urlsplit(step).username == desk.tenant.enterprise.sid  # the userinfo survives the resolution
    sub = fetch(step, Digits="1")
    assert sub.status_code == 200, sub.content
    assert desk.sub.sid in sub.content.decode()
    # The number as dialled without its "+" is found too.
    assert fetch(voice_url, To=NUMBER.lstrip("+")).status_code == 200


def test_the_executors_token_still_walks_and_needs_the_route(desk):
    executor = ExecutorRequests()
    assert executor.post("/rcml/voice", To=NUMBER).status_code == 200
    NumberRoute.objects.all().delete()
    forget_entries([NUMBER])
    assert executor.post("/rcml/voice", To=NUMBER).status_code == 404


def test_another_enterprises_credentials_find_neither_its_numbers_nor_its_documents(desk, other_desk):
    foreign = entry_credentials.voice_url(other_desk.tenant.enterprise.sid)
    entry = fetch(foreign, To=NUMBER)
    assert entry.status_code == 404
    assert entry["X-AA-Refusal"] == "unknown-number"
    menu = (
        f"/rcml/{desk.system.sid}/{desk.system.published_version}/menu/{desk.main.sid}?path={desk.main.sid}&t=0&i=0&e=0"
    )
    assert fetch(urljoin(foreign, menu)).status_code == 404
    own = entry_credentials.voice_url(desk.tenant.enterprise.sid)
    assert fetch(urljoin(own, menu)).status_code == 200
    assert fetch(foreign, To=OTHER_NUMBER).status_code == 200


@pytest.mark.parametrize("tamper", ["secret", "user", "scheme"])
def test_a_wrong_signature_is_refused(desk, tamper):
    url = entry_credentials.voice_url(desk.tenant.enterprise.sid)
    user, secret = urlsplit(url).username or "", urlsplit(url).password or ""
    if tamper == "secret":
        secret = secret[:-1] + ("0" if secret[-1] != "0" else "1")
    elif tamper == "user":
        user = desk.tenant.enterprise.sid[:-1] + ("0" if desk.tenant.enterprise.sid[-1] != "0" else "1")
    header = base64.b64encode(f"{user}:{secret}".encode()).decode()
    scheme = "Bearer" if tamper == "scheme" else "Basic"
    response = ExecutorRequests({"HTTP_AUTHORIZATION": f"{scheme} {header}"}).post("/rcml/voice", To=NUMBER)
    assert response.status_code == 401


def test_the_executors_own_endpoints_do_not_take_entry_credentials(desk, client):
    headers = basic(entry_credentials.voice_url(desk.tenant.enterprise.sid))
    response = client.post("/rcml/call", data={"callSid": CALL["CallSid"]}, content_type="application/json", **headers)
    assert response.status_code == 401
    assert client.get("/rcml/speech?text=hello", **headers).status_code == 401


def test_the_executors_client_walks_a_remote_portal_with_the_voice_urls_credentials(
    live_server, transactional_db, tenant, settings
):
    """As another instance's executor does: its own portal elsewhere, this one reached at the VoiceUrl."""
    import asyncio
    import xml.etree.ElementTree as ET

    from telephony.executor.portal_client import PortalClient

    aa = build(tenant, NUMBER)
    settings.RCML_PUBLIC_URL = live_server.url
    voice_url = entry_credentials.voice_url(tenant.enterprise.sid)
    port = urlsplit(live_server.url).port

    async def walk():
        async with PortalClient(
            "http://127.0.0.1:9", "another-portals-token", fetch_allow=f"127.0.0.1:{port}"
        ) as client:
            entry = await client.fetch_rcml(voice_url, {**CALL, "To": NUMBER})
            action = ET.fromstring(entry.body).find("Gather").get("action")
            step = await client.fetch_rcml(urljoin(entry.url, action), {**CALL, "Digits": "1"})
            return entry, step

    entry, step = asyncio.run(walk())
    assert entry.status == 200 and entry.aa_system_sid == aa.system.sid
    assert step.status == 200 and aa.sub.sid in step.body
    assert urlsplit(step.url).username == tenant.enterprise.sid


def test_an_announcements_audio_opens_to_its_own_enterprises_credentials_only(desk, other_desk, client):
    """A menu's greeting is played from the portal too: its audio takes the credentials of its enterprise."""
    from autoattendant.models.announcement import audio_uri

    url = audio_uri(desk.announcement("Welcome").sid)  # READY with no file: found, not playable (533)
    own = basic(entry_credentials.voice_url(desk.tenant.enterprise.sid))
    foreign = basic(entry_credentials.voice_url(other_desk.tenant.enterprise.sid))
    assert client.get(url, **own).json()["errorCode"] == "533"
    assert client.get(url, **foreign).json()["errorCode"] == "516"  # another's: as missing
    wrong = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{desk.tenant.enterprise.sid}:0".encode()).decode()}
    assert client.get(url, **wrong).status_code == 401
    assert client.get("/autoattendant/announcement/search", **own).status_code == 403

"""The executor's portal client (telephony.executor.portal_client) against the real portal (pytest-django's
live server, on the test database and Redis), and against a small aiohttp server for what a healthy
portal never does (5xx, slowness, redirects off the portal)."""

from __future__ import annotations

import asyncio
import io
import logging
import re
import socket
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from django.conf import settings

from autoattendant.choices import ActionType, ExtensionType
from autoattendant.models import CallRecord
from autoattendant.services.calls import store_queued_calls
from telephony.executor.portal_client import ENTRY_URL, PortalClient, PortalUnavailable, RcmlDocument
from tests.telephony.rcml_support import Attendant, option

NUMBER = "+14155550100"
CALL = {"CallSid": "c1", "From": "+15555550100", "To": NUMBER, "CallStatus": "ringing", "Direction": "inbound"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def reception(transactional_db, tenant) -> Attendant:
    aa = Attendant.build(tenant, NUMBER, extensions=(("103", "Carol", ExtensionType.CLIENT),))
    sub = aa.menu("Sub", [option("1", ActionType.RETURN_TO_PREVIOUS_MENU)])
    main = aa.menu("Main", [option("1", ActionType.GO_TO_MENU, sub.sid)], greeting=aa.announcement("Welcome"))
    aa.set(default_menu=main)
    aa.main, aa.sub = main, sub
    aa.publish()
    return aa


def talk(base_url: str, scenario, token: str | None = None, **options):
    """Run `scenario(portal)` with a started client, as the executor's event loop would."""

    async def main():
        async with PortalClient(base_url, settings.EXECUTOR_TOKEN if token is None else token, **options) as portal:
            return await scenario(portal)

    return asyncio.run(main())


def wav_bytes(seconds: float = 0.25) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x01\x02" * int(8000 * seconds))
    return buffer.getvalue()


# Against the portal.


def test_documents(live_server, reception):
    base = live_server.url
    system = reception.system

    async def scenario(portal: PortalClient):
        entry = await portal.fetch_rcml(portal.absolute(ENTRY_URL), CALL)
        bare = await portal.fetch_rcml(ENTRY_URL, {**CALL, "To": NUMBER[1:]})
        step = await portal.fetch_rcml(
            f"/rcml/{system.sid}/{system.published_version}/menu/{reception.sub.sid}?path={reception.main.sid}.{reception.sub.sid}",
            CALL,
            method="GET",
        )
        not_in_service = await portal.fetch_rcml("/rcml/voice", {**CALL, "To": "+19999999999"})
        return entry, bare, step, not_in_service

    entry, bare, step, not_in_service = talk(base, scenario)
    assert isinstance(entry, RcmlDocument)
    assert entry.status == 200 and entry.body.startswith("<Response>") and entry.url == f"{base}/rcml/voice"
    assert entry.menu_sid == reception.main.sid
    # The entry's answer names the call's AA system (with or without `+`), so the executor asks nothing before.
    assert entry.aa_system_sid == system.sid and entry.refusal is None
    assert bare.aa_system_sid == system.sid and bare.status == 200
    # A GET keeps the URL's own query (the call's state) and adds the call's parameters.
    assert step.status == 200 and step.menu_sid == reception.sub.sid
    assert f"path={reception.main.sid}.{reception.sub.sid}" in step.url and "CallSid=c1" in step.url
    # A 4xx is a document too: the portal's "not in service", which says why.
    assert not_in_service.status == 404 and "<Say>" in not_in_service.body and not_in_service.menu_sid is None
    assert not_in_service.refusal == "unknown-number" and not_in_service.aa_system_sid is None


def test_an_unpublished_system_answers_its_503_apology(live_server, transactional_db, tenant):
    Attendant.build(tenant, "+14155550200")  # never published

    async def scenario(portal: PortalClient):
        return await portal.fetch_rcml("/rcml/voice", {**CALL, "To": "+14155550200"})

    document = talk(live_server.url, scenario)
    assert document.status == 503 and document.body.startswith("<Response>") and "<Hangup/>" in document.body


def test_a_wrong_token(live_server, reception):
    async def scenario(portal: PortalClient):
        with pytest.raises(PortalUnavailable, match="401"):
            await portal.speech("hello")
        return await portal.fetch_rcml("/rcml/voice", CALL)

    rejected = talk(live_server.url, scenario, token="wrong")
    assert rejected.status == 401 and "<Reject" in rejected.body


def test_speech_and_recordings(live_server, reception):
    audio = wav_bytes()

    async def scenario(portal: PortalClient):
        spoken = await portal.speech("Please hold.", "woman", "en")
        with pytest.raises(ValueError):
            await portal.speech("Please hold.", "woman", "klingon")
        url = await portal.upload_recording("call-1@host", audio)
        fetched = await portal.fetch_audio(url)
        with pytest.raises(LookupError):
            await portal.fetch_audio(f"/rcml/recording/RE{'0' * 32}.wav")
        with pytest.raises(ValueError):
            await portal.upload_recording("call-1@host", b"not a wav")
        return spoken, url, fetched

    spoken, url, fetched = talk(live_server.url, scenario)
    with wave.open(io.BytesIO(spoken)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        assert wav.getnframes() > 2000
    assert re.fullmatch(rf"{re.escape(live_server.url)}/rcml/recording/RE[0-9a-f]{{32}}\.wav", url)
    assert fetched == audio


def test_call_records_are_posted_once(live_server, reception):
    start = datetime(2026, 3, 9, 14, 0, tzinfo=UTC)
    record = {
        "callSid": "a84b4c76e66710@pc33.example.com",
        "from": "+15555550100",
        "to": NUMBER,
        "aaSystemSid": reception.system.sid,
        "menuPath": [reception.main.sid],
        "keys": ["1"],
        "outcome": "CALLER_HANGUP",
        "startTime": start,  # datetimes are sent as ISO 8601
        "answerTime": start + timedelta(seconds=1),
        "endTime": start + timedelta(seconds=20),
        "executor": "exec-1",
    }

    async def scenario(portal: PortalClient):
        await portal.post_call(record)
        await portal.post_call({**record, "outcome": "COMPLETED"})  # a retry after a lost answer

    talk(live_server.url, scenario)
    store_queued_calls()  # the writer's run (a Celery task in production)
    stored = CallRecord.objects.get()
    assert stored.outcome == "COMPLETED" and stored.duration_seconds == 19 and stored.keys == ["1"]
    assert stored.enterprise_sid == reception.tenant.enterprise.sid

    async def batch(portal: PortalClient):
        await portal.post_calls([{**record, "callSid": f"batch-{n}"} for n in range(3)])

    talk(live_server.url, batch)
    store_queued_calls()
    assert CallRecord.objects.filter(call_sid__startswith="batch-").count() == 3


def test_a_refused_call_record_is_not_retried(live_server, transactional_db, caplog):
    async def scenario(portal: PortalClient):
        await portal.post_call({"callSid": "c1", "outcome": "NONSENSE"})

    with caplog.at_level(logging.ERROR, logger="telephony.executor.portal_client"):
        talk(live_server.url, scenario, post_call_backoff=0.01)
    assert "refused (400)" in caplog.text and not CallRecord.objects.exists()


# When the portal is not there, or misbehaves.


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_portal_that_is_down(caplog):
    base = f"http://127.0.0.1:{free_port()}"

    async def scenario(portal: PortalClient):
        for call in (
            portal.fetch_rcml("/rcml/voice", CALL),
            portal.fetch_audio("/autoattendant/announcement/AN1/audio.wav"),
            portal.speech("hello"),
            portal.upload_recording("c1", wav_bytes()),
        ):
            with pytest.raises(PortalUnavailable):
                await call
        # A call record gives up quietly, after its attempts.
        await portal.post_call({"callSid": "c1"})

    with caplog.at_level(logging.WARNING, logger="telephony.executor.portal_client"):
        talk(base, scenario, post_call_attempts=3, post_call_backoff=0.01)
    assert "call record c1 not stored after 3 attempts" in caplog.text


class FakePortal:
    """An aiohttp server standing in for a portal (or for a server elsewhere) that misbehaves."""

    def __init__(self):
        self.seen: list[tuple[str, str | None]] = []  # (path, Authorization)
        self.call_answers: list[int] = []
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self.handle)
        self.redirect_to = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.seen.append((request.path, request.headers.get("Authorization")))
        path = request.path
        if path == "/rcml/crash":
            return web.Response(status=500, text="Internal Server Error")
        if path == "/rcml/apology":
            return web.Response(status=503, text="<Response><Say>Sorry</Say><Hangup/></Response>")
        if path == "/rcml/busy":
            return web.json_response({"error": "overloaded"}, status=503)
        if path == "/rcml/slow":
            await asyncio.sleep(2)
            return web.Response(text="<Response/>")
        if path == "/rcml/moved":
            raise web.HTTPFound(self.redirect_to)
        if path == "/audio/not-ready":
            return web.json_response({"errorCode": "533"}, status=409)
        if path == "/audio/prompt.wav":
            return web.Response(body=b"RIFF-elsewhere", content_type="audio/wav")
        if path == "/rcml/call":
            status = self.call_answers.pop(0) if self.call_answers else 201
            return web.json_response({"sid": "CA1"} if status == 201 else {"error": "x"}, status=status)
        return web.json_response({"error": "not found"}, status=404)

    async def start(self) -> str:
        self.runner = web.AppRunner(self.app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        host, port = self.runner.addresses[0][:2]
        return f"http://{host}:{port}"

    async def stop(self) -> None:
        await self.runner.cleanup()


def with_fakes(scenario, **options):
    """Run `scenario(portal, fake_portal, elsewhere)` with a client of the fake portal; `elsewhere`,
    on 127.0.0.1 too, is opened by the fetch policy's allow list (RCML_FETCH_ALLOW)."""

    async def main():
        fake, elsewhere = FakePortal(), FakePortal()
        base, other = await fake.start(), await elsewhere.start()
        fake.redirect_to = f"{other}/audio/prompt.wav"
        try:
            options.setdefault("fetch_allow", other.removeprefix("http://"))
            async with PortalClient(base, "the-token", **options) as portal:
                return await scenario(portal, fake, elsewhere, other)
        finally:
            await fake.stop()
            await elsewhere.stop()

    return asyncio.run(main())


def test_5xx_timeouts_and_the_503_apology():
    async def scenario(portal, fake, elsewhere, other):
        with pytest.raises(PortalUnavailable, match="500"):
            await portal.fetch_rcml("/rcml/crash", CALL)
        with pytest.raises(PortalUnavailable, match="503"):
            await portal.fetch_rcml("/rcml/busy", CALL)
        apology = await portal.fetch_rcml("/rcml/apology", CALL)
        with pytest.raises(PortalUnavailable, match="TimeoutError"):
            await portal.fetch_rcml("/rcml/slow", CALL)
        with pytest.raises(LookupError):
            await portal.fetch_audio("/audio/not-ready")
        return apology

    apology = with_fakes(scenario, timeout=0.5)
    assert apology.status == 503 and "<Say>Sorry</Say>" in apology.body


def test_the_token_goes_to_the_portal_only():
    async def scenario(portal, fake, elsewhere, other):
        assert portal.absolute("/rcml/voice") == f"{portal.base_url}rcml/voice"
        assert portal.absolute(f"{other}/audio/prompt.wav") == f"{other}/audio/prompt.wav"
        direct = await portal.fetch_audio(f"{other}/audio/prompt.wav")
        redirected = await portal.fetch_audio("/rcml/moved")  # the portal sends the client elsewhere
        return direct, redirected, fake.seen, elsewhere.seen

    direct, redirected, portal_seen, elsewhere_seen = with_fakes(scenario)
    assert direct == redirected == b"RIFF-elsewhere"
    assert portal_seen == [("/rcml/moved", "Bearer the-token")]
    assert elsewhere_seen == [("/audio/prompt.wav", None), ("/audio/prompt.wav", None)]


def test_call_records_are_retried_while_the_portal_is_unavailable(caplog):
    async def scenario(portal, fake, elsewhere, other):
        fake.call_answers = [503, 502, 201]
        await portal.post_call({"callSid": "c1"})
        retried = [path for path, _ in fake.seen if path == "/rcml/call"]
        fake.seen.clear()
        fake.call_answers = [500] * 10
        await portal.post_call({"callSid": "c2"})
        given_up = [path for path, _ in fake.seen if path == "/rcml/call"]
        return retried, given_up

    with caplog.at_level(logging.WARNING, logger="telephony.executor.portal_client"):
        retried, given_up = with_fakes(scenario, post_call_attempts=4, post_call_backoff=0.01)
    assert len(retried) == 3 and len(given_up) == 4
    assert "call record c2 not stored after 4 attempts" in caplog.text
    assert "call record c1" not in caplog.text


def test_an_entry_credential_s_secret_is_masked_where_a_url_is_shown():
    from telephony.executor.portal_client import shown

    assert shown("http://EN1:s3cret@portal.example/rcml/voice") == "http://EN1:***@portal.example/rcml/voice"
    assert shown("http://portal.example/rcml/voice?x=1") == "http://portal.example/rcml/voice?x=1"

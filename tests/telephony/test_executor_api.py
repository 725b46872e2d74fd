"""The executor's JSON and audio endpoints (telephony.rcml.executor_views): speech, recordings and call
records; and the headers of the RCML documents: the menu, and who answers the call."""

from __future__ import annotations

import io
import json
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from autoattendant import recordings
from autoattendant.choices import ActionType, ExtensionType, SystemStatus
from autoattendant.models import CallRecord
from autoattendant.services import calls
from autoattendant.services.phone_numbers import create_phone_number
from telephony.rcml import executor_views
from tests.telephony.rcml_support import Attendant, option

NUMBER = "+14155550100"
AUTH = {"HTTP_AUTHORIZATION": f"Bearer {settings.EXECUTOR_TOKEN}"}
WRONG = {"HTTP_AUTHORIZATION": "Bearer not-the-token"}


def wav_bytes(seconds: float = 0.25, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x10\x00\xf0\xff" * int(rate * seconds / 2))
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def executor() -> Client:
    return Client(**AUTH)


@pytest.fixture
def reception(tenant) -> Attendant:
    aa = Attendant.build(
        tenant,
        NUMBER,
        extensions=(("101", "Alice", ExtensionType.NUMBER), ("103", "Carol", ExtensionType.CLIENT)),
    )
    sub = aa.menu("Sub", [option("1", ActionType.RETURN_TO_PREVIOUS_MENU)])
    main = aa.menu("Main", [option("1", ActionType.GO_TO_MENU, sub.sid)], greeting=aa.announcement("Welcome"))
    aa.set(default_menu=main)
    aa.main, aa.sub = main, sub
    aa.publish()
    return aa


def assert_unauthorized(response) -> None:
    assert response.status_code == 401, response.content
    assert response.json() == {"error": "unauthorized"}
    assert response["WWW-Authenticate"] == "Bearer"


# Authentication, for every endpoint.

ENDPOINTS = [
    ("get", "/rcml/speech?text=hello", {}),
    ("post", "/rcml/recording?CallSid=c1", {"data": b"RIFF", "content_type": "audio/wav"}),
    ("get", f"/rcml/recording/RE{'0' * 32}.wav", {}),
    ("post", "/rcml/call", {"data": "{}", "content_type": "application/json"}),
]


@pytest.mark.parametrize("method,url,kwargs", ENDPOINTS, ids=[e[1].split("?")[0] for e in ENDPOINTS])
def test_every_endpoint_wants_the_executor_token(db, method, url, kwargs):
    assert_unauthorized(getattr(Client(), method)(url, **kwargs))
    assert_unauthorized(getattr(Client(**WRONG), method)(url, **kwargs))
    assert_unauthorized(getattr(Client(HTTP_AUTHORIZATION=f"Basic {settings.EXECUTOR_TOKEN}"), method)(url, **kwargs))
    assert not CallRecord.objects.exists()


def test_wrong_methods_are_405(db, executor):
    assert executor.delete("/rcml/call").status_code == 405
    assert executor.get("/rcml/call").status_code == 405
    assert executor.get("/rcml/recording").status_code == 405


# Who answers a call: the entry document's answer says it (the executor asks nothing before it).


def entry_answer(client: Client, number: str):
    return client.post("/rcml/voice", {"CallSid": "c1", "From": "+15555550100", "To": number})


def test_the_entry_answer_names_the_aa_system(reception, executor):
    for number in (NUMBER, NUMBER[1:]):  # without the `+`, as some SIP peers send the request URI
        response = entry_answer(executor, number)
        assert response.status_code == 200 and response["X-AA-System"] == reception.system.sid
        assert "X-AA-Refusal" not in response


def test_an_inactive_system_refuses_the_call(reception, executor):
    reception.set(status=SystemStatus.INACTIVE)
    from telephony.rcml import cache

    cache.forget_entries([NUMBER])
    response = entry_answer(executor, NUMBER)
    assert response.status_code == 200 and response["X-AA-Refusal"] == "inactive-aa-system"
    assert "X-AA-System" not in response and "<Reject" in response.content.decode()


def test_an_unpublished_system_is_named_with_its_apology(tenant, executor):
    aa = Attendant.build(tenant, "+14155550200")
    response = entry_answer(executor, "+14155550200")
    assert response.status_code == 503 and response["X-AA-System"] == aa.system.sid


def test_unknown_numbers_are_404(tenant, reception, executor):
    free = create_phone_number(tenant.csp_admin, number="+14155550999", enterprise_sid=tenant.enterprise.sid)
    for number in ("+19999999999", free.number, "x" * 65, "%00", "+1415\x00", ""):
        response = entry_answer(executor, number)
        assert response.status_code == 404, number
        assert response["X-AA-Refusal"] == "unknown-number" and "X-AA-System" not in response


def test_number_lookup_is_gone(reception, executor):
    assert executor.get(f"/rcml/number/{NUMBER}").status_code == 404


# The menu a document plays.


def test_entry_and_menu_documents_name_their_menu(reception, executor):
    form = {"CallSid": "c1", "From": "+15555550100", "To": NUMBER}
    entry = executor.post("/rcml/voice", form)
    assert entry.status_code == 200 and entry["X-AA-Menu"] == reception.main.sid
    base = f"/rcml/{reception.system.sid}/{reception.system.published_version}"
    step = executor.post(f"{base}/menu/{reception.sub.sid}?path={reception.main.sid}.{reception.sub.sid}", form)
    assert step.status_code == 200 and step["X-AA-Menu"] == reception.sub.sid
    # Other steps name none: the executor's path follows the menus only.
    typed = executor.post(f"{base}/input/{reception.main.sid}?path={reception.main.sid}", {**form, "Digits": "9"})
    assert typed.status_code == 200 and "X-AA-Menu" not in typed
    garbled = executor.post(f"{base}/menu/{reception.sub.sid}?path=nonsense", form)
    assert garbled.status_code == 400 and "X-AA-Menu" not in garbled


# SIP clients: their registrations are the SIP edge's (Kamailio reads the credentials itself).


def test_no_endpoint_serves_a_client_s_sip_password(reception, executor):
    assert executor.get(f"/rcml/client/{reception.ext('103').number}").status_code == 404


# Speech.


def test_speech_is_an_8khz_mono_wav_rendered_once(db, executor, media, monkeypatch):
    first = executor.get("/rcml/speech", {"text": "Thank you for calling.", "voice": "man", "language": "en-gb"})
    assert first.status_code == 200, first.content
    assert first["Content-Type"] == "audio/wav"
    assert "max-age" in first["Cache-Control"]
    body = b"".join(first.streaming_content)
    with wave.open(io.BytesIO(body)) as audio:
        assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (8000, 1, 2)
        assert audio.getnframes() > 4000  # more than half a second of speech
    cached = list((media / "speech").rglob("*.wav"))
    assert len(cached) == 1 and cached[0].read_bytes() == body
    assert first["ETag"] == f'"{cached[0].stem}"'
    mtime = cached[0].stat().st_mtime_ns

    # The second request is served from the file: espeak-ng is not run again.
    def no_render(*args, **kwargs):
        raise AssertionError("rendered twice")

    monkeypatch.setattr("speech.tts.render", no_render)
    again = executor.get("/rcml/speech", {"text": "Thank you for calling.", "voice": "man", "language": "en-gb"})
    assert again.status_code == 200 and b"".join(again.streaming_content) == body
    assert cached[0].stat().st_mtime_ns == mtime
    assert list((media / "speech").rglob("*.wav")) == cached
    # The executor's own copy is still good.
    unchanged = executor.get(
        "/rcml/speech",
        {"text": "Thank you for calling.", "voice": "man", "language": "en-gb"},
        HTTP_IF_NONE_MATCH=first["ETag"],
    )
    assert unchanged.status_code == 304


def test_speech_voices_and_languages_are_distinct_renders(db, executor, media):
    for voice, language in (("woman", "en"), ("man", "en"), ("woman", "es"), ("woman", "bp")):
        response = executor.get("/rcml/speech", {"text": "Uno dos", "voice": voice, "language": language})
        assert response.status_code == 200, (voice, language, response.content)
    assert len(list((media / "speech").rglob("*.wav"))) == 4


def test_speech_language_mapping():
    assert executor_views.espeak_language("en") == "en-us"
    assert executor_views.espeak_language("en-gb") == "en-gb"
    assert executor_views.espeak_language("bp") == "pt-br"
    assert executor_views.espeak_language("pt-BR") == "pt-br"
    assert executor_views.espeak_language("es") == "es"
    assert executor_views.espeak_language("dan") == "da"
    assert executor_views.espeak_language("ja") == "ja"  # an espeak-ng code itself
    assert executor_views.espeak_language("klingon") is None


@pytest.mark.parametrize(
    "params,field",
    [
        ({}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "a" * 1001}, "text"),
        ({"text": "hello", "voice": "robot"}, "voice"),
        ({"text": "hello", "language": "klingon"}, "language"),
    ],
)
def test_speech_bad_input_is_400(db, executor, media, params, field):
    response = executor.get("/rcml/speech", params)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {field}
    assert not (media / "speech").exists()


# Recordings.


def test_recording_round_trip(db, executor):
    audio = wav_bytes()
    response = executor.post("/rcml/recording?CallSid=abc%40host", audio, content_type="audio/wav")
    assert response.status_code == 201, response.content
    url = response.json()["url"]
    assert recordings.URL_PATTERN.search(url) and set(response.json()) == {"url"}
    fetched = executor.get(url)
    assert fetched.status_code == 200 and fetched["Content-Type"] == "audio/wav"
    assert b"".join(fetched.streaming_content) == audio
    part = executor.get(url, HTTP_RANGE="bytes=0-11")
    assert part.status_code == 206 and part.content == audio[:12]
    assert executor.get(url, HTTP_IF_NONE_MATCH=fetched["ETag"]).status_code == 304
    # Without the token, nobody gets it.
    assert_unauthorized(Client().get(url))


def test_unknown_recordings_are_404(db, executor):
    for sid in (f"RE{'a' * 32}", "nonsense", f"VM{'a' * 32}"):
        response = executor.get(f"/rcml/recording/{sid}.wav")
        assert response.status_code == 404 and response.json() == {"error": "not found"}


@pytest.mark.parametrize(
    "body",
    [b"", b"not audio at all", b"RIFF\x00\x00\x00\x00WAVE", b"ID3\x03\x00" + b"\x00" * 100],
    ids=["empty", "text", "no-chunks", "mp3"],
)
def test_recordings_must_be_wav(db, executor, media, body):
    response = executor.post("/rcml/recording?CallSid=c1", body, content_type="audio/wav")
    assert response.status_code == 400 and "body" in response.json()["errors"]
    assert not (media / "recordings").exists()


def test_recordings_need_a_call_sid_and_a_size_limit(db, executor, media, monkeypatch):
    missing = executor.post("/rcml/recording", wav_bytes(), content_type="audio/wav")
    assert missing.status_code == 400 and "CallSid" in missing.json()["errors"]
    monkeypatch.setattr(executor_views, "RECORDING_MAX_BYTES", 1000)
    too_big = executor.post("/rcml/recording?CallSid=c1", wav_bytes(1.0), content_type="audio/wav")
    assert too_big.status_code == 413
    assert not (media / "recordings").exists()
    assert executor_views.RECORDING_MAX_BYTES == 1000 and executor_views.CALL_MAX_BYTES > 0


# Call records.


def cdr(**changes) -> dict:
    start = datetime(2026, 3, 9, 14, 0, 0, tzinfo=UTC)
    record = {
        "callSid": "a84b4c76e66710@pc33.example.com",
        "from": "+15555550100",
        "to": NUMBER,
        "aaSystemSid": "",
        "menuPath": [],
        "keys": [],
        "outcome": "COMPLETED",
        "startTime": start.isoformat(),
        "answerTime": (start + timedelta(seconds=1)).isoformat(),
        "endTime": (start + timedelta(seconds=43, milliseconds=600)).isoformat(),
        "executor": "exec-1.example.com",
    }
    record.update(changes)
    return record


def post_cdr(client: Client, record) -> object:
    return client.post("/rcml/call", json.dumps(record), content_type="application/json")


def store_queued() -> int:
    """The writer's run (the Celery task's work), here in the test's transaction."""
    return calls.store_queued_calls()


def stored_sid(call_sid: str) -> str:
    return CallRecord.objects.get(call_sid=call_sid).sid


def test_a_call_record_is_stored(tenant, reception, executor):
    record = cdr(
        aaSystemSid=reception.system.sid,
        menuPath=[reception.main.sid, reception.sub.sid],
        keys=["1", "203"],
        outcome="TRANSFERRED",
        dialStatus="completed",
        transferTarget="+16505550101",
        hangupCause="BYE from caller",
    )
    response = post_cdr(executor, record)
    assert (response.status_code, response.json()) == (200, {"queued": 1}), response.content
    assert not CallRecord.objects.exists()  # queued, not yet stored
    assert store_queued() == 1
    stored = CallRecord.objects.get()
    assert stored.sid.startswith("CA") and len(stored.sid) == 34
    assert stored.call_sid == record["callSid"] and stored.enterprise_sid == tenant.enterprise.sid
    assert (stored.from_number, stored.to_number, stored.aa_system_sid) == (
        "+15555550100",
        NUMBER,
        reception.system.sid,
    )
    assert stored.menu_path == [reception.main.sid, reception.sub.sid] and stored.keys == ["1", "203"]
    assert (stored.outcome, stored.dial_status, stored.transfer_target) == ("TRANSFERRED", "completed", "+16505550101")
    assert stored.duration_seconds == 43  # from answer to end, rounded
    assert stored.executor == "exec-1.example.com" and stored.hangup_cause == "BYE from caller"


def test_a_retried_post_updates_the_same_record(tenant, reception, executor):
    post_cdr(executor, cdr(aaSystemSid=reception.system.sid, outcome="FAILED"))
    store_queued()
    first = CallRecord.objects.get().sid
    post_cdr(executor, cdr(aaSystemSid=reception.system.sid, outcome="COMPLETED", keys=["1"]))
    store_queued()
    stored = CallRecord.objects.get()
    assert stored.sid == first and stored.outcome == "COMPLETED" and stored.keys == ["1"]
    post_cdr(executor, cdr(callSid="another-call", aaSystemSid=reception.system.sid))
    store_queued()
    assert stored_sid("another-call") != first and CallRecord.objects.count() == 2


def test_a_call_that_names_no_aa_system_is_not_stored(db, executor):
    """A number in no AA system (or a system gone): nobody could see the row; the executor counts it."""
    response = post_cdr(executor, cdr(aaSystemSid="", outcome="REJECTED", answerTime=None))
    assert (response.status_code, response.json()) == (200, {"queued": 1})
    gone = post_cdr(executor, cdr(callSid="c2", aaSystemSid=f"AA{'0' * 32}"))
    assert (gone.status_code, gone.json()) == (200, {"queued": 1})
    assert store_queued() == 2
    assert not CallRecord.objects.exists()


def entry(client: Client, call_sid: str, **params: str):
    params = {"To": NUMBER, "From": "+15555550100", "CallSid": call_sid, **params}
    return client.post("/rcml/voice", params)


def test_a_call_is_recorded_in_progress_when_its_entry_document_is_served(tenant, reception, executor):
    response = entry(executor, "CA-entry", SipCallId="a84b@pc33.example.com", Executor="exec-1")
    assert response.status_code == 200
    assert entry(executor, "CA-entry", SipCallId="a84b@pc33.example.com").status_code == 200  # fetched again
    assert not CallRecord.objects.exists()  # queued: the entry document wrote nothing
    assert store_queued() == 2
    stored = CallRecord.objects.get()
    assert (stored.call_sid, stored.sip_call_id, stored.outcome) == ("CA-entry", "a84b@pc33.example.com", "IN_PROGRESS")
    assert (stored.aa_system_sid, stored.enterprise_sid) == (reception.system.sid, tenant.enterprise.sid)
    assert (stored.from_number, stored.to_number, stored.executor) == ("+15555550100", NUMBER, "exec-1")
    assert stored.end_time is None and stored.duration_seconds == 0

    # The executor's report completes that same record.
    report = cdr(callSid="CA-entry", aaSystemSid=reception.system.sid, keys=["1"], outcome="CALLER_HANGUP")
    assert post_cdr(executor, report).status_code == 200
    store_queued()
    done = CallRecord.objects.get()
    assert done.sid == stored.sid
    assert (done.outcome, done.keys, done.duration_seconds) == ("CALLER_HANGUP", ["1"], 43)
    assert done.sip_call_id == "a84b@pc33.example.com" and done.enterprise_sid == tenant.enterprise.sid
    assert done.end_time is not None


def test_documents_that_are_not_a_calls_entry_record_nothing(tenant, reception, executor):
    """The console's simulated calls name no SIP Call-ID; numbers in no system have no entry."""
    assert entry(executor, "CA-simulated").status_code == 200
    assert entry(executor, "CA-nowhere", To="+19999999999", SipCallId="x@y").status_code == 404
    assert store_queued() == 0
    assert not CallRecord.objects.exists()


def test_calls_never_reported_are_closed_as_lost_then_a_late_report_still_completes_them(
    tenant, reception, executor, settings
):
    from autoattendant.tasks import close_lost_calls

    settings.CALL_LOST_AFTER_SECONDS = 60
    entry(executor, "CA-lost", SipCallId="lost@example.com")
    entry(executor, "CA-recent", SipCallId="recent@example.com")
    store_queued()
    CallRecord.objects.filter(call_sid="CA-lost").update(start_time=datetime.now(UTC) - timedelta(seconds=61))
    assert close_lost_calls() == 1
    assert close_lost_calls() == 0  # closed once
    lost, recent = CallRecord.objects.get(call_sid="CA-lost"), CallRecord.objects.get(call_sid="CA-recent")
    assert (lost.outcome, lost.end_time) == ("LOST", None) and "60 s" in lost.hangup_cause
    assert recent.outcome == "IN_PROGRESS"

    # An executor that was cut off, not dead, reports after all: the call's real ending wins.
    report = cdr(callSid="CA-lost", aaSystemSid=reception.system.sid, outcome="COMPLETED")
    assert post_cdr(executor, report).status_code == 200
    store_queued()
    assert stored_sid("CA-lost") == lost.sid
    assert CallRecord.objects.get(call_sid="CA-lost").outcome == "COMPLETED"
    assert CallRecord.objects.count() == 2

    # The executor may not report the portal's own outcomes.
    for outcome in ("IN_PROGRESS", "LOST"):
        refused = post_cdr(executor, cdr(callSid="CA-recent", aaSystemSid=reception.system.sid, outcome=outcome))
        assert refused.status_code == 400 and "outcome" in refused.json()["errors"]


@pytest.mark.parametrize(
    "body,field",
    [
        (cdr(callSid=""), "callSid"),
        ({k: v for k, v in cdr().items() if k != "callSid"}, "callSid"),
        (cdr(outcome="HUNG"), "outcome"),
        (cdr(startTime="yesterday"), "startTime"),
        (cdr(endTime="2026-03-09T13:00:00+00:00"), "endTime"),
        (cdr(answerTime="2026-03-09T15:00:00+00:00"), "answerTime"),
        (cdr(keys="1,2"), "keys"),
        (cdr(menuPath=[{"sid": 1}]), "menuPath"),
        (cdr(callSid="x\x00y"), "callSid"),
    ],
)
def test_invalid_call_records_are_400(db, executor, body, field):
    response = post_cdr(executor, body)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()
    assert not CallRecord.objects.exists()


def test_call_record_bodies_that_are_not_json_objects(db, executor, monkeypatch):
    for raw in ("not json", "3", "[]", "\xff"):
        response = executor.post("/rcml/call", raw, content_type="application/json")
        assert response.status_code == 400 and response.json()["errors"] == {"body": response.json()["errors"]["body"]}
    response = executor.post("/rcml/call", "[1, 2]", content_type="application/json")
    assert response.status_code == 400 and set(response.json()["errors"]) == {"0", "1"}
    monkeypatch.setattr(executor_views, "CALL_MAX_BYTES", 100)
    assert post_cdr(executor, cdr()).status_code == 413
    assert not CallRecord.objects.exists()


def test_call_records_in_a_batch_are_stored_together_or_not_at_all(tenant, reception, executor):
    batch = [cdr(callSid=f"batch-{n}", aaSystemSid=reception.system.sid) for n in range(3)]
    response = post_cdr(executor, [*batch[:2], cdr(callSid="bad", outcome="NONSENSE")])
    assert response.status_code == 400 and set(response.json()["errors"]) == {"2"}, response.content
    assert store_queued() == 0  # nothing of it was queued
    assert not CallRecord.objects.exists()
    response = post_cdr(executor, batch)
    assert (response.status_code, response.json()) == (200, {"queued": 3}), response.content
    assert store_queued() == 1  # one entry: the request's records together
    stored = dict(CallRecord.objects.values_list("call_sid", "sid"))
    assert set(stored) == {f"batch-{n}" for n in range(3)}
    post_cdr(executor, batch[:1])  # posted again: the same record
    store_queued()
    assert dict(CallRecord.objects.values_list("call_sid", "sid")) == stored
    assert post_cdr(executor, [cdr()] * (executor_views.MAX_BATCH + 1)).status_code == 400


def test_a_batch_mixing_known_new_repeated_and_nobodys_calls(tenant, reception, executor):
    """One batch: a call its entry document recorded (the report completes it and keeps the entry's
    SIP Call-ID), a new one, one reported twice (its last report wins) and one that is nobody's."""
    assert entry(executor, "known", SipCallId="sip-known@pc33").status_code == 200
    system = reception.system.sid
    batch = [
        cdr(callSid="known", aaSystemSid=system, outcome="TRANSFERRED", dialStatus="completed"),
        cdr(callSid="twice", aaSystemSid=system, outcome="FAILED"),
        cdr(callSid="nobodys", aaSystemSid=""),
        cdr(callSid="twice", aaSystemSid=system, outcome="COMPLETED"),
        cdr(callSid="new", aaSystemSid=system, sipCallId="sip-new@pc33"),
    ]
    response = post_cdr(executor, batch)
    assert response.status_code == 200, response.content
    store_queued()
    stored = {r.call_sid: r for r in CallRecord.objects.all()}
    assert set(stored) == {"known", "twice", "new"}
    assert (stored["known"].outcome, stored["known"].sip_call_id) == ("TRANSFERRED", "sip-known@pc33")
    assert stored["known"].enterprise_sid == tenant.enterprise.sid and stored["twice"].outcome == "COMPLETED"
    assert stored["new"].sip_call_id == "sip-new@pc33" and stored["new"].end_time is not None

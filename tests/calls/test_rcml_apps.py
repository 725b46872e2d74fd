"""Calls from sipp to numbers routed to RCML applications, run by a real executor of the call stack's
portal: the application is a small HTTP server of the test's on 127.0.0.1, opened to the executor by
RCML_FETCH_ALLOW (127.0.0.1 on its port only). Its documents run (Say, Play, Gather, Redirect), a
failing VoiceUrl gets the VoiceFallbackUrl, URLs the fetch policy refuses are never connected to, and
each failure is a Notification of the number's account; the StatusCallback hears the end."""

from __future__ import annotations

import io
import json
import subprocess
import threading
import time
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import psycopg
import pytest
import requests

from tests.calls.sipp import Sipp, caller
from tests.servers import BASE_DIR, MANAGE, free_sip_port, listening, process, wait_until

HELLO = "+15550002001"
FAILING = "+15550002002"
NOT_RCML = "+15550002003"
NOT_XML = "+15550002004"
REFUSED_ADDRESS = "+15550002005"
REFUSED_NAME = "+15550002006"
METADATA = "+15550002007"
RECORD = "+15550002008"
PEEK = "+15550002009"
BUSY = "+15550002010"


def tone_wav() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x10\x00\xf0" * 4000)  # one second
    return buffer.getvalue()


DOCUMENTS = {
    "/hello.xml": (
        "text/xml",
        '<Response><Say>Hello.</Say><Gather numDigits="1" timeout="6" action="gathered">'
        "<Play>tone.wav</Play></Gather><Say>Nothing pressed.</Say></Response>",
    ),
    "/gathered": ("text/xml", '<Response><Redirect method="GET">next.xml</Redirect></Response>'),
    "/next.xml": ("application/xml; charset=utf-8", "<Response><Say>Goodbye.</Say><Hangup/></Response>"),
    "/fallback.xml": ("text/xml", "<Response><Say>Fallback.</Say><Hangup/></Response>"),
    "/record.xml": (
        "text/xml",
        '<Response><Record maxLength="2" timeout="3" playBeep="false" transcribe="true" '
        'transcribeCallback="transcribed" action="recorded"/></Response>',
    ),
    "/recorded": ("text/xml", "<Response><Hangup/></Response>"),
    "/busy.xml": ("text/xml", '<Response><Reject reason="busy"/></Response>'),
    "/plain": ("text/plain", "Hello, I am not a document."),
    "/garbled.xml": ("text/xml", "<Response><Say>unclosed</Response>"),
}


@dataclass
class Seen:
    method: str
    path: str
    params: dict[str, str]
    authorization: str | None


class Application:
    """An RCML application on 127.0.0.1: what it was asked, in order."""

    def __init__(self):
        self.seen: list[Seen] = []
        self.documents = dict(DOCUMENTS)
        application = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def answer(self, method: str) -> None:
                parts = urlsplit(self.path)
                params = dict(parse_qsl(parts.query))
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    params.update(parse_qsl(self.rfile.read(length).decode()))
                application.seen.append(Seen(method, parts.path, params, self.headers.get("Authorization")))
                if parts.path == "/broken":
                    self.send(500, "text/html", "<html>Internal Server Error</html>")
                elif parts.path == "/tone.wav":
                    self.send(200, "audio/wav", tone_wav())
                elif parts.path in application.documents:
                    self.send(200, *application.documents[parts.path])
                else:
                    self.send(200, "text/plain", "ok")

            def send(self, status: int, content_type: str, body: str | bytes) -> None:
                data = body.encode() if isinstance(body, str) else body
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                self.answer("GET")

            def do_POST(self) -> None:  # noqa: N802
                self.answer("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def requests(self, call_sid: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.params.get("CallSid") == call_sid]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Apps:
    portal: str
    app: Application
    inside: Application  # a server the fetch policy keeps the executor from
    account_sid: str
    sip_port: int
    database_url: str
    log: Path

    def call(self, tmp_path, number: str, scenario: str):
        run = Sipp(tmp_path / number.lstrip("+"), scenario, self.sip_port, service=number.lstrip("+")).run()
        assert run.ok, f"sipp failed:\n{run.output}\n{run.messages[-3000:]}\n{self.log.read_text()[-4000:]}"
        return run

    def rows(self, query: str, *params) -> list[tuple]:
        with psycopg.connect(self.database_url) as connection:
            return connection.execute(query, params).fetchall()

    def notifications(self, number: str, expected: int = 1, timeout: float = 10.0) -> list[tuple]:
        """The notifications of the (one) call to `number`: (error code, log, account, request URL, text)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.rows(
                "SELECT n.error_code, n.log, n.account_sid, n.request_url, n.message_text "
                "FROM telephony_notification n JOIN telephony_callrecord c ON c.call_sid = n.call_sid "
                "WHERE c.to_number IN (%s, %s) ORDER BY n.id",
                number,
                number.lstrip("+"),
            )
            if len(found) >= expected or time.monotonic() > deadline:
                return found
            time.sleep(0.3)


SETUP = """
import json, os
from telephony.models import NumberRoute, TelephonyAccount
account = TelephonyAccount.objects.create(friendly_name="RCML applications")
for number, route in json.loads(os.environ["ROUTES"]).items():
    NumberRoute.objects.create(number=number, account=account, **route)
print(account.sid)
"""


@pytest.fixture(scope="module")
def apps(call_stack, tmp_path_factory) -> Iterator[Apps]:
    app, inside = Application(), Application()
    # A Play of the portal's own audio, which needs the executors' token: an application never has it.
    speech = f"{call_stack.url}/rcml/speech?text=secret&amp;voice=woman&amp;language=en"
    app.documents["/peek.xml"] = ("text/xml", f"<Response><Play>{speech}</Play><Say>Bye.</Say></Response>")
    fallback = {"voice_fallback_url": f"{app.url}/fallback.xml"}
    routes = {
        HELLO: {"voice_url": f"{app.url}/hello.xml", "status_callback": f"{app.url}/status"},
        FAILING: {"voice_url": f"{app.url}/broken", **fallback, "status_callback": f"{app.url}/status"},
        NOT_RCML: {"voice_url": f"{app.url}/plain", **fallback},
        NOT_XML: {"voice_url": f"{app.url}/garbled.xml", "voice_method": "GET", **fallback},
        REFUSED_ADDRESS: {"voice_url": f"{inside.url}/app.xml", **fallback, "status_callback": f"{inside.url}/end"},
        REFUSED_NAME: {
            "voice_url": f"http://localhost:{inside.port}/app.xml",
            **fallback,
            "status_callback": f"http://localhost:{inside.port}/end",
        },
        METADATA: {"voice_url": "http://169.254.169.254/latest/meta-data/", "status_callback": f"{app.url}/status"},
        RECORD: {"voice_url": f"{app.url}/record.xml"},
        PEEK: {"voice_url": f"{app.url}/peek.xml"},
        BUSY: {
            "voice_url": f"{app.url}/busy.xml",
            "status_callback": f"{app.url}/status",
            "status_callback_method": "GET",
        },
    }
    env = {**call_stack.env, "ROUTES": json.dumps(routes)}
    made = subprocess.run(
        [*MANAGE, "shell", "-c", SETUP], env=env, cwd=BASE_DIR, capture_output=True, text=True, timeout=120
    )
    assert made.returncode == 0, made.stderr
    account_sid = made.stdout.strip().splitlines()[-1]
    sip_port = free_sip_port()
    executor_env = {
        **call_stack.env,
        "EXECUTOR_SIP_PORT": str(sip_port),
        "RTP_PORT_MIN": "19800",
        "RTP_PORT_MAX": "19899",
        "RCML_FETCH_ALLOW": f"127.0.0.1:{app.port}",
        "EXECUTOR_PORTAL_TIMEOUT": "3",
    }
    log = tmp_path_factory.mktemp("rcml-apps") / "executor.log"
    try:
        with process([*MANAGE, "run_executor", "-v", "2"], executor_env, log) as executor:
            wait_until(lambda: listening(sip_port), executor, log, "the executor")
            yield Apps(call_stack.url, app, inside, account_sid, sip_port, call_stack.env["DATABASE_URL"], log)
    finally:
        app.stop()
        inside.stop()


def wait_for(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not (found := predicate()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return found


def call_sid_of(apps: Apps, path: str) -> str:
    return next(seen.params["CallSid"] for seen in reversed(apps.app.seen) if seen.path == path)


def test_the_application_s_documents_run_and_its_status_callback_hears_the_end(apps, tmp_path):
    started = len(apps.app.seen)
    apps.call(tmp_path, HELLO, caller([("wait", 4500), ("dtmf", "4")], caller_number="15552220001"))
    call_sid = apps.app.seen[started].params["CallSid"]
    status = wait_for(lambda: [s for s in apps.app.requests(call_sid) if s.path == "/status"])
    asked = apps.app.requests(call_sid)
    assert [(s.method, s.path) for s in asked] == [
        ("POST", "/hello.xml"),
        ("POST", "/gathered"),  # the Gather's relative action, against the document's URL
        ("GET", "/next.xml"),  # the Redirect's, with its method
        ("POST", "/status"),
    ], asked
    # The Play's relative URL was fetched from the application.
    assert [(s.method, s.path) for s in apps.app.seen[started:] if s.path == "/tone.wav"] == [("GET", "/tone.wav")]
    first = asked[0].params
    assert first["AccountSid"] == apps.account_sid and call_sid.startswith("CA")
    assert (first["From"], first["To"], first["Direction"], first["ApiVersion"]) == (
        "15552220001",
        HELLO.lstrip("+"),
        "inbound",
        "2012-04-24",
    )
    assert first["CallStatus"] == "ringing" and asked[1].params["CallStatus"] == "in-progress"
    assert asked[1].params["Digits"] == "4"
    assert all(s.params["AccountSid"] == apps.account_sid for s in asked)
    assert all(s.authorization is None for s in apps.app.seen)  # the executor's token stays on the portal
    (end,) = status
    assert end.params["CallStatus"] == "completed" and int(end.params["CallDuration"]) >= 4
    # The call is recorded for the number's account.
    records = wait_for(
        lambda: apps.rows(
            "SELECT account_sid, aa_system_sid, outcome FROM telephony_callrecord WHERE call_sid = %s "
            "AND outcome <> 'IN_PROGRESS'",
            call_sid,
        )
    )
    assert records == [(apps.account_sid, "", "COMPLETED")]
    assert apps.notifications(HELLO, expected=0, timeout=0) == []


def test_a_failing_voice_url_gets_the_fallback(apps, tmp_path):
    apps.call(tmp_path, FAILING, caller([], caller_number="15552220002"))
    call_sid = call_sid_of(apps, "/broken")
    asked = apps.app.requests(call_sid)
    assert [s.path for s in asked[:2]] == ["/broken", "/fallback.xml"]
    assert (asked[1].params["ErrorCode"], asked[1].params["ErrorUrl"]) == ("11200", f"{apps.app.url}/broken")
    (notification,) = apps.notifications(FAILING)
    assert notification[:4] == (11200, 0, apps.account_sid, f"{apps.app.url}/broken")
    assert "500" in notification[4]


@pytest.mark.parametrize(("number", "path", "code"), [(NOT_RCML, "/plain", 12300), (NOT_XML, "/garbled.xml", 12100)])
def test_a_document_that_is_not_rcml_gets_the_fallback(apps, tmp_path, number, path, code):
    apps.call(tmp_path, number, caller([], caller_number="15552220003"))
    asked = apps.app.requests(call_sid_of(apps, path))
    assert [s.path for s in asked[:2]] == [path, "/fallback.xml"]
    assert asked[1].params["ErrorCode"] == str(code)
    (notification,) = apps.notifications(number)
    assert notification[:3] == (code, 0, apps.account_sid)


@pytest.mark.parametrize("number", [REFUSED_ADDRESS, REFUSED_NAME])
def test_an_address_the_policy_refuses_is_never_reached(apps, tmp_path, number):
    """127.0.0.1 on another port than the one allowed, and `localhost` (a name resolving to it), for
    the VoiceUrl and the StatusCallback."""
    before = len(apps.app.seen)
    apps.call(tmp_path, number, caller([], caller_number="15552220004"))
    fallback = [s for s in apps.app.seen[before:] if s.path == "/fallback.xml"]
    assert len(fallback) == 1 and fallback[0].params["ErrorCode"] == "11200"
    # Nor is its StatusCallback there: an error for the document, a warning for the callback.
    fetch, callback = apps.notifications(number, expected=2)
    assert apps.inside.seen == []
    assert (fetch[:2], callback[:2]) == ((11200, 0), (11200, 1))
    assert "refused by the fetch policy" in fetch[4] and "refused by the fetch policy" in callback[4]
    assert callback[3].endswith("/end")


def test_the_metadata_address_with_no_fallback_gets_the_apology(apps, tmp_path):
    started = time.monotonic()
    apps.call(tmp_path, METADATA, caller([], caller_number="15552220005"))
    assert time.monotonic() - started > 5  # the apology (6.6 s) was played before the BYE
    (notification,) = apps.notifications(METADATA)
    assert notification[:4] == (11200, 0, apps.account_sid, "http://169.254.169.254/latest/meta-data/")
    assert "link-local" in notification[4]
    status = wait_for(
        lambda: [s for s in apps.app.seen if s.path == "/status" and s.params.get("To") == METADATA.lstrip("+")]
    )
    assert status and status[0].params["CallStatus"] == "completed"  # answered, to apologise


def test_a_recording_is_the_account_s_and_transcription_is_reported_as_not_done(apps, tmp_path):
    apps.call(tmp_path, RECORD, caller([("wait", 500), ("audio",)], caller_number="15552220006"))
    call_sid = call_sid_of(apps, "/record.xml")
    transcribed = wait_for(lambda: [s for s in apps.app.requests(call_sid) if s.path == "/transcribed"])
    (recorded,) = [s for s in apps.app.requests(call_sid) if s.path == "/recorded"]
    assert recorded.params["TranscriptionStatus"] == "failed" and "TranscriptionText" not in recorded.params
    assert 1 <= int(recorded.params["RecordingDuration"]) <= 3
    url = recorded.params["RecordingUrl"]
    assert transcribed[0].params["TranscriptionStatus"] == "failed"
    assert transcribed[0].params["RecordingUrl"] == url and "TranscriptionText" not in transcribed[0].params
    # The RecordingUrl is the Restcomm API's, fetched with the account's credentials.
    assert url.startswith(f"{apps.portal}/restcomm/2012-04-24/Accounts/{apps.account_sid}/Recordings/RE")
    ((sid, account_sid, duration),) = apps.rows(
        "SELECT sid, account_sid, duration FROM telephony_recording WHERE call_sid = %s", call_sid
    )
    assert url.endswith(f"/{sid}.wav") and account_sid == apps.account_sid and 1 <= duration <= 3
    ((token,),) = apps.rows("SELECT auth_token FROM telephony_telephonyaccount WHERE sid = %s", apps.account_sid)
    audio = requests.get(url, auth=(apps.account_sid, token), timeout=10)
    assert audio.status_code == 200 and audio.content[:4] == b"RIFF"
    assert requests.get(url, timeout=10).status_code == 401


def test_an_application_s_urls_on_the_portal_get_no_token(apps, tmp_path):
    """The portal is always allowed, but an application's Play of it is the application's request."""
    apps.call(tmp_path, PEEK, caller([], caller_number="15552220007"))
    (notification,) = apps.notifications(PEEK)
    assert notification[:3] == (11200, 1, apps.account_sid)  # a warning: the call went on without it
    assert notification[3].startswith(f"{apps.portal}/rcml/speech?text=secret") and "401" in notification[4]


def test_a_rejected_call_s_status_callback_hears_busy(apps, tmp_path):
    apps.call(tmp_path, BUSY, caller([], answered=False, expect_status=486, caller_number="15552220008"))
    call_sid = call_sid_of(apps, "/busy.xml")
    status = wait_for(lambda: [s for s in apps.app.requests(call_sid) if s.path == "/status"])
    assert [(s.method, s.params["CallStatus"], s.params["CallDuration"]) for s in status] == [("GET", "busy", "0")]

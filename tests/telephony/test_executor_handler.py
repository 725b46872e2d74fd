"""The executor's endpoints are served by a lean WSGI handler (portal/executor_wsgi.py: no middleware,
its own URLconf), dispatched by path in portal/wsgi.py; the rest keeps Django's whole handler. The
WSGI application is called as gunicorn calls it, and its answers are compared with Django's own
handler's for the same requests."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory

import portal.wsgi
from autoattendant.choices import ActionType, SystemStatus
from tests.telephony.rcml_support import Attendant, option

NUMBER = "+14155550100"
INACTIVE = "+14155550300"
AUTH = {"HTTP_AUTHORIZATION": f"Bearer {settings.EXECUTOR_TOKEN}"}
WRONG = {"HTTP_AUTHORIZATION": "Bearer not-the-token"}
CSRF_TOKEN = re.compile(rb'"X-CSRFToken": "[^"]*"')
COMPARED_HEADERS = ("Content-Type", "Content-Length", "X-AA-Menu", "X-AA-System", "X-AA-Refusal", "WWW-Authenticate")


@pytest.fixture(autouse=True)
def _requests_in_the_test_transaction() -> Iterator[None]:
    """As Django's test client does: the request signals must not close the test's connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def reception(tenant) -> Attendant:
    aa = Attendant.build(tenant, NUMBER)
    sub = aa.menu("Sub", [option("1", ActionType.RETURN_TO_PREVIOUS_MENU)])
    main = aa.menu("Main", [option("1", ActionType.GO_TO_MENU, sub.sid)], greeting=aa.announcement("Welcome"))
    aa.set(default_menu=main)
    aa.main, aa.sub = main, sub
    aa.publish()
    closed = Attendant.build(tenant, INACTIVE)
    closed.set(default_menu=closed.menu("Main", [option("9", ActionType.HANGUP)]), status=SystemStatus.INACTIVE)
    closed.publish()
    return aa


def call(application, request) -> tuple[int, dict[str, str], bytes]:
    answer: dict = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = int(status.split()[0]), dict(headers)

    body = b"".join(application(request.environ, start_response))
    return answer["status"], answer["headers"], body


def form(path: str, **params: str):
    return RequestFactory().post(path, urlencode(params), content_type="application/x-www-form-urlencoded", **AUTH)


def requests(reception: Attendant) -> dict[str, object]:
    factory = RequestFactory()
    base = f"/rcml/{reception.system.sid}/{reception.system.published_version}"
    params = {"CallSid": "CA1", "From": "+15555550100", "To": NUMBER[1:]}
    began = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
    record = {
        "callSid": "CA1",
        "to": NUMBER,
        "from": "+15555550100",
        "aaSystemSid": reception.system.sid,
        "outcome": "COMPLETED",
        "startTime": began.isoformat(),
        "endTime": (began + timedelta(seconds=5)).isoformat(),
        "executor": "exec-1",
    }
    return {
        "entry": form("/rcml/voice", **params),
        "entry, unknown number": form("/rcml/voice", **{**params, "To": "19995550000"}),
        "entry, inactive system": form("/rcml/voice", **{**params, "To": INACTIVE}),
        "menu": factory.get(f"{base}/menu/{reception.sub.sid}?path={reception.main.sid}.{reception.sub.sid}", **AUTH),
        "key": form(f"{base}/input/{reception.main.sid}?path={reception.main.sid}&t=0&i=0&e=0", Digits="1", **params),
        "unknown step": form(f"{base}/menu/{reception.sub.sid}?path=nonsense", **params),
        "call record, invalid": RequestFactory().post("/rcml/call", "[]", content_type="application/json", **AUTH),
        "call record": RequestFactory().post("/rcml/call", json.dumps(record), content_type="application/json", **AUTH),
        "wrong token, document": RequestFactory().post(
            "/rcml/voice", urlencode(params), content_type="application/x-www-form-urlencoded", **WRONG
        ),
        "wrong token, call record": RequestFactory().post("/rcml/call", "{}", content_type="application/json", **WRONG),
        "no such endpoint": factory.get("/rcml/nothing-here", **AUTH),
        "wrong method": RequestFactory().put("/rcml/voice", **AUTH),
    }


def test_the_lean_handler_answers_as_the_whole_one(reception):
    whole = WSGIHandler()
    again = requests(reception)  # a request's body is read once
    for name, request in requests(reception).items():
        ours = call(portal.wsgi.application, request)
        theirs = call(whole, again[name])
        assert ours[0] == theirs[0], name
        assert CSRF_TOKEN.sub(b"", ours[2]) == CSRF_TOKEN.sub(b"", theirs[2]), name  # the 404 page has a token
        for header in COMPARED_HEADERS:
            assert ours[1].get(header) == theirs[1].get(header), (name, header)
        # Nothing of the console's middleware: no CSP, no cookie.
        assert "Content-Security-Policy" in theirs[1] and "Content-Security-Policy" not in ours[1], name
        assert "Set-Cookie" not in ours[1] or ours[0] == 404, name  # the portal's 404 page has a CSRF token


def test_what_the_answers_say(reception):
    application = portal.wsgi.application
    answers = {name: call(application, request) for name, request in requests(reception).items()}
    status, headers, body = answers["entry"]
    assert status == 200 and headers["X-AA-System"] == reception.system.sid and b"<Gather" in body
    assert headers["X-AA-Menu"] == reception.main.sid
    assert answers["entry, unknown number"][0] == 404
    assert answers["entry, unknown number"][1]["X-AA-Refusal"] == "unknown-number"
    assert answers["entry, inactive system"][1]["X-AA-Refusal"] == "inactive-aa-system"
    assert answers["key"][0] == 200 and f"/menu/{reception.sub.sid}".encode() in answers["key"][2]
    assert answers["unknown step"][0] == 400
    assert answers["call record"][0] in (200, 201) and answers["call record, invalid"][0] == 400
    for name in ("wrong token, document", "wrong token, call record"):
        status, headers, body = answers[name]
        assert status == 401 and headers["WWW-Authenticate"] == "Bearer", name
    assert b"<Reject" in answers["wrong token, document"][2]
    assert json.loads(answers["wrong token, call record"][2]) == {"error": "unauthorized"}
    assert answers["no such endpoint"][0] == 404 and answers["wrong method"][0] == 405


def test_everything_else_keeps_the_whole_handler(db):
    status, headers, body = call(portal.wsgi.application, RequestFactory().get("/healthz"))
    assert status in (200, 503) and "Content-Security-Policy" in headers
    status, headers, _ = call(portal.wsgi.application, RequestFactory().get("/console/login/"))
    assert status == 200 and "Content-Security-Policy" in headers and "csrftoken" in headers.get("Set-Cookie", "")
    # `/rcml` without its slash is not an executor endpoint: the whole handler's 404.
    status, headers, _ = call(portal.wsgi.application, RequestFactory().get("/rcml", **AUTH))
    assert status == 404 and "Content-Security-Policy" in headers

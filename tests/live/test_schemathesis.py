"""Schemathesis against a real gunicorn: fuzzed input never yields a 5xx or a body outside the envelopes.

Every operation of the served schema gets bounded property-based testing (examples, coverage and
fuzzing phases, at most MAX_EXAMPLES fuzzed cases each) as the CSP admin `createcsp` made.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.live

MAX_EXAMPLES = 25
GUNICORN_REQUEST_LINE_LIMIT = 4094  # gunicorn's --limit-request-line default
SUCCESS_KEYS = {"data", "code", "message"}
ERROR_KEYS = {"errorCode", "message", "data"}


def envelope(ctx, response, case) -> bool | None:
    """Every response is JSON: `{data, code: 200, message: "OK"}`, or `{errorCode, message, data}`
    with `errors` on validation failures."""

    def fail(reason: str):
        body = response.content[:500].decode(errors="replace")
        raise AssertionError(f"Not the API's envelope: {reason} (status {response.status_code}, body: {body})")

    content_type = response.headers.get("Content-Type", response.headers.get("content-type", [""]))
    content_type = content_type[0] if isinstance(content_type, list) else content_type
    if not content_type.startswith("application/json"):
        fail(f"Content-Type is {content_type!r}")
    try:
        body = json.loads(response.content)
    except ValueError:
        fail("the body is not JSON")
    if not isinstance(body, dict):
        fail("the body is not a JSON object")
    if response.status_code < 400:
        if set(body) != SUCCESS_KEYS or body["code"] != 200 or body["message"] != "OK":
            fail("not the success envelope")
    else:
        keys = set(body)
        if not (keys == ERROR_KEYS or keys == ERROR_KEYS | {"errors"}):
            fail("not the error envelope")
        if not isinstance(body["errorCode"], str) or not body["errorCode"].isdigit():
            fail("errorCode is not a string of digits")
        if not isinstance(body["message"], str) or not body["message"]:
            fail("message is empty")
        if "errors" in keys and not isinstance(body["errors"], dict):
            fail("errors is not an object")
    return None


# The two this suite is about, and the schema's own promises: documented statuses, content types, bodies.
CHECKS = [
    not_a_server_error,
    envelope,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def live_schema(live_gunicorn):
    schema = schemathesis.openapi.from_url(f"{live_gunicorn.url}/autoattendant/schema/?format=json", timeout=30)
    schema.config.update(base_url=live_gunicorn.url, basic_auth=live_gunicorn.basic_auth, request_timeout=30)
    return schema


@pytest.fixture(autouse=True)
def _schemathesis_node_id(request):
    """schemathesis 4.32's pytest plugin reads and writes `node._nodeid`, which pytest 9.2's nodes no
    longer have (they keep `_id`); give it the attribute to work with. pytest itself ignores it."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("live_schema")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_fuzzed_requests_get_envelopes_and_no_server_errors(case, live_gunicorn):
    response = case.call()
    if response.status_code == 414:
        # gunicorn refuses a request line over its limit before the portal sees it (as a proxy in
        # front would): only a fuzzed URL that long may get this answer.
        split = urlsplit(response.request.url)
        line = f"{response.request.method} {split.path}{'?' + split.query if split.query else ''} HTTP/1.1"
        assert len(line) > GUNICORN_REQUEST_LINE_LIMIT, line
        return
    case.validate_response(response, checks=CHECKS)


def test_the_live_server_is_the_real_thing(live_gunicorn):
    """The fuzzing above talks to gunicorn with working credentials, and the server logged no tracebacks."""
    auth = live_gunicorn.basic_auth
    response = requests.get(f"{live_gunicorn.url}/autoattendant/enterprise/search", auth=auth, timeout=10)
    assert response.status_code == 200 and set(response.json()) == SUCCESS_KEYS
    response = requests.get(f"{live_gunicorn.url}/autoattendant/enterprise/search", auth=(auth[0], "wrong"), timeout=10)
    assert response.status_code == 401 and response.json()["errorCode"] == "401"
    response = requests.get(f"{live_gunicorn.url}/autoattendant/no/such/route", timeout=10)
    assert response.status_code == 404 and response.json()["errorCode"] == "404"
    assert "Traceback" not in live_gunicorn.log_tail(200_000), live_gunicorn.log_tail()

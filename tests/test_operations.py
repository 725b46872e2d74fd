"""Operations: the `createcsp` command and `/healthz` with a real Celery worker."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from autoattendant.api.authentication import sign
from autoattendant.models import HmacKey, Organisation, User
from portal.celery import app as celery_app
from telephony.rcml import cache as rcml_cache
from tests.celery_worker import ping, running_worker

BASE_DIR = Path(__file__).resolve().parent.parent
CELERY = BASE_DIR / ".venv" / "bin" / "celery"


def createcsp(*args: str) -> str:
    out = io.StringIO()
    call_command("createcsp", *args, stdout=out)
    return out.getvalue()


def basic(username: str, secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{username}:{secret}".encode()).decode()}


# createcsp


def test_createcsp_json_prints_one_object_whose_credentials_work(db):
    output = createcsp("--name", "Initech", "--email", "ops@initech.test", "--json")
    assert output.count("\n") == 1 and output.endswith("\n")
    result = json.loads(output)
    assert set(result) == {
        "organisationSid",
        "userSid",
        "emailId",
        "authToken",
        "hmacKeySid",
        "hmacKey",
        "accountSid",
        "accountAuthToken",
    }
    assert result["emailId"] == "ops@initech.test"
    assert result["organisationSid"].startswith("OR") and len(result["organisationSid"]) == 34
    assert result["userSid"].startswith("RCS") and len(result["userSid"]) == 35
    assert result["hmacKeySid"].startswith("OHK") and len(result["hmacKeySid"]) == 35

    user = User.objects.get(sid=result["userSid"])
    assert user.role == "CSP_ADMIN" and user.organisation.sid == result["organisationSid"]
    assert Organisation.objects.get(sid=result["organisationSid"]).name == "Initech"
    assert result["authToken"] not in user.auth_token_hash  # stored hashed
    assert not user.has_usable_password()  # no --password: token only
    assert HmacKey.objects.get(sid=result["hmacKeySid"]).organisation == user.organisation

    # The token authenticates, with the user's SID or email.
    for username in (result["userSid"], result["emailId"]):
        response = APIClient().get("/autoattendant/enterprise/search", **basic(username, result["authToken"]))
        assert response.status_code == 200, response.content
        assert response.json()["data"]["total"] == 0
    response = APIClient().get("/autoattendant/hmac/search", **basic(result["userSid"], result["authToken"]))
    assert [item["sid"] for item in response.json()["data"]["result"]] == [result["hmacKeySid"]]
    # A wrong token does not.
    assert (
        APIClient()
        .get("/autoattendant/enterprise/search", **basic(result["userSid"], "x" + result["authToken"][1:]))
        .status_code
        == 401
    )
    # The telephony account's credentials sign in to the Restcomm API, by SID or by the CSP's email.
    assert result["accountSid"].startswith("AC") and len(result["accountSid"]) == 34
    for username in (result["accountSid"], result["emailId"]):
        response = APIClient().get(
            f"/restcomm/2012-04-24/Accounts/{result['accountSid']}.json", **basic(username, result["accountAuthToken"])
        )
        assert response.status_code == 200, response.content
        assert response.json()["friendly_name"] == "Initech"
    # And the HMAC key signs requests.
    path, stamp = "/autoattendant/enterprise/search", str(int(time.time()))
    response = APIClient().get(
        path,
        HTTP_X_AA_KEY_SID=result["hmacKeySid"],
        HTTP_X_AA_TIMESTAMP=stamp,
        HTTP_X_AA_SIGNATURE=sign(result["hmacKey"], stamp, "GET", path, b""),
    )
    assert response.status_code == 200, response.content


def test_createcsp_with_password_allows_password_login(db):
    result = json.loads(
        createcsp("--name", "Hooli", "--email", "ops@hooli.test", "--password", "long-enough-1", "--json")
    )
    assert User.objects.get(sid=result["userSid"]).check_password("long-enough-1")
    signed_in = Client().post("/console/login/", {"username": "ops@hooli.test", "password": "long-enough-1"})
    assert signed_in.status_code == 302 and signed_in["Location"] == "/console/"
    # The password is the console's; the API takes the printed token.
    response = APIClient().get("/autoattendant/enterprise/search", **basic("ops@hooli.test", "long-enough-1"))
    assert response.status_code == 401


def test_createcsp_without_json_prints_lines(db):
    output = createcsp("--name", "Plain", "--email", "ops@plain.test")
    assert "authToken: " in output and "hmacKey: " in output
    with pytest.raises(json.JSONDecodeError):
        json.loads(output)


@pytest.mark.parametrize("email", ["ops@dupe.test", "OPS@Dupe.TEST"])
def test_createcsp_duplicate_email_fails(db, email):
    createcsp("--name", "First", "--email", "ops@dupe.test", "--json")
    with pytest.raises(CommandError, match="484"):
        createcsp("--name", "Second", "--email", email, "--json")
    assert Organisation.objects.filter(name="Second").count() == 0
    assert User.objects.filter(email_id__iexact="ops@dupe.test").count() == 1


@pytest.mark.parametrize("name", ["Dupe Telecom", "DUPE telecom"])
def test_createcsp_duplicate_organisation_name_says_so(db, name):
    createcsp("--name", "Dupe Telecom", "--email", "ops@dupe.test", "--json")
    with pytest.raises(CommandError) as refused:
        createcsp("--name", name, "--email", "other@dupe.test", "--json")
    assert str(refused.value) == f"537 Organisation name not unique (name {name})"
    assert Organisation.objects.filter(name__iexact="dupe telecom").count() == 1
    assert not User.objects.filter(email_id="other@dupe.test").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["--name", "Bad", "--email", "not-an-email"],
        ["--name", "Bad", "--email", "ops@bad.test", "--password", "short"],
    ],
)
def test_createcsp_rejects_bad_input(db, args):
    with pytest.raises(CommandError):
        createcsp(*args, "--json")
    assert not Organisation.objects.filter(name="Bad").exists()


# /healthz


@pytest.fixture
def celery_worker(tmp_path):
    """A real Celery worker (solo pool) on this test run's Redis, stopped at teardown."""
    with running_worker("healthz", tmp_path / "worker.log") as name:
        yield name


def csp_admin_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_healthz_without_a_worker_is_503(db, tenant):
    assert not ping(timeout=1.0), "a Celery worker is running on this Redis database"
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "degraded",
        "checks": {"database": {"ok": True}, "redis": {"ok": True}, "celery": {"ok": False}},
    }, "an anonymous caller gets a status per part, no error text"
    celery = csp_admin_client(tenant.csp_admin).get("/healthz").json()["checks"]["celery"]
    assert celery["ok"] is False and "no Celery worker" in celery["error"]


def test_healthz_with_a_real_worker_is_200(db, celery_worker, tenant):
    response = Client().get("/healthz")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "status": "ok",
        "checks": {name: {"ok": True} for name in ("database", "redis", "celery")},
    }
    body = csp_admin_client(tenant.csp_admin).get("/healthz").json()
    assert all(check["ok"] is True for check in body["checks"].values()), body
    assert celery_worker in body["checks"]["celery"]["workers"]
    assert body["checks"]["celery"]["latencyMs"] >= 0


def test_healthz_details_are_for_csp_admins_only(db, tenant):
    """An enterprise admin signed in to the console is no operator of the portal."""
    body = csp_admin_client(tenant.bg_admin).get("/healthz").json()
    assert all(set(check) == {"ok"} for check in body["checks"].values()), body


def test_healthz_notices_a_worker_that_stopped(db, celery_worker, request):
    assert Client().get("/healthz").status_code == 200
    # Stop it through Celery's own control channel, as an operator would.
    celery_app.control.shutdown(destination=[celery_worker])
    deadline = time.monotonic() + 30
    while ping(celery_worker) and time.monotonic() < deadline:
        time.sleep(0.3)
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["celery"]["ok"] is False


@contextlib.contextmanager
def redis_paused(seconds: float) -> Iterator[None]:
    """Redis holds every client's commands for `seconds` (CLIENT PAUSE), as a stopped server would;
    the test waits until it answers again, so that the next test finds it serving."""
    admin = redis.Redis.from_url(os.environ["REDIS_URL"])
    admin.execute_command("CLIENT", "PAUSE", int(seconds * 1000), "ALL")
    until = time.monotonic() + seconds
    try:
        yield
    finally:
        time.sleep(max(0.0, until - time.monotonic()))
        admin.ping()
        admin.close()


def test_healthz_answers_in_time_while_redis_is_paused(db, tenant):
    """Before: every request waited 5 s on redis-py's default timeout, with the error text for anyone."""
    with redis_paused(4):
        started = time.monotonic()
        response = Client().get("/healthz")
        took = time.monotonic() - started
    assert took < 2.5, f"/healthz took {took:.1f} s"  # its own limit is 2 s
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": {"ok": True}, "redis": {"ok": False}, "celery": {"ok": False}}


def test_call_routes_come_from_the_database_while_redis_is_paused(db):
    """The call path reads PostgreSQL when Redis does not answer, and does not wait on it for each step."""
    try:
        with redis_paused(4):
            timings = []
            for _ in range(3):
                started = time.monotonic()
                assert rcml_cache.entry("+15550000000") is None  # no such number: read from PostgreSQL
                timings.append(time.monotonic() - started)
    finally:
        rcml_cache._redis_skip_until = 0.0
    assert timings[0] < 1.5, timings  # portal.cache's timeout (and one retry), not redis-py's 5 s
    assert max(timings[1:]) < 0.2, timings  # then Redis is left alone for a while


def test_healthz_answers_only_get(db):
    response = Client().post("/healthz")
    assert response.status_code == 405


def test_beat_sends_the_periodic_tasks_and_stops_cleanly_on_sigterm(db):
    """`manage.py run_beat` (supervisord's and systemd's beat) sends the periodic tasks, and SIGTERM
    stops it between two ticks with exit status 0, never by a crash mid-tick."""
    import signal
    import subprocess
    import sys

    base = os.environ["REDIS_URL"].rsplit("/", 1)[0]
    broker = f"{base}/14"  # a broker of its own: the tasks stay queued, where they can be counted
    queue = redis.Redis.from_url(broker)
    queue.flushdb()
    env = {**os.environ, "CELERY_BROKER_URL": broker, "CELERY_RESULT_BACKEND": broker}
    beat = subprocess.Popen(
        [sys.executable, "manage.py", "run_beat"],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while queue.llen("default") < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        sent = [json.loads(message)["headers"]["task"] for message in queue.lrange("default", 0, -1)]
        assert "autoattendant.store_queued_calls" in sent, sent
    finally:
        beat.send_signal(signal.SIGTERM)
        output, _ = beat.communicate(timeout=15)
        queue.flushdb()
    assert beat.returncode == 0, output
    assert "beat: stopped" in output, output

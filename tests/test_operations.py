"""Operations: the `createcsp` command and `/healthz` with a real Celery worker."""

from __future__ import annotations

import base64
import io
import json
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from autoattendant.api.authentication import sign
from autoattendant.models import HmacKey, Organisation, User
from portal.celery import app as celery_app
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
    assert set(result) == {"organisationSid", "userSid", "emailId", "authToken", "hmacKeySid", "hmacKey"}
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


def test_healthz_without_a_worker_is_503(db):
    assert not ping(timeout=1.0), "a Celery worker is running on this Redis database"
    response = Client().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is True
    celery = body["checks"]["celery"]
    assert celery["ok"] is False and "no Celery worker" in celery["error"]


def test_healthz_with_a_real_worker_is_200(db, celery_worker):
    response = Client().get("/healthz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert all(check["ok"] is True for check in body["checks"].values()), body
    assert celery_worker in body["checks"]["celery"]["workers"]
    assert body["checks"]["celery"]["latencyMs"] >= 0


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


def test_healthz_answers_only_get(db):
    response = Client().post("/healthz")
    assert response.status_code == 405

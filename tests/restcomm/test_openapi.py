"""The Restcomm API's OpenAPI document, served beside the CSP API's, valid and complete."""

from __future__ import annotations

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

PREFIX = "/restcomm/2012-04-24/Accounts"


@pytest.fixture
def schema(client) -> dict:
    GENERATOR_STATS.reset()
    response = client.get("/restcomm/schema/", {"format": "json"})
    assert response.status_code == 200, response.content
    assert not GENERATOR_STATS._warn_cache and not GENERATOR_STATS._error_cache, (
        GENERATOR_STATS._warn_cache,
        GENERATOR_STATS._error_cache,
    )
    return response.json()


def test_the_restcomm_document_validates_and_lists_the_resources(schema):
    validate_schema(schema)
    assert schema["info"]["title"] == "Restcomm REST API"
    paths = set(schema["paths"])
    for expected in (
        "/restcomm/2012-04-24/Accounts",
        f"{PREFIX}/{{account_sid}}",
        f"{PREFIX}/{{account_sid}}/Recordings",
        f"{PREFIX}/{{account_sid}}/Notifications",
        f"{PREFIX}/{{account_sid}}/SMS/Messages",
        f"{PREFIX}/{{account_sid}}/Transcriptions",
    ):
        assert expected in paths, sorted(paths)
    assert not [path for path in paths if path.endswith((".json", "/"))]
    # Creating a sub-account: its form parameters, EmailAddress and Password required.
    body = schema["paths"]["/restcomm/2012-04-24/Accounts"]["post"]["requestBody"]
    form = body["content"]["application/x-www-form-urlencoded"]["schema"]
    assert {"EmailAddress", "Password"} <= set(form["required"])
    listing = schema["paths"]["/restcomm/2012-04-24/Accounts"]["get"]
    assert {"Page", "PageSize", "AfterSid"} <= {parameter["name"] for parameter in listing["parameters"]}


def test_the_csp_api_document_does_not_mix_them_in_and_points_at_it(client):
    document = client.get("/autoattendant/schema/", {"format": "json"}).json()
    assert not [path for path in document["paths"] if not path.startswith("/autoattendant/")]
    assert "/restcomm/docs/" in document["info"]["description"]
    docs = client.get("/restcomm/docs/")
    assert docs.status_code == 200 and b"/restcomm/schema/" in docs.content

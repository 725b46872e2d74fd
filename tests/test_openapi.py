"""The OpenAPI schema: valid, served, complete about coded errors; interactive docs that work offline."""

from __future__ import annotations

import io
import json
import re
from html.parser import HTMLParser

import jsonschema
import pytest
import yaml
from django.core.management import call_command
from django.test import Client, override_settings
from drf_spectacular.generators import EndpointEnumerator

from autoattendant.api.schema import COMMON_ERRORS, only_canonical_paths
from tests.conftest import Api

RESOURCES = {
    "enterprise",
    "user",
    "phonenumber",
    "system",
    "hmac",
    "menu",
    "schedule",
    "announcement",
    "voicemail",
    "call",
}
# Five operations per resource, less those some do not have: hmac has no PUT (a key is rotated by
# POST), voicemail neither POST nor PUT (calls leave messages; admins read and delete them).
MISSING_OPERATIONS = 1 + 2 + 3  # and call records are only read (the executor posts them elsewhere)
# Operations beyond the five of the resource shape: which menu answers an AA system when.
SYSTEM_READS = {("/autoattendant/system/{sid}/activeMenu", "get"), ("/autoattendant/system/{sid}/timeline", "get")}
# And the call simulator: a POST, but it changes nothing either.
SYSTEM_READS |= {("/autoattendant/system/{sid}/simulate", "post")}
# And an announcement's audio: the WAV itself on success, enveloped errors.
# And a voicemail message's recording, the same way.
AUDIO_DOWNLOADS = {
    ("/autoattendant/announcement/{sid}/audio.wav", "get"),
    ("/autoattendant/voicemail/{sid}/audio.wav", "get"),
}
SYSTEM_READS |= AUDIO_DOWNLOADS
# And extensions' registration status: read one or many, drop all or one.
SYSTEM_READS |= {
    ("/autoattendant/phonenumber/registration", "get"),
    ("/autoattendant/phonenumber/{sid}/registration", "get"),
    ("/autoattendant/phonenumber/{sid}/registration", "delete"),
    ("/autoattendant/phonenumber/{sid}/registration/{registrationSid}", "delete"),
}


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    """What `manage.py spectacular --validate --fail-on-warn` writes; it raises on any warning
    or on a schema that does not validate."""
    out = io.StringIO()
    with django_db_blocker.unblock():
        call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", stdout=out)
    return json.loads(out.getvalue())


def test_schema_validates_without_warnings(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Auto Attendant Portal API"
    operations = {(path, method) for path, item in schema["paths"].items() for method in item}
    # Five actions per resource, hmac has no PUT; and the system's schedule reads.
    assert len(operations) == 5 * len(RESOURCES) - MISSING_OPERATIONS + len(SYSTEM_READS)
    assert SYSTEM_READS <= operations
    # Each operation once: no trailing-slash twins, no /phoneNumber alias.
    assert not [path for path in schema["paths"] if path.endswith("/") or "phoneNumber" in path]
    assert {path.split("/")[2] for path in schema["paths"]} == RESOURCES


def test_every_operation_is_secured_and_enveloped(schema):
    assert set(schema["components"]["securitySchemes"]) == {"basicAuth", "hmacSignature"}
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            assert operation["security"] == [{"basicAuth": []}, {"hmacSignature": []}], (path, method)
            success = [status for status in operation["responses"] if status.startswith("2")]
            assert success, (path, method)
            for status in success:
                if (path, method) in AUDIO_DOWNLOADS:
                    assert set(operation["responses"][status]["content"]) == {"audio/wav"}, (path, status)
                    continue
                body = operation["responses"][status]["content"]["application/json"]["schema"]
                assert set(body["required"]) == {"data", "code", "message"}, (path, method)
            for status, response in operation["responses"].items():
                if status.startswith("2"):
                    continue
                body = response["content"]["application/json"]["schema"]
                assert set(body["required"]) == {"errorCode", "message", "data"}, (path, method, status)
                codes = body["properties"]["errorCode"]["enum"]
                assert codes and all(isinstance(code, str) for code in codes)


def canonical_endpoints() -> list[tuple[str, str, type, str]]:
    """(path, method, view class, action) of every route the schema should describe."""
    endpoints = only_canonical_paths(EndpointEnumerator().get_api_endpoints())
    out = []
    for path, _regex, method, callback in endpoints:
        if not hasattr(callback, "actions"):
            continue  # the schema and docs views themselves
        out.append((path, method.lower(), callback.cls, callback.actions[method.lower()]))
    return out


def test_every_operation_documents_the_codes_its_view_declares(schema):
    endpoints = canonical_endpoints()
    assert len(endpoints) == 5 * len(RESOURCES) - MISSING_OPERATIONS + len(SYSTEM_READS)
    for path, method, view, action in endpoints:
        operation = schema["paths"][path][method]
        declared = [*view.error_codes.get(action, []), *COMMON_ERRORS]
        for error_code in declared:
            response = operation["responses"].get(str(error_code.http_status))
            assert response is not None, (path, method, error_code)
            enum = response["content"]["application/json"]["schema"]["properties"]["errorCode"]["enum"]
            assert str(error_code.code) in enum, (path, method, error_code.code, enum)
            assert f"{error_code.code}: {error_code.message}" in response["description"]
        # And nothing undeclared: every documented code is one the view declares (or a common one).
        declared_numbers = {str(code.code) for code in declared}
        for status, response in operation["responses"].items():
            if status.startswith("2"):
                continue
            enum = response["content"]["application/json"]["schema"]["properties"]["errorCode"]["enum"]
            assert set(enum) <= declared_numbers, (path, method, status, enum)


def test_single_object_operations_document_their_not_found_code(schema):
    not_found = {
        "enterprise": "467",
        "user": "487",
        "phonenumber": "491",
        "system": "490",
        "hmac": "458",
        "menu": "517",
        "schedule": "526",
        "announcement": "516",
        "voicemail": "534",
    }
    for resource, code in not_found.items():
        operations = [("/autoattendant/{r}/search/{{sid}}", "get"), ("/autoattendant/{r}/{{sid}}", "delete")]
        if resource not in ("hmac", "voicemail"):
            operations.append(("/autoattendant/{r}/{{sid}}", "put"))
        for template, method in operations:
            path = template.format(r=resource)
            enum = schema["paths"][path][method]["responses"]["409"]["content"]["application/json"]["schema"][
                "properties"
            ]["errorCode"]["enum"]
            assert code in enum, (path, method)


def test_hmac_create_documents_creation_and_rotation(schema):
    responses = schema["paths"]["/autoattendant/hmac"]["post"]["responses"]
    assert {"200", "201"} <= set(responses)


def test_list_operations_document_paging_and_sorting(schema):
    for resource in RESOURCES:
        operation = schema["paths"][f"/autoattendant/{resource}/search"]["get"]
        names = {parameter["name"] for parameter in operation["parameters"]}
        assert {"page", "pageSize", "SortBy", "startTime", "endTime"} <= names, (resource, names)
        data = operation["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["data"]
        assert {"result", "total", "page", "pageSize", "numPages", "firstPageUri", "uri"} <= set(data["properties"])


def as_json_schema(node):
    """OpenAPI 3.0's schema dialect as JSON Schema: `nullable: true` becomes a `null` type."""
    if isinstance(node, list):
        return [as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: as_json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def response_validator(schema: dict, path: str, method: str, status: int):
    responses = schema["paths"][path][method]["responses"]
    body = responses[str(status)]["content"]["application/json"]["schema"]
    root = {**as_json_schema(body), "components": as_json_schema(schema["components"])}
    return jsonschema.Draft202012Validator(root, format_checker=jsonschema.FormatChecker())


def test_real_responses_match_the_documented_schemas(schema, tenant):
    """What the views answer is what the schema says they answer, successes and errors alike."""
    from autoattendant.services.phone_numbers import create_phone_number
    from autoattendant.services.systems import create_system

    actor = tenant.csp_admin
    number = create_phone_number(actor, number="+15550300001", enterprise_sid=tenant.enterprise.sid)
    extension = create_phone_number(
        actor, number="+15550300101", enterprise_sid=tenant.enterprise.sid, is_extension=True, extension="101"
    )
    system = create_system(
        actor,
        name="Reception",
        enterprise_sid=tenant.enterprise.sid,
        aa_number_sids=[number.sid],
        extension_sids=[extension.sid],
    )
    sids = {
        "enterprise": tenant.enterprise.sid,
        "user": tenant.aa_admin.sid,
        "phonenumber": number.sid,
        "system": system.sid,
        "hmac": tenant.hmac_key.sid,
    }
    api = tenant.csp
    checked = 0
    for resource, sid in sids.items():
        calls = [
            ("/autoattendant/{r}/search", "get", api.get(f"/autoattendant/{resource}/search")),
            ("/autoattendant/{r}/search/{{sid}}", "get", api.get(f"/autoattendant/{resource}/search/{sid}")),
            (
                "/autoattendant/{r}/search/{{sid}}",
                "get",
                api.get(f"/autoattendant/{resource}/search/XX{sid}"),
            ),
            (
                "/autoattendant/{r}/search",
                "get",
                api.get(f"/autoattendant/{resource}/search", {"page": "-1"}),
            ),
            ("/autoattendant/{r}/search", "get", Api().get(f"/autoattendant/{resource}/search")),
            ("/autoattendant/{r}", "post", tenant.aa.post(f"/autoattendant/{resource}", {})),
        ]
        if resource != "hmac":
            calls.append(("/autoattendant/{r}/{{sid}}", "put", api.put(f"/autoattendant/{resource}/{sid}", {})))
            calls.append(("/autoattendant/{r}", "post", api.post(f"/autoattendant/{resource}", {})))
        else:
            calls.append(("/autoattendant/{r}", "post", api.post("/autoattendant/hmac")))
        for template, method, response in calls:
            path = template.format(r=resource)
            validator = response_validator(schema, path, method, response.status_code)
            errors = [error.message for error in validator.iter_errors(response.json())]
            assert not errors, (method, path, response.status_code, errors, response.json())
            checked += 1
    assert checked == 4 * 8 + 7  # hmac has no PUT


def test_timestamps_are_described_as_the_reference_writes_them(schema):
    """`2020-01-27T11:14:10+0000` is not RFC 3339 (`date-time` wants `+00:00`): a pattern describes it."""
    found = 0
    for name, component in schema["components"]["schemas"].items():
        for field in ("dateCreated", "dateUpdated"):
            prop = component.get("properties", {}).get(field)
            if prop is None:
                continue
            found += 1
            assert prop.get("format") != "date-time", (name, field, prop)
            assert re.match(prop["pattern"], "2020-01-27T11:14:10+0000"), (name, field, prop)
            assert not re.match(prop["pattern"], "2020-01-27T11:14:10+00:00"), (name, field, prop)
    assert found >= 2 * len(RESOURCES) - 2  # voicemail messages and call records are never updated: no dateUpdated


def test_schema_is_served(db, schema):
    client = Client()
    response = client.get("/autoattendant/schema/")
    assert response.status_code == 200
    assert "openapi" in response["Content-Type"] or "yaml" in response["Content-Type"]
    served = yaml.safe_load(response.content)
    assert served["paths"].keys() == schema["paths"].keys()
    response = client.get("/autoattendant/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert json.loads(response.content)["paths"].keys() == schema["paths"].keys()
    # Anonymous, and the same with credentials that are wrong: the schema is public.
    response = client.get("/autoattendant/schema/?format=json", HTTP_AUTHORIZATION="Basic Zm9vOmJhcg==")
    assert response.status_code == 200


class AssetParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.assets: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.assets.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.assets.append(attrs["href"])
        if tag == "img" and attrs.get("src"):
            self.assets.append(attrs["src"])


@pytest.fixture(scope="module")
def collected_static(tmp_path_factory):
    """Static files as `make run` serves them: collected into STATIC_ROOT, served by WhiteNoise."""
    root = tmp_path_factory.mktemp("static")
    with override_settings(STATIC_ROOT=root):
        call_command("collectstatic", "--noinput", "-v", "0")
        yield root


@pytest.mark.parametrize(
    "page,expected",
    [
        (
            "/autoattendant/docs/",
            ["swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"],
        ),
        ("/autoattendant/redoc/", ["redoc.standalone.js"]),
    ],
)
def test_docs_work_offline(db, collected_static, page, expected):
    client = Client()  # a new client: WhiteNoise reads STATIC_ROOT when its middleware starts
    response = client.get(page)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    # Nothing fetched from elsewhere: no http(s):// or protocol-relative URL anywhere in the page.
    assert not re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, flags=re.IGNORECASE), html
    parser = AssetParser()
    parser.feed(html)
    for name in expected:
        assert any(asset.endswith(name) for asset in parser.assets), (name, parser.assets)
    for asset in parser.assets:
        assert asset.startswith("/static/"), asset
        static = client.get(asset)
        assert static.status_code == 200, asset
        content = b"".join(static.streaming_content) if static.streaming else static.content
        assert len(content) > (1000 if asset.endswith((".js", ".css")) else 0), asset
    assert "/autoattendant/schema/" in html


def test_swagger_ui_does_not_call_the_online_validator(db):
    html = Client().get("/autoattendant/docs/").content.decode()
    assert '"validatorUrl": null' in html

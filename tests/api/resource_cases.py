"""The cases every /autoattendant resource answers alike, written once (NetBox's `utilities/testing/api.py`).

A resource's test class inherits the case classes for the actions it has and declares what is its own:

- `path` (the canonical `/autoattendant/<resource>`), `prefix` (of its SIDs), `model`, `fields` (the keys
  of its data, exactly), `not_found_code` and `not_found_message`;
- `creators`: the roles that may create; the first one makes the objects the cases work on;
- `refused`: `{action: {role: code}}`, the roles an action ("create", "read", "update", "delete") is
  refused to and the documented code: 403, or the not-found code where the object is out of the role's
  sight. Anonymous callers are refused everything with 401 without saying so;
- `owner(tenant)`: what a new object needs (the AA system of a menu), and `create_body(owner, index)`:
  a valid body whose `sort_field` grows with `index` (up to 3); `echoed`: body keys read back unchanged;
  `filter_field`: a search parameter that finds its field's value by any part, in any case;
- `update_data`: a body the creator's update accepts, read back unchanged.
"""

from __future__ import annotations

import datetime
import math
import re
import uuid
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from autoattendant.models import AuditEntry, User
from tests.conftest import Api, Tenant, assert_error, assert_ok
from tests.test_openapi import response_validator

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0000$")
PAGE_FIELDS = {"result", "pageSize", "total", "page", "numPages", "start", "end", "firstPageUri", "uri"}
LONG_AGO = datetime.datetime(2020, 1, 27, 11, 14, 10, tzinfo=datetime.UTC)


def assert_documented(schema: dict, calls: list[tuple[str, str, Any]]) -> set[int]:
    """Each (path template, method, response) answered what the OpenAPI schema documents for its status;
    the statuses seen, for the caller to check it saw the ones it meant to."""
    for template, method, response in calls:
        validator = response_validator(schema, template, method, response.status_code)
        errors = [error.message for error in validator.iter_errors(response.json())]
        assert not errors, (method, template, response.status_code, errors, response.json())
    return {response.status_code for _, _, response in calls}


def api_of(tenant: Tenant, role: str) -> Api:
    """The tenant's user of that role ("csp", "bg", "aa"), or nobody ("anonymous")."""
    return Api() if role == "anonymous" else getattr(tenant, role)


def user_of(tenant: Tenant, role: str) -> User:
    return {"csp": tenant.csp_admin, "bg": tenant.bg_admin, "aa": tenant.aa_admin}[role]


class ResourceCases:
    """What the case classes share: the resource's declarations and the helpers that use them."""

    path: ClassVar[str]
    prefix: ClassVar[str]
    model: ClassVar[type[models.Model]]
    fields: ClassVar[set[str]]
    not_found_code: ClassVar[int]
    not_found_message: ClassVar[str]
    creators: ClassVar[tuple[str, ...]] = ("csp",)
    refused: ClassVar[dict[str, dict[str, int]]] = {}
    echoed: ClassVar[tuple[str, ...]] = ()
    sort_field: ClassVar[str] = "name"
    filter_field: ClassVar[str] = "name"
    update_data: ClassVar[dict] = {}

    def owner(self, tenant: Tenant) -> Any:
        return None

    def create_body(self, owner: Any, index: int) -> dict:
        raise NotImplementedError

    # Paths and helpers.

    @property
    def search(self) -> str:
        return f"{self.path}/search"

    def make(self, tenant: Tenant, owner: Any = None, index: int = 0, role: str | None = None) -> dict:
        """A new object of the tenant's, through the API, as the creator sees it."""
        if owner is None:
            owner = self.owner(tenant)
        api = api_of(tenant, role or self.creators[0])
        return assert_ok(api.post(self.path, self.create_body(owner, index)), 201)

    def read(self, tenant: Tenant, sid: str) -> dict:
        return assert_ok(api_of(tenant, self.creators[0]).get(f"{self.search}/{sid}"))

    def listed(self, api: Api, **params) -> list[str]:
        return [row["sid"] for row in assert_ok(api.get(self.search, {"pageSize": 1000, **params}))["result"]]

    def missing_sid(self) -> str:
        return self.prefix + uuid.uuid4().hex

    def missing_sids(self) -> list[str]:
        """A SID of nothing, and SIDs that could be of nothing: the prefix alone, and not a SID at all."""
        return [self.missing_sid(), self.prefix, "nonsense"]

    def nul_sids(self) -> list[str]:
        """SIDs with a NUL byte, as a URL carries them: not found like any other, never a database error."""
        return [f"{self.prefix}%00", f"{self.missing_sid()[:-2]}%00"]

    def assert_shape(self, data: dict, actor: User | None = None) -> None:
        assert set(data) == self.fields, set(data) ^ self.fields
        assert re.fullmatch(rf"{self.prefix}[0-9a-f]{{32}}", data["sid"]), data["sid"]
        assert data["uri"] == f"{self.search}/{data['sid']}"
        assert TIMESTAMP.match(data["dateCreated"]) and TIMESTAMP.match(data["dateUpdated"]), data
        assert data["dateUpdated"] >= data["dateCreated"]
        if actor is not None:
            assert data["accountEmail"] == actor.email_id

    def assert_not_found(self, response, sid: str | None) -> None:
        """Answered like a missing object: the resource's code and message, naming the SID and nothing else."""
        error = assert_error(response, self.not_found_code)
        assert error["message"] == self.not_found_message
        if sid is not None:
            assert error["data"] == {"sid": sid}

    def assert_refused(self, response, code: int, sid: str | None = None) -> None:
        if code == self.not_found_code:
            self.assert_not_found(response, sid)
        else:
            assert_error(response, code)

    def roles_that_look(self, action: str) -> list[str]:
        """The roles that get as far as looking the object up (the others are refused it whatever the SID)."""
        return [role for role in ("csp", "bg", "aa") if self.refused.get(action, {}).get(role) != 403]

    def refusals(self, action: str) -> dict[str, int]:
        return {"anonymous": 401, **self.refused.get(action, {})}

    def audit(self, sid: str, action: str) -> AuditEntry:
        return AuditEntry.objects.get(object_sid=sid, action=action)


class ReadCases(ResourceCases):
    """GET .../search/{sid} and GET .../search: one object, a page, time filters, tenancy, roles, schema."""

    def test_get_by_sid(self, tenant):
        made = self.make(tenant)
        data = assert_ok(api_of(tenant, self.creators[0]).get(f"{self.search}/{made['sid']}"))
        self.assert_shape(data)
        assert data == made

    def test_missing_or_malformed_sid_is_not_found(self, tenant):
        api = api_of(tenant, self.creators[0])
        for sid in self.missing_sids():
            self.assert_not_found(api.get(f"{self.search}/{sid}"), sid)
        for sid in self.nul_sids():
            self.assert_not_found(api.get(f"{self.search}/{sid}"), None)

    def test_another_tenants_object_is_answered_like_a_missing_one(self, tenant, other_tenant):
        theirs = self.make(other_tenant)
        for role in self.roles_that_look("read"):
            api = api_of(tenant, role)
            self.assert_not_found(api.get(f"{self.search}/{theirs['sid']}"), theirs["sid"])
            assert theirs["sid"] not in self.listed(api)
        assert self.read(other_tenant, theirs["sid"]) == theirs

    def test_roles_on_read(self, tenant):
        made = self.make(tenant)
        refused = self.refusals("read")
        for role, code in refused.items():
            api = api_of(tenant, role)
            self.assert_refused(api.get(f"{self.search}/{made['sid']}"), code, made["sid"])
            if code == self.not_found_code:
                assert made["sid"] not in self.listed(api)
            else:
                assert_error(api.get(self.search), code)
        for role in {"csp", "bg", "aa"} - set(refused):
            api = api_of(tenant, role)
            assert assert_ok(api.get(f"{self.search}/{made['sid']}")) == made
            assert made["sid"] in self.listed(api)

    def test_search_answers_a_page(self, tenant):
        made = self.make(tenant)
        data = assert_ok(api_of(tenant, self.creators[0]).get(self.search))
        assert PAGE_FIELDS <= set(data)
        assert (data["page"], data["pageSize"], data["total"]) == (0, 10, len(data["result"]))
        assert (data["numPages"], data["start"], data["end"]) == (1, 0, data["total"] - 1)
        assert data["firstPageUri"] == data["uri"] == f"{self.search}/?pageSize=10&page=0"
        rows = {row["sid"]: row for row in data["result"]}
        assert rows[made["sid"]] == made
        for row in data["result"]:
            self.assert_shape(row)

    def test_start_and_end_time_filter_the_creation_time_inclusively(self, tenant):
        made = self.make(tenant)
        self.model.objects.filter(sid=made["sid"]).update(
            date_created=datetime.datetime(2020, 1, 2, 10, 0, tzinfo=datetime.UTC)
        )
        api = api_of(tenant, self.creators[0])
        assert made["sid"] in self.listed(api, startTime="2020-01-02", endTime="2020-01-02")
        assert made["sid"] in self.listed(api, startTime="2020-01-02T10:00:00", endTime="2020-01-02T10:00:00+0000")
        assert made["sid"] not in self.listed(api, startTime="2020-01-03")
        assert made["sid"] not in self.listed(api, endTime="2020-01-01")
        assert made["sid"] not in self.listed(api, startTime="2020-01-02T10:00:01")
        for field, value in (("startTime", "yesterday"), ("endTime", "2020-02-30")):
            assert field in assert_error(api.get(self.search, {field: value}), 400)["errors"]

    def test_sort_by_an_unknown_field_is_400(self, tenant):
        api = api_of(tenant, self.creators[0])
        for value in ("password", f"{self.sort_field}:sideways"):
            assert "SortBy" in assert_error(api.get(self.search, {"SortBy": value}), 400)["errors"]

    def test_responses_match_the_schema(self, tenant, openapi_schema):
        """What the resource answers, successes and errors, is what the OpenAPI schema documents."""
        api = api_of(tenant, self.creators[0])
        made = self.make(tenant)
        single = f"{self.path}/search/{{sid}}"
        calls = [
            (f"{self.path}/search", "get", api.get(self.search)),
            (f"{self.path}/search", "get", api.get(self.search, {"pageSize": "0"})),
            (f"{self.path}/search", "get", Api().get(self.search)),
            (single, "get", api.get(f"{self.search}/{made['sid']}")),
            (single, "get", api.get(f"{self.search}/{self.missing_sid()}")),
        ]
        if isinstance(self, CreateCases):
            owner = self.owner(tenant)
            calls.append((self.path, "post", api.post(self.path, self.create_body(owner, 1))))
            calls.append((self.path, "post", api.post(self.path, ["not", "an", "object"])))
        if isinstance(self, UpdateCases):
            calls.append((f"{self.path}/{{sid}}", "put", api.put(f"{self.path}/{made['sid']}", self.update_data)))
            calls.append((f"{self.path}/{{sid}}", "put", api.put(f"{self.path}/{self.missing_sid()}", {})))
        if isinstance(self, DeleteCases):
            calls.append((f"{self.path}/{{sid}}", "delete", api.delete(f"{self.path}/{made['sid']}")))
        assert_documented(openapi_schema, calls)


class PagingCases(ResourceCases):
    """Several objects of one tenant: pages walked by their URIs, and SortBy both ways."""

    def test_pages_walk_every_object_once(self, tenant):
        api = api_of(tenant, self.creators[0])
        before = self.listed(api)
        owner = self.owner(tenant)
        made = [self.make(tenant, owner, index)["sid"] for index in range(3)]
        total = len(before) + 3
        data = assert_ok(api.get(self.search, {"pageSize": 2, "page": 1}))
        assert (data["page"], data["pageSize"], data["total"], data["numPages"]) == (1, 2, total, math.ceil(total / 2))
        assert (data["start"], data["end"]) == (2, min(3, total - 1))
        assert data["uri"] == f"{self.search}/?pageSize=2&page=1"
        assert data["firstPageUri"] == data["previousPageUri"] == f"{self.search}/?pageSize=2&page=0"
        assert data["lastPageUri"] == f"{self.search}/?pageSize=2&page={data['numPages'] - 1}"
        seen, uri = [], f"{self.search}/?pageSize=2&page=0"
        while uri:
            parts = urlsplit(uri)
            page = assert_ok(api.get(parts.path, dict(parse_qsl(parts.query))))
            seen += [row["sid"] for row in page["result"]]
            uri = page.get("nextPageUri")
        assert seen == [*before, *made]  # oldest first by default
        assert assert_ok(api.get(self.search, {"pageSize": 2, "page": 9}))["result"] == []

    def test_sort_by_both_ways(self, tenant):
        api = api_of(tenant, self.creators[0])
        owner = self.owner(tenant)
        # Made out of order, so that neither the creation order nor its reverse is the sorted one.
        made = {index: self.make(tenant, owner, index)["sid"] for index in (2, 0, 1)}

        def order(**params) -> list[int]:
            index_of = {sid: index for index, sid in made.items()}
            return [index_of[sid] for sid in self.listed(api, **params) if sid in index_of]

        assert order() == [2, 0, 1]
        assert order(SortBy=self.sort_field) == order(SortBy=f"{self.sort_field}:asc") == [0, 1, 2]
        assert order(SortBy=f"{self.sort_field}:desc") == [2, 1, 0]
        assert order(SortBy="dateCreated:desc") == [1, 0, 2]

    def test_filter_by_part_of_a_field_in_any_case(self, tenant):
        api = api_of(tenant, self.creators[0])
        owner = self.owner(tenant)
        made = [self.make(tenant, owner, index)["sid"] for index in range(3)]
        value = self.read(tenant, made[1])[self.filter_field]
        found = self.listed(api, **{self.filter_field: value[1:].upper()})
        assert [sid for sid in found if sid in made] == [made[1]]

    def test_list_queries_do_not_grow_with_the_rows(self, tenant):
        """No query per row (NetBox's stored query counts): a page of four costs what a page of one does."""
        api = api_of(tenant, self.creators[0])
        owner = self.owner(tenant)
        self.make(tenant, owner, 0)
        api.get(self.search)  # warms up what authentication caches
        one = self.count_list_queries(api)
        for index in (1, 2, 3):
            self.make(tenant, owner, index)
        assert self.count_list_queries(api) == one

    def count_list_queries(self, api: Api) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert_ok(api.get(self.search))
        return len(captured)


class CreateCases(ResourceCases):
    """POST /autoattendant/<resource>: the envelope, what is stored, the audit row, roles."""

    def test_create_returns_the_envelope_and_stores(self, tenant):
        owner = self.owner(tenant)
        for index, role in enumerate(self.creators):
            body = self.create_body(owner, index)
            response = api_of(tenant, role).post(self.path, body)
            assert response.status_code == 201, response.body
            assert (response.body["code"], response.body["message"]) == (200, "OK")
            data = response.body["data"]
            actor = user_of(tenant, role)
            self.assert_shape(data, actor)
            assert {key: data[key] for key in self.echoed} == {key: body[key] for key in self.echoed}
            assert self.model.objects.filter(sid=data["sid"]).exists()
            assert self.read(tenant, data["sid"]) == data
            entry = self.audit(data["sid"], "create")
            assert (entry.actor_id, entry.before) == (actor.pk, None) and entry.after

    def test_a_body_that_is_not_an_object_is_400(self, tenant):
        api = api_of(tenant, self.creators[0])
        before = self.model.objects.count()
        assert_error(api.post(self.path, ["not", "an", "object"]), 400)
        response = api.client.post(self.path, data="{not json", content_type="application/json")
        response.body = response.json()
        assert_error(response, 400)
        assert self.model.objects.count() == before

    def test_roles_on_create(self, tenant):
        owner = self.owner(tenant)
        before = self.model.objects.count()
        for index, (role, code) in enumerate(self.refusals("create").items()):
            assert_error(api_of(tenant, role).post(self.path, self.create_body(owner, index)), code)
        assert self.model.objects.count() == before


class UpdateCases(ResourceCases):
    """PUT /autoattendant/<resource>/{sid}: a partial update, its dates and audit row, tenancy, roles."""

    def test_update(self, tenant):
        made = self.make(tenant)
        self.model.objects.filter(sid=made["sid"]).update(date_updated=LONG_AGO)
        data = assert_ok(api_of(tenant, self.creators[0]).put(f"{self.path}/{made['sid']}", self.update_data))
        self.assert_shape(data)
        assert {key: data[key] for key in self.update_data} == self.update_data
        assert (data["sid"], data["dateCreated"]) == (made["sid"], made["dateCreated"])
        assert data["dateUpdated"] > "2020-01-27T11:14:10+0000"
        assert self.read(tenant, made["sid"]) == data
        entry = self.audit(made["sid"], "update")
        assert entry.before and entry.after and entry.before != entry.after

    def test_update_of_a_missing_or_another_tenants_object_is_not_found(self, tenant, other_tenant):
        theirs = self.make(other_tenant)
        api = api_of(tenant, self.creators[0])
        for sid in (*self.missing_sids(), theirs["sid"]):
            self.assert_not_found(api.put(f"{self.path}/{sid}", self.update_data), sid)
        for role in self.roles_that_look("update"):
            self.assert_not_found(
                api_of(tenant, role).put(f"{self.path}/{theirs['sid']}", self.update_data), theirs["sid"]
            )
        for sid in self.nul_sids():
            self.assert_not_found(api.put(f"{self.path}/{sid}", self.update_data), None)
        assert self.read(other_tenant, theirs["sid"]) == theirs

    def test_update_with_a_body_that_is_not_an_object_is_400(self, tenant):
        made = self.make(tenant)
        assert_error(api_of(tenant, self.creators[0]).put(f"{self.path}/{made['sid']}", ["not", "an", "object"]), 400)
        assert self.read(tenant, made["sid"]) == made

    def test_roles_on_update(self, tenant):
        made = self.make(tenant)
        for role, code in self.refusals("update").items():
            self.assert_refused(
                api_of(tenant, role).put(f"{self.path}/{made['sid']}", self.update_data), code, made["sid"]
            )
        assert self.read(tenant, made["sid"]) == made
        assert not AuditEntry.objects.filter(object_sid=made["sid"], action="update").exists()


class DeleteCases(ResourceCases):
    """DELETE /autoattendant/<resource>/{sid}: the deleted object answered, gone, audited; tenancy, roles."""

    def test_delete_answers_the_object_and_removes_it(self, tenant):
        made = self.make(tenant)
        api = api_of(tenant, self.creators[0])
        before = assert_ok(api.get(f"{self.search}/{made['sid']}"))
        data = assert_ok(api.delete(f"{self.path}/{made['sid']}"))
        assert data == before
        assert not self.model.objects.filter(sid=made["sid"]).exists()
        self.assert_not_found(api.get(f"{self.search}/{made['sid']}"), made["sid"])
        self.assert_not_found(api.delete(f"{self.path}/{made['sid']}"), made["sid"])
        entry = self.audit(made["sid"], "delete")
        assert entry.before and entry.after is None

    def test_delete_of_a_missing_or_another_tenants_object_is_not_found(self, tenant, other_tenant):
        theirs = self.make(other_tenant)
        api = api_of(tenant, self.creators[0])
        for sid in (*self.missing_sids(), theirs["sid"]):
            self.assert_not_found(api.delete(f"{self.path}/{sid}"), sid)
        for role in self.roles_that_look("delete"):
            self.assert_not_found(api_of(tenant, role).delete(f"{self.path}/{theirs['sid']}"), theirs["sid"])
        for sid in self.nul_sids():
            self.assert_not_found(api.delete(f"{self.path}/{sid}"), None)
        assert self.read(other_tenant, theirs["sid"]) == theirs

    def test_roles_on_delete(self, tenant):
        made = self.make(tenant)
        for role, code in self.refusals("delete").items():
            self.assert_refused(api_of(tenant, role).delete(f"{self.path}/{made['sid']}"), code, made["sid"])
        assert self.model.objects.filter(sid=made["sid"]).exists()


class CrudCases(ReadCases, PagingCases, CreateCases, UpdateCases, DeleteCases):
    """Every case, for a resource with all five actions."""

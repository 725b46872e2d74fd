"""Paging, filtering and sorting of the search endpoints, edge by edge."""

from __future__ import annotations

import datetime
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autoattendant.choices import Role
from autoattendant.models import Enterprise
from autoattendant.services.enterprises import create_enterprise
from autoattendant.services.phone_numbers import create_phone_number
from autoattendant.services.users import create_user
from tests.conftest import PASSWORD, Api, assert_error, assert_ok

SEARCH = "/autoattendant/enterprise/search"
PAGE_KEYS = {
    "result",
    "pageSize",
    "total",
    "page",
    "numPages",
    "start",
    "end",
    "firstPageUri",
    "uri",
    "lastPageUri",
}
UTC = datetime.UTC


def make_enterprises(tenant, count: int, prefix: str = "Paging") -> list[Enterprise]:
    """`count` enterprises named `{prefix} 00`, `{prefix} 01`, ... created in that order."""
    return [
        create_enterprise(
            tenant.csp_admin,
            name=f"{prefix} {i:02d}",
            admin={"email_id": f"{prefix.lower()}{i}@paging.test", "password": PASSWORD},
        )
        for i in range(count)
    ]


def set_created(enterprise: Enterprise, when: datetime.datetime) -> None:
    Enterprise.objects.filter(pk=enterprise.pk).update(date_created=when)


def page(api: Api, path: str = SEARCH, **params) -> dict:
    return assert_ok(api.get(path, params))


def names(data: dict) -> list[str]:
    return [row["name"] for row in data["result"]]


def query(uri: str) -> tuple[str, dict]:
    parts = urlsplit(uri)
    return parts.path, dict(parse_qsl(parts.query))


def assert_paging_error(api: Api, field: str, path: str = SEARCH, **params) -> None:
    error = assert_error(api.get(path, params), 400)
    assert field in error["errors"], error
    assert error["errors"][field] and all(isinstance(m, str) for m in error["errors"][field])


@pytest.fixture
def twelve(tenant) -> list[Enterprise]:
    """The tenant's own enterprise plus eleven more: two pages at the default size."""
    return make_enterprises(tenant, 11)


# Paging


def test_defaults_are_page_0_and_page_size_10(tenant, twelve):
    data = page(tenant.csp)
    assert PAGE_KEYS <= set(data)
    assert (data["page"], data["pageSize"], data["total"], data["numPages"]) == (0, 10, 12, 2)
    assert (data["start"], data["end"]) == (0, 9)
    assert len(data["result"]) == 10
    assert data["result"][0]["sid"] == tenant.enterprise.sid  # oldest first
    assert data["firstPageUri"] == "/autoattendant/enterprise/search/?pageSize=10&page=0"
    assert data["uri"] == "/autoattendant/enterprise/search/?pageSize=10&page=0"
    assert data["nextPageUri"] == "/autoattendant/enterprise/search/?pageSize=10&page=1"
    assert data["lastPageUri"] == "/autoattendant/enterprise/search/?pageSize=10&page=1"
    assert "previousPageUri" not in data or data["previousPageUri"] is None


def test_last_page(tenant, twelve):
    data = page(tenant.csp, page=1)
    assert (data["page"], data["pageSize"], data["total"], data["numPages"]) == (1, 10, 12, 2)
    assert (data["start"], data["end"]) == (10, 11)
    assert names(data) == ["Paging 09", "Paging 10"]
    assert data["uri"] == "/autoattendant/enterprise/search/?pageSize=10&page=1"
    assert data["previousPageUri"] == "/autoattendant/enterprise/search/?pageSize=10&page=0"
    assert data["lastPageUri"] == data["uri"]
    assert "nextPageUri" not in data or data["nextPageUri"] is None


def test_pages_walk_every_row_once(tenant, twelve):
    seen, uri, pages = [], f"{SEARCH}?pageSize=5&page=0", 0
    while uri:
        path, params = query(uri)
        data = page(tenant.csp, path, **params)
        seen += [row["sid"] for row in data["result"]]
        uri, pages = data.get("nextPageUri"), pages + 1
    assert pages == 3
    assert seen == [tenant.enterprise.sid, *(e.sid for e in twelve)]


def test_the_references_small_page(tenant):
    make_enterprises(tenant, 1)
    data = page(tenant.csp, pageSize=2, page=0)
    assert (data["total"], data["numPages"], data["start"], data["end"]) == (2, 1, 0, 1)
    assert data["firstPageUri"] == "/autoattendant/enterprise/search/?pageSize=2&page=0"
    assert data["uri"] == data["firstPageUri"] == data["lastPageUri"]
    assert "nextPageUri" not in data or data["nextPageUri"] is None


def test_empty_result(tenant):
    data = page(tenant.csp, name="no such enterprise")
    assert data["result"] == []
    assert (data["total"], data["page"], data["pageSize"], data["numPages"], data["start"]) == (
        0,
        0,
        10,
        0,
        0,
    )
    assert "nextPageUri" not in data or data["nextPageUri"] is None
    path, params = query(data["uri"])
    assert path == "/autoattendant/enterprise/search/"
    assert params == {"pageSize": "10", "page": "0", "name": "no such enterprise"}


def test_page_past_the_end_is_empty_with_the_right_total(tenant, twelve):
    data = page(tenant.csp, page=7)
    assert data["result"] == []
    assert (data["page"], data["total"], data["numPages"]) == (7, 12, 2)
    assert "nextPageUri" not in data or data["nextPageUri"] is None
    assert data["lastPageUri"] == "/autoattendant/enterprise/search/?pageSize=10&page=1"
    assert data["uri"] == "/autoattendant/enterprise/search/?pageSize=10&page=7"


def test_page_size_bounds(tenant, twelve):
    assert len(page(tenant.csp, pageSize=1)["result"]) == 1
    data = page(tenant.csp, pageSize=1000)
    assert (len(data["result"]), data["numPages"], data["end"]) == (12, 1, 11)
    for bad in ("0", "1001", "-1", "ten", "2.5", ""):
        assert_paging_error(tenant.csp, "pageSize", pageSize=bad)
    for bad in ("-1", "first", "0.5", "21937175466514464768"):  # the last: an OFFSET past bigint
        assert_paging_error(tenant.csp, "page", page=bad)
    assert page(tenant.csp, page=10**9, pageSize=1000)["result"] == []


def test_uris_keep_the_filters(tenant, twelve):
    data = page(tenant.csp, name="paging", pageSize=4, page=1, SortBy="name:desc")
    assert data["total"] == 11 and data["numPages"] == 3
    for key, expected_page in (
        ("uri", "1"),
        ("firstPageUri", "0"),
        ("previousPageUri", "0"),
        ("nextPageUri", "2"),
        ("lastPageUri", "2"),
    ):
        path, params = query(data[key])
        assert path == "/autoattendant/enterprise/search/"
        assert params == {"pageSize": "4", "page": expected_page, "name": "paging", "SortBy": "name:desc"}, key
    path, params = query(data["nextPageUri"])
    assert names(page(tenant.csp, path, **params)) == ["Paging 02", "Paging 01", "Paging 00"]


# Filters


def test_name_is_a_partial_case_insensitive_match(tenant, twelve):
    assert names(page(tenant.csp, name="ging 1")) == ["Paging 10"]
    assert names(page(tenant.csp, name="PAGING 0", pageSize=100)) == [f"Paging {i:02d}" for i in range(10)]
    assert names(page(tenant.csp, name="acme")) == [tenant.enterprise.name]
    assert page(tenant.csp, name="paging")["total"] == 11


def test_capitalised_name_parameter(tenant, twelve):
    assert names(page(tenant.csp, Name="ging 1")) == ["Paging 10"]
    assert page(tenant.csp, Name="paging")["total"] == 11


@pytest.fixture
def dated(tenant) -> dict[str, Enterprise]:
    rows = dict(zip(["jan1", "jan2_10", "jan2_last", "jan3"], make_enterprises(tenant, 4, "Dated"), strict=True))
    set_created(rows["jan1"], datetime.datetime(2020, 1, 1, 0, 0, 0, tzinfo=UTC))
    set_created(rows["jan2_10"], datetime.datetime(2020, 1, 2, 10, 0, 0, tzinfo=UTC))
    set_created(rows["jan2_last"], datetime.datetime(2020, 1, 2, 23, 59, 59, 500000, tzinfo=UTC))
    set_created(rows["jan3"], datetime.datetime(2020, 1, 3, 0, 0, 0, tzinfo=UTC))
    return rows


def dated_keys(tenant, dated, **params) -> list[str]:
    by_sid = {enterprise.sid: key for key, enterprise in dated.items()}
    by_sid[tenant.enterprise.sid] = "now"
    return [by_sid[row["sid"]] for row in page(tenant.csp, pageSize=100, **params)["result"]]


def test_start_time_date_only_is_from_midnight(tenant, dated):
    assert dated_keys(tenant, dated, startTime="2020-01-02") == ["jan2_10", "jan2_last", "jan3", "now"]
    assert dated_keys(tenant, dated, startTime="2020-01-01") == [
        "jan1",
        "jan2_10",
        "jan2_last",
        "jan3",
        "now",
    ]


def test_end_time_date_only_includes_that_whole_day(tenant, dated):
    assert dated_keys(tenant, dated, endTime="2020-01-02") == ["jan1", "jan2_10", "jan2_last"]
    assert dated_keys(tenant, dated, endTime="2020-01-01") == ["jan1"]


def test_date_times_are_inclusive(tenant, dated):
    assert dated_keys(tenant, dated, startTime="2020-01-02T10:00:00", endTime="2020-01-03T00:00:00") == [
        "jan2_10",
        "jan2_last",
        "jan3",
    ]
    assert dated_keys(tenant, dated, startTime="2020-01-02T10:00:01") == ["jan2_last", "jan3", "now"]
    assert dated_keys(tenant, dated, endTime="2020-01-02T09:59:59") == ["jan1"]
    assert dated_keys(tenant, dated, startTime="2020-01-02", endTime="2020-01-02") == ["jan2_10", "jan2_last"]
    assert dated_keys(tenant, dated, startTime="2020-01-03", endTime="2020-01-02") == []


def test_date_times_with_the_references_offset(tenant, dated):
    assert dated_keys(tenant, dated, endTime="2020-01-02T10:00:00+0000") == ["jan1", "jan2_10"]
    assert dated_keys(tenant, dated, endTime="2020-01-02T11:00:00+0100") == ["jan1", "jan2_10"]
    # An unencoded `+` arrives as a space; it still means +0000.
    response = tenant.csp.client.get(f"{SEARCH}?endTime=2020-01-02T10:00:00+0000&pageSize=100")
    response.body = response.json()
    assert {row["sid"] for row in assert_ok(response)["result"]} == {dated["jan1"].sid, dated["jan2_10"].sid}


def test_time_filters_combine_with_name_and_paging(tenant, dated):
    data = page(tenant.csp, name="dated", startTime="2020-01-02", pageSize=2, page=1)
    assert data["total"] == 3 and data["numPages"] == 2
    assert [row["sid"] for row in data["result"]] == [dated["jan3"].sid]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("startTime", "2020-13-01"),
        ("startTime", "yesterday"),
        ("endTime", "2020-02-30"),
        ("endTime", "2020-01-02T25:00:00"),
        ("startTime", "01/02/2020"),
        ("startTime", "0001-01-01T00:00:00+0100"),  # before year 1 in UTC
        ("endTime", "9999-12-31T23:59:59-0100"),  # after year 9999 in UTC
    ],
)
def test_invalid_dates_are_400(tenant, field, value):
    assert_paging_error(tenant.csp, field, **{field: value})


def test_extreme_dates_are_answered_not_crashed(tenant, dated):
    everything = ["jan1", "jan2_10", "jan2_last", "jan3", "now"]
    assert dated_keys(tenant, dated, endTime="9999-12-31") == everything
    assert dated_keys(tenant, dated, startTime="0001-01-01", endTime="9999-12-31T23:59:59") == everything
    assert dated_keys(tenant, dated, startTime="9999-12-31") == []
    assert dated_keys(tenant, dated, endTime="0001-01-01") == []


# Sorting


@pytest.fixture
def shuffled(tenant) -> list[Enterprise]:
    """Sort rows whose creation order differs from their name order."""
    rows = make_enterprises(tenant, 4, "Sort")
    for enterprise, day in zip(rows, (3, 1, 4, 2), strict=True):
        set_created(enterprise, datetime.datetime(2021, 5, day, 12, 0, tzinfo=UTC))
    return rows


def test_sort_by_name(tenant, shuffled):
    assert names(page(tenant.csp, name="sort", SortBy="name")) == ["Sort 00", "Sort 01", "Sort 02", "Sort 03"]
    assert names(page(tenant.csp, name="sort", SortBy="name:asc")) == [
        "Sort 00",
        "Sort 01",
        "Sort 02",
        "Sort 03",
    ]
    assert names(page(tenant.csp, name="sort", SortBy="name:desc")) == [
        "Sort 03",
        "Sort 02",
        "Sort 01",
        "Sort 00",
    ]


def test_sort_by_date_created(tenant, shuffled):
    assert names(page(tenant.csp, name="sort", SortBy="dateCreated:asc")) == [
        "Sort 01",
        "Sort 03",
        "Sort 00",
        "Sort 02",
    ]
    assert names(page(tenant.csp, name="sort", SortBy="dateCreated:desc")) == [
        "Sort 02",
        "Sort 00",
        "Sort 03",
        "Sort 01",
    ]
    # The default is oldest first.
    assert names(page(tenant.csp, name="sort")) == ["Sort 01", "Sort 03", "Sort 00", "Sort 02"]


def test_sorted_pages_do_not_overlap(tenant, shuffled):
    first = names(page(tenant.csp, name="sort", SortBy="name:desc", pageSize=3, page=0))
    second = names(page(tenant.csp, name="sort", SortBy="name:desc", pageSize=3, page=1))
    assert first + second == ["Sort 03", "Sort 02", "Sort 01", "Sort 00"]


@pytest.mark.parametrize("value", ["password", "name:sideways", "date_created", ":desc", "sid"])
def test_invalid_sort_by_is_400(tenant, value):
    assert_paging_error(tenant.csp, "SortBy", SortBy=value)


# Another resource: phone numbers


@pytest.fixture
def numbers(tenant) -> list[str]:
    return [
        create_phone_number(tenant.csp_admin, number=f"+1555000{i:04d}", enterprise_sid=tenant.enterprise.sid).sid
        for i in range(12)
    ]


@pytest.mark.parametrize("resource", ["phonenumber", "phoneNumber"])
def test_phone_number_paging(tenant, numbers, resource):
    path = f"/autoattendant/{resource}/search"
    data = page(tenant.csp, path, pageSize=5, page=2)
    assert (data["total"], data["numPages"], data["start"], data["end"]) == (12, 3, 10, 11)
    assert [row["sid"] for row in data["result"]] == numbers[10:]
    assert data["uri"] == f"{path}/?pageSize=5&page=2"
    assert data["previousPageUri"] == f"{path}/?pageSize=5&page=1"
    assert data["firstPageUri"] == f"{path}/?pageSize=5&page=0"
    assert "nextPageUri" not in data or data["nextPageUri"] is None


def test_phone_number_filter_sort_and_errors(tenant, numbers):
    path = "/autoattendant/phonenumber/search"
    data = page(tenant.csp, path, SortBy="number:desc", pageSize=3)
    assert [row["number"] for row in data["result"]] == [f"+1555000{i:04d}" for i in (11, 10, 9)]
    assert [row["sid"] for row in page(tenant.csp, path, number="0011")["result"]] == [numbers[11]]
    assert page(tenant.csp, path, page=3, pageSize=5)["result"] == []
    assert_paging_error(tenant.csp, "pageSize", path, pageSize=0)
    assert_paging_error(tenant.csp, "SortBy", path, SortBy="name")
    assert_paging_error(tenant.csp, "startTime", path, startTime="nope")


# Query counts


def count_queries(api: Api, path: str, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        data = page(api, path, **params)
    assert len(data["result"]) == params["pageSize"]
    return len(captured)


def test_enterprise_list_query_count_does_not_grow_with_page_size(tenant):
    make_enterprises(tenant, 19)
    small = count_queries(tenant.csp, SEARCH, pageSize=2)
    large = count_queries(tenant.csp, SEARCH, pageSize=20)
    assert large == small, (small, large)
    assert small <= 4  # authentication, count, page


def test_user_list_query_count_does_not_grow_with_page_size(tenant):
    for i in range(20):
        create_user(
            tenant.csp_admin,
            email_id=f"user{i}@paging.test",
            password=PASSWORD,
            role=Role.AA_ADMIN,
            enterprise_sid=tenant.enterprise.sid,
        )
    small = count_queries(tenant.csp, "/autoattendant/user/search", pageSize=2)
    large = count_queries(tenant.csp, "/autoattendant/user/search", pageSize=20)
    assert large == small, (small, large)


def test_phone_number_list_query_count_does_not_grow_with_page_size(tenant, numbers):
    path = "/autoattendant/phonenumber/search"
    assert count_queries(tenant.csp, path, pageSize=2) == count_queries(tenant.csp, path, pageSize=12)

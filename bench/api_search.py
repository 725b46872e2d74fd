"""API search on 100k phone numbers: latency of the full Django+DRF stack vs the bare SQL.

DESIGN.md, "Performance and reliability targets": API search latency vs the bare SQL query
(target: at most 2x at the median), and a query count per request that does not grow with the page.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/api_search.py [-n 200] [--number 555]
        [--explain] [--profile] [--keep] [--reuse]

The script creates its own database `<dbname>_bench` on the server in DATABASE_URL (dropped at
the end, unless --keep), migrates it, loads two CSPs with 100,000 phone numbers each, and then
measures, alternating request by request:
  api   GET /autoattendant/phonenumber/search?isExtension=false&number=...&SortBy=number:desc&...
        through django.test.Client in-process, HTTP Basic with the first CSP admin's auth token;
  bare  the count query plus the page query (same scope, filter, order and data) with psycopg on
        its own connection.
It exits 1 only when the API's page differs from the bare SQL page; it is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import datetime
import io
import os
import pstats
import random
import statistics
import sys
import time
import uuid
import warnings
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
PER_ORGANISATION = 100_000
ENTERPRISES_PER_ORGANISATION = 4
SYSTEMS_PER_ENTERPRISE = 3
TARGET_RATIO = 2.0
PASSWORD = "bench-password-9"
PATH = "/autoattendant/phonenumber/search"


def log(message: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# Database lifecycle -------------------------------------------------------------------------


def bench_database_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "postgres"
    bench_name = f"{name}_bench"
    return urlunsplit(parts._replace(path=f"/{bench_name}")), bench_name


def recreate_database(server_url: str, name: str, *, drop_only: bool = False) -> None:
    with psycopg.connect(server_url, dbname="postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if not drop_only:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup_django(bench_url: str) -> None:
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("FAST_PASSWORD_HASHER", "1")  # setup only: the API authenticates with a token
    os.environ["CACHE_KEY_PREFIX"] = f"aa-bench-{os.getpid()}"  # throttle counters apart from others'
    # The user throttle stays in the stack (it costs two Redis round trips a request) but must not
    # answer 429 to a long run.
    os.environ.setdefault("API_THROTTLE_USER", "100000/min")
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)  # whitenoise
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# Data ---------------------------------------------------------------------------------------


def load_data(bench_url: str) -> dict:
    """Two CSPs through the services, then their phone numbers with COPY, then VACUUM ANALYZE."""
    from django.core.management import call_command
    from django.db import connection

    from autoattendant import sids
    from autoattendant.models import AutoAttendantSystem, PhoneNumber
    from autoattendant.services.enterprises import create_enterprise
    from autoattendant.services.organisations import create_csp

    call_command("migrate", verbosity=0, interactive=False)
    log("migrated")
    rng = random.Random(20240601)
    tenants = []
    for k in range(2):
        csp = create_csp(name=f"Bench CSP {k}", email_id=f"csp{k}@bench.test", password=PASSWORD)
        enterprises = [
            create_enterprise(
                csp.user,
                name=f"Bench {k} Enterprise {j}",
                admin={"email_id": f"bg{j}@bench{k}.test", "password": PASSWORD, "name": f"BG {k}.{j}"},
            )
            for j in range(ENTERPRISES_PER_ORGANISATION)
        ]
        systems = AutoAttendantSystem.objects.bulk_create(
            [
                AutoAttendantSystem(
                    sid=sids.new_sid(sids.AA_SYSTEM),
                    enterprise=e,
                    name=f"{e.name} AA {s}",
                    account_email=csp.user.email_id,
                )
                for e in enterprises
                for s in range(SYSTEMS_PER_ENTERPRISE)
            ]
        )
        tenants.append({"csp": csp, "enterprises": enterprises, "systems": systems})
    connection.close()
    first = tenants[0]

    meta = PhoneNumber._meta
    columns = [
        "sid",
        "date_created",
        "date_updated",
        "account_email",
        "number",
        "is_extension",
        "extension",
        "extension_spoken_name",
        "extension_type",
        "friendly_name",
        "aa_system_id",
        "enterprise_id",
        "organisation_id",
    ]
    copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(meta.db_table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    start = datetime.datetime(2023, 1, 1, tzinfo=datetime.UTC)
    with psycopg.connect(bench_url) as conn, conn.cursor() as cur:
        for tenant in tenants:
            organisation_id = tenant["csp"].organisation.pk
            email = tenant["csp"].user.email_id
            enterprises = tenant["enterprises"]
            systems = tenant["systems"]
            numbers = rng.sample(range(10**10), PER_ORGANISATION)
            with cur.copy(copy_sql) as copy:
                for i, n in enumerate(numbers):
                    e = i % len(enterprises)
                    is_extension = i % 5 >= 3  # 60% AA numbers, 40% extensions
                    created = start + datetime.timedelta(seconds=37 * i)
                    aa_system = None
                    if not is_extension and i % 2 == 0:
                        aa_system = systems[e * SYSTEMS_PER_ENTERPRISE + (i // 7) % SYSTEMS_PER_ENTERPRISE].pk
                    copy.write_row(
                        (
                            f"{sids.PHONE_NUMBER}{uuid.UUID(int=rng.getrandbits(128)).hex}",
                            created,
                            created,
                            email,
                            f"+1{n:010d}",
                            is_extension,
                            f"{10000 + i}" if is_extension else "",
                            f"Person {i}" if is_extension else "",
                            "client" if is_extension and i % 10 == 9 else "number",
                            f"Line {i}",
                            aa_system,
                            enterprises[e].pk,
                            organisation_id,
                        )
                    )
        conn.commit()
    with psycopg.connect(bench_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    log(f"loaded {2 * PER_ORGANISATION} phone numbers, VACUUM ANALYZE done")
    return {
        "user": first["csp"].user,
        "token": first["csp"].auth_token,
        "enterprise_sids": [e.sid for e in first["enterprises"]],
    }


def reuse_data() -> dict:
    """--reuse: the first CSP of a kept bench database, with a new auth token."""
    from django.core.management import call_command

    from autoattendant.choices import Role
    from autoattendant.models import Enterprise, User

    call_command("migrate", verbosity=0, interactive=False)
    user = User.objects.filter(role=Role.CSP_ADMIN).order_by("organisation_id").first()
    token = user.issue_auth_token()
    user.save(update_fields=["auth_token_hash"])
    enterprises = Enterprise.objects.filter(organisation_id=user.organisation_id).order_by("id")
    log("reused the kept bench database")
    return {"user": user, "token": token, "enterprise_sids": [e.sid for e in enterprises]}


# The two sides --------------------------------------------------------------------------------


def make_api(tenant):
    from django.test import Client

    client = Client()
    raw = f"{tenant['user'].sid}:{tenant['token']}".encode()
    auth = "Basic " + base64.b64encode(raw).decode()

    def call(params: dict):
        t0 = time.perf_counter()
        response = client.get(PATH, params, HTTP_AUTHORIZATION=auth)
        elapsed = time.perf_counter() - t0
        if response.status_code != 200:
            raise SystemExit(f"api_search: FAIL: {response.status_code} {response.content[:500]!r}")
        return elapsed, response

    return call


def make_bare(bench_url: str, organisation_id: int):
    from autoattendant.models import AutoAttendantSystem, Enterprise, PhoneNumber

    tables = {
        "p": sql.Identifier(PhoneNumber._meta.db_table),
        "e": sql.Identifier(Enterprise._meta.db_table),
        "a": sql.Identifier(AutoAttendantSystem._meta.db_table),
    }
    where = "p.organisation_id = %(org)s AND NOT p.is_extension AND p.number LIKE %(pattern)s"
    count_plain = sql.SQL("SELECT count(*) FROM {p} p WHERE " + where).format(**tables)
    count_enterprise = sql.SQL(
        "SELECT count(*) FROM {p} p JOIN {e} e ON e.id = p.enterprise_id WHERE " + where + " AND e.sid = %(ent)s"
    ).format(**tables)
    page_sql = (
        "SELECT p.sid, p.date_created, p.date_updated, p.account_email, p.number, p.is_extension,"
        " p.extension, p.extension_spoken_name, p.extension_type, p.friendly_name, e.sid, a.sid"
        " FROM {p} p JOIN {e} e ON e.id = p.enterprise_id LEFT JOIN {a} a ON a.id = p.aa_system_id"
        " WHERE " + where + "{extra}"
        " ORDER BY p.number DESC, p.id DESC LIMIT %(limit)s OFFSET %(offset)s"
    )
    page_plain = sql.SQL(page_sql).format(extra=sql.SQL(""), **tables)
    page_enterprise = sql.SQL(page_sql).format(extra=sql.SQL(" AND e.sid = %(ent)s"), **tables)
    # No prepared statements: Django binds values client-side, so PostgreSQL plans every API query
    # for its values; a generic plan of a prepared statement may be another plan altogether.
    conn = psycopg.connect(bench_url, autocommit=True, prepare_threshold=None)

    def call(params: dict):
        args = {
            "org": organisation_id,
            "pattern": f"%{params['number']}%",
            "ent": params.get("enterpriseSid"),
            "limit": int(params["pageSize"]),
            "offset": int(params["page"]) * int(params["pageSize"]),
        }
        with_enterprise = "enterpriseSid" in params
        t0 = time.perf_counter()
        with conn.cursor() as cur:
            total = cur.execute(count_enterprise if with_enterprise else count_plain, args).fetchone()[0]
            rows = cur.execute(page_enterprise if with_enterprise else page_plain, args).fetchall()
        return time.perf_counter() - t0, (total, rows)

    return call, conn


# Checks -------------------------------------------------------------------------------------


def check_same_page(name: str, response, bare_result) -> None:
    data = response.json()["data"]
    total, rows = bare_result
    api_page = [(r["sid"], r["number"], r["enterpriseSid"], r["autoAttendantSid"]) for r in data["result"]]
    bare_page = [(r[0], r[4], r[10], r[11]) for r in rows]
    problems = []
    if data["total"] != total:
        problems.append(f"total: api {data['total']} bare {total}")
    if api_page != bare_page:
        problems.append(f"page: api {api_page} bare {bare_page}")
    if not api_page:
        problems.append("the page is empty: choose a --number that matches more rows")
    if problems:
        print(f"api_search: FAIL [{name}] the API page is not the bare SQL page: " + "; ".join(problems))
        raise SystemExit(1)


def queries_per_request(api, params: dict) -> tuple[int, list[str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        api(params)
    return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


def stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


# Diagnostics (--explain, --profile) ---------------------------------------------------------------


def explain(captured_sql: list[str], bench_url: str) -> None:
    with psycopg.connect(bench_url, autocommit=True) as conn:
        for statement in captured_sql:
            print(f"\n-- {statement}")
            for (line,) in conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement).fetchall():
                print(f"   {line}")


def profile(api, params: dict, n: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        api(params)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(os.environ.get("BENCH_PROFILE_SORT", "cumulative")).print_stats(45)
    print(out.getvalue())


# Main ---------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--iterations", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--number", default="555", help="the partial number searched (contains)")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the API's queries")
    parser.add_argument("--profile", action="store_true", help="cProfile 200 API requests")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse a kept bench database (with --keep)")
    args = parser.parse_args()

    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        print("api_search: set DATABASE_URL and REDIS_URL", file=sys.stderr)
        return 2
    server_url = os.environ["DATABASE_URL"]
    bench_url, bench_name = bench_database_url(server_url)
    started = time.perf_counter()
    if not args.reuse:
        recreate_database(server_url, bench_name)
        log(f"created database {bench_name}")
    bare_conn = None
    try:
        setup_django(bench_url)
        tenant = reuse_data() if args.reuse else load_data(bench_url)
        api = make_api(tenant)
        bare, bare_conn = make_bare(bench_url, tenant["user"].organisation_id)

        base = {
            "isExtension": "false",
            "number": args.number,
            "SortBy": "number:desc",
            "pageSize": "10",
            "page": "3",
        }
        variants = {
            "filter+sort": base,
            "filter+sort+enterpriseSid": {**base, "enterpriseSid": tenant["enterprise_sids"][1]},
        }

        # Correctness first: the same rows in the same order, and the same total (pageSize 10 and 100).
        for name, params in variants.items():
            for size, page in (("10", "3"), ("100", "0")):
                p = {**params, "pageSize": size, "page": page}
                check_same_page(f"{name} pageSize={size}", api(p)[1], bare(p)[1])

        query_counts = {}
        captured = {}
        for name, params in variants.items():
            q10, captured[name] = queries_per_request(api, params)
            q100, _ = queries_per_request(api, {**params, "pageSize": "100", "page": "0"})
            query_counts[name] = (q10, q100)

        for params in variants.values():
            for _ in range(args.warmup):
                api(params)
                bare(params)

        samples = {name: {"api": [], "bare": []} for name in variants}
        for i in range(args.iterations):
            for name, params in variants.items():
                order = (("api", api), ("bare", bare)) if i % 2 == 0 else (("bare", bare), ("api", api))
                for side, call in order:
                    samples[name][side].append(call(params)[0])
        log(f"measured {args.iterations} iterations x {len(variants)} variants")

        all_met = True
        print(
            f"api_search: 2 organisations x {PER_ORGANISATION} phone numbers; "
            f"number contains {args.number!r}, page 3 of pageSize 10; "
            f"{args.iterations} iterations after {args.warmup} warm-up, alternating"
        )
        for name, params in variants.items():
            total = api(params)[1].json()["data"]["total"]
            api_p50, api_p95 = stats(samples[name]["api"])
            bare_p50, bare_p95 = stats(samples[name]["bare"])
            ratio, ratio95 = api_p50 / bare_p50, api_p95 / bare_p95
            q10, q100 = query_counts[name]
            met = ratio <= TARGET_RATIO
            all_met &= met and q10 == q100
            print(
                f"api_search [{name}, total {total}]: api p50 {api_p50:.2f} ms, bare p50 {bare_p50:.2f} ms "
                f"(overhead +{api_p50 - bare_p50:.2f} ms), "
                f"ratio {ratio:.2f}x (target <= {TARGET_RATIO:.1f}x: {'met' if met else 'NOT met'}); "
                f"p95 api {api_p95:.2f} ms, bare {bare_p95:.2f} ms, ratio {ratio95:.2f}x; "
                f"queries/request {q10} (pageSize 10) {q100} (pageSize 100) "
                f"{'equal' if q10 == q100 else 'NOT EQUAL (N+1?)'}"
            )
        print(f"api_search: target {'met' if all_met else 'NOT met'}; total run {time.perf_counter() - started:.0f} s")

        if args.explain:
            for name in variants:
                print(f"\n== EXPLAIN ANALYZE of the API's queries [{name}]")
                explain(captured[name], bench_url)
        if args.profile:
            print("\n== cProfile of 200 API requests [filter+sort]")
            profile(api, variants["filter+sort"], 200)
        return 0
    finally:
        if bare_conn is not None:
            bare_conn.close()
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        if args.keep:
            log(f"kept database {bench_name}")
        else:
            recreate_database(server_url, bench_name, drop_only=True)
            log(f"dropped database {bench_name}")


if __name__ == "__main__":
    sys.exit(main())

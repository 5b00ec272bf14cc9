# ruff: noqa: S608 - the hand-written SQL is built from this file's constant fragments
"""Time the pages, API endpoints, report and export against hand-written SQL fetching the same data.

    .venv/bin/python bench/timings.py                  # every benchmark, 30 requests each
    .venv/bin/python bench/timings.py --only case_page --reps 50

Against the benchmark database (bench/seed.py). Each benchmark requests its URL in-process with Django's
test Client (the whole middleware stack, templates, serializers, the audit event), as the user it names,
after a few warm-up requests; it counts the SQL queries of one request with CaptureQueriesContext. Next
to it, hand-written SQL fetches the same data with psycopg on its own connection (`COPY … TO STDOUT` for
the CSV export). The two are timed alternately, request by request, so that the noise of a shared
machine falls on both; the ratio is median(app) / median(SQL).

The raw SQL reads; it does not write the audit event or touch the session, which the application must
(those are part of what the ratio measures).

Prints a markdown table and writes bench/results/timings-<timestamp>.json (and timings-latest.json).
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchenv  # noqa: E402

ANCHOR_PERIOD = ("2019-01-01", "2025-06-30")  # the demo's caseload "since 2019", to its "today"
OPEN_REFERRALS = ("planned", "referred", "accepted", "in_progress")
DOMAINS = (
    "psychosocial",
    "health",
    "family_ties",
    "community_acceptance",
    "livelihood",
    "housing",
    "education",
    "legal",
    "disengagement",
)


@dataclass
class Context:
    """What the benchmarks need to know about the seeded data, looked up once."""

    org_a: int
    kz: int
    supervisor: int
    caseworker: int
    case_refs: list[str]
    search_prefix: str
    token: str


@dataclass
class Bench:
    key: str
    title: str
    who: str  # supervisor, caseworker, admin, analyst (session) or analyst-token
    urls: Callable[[Context], list[str]]
    raw: Callable[[Any, Context, int], Any] | None  # (psycopg cursor, context, request number) -> rows
    kind: str  # list, detail, stats, report, export: the target for the ratio
    reps: int | None = None  # default: --reps
    results: dict[str, Any] = field(default_factory=dict)


TARGETS = {"list": 3.0, "detail": 3.0, "stats": 1.5, "report": 1.5, "export": 3.0, "page": None}


# --- The raw SQL ---------------------------------------------------------------------------------------


def fetch(cur, sql: str, params: tuple | dict = ()) -> list[tuple]:
    cur.execute(sql, params)
    return cur.fetchall()


CASE_LIST_ROWS = """
SELECT c.reference, c.status, c.opened_on, c.sex, c.age_band, c.return_month,
       u.username, u.first_name, u.last_name, co.name, r.name,
       (SELECT count(*) FROM casework_referral f WHERE f.case_id = c.id AND f.status = ANY(%(open)s))
FROM casework_case c
LEFT JOIN casework_user u ON u.id = c.assigned_to_id
JOIN policies_country co ON co.id = c.residence_country_id
LEFT JOIN policies_region r ON r.id = c.residence_region_id
WHERE {where}
ORDER BY c.opened_on DESC, c.reference
LIMIT 50
"""


def raw_case_list(where: str, params: Callable[[Context], dict]) -> Callable:
    """The page of 50 with what a row shows, the number of matches, and the filters' choices."""

    def run(cur, ctx: Context, _i: int):
        values = {"open": list(OPEN_REFERRALS), **params(ctx)}
        count = fetch(cur, f"SELECT count(*) FROM casework_case c WHERE {where}", values)  # noqa: S608
        rows = fetch(cur, CASE_LIST_ROWS.format(where=where), values)
        staff = fetch(
            cur,
            "SELECT id, username, first_name, last_name, is_active FROM casework_user "
            "WHERE organisation_id = %s AND role IN ('supervisor', 'caseworker') "
            "ORDER BY is_active DESC, username",
            (ctx.org_a,),
        )
        countries = fetch(cur, "SELECT id, code, name FROM policies_country ORDER BY name")
        programmes = fetch(cur, "SELECT id, name FROM policies_programme ORDER BY name")
        return count, rows, staff, countries, programmes

    return run


API_CASE_ROWS = """
SELECT c.*, o.slug, au.username, cu.username, h.reference, ci.code, co.code
FROM casework_case c
JOIN casework_organisation o ON o.id = c.organisation_id
LEFT JOIN casework_user au ON au.id = c.assigned_to_id
LEFT JOIN casework_user cu ON cu.id = c.created_by_id
LEFT JOIN casework_household h ON h.id = c.household_id
JOIN policies_country ci ON ci.id = c.citizenship_id
JOIN policies_country co ON co.id = c.residence_country_id
WHERE {where}
ORDER BY {order}
LIMIT 50
"""

ANALYSABLE = (
    "c.organisation_id IN (SELECT id FROM casework_organisation WHERE shares_with_analysts) "
    "AND c.consent_data_sharing AND c.consent_withdrawn_on IS NULL"
)


def raw_api_cases(where: str, order: str) -> Callable:
    def run(cur, ctx: Context, _i: int):
        values = {"org": ctx.org_a, "kz": ctx.kz}
        count = fetch(cur, f"SELECT count(*) FROM casework_case c WHERE {where}", values)  # noqa: S608
        return count, fetch(cur, API_CASE_ROWS.format(where=where, order=order), values)

    return run


def raw_case_page(cur, ctx: Context, i: int):
    """Everything the case page shows: the case and its related rows, its records, its household."""
    reference = ctx.case_refs[i % len(ctx.case_refs)]
    case = fetch(
        cur,
        """
        SELECT c.id, c.household_id, c.*, o.name, au.username, au.first_name, au.last_name, cu.username,
               ci.code, ci.name, co.code, co.name, r.name, rc.name, p.name, g.name, h.reference
        FROM casework_case c
        JOIN casework_organisation o ON o.id = c.organisation_id
        LEFT JOIN casework_user au ON au.id = c.assigned_to_id
        LEFT JOIN casework_user cu ON cu.id = c.created_by_id
        JOIN policies_country ci ON ci.id = c.citizenship_id
        JOIN policies_country co ON co.id = c.residence_country_id
        LEFT JOIN policies_region r ON r.id = c.residence_region_id
        LEFT JOIN policies_country rc ON rc.id = r.country_id
        LEFT JOIN policies_programme p ON p.id = c.programme_id
        LEFT JOIN policies_armedgroup g ON g.id = c.armed_group_id
        LEFT JOIN casework_household h ON h.id = c.household_id
        WHERE c.reference = %s AND c.organisation_id = %s
        """,
        (reference, ctx.org_a),
    )[0]
    case_id, household_id = case[0], case[1]
    notes = fetch(
        cur,
        "SELECT n.*, u.username, u.first_name, u.last_name FROM casework_casenote n "
        "JOIN casework_user u ON u.id = n.author_id WHERE n.case_id = %s "
        "ORDER BY n.contact_on DESC, n.created_at DESC, n.id DESC LIMIT 26",
        (case_id,),
    )
    referrals = fetch(
        cur,
        "SELECT f.*, s.name, p.name FROM casework_referral f JOIN casework_servicetype s "
        "ON s.id = f.service_type_id LEFT JOIN casework_serviceprovider p ON p.id = f.provider_id "
        "WHERE f.case_id = %s ORDER BY f.created_at DESC, f.id DESC",
        (case_id,),
    )
    assessments = fetch(
        cur,
        "SELECT a.*, u.username FROM casework_assessment a LEFT JOIN casework_user u "
        "ON u.id = a.assessed_by_id WHERE a.case_id = %s ORDER BY a.assessed_on, a.created_at, a.id",
        (case_id,),
    )
    proceedings = fetch(
        cur,
        "SELECT l.*, f.title, fc.code, pr.article, pr.title FROM casework_legalproceeding l "
        "JOIN policies_legalframework f ON f.id = l.framework_id "
        "LEFT JOIN policies_country fc ON fc.id = f.country_id "
        "LEFT JOIN policies_provision pr ON pr.id = l.provision_id "
        "WHERE l.case_id = %s ORDER BY l.started_on DESC, l.id DESC",
        (case_id,),
    )
    closures = fetch(
        cur,
        "SELECT q.*, u.username, d.username FROM casework_closurerequest q "
        "JOIN casework_user u ON u.id = q.requested_by_id "
        "LEFT JOIN casework_user d ON d.id = q.decided_by_id "
        "WHERE q.case_id = %s ORDER BY q.requested_at DESC",
        (case_id,),
    )
    household = []
    if household_id:
        household = fetch(
            cur,
            "SELECT reference, household_role, sex, age_band, status, organisation_id = %s "
            "FROM casework_case WHERE household_id = %s AND id <> %s ORDER BY reference",
            (ctx.org_a, household_id, case_id),
        )
    # The quick-add forms' choices: service types, active providers with their services, frameworks.
    services = fetch(cur, "SELECT id, name FROM casework_servicetype WHERE is_active ORDER BY name")
    providers = fetch(
        cur,
        "SELECT p.id, p.name, c.code, array_agg(s.servicetype_id) FROM casework_serviceprovider p "
        "JOIN policies_country c ON c.id = p.country_id "
        "LEFT JOIN casework_serviceprovider_service_types s ON s.serviceprovider_id = p.id "
        "WHERE p.is_active GROUP BY p.id, c.code ORDER BY p.name",
    )
    return case, notes, referrals, assessments, proceedings, closures, household, services, providers


def raw_stats(cur, ctx: Context, _i: int):
    return fetch(
        cur,
        f"""
        SELECT co.code, c.sex, count(*)
        FROM casework_case c JOIN policies_country co ON co.id = c.residence_country_id
        WHERE {ANALYSABLE}
        GROUP BY co.code, c.sex
        """,  # noqa: S608 - constant fragments
    )


def caseload_sql(cases: str) -> list[str]:
    """The caseload report's figures in three statements; `cases` is the condition on `c`.

    Each is the fastest hand-written form measured for its figures (issue 8, the caseload report's
    rewrite; docs/PERFORMANCE.md): once the report itself counted its referral tables in one pass and
    the assessment change with one sort, the two statements over the referrals that this baseline had
    (counts by outcome, then waiting times) and its DISTINCT ON over a materialised set of assessments
    took about 50 ms and 15 ms more than those forms, so the report ran faster than its own baseline.
    The baseline now does no more work than the report's queries: referrals in one GROUPING SETS pass
    (through `case_id IN (…)`, which plans 5-10% faster here than the join), the assessments' first and
    latest scores from one sorted window."""
    active = "c.opened_on <= %(end)s AND (c.closed_on IS NULL OR c.closed_on >= %(start)s)"
    opened = "c.opened_on BETWEEN %(start)s AND %(end)s"
    closed = "c.closed_on BETWEEN %(start)s AND %(end)s"
    by_dimension = f"""
        SELECT c.status, c.sex, c.age_band, co.code, co.name, c.programme_id, p.name,
               count(*) FILTER (WHERE {opened}), count(*) FILTER (WHERE {closed}),
               count(*) FILTER (WHERE {active})
        FROM casework_case c
        JOIN policies_country co ON co.id = c.residence_country_id
        LEFT JOIN policies_programme p ON p.id = c.programme_id
        WHERE {cases} AND ({opened} OR {closed} OR {active})
        GROUP BY GROUPING SETS ((c.status), (c.sex), (c.age_band), (co.code, co.name),
                                (c.programme_id, p.name))
    """
    # Counts per service type and outcome; per service type and overall, the referrals started and the
    # median and 90th percentile of their days to start (percentile_cont skips the NULLs of those not
    # started).
    referrals = f"""
        SELECT s.name, f.outcome, GROUPING(s.name), GROUPING(f.outcome), count(*), count(f.started_on),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY f.started_on - f.referred_on),
               percentile_cont(0.9) WITHIN GROUP (ORDER BY f.started_on - f.referred_on)
        FROM casework_referral f
        JOIN casework_servicetype s ON s.id = f.service_type_id
        WHERE f.case_id IN (SELECT c.id FROM casework_case c WHERE {cases})
          AND f.referred_on BETWEEN %(start)s AND %(end)s
        GROUP BY GROUPING SETS ((s.name, f.outcome), (s.name), ())
    """
    columns = ", ".join(f"a.{d}" for d in DOMAINS)
    firsts = ", ".join(f"first_value(a.{d}) OVER w AS first_{d}" for d in DOMAINS)
    figures = ", ".join(
        f"count(*) FILTER (WHERE {d} > first_{d}), count(*) FILTER (WHERE {d} = first_{d}), "
        f"count(*) FILTER (WHERE {d} < first_{d}), avg({d} - first_{d})"
        for d in DOMAINS
    )
    # Per case, oldest first: the latest assessment is the row with no next one, its row number is the
    # number of assessments, and first_value carries the first one's scores onto it.
    change = f"""
        SELECT {figures}
        FROM (
            SELECT {columns}, row_number() OVER w AS position, lead(a.id) OVER w AS following, {firsts}
            FROM casework_assessment a JOIN casework_case c ON c.id = a.case_id
            WHERE {cases} AND {active} AND a.assessed_on <= %(end)s
            WINDOW w AS (PARTITION BY a.case_id ORDER BY a.assessed_on, a.id)
        ) latest
        WHERE following IS NULL AND position >= 2
    """
    return [by_dimension, referrals, change]


def raw_caseload(cases: str) -> Callable:
    statements = caseload_sql(cases)

    def run(cur, ctx: Context, _i: int):
        values = {"org": ctx.org_a, "start": ANCHOR_PERIOD[0], "end": ANCHOR_PERIOD[1]}
        return [fetch(cur, sql, values) for sql in statements]

    return run


EXPORT_SQL = """
COPY (
    SELECT c.reference, o.slug, c.status, u.username, c.opened_on, c.closed_on, c.closure_reason,
           (c.archived_at AT TIME ZONE 'UTC')::date, c.sex, c.age_band, ci.code, co.code, r.name,
           to_char(c.return_month, 'YYYY-MM'), c.departure_year, c.conflict_zone, c.return_pathway, p.name,
           c.affiliation, g.name, c.circumstance, replace(trim(BOTH ',' FROM c.drivers), ',', ';'),
           replace(trim(BOTH ',' FROM c.vulnerabilities), ',', ';'),
           CASE WHEN c.consent_services THEN 'yes' ELSE 'no' END, c.consent_services_on,
           CASE WHEN c.consent_data_sharing THEN 'yes' ELSE 'no' END, c.consent_data_sharing_on,
           c.consent_withdrawn_on, h.reference, c.household_role, c.version
    FROM casework_case c
    JOIN casework_organisation o ON o.id = c.organisation_id
    LEFT JOIN casework_user u ON u.id = c.assigned_to_id
    JOIN policies_country ci ON ci.id = c.citizenship_id
    JOIN policies_country co ON co.id = c.residence_country_id
    LEFT JOIN policies_region r ON r.id = c.residence_region_id
    LEFT JOIN policies_programme p ON p.id = c.programme_id
    LEFT JOIN policies_armedgroup g ON g.id = c.armed_group_id
    LEFT JOIN casework_household h ON h.id = c.household_id
    ORDER BY c.reference
) TO STDOUT WITH (FORMAT csv, HEADER)
"""


def raw_export(cur, ctx: Context, _i: int) -> int:
    size = 0
    with cur.copy(EXPORT_SQL) as copy:
        for block in copy:
            size += len(block)
    return size


# --- The benchmarks ------------------------------------------------------------------------------------

ORG = "c.organisation_id = %(org)s"
FILTERED = (
    f"{ORG} AND c.status = 'active' AND c.residence_country_id = %(kz)s AND c.sex = 'female' "
    "AND c.age_band = '25-34'"
)
CASEWORKER_OPEN = (
    "c.organisation_id = %(org)s AND (c.assigned_to_id = %(user)s OR c.created_by_id = %(user)s) "
    "AND c.status IN ('intake', 'active', 'monitoring')"
)
PERIOD = f"from={ANCHOR_PERIOD[0]}&to={ANCHOR_PERIOD[1]}"

BENCHES = [
    Bench(
        "case_list",
        "Case list, supervisor of ngo-a (50,000 cases), no filter",
        "supervisor",
        lambda ctx: ["/cases/"],
        raw_case_list(ORG, lambda ctx: {"org": ctx.org_a}),
        "list",
    ),
    Bench(
        "case_list_filtered",
        "Case list, supervisor: status, country, sex and age band",
        "supervisor",
        lambda ctx: [f"/cases/?status=active&country={ctx.kz}&sex=female&age_band=25-34"],
        raw_case_list(FILTERED, lambda ctx: {"org": ctx.org_a, "kz": ctx.kz}),
        "list",
    ),
    Bench(
        "case_list_search",
        "Case list, supervisor: search by the start of a reference",
        "supervisor",
        lambda ctx: [f"/cases/?q={ctx.search_prefix}"],
        raw_case_list(
            f"{ORG} AND c.reference LIKE %(prefix)s",
            lambda ctx: {"org": ctx.org_a, "prefix": ctx.search_prefix + "%"},
        ),
        "list",
    ),
    Bench(
        "case_list_caseworker",
        "Case list, caseworker: their open cases",
        "caseworker",
        lambda ctx: ["/cases/?status=open"],
        raw_case_list(CASEWORKER_OPEN, lambda ctx: {"org": ctx.org_a, "user": ctx.caseworker}),
        "list",
    ),
    Bench(
        "api_cases_staff",
        "API cases/, supervisor: country, status, sex",
        "supervisor",
        lambda ctx: ["/api/v1/cases/?country=KZ&status=active&sex=female"],
        raw_api_cases(
            f"{ORG} AND c.residence_country_id = %(kz)s AND c.status = 'active' AND c.sex = 'female'",
            "c.opened_on DESC, c.reference",
        ),
        "list",
    ),
    Bench(
        "api_cases_analyst",
        "API cases/, analyst with a token: country, sex, age band",
        "analyst-token",
        lambda ctx: ["/api/v1/cases/?country=KZ&sex=female&age_band=25-34"],
        raw_api_cases(
            f"{ANALYSABLE} AND c.residence_country_id = %(kz)s AND c.sex = 'female' AND c.age_band = '25-34'",
            "c.return_month DESC, c.reference",
        ),
        "list",
    ),
    Bench(
        "api_cases_analyst_all",
        "API cases/, analyst with a token: first page, no filter",
        "analyst-token",
        lambda ctx: ["/api/v1/cases/"],
        raw_api_cases(ANALYSABLE, "c.return_month DESC, c.reference"),
        "list",
    ),
    Bench(
        "case_page",
        "Case page, supervisor (10 cases in turn)",
        "supervisor",
        lambda ctx: [f"/cases/{ref}/" for ref in ctx.case_refs],
        raw_case_page,
        "detail",
    ),
    Bench(
        "stats",
        "API stats/cases/?group_by=return_country,sex, analyst",
        "analyst-token",
        lambda ctx: ["/api/v1/stats/cases/?group_by=return_country,sex"],
        raw_stats,
        "stats",
    ),
    Bench(
        "caseload_supervisor",
        "Caseload report (HTML), supervisor of ngo-a, 2019 to mid-2025",
        "supervisor",
        lambda ctx: [f"/reports/caseload/?organisation=ngo-a&{PERIOD}"],
        raw_caseload(ORG),
        "report",
        reps=10,
    ),
    Bench(
        "caseload_analyst",
        "Caseload report (HTML), analyst, all sharing organisations",
        "analyst",
        lambda ctx: [f"/reports/caseload/?{PERIOD}"],
        raw_caseload(ANALYSABLE),
        "report",
        reps=10,
    ),
    Bench(
        "dashboard_supervisor",
        "Dashboard, supervisor of ngo-a (no raw SQL: timed for the load test)",
        "supervisor",
        lambda ctx: ["/"],
        None,
        "page",
        reps=10,
    ),
    Bench(
        "dashboard_caseworker",
        "Dashboard, caseworker (no raw SQL)",
        "caseworker",
        lambda ctx: ["/"],
        None,
        "page",
        reps=10,
    ),
    Bench(
        "export_csv",
        "CSV export of every case (100,000), system administrator",
        "admin",
        lambda ctx: ["/cases/export.csv"],
        raw_export,
        "export",
        reps=7,
    ),
]


# --- Running them -------------------------------------------------------------------------------------


def context() -> Context:
    from django.core.management import call_command

    from casework.models import Case, User
    from policies.models import Country

    org_a = User.objects.get(username="ngo-a-supervisor").organisation_id
    references = list(
        Case.objects.filter(organisation_id=org_a).order_by("reference").values_list("reference", flat=True)
    )
    step = max(1, len(references) // 10)
    out = io.StringIO()
    call_command(
        "issue_api_token",
        "analyst",
        "--days",
        "1",
        "--name",
        "bench/timings.py",
        stdout=out,
        stderr=io.StringIO(),
    )
    return Context(
        org_a=org_a,
        kz=Country.objects.get(code="KZ").pk,
        supervisor=User.objects.get(username="ngo-a-supervisor").pk,
        caseworker=User.objects.get(username="ngo-a-caseworker").pk,
        case_refs=references[step // 2 :: step][:10],
        search_prefix=references[len(references) // 3][:2],
        token=out.getvalue().strip().splitlines()[-1],
    )


def client_for(who: str, ctx: Context):
    from django.test import Client

    from casework.models import User

    client = Client()
    headers: dict[str, str] = {}
    username = {
        "supervisor": "ngo-a-supervisor",
        "caseworker": "ngo-a-caseworker",
        "admin": "admin",
        "analyst": "analyst",
    }.get(who)
    if who == "analyst-token":
        headers["HTTP_AUTHORIZATION"] = f"Token {ctx.token}"
    else:
        client.force_login(User.objects.get(username=username))
    return client, headers


def request(client, headers: dict, url: str) -> int:
    response = client.get(url, **headers)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    if response.streaming:
        return sum(len(chunk) for chunk in response.streaming_content)
    return len(response.content)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def run_bench(bench: Bench, ctx: Context, raw_cursor, reps: int, warmup: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client, headers = client_for(bench.who, ctx)
    urls = bench.urls(ctx)
    for i in range(warmup):
        request(client, headers, urls[i % len(urls)])
        if bench.raw:
            bench.raw(raw_cursor, ctx, i)
    query_counts, orm_sql = set(), []
    for i in range(min(len(urls), 3)):
        with CaptureQueriesContext(connection) as queries:
            size = request(client, headers, urls[i])
        query_counts.add(len(queries))
        orm_sql.append(sum(float(query["time"]) for query in queries.captured_queries))
    app, raw = [], []
    for i in range(reps):
        url = urls[i % len(urls)]
        started = time.perf_counter()
        request(client, headers, url)
        app.append(time.perf_counter() - started)
        if bench.raw:
            started = time.perf_counter()
            bench.raw(raw_cursor, ctx, i)
            raw.append(time.perf_counter() - started)
    result = {
        "title": bench.title,
        "kind": bench.kind,
        "urls": urls if len(urls) <= 3 else [*urls[:2], "…"],
        "reps": reps,
        "queries": sorted(query_counts),
        "response_bytes": size,
        "app_median_ms": statistics.median(app) * 1000,
        "app_p95_ms": percentile(app, 0.95) * 1000,
        "orm_sql_ms": statistics.median(orm_sql) * 1000,  # the app's own queries, as Django timed them
        "raw_median_ms": statistics.median(raw) * 1000 if raw else None,
        "raw_p95_ms": percentile(raw, 0.95) * 1000 if raw else None,
        "target_ratio": TARGETS[bench.kind],
    }
    result["ratio"] = result["app_median_ms"] / result["raw_median_ms"] if raw else None
    result["meets_target"] = result["ratio"] <= result["target_ratio"] if raw else None
    return result


def markdown(results: dict[str, dict]) -> str:
    lines = [
        "| benchmark | queries | app median ms | app p95 ms | of which SQL ms | raw SQL median ms "
        "| raw p95 ms | ratio | target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for key, r in results.items():
        queries = "/".join(str(q) for q in r["queries"])
        if r["ratio"] is None:
            raw = "— | — | — | —"
        else:
            verdict = "met" if r["meets_target"] else "**missed**"
            raw = (
                f"{r['raw_median_ms']:.1f} | {r['raw_p95_ms']:.1f} | {r['ratio']:.2f}× | "
                f"≤ {r['target_ratio']:g}× {verdict}"
            )
        lines.append(
            f"| {key}: {r['title']} | {queries} | {r['app_median_ms']:.1f} | {r['app_p95_ms']:.1f} | "
            f"{r['orm_sql_ms']:.1f} | {raw} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--reps", type=int, help="timed requests per benchmark (default 30; 10 for reports, 7 for the export)"
    )
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--only", nargs="*", help="benchmark keys", choices=[b.key for b in BENCHES])
    parser.add_argument("--label", default="", help="a note stored with the results (e.g. 'with indexes')")
    args = parser.parse_args()

    benchenv.setup_django()
    import psycopg
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("The benchmarks run on PostgreSQL: set DATABASE_URL=postgres://...")
    ctx = context()
    results: dict[str, dict] = {}
    started = time.monotonic()
    with psycopg.connect(benchenv.psycopg_dsn(), autocommit=True) as raw_connection:
        raw_cursor = raw_connection.cursor()
        for bench in BENCHES:
            if args.only and bench.key not in args.only:
                continue
            reps = args.reps or bench.reps or 30
            print(f"{bench.key}: {reps} requests …", file=sys.stderr, flush=True)
            results[bench.key] = run_bench(bench, ctx, raw_cursor, reps, args.warmup)
    table = markdown(results)
    print(table)
    now = datetime.datetime.now(datetime.UTC)
    document = {
        "at": now.isoformat(timespec="seconds"),
        "label": args.label,
        "seconds": round(time.monotonic() - started, 1),
        "database": connection.settings_dict["NAME"],
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
        "results": results,
        "markdown": table,
    }
    benchenv.RESULTS_DIR.mkdir(exist_ok=True)
    for name in (f"timings-{now:%Y%m%d-%H%M%S}.json", "timings-latest.json"):
        (benchenv.RESULTS_DIR / name).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"\nWritten to {benchenv.RESULTS_DIR / 'timings-latest.json'}", file=sys.stderr)


if __name__ == "__main__":
    main()

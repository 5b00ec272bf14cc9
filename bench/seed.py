# ruff: noqa: S608, S603 - SQL built from this file's constants; manage.py run by path
"""Seed the benchmark database: a national deployment's worth of cases on PostgreSQL, in minutes.

    .venv/bin/python bench/seed.py            # 100,000 cases into returnee_bench (created afresh)

Steps, each timed:

1. `--recreate` (the default): drop and create the database named in DATABASE_URL (default
   postgres://postgres@127.0.0.1:5432/returnee_bench). The audit trail is append-only, so the demo
   cannot be re-seeded in place; a benchmark database starts empty.
2. `manage.py migrate`, then `manage.py seed_demo --cases N --force --password-file bench/.bench-password`:
   the demo organisations ngo-a and ngo-b, their staff (ngo-a-supervisor, ngo-a-caseworker …, analyst,
   auditor, admin, all with the password in bench/.bench-password) and N cases with their records,
   written by the demo generator with bulk_create.
3. Top-ups in SQL (`INSERT … SELECT` over the cases, one statement per table) to the issue's density:
   about 5 referrals, 4 notes and 3 assessments per case, and legal proceedings for a third of the cases.
   The rows keep the models' rules: dates within the case's life and never after the demo's "today",
   referral dates in order and as the status requires, outcomes only on ended referrals, a proceeding's
   framework of the case's citizenship and its provision of that framework; note texts are drawn from
   the demo's own (fictional) sentences.
4. About 1,000,000 audit events (`--audit-events`), mostly case-page views by the case's caseworker,
   with list views, changes, sign-ins and refusals, spread over 2019 to the demo's "today". The trail's
   triggers refuse UPDATE and DELETE; INSERT is what the application does too.
5. `VACUUM (ANALYZE)`: fresh planner statistics and visibility maps, as autovacuum would leave them.

The counts per table and the time of each step are printed and written to bench/results/seed.json.
The random draws in SQL use `setseed`, so a run is repeatable up to PostgreSQL's row order.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchenv  # noqa: E402

benchenv.configure()

ANCHOR = "2025-06-30"  # casework.demo.ANCHOR: the demo's "today"; no date is later
TABLES = (
    "casework_organisation",
    "casework_user",
    "casework_household",
    "casework_case",
    "casework_referral",
    "casework_casenote",
    "casework_assessment",
    "casework_legalproceeding",
    "casework_auditevent",
)

# Per case: the life of the case as the top-ups need it. `worker` is who works on it (the assignee, else
# who opened it); `services_end` is when services stop (closure, or consent withdrawn).
CASE_FACTS = f"""
CREATE TEMP TABLE bench_case AS
SELECT c.id, c.reference, c.organisation_id, c.status, c.opened_on, c.return_month, c.age_band,
       c.citizenship_id, c.consent_services, c.closed_on IS NOT NULL AS is_closed,
       COALESCE(c.assigned_to_id, c.created_by_id) AS worker,
       LEAST(COALESCE(c.closed_on, DATE '{ANCHOR}'), DATE '{ANCHOR}') AS end_on,
       LEAST(COALESCE(c.closed_on, DATE '{ANCHOR}'), COALESCE(c.consent_withdrawn_on, DATE '{ANCHOR}'),
             DATE '{ANCHOR}') AS services_end,
       row_number() OVER (ORDER BY c.id) AS rn
FROM casework_case c
WHERE COALESCE(c.assigned_to_id, c.created_by_id) IS NOT NULL;
CREATE INDEX ON bench_case (rn);
ANALYZE bench_case;
"""

# A random whole number from 0 to n-1, and a random day between two dates (both included).
RAND = "floor(random() * {n})::int"


def day_between(start: str, end: str) -> str:
    return f"({start} + floor(random() * ({end} - {start} + 1))::int)"


# PostgreSQL may inline a subquery and evaluate `random()` once per reference to its column, so that a
# status drawn once would be drawn again where it is used. Every stage that draws is therefore a
# MATERIALIZED CTE: a drawn value is computed once per row and then only read.

# Referrals: services need consent, so only cases with consent to services get more. Each gets 0 to
# 2·m extra (m chosen to reach the target), with the status mix of the demo: an open case any status, a
# closed one (or one whose consent was withdrawn) only ended referrals.
REFERRALS = """
WITH services AS (
    SELECT array_agg(id ORDER BY id) AS ids FROM casework_servicetype WHERE is_active
), drawn AS MATERIALIZED (
    SELECT b.id AS case_id, b.worker, b.services_end, random() AS r2, {base} AS base,
           services.ids[1 + floor(random() * cardinality(services.ids))::int] AS service_type_id,
           CASE WHEN b.is_closed OR b.services_end < DATE '{anchor}' THEN
                    (ARRAY['completed', 'completed', 'completed', 'completed', 'completed', 'completed',
                           'declined', 'declined', 'dropped_out', 'dropped_out', 'dropped_out',
                           'cancelled', 'cancelled'])[1 + floor(random() * 13)::int]
                ELSE (ARRAY['planned', 'referred', 'referred', 'accepted', 'in_progress', 'in_progress',
                            'in_progress', 'completed', 'completed', 'completed', 'completed',
                            'declined', 'dropped_out', 'cancelled'])[1 + floor(random() * 14)::int]
           END AS status
    FROM bench_case b
    CROSS JOIN LATERAL generate_series(1, floor(random() * (2 * {mean} + 1))::int + 0 * b.id) AS g
    CROSS JOIN services
    WHERE b.consent_services AND b.status <> 'intake'
), accepted AS MATERIALIZED (
    SELECT drawn.*,
           CASE WHEN status NOT IN ('planned') AND NOT (status = 'cancelled' AND r2 < 0.5)
                THEN base END AS referred_on,
           CASE WHEN status IN ('accepted', 'in_progress', 'completed', 'dropped_out')
                THEN LEAST(base + floor(random() * 22)::int, services_end) END AS accepted_on
    FROM drawn
), started AS MATERIALIZED (
    SELECT accepted.*,
           CASE WHEN status IN ('in_progress', 'completed', 'dropped_out')
                THEN LEAST(accepted_on + floor(random() * 31)::int, services_end) END AS started_on
    FROM accepted
), ended AS MATERIALIZED (
    SELECT started.*,
           CASE status
               WHEN 'completed' THEN LEAST(started_on + 30 + floor(random() * 241)::int, services_end)
               WHEN 'dropped_out' THEN LEAST(started_on + 14 + floor(random() * 107)::int, services_end)
               WHEN 'declined' THEN LEAST(base + 3 + floor(random() * 28)::int, services_end)
               WHEN 'cancelled' THEN LEAST(base + 1 + floor(random() * 60)::int, services_end)
           END AS ended_on,
           random() AS r3
    FROM started
)
INSERT INTO casework_referral (case_id, service_type_id, provider_id, status, referred_on, accepted_on,
                               started_on, ended_on, outcome, outcome_note, created_by_id, created_at,
                               updated_at)
SELECT case_id, service_type_id, NULL, status, referred_on, accepted_on, started_on, ended_on,
       CASE WHEN status = 'completed'
                THEN (ARRAY['goals_met', 'goals_met', 'partly_met', 'not_met'])[1 + floor(r3 * 4)::int]
            WHEN status = 'dropped_out'
                THEN (ARRAY['not_met', 'not_met', 'partly_met', ''])[1 + floor(r3 * 4)::int]
            WHEN status IN ('declined', 'cancelled')
                THEN (ARRAY['not_applicable', ''])[1 + floor(r3 * 2)::int]
            ELSE '' END,
       '', worker, (COALESCE(referred_on, base) + TIME '10:00') AT TIME ZONE 'UTC',
       (COALESCE(ended_on, started_on, accepted_on, referred_on, base) + TIME '16:00') AT TIME ZONE 'UTC'
FROM ended
"""

NOTES = """
WITH texts AS (
    SELECT array_agg(text ORDER BY text) AS a FROM (
        SELECT DISTINCT text FROM casework_casenote WHERE NOT restricted ORDER BY text LIMIT 2000
    ) t
), drawn AS MATERIALIZED (
    SELECT b.id AS case_id, b.worker, {day} AS contact_on,
           (ARRAY['home_visit', 'home_visit', 'office', 'office', 'phone', 'online', 'other'])
               [1 + floor(random() * 7)::int] AS contact_type,
           texts.a[1 + floor(random() * cardinality(texts.a))::int] AS text
    FROM bench_case b
    CROSS JOIN LATERAL generate_series(1, floor(random() * (2 * {mean} + 1))::int + 0 * b.id) AS g
    CROSS JOIN texts
)
INSERT INTO casework_casenote (case_id, author_id, contact_on, contact_type, text, restricted, created_at,
                               updated_at)
SELECT case_id, worker, contact_on, contact_type, text, false,
       (contact_on + TIME '15:00') AT TIME ZONE 'UTC', (contact_on + TIME '15:00') AT TIME ZONE 'UTC'
FROM drawn
"""

ASSESSMENTS = """
WITH drawn AS MATERIALIZED (
    SELECT b.id AS case_id, b.worker, {day} AS assessed_on
    FROM bench_case b
    CROSS JOIN LATERAL generate_series(1, floor(random() * (2 * {mean} + 1))::int + 0 * b.id) AS g
)
INSERT INTO casework_assessment (case_id, assessed_on, assessed_by_id, psychosocial, health, family_ties,
                                 community_acceptance, livelihood, housing, education, legal, disengagement,
                                 created_at)
SELECT case_id, assessed_on, worker,
       1 + floor(random() * 5)::int, 1 + floor(random() * 5)::int, 1 + floor(random() * 5)::int,
       1 + floor(random() * 5)::int, 1 + floor(random() * 5)::int, 1 + floor(random() * 5)::int,
       CASE WHEN random() < 0.8 THEN 1 + floor(random() * 5)::int END,
       CASE WHEN random() < 0.8 THEN 1 + floor(random() * 5)::int END,
       CASE WHEN random() < 0.8 THEN 1 + floor(random() * 5)::int END,
       (assessed_on + TIME '11:00') AT TIME ZONE 'UTC'
FROM drawn
"""

# Proceedings for adults without one (children only when adults run out), until a third of the cases
# have one: a framework of the case's citizenship, one of its provisions (or none), dates after the
# return, an end date for the final stages.
PROCEEDINGS = """
WITH frameworks AS (
    SELECT f.country_id, array_agg(f.id ORDER BY f.id) AS ids
    FROM policies_legalframework f WHERE f.country_id IS NOT NULL GROUP BY f.country_id
), provisions AS (
    SELECT p.framework_id, array_agg(p.id ORDER BY p.id) AS ids
    FROM policies_provision p GROUP BY p.framework_id
), chosen AS MATERIALIZED (
    SELECT b.id AS case_id, b.return_month,
           fw.ids[1 + floor(random() * cardinality(fw.ids))::int] AS framework_id,
           (ARRAY['investigation', 'charged', 'trial', 'sentenced', 'probation', 'probation', 'amnestied',
                  'amnestied', 'acquitted', 'completed', 'completed'])
               [1 + floor(random() * 11)::int] AS stage,
           random() AS r
    FROM bench_case b
    JOIN frameworks fw ON fw.country_id = b.citizenship_id
    WHERE NOT EXISTS (SELECT 1 FROM casework_legalproceeding p WHERE p.case_id = b.id)
    ORDER BY (b.age_band IN ('0-4', '5-11', '12-17')), r
    LIMIT {needed}
), dated AS MATERIALIZED (
    SELECT chosen.*, LEAST(return_month + floor(random() * 91)::int, DATE '{anchor}') AS started_on,
           CASE WHEN random() < 0.92
                THEN pr.ids[1 + floor(random() * cardinality(pr.ids))::int] END AS provision_id
    FROM chosen LEFT JOIN provisions pr ON pr.framework_id = chosen.framework_id
)
INSERT INTO casework_legalproceeding (case_id, framework_id, provision_id, stage, started_on, ended_on,
                                      closed_court, outcome, created_at, updated_at)
SELECT case_id, framework_id, provision_id, stage, started_on,
       CASE WHEN stage IN ('amnestied', 'acquitted', 'completed')
            THEN LEAST(started_on + 90 + floor(random() * 811)::int, DATE '{anchor}') END,
       random() < 0.3, '', (started_on + TIME '09:00') AT TIME ZONE 'UTC',
       (started_on + TIME '09:00') AT TIME ZONE 'UTC'
FROM dated
"""

# The audit trail: what the application writes, in proportions a busy deployment would see.
ACTORS = """
CREATE TEMP TABLE bench_actor AS
SELECT u.id, u.username, u.organisation_id, u.role FROM casework_user u;
CREATE INDEX ON bench_actor (id);
"""
AUDIT = """
WITH drawn AS MATERIALIZED (
    SELECT g, 1 + floor(random() * (SELECT count(*) FROM bench_case))::int AS rn, random() AS k,
           TIMESTAMPTZ '2019-01-01 00:00+00'
               + random() * (TIMESTAMPTZ '{anchor} 18:00+00' - TIMESTAMPTZ '2019-01-01 00:00+00') AS at,
           ('10.' || floor(random() * 256)::int || '.' || floor(random() * 256)::int || '.'
            || (1 + floor(random() * 254)::int))::inet AS ip
    FROM generate_series(1, {events}) AS g
)
INSERT INTO casework_auditevent (actor_id, actor_username, actor_organisation_id, actor_role, action,
                                 object_type, object_id, case_reference, at, ip_address, details)
SELECT a.id, a.username, a.organisation_id, a.role, kind.action, kind.object_type,
       CASE WHEN kind.object_type = 'case' THEN b.id::text ELSE '' END,
       CASE WHEN kind.with_case THEN b.reference ELSE '' END,
       drawn.at, drawn.ip, kind.details
FROM drawn
JOIN bench_case b ON b.rn = drawn.rn
JOIN bench_actor a ON a.id = b.worker
JOIN (VALUES
    (0.00, 0.60, 'view', 'case', true, '{{"page": "case"}}'::jsonb),
    (0.60, 0.75, 'view', '', false,
     '{{"page": "case_list", "filters": {{"status": "open"}}, "count": 150, "page_number": 1}}'::jsonb),
    (0.75, 0.85, 'create', 'casenote', true, '{{"fields": ["contact_on", "contact_type", "text"]}}'::jsonb),
    (0.85, 0.93, 'change', 'case', true,
     '{{"changes": {{"status": {{"old": "intake", "new": "active"}}}}}}'::jsonb),
    (0.93, 0.98, 'sign_in', '', false, '{{}}'::jsonb),
    (0.98, 1.01, 'not_found', '', true, '{{"page": "case", "method": "GET"}}'::jsonb)
) AS kind(lo, hi, action, object_type, with_case, details) ON drawn.k >= kind.lo AND drawn.k < kind.hi
ORDER BY drawn.at
"""


def run(label: str, timings: dict, function, *args):
    started = time.monotonic()
    result = function(*args)
    timings[label] = round(time.monotonic() - started, 1)
    print(f"  {label}: {timings[label]} s", flush=True)
    return result


def recreate_database() -> None:
    import psycopg
    from django.db import connection

    params = connection.get_connection_params()
    name = params["dbname"]
    admin = {key: value for key, value in params.items() if key in ("host", "port", "user", "password")}
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def manage(*args: str) -> None:
    subprocess.run([sys.executable, str(benchenv.PROJECT_DIR / "manage.py"), *args], check=True)


def counts(cursor) -> dict[str, int]:
    result = {}
    for table in TABLES:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - table names are constants
        result[table] = cursor.fetchone()[0]
    cursor.execute("SELECT count(DISTINCT case_id) FROM casework_legalproceeding")
    result["cases with a legal proceeding"] = cursor.fetchone()[0]
    return result


def top_up(n_cases: int, per_case: dict[str, float], audit_events: int, timings: dict) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")  # one order of random draws
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute(CASE_FACTS)
        cursor.execute("SELECT count(*) FROM bench_case")
        total_cases = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM bench_case WHERE consent_services AND status <> 'intake'")
        served = cursor.fetchone()[0]

        def existing(table: str) -> int:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - constants
            return cursor.fetchone()[0]

        def insert(label: str, sql: str) -> None:
            started = time.monotonic()
            cursor.execute(sql)
            timings[label] = round(time.monotonic() - started, 1)
            print(f"  {label}: {cursor.rowcount:,} rows in {timings[label]} s", flush=True)

        missing = max(0, per_case["referrals"] * total_cases - existing("casework_referral"))
        mean = missing / served if served else 0
        day = day_between("b.opened_on", "b.services_end")
        insert("top-up referrals", REFERRALS.format(mean=mean, base=day, anchor=ANCHOR))

        missing = max(0, per_case["notes"] * total_cases - existing("casework_casenote"))
        day = day_between("b.opened_on", "b.end_on")
        insert("top-up notes", NOTES.format(mean=missing / total_cases, day=day))

        missing = max(0, per_case["assessments"] * total_cases - existing("casework_assessment"))
        insert("top-up assessments", ASSESSMENTS.format(mean=missing / total_cases, day=day))

        cursor.execute("SELECT count(DISTINCT case_id) FROM casework_legalproceeding")
        needed = max(0, round(per_case["proceedings"] * total_cases) - cursor.fetchone()[0])
        insert("top-up legal proceedings", PROCEEDINGS.format(needed=needed, anchor=ANCHOR))

        events = max(0, audit_events - existing("casework_auditevent"))
        cursor.execute(ACTORS)
        insert("audit events", AUDIT.format(events=events, anchor=ANCHOR))


def vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--audit-events", type=int, default=1_000_000)
    parser.add_argument("--referrals-per-case", type=float, default=5)
    parser.add_argument("--notes-per-case", type=float, default=4)
    parser.add_argument("--assessments-per-case", type=float, default=3)
    parser.add_argument("--proceedings-share", type=float, default=1 / 3, help="share of cases with one")
    parser.add_argument(
        "--keep", action="store_true", help="do not recreate the database (it must hold no demo data yet)"
    )
    parser.add_argument("--output", default=str(benchenv.RESULTS_DIR / "seed.json"))
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("The benchmarks run on PostgreSQL: set DATABASE_URL=postgres://...")
    timings: dict[str, float] = {}
    started = time.monotonic()
    database = connection.settings_dict["NAME"]
    print(f"Seeding {database}: {args.cases:,} cases, {args.audit_events:,} audit events", flush=True)
    if not args.keep:
        run("recreate database", timings, recreate_database)
    run("migrate", timings, manage, "migrate", "--no-input", "--verbosity", "0")
    run(
        "seed_demo",
        timings,
        manage,
        "seed_demo",
        "--cases",
        str(args.cases),
        "--force",
        "--password-file",
        str(benchenv.PASSWORD_FILE),
    )
    connection.close()  # the subprocesses changed the database; start a fresh connection
    per_case = {
        "referrals": args.referrals_per_case,
        "notes": args.notes_per_case,
        "assessments": args.assessments_per_case,
        "proceedings": args.proceedings_share,
    }
    top_up(args.cases, per_case, args.audit_events, timings)
    run("vacuum analyze", timings, vacuum)
    total = round(time.monotonic() - started, 1)

    with connection.cursor() as cursor:
        rows = counts(cursor)
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cursor.fetchone()[0]
    print(f"\nDone in {total} s ({total / 60:.1f} min); database size {size}.")
    width = max(len(name) for name in rows)
    for name, count in rows.items():
        per = f"  ({count / rows['casework_case']:.2f} per case)" if rows["casework_case"] else ""
        print(f"  {name:<{width}}  {count:>10,}{per}")
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(
        json.dumps(
            {"database": database, "seconds": total, "steps": timings, "rows": rows, "size": size}, indent=2
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"Written to {output}.")


if __name__ == "__main__":
    main()

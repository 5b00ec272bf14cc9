# ruff: noqa: S608 - explains the SQL the application itself ran
"""EXPLAIN (ANALYZE, BUFFERS) of every query the benchmarked requests run, with sequential scans flagged.

    .venv/bin/python bench/explain.py                      # plans as the schema is
    .venv/bin/python bench/indexes.py create               # the proposed indexes (bench/indexes.py)
    .venv/bin/python bench/explain.py --label with-indexes
    .venv/bin/python bench/indexes.py drop

Each benchmark of bench/timings.py is requested once (after a warm-up) with CaptureQueriesContext; every
SELECT it ran (a server-side cursor's `DECLARE … FOR SELECT` too) is explained on the same connection,
so the plans are the ones the application gets. A sequential scan of a large table (more than 10,000
rows: cases, households, referrals, notes, assessments, proceedings, the audit trail, field history) is
flagged. Writes bench/results/explain-<label>.md (the plans) and .json (a summary per query).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchenv  # noqa: E402

LARGE_TABLE_ROWS = 10_000
# Session keys and data, and API token prefixes, stay out of the written plans (they are credentials of
# the benchmark database's users, however throwaway).
SECRETS = re.compile(
    r'(("session_key"|"session_data"|"prefix")\s*=\s*)\'[^\']*(?:\'|$)|(session_key = |prefix = )\'[^\']*\''
)


def redact(text: str) -> str:
    return SECRETS.sub(lambda match: f"{match.group(1) or match.group(3)}'…'", text)


DECLARE = re.compile(r'^DECLARE "[^"]+" NO SCROLL CURSOR WITH(?:OUT)? HOLD FOR ', re.IGNORECASE)


def large_tables(cursor) -> dict[str, int]:
    cursor.execute(
        "SELECT relname, n_live_tup FROM pg_stat_user_tables WHERE n_live_tup > %s", [LARGE_TABLE_ROWS]
    )
    return dict(cursor.fetchall())


def walk(node: dict, found: list[dict]) -> None:
    if node.get("Node Type") == "Seq Scan":
        found.append(
            {
                "relation": node.get("Relation Name"),
                "rows": (node.get("Actual Rows") or 0) * (node.get("Actual Loops") or 1),
                "loops": node.get("Actual Loops"),
                "filter": node.get("Filter", ""),
                "removed": node.get("Rows Removed by Filter", 0),
            }
        )
    for child in node.get("Plans", []):
        walk(child, found)


def explain(cursor, sql: str) -> tuple[dict, str]:
    cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
    plan = cursor.fetchone()[0]
    plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
    text = "\n".join(row[0] for row in cursor.fetchall())
    return plan, text


def shorten(sql: str, limit: int = 220) -> str:
    sql = re.sub(r"\s+", " ", sql)
    select = re.match(r"SELECT (.*?) FROM (.*)", sql)
    if select and len(select.group(1)) > 60:
        sql = f"SELECT … FROM {select.group(2)}"
    return sql if len(sql) <= limit else sql[: limit - 1] + "…"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--label", default="schema", help="names the output files (default: schema)")
    parser.add_argument("--only", nargs="*", help="benchmark keys of bench/timings.py")
    args = parser.parse_args()

    benchenv.setup_django()
    import timings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ctx = timings.context()
    report: list[str] = [f"# EXPLAIN (ANALYZE, BUFFERS): {args.label}", ""]
    summary: dict[str, Any] = {}
    with connection.cursor() as cursor:
        large = large_tables(cursor)
    for bench in timings.BENCHES:
        if args.only and bench.key not in args.only:
            continue
        client, headers = timings.client_for(bench.who, ctx)
        url = bench.urls(ctx)[0]
        timings.request(client, headers, url)  # warm-up: caches, the session
        with CaptureQueriesContext(connection) as captured:
            timings.request(client, headers, url)
        report += [f"## {bench.key}: {bench.title}", "", f"`GET {url}`", ""]
        rows = []
        plans = []
        with connection.cursor() as cursor:
            for number, query in enumerate(captured.captured_queries, 1):
                sql = redact(DECLARE.sub("", query["sql"]))
                if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                    rows.append({"n": number, "sql": shorten(sql), "ms": float(query["time"]) * 1000})
                    continue
                plan, text = explain(cursor, sql)
                seq: list[dict] = []
                walk(plan["Plan"], seq)
                flagged = [scan for scan in seq if scan["relation"] in large]
                rows.append(
                    {
                        "n": number,
                        "sql": shorten(sql),
                        "ms": plan["Execution Time"] + plan.get("Planning Time", 0),
                        "execution_ms": plan["Execution Time"],
                        "seq_scans_of_large_tables": flagged,
                    }
                )
                if flagged or plan["Execution Time"] > 5:
                    plans.append((number, sql, text))
        summary[bench.key] = {"url": url, "queries": rows}
        report += ["| # | query | ms | sequential scans of large tables |", "|---:|---|---:|---|"]
        for row in rows:
            scans = ", ".join(
                f"**{scan['relation']}** ({scan['rows']:,} rows kept, {scan['removed']:,} removed)"
                for scan in row.get("seq_scans_of_large_tables", [])
            )
            sql = row["sql"].replace("|", "\\|")
            report.append(f"| {row['n']} | `{sql}` | {row['ms']:.1f} | {scans or '—'} |")
        report.append("")
        for number, sql, text in plans:
            report += [f"### Query {number}", "", "```sql", sql, "```", "", "```", text, "```", ""]
        flagged_total = sum(len(row.get("seq_scans_of_large_tables", [])) for row in rows)
        print(f"{bench.key}: {len(rows)} queries, {flagged_total} sequential scans of large tables")
    benchenv.RESULTS_DIR.mkdir(exist_ok=True)
    (benchenv.RESULTS_DIR / f"explain-{args.label}.md").write_text("\n".join(report) + "\n")
    (benchenv.RESULTS_DIR / f"explain-{args.label}.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"Written to {benchenv.RESULTS_DIR / f'explain-{args.label}.md'}")


if __name__ == "__main__":
    main()

# ruff: noqa: S603 - runs this file with this interpreter
"""Peak memory and speed of the CSV export of every case, against PostgreSQL's COPY.

    .venv/bin/python bench/export_memory.py

Each export runs in a fresh Python process (a child of this one) that sets Django up, signs in and
downloads `/cases/export.csv` through the test Client, reading the streamed body chunk by chunk and
throwing it away, as a WSGI server would send it on. The child reports its peak resident set size
(`getrusage` ru_maxrss, the same figure as `/usr/bin/time -v`'s "Maximum resident set size"), the rows,
bytes and seconds. Two children:

- `baseline`: the same process exporting a caseworker's few cases, i.e. Django, the app and one request;
- `every case`: the system administrator's export of every case (100,000 in the benchmark database),
  timed after one small export in the same process (as a running server would have done one before).

Between them, this process times `COPY (the same columns) TO STDOUT WITH CSV` (bench/timings.py's
EXPORT_SQL) three times; the issue's targets are a peak under 200 MB and at least a third of COPY's speed.
Writes bench/results/export-memory.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchenv  # noqa: E402

TARGET_MB = 200
WARM_UP_USER = "ngo-a-caseworker"


def child(username: str) -> None:
    benchenv.setup_django()
    from django.test import Client

    from casework.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    client.get("/healthz")  # loads the URLconf and the views: the export's time is the export's
    if username != WARM_UP_USER:
        # A server process has exported before: translations, the server-side cursor's first plan and
        # the lazily imported modules are loaded. One small export (a caseworker's) does that here, so
        # the time measured is the export's, not the process's start-up.
        warm = Client()
        warm.force_login(User.objects.get(username=WARM_UP_USER))
        for _chunk in warm.get("/cases/export.csv").streaming_content:
            pass
    started = time.perf_counter()
    response = client.get("/cases/export.csv")
    assert response.status_code == 200, response.status_code
    size = lines = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        lines += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    print(json.dumps({"rows": lines - 1, "bytes": size, "seconds": seconds, "peak_rss_mb": peak_kb / 1024}))


def run_child(username: str) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", username], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def copy_seconds(times: int = 3) -> list[float]:
    import psycopg
    from timings import EXPORT_SQL

    result = []
    with psycopg.connect(benchenv.psycopg_dsn(), autocommit=True) as connection:
        for _ in range(times):
            started = time.perf_counter()
            with connection.cursor() as cursor, cursor.copy(EXPORT_SQL) as copy:
                for _block in copy:
                    pass
            result.append(time.perf_counter() - started)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", metavar="USERNAME", help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=3, help="exports of every case (default 3)")
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return

    benchenv.setup_django()
    baseline = run_child(WARM_UP_USER)
    print(f"baseline (a caseworker's {baseline['rows']} cases): peak {baseline['peak_rss_mb']:.0f} MB")
    runs, copies = [], []
    for _ in range(args.runs):
        copies.extend(copy_seconds(1))
        runs.append(run_child("admin"))
        print(
            f"every case: {runs[-1]['rows']:,} rows, {runs[-1]['bytes'] / 1e6:.1f} MB of CSV in "
            f"{runs[-1]['seconds']:.2f} s, peak {runs[-1]['peak_rss_mb']:.0f} MB; COPY {copies[-1]:.2f} s"
        )
    export_s = statistics.median(run["seconds"] for run in runs)
    copy_s = statistics.median(copies)
    peak = max(run["peak_rss_mb"] for run in runs)
    summary = {
        "baseline": baseline,
        "exports": runs,
        "copy_seconds": copies,
        "export_median_s": export_s,
        "copy_median_s": copy_s,
        "speed_vs_copy": copy_s / export_s,
        "peak_rss_mb": peak,
        "peak_over_baseline_mb": peak - baseline["peak_rss_mb"],
        "meets_memory_target": peak < TARGET_MB,
        "meets_speed_target": copy_s / export_s >= 1 / 3,
    }
    print(
        f"\npeak RSS {peak:.0f} MB (target < {TARGET_MB} MB; {summary['peak_over_baseline_mb']:.0f} MB over "
        f"the baseline); export {export_s:.2f} s vs COPY {copy_s:.2f} s = "
        f"{summary['speed_vs_copy']:.2f} of COPY's speed (target ≥ 0.33)"
    )
    benchenv.RESULTS_DIR.mkdir(exist_ok=True)
    (benchenv.RESULTS_DIR / "export-memory.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()

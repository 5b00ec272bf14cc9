# ruff: noqa: S603 - runs this file with this interpreter
"""Time and peak memory of the background exports (casework/export_jobs/), as the task consumer runs them.

    .venv/bin/python bench/export_jobs.py

Each export runs in a fresh Python process (a child of this one) that sets Django up and runs the job's
body (`casework.export_jobs.jobs.run`) as `manage.py run_huey` would, inside a transaction that is rolled
back at the end: the benchmark database keeps no job (the file is written to PostgreSQL and thrown away
with the rollback). The child reports the job's wall time, the file's size, how many progress steps it
wrote and its peak resident set size (`getrusage` ru_maxrss, the figure `/usr/bin/time -v` prints), and
the same peak for a process that only set Django up and signed nobody in (the baseline). Exports:

- `cases-xlsx`: the XLSX of every case, as the system administrator (100,000 rows);
- `caseload-pdf`, `caseload-xlsx`: the caseload report of ngo-a as its supervisor, period 2019-01-01 –
  2025-06-30 (bench/timings.py's);
- `country-brief-pdf`: the country brief of Kazakhstan as the analyst (every sharing organisation).

Needs migration 0008 in the benchmark database. Writes bench/results/export-jobs.json.
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
from timings import ANCHOR_PERIOD  # noqa: E402

PERIOD = {"organisation": "ngo-a", "from": ANCHOR_PERIOD[0], "to": ANCHOR_PERIOD[1]}
EXPORTS = {
    "cases-xlsx": ("admin", "cases", "xlsx", {}),
    "caseload-pdf": ("ngo-a-supervisor", "caseload", "pdf", PERIOD),
    "caseload-xlsx": ("ngo-a-supervisor", "caseload", "xlsx", PERIOD),
    "country-brief-pdf": ("analyst", "country-brief", "pdf", {"country": "KZ"}),
}


class Rollback(Exception):
    pass


def child(name: str) -> None:
    benchenv.setup_django()
    from django.db import transaction

    from casework.export_jobs import jobs
    from casework.models import ExportJob, User

    if name == "baseline":
        User.objects.first()
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({"peak_rss_mb": peak_kb / 1024}))
        return
    username, report, output, parameters = EXPORTS[name]
    user = User.objects.get(username=username)
    steps = []
    try:
        with transaction.atomic():
            job = jobs._create(user=user, report=report, parameters=parameters, output=output)
            started = time.perf_counter()
            jobs.run(str(job.pk), progress_hook=lambda percent, stage: steps.append(percent))
            seconds = time.perf_counter() - started
            done = ExportJob.objects.defer("result").get(pk=job.pk)
            result = {
                "status": done.status,
                "seconds": seconds,
                "bytes": done.size,
                "progress_steps": len(steps),
                "filename": done.filename,
            }
            raise Rollback
    except Rollback:
        pass
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def run_child(name: str) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", name], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=3, help="runs of each export (default 3)")
    parser.add_argument("--only", nargs="+", choices=list(EXPORTS), help="some exports only")
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return

    benchenv.setup_django()
    baseline = run_child("baseline")["peak_rss_mb"]
    print(f"baseline (Django set up, one query): peak {baseline:.0f} MB")
    summary: dict = {"baseline_peak_rss_mb": baseline, "exports": {}}
    for name in args.only or EXPORTS:
        runs = [run_child(name) for _ in range(args.runs)]
        assert all(run["status"] == "done" for run in runs), runs
        entry = {
            "user": EXPORTS[name][0],
            "parameters": EXPORTS[name][3],
            "runs": runs,
            "median_s": statistics.median(run["seconds"] for run in runs),
            "max_s": max(run["seconds"] for run in runs),
            "peak_rss_mb": max(run["peak_rss_mb"] for run in runs),
            "bytes": runs[-1]["bytes"],
            "progress_steps": runs[-1]["progress_steps"],
        }
        summary["exports"][name] = entry
        print(
            f"{name}: median {entry['median_s']:.2f} s (max {entry['max_s']:.2f} s), "
            f"{entry['bytes'] / 1e6:.2f} MB, peak RSS {entry['peak_rss_mb']:.0f} MB "
            f"({entry['peak_rss_mb'] - baseline:.0f} MB over the baseline), "
            f"{entry['progress_steps']} progress steps"
        )
    benchenv.RESULTS_DIR.mkdir(exist_ok=True)
    (benchenv.RESULTS_DIR / "export-jobs.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()

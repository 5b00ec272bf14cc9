# ruff: noqa: S603, S607 - starts gunicorn, locust, the check (this virtualenv) and openssl
"""The load test in one command: gunicorn + PostgreSQL (the benchmark database), locust, the write check.

    .venv/bin/python bench/load/run.py                       # 24 users, 2 minutes
    .venv/bin/python bench/load/run.py --users 40 --time 5m --label with-indexes

1. A run marker (`LT` and ten random letters) and one API token per simulated analyst (`issue_api_token
   analyst --days 1`), written with the demo password to bench/load/.run.json (git-ignored: secrets).
2. gunicorn with config/gunicorn.conf.py (its default workers, 2 × CPUs + 1) on 127.0.0.1:8011, DEBUG
   off, the access log off, serving HTTPS itself with a self-signed certificate (bench/load/.tls/, made
   with openssl on first use): with DEBUG off the session and CSRF cookies are `Secure`, so a client
   only sends them over HTTPS, as behind the real TLS-terminating proxy. Waits for /healthz.
3. locust headless (bench/load/locustfile.py) for --time with --users, spawning --rate a second; its
   CSV files go to bench/results/load_*.csv.
4. gunicorn is stopped; bench/load/check_writes.py checks every write is in the database.
5. A table per endpoint (requests, failures, requests per second, p50/p95/p99) is printed and written,
   with the check, to bench/results/load-<label>.json.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import json
import os
import secrets
import signal
import ssl
import string
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import benchenv  # noqa: E402

LOAD_DIR = Path(__file__).resolve().parent
RUN_FILE = LOAD_DIR / ".run.json"
TLS_DIR = LOAD_DIR / ".tls"
BIN = Path(sys.executable).parent


def issue_tokens(count: int) -> list[str]:
    from django.core.management import call_command

    tokens = []
    for number in range(count):
        out = io.StringIO()
        call_command(
            "issue_api_token",
            "analyst",
            "--days",
            "1",
            "--name",
            f"load test {number}",
            stdout=out,
            stderr=io.StringIO(),
        )
        tokens.append(out.getvalue().strip().splitlines()[-1])
    return tokens


def certificate() -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (an EC key: cheap handshakes), made once."""
    cert, key = TLS_DIR / "cert.pem", TLS_DIR / "key.pem"
    if not cert.exists():
        TLS_DIR.mkdir(mode=0o700, exist_ok=True)
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-days", "30", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
             "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True,
        )  # fmt: skip
    return cert, key


def wait_for(url: str, seconds: float = 60) -> None:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # our own self-signed server
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5, context=context) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not answer within {seconds} s")


def summary(prefix: Path) -> list[dict]:
    rows = []
    with open(f"{prefix}_stats.csv", encoding="utf-8") as stats:
        for row in csv.DictReader(stats):
            rows.append(
                {
                    "method": row["Type"],
                    "name": row["Name"],
                    "requests": int(row["Request Count"]),
                    "failures": int(row["Failure Count"]),
                    "rps": float(row["Requests/s"]),
                    "p50_ms": float(row["50%"] or 0),
                    "p95_ms": float(row["95%"] or 0),
                    "p99_ms": float(row["99%"] or 0),
                    "max_ms": float(row["Max Response Time"] or 0),
                }
            )
    return rows


def by_method(times_file: Path) -> list[dict]:
    """p50/p95/p99 over every request of a method: GET (the pages and API reads the target is about)
    and POST (sign-ins and writes)."""
    times = json.loads(times_file.read_text())
    rows = []
    labels = (("GET", "All page and API reads (GET)"), ("POST", "All sign-ins and writes (POST)"))
    for method, label in labels:
        values = sorted(times.get(method, []))
        if not values:
            continue

        def at(share: float, values=values) -> float:
            return values[min(len(values) - 1, int(share * len(values)))]

        rows.append(
            {
                "method": method,
                "name": label,
                "requests": len(values),
                "failures": None,
                "rps": None,
                "p50_ms": at(0.50),
                "p95_ms": at(0.95),
                "p99_ms": at(0.99),
                "max_ms": values[-1],
            }
        )
    return rows


def markdown(rows: list[dict]) -> str:
    lines = [
        "| endpoint | requests | failures | req/s | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        name = row["name"] if row["name"] == "Aggregated" else f"{row['method']} {row['name']}"
        if row["rps"] is None:  # a by-method row: its failures are in the rows above
            name = f"**{row['name']}**"
        failures = "" if row["failures"] is None else row["failures"]
        rps = "" if row["rps"] is None else f"{row['rps']:.1f}"
        lines.append(
            f"| {name} | {row['requests']} | {failures} | {rps} | {row['p50_ms']:.0f} | "
            f"{row['p95_ms']:.0f} | {row['p99_ms']:.0f} | {row['max_ms']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=24)
    parser.add_argument("--rate", type=float, default=4, help="users started per second")
    parser.add_argument("--time", default="2m", help="locust --run-time (default 2m)")
    parser.add_argument("--port", type=int, default=8011)
    parser.add_argument("--label", default="latest")
    args = parser.parse_args()

    benchenv.setup_django(collect_static=False)
    from django.core.management import call_command

    call_command("collectstatic", "--no-input", verbosity=0)  # the CSS as it is now, for gunicorn
    # Letters only: the free-text screen would take a long run of digits for an ID number.
    marker = "LT" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(10))
    analysts = max(1, args.users // 5 + 1)
    RUN_FILE.write_text(
        json.dumps({"marker": marker, "password": benchenv.password(), "tokens": issue_tokens(analysts)}),
        encoding="utf-8",
    )
    RUN_FILE.chmod(0o600)
    benchenv.RESULTS_DIR.mkdir(exist_ok=True)
    prefix = benchenv.RESULTS_DIR / "load"
    writes_file = benchenv.RESULTS_DIR / "load-writes.json"
    times_file = benchenv.RESULTS_DIR / ".load-times.json"  # every response time: large, not kept
    host = f"https://127.0.0.1:{args.port}"
    cert, key = certificate()
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{args.port}",
        "GUNICORN_ACCESS_LOG": "",
        "BENCH_RUN_FILE": str(RUN_FILE),
        "BENCH_WRITES_FILE": str(writes_file),
        "BENCH_TIMES_FILE": str(times_file),
    }
    print(f"Run {marker}: gunicorn on {host}, {args.users} users for {args.time}", flush=True)
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-c",
            str(benchenv.PROJECT_DIR / "config" / "gunicorn.conf.py"),
            "--certfile",
            str(cert),
            "--keyfile",
            str(key),
        ],  # fmt: skip
        cwd=benchenv.PROJECT_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(benchenv.RESULTS_DIR / "load-gunicorn.log", "w"),  # noqa: SIM115 - for the server's life
    )
    try:
        wait_for(f"{host}/healthz")
        started = time.monotonic()
        load_before = os.getloadavg()
        subprocess.run(
            [  # fmt: skip
                str(BIN / "locust"),
                "-f",
                str(LOAD_DIR / "locustfile.py"),
                "--host",
                host,
                "--headless",
                "--users",
                str(args.users),
                "--spawn-rate",
                str(args.rate),
                "--run-time",
                args.time,
                "--csv",
                str(prefix),
                "--only-summary",
                "--exit-code-on-error",
                "0",
            ],
            cwd=benchenv.PROJECT_DIR,
            env=env,
            check=True,
        )
        seconds = time.monotonic() - started
        load_after = os.getloadavg()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    check = subprocess.run([sys.executable, str(LOAD_DIR / "check_writes.py"), str(writes_file)], env=env)
    rows = summary(prefix) + by_method(times_file)
    table = markdown(rows)
    print("\n" + table)
    result = {
        "label": args.label,
        "at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "users": args.users,
        "run_time": args.time,
        "seconds": round(seconds, 1),
        # The machine's 1-minute load average as the run began and ended: others share its 2 cores.
        "load_average": {"before": load_before[0], "after": load_after[0], "cpus": os.cpu_count()},
        "endpoints": rows,
        "markdown": table,
        "check": json.loads((benchenv.RESULTS_DIR / "load-check.json").read_text()),
        "check_exit_code": check.returncode,
    }
    (benchenv.RESULTS_DIR / f"load-{args.label}.json").write_text(json.dumps(result, indent=2) + "\n")
    sys.exit(check.returncode)


if __name__ == "__main__":
    main()

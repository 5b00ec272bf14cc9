"""What every benchmark script shares: the environment it runs Django in, and the benchmark database.

The benchmarks run the application as production runs it (DEBUG off, PostgreSQL), so each script sets
the environment the settings need before importing Django, without overriding anything already set:

    DATABASE_URL                postgres://postgres@127.0.0.1:5432/returnee_bench
    DJANGO_DEBUG                false
    DJANGO_SECRET_KEY           a random one per process (nothing the benchmarks keep depends on it)
    DJANGO_ALLOWED_HOSTS        127.0.0.1,localhost,testserver
    DJANGO_REQUIRE_2FA          false  (the benchmarks measure reads, not sign-in)
    DJANGO_SECURE_SSL_REDIRECT  false  (plain HTTP to a local server)
    DJANGO_STATIC_ROOT          bench/.staticfiles (git-ignored): with DEBUG off the pages need the
                                collected, hashed static files; `setup_django` collects them when missing

The demo users' password is kept in bench/.bench-password (git-ignored), written by bench/seed.py.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
STATIC_ROOT = BENCH_DIR / ".staticfiles"
PASSWORD_FILE = BENCH_DIR / ".bench-password"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/returnee_bench"

DEFAULTS = {
    "DATABASE_URL": DEFAULT_DATABASE_URL,
    "DJANGO_DEBUG": "false",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "DJANGO_REQUIRE_2FA": "false",
    "DJANGO_SECURE_SSL_REDIRECT": "false",
    "DJANGO_STATIC_ROOT": str(STATIC_ROOT),
}


def configure() -> None:
    """Set the benchmark environment (keeping what the caller set) and put the project on sys.path."""
    for name, value in DEFAULTS.items():
        os.environ.setdefault(name, value)
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(48)[:60])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if str(PROJECT_DIR) not in sys.path:
        sys.path.insert(0, str(PROJECT_DIR))


def setup_django(collect_static: bool = True) -> None:
    configure()
    import django

    django.setup()
    if collect_static:
        from django.conf import settings

        if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
            from django.core.management import call_command

            call_command("collectstatic", "--no-input", verbosity=0)


def password() -> str:
    if not PASSWORD_FILE.exists():
        raise SystemExit(f"{PASSWORD_FILE} is missing: seed the benchmark database first (bench/seed.py).")
    return PASSWORD_FILE.read_text(encoding="utf-8").strip()


def psycopg_dsn() -> str:
    """The benchmark database as a libpq connection string (for hand-written SQL with psycopg)."""
    from django.db import connection

    params = connection.get_connection_params()
    keys = {"host": "host", "port": "port", "user": "user", "password": "password", "dbname": "dbname"}
    parts = [f"{key}={params[name]}" for name, key in keys.items() if params.get(name)]
    return " ".join(parts)

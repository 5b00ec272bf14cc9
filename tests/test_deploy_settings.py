"""Running it for real: the gunicorn configuration, the production settings read from the environment,
and the read replica for analysts (docs/DEPLOY.md).

Settings are read once per process, so each environment is loaded in a fresh interpreter; gunicorn is
started for real on a free port where the behaviour is the server's own.
"""

import json
import os
import re
import runpy
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from io import StringIO
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connections
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from config import replica
from tests.factories import CaseFactory

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "config" / "gunicorn.conf.py"
GUNICORN = Path(sys.executable).with_name("gunicorn")
OWN_VARIABLES = ("DJANGO_", "DATABASE_", "CACHE_", "REDIS_", "CASEWORK_", "GUNICORN_", "WEB_CONCURRENCY")


def production_environment(**overrides: str) -> dict[str, str]:
    """A production-like environment: DEBUG off, a real-looking key and host, nothing else of ours."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith(OWN_VARIABLES)}
    environment.update(
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="casework.example.org",
        DATABASE_URL="postgres://returnee_app@db.internal:5432/returnee",
        PYTHONPATH=str(ROOT),
    )
    environment.update(overrides)
    return environment


def load_settings(**overrides: str) -> dict:
    names = [
        "STORAGES",
        "MIDDLEWARE",
        "DATABASES",
        "DATABASE_ROUTERS",
        "CACHES",
        "SESSION_ENGINE",
        "SECRET_KEY_FALLBACKS",
        "STATIC_ROOT",
        "WHITENOISE_USE_FINDERS",
        "WHITENOISE_AUTOREFRESH",
    ]
    code = (
        "import json, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; "
        "from django.conf import settings as s; "
        f"print(json.dumps({{name: getattr(s, name, None) for name in {names!r}}}, default=str))"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env=production_environment(**overrides),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def settings_error(**overrides: str) -> str:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import config.settings"],
        env=production_environment(**overrides),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0, "these settings should have been refused"
    return result.stderr.strip().splitlines()[-1]


# --- Static files -----------------------------------------------------------------------------------------


def test_production_serves_collected_hashed_compressed_static_files():
    chosen = load_settings()
    assert (
        chosen["STORAGES"]["staticfiles"]["BACKEND"]
        == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )
    assert chosen["WHITENOISE_USE_FINDERS"] is False and chosen["WHITENOISE_AUTOREFRESH"] is False
    middleware = chosen["MIDDLEWARE"]
    security = middleware.index("django.middleware.security.SecurityMiddleware")
    assert middleware[security + 1] == "whitenoise.middleware.WhiteNoiseMiddleware"


def test_without_a_manifest_static_files_come_from_the_apps_folders():
    chosen = load_settings(DJANGO_STATIC_MANIFEST="false", DJANGO_STATIC_ROOT="/srv/returnee/static")
    assert (
        chosen["STORAGES"]["staticfiles"]["BACKEND"]
        == "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
    assert chosen["WHITENOISE_USE_FINDERS"] is True
    assert chosen["STATIC_ROOT"] == "/srv/returnee/static"


# --- Secret key rotation ----------------------------------------------------------------------------------


def test_old_secret_keys_are_kept_as_fallbacks_while_a_new_one_signs():
    old_keys = [secrets.token_urlsafe(50), secrets.token_urlsafe(50)]
    chosen = load_settings(DJANGO_SECRET_KEY_FALLBACKS=",".join(old_keys))
    assert chosen["SECRET_KEY_FALLBACKS"] == old_keys
    assert load_settings()["SECRET_KEY_FALLBACKS"] == []


# --- Shared cache and sessions ----------------------------------------------------------------------------


def test_a_redis_url_gives_every_process_the_same_cache():
    chosen = load_settings(CACHE_URL="redis://cache.internal:6379/2")
    assert chosen["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert chosen["CACHES"]["default"]["LOCATION"] == "redis://cache.internal:6379/2"
    assert chosen["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"  # sessions stay in the database


def test_redis_url_is_accepted_under_its_other_common_name():
    chosen = load_settings(REDIS_URL="rediss://cache.internal:6380/0")
    assert chosen["CACHES"]["default"]["LOCATION"] == "rediss://cache.internal:6380/0"


def test_without_a_cache_url_each_process_keeps_its_own_cache():
    assert load_settings()["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


def test_a_cache_url_of_another_kind_is_refused_without_repeating_its_password():
    message = settings_error(CACHE_URL="memcached://:hunter2-secret@cache.internal:11211")
    assert "CACHE_URL" in message and "redis://" in message
    assert "hunter2-secret" not in message


def test_sessions_can_be_read_from_the_cache_and_written_through_to_the_database():
    chosen = load_settings(CACHE_URL="redis://cache.internal:6379/2", CASEWORK_SESSIONS_IN_CACHE="true")
    assert chosen["SESSION_ENGINE"] == "django.contrib.sessions.backends.cached_db"
    assert "CACHE_URL" in settings_error(CASEWORK_SESSIONS_IN_CACHE="true")


# --- Read replica -----------------------------------------------------------------------------------------


def test_a_replica_url_adds_the_replica_and_the_router_that_uses_it():
    chosen = load_settings(DATABASE_REPLICA_URL="postgres://returnee_app@replica.internal:5432/returnee")
    replica_settings = chosen["DATABASES"]["replica"]
    assert replica_settings["HOST"] == "replica.internal"
    assert replica_settings["TEST"] == {"MIRROR": "default"}
    assert chosen["DATABASE_ROUTERS"] == ["config.replica.AnalystReadsRouter"]
    assert chosen["MIDDLEWARE"][0] == "config.replica.RememberRequestMiddleware"


def test_without_a_replica_url_there_is_one_database_and_no_router():
    chosen = load_settings()
    assert list(chosen["DATABASES"]) == ["default"]
    assert chosen["DATABASE_ROUTERS"] in (None, [])


def api_get(path: str, user=None):
    request = RequestFactory().get(path)
    if user is not None:
        request.user = user
    return request


@pytest.mark.parametrize(
    ("who", "method", "path", "replica_read"),
    [
        ("analyst", "get", "/api/v1/stats/cases/", True),
        ("analyst", "head", "/api/v1/cases/", True),
        ("analyst", "post", "/api/v1/cases/", False),
        ("analyst", "get", "/cases/", False),
        ("caseworker_a", "get", "/api/v1/cases/", False),
        ("supervisor_a", "get", "/api/v1/stats/cases/", False),
        ("superuser", "get", "/api/v1/stats/cases/", False),
    ],
)
def test_only_an_analysts_api_reads_may_come_from_the_replica(request, who, method, path, replica_read):
    user = request.getfixturevalue(who)
    http_request = getattr(RequestFactory(), method)(path)
    http_request.user = user
    assert replica.reads_from_replica(http_request) is replica_read


def test_before_authentication_every_read_uses_the_primary(analyst):
    """The router never authenticates: a user not yet known (a lazy user) means the primary."""
    from django.utils.functional import SimpleLazyObject

    http_request = RequestFactory().get("/api/v1/cases/")
    http_request.user = SimpleLazyObject(lambda: analyst)
    assert replica.reads_from_replica(http_request) is False
    assert replica.reads_from_replica(None) is False


def test_the_router_never_writes_or_migrates_the_replica():
    router = replica.AnalystReadsRouter()
    assert router.db_for_write(object) == "default"
    assert router.allow_migrate("replica", "casework") is False
    assert router.allow_migrate("default", "casework") is True


@pytest.fixture
def replica_alias(settings):
    """A "replica" connection to the test database itself (like the TEST MIRROR setting), with the router
    and its middleware switched on, as DATABASE_REPLICA_URL does."""
    settings.DATABASES["replica"] = {**connections["default"].settings_dict, "TEST": {"MIRROR": "default"}}
    settings.DATABASE_ROUTERS = ["config.replica.AnalystReadsRouter"]
    settings.MIDDLEWARE = ["config.replica.RememberRequestMiddleware", *settings.MIDDLEWARE]
    cache.clear()
    # Connected here, before the test's guard against undeclared databases would refuse it.
    connections["replica"].connect()
    yield connections["replica"]
    cache.clear()
    connections["replica"].close()
    del connections["replica"]
    del settings.DATABASES["replica"]


def issue_token(username: str) -> str:
    out = StringIO()
    call_command("issue_api_token", username, stdout=out, stderr=StringIO())
    return out.getvalue().strip().splitlines()[-1]


@pytest.mark.django_db(transaction=True)
def test_an_analysts_api_request_reads_cases_from_the_replica_and_audits_on_the_primary(
    replica_alias, analyst, org_a, caseworker_a
):
    org_a.shares_with_analysts = True
    org_a.save()
    CaseFactory.create_batch(3, organisation=org_a, assigned_to=caseworker_a, created_by=caseworker_a)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(analyst.username)}")
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(replica_alias) as copy,
    ):
        response = client.get("/api/v1/cases/")
    assert response.status_code == 200
    assert [sql for sql in copy.captured_queries if '"casework_case"' in sql["sql"]]
    assert not [sql for sql in primary.captured_queries if 'FROM "casework_case"' in sql["sql"]]
    assert [
        sql for sql in primary.captured_queries if sql["sql"].startswith('INSERT INTO "casework_auditevent"')
    ]


@pytest.mark.django_db(transaction=True)
def test_a_caseworkers_api_request_reads_only_the_primary(replica_alias, caseworker_a):
    CaseFactory.create_batch(2, organisation=caseworker_a.organisation, assigned_to=caseworker_a)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(caseworker_a.username)}")
    with CaptureQueriesContext(replica_alias) as copy:
        response = client.get("/api/v1/cases/")
    assert response.status_code == 200
    assert copy.captured_queries == []


# --- Gunicorn's configuration -----------------------------------------------------------------------------


def gunicorn_settings(monkeypatch, **variables: str) -> dict:
    for name in list(os.environ):
        if name.startswith(("GUNICORN_", "WEB_CONCURRENCY", "FORWARDED_ALLOW_IPS")):
            monkeypatch.delenv(name)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(GUNICORN_CONF))


def test_gunicorn_listens_on_the_loopback_only_by_default(monkeypatch):
    conf = gunicorn_settings(monkeypatch)
    assert conf["bind"] == ["127.0.0.1:8000"]
    assert conf["workers"] == (os.cpu_count() or 1) * 2 + 1
    assert conf["forwarded_allow_ips"] == "127.0.0.1,::1"
    assert conf["max_requests"] > 0 and conf["max_requests_jitter"] > 0


def test_gunicorn_takes_its_knobs_from_the_environment(monkeypatch):
    conf = gunicorn_settings(
        monkeypatch,
        GUNICORN_BIND="unix:/run/returnee/gunicorn.sock",
        GUNICORN_WORKERS="3",
        GUNICORN_TIMEOUT="90",
        GUNICORN_FORWARDED_ALLOW_IPS="10.0.0.0/24",
    )
    assert conf["bind"] == ["unix:/run/returnee/gunicorn.sock"]
    assert (conf["workers"], conf["timeout"], conf["forwarded_allow_ips"]) == (3, 90, "10.0.0.0/24")
    assert gunicorn_settings(monkeypatch, WEB_CONCURRENCY="4")["workers"] == 4


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("GUNICORN_WORKERS", "many"),
        ("GUNICORN_WORKERS", "0"),
        ("GUNICORN_FORWARDED_ALLOW_IPS", "proxy.local"),
    ],
)
def test_a_bad_gunicorn_value_stops_start_up_naming_the_variable(monkeypatch, variable, value):
    with pytest.raises(SystemExit, match=variable):
        gunicorn_settings(monkeypatch, **{variable: value})


def test_the_access_log_never_holds_a_query_string_or_a_referrer(monkeypatch):
    log_format = gunicorn_settings(monkeypatch)["access_log_format"]
    for atom in ("%(r)s", "%(q)s", "%(f)s", "%({query_string}e)s"):
        assert atom not in log_format
    assert "%(U)s" in log_format  # the path alone


def client_address_app(trusted: str):
    conf = runpy.run_path(str(GUNICORN_CONF))
    seen = {}

    def application(environ, start_response):
        seen["REMOTE_ADDR"] = environ["REMOTE_ADDR"]
        return []

    wrapped = conf["ClientAddressFromProxy"](application, trusted)

    def ask(peer: str, forwarded: str | None = None) -> str:
        environ = {"REMOTE_ADDR": peer}
        if forwarded is not None:
            environ["HTTP_X_FORWARDED_FOR"] = forwarded
        wrapped(environ, lambda *args: None)
        return seen["REMOTE_ADDR"]

    return ask


def test_the_client_address_comes_from_the_trusted_proxy_only():
    ask = client_address_app("127.0.0.1,::1,10.0.0.0/24")
    assert ask("127.0.0.1", "203.0.113.7") == "203.0.113.7"
    assert ask("10.0.0.9", "198.51.100.1, 203.0.113.7") == "203.0.113.7"  # the address the proxy added
    assert ask("", "2001:db8::1") == "2001:db8::1"  # a Unix socket: only the proxy can reach it
    assert ask("192.0.2.50", "203.0.113.7") == "192.0.2.50"  # anyone else cannot claim an address
    assert ask("127.0.0.1", "not-an-address") == "127.0.0.1"
    assert ask("127.0.0.1") == "127.0.0.1"


def test_gunicorn_accepts_the_configuration_and_loads_the_application():
    result = subprocess.run(  # noqa: S603
        [str(GUNICORN), "--check-config", "-c", str(GUNICORN_CONF)],
        env=production_environment(DJANGO_STATIC_MANIFEST="false"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- Gunicorn for real ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def serve(tmp_path):
    """Starts gunicorn with config/gunicorn.conf.py on a free port; yields (base URL, log file)."""
    started = []

    def start(**overrides: str):
        port = free_port()
        log = tmp_path / f"gunicorn-{port}.log"
        environment = production_environment(
            DATABASE_URL=f"sqlite:///{tmp_path / 'serve.sqlite3'}",
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            DJANGO_SECURE_SSL_REDIRECT="false",
            DJANGO_STATIC_MANIFEST="false",
            GUNICORN_BIND=f"127.0.0.1:{port}",
            GUNICORN_WORKERS="1",
            **overrides,
        )
        with open(log, "w") as output:
            process = subprocess.Popen(  # noqa: S603
                [str(GUNICORN), "-c", str(GUNICORN_CONF)],
                env=environment,
                cwd=ROOT,
                stdout=output,
                stderr=output,
            )
        started.append(process)
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2)  # noqa: S310
                break
            except OSError:
                if process.poll() is not None:
                    pytest.fail(f"gunicorn did not start:\n{log.read_text()}")
                time.sleep(0.1)
        return base, log

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=30)


def fetch(url: str, **headers: str):
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as response:  # noqa: S310
        return response.status, dict(response.headers), response.read()


def test_gunicorn_behind_a_trusted_proxy_sees_https_and_the_clients_address(serve):
    base, log = serve()
    status, headers, body = fetch(
        f"{base}/healthz?country=KZ&note=secret-filter-value",
        **{"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"},
    )
    assert (status, json.loads(body)) == (200, {"status": "ok"})
    assert "max-age=31536000" in headers["Strict-Transport-Security"]  # Django saw HTTPS
    status, headers, _ = fetch(f"{base}/static/casework/base.css")
    assert status == 200 and headers["Content-Type"].startswith("text/css")
    time.sleep(0.3)  # the access log is written after the response
    lines = log.read_text()
    assert re.search(r"^203\.0\.113\.7 .*\"GET /healthz HTTP/1\.1\" 200", lines, re.MULTILINE)
    assert "secret-filter-value" not in lines and "country=KZ" not in lines


def test_gunicorn_ignores_forwarded_headers_from_an_untrusted_peer(serve):
    base, log = serve(GUNICORN_FORWARDED_ALLOW_IPS="192.0.2.1")
    status, headers, _ = fetch(
        f"{base}/healthz", **{"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    )
    assert status == 200
    assert "Strict-Transport-Security" not in headers  # the claim of HTTPS was not believed
    time.sleep(0.3)
    lines = log.read_text()
    assert re.search(r"^127\.0\.0\.1 .*\"GET /healthz HTTP/1\.1\" 200", lines, re.MULTILINE)
    assert "203.0.113.7" not in lines

"""Production settings are safe by default, and start-up refuses a configuration that is not.

Each test reads config/settings.py afresh under a clean environment (nothing of the test run's own), as a
production server would, so the defaults proved here are the ones an operator gets.
"""

import os
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "config" / "settings.py"
CONFIG_PREFIXES = ("DJANGO_", "CASEWORK_", "DATABASE_", "CACHE_", "REDIS_")
STRONG_KEY = secrets.token_urlsafe(50)
PRODUCTION = {"DJANGO_SECRET_KEY": STRONG_KEY, "DJANGO_ALLOWED_HOSTS": "casework.example.org"}


def clean_environment(**variables: str) -> dict[str, str]:
    """The process environment without any of the project's variables, plus `variables`."""
    kept = {name: value for name, value in os.environ.items() if not name.startswith(CONFIG_PREFIXES)}
    return {**kept, **variables}


def load_settings(monkeypatch, **variables: str) -> dict:
    """config/settings.py as a server with exactly these variables would read it."""
    for name in list(os.environ):
        if name.startswith(CONFIG_PREFIXES):
            monkeypatch.delenv(name)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS), run_name="settings_under_test")


def refusal(monkeypatch, **variables: str) -> str:
    with pytest.raises(ImproperlyConfigured) as refused:
        load_settings(monkeypatch, **variables)
    return str(refused.value)


def test_production_redirects_to_https_and_pins_it_for_a_year(monkeypatch):
    settings = load_settings(monkeypatch, **PRODUCTION)
    assert settings["DEBUG"] is False
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings["SECURE_HSTS_SECONDS"] == 31_536_000
    assert settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert settings["SECURE_HSTS_PRELOAD"] is False
    assert settings["SECURE_PROXY_SSL_HEADER"] is None  # no header is believed unless named


def test_production_cookies_are_https_only_and_out_of_reach_of_scripts(monkeypatch):
    settings = load_settings(monkeypatch, **PRODUCTION)
    for cookie in ("SESSION", "CSRF"):
        assert settings[f"{cookie}_COOKIE_SECURE"] is True
        assert settings[f"{cookie}_COOKIE_HTTPONLY"] is True
        assert settings[f"{cookie}_COOKIE_SAMESITE"] == "Lax"


def test_production_headers_forbid_framing_and_keep_addresses_on_the_site(monkeypatch):
    settings = load_settings(monkeypatch, **PRODUCTION)
    assert settings["X_FRAME_OPTIONS"] == "DENY"
    assert settings["SECURE_REFERRER_POLICY"] == "same-origin"
    assert settings["SECURE_CROSS_ORIGIN_OPENER_POLICY"] == "same-origin"
    assert settings["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert settings["CONTENT_SECURITY_POLICY"]["DIRECTIVES"] == {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }


def test_development_needs_no_key_and_no_https(monkeypatch):
    settings = load_settings(monkeypatch, DJANGO_DEBUG="true")
    assert settings["SECRET_KEY"] == settings["DEVELOPMENT_SECRET_KEY"]
    assert settings["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost"]
    assert settings["SECURE_SSL_REDIRECT"] is False
    assert settings["SESSION_COOKIE_SECURE"] is False
    assert settings["SECURE_HSTS_SECONDS"] == 0


def test_a_missing_secret_key_stops_start_up(monkeypatch):
    message = refusal(monkeypatch, DJANGO_ALLOWED_HOSTS="casework.example.org")
    assert message.startswith("DJANGO_SECRET_KEY is not set")
    assert "DJANGO_DEBUG=true" in message


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("Q7v-" + "abcdefghij" * 4 + "12345", "shorter than 50 characters"),  # 49 characters
        ("ab" * 40, "fewer than 5 distinct characters"),
        ("django-insecure-" + secrets.token_urlsafe(40), 'starts with "django-insecure-"'),
        ("insecure-development-key-do-not-use-in-production-x", "published or placeholder"),
        ("test-only-secret-key-not-for-any-deployment-0123456789", "published or placeholder"),
        ("ChangeMe-" + secrets.token_urlsafe(45), "published or placeholder"),
    ],
    ids=["short", "few-characters", "django-insecure", "development-key", "old-test-key", "placeholder"],
)
def test_a_weak_secret_key_stops_start_up_without_repeating_it(monkeypatch, key, reason):
    message = refusal(monkeypatch, DJANGO_SECRET_KEY=key, DJANGO_ALLOWED_HOSTS="casework.example.org")
    assert message.startswith("DJANGO_SECRET_KEY ")
    assert reason in message
    assert key not in message
    assert "\n" not in message


def test_a_weak_fallback_key_stops_start_up(monkeypatch):
    message = refusal(monkeypatch, **PRODUCTION, DJANGO_SECRET_KEY_FALLBACKS=f"{STRONG_KEY}x,too-short")
    assert "DJANGO_SECRET_KEY_FALLBACKS" in message
    assert "too-short" not in message


def test_a_weak_key_is_accepted_on_a_developers_machine(monkeypatch):
    settings = load_settings(monkeypatch, DJANGO_DEBUG="true", DJANGO_SECRET_KEY="short")
    assert settings["SECRET_KEY"] == "short"


def test_missing_allowed_hosts_stop_start_up(monkeypatch):
    message = refusal(monkeypatch, DJANGO_SECRET_KEY=STRONG_KEY)
    assert message.startswith("DJANGO_ALLOWED_HOSTS is required when DJANGO_DEBUG is off")


def test_a_wildcard_host_stops_start_up(monkeypatch):
    message = refusal(
        monkeypatch, DJANGO_SECRET_KEY=STRONG_KEY, DJANGO_ALLOWED_HOSTS="casework.example.org,*"
    )
    assert "not '*'" in message


def test_behind_a_proxy_that_redirects_the_redirect_can_be_turned_off(monkeypatch):
    settings = load_settings(monkeypatch, **PRODUCTION, DJANGO_SECURE_SSL_REDIRECT="false")
    assert settings["SECURE_SSL_REDIRECT"] is False
    # The operator said the proxy redirects: the deploy check does not warn about it.
    assert "security.W008" in settings["SILENCED_SYSTEM_CHECKS"]
    assert settings["SESSION_COOKIE_SECURE"] is True  # the cookies stay HTTPS-only


def test_an_unreadable_redirect_setting_stops_start_up(monkeypatch):
    message = refusal(monkeypatch, **PRODUCTION, DJANGO_SECURE_SSL_REDIRECT="sometimes")
    assert message.startswith("DJANGO_SECURE_SSL_REDIRECT must be a boolean")


def test_the_proxys_https_header_is_believed_only_when_named(monkeypatch):
    settings = load_settings(monkeypatch, **PRODUCTION, DJANGO_SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto")
    assert settings["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")


def test_a_malformed_proxy_header_name_stops_start_up(monkeypatch):
    message = refusal(monkeypatch, **PRODUCTION, DJANGO_SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto: https")
    assert message.startswith("DJANGO_SECURE_PROXY_SSL_HEADER must be a header name")


def test_hsts_preload_is_an_explicit_choice(monkeypatch):
    settings = load_settings(monkeypatch, **PRODUCTION, DJANGO_SECURE_HSTS_PRELOAD="true")
    assert settings["SECURE_HSTS_PRELOAD"] is True
    assert "security.W021" not in settings["SILENCED_SYSTEM_CHECKS"]


def manage(*arguments: str, **variables: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own manage.py, with arguments from this file
        [sys.executable, str(ROOT / "manage.py"), *arguments],
        cwd=ROOT,
        env=clean_environment(**variables),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_deploy_check_passes_with_production_defaults():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_a_weak_key_is_one_line_at_start_up_not_a_traceback():
    result = manage("check", DJANGO_SECRET_KEY="django-insecure-abc", DJANGO_ALLOWED_HOSTS="example.org")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("Configuration error: DJANGO_SECRET_KEY is shorter than 50 characters")
    assert "django-insecure-abc" not in result.stderr

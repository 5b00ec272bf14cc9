"""DJANGO_REQUIRE_2FA: on by default in production, off by default with DEBUG on (`make run`)."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

PRODUCTION_LIKE = {
    "DJANGO_SECRET_KEY": "a-long-random-test-key-" + "x7Kq2" * 10,
    "DJANGO_ALLOWED_HOSTS": "casework.example.org",
}


def require_2fa_with(**env) -> str:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "CASEWORK_"))
    }
    environment.update(PRODUCTION_LIKE, **env)
    result = subprocess.run(  # noqa: S603 - our own interpreter, a fixed script
        [sys.executable, "-c", "import config.settings as s; print(s.REQUIRE_2FA)"],
        env=environment,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )
    return result.stdout.strip() or result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "True"),
        ({"DJANGO_DEBUG": "false"}, "True"),
        ({"DJANGO_DEBUG": "true"}, "False"),
        ({"DJANGO_DEBUG": "true", "DJANGO_REQUIRE_2FA": "true"}, "True"),
        ({"DJANGO_REQUIRE_2FA": "false"}, "False"),
    ],
)
def test_two_factor_is_required_unless_debugging_or_turned_off(env, expected):
    assert require_2fa_with(**env) == expected


def test_the_test_suite_runs_with_two_factor_off_unless_a_test_turns_it_on():
    assert settings.REQUIRE_2FA is False

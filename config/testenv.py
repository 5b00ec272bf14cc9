"""Test-run environment, set before Django reads its settings."""

import os
import secrets

# Two-factor sign-in is off unless a test turns it on (settings.REQUIRE_2FA = True): issue 7.
os.environ.setdefault("DJANGO_REQUIRE_2FA", "false")

# Tests run with DEBUG off, as production does; they need a key, never a real one. A fresh random key
# each run (inherited by subprocesses and test workers): no key that could sign a deployment's sessions
# is in the repository.
os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

# Tests collect no static files: serve and link them from the apps' folders, not a collected manifest.
os.environ.setdefault("DJANGO_STATIC_MANIFEST", "false")

# Tests talk plain HTTP to the test client and the live server; production redirects to HTTPS
# (tests/test_security_settings.py proves that default). Tests of HTTPS-only behaviour use secure=True.
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")

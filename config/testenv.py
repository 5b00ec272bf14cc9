"""Test-run environment, set before Django reads its settings."""

import os

# Tests run with DEBUG off, as production does; they need a key, never a real one.
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-any-deployment-0123456789")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

"""Browser tests drive Debian's Chromium through Playwright against a live test server.

`make test` skips them, with a message, where no Chromium is installed; CI sets
CASEWORK_REQUIRE_BROWSER=1, which turns a missing browser into a failure instead.
"""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("CASEWORK_CHROMIUM", "/usr/bin/chromium")
# Without the networking flags Chromium stalls on a closed network (see shared/STACK.md).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls there unless told.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM) or shutil.which("chromium"):
        return
    if os.environ.get("CASEWORK_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"CASEWORK_REQUIRE_BROWSER=1 but no Chromium at {CHROMIUM}")
    skip = pytest.mark.skip(
        reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium); skipped"
    )
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}

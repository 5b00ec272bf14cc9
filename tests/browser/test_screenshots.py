"""Screenshots of the main pages with demo data, for the README: docs/screenshots/*.png.

A supervisor of NGO A signs in to the demo data and the test saves, full-page at 1280 pixels wide, the
dashboard, the case page of one of the organisation's richest cases, and that case's form; and the case
page again at a phone's 390 pixels. Each page is checked for what it must show before it is captured, so
a screenshot of an error page or an empty page fails the test instead of reaching the README.
"""

import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Count
from playwright.sync_api import Page, expect

from casework.models import Case, User
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The README's pictures are refreshed on request (CASEWORK_WRITE_SCREENSHOTS=1 make test); otherwise the
# shots go to a temporary folder, so that a test run leaves the work tree as it was.
README_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SUPERVISOR = "ngo-a-supervisor"


def richest_case(organisation) -> Case:
    """The case of the organisation with the most notes, referrals and assessments together."""
    return (
        Case.objects.filter(organisation=organisation)
        .annotate(
            n_notes=Count("notes", distinct=True),
            n_referrals=Count("referrals", distinct=True),
            n_assessments=Count("assessments", distinct=True),
        )
        .filter(n_assessments__gte=2, n_referrals__gte=1)
        .order_by("-n_notes", "-n_referrals", "-n_assessments", "reference")
        .first()
    )


@pytest.fixture
def screenshots(tmp_path) -> Path:
    return README_SCREENSHOTS if os.environ.get("CASEWORK_WRITE_SCREENSHOTS") == "1" else tmp_path


def capture(page: Page, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    assert path.stat().st_size > 10_000, f"{name} looks empty"
    return path


def test_screenshots_of_the_dashboard_case_page_and_case_form(live_server, page: Page, screenshots):
    call_command("seed_demo", cases=60, seed=1, password=TEST_PASSWORD, force=True, verbosity=0)
    supervisor = User.objects.get(username=SUPERVISOR)
    case = richest_case(supervisor.organisation)
    assert case is not None, "the demo data has no case with referrals and two assessments"
    base = live_server.url
    page.set_viewport_size(DESKTOP)

    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(SUPERVISOR)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Cases of your organisation")).to_be_visible()
    expect(page.get_by_role("heading", name="Closure requests to decide")).to_be_visible()
    expect(page.locator("svg.chart-svg").first).to_be_visible()
    capture(page, screenshots, "dashboard.png")

    page.goto(f"{base}/cases/{case.reference}/")
    expect(page.get_by_role("heading", name=f"Case {case.reference}", level=1)).to_be_visible()
    expect(page.locator("section#timeline li").first).to_be_visible()
    expect(page.locator("section#referrals li.record").first).to_be_visible()
    expect(page.locator("#assessment-chart svg")).to_be_visible()
    capture(page, screenshots, "case-page.png")

    page.set_viewport_size(PHONE)
    page.reload()
    expect(page.locator("#assessment-chart svg")).to_be_visible()
    capture(page, screenshots, "case-page-phone.png")

    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/cases/{case.reference}/edit/")
    expect(page.get_by_role("heading", name=f"Edit case {case.reference}", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Save changes")).to_be_visible()
    capture(page, screenshots, "case-form.png")

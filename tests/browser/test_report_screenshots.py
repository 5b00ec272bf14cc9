"""Screenshots of the caseload report for the README: the page in Chromium and the first page of its PDF.

Like test_screenshots.py, the pictures go to docs/screenshots only with CASEWORK_WRITE_SCREENSHOTS=1;
each is checked for what it must show first. The PDF page is drawn with poppler's pdftoppm where it is
installed (CI installs it); without it that half is skipped, and says so.
"""

import shutil
import subprocess

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser.test_screenshots import DESKTOP, SUPERVISOR, capture, screenshots  # noqa: F401
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPORT = "/reports/caseload/?from=2019-01-01"


def test_screenshots_of_the_caseload_report_and_its_pdf(live_server, page: Page, screenshots, tmp_path):  # noqa: F811
    call_command("seed_demo", cases=400, seed=1, password=TEST_PASSWORD, force=True, verbosity=0)
    base = live_server.url
    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(SUPERVISOR)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.goto(f"{base}{REPORT}")
    expect(page.get_by_role("heading", name="Caseload report", level=1)).to_be_visible()
    expect(page.locator("svg.chart-svg").first).to_be_visible()
    expect(page.locator(".report-table table").first).to_be_visible()
    capture(page, screenshots, "caseload-report.png")

    pdf = page.request.get(f"{base}{REPORT}&format=pdf")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    path = tmp_path / "caseload.pdf"
    path.write_bytes(pdf.body())
    assert "Caseload report" in PdfReader(path).pages[0].extract_text()
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: the PDF page picture is not drawn")
    screenshots.mkdir(parents=True, exist_ok=True)
    target = screenshots / "caseload-report-pdf-page1"
    arguments = ["-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", str(path), str(target)]
    subprocess.run([shutil.which("pdftoppm"), *arguments], check=True)  # noqa: S603 - our own file
    assert (screenshots / "caseload-report-pdf-page1.png").stat().st_size > 10_000

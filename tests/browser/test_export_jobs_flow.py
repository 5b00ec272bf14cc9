"""A background export in a real browser: Alice asks for the XLSX of every case from the case list and
gets its page with the download; a job still running shows its progress bar and the page, refreshing
itself with no script (the CSP allows none), turns into the download link when the worker is done."""

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from casework.export_jobs import jobs
from tests.browser.test_casework_flow import sign_in
from tests.factories import CaseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_prepare_the_xlsx_of_every_case_then_download_it(live_server, page: Page, caseworker_a):
    case = CaseFactory(organisation=caseworker_a.organisation, assigned_to=caseworker_a)
    sign_in(page, live_server.url, caseworker_a.username)

    page.get_by_role("link", name="Cases", exact=True).click()
    page.get_by_role("button", name="Prepare XLSX of all cases").click()
    # Without a broker the job ran in-process: its page has the file already.
    expect(page.get_by_role("heading", name="Every case you can see (XLSX)", level=1)).to_be_visible()
    expect(page.locator("#export-status")).to_have_text("Ready")
    with page.expect_download() as download_info:
        page.locator("#export-download").click()
    download = download_info.value
    assert download.suggested_filename.startswith("cases-") and download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as handle:  # the saved download has no .xlsx suffix for openpyxl
        sheet = load_workbook(io.BytesIO(handle.read())).active
    assert [row[0] for row in sheet.iter_rows(values_only=True)] == ["reference", case.reference]

    page.get_by_role("link", name="All your exports").click()
    expect(page.locator("#export-jobs tbody tr")).to_have_count(1)


def test_the_progress_page_follows_a_running_job_to_its_download(live_server, page: Page, caseworker_a):
    CaseFactory(organisation=caseworker_a.organisation, assigned_to=caseworker_a)
    job = jobs._create(user=caseworker_a, report="cases", parameters={}, output="xlsx")
    sign_in(page, live_server.url, caseworker_a.username)
    page.goto(f"{live_server.url}/exports/{job.pk}/")
    expect(page.locator("progress#export-progress")).to_be_visible()
    expect(page.locator("#export-percent")).to_have_text("0%")
    expect(page.locator("#export-download")).to_have_count(0)

    jobs.run(str(job.pk))  # the worker, elsewhere; the page reloads itself every two seconds
    expect(page.locator("#export-download")).to_be_visible(timeout=10_000)
    expect(page.locator("progress#export-progress")).to_have_count(0)

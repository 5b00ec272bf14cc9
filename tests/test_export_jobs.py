"""Background exports (issue 8): asking for a report's PDF or XLSX, or every case as XLSX, from the page;
the prepared file is the very file the `?format=` download gives; progress, status and failure; the
worker builds the file as the requester at run time.

Without CASEWORK_TASKS_URL (the tests) huey runs each job in-process when it is enqueued, so a POST
returns with the job already done; tests of the steps in between call the task's body directly.
"""

import csv
import datetime
import io
import logging
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from casework import case_export_csv
from casework.choices import Role, Sex
from casework.export_jobs import jobs, rendering
from casework.models import AuditEvent, Case, ExportJob
from tests.factories import CaseFactory, CaseNoteFactory, CountryFactory, ProgrammeFactory

NEW = reverse("exports:new")
CASELOAD = reverse("reports:caseload")
PERIOD = {"organisation": "org-a", "from": "2023-01-01", "to": "2023-12-31"}


@pytest.fixture
def kz(db):
    return CountryFactory(code="KZ")


@pytest.fixture
def caseload(org_a, org_b, caseworker_a, colleague_a, caseworker_b, kz):
    """Enough cases in both organisations that the report's tables hold unsuppressed figures."""
    programme = ProgrammeFactory(country=kz, name="Operation Zhusan")
    cases = []
    for number in range(12):
        cases.append(
            CaseFactory(
                organisation=org_a,
                assigned_to=caseworker_a if number % 2 else colleague_a,
                opened_on=datetime.date(2023, 1 + number % 12, 5),
                sex=Sex.FEMALE if number % 3 else Sex.MALE,
                citizenship=kz,
                return_pathway="programme" if number % 2 else "independent",
                programme=programme if number % 2 else None,
            )
        )
    for _number in range(6):
        cases.append(CaseFactory(organisation=org_b, assigned_to=caseworker_b, citizenship=kz))
    return cases


def prepare(client, user, **data):
    client.force_login(user)
    return client.post(NEW, data)


def job_of(response) -> ExportJob:
    assert response.status_code == 303, response.status_code
    match = re.fullmatch(r"/exports/([0-9a-f-]{36})/", response.url)
    assert match, response.url
    return ExportJob.objects.get(pk=match.group(1))


def sheets(content: bytes) -> dict[str, list[list]]:
    workbook = load_workbook(io.BytesIO(content))
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in workbook}


def without_generated(rows_by_sheet: dict[str, list[list]]) -> dict[str, list[list]]:
    """The sheets without the "Generated" line (a time to the minute, which two runs may not share)."""
    return {
        title: [row for row in rows if not (row and row[0] == "Generated")]
        for title, rows in rows_by_sheet.items()
    }


def pdf_text(content: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return re.sub(r"Generated\s*\d{4}-\d{2}-\d{2} \d{2}:\d{2}", "Generated", text)


# --- Asking from the report's page ------------------------------------------------------------------------


def test_the_caseload_report_offers_prepare_pdf_and_xlsx_with_its_parameters(client, supervisor_a, caseload):
    client.force_login(supervisor_a)
    page = client.get(CASELOAD, PERIOD).content.decode()
    form = page[page.index('class="inline report-prepare"') :]
    form = form[: form.index("</form>")]
    assert 'name="report" value="caseload"' in form
    for name, value in PERIOD.items():
        assert f'name="{name}" value="{value}"' in form
    assert ">Prepare PDF</button>" in form and ">Prepare XLSX</button>" in form
    assert 'name="csrfmiddlewaretoken"' in form


def test_the_case_summary_offers_no_background_export(client, supervisor_a, caseload):
    client.force_login(supervisor_a)
    page = client.get(reverse("reports:case-summary", args=[caseload[0].reference])).content.decode()
    assert "Prepare PDF" not in page


def test_the_case_list_offers_the_xlsx_of_every_case_beside_the_csv(client, supervisor_a, caseload):
    client.force_login(supervisor_a)
    page = client.get(reverse("casework:case-list")).content.decode()
    assert "Download every case you can see as CSV" in page
    assert 'name="report" value="cases"' in page and "Prepare XLSX of all cases" in page


def test_every_page_links_to_the_exports(client, caseworker_a):
    client.force_login(caseworker_a)
    assert 'href="/exports/"' in client.get("/").content.decode()


@pytest.mark.parametrize("output", ["pdf", "xlsx"])
def test_preparing_the_caseload_report_leads_to_a_job_that_is_done(client, supervisor_a, caseload, output):
    response = prepare(client, supervisor_a, report="caseload", format=output, **PERIOD)
    job = job_of(response)
    assert (job.requested_by, job.organisation, job.kind, job.report) == (
        supervisor_a,
        supervisor_a.organisation,
        ExportJob.Kind.REPORT,
        "caseload",
    )
    assert job.parameters == PERIOD
    assert (job.status, job.progress, job.error) == (ExportJob.Status.DONE, 100, "")
    assert job.filename == f"caseload-org-a-2023-01-01-2023-12-31.{output}"
    assert job.size == len(bytes(job.result)) > 0
    page = client.get(response.url).content.decode()
    assert 'id="export-download"' in page and 'http-equiv="refresh"' not in page


def test_the_jobs_xlsx_is_the_downloads_xlsx_cell_for_cell(client, supervisor_a, caseload):
    job = job_of(prepare(client, supervisor_a, report="caseload", format="xlsx", **PERIOD))
    direct = client.get(CASELOAD, {**PERIOD, "format": "xlsx"})
    assert direct.status_code == 200
    prepared = sheets(bytes(job.result))
    assert without_generated(prepared) == without_generated(sheets(direct.content))
    assert prepared["Cases by age band at return"][1] == ["25–34", 12, 0, 12]


def test_the_jobs_pdf_reads_as_the_downloads_pdf(client, supervisor_a, caseload):
    job = job_of(prepare(client, supervisor_a, report="caseload", format="pdf", **PERIOD))
    direct = client.get(CASELOAD, {**PERIOD, "format": "pdf"})
    prepared = pdf_text(bytes(job.result))
    assert bytes(job.result).startswith(b"%PDF")
    assert prepared == pdf_text(direct.content)
    assert "Caseload report" in prepared and "Cases by sex" in prepared


def test_a_caseload_period_left_blank_is_stored_as_the_dates_it_meant(client, supervisor_a, caseload):
    job = job_of(prepare(client, supervisor_a, report="caseload", format="xlsx", organisation="org-a"))
    to = datetime.date.fromisoformat(job.parameters["to"])
    assert job.parameters["from"] == to.replace(month=1, day=1).isoformat()


@pytest.mark.parametrize("output", ["pdf", "xlsx"])
def test_the_country_brief_as_a_job_is_the_brief_as_a_download(client, supervisor_a, caseload, output):
    job = job_of(prepare(client, supervisor_a, report="country-brief", format=output, country="kz"))
    assert job.parameters == {"country": "KZ"} and job.status == ExportJob.Status.DONE
    assert job.filename == f"country-brief-kz.{output}"
    direct = client.get(reverse("reports:country-brief", args=["KZ"]), {"format": output})
    if output == "xlsx":
        assert without_generated(sheets(bytes(job.result))) == without_generated(sheets(direct.content))
    else:
        assert pdf_text(bytes(job.result)) == pdf_text(direct.content)


def test_the_country_brief_page_offers_the_background_export(client, auditor, kz):
    client.force_login(auditor)
    page = client.get(reverse("reports:country-brief", args=["KZ"])).content.decode()
    assert 'name="report" value="country-brief"' in page and 'name="country" value="KZ"' in page


# --- Every case as XLSX -----------------------------------------------------------------------------------


def case_rows(job: ExportJob) -> list[list]:
    (rows,) = sheets(bytes(job.result)).values()
    return rows


@pytest.mark.parametrize(("who", "count"), [("caseworker_a", 6), ("supervisor_a", 12), ("superuser", 18)])
def test_the_xlsx_of_every_case_holds_exactly_the_visible_cases(client, request, caseload, who, count):
    user = request.getfixturevalue(who)
    job = job_of(prepare(client, user, report="cases", format="xlsx"))
    assert job.kind == ExportJob.Kind.CASES and job.filename.endswith(".xlsx")
    rows = case_rows(job)
    visible = list(Case.objects.visible_to(user).order_by("reference").values_list("reference", flat=True))
    assert [row[0] for row in rows[1:]] == visible and len(visible) == count


def test_the_xlsx_of_every_case_has_the_csv_columns_and_values_and_no_free_text(
    client, supervisor_a, caseload
):
    CaseNoteFactory(case=caseload[0], text="Uncle Rustam helps with the rent.")
    job = job_of(prepare(client, supervisor_a, report="cases", format="xlsx"))
    rows = case_rows(job)
    assert rows[0] == [header for header, _lookup, _kind in case_export_csv.COLUMNS]
    csv_text = b"".join(client.get(reverse("casework:case-export-csv")).streaming_content).decode()
    from_csv = list(csv.reader(io.StringIO(csv_text)))
    as_text = [["" if value is None else str(value) for value in row] for row in rows]
    assert as_text == from_csv
    assert "Rustam" not in str(rows)


@pytest.mark.parametrize("who", ["analyst", "auditor"])
def test_those_who_do_not_read_case_pages_cannot_ask_for_every_case(client, request, caseload, who):
    response = prepare(client, request.getfixturevalue(who), report="cases", format="xlsx")
    assert response.status_code == 403
    assert not ExportJob.objects.exists()


def test_a_caseworker_cannot_ask_for_the_caseload_report(client, caseworker_a, caseload):
    assert prepare(client, caseworker_a, report="caseload", format="pdf", **PERIOD).status_code == 403


def test_a_supervisor_cannot_ask_for_another_organisations_caseload(client, supervisor_a, caseload):
    response = prepare(
        client, supervisor_a, report="caseload", format="pdf", **{**PERIOD, "organisation": "org-b"}
    )
    assert response.status_code == 400 and response.content.decode().startswith("organisation:")
    assert not ExportJob.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"report": "case-summary", "format": "pdf"}, "report"),
        ({"report": "cases", "format": "pdf"}, "format"),
        ({"report": "caseload", "format": "csv"}, "format"),
        ({"report": "country-brief", "format": "pdf", "country": "XX"}, "country"),
        ({"report": "caseload", "format": "pdf", "from": "2023-12-31", "to": "2023-01-01"}, "to"),
    ],
)
def test_a_bad_request_is_a_400_naming_the_field(client, supervisor_a, caseload, data, field):
    response = prepare(client, supervisor_a, **data)
    assert response.status_code == 400
    assert response.content.decode().startswith(f"{field}:")
    assert not ExportJob.objects.exists()


def test_asking_needs_a_post(client, supervisor_a):
    client.force_login(supervisor_a)
    assert client.get(NEW, {"report": "cases", "format": "xlsx"}).status_code == 405


def test_asking_records_nothing_and_the_download_records_one_export(client, supervisor_a, caseload):
    client.force_login(supervisor_a)
    before = AuditEvent.objects.count()
    job = job_of(client.post(NEW, {"report": "caseload", "format": "xlsx", **PERIOD}))
    assert AuditEvent.objects.count() == before
    client.get(reverse("exports:download", args=[job.pk]))
    (event,) = AuditEvent.objects.filter(action="export")
    assert event.actor == supervisor_a
    assert event.details == {
        "report": "caseload",
        "format": "xlsx",
        "parameters": PERIOD,
        "background_job": str(job.pk),
    }


def test_the_download_is_an_uncached_attachment(client, supervisor_a, caseload):
    job = job_of(prepare(client, supervisor_a, report="cases", format="xlsx"))
    response = client.get(reverse("exports:download", args=[job.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == f'attachment; filename="{job.filename}"'
    assert "no-store" in response["Cache-Control"]
    assert response.content == bytes(job.result)


# --- Limits -----------------------------------------------------------------------------------------------


def test_at_most_three_unfinished_jobs_then_a_message_not_an_error(client, supervisor_a, settings):
    settings.CASEWORK_EXPORT_MAX_UNFINISHED = 3
    for _ in range(3):
        jobs._create(user=supervisor_a, report="cases", parameters={}, output="xlsx")
    response = prepare(client, supervisor_a, report="cases", format="xlsx")
    assert response.status_code == 303 and response.url == reverse("exports:list")
    assert ExportJob.objects.count() == 3
    page = client.get(response.url).content.decode()
    assert "You already have 3 exports being prepared" in page


def test_finished_and_expired_jobs_do_not_count_against_the_cap(client, supervisor_a, settings):
    settings.CASEWORK_EXPORT_MAX_UNFINISHED = 1
    old = jobs._create(user=supervisor_a, report="cases", parameters={}, output="xlsx")
    ExportJob.objects.filter(pk=old.pk).update(expires_at=old.created_at)
    job_of(prepare(client, supervisor_a, report="cases", format="xlsx"))  # runs to the end
    assert (
        job_of(prepare(client, supervisor_a, report="cases", format="xlsx")).status == ExportJob.Status.DONE
    )


# --- Running: progress, status, failure, access at run time ------------------------------------------------


def queued(user, report="cases", output="xlsx", parameters=None) -> ExportJob:
    return jobs._create(user=user, report=report, parameters=parameters or {}, output=output)


def test_a_job_goes_from_queued_through_running_to_done_reporting_progress(
    supervisor_a, caseload, monkeypatch
):
    monkeypatch.setattr(rendering, "ROWS_PER_PROGRESS", 4)
    job = queued(supervisor_a)
    assert (job.status, job.progress, job.started_at) == (ExportJob.Status.QUEUED, 0, None)
    seen = []

    def watch(percent, stage):
        row = ExportJob.objects.defer("result").get(pk=job.pk)
        seen.append((row.status, row.progress, row.stage))

    jobs.run(str(job.pk), progress_hook=watch)
    assert {status for status, _p, _s in seen} == {ExportJob.Status.RUNNING}
    progress = [percent for _s, percent, _t in seen]
    assert progress == sorted(progress) and progress[0] > 0 and progress[-1] < 100
    stages = [stage for _s, _p, stage in seen]
    assert "Writing rows: 4 of 12" in stages and "Writing rows: 8 of 12" in stages
    job.refresh_from_db()
    assert (job.status, job.progress, job.stage) == (ExportJob.Status.DONE, 100, "Ready")
    assert job.started_at <= job.finished_at < job.expires_at


def test_the_progress_page_refreshes_itself_while_the_job_runs(client, supervisor_a):
    job = queued(supervisor_a)
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.RUNNING, progress=42, stage="Writing rows"
    )
    client.force_login(supervisor_a)
    page = client.get(reverse("exports:detail", args=[job.pk])).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page
    assert '<progress id="export-progress" max="100" value="42">' in page and "Writing rows" in page
    assert "42%" in page and 'id="export-download"' not in page
    assert "<script" not in page


def test_a_job_runs_once_even_if_the_task_is_delivered_twice(supervisor_a, caseload):
    job = queued(supervisor_a)
    jobs.run(str(job.pk))
    finished = ExportJob.objects.get(pk=job.pk).finished_at
    jobs.run(str(job.pk))
    assert ExportJob.objects.get(pk=job.pk).finished_at == finished


def test_a_failing_job_says_so_in_general_terms_and_shows_or_logs_nothing_of_the_error(
    client, supervisor_a, caseload, monkeypatch, caplog
):
    secret = "K7QF-29XA lives at 12 Abay Street"

    def explode(*args, **kwargs):
        raise RuntimeError(secret)

    monkeypatch.setattr(rendering, "cases_xlsx", explode)
    caplog.set_level(logging.INFO)
    response = prepare(client, supervisor_a, report="cases", format="xlsx")
    job = job_of(response)
    assert job.status == ExportJob.Status.FAILED and job.result is None
    assert job.error == jobs.FAILED
    page = client.get(response.url).content.decode()
    assert jobs.FAILED in page and secret not in page and 'id="export-download"' not in page
    shipped = [record for record in caplog.records if record.levelno >= logging.INFO]
    assert shipped and all(secret not in record.getMessage() and not record.exc_info for record in shipped)
    assert client.get(reverse("exports:download", args=[job.pk])).status_code == 404


def test_a_user_demoted_before_the_job_runs_gets_a_failed_job_not_the_data(supervisor_a, caseload):
    job = queued(supervisor_a, report="caseload", output="xlsx", parameters=PERIOD)
    supervisor_a.role = Role.CASEWORKER
    supervisor_a.save()
    jobs.run(str(job.pk))
    job.refresh_from_db()
    assert (job.status, job.error, job.result) == (ExportJob.Status.FAILED, jobs.NOT_ALLOWED, None)


def test_a_user_moved_to_another_organisation_gets_a_failed_job(supervisor_a, org_b, caseload):
    job = queued(supervisor_a, report="caseload", output="pdf", parameters=PERIOD)
    supervisor_a.organisation = org_b
    supervisor_a.save()
    jobs.run(str(job.pk))
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED and job.result is None


def test_a_deactivated_user_gets_a_failed_job(caseworker_a, caseload):
    job = queued(caseworker_a)
    caseworker_a.is_active = False
    caseworker_a.save()
    jobs.run(str(job.pk))
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED and job.result is None


def test_the_cases_a_caseworker_gets_are_those_visible_when_the_job_runs(caseworker_a, colleague_a, caseload):
    job = queued(caseworker_a)
    Case.objects.filter(assigned_to=caseworker_a).update(assigned_to=colleague_a, created_by=colleague_a)
    jobs.run(str(job.pk))
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    assert case_rows(job)[1:] == []


def test_an_unreachable_queue_leaves_a_failed_job_and_says_so(client, supervisor_a, monkeypatch):
    from casework.export_jobs import tasks

    def refuse(job_id):
        raise ConnectionError("redis://:password@10.0.0.5:6379 refused")

    monkeypatch.setattr(tasks, "run_export_job", refuse)
    response = prepare(client, supervisor_a, report="cases", format="xlsx")
    job = job_of(response)
    assert (job.status, job.error) == (ExportJob.Status.FAILED, jobs.QUEUE_DOWN)
    page = client.get(response.url).content.decode()
    assert jobs.QUEUE_DOWN in page and "10.0.0.5" not in page

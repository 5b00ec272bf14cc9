"""The shared report machinery: one Report answered as HTML, PDF, CSV and XLSX, audited, with spreadsheet
formulas neutralised; and the helpers that turn suppressed statistics into report tables.

The report here is built in the test (the real reports have their own test files), rendered with a
test-only template that extends templates/reports/base.html like every real report does.
"""

import copy
import csv
import io
import socket
import urllib.request
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.test import RequestFactory
from django.utils import timezone
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook
from pypdf import PdfReader

from casework.audit import Action
from casework.models import AuditEvent
from casework.reports import exports
from casework.reports.exports import Report, respond, static_only_fetcher
from casework.reports.tables import (
    SUPPRESSED,
    ReportTable,
    chart_bars,
    counts_columns,
    counts_table,
    cross_table,
)
from casework.statistics import suppress

TEMPLATE = "reports/test_only_report.html"
TEMPLATE_SOURCE = """{% extends "reports/base.html" %}
{% block report %}
  {% for table in report.tables %}{% include "reports/_table.html" with table=table %}{% endfor %}
  <p>{{ remark }}</p>
  <img src="http://example.org/tracker.png" alt="">
  <link rel="stylesheet" href="http://example.org/evil.css">
  <img src="file:///etc/passwd" alt="">
{% endblock %}
"""


@pytest.fixture
def report_template(settings):
    """The project's templates plus one test-only report template, served from memory."""
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["APP_DIRS"] = False
    templates[0]["OPTIONS"]["loaders"] = [
        ("django.template.loaders.locmem.Loader", {TEMPLATE: TEMPLATE_SOURCE}),
        "django.template.loaders.filesystem.Loader",
        "django.template.loaders.app_directories.Loader",
    ]
    settings.TEMPLATES = templates
    return TEMPLATE


def by_sex() -> ReportTable:
    return ReportTable(
        slug="by-sex",
        title="Cases by sex",
        columns=["Sex", "Cases"],
        rows=[["female", 1234], ["male", SUPPRESSED], ["Total", 5678]],
        has_total=True,
        suppressed=True,
    )


def by_status() -> ReportTable:
    return ReportTable(
        slug="by-status",
        title="Cases by status",
        columns=["Status", "Opened", "Change", "Median days", "Since"],
        rows=[["active", 917, -3, 2.5, date(2026, 1, 15)], ["closed", 0, 4, Decimal("-1.5"), None]],
    )


def hostile() -> ReportTable:
    return ReportTable(
        slug="hostile",
        title="=Typed by someone",
        columns=["@Label", "Value"],
        rows=[
            ['=HYPERLINK("http://evil.example","click")', -7],
            ["+41 22 000", 0],
            ["-2+3", -2],
            ["@SUM(A1:A2)", 3],
            ["\tcmd", 1],
            ["\rcmd", 1],
            ["a\x00b\x07c\x1fd", 1],
            ["\x00=1+1", 1],
            ["plain text", 5],
        ],
    )


def make_report(*tables: ReportTable, filename: str = "Monthly caseload", **context) -> Report:
    return Report(
        name="test-report",
        title="Test caseload report",
        template=TEMPLATE,
        filename=filename,
        context={"remark": "A remark", **context},
        tables=list(tables),
        parameters={"organisation": "org-a", "from": date(2026, 1, 1), "to": date(2026, 6, 30)},
        described=[("Organisation", "NGO A"), ("Period", "2026-01-01 – 2026-06-30")],
    )


@pytest.fixture
def ask(report_template, supervisor_a):
    """Answers a GET with these query parameters for the report, as the supervisor."""

    def ask(report: Report, **query):
        request = RequestFactory().get("/reports/test/", query)
        request.user = supervisor_a
        return respond(request, report)

    return ask


def csv_rows(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


def as_csv(value) -> str:
    if value is SUPPRESSED:
        return "suppressed"
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def workbook(response):
    assert response["Content-Type"] == exports.CONTENT_TYPES["xlsx"]
    return load_workbook(io.BytesIO(response.content))


def sheet_rows(sheet) -> list[list]:
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def events():
    return list(AuditEvent.objects.order_by("pk"))


# --- Formats ----------------------------------------------------------------------------------------------


def test_a_report_opens_as_a_web_page_by_default(ask):
    response = ask(make_report(by_sex(), by_status()))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "Content-Disposition" not in response
    page = response.content.decode()
    assert "Test caseload report" in page
    assert "Cases by sex" in page
    assert "1234" in page or "1,234" in page
    assert '<span class="suppressed">suppressed</span>' in page
    assert "NGO A" in page and "2026-01-01 – 2026-06-30" in page
    # Download links keep nothing but the format (and table) they ask for.
    assert "format=pdf" in page and "format=csv&amp;table=by-sex" in page


def test_download_links_keep_the_reports_parameters(ask):
    page = ask(make_report(by_sex()), organisation="org-a", to="2026-06-30").content.decode()
    assert "/reports/test/?organisation=org-a&amp;to=2026-06-30&amp;format=xlsx&amp;table=by-sex" in page
    assert "/reports/test/?organisation=org-a&amp;to=2026-06-30&amp;format=pdf" in page


def test_the_format_may_be_given_in_capitals(ask):
    assert ask(make_report(by_sex()), format="CSV")["Content-Type"] == "text/csv; charset=utf-8"


def test_the_pdf_is_a_pdf_holding_the_table_figures(ask):
    response = ask(make_report(by_sex(), by_status()), format="pdf")
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for figure in ("Test caseload report", "Cases by sex", "Cases by status", "suppressed", "917"):
        assert figure in text
    assert "1,234" in text or "1234" in text
    # The print stylesheet hides the download links in the PDF.
    assert "all tables as CSV" not in text


def test_csv_of_one_table_is_its_header_and_rows(ask):
    table = by_status()
    rows = csv_rows(ask(make_report(by_sex(), table), format="csv", table="by-status"))
    assert rows == [table.columns, *[[as_csv(value) for value in row] for row in table.rows]]


def test_csv_of_a_report_with_one_table_has_no_title_row(ask):
    table = by_sex()
    rows = csv_rows(ask(make_report(table), format="csv"))
    assert rows == [table.columns, ["female", "1234"], ["male", "suppressed"], ["Total", "5678"]]


def test_csv_of_all_tables_puts_each_under_its_title_with_a_blank_line_between(ask):
    first, second = by_sex(), by_status()
    rows = csv_rows(ask(make_report(first, second), format="csv"))
    expected = [[first.title], first.columns, *[[as_csv(v) for v in row] for row in first.rows], []]
    expected += [[second.title], second.columns, *[[as_csv(v) for v in row] for row in second.rows]]
    assert rows == expected


@pytest.mark.parametrize("output", ["docx", "json", "html5", " pdf"])
def test_an_unknown_format_is_a_400_naming_format(ask, output):
    response = ask(make_report(by_sex()), format=output)
    assert response.status_code == 400
    assert response.content.decode().startswith("format:")
    assert "no-store" in response["Cache-Control"]
    assert not events()


def test_an_unknown_table_is_a_400_naming_table_and_listing_the_tables(ask):
    response = ask(make_report(by_sex(), by_status()), format="csv", table="by-age")
    assert response.status_code == 400
    message = response.content.decode()
    assert message.startswith("table:") and "by-sex" in message and "by-status" in message
    assert "no-store" in response["Cache-Control"]
    assert not events()


@pytest.mark.parametrize("output", ["html", "pdf"])
def test_a_table_is_only_for_csv_or_xlsx(ask, output):
    response = ask(make_report(by_sex()), format=output, table="by-sex")
    assert response.status_code == 400
    assert response.content.decode().startswith("table:")
    assert not events()


def test_a_report_without_tables_has_no_spreadsheet(ask):
    response = ask(make_report(), format="xlsx")
    assert response.status_code == 400
    assert response.content.decode().startswith("format:")


@pytest.mark.parametrize(
    ("query", "filename"),
    [
        ({"format": "pdf"}, "monthly-caseload.pdf"),
        ({"format": "csv"}, "monthly-caseload.csv"),
        ({"format": "xlsx"}, "monthly-caseload.xlsx"),
        ({"format": "csv", "table": "by-sex"}, "monthly-caseload-by-sex.csv"),
        ({"format": "xlsx", "table": "by-status"}, "monthly-caseload-by-status.xlsx"),
    ],
)
def test_downloads_are_attachments_named_after_the_report(ask, query, filename):
    response = ask(make_report(by_sex(), by_status()), **query)
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'


def test_a_filename_cannot_break_out_of_its_header(ask):
    report = make_report(by_sex(), filename='K7QF-29XA "; evil=1\r\nX: y «é»')
    disposition = ask(report, format="csv")["Content-Disposition"]
    assert disposition == 'attachment; filename="k7qf-29xa-evil1-x-y-e.csv"'


@pytest.mark.parametrize(
    "query",
    [{}, {"format": "pdf"}, {"format": "csv"}, {"format": "xlsx"}, {"format": "csv", "table": "by-sex"}],
)
def test_no_answer_may_be_stored_by_a_cache(ask, query):
    response = ask(make_report(by_sex()), **query)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


# --- Audit ------------------------------------------------------------------------------------------------

PARAMETERS = {"organisation": "org-a", "from": "2026-01-01", "to": "2026-06-30"}


def test_reading_the_page_is_one_view_event_with_the_parameters(ask, supervisor_a):
    ask(make_report(by_sex()))
    [event] = events()
    assert event.action == Action.VIEW
    assert event.actor == supervisor_a
    assert event.details == {"report": "test-report", "format": "html", "parameters": PARAMETERS}


@pytest.mark.parametrize("output", ["pdf", "csv", "xlsx"])
def test_each_download_is_one_export_event_with_its_format(ask, supervisor_a, output):
    ask(make_report(by_sex(), by_status()), format=output)
    [event] = events()
    assert event.action == Action.EXPORT
    assert event.actor == supervisor_a
    assert event.details == {"report": "test-report", "format": output, "parameters": PARAMETERS}


@pytest.mark.parametrize("output", ["csv", "xlsx"])
def test_a_one_table_download_records_the_table(ask, output):
    ask(make_report(by_sex(), by_status()), format=output, table="by-status")
    [event] = events()
    assert event.action == Action.EXPORT
    assert event.details == {
        "report": "test-report",
        "format": output,
        "parameters": PARAMETERS,
        "table": "by-status",
    }


def test_a_case_report_ties_its_event_to_the_case(ask, caseworker_a):
    from tests.factories import CaseFactory

    case = CaseFactory(organisation=caseworker_a.organisation, assigned_to=caseworker_a)
    report = make_report(by_sex())
    report.case = case
    ask(report, format="csv")
    [event] = events()
    assert (event.object_type, event.object_id, event.case_reference) == (
        "case",
        str(case.pk),
        case.reference,
    )


# --- XLSX -------------------------------------------------------------------------------------------------


def test_the_workbook_has_a_report_sheet_then_one_sheet_per_table_cell_for_cell(ask):
    tables = [by_sex(), by_status()]
    book = workbook(ask(make_report(*tables), format="xlsx"))
    assert book.sheetnames == ["Report", "Cases by sex", "Cases by status"]
    about = sheet_rows(book["Report"])
    assert about[0][0] == "Test caseload report"
    assert ["Organisation", "NGO A"] in about and ["Period", "2026-01-01 – 2026-06-30"] in about
    assert about[1][0] == "Generated"
    assert any(row[0] == "Disclosure control" for row in about)
    for table in tables:
        rows = sheet_rows(book[table.title])
        assert rows[0] == table.columns
        expected = [["suppressed" if value is SUPPRESSED else value for value in row] for row in table.rows]
        got = [[value.date() if isinstance(value, datetime) else value for value in row] for row in rows[1:]]
        assert got == expected
    status = book["Cases by status"]
    assert status["B2"].data_type == "n" and status["B2"].value == 917
    assert status["C2"].value == -3 and status["C2"].data_type == "n"
    assert status["D3"].value == -1.5 and status["D3"].data_type == "n"  # a Decimal is a number too


def test_a_one_table_workbook_has_the_report_sheet_and_that_table(ask):
    book = workbook(ask(make_report(by_sex(), by_status()), format="xlsx", table="by-sex"))
    assert book.sheetnames == ["Report", "Cases by sex"]


def test_a_workbook_without_suppressed_tables_does_not_explain_suppression(ask):
    about = sheet_rows(workbook(ask(make_report(by_status()), format="xlsx"))["Report"])
    assert not any(row[0] == "Disclosure control" for row in about)


def test_sheet_names_are_valid_and_unique_whatever_the_titles(ask):
    long = "Referrals by service type and outcome in the period"
    titles = [long, long, "report", "What? [draft]: a*b/c\\d", "", gettext_lazy("Cases"), "cases", "'Quoted'"]
    tables = [
        ReportTable(slug=f"t{index}", title=title, columns=["A", "B"], rows=[[f"row {index}", index]])
        for index, title in enumerate(titles)
    ]
    book = workbook(ask(make_report(*tables), format="xlsx"))
    names = book.sheetnames
    assert names[0] == "Report"
    assert len({name.lower() for name in names}) == len(names) == len(tables) + 1
    for name in names:
        assert 0 < len(name) <= 31
        assert not set(name) & set("[]:*?/\\")
        assert not name.startswith("'") and not name.endswith("'")
    for table, name in zip(tables, names[1:], strict=True):
        index = int(table.slug[1:])
        assert sheet_rows(book[name]) == [["A", "B"], [f"row {index}", index]]


def test_times_are_shown_in_local_time_in_every_format(ask, settings):
    settings.TIME_ZONE = "Asia/Almaty"
    moment = datetime(2026, 3, 1, 6, 30, tzinfo=UTC)
    local = timezone.localtime(moment)
    assert local.hour != moment.hour
    table = ReportTable(slug="times", title="Times", columns=["Label", "When"], rows=[["x", moment]])
    report = make_report(table)
    # A spreadsheet cannot hold a time zone (openpyxl refuses one): the time as read where the report is.
    book = workbook(ask(report, format="xlsx"))
    assert book["Times"]["B2"].value == local.replace(tzinfo=None)
    assert csv_rows(ask(report, format="csv"))[1] == ["x", local.replace(tzinfo=None).isoformat()]
    assert f"<td>{local:%Y-%m-%d %H:%M}</td>" in ask(report).content.decode()


# --- Suppressed counts, formulas, control characters ------------------------------------------------------


def test_a_suppressed_count_reads_suppressed_in_every_format_never_a_number(ask):
    table = ReportTable(
        slug="small",
        title="Small groups",
        columns=["Group", "Cases"],
        rows=[["a", SUPPRESSED]],
        suppressed=True,
    )
    report = make_report(table)
    page = ask(report).content.decode()
    assert '<td class="num"><span class="suppressed">suppressed</span></td>' in page
    assert csv_rows(ask(report, format="csv", table="small")) == [["Group", "Cases"], ["a", "suppressed"]]
    assert sheet_rows(workbook(ask(report, format="xlsx"))["Small groups"])[1] == ["a", "suppressed"]
    assert "Counts from 1 to 4 are shown as “suppressed”" in page


FORMULA_CELLS = {
    '=HYPERLINK("http://evil.example","click")': '\'=HYPERLINK("http://evil.example","click")',
    "+41 22 000": "'+41 22 000",
    "-2+3": "'-2+3",
    "@SUM(A1:A2)": "'@SUM(A1:A2)",
    "\tcmd": "'\tcmd",
    "\rcmd": "'\rcmd",
    "a\x00b\x07c\x1fd": "abcd",
    "\x00=1+1": "'=1+1",
    "plain text": "plain text",
}


def test_csv_cells_a_spreadsheet_would_run_are_escaped_and_numbers_stay_numbers(ask):
    rows = csv_rows(ask(make_report(hostile()), format="csv"))
    assert rows[0] == ["'@Label", "Value"]
    assert {row[0]: exports.cell(row[0]) for row in hostile().rows} == FORMULA_CELLS
    assert [row[0] for row in rows[1:]] == list(FORMULA_CELLS.values())
    assert [row[1] for row in rows[1:]] == ["-7", "0", "-2", "3", "1", "1", "1", "1", "5"]
    # Titles above each table in a several-table CSV too.
    assert csv_rows(ask(make_report(hostile(), by_sex()), format="csv"))[0] == ["'=Typed by someone"]


def test_xlsx_cells_a_spreadsheet_would_run_are_escaped_and_numbers_stay_numbers(ask):
    book = workbook(ask(make_report(hostile()), format="xlsx"))
    assert book.sheetnames == ["Report", "=Typed by someone"]
    assert sheet_rows(book["Report"])[0][0] == "Test caseload report"
    rows = sheet_rows(book["=Typed by someone"])
    assert rows[0] == ["'@Label", "Value"]
    # XML reads a carriage return back as a line feed; what matters is the apostrophe before it.
    expected = [value.replace("\r", "\n") for value in FORMULA_CELLS.values()]
    assert [row[0] for row in rows[1:]] == expected
    assert [row[1] for row in rows[1:]] == [-7, 0, -2, 3, 1, 1, 1, 1, 5]
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)


def test_a_report_title_and_parameters_are_escaped_in_the_workbook_too(ask):
    report = make_report(by_sex())
    report.title = "=cmd|' /C calc'!A0"
    report.described = [("-Label", "+value")]
    about = sheet_rows(workbook(ask(report, format="xlsx"))["Report"])
    assert about[0][0] == "'=cmd|' /C calc'!A0"
    assert ["'-Label", "'+value"] in about


def test_the_page_escapes_text_it_shows(ask):
    table = ReportTable(slug="t", title="<b>Title</b>", columns=["<i>c</i>"], rows=[["<script>x</script>"]])
    page = ask(make_report(table, remark="<img src=x onerror=alert(1)>")).content.decode()
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert "<b>Title</b>" not in page and "<i>c</i>" not in page
    assert "<img src=x" not in page


# --- PDF: nothing leaves the server -----------------------------------------------------------------------


def test_the_pdf_fetcher_loads_the_projects_stylesheet():
    loaded = static_only_fetcher("http://testserver/static/casework/report.css")
    with open(finders.find("casework/report.css"), "rb") as handle:
        assert loaded["string"] == handle.read()
    assert loaded["mime_type"] == "text/css"


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/x.css",
        "https://example.org/static/../x.css",
        "file:///etc/passwd",
        "file:///static/../../../../../../etc/passwd",
        "http://testserver/static/casework/../../../../../../../../etc/passwd",
        "http://testserver/static//etc/passwd",
        "http://testserver/static/",
        "http://testserver/static/casework/",
        "http://testserver/static/casework/no-such-file.css",
        "data:text/css,body{color:red}",
        "ftp://example.org/static/casework/report.css",
    ],
)
def test_the_pdf_fetcher_refuses_anything_but_a_static_file(url):
    with pytest.raises(ValueError):
        static_only_fetcher(url)


@pytest.fixture
def no_network(monkeypatch):
    """Records, and refuses, any attempt to open a connection or a URL."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("The network is not for reports.")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", refuse)
    return attempts


def test_an_outside_image_or_stylesheet_in_a_report_never_leaves_the_server(ask, no_network):
    response = ask(make_report(by_sex()), format="pdf")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert no_network == []


def test_the_pdf_is_styled_with_the_print_stylesheet(report_template, supervisor_a, monkeypatch):
    """The stylesheet reaches WeasyPrint: the fetcher is asked for it and answers."""
    asked = []
    original = exports.static_only_fetcher

    def recording(url, *args, **kwargs):
        asked.append(url)
        return original(url, *args, **kwargs)

    monkeypatch.setattr(exports, "static_only_fetcher", recording)
    request = RequestFactory().get("/reports/test/", {"format": "pdf"})
    request.user = supervisor_a
    response = respond(request, make_report(by_sex()))
    assert response.status_code == 200
    assert "http://testserver/static/casework/report.css" in asked
    assert "http://example.org/tracker.png" in asked  # asked, and refused


# --- Tables from suppressed statistics --------------------------------------------------------------------

K = 5


def counts(**groups: int) -> list[dict]:
    return [{"sex": sex, "count": n} for sex, n in groups.items()]


def test_a_counts_table_shows_suppressed_entries_as_suppressed_and_a_total():
    result = suppress(counts(female=12, male=3, unknown=7), dimensions=["sex"], threshold=K)
    table = counts_table(result, "sex", slug="sex", title="By sex", label="Sex")
    assert table.columns == ["Sex", "Cases"]
    assert table.rows == [["female", 12], ["male", SUPPRESSED], ["unknown", SUPPRESSED], ["Total", 22]]
    assert table.has_total and table.suppressed
    assert table.total == ["Total", 22]
    assert table.body == table.rows[:-1]


def test_a_counts_table_follows_the_order_given_and_labels_values():
    result = suppress(counts(female=12, male=8, other=6), dimensions=["sex"], threshold=K)
    table = counts_table(
        result,
        "sex",
        slug="sex",
        title="By sex",
        label="Sex",
        value_label="People",
        labeller=str.title,
        order=["male", "female"],
    )
    assert table.columns == ["Sex", "People"]
    assert [row[0] for row in table.rows] == ["Male", "Female", "Other", "Total"]


def test_a_grand_total_below_the_threshold_is_suppressed():
    result = suppress(counts(female=2, male=1), dimensions=["sex"], threshold=K)
    table = counts_table(result, "sex", slug="sex", title="By sex", label="Sex")
    assert table.rows == [["female", SUPPRESSED], ["male", SUPPRESSED], ["Total", SUPPRESSED]]


def test_counts_side_by_side_put_zero_where_a_column_has_no_such_value():
    opened = suppress(counts(female=12, male=9), dimensions=["sex"], threshold=K)
    closed = suppress(counts(female=6, unknown=2, male=7), dimensions=["sex"], threshold=K)
    table = counts_columns(
        {"Opened": opened, "Closed": closed}, "sex", slug="sex", title="By sex", label="Sex"
    )
    assert table.columns == ["Sex", "Opened", "Closed"]
    rows = {row[0]: row[1:] for row in table.rows}
    assert rows["female"] == [12, SUPPRESSED]  # hidden with unknown, or 15 - 7 - 6 would give it away
    assert rows["unknown"] == [0, SUPPRESSED]  # none opened; closed hidden (2)
    assert rows["male"] == [9, 7]
    assert table.rows[-1] == ["Total", 21, 15]


def cross_result():
    cells = [
        {"country": "KZ", "sex": "female", "count": 20},
        {"country": "KZ", "sex": "male", "count": 2},
        {"country": "KZ", "sex": "unknown", "count": 9},
        {"country": "TJ", "sex": "female", "count": 7},
        {"country": "TJ", "sex": "male", "count": 11},
        {"country": "UZ", "sex": "female", "count": 8},
    ]
    return suppress(cells, dimensions=["country", "sex"], threshold=K)


def test_a_cross_table_mirrors_the_suppressed_result_with_zeros_and_totals():
    result = cross_result()
    table = cross_table(
        result,
        "country",
        "sex",
        slug="country-sex",
        title="By country and sex",
        label="Country",
        column_order=["male", "female", "unknown"],
    )
    assert table.columns == ["Country", "male", "female", "unknown", "Total"]
    columns = ["male", "female", "unknown"]
    published = {(entry["country"], entry["sex"]): entry for entry in result["rows"]}
    body = {row[0]: row[1:] for row in table.body}
    assert list(body) == ["KZ", "TJ", "UZ"]
    for country, values in body.items():
        for sex, value in zip(columns, values, strict=False):
            entry = published.get((country, sex))
            if entry is None:
                assert value == 0  # a combination nobody falls into
            elif entry.get("suppressed"):
                assert value is SUPPRESSED
            else:
                assert value == entry["count"]
    assert body["KZ"][0] is SUPPRESSED  # 2
    assert body["UZ"][0] == 0 and body["UZ"][2] == 0
    row_totals = {entry["country"]: entry for entry in result["totals"]["country"]}
    for country, values in body.items():
        entry = row_totals[country]
        assert values[-1] == (SUPPRESSED if entry.get("suppressed") else entry["count"])
    column_totals = {entry["sex"]: entry for entry in result["totals"]["sex"]}
    total = table.rows[-1]
    assert total[0] == "Total"
    for sex, value in zip(columns, total[1:-1], strict=True):
        entry = column_totals[sex]
        assert value == (SUPPRESSED if entry.get("suppressed") else entry["count"])
    assert total[-1] == 57


def test_chart_bars_leave_out_suppressed_counts_and_the_total():
    result = suppress(counts(female=12, male=3, unknown=7, other=0), dimensions=["sex"], threshold=K)
    table = counts_table(result, "sex", slug="sex", title="By sex", label="Sex")
    bars, hidden = chart_bars(table)
    assert bars == [("female", 12), ("other", 0)]
    assert hidden == 2
    assert all(label != "Total" for label, _n in bars)


def test_chart_bars_of_another_column():
    opened = suppress(counts(female=12, male=9), dimensions=["sex"], threshold=K)
    closed = suppress(counts(female=6, male=2), dimensions=["sex"], threshold=K)
    table = counts_columns({"Opened": opened, "Closed": closed}, "sex", slug="s", title="S", label="Sex")
    assert chart_bars(table, column=2) == ([], 2)
    assert chart_bars(table, column=1) == ([("female", 12), ("male", 9)], 0)


def test_the_threshold_in_force_is_the_setting():
    assert django_settings.SUPPRESSION_THRESHOLD == K

"""What a background export produces, built as the requester at the time it runs.

A job names a report and its parameters (or "every case"); the worker builds the report again, as the
user who asked, through the same access checks as the report's page: a user who has since lost the role,
the organisation or the case gets a failed job, never the data (`NotAllowed`). Reports are rendered by
`casework.reports.exports.render`, the function the `?format=` downloads use, so the file is the one the
download gives. Every case as XLSX has the columns and rows of the CSV of every case
(`casework.case_export_csv`), written by XlsxWriter's constant-memory workbook as the rows stream in.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from operator import getitem
from typing import Any

from django import forms
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import access
from casework.case_export_csv import CHUNK_SIZE, COLUMNS, CONVERT, REFERENCE, export_queryset
from casework.reports import exports
from casework.reports.exports import CONTENT_TYPES, Report, cell
from casework.reports.registry import REPORTS

CASES = "cases"  # the `report` a request for every case names
# Reports whose PDF and XLSX may take long enough to prepare in the background. The case summary (one
# case) and every CSV are fast and stay synchronous.
QUEUED_REPORTS = ("caseload", "country-brief")
FORMATS = {"caseload": ("pdf", "xlsx"), "country-brief": ("pdf", "xlsx"), CASES: ("xlsx",)}
# The worker has no request: links in the PDF's HTML (the stylesheet) are resolved against this address.
# The fetcher reads only the project's static files whatever the host (reports.exports.static_only_fetcher);
# .invalid is reserved and never resolves, so nothing could leave the server even if it tried.
OFFLINE_BASE_URL = "https://casework.invalid/"
ROWS_PER_PROGRESS = 5000  # how often the XLSX of every case reports its progress

Progress = Callable[[int, str], None]


class NotAllowed(Exception):
    """The requester may not (or no longer) have this export."""


@dataclass
class Output:
    content: bytes
    filename: str
    content_type: str


# --- Parameters ---------------------------------------------------------------------------------------


def parameters_form(user, report: str, data) -> forms.Form:
    """The report's own parameter form (what its URL is checked with), bound to `data`."""
    if report == "caseload":
        from casework.reports.caseload import _parameters

        return _parameters(data, user=user)
    return REPORTS[report].form(user, data)


def plain_parameters(report: str, cleaned: dict[str, Any]) -> dict[str, str]:
    """The validated parameters as the job stores them: slugs, codes and ISO dates, defaults resolved
    (a caseload period without dates is this year so far when it was asked for, not when it runs)."""
    if report == "caseload":
        organisation = cleaned.get("organisation")
        return {
            "organisation": organisation.slug if organisation else "",
            "from": cleaned["from"].isoformat(),
            "to": cleaned["to"].isoformat(),
        }
    if report == "country-brief":
        return {"country": cleaned["country"].code}
    return {}


def may_request(user, report: str) -> bool:
    """Whether `user` may ask for this export at all: the report's own rule, or for every case the CSV's
    (those who read case pages)."""
    if report == CASES:
        return access.reads_case_pages(user)
    kind = REPORTS.get(report)
    return report in QUEUED_REPORTS and kind is not None and kind.may_run(user)


def check(user, report: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """The cleaned parameters if `user` may have this export now; NotAllowed otherwise (the role, the
    organisation or the country is no longer theirs, or the user is deactivated)."""
    if not may_request(user, report):
        raise NotAllowed(report)
    if report == CASES:
        return {}
    form = parameters_form(user, report, parameters)
    if not form.is_valid():
        raise NotAllowed(report)
    return form.cleaned_data


# --- Building ------------------------------------------------------------------------------------------


def offline_request(user, path: str) -> HttpRequest:
    """A stand-in for the request a report template is rendered with: its user and its path. Nothing
    in the PDF depends on anything else of a request."""
    request = HttpRequest()
    request.method = "GET"
    request.path = request.path_info = path
    request.user = user
    return request


def build_report(user, report: str, cleaned: dict[str, Any]) -> tuple[Report, str]:
    """The report as `user` may read it, and its URL."""
    kind = REPORTS[report]
    if report == "caseload":
        from casework.reports.caseload import build_report as build_caseload
        from casework.reports.caseload_queries import Period

        period = Period(cleaned["from"], cleaned["to"])
        return build_caseload(user, cleaned["organisation"], period), kind.url(cleaned)
    from casework.reports.country_brief import build as build_brief

    return build_brief(user, cleaned["country"]), kind.url(cleaned)


def produce(user, report: str, parameters: dict[str, Any], output: str, progress: Progress) -> Output:
    """The file, built as `user` now; NotAllowed when they may no longer have it."""
    if output not in FORMATS.get(report, ()):
        raise NotAllowed(report)
    cleaned = check(user, report, parameters)
    if report == CASES:
        return cases_xlsx(user, progress)
    progress(10, _("Counting"))
    built, url = build_report(user, report, cleaned)
    progress(50, _("Writing the PDF") if output == "pdf" else _("Writing the workbook"))
    content = exports.render(
        offline_request(user, url), built, output, built.tables, base_url=OFFLINE_BASE_URL
    )
    return Output(content, exports.file_name(built, output), CONTENT_TYPES[output])


# --- Every case as XLSX -----------------------------------------------------------------------------------


class _XlsxColumn(dict):
    """One column's cells, each distinct value converted once (as the CSV's columns do): the CSV's
    conversion (dates and months as ISO text, sets of choices as "a;b"), then the formula escaping."""

    def __init__(self, convert) -> None:
        super().__init__()
        self.convert = convert

    def __missing__(self, value: Any) -> Any:
        converted = self[value] = cell(self.convert(value) if self.convert else value)
        return converted


class _Same(dict):
    """References are unique and never need escaping (case_export_csv.REFERENCE): as they are."""

    def __missing__(self, value: Any) -> Any:
        return value


def cases_xlsx(user, progress: Progress) -> Output:
    """Every case `user` may see, the CSV's columns and rows, one sheet. Progress every few thousand
    rows, between 5 and 90 per cent; the rest is saving the workbook.

    XlsxWriter in constant-memory mode (each row goes to a temporary file as the next begins): for 10^5
    cases it took 19.5 s and 15 MB over the process where openpyxl's write-only workbook took 31 s and
    35 MB (bench/export_jobs.py). Text is written as text: a value that looks like a number, a formula or
    a web address stays what the CSV has."""
    import xlsxwriter

    rows = export_queryset(user)
    progress(2, _("Counting the cases"))
    total = rows.count()
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    sheet = workbook.add_worksheet(_("Cases"))
    sheet.write_row(0, 0, [header for header, _lookup, _kind in COLUMNS])
    columns = [_Same() if kind == REFERENCE else _XlsxColumn(CONVERT[kind]) for _h, _l, kind in COLUMNS]
    progress(5, _("Writing rows"))
    for number, values in enumerate(rows.iterator(chunk_size=CHUNK_SIZE), start=1):
        sheet.write_row(number, 0, list(map(getitem, columns, values)))
        if number % ROWS_PER_PROGRESS == 0 and number < total:
            progress(
                5 + 85 * number // total,
                _("Writing rows: %(done)s of %(total)s") % {"done": number, "total": total},
            )
    progress(90, _("Saving the workbook"))
    workbook.close()
    filename = f"cases-{timezone.now():%Y%m%d-%H%M%S}.xlsx"
    return Output(buffer.getvalue(), filename, CONTENT_TYPES["xlsx"])

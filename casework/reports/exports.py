"""One report, four formats: HTML with a print stylesheet, PDF (WeasyPrint), CSV and XLSX (openpyxl).

A report view checks access, builds a `Report` and hands it to `respond()`, which picks the format
from `?format=` (html by default), records the audit event (a `view` for HTML, an `export` for the
others) and answers. `render()` makes the file of one format; a background export job (issue 8,
casework/export_jobs/) calls it too, so a prepared file is the very file the download would give.
PDF is the same HTML rendered by WeasyPrint with the print stylesheet; CSV and XLSX carry the report's
tables cell for cell, with spreadsheet formulas neutralised.
"""

from __future__ import annotations

import csv
import io
import os
import posixpath
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.text import slugify
from django.utils.translation import gettext as _

from casework import audit
from casework.audit import Action
from casework.reports.tables import SUPPRESSED, ReportTable
from casework.two_factor.step_up import require_fresh_verification

if TYPE_CHECKING:
    from casework.models import Case

FORMATS = ("html", "pdf", "csv", "xlsx")
TABLE_FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

# A cell a spreadsheet would run as a formula (OWASP "CSV injection"): =, +, -, @, and tab or carriage
# return, which some programs strip before looking at the first character.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Control characters are not allowed in XLSX (openpyxl refuses them) and have no place in a report.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass
class Report:
    """What a report view built, ready to render in any format.

    `name` is the report's registry slug; `parameters` (plain values, no free text) are shown on the
    report and recorded in the audit event; `case` ties the audit event to one case.
    """

    name: str
    title: str
    template: str
    filename: str
    context: dict[str, Any] = field(default_factory=dict)
    tables: list[ReportTable] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    # The parameters as a reader should see them: (label, value) pairs, shown on the report and the XLSX.
    described: list[tuple[str, Any]] = field(default_factory=list)
    case: Case | None = None

    def table(self, slug: str) -> ReportTable | None:
        return next((table for table in self.tables if table.slug == slug), None)


def requested_format(request: HttpRequest) -> str:
    return (request.GET.get("format") or "html").lower()


def respond(request: HttpRequest, report: Report) -> HttpResponse:
    """The report in the format asked for, audited; 400 naming the parameter for an unknown format or
    table. Every answer is `no-store`: reports hold case data and must not stay in a shared cache."""
    output = requested_format(request)
    if output not in FORMATS:
        return _bad_request(_("format: choose one of %(formats)s.") % {"formats": ", ".join(FORMATS)})
    if output != "html" and (step_up := require_fresh_verification(request)) is not None:
        return step_up  # a download leaves the system: a fresh second factor first (issue 7)
    tables = report.tables
    slug = request.GET.get("table")
    if slug:
        chosen = report.table(slug)
        if output not in TABLE_FORMATS or chosen is None:
            return _bad_request(
                _("table: choose one of %(tables)s with format=csv or xlsx.")
                % {"tables": ", ".join(table.slug for table in report.tables) or "—"}
            )
        tables = [chosen]
    if output in TABLE_FORMATS and not tables:
        return _bad_request(_("format: this report has no tables to export; use html or pdf."))

    details = {"report": report.name, "format": output, "parameters": _plain(report.parameters)}
    if slug:
        details["table"] = slug
    audit.record(
        Action.VIEW if output == "html" else Action.EXPORT, request=request, obj=report.case, details=details
    )

    if output == "html":
        response = HttpResponse(
            render_to_string(report.template, _context(request, report, output), request=request)
        )
    else:
        try:
            response = HttpResponse(
                render(request, report, output, tables), content_type=CONTENT_TYPES[output]
            )
        except PdfUnavailable:
            response = HttpResponse(
                _("PDF is not available on this server (WeasyPrint needs Pango); print the HTML page."),
                status=503,
                content_type="text/plain; charset=utf-8",
            )
            add_never_cache_headers(response)
            return response
        response["Content-Disposition"] = f'attachment; filename="{file_name(report, output, slug)}"'
    add_never_cache_headers(response)
    return response


def render(
    request: HttpRequest, report: Report, output: str, tables: list[ReportTable], *, base_url: str = ""
) -> bytes:
    """The report as a file in `output` (pdf, csv or xlsx): what a download answers and what a background
    export job (casework/export_jobs/) stores, so both give the very same file. `request` supplies the
    template's context (its user); `base_url` is where the PDF's stylesheet links are resolved (only the
    path matters to the fetcher), by default the request's own address. PdfUnavailable without Pango."""
    if output == "csv":
        return to_csv(tables).encode("utf-8")
    if output == "xlsx":
        return to_xlsx(report, tables)
    if output != "pdf":
        raise ValueError(f"not a file format: {output!r}")
    html = render_to_string(report.template, _context(request, report, output), request=request)
    return to_pdf(html, base_url or request.build_absolute_uri("/"))


def file_name(report: Report, output: str, table: str | None = None) -> str:
    """The download's file name: the report's, the table's slug if one, and the format."""
    return f"{slugify(report.filename) or 'report'}{'-' + slugify(table) if table else ''}.{output}"


def _bad_request(message: str) -> HttpResponse:
    response = HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
    add_never_cache_headers(response)
    return response


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _context(request: HttpRequest, report: Report, output: str) -> dict[str, Any]:
    return {
        **report.context,
        "report": report,
        "output": output,
        "generated_at": timezone.now(),
        "threshold": settings.SUPPRESSION_THRESHOLD,
        "downloads": download_links(request, report) if output == "html" else {},
    }


def download_links(request: HttpRequest, report: Report) -> dict[str, Any]:
    """URLs of the report in the other formats, keeping its parameters: {"pdf": …, "csv": …, "xlsx":
    …, "tables": {slug: {"csv": …, "xlsx": …}}}."""
    query = {key: value for key, value in request.GET.items() if key not in ("format", "table")}

    def url(**extra: str) -> str:
        return f"{request.path}?{urlencode({**query, **extra})}"

    links: dict[str, Any] = {"pdf": url(format="pdf"), "tables": {}, "prepare": _prepare(report)}
    if report.tables:
        links["csv"] = url(format="csv")
        links["xlsx"] = url(format="xlsx")
        links["tables"] = {
            table.slug: {output: url(format=output, table=table.slug) for output in TABLE_FORMATS}
            for table in report.tables
        }
    return links


def _prepare(report: Report) -> dict[str, Any] | None:
    """What the "Prepare PDF / XLSX" buttons post for a report that large exports prepare in the
    background (casework/export_jobs/): {"report", "formats", "parameters"}; None for other reports."""
    from casework.export_jobs.rendering import QUEUED_REPORTS

    if report.name not in QUEUED_REPORTS:
        return None
    formats = ["pdf", "xlsx"] if report.tables else ["pdf"]
    return {"report": report.name, "formats": formats, "parameters": _plain(report.parameters)}


# --- Cells ----------------------------------------------------------------------------------------------


def cell(value: Any) -> Any:
    """A value as a spreadsheet should receive it: numbers and dates as such, SUPPRESSED and None as
    text, and any text that a spreadsheet would run as a formula prefixed with an apostrophe."""
    if value is SUPPRESSED:
        return str(SUPPRESSED)
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime) and timezone.is_aware(value):
        # Spreadsheets have no time zones (openpyxl refuses aware times): the reader's local time.
        return timezone.make_naive(value)
    if isinstance(value, int | float | Decimal | date):
        return value
    text = CONTROL_CHARACTERS.sub("", str(value))
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


def _csv_cell(value: Any) -> Any:
    value = cell(value)
    return value.isoformat() if isinstance(value, date | datetime) else value


# --- CSV ------------------------------------------------------------------------------------------------


def to_csv(tables: list[ReportTable]) -> str:
    """One table: its header and rows. Several: each under a line with its title, a blank line between
    them (open a single table with `&table=slug` for a file a program reads directly)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for index, table in enumerate(tables):
        if len(tables) > 1:
            if index:
                writer.writerow([])
            writer.writerow([_csv_cell(table.title)])
        writer.writerow([_csv_cell(column) for column in table.columns])
        writer.writerows([_csv_cell(value) for value in row] for row in table.rows)
    return buffer.getvalue()


# --- XLSX -----------------------------------------------------------------------------------------------

SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(text: Any) -> str:
    # Excel refuses []:*?/\ and control characters in a sheet name, an apostrophe at either end, and
    # more than 31 characters; titles may be lazy translations.
    name = SHEET_NAME_FORBIDDEN.sub(" ", re.sub(r"[\x00-\x1f]", "", str(text)))
    return name.strip(" '")[:31].strip(" '")


def _sheet_names(tables: list[ReportTable]) -> list[str]:
    names: list[str] = []
    for table in tables:
        base = _sheet_name(table.title) or _sheet_name(table.slug) or "Table"
        name, number = base, 2
        while name.lower() in (existing.lower() for existing in names) or name.lower() == "report":
            suffix = f" ({number})"
            name, number = base[: 31 - len(suffix)] + suffix, number + 1
        names.append(name)
    return names


def to_xlsx(report: Report, tables: list[ReportTable]) -> bytes:
    """A workbook: a "Report" sheet saying what this is (title, parameters, when, the threshold), then
    one sheet per table with its header and rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    about = workbook.create_sheet("Report")
    about.append([cell(report.title)])
    about.append([_("Generated"), cell(timezone.localtime().strftime("%Y-%m-%d %H:%M"))])
    for label, value in report.described:
        about.append([cell(str(label)), cell(_plain(value))])
    if any(table.suppressed for table in tables):
        about.append(
            [
                _("Disclosure control"),
                cell(
                    _("Counts from 1 to %(k)s, and counts that would reveal them, are shown as “suppressed”.")
                    % {"k": settings.SUPPRESSION_THRESHOLD - 1}
                ),
            ]
        )
    bold = Font(bold=True)
    for table, name in zip(tables, _sheet_names(tables), strict=True):
        sheet = workbook.create_sheet(name)
        header = []
        for column in table.columns:
            heading = WriteOnlyCell(sheet, value=cell(column))
            heading.font = bold
            header.append(heading)
        sheet.append(header)
        for row in table.rows:
            sheet.append([cell(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- PDF ------------------------------------------------------------------------------------------------


class PdfUnavailable(RuntimeError):
    pass


def static_only_fetcher(url: str, *args, **kwargs) -> dict[str, Any]:
    """WeasyPrint may load the project's static files (the stylesheets) and nothing else: no request
    leaves the server because of something in a report, and no file outside the static files is read.

    In production `{% static %}` names the collected copy with a hash in its name
    (`casework/report.1a2b3c4d5e6f.css`, DJANGO_STATIC_MANIFEST); the collected manifest says which file
    that is, and the file is read from the apps' static folders like any other."""
    from django.contrib.staticfiles.storage import staticfiles_storage

    parts = urlsplit(url)
    static_url = urlsplit(settings.STATIC_URL).path
    if parts.scheme in ("http", "https") and parts.path.startswith(static_url):
        relative = parts.path[len(static_url) :]
        # No way out of the static folders ("..", an absolute path) and no folder.
        if relative and posixpath.normpath(relative) == relative and not relative.startswith("/"):
            try:
                found = finders.find(relative)
                if not found:
                    # Only a manifest storage has `hashed_files` (original name -> hashed name).
                    hashed_files = getattr(staticfiles_storage, "hashed_files", None) or {}
                    original = next((key for key, value in hashed_files.items() if value == relative), None)
                    found = finders.find(original) if original else None
            except SuspiciousFileOperation:
                found = None
            if found and os.path.isfile(found):
                with open(found, "rb") as handle:
                    return {"string": handle.read(), "mime_type": _mime_type(found), "redirected_url": url}
    raise ValueError(f"Reports load only the project's static files, not {url!r}.")


def _mime_type(path: str) -> str:
    return {"css": "text/css", "svg": "image/svg+xml", "png": "image/png"}.get(path.rsplit(".", 1)[-1], "")


def _weasyprint_fetcher():
    """`static_only_fetcher` in the form this WeasyPrint takes: from version 68 an `URLFetcher` whose
    `fetch` answers (a plain function is no longer accepted), before it the function itself."""
    try:
        from weasyprint.urls import URLFetcher, URLFetcherResponse
    except ImportError:
        return static_only_fetcher

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            found = static_only_fetcher(url)
            return URLFetcherResponse(url, found["string"], {"Content-Type": found["mime_type"]})

    return StaticOnlyFetcher()


def to_pdf(html: str, base_url: str) -> bytes:
    try:
        from weasyprint import HTML
    except OSError as error:  # pango or its fonts missing on this server
        raise PdfUnavailable(str(error)) from error
    return HTML(string=html, base_url=base_url, url_fetcher=_weasyprint_fetcher()).write_pdf()

"""Every case the user may see, as one CSV file: `/cases/export.csv`.

For those who read case pages (caseworkers, supervisors, organisation administrators, system
administrators): the cases `Case.objects.visible_to(user)` returns — a caseworker gets theirs, a supervisor
the organisation's, never another organisation's. Analysts and auditors are refused (403); they do not
read case pages.

Structured fields only: codes, dates, numbers, reference-data names and the assignee's username. No free
text at all (notes, outcomes and closure notes stay on the case page, where access is checked record by
record). Text cells get the spreadsheet-formula escaping of the report exports
(`casework.reports.exports.cell`).

The file streams: one query (on PostgreSQL `COPY (…) TO STDOUT`, elsewhere a server-side cursor), written
a few hundred rows at a time, so memory stays flat however many cases there are (100,000 cases:
bench/export_memory.py, docs/PERFORMANCE.md). Each column converts a distinct value once — cell() and the
csv module's quoting (csv.writer) — and remembers the field, so a row costs a lookup per cell: the export
keeps pace with PostgreSQL's own `COPY`. One `export` event is written to the audit trail before the
first byte, never one per case; the response is never cached.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Iterator
from operator import getitem
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import EmptyResultSet, PermissionDenied
from django.db import connections
from django.db.models import CharField, ExpressionWrapper, F, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from psycopg import ClientCursor

from casework import access, audit
from casework.audit import Action
from casework.models import Case
from casework.reports.exports import cell
from casework.two_factor.step_up import require_fresh_verification

CHUNK_SIZE = 2000  # rows fetched from the server-side cursor at a time
ROWS_PER_WRITE = 500  # rows written to the response at a time

# Column kinds: how a value becomes a cell. Every kind but REFERENCE goes through cell(), the report
# exports' spreadsheet-formula escaping.
TEXT = "text"  # codes, names, usernames, yes/no, numbers
REFERENCE = "reference"  # a case's reference: unique, and drawn from REFERENCE_ALPHABET plus "-", so it
# can never start a formula nor need quoting
DATE = "date"
DATETIME = "datetime"  # written as the local date
MONTH = "month"  # a month of return, as YYYY-MM (the day is not recorded)
CHOICES = "choices"  # a set of choice codes as stored (",a,b,"), written "a;b"
BOOLEAN = "boolean"  # yes or no

# (column header, what values_list fetches, kind). Never a TextField: no free text.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("reference", "reference", REFERENCE),
    ("organisation", "organisation__slug", TEXT),
    ("status", "status", TEXT),
    ("assigned_to", "assigned_to__username", TEXT),
    ("opened_on", "opened_on", DATE),
    ("closed_on", "closed_on", DATE),
    ("closure_reason", "closure_reason", TEXT),
    ("archived_on", "archived_at", DATETIME),
    ("sex", "sex", TEXT),
    ("age_band", "age_band", TEXT),
    ("citizenship", "citizenship__code", TEXT),
    ("residence_country", "residence_country__code", TEXT),
    ("residence_region", "residence_region__name", TEXT),
    ("return_month", "return_month", MONTH),
    ("departure_year", "departure_year", TEXT),
    ("conflict_zone", "conflict_zone", TEXT),
    ("return_pathway", "return_pathway", TEXT),
    ("programme", "programme__name", TEXT),
    ("affiliation", "affiliation", TEXT),
    ("armed_group", "armed_group__name", TEXT),
    ("circumstance", "circumstance", TEXT),
    ("drivers", "drivers_stored", CHOICES),
    ("vulnerabilities", "vulnerabilities_stored", CHOICES),
    ("consent_services", "consent_services", BOOLEAN),
    ("consent_services_on", "consent_services_on", DATE),
    ("consent_data_sharing", "consent_data_sharing", BOOLEAN),
    ("consent_data_sharing_on", "consent_data_sharing_on", DATE),
    ("consent_withdrawn_on", "consent_withdrawn_on", DATE),
    ("household", "household__reference", TEXT),
    ("household_role", "household_role", TEXT),
    ("version", "version", TEXT),
)


# Each conversion takes the value as the ORM gives it (SQLite, and the XLSX of every case) or as
# PostgreSQL's COPY writes it (text: "2024-05-01", "2024-05-01 10:00:00+00", "t"); see export_rows().


def _date(value: Any) -> Any:
    if isinstance(value, str):
        return value
    return value.isoformat() if value else None


def _local_date(value: Any) -> Any:
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    return timezone.localdate(value).isoformat() if value else None


def _month(value: Any) -> Any:
    if isinstance(value, str):
        return value[:7]
    return f"{value.year:04d}-{value.month:02d}" if value else None


def _choices(value: Any) -> str:
    return ";".join(sorted(code for code in (value or "").split(",") if code))


def _boolean(value: Any) -> Any:
    return value == "t" if isinstance(value, str) else value


CONVERT = {
    TEXT: None,
    DATE: _date,
    DATETIME: _local_date,
    MONTH: _month,
    CHOICES: _choices,
    BOOLEAN: _boolean,
}


def csv_field(value: Any) -> str:
    """One cell as the csv module writes it (quoted where needed), after cell()'s formula escaping."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([cell(value)])
    return buffer.getvalue()


class _Column(dict):
    """One column's CSV fields, each distinct value converted once per export. Codes, names, dates and
    small numbers repeat across 10^5 rows, so a row costs a dictionary lookup per cell rather than the
    conversion, cell() and the csv module's quoting."""

    def __init__(self, convert) -> None:
        super().__init__()
        self.convert = convert

    def __missing__(self, value: Any) -> str:
        field = self[value] = csv_field(self.convert(value) if self.convert else value)
        return field


class _Reference(dict):
    """References are unique: nothing to remember, and nothing to escape or quote."""

    def __missing__(self, value: Any) -> str:
        return value


def export_queryset(user):
    """The rows of the file: every case `user` may see, in reference order, as tuples of COLUMNS.

    The sets of choices are read as stored (",a,b,"), without the field's conversion to a list."""
    stored = {
        f"{name}_stored": ExpressionWrapper(F(name), output_field=CharField())
        for name in ("drivers", "vulnerabilities")
    }
    return (
        Case.objects.visible_to(user)
        .annotate(**stored)
        .order_by("reference")
        .values_list(*(lookup for _header, lookup, _kind in COLUMNS))
    )


def export_rows(queryset: QuerySet) -> Iterator[tuple]:
    """The queryset's rows, streamed. On PostgreSQL through `COPY (the ORM's own query) TO STDOUT`, as
    text: building typed Python values (dates, booleans, integers) for 3 million cells cost more than
    PostgreSQL's whole COPY, and each distinct value is converted once anyway (_Column). Elsewhere the
    ORM's server-side iterator."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        yield from queryset.iterator(chunk_size=CHUNK_SIZE)
        return
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        return
    connection.ensure_connection()
    # COPY takes no bound parameters: psycopg's client-side binding quotes them into the statement.
    with ClientCursor(connection.connection) as cursor:
        statement = cursor.mogrify(sql, params)
        with cursor.copy(f"COPY ({statement}) TO STDOUT") as copy:  # nosec B608 - the ORM's own SQL
            yield from copy.rows()


def csv_lines(rows: Iterable[tuple]) -> Iterator[str]:
    """The header line, then one line per row (csv's default line ending, \r\n)."""
    columns = [_Reference() if kind == REFERENCE else _Column(CONVERT[kind]) for _h, _l, kind in COLUMNS]
    yield ",".join(csv_field(header) for header, _lookup, _kind in COLUMNS) + "\r\n"
    for values in rows:
        yield ",".join(map(getitem, columns, values)) + "\r\n"


def stream_csv(lines: Iterable[str]) -> Iterator[str]:
    """The CSV text a few hundred rows at a time."""
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) == ROWS_PER_WRITE:
            yield "".join(batch)
            batch.clear()
    if batch:
        yield "".join(batch)


@never_cache
@login_required
@require_GET
def case_export_csv(request: HttpRequest) -> HttpResponse:
    """GET: the CSV of every case the user may see, streamed; one `export` event."""
    if not access.reads_case_pages(request.user):
        raise PermissionDenied(_("You have no access to case pages."))
    if (step_up := require_fresh_verification(request)) is not None:
        return step_up  # every case leaves the system: a fresh second factor first
    audit.record(Action.EXPORT, request=request, details={"report": "cases-csv", "format": "csv"})
    rows = export_rows(export_queryset(request.user))
    response = StreamingHttpResponse(stream_csv(csv_lines(rows)), content_type="text/csv; charset=utf-8")
    filename = f"cases-{timezone.now():%Y%m%d-%H%M%S}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

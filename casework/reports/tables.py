"""The tables a report is made of: the same rows in HTML, PDF, CSV and XLSX.

A `ReportTable` holds display-ready cells: text, numbers, dates, or `SUPPRESSED` for a count hidden by
disclosure control. `counts_table()` and `cross_table()` turn the output of
`casework.statistics.suppress` into tables, so no report formats a suppressed count by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework.statistics import ALL


class _Suppressed:
    """A hidden count. Prints as "suppressed" in every format (never as a number or a range: a hidden
    count can be large when it was hidden to protect another)."""

    label = gettext_lazy("suppressed")

    def __str__(self) -> str:
        return str(self.label)

    def __repr__(self) -> str:
        return "SUPPRESSED"

    def __bool__(self) -> bool:
        return False


SUPPRESSED = _Suppressed()

Labeller = Callable[[Any], str]


@dataclass
class ReportTable:
    """One table: `slug` names it in URLs (`?format=csv&table=slug`) and sheet names."""

    slug: str
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    # The last row is a total (bold in HTML, kept as a row in CSV and XLSX).
    has_total: bool = False
    note: str = ""
    # The table holds counts that went through suppression (the page says what that means).
    suppressed: bool = False

    @property
    def headings(self) -> list[tuple[str, bool]]:
        """(column, numeric): a column is numeric, and its heading aligned with its figures, when every
        filled cell below it is a number or a suppressed count."""
        numeric = []
        for index in range(len(self.columns)):
            values = [row[index] for row in self.rows if index < len(row) and row[index] not in (None, "")]
            numeric.append(
                bool(index)
                and bool(values)
                and all(
                    value is SUPPRESSED
                    or (isinstance(value, int | float | Decimal) and not isinstance(value, bool))
                    for value in values
                )
            )
        return list(zip(self.columns, numeric, strict=True))

    @property
    def body(self) -> list[list[Any]]:
        return self.rows[:-1] if self.has_total else self.rows

    @property
    def total(self) -> list[Any] | None:
        return self.rows[-1] if self.has_total and self.rows else None


def shown(entry: Mapping[str, Any]) -> Any:
    """A published count, or SUPPRESSED."""
    return SUPPRESSED if entry.get("suppressed") else entry["count"]


def counts_table(
    result: Mapping[str, Any],
    dimension: str,
    *,
    slug: str,
    title: str,
    label: str,
    value_label: str | None = None,
    labeller: Labeller = str,
    order: Sequence[Any] | None = None,
) -> ReportTable:
    """A one-dimension suppressed result as (value, count) rows and a total row."""
    return counts_columns(
        {value_label or _("Cases"): result},
        dimension,
        slug=slug,
        title=title,
        label=label,
        labeller=labeller,
        order=order,
    )


def counts_columns(
    results: Mapping[str, Mapping[str, Any]],
    dimension: str,
    *,
    slug: str,
    title: str,
    label: str,
    labeller: Labeller = str,
    order: Sequence[Any] | None = None,
) -> ReportTable:
    """Several one-dimension suppressed results side by side: one column per result (e.g. opened,
    closed, active), one row per value of `dimension`, and a total row. Each column was suppressed on
    its own: the columns are different populations, not parts of one total."""
    by_column = {
        heading: {entry[dimension]: shown(entry) for entry in result["totals"][dimension]}
        for heading, result in results.items()
    }
    values = _values(by_column.values(), order)
    rows = [[labeller(value), *(column.get(value, 0) for column in by_column.values())] for value in values]
    rows.append([_("Total"), *(shown(result["totals"]["all"]) for result in results.values())])
    return ReportTable(
        slug=slug, title=title, columns=[label, *results], rows=rows, has_total=True, suppressed=True
    )


def cross_table(
    result: Mapping[str, Any],
    row_dimension: str,
    column_dimension: str,
    *,
    slug: str,
    title: str,
    label: str,
    row_labeller: Labeller = str,
    column_labeller: Labeller = str,
    row_order: Sequence[Any] | None = None,
    column_order: Sequence[Any] | None = None,
) -> ReportTable:
    """A two-dimension suppressed result as a cross-tabulation with row and column totals."""
    cells = {(entry[row_dimension], entry[column_dimension]): shown(entry) for entry in result["rows"]}
    row_totals = {entry[row_dimension]: shown(entry) for entry in result["totals"][row_dimension]}
    column_totals = {entry[column_dimension]: shown(entry) for entry in result["totals"][column_dimension]}
    row_values = _values([row_totals], row_order)
    column_values = _values([column_totals], column_order)
    rows = [
        [
            row_labeller(row),
            *(cells.get((row, column), 0) for column in column_values),
            row_totals.get(row, 0),
        ]
        for row in row_values
    ]
    rows.append(
        [
            _("Total"),
            *(column_totals.get(column, 0) for column in column_values),
            shown(result["totals"]["all"]),
        ]
    )
    columns = [label, *(column_labeller(column) for column in column_values), _("Total")]
    return ReportTable(slug=slug, title=title, columns=columns, rows=rows, has_total=True, suppressed=True)


def _values(columns: Iterable[Mapping[Any, Any]], order: Sequence[Any] | None) -> list[Any]:
    seen: list[Any] = []
    for column in columns:
        for value in column:
            if value != ALL and value not in seen:
                seen.append(value)
    if order is None:
        return seen
    ranked = {value: index for index, value in enumerate(order)}
    return sorted(seen, key=lambda value: (ranked.get(value, len(ranked)), str(value)))


def chart_bars(table: ReportTable, column: int = 1) -> tuple[list[tuple[str, int]], int]:
    """The (label, count) bars of one column of a table for `charts.bar_chart`, without the total row
    and without suppressed counts (a chart never draws a hidden count), and how many were left out."""
    bars, hidden = [], 0
    for row in table.body:
        value = row[column]
        if value is SUPPRESSED:
            hidden += 1
        else:
            bars.append((str(row[0]), int(value or 0)))
    return bars, hidden

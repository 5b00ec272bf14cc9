"""The counting behind the caseload report (casework/reports/caseload.py): raw figures, before any
disclosure control. Every function is one query aggregated in the database, whatever the number of
cases, and takes a queryset of cases that already went through the access module
(`access.report_cases`), so nothing here decides who sees what.

The period is closed at both ends: a case opened on its first or its last day was opened in it.

At national scale (issue 8, docs/PERFORMANCE.md) the report reads some 50,000 cases, 300,000 referrals
and 150,000 assessments, so each table is counted in one pass over its rows: the five case tables in
one `GROUP BY GROUPING SETS`, the referral tables in another, the assessment change with a single sort.
Django's ORM has no GROUPING SETS, so those two queries wrap the ORM's own SQL for the rows (filtered,
joined and scoped by the same querysets as everywhere else) in a hand-written GROUP BY; SQLite, which
has no GROUPING SETS either, gets the same figures from one query of plain GROUP BYs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import (
    Avg,
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Window,
)
from django.db.models.functions import FirstValue, Lead, RowNumber

from casework.models import Assessment, Referral


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def opened(self) -> Q:
        return Q(opened_on__gte=self.start, opened_on__lte=self.end)

    @property
    def closed(self) -> Q:
        return Q(closed_on__gte=self.start, closed_on__lte=self.end)

    @property
    def active(self) -> Q:
        """Open at some point of the period: opened by its end and not closed before its start."""
        return Q(opened_on__lte=self.end) & (Q(closed_on__isnull=True) | Q(closed_on__gte=self.start))

    @property
    def any_of_them(self) -> Q:
        # Opened or closed in the period implies active in it for consistent dates; the OR keeps a case
        # whose dates contradict each other (closed before opened) counted where its dates say.
        return self.opened | self.closed | self.active


def _rows(rows: QuerySet, grouping: str) -> list[tuple]:
    """Run `grouping`, a SELECT over the rows of the queryset `rows` named `rows` (a common table
    expression; on PostgreSQL inlined, so it costs nothing), and return its result. The queryset's SQL
    is compiled for its own database with its parameters, never pasted from text; a queryset that can
    match nothing (`none()`, an empty `__in`) has no SQL and gives no rows."""
    try:
        sql, params = rows.query.get_compiler(using=rows.db).as_sql()
    except EmptyResultSet:
        return []
    with connections[rows.db].cursor() as cursor:
        cursor.execute(f"WITH rows AS ({sql}) {grouping}", params)  # noqa: S608 - our constant SQL
        return cursor.fetchall()


def _postgresql(queryset: QuerySet) -> bool:
    return connections[queryset.db].vendor == "postgresql"


# --- Cases ----------------------------------------------------------------------------------------------

# Dimension -> (the field grouped by, the field that names a value, or None when the value is a choice).
CASE_DIMENSIONS: dict[str, tuple[str, str | None]] = {
    "status": ("status", None),
    "sex": ("sex", None),
    "age_band": ("age_band", None),
    "country": ("residence_country__code", "residence_country__name"),
    "programme": ("programme_id", "programme__name"),
}
MEASURES = ("opened", "closed", "active")


@dataclass
class CaseCounts:
    """Opened, closed and active counts per value of one dimension, and the names of the values."""

    dimension: str
    rows: list[dict[str, Any]]  # {"value": v, "opened": n, "closed": n, "active": n}
    names: dict[Any, str]

    def cells(self, measure: str) -> list[dict[str, Any]]:
        """The non-zero counts of one measure, as `casework.statistics.suppress` takes them."""
        return [{self.dimension: row["value"], "count": row[measure]} for row in self.rows if row[measure]]


# The rows `case_counts` groups: per counted case, the value (and name) of each dimension and whether it
# was opened, closed or active in the period. The names are the ORM annotations' aliases.
_CASE_COLUMNS = (
    "status_value",
    "sex_value",
    "age_band_value",
    "country_value",
    "country_name",
    "programme_value",
    "programme_name",
)
_CASE_MEASURES = (
    "COUNT(*) FILTER (WHERE is_opened), COUNT(*) FILTER (WHERE is_closed), COUNT(*) FILTER (WHERE is_active)"
)
_CASES_BY_DIMENSION_POSTGRESQL = f"""
    SELECT CASE WHEN GROUPING(status_value) = 0 THEN 'status'
                WHEN GROUPING(sex_value) = 0 THEN 'sex'
                WHEN GROUPING(age_band_value) = 0 THEN 'age_band'
                WHEN GROUPING(country_value) = 0 THEN 'country'
                ELSE 'programme' END,
           {", ".join(_CASE_COLUMNS)}, {_CASE_MEASURES}
    FROM rows
    GROUP BY GROUPING SETS ((status_value), (sex_value), (age_band_value), (country_value, country_name),
                            (programme_value, programme_name))
"""  # noqa: S608 # nosec B608 - built from this module's constants
# The same rows, column for column, in plain GROUP BYs.
_CASES_BY_DIMENSION_SQLITE = f"""
    SELECT 'status', status_value, NULL, NULL, NULL, NULL, NULL, NULL, {_CASE_MEASURES}
    FROM rows GROUP BY status_value
    UNION ALL
    SELECT 'sex', NULL, sex_value, NULL, NULL, NULL, NULL, NULL, {_CASE_MEASURES}
    FROM rows GROUP BY sex_value
    UNION ALL
    SELECT 'age_band', NULL, NULL, age_band_value, NULL, NULL, NULL, NULL, {_CASE_MEASURES}
    FROM rows GROUP BY age_band_value
    UNION ALL
    SELECT 'country', NULL, NULL, NULL, country_value, country_name, NULL, NULL, {_CASE_MEASURES}
    FROM rows GROUP BY country_value, country_name
    UNION ALL
    SELECT 'programme', NULL, NULL, NULL, NULL, NULL, programme_value, programme_name, {_CASE_MEASURES}
    FROM rows GROUP BY programme_value, programme_name
"""  # noqa: S608 # nosec B608 - built from this module's constants


def case_counts(cases: QuerySet, period: Period) -> dict[str, CaseCounts]:
    """One query: per dimension (the keys of CASE_DIMENSIONS), the cases opened, closed and active in the
    period per value of the dimension, as three conditional counts. PostgreSQL groups by every dimension
    in one pass over the cases (GROUPING SETS); SQLite by one GROUP BY per dimension."""
    columns: dict[str, Any] = {}
    for dimension, (field, name_field) in CASE_DIMENSIONS.items():
        columns[f"{dimension}_value"] = F(field)
        if name_field:
            columns[f"{dimension}_name"] = F(name_field)
    for measure in MEASURES:
        condition = getattr(period, measure)
        columns[f"is_{measure}"] = ExpressionWrapper(condition, output_field=BooleanField())
    counted = cases.filter(period.any_of_them).order_by().values(**columns)
    grouping = _CASES_BY_DIMENSION_POSTGRESQL if _postgresql(counted) else _CASES_BY_DIMENSION_SQLITE

    result = {dimension: CaseCounts(dimension, [], {}) for dimension in CASE_DIMENSIONS}
    for dimension, *values, opened, closed, active in _rows(counted, grouping):
        by_column = dict(zip(_CASE_COLUMNS, values, strict=True))
        value = by_column[f"{dimension}_value"]
        counts = result[dimension]
        counts.rows.append({"value": value, "opened": opened, "closed": closed, "active": active})
        name = by_column.get(f"{dimension}_name")
        if name is not None and value is not None:
            counts.names[value] = name
    return result


# --- Referrals ------------------------------------------------------------------------------------------


def referrals_made(cases: QuerySet, period: Period) -> QuerySet:
    """Referrals of the counted cases sent in the period (by `referred_on`).

    A referral without a referral date was never sent: it is planned, or was cancelled before it was
    sent. It is not a referral made, so it is not counted (its creation date says when someone typed it,
    not when a service was asked)."""
    return Referral.objects.filter(case__in=cases, referred_on__gte=period.start, referred_on__lte=period.end)


class DaysBetween(Func):
    """`later - earlier` for two date columns: on PostgreSQL a date minus a date is a number of days."""

    arg_joiner = " - "
    template = "(%(expressions)s)"
    output_field = IntegerField()


def percentile_cont(ordered: Sequence[float], fraction: float) -> float:
    """What PostgreSQL's percentile_cont computes, for SQLite: the value at position fraction × (n − 1)
    of the sorted values, interpolated linearly between its two neighbours."""
    position = fraction * (len(ordered) - 1)
    lower = math.floor(position)
    upper = math.ceil(position)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


@dataclass(frozen=True)
class Waiting:
    """Days from referral to service start over `n` referrals."""

    n: int
    median: float | None
    p90: float | None


def _waiting(values: Iterable[float]) -> Waiting:
    ordered = sorted(values)
    if not ordered:
        return Waiting(0, None, None)
    return Waiting(len(ordered), percentile_cont(ordered, 0.5), percentile_cont(ordered, 0.9))


@dataclass(frozen=True)
class ReferralCounts:
    """The referrals made: how many per service type and outcome, and the days from referral to service
    start per service type (only those with a started referral) and overall."""

    # {"service_type": name, "outcome": code or "", "count": n}; service type names are unique, so the
    # name is the value.
    cells: list[dict[str, Any]]
    waiting: dict[str, Waiting]
    overall: Waiting


def referral_counts(referrals: QuerySet) -> ReferralCounts:
    """One query over the referrals made. On PostgreSQL one pass computes the counts per service type
    and outcome, and per service type and overall the number started with the median and 90th percentile
    of the days to start (`percentile_cont`, which interpolates linearly; the grouping sets are
    (service, outcome), (service) and ()). SQLite has no percentile function: it counts the referrals
    per service type, outcome and pair of dates, and the percentiles are computed in Python the same
    way."""
    referrals = referrals.order_by()
    if _postgresql(referrals):
        return _referral_counts_postgresql(referrals)
    cells: dict[tuple[str, str], int] = {}
    by_type: dict[str, list[int]] = {}
    every: list[int] = []
    grouped = referrals.values_list("service_type__name", "outcome", "referred_on", "started_on")
    for name, outcome, referred_on, started_on, count in grouped.annotate(count=Count("pk")):
        cells[(name, outcome)] = cells.get((name, outcome), 0) + count
        if started_on is not None:
            days_waited = [(started_on - referred_on).days] * count
            by_type.setdefault(name, []).extend(days_waited)
            every.extend(days_waited)
    return ReferralCounts(
        cells=[
            {"service_type": name, "outcome": outcome, "count": n} for (name, outcome), n in cells.items()
        ],
        waiting={name: _waiting(values) for name, values in by_type.items()},
        overall=_waiting(every),
    )


_REFERRALS_POSTGRESQL = """
    SELECT service, outcome_code, GROUPING(service), GROUPING(outcome_code), COUNT(*), COUNT(days_waited),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY days_waited) FILTER (WHERE days_waited IS NOT NULL),
           percentile_cont(0.9) WITHIN GROUP (ORDER BY days_waited) FILTER (WHERE days_waited IS NOT NULL)
    FROM rows
    GROUP BY GROUPING SETS ((service, outcome_code), (service), ())
"""


def _referral_counts_postgresql(referrals: QuerySet) -> ReferralCounts:
    made = referrals.values(
        service=F("service_type__name"),
        outcome_code=F("outcome"),
        days_waited=DaysBetween(F("started_on"), F("referred_on")),  # NULL until the service starts
    )
    cells, waiting, overall = [], {}, Waiting(0, None, None)
    for name, outcome, every_service, every_outcome, count, started, median, p90 in _rows(
        made, _REFERRALS_POSTGRESQL
    ):
        if every_service:
            overall = Waiting(started, median, p90)
        elif every_outcome:
            if started:
                waiting[name] = Waiting(started, median, p90)
        else:
            cells.append({"service_type": name, "outcome": outcome, "count": count})
    return ReferralCounts(cells, waiting, overall)


def days_to_start(referrals: QuerySet) -> tuple[dict[str, Waiting], Waiting]:
    """Per service type (by name) and overall: how many referrals started, and the median and 90th
    percentile of the days from referral to start."""
    counts = referral_counts(referrals)
    return counts.waiting, counts.overall


# --- Change between the first and the latest assessment -------------------------------------------------

DIRECTIONS = ("improved", "unchanged", "worse")


@dataclass(frozen=True)
class DomainChange:
    improved: int
    unchanged: int
    worse: int
    mean: float | None

    @property
    def n(self) -> int:
        return self.improved + self.unchanged + self.worse


def assessment_change(cases: QuerySet, period: Period) -> dict[str, DomainChange]:
    """One query: for the cases active in the period with at least two assessments up to its end, the
    change of each domain's score from the first assessment to the latest (both up to the end of the
    period). A domain left unscored in either of the two is not compared for that case.

    Scores run from 1 (severe difficulty) to 5 (no difficulty), so a higher score is better.

    Window functions over each case's assessments, oldest first, number the rows, look at the next row
    and carry the first assessment's scores onto every row (first value): the latest assessment is the
    row with no next one, and its number is the case's number of assessments. The windows share one
    partition and one order, so the database sorts the assessments once and computes them all in one
    pass (newest-first row numbers beside oldest-first first values took two sorts, each spilling to
    disk at 100,000 cases, and a count over the whole partition a third pass; docs/PERFORMANCE.md). The
    database then counts and averages over the latest rows."""
    domains = [domain.value for domain in Assessment.DOMAINS]
    case = [F("case_id")]
    oldest_first = [F("assessed_on").asc(), F("pk").asc()]
    latest = (
        Assessment.objects.filter(case__in=cases.filter(period.active), assessed_on__lte=period.end)
        .order_by()
        .annotate(
            position=Window(RowNumber(), partition_by=case, order_by=oldest_first),
            following=Window(Lead("pk"), partition_by=case, order_by=oldest_first),
            **{
                f"first_{domain}": Window(FirstValue(domain), partition_by=case, order_by=oldest_first)
                for domain in domains
            },
        )
        .annotate(**{f"change_{domain}": F(domain) - F(f"first_{domain}") for domain in domains})
        .filter(following__isnull=True, position__gte=2)
    )
    figures: dict[str, Any] = {}
    for domain in domains:
        change = f"change_{domain}"
        figures[f"{domain}_improved"] = Count("pk", filter=Q(**{f"{change}__gt": 0}))
        figures[f"{domain}_unchanged"] = Count("pk", filter=Q(**{change: 0}))
        figures[f"{domain}_worse"] = Count("pk", filter=Q(**{f"{change}__lt": 0}))
        figures[f"{domain}_mean"] = Avg(change)
    totals = latest.aggregate(**figures)
    return {
        domain: DomainChange(
            improved=totals[f"{domain}_improved"],
            unchanged=totals[f"{domain}_unchanged"],
            worse=totals[f"{domain}_worse"],
            mean=float(totals[f"{domain}_mean"]) if totals[f"{domain}_mean"] is not None else None,
        )
        for domain in domains
    }

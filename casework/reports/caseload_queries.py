"""The counting behind the caseload report (casework/reports/caseload.py): raw figures, before any
disclosure control. Every function is a fixed number of queries aggregated in the database, whatever the
number of cases, and takes a queryset of cases that already went through the access module
(`access.report_cases`), so nothing here decides who sees what.

The period is closed at both ends: a case opened on its first or its last day was opened in it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connections
from django.db.models import Aggregate, Avg, Count, F, FloatField, Func, IntegerField, Q, QuerySet, Window
from django.db.models.functions import FirstValue, RowNumber

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


def case_counts(cases: QuerySet, period: Period, dimension: str) -> CaseCounts:
    """One GROUP BY query: the cases opened, closed and active in the period per value of `dimension`,
    as three conditional counts."""
    field, name_field = CASE_DIMENSIONS[dimension]
    grouped = [field, name_field] if name_field else [field]
    rows = (
        cases.filter(period.any_of_them)
        .order_by()
        .values(*grouped)
        .annotate(
            opened=Count("pk", filter=period.opened),
            closed=Count("pk", filter=period.closed),
            active=Count("pk", filter=period.active),
        )
    )
    result, names = [], {}
    for row in rows:
        result.append({"value": row[field], **{measure: row[measure] for measure in MEASURES}})
        if name_field and row[field] is not None:
            names[row[field]] = row[name_field]
    return CaseCounts(dimension, result, names)


# --- Referrals ------------------------------------------------------------------------------------------


def referrals_made(cases: QuerySet, period: Period) -> QuerySet:
    """Referrals of the counted cases sent in the period (by `referred_on`).

    A referral without a referral date was never sent: it is planned, or was cancelled before it was
    sent. It is not a referral made, so it is not counted (its creation date says when someone typed it,
    not when a service was asked)."""
    return Referral.objects.filter(case__in=cases, referred_on__gte=period.start, referred_on__lte=period.end)


def referrals_by_service_and_outcome(referrals: QuerySet) -> list[dict[str, Any]]:
    """One GROUP BY query: {"service_type": name, "outcome": code or "", "count": n}. Service type names
    are unique, so the name is the value."""
    rows = referrals.order_by().values("service_type__name", "outcome").annotate(count=Count("pk"))
    return [
        {"service_type": row["service_type__name"], "outcome": row["outcome"], "count": row["count"]}
        for row in rows
    ]


# --- Time from referral to service start ----------------------------------------------------------------


class PercentileCont(Aggregate):
    """PostgreSQL's `percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)`: the continuous
    percentile, interpolating linearly between the two nearest values."""

    function = "percentile_cont"
    name = "PercentileCont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        fraction = float(fraction)  # a float from our code, never user input: safe to write into SQL
        if not 0 <= fraction <= 1:
            raise ValueError("A percentile is a fraction between 0 and 1.")
        super().__init__(expression, fraction=repr(fraction), **extra)


class DaysBetween(Func):
    """`later - earlier` for two date columns: on PostgreSQL a date minus a date is a number of days."""

    arg_joiner = " - "
    template = "(%(expressions)s)"
    output_field = IntegerField()


def percentile_cont(ordered: Sequence[float], fraction: float) -> float:
    """What percentile_cont computes, for SQLite: the value at position fraction × (n − 1) of the sorted
    values, interpolated linearly between its two neighbours."""
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


def days_to_start(referrals: QuerySet) -> tuple[dict[str, Waiting], Waiting]:
    """Per service type (by name) and overall: how many referrals started, and the median and 90th
    percentile of the days from referral to start. PostgreSQL computes the percentiles (two queries);
    SQLite has no percentile function, so its values are read in one query and computed in Python the
    same way."""
    started = referrals.filter(started_on__isnull=False).order_by()
    if connections[started.db].vendor == "postgresql":
        days = DaysBetween(F("started_on"), F("referred_on"))
        figures = {
            "n": Count("pk"),
            "median": PercentileCont(days, 0.5),
            "p90": PercentileCont(days, 0.9),
        }
        per_type = {
            row["name"]: Waiting(row["n"], row["median"], row["p90"])
            for row in started.values(name=F("service_type__name")).annotate(**figures)
        }
        overall = started.aggregate(**figures)
        return per_type, Waiting(overall["n"], overall["median"], overall["p90"])
    by_type: dict[str, list[int]] = {}
    every: list[int] = []
    for name, referred_on, started_on in started.values_list(
        "service_type__name", "referred_on", "started_on"
    ):
        days_waited = (started_on - referred_on).days
        by_type.setdefault(name, []).append(days_waited)
        every.append(days_waited)
    return {name: _waiting(values) for name, values in by_type.items()}, _waiting(every)


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

    Window functions pick, per case, the latest assessment (row number 1 from the newest) and carry the
    first assessment's scores onto it (first value from the oldest); the database then counts and
    averages over those rows."""
    domains = [domain.value for domain in Assessment.DOMAINS]
    case = [F("case_id")]
    oldest_first = [F("assessed_on").asc(), F("pk").asc()]
    newest_first = [F("assessed_on").desc(), F("pk").desc()]
    latest = (
        Assessment.objects.filter(case__in=cases.filter(period.active), assessed_on__lte=period.end)
        .order_by()
        .annotate(
            newest_rank=Window(RowNumber(), partition_by=case, order_by=newest_first),
            assessments=Window(Count("pk"), partition_by=case),
            **{
                f"first_{domain}": Window(FirstValue(domain), partition_by=case, order_by=oldest_first)
                for domain in domains
            },
        )
        .annotate(**{f"change_{domain}": F(domain) - F(f"first_{domain}") for domain in domains})
        .filter(newest_rank=1, assessments__gte=2)
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

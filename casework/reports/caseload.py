"""The caseload report, `/reports/caseload/?organisation=&from=&to=`: what a supervisor hands to a donor.

Cases opened, closed and active in the period by status, sex, age band, country of residence and
programme; referrals sent in the period by service type and outcome; days from referral to service
start; change between the first and the latest assessment per domain; charts of some of these.

Who counts what is the access module's (`may_run_caseload_report`, `report_cases`): supervisors and
organisation administrators their organisation's cases; analysts and system administrators the consented
cases of organisations that share with analysts. Every count goes through `casework.statistics.suppress`
for every role — a report leaves the organisation — and a median, percentile or mean is shown only over
at least k records. The counting itself is in caseload_queries.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from casework import access, charts
from casework.choices import AgeBand, CaseStatus, ReferralOutcome, Sex
from casework.models import Assessment
from casework.reports import caseload_queries as queries
from casework.reports.exports import Report, requested_format, respond
from casework.reports.forms import CaseloadParameters
from casework.reports.tables import SUPPRESSED, ReportTable, chart_bars, counts_columns, cross_table, shown
from casework.statistics import suppress

TEMPLATE = "reports/caseload.html"


@never_cache
@login_required
@require_GET
def caseload(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not access.may_run_caseload_report(user):
        raise PermissionDenied(_("Your role does not run the caseload report."))
    form = _parameters(request.GET, user=user)
    if not form.is_valid():
        return _invalid_parameters(request, form)
    organisation = form.cleaned_data["organisation"]
    period = queries.Period(form.cleaned_data["from"], form.cleaned_data["to"])
    report = build_report(user, organisation, period)
    # The form at the top of the page, filled with what the report shows (the defaults included).
    report.context["form"] = _parameters(
        initial={"organisation": organisation, "from": period.start, "to": period.end}, user=user
    )
    return respond(request, report)


def _parameters(*args: Any, **kwargs: Any) -> CaseloadParameters:
    form = CaseloadParameters(*args, **kwargs)
    form.order_fields(["organisation", "from", "to"])  # the form adds "from" last
    return form


def _invalid_parameters(request: HttpRequest, form: CaseloadParameters) -> HttpResponse:
    """400 naming the field: the form again with its errors and what was typed for HTML, plain text for
    the downloads. Nothing is counted, so nothing is audited."""
    if requested_format(request) != "html":
        lines = [
            f"{'parameters' if name == '__all__' else name}: {error}"
            for name, errors in form.errors.items()
            for error in errors
        ]
        response = HttpResponse("\n".join(lines), status=400, content_type="text/plain; charset=utf-8")
        add_never_cache_headers(response)
        return response
    report = Report(name="caseload", title=_("Caseload report"), template=TEMPLATE, filename="caseload")
    context = {
        "report": report,
        "form": form,
        "invalid": True,
        "output": "html",
        "generated_at": timezone.now(),
        "threshold": settings.SUPPRESSION_THRESHOLD,
        "downloads": {},
    }
    return render(request, TEMPLATE, context, status=400)


def build_report(user, organisation, period: queries.Period) -> Report:
    k = settings.SUPPRESSION_THRESHOLD
    cases = access.report_cases(user, organisation)
    case_counts = queries.case_counts(cases, period)
    referral_counts = queries.referral_counts(queries.referrals_made(cases, period))

    case_tables = [_case_table(case_counts[dimension], k) for dimension in CASE_TABLES]
    referral_table = _referral_table(referral_counts.cells, k)
    waiting_table = _waiting_table(referral_counts, k)
    change_table = _change_table(cases, period, k)
    by_status, by_country = case_tables[0], case_tables[3]

    figures = [
        _chart(
            chart_bars(by_status, ACTIVE_COLUMN),
            title=_("Cases active in the period, by status"),
            label_header=_("Status"),
            chart_id="chart-active-by-status",
        ),
        _chart(
            chart_bars(by_country, ACTIVE_COLUMN),
            title=_("Cases active in the period, by country of residence"),
            label_header=_("Country of residence"),
            chart_id="chart-active-by-country",
        ),
        _chart(
            _total_row_bars(referral_table),
            title=_("Referrals sent in the period, by outcome"),
            label_header=_("Outcome"),
            value_header=_("Referrals"),
            chart_id="chart-referrals-by-outcome",
        ),
        _chart(
            chart_bars(change_table, 1),
            title=_("Cases whose score improved, by domain"),
            label_header=_("Domain"),
            chart_id="chart-assessment-improved",
        ),
    ]

    slug = organisation.slug if organisation else ""
    start, end = period.start.isoformat(), period.end.isoformat()
    shared = access.analyses_shared_data(user)
    return Report(
        name="caseload",
        title=_("Caseload report"),
        template=TEMPLATE,
        filename=f"caseload-{slug or 'all'}-{start}-{end}",
        parameters={"organisation": slug, "from": start, "to": end},
        described=[
            (
                _("Organisation"),
                organisation.name if organisation else _("All organisations you may report on"),
            ),
            (_("Period"), f"{start} – {end}"),
            (
                _("Cases counted"),
                _("Cases of organisations sharing with analysts, with consent to data sharing")
                if shared
                else _("Every case of the organisation"),
            ),
        ],
        tables=[*case_tables, referral_table, waiting_table, change_table],
        context={
            "case_tables": case_tables,
            "referral_table": referral_table,
            "waiting_table": waiting_table,
            "change_table": change_table,
            "case_charts": figures[:2],
            "referral_chart": figures[2],
            "change_chart": figures[3],
            "period": period,
        },
    )


# --- Cases ----------------------------------------------------------------------------------------------

ACTIVE_COLUMN = 3  # columns: the dimension, opened, closed, active

# Dimension -> (slug, title, row label).
CASE_TABLES = {
    "status": ("cases-by-status", gettext_lazy("Cases by status"), gettext_lazy("Status")),
    "sex": ("cases-by-sex", gettext_lazy("Cases by sex"), gettext_lazy("Sex")),
    "age_band": ("cases-by-age-band", gettext_lazy("Cases by age band at return"), gettext_lazy("Age band")),
    "country": (
        "cases-by-country",
        gettext_lazy("Cases by country of residence"),
        gettext_lazy("Country of residence"),
    ),
    "programme": ("cases-by-programme", gettext_lazy("Cases by return programme"), gettext_lazy("Programme")),
}
CHOICES = {"status": CaseStatus, "sex": Sex, "age_band": AgeBand}


def _case_table(counts: queries.CaseCounts, k: int) -> ReportTable:
    dimension = counts.dimension
    headings = {"opened": _("Opened"), "closed": _("Closed"), "active": _("Active")}
    results = {
        headings[measure]: suppress(counts.cells(measure), dimensions=[dimension], threshold=k)
        for measure in queries.MEASURES
    }
    labeller, order = _labelling(dimension, counts.names)
    slug, title, label = CASE_TABLES[dimension]
    table = counts_columns(
        results, dimension, slug=slug, title=str(title), label=str(label), labeller=labeller, order=order
    )
    if dimension == "status":
        table.note = _("Status is the case's status today, not during the period.")
    return table


def _labelling(dimension: str, names: dict[Any, str]) -> tuple[Callable[[Any], str], list[Any]]:
    if dimension in CHOICES:
        choices = CHOICES[dimension]
        labels = {choice.value: str(choice.label) for choice in choices}
        return (lambda value: labels.get(value, str(value))), list(labels)
    if dimension == "programme":
        none = _("No programme (independent return or another pathway)")
        order = [*sorted(names, key=lambda value: names[value].lower()), None]
        return (lambda value: none if value is None else names.get(value, str(value))), order
    return (lambda value: names.get(value, str(value))), sorted(names, key=lambda value: names[value].lower())


# --- Referrals ------------------------------------------------------------------------------------------

NO_OUTCOME = ""


def _referral_table(cells: list[dict[str, Any]], k: int) -> ReportTable:
    result = suppress(cells, dimensions=["service_type", "outcome"], threshold=k)
    outcomes = {choice.value: str(choice.label) for choice in ReferralOutcome}
    table = cross_table(
        result,
        "service_type",
        "outcome",
        slug="referrals-by-service-and-outcome",
        title=_("Referrals sent in the period, by service type and outcome"),
        label=_("Service type"),
        column_labeller=lambda value: (
            _("No outcome yet") if value == NO_OUTCOME else outcomes.get(value, value)
        ),
        row_order=sorted({cell["service_type"] for cell in cells}, key=str.lower),
        column_order=[*outcomes, NO_OUTCOME],
    )
    table.note = _(
        "Counted by the date of referral. Planned referrals, and referrals cancelled before they were "
        "sent, have no referral date and are not counted."
    )
    return table


def _total_row_bars(table: ReportTable) -> tuple[list[tuple[str, int]], int]:
    """The column totals of a cross table as bars (a chart never draws a suppressed total)."""
    bars, hidden = [], 0
    total = table.total or []
    for label, value in zip(table.columns[1:-1], total[1:-1], strict=True):
        if value is SUPPRESSED:
            hidden += 1
        else:
            bars.append((str(label), int(value or 0)))
    return bars, hidden


# --- Days from referral to service start ----------------------------------------------------------------


def _over_enough(value: float | None, n: int, k: int) -> Any:
    """A median, percentile or mean: nothing when there is nothing to summarise, suppressed over fewer
    than k records (it would tell about one or two people), rounded otherwise."""
    if not n or value is None:
        return None
    if n < k:
        return SUPPRESSED
    # One decimal, as the page prints it: the downloads carry the same figure as the page.
    return round(value, 1)


def _waiting_table(counts: queries.ReferralCounts, k: int) -> ReportTable:
    per_type, overall = counts.waiting, counts.overall
    result = suppress(
        [{"service_type": name, "count": waiting.n} for name, waiting in per_type.items()],
        dimensions=["service_type"],
        threshold=k,
    )
    n_shown = {entry["service_type"]: shown(entry) for entry in result["totals"]["service_type"]}
    rows = [
        [
            name,
            n_shown.get(name, 0),
            _over_enough(per_type[name].median, per_type[name].n, k),
            _over_enough(per_type[name].p90, per_type[name].n, k),
        ]
        for name in sorted(per_type, key=str.lower)
    ]
    rows.append(
        [
            _("All services"),
            shown(result["totals"]["all"]),
            _over_enough(overall.median, overall.n, k),
            _over_enough(overall.p90, overall.n, k),
        ]
    )
    return ReportTable(
        slug="time-to-service",
        title=_("Days from referral to service start"),
        columns=[_("Service type"), _("Referrals started"), _("Median days"), _("90th percentile, days")],
        rows=rows,
        has_total=True,
        suppressed=True,
        note=_(
            "Referrals sent in the period whose service has started. The median and the 90th percentile "
            "interpolate linearly between the two nearest values; over fewer than %(k)s referrals they "
            "are suppressed."
        )
        % {"k": k},
    )


# --- Change between the first and the latest assessment -------------------------------------------------


def _change_table(cases: QuerySet, period: queries.Period, k: int) -> ReportTable:
    changes = queries.assessment_change(cases, period)
    rows = []
    for domain in Assessment.DOMAINS:
        change = changes[domain.value]
        # One suppression per domain: its directions add up to its own total, and the domains are the
        # same cases seen from different angles, so no sum runs across them.
        result = suppress(
            [
                {"direction": direction, "count": getattr(change, direction)}
                for direction in queries.DIRECTIONS
            ],
            dimensions=["direction"],
            threshold=k,
        )
        by_direction = {entry["direction"]: shown(entry) for entry in result["totals"]["direction"]}
        rows.append(
            [
                str(domain.label),
                *(by_direction.get(direction, 0) for direction in queries.DIRECTIONS),
                shown(result["totals"]["all"]),
                _over_enough(change.mean, change.n, k),
            ]
        )
    return ReportTable(
        slug="assessment-change",
        title=_("Change between the first and the latest assessment"),
        columns=[
            _("Domain"),
            _("Improved"),
            _("Unchanged"),
            _("Worse"),
            _("Cases compared"),
            _("Mean change (points)"),
        ],
        rows=rows,
        suppressed=True,
        note=_(
            "Cases active in the period with at least two assessments up to its end: the latest "
            "assessment compared with the first, for each domain scored in both. Scores run from 1 "
            "(severe difficulty) to 5 (no difficulty), so a higher score is an improvement. The mean "
            "change is shown over %(k)s cases or more."
        )
        % {"k": k},
    )


# --- Charts ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    """A chart and the sentence under it saying how many categories it leaves out (also in its SVG
    description): a printed chart must not pass for the whole picture."""

    figure: str
    note: str


def _chart(bars_and_hidden: tuple[list[tuple[str, int]], int], **options: Any) -> Chart:
    bars, hidden = bars_and_hidden
    if hidden:
        note = ngettext(
            "%(n)s category is suppressed and not drawn.",
            "%(n)s categories are suppressed and not drawn.",
            hidden,
        ) % {"n": hidden}
    else:
        note = _("No category is suppressed.")
    return Chart(charts.bar_chart(bars, description=note, **options), note)

"""Country brief `/reports/countries/<iso2>/`: one country's legal frameworks and provisions in force,
its programmes with their reported figures and sources, and the suppressed aggregate of the cases in
this system that live there.

The frameworks, provisions, programmes and figures are public reference data (maintained by system
administrators, shown to everyone signed in on `/policies/`), so their tables are not suppressed. The
case tables count `access.cases_for_statistics(user)` — staff the cases they see, analysts and system
administrators the analysable cases of organisations that share with analysts — and every count goes
through `casework.statistics.suppress`. Auditors read the trail, not case counts: their brief has no
case section at all.

"In force" means status in force or amended (an amended law is in force as amended) and no repeal date
that has passed; repealed frameworks and drafts are left out. Agreements count for every state that is
party to them. The page costs the same number of queries however many frameworks, programmes or cases
there are: each list is one query (plus one per prefetched relation) and each case table one GROUP BY.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from casework import access, charts, choices
from casework.reports import exports
from casework.reports.tables import ReportTable, chart_bars, counts_table, cross_table
from casework.statistics import suppress
from policies.models import Country, LegalFramework, Programme, Provision, ReportedFigure

IN_FORCE = (LegalFramework.Status.IN_FORCE, LegalFramework.Status.AMENDED)


# --- Reference data ------------------------------------------------------------------------------------


def frameworks_in_force(country: Country) -> list[LegalFramework]:
    """The country's own frameworks in force, then the agreements in force it is party to, each with
    its provisions prefetched (ordered by article)."""
    today = timezone.localdate()
    frameworks = (
        LegalFramework.objects.filter(Q(country=country) | Q(parties=country))
        .filter(status__in=IN_FORCE)
        .filter(Q(repealed_on__isnull=True) | Q(repealed_on__gt=today))
        .distinct()
        .prefetch_related(Prefetch("provisions", queryset=Provision.objects.order_by("article", "title")))
    )
    return sorted(frameworks, key=lambda framework: (framework.country_id != country.pk, framework.title))


def programmes_of(country: Country) -> list[Programme]:
    frameworks = LegalFramework.objects.order_by("title")
    return list(
        Programme.objects.filter(country=country)
        .prefetch_related(Prefetch("frameworks", queryset=frameworks))
        .order_by("name")
    )


def figures_of(country: Country) -> list[ReportedFigure]:
    """Figures reported for the country's programmes, then those reported for the country as a whole."""
    return list(
        ReportedFigure.objects.filter(
            Q(programme__country=country) | Q(programme__isnull=True, country=country)
        )
        .select_related("programme")
        .order_by(F("programme__name").asc(nulls_last=True), "label", "pk")
    )


def _is_agreement_party(framework: LegalFramework, country: Country) -> bool:
    return framework.country_id != country.pk


def _illustrative(item: Any) -> str:
    return _("yes") if item.is_illustrative else _("no")


def _years(value: Decimal | None) -> int | float | None:
    """Penalty years as a number a spreadsheet sorts: 5 rather than 5.0, 7.5 as it is."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def period(programme: Programme) -> str:
    if programme.start_year and programme.end_year:
        return f"{programme.start_year}–{programme.end_year}"
    if programme.start_year:
        return _("since %(year)s") % {"year": programme.start_year}
    if programme.end_year:
        return _("until %(year)s") % {"year": programme.end_year}
    return ""


def frameworks_table(frameworks: list[LegalFramework], country: Country) -> ReportTable:
    rows = [
        [
            framework.title,
            _("party to the agreement") if _is_agreement_party(framework, country) else _("national"),
            framework.get_kind_display(),
            framework.get_status_display(),
            framework.adopted_on,
            _illustrative(framework),
            framework.source,
            framework.source_url,
        ]
        for framework in frameworks
    ]
    columns = [
        _("Framework"),
        _("Applies as"),
        _("Kind"),
        _("Status"),
        _("Adopted"),
        _("Illustrative"),
        _("Source"),
        _("Source URL"),
    ]
    return ReportTable(slug="frameworks", title=_("Legal frameworks in force"), columns=columns, rows=rows)


def provisions_table(frameworks: list[LegalFramework]) -> ReportTable:
    applies_to = Provision._meta.get_field("applies_to")
    rows = [
        [
            framework.title,
            provision.article,
            provision.title,
            provision.get_category_display(),
            ", ".join(applies_to.display(provision.applies_to)),
            _years(provision.penalty_min_years),
            _years(provision.penalty_max_years),
            _illustrative(provision),
        ]
        for framework in frameworks
        for provision in framework.provisions.all()
    ]
    columns = [
        _("Framework"),
        _("Article"),
        _("Provision"),
        _("Category"),
        _("Applies to"),
        _("Penalty from (years)"),
        _("Penalty to (years)"),
        _("Illustrative"),
    ]
    return ReportTable(
        slug="provisions",
        title=_("Provisions of the frameworks in force"),
        columns=columns,
        rows=rows,
        note=_("A blank penalty was not recorded or does not apply."),
    )


def programmes_table(programmes: list[Programme]) -> ReportTable:
    rows = [
        [
            programme.name,
            programme.get_kind_display(),
            period(programme),
            "; ".join(framework.title for framework in programme.frameworks.all()),
            _illustrative(programme),
            programme.source,
            programme.source_url,
        ]
        for programme in programmes
    ]
    columns = [
        _("Programme"),
        _("Kind"),
        _("Period"),
        _("Frameworks"),
        _("Illustrative"),
        _("Source"),
        _("Source URL"),
    ]
    return ReportTable(slug="programmes", title=_("Programmes"), columns=columns, rows=rows)


def figures_table(figures: list[ReportedFigure]) -> ReportTable:
    rows = [
        [
            figure.programme.name if figure.programme_id else _("country-wide"),
            figure.label,
            figure.get_qualifier_display(),
            figure.value,
            figure.value_high,
            _("yes") if figure.is_estimate else _("no"),
            figure.as_of_year,
            figure.source,
            figure.source_url,
        ]
        for figure in figures
    ]
    columns = [
        _("Programme"),
        _("What is counted"),
        _("Qualifier"),
        _("Value"),
        _("Upper value"),
        _("Estimate"),
        _("As of"),
        _("Source"),
        _("Source URL"),
    ]
    return ReportTable(
        slug="figures",
        title=_("Reported figures"),
        columns=columns,
        rows=rows,
        note=_("Public figures as reported by their source; the upper value is given only for a range."),
    )


def web_link(url: str) -> str:
    """The URL if it is a web address safe to link to; "" otherwise (it is still shown as text)."""
    return url if url.lower().startswith(("https://", "http://")) else ""


# --- Cases -----------------------------------------------------------------------------------------------

STATUS_LABELS = dict(choices.CaseStatus.choices)
SEX_LABELS = dict(choices.Sex.choices)
AGE_LABELS = dict(choices.AgeBand.choices)
PATHWAY_LABELS = dict(choices.ReturnPathway.choices)
PROGRAMME_KEY = "programme:"


def _label(labels: dict[str, Any]):
    return lambda value: str(labels.get(value, value or _("not recorded")))


def _pathway_key(row: dict[str, Any]) -> str:
    """One dimension for "how they came back": the programme's name for a programme return, otherwise
    the pathway (prefixed, so a programme named like a pathway stays apart)."""
    if row["return_pathway"] == choices.ReturnPathway.PROGRAMME and row["programme__name"]:
        return PROGRAMME_KEY + row["programme__name"]
    return f"pathway:{row['return_pathway']}"


def _pathway_label(key: str) -> str:
    if key.startswith(PROGRAMME_KEY):
        return key[len(PROGRAMME_KEY) :]
    value = key.partition(":")[2]
    return str(PATHWAY_LABELS.get(value, value))


def _grouped(queryset: QuerySet, *fields: str) -> list[dict[str, Any]]:
    return list(queryset.order_by().values(*fields).annotate(count=Count("id")))


def case_tables(user, country: Country) -> tuple[list[ReportTable], dict[str, Any]]:
    """The suppressed tables of the cases `user` may count that live in `country`, and a bar chart of
    them by status drawn from the suppressed table only ({"status_chart": figure or None when nothing
    can be drawn, "chart_hidden": how many statuses were left out}). Four GROUP BY queries."""
    k = settings.SUPPRESSION_THRESHOLD
    cases = access.cases_for_statistics(user).filter(residence_country=country)
    referrals = access.referrals_for_statistics(user).filter(case__residence_country=country)

    by_status = counts_table(
        suppress(_grouped(cases, "status"), dimensions=["status"], threshold=k),
        "status",
        slug="cases-by-status",
        title=_("Cases by status"),
        label=_("Status"),
        labeller=_label(STATUS_LABELS),
        order=list(STATUS_LABELS),
    )
    by_sex_age = cross_table(
        suppress(_grouped(cases, "age_band", "sex"), dimensions=["age_band", "sex"], threshold=k),
        "age_band",
        "sex",
        slug="cases-by-age-and-sex",
        title=_("Cases by age band at return and sex"),
        label=_("Age band"),
        row_labeller=_label(AGE_LABELS),
        column_labeller=_label(SEX_LABELS),
        row_order=list(AGE_LABELS),
        column_order=list(SEX_LABELS),
    )
    pathway_cells = [
        {"pathway": _pathway_key(row), "count": row["count"]}
        for row in _grouped(cases, "return_pathway", "programme__name")
    ]
    programme_keys = sorted(
        {cell["pathway"] for cell in pathway_cells if cell["pathway"].startswith(PROGRAMME_KEY)}
    )
    by_pathway = counts_table(
        suppress(pathway_cells, dimensions=["pathway"], threshold=k),
        "pathway",
        slug="cases-by-return-pathway",
        title=_("Cases by return pathway or programme"),
        label=_("Return pathway or programme"),
        labeller=_pathway_label,
        order=[*programme_keys, *(f"pathway:{value}" for value in PATHWAY_LABELS)],
    )
    by_service = counts_table(
        suppress(_grouped(referrals, "service_type__name"), dimensions=["service_type__name"], threshold=k),
        "service_type__name",
        slug="referrals-by-service-type",
        title=_("Referrals of these cases by service type"),
        label=_("Service type"),
        value_label=_("Referrals"),
    )

    bars, hidden = chart_bars(by_status)
    description = _("Cases living in %(country)s by status.") % {"country": country.name}
    if hidden:
        description += " " + ngettext(
            "%(n)s status is suppressed and not drawn.",
            "%(n)s statuses are suppressed and not drawn.",
            hidden,
        ) % {"n": hidden}
    chart = (
        charts.bar_chart(
            bars,
            title=_("Cases by status"),
            description=description,
            label_header=_("Status"),
            value_header=_("Cases"),
            chart_id="chart-cases-by-status",
        )
        if bars
        else None
    )
    return [by_status, by_sex_age, by_pathway, by_service], {"status_chart": chart, "chart_hidden": hidden}


# --- The view --------------------------------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def country_brief(request: HttpRequest, code: str) -> HttpResponse:
    """Every signed-in user may read a country brief (like `/policies/`); the case section depends on
    `access.counts_cases`. A code in lower case redirects to the upper-case URL, so the audit trail and
    saved links name one country one way; an unknown code is 404."""
    if len(code) != 2 or not code.isalpha():
        raise Http404("No such country.")
    country = get_object_or_404(Country, code=code.upper())
    if code != country.code:
        url = reverse("reports:country-brief", args=[country.code])
        query = request.META.get("QUERY_STRING", "")
        return redirect(f"{url}?{query}" if query else url)

    return exports.respond(request, build(request.user, country))


def build(user, country: Country) -> exports.Report:
    """The brief of `country` as `user` may read it: the public reference tables for everyone, the
    suppressed case tables only for those who may count cases (`access.counts_cases`). The view and a
    background export job (casework/export_jobs/) both build it here."""
    frameworks = frameworks_in_force(country)
    programmes = programmes_of(country)
    figures = figures_of(country)
    tables = [
        frameworks_table(frameworks, country),
        provisions_table(frameworks),
        programmes_table(programmes),
        figures_table(figures),
    ]
    counts_shown = access.counts_cases(user)
    chart: dict[str, Any] = {}
    if counts_shown:
        counted, chart = case_tables(user, country)
        tables.extend(counted)

    provisions = [provision for framework in frameworks for provision in framework.provisions.all()]
    context = {
        "country": country,
        # The summaries and sources under the tables; links only to web addresses.
        "frameworks": [
            {
                "framework": framework,
                "party": _is_agreement_party(framework, country),
                "link": web_link(framework.source_url),
            }
            for framework in frameworks
        ],
        "programmes": [
            {"programme": programme, "link": web_link(programme.source_url)} for programme in programmes
        ],
        "figure_links": {index: web_link(figure.source_url) for index, figure in enumerate(figures)},
        "any_illustrative": any(item.is_illustrative for item in [*frameworks, *provisions, *programmes]),
        "frameworks_table": tables[0],
        "provisions_table": tables[1],
        "programmes_table": tables[2],
        "figures_table": tables[3],
        "counts_shown": counts_shown,
        "shared_data": access.analyses_shared_data(user),
        "case_tables": tables[4:],
        **chart,
    }
    return exports.Report(
        name="country-brief",
        title=_("Country brief: %(country)s") % {"country": country.name},
        template="reports/country_brief.html",
        filename=f"country-brief-{country.code}",
        context=context,
        tables=tables,
        parameters={"country": country.code},
        described=[(_("Country"), country.name), (_("ISO code"), country.code)],
    )

"""The legal and programme landscape for everyone signed in: countries, their legal frameworks and
provisions, and the programmes with the figures reported for them.

Under each country, framework, provision and programme the page shows how many cases the user may see
there, counted from `Case.objects.visible_to(user)` (the access module): a caseworker counts their own
cases, a supervisor their organisation's. Countries count citizens and residents separately; a
framework or provision counts the cases with a legal proceeding under it; a programme, the cases that
returned through it. Each count is one grouped query in the database, so a page costs the same number
of queries however many cases there are. Analysts and auditors have no case pages, so they get no
counts at all (rather than misleading zeros).

Figures carry their qualifier, source and whether they are estimates; anything summarised from
secondary sources carries the "illustrative" flag, which the pages show as a warning to check the
official text.
"""

from __future__ import annotations

from collections import defaultdict

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from casework.access import reads_case_pages
from casework.models import Case, LegalProceeding
from policies.models import Country, LegalFramework, Programme, Provision, Region, ReportedFigure


def _grouped(queryset: QuerySet, key: str, count: str = "pk") -> dict[int, int]:
    """{key: number of distinct `count`} in one GROUP BY query; keys without a row are absent."""
    rows = (
        queryset.filter(**{f"{key}__isnull": False})
        .order_by()
        .values_list(key)
        .annotate(n=Count(count, distinct=True))
    )
    return dict(rows)


class CaseCounts:
    """How many of the cases `user` may see fall under each country, framework, provision, programme or
    region: one grouped query per call. For users who have no case pages `shown` is False, nothing is
    queried and the templates show no counts."""

    def __init__(self, user) -> None:
        self.user = user
        self.shown = reads_case_pages(user)

    def cases_by(self, key: str, where: Q | None = None) -> dict[int, int]:
        """Visible cases per value of `key` (e.g. "programme_id"), optionally narrowed by `where`."""
        if not self.shown:
            return {}
        return _grouped(Case.objects.visible_to(self.user).filter(where or Q()), key)

    def proceedings_by(self, key: str, where: Q | None = None) -> dict[int, int]:
        """Visible cases with a legal proceeding, per value of `key` ("framework_id", "provision_id")."""
        if not self.shown:
            return {}
        proceedings = LegalProceeding.objects.visible_to(self.user).filter(where or Q())
        return _grouped(proceedings, key, count="case_id")


def _annotate(items, counts: dict[int, int]) -> None:
    """Attach `case_count` to each item (0 where no visible case falls under it)."""
    for item in items:
        item.case_count = counts.get(item.pk, 0)


def _annotate_countries(countries, counts: CaseCounts, where: Q | None = None) -> None:
    citizens = counts.cases_by("citizenship_id", where)
    residents = counts.cases_by("residence_country_id", where)
    for country in countries:
        country.citizen_count = citizens.get(country.pk, 0)
        country.resident_count = residents.get(country.pk, 0)


def figure_text(figure: ReportedFigure) -> str:
    """ "more than 600", "between 4,000 and 5,000": the number as reported, with its qualifier."""
    value = number_format(figure.value, force_grouping=True)
    if figure.qualifier == ReportedFigure.Qualifier.RANGE:
        high = number_format(figure.value_high, force_grouping=True)
        return _("between %(low)s and %(high)s") % {"low": value, "high": high}
    if figure.qualifier == ReportedFigure.Qualifier.EXACT:
        return value
    return f"{figure.get_qualifier_display()} {value}"


def _with_text(figures) -> list[ReportedFigure]:
    figures = list(figures)
    for figure in figures:
        figure.text = figure_text(figure)
    return figures


def _prepare_programmes(programmes, counts: CaseCounts, where: Q | None = None) -> None:
    """Each programme's case count (linked to the case list filtered by it) and its figures."""
    _annotate(programmes, counts.cases_by("programme_id", where))
    case_list = reverse("casework:case-list") if counts.shown else ""
    for programme in programmes:
        programme.cases_href = f"{case_list}?programme={programme.pk}" if case_list else ""
        programme.figure_list = _with_text(programme.figures.all())


def _frameworks() -> QuerySet:
    return LegalFramework.objects.select_related("country").prefetch_related(
        Prefetch("provisions", queryset=Provision.objects.order_by("article", "title")),
        Prefetch("parties", queryset=Country.objects.order_by("name")),
    )


def _programmes() -> QuerySet:
    return Programme.objects.select_related("country").prefetch_related(
        Prefetch("figures", queryset=ReportedFigure.objects.order_by("label"))
    )


def _country_figures() -> Prefetch:
    figures = ReportedFigure.objects.filter(programme__isnull=True).order_by("label")
    return Prefetch("figures", queryset=figures)


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Every country with its frameworks (and their provisions), programmes (with their figures) and
    country-wide figures; regional agreements; region-wide figures. Central Asian states first."""
    counts = CaseCounts(request.user)
    countries = list(
        Country.objects.order_by("-is_central_asian", "name").prefetch_related(_country_figures())
    )
    frameworks = list(_frameworks())
    programmes = list(_programmes())
    regional_figures = _with_text(
        ReportedFigure.objects.filter(programme__isnull=True, country__isnull=True).order_by("label")
    )
    _annotate_countries(countries, counts)
    _annotate(frameworks, counts.proceedings_by("framework_id"))
    _prepare_programmes(programmes, counts)

    frameworks_of: dict[int | None, list] = defaultdict(list)
    for framework in frameworks:
        frameworks_of[framework.country_id].append(framework)
    programmes_of: dict[int, list] = defaultdict(list)
    for programme in programmes:
        programmes_of[programme.country_id].append(programme)
    described, others = [], []
    for country in countries:
        country.framework_list = frameworks_of.get(country.pk, [])
        country.programme_list = programmes_of.get(country.pk, [])
        country.figure_list = _with_text(country.figures.all())
        if country.framework_list or country.programme_list or country.figure_list:
            described.append(country)
        else:
            others.append(country)
    return render(
        request,
        "policies/index.html",
        {
            "counts": counts,
            "countries": described,
            "other_countries": others,
            "agreements": frameworks_of.get(None, []),
            "regional_figures": regional_figures,
        },
    )


@login_required
@require_GET
def country(request: HttpRequest, iso2: str) -> HttpResponse:
    """One country: its regions, frameworks, the agreements it is party to, programmes and figures."""
    if len(iso2) != 2 or not iso2.isalpha():
        raise Http404("No such country.")
    the_country = get_object_or_404(Country.objects.prefetch_related(_country_figures()), code=iso2.upper())
    frameworks = list(_frameworks().filter(Q(country=the_country) | Q(parties=the_country)).distinct())
    programmes = list(_programmes().filter(country=the_country))
    regions = list(Region.objects.filter(country=the_country).order_by("name"))
    counts = CaseCounts(request.user)
    _annotate_countries([the_country], counts, Q(citizenship=the_country) | Q(residence_country=the_country))
    _annotate(frameworks, counts.proceedings_by("framework_id", Q(framework__in=[f.pk for f in frameworks])))
    _prepare_programmes(programmes, counts, Q(programme__in=[p.pk for p in programmes]))
    _annotate(regions, counts.cases_by("residence_region_id", Q(residence_country=the_country)))
    return render(
        request,
        "policies/country.html",
        {
            "counts": counts,
            "country": the_country,
            "frameworks": [f for f in frameworks if f.country_id == the_country.pk],
            "agreements": [f for f in frameworks if f.country_id != the_country.pk],
            "programmes": programmes,
            "regions": regions,
            "figures": _with_text(the_country.figures.all()),
        },
    )


@login_required
@require_GET
def framework(request: HttpRequest, pk: int) -> HttpResponse:
    """One framework with its provisions (each with the cases under it) and the programmes under it."""
    the_framework = get_object_or_404(
        _frameworks().prefetch_related(Prefetch("programmes", queryset=Programme.objects.order_by("name"))),
        pk=pk,
    )
    counts = CaseCounts(request.user)
    provisions = list(the_framework.provisions.all())
    _annotate([the_framework], counts.proceedings_by("framework_id", Q(framework=the_framework)))
    _annotate(provisions, counts.proceedings_by("provision_id", Q(framework=the_framework)))
    applies_to = Provision._meta.get_field("applies_to")
    for provision in provisions:
        provision.applies_to_labels = applies_to.display(provision.applies_to)
    return render(
        request,
        "policies/framework.html",
        {
            "counts": counts,
            "framework": the_framework,
            "provisions": provisions,
            "programmes": list(the_framework.programmes.all()),
        },
    )


@login_required
@require_GET
def programme(request: HttpRequest, pk: int) -> HttpResponse:
    """One programme with the figures reported for it and the frameworks it rests on."""
    frameworks = LegalFramework.objects.select_related("country").order_by("title")
    the_programme = get_object_or_404(
        _programmes().prefetch_related(Prefetch("frameworks", queryset=frameworks)), pk=pk
    )
    counts = CaseCounts(request.user)
    _prepare_programmes([the_programme], counts, Q(programme=the_programme))
    return render(
        request,
        "policies/programme.html",
        {
            "counts": counts,
            "programme": the_programme,
            "figures": the_programme.figure_list,
            "frameworks": list(the_programme.frameworks.all()),
        },
    )

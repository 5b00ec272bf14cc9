"""The country brief `/reports/countries/<iso2>/`: reference data in force, programmes and figures, and the
suppressed aggregate of the cases each user may count — the same tables in HTML, PDF, CSV and XLSX."""

from __future__ import annotations

import csv
import datetime
import io
import re
from html.parser import HTMLParser

import pytest
from django.db.models import Count, Q
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from casework import choices
from casework.audit import Action
from casework.models import AuditEvent, Case, Referral
from casework.reports.tables import SUPPRESSED
from policies.models import LegalFramework, Programme, Provision, ReportedFigure
from tests.factories import (
    CaseFactory,
    CountryFactory,
    LegalFrameworkFactory,
    OrganisationFactory,
    ProgrammeFactory,
    ProvisionFactory,
    ReferralFactory,
    ReportedFigureFactory,
    ServiceTypeFactory,
)

REFERENCE_TABLES = ["frameworks", "provisions", "programmes", "figures"]
CASE_TABLES = [
    "cases-by-status",
    "cases-by-age-and-sex",
    "cases-by-return-pathway",
    "referrals-by-service-type",
]


def brief_url(code: str = "KZ", **query: str) -> str:
    url = reverse("reports:country-brief", args=[code])
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return url


# --- Reading the outputs back ---------------------------------------------------------------------------


class _HtmlTables(HTMLParser):
    """The report tables of a page (each in `<div id="table-<slug>">`): header and rows as cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.current: str | None = None
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.in_caption = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "div" and (attributes.get("id") or "").startswith("table-"):
            self.current = attributes["id"][len("table-") :]
            self.tables[self.current] = []
        elif self.current is None:
            return
        elif tag == "caption":
            self.in_caption = True
        elif tag == "tr":
            self.row = []
        elif tag in ("th", "td") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if self.current is None:
            return
        if tag == "caption":
            self.in_caption = False
        elif tag in ("th", "td") and self.cell is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.tables[self.current].append(self.row)
            self.row = None
        elif tag == "table":
            self.current = None

    def handle_data(self, data):
        if self.cell is not None and not self.in_caption:
            self.cell.append(data)


def html_tables(response) -> dict[str, list[list[str]]]:
    parser = _HtmlTables()
    parser.feed(response.content.decode())
    return parser.tables


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def xlsx_sheets(response) -> list[list[list]]:
    """Each table sheet (after the "Report" sheet) as rows of values."""
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames[0] == "Report"
    return [[list(row) for row in sheet.iter_rows(values_only=True)] for sheet in workbook.worksheets[1:]]


def pdf_text(response) -> str:
    assert response.content.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def as_shown(value) -> str:
    """A CSV or XLSX cell as the HTML page shows it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    return str(value)


def counts(rows: list[list[str]]) -> dict[str, str]:
    """A one-dimension count table (header first) as {label: shown count}."""
    return {row[0]: row[1] for row in rows[1:]}


# --- Data -------------------------------------------------------------------------------------------------


@pytest.fixture
def kz(db):
    return CountryFactory(code="KZ")


@pytest.fixture
def tj(db):
    return CountryFactory(code="TJ")


@pytest.fixture
def landscape(kz, tj):
    """Kazakhstan's frameworks (in force, amended, repealed, draft), agreements it is or is not party to,
    its programme with a figure, a country-wide figure, and Tajikistan's own entries."""
    code = LegalFrameworkFactory(
        country=kz,
        title="Criminal Code of the Republic of Kazakhstan",
        adopted_on=datetime.date(2014, 7, 3),
        is_illustrative=True,
        source="Adilet legal database",
        source_url="https://adilet.zan.kz/eng",
        summary="Participation in a foreign armed conflict is a crime.",
    )
    ProvisionFactory(
        framework=code,
        article="Art. 172",
        title="Mercenarism",
        penalty_min_years=5,
        penalty_max_years="7.5",
        applies_to=["adults", "nationals"],
    )
    ProvisionFactory(framework=code, article="Art. 257", title="Terrorist organisation")
    amended = LegalFrameworkFactory(
        country=kz, title="Law on Countering Extremism", status=LegalFramework.Status.AMENDED
    )
    ProvisionFactory(framework=amended, article="Art. 3", category=Provision.Category.DERADICALISATION)
    repealed = LegalFrameworkFactory(
        country=kz,
        title="Old Law on Terrorism",
        status=LegalFramework.Status.REPEALED,
        repealed_on=datetime.date(2020, 1, 1),
    )
    ProvisionFactory(framework=repealed, article="Art. 99", title="Repealed offence")
    LegalFrameworkFactory(country=kz, title="Draft Law on Returnees", status=LegalFramework.Status.DRAFT)
    LegalFrameworkFactory(country=tj, title="Criminal Code of Tajikistan")
    csto = LegalFrameworkFactory(
        country=None, kind=LegalFramework.Kind.AGREEMENT, title="CSTO agreement on foreign fighters"
    )
    csto.parties.set([kz, tj])
    tj_only = LegalFrameworkFactory(
        country=None, kind=LegalFramework.Kind.AGREEMENT, title="Bilateral treaty without Kazakhstan"
    )
    tj_only.parties.set([tj])
    zhusan = ProgrammeFactory(
        country=kz, name="Operation Zhusan", start_year=2019, end_year=2021, source="Government statement"
    )
    zhusan.frameworks.set([code])
    ReportedFigureFactory(
        programme=zhusan,
        country=kz,
        label="nationals returned",
        qualifier=ReportedFigure.Qualifier.EXACT,
        value=607,
        is_estimate=False,
        as_of_year=2021,
        source="Ministry of Foreign Affairs",
        source_url="https://www.gov.kz/",
    )
    ReportedFigureFactory(
        programme=None,
        country=kz,
        label="went to Syria and Iraq",
        qualifier=ReportedFigure.Qualifier.RANGE,
        value=500,
        value_high=800,
        source="Think tank estimate",
    )
    tj_programme = ProgrammeFactory(country=tj, name="Tajik amnesty campaign")
    ReportedFigureFactory(programme=tj_programme, country=tj, label="amnestied", value=111)
    return {"code": code, "zhusan": zhusan}


def make_cases(organisation, country, n: int, **fields) -> list[Case]:
    return CaseFactory.create_batch(
        n, organisation=organisation, citizenship=country, residence_country=country, **fields
    )


# --- Access -------------------------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_sign_in(client, kz):
    response = client.get(brief_url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "who", ["superuser", "orgadmin_a", "supervisor_a", "caseworker_a", "analyst", "auditor"]
)
def test_every_signed_in_role_reads_the_brief(client, request, kz, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(brief_url())
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_a_lower_case_code_redirects_to_the_upper_case_address_keeping_the_query(client, caseworker_a, kz):
    client.force_login(caseworker_a)
    response = client.get(brief_url("kz", format="csv"))
    assert response.status_code == 302
    assert response["Location"] == brief_url("KZ", format="csv")
    assert not AuditEvent.objects.filter(action__in=[Action.VIEW, Action.EXPORT]).exists()


@pytest.mark.parametrize("code", ["ZZ", "zz", "K1", "KAZ"])
def test_an_unknown_or_malformed_code_is_404(client, caseworker_a, kz, code):
    client.force_login(caseworker_a)
    assert client.get(f"/reports/countries/{code}/").status_code == 404


def test_the_brief_is_read_only(client, caseworker_a, kz):
    client.force_login(caseworker_a)
    assert client.post(brief_url()).status_code == 405


# --- Reference data -------------------------------------------------------------------------------------


def test_frameworks_in_force_and_agreements_the_country_is_party_to_are_listed(
    client, caseworker_a, kz, landscape
):
    client.force_login(caseworker_a)
    response = client.get(brief_url())
    tables = html_tables(response)

    expected = (
        LegalFramework.objects.filter(Q(country=kz) | Q(parties=kz))
        .filter(status__in=["in_force", "amended"], repealed_on__isnull=True)
        .distinct()
    )
    shown = {row[0]: row for row in tables["frameworks"][1:]}
    assert set(shown) == {framework.title for framework in expected}
    assert "CSTO agreement on foreign fighters" in shown
    assert shown["CSTO agreement on foreign fighters"][1] == "party to the agreement"
    assert shown["Criminal Code of the Republic of Kazakhstan"][1] == "national"
    assert shown["Criminal Code of the Republic of Kazakhstan"][4] == "2014-07-03"
    assert shown["Law on Countering Extremism"][3] == "Amended"
    html = response.content.decode()
    for absent in (
        "Old Law on Terrorism",
        "Draft Law on Returnees",
        "Criminal Code of Tajikistan",
        "Bilateral treaty without Kazakhstan",
        "Repealed offence",
        "Tajik amnesty campaign",
    ):
        assert absent not in html

    provisions = Provision.objects.filter(framework__in=expected)
    assert sorted((row[0], row[1], row[2]) for row in tables["provisions"][1:]) == sorted(
        (p.framework.title, p.article, p.title) for p in provisions
    )
    mercenarism = next(row for row in tables["provisions"][1:] if row[1] == "Art. 172")
    assert mercenarism[4] == "Adults, Nationals abroad"
    assert mercenarism[5:7] == ["5", "7.5"]
    assert "summarised from secondary sources — check the official text" in html
    assert "Participation in a foreign armed conflict is a crime." in html


def test_programmes_and_their_figures_are_listed_with_sources(client, caseworker_a, kz, landscape):
    client.force_login(caseworker_a)
    response = client.get(brief_url())
    tables = html_tables(response)

    assert [row[0] for row in tables["programmes"][1:]] == list(
        Programme.objects.filter(country=kz).order_by("name").values_list("name", flat=True)
    )
    assert tables["programmes"][1][1:4] == ["State-led repatriation", "2019–2021", landscape["code"].title]

    expected = ReportedFigure.objects.filter(Q(programme__country=kz) | Q(programme__isnull=True, country=kz))
    shown = {(row[1], row[3]) for row in tables["figures"][1:]}
    assert shown == {(figure.label, str(figure.value)) for figure in expected}
    exact = next(row for row in tables["figures"][1:] if row[1] == "nationals returned")
    assert exact == [
        "Operation Zhusan",
        "nationals returned",
        "exactly",
        "607",
        "—",
        "no",
        "2021",
        "Ministry of Foreign Affairs",
        "https://www.gov.kz/",
    ]
    country_wide = next(row for row in tables["figures"][1:] if row[1] == "went to Syria and Iraq")
    assert country_wide[:6] == ["country-wide", "went to Syria and Iraq", "between", "500", "800", "yes"]
    assert (
        '<a href="https://www.gov.kz/" rel="noreferrer">https://www.gov.kz/</a>' in response.content.decode()
    )


def test_a_source_url_that_is_not_a_web_address_is_shown_but_not_linked(client, caseworker_a, kz, landscape):
    ReportedFigure.objects.filter(label="nationals returned").update(source_url="javascript:alert(1)")
    client.force_login(caseworker_a)
    html = client.get(brief_url()).content.decode()
    assert "javascript:alert(1)" in html
    assert 'href="javascript' not in html


# --- Case aggregate ------------------------------------------------------------------------------------


@pytest.fixture
def caseload(kz, tj, org_a, org_b, caseworker_a, colleague_a, landscape):
    """Cases in several organisations and countries, some consented to data sharing, with referrals."""
    zhusan = landscape["zhusan"]
    not_sharing = OrganisationFactory(name="NGO C", slug="org-c", shares_with_analysts=False)
    legal, psychosocial = (
        ServiceTypeFactory(name="Legal aid"),
        ServiceTypeFactory(name="Psychosocial support"),
    )
    own = make_cases(org_a, kz, 2, assigned_to=caseworker_a)
    own += make_cases(
        org_a,
        kz,
        1,
        assigned_to=caseworker_a,
        status=choices.CaseStatus.CLOSED,
        sex=choices.Sex.MALE,
        age_band=choices.AgeBand.AGE_18_24,
    )
    own += make_cases(
        org_a,
        kz,
        1,
        assigned_to=caseworker_a,
        consent_data_sharing=False,
        return_pathway=choices.ReturnPathway.PROGRAMME,
        programme=zhusan,
    )
    colleagues = make_cases(
        org_a,
        kz,
        3,
        assigned_to=colleague_a,
        status=choices.CaseStatus.MONITORING,
        age_band=choices.AgeBand.AGE_5_11,
        return_pathway=choices.ReturnPathway.PROGRAMME,
        programme=zhusan,
    )
    colleagues += make_cases(
        org_a, kz, 1, assigned_to=colleague_a, consent_withdrawn_on=datetime.date(2024, 1, 1)
    )
    make_cases(org_a, tj, 2, assigned_to=caseworker_a)
    org_b_cases = make_cases(
        org_b,
        kz,
        2,
        status=choices.CaseStatus.INTAKE,
        sex=choices.Sex.MALE,
        return_pathway=choices.ReturnPathway.DEPORTATION,
    )
    make_cases(not_sharing, kz, 2)
    for case in [*own, *colleagues[:2], *org_b_cases]:
        ReferralFactory(case=case, service_type=psychosocial)
    for case in [own[0], colleagues[0], org_b_cases[0]]:
        ReferralFactory(case=case, service_type=legal)


def expected_cases(who, user, kz):
    cases = Case.objects.filter(residence_country=kz)
    if who in ("supervisor_a", "orgadmin_a"):
        return cases.filter(organisation=user.organisation)
    if who == "caseworker_a":
        return cases.filter(organisation=user.organisation).filter(Q(assigned_to=user) | Q(created_by=user))
    return cases.filter(
        organisation__shares_with_analysts=True, consent_data_sharing=True, consent_withdrawn_on__isnull=True
    )


def _by(queryset, field, labels) -> dict[str, str]:
    grouped = queryset.order_by().values(field).annotate(n=Count("id"))
    return {str(labels(row[field])): str(row["n"]) for row in grouped} | {"Total": str(queryset.count())}


@pytest.mark.parametrize("who", ["supervisor_a", "orgadmin_a", "caseworker_a", "analyst", "superuser"])
def test_case_counts_equal_an_independent_count_of_the_cases_the_user_may_count(
    client, request, settings, kz, caseload, who
):
    settings.SUPPRESSION_THRESHOLD = 1  # nothing hidden: every count can be compared
    user = request.getfixturevalue(who)
    client.force_login(user)
    tables = html_tables(client.get(brief_url()))
    cases = expected_cases(who, user, kz)

    status_labels = dict(choices.CaseStatus.choices)
    assert counts(tables["cases-by-status"]) == _by(cases, "status", status_labels.get)

    cross = tables["cases-by-age-and-sex"]
    sexes = cross[0][1:-1]
    shown = {(row[0], sex): value for row in cross[1:-1] for sex, value in zip(sexes, row[1:-1], strict=True)}
    age_labels, sex_labels = dict(choices.AgeBand.choices), dict(choices.Sex.choices)
    grouped = cases.order_by().values("age_band", "sex").annotate(n=Count("id"))
    expected = {
        (str(age_labels[row["age_band"]]), str(sex_labels[row["sex"]])): str(row["n"]) for row in grouped
    }
    assert {key: value for key, value in shown.items() if value != "0"} == expected
    assert cross[-1][-1] == str(cases.count())

    pathways = {
        str(case.programme.name if case.programme_id else choices.ReturnPathway(case.return_pathway).label)
        for case in cases.select_related("programme")
    }
    shown_pathways = counts(tables["cases-by-return-pathway"])
    assert set(shown_pathways) - {"Total"} == pathways
    if "Operation Zhusan" in pathways:
        assert shown_pathways["Operation Zhusan"] == str(
            cases.filter(programme__name="Operation Zhusan").count()
        )

    referrals = Referral.objects.filter(case__in=cases)
    assert counts(tables["referrals-by-service-type"]) == _by(referrals, "service_type__name", str)


def test_a_supervisor_counts_only_their_organisation(client, settings, supervisor_a, kz, caseload):
    settings.SUPPRESSION_THRESHOLD = 1
    client.force_login(supervisor_a)
    status = counts(html_tables(client.get(brief_url()))["cases-by-status"])
    assert "Intake" not in status  # org B's cases in Kazakhstan
    assert status["Total"] == str(
        Case.objects.filter(organisation=supervisor_a.organisation, residence_country=kz).count()
    )
    assert status["Total"] != str(Case.objects.filter(residence_country=kz).count())


def test_an_auditor_reads_the_brief_without_case_counts(client, auditor, kz, caseload):
    client.force_login(auditor)
    response = client.get(brief_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "Your role does not see case counts" in html
    assert set(html_tables(response)) == set(REFERENCE_TABLES)
    assert "Cases by status" not in html
    assert [row[0] for row in csv_rows(client.get(brief_url(format="csv"))) if len(row) == 1 and row[0]] == [
        "Legal frameworks in force",
        "Provisions of the frameworks in force",
        "Programmes",
        "Reported figures",
    ]


# --- Suppression -------------------------------------------------------------------------------------


@pytest.fixture
def small_groups(kz, org_a, landscape):
    """Org A in Kazakhstan: 7 active, 6 monitoring, 3 closed; 2 legal aid and 6 psychosocial referrals.
    3 closed is below k = 5; monitoring is hidden with it so the total cannot give it away."""
    active = make_cases(org_a, kz, 7)
    monitoring = make_cases(org_a, kz, 6, status=choices.CaseStatus.MONITORING)
    make_cases(
        org_a,
        kz,
        3,
        status=choices.CaseStatus.CLOSED,
        closed_on=datetime.date(2024, 5, 1),
        closure_reason=choices.ClosureReason.REINTEGRATED,
    )
    legal, psychosocial = (
        ServiceTypeFactory(name="Legal aid"),
        ServiceTypeFactory(name="Psychosocial support"),
    )
    for case in active[:2]:
        ReferralFactory(case=case, service_type=legal)
    for case in [*active[2:], *monitoring[:1]]:
        ReferralFactory(case=case, service_type=psychosocial)


def test_a_small_group_is_suppressed_in_the_page_and_the_chart(client, settings, supervisor_a, small_groups):
    settings.SUPPRESSION_THRESHOLD = 5
    client.force_login(supervisor_a)
    response = client.get(brief_url())
    status = counts(html_tables(response)["cases-by-status"])
    assert status == {"Active": "7", "Monitoring": "suppressed", "Closed": "suppressed", "Total": "16"}
    referrals = counts(html_tables(response)["referrals-by-service-type"])
    assert referrals == {"Legal aid": "suppressed", "Psychosocial support": "suppressed", "Total": "8"}

    html = response.content.decode()
    [desc] = re.findall(r"<desc[^>]*>(.*?)</desc>", html, flags=re.S)
    assert "Active: 7" in desc
    assert "Closed" not in desc and "Monitoring" not in desc
    assert "2 statuses are suppressed" in desc
    chart = html[html.index('<figure class="chart"') : html.index("</figure>")]
    assert "Closed" not in chart and ">3<" not in chart and ">6<" not in chart


def test_a_small_group_is_suppressed_in_csv_xlsx_and_pdf(client, settings, supervisor_a, small_groups):
    settings.SUPPRESSION_THRESHOLD = 5
    client.force_login(supervisor_a)

    rows = csv_rows(client.get(brief_url(format="csv", table="cases-by-status")))
    assert rows == [
        ["Status", "Cases"],
        ["Active", "7"],
        ["Monitoring", "suppressed"],
        ["Closed", "suppressed"],
        ["Total", "16"],
    ]
    rows = csv_rows(client.get(brief_url(format="csv", table="referrals-by-service-type")))
    assert ["Legal aid", "suppressed"] in rows

    [sheet] = xlsx_sheets(client.get(brief_url(format="xlsx", table="cases-by-status")))
    assert sheet[1:] == [["Active", 7], ["Monitoring", "suppressed"], ["Closed", "suppressed"], ["Total", 16]]

    text = pdf_text(client.get(brief_url(format="pdf")))
    assert re.search(r"Closed\s+suppressed", text)
    assert not re.search(r"Closed\s+3\b", text)
    assert re.search(r"Legal aid\s+suppressed", text)
    assert not re.search(r"Legal aid\s+2\b", text)


def test_report_tables_mark_hidden_counts_with_the_sentinel(client, settings, supervisor_a, small_groups):
    settings.SUPPRESSION_THRESHOLD = 5
    client.force_login(supervisor_a)
    report = client.get(brief_url()).context["report"]
    by_status = report.table("cases-by-status")
    assert by_status.suppressed
    assert {row[0]: row[1] for row in by_status.rows}["Closed"] is SUPPRESSED
    assert not any(report.table(slug).suppressed for slug in REFERENCE_TABLES)


# --- Formats ----------------------------------------------------------------------------------------


def test_csv_and_xlsx_carry_the_same_tables_as_the_page(client, supervisor_a, kz, caseload):
    client.force_login(supervisor_a)
    response = client.get(brief_url())
    page = html_tables(response)
    report = response.context["report"]
    slugs = [table.slug for table in report.tables]
    assert slugs == REFERENCE_TABLES + CASE_TABLES

    sheets = xlsx_sheets(client.get(brief_url(format="xlsx")))
    assert len(sheets) == len(slugs)
    for slug, sheet in zip(slugs, sheets, strict=True):
        in_csv = csv_rows(client.get(brief_url(format="csv", table=slug)))
        assert [[as_shown(value) for value in row] for row in in_csv] == page[slug], slug
        assert [[as_shown(value) for value in row] for row in sheet] == page[slug], slug


def test_formula_like_sources_are_escaped_in_csv_and_xlsx(client, caseworker_a, kz, landscape):
    Programme.objects.filter(name="Operation Zhusan").update(source='=HYPERLINK("http://evil")')
    ReportedFigure.objects.filter(label="nationals returned").update(source="@SUM(1+1)")
    client.force_login(caseworker_a)

    programmes = csv_rows(client.get(brief_url(format="csv", table="programmes")))
    assert programmes[1][5] == '\'=HYPERLINK("http://evil")'
    figures = csv_rows(client.get(brief_url(format="csv", table="figures")))
    assert "'@SUM(1+1)" in [row[7] for row in figures]

    sheets = dict(zip(REFERENCE_TABLES, xlsx_sheets(client.get(brief_url(format="xlsx"))), strict=False))
    assert sheets["programmes"][1][5] == '\'=HYPERLINK("http://evil")'
    assert "'@SUM(1+1)" in [row[7] for row in sheets["figures"]]
    html = client.get(brief_url()).content.decode()
    assert "=HYPERLINK(&quot;http://evil&quot;)" in html  # the page shows the text as it is


def test_pdf_is_a_pdf_holding_the_country_and_its_figures(client, supervisor_a, kz, landscape):
    client.force_login(supervisor_a)
    response = client.get(brief_url(format="pdf"))
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="country-brief-kz.pdf"' in response["Content-Disposition"]
    text = pdf_text(response)
    assert "Kazakhstan" in text
    assert "Operation Zhusan" in text
    assert "607" in text
    assert "Criminal Code of the Republic of Kazakhstan" in text


# --- Audit ------------------------------------------------------------------------------------------------


def test_viewing_is_audited_as_a_view_and_downloading_as_an_export(client, supervisor_a, kz, landscape):
    client.force_login(supervisor_a)
    client.get(brief_url())
    [view] = AuditEvent.objects.filter(action=Action.VIEW)
    assert view.actor == supervisor_a
    assert view.details == {"report": "country-brief", "format": "html", "parameters": {"country": "KZ"}}

    client.get(brief_url(format="xlsx", table="figures"))
    [export] = AuditEvent.objects.filter(action=Action.EXPORT)
    assert export.details == {
        "report": "country-brief",
        "format": "xlsx",
        "parameters": {"country": "KZ"},
        "table": "figures",
    }
    assert AuditEvent.objects.filter(action__in=[Action.VIEW, Action.EXPORT]).count() == 2


# --- Query count ---------------------------------------------------------------------------------------


def _grow(kz, org_a, n: int) -> None:
    services = ServiceTypeFactory.create_batch(2)
    for index in range(n):
        framework = LegalFrameworkFactory(country=kz)
        ProvisionFactory.create_batch(2, framework=framework)
        agreement = LegalFrameworkFactory(country=None, kind=LegalFramework.Kind.AGREEMENT)
        agreement.parties.add(kz)
        programme = ProgrammeFactory(country=kz)
        programme.frameworks.add(framework, agreement)
        ReportedFigureFactory.create_batch(2, programme=programme, country=kz)
        case = CaseFactory(
            organisation=org_a,
            citizenship=kz,
            residence_country=kz,
            return_pathway=choices.ReturnPathway.PROGRAMME,
            programme=programme,
        )
        ReferralFactory(case=case, service_type=services[index % 2])


def test_queries_do_not_grow_with_frameworks_programmes_or_cases(
    client, supervisor_a, kz, org_a, django_assert_max_num_queries
):
    client.force_login(supervisor_a)
    client.get(brief_url())  # the session is read and renewed once, whatever the size
    spent = []
    for n in (2, 8):  # 2, then 10 frameworks, agreements, programmes and cases
        _grow(kz, org_a, n)
        with django_assert_max_num_queries(16) as queries:
            assert client.get(brief_url()).status_code == 200
        spent.append(len(queries.captured_queries))
    assert spent[0] == spent[1]
    assert Programme.objects.filter(country=kz).count() == 10


def test_reference_text_is_escaped(client, caseworker_a, kz, landscape):
    LegalFramework.objects.filter(title__startswith="Criminal Code of the Republic").update(
        summary="<script>alert(1)</script>", title="Code <b>bold</b>"
    )
    client.force_login(caseworker_a)
    html = client.get(brief_url()).content.decode()
    assert "<script>alert(1)" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_an_unknown_format_is_refused_naming_the_parameter(client, caseworker_a, kz):
    client.force_login(caseworker_a)
    response = client.get(brief_url(format="doc"))
    assert response.status_code == 400
    assert "format" in response.content.decode()

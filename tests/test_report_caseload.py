"""The caseload report `/reports/caseload/`: its numbers equal plain queries on seeded data, every count
is suppressed in every format and chart, each role counts only what it may, and it is audited."""

import csv
import datetime
import io
import random
import re
import statistics
from collections import Counter
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from casework.audit import Action
from casework.choices import (
    AgeBand,
    CaseStatus,
    ClosureReason,
    ReferralOutcome,
    ReferralStatus,
    ReturnPathway,
    Sex,
)
from casework.models import Assessment, AuditEvent, Case, Referral
from casework.reports import caseload_queries
from casework.reports.caseload import build_report
from casework.reports.caseload_queries import Period
from casework.reports.tables import SUPPRESSED
from tests.factories import (
    AssessmentFactory,
    CaseFactory,
    CountryFactory,
    OrganisationFactory,
    ProgrammeFactory,
    ReferralFactory,
    ServiceTypeFactory,
    UserFactory,
)

URL = reverse("reports:caseload")
START = datetime.date(2023, 1, 1)
END = datetime.date(2023, 12, 31)
PERIOD = {"from": START.isoformat(), "to": END.isoformat()}
DOMAINS = [domain.value for domain in Assessment.DOMAINS]
NO_PROGRAMME = "No programme (independent return or another pathway)"
NO_OUTCOME = "No outcome yet"

OPEN_DATES = [
    datetime.date(2021, 5, 1),
    datetime.date(2022, 11, 30),
    START,
    datetime.date(2023, 3, 15),
    datetime.date(2023, 7, 1),
    END,
    datetime.date(2024, 1, 1),
    datetime.date(2024, 2, 10),
]
CLOSE_DATES = [
    datetime.date(2022, 12, 31),
    START,
    datetime.date(2023, 6, 30),
    END,
    datetime.date(2024, 1, 1),
    datetime.date(2024, 3, 1),
]
REFERRAL_DATES = [
    datetime.date(2022, 12, 31),
    START,
    datetime.date(2023, 5, 5),
    datetime.date(2023, 9, 9),
    END,
]
ASSESSMENT_DATES = [
    datetime.date(2022, 6, 1),
    START,
    datetime.date(2023, 4, 1),
    END,
    datetime.date(2024, 1, 1),
]


# --- Seeding ------------------------------------------------------------------------------------------------


@pytest.fixture
def world(db):
    """Reference data the seeded cases draw from."""
    countries = [CountryFactory(code=code) for code in ("KZ", "TJ", "UZ")]
    return {
        "countries": countries,
        "programmes": [ProgrammeFactory(country=countries[0], name="Operation Zhusan"), ProgrammeFactory()],
        "services": [
            ServiceTypeFactory(name=name) for name in ("Psychosocial support", "Legal aid", "Schooling")
        ],
    }


def seed(world, organisation, n: int, *, rng_seed: int = 7, **overrides) -> list[Case]:
    """`n` cases of `organisation`, deterministic for a seed: every status, both sexes, several bands,
    countries and programmes, dates before, inside, on the edges of and after the period; each with a few
    referrals (planned ones without a date, started ones, finished ones with outcomes) and assessments."""
    rng = random.Random(rng_seed)
    worker = UserFactory(organisation=organisation)
    cases = []
    for _index in range(n):
        opened_on = rng.choice(OPEN_DATES)
        status = rng.choice(list(CaseStatus))
        closed_on, reason, archived_at = None, "", None
        if status in (CaseStatus.CLOSED, CaseStatus.ARCHIVED):
            closed_on = rng.choice([day for day in CLOSE_DATES if day >= opened_on] or [opened_on])
            reason = ClosureReason.REINTEGRATED
            archived_at = timezone.now() if status == CaseStatus.ARCHIVED else None
        programme = rng.choice([*world["programmes"], None, None])
        country = rng.choice(world["countries"])
        fields = {
            "organisation": organisation,
            "assigned_to": worker,
            "status": status,
            "opened_on": opened_on,
            "closed_on": closed_on,
            "closure_reason": reason,
            "archived_at": archived_at,
            "sex": rng.choice(list(Sex)),
            "age_band": rng.choice(
                [AgeBand.AGE_5_11, AgeBand.AGE_18_24, AgeBand.AGE_25_34, AgeBand.AGE_35_44]
            ),
            "citizenship": country,
            "residence_country": country,
            "programme": programme,
            "return_pathway": ReturnPathway.PROGRAMME if programme else ReturnPathway.INDEPENDENT,
            **overrides,
        }
        case = CaseFactory(**fields)
        cases.append(case)
        for _referral in range(rng.randint(0, 3)):
            referral(case, rng.choice(world["services"]), rng)
        for _assessment in range(rng.randint(0, 3)):
            scores = {domain: rng.choice([1, 2, 3, 4, 5, 5, None]) for domain in DOMAINS}
            AssessmentFactory(case=case, assessed_on=rng.choice(ASSESSMENT_DATES), **scores)
    return cases


def referral(case, service, rng) -> Referral:
    kind = rng.choice(["planned", "referred", "in_progress", "completed", "declined", "cancelled"])
    referred_on = rng.choice(REFERRAL_DATES)
    started_on = referred_on + datetime.timedelta(days=rng.randint(0, 90))
    ended_on = started_on + datetime.timedelta(days=30)
    fields = {"case": case, "service_type": service, "referred_on": referred_on}
    if kind == "planned":
        fields.update(status=ReferralStatus.PLANNED, referred_on=None)
    elif kind == "referred":
        fields.update(status=ReferralStatus.REFERRED)
    elif kind == "in_progress":
        fields.update(status=ReferralStatus.IN_PROGRESS, accepted_on=referred_on, started_on=started_on)
    elif kind == "completed":
        fields.update(
            status=ReferralStatus.COMPLETED,
            accepted_on=referred_on,
            started_on=started_on,
            ended_on=ended_on,
            outcome=rng.choice(list(ReferralOutcome)),
        )
    elif kind == "declined":
        fields.update(
            status=ReferralStatus.DECLINED, ended_on=referred_on, outcome=ReferralOutcome.NOT_APPLICABLE
        )
    else:  # cancelled before it was sent: no referral date
        fields.update(status=ReferralStatus.CANCELLED, referred_on=None, ended_on=START, outcome="")
    return ReferralFactory(**fields)


# --- What the report should say, computed independently -------------------------------------------------


def in_period(day) -> bool:
    return day is not None and START <= day <= END


def expected_cases(cases) -> dict[str, dict[str, Counter]]:
    """{dimension label: {"Opened"/"Closed"/"Active": Counter(row label -> n)}} by plain Python over the
    cases' fields."""
    dimensions = {
        "cases-by-status": lambda case: str(CaseStatus(case.status).label),
        "cases-by-sex": lambda case: str(Sex(case.sex).label),
        "cases-by-age-band": lambda case: str(AgeBand(case.age_band).label),
        "cases-by-country": lambda case: case.residence_country.name,
        "cases-by-programme": lambda case: case.programme.name if case.programme else NO_PROGRAMME,
    }
    expected = {slug: {"Opened": Counter(), "Closed": Counter(), "Active": Counter()} for slug in dimensions}
    for case in cases:
        measures = {
            "Opened": in_period(case.opened_on),
            "Closed": in_period(case.closed_on),
            "Active": case.opened_on <= END and (case.closed_on is None or case.closed_on >= START),
        }
        for slug, label_of in dimensions.items():
            for measure, counted in measures.items():
                if counted:
                    expected[slug][measure][label_of(case)] += 1
    return expected


def counted_cases(queryset):
    return list(queryset.select_related("residence_country", "programme"))


def expected_referrals(cases) -> Counter:
    """(service type name, outcome label) -> referrals sent in the period."""
    referrals = Referral.objects.filter(case__in=[case.pk for case in cases]).select_related("service_type")
    counts = Counter()
    for item in referrals:
        if in_period(item.referred_on):
            outcome = str(ReferralOutcome(item.outcome).label) if item.outcome else NO_OUTCOME
            counts[(item.service_type.name, outcome)] += 1
    return counts


def expected_waiting(cases) -> dict[str, list[int]]:
    days: dict[str, list[int]] = {}
    for item in Referral.objects.filter(case__in=[case.pk for case in cases]).select_related("service_type"):
        if in_period(item.referred_on) and item.started_on:
            days.setdefault(item.service_type.name, []).append((item.started_on - item.referred_on).days)
    return days


def linear_percentile(values, fraction) -> float:
    """The percentile as `statistics` computes it with the inclusive method (linear interpolation)."""
    if fraction == 0.5:
        return float(statistics.median(values))
    if len(values) == 1:
        return float(values[0])
    return statistics.quantiles(sorted(values), n=10, method="inclusive")[int(fraction * 10) - 1]


def expected_changes(cases) -> dict[str, list[int]]:
    """Domain -> the score changes (latest minus first) of the cases active in the period with at least
    two assessments up to its end."""
    changes: dict[str, list[int]] = {domain: [] for domain in DOMAINS}
    for case in cases:
        if not (case.opened_on <= END and (case.closed_on is None or case.closed_on >= START)):
            continue
        assessments = sorted(
            Assessment.objects.filter(case=case, assessed_on__lte=END), key=lambda a: (a.assessed_on, a.pk)
        )
        if len(assessments) < 2:
            continue
        first, latest = assessments[0], assessments[-1]
        for domain in DOMAINS:
            before, after = getattr(first, domain), getattr(latest, domain)
            if before is not None and after is not None:
                changes[domain].append(after - before)
    return changes


# --- Reading the report back ----------------------------------------------------------------------------


def by_label(table) -> dict[str, dict[str, object]]:
    """{row label: {column heading: value}} of a ReportTable."""
    return {str(row[0]): dict(zip(table.columns[1:], row[1:], strict=True)) for row in table.rows}


def as_text(value) -> str:
    """A cell as the page prints it (templatetags report_cell)."""
    if value is SUPPRESSED:
        return "suppressed"
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def as_csv(value) -> str:
    if value is SUPPRESSED:
        return "suppressed"
    return "" if value is None else str(value)


class Tables(HTMLParser):
    """The report tables of a page: {slug: [[cell text, ...], ...]} (header row first)."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.current = None
        self.row = None
        self.cell = None
        self.depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div" and (attrs.get("id") or "").startswith("table-"):
            self.current = attrs["id"][len("table-") :]
            self.tables[self.current] = []
        elif self.current and tag == "caption":
            self.cell = None
            self.depth = -1  # skip the caption
        elif self.current and tag == "tr":
            self.row = []
        elif self.current and self.row is not None and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "caption":
            self.depth = 0
        elif self.current and tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif self.current and tag == "tr" and self.row is not None:
            self.tables[self.current].append(self.row)
            self.row = None
        elif tag == "table":
            self.current = None

    def handle_data(self, data):
        if self.cell is not None and self.depth == 0:
            self.cell.append(data)


def page_tables(html: str) -> dict[str, list[list[str]]]:
    parser = Tables()
    parser.feed(html)
    return parser.tables


def csv_tables(content: str) -> dict[str, list[list[str]]]:
    """The all-tables CSV: each table under a line with its title, a blank line between them."""
    blocks, block = [], []
    for row in csv.reader(io.StringIO(content)):
        if not row:
            blocks.append(block)
            block = []
        else:
            block.append(row)
    blocks.append(block)
    return {block[0][0]: block[1:] for block in blocks if block}


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def get(client, user, **query):
    client.force_login(user)
    return client.get(URL, query)


def report_for(user, organisation=None):
    return build_report(user, organisation, Period(START, END))


# --- The numbers -----------------------------------------------------------------------------------------


@pytest.fixture
def no_suppression(settings):
    """k = 1: nothing is hidden, so every count can be compared with the plain query."""
    settings.SUPPRESSION_THRESHOLD = 1


def test_case_counts_equal_plain_queries(world, org_a, org_b, supervisor_a, no_suppression):
    seed(world, org_a, 60)
    seed(world, org_b, 20, rng_seed=99)
    report = report_for(supervisor_a, org_a)
    expected = expected_cases(counted_cases(Case.objects.filter(organisation=org_a)))
    for slug, columns in expected.items():
        shown = by_label(report.table(slug))
        for measure, counts in columns.items():
            assert {
                label: row[measure] for label, row in shown.items() if label != "Total" and row[measure]
            } == dict(counts), (slug, measure)
            assert shown["Total"][measure] == sum(counts.values())


def test_referrals_by_service_and_outcome_equal_plain_queries(world, org_a, supervisor_a, no_suppression):
    cases = seed(world, org_a, 60)
    table = by_label(report_for(supervisor_a, org_a).table("referrals-by-service-and-outcome"))
    expected = expected_referrals(cases)
    assert expected, "the seed sends referrals in the period"
    for (service, outcome), n in expected.items():
        assert table[service][outcome] == n
    for service, row in table.items():
        if service != "Total":
            assert row["Total"] == sum(n for (name, _outcome), n in expected.items() if name == service)
    assert table["Total"]["Total"] == sum(expected.values())
    # Planned referrals and those cancelled before they were sent have no date and are not counted.
    undated = Referral.objects.filter(case__organisation=org_a, referred_on__isnull=True).count()
    assert (
        undated
        and table["Total"]["Total"]
        == Referral.objects.filter(case__organisation=org_a, referred_on__range=(START, END)).count()
    )


def test_days_to_service_are_the_linear_median_and_90th_percentile(
    world, org_a, supervisor_a, no_suppression
):
    cases = seed(world, org_a, 60)
    table = by_label(report_for(supervisor_a, org_a).table("time-to-service"))
    expected = expected_waiting(cases)
    for service, days in expected.items():
        row = table[service]
        assert row["Referrals started"] == len(days)
        assert row["Median days"] == round(linear_percentile(days, 0.5), 1)
        assert row["90th percentile, days"] == round(linear_percentile(days, 0.9), 1)
    every = [day for days in expected.values() for day in days]
    assert table["All services"]["Referrals started"] == len(every)
    assert table["All services"]["Median days"] == round(linear_percentile(every, 0.5), 1)
    assert table["All services"]["90th percentile, days"] == round(linear_percentile(every, 0.9), 1)


def test_percentiles_interpolate_between_neighbours_like_percentile_cont(
    world, org_a, supervisor_a, no_suppression
):
    """Waits of 0, 10, 20, 30 and 100 days: median 20, 90th percentile 30 + 0.6 × 70 = 72 — on SQLite
    (computed in Python) and PostgreSQL (percentile_cont) alike."""
    case = CaseFactory(organisation=org_a, opened_on=START)
    service = world["services"][0]
    for wait in (30, 0, 100, 10, 20):
        ReferralFactory(
            case=case,
            service_type=service,
            status=ReferralStatus.IN_PROGRESS,
            referred_on=datetime.date(2023, 2, 1),
            accepted_on=datetime.date(2023, 2, 1),
            started_on=datetime.date(2023, 2, 1) + datetime.timedelta(days=wait),
        )
    per_type, overall = caseload_queries.days_to_start(
        caseload_queries.referrals_made(Case.objects.filter(organisation=org_a), Period(START, END))
    )
    assert per_type[service.name] == overall
    assert (overall.n, overall.median, overall.p90) == (5, 20.0, 72.0)
    assert overall.p90 == pytest.approx(linear_percentile([0, 10, 20, 30, 100], 0.9))


def test_assessment_change_compares_first_and_latest_assessment_per_domain(
    world, org_a, supervisor_a, no_suppression
):
    cases = seed(world, org_a, 60)
    table = by_label(report_for(supervisor_a, org_a).table("assessment-change"))
    expected = expected_changes(cases)
    assert any(expected.values()), "the seed has cases with two assessments"
    for domain in Assessment.DOMAINS:
        changes = expected[domain.value]
        row = table[str(domain.label)]
        assert row["Improved"] == sum(change > 0 for change in changes)
        assert row["Unchanged"] == sum(change == 0 for change in changes)
        assert row["Worse"] == sum(change < 0 for change in changes)
        assert row["Cases compared"] == len(changes)
        if changes:
            assert row["Mean change (points)"] == pytest.approx(statistics.mean(changes), abs=0.051)


def test_a_higher_score_is_an_improvement(world, org_a, supervisor_a, no_suppression):
    """Scores run from 1 (severe difficulty) to 5 (no difficulty); the latest up to the period's end counts,
    and a domain unscored in the first or the latest assessment is not compared."""
    case = CaseFactory(organisation=org_a, opened_on=START)
    AssessmentFactory(
        case=case, assessed_on=datetime.date(2022, 6, 1), psychosocial=2, health=4, housing=None
    )
    AssessmentFactory(case=case, assessed_on=END, psychosocial=4, health=3, housing=5)
    AssessmentFactory(case=case, assessed_on=datetime.date(2024, 1, 1), psychosocial=1, health=5, housing=1)
    table = by_label(report_for(supervisor_a, org_a).table("assessment-change"))
    assert (table["Psychosocial wellbeing"]["Improved"], table["Psychosocial wellbeing"]["Worse"]) == (1, 0)
    assert table["Psychosocial wellbeing"]["Mean change (points)"] == 2.0
    assert (table["Health"]["Improved"], table["Health"]["Worse"]) == (0, 1)
    assert table["Housing"]["Cases compared"] == 0


def test_period_ends_are_included(world, org_a, supervisor_a, no_suppression):
    before, after = START - datetime.timedelta(days=1), END + datetime.timedelta(days=1)
    on_first_day = CaseFactory(organisation=org_a, opened_on=START)
    CaseFactory(organisation=org_a, opened_on=END)
    CaseFactory(organisation=org_a, opened_on=after)  # not yet open
    CaseFactory(
        organisation=org_a,
        opened_on=datetime.date(2022, 1, 1),
        status=CaseStatus.CLOSED,
        closed_on=START,
        closure_reason=ClosureReason.MOVED,
    )
    CaseFactory(  # closed the day before the period: not active in it
        organisation=org_a,
        opened_on=datetime.date(2022, 1, 1),
        status=CaseStatus.CLOSED,
        closed_on=before,
        closure_reason=ClosureReason.MOVED,
    )
    service = world["services"][0]
    for day in (before, START, END, after):
        ReferralFactory(case=on_first_day, service_type=service, referred_on=day)
    totals = by_label(report_for(supervisor_a, org_a).table("cases-by-status"))["Total"]
    assert (totals["Opened"], totals["Closed"], totals["Active"]) == (2, 1, 3)
    referrals = by_label(report_for(supervisor_a, org_a).table("referrals-by-service-and-outcome"))
    assert referrals["Total"]["Total"] == 2


# --- Access ----------------------------------------------------------------------------------------------


def test_supervisor_never_counts_another_organisations_cases(
    client, world, org_a, org_b, supervisor_a, no_suppression
):
    seed(world, org_a, 15)
    kyrgyzstan = CountryFactory(code="KG")
    rare_service = ServiceTypeFactory(name="Only in org B")
    for case in seed(world, org_b, 10, rng_seed=3, citizenship=kyrgyzstan, residence_country=kyrgyzstan):
        ReferralFactory(case=case, service_type=rare_service, referred_on=datetime.date(2023, 3, 3))
    for organisation in (None, org_a):
        report = report_for(supervisor_a, organisation)
        countries = by_label(report.table("cases-by-country"))
        assert "Kyrgyzstan" not in countries
        assert countries["Total"]["Active"] == sum(
            expected_cases(counted_cases(Case.objects.filter(organisation=org_a)))["cases-by-country"][
                "Active"
            ].values()
        )
        assert "Only in org B" not in by_label(report.table("referrals-by-service-and-outcome"))
    page = get(client, supervisor_a, **PERIOD).content.decode()
    assert "Kyrgyzstan" not in page and "Only in org B" not in page and "NGO B" not in page


@pytest.mark.parametrize("output", ["html", "csv", "xlsx", "pdf"])
def test_supervisor_asking_for_another_organisation_gets_400_naming_the_field(
    client, world, org_a, org_b, supervisor_a, output
):
    seed(world, org_b, 10)
    response = get(client, supervisor_a, organisation="org-b", format=output, **PERIOD)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Select a valid choice" in body
    assert "NGO B" not in body
    if output == "html":
        assert "Organisation" in body and "has-error" in body
        assert 'value="2023-12-31"' in body  # what was typed stays
    else:
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert body.startswith("organisation:")
    assert not AuditEvent.objects.filter(details__report="caseload").exists()


@pytest.mark.parametrize("who", ["supervisor_a", "orgadmin_a"])
def test_organisation_staff_report_on_their_own_organisation_only(request, client, org_a, org_b, who):
    user = request.getfixturevalue(who)
    assert get(client, user, organisation="org-a", **PERIOD).status_code == 200
    assert get(client, user, organisation="", **PERIOD).status_code == 200
    assert get(client, user, organisation="org-b", **PERIOD).status_code == 400
    assert get(client, user, organisation="no-such-organisation", **PERIOD).status_code == 400


def test_invalid_dates_answer_400_with_the_form_and_what_was_typed(client, org_a, supervisor_a):
    response = get(client, supervisor_a, **{"from": "2023-13-45", "to": END.isoformat()})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="2023-13-45"' in page and "Enter a valid date" in page and "From" in page
    backwards = get(
        client, supervisor_a, **{"from": END.isoformat(), "to": START.isoformat(), "format": "csv"}
    )
    assert backwards.status_code == 400
    assert backwards.content.decode().startswith("to:")


@pytest.mark.parametrize("who", ["analyst", "superuser"])
def test_analysts_count_only_consented_cases_of_sharing_organisations(
    request, client, world, org_a, org_b, who, no_suppression
):
    user = request.getfixturevalue(who)
    secretive = OrganisationFactory(name="NGO C", slug="org-c", shares_with_analysts=False)
    seed(world, org_a, 20)
    seed(world, org_b, 15, rng_seed=11)
    seed(world, secretive, 12, rng_seed=5)
    seed(
        world,
        org_a,
        6,
        rng_seed=13,
        consent_data_sharing=False,
        consent_data_sharing_on=None,
    )
    counted = Case.objects.filter(
        organisation__shares_with_analysts=True, consent_data_sharing=True, consent_withdrawn_on__isnull=True
    )
    expected = expected_cases(counted_cases(counted))["cases-by-sex"]
    totals = by_label(report_for(user).table("cases-by-sex"))["Total"]
    assert totals["Active"] == sum(expected["Active"].values())
    assert totals["Opened"] == sum(expected["Opened"].values())
    only_b = expected_cases(counted_cases(counted.filter(organisation=org_b)))["cases-by-sex"]
    assert by_label(report_for(user, org_b).table("cases-by-sex"))["Total"]["Active"] == sum(
        only_b["Active"].values()
    )
    # An organisation that does not share is not theirs to ask for.
    response = get(client, user, organisation="org-c", **PERIOD)
    assert response.status_code == 400 and "NGO C" not in response.content.decode()
    assert get(client, user, organisation="org-b", **PERIOD).status_code == 200


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("supervisor_a", 200),
        ("orgadmin_a", 200),
        ("analyst", 200),
        ("superuser", 200),
        ("caseworker_a", 403),
        ("caseworker_b", 403),
        ("auditor", 403),
    ],
)
def test_who_may_run_the_caseload_report(request, client, who, status):
    response = get(client, request.getfixturevalue(who), **PERIOD)
    assert response.status_code == status
    if status == 200:
        assert response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]


def test_anonymous_is_sent_to_sign_in(client, db):
    response = client.get(URL, PERIOD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_without_parameters_the_period_is_this_year_so_far(client, org_a, supervisor_a):
    response = get(client, supervisor_a)
    assert response.status_code == 200
    today = timezone.localdate()
    assert f"{today.replace(month=1, day=1).isoformat()} – {today.isoformat()}" in response.content.decode()


# --- Audit -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "action"),
    [("html", Action.VIEW), ("csv", Action.EXPORT), ("xlsx", Action.EXPORT), ("pdf", Action.EXPORT)],
)
def test_opening_or_downloading_is_audited_with_the_parameters(
    client, world, org_a, supervisor_a, output, action
):
    seed(world, org_a, 5)
    response = get(client, supervisor_a, organisation="org-a", format=output, **PERIOD)
    assert response.status_code == 200
    event = AuditEvent.objects.get(details__report="caseload")
    assert event.action == action
    assert event.actor == supervisor_a
    assert event.details["format"] == output
    assert event.details["parameters"] == {"organisation": "org-a", "from": "2023-01-01", "to": "2023-12-31"}


# --- Formats ---------------------------------------------------------------------------------------------


@pytest.fixture
def seeded(world, org_a, org_b):
    seed(world, org_a, 60)
    seed(world, org_b, 20, rng_seed=99)


def test_page_csv_and_xlsx_carry_the_reports_tables_cell_for_cell(client, seeded, org_a, supervisor_a):
    report = report_for(supervisor_a, org_a)
    assert len(report.tables) == 8
    page = page_tables(get(client, supervisor_a, organisation="org-a", **PERIOD).content.decode())
    everything = csv_tables(
        get(client, supervisor_a, organisation="org-a", format="csv", **PERIOD).content.decode()
    )
    book = load_workbook(
        io.BytesIO(get(client, supervisor_a, organisation="org-a", format="xlsx", **PERIOD).content)
    )
    assert book.sheetnames[0] == "Report"
    for table, sheet in zip(report.tables, book.sheetnames[1:], strict=True):
        assert page[table.slug] == [
            [str(column) for column in table.columns],
            *[[as_text(value) for value in row] for row in table.rows],
        ], table.slug
        assert everything[str(table.title)] == [
            [str(column) for column in table.columns],
            *[[as_csv(value) for value in row] for row in table.rows],
        ], table.slug
        cells = [[cell.value for cell in row] for row in book[sheet].iter_rows()]
        assert cells == [
            [str(column) for column in table.columns],
            *[["suppressed" if value is SUPPRESSED else value for value in row] for row in table.rows],
        ], table.slug
    one = get(client, supervisor_a, organisation="org-a", format="csv", table="time-to-service", **PERIOD)
    assert list(csv.reader(io.StringIO(one.content.decode())))[0] == [
        "Service type",
        "Referrals started",
        "Median days",
        "90th percentile, days",
    ]


def test_the_pdf_is_a_pdf_holding_the_number_of_active_cases(client, seeded, org_a, supervisor_a):
    report = report_for(supervisor_a, org_a)
    active = by_label(report.table("cases-by-status"))["Total"]["Active"]
    assert isinstance(active, int) and active >= 10
    response = get(client, supervisor_a, organisation="org-a", format="pdf", **PERIOD)
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    assert "Caseload report" in text and "NGO A" in text
    assert re.search(rf"^Total\b.*\b{active}$", text, re.MULTILINE), "the status table's total row"
    assert "Show the report" not in text  # the parameter form is not printed


# --- Suppression -----------------------------------------------------------------------------------------


@pytest.fixture
def small_groups(world, org_a):
    """A caseload with groups under the threshold: 3 cases living in Turkmenistan, 2 of a rare programme,
    2 referrals to a rare service (one started), 3 started referrals to legal aid."""
    seed(world, org_a, 60)
    turkmenistan = CountryFactory(code="TM")
    rare = ProgrammeFactory(name="Rare programme")
    for _ in range(3):
        CaseFactory(
            organisation=org_a, opened_on=START, citizenship=turkmenistan, residence_country=turkmenistan
        )
    for _ in range(2):
        CaseFactory(
            organisation=org_a,
            opened_on=datetime.date(2023, 2, 2),
            programme=rare,
            return_pathway=ReturnPathway.PROGRAMME,
        )
    service = ServiceTypeFactory(name="Rare service")
    case = CaseFactory(organisation=org_a, opened_on=START)
    ReferralFactory(case=case, service_type=service, referred_on=datetime.date(2023, 4, 4))
    ReferralFactory(
        case=case,
        service_type=service,
        status=ReferralStatus.IN_PROGRESS,
        referred_on=datetime.date(2023, 4, 4),
        accepted_on=datetime.date(2023, 4, 4),
        started_on=datetime.date(2023, 4, 24),
    )
    return {"country": turkmenistan, "programme": rare, "service": service}


def hidden_rows_of(table):
    return [row for row in table.body if any(value is SUPPRESSED for value in row[1:])]


def test_counts_under_the_threshold_are_suppressed_in_every_table(
    small_groups, org_a, supervisor_a, settings
):
    k = settings.SUPPRESSION_THRESHOLD
    assert k == 5
    cases = counted_cases(Case.objects.filter(organisation=org_a))
    report = report_for(supervisor_a, org_a)
    for slug, columns in expected_cases(cases).items():
        shown = by_label(report.table(slug))
        for measure, counts in columns.items():
            for label, n in counts.items():
                if n < k:
                    assert shown[label][measure] is SUPPRESSED, (slug, measure, label)
                else:
                    assert shown[label][measure] in (n, SUPPRESSED)
    assert by_label(report.table("cases-by-country"))["Turkmenistan"]["Active"] is SUPPRESSED
    assert by_label(report.table("cases-by-programme"))["Rare programme"]["Opened"] is SUPPRESSED
    referrals = by_label(report.table("referrals-by-service-and-outcome"))
    for (service, outcome), n in expected_referrals(cases).items():
        assert referrals[service][outcome] in ((SUPPRESSED,) if n < k else (n, SUPPRESSED))
    waiting = by_label(report.table("time-to-service"))
    for service, days in expected_waiting(cases).items():
        if len(days) < k:
            assert waiting[service]["Referrals started"] is SUPPRESSED
            assert waiting[service]["Median days"] is SUPPRESSED
            assert waiting[service]["90th percentile, days"] is SUPPRESSED
    assert waiting["Rare service"]["Median days"] is SUPPRESSED
    changes = by_label(report.table("assessment-change"))
    for domain in Assessment.DOMAINS:
        values = expected_changes(cases)[domain.value]
        row = changes[str(domain.label)]
        for heading, n in (
            ("Improved", sum(v > 0 for v in values)),
            ("Unchanged", sum(v == 0 for v in values)),
            ("Worse", sum(v < 0 for v in values)),
            ("Cases compared", len(values)),
        ):
            if 0 < n < k:
                assert row[heading] is SUPPRESSED, (domain, heading)
        if 0 < len(values) < k:
            assert row["Mean change (points)"] is SUPPRESSED


def test_no_total_gives_away_a_suppressed_count(small_groups, org_a, supervisor_a):
    """In every equation a reader has — a column (or row) of cells adding up to its total — there are
    never exactly one hidden entry: with one, the total minus the visible cells would be the hidden one."""
    report = report_for(supervisor_a, org_a)
    hidden_somewhere = False
    for table in report.tables:
        if not table.has_total or table.slug == "time-to-service":
            continue
        columns = range(1, len(table.columns))
        equations = [[row[column] for row in table.rows] for column in columns]  # cells and their total
        if table.slug == "referrals-by-service-and-outcome":
            equations += [row[1:] for row in table.rows]  # each row's cells and its total
        for entries in equations:
            hidden = sum(value is SUPPRESSED for value in entries)
            hidden_somewhere |= bool(hidden)
            assert hidden != 1, (table.slug, entries)
    waiting = report.table("time-to-service")
    assert sum(row[1] is SUPPRESSED for row in waiting.rows) != 1
    for row in report.table("assessment-change").rows:
        assert sum(value is SUPPRESSED for value in row[1:5]) != 1, row
    assert hidden_somewhere


def test_suppressed_counts_never_appear_in_the_page_charts_or_downloads(
    client, small_groups, org_a, supervisor_a
):
    query = {"organisation": "org-a", **PERIOD}
    page = get(client, supervisor_a, **query).content.decode()
    # Tables: Turkmenistan's row holds no number but zero.
    tables = page_tables(page)
    turkmenistan = next(row for row in tables["cases-by-country"] if row[0] == "Turkmenistan")
    assert set(turkmenistan[1:]) <= {"suppressed", "0"}
    # Charts: a suppressed category is not drawn (neither in the SVG nor in its text alternative), every
    # drawn bar is a count the table shows, and the description says how many categories are left out.
    report = report_for(supervisor_a, org_a)
    status, country = report.table("cases-by-status"), report.table("cases-by-country")
    referrals, change = report.table("referrals-by-service-and-outcome"), report.table("assessment-change")
    charts = {
        "chart-active-by-status": [(row[0], row[3]) for row in status.body],
        "chart-active-by-country": [(row[0], row[3]) for row in country.body],
        "chart-referrals-by-outcome": list(zip(referrals.columns[1:-1], referrals.total[1:-1], strict=True)),
        "chart-assessment-improved": [(row[0], row[1]) for row in change.rows],
    }
    assert any(value is SUPPRESSED for _label, value in charts["chart-active-by-country"])
    for chart_id, bars in charts.items():
        figure = re.search(rf'<figure class="chart" id="{chart_id}">.*?</figure>', page, re.S).group(0)
        hidden = sum(value is SUPPRESSED for _label, value in bars)
        if hidden:
            sentence = f"{hidden} categories are suppressed" if hidden > 1 else "1 category is suppressed"
        else:
            sentence = "No category is suppressed"
        assert sentence in figure, chart_id
        for label, value in bars:
            if value is SUPPRESSED:
                assert f">{label}<" not in figure and f"{label}:" not in figure, (chart_id, label)
            else:
                assert f"{label}: {value}" in figure, (chart_id, label)
    assert "Turkmenistan" not in re.search(r'id="chart-active-by-country">.*?</figure>', page, re.S).group(0)
    # CSV and XLSX: the rare groups read "suppressed".
    content = get(client, supervisor_a, format="csv", **query).content.decode()
    rows = [
        row
        for row in csv.reader(io.StringIO(content))
        if row and row[0] in ("Turkmenistan", "Rare programme", "Rare service")
    ]
    assert rows and all(set(row[1:]) <= {"suppressed", "0"} for row in rows)
    book = load_workbook(io.BytesIO(get(client, supervisor_a, format="xlsx", **query).content))
    xlsx_rows = [
        [cell.value for cell in row]
        for sheet in book.worksheets[1:]
        for row in sheet.iter_rows()
        if row[0].value in ("Turkmenistan", "Rare programme", "Rare service")
    ]
    assert xlsx_rows and all(set(row[1:]) <= {"suppressed", 0} for row in xlsx_rows)
    # PDF: the same rows, printed.
    text = pdf_text(get(client, supervisor_a, format="pdf", **query).content)
    lines = [
        line
        for line in text.splitlines()
        if line.startswith(("Turkmenistan", "Rare programme", "Rare service"))
    ]
    assert lines
    assert "suppressed and not drawn" in text  # printed charts say what they leave out
    for line in lines:
        # A long row may wrap ("suppress" / "ed"), but the only number it may hold is a zero.
        assert set(re.findall(r"\d+", line)) <= {"0"}, line


# --- Queries ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [10, 40])
def test_the_number_of_queries_does_not_grow_with_the_caseload(
    client, world, org_a, supervisor_a, django_assert_max_num_queries, n
):
    """Session and user, the parameters, one query for the five case tables, one for the referral tables, one
    for the assessments, the audit row and the form's choices: the same count for 10 cases or 40."""
    seed(world, org_a, n)
    client.force_login(supervisor_a)
    with django_assert_max_num_queries(9):
        response = client.get(URL, {"organisation": "org-a", **PERIOD})
    assert response.status_code == 200

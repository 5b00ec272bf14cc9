"""The caseload report's counting (casework/reports/caseload_queries.py) at its edges: one query per group of
tables whatever the caseload, rows with no value kept apart from the totals, the latest of two
assessments on one day, services not started yet, and a report that may count nothing. The numbers
against plain queries on seeded data are in test_report_caseload.py; both files run on SQLite and
PostgreSQL, whose queries differ (GROUPING SETS and percentile_cont on PostgreSQL only)."""

import datetime

import pytest

from casework.choices import CaseStatus, ClosureReason, ReferralOutcome, ReferralStatus
from casework.models import Case
from casework.reports import caseload_queries as queries
from casework.reports.caseload import build_report
from tests.factories import (
    AssessmentFactory,
    CaseFactory,
    CountryFactory,
    ProgrammeFactory,
    ReferralFactory,
    ServiceTypeFactory,
)

START = datetime.date(2023, 1, 1)
END = datetime.date(2023, 12, 31)
PERIOD = queries.Period(START, END)


@pytest.fixture(autouse=True)
def no_suppression(settings):
    """k = 1: nothing is hidden, so each count can be read back as it is."""
    settings.SUPPRESSION_THRESHOLD = 1


def rows(table) -> dict[str, dict[str, object]]:
    """{row label: {column heading: value}} of a ReportTable."""
    return {str(row[0]): dict(zip(table.columns[1:], row[1:], strict=True)) for row in table.rows}


def report(user, organisation):
    return build_report(user, organisation, PERIOD)


def test_cases_without_a_programme_are_a_row_of_their_own_and_in_every_other_table(org_a, supervisor_a):
    """The five tables come from one grouped query, where a case with no programme has an empty value
    like the rows that total another table: each must still land in its own table, once."""
    zhusan = ProgrammeFactory(name="Operation Zhusan")
    kazakhstan = CountryFactory(code="KZ")
    for programme in (zhusan, None, None):
        CaseFactory(organisation=org_a, opened_on=START, programme=programme, citizenship=kazakhstan)
    result = report(supervisor_a, org_a)
    programmes = rows(result.table("cases-by-programme"))
    assert programmes["Operation Zhusan"]["Opened"] == 1
    assert programmes["No programme (independent return or another pathway)"]["Opened"] == 2
    for slug in (
        "cases-by-status",
        "cases-by-sex",
        "cases-by-age-band",
        "cases-by-country",
        "cases-by-programme",
    ):
        assert rows(result.table(slug))["Total"]["Opened"] == 3, slug
    assert rows(result.table("cases-by-country"))["Kazakhstan"]["Active"] == 3


def test_the_later_recorded_of_two_assessments_on_one_day_is_the_latest(org_a, supervisor_a):
    case = CaseFactory(organisation=org_a, opened_on=START)
    AssessmentFactory(case=case, assessed_on=datetime.date(2023, 2, 1), psychosocial=2, health=4)
    AssessmentFactory(case=case, assessed_on=datetime.date(2023, 6, 1), psychosocial=1, health=1)
    AssessmentFactory(case=case, assessed_on=datetime.date(2023, 6, 1), psychosocial=5, health=4)
    # Assessed once up to the end of the period, and again after it: nothing to compare yet.
    once = CaseFactory(organisation=org_a, opened_on=START)
    AssessmentFactory(case=once, assessed_on=datetime.date(2023, 3, 1), psychosocial=1)
    AssessmentFactory(case=once, assessed_on=END + datetime.timedelta(days=1), psychosocial=5)
    changes = rows(report(supervisor_a, org_a).table("assessment-change"))
    psychosocial = changes["Psychosocial wellbeing"]
    assert (psychosocial["Improved"], psychosocial["Worse"], psychosocial["Cases compared"]) == (1, 0, 1)
    assert psychosocial["Mean change (points)"] == 3.0
    assert (changes["Health"]["Unchanged"], changes["Health"]["Cases compared"]) == (1, 1)


def test_a_service_not_started_yet_is_counted_but_has_no_waiting_time(org_a, supervisor_a):
    legal_aid = ServiceTypeFactory(name="Legal aid")
    schooling = ServiceTypeFactory(name="Schooling")
    case = CaseFactory(organisation=org_a, opened_on=START)
    referred_on = datetime.date(2023, 3, 1)
    for _ in range(2):
        ReferralFactory(
            case=case, service_type=legal_aid, status=ReferralStatus.REFERRED, referred_on=referred_on
        )
    for days in (4, 10):
        ReferralFactory(
            case=case,
            service_type=schooling,
            status=ReferralStatus.COMPLETED,
            referred_on=referred_on,
            accepted_on=referred_on,
            started_on=referred_on + datetime.timedelta(days=days),
            ended_on=referred_on + datetime.timedelta(days=40),
            outcome=ReferralOutcome.GOALS_MET,
        )
    result = report(supervisor_a, org_a)
    referrals = rows(result.table("referrals-by-service-and-outcome"))
    assert referrals["Legal aid"]["No outcome yet"] == 2
    assert referrals["Schooling"]["Goals met"] == 2
    assert referrals["Total"]["Total"] == 4
    waiting = rows(result.table("time-to-service"))
    assert "Legal aid" not in waiting
    assert waiting["Schooling"] == {"Referrals started": 2, "Median days": 7.0, "90th percentile, days": 9.4}
    assert waiting["All services"] == waiting["Schooling"]


def test_a_report_that_may_count_nothing_runs_no_counting_query(
    org_a, org_b, supervisor_a, django_assert_max_num_queries
):
    """Another organisation's cases are never counted (the page answers 400 before getting here); the
    counting functions take the access module's empty queryset without running a query."""
    case = CaseFactory(organisation=org_b, opened_on=START)
    ReferralFactory(case=case, referred_on=datetime.date(2023, 3, 1))
    AssessmentFactory.create_batch(2, case=case, assessed_on=datetime.date(2023, 3, 1))
    with django_assert_max_num_queries(1):  # whether org_b is one supervisor_a may report on
        result = report(supervisor_a, org_b)
    assert rows(result.table("cases-by-status"))["Total"] == {"Opened": 0, "Closed": 0, "Active": 0}
    assert rows(result.table("referrals-by-service-and-outcome"))["Total"]["Total"] == 0
    assert rows(result.table("time-to-service"))["All services"]["Median days"] is None
    assert rows(result.table("assessment-change"))["Health"]["Cases compared"] == 0


@pytest.mark.parametrize("n", [5, 25])
def test_each_group_of_tables_is_one_query_whatever_the_caseload(org_a, django_assert_max_num_queries, n):
    services = ServiceTypeFactory.create_batch(3)
    for index in range(n):
        closed = index % 4 == 0
        case = CaseFactory(
            organisation=org_a,
            opened_on=START + datetime.timedelta(days=index),
            status=CaseStatus.CLOSED if closed else CaseStatus.ACTIVE,
            closed_on=END if closed else None,
            closure_reason=ClosureReason.MOVED if closed else "",
            programme=ProgrammeFactory() if index % 3 else None,
        )
        referred_on = START + datetime.timedelta(days=index)
        ReferralFactory(case=case, service_type=services[index % 3], referred_on=referred_on)
        ReferralFactory(
            case=case,
            service_type=services[(index + 1) % 3],
            status=ReferralStatus.IN_PROGRESS,
            referred_on=referred_on,
            accepted_on=referred_on,
            started_on=referred_on + datetime.timedelta(days=index % 7),
        )
        AssessmentFactory.create_batch(2, case=case, assessed_on=referred_on)
    cases = Case.objects.filter(organisation=org_a)
    with django_assert_max_num_queries(1):
        counts = queries.case_counts(cases, PERIOD)
    with django_assert_max_num_queries(1):
        referrals = queries.referral_counts(queries.referrals_made(cases, PERIOD))
    with django_assert_max_num_queries(1):
        changes = queries.assessment_change(cases, PERIOD)
    assert sum(row["opened"] for row in counts["programme"].rows) == n
    assert sum(cell["count"] for cell in referrals.cells) == 2 * n
    assert referrals.overall.n == n
    assert changes["health"].n == n

"""The dashboard at `/`: each role sees its own caseload, what needs action, and nothing of others."""

import datetime
import re
import xml.etree.ElementTree as ET

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casework import dashboard
from casework.choices import CaseStatus, ReferralOutcome, ReferralStatus, Role
from casework.models import AuditEvent, ClosureRequest
from tests.factories import (
    AssessmentFactory,
    CaseFactory,
    CaseNoteFactory,
    ClosureRequestFactory,
    ReferralFactory,
    UserFactory,
)

HOME = reverse("casework:home")
TODAY = timezone.localdate()


def days_ago(days: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days)


def page(client, user) -> str:
    client.force_login(user)
    response = client.get(HOME)
    assert response.status_code == 200
    return response.content.decode()


def returned(case, supervisor, **kwargs):
    return ClosureRequestFactory(
        case=case,
        decision=ClosureRequest.Decision.RETURNED,
        decided_by=supervisor,
        decided_at=timezone.now(),
        decision_note="Not yet: the housing plan is still open.",
        **kwargs,
    )


def status_counts(user) -> dict[str, int]:
    return {item.status: item.count for item in dashboard.cases_by_status(user)}


@pytest.fixture
def caseload(org_a, org_b, caseworker_a, colleague_a, caseworker_b):
    """Alice: two active cases and one in intake; Carol: three active; org B's Bob: two active."""
    return {
        "alice": [
            CaseFactory(organisation=org_a, assigned_to=caseworker_a),
            CaseFactory(organisation=org_a, assigned_to=caseworker_a),
            CaseFactory(organisation=org_a, assigned_to=caseworker_a, status=CaseStatus.INTAKE),
        ],
        "carol": [CaseFactory(organisation=org_a, assigned_to=colleague_a) for _ in range(3)],
        "bob": [CaseFactory(organisation=org_b, assigned_to=caseworker_b) for _ in range(2)],
    }


# --- Counts per role -------------------------------------------------------------------------------------


def test_caseworker_counts_only_their_own_cases(caseload, caseworker_a):
    counts = status_counts(caseworker_a)
    assert counts[CaseStatus.ACTIVE] == 2 and counts[CaseStatus.INTAKE] == 1
    assert counts[CaseStatus.CLOSED] == 0


def test_caseworker_dashboard_names_no_colleague_or_other_organisation_case(client, caseload, caseworker_a):
    for case in caseload["alice"]:
        ReferralFactory(case=case, referred_on=days_ago(40))
    for case in caseload["carol"] + caseload["bob"]:
        ReferralFactory(case=case, referred_on=days_ago(40))
        CaseNoteFactory(case=case)
    html = page(client, caseworker_a)
    assert "Signed in as alice" in html
    assert "3 open cases" in html
    for case in caseload["alice"]:
        assert case.reference in html
    for case in caseload["carol"] + caseload["bob"]:
        assert case.reference not in html


def test_status_counts_link_to_the_filtered_list(client, caseload, caseworker_a):
    html = page(client, caseworker_a)
    assert f'href="{reverse("casework:case-list")}?status=active"' in html
    assert f'href="{reverse("casework:case-list")}?status=open"' in html


def test_supervisor_sees_the_whole_organisation_and_nothing_of_another(client, caseload, supervisor_a):
    counts = status_counts(supervisor_a)
    assert counts[CaseStatus.ACTIVE] == 5 and counts[CaseStatus.INTAKE] == 1
    for case in caseload["bob"]:
        ReferralFactory(case=case, referred_on=days_ago(40))
        CaseFactory(organisation=case.organisation, assigned_to=None)
        ClosureRequestFactory(case=case)
    html = page(client, supervisor_a)
    assert "Cases of your organisation" in html and "6 open cases" in html
    for case in caseload["bob"]:
        assert case.reference not in html
    assert "Unassigned cases" in html and "Closure requests to decide" in html


def test_supervisor_sees_unassigned_cases_and_pending_closure_requests(client, org_a, caseload, supervisor_a):
    unassigned = CaseFactory(organisation=org_a, assigned_to=None)
    closed_unassigned = CaseFactory(
        organisation=org_a, assigned_to=None, status=CaseStatus.CLOSED, closed_on=days_ago(1)
    )
    pending = ClosureRequestFactory(case=caseload["carol"][0])
    decided = returned(caseload["carol"][1], supervisor_a)
    board = dashboard.build(supervisor_a)
    assert [case.pk for case in board.unassigned.items] == [unassigned.pk]
    assert [request.pk for request in board.pending.items] == [pending.pk]
    html = page(client, supervisor_a)
    assert unassigned.reference in html and closed_unassigned.reference not in html
    assert pending.case.reference in html
    assert decided.case.reference in html  # under "returned", for the supervisor too
    assert "?status=open&amp;caseworker=null" in html


def test_caseworker_dashboard_has_no_supervisor_lists(client, caseload, caseworker_a):
    board = dashboard.build(caseworker_a)
    assert board.unassigned is None and board.pending is None
    html = page(client, caseworker_a)
    assert "Unassigned cases" not in html and "Closure requests to decide" not in html


def test_organisation_administrator_gets_an_overview_in_counts_only(client, caseload, orgadmin_a):
    CaseNoteFactory(case=caseload["alice"][0])
    board = dashboard.build(orgadmin_a)
    assert board.kind == "overview"
    assert status_counts(orgadmin_a)[CaseStatus.ACTIVE] == 5
    html = page(client, orgadmin_a)
    assert "Caseload" in html and "6 open cases" in html
    assert "Needs action" not in html and "Recent activity" not in html
    for cases in caseload.values():
        for case in cases:
            assert case.reference not in html


@pytest.mark.parametrize("who", ["analyst", "auditor"])
def test_analysts_and_auditors_are_pointed_elsewhere_and_see_no_case(client, request, caseload, who):
    user = request.getfixturevalue(who)
    html = page(client, user)
    assert "Where to go" in html and "/policies/" in html
    assert "open cases" not in html and "<svg" not in html
    assert reverse("casework:case-list") not in html
    for cases in caseload.values():
        for case in cases:
            assert case.reference not in html


def test_auditor_is_pointed_to_the_audit_trail(client, auditor):
    assert reverse("admin:casework_auditevent_changelist") in page(client, auditor)


def test_navigation_offers_cases_only_to_those_with_case_pages(client, caseworker_a, analyst):
    assert f'href="{reverse("casework:case-list")}"' in page(client, caseworker_a)
    client.logout()
    html = page(client, analyst)
    assert f'href="{reverse("casework:case-list")}"' not in html and 'href="/policies/"' in html


# --- What needs action, and its thresholds ----------------------------------------------------------------


def test_referral_waiting_longer_than_the_threshold_needs_action(caseload, caseworker_a, settings):
    settings.CASEWORK_REFERRAL_WAITING_DAYS = 21
    case = caseload["alice"][0]
    waiting = ReferralFactory(case=case, referred_on=days_ago(22))
    ReferralFactory(case=case, referred_on=days_ago(21))  # exactly the threshold: not yet
    ReferralFactory(
        case=case, referred_on=days_ago(60), status=ReferralStatus.ACCEPTED, accepted_on=days_ago(50)
    )
    assert list(dashboard.waiting_referrals(caseworker_a)) == [waiting]


def test_waiting_threshold_is_a_setting(caseload, caseworker_a, settings):
    ReferralFactory(case=caseload["alice"][0], referred_on=days_ago(30))
    settings.CASEWORK_REFERRAL_WAITING_DAYS = 45
    assert dashboard.waiting_referrals(caseworker_a).count() == 0
    settings.CASEWORK_REFERRAL_WAITING_DAYS = 14
    assert dashboard.waiting_referrals(caseworker_a).count() == 1


def test_referral_on_a_closed_case_does_not_need_action(org_a, caseworker_a):
    closed = CaseFactory(
        organisation=org_a, assigned_to=caseworker_a, status=CaseStatus.CLOSED, closed_on=days_ago(2)
    )
    ReferralFactory(case=closed, referred_on=days_ago(90))
    assert dashboard.waiting_referrals(caseworker_a).count() == 0


def test_assessments_overdue(org_a, caseworker_a, settings):
    settings.CASEWORK_ASSESSMENT_OVERDUE_DAYS = 90

    def case(opened: int, assessed: list[int] = (), **kwargs):
        made = CaseFactory(organisation=org_a, assigned_to=caseworker_a, opened_on=days_ago(opened), **kwargs)
        for days in assessed:
            AssessmentFactory(case=made, assessed_on=days_ago(days))
        return made

    never_assessed = case(200)
    assessed_long_ago = case(300, [250, 100])
    case(300, [250, 10])  # recently assessed
    case(30)  # new, not yet due
    case(90)  # opened exactly at the cutoff: due from tomorrow
    case(300, [90])  # assessed exactly at the cutoff: due from tomorrow
    case(200, status=CaseStatus.CLOSED, closed_on=days_ago(1))  # closed
    overdue = list(dashboard.overdue_assessments(caseworker_a))
    assert overdue == [never_assessed, assessed_long_ago]  # never assessed first
    assert overdue[1].last_assessed_on == days_ago(100)

    settings.CASEWORK_ASSESSMENT_OVERDUE_DAYS = 120
    assert list(dashboard.overdue_assessments(caseworker_a)) == [never_assessed]


def test_returned_closure_requests_on_open_cases_need_action(caseload, caseworker_a, supervisor_a):
    first, second, third = caseload["alice"]
    returned(first, supervisor_a)
    returned(second, supervisor_a)
    ClosureRequestFactory(case=second)  # asked again since: now pending, no longer "returned"
    ClosureRequestFactory(case=third)
    returned(caseload["carol"][0], supervisor_a)  # a colleague's
    assert list(dashboard.returned_closures(caseworker_a)) == [first]


def test_counts_beside_cut_lists(caseworker_a, org_a):
    for _ in range(dashboard.LIST_LIMIT + 2):
        CaseFactory(organisation=org_a, assigned_to=caseworker_a, opened_on=days_ago(400))
    board = dashboard.build(caseworker_a)
    assert (
        len(board.overdue.items) == dashboard.LIST_LIMIT and board.overdue.total == dashboard.LIST_LIMIT + 2
    )


# --- Recent activity --------------------------------------------------------------------------------------


def test_recent_activity_never_shows_a_restricted_note_the_user_may_not_read(
    client, caseload, caseworker_a, supervisor_a
):
    case = caseload["alice"][0]
    CaseNoteFactory(case=case, author=caseworker_a, text="Routine visit.")
    CaseNoteFactory(case=case, author=supervisor_a, restricted=True, text="Sensitive matter.")
    ReferralFactory(case=case)

    alices = dashboard.recent_activity(caseworker_a)
    assert [item.kind for item in alices].count("note") == 1
    assert not any(item.restricted for item in alices)
    sams = dashboard.recent_activity(supervisor_a)
    assert [item.restricted for item in sams if item.kind == "note"].count(True) == 1

    html = page(client, caseworker_a)
    assert "Routine visit." not in html and "Sensitive matter." not in html  # no note text at all
    assert "restricted" not in html


def test_recent_activity_is_newest_first_and_cut_to_ten(caseload, caseworker_a):
    case = caseload["alice"][0]
    for _ in range(8):
        CaseNoteFactory(case=case)
        ReferralFactory(case=case)
    recent = dashboard.recent_activity(caseworker_a)
    assert len(recent) == dashboard.RECENT_LIMIT
    assert [item.at for item in recent] == sorted((item.at for item in recent), reverse=True)


# --- Charts and audit ------------------------------------------------------------------------------------


def test_dashboard_charts_are_svg_with_text_alternatives(client, caseload, caseworker_a):
    ReferralFactory(
        case=caseload["alice"][0],
        status=ReferralStatus.COMPLETED,
        accepted_on=days_ago(20),
        started_on=days_ago(15),
        ended_on=days_ago(1),
        outcome=ReferralOutcome.GOALS_MET,
    )
    html = page(client, caseworker_a)
    svgs = re.findall(r"<svg\b.*?</svg>", html, re.DOTALL)
    assert len(svgs) == 3
    descriptions = []
    for svg in svgs:
        root = ET.fromstring(svg)  # noqa: S314 - our own markup
        descriptions.append(root.find("{http://www.w3.org/2000/svg}desc").text)
    assert "Active: 2" in descriptions[0] and "Intake: 1" in descriptions[0]
    assert "Completed: 1" in descriptions[1]
    assert "Goals met: 1" in descriptions[2]
    assert html.count("Show the figures as a table") == 3


def test_casework_dashboard_is_one_audit_event(client, caseload, caseworker_a):
    client.force_login(caseworker_a)
    before = AuditEvent.objects.filter(action="view").count()
    client.get(HOME)
    events = AuditEvent.objects.filter(action="view").order_by("-pk")
    assert events.count() == before + 1
    assert events[0].details == {"page": "dashboard", "references_shown": 3}
    assert events[0].actor == caseworker_a


def test_dashboard_requires_signing_in(client, db):
    response = client.get(HOME)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# --- Bounded queries -------------------------------------------------------------------------------------


def _populate(org, caseworker, supervisor, n: int) -> None:
    for index in range(n):
        case = CaseFactory(
            organisation=org,
            assigned_to=caseworker if index % 3 else None,
            opened_on=days_ago(300),
            status=CaseStatus.ACTIVE,
        )
        ReferralFactory(case=case, referred_on=days_ago(40))
        CaseNoteFactory(case=case, author=supervisor, restricted=index % 2 == 0)
        if index % 4 == 0:
            AssessmentFactory(case=case, assessed_on=days_ago(200))
        if index % 5 == 0:
            returned(case, supervisor, requested_by=supervisor)
        elif index % 5 == 1:
            ClosureRequestFactory(case=case, requested_by=supervisor)


def _queries(client, user) -> int:
    cache.clear()  # the organisation's chart figures are cached between loads; count a first load
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(HOME).status_code == 200
    return len(captured)


@pytest.mark.parametrize("who", ["supervisor_a", "caseworker_a", "orgadmin_a"])
def test_dashboard_queries_do_not_grow_with_the_caseload(
    client, request, org_a, caseworker_a, supervisor_a, who
):
    user = request.getfixturevalue(who)
    _populate(org_a, caseworker_a, supervisor_a, 10)
    with_ten = _queries(client, user)
    _populate(org_a, caseworker_a, supervisor_a, 20)
    with_thirty = _queries(client, user)
    assert with_ten == with_thirty
    assert with_thirty <= 25


# --- Cached organisation-wide figures --------------------------------------------------------------------


def test_supervisors_referral_chart_is_counted_once_then_reused_for_a_while(client, caseload, supervisor_a):
    ReferralFactory(case=caseload["alice"][0], status=ReferralStatus.REFERRED)
    first = _queries(client, supervisor_a)
    client.force_login(supervisor_a)
    with CaptureQueriesContext(connection) as captured:
        html = client.get(HOME).content.decode()
    assert len(captured) == first - 1
    assert "counted at most 2 minutes ago" in html
    # A referral added in the meantime shows once the figures expire, not before.
    ReferralFactory(case=caseload["carol"][0], status=ReferralStatus.REFERRED)
    by_status, _ = dashboard.referrals_by_status_and_outcome(supervisor_a)
    assert dict(by_status)[str(ReferralStatus.REFERRED.label)] == 1
    cache.clear()
    by_status, _ = dashboard.referrals_by_status_and_outcome(supervisor_a)
    assert dict(by_status)[str(ReferralStatus.REFERRED.label)] == 2


def test_cached_figures_are_per_organisation(caseload, org_b, supervisor_a):
    supervisor_b = UserFactory(organisation=org_b, role=Role.SUPERVISOR)
    ReferralFactory(case=caseload["alice"][0], status=ReferralStatus.REFERRED)
    ReferralFactory(case=caseload["bob"][0], status=ReferralStatus.ACCEPTED)
    ReferralFactory(case=caseload["bob"][1], status=ReferralStatus.ACCEPTED)
    mine = dict(dashboard.referrals_by_status_and_outcome(supervisor_a)[0])
    theirs = dict(dashboard.referrals_by_status_and_outcome(supervisor_b)[0])
    assert mine[str(ReferralStatus.REFERRED.label)] == 1 and mine[str(ReferralStatus.ACCEPTED.label)] == 0
    assert theirs[str(ReferralStatus.REFERRED.label)] == 0 and theirs[str(ReferralStatus.ACCEPTED.label)] == 2


def test_caseworkers_figures_are_always_current_and_their_own(client, caseload, caseworker_a, supervisor_a):
    dashboard.referrals_by_status_and_outcome(supervisor_a)  # the organisation's figures are cached
    ReferralFactory(case=caseload["alice"][0], status=ReferralStatus.REFERRED)
    ReferralFactory(case=caseload["carol"][0], status=ReferralStatus.REFERRED)
    by_status, _ = dashboard.referrals_by_status_and_outcome(caseworker_a)
    assert dict(by_status)[str(ReferralStatus.REFERRED.label)] == 1
    assert "counted at most" not in page(client, caseworker_a)


def test_caching_can_be_turned_off(caseload, supervisor_a, settings):
    settings.CASEWORK_DASHBOARD_CACHE_SECONDS = 0
    dashboard.referrals_by_status_and_outcome(supervisor_a)
    ReferralFactory(case=caseload["alice"][0], status=ReferralStatus.REFERRED)
    by_status, _ = dashboard.referrals_by_status_and_outcome(supervisor_a)
    assert dict(by_status)[str(ReferralStatus.REFERRED.label)] == 1

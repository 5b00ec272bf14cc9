"""The case page, /cases/<reference>/: who reads it, what it shows, and in how many queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casework import choices
from casework.audit import Action
from casework.models import AuditEvent, ClosureRequest
from tests.factories import (
    AssessmentFactory,
    CaseFactory,
    CaseNoteFactory,
    ClosureRequestFactory,
    HouseholdFactory,
    LegalProceedingFactory,
    ReferralFactory,
    ServiceProviderFactory,
    ServiceTypeFactory,
)

RS = choices.ReferralStatus


def url(case, **params):
    address = reverse("casework:case-detail", kwargs={"reference": case.reference})
    if params:
        address += "?" + "&".join(f"{key}={value}" for key, value in params.items())
    return address


def days_ago(days):
    return timezone.localdate() - datetime.timedelta(days=days)


@pytest.fixture
def case(caseworker_a):
    return CaseFactory(organisation=caseworker_a.organisation, assigned_to=caseworker_a)


def page_of(client, user, case, **params):
    client.force_login(user)
    response = client.get(url(case, **params))
    assert response.status_code == 200
    return response.content.decode()


# --- Who reads it ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["caseworker_a", "supervisor_a", "orgadmin_a", "superuser"])
def test_caseworker_supervisor_organisation_administrator_and_system_administrator_read_the_page(
    client, request, case, who
):
    page = page_of(client, request.getfixturevalue(who), case)
    assert case.reference in page
    assert "Overview" in page and "Timeline" in page and "Referrals" in page


@pytest.mark.parametrize("who", ["colleague_a", "caseworker_b", "analyst", "auditor"])
def test_who_may_not_see_the_case_gets_404_without_the_reference(client, request, case, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    response = client.get(url(case))
    assert response.status_code == 404
    assert case.reference not in response.content.decode()
    [refused] = AuditEvent.objects.filter(action=Action.NOT_FOUND)
    assert (refused.actor, refused.case_reference, refused.details["page"]) == (user, case.reference, "case")


def test_unknown_reference_gets_the_same_404(client, supervisor_a):
    client.force_login(supervisor_a)
    response = client.get(reverse("casework:case-detail", kwargs={"reference": "AAAA-2222"}))
    assert response.status_code == 404
    assert "AAAA-2222" not in response.content.decode()


def test_anonymous_visitor_is_sent_to_sign_in(client, case):
    response = client.get(url(case))
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert not AuditEvent.objects.filter(action=Action.VIEW).exists()


def test_reading_the_page_writes_one_view_event(client, supervisor_a, case):
    client.force_login(supervisor_a)
    client.get(url(case), REMOTE_ADDR="192.0.2.7")
    [view] = AuditEvent.objects.filter(action=Action.VIEW)
    assert (view.actor, view.case_reference, view.object_type, view.ip_address, view.details) == (
        supervisor_a,
        case.reference,
        "case",
        "192.0.2.7",
        {"page": "case"},
    )


# --- What each role is offered ----------------------------------------------------------------------------


def test_caseworker_gets_the_note_form_the_other_quick_add_links_and_the_edit_link_but_not_the_history(
    client, caseworker_a, case
):
    ReferralFactory(case=case, status=RS.REFERRED)
    page = page_of(client, caseworker_a, case)
    reference = case.reference
    assert f'action="/cases/{reference}/notes/new/"' in page
    for action in ("referrals", "assessments", "proceedings"):
        # The longer forms are on their own pages, drawn only when opened.
        assert f'href="/cases/{reference}/{action}/new/"' in page
        assert f'action="/cases/{reference}/{action}/new/"' not in page
    assert f'href="/cases/{reference}/edit/"' in page
    assert f"/cases/{reference}/history/" not in page
    assert "Mark as “Accepted” today" in page


def test_supervisor_also_gets_the_history_link(client, supervisor_a, case):
    page = page_of(client, supervisor_a, case)
    assert f'href="/cases/{case.reference}/history/"' in page
    assert f'action="/cases/{case.reference}/notes/new/"' in page


def test_organisation_administrator_reads_but_gets_no_forms_and_no_edit_link(client, orgadmin_a, case):
    ReferralFactory(case=case, status=RS.REFERRED)
    page = page_of(client, orgadmin_a, case)
    assert "/new/" not in page
    assert "/advance/" not in page
    assert f"/cases/{case.reference}/edit/" not in page
    assert "csrfmiddlewaretoken" not in page.split('id="timeline"')[1]


def test_caseworker_of_a_closed_case_gets_no_forms(client, caseworker_a, case):
    case.status = choices.CaseStatus.CLOSED
    case.closed_on = days_ago(1)
    case.closure_reason = choices.ClosureReason.REINTEGRATED
    case.save()
    page = page_of(client, caseworker_a, case)
    assert "/notes/new/" not in page
    assert "closed on" in page


def test_workflow_panel_is_included_for_those_it_concerns(client, supervisor_a, case):
    page = page_of(client, supervisor_a, case)
    assert 'id="h-workflow"' in page


# --- What it shows --------------------------------------------------------------------------------------


def test_overview_shows_the_profile_in_bands_and_regions(client, caseworker_a, case):
    case.vulnerabilities = [choices.Vulnerability.TRAUMA]
    case.drivers = [choices.Driver.FAMILY_TIES]
    case.save()
    page = page_of(client, caseworker_a, case)
    assert "25–34" in page and "Female" in page and "Kazakhstan" in page
    assert "2019-05" in page  # the month of return, never a day
    assert "Trauma" in page and "Family ties" in page
    assert "Independent return" in page


def test_timeline_lists_notes_and_events_newest_first(client, caseworker_a, case):
    CaseNoteFactory(case=case, contact_on=days_ago(20), text="Older visit, all fine.")
    CaseNoteFactory(case=case, contact_on=days_ago(2), text="Newer visit, school started.")
    ReferralFactory(case=case, referred_on=days_ago(10))
    AssessmentFactory(case=case, assessed_on=days_ago(5))
    LegalProceedingFactory(case=case, started_on=days_ago(15))
    ClosureRequestFactory(case=case)
    page = page_of(client, caseworker_a, case).split('id="timeline"')[1].split('id="referrals"')[0]
    order = [
        "Closure requested",
        "Newer visit",
        "Assessment: 9 of 9",
        "Referred to Service",
        "Legal proceeding under",
        "Older visit",
    ]
    positions = [page.index(text) for text in order]
    assert positions == sorted(positions)


def test_long_timeline_is_capped_with_a_link_to_show_more(client, caseworker_a, case):
    for day in range(30):
        CaseNoteFactory(case=case, contact_on=days_ago(day + 1), text=f"Visit number {day} went well.")
    page = page_of(client, caseworker_a, case)
    assert page.count('class="timeline-note"') == 25
    assert "?timeline=50#timeline" in page
    more = page_of(client, caseworker_a, case, timeline=50)
    assert more.count('class="timeline-note"') == 30
    assert "Show older entries" not in more


@pytest.mark.parametrize("value", ["abc", "-5", "999999"])
def test_odd_timeline_parameters_are_bounded(client, caseworker_a, case, value):
    page_of(client, caseworker_a, case, timeline=value)


def test_restricted_note_is_shown_to_its_author_and_supervisors_only(
    client, case, caseworker_a, colleague_a, supervisor_a, orgadmin_a, superuser
):
    case.created_by = colleague_a  # so the colleague sees the case too
    case.save()
    CaseNoteFactory(
        case=case, author=caseworker_a, restricted=True, text="Private: disclosed a family conflict."
    )
    CaseNoteFactory(case=case, author=caseworker_a, text="Open note: attended the workshop.")
    for reader in (caseworker_a, supervisor_a):
        page = page_of(client, reader, case)
        assert "Private: disclosed" in page and "Restricted" in page
    for reader in (colleague_a, orgadmin_a, superuser):
        page = page_of(client, reader, case)
        assert "Private: disclosed" not in page
        assert "Open note" in page


def test_referrals_show_status_dates_and_the_next_step(client, caseworker_a, case):
    service = ServiceTypeFactory(name="Legal aid")
    provider = ServiceProviderFactory(name="Bar association", service_types=[service])
    open_one = ReferralFactory(case=case, service_type=service, provider=provider, referred_on=days_ago(9))
    ReferralFactory(
        case=case,
        status=RS.DECLINED,
        referred_on=days_ago(30),
        ended_on=days_ago(20),
        outcome=choices.ReferralOutcome.NOT_APPLICABLE,
    )
    page = page_of(client, caseworker_a, case)
    assert "Legal aid" in page and "Bar association" in page
    assert days_ago(9).isoformat() in page
    assert f'action="/cases/{case.reference}/referrals/{open_one.pk}/advance/"' in page
    assert '<option value="declined">Declined</option>' in page
    # Open referrals come before ended ones.
    assert page.index(f'id="referral-{open_one.pk}"') < page.index("Not applicable")


def test_assessments_are_drawn_as_a_chart_with_the_figures_in_words_and_a_table(client, caseworker_a, case):
    AssessmentFactory(case=case, assessed_on=days_ago(100), livelihood=1)
    AssessmentFactory(case=case, assessed_on=days_ago(10), livelihood=3)
    page = page_of(client, caseworker_a, case)
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page and 'role="img"' in page
    assert "<polyline" in page
    assert f"Livelihood: 1 ({days_ago(100).isoformat()}), 3 ({days_ago(10).isoformat()})" in page
    assert "Show the figures as a table" in page
    assert "2 assessments" in page


def test_proceedings_link_to_their_framework_and_provision(client, caseworker_a, case):
    proceeding = LegalProceedingFactory(case=case, outcome="Released on probation.")
    page = page_of(client, caseworker_a, case)
    assert f'href="/policies/frameworks/{proceeding.framework_id}/"' in page
    assert (
        f'href="/policies/frameworks/{proceeding.framework_id}/#provision-{proceeding.provision_id}"' in page
    )
    assert "Investigation" in page and "Released on probation." in page


def test_household_links_only_the_members_the_user_may_see(
    client, case, caseworker_a, supervisor_a, colleague_a
):
    household = HouseholdFactory(organisation=case.organisation)
    case.household = household
    case.household_role = choices.HouseholdRole.MOTHER
    case.save()
    own_child = CaseFactory(
        organisation=case.organisation,
        assigned_to=caseworker_a,
        household=household,
        household_role=choices.HouseholdRole.CHILD,
        age_band=choices.AgeBand.AGE_5_11,
    )
    colleagues_child = CaseFactory(
        organisation=case.organisation,
        assigned_to=colleague_a,
        household=household,
        household_role=choices.HouseholdRole.CHILD,
        age_band=choices.AgeBand.AGE_5_11,
    )
    page = page_of(client, caseworker_a, case)
    assert f'href="/cases/{own_child.reference}/"' in page
    assert colleagues_child.reference not in page
    assert "1 other member you cannot see." in page

    page = page_of(client, supervisor_a, case)
    assert f'href="/cases/{own_child.reference}/"' in page
    assert f'href="/cases/{colleagues_child.reference}/"' in page
    assert "cannot see" not in page


def test_closure_decisions_appear_in_the_timeline(client, caseworker_a, supervisor_a, case):
    ClosureRequestFactory(
        case=case,
        decision=ClosureRequest.Decision.RETURNED,
        decided_by=supervisor_a,
        decided_at=timezone.now(),
        decision_note="Finish the school referral first.",
    )
    page = page_of(client, caseworker_a, case)
    assert "Closure request returned" in page and "Finish the school referral first." in page


# --- Queries --------------------------------------------------------------------------------------------


def fill(case, n, author):
    service = ServiceTypeFactory()
    for i in range(n):
        CaseNoteFactory(case=case, author=author, contact_on=days_ago(i % 300 + 1), restricted=i % 4 == 0)
        ReferralFactory(case=case, service_type=service, referred_on=days_ago(i % 300 + 1))
        AssessmentFactory(case=case, assessed_on=days_ago(i % 300 + 1))
        LegalProceedingFactory(case=case, started_on=days_ago(i % 300 + 1))
    household = HouseholdFactory(organisation=case.organisation)
    case.household = household
    case.household_role = choices.HouseholdRole.MOTHER
    case.save()
    for _ in range(n // 5):
        CaseFactory(
            organisation=case.organisation,
            household=household,
            household_role=choices.HouseholdRole.CHILD,
            age_band=choices.AgeBand.AGE_5_11,
        )


def count_queries(client, case):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url(case)).status_code == 200
    return len(queries)


@pytest.mark.parametrize("who", ["caseworker_a", "supervisor_a", "orgadmin_a"])
def test_page_takes_the_same_number_of_queries_with_5_or_50_of_everything(
    client, request, caseworker_a, who, django_assert_max_num_queries
):
    user = request.getfixturevalue(who)
    small = CaseFactory(organisation=caseworker_a.organisation, assigned_to=caseworker_a)
    large = CaseFactory(organisation=caseworker_a.organisation, assigned_to=caseworker_a)
    fill(small, 5, caseworker_a)
    fill(large, 50, caseworker_a)
    client.force_login(user)
    client.get(url(small))  # warm up: the session, the template cache
    assert count_queries(client, small) == count_queries(client, large)
    with django_assert_max_num_queries(30):
        client.get(url(large))

"""Assigning a case, asking for its closure, approving or returning the request, archiving it."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from casework import choices
from casework.audit import Action
from casework.models import AuditEvent, Case, ClosureRequest
from casework.services import workflow
from tests.factories import CaseFactory, ClosureRequestFactory, UserFactory

PHONE_NOTE = "Moved away; new contact +7 701 123 45 67 given to the school."


def url(name, case):
    return reverse(f"casework:{name}", kwargs={"reference": case.reference})


def case_page(case):
    return f"/cases/{case.reference}/"


def events(action, case=None):
    found = AuditEvent.objects.filter(action=action)
    if case is not None:
        found = found.filter(case_reference=case.reference)
    return list(found)


@pytest.fixture
def case(caseworker_a):
    return CaseFactory(organisation=caseworker_a.organisation, assigned_to=caseworker_a)


@pytest.fixture
def pending(case, caseworker_a):
    return ClosureRequestFactory(case=case, requested_by=caseworker_a)


@pytest.fixture
def closed_case(caseworker_a):
    return CaseFactory(
        organisation=caseworker_a.organisation,
        assigned_to=caseworker_a,
        status=choices.CaseStatus.CLOSED,
        closed_on=timezone.localdate() - datetime.timedelta(days=5),
        closure_reason=choices.ClosureReason.REINTEGRATED,
    )


# --- Assigning ------------------------------------------------------------------------------------------


def test_supervisor_reassigns_a_case_to_a_colleague(client, case, supervisor_a, caseworker_a, colleague_a):
    client.force_login(supervisor_a)
    response = client.post(url("case-assign", case), {"assignee": colleague_a.pk})
    assert response.status_code == 302
    assert response.url == case_page(case)
    case.refresh_from_db()
    assert case.assigned_to == colleague_a
    assert case.version == 2
    (event,) = events(Action.ASSIGN)
    assert event.actor == supervisor_a
    assert event.case_reference == case.reference
    assert event.details == {"assigned_to": {"old": caseworker_a.pk, "new": colleague_a.pk}}
    assert case.history.first().history_user == supervisor_a


def test_supervisor_may_leave_a_case_unassigned(client, case, supervisor_a):
    client.force_login(supervisor_a)
    assert client.post(url("case-assign", case), {"assignee": ""}).status_code == 302
    case.refresh_from_db()
    assert case.assigned_to is None
    assert len(events(Action.ASSIGN)) == 1


def test_assigning_the_current_assignee_changes_and_records_nothing(client, case, supervisor_a, caseworker_a):
    client.force_login(supervisor_a)
    client.post(url("case-assign", case), {"assignee": caseworker_a.pk})
    case.refresh_from_db()
    assert case.version == 1
    assert events(Action.ASSIGN) == []


def test_caseworker_may_not_assign_their_own_case(client, case, caseworker_a, colleague_a):
    client.force_login(caseworker_a)
    assert client.get(url("case-assign", case)).status_code == 403
    assert client.post(url("case-assign", case), {"assignee": colleague_a.pk}).status_code == 403
    case.refresh_from_db()
    assert case.assigned_to == caseworker_a
    assert len(events(Action.DENIED, case)) == 2
    assert events(Action.ASSIGN) == []


def test_assignee_of_another_organisation_is_refused_on_the_assignee_field(
    client, case, supervisor_a, caseworker_a, caseworker_b
):
    client.force_login(supervisor_a)
    response = client.post(url("case-assign", case), {"assignee": caseworker_b.pk})
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["assignee"]
    page = response.content.decode()
    assert 'href="#assign-assignee"' in page  # the error summary links to the field
    assert 'aria-invalid="true"' in page
    case.refresh_from_db()
    assert (case.assigned_to, case.version) == (caseworker_a, 1)
    assert events(Action.ASSIGN) == []


@pytest.mark.parametrize(
    "assignee_kind", ["other_organisation", "inactive", "organisation_administrator", "analyst"]
)
def test_service_refuses_an_assignee_who_cannot_work_on_the_case(
    case, supervisor_a, caseworker_b, orgadmin_a, analyst, org_a, assignee_kind
):
    assignee = {
        "other_organisation": caseworker_b,
        "inactive": UserFactory(organisation=org_a, role=choices.Role.CASEWORKER, is_active=False),
        "organisation_administrator": orgadmin_a,
        "analyst": analyst,
    }[assignee_kind]
    with pytest.raises(ValidationError) as refused:
        workflow.case_assign(actor=supervisor_a, case=case, assignee=assignee)
    assert list(refused.value.message_dict) == ["assignee"]
    assert events(Action.ASSIGN) == []


def test_assign_page_offers_only_active_workers_of_the_organisation(
    client, case, supervisor_a, caseworker_a, colleague_a, orgadmin_a, caseworker_b, org_a
):
    inactive = UserFactory(username="ivan", organisation=org_a, role=choices.Role.CASEWORKER, is_active=False)
    client.force_login(supervisor_a)
    response = client.get(url("case-assign", case))
    assert response.status_code == 200
    offered = set(response.context["form"].fields["assignee"].queryset)
    assert offered == {supervisor_a, caseworker_a, colleague_a}
    assert inactive not in offered and orgadmin_a not in offered and caseworker_b not in offered
    (view,) = events(Action.VIEW, case)
    assert view.details == {"page": "assign"}


def test_service_refuses_a_caseworker_who_assigns(case, caseworker_a, colleague_a):
    with pytest.raises(PermissionDenied):
        workflow.case_assign(actor=caseworker_a, case=case, assignee=colleague_a)


# --- Asking for closure ----------------------------------------------------------------------------------


def test_caseworker_asks_for_closure_and_the_request_is_pending(client, case, caseworker_a):
    client.force_login(caseworker_a)
    response = client.post(
        url("closure-request", case),
        {"reason": choices.ClosureReason.REINTEGRATED, "note": "Goals of the plan met."},
    )
    assert response.status_code == 302 and response.url == case_page(case)
    (closure,) = ClosureRequest.objects.filter(case=case)
    assert closure.is_pending
    assert (closure.requested_by, closure.reason) == (caseworker_a, choices.ClosureReason.REINTEGRATED)
    case.refresh_from_db()
    assert case.status == choices.CaseStatus.ACTIVE  # only asked, not closed
    (event,) = events(Action.CLOSURE_REQUESTED)
    assert event.case_reference == case.reference
    assert event.details == {"reason": "reintegrated", "note": "written"}
    assert "Goals" not in str(event.details)


def test_a_second_request_while_one_is_pending_is_refused(client, case, caseworker_a, pending):
    with pytest.raises(ValidationError):
        workflow.closure_request(actor=caseworker_a, case=case, reason=choices.ClosureReason.MOVED, note="")
    client.force_login(caseworker_a)
    response = client.post(url("closure-request", case), {"reason": choices.ClosureReason.MOVED})
    assert response.status_code == 302
    assert ClosureRequest.objects.filter(case=case).count() == 1
    assert events(Action.CLOSURE_REQUESTED) == []
    page = client.get(url("closure-request", case)).content.decode()
    assert "waiting for a supervisor" in page
    assert 'name="reason"' not in page


def test_request_without_a_reason_keeps_the_note_and_saves_nothing(client, case, caseworker_a):
    client.force_login(caseworker_a)
    response = client.post(url("closure-request", case), {"reason": "", "note": "The family moved away."})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["reason"]
    assert "The family moved away." in response.content.decode()
    assert not ClosureRequest.objects.exists()
    assert events(Action.CLOSURE_REQUESTED) == []


def test_a_note_with_a_phone_number_is_warned_then_saved_once_confirmed(client, case, caseworker_a):
    client.force_login(caseworker_a)
    data = {"reason": choices.ClosureReason.MOVED, "note": PHONE_NOTE}
    response = client.post(url("closure-request", case), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "phone number" in page
    assert "+7 701 123 45 67" in page  # the text stays on the page to be edited
    assert 'name="confirm_no_identifiers"' in page  # offered now, after the warning
    assert not ClosureRequest.objects.exists()

    response = client.post(url("closure-request", case), {**data, "confirm_no_identifiers": "on"})
    assert response.status_code == 302
    assert ClosureRequest.objects.get(case=case).note == PHONE_NOTE
    (confirmed,) = events(Action.IDENTIFIERS_CONFIRMED)
    assert confirmed.details == {"fields": ["note"]}
    assert len(events(Action.CLOSURE_REQUESTED)) == 1
    assert "701" not in str([event.details for event in AuditEvent.objects.all()])


def test_the_confirmation_box_is_not_offered_before_a_warning(client, case, caseworker_a):
    client.force_login(caseworker_a)
    assert 'name="confirm_no_identifiers"' not in client.get(url("closure-request", case)).content.decode()


def test_a_closed_case_cannot_be_requested_for_closure(client, closed_case, caseworker_a, supervisor_a):
    client.force_login(caseworker_a)
    assert client.post(url("closure-request", closed_case), {"reason": "moved"}).status_code == 403
    client.force_login(supervisor_a)
    assert client.post(url("closure-request", closed_case), {"reason": "moved"}).status_code == 302
    assert not ClosureRequest.objects.exists()


# --- Deciding -----------------------------------------------------------------------------------------------


def test_supervisor_approves_and_the_case_is_closed(client, case, pending, supervisor_a):
    today = timezone.localdate()
    client.force_login(supervisor_a)
    response = client.post(
        url("closure-decide", case), {"decision": "approve", "closed_on": today.isoformat()}
    )
    assert response.status_code == 302 and response.url == case_page(case)
    case.refresh_from_db()
    assert case.status == choices.CaseStatus.CLOSED
    assert case.closed_on == today
    assert case.closure_reason == pending.reason
    assert case.version == 2
    pending.refresh_from_db()
    assert pending.decision == ClosureRequest.Decision.APPROVED
    assert pending.decided_by == supervisor_a and pending.decided_at is not None
    (event,) = events(Action.CLOSURE_APPROVED)
    assert event.case_reference == case.reference
    assert event.details == {
        "closure_request": pending.pk,
        "status": {"old": "active", "new": "closed"},
        "closed_on": {"old": None, "new": today.isoformat()},
        "closure_reason": {"old": "", "new": "reintegrated"},
    }


def test_approving_with_a_closing_day_in_the_future_is_refused_on_that_field(
    client, case, pending, supervisor_a
):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    client.force_login(supervisor_a)
    response = client.post(
        url("closure-decide", case), {"decision": "approve", "closed_on": tomorrow.isoformat()}
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["closed_on"]
    case.refresh_from_db()
    pending.refresh_from_db()
    assert case.status == choices.CaseStatus.ACTIVE and case.version == 1
    assert pending.is_pending
    assert events(Action.CLOSURE_APPROVED) == []


def test_supervisor_returns_the_request_with_a_note(client, case, pending, supervisor_a, caseworker_a):
    client.force_login(supervisor_a)
    note = "Please record the last home visit first."
    response = client.post(url("closure-decide", case), {"decision": "return", "note": note})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.decision == ClosureRequest.Decision.RETURNED
    assert pending.decision_note == note
    assert pending.decided_by == supervisor_a
    case.refresh_from_db()
    assert case.status == choices.CaseStatus.ACTIVE and case.version == 1
    (event,) = events(Action.CLOSURE_RETURNED)
    assert event.details == {"decision": {"old": "", "new": "returned"}, "decision_note": "written"}
    # What the caseworker's dashboard and case page read: their case's latest request, returned.
    returned = ClosureRequest.objects.visible_to(caseworker_a).filter(decision="returned")
    assert list(returned) == [pending]
    # …and they may ask again.
    workflow.closure_request(actor=caseworker_a, case=case, reason=choices.ClosureReason.MOVED, note="")
    assert ClosureRequest.objects.filter(case=case, decision="").count() == 1


def test_returning_without_a_note_is_refused_on_the_note(client, case, pending, supervisor_a):
    client.force_login(supervisor_a)
    response = client.post(url("closure-decide", case), {"decision": "return", "note": "  "})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["note"]
    pending.refresh_from_db()
    assert pending.is_pending
    assert events(Action.CLOSURE_RETURNED) == []


def test_decision_without_a_choice_is_refused_and_keeps_the_note(client, case, pending, supervisor_a):
    client.force_login(supervisor_a)
    response = client.post(url("closure-decide", case), {"note": "Half-written thought"})
    assert response.status_code == 200
    assert "decision" in response.context["form"].errors
    assert "Half-written thought" in response.content.decode()


def test_caseworker_may_not_decide_on_their_own_request(client, case, pending, caseworker_a):
    client.force_login(caseworker_a)
    assert client.post(url("closure-decide", case), {"decision": "approve"}).status_code == 403
    pending.refresh_from_db()
    assert pending.is_pending
    with pytest.raises(PermissionDenied):
        workflow.closure_approve(actor=caseworker_a, request=pending, closed_on=timezone.localdate())


def test_a_decided_request_cannot_be_decided_again(case, pending, supervisor_a):
    workflow.closure_return(actor=supervisor_a, request=pending, note="Not yet.")
    with pytest.raises(ValidationError):
        workflow.closure_approve(actor=supervisor_a, request=pending, closed_on=timezone.localdate())
    assert len(events(Action.CLOSURE_RETURNED)) == 1
    assert events(Action.CLOSURE_APPROVED) == []


def test_deciding_with_nothing_pending_says_so(client, case, supervisor_a):
    client.force_login(supervisor_a)
    assert "No request to close" in client.get(url("closure-decide", case)).content.decode()
    assert client.post(url("closure-decide", case), {"decision": "approve"}).status_code == 302


# --- Archiving ----------------------------------------------------------------------------------------------


def test_only_a_closed_case_is_archived(client, case, closed_case, supervisor_a):
    client.force_login(supervisor_a)
    response = client.post(url("case-archive", case))
    assert response.status_code == 200
    assert "Only a closed case" in response.content.decode()
    case.refresh_from_db()
    assert case.status == choices.CaseStatus.ACTIVE and case.archived_at is None

    response = client.post(url("case-archive", closed_case))
    assert response.status_code == 302
    closed_case.refresh_from_db()
    assert closed_case.status == choices.CaseStatus.ARCHIVED
    assert closed_case.archived_at is not None
    assert closed_case.closed_on is not None and closed_case.closure_reason  # keeps its closure
    assert closed_case.version == 2
    (event,) = events(Action.ARCHIVE)
    assert event.case_reference == closed_case.reference
    assert event.details["status"] == {"old": "closed", "new": "archived"}


def test_caseworker_may_not_archive(client, closed_case, caseworker_a):
    client.force_login(caseworker_a)
    assert client.post(url("case-archive", closed_case)).status_code == 403
    with pytest.raises(PermissionDenied):
        workflow.case_archive(actor=caseworker_a, case=closed_case)
    assert events(Action.ARCHIVE) == []


# --- Access -------------------------------------------------------------------------------------------------

ACTIONS = ("case-assign", "closure-request", "closure-decide", "case-archive")


@pytest.mark.parametrize("name", ACTIONS)
@pytest.mark.parametrize("who", ["caseworker_b", "colleague_a", "analyst", "auditor"])
def test_who_may_not_see_the_case_gets_404_without_the_reference(client, request, case, pending, name, who):
    client.force_login(request.getfixturevalue(who))
    for response in (client.get(url(name, case)), client.post(url(name, case), {"decision": "approve"})):
        assert response.status_code == 404
        assert case.reference not in response.content.decode()
    assert len(events(Action.NOT_FOUND, case)) == 2
    pending.refresh_from_db()
    assert pending.is_pending
    assert Case.objects.get(pk=case.pk).version == 1


@pytest.mark.parametrize("name", ACTIONS)
def test_organisation_administrator_reads_but_may_not_act(client, case, orgadmin_a, name):
    client.force_login(orgadmin_a)
    assert client.post(url(name, case)).status_code == 403
    assert len(events(Action.DENIED, case)) == 1


@pytest.mark.parametrize("name", ACTIONS)
def test_anonymous_is_sent_to_sign_in(client, case, name):
    response = client.get(url(name, case))
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


@pytest.mark.parametrize("name", ACTIONS)
def test_supervisor_opens_each_page_and_the_view_is_recorded(client, case, pending, supervisor_a, name):
    client.force_login(supervisor_a)
    response = client.get(url(name, case))
    assert response.status_code == 200
    assert case.reference in response.content.decode()
    (view,) = events(Action.VIEW, case)
    assert view.actor == supervisor_a


def test_every_action_writes_exactly_one_event_of_its_kind(case, supervisor_a, caseworker_a, colleague_a):
    before = AuditEvent.objects.count()
    workflow.case_assign(actor=supervisor_a, case=case, assignee=colleague_a)
    workflow.case_assign(actor=supervisor_a, case=case, assignee=caseworker_a)
    closure = workflow.closure_request(actor=caseworker_a, case=case, reason="moved", note="")
    workflow.closure_return(actor=supervisor_a, request=closure, note="One more visit.")
    closure = workflow.closure_request(actor=caseworker_a, case=case, reason="moved", note="")
    workflow.closure_approve(actor=supervisor_a, request=closure, closed_on=timezone.localdate())
    workflow.case_archive(actor=supervisor_a, case=case)
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", flat=True)[before:])
    assert actions == [
        Action.ASSIGN,
        Action.ASSIGN,
        Action.CLOSURE_REQUESTED,
        Action.CLOSURE_RETURNED,
        Action.CLOSURE_REQUESTED,
        Action.CLOSURE_APPROVED,
        Action.ARCHIVE,
    ]
    case.refresh_from_db()
    assert (case.status, case.version) == (choices.CaseStatus.ARCHIVED, 5)


# --- The panel on the case page -----------------------------------------------------------------------------


def render_panel(user, case):
    request = RequestFactory().get(case_page(case))
    request.user = user
    return render_to_string("casework/_workflow.html", {"case": case}, request=request)


def test_panel_offers_a_supervisor_the_decision_and_a_link_to_assign_in_one_query(
    case, pending, supervisor_a, colleague_a, caseworker_b, django_assert_max_num_queries
):
    for _extra in range(5):
        UserFactory(organisation=case.organisation, role=choices.Role.CASEWORKER)
    with django_assert_max_num_queries(1):
        page = render_panel(supervisor_a, case)
    assert url("closure-decide", case) in page
    # The colleagues are listed on the assignment page, not on every visit to the case page.
    assert f'<a href="{url("case-assign", case)}">Assign or reassign the case…</a>' in page
    assert colleague_a.username not in page and caseworker_b.username not in page
    assert url("closure-request", case) not in page  # one is already pending


def test_panel_offers_a_caseworker_the_closure_request_and_shows_a_returned_note(
    case, caseworker_a, supervisor_a, django_assert_max_num_queries
):
    closure = ClosureRequestFactory(case=case, requested_by=caseworker_a)
    workflow.closure_return(actor=supervisor_a, request=closure, note="Record the last visit first.")
    with django_assert_max_num_queries(1):
        page = render_panel(caseworker_a, case)
    assert url("closure-request", case) in page
    assert "Record the last visit first." in page
    assert url("case-assign", case) not in page and url("closure-decide", case) not in page


def test_panel_offers_archiving_of_a_closed_case_only(closed_case, case, supervisor_a):
    assert url("case-archive", closed_case) in render_panel(supervisor_a, closed_case)
    assert url("case-archive", case) not in render_panel(supervisor_a, case)


def test_panel_offers_a_read_only_user_no_form(case, pending, orgadmin_a):
    page = render_panel(orgadmin_a, case)
    assert "<form" not in page
    assert "Waiting for a supervisor" in page

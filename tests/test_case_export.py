"""/cases/<reference>/export/: everything held about one case, for a legal request — who may, what the
file holds, and what the audit trail keeps (the reason, never the text)."""

import json

import pytest
from django.utils import timezone

from casework import choices
from casework.audit import Action
from casework.models import AuditEvent, ClosureRequest
from tests import factories
from tests.canaries import new_canary


def url(case) -> str:
    return f"/cases/{case.reference}/export/"


@pytest.fixture
def canary():
    return new_canary()


@pytest.fixture
def case(org_a, caseworker_a, colleague_a, canary):
    """A case of organisation A with every kind of record, a restricted note by a colleague among them,
    in a household with another case."""
    household = factories.HouseholdFactory(organisation=org_a)
    case = factories.CaseFactory(
        organisation=org_a,
        assigned_to=caseworker_a,
        household=household,
        household_role=choices.HouseholdRole.MOTHER,
    )
    factories.CaseFactory(
        organisation=org_a,
        assigned_to=colleague_a,
        household=household,
        household_role=choices.HouseholdRole.CHILD,
    )
    note = factories.CaseNoteFactory(case=case, author=caseworker_a, text=f"Visit. {canary}-note")
    note.text = f"Visit, corrected. {canary}-note"
    note.save()
    factories.CaseNoteFactory(case=case, author=colleague_a, text=f"{canary}-restricted", restricted=True)
    factories.ReferralFactory(case=case, outcome_note=f"{canary}-referral")
    factories.AssessmentFactory(case=case)
    factories.LegalProceedingFactory(case=case, outcome=f"{canary}-proceeding")
    factories.ClosureRequestFactory(
        case=case,
        note=f"{canary}-closure",
        decision=ClosureRequest.Decision.RETURNED,
        decided_by=caseworker_a,
        decided_at=timezone.now(),
        decision_note=f"{canary}-decision",
    )
    return case


def export(client, user, case, reason="court_order", confirm="on"):
    client.force_login(user)
    data = {"reason": reason}
    if confirm:
        data["confirm"] = confirm
    return client.post(url(case), data)


def test_a_supervisor_is_asked_for_the_reason_before_anything_is_exported(client, supervisor_a, case):
    client.force_login(supervisor_a)

    response = client.get(url(case))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Subject access request" in body and "Court order" in body
    assert 'name="confirm"' in body
    assert "restricted notes included" in body
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()
    assert AuditEvent.objects.filter(action=Action.VIEW, case_reference=case.reference).exists()


@pytest.mark.parametrize(
    "data", [{"confirm": "on"}, {"reason": "court_order"}, {"reason": "curiosity", "confirm": "on"}]
)
def test_without_a_known_reason_and_the_confirmation_nothing_is_exported(client, supervisor_a, case, data):
    client.force_login(supervisor_a)

    response = client.post(url(case), data)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "Nothing was exported" in response.content.decode()
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()


def test_the_export_holds_everything_about_the_case(client, supervisor_a, case, canary):
    response = export(client, supervisor_a, case)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith(f'attachment; filename="case-{case.reference}-')
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["export"]["case_reference"] == case.reference
    assert data["export"]["reason"] == "court_order"
    assert data["case"]["reference"] == case.reference
    assert data["case"]["organisation"]["label"] == "org-a"
    household = data["household"]
    assert household["role"] == choices.HouseholdRole.MOTHER
    assert len(household["members"]) == 2
    assert set(household["members"][0]) == {"reference", "household_role"}, "references only"
    note_texts = {note["text"] for note in data["notes"]}
    assert f"{canary}-restricted" in note_texts, "restricted notes are part of a legal export"
    assert data["referrals"][0]["outcome_note"] == f"{canary}-referral"
    assert data["legal_proceedings"][0]["outcome"] == f"{canary}-proceeding"
    assert data["closure_requests"][0]["note"] == f"{canary}-closure"
    assert data["closure_requests"][0]["decision_note"] == f"{canary}-decision"
    assert len(data["assessments"]) == 1
    # Field history: the note's first wording is only in its history.
    assert any(row["text"] == f"Visit. {canary}-note" for row in data["history"]["notes"])
    assert data["history"]["case"] and data["history"]["referrals"] and data["history"]["legal_proceedings"]
    assert {"history_id", "history_date", "history_type", "history_user"} <= set(data["history"]["notes"][0])
    # The case's audit trail, the export's own event included.
    actions = [event["action"] for event in data["audit_events"]]
    assert actions[-1] == Action.EXPORT


def test_the_export_is_audited_with_its_reason_and_without_free_text(client, supervisor_a, case, canary):
    export(client, supervisor_a, case, reason="subject_access_request")

    event = AuditEvent.objects.get(action=Action.EXPORT)
    assert event.case_reference == case.reference
    assert event.actor == supervisor_a
    assert event.details["kind"] == "legal_request"
    assert event.details["reason"] == "subject_access_request"
    assert event.details["counts"]["notes"] == 2
    assert canary not in json.dumps(event.details)


def test_the_export_holds_nothing_of_another_case(client, supervisor_a, case, org_a, caseworker_a):
    other = factories.CaseFactory(organisation=org_a, assigned_to=caseworker_a)
    factories.CaseNoteFactory(case=other, author=caseworker_a, text="Another person's visit")

    body = export(client, supervisor_a, case).content.decode()

    assert "Another person's visit" not in body
    assert other.reference not in body


def test_a_system_administrator_exports_a_case_of_any_organisation(client, superuser, caseworker_b):
    foreign = factories.CaseFactory(organisation=caseworker_b.organisation, assigned_to=caseworker_b)

    response = export(client, superuser, foreign)

    assert response.status_code == 200
    assert json.loads(response.content)["case"]["reference"] == foreign.reference


@pytest.mark.parametrize("who", ["caseworker_a", "orgadmin_a"])
def test_those_who_read_the_case_but_may_not_export_it_get_403_recorded(client, request, case, who):
    user = request.getfixturevalue(who)
    client.force_login(user)

    assert client.get(url(case)).status_code == 403
    assert export(client, user, case).status_code == 403
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()
    denied = AuditEvent.objects.filter(action=Action.DENIED, actor=user, case_reference=case.reference)
    assert denied.count() == 2


@pytest.mark.parametrize("who", ["colleague_a", "caseworker_b", "analyst", "auditor"])
def test_those_who_may_not_see_the_case_get_404_without_the_reference(client, request, case, who):
    user = request.getfixturevalue(who)

    response = export(client, user, case)

    assert response.status_code == 404
    assert case.reference not in response.content.decode()
    assert AuditEvent.objects.filter(action=Action.NOT_FOUND, actor=user).exists()


def test_a_supervisor_of_another_organisation_gets_404(client, org_b, case):
    supervisor_b = factories.UserFactory(organisation=org_b, role=choices.Role.SUPERVISOR)

    assert export(client, supervisor_b, case).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, case):
    response = client.post(url(case), {"reason": "court_order", "confirm": "on"})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_case_page_offers_the_export_only_to_those_who_may(client, supervisor_a, caseworker_a, case):
    client.force_login(supervisor_a)
    assert url(case) in client.get(f"/cases/{case.reference}/").content.decode()
    client.force_login(caseworker_a)
    assert url(case) not in client.get(f"/cases/{case.reference}/").content.decode()

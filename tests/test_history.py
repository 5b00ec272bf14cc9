"""Field history of a case and its records, and restoring an earlier version of the case."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casework import choices
from casework.audit import Action
from casework.models import AuditEvent, Case
from tests.factories import (
    AssessmentFactory,
    CaseFactory,
    CaseNoteFactory,
    HouseholdFactory,
    LegalProceedingFactory,
    ReferralFactory,
    UserFactory,
)


def url(case):
    return reverse("casework:case-history", kwargs={"reference": case.reference})


def edit(case, by=None, **fields):
    """Save a change the way the case's forms do: one new version, with who made it."""
    for name, value in fields.items():
        setattr(case, name, value)
    case.version += 1
    case._history_user = by
    case.full_clean()
    case.save()
    return case


@pytest.fixture
def case(caseworker_a):
    return CaseFactory(organisation=caseworker_a.organisation, assigned_to=caseworker_a)


@pytest.fixture
def edited_case(case, caseworker_a):
    edit(case, by=caseworker_a, age_band=choices.AgeBand.AGE_35_44)
    edit(case, by=caseworker_a, conflict_zone=choices.ConflictZone.IRAQ, drivers=[choices.Driver.values[0]])
    return case


def events(action):
    return list(AuditEvent.objects.filter(action=action))


# --- Who may read it ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["supervisor_a", "superuser"])
def test_supervisor_and_system_administrator_read_the_history(client, request, edited_case, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(url(edited_case))
    assert response.status_code == 200
    page = response.content.decode()
    assert "25–34" in page and "35–44" in page  # old → new, by label
    assert "Syria" in page and "Iraq" in page
    assert "alice" in page  # who made the change


@pytest.mark.parametrize("who", ["caseworker_a", "orgadmin_a"])
def test_caseworker_and_organisation_administrator_are_refused(client, request, edited_case, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    assert client.get(url(edited_case)).status_code == 403
    denied = events(Action.DENIED)
    assert len(denied) == 1
    assert (denied[0].actor, denied[0].case_reference) == (user, edited_case.reference)


@pytest.mark.parametrize("who", ["caseworker_b", "colleague_a", "auditor", "analyst"])
def test_who_may_not_see_the_case_gets_404_without_the_reference(client, request, edited_case, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    response = client.get(url(edited_case))
    assert response.status_code == 404
    assert edited_case.reference not in response.content.decode()
    refused = events(Action.NOT_FOUND)
    assert len(refused) == 1
    assert (refused[0].actor, refused[0].case_reference) == (user, edited_case.reference)


def test_supervisor_of_another_organisation_gets_404(client, edited_case, org_b):
    client.force_login(UserFactory(organisation=org_b, role=choices.Role.SUPERVISOR))
    assert client.get(url(edited_case)).status_code == 404


def test_unknown_reference_gets_the_same_404(client, supervisor_a, db):
    client.force_login(supervisor_a)
    response = client.get(reverse("casework:case-history", kwargs={"reference": "AAAA-2222"}))
    assert response.status_code == 404
    assert "AAAA-2222" not in response.content.decode()


def test_anonymous_visitor_is_sent_to_sign_in(client, edited_case):
    response = client.get(url(edited_case))
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert not AuditEvent.objects.exists()


def test_reading_the_history_writes_one_view_event(client, supervisor_a, edited_case):
    client.force_login(supervisor_a)
    client.get(url(edited_case), REMOTE_ADDR="192.0.2.20")
    [view] = events(Action.VIEW)
    assert (view.actor, view.case_reference, view.object_type, view.ip_address, view.details) == (
        supervisor_a,
        edited_case.reference,
        "case",
        "192.0.2.20",
        {"page": "history"},
    )


# --- What it shows --------------------------------------------------------------------------------------


def test_free_text_is_shown_only_as_changed(client, supervisor_a, case):
    note = CaseNoteFactory(case=case, text="First visit: settling in well.")
    note.text = "Second version: school has started."
    note.save()
    proceeding = LegalProceedingFactory(case=case, outcome="")
    proceeding.outcome = "Probation of one year."
    proceeding.save()
    client.force_login(supervisor_a)
    page = client.get(url(case)).content.decode()
    assert "settling in" not in page and "school has started" not in page and "Probation" not in page
    assert page.count("text changed") >= 2


def test_versions_of_referrals_assessments_and_proceedings_are_listed(client, supervisor_a, case):
    referral = ReferralFactory(case=case)
    referral.status = choices.ReferralStatus.ACCEPTED
    referral.accepted_on = referral.referred_on
    referral.save()
    assessment = AssessmentFactory(case=case)
    assessment.livelihood = 3
    assessment.save()
    LegalProceedingFactory(case=case)
    client.force_login(supervisor_a)
    page = client.get(url(case)).content.decode()
    assert "Referred → " in page.replace("<del>", "").replace("</del>", "").replace("<ins>", "")
    assert "Accepted" in page
    assert f"Referral #{referral.pk}" in page and f"Assessment #{assessment.pk}" in page
    assert "Legal proceeding #" in page


def test_restricted_note_versions_are_hidden_from_who_may_not_read_the_note(
    client, superuser, supervisor_a, case
):
    note = CaseNoteFactory(case=case, restricted=True)
    note.contact_type = choices.ContactType.values[-1]
    note.save()
    client.force_login(superuser)
    assert f"Case note #{note.pk}" not in client.get(url(case)).content.decode()
    client.force_login(supervisor_a)
    assert f"Case note #{note.pk}" in client.get(url(case)).content.decode()


def test_deleted_record_shows_as_deleted(client, supervisor_a, case):
    referral = ReferralFactory(case=case)
    pk = referral.pk
    referral.delete()
    client.force_login(supervisor_a)
    page = client.get(url(case)).content.decode()
    assert f"Referral #{pk}, deleted" in page


def test_long_history_is_paged(client, supervisor_a, case):
    for year in range(2000, 2014):
        edit(case, departure_year=year)
        edit(case, departure_year=None)
    client.force_login(supervisor_a)
    first = client.get(url(case)).content.decode()
    assert first.count("Restore version") == 19  # 20 versions shown, the newest is the current one
    assert "?case_page=2" in first
    second = client.get(url(case), {"case_page": 2}).content.decode()
    assert second.count("Restore version") == 9  # 29 versions in all
    assert "?case_page=3" not in second and "?case_page=1" in second


def test_page_takes_a_fixed_number_of_queries_however_long_the_history(
    client, supervisor_a, case, django_assert_max_num_queries
):
    def add_versions(n):
        edit(case, departure_year=2000 + n % 10, by=supervisor_a)
        note = CaseNoteFactory(case=case)
        note.contact_type = choices.ContactType.values[n % len(choices.ContactType.values)]
        note.save()
        ReferralFactory(case=case)
        AssessmentFactory(case=case)
        LegalProceedingFactory(case=case)

    def queries_for_page():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url(case)).status_code == 200
        return len(captured)

    client.force_login(supervisor_a)
    add_versions(0)
    few = queries_for_page()
    for n in range(1, 40):
        add_versions(n)
    many = queries_for_page()
    # With more versions than a page holds, each list fetches the predecessors of its oldest rows once.
    assert many <= few + 5
    with django_assert_max_num_queries(22):
        client.get(url(case))
    with django_assert_max_num_queries(22):
        client.get(url(case), {"case_page": 2, "notes_page": 2, "referrals_page": 2})


# --- Restoring ------------------------------------------------------------------------------------------


def first_version(case):
    return case.history.order_by("history_id").first()


def restore(client, case, version, loaded_version=None):
    return client.post(
        url(case),
        {"history_id": version.history_id, "loaded_version": loaded_version or case.version},
        REMOTE_ADDR="192.0.2.30",
    )


def test_restoring_a_version_puts_its_fields_back_as_a_new_version(client, supervisor_a, edited_case):
    original = first_version(edited_case)
    client.force_login(supervisor_a)
    response = restore(client, edited_case, original)
    assert response.status_code == 302 and response.url == url(edited_case)
    restored = Case.objects.get(pk=edited_case.pk)
    assert restored.age_band == choices.AgeBand.AGE_25_34
    assert restored.conflict_zone == choices.ConflictZone.SYRIA
    assert restored.drivers == []
    assert restored.version == edited_case.version + 1
    newest = restored.history.order_by("-history_id").first()
    assert newest.history_user == supervisor_a
    assert newest.history_change_reason == f"restored version {original.history_id}"


def test_restoring_writes_one_audit_event_with_the_fields_put_back(client, supervisor_a, edited_case):
    original = first_version(edited_case)
    client.force_login(supervisor_a)
    restore(client, edited_case, original)
    [event] = events(Action.RESTORE_VERSION)
    assert (event.actor, event.case_reference, event.ip_address) == (
        supervisor_a,
        edited_case.reference,
        "192.0.2.30",
    )
    assert event.details == {
        "history_id": original.history_id,
        "changes": {
            "age_band": {"old": "35-44", "new": "25-34"},
            "conflict_zone": {"old": "iraq", "new": "syria"},
            "drivers": {"old": [choices.Driver.values[0]], "new": []},
        },
    }


def test_restoring_leaves_status_assignment_and_consent_alone(client, supervisor_a, colleague_a, case):
    original = first_version(case)
    today = datetime.date.today()
    edit(
        case,
        age_band=choices.AgeBand.AGE_45_59,
        assigned_to=colleague_a,
        status=choices.CaseStatus.MONITORING,
        consent_data_sharing=True,
        consent_data_sharing_on=today,
    )
    edit(
        case,
        consent_services=False,
        consent_services_on=None,
        consent_data_sharing=False,
        consent_data_sharing_on=None,
        consent_withdrawn_on=today,
    )
    client.force_login(supervisor_a)
    restore(client, case, original)
    case.refresh_from_db()
    assert case.age_band == choices.AgeBand.AGE_25_34
    assert case.assigned_to == colleague_a
    assert case.status == choices.CaseStatus.MONITORING
    assert case.consent_withdrawn_on == today and not case.consent_data_sharing


def test_restoring_after_someone_else_saved_changes_nothing(client, supervisor_a, edited_case):
    seen_version = edited_case.version
    edit(edited_case, sex=choices.Sex.MALE)  # saved by someone else after the page was loaded
    client.force_login(supervisor_a)
    response = restore(client, edited_case, first_version(edited_case), loaded_version=seen_version)
    edited_case.refresh_from_db()
    assert edited_case.age_band == choices.AgeBand.AGE_35_44 and edited_case.sex == choices.Sex.MALE
    assert edited_case.version == seen_version + 1
    assert not events(Action.RESTORE_VERSION)
    page = client.get(response.url).content.decode()
    assert "was changed after you opened this page" in page


def test_a_version_that_breaks_a_rule_of_today_is_not_restored(client, supervisor_a, case, org_a):
    household = HouseholdFactory(organisation=org_a)
    edit(case, household=household, household_role=choices.HouseholdRole.values[0])
    with_household = case.history.order_by("-history_id").first()
    edit(case, household=None, household_role="")
    household.delete()
    client.force_login(supervisor_a)
    response = restore(client, case, with_household)
    case.refresh_from_db()
    assert case.household is None
    assert not events(Action.RESTORE_VERSION)
    assert "cannot be restored" in client.get(response.url).content.decode()


def test_restoring_the_current_version_changes_nothing(client, supervisor_a, edited_case):
    client.force_login(supervisor_a)
    restore(client, edited_case, edited_case.history.order_by("-history_id").first())
    assert Case.objects.get(pk=edited_case.pk).version == edited_case.version
    assert not events(Action.RESTORE_VERSION)


def test_caseworker_cannot_restore(client, caseworker_a, edited_case):
    client.force_login(caseworker_a)
    assert restore(client, edited_case, first_version(edited_case)).status_code == 403
    assert Case.objects.get(pk=edited_case.pk).age_band == choices.AgeBand.AGE_35_44


def test_version_of_another_case_cannot_be_restored_onto_this_one(client, supervisor_a, edited_case, org_a):
    other = CaseFactory(organisation=org_a, age_band=choices.AgeBand.AGE_60_PLUS)
    client.force_login(supervisor_a)
    assert restore(client, edited_case, first_version(other)).status_code == 404
    assert Case.objects.get(pk=edited_case.pk).age_band == choices.AgeBand.AGE_35_44

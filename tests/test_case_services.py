"""casework.services.cases: opening and editing a case, the version check, the audit rows."""

import datetime
import secrets
import threading
import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from casework import choices
from casework.audit import Action
from casework.models import AuditEvent, Case, Household
from casework.services.cases import StaleCase, case_create, case_update
from tests.factories import CaseFactory, CountryFactory, RegionFactory, UserFactory


@pytest.fixture
def kazakhstan(db):
    return CountryFactory(code="KZ")


def record(kazakhstan, **overrides):
    values = {
        "sex": choices.Sex.FEMALE,
        "age_band": choices.AgeBand.AGE_25_34,
        "citizenship": kazakhstan,
        "residence_country": kazakhstan,
        "return_month": datetime.date(2019, 5, 1),
        "departure_year": 2014,
        "conflict_zone": choices.ConflictZone.SYRIA,
        "return_pathway": choices.ReturnPathway.INDEPENDENT,
        "circumstance": choices.Circumstance.TAKEN_BY_FAMILY,
        "drivers": [choices.Driver.FAMILY_TIES],
    }
    return {**values, **overrides}


def events(action):
    return list(AuditEvent.objects.filter(action=action))


@pytest.fixture
def case(caseworker_a):
    return CaseFactory(organisation=caseworker_a.organisation, assigned_to=caseworker_a)


# --- case_create -------------------------------------------------------------------------------------


def test_caseworker_opens_a_case_at_intake_assigned_to_themselves(caseworker_a, colleague_a, kazakhstan):
    case = case_create(
        actor=caseworker_a,
        organisation=caseworker_a.organisation,
        data=record(kazakhstan),
        assigned_to=colleague_a,  # a caseworker's case is theirs, whatever is asked
    )
    case.refresh_from_db()
    assert case.organisation == caseworker_a.organisation
    assert case.created_by == caseworker_a
    assert case.assigned_to == caseworker_a
    assert case.status == choices.CaseStatus.INTAKE
    assert case.version == 1
    assert case.history.get().history_user == caseworker_a
    [created] = events(Action.CREATE)
    assert created.case_reference == case.reference
    assert created.actor == caseworker_a
    assert created.details["age_band"] == {"old": None, "new": "25-34"}
    assert created.details["drivers"] == {"old": None, "new": ["family_ties"]}
    assert created.details["assigned_to"] == {"old": None, "new": caseworker_a.pk}
    assert events(Action.ASSIGN)[0].details == {"assigned_to": {"old": None, "new": caseworker_a.pk}}


def test_supervisor_opens_a_case_unassigned_or_for_a_colleague(supervisor_a, caseworker_a, kazakhstan):
    org = supervisor_a.organisation
    unassigned = case_create(actor=supervisor_a, organisation=org, data=record(kazakhstan))
    assigned = case_create(
        actor=supervisor_a, organisation=org, data=record(kazakhstan), assigned_to=caseworker_a
    )
    assert unassigned.assigned_to is None
    assert assigned.assigned_to == caseworker_a
    assert len(events(Action.ASSIGN)) == 1


def test_a_case_cannot_be_given_to_someone_of_another_organisation(supervisor_a, caseworker_b, kazakhstan):
    with pytest.raises(ValidationError) as raised:
        case_create(
            actor=supervisor_a,
            organisation=supervisor_a.organisation,
            data=record(kazakhstan),
            assigned_to=caseworker_b,
        )
    assert "assigned_to" in raised.value.message_dict
    assert not Case.objects.exists()


@pytest.mark.parametrize("who", ["orgadmin_a", "analyst", "auditor", "superuser"])
def test_only_caseworkers_and_supervisors_open_cases(request, who, org_a, kazakhstan):
    with pytest.raises(PermissionDenied):
        case_create(actor=request.getfixturevalue(who), organisation=org_a, data=record(kazakhstan))
    assert not Case.objects.exists()


def test_nobody_opens_a_case_in_another_organisation(caseworker_a, org_b, kazakhstan):
    with pytest.raises(PermissionDenied):
        case_create(actor=caseworker_a, organisation=org_b, data=record(kazakhstan))


def test_an_invalid_case_saves_nothing_not_even_its_new_household(caseworker_a, kazakhstan):
    data = record(kazakhstan, return_pathway=choices.ReturnPathway.PROGRAMME, household_role="mother")
    with pytest.raises(ValidationError) as raised:
        case_create(actor=caseworker_a, organisation=caseworker_a.organisation, data=data, new_household=True)
    assert "programme" in raised.value.message_dict
    assert not Case.objects.exists()
    assert not Household.objects.exists()
    assert not events(Action.CREATE)


def test_a_new_household_belongs_to_the_case_organisation(caseworker_a, kazakhstan):
    case = case_create(
        actor=caseworker_a,
        organisation=caseworker_a.organisation,
        data=record(kazakhstan, household_role=choices.HouseholdRole.MOTHER),
        new_household=True,
    )
    assert case.household.organisation == caseworker_a.organisation
    assert case.household_role == choices.HouseholdRole.MOTHER
    assert case.household.history.get().history_user == caseworker_a
    started = AuditEvent.objects.get(action=Action.CREATE, object_type="household")
    assert (started.object_id, started.case_reference) == (str(case.household_id), case.reference)


def test_an_edit_may_start_a_new_household(supervisor_a, case):
    saved = case_update(
        actor=supervisor_a,
        case=case,
        loaded_version=1,
        changes={"household_role": "father"},
        new_household=True,
    )
    assert (saved.version, saved.household.organisation, saved.household_role) == (
        2,
        case.organisation,
        "father",
    )
    assert AuditEvent.objects.filter(action=Action.CREATE, object_type="household").count() == 1
    assert "household" in AuditEvent.objects.get(action=Action.CHANGE).details


def test_fields_outside_the_case_record_are_refused(caseworker_a, kazakhstan):
    with pytest.raises(ValueError, match="status"):
        case_create(
            actor=caseworker_a,
            organisation=caseworker_a.organisation,
            data=record(kazakhstan, status=choices.CaseStatus.CLOSED),
        )


def test_a_reference_that_clashes_with_another_case_is_drawn_again(
    monkeypatch, caseworker_a, case, kazakhstan
):
    # The random source first draws the existing case's reference, then something else.
    taken = case.reference.replace("-", "")
    draws = iter(taken + "ACDEFGHJ" + "KMNPQRTU")
    monkeypatch.setattr(secrets, "choice", lambda alphabet: next(draws))
    new = case_create(actor=caseworker_a, organisation=caseworker_a.organisation, data=record(kazakhstan))
    assert new.reference == "ACDE-FGHJ"
    assert Case.objects.count() == 2


# --- case_update -------------------------------------------------------------------------------------


def test_an_update_saves_a_new_version_with_its_audit_row(caseworker_a, case):
    saved = case_update(
        actor=caseworker_a,
        case=case,
        loaded_version=1,
        changes={"age_band": choices.AgeBand.AGE_35_44, "vulnerabilities": ["trauma"]},
    )
    assert saved.version == 2
    case.refresh_from_db()
    assert (case.version, case.age_band, case.vulnerabilities) == (2, "35-44", ["trauma"])
    [changed] = events(Action.CHANGE)
    assert changed.details == {
        "age_band": {"old": "25-34", "new": "35-44"},
        "vulnerabilities": {"old": [], "new": ["trauma"]},
    }
    newest = case.history.order_by("-history_id").first()
    assert (newest.version, newest.history_user) == (2, caseworker_a)


def test_an_update_that_changes_nothing_saves_nothing(caseworker_a, case):
    saved = case_update(
        actor=caseworker_a, case=case, loaded_version=1, changes={"age_band": case.age_band, "sex": case.sex}
    )
    assert saved.version == 1
    assert Case.objects.get().version == 1
    assert not events(Action.CHANGE)


def test_the_order_of_ticked_choices_is_no_change(caseworker_a, case):
    case.drivers = ["socio_economic", "labour_migration"]
    case.save()
    saved = case_update(
        actor=caseworker_a,
        case=case,
        loaded_version=1,
        changes={"drivers": ["socio_economic", "labour_migration", "socio_economic"]},
    )
    assert saved.version == 1
    assert not events(Action.CHANGE)


def test_two_updates_from_the_same_version_the_second_is_refused(caseworker_a, supervisor_a, case):
    case_update(
        actor=supervisor_a, case=case, loaded_version=1, changes={"age_band": choices.AgeBand.AGE_35_44}
    )
    with pytest.raises(StaleCase) as raised:
        case_update(actor=caseworker_a, case=case, loaded_version=1, changes={"sex": choices.Sex.MALE})
    assert raised.value.current.version == 2
    case.refresh_from_db()
    assert (case.version, case.age_band, case.sex) == (2, "35-44", "female")
    assert len(events(Action.CHANGE)) == 1


def test_an_invalid_update_keeps_the_version(caseworker_a, case):
    with pytest.raises(ValidationError):
        case_update(
            actor=caseworker_a,
            case=case,
            loaded_version=1,
            changes={"residence_region": RegionFactory(country=CountryFactory(code="TJ"))},
        )
    case.refresh_from_db()
    assert case.version == 1
    assert not events(Action.CHANGE)


def test_an_update_may_not_touch_status_assignment_or_organisation(supervisor_a, case, org_b):
    for field, value in (("status", "closed"), ("assigned_to", None), ("organisation", org_b)):
        with pytest.raises(ValueError):
            case_update(actor=supervisor_a, case=case, loaded_version=1, changes={field: value})


@pytest.mark.parametrize("who", ["orgadmin_a", "colleague_a", "caseworker_b", "analyst"])
def test_who_may_not_edit_the_case_is_refused(request, who, case):
    with pytest.raises(PermissionDenied):
        case_update(actor=request.getfixturevalue(who), case=case, loaded_version=1, changes={"sex": "male"})


def test_a_caseworker_may_not_edit_a_closed_case_but_a_supervisor_may(caseworker_a, supervisor_a):
    closed = CaseFactory(
        organisation=caseworker_a.organisation,
        assigned_to=caseworker_a,
        status=choices.CaseStatus.CLOSED,
        closed_on=timezone.localdate() - datetime.timedelta(days=10),
        closure_reason=choices.ClosureReason.MOVED,
    )
    with pytest.raises(PermissionDenied):
        case_update(actor=caseworker_a, case=closed, loaded_version=1, changes={"sex": "male"})
    assert (
        case_update(actor=supervisor_a, case=closed, loaded_version=1, changes={"sex": "male"}).version == 2
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_updates_from_the_same_version_one_wins_the_other_is_stale():
    """Two requests save from version 1 at the same time: the second waits on the first's row lock,
    then finds version 2 and is refused."""
    org = UserFactory().organisation
    supervisor = UserFactory(organisation=org, role=choices.Role.SUPERVISOR)
    case = CaseFactory(organisation=org)
    first_saved, release = threading.Event(), threading.Event()
    outcome = {}

    def first():
        from django.db import transaction

        try:
            with transaction.atomic():
                case_update(actor=supervisor, case=case, loaded_version=1, changes={"age_band": "35-44"})
                first_saved.set()
                release.wait(10)
        finally:
            connection.close()

    def second():
        try:
            case_update(actor=supervisor, case=case, loaded_version=1, changes={"sex": "male"})
            outcome["second"] = "saved"
        except StaleCase as stale:
            outcome["second"] = stale.current.version
        finally:
            connection.close()

    one = threading.Thread(target=first)
    one.start()
    assert first_saved.wait(10)
    two = threading.Thread(target=second)
    two.start()
    time.sleep(0.5)  # the second is now waiting on the row lock
    assert "second" not in outcome
    release.set()
    one.join(10)
    two.join(10)
    assert outcome["second"] == 2
    case.refresh_from_db()
    assert (case.version, case.age_band, case.sex) == (2, "35-44", "female")

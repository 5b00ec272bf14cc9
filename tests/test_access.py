"""The access module decides who sees which case; these tests state the rules independently of it."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from casework import access, choices
from casework.choices import Role
from casework.models import Assessment, Case, CaseNote, Household, LegalProceeding, Referral
from tests import factories


@pytest.fixture
def world(org_a, org_b, supervisor_a, caseworker_a, colleague_a, orgadmin_a, caseworker_b):
    """Cases named by what they are to alice, a caseworker of organisation A."""
    household = factories.HouseholdFactory(organisation=org_a)
    cases = {
        "assigned_to_alice": factories.CaseFactory(
            organisation=org_a,
            assigned_to=caseworker_a,
            created_by=colleague_a,
            household=household,
            household_role=choices.HouseholdRole.MOTHER,
        ),
        "opened_by_alice": factories.CaseFactory(
            organisation=org_a, assigned_to=colleague_a, created_by=caseworker_a
        ),
        "colleagues": factories.CaseFactory(
            organisation=org_a,
            assigned_to=colleague_a,
            created_by=colleague_a,
            household=household,
            household_role=choices.HouseholdRole.CHILD,
            age_band=choices.AgeBand.AGE_5_11,
        ),
        "unassigned": factories.CaseFactory(organisation=org_a, assigned_to=None, created_by=supervisor_a),
        "other_organisation": factories.CaseFactory(organisation=org_b, assigned_to=caseworker_b),
    }
    return cases


ALL_OF_A = {"assigned_to_alice", "opened_by_alice", "colleagues", "unassigned"}
EVERYTHING = ALL_OF_A | {"other_organisation"}


def visible_names(world, user) -> set[str]:
    visible = set(Case.objects.visible_to(user).values_list("pk", flat=True))
    return {name for name, case in world.items() if case.pk in visible}


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("caseworker_a", {"assigned_to_alice", "opened_by_alice"}),
        ("colleague_a", {"assigned_to_alice", "opened_by_alice", "colleagues"}),
        ("supervisor_a", ALL_OF_A),
        ("orgadmin_a", ALL_OF_A),
        ("caseworker_b", {"other_organisation"}),
        ("analyst", set()),
        ("auditor", set()),
        ("superuser", EVERYTHING),
    ],
)
def test_each_role_sees_exactly_the_cases_the_table_allows(request, world, who, expected):
    assert visible_names(world, request.getfixturevalue(who)) == expected


def test_a_system_administrator_role_without_superuser_flag_sees_everything(world):
    admin = factories.UserFactory(organisation=None, role=Role.SYSTEM_ADMIN)
    assert visible_names(world, admin) == EVERYTHING


def test_deactivated_and_anonymous_users_see_nothing(world, caseworker_a):
    from django.contrib.auth.models import AnonymousUser

    caseworker_a.is_active = False
    assert visible_names(world, caseworker_a) == set()
    assert visible_names(world, AnonymousUser()) == set()


def test_a_caseworker_who_changes_organisation_loses_the_old_cases(world, caseworker_a, org_b):
    caseworker_a.organisation = org_b
    assert visible_names(world, caseworker_a) == set()


def test_foreign_and_invisible_cases_answer_404_without_echoing_the_reference(world, caseworker_a):
    for name in ("other_organisation", "colleagues", "unassigned"):
        reference = world[name].reference
        with pytest.raises(Http404) as refused:
            access.get_case_for_user(caseworker_a, reference)
        assert reference not in str(refused.value)
    with pytest.raises(Http404):
        access.get_case_for_user(caseworker_a, "NOPE-NOPE")


@pytest.mark.parametrize(
    ("who", "case", "outcome"),
    [
        ("caseworker_a", "assigned_to_alice", "write"),
        ("caseworker_a", "opened_by_alice", "write"),
        ("supervisor_a", "colleagues", "write"),
        ("supervisor_a", "unassigned", "write"),
        ("orgadmin_a", "assigned_to_alice", "read"),
        ("superuser", "other_organisation", "write"),
        ("caseworker_b", "assigned_to_alice", 404),
        ("analyst", "assigned_to_alice", 404),
        ("auditor", "assigned_to_alice", 404),
    ],
)
def test_get_case_for_user_grants_read_write_or_404(request, world, who, case, outcome):
    user = request.getfixturevalue(who)
    reference = world[case].reference
    if outcome == 404:
        with pytest.raises(Http404):
            access.get_case_for_user(user, reference)
        with pytest.raises(Http404):
            access.get_case_for_user(user, reference, write=True)
        return
    assert access.get_case_for_user(user, reference) == world[case]
    if outcome == "write":
        assert access.get_case_for_user(user, reference, write=True) == world[case]
    else:
        with pytest.raises(PermissionDenied):
            access.get_case_for_user(user, reference, write=True)


def test_a_closed_case_is_read_only_for_its_caseworker_but_not_for_the_supervisor(
    world, caseworker_a, supervisor_a
):
    case = world["assigned_to_alice"]
    case.status = choices.CaseStatus.CLOSED
    case.closed_on = case.opened_on
    case.closure_reason = choices.ClosureReason.REINTEGRATED
    case.save()
    with pytest.raises(PermissionDenied):
        access.get_case_for_user(caseworker_a, case.reference, write=True)
    assert access.get_case_for_user(supervisor_a, case.reference, write=True) == case


@pytest.mark.parametrize(
    "model_factory",
    [
        factories.ReferralFactory,
        factories.AssessmentFactory,
        factories.LegalProceedingFactory,
    ],
)
def test_case_records_inherit_the_visibility_of_their_case(world, caseworker_a, supervisor_a, model_factory):
    mine = model_factory(case=world["assigned_to_alice"])
    colleagues = model_factory(case=world["colleagues"])
    foreign = model_factory(case=world["other_organisation"])
    model = type(mine)
    assert model in (Referral, Assessment, LegalProceeding)
    assert set(model.objects.visible_to(caseworker_a)) == {mine}
    assert set(model.objects.visible_to(supervisor_a)) == {mine, colleagues}
    assert foreign not in model.objects.visible_to(supervisor_a)


def test_restricted_notes_are_read_only_by_their_author_and_supervisors(
    world, caseworker_a, colleague_a, supervisor_a, orgadmin_a
):
    case = world["assigned_to_alice"]
    open_note = factories.CaseNoteFactory(case=case, author=caseworker_a)
    restricted_by_supervisor = factories.CaseNoteFactory(case=case, author=supervisor_a, restricted=True)
    restricted_by_alice = factories.CaseNoteFactory(case=case, author=caseworker_a, restricted=True)

    assert set(CaseNote.objects.visible_to(caseworker_a)) == {open_note, restricted_by_alice}
    assert set(CaseNote.objects.visible_to(supervisor_a)) == {
        open_note,
        restricted_by_supervisor,
        restricted_by_alice,
    }
    assert set(CaseNote.objects.visible_to(orgadmin_a)) == {open_note}
    # colleague_a sees the case (assigned_to_alice was opened by colleague_a) but not the restricted notes
    assert set(CaseNote.objects.visible_to(colleague_a)) == {open_note}


def test_households_are_visible_through_a_visible_member(world, caseworker_a, caseworker_b, supervisor_a):
    household = world["assigned_to_alice"].household
    empty_household = factories.HouseholdFactory(organisation=household.organisation)
    assert list(Household.objects.visible_to(caseworker_a)) == [household]
    assert set(Household.objects.visible_to(supervisor_a)) == {household, empty_household}
    assert not Household.objects.visible_to(caseworker_b).exists()


def test_analysts_study_only_organisations_that_share(world, analyst, caseworker_a, org_b):
    org_b.shares_with_analysts = False
    org_b.save()
    analysable = access.analysable_cases(Case.objects.all(), analyst)
    assert set(analysable) == {world[name] for name in ALL_OF_A}
    assert not access.analysable_cases(Case.objects.all(), caseworker_a).exists()


def test_visibility_is_one_query_whatever_the_number_of_cases(world, caseworker_a, django_assert_num_queries):
    with django_assert_num_queries(1):
        list(Case.objects.visible_to(caseworker_a))


def test_analysts_never_study_a_person_who_did_not_consent_to_data_sharing_or_withdrew(world, analyst):
    no_consent = world["colleagues"]
    no_consent.consent_data_sharing, no_consent.consent_data_sharing_on = False, None
    no_consent.save()
    withdrawn = world["unassigned"]
    withdrawn.consent_services = withdrawn.consent_data_sharing = False
    withdrawn.consent_services_on = withdrawn.consent_data_sharing_on = None
    withdrawn.consent_withdrawn_on = withdrawn.opened_on
    withdrawn.save()

    analysable = set(access.analysable_cases(Case.objects.all(), analyst))

    assert no_consent not in analysable and withdrawn not in analysable
    assert world["assigned_to_alice"] in analysable

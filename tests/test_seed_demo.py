"""`manage.py seed_demo`: deterministic, plausible demo data that keeps every model rule (DESIGN §5)."""

import re
import stat
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Q

from casework import choices, demo
from casework.models import (
    Assessment,
    AuditEvent,
    Case,
    CaseNote,
    Household,
    LegalProceeding,
    Organisation,
    Referral,
    ServiceProvider,
    User,
)
from casework.models.services import FINAL_STATUSES
from casework.screening import screen

pytestmark = pytest.mark.django_db

PASSWORD = "demo-password-for-the-tests"
RECORD_MODELS = (Referral, CaseNote, Assessment, LegalProceeding)
Role = choices.Role


@pytest.fixture(autouse=True)
def _debug_on(settings):
    # The suite runs with DEBUG off, as production does; seed_demo refuses that without --force.
    settings.DEBUG = True


def seed_demo(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded() -> str:
    return seed_demo("--cases", "200", "--seed", "1", "--password", PASSWORD)


def natural_key(obj) -> str:
    """What names a related row independently of its id, which differs between runs."""
    for attribute in ("reference", "username", "slug", "code", "title", "name"):
        value = getattr(obj, attribute, "")
        if value:
            return value
    raise AssertionError(f"no natural key for {obj!r}")


def rows(model, order_by: tuple[str, ...]) -> list[tuple]:
    """Every row of `model` as a tuple of its values, related rows by natural key, ids and clocks left out."""
    fields = [f for f in model._meta.concrete_fields if f.name not in ("id", "created_at", "updated_at")]
    related = [f.name for f in fields if f.is_relation]
    result = []
    for obj in model.objects.select_related(*related).order_by(*order_by):
        values = []
        for f in fields:
            value = getattr(obj, f.name)
            values.append(natural_key(value) if f.is_relation and value is not None else value)
        result.append(tuple(values))
    return result


def projection() -> dict[str, list[tuple]]:
    return {
        "organisations": rows(Organisation, ("slug",)),
        "users": [
            (u.username, u.role, u.organisation_id is not None) for u in User.objects.order_by("username")
        ],
        "households": rows(Household, ("reference",)),
        "cases": rows(Case, ("reference",)),
        **{model.__name__: rows(model, ("case__reference", "id")) for model in RECORD_MODELS},
    }


def test_creates_the_demo_organisations_and_their_staff_with_one_password(seeded):
    organisations = Organisation.objects.order_by("slug")
    assert [(o.slug, o.name, o.shares_with_analysts) for o in organisations] == [
        ("ngo-a", "NGO A (demo)", True),
        ("ngo-b", "NGO B (demo)", True),
    ]
    admin = User.objects.get(username="admin")
    assert (admin.role, admin.organisation, admin.is_staff, admin.is_superuser) == (
        Role.SYSTEM_ADMIN,
        None,
        True,
        True,
    )
    for username, role in (("analyst", Role.ANALYST), ("auditor", Role.AUDITOR)):
        user = User.objects.get(username=username)
        assert (user.role, user.organisation, user.is_superuser) == (role, None, False)
    for org in organisations:
        expected = {
            f"{org.slug}-orgadmin": Role.ORG_ADMIN,
            f"{org.slug}-supervisor": Role.SUPERVISOR,
            f"{org.slug}-caseworker": Role.CASEWORKER,
            f"{org.slug}-caseworker2": Role.CASEWORKER,
            f"{org.slug}-caseworker3": Role.CASEWORKER,
        }
        assert dict(org.users.values_list("username", "role")) == expected
        assert org.users.get(role=Role.ORG_ADMIN).is_staff
    for user in User.objects.all():
        assert user.check_password(PASSWORD), user.username
        user.full_clean()
    assert "ngo-a-caseworker3" in seeded
    assert PASSWORD in seeded


def test_reports_what_it_created_and_how_long_it_took(seeded):
    assert re.search(r"created in \d+\.\d s", seeded)
    assert re.search(r"cases\s+200\b", seeded)
    for label in ("households", "referrals", "case notes", "assessments", "legal proceedings"):
        assert label in seeded


def test_creates_exactly_the_number_of_cases_asked_for():
    seed_demo("--cases", "37", "--password", PASSWORD)
    assert Case.objects.count() == 37


def test_the_same_seed_gives_the_same_data():
    seed_demo("--cases", "150", "--seed", "7", "--password", PASSWORD)
    first = projection()
    seed_demo("--cases", "150", "--seed", "7", "--password", PASSWORD, "--reset")
    assert projection() == first
    assert len(first["cases"]) == 150 and first["Referral"] and first["LegalProceeding"]


def test_a_different_seed_gives_different_references():
    seed_demo("--cases", "100", "--seed", "1", "--password", PASSWORD)
    first = set(Case.objects.values_list("reference", flat=True))
    seed_demo("--cases", "100", "--seed", "2", "--password", PASSWORD, "--reset")
    second = set(Case.objects.values_list("reference", flat=True))
    assert len(first) == len(second) == 100
    assert not first & second


def test_every_generated_row_passes_model_validation_and_the_identifier_screen(seeded):
    for model in (Organisation, User, ServiceProvider, Household, Case, *RECORD_MODELS):
        for obj in model.objects.all():
            obj.full_clean()
    texts = [
        *CaseNote.objects.values_list("text", flat=True),
        *Referral.objects.exclude(outcome_note="").values_list("outcome_note", flat=True),
        *LegalProceeding.objects.exclude(outcome="").values_list("outcome", flat=True),
    ]
    assert len(texts) > 500
    assert [text for text in texts if screen(text)] == []


def test_cases_have_a_mix_of_statuses_and_mostly_consent(seeded):
    statuses = Counter(Case.objects.values_list("status", flat=True))
    assert set(statuses) == set(choices.CaseStatus.values)
    assert Case.objects.filter(consent_services=True).count() > 0.8 * 200
    assert Case.objects.exclude(archived_at=None).count() == statuses[choices.CaseStatus.ARCHIVED]


def test_every_referral_status_occurs(seeded):
    statuses = set(Referral.objects.values_list("status", flat=True))
    assert statuses == set(choices.ReferralStatus.values)
    assert not Referral.objects.exclude(outcome="").exclude(status__in=FINAL_STATUSES).exists()
    assert Referral.objects.exclude(provider=None).exists()


def test_records_per_case_are_in_the_expected_range(seeded):
    for model, low, high in ((Referral, 2, 4), (CaseNote, 2, 4), (Assessment, 1.8, 3.2)):
        assert low <= model.objects.count() / 200 <= high, model.__name__
    adults = Case.objects.exclude(age_band__in=choices.CHILD_AGE_BANDS)
    with_proceedings = adults.filter(legal_proceedings__isnull=False).distinct().count()
    assert 0.2 <= with_proceedings / adults.count() <= 0.5


def test_mothers_and_children_who_returned_through_operation_zhusan_share_a_household(seeded):
    # Filtering first keeps the counts to members who came through Zhusan: the whole family did.
    households = (
        Household.objects.filter(members__programme__name="Operation Zhusan")
        .annotate(
            mothers=Count("members", filter=Q(members__household_role=choices.HouseholdRole.MOTHER)),
            children=Count("members", filter=Q(members__household_role=choices.HouseholdRole.CHILD)),
        )
        .filter(mothers=1, children__gte=2)
    )
    assert households.exists()
    household = households.first()
    mother = household.members.get(household_role=choices.HouseholdRole.MOTHER)
    assert (mother.sex, mother.age_band in choices.CHILD_AGE_BANDS) == (choices.Sex.FEMALE, False)
    for child in household.members.filter(household_role=choices.HouseholdRole.CHILD):
        assert child.age_band in choices.CHILD_AGE_BANDS
        assert (child.organisation_id, child.return_month) == (mother.organisation_id, mother.return_month)
    born_there = Case.objects.filter(circumstance=choices.Circumstance.BORN_IN_ZONE)
    assert born_there.exists()
    assert not born_there.exclude(departure_year=None).exists()
    assert born_there.filter(vulnerabilities__has=choices.Vulnerability.NO_CIVIL_DOCUMENTS).exists()


def test_uzbek_men_returned_by_the_courts_and_tajik_returnees_under_the_amnesty_have_proceedings(seeded):
    uzbek_men = Case.objects.filter(
        programme__name="Uzbekistan court-supervised repatriations", sex=choices.Sex.MALE
    )
    proceedings = LegalProceeding.objects.filter(case__in=uzbek_men)
    assert proceedings.exists()
    assert set(proceedings.values_list("framework__country__code", flat=True)) == {"UZ"}
    assert proceedings.filter(closed_court=True).count() > proceedings.count() / 2
    assert len(set(proceedings.values_list("stage", flat=True))) >= 3
    amnestied = LegalProceeding.objects.filter(
        case__programme__name="Tajikistan amnesty for repentant returnees",
        stage=choices.ProceedingStage.AMNESTIED,
    )
    assert amnestied.exists()
    assert not amnestied.filter(ended_on=None).exists()


def test_cases_are_spread_over_several_caseworkers_of_each_organisation(seeded):
    for org in Organisation.objects.all():
        cases = Case.objects.filter(organisation=org)
        per_assignee = Counter(
            cases.exclude(assigned_to=None).values_list("assigned_to__username", flat=True)
        )
        assert len(per_assignee) >= 3
        assert max(per_assignee.values()) < 0.6 * cases.count()
    assert Case.objects.filter(assigned_to=None, status=choices.CaseStatus.INTAKE).exists()
    assert not Case.objects.filter(assigned_to=None).exclude(status=choices.CaseStatus.INTAKE).exists()
    assert Case.objects.exclude(assigned_to=None).exclude(created_by=None).exists()
    handed_over = [c for c in Case.objects.exclude(assigned_to=None) if c.assigned_to_id != c.created_by_id]
    assert handed_over


def test_restricted_notes_are_written_by_supervisors(seeded):
    restricted = CaseNote.objects.filter(restricted=True)
    assert restricted.exists()
    assert set(restricted.values_list("author__role", flat=True)) == {Role.SUPERVISOR}


def test_assessments_show_progress_over_time(seeded):
    first, last = [], []
    for case in Case.objects.annotate(n=Count("assessments")).filter(n__gte=3):
        scores = list(case.assessments.order_by("assessed_on").values_list("psychosocial", flat=True))
        first.append(scores[0])
        last.append(scores[-1])
    assert len(first) >= 10
    assert sum(last) / len(last) > sum(first) / len(first)


def test_more_cases_bring_more_caseworkers():
    assert demo.caseworkers_per_organisation(200) == 3
    assert demo.caseworkers_per_organisation(100_000) == 334


def test_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        seed_demo("--cases", "10", "--password", PASSWORD)
    assert not Organisation.objects.exists()


def test_runs_with_debug_off_when_forced(settings):
    settings.DEBUG = False
    seed_demo("--cases", "10", "--password", PASSWORD, "--force")
    assert Case.objects.count() == 10


def test_if_empty_does_nothing_when_cases_exist(seeded):
    before = projection()
    out = seed_demo("--if-empty", "--cases", "30", "--seed", "9", "--password", PASSWORD)
    assert "nothing was changed" in out
    assert "ngo-b-supervisor" in out and PASSWORD in out
    assert projection() == before


def test_if_empty_seeds_an_empty_database():
    seed_demo("--if-empty", "--cases", "20", "--password", PASSWORD)
    assert Case.objects.count() == 20


def test_refuses_to_seed_again_without_reset(seeded):
    with pytest.raises(CommandError, match="--reset"):
        seed_demo("--cases", "10", "--password", PASSWORD)
    assert Case.objects.count() == 200


def test_reset_replaces_the_demo_data_and_keeps_the_providers(seeded):
    providers = ServiceProvider.objects.count()
    seed_demo("--cases", "40", "--password", "another-password-entirely", "--reset")
    assert Case.objects.count() == 40
    assert ServiceProvider.objects.count() == providers
    assert User.objects.get(username="ngo-a-caseworker").check_password("another-password-entirely")
    assert User.objects.filter(username="admin").count() == 1


def test_reset_is_refused_once_the_audit_trail_records_the_demo_staff(seeded):
    AuditEvent.objects.create(actor=User.objects.get(username="ngo-a-caseworker"), action="view")
    with pytest.raises(CommandError, match="audit trail"):
        seed_demo("--cases", "10", "--password", PASSWORD, "--reset")
    assert Case.objects.count() == 200


def test_without_a_password_a_strong_random_one_is_made_and_printed():
    out = seed_demo("--cases", "5")
    password = re.search(r"Password for all demo users: (\S+)", out).group(1)
    assert len(password) >= 20
    assert User.objects.get(username="ngo-b-supervisor").check_password(password)


def test_password_file_is_written_privately_and_reused(tmp_path):
    path = tmp_path / "demo-password"
    out = seed_demo("--cases", "5", "--password-file", str(path))
    password = path.read_text().strip()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert password in out
    assert User.objects.get(username="admin").check_password(password)

    out = seed_demo("--cases", "5", "--password-file", str(path), "--reset")
    assert path.read_text().strip() == password
    assert User.objects.get(username="analyst").check_password(password)

    out = seed_demo("--if-empty", "--password-file", str(path))
    assert "nothing was changed" in out and password in out

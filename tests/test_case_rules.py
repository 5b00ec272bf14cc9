"""Rules of one case, its household and its staff, each enforced by model validation (`full_clean()`)
with the error on the field the user has to correct and the message they read there."""

import datetime
import inspect

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalChanges

from casework import choices
from casework.fields import MultipleChoiceField
from casework.models import (
    Assessment,
    Case,
    CaseNote,
    ClosureRequest,
    ExportJob,
    Household,
    LegalProceeding,
    Referral,
    SavedReport,
    User,
)
from policies import models as policy_models
from tests.factories import (
    ArmedGroupFactory,
    CaseFactory,
    CaseNoteFactory,
    ClosureRequestFactory,
    CountryFactory,
    ExportJobFactory,
    HouseholdFactory,
    LegalFrameworkFactory,
    LegalProceedingFactory,
    ProgrammeFactory,
    ProvisionFactory,
    ReferralFactory,
    RegionFactory,
    ReportedFigureFactory,
    SavedReportFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CS = choices.CaseStatus


def errors(instance) -> dict[str, str]:
    """The messages `full_clean()` shows, joined per field."""
    with pytest.raises(ValidationError) as excinfo:
        instance.full_clean()
    return {field: " ".join(messages) for field, messages in excinfo.value.message_dict.items()}


def today() -> datetime.date:
    return timezone.localdate()


def first_of_next_month() -> datetime.date:
    return (today().replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def closed(case: Case, status: str = CS.CLOSED) -> Case:
    case.status = status
    case.closed_on = case.opened_on + datetime.timedelta(days=100)
    case.closure_reason = choices.ClosureReason.REINTEGRATED
    if status == CS.ARCHIVED:
        case.archived_at = timezone.now()  # as the archive action records it
    return case


# Month of return and year of departure


def test_month_of_return_in_the_future_is_refused_naming_the_field():
    case = CaseFactory(return_month=first_of_next_month())
    assert "The month of return cannot be in the future." in errors(case)["return_month"]


def test_month_of_return_in_the_current_month_is_accepted_whatever_the_day():
    case = CaseFactory(departure_year=2014, return_month=today())
    case.full_clean()
    assert case.return_month == today().replace(day=1)


def test_return_month_before_departure_year_is_refused_naming_the_field():
    case = CaseFactory(departure_year=2015, return_month=datetime.date(2014, 12, 1))
    assert "cannot be before the year of departure" in errors(case)["return_month"]


def test_return_in_the_year_of_departure_is_accepted():
    CaseFactory(departure_year=2015, return_month=datetime.date(2015, 1, 1)).full_clean()


def test_month_of_return_is_normalised_to_the_first_of_the_month():
    case = CaseFactory(return_month=datetime.date(2019, 5, 17))
    case.full_clean()
    case.save()
    case.refresh_from_db()
    assert case.return_month == datetime.date(2019, 5, 1)


def test_year_of_departure_in_the_future_is_refused_naming_the_field():
    case = CaseFactory(departure_year=today().year + 1, return_month=datetime.date(2019, 5, 1))
    assert "The year of departure cannot be in the future." in errors(case)["departure_year"]


def test_year_of_departure_before_2000_is_refused_naming_the_field():
    case = CaseFactory(departure_year=1999)
    assert "greater than or equal to 2000" in errors(case)["departure_year"]


# Born in the conflict zone


def test_someone_born_in_the_conflict_zone_with_a_year_of_departure_is_refused_naming_the_field():
    case = CaseFactory(
        circumstance=choices.Circumstance.BORN_IN_ZONE, age_band=choices.AgeBand.UNDER_5, departure_year=2016
    )
    assert "Someone born in the conflict zone has no year of departure." in errors(case)["departure_year"]


@pytest.mark.parametrize("age_band", [band for band in choices.AgeBand if not band.is_child])
def test_someone_born_in_the_conflict_zone_with_an_adult_age_band_is_refused(age_band):
    case = CaseFactory(circumstance=choices.Circumstance.BORN_IN_ZONE, age_band=age_band, departure_year=None)
    assert "must have a child's age band" in errors(case)["age_band"]


@pytest.mark.parametrize("age_band", choices.CHILD_AGE_BANDS)
def test_a_child_born_in_the_conflict_zone_without_year_of_departure_is_accepted(age_band):
    CaseFactory(
        circumstance=choices.Circumstance.BORN_IN_ZONE, age_band=age_band, departure_year=None
    ).full_clean()


# Opening and closing


@pytest.mark.parametrize("status", [CS.CLOSED, CS.ARCHIVED])
def test_closed_case_without_closure_date_is_refused_naming_the_field(status):
    case = closed(CaseFactory(), status)
    case.closed_on = None
    assert "A closed case needs the date it was closed." in errors(case)["closed_on"]


@pytest.mark.parametrize("status", [CS.CLOSED, CS.ARCHIVED])
def test_closed_case_without_closure_reason_is_refused_naming_the_field(status):
    case = closed(CaseFactory(), status)
    case.closure_reason = ""
    assert "A closed case needs a closure reason." in errors(case)["closure_reason"]


def test_case_closed_before_it_was_opened_is_refused_naming_the_field():
    case = closed(CaseFactory())
    case.closed_on = case.opened_on - datetime.timedelta(days=1)
    assert "A case cannot be closed before it was opened." in errors(case)["closed_on"]


def test_case_closed_on_the_day_it_was_opened_is_accepted():
    case = closed(CaseFactory())
    case.closed_on = case.opened_on
    case.full_clean()


@pytest.mark.parametrize("status", [CS.CLOSED, CS.ARCHIVED])
def test_closed_and_archived_cases_keep_their_closure_date_and_reason(status):
    closed(CaseFactory(), status).full_clean()


@pytest.mark.parametrize("status", choices.OPEN_STATUSES)
def test_open_case_with_a_closure_date_is_refused_naming_the_field(status):
    case = CaseFactory(status=status, closed_on=today())
    assert "An open case has no closure date" in errors(case)["closed_on"]


@pytest.mark.parametrize("status", choices.OPEN_STATUSES)
def test_open_case_with_a_closure_reason_is_refused_naming_the_field(status):
    case = CaseFactory(status=status, closure_reason=choices.ClosureReason.MOVED)
    assert "An open case has no closure reason" in errors(case)["closure_reason"]


def test_open_case_with_closure_date_and_reason_names_both_fields():
    case = CaseFactory(status=CS.ACTIVE, closed_on=today(), closure_reason=choices.ClosureReason.MOVED)
    found = errors(case)
    assert "An open case has no closure date" in found["closed_on"]
    assert "An open case has no closure reason" in found["closure_reason"]


def test_closure_date_in_the_future_is_refused_naming_the_field():
    case = closed(CaseFactory())
    case.closed_on = today() + datetime.timedelta(days=1)
    assert "The closure date cannot be in the future." in errors(case)["closed_on"]


def test_case_opened_in_the_future_is_refused_naming_the_field():
    case = CaseFactory(opened_on=today() + datetime.timedelta(days=1))
    assert "A case cannot be opened in the future." in errors(case)["opened_on"]


# Places, pathway and affiliation


def test_region_outside_the_country_of_residence_is_refused_naming_the_field():
    case = CaseFactory(residence_region=RegionFactory(country=CountryFactory(code="TJ")))
    assert "This region is not in the country of residence." in errors(case)["residence_region"]


def test_region_inside_the_country_of_residence_is_accepted():
    case = CaseFactory()
    case.residence_region = RegionFactory(country=case.residence_country)
    case.full_clean()


def test_return_through_a_programme_without_the_programme_is_refused_naming_the_field():
    case = CaseFactory(return_pathway=choices.ReturnPathway.PROGRAMME, programme=None)
    assert "Choose the programme the person returned through." in errors(case)["programme"]


@pytest.mark.parametrize(
    "pathway", [p for p in choices.ReturnPathway if p != choices.ReturnPathway.PROGRAMME]
)
def test_programme_with_another_return_pathway_is_refused_naming_the_field(pathway):
    case = CaseFactory(return_pathway=pathway, programme=ProgrammeFactory())
    assert "A programme applies only when the return pathway is a programme." in errors(case)["programme"]


def test_return_through_a_named_programme_is_accepted():
    CaseFactory(return_pathway=choices.ReturnPathway.PROGRAMME, programme=ProgrammeFactory()).full_clean()


def test_affiliation_to_a_group_without_the_group_is_refused_naming_the_field():
    case = CaseFactory(affiliation=choices.Affiliation.GROUP, armed_group=None)
    assert "Choose the armed group, or set the affiliation to unknown." in errors(case)["armed_group"]


@pytest.mark.parametrize("affiliation", [a for a in choices.Affiliation if a != choices.Affiliation.GROUP])
def test_armed_group_with_another_affiliation_is_refused_naming_the_field(affiliation):
    case = CaseFactory(affiliation=affiliation, armed_group=ArmedGroupFactory())
    assert "An armed group applies only when the affiliation is a named group." in errors(case)["armed_group"]


def test_affiliation_to_a_named_group_is_accepted():
    CaseFactory(affiliation=choices.Affiliation.GROUP, armed_group=ArmedGroupFactory()).full_clean()


# Consent

CONSENTS = [("consent_services", "consent_services_on"), ("consent_data_sharing", "consent_data_sharing_on")]


@pytest.mark.parametrize(("flag", "date_field"), CONSENTS)
def test_consent_without_its_date_is_refused_naming_the_date_field(flag, date_field):
    case = CaseFactory(**{flag: True, date_field: None})
    assert "Record when consent was given." in errors(case)[date_field]


@pytest.mark.parametrize(("flag", "date_field"), CONSENTS)
def test_consent_date_without_consent_is_refused_naming_the_date_field(flag, date_field):
    case = CaseFactory(**{flag: False, date_field: today()})
    assert "There is a date but no consent" in errors(case)[date_field]


@pytest.mark.parametrize(("flag", "date_field"), CONSENTS)
def test_consent_given_in_the_future_is_refused_naming_the_date_field(flag, date_field):
    case = CaseFactory(**{flag: True, date_field: today() + datetime.timedelta(days=1)})
    assert "Consent cannot be given in the future." in errors(case)[date_field]


@pytest.mark.parametrize(("flag", "date_field"), CONSENTS)
def test_consent_with_its_date_is_accepted(flag, date_field):
    CaseFactory(**{flag: True, date_field: today()}).full_clean()


@pytest.mark.parametrize(("flag", "date_field"), CONSENTS)
def test_consent_still_ticked_after_withdrawal_is_refused_naming_the_field(flag, date_field):
    case = CaseFactory(**{flag: True, date_field: today() - datetime.timedelta(days=30)})
    case.consent_withdrawn_on = today()
    assert "Consent was withdrawn: untick the consents" in errors(case)["consent_withdrawn_on"]


def test_withdrawal_with_the_consents_cleared_is_accepted():
    CaseFactory(
        consent_services=False,
        consent_services_on=None,
        consent_data_sharing=False,
        consent_data_sharing_on=None,
        consent_withdrawn_on=today(),
    ).full_clean()


def test_consent_withdrawn_in_the_future_is_refused_naming_the_field():
    case = CaseFactory(consent_withdrawn_on=today() + datetime.timedelta(days=1))
    assert "Consent cannot be withdrawn in the future." in errors(case)["consent_withdrawn_on"]


# Household


def test_household_of_another_organisation_is_refused_naming_the_field():
    case = CaseFactory(household=HouseholdFactory(), household_role=choices.HouseholdRole.MOTHER)
    assert "This household belongs to another organisation." in errors(case)["household"]


def test_household_without_a_role_in_it_is_refused_naming_the_role_field():
    case = CaseFactory()
    case.household = HouseholdFactory(organisation=case.organisation)
    assert "Say what role this person has in the household." in errors(case)["household_role"]


def test_role_in_a_household_without_a_household_is_refused_naming_the_field():
    case = CaseFactory(household_role=choices.HouseholdRole.CHILD)
    assert "A role in a household needs a household." in errors(case)["household_role"]


def test_mother_and_child_in_a_household_of_their_organisation_are_accepted():
    mother = CaseFactory()
    household = HouseholdFactory(organisation=mother.organisation)
    mother.household, mother.household_role = household, choices.HouseholdRole.MOTHER
    child = CaseFactory(
        organisation=mother.organisation,
        assigned_to=mother.assigned_to,
        household=household,
        household_role=choices.HouseholdRole.CHILD,
        age_band=choices.AgeBand.AGE_5_11,
        circumstance=choices.Circumstance.BORN_IN_ZONE,
        departure_year=None,
    )
    mother.full_clean()
    child.full_clean()
    assert set(household.members.all()) == {child}


# Assignment


def test_caseworker_of_another_organisation_cannot_be_assigned(caseworker_b):
    case = CaseFactory()
    case.assigned_to = caseworker_b
    assert "Assign a caseworker or supervisor of the case's organisation." in errors(case)["assigned_to"]


@pytest.mark.parametrize("role", [r for r in choices.Role if not r.works_on_cases])
def test_user_without_a_case_working_role_cannot_be_assigned(role):
    case = CaseFactory()
    case.assigned_to = UserFactory(organisation=case.organisation, role=role)
    assert "Assign a caseworker or supervisor" in errors(case)["assigned_to"]


@pytest.mark.parametrize("role", [choices.Role.CASEWORKER, choices.Role.SUPERVISOR])
def test_caseworker_or_supervisor_of_the_organisation_can_be_assigned(role):
    case = CaseFactory()
    case.assigned_to = UserFactory(organisation=case.organisation, role=role)
    case.full_clean()


def test_case_without_an_assigned_caseworker_is_accepted():
    CaseFactory(assigned_to=None, created_by=None).full_clean()


# Staff: role and organisation


@pytest.mark.parametrize("role", [r for r in choices.Role if r.needs_organisation])
def test_organisation_role_without_an_organisation_is_refused_naming_the_field(role):
    user = UserFactory(organisation=None, role=role)
    message = errors(user)["organisation"]
    assert "must belong to an organisation" in message
    assert str(role.label) in message


def test_system_administrator_with_an_organisation_is_refused_naming_the_field(org_a):
    user = UserFactory(organisation=org_a, role=choices.Role.SYSTEM_ADMIN)
    assert "A system administrator works across organisations" in errors(user)["organisation"]


@pytest.mark.parametrize("role", [r for r in choices.Role if not r.needs_organisation])
def test_roles_across_organisations_need_no_organisation(role):
    UserFactory(organisation=None, role=role).full_clean()


# Anonymised by design (DESIGN §3.1)

CASE_RECORD_MODELS = [Case, Household, CaseNote, Referral, Assessment, LegalProceeding]
IDENTIFYING_WORDS = {
    "name",
    "surname",
    "patronymic",
    "passport",
    "phone",
    "telephone",
    "mobile",
    "email",
    "address",
    "street",
    "birth",
    "birthday",
    "dob",
}
IDENTIFYING_PHRASES = ("first_name", "last_name", "national_id", "id_number", "birth_date", "date_of_birth")


@pytest.mark.parametrize("model", CASE_RECORD_MODELS, ids=lambda model: model.__name__)
def test_no_field_of_a_case_or_its_records_can_hold_a_name_id_number_phone_address_or_birth_date(model):
    suspicious = [
        field.name
        for field in model._meta.get_fields()
        if set(field.name.lower().split("_")) & IDENTIFYING_WORDS
        or any(phrase in field.name.lower() for phrase in IDENTIFYING_PHRASES)
    ]
    assert suspicious == []


def test_the_only_dates_of_a_case_are_about_the_casework_and_the_month_of_return():
    # An exact date about the person (such as a birth date) must not slip in under an innocent name.
    dates = {field.name for field in Case._meta.concrete_fields if isinstance(field, models.DateField)}
    assert dates == {
        "opened_on",
        "closed_on",
        "archived_at",
        "return_month",
        "consent_services_on",
        "consent_data_sharing_on",
        "consent_withdrawn_on",
        "created_at",
        "updated_at",
    }


# Statuses, bands and categories are enumerations in code

FACTORIES = {
    Case: CaseFactory,
    User: UserFactory,
    Referral: ReferralFactory,
    CaseNote: CaseNoteFactory,
    LegalProceeding: LegalProceedingFactory,
    policy_models.LegalFramework: LegalFrameworkFactory,
    policy_models.Provision: ProvisionFactory,
    policy_models.Programme: ProgrammeFactory,
    policy_models.ReportedFigure: ReportedFigureFactory,
    ClosureRequest: ClosureRequestFactory,
    SavedReport: SavedReportFactory,
    ExportJob: ExportJobFactory,
}
CHOICE_FIELDS = [
    (model, field.name)
    for app_label in ("casework", "policies")
    for model in apps.get_app_config(app_label).get_models()
    # Field history copies the models' fields; the rules are the models' own.
    if not issubclass(model, HistoricalChanges)
    for field in model._meta.concrete_fields
    if field.choices
]


def enumerations() -> list[type[models.TextChoices]]:
    found = [
        obj for obj in vars(choices).values() if inspect.isclass(obj) and issubclass(obj, models.Choices)
    ]
    for model in [
        *apps.get_app_config("policies").get_models(),
        *apps.get_app_config("casework").get_models(),
    ]:
        found += [
            obj for obj in vars(model).values() if inspect.isclass(obj) and issubclass(obj, models.Choices)
        ]
    return found


def field_id(param) -> str:
    return param.__name__ if inspect.isclass(param) else param


@pytest.mark.parametrize(("model", "field_name"), CHOICE_FIELDS, ids=field_id)
def test_every_choice_field_takes_its_values_from_an_enumeration_in_code(model, field_name):
    values = {str(value) for value, _label in model._meta.get_field(field_name).flatchoices}
    assert any(values == set(enumeration.values) for enumeration in enumerations())


@pytest.mark.parametrize(("model", "field_name"), CHOICE_FIELDS, ids=field_id)
def test_a_value_outside_the_enumeration_is_refused_naming_the_field(model, field_name):
    assert model in FACTORIES, f"add a factory for {model.__name__} to this test"
    instance = FACTORIES[model]()
    field = model._meta.get_field(field_name)
    setattr(instance, field_name, ["zz"] if isinstance(field, MultipleChoiceField) else "zz")
    assert "Value 'zz' is not a valid choice." in errors(instance)[field_name]


def test_the_enumerated_fields_are_found():
    assert len(CHOICE_FIELDS) >= 20
    assert {model for model, _name in CHOICE_FIELDS} <= set(FACTORIES)


def test_a_case_cannot_be_set_to_archived_without_the_archive_action(db):
    case = CaseFactory(
        status=choices.CaseStatus.ARCHIVED,
        closed_on=datetime.date(2024, 1, 10),
        closure_reason=choices.ClosureReason.REINTEGRATED,
    )
    with pytest.raises(ValidationError) as refused:
        case.full_clean()
    assert refused.value.message_dict["status"] == [
        "Archive a closed case with the Archive action on its page."
    ]

"""factory_boy factories: each builds a valid object, so a test states only what it is about."""

import datetime

import factory
from django.utils import timezone

from casework import choices
from casework.models import (
    Assessment,
    Case,
    CaseNote,
    ClosureRequest,
    ExportJob,
    Household,
    LegalProceeding,
    Organisation,
    Referral,
    SavedReport,
    ServiceProvider,
    ServiceType,
    User,
)
from policies.models import (
    ArmedGroup,
    ArmedGroupAlias,
    Country,
    LegalFramework,
    Programme,
    Provision,
    Region,
    ReportedFigure,
)

TEST_PASSWORD = "correct-horse-battery-staple"


class CountryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Country
        django_get_or_create = ("code",)

    code = "KZ"
    name = factory.LazyAttribute(
        lambda o: {
            "KZ": "Kazakhstan",
            "TJ": "Tajikistan",
            "UZ": "Uzbekistan",
            "KG": "Kyrgyzstan",
            "TM": "Turkmenistan",
        }.get(o.code, o.code)
    )
    is_central_asian = True


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region

    country = factory.SubFactory(CountryFactory)
    name = factory.Sequence(lambda n: f"Region {n}")


class ArmedGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ArmedGroup

    name = factory.Sequence(lambda n: f"Group {n}")


class ArmedGroupAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ArmedGroupAlias

    group = factory.SubFactory(ArmedGroupFactory)
    name = factory.Sequence(lambda n: f"Alias {n}")


class LegalFrameworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LegalFramework

    country = factory.SubFactory(CountryFactory)
    title = factory.Sequence(lambda n: f"Criminal Code, edition {n}")
    kind = LegalFramework.Kind.CRIMINAL_LAW
    status = LegalFramework.Status.IN_FORCE


class ProvisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provision

    framework = factory.SubFactory(LegalFrameworkFactory)
    article = factory.Sequence(lambda n: f"Art. {n}")
    title = "Participation in a foreign terrorist organisation"
    category = Provision.Category.CRIMINALISATION
    applies_to = ["adults"]


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme

    country = factory.SubFactory(CountryFactory)
    name = factory.Sequence(lambda n: f"Programme {n}")
    kind = Programme.Kind.STATE_REPATRIATION
    start_year = 2019


class ReportedFigureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReportedFigure

    programme = factory.SubFactory(ProgrammeFactory)
    label = "nationals returned"
    qualifier = ReportedFigure.Qualifier.MORE_THAN
    value = 600
    source = "Test source"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"NGO {n}")
    slug = factory.Sequence(lambda n: f"ngo-{n}")
    shares_with_analysts = True


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    organisation = factory.SubFactory(OrganisationFactory)
    role = choices.Role.CASEWORKER
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ServiceTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceType

    code = factory.Sequence(lambda n: f"service-{n}")
    name = factory.Sequence(lambda n: f"Service {n}")


class ServiceProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceProvider
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Provider {n}")
    country = factory.SubFactory(CountryFactory)

    @factory.post_generation
    def service_types(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.service_types.set(extracted)


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    organisation = factory.SubFactory(OrganisationFactory)


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    organisation = factory.SubFactory(OrganisationFactory)
    assigned_to = factory.SubFactory(
        UserFactory, organisation=factory.SelfAttribute("..organisation"), role=choices.Role.CASEWORKER
    )
    created_by = factory.SelfAttribute("assigned_to")
    status = choices.CaseStatus.ACTIVE
    opened_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=200))
    sex = choices.Sex.FEMALE
    age_band = choices.AgeBand.AGE_25_34
    citizenship = factory.SubFactory(CountryFactory)
    residence_country = factory.SelfAttribute("citizenship")
    return_month = datetime.date(2019, 5, 1)
    departure_year = 2014
    conflict_zone = choices.ConflictZone.SYRIA
    return_pathway = choices.ReturnPathway.INDEPENDENT
    affiliation = choices.Affiliation.UNKNOWN
    circumstance = choices.Circumstance.TAKEN_BY_FAMILY
    consent_services = True
    consent_services_on = factory.LazyAttribute(lambda o: o.opened_on)
    consent_data_sharing = True
    consent_data_sharing_on = factory.LazyAttribute(lambda o: o.opened_on)


class CaseNoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseNote

    case = factory.SubFactory(CaseFactory)
    author = factory.SelfAttribute("case.assigned_to")
    contact_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=3))
    contact_type = choices.ContactType.HOME_VISIT
    text = "Home visit: the family is settling in; the eldest child started school."


class ReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Referral

    case = factory.SubFactory(CaseFactory)
    service_type = factory.SubFactory(ServiceTypeFactory)
    status = choices.ReferralStatus.REFERRED
    referred_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    case = factory.SubFactory(CaseFactory)
    assessed_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=10))
    psychosocial = 2
    health = 3
    family_ties = 3
    community_acceptance = 2
    livelihood = 1
    housing = 3
    education = 2
    legal = 2
    disengagement = 4


class LegalProceedingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LegalProceeding

    case = factory.SubFactory(CaseFactory)
    framework = factory.SubFactory(LegalFrameworkFactory, country=factory.SelfAttribute("..case.citizenship"))
    provision = factory.SubFactory(ProvisionFactory, framework=factory.SelfAttribute("..framework"))
    stage = choices.ProceedingStage.INVESTIGATION
    started_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=60))


class ClosureRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClosureRequest

    case = factory.SubFactory(CaseFactory)
    requested_by = factory.SelfAttribute("case.assigned_to")
    reason = choices.ClosureReason.REINTEGRATED
    note = "Goals of the plan met; the family is settled and the children attend school."


class SavedReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SavedReport

    name = factory.Sequence(lambda n: f"Caseload report {n}")
    report = choices.ReportName.CASELOAD
    organisation = factory.SubFactory(OrganisationFactory)
    parameters = factory.LazyAttribute(
        lambda o: {"organisation": o.organisation.slug} if o.organisation else {}
    )


class ExportJobFactory(factory.django.DjangoModelFactory):
    """A finished background export of every case (casework/export_jobs/)."""

    class Meta:
        model = ExportJob

    requested_by = factory.SubFactory(UserFactory)
    organisation = factory.LazyAttribute(lambda o: o.requested_by.organisation)
    kind = ExportJob.Kind.CASES
    format = ExportJob.Format.XLSX
    status = ExportJob.Status.DONE
    progress = 100
    result = b"PK"
    filename = "cases.xlsx"
    expires_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(hours=24))

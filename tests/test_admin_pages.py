"""Every page of the admin renders for a system administrator, within a bounded number of queries."""

from types import SimpleNamespace

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casework import choices
from casework.models import (
    Assessment,
    AuditEvent,
    Case,
    CaseNote,
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
    Country,
    LegalFramework,
    Programme,
    Provision,
    Region,
    ReportedFigure,
)
from tests import factories

# Measured on SQLite and PostgreSQL; the session is written at most once a minute (casework/middleware.py).
# The case list has the most filters over related rows (organisation, assigned caseworker, two
# countries), one query each.
CHANGELIST_MAX_QUERIES = 13
ADD_MAX_QUERIES = 7
CHANGE_MAX_QUERIES = 20


def build_dataset() -> SimpleNamespace:
    """A small but complete world: two cases with every kind of record, and the reference data."""
    kz = factories.CountryFactory(code="KZ")
    tj = factories.CountryFactory(code="TJ")
    region = factories.RegionFactory(country=kz)
    organisation = factories.OrganisationFactory(country=kz)
    n = organisation.slug  # makes the names below unique when the world is built again
    caseworker = factories.UserFactory(organisation=organisation, role=choices.Role.CASEWORKER)
    group = factories.ArmedGroupFactory()
    factories.ArmedGroupAliasFactory(group=group, name=f"KTJ-{n}")
    service_type = factories.ServiceTypeFactory()
    provider = factories.ServiceProviderFactory(country=kz, region=region, service_types=[service_type])
    framework = factories.LegalFrameworkFactory(country=kz)
    provision = factories.ProvisionFactory(framework=framework)
    agreement = factories.LegalFrameworkFactory(
        country=None, kind=LegalFramework.Kind.AGREEMENT, title=f"Regional agreement {n}"
    )
    agreement.parties.set([kz, tj])
    programme = factories.ProgrammeFactory(country=kz)
    programme.frameworks.set([framework])
    figure = factories.ReportedFigureFactory(programme=programme, country=kz)
    household = factories.HouseholdFactory(organisation=organisation)
    mother = factories.CaseFactory(
        organisation=organisation,
        assigned_to=caseworker,
        residence_region=region,
        return_pathway=choices.ReturnPathway.PROGRAMME,
        programme=programme,
        affiliation=choices.Affiliation.GROUP,
        armed_group=group,
        drivers=[choices.Driver.FAMILY_TIES],
        vulnerabilities=[choices.Vulnerability.TRAUMA, choices.Vulnerability.NO_CIVIL_DOCUMENTS],
        household=household,
        household_role=choices.HouseholdRole.MOTHER,
    )
    child = factories.CaseFactory(
        organisation=organisation,
        assigned_to=caseworker,
        age_band=choices.AgeBand.UNDER_5,
        departure_year=None,
        circumstance=choices.Circumstance.BORN_IN_ZONE,
        household=household,
        household_role=choices.HouseholdRole.CHILD,
    )
    for case in (mother, child):
        note = factories.CaseNoteFactory(case=case)
        factories.CaseNoteFactory(case=case, restricted=True, contact_type=choices.ContactType.OFFICE)
        referral = factories.ReferralFactory(case=case, service_type=service_type, provider=provider)
        assessment = factories.AssessmentFactory(case=case, assessed_by=caseworker)
        proceeding = factories.LegalProceedingFactory(case=case, framework=framework, provision=provision)
    audit_event = AuditEvent.objects.create(
        actor=caseworker,
        actor_username=caseworker.username,
        actor_organisation=organisation,
        actor_role=caseworker.role,
        action="case.view",
        object_type="case",
        object_id=str(mother.pk),
        case_reference=mother.reference,
        ip_address="127.0.0.1",
    )
    seen = {"user_agent": "test", "ip_address": "127.0.0.1", "username": caseworker.username}
    seen |= {"http_accept": "text/html", "path_info": "/accounts/login/"}
    attempt = AccessAttempt.objects.create(**seen, get_data="", post_data="", failures_since_start=2)
    access_log = AccessLog.objects.create(**seen)
    failure_log = AccessFailureLog.objects.create(**seen, locked_out=False)
    saved_report = factories.SavedReportFactory(organisation=organisation)
    return SimpleNamespace(
        objects={
            SavedReport: saved_report,
            Organisation: organisation,
            User: caseworker,
            Country: kz,
            Region: region,
            ArmedGroup: group,
            ServiceType: service_type,
            ServiceProvider: provider,
            LegalFramework: framework,
            Provision: provision,
            Programme: programme,
            ReportedFigure: figure,
            Household: household,
            Case: mother,
            CaseNote: note,
            Referral: referral,
            Assessment: assessment,
            LegalProceeding: proceeding,
            AuditEvent: audit_event,
            AccessAttempt: attempt,
            AccessLog: access_log,
            AccessFailureLog: failure_log,
        },
        case=mother,
        group=group,
    )


# Trails written by the system (the audit trail, django-axes' sign-in records): never added by hand.
WRITTEN_BY_THE_SYSTEM = {AuditEvent, AccessAttempt, AccessLog, AccessFailureLog}

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)


def label(model) -> str:
    return model._meta.label


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def root_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def dataset(db):
    return build_dataset()


def test_every_registered_model_has_a_sample_object(dataset):
    # A model registered without a sample here would escape the page tests below.
    assert set(admin.site._registry) <= set(dataset.objects)


@pytest.mark.parametrize("model", REGISTERED, ids=label)
def test_changelist_renders_within_bound(root_client, dataset, model, django_assert_max_num_queries):
    with django_assert_max_num_queries(CHANGELIST_MAX_QUERIES):
        response = root_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1


@pytest.mark.parametrize("model", REGISTERED, ids=label)
def test_changelist_queries_do_not_grow_with_rows(root_client, dataset, model):
    url = admin_url(model, "changelist")
    root_client.get(url)  # warm the per-process caches (content types, permissions)
    with CaptureQueriesContext(connection) as one:
        root_client.get(url)
    build_dataset()
    build_dataset()
    with CaptureQueriesContext(connection) as three:
        response = root_client.get(url)
    assert response.status_code == 200
    assert len(three) == len(one) <= CHANGELIST_MAX_QUERIES, [q["sql"] for q in three.captured_queries]


@pytest.mark.parametrize("model", REGISTERED, ids=label)
def test_add_page_renders_within_bound(root_client, dataset, model, django_assert_max_num_queries):
    with django_assert_max_num_queries(ADD_MAX_QUERIES):
        response = root_client.get(admin_url(model, "add"))
    # The audit trail is written by the system, never by hand.
    assert response.status_code == (403 if model in WRITTEN_BY_THE_SYSTEM else 200)


@pytest.mark.parametrize("model", REGISTERED, ids=label)
def test_change_page_renders_within_bound(root_client, dataset, model, django_assert_max_num_queries):
    obj = dataset.objects[model]
    with django_assert_max_num_queries(CHANGE_MAX_QUERIES):
        response = root_client.get(admin_url(model, "change", obj.pk))
    assert response.status_code == 200


def test_audit_event_is_read_only(root_client, dataset):
    event = dataset.objects[AuditEvent]
    response = root_client.get(admin_url(AuditEvent, "change", event.pk))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="_save"' not in content
    assert 'name="_continue"' not in content
    assert event.case_reference in content
    assert root_client.get(admin_url(AuditEvent, "add")).status_code == 403
    assert root_client.get(admin_url(AuditEvent, "delete", event.pk)).status_code == 403
    assert root_client.post(admin_url(AuditEvent, "delete", event.pk), {"post": "yes"}).status_code == 403
    assert root_client.post(admin_url(AuditEvent, "change", event.pk), {"action": "x"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk, action="case.view").exists()


def test_audit_changelist_offers_no_bulk_actions(root_client, dataset):
    response = root_client.get(admin_url(AuditEvent, "changelist"))
    assert response.status_code == 200
    assert response.context["action_form"] is None


def test_audit_changelist_filters_by_action_and_date(root_client, dataset):
    event = dataset.objects[AuditEvent]
    url = admin_url(AuditEvent, "changelist")
    assert root_client.get(url, {"action": "case.view"}).context["cl"].result_count == 1
    assert root_client.get(url, {"action": "case.update"}).context["cl"].result_count == 0
    year = {"at__year": event.at.year, "at__month": event.at.month}
    assert event in root_client.get(url, year).context["cl"].result_list
    last_year = {"at__year": event.at.year - 1}
    assert root_client.get(url, last_year).context["cl"].result_count == 0


def test_cases_cannot_be_deleted_only_archived(root_client, dataset):
    case = dataset.case
    assert root_client.get(admin_url(Case, "delete", case.pk)).status_code == 403
    assert Case.objects.filter(pk=case.pk).exists()


def test_case_changelist_search_by_reference_finds_the_case(root_client, dataset):
    other = build_dataset().case
    response = root_client.get(admin_url(Case, "changelist"), {"q": dataset.case.reference})
    found = list(response.context["cl"].result_list)
    assert found == [dataset.case]
    assert other not in found


def test_armed_group_search_finds_the_group_by_alias(root_client, dataset):
    alias = dataset.group.aliases.get()
    factories.ArmedGroupFactory(name="Unrelated group")
    response = root_client.get(admin_url(ArmedGroup, "changelist"), {"q": alias.name})
    assert list(response.context["cl"].result_list) == [dataset.group]


def test_case_changelist_filters_by_vulnerability(root_client, dataset):
    response = root_client.get(admin_url(Case, "changelist"), {"vulnerabilities": "trauma"})
    assert list(response.context["cl"].result_list) == [dataset.case]


def test_case_form_shows_what_must_not_be_recorded(root_client, dataset):
    response = root_client.get(admin_url(Case, "change", dataset.case.pk))
    content = response.content.decode()
    assert f'<input type="hidden" name="loaded_version" value="{dataset.case.version}"' in content
    assert "Do not record names, ID or passport numbers" in content
    assert "Never record the date of birth." in content
    assert "Never record a town, street or address." in content
    sections = [fieldset.name for fieldset in response.context["adminform"]]
    assert sections == [
        "Profile",
        "Return",
        "Background",
        "Vulnerabilities",
        "Consent",
        "Household",
        "Status & closure",
        "Bookkeeping",
    ]


def test_household_lists_its_members_with_links(root_client, dataset):
    household = dataset.objects[Household]
    response = root_client.get(admin_url(Household, "change", household.pk))
    content = response.content.decode()
    for member in household.members.all():
        assert member.reference in content
        assert admin_url(Case, "change", member.pk) in content


def test_case_change_page_queries_do_not_grow_with_its_records(root_client, dataset):
    case = dataset.case
    url = admin_url(Case, "change", case.pk)
    root_client.get(url)
    with CaptureQueriesContext(connection) as before:
        root_client.get(url)
    referral = case.referrals.get()
    proceeding = case.legal_proceedings.get()
    for _ in range(3):
        factories.CaseNoteFactory(case=case)
        factories.ReferralFactory(case=case, service_type=referral.service_type, provider=referral.provider)
        factories.AssessmentFactory(case=case, assessed_by=case.assigned_to)
        factories.LegalProceedingFactory(
            case=case, framework=proceeding.framework, provision=proceeding.provision
        )
    with CaptureQueriesContext(connection) as after:
        response = root_client.get(url)
    assert response.status_code == 200
    assert len(after) == len(before), [q["sql"] for q in after.captured_queries]


AUTOCOMPLETES = sorted(
    (model._meta.label, field)
    for model, model_admin in admin.site._registry.items()
    for field in model_admin.autocomplete_fields
)


@pytest.mark.parametrize(("source", "field"), AUTOCOMPLETES, ids=[f"{m}.{f}" for m, f in AUTOCOMPLETES])
def test_autocomplete_answers_in_queries_that_do_not_grow(root_client, dataset, source, field):
    app_label, model_name = source.lower().split(".")
    params = {"app_label": app_label, "model_name": model_name, "field_name": field, "term": ""}
    url = reverse("admin:autocomplete")
    root_client.get(url, params)
    with CaptureQueriesContext(connection) as one:
        response = root_client.get(url, params)
    assert response.status_code == 200
    assert response.json()["results"]
    build_dataset()
    build_dataset()
    with CaptureQueriesContext(connection) as three:
        root_client.get(url, params)
    assert len(three) == len(one), [q["sql"] for q in three.captured_queries]


@pytest.fixture
def seeded(db):
    call_command("seed_demo", cases=60, seed=3, password="a-demo-password-for-tests", force=True, stdout=None)
    return Case.objects.order_by("reference").first()


@pytest.mark.parametrize("model", REGISTERED, ids=label)
def test_every_admin_page_renders_on_seeded_demo_data_within_bound(
    root_client, seeded, model, django_assert_max_num_queries
):
    with django_assert_max_num_queries(CHANGELIST_MAX_QUERIES):
        assert root_client.get(admin_url(model, "changelist")).status_code == 200
    with django_assert_max_num_queries(ADD_MAX_QUERIES):
        added = root_client.get(admin_url(model, "add"))
    assert added.status_code == (403 if model in WRITTEN_BY_THE_SYSTEM else 200)
    if model is Case:
        # The case with the most records: its page shows them all inline.
        obj = Case.objects.annotate(records=Count("notes") + Count("referrals")).order_by("-records").first()
    else:
        obj = model._default_manager.order_by("pk").last()
    if obj is None:
        assert model in (AuditEvent, AccessAttempt, AccessLog, AccessFailureLog)  # not seeded
        return
    with django_assert_max_num_queries(CHANGE_MAX_QUERIES):
        assert root_client.get(admin_url(model, "change", obj.pk)).status_code == 200

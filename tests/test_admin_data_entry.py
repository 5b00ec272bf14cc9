"""Entering and changing data through the admin: rules, screening, and stale edits."""

import datetime
import re

import pytest
from django import forms
from django.db.models import F
from django.urls import reverse

from casework import choices
from casework.models import Case, CaseNote, LegalProceeding, Referral, User
from casework.models.cases import REFERENCE_ALPHABET
from policies.models import LegalFramework, Provision
from tests import factories


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def page_data(response) -> dict:
    """What a browser would post back for the admin page as rendered, forms and inlines included."""
    data: dict = {}
    page_forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[management[name].html_name] = management[name].value()
        page_forms.extend(inline.formset.forms)
    for form in page_forms:
        for name, field in form.fields.items():
            bound = form[name]
            value = bound.value()
            if value is None or (isinstance(field, forms.BooleanField) and not value):
                continue  # as a browser sends an empty select or an unticked box: nothing
            if isinstance(field, forms.BooleanField):
                data[bound.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [str(item) for item in value]
            elif isinstance(value, datetime.date):
                data[bound.html_name] = value.isoformat()
            else:
                data[bound.html_name] = value
    return data


def add_inline_row(data: dict, prefix: str, **fields) -> int:
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = index + 1
    for name, value in fields.items():
        data[f"{prefix}-{index}-{name}"] = value
    return index


@pytest.fixture
def root_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def kz(db):
    return factories.CountryFactory(code="KZ")


@pytest.fixture
def case(caseworker_a, kz):
    return factories.CaseFactory(
        organisation=caseworker_a.organisation, assigned_to=caseworker_a, citizenship=kz
    )


def new_case_data(root_client, org_a, caseworker_a, kz) -> dict:
    data = page_data(root_client.get(admin_url(Case, "add")))
    data.update(
        organisation=org_a.pk,
        assigned_to=caseworker_a.pk,
        sex=choices.Sex.FEMALE,
        age_band=choices.AgeBand.AGE_25_34,
        citizenship=kz.pk,
        residence_country=kz.pk,
        return_month="2019-05-01",
        departure_year="2014",
        conflict_zone=choices.ConflictZone.SYRIA,
        return_pathway=choices.ReturnPathway.INDEPENDENT,
        circumstance=choices.Circumstance.TAKEN_BY_FAMILY,
        drivers=[choices.Driver.FAMILY_TIES, choices.Driver.SOCIO_ECONOMIC],
        vulnerabilities=[choices.Vulnerability.TRAUMA],
    )
    return data


def test_adding_a_case_draws_a_random_reference_and_records_the_admin(
    root_client, superuser, org_a, caseworker_a, kz
):
    response = root_client.post(admin_url(Case, "add"), new_case_data(root_client, org_a, caseworker_a, kz))

    assert response.status_code == 302, response.context["adminform"].form.errors
    case = Case.objects.get()
    assert re.fullmatch(f"[{REFERENCE_ALPHABET}]{{4}}-[{REFERENCE_ALPHABET}]{{4}}", case.reference)
    assert case.created_by == superuser
    assert case.version == 1
    assert case.drivers == [choices.Driver.FAMILY_TIES, choices.Driver.SOCIO_ECONOMIC]
    assert case.vulnerabilities == [choices.Vulnerability.TRAUMA]
    second = root_client.post(admin_url(Case, "add"), new_case_data(root_client, org_a, caseworker_a, kz))
    assert second.status_code == 302
    assert len(set(Case.objects.values_list("reference", flat=True))) == 2


def test_a_broken_rule_names_the_field_and_keeps_what_was_typed(root_client, org_a, caseworker_a, kz):
    data = new_case_data(root_client, org_a, caseworker_a, kz)
    data["return_pathway"] = choices.ReturnPathway.PROGRAMME  # but no programme chosen

    response = root_client.post(admin_url(Case, "add"), data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["programme"] == ["Choose the programme the person returned through."]
    assert not Case.objects.exists()
    content = response.content.decode()
    assert "Choose the programme the person returned through." in content
    assert form["departure_year"].value() == "2014"
    assert 'name="departure_year" value="2014"' in content
    assert form["return_pathway"].value() == choices.ReturnPathway.PROGRAMME
    assert form["vulnerabilities"].value() == [choices.Vulnerability.TRAUMA]


def test_a_stale_edit_is_refused_and_changes_nothing(root_client, case):
    url = admin_url(Case, "change", case.pk)
    data = page_data(root_client.get(url))
    assert data["loaded_version"] == 1
    # A colleague saves the case while the form is open.
    Case.objects.filter(pk=case.pk).update(status=choices.CaseStatus.MONITORING, version=F("version") + 1)
    data["status"] = choices.CaseStatus.INTAKE
    data["departure_year"] = "2015"

    response = root_client.post(url, data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "Someone else changed this case" in form.non_field_errors()[0]
    assert "Someone else changed this case" in response.content.decode()
    assert form["departure_year"].value() == "2015"  # the user's input is still on the page
    case.refresh_from_db()
    assert (case.status, case.departure_year, case.version) == (choices.CaseStatus.MONITORING, 2014, 2)


def test_a_stale_edit_refuses_the_inlines_too(root_client, case):
    url = admin_url(Case, "change", case.pk)
    data = page_data(root_client.get(url))
    Case.objects.filter(pk=case.pk).update(version=F("version") + 1)
    add_inline_row(data, "notes", contact_on="2024-01-10", contact_type="office", text="Met at the office.")

    response = root_client.post(url, data)

    assert response.status_code == 200
    assert not case.notes.exists()


def test_a_fresh_edit_is_saved_and_raises_the_version(root_client, case):
    url = admin_url(Case, "change", case.pk)
    data = page_data(root_client.get(url))
    data["status"] = choices.CaseStatus.MONITORING

    response = root_client.post(url, data)

    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.version) == (choices.CaseStatus.MONITORING, 2)
    data = page_data(root_client.get(url))
    assert data["loaded_version"] == 2
    data["departure_year"] = "2013"
    assert root_client.post(url, data).status_code == 302
    case.refresh_from_db()
    assert (case.departure_year, case.version) == (2013, 3)


def test_a_note_with_a_phone_number_is_refused_until_confirmed(root_client, superuser, case):
    url = admin_url(Case, "change", case.pk)
    data = page_data(root_client.get(url))
    row = add_inline_row(
        data,
        "notes",
        contact_on=(datetime.date.today() - datetime.timedelta(days=1)).isoformat(),
        contact_type=choices.ContactType.PHONE,
        text="She asked us to call back on +7 701 123 45 67 after the hearing.",
    )

    response = root_client.post(url, data)

    assert response.status_code == 200
    notes = response.context["inline_admin_formsets"][0].formset
    (error,) = notes.forms[row].errors["text"]
    assert "a phone number" in error
    assert "confirm that it does not identify anyone" in error
    assert "I have checked: this text identifies no one" in response.content.decode()
    assert not CaseNote.objects.exists()

    data[f"notes-{row}-confirm_no_identifiers"] = "on"
    response = root_client.post(url, data)

    assert response.status_code == 302
    note = CaseNote.objects.get()
    assert note.text.startswith("She asked us to call back")
    assert note.author == superuser  # left empty, so signed by whoever saved it
    case.refresh_from_db()
    assert case.version == 2


@pytest.mark.parametrize(
    ("factory", "field"),
    [
        (factories.CaseNoteFactory, "text"),
        (factories.ReferralFactory, "outcome_note"),
        (factories.LegalProceedingFactory, "outcome"),
    ],
    ids=["note", "referral", "proceeding"],
)
def test_screened_text_on_its_own_page_warns_naming_the_field(root_client, case, factory, field):
    obj = factory(case=case)
    url = admin_url(type(obj), "change", obj.pk)
    data = page_data(root_client.get(url))
    data[field] = "Passport AB1234567 was handed back."

    response = root_client.post(url, data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "a passport or ID number" in form.errors[field][0]
    obj.refresh_from_db()
    assert "AB1234567" not in getattr(obj, field)

    data["confirm_no_identifiers"] = "on"
    assert root_client.post(url, data).status_code == 302
    obj.refresh_from_db()
    assert getattr(obj, field) == "Passport AB1234567 was handed back."


def test_records_added_on_the_case_page_are_signed_by_the_admin(root_client, superuser, case):
    service_type = factories.ServiceTypeFactory()
    url = admin_url(Case, "change", case.pk)
    data = page_data(root_client.get(url))
    yesterday = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
    add_inline_row(
        data,
        "referrals",
        service_type=service_type.pk,
        status=choices.ReferralStatus.REFERRED,
        referred_on=yesterday,
    )
    add_inline_row(data, "assessments", assessed_on=yesterday, psychosocial="3", housing="2")

    response = root_client.post(url, data)

    assert response.status_code == 302
    assert Referral.objects.get().created_by == superuser
    assessment = case.assessments.get()
    assert (assessment.assessed_by, assessment.psychosocial, assessment.housing) == (superuser, 3, 2)


def test_a_note_added_on_its_own_page_keeps_a_chosen_author(root_client, case):
    data = page_data(root_client.get(admin_url(CaseNote, "add")))
    data.update(
        case=case.pk,
        author=case.assigned_to.pk,
        contact_on=datetime.date.today().isoformat(),
        contact_type=choices.ContactType.HOME_VISIT,
        text="Home visit; the children are at school.",
    )

    response = root_client.post(admin_url(CaseNote, "add"), data)

    assert response.status_code == 302
    assert CaseNote.objects.get().author == case.assigned_to


def test_provisions_are_added_inline_on_their_framework(root_client, kz):
    url = admin_url(LegalFramework, "add")
    data = page_data(root_client.get(url))
    data.update(country=kz.pk, title="Criminal Code", kind=LegalFramework.Kind.CRIMINAL_LAW)
    add_inline_row(
        data,
        "provisions",
        article="Art. 257",
        title="Participation in a foreign terrorist organisation",
        category=Provision.Category.CRIMINALISATION,
        applies_to=[Provision.AppliesTo.ADULTS],
        penalty_min_years="5",
        penalty_max_years="10",
    )

    response = root_client.post(url, data)

    assert response.status_code == 302
    provision = Provision.objects.get()
    assert provision.framework.title == "Criminal Code"
    assert (provision.article, provision.applies_to) == ("Art. 257", ["adults"])
    assert (provision.penalty_min_years, provision.penalty_max_years) == (5, 10)


def test_a_provision_rule_is_reported_on_its_inline_row(root_client, kz):
    framework = factories.LegalFrameworkFactory(country=kz)
    url = admin_url(LegalFramework, "change", framework.pk)
    data = page_data(root_client.get(url))
    row = add_inline_row(
        data,
        "provisions",
        title="Participation",
        category=Provision.Category.CRIMINALISATION,
        penalty_min_years="10",
        penalty_max_years="5",
    )

    response = root_client.post(url, data)

    assert response.status_code == 200
    provisions = response.context["inline_admin_formsets"][0].formset
    assert provisions.forms[row].errors["penalty_max_years"] == [
        "The maximum penalty cannot be below the minimum."
    ]
    assert not Provision.objects.exists()


def test_the_user_add_form_sets_organisation_and_role(root_client, org_a):
    url = admin_url(User, "add")
    data = page_data(root_client.get(url))
    data.update(
        username="dilnoza",
        usable_password="true",
        password1="a-long-enough-passphrase-42",
        password2="a-long-enough-passphrase-42",
        organisation=org_a.pk,
        role=choices.Role.SUPERVISOR,
    )

    response = root_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(username="dilnoza")
    assert (user.organisation, user.role) == (org_a, choices.Role.SUPERVISOR)
    assert user.check_password("a-long-enough-passphrase-42")


def test_the_user_add_form_requires_an_organisation_for_staff_of_one(root_client):
    url = admin_url(User, "add")
    data = page_data(root_client.get(url))
    data.update(
        username="farrukh",
        usable_password="true",
        password1="a-long-enough-passphrase-42",
        password2="a-long-enough-passphrase-42",
        role=choices.Role.CASEWORKER,
    )

    response = root_client.post(url, data)

    assert response.status_code == 200
    assert "must belong to an organisation" in response.context["adminform"].form.errors["organisation"][0]
    assert not User.objects.filter(username="farrukh").exists()


def test_a_legal_proceeding_added_inline_must_fit_the_case_country(root_client, case):
    tj_framework = factories.LegalFrameworkFactory(country=factories.CountryFactory(code="TJ"))
    url = admin_url(Case, "change", case.pk)
    data = page_data(root_client.get(url))
    row = add_inline_row(
        data,
        "legal_proceedings",
        framework=tj_framework.pk,
        stage=choices.ProceedingStage.INVESTIGATION,
        started_on=(datetime.date.today() - datetime.timedelta(days=5)).isoformat(),
    )

    response = root_client.post(url, data)

    assert response.status_code == 200
    proceedings = response.context["inline_admin_formsets"][3].formset
    assert "framework" in proceedings.forms[row].errors
    assert not LegalProceeding.objects.exists()


def test_a_proceeding_added_with_a_new_case_must_be_under_a_framework_of_its_countries(
    root_client, org_a, caseworker_a, kz
):
    tajik_code = factories.LegalFrameworkFactory(country=factories.CountryFactory(code="TJ"))
    kazakh_code = factories.LegalFrameworkFactory(country=kz)
    data = new_case_data(root_client, org_a, caseworker_a, kz)
    row = add_inline_row(
        data, "legal_proceedings", framework=tajik_code.pk, stage="investigation", started_on="2020-01-10"
    )

    refused = root_client.post(admin_url(Case, "add"), data)

    assert refused.status_code == 200
    errors = refused.context["inline_admin_formsets"][3].formset.errors[row]
    assert errors["framework"] == ["This framework is not of the case's country of citizenship or residence."]
    assert not Case.objects.exists()
    assert refused.context["adminform"].form["return_month"].value() == "2019-05-01"

    data[f"legal_proceedings-{row}-framework"] = kazakh_code.pk
    accepted = root_client.post(admin_url(Case, "add"), data)

    assert accepted.status_code == 302
    assert LegalProceeding.objects.get().framework == kazakh_code

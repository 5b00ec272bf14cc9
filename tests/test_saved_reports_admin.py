"""Saved report definitions in the admin: system administrators manage every one, organisation
administrators their own organisation's; their parameters are checked against the report's form."""

import json

import pytest
from django.urls import reverse

from casework.models import SavedReport
from tests import factories

CHANGELIST = reverse("admin:casework_savedreport_changelist")
ADD = reverse("admin:casework_savedreport_add")


def change_url(definition) -> str:
    return reverse("admin:casework_savedreport_change", args=[definition.pk])


def object_urls(definition) -> list[str]:
    return [
        change_url(definition),
        reverse("admin:casework_savedreport_history", args=[definition.pk]),
        reverse("admin:casework_savedreport_delete", args=[definition.pk]),
    ]


def post_data(name="First half", report="caseload", parameters=None, **extra) -> dict:
    if parameters is None:
        parameters = {"organisation": "org-a", "from": "2026-01-01", "to": "2026-06-30"}
    data = {"name": name, "report": report, "parameters": json.dumps(parameters)}
    data.update(extra)
    return data


def form_errors(response) -> dict:
    assert response.status_code == 200, response.status_code
    return response.context["adminform"].form.errors


@pytest.fixture
def definitions(org_a, org_b):
    return {
        "a": SavedReport.objects.create(
            name="A monthly", report="caseload", parameters={"organisation": "org-a"}, organisation=org_a
        ),
        "b": SavedReport.objects.create(
            name="B monthly", report="caseload", parameters={"organisation": "org-b"}, organisation=org_b
        ),
        "everyone": SavedReport.objects.create(name="For all", report="country-brief", parameters={}),
    }


@pytest.fixture
def kz(db):
    return factories.CountryFactory(code="KZ")


# --- System administrators --------------------------------------------------------------------------------


def test_a_system_administrator_lists_every_definition(client, superuser, definitions):
    client.force_login(superuser)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert {row.name for row in response.context["cl"].result_list} == {"A monthly", "B monthly", "For all"}
    assert f'href="/reports/saved/{definitions["b"].pk}/"' in response.content.decode()


def test_a_system_administrator_adds_a_definition_for_the_organisation_they_choose(
    client, superuser, org_a, org_b
):
    client.force_login(superuser)
    page = client.get(ADD)
    assert page.status_code == 200
    assert "organisation" in page.context["adminform"].form.fields
    data = post_data(
        name="B half", parameters={"organisation": "org-b", "from": "2026-01-01"}, organisation=org_b.pk
    )
    response = client.post(ADD, data)
    assert response.status_code == 302, form_errors(response)
    definition = SavedReport.objects.get(name="B half")
    assert definition.organisation == org_b
    assert definition.created_by == superuser
    assert definition.parameters == {"organisation": "org-b", "from": "2026-01-01"}


def test_a_system_administrator_adds_a_definition_for_everyone(client, superuser, kz):
    client.force_login(superuser)
    response = client.post(ADD, post_data(name="KZ", report="country-brief", parameters={"country": "kz"}))
    assert response.status_code == 302, form_errors(response)
    assert SavedReport.objects.get(name="KZ").organisation is None


def test_a_system_administrator_changes_and_deletes_any_definition(client, superuser, definitions):
    client.force_login(superuser)
    url = change_url(definitions["b"])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        post_data(
            name="B renamed",
            parameters={"organisation": "org-b"},
            organisation=definitions["b"].organisation_id,
        ),
    )
    assert response.status_code == 302, form_errors(response)
    assert SavedReport.objects.get(pk=definitions["b"].pk).name == "B renamed"
    delete = reverse("admin:casework_savedreport_delete", args=[definitions["b"].pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not SavedReport.objects.filter(pk=definitions["b"].pk).exists()


# --- Organisation administrators --------------------------------------------------------------------------


def test_an_organisation_administrator_lists_only_their_organisations_definitions(
    client, orgadmin_a, definitions
):
    client.force_login(orgadmin_a)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert [row.name for row in response.context["cl"].result_list] == ["A monthly"]
    page = response.content.decode()
    assert "B monthly" not in page and "NGO B" not in page


def test_an_organisation_administrators_definition_is_for_their_organisation_whatever_is_posted(
    client, orgadmin_a, org_a, org_b
):
    client.force_login(orgadmin_a)
    page = client.get(ADD)
    assert page.status_code == 200
    assert "organisation" not in page.context["adminform"].form.fields
    response = client.post(ADD, post_data(name="Forged", organisation=org_b.pk))
    assert response.status_code == 302, form_errors(response)
    definition = SavedReport.objects.get(name="Forged")
    assert definition.organisation == org_a
    assert definition.created_by == orgadmin_a


def test_an_organisation_administrator_changes_their_organisations_definition(
    client, orgadmin_a, definitions, org_b
):
    client.force_login(orgadmin_a)
    url = change_url(definitions["a"])
    assert client.get(url).status_code == 200
    response = client.post(url, post_data(name="A renamed", organisation=org_b.pk))
    assert response.status_code == 302, form_errors(response)
    definition = SavedReport.objects.get(pk=definitions["a"].pk)
    assert (definition.name, definition.organisation.slug) == ("A renamed", "org-a")


@pytest.mark.parametrize("key", ["b", "everyone"])
def test_an_organisation_administrator_cannot_open_another_organisations_or_everyones_definition(
    client, orgadmin_a, definitions, key
):
    client.force_login(orgadmin_a)
    definition = definitions[key]
    for url in object_urls(definition):
        assert client.get(url).status_code == 404, url
        assert client.post(url, post_data(name="Taken", post="yes")).status_code == 404, url
    definition.refresh_from_db()
    assert definition.name != "Taken"


def test_an_organisation_administrator_may_not_save_a_definition_about_another_organisation(
    client, orgadmin_a, org_b
):
    client.force_login(orgadmin_a)
    response = client.post(ADD, post_data(name="Peek", parameters={"organisation": "org-b"}))
    assert "parameters" in form_errors(response)
    assert not SavedReport.objects.filter(name="Peek").exists()


def test_two_definitions_of_one_organisation_may_not_share_a_name(client, orgadmin_a, definitions):
    client.force_login(orgadmin_a)
    response = client.post(ADD, post_data(name="A monthly"))
    assert form_errors(response)
    assert SavedReport.objects.filter(name="A monthly").count() == 1


def test_an_organisation_administrator_without_an_organisation_may_do_nothing(client, definitions):
    from casework.choices import Role

    stray = factories.UserFactory(organisation=None, role=Role.ORG_ADMIN)
    client.force_login(stray)
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(ADD).status_code == 403
    assert client.post(ADD, post_data(name="Stray")).status_code == 403
    assert not SavedReport.objects.filter(name="Stray").exists()


# --- Roles without access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["supervisor_a", "caseworker_a", "analyst", None])
def test_roles_without_the_admin_are_sent_to_sign_in(client, request, definitions, who):
    if who is not None:
        client.force_login(request.getfixturevalue(who))
    for url in [CHANGELIST, ADD, *object_urls(definitions["a"])]:
        for response in (client.get(url), client.post(url, post_data(name="Sneaked"))):
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("admin:login")), url
    assert not SavedReport.objects.filter(name="Sneaked").exists()


def test_an_auditor_has_no_saved_reports_in_the_admin(client, auditor, definitions):
    client.force_login(auditor)
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(ADD).status_code == 403
    assert client.post(ADD, post_data(name="Sneaked")).status_code == 403
    for url in object_urls(definitions["a"]):
        assert client.get(url).status_code == 404, url  # no definition exists for them
    assert not SavedReport.objects.filter(name="Sneaked").exists()
    index = client.get(reverse("admin:index"))
    assert not any(
        model["object_name"] == "SavedReport" for app in index.context["app_list"] for model in app["models"]
    )


# --- Parameters are checked -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("report", "parameters", "named"),
    [
        ("caseload", {"organisation": "org-a", "period": "2026"}, "period"),
        ("caseload", {"from": "2026-13-01"}, "from"),
        ("caseload", {"from": "yesterday"}, "from"),
        ("caseload", {"from": "2026-06-30", "to": "2026-01-01"}, "to"),
        ("caseload", {"organisation": "no-such-ngo"}, "organisation"),
        ("caseload", {"from": 20260101}, "from"),
        ("caseload", {"from": ["2026-01-01"]}, "from"),
        ("country-brief", {"country": "XX"}, "country"),
        ("country-brief", {"country": "KZ", "year": "2026"}, "year"),
        ("country-brief", {}, "country"),
        ("case-summary", {"reference": "not a reference"}, "reference"),
        ("case-summary", {"reference": {"nested": "K7QF-29XA"}}, "reference"),
    ],
)
def test_invalid_parameters_are_a_form_error_naming_parameters_and_nothing_is_saved(
    client, superuser, org_a, kz, report, parameters, named
):
    client.force_login(superuser)
    response = client.post(ADD, post_data(name="Broken", report=report, parameters=parameters))
    errors = form_errors(response)
    assert list(errors) == ["parameters"]
    assert named in " ".join(errors["parameters"])
    assert not SavedReport.objects.filter(name="Broken").exists()


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", '"KZ"', "null", "42"])
def test_parameters_must_be_an_object(client, superuser, raw):
    client.force_login(superuser)
    response = client.post(ADD, {"name": "Broken", "report": "country-brief", "parameters": raw})
    assert "parameters" in form_errors(response)
    assert not SavedReport.objects.filter(name="Broken").exists()


def test_an_unknown_report_is_a_form_error_naming_the_report(client, superuser):
    client.force_login(superuser)
    response = client.post(ADD, post_data(name="Broken", report="donor-report", parameters={}))
    assert list(form_errors(response)) == ["report"]
    assert not SavedReport.objects.filter(name="Broken").exists()


def test_valid_parameters_as_typed_are_accepted(client, superuser, org_a, kz):
    client.force_login(superuser)
    cases = [
        ("Everything", "caseload", {}),
        ("A dates", "caseload", {"organisation": "org-a", "from": "2026-01-01", "to": "2026-06-30"}),
        ("KZ", "country-brief", {"country": "kz"}),
        ("Case", "case-summary", {"reference": "k7qf 29xa"}),
    ]
    for name, report, parameters in cases:
        response = client.post(ADD, post_data(name=name, report=report, parameters=parameters))
        assert response.status_code == 302, (name, form_errors(response))
    assert SavedReport.objects.count() == len(cases)

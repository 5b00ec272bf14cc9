"""The admin by role: who gets in, what each sees, and that the unseen answers 404 without a trace."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group
from django.db import connection
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
    User,
)
from policies.models import Country
from tests import factories
from tests.test_admin_data_entry import admin_url, page_data


@pytest.fixture
def world(org_a, org_b, supervisor_a, caseworker_a, colleague_a, orgadmin_a, caseworker_b):
    """Organisation A's cases (one unassigned) with a record of each kind; organisation B's the same."""
    kz = factories.CountryFactory(code="KZ")

    def records(case, author):
        return SimpleNamespace(
            note=factories.CaseNoteFactory(case=case, author=author),
            restricted_note=factories.CaseNoteFactory(
                case=case,
                author=author,
                restricted=True,
                text="Restricted: spoke of threats from a recruiter.",
            ),
            referral=factories.ReferralFactory(case=case),
            assessment=factories.AssessmentFactory(case=case, assessed_by=author),
            proceeding=factories.LegalProceedingFactory(case=case),
        )

    household_a = factories.HouseholdFactory(organisation=org_a)
    household_b = factories.HouseholdFactory(organisation=org_b)
    case_a = factories.CaseFactory(
        organisation=org_a, assigned_to=caseworker_a, citizenship=kz, household=household_a
    )
    unassigned_a = factories.CaseFactory(organisation=org_a, assigned_to=None, created_by=supervisor_a)
    case_b = factories.CaseFactory(
        organisation=org_b, assigned_to=caseworker_b, citizenship=kz, household=household_b
    )
    return SimpleNamespace(
        kz=kz,
        case_a=case_a,
        unassigned_a=unassigned_a,
        case_b=case_b,
        household_a=household_a,
        household_b=household_b,
        a=records(case_a, caseworker_a),
        b=records(case_b, caseworker_b),
    )


def client_for(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def orgadmin_client(client, orgadmin_a):
    return client_for(client, orgadmin_a)


@pytest.fixture
def auditor_client(client, auditor):
    return client_for(client, auditor)


@pytest.fixture
def root_client(client, superuser):
    return client_for(client, superuser)


def autocomplete(client, model_name: str, field_name: str, term: str = ""):
    params = {"app_label": "casework", "model_name": model_name, "field_name": field_name, "term": term}
    return client.get(reverse("admin:autocomplete"), params)


# --- who gets in ----------------------------------------------------------------------------------------


def every_admin_url(world) -> list[str]:
    return [
        reverse("admin:index"),
        reverse("admin:app_list", args=["casework"]),
        admin_url(Case, "changelist"),
        admin_url(Case, "add"),
        admin_url(Case, "change", world.case_a.pk),
        admin_url(Case, "history", world.case_a.pk),
        admin_url(CaseNote, "change", world.a.note.pk),
        admin_url(User, "changelist"),
        admin_url(User, "add"),
        admin_url(Organisation, "changelist"),
        admin_url(AuditEvent, "changelist"),
        admin_url(Country, "changelist"),
        reverse("admin:autocomplete") + "?app_label=casework&model_name=casenote&field_name=case",
    ]


@pytest.mark.parametrize("who", ["supervisor_a", "caseworker_a", "analyst", None])
def test_roles_without_the_admin_are_sent_to_sign_in_from_every_admin_url(request, client, world, who):
    if who is not None:
        client.force_login(request.getfixturevalue(who))
    for url in every_admin_url(world):
        for response in (client.get(url), client.post(url, {"anything": "x"})):
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("admin:login")), url


def test_the_staff_flag_neither_admits_nor_is_needed(client, world, caseworker_a, orgadmin_a):
    caseworker_a.is_staff = True
    caseworker_a.save()
    assert not orgadmin_a.is_staff
    client.force_login(caseworker_a)
    assert client.get(reverse("admin:index")).status_code == 302
    client.force_login(orgadmin_a)
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.parametrize(("who", "admitted"), [("orgadmin_a", True), ("caseworker_a", False)])
def test_the_admin_sign_in_form_admits_by_role(request, client, world, who, admitted):
    user = request.getfixturevalue(who)
    response = client.post(
        reverse("admin:login"),
        {"username": user.username, "password": factories.TEST_PASSWORD, "next": reverse("admin:index")},
    )
    if admitted:
        assert response.status_code == 302
        assert client.get(reverse("admin:index")).status_code == 200
    else:
        assert response.status_code == 200
        assert "Please enter the correct username and password" in response.content.decode()
        assert "_auth_user_id" not in client.session


def index_models(client) -> set[str]:
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return {model["object_name"] for app in response.context["app_list"] for model in app["models"]}


def test_an_organisation_administrator_sees_only_the_modules_they_may_use(orgadmin_client, world):
    models = index_models(orgadmin_client)
    assert {"Case", "CaseNote", "User", "Organisation", "Country", "LegalFramework"} <= models
    assert not models & {"AuditEvent", "AccessAttempt", "AccessLog", "AccessFailureLog", "Group"}


def test_an_auditor_sees_only_the_audit_trail(auditor_client, world):
    assert index_models(auditor_client) == {"AuditEvent"}
    assert auditor_client.get(admin_url(AuditEvent, "changelist")).status_code == 200
    for model in (Case, CaseNote, User, Organisation, Country):
        assert auditor_client.get(admin_url(model, "changelist")).status_code == 403
    assert auditor_client.get(reverse("admin:app_list", args=["policies"])).status_code == 404


def test_a_case_is_no_more_visible_to_an_auditor_than_a_missing_one(auditor_client, world):
    for url in (admin_url(Case, "change", world.case_a.pk), admin_url(CaseNote, "change", world.a.note.pk)):
        response = auditor_client.get(url)
        assert response.status_code == 404
        assert world.case_a.reference not in response.content.decode()


def test_a_system_administrator_without_the_superuser_flag_sees_everything(client, world):
    admin = factories.UserFactory(organisation=None, role=choices.Role.SYSTEM_ADMIN)
    client.force_login(admin)
    models = index_models(client)
    assert {"Case", "User", "AuditEvent", "AccessAttempt", "Country"} <= models
    cases = set(client.get(admin_url(Case, "changelist")).context["cl"].result_list)
    assert {world.case_a, world.case_b} <= cases
    assert client.get(admin_url(Case, "change", world.case_b.pk)).status_code == 200


def test_auth_groups_are_not_in_the_admin(root_client, world):
    assert "Group" not in index_models(root_client)
    assert root_client.get("/admin/auth/group/").status_code == 404
    assert not Group.objects.exists()


# --- what an organisation administrator sees ------------------------------------------------------------


def listed(client, model, **params) -> set:
    response = client.get(admin_url(model, "changelist"), params)
    assert response.status_code == 200
    return set(response.context["cl"].result_list)


def test_an_organisation_administrator_lists_their_organisations_cases_and_users_only(
    orgadmin_client, world, org_a, caseworker_b
):
    assert listed(orgadmin_client, Case) == {world.case_a, world.unassigned_a}
    assert listed(orgadmin_client, User) == set(User.objects.filter(organisation=org_a))
    assert caseworker_b not in listed(orgadmin_client, User, q=caseworker_b.username)
    assert listed(orgadmin_client, Organisation) == {org_a}
    assert listed(orgadmin_client, Household) == {world.household_a}
    assert listed(orgadmin_client, Case, q=world.case_b.reference) == set()


def test_an_organisation_administrator_lists_records_of_their_cases_and_no_restricted_note(
    orgadmin_client, world
):
    assert listed(orgadmin_client, CaseNote) == {world.a.note}
    assert listed(orgadmin_client, Referral) == {world.a.referral}
    assert listed(orgadmin_client, Assessment) == {world.a.assessment}
    assert listed(orgadmin_client, LegalProceeding) == {world.a.proceeding}


def foreign_urls(world, orgadmin_a, caseworker_b) -> list[str]:
    return [
        admin_url(Case, "change", world.case_b.pk),
        admin_url(Case, "history", world.case_b.pk),
        admin_url(Case, "delete", world.case_b.pk),
        admin_url(CaseNote, "change", world.b.note.pk),
        admin_url(CaseNote, "change", world.a.restricted_note.pk),  # own organisation, restricted
        admin_url(Referral, "change", world.b.referral.pk),
        admin_url(Assessment, "change", world.b.assessment.pk),
        admin_url(LegalProceeding, "change", world.b.proceeding.pk),
        admin_url(Household, "change", world.household_b.pk),
        admin_url(User, "change", caseworker_b.pk),
        admin_url(User, "history", caseworker_b.pk),
        admin_url(User, "delete", caseworker_b.pk),
        reverse("admin:auth_user_password_change", args=[caseworker_b.pk]),
        admin_url(Organisation, "change", caseworker_b.organisation_id),
        admin_url(Case, "change", 987654321),  # no such case: the same answer
    ]


def test_what_an_organisation_administrator_may_not_see_answers_404_naming_nothing(
    orgadmin_client, world, orgadmin_a, caseworker_b
):
    for url in foreign_urls(world, orgadmin_a, caseworker_b):
        for response in (orgadmin_client.get(url), orgadmin_client.post(url, {"post": "yes"})):
            assert response.status_code == 404, url
            content = response.content.decode()
            assert world.case_b.reference not in content
            assert world.household_b.reference not in content
            assert caseworker_b.username not in content
            assert "doesn’t exist" not in content


def test_an_organisation_administrator_reads_their_cases_without_a_way_to_save(orgadmin_client, world):
    response = orgadmin_client.get(admin_url(Case, "change", world.case_a.pk))
    assert response.status_code == 200
    content = response.content.decode()
    assert world.case_a.reference in content
    assert 'name="_save"' not in content
    assert 'name="loaded_version"' not in content
    assert world.a.note.text in content
    assert world.a.restricted_note.text not in content
    inline_notes = next(
        inline for inline in response.context["inline_admin_formsets"] if inline.formset.model is CaseNote
    )
    assert [form.instance for form in inline_notes.formset.forms] == [world.a.note]


def test_an_organisation_administrators_post_to_a_case_is_refused_and_changes_nothing(
    orgadmin_client, root_client, world, orgadmin_a, superuser
):
    url = admin_url(Case, "change", world.case_a.pk)
    root_client.force_login(superuser)
    data = page_data(root_client.get(url))
    data["status"] = choices.CaseStatus.MONITORING
    orgadmin_client.force_login(orgadmin_a)
    before = Case.objects.values().get(pk=world.case_a.pk)

    assert orgadmin_client.post(url, data).status_code == 403
    assert orgadmin_client.post(admin_url(Case, "add"), data).status_code == 403
    assert (
        orgadmin_client.post(admin_url(Case, "delete", world.case_a.pk), {"post": "yes"}).status_code == 403
    )

    assert Case.objects.values().get(pk=world.case_a.pk) == before
    assert Case.objects.count() == 3


def test_an_organisation_administrator_reads_reference_data_but_does_not_change_it(orgadmin_client, world):
    url = admin_url(Country, "change", world.kz.pk)
    response = orgadmin_client.get(url)
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()
    assert orgadmin_client.post(url, {"name": "Renamed", "code": "KZ"}).status_code == 403
    assert orgadmin_client.get(admin_url(Country, "add")).status_code == 403
    world.kz.refresh_from_db()
    assert world.kz.name == "Kazakhstan"


def test_an_organisation_administrator_changes_only_the_settings_of_their_organisation(
    orgadmin_client, org_a, org_b
):
    url = admin_url(Organisation, "change", org_a.pk)
    data = page_data(orgadmin_client.get(url))
    assert data["shares_with_analysts"] == "on"
    assert not {"name", "slug", "is_active"} & set(data)  # shown, not editable
    data.update(name="Taken over", slug="taken", is_active="")
    del data["shares_with_analysts"]  # unticked

    response = orgadmin_client.post(url, data)

    assert response.status_code == 302
    org_a.refresh_from_db()
    assert (org_a.name, org_a.slug, org_a.is_active) == ("NGO A", "org-a", True)
    assert org_a.shares_with_analysts is False
    assert orgadmin_client.get(admin_url(Organisation, "add")).status_code == 403


# --- choices: autocompletes and filters -----------------------------------------------------------------


def result_ids(response) -> set[str]:
    assert response.status_code == 200
    return {item["id"] for item in response.json()["results"]}


def test_autocompletes_never_offer_another_organisations_records(orgadmin_client, world, org_a, caseworker_b):
    cases = result_ids(autocomplete(orgadmin_client, "casenote", "case"))
    assert cases == {str(world.case_a.pk), str(world.unassigned_a.pk)}
    assert result_ids(autocomplete(orgadmin_client, "casenote", "case", world.case_b.reference)) == set()
    users = result_ids(autocomplete(orgadmin_client, "case", "assigned_to"))
    assert users == {str(pk) for pk in User.objects.filter(organisation=org_a).values_list("pk", flat=True)}
    assert str(caseworker_b.pk) not in result_ids(autocomplete(orgadmin_client, "casenote", "author", "bob"))
    assert result_ids(autocomplete(orgadmin_client, "case", "organisation")) == {str(org_a.pk)}
    assert result_ids(autocomplete(orgadmin_client, "case", "household")) == {str(world.household_a.pk)}


def test_an_auditor_gets_no_autocomplete(auditor_client, world):
    assert autocomplete(auditor_client, "casenote", "case").status_code == 403
    assert autocomplete(auditor_client, "case", "assigned_to").status_code == 403


def filter_choices(response, title: str) -> list[str]:
    """The choices of a related filter; none when Django leaves out a filter with a single choice."""
    specs = [spec for spec in response.context["cl"].filter_specs if str(spec.title) == title]
    return [str(label) for spec in specs for _value, label in spec.lookup_choices]


def test_filter_drop_downs_do_not_name_other_organisations_or_their_staff(
    orgadmin_client, world, org_a, caseworker_b
):
    response = orgadmin_client.get(admin_url(Case, "changelist"))
    assert filter_choices(response, "organisation") in ([], ["NGO A"])
    staff = filter_choices(response, "assigned caseworker")
    assert "alice" in staff
    assert "bob" not in staff
    content = response.content.decode()
    assert "NGO B" not in content
    assert "bob" not in content
    notes = orgadmin_client.get(admin_url(CaseNote, "changelist"))
    assert "NGO B" not in notes.content.decode()
    users = orgadmin_client.get(admin_url(User, "changelist"))
    assert filter_choices(users, "organisation") in ([], ["NGO A"])


def test_a_system_administrators_filters_list_every_organisation(root_client, world):
    response = root_client.get(admin_url(Case, "changelist"))
    assert filter_choices(response, "organisation") == ["NGO A", "NGO B"]


# --- bounded work ---------------------------------------------------------------------------------------

# As for a system administrator (tests/test_admin_pages.py): scoping adds conditions, not queries.
ORGADMIN_CHANGELIST_MAX_QUERIES = 13
ORGADMIN_CHANGE_MAX_QUERIES = 20


@pytest.mark.parametrize(
    "model", [Case, CaseNote, Referral, Assessment, LegalProceeding, Household, User, Organisation]
)
def test_an_organisation_administrators_lists_stay_within_bound(
    orgadmin_client, world, model, django_assert_max_num_queries
):
    with django_assert_max_num_queries(ORGADMIN_CHANGELIST_MAX_QUERIES):
        assert orgadmin_client.get(admin_url(model, "changelist")).status_code == 200


def test_an_organisation_administrators_case_page_stays_within_bound_whatever_its_records(
    orgadmin_client, world, django_assert_max_num_queries
):
    url = admin_url(Case, "change", world.case_a.pk)
    with django_assert_max_num_queries(ORGADMIN_CHANGE_MAX_QUERIES):
        assert orgadmin_client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as before:
        orgadmin_client.get(url)
    for _ in range(3):
        factories.CaseNoteFactory(case=world.case_a)
        factories.ReferralFactory(case=world.case_a, service_type=world.a.referral.service_type)
    with CaptureQueriesContext(connection) as after:
        orgadmin_client.get(url)
    assert len(after) == len(before), [query["sql"] for query in after.captured_queries]


# --- the audit trail ------------------------------------------------------------------------------------


def test_only_system_administrators_see_who_accessed_a_case(root_client, orgadmin_client, world, superuser):
    trail = admin_url(AuditEvent, "changelist") + f"?case_reference={world.case_a.reference}"
    root_client.force_login(superuser)
    assert trail in root_client.get(admin_url(Case, "change", world.case_a.pk)).content.decode()


def test_an_organisation_administrator_has_no_link_to_the_trail(orgadmin_client, world):
    content = orgadmin_client.get(admin_url(Case, "change", world.case_a.pk)).content.decode()
    assert admin_url(AuditEvent, "changelist") not in content
    assert orgadmin_client.get(admin_url(AuditEvent, "changelist")).status_code == 403


def test_the_trail_shows_everyone_who_accessed_a_case(client, world, orgadmin_a, superuser, auditor, org_a):
    for user in (orgadmin_a, superuser):
        client.force_login(user)
        client.get(admin_url(Case, "change", world.case_a.pk))
    client.get(admin_url(Case, "change", world.case_b.pk))
    client.force_login(auditor)
    url = admin_url(AuditEvent, "changelist")

    events = listed(client, AuditEvent, case_reference=world.case_a.reference)
    assert {event.actor_username for event in events} == {orgadmin_a.username, superuser.username}
    assert {event.actor_username for event in listed(client, AuditEvent, q=orgadmin_a.username)} == {
        orgadmin_a.username
    }
    by_organisation = listed(client, AuditEvent, actor_organisation__id__exact=org_a.pk)
    assert {event.actor_username for event in by_organisation} == {orgadmin_a.username}
    assert {e.action for e in listed(client, AuditEvent, action="view")} == {"view"}
    first = min(event.at for event in events)
    assert listed(client, AuditEvent, at__gte=first.isoformat()) >= events
    assert not listed(client, AuditEvent, at__lt=first.isoformat(), case_reference=world.case_a.reference)
    assert world.case_a.reference in client.get(url).content.decode()


def test_the_view_on_site_shortcut_reaches_only_objects_the_user_sees(orgadmin_client, world, monkeypatch):
    """Were a case to get a page, the admin's shortcut must not lead to the page of a foreign case."""
    from django.contrib.contenttypes.models import ContentType

    monkeypatch.setattr(Case, "get_absolute_url", lambda case: f"/cases/{case.reference}/", raising=False)
    content_type = ContentType.objects.get_for_model(Case)

    def shortcut(object_id):
        return orgadmin_client.get(reverse("admin:view_on_site", args=[content_type.pk, object_id]))

    own = shortcut(world.case_a.pk)
    assert own.status_code == 302
    assert own["Location"].endswith(f"/cases/{world.case_a.reference}/")
    for object_id in (world.case_b.pk, 987654321, "not-a-number"):
        response = shortcut(object_id)
        assert response.status_code == 404
        assert world.case_b.reference not in response.content.decode()
    group_type = ContentType.objects.get_for_model(Group)
    assert orgadmin_client.get(reverse("admin:view_on_site", args=[group_type.pk, 1])).status_code == 404


def test_an_organisation_administrator_without_an_organisation_may_do_nothing(client, world):
    stray = factories.UserFactory(organisation=None, role=choices.Role.ORG_ADMIN)
    client.force_login(stray)
    assert index_models(client) == set()
    for model in (Case, User, Organisation, Country):
        assert client.get(admin_url(model, "changelist")).status_code == 403
    assert client.get(admin_url(User, "add")).status_code == 403


@pytest.mark.parametrize("role", list(choices.Role), ids=str)
def test_the_admin_table_agrees_with_the_role_capabilities(role):
    from casework import access

    user = User(username="someone", role=role, organisation_id=1)
    allowed = {(area, action) for area in access.AdminArea for action in ("view", "add", "change", "delete")}
    allowed = {(area, action) for area, action in allowed if access.admin_may(user, action, area)}
    assert bool(allowed) == role.uses_admin_site
    assert access.admin_may(user, "view", access.AdminArea.AUDIT_TRAIL) == role.reads_audit_trail
    assert not {action for area, action in allowed if area == access.AdminArea.AUDIT_TRAIL} - {"view"}
    assert not {area for area, action in allowed if action == "delete"} & {
        access.AdminArea.CASES,
        access.AdminArea.CASE_RECORDS,
        access.AdminArea.USERS,
        access.AdminArea.AUDIT_TRAIL,
    }
    manages_users = access.admin_may(user, "add", access.AdminArea.USERS)
    assert manages_users == (role.manages_organisation_users or role == choices.Role.SYSTEM_ADMIN)


def test_every_admin_names_the_area_whose_rules_govern_it():
    from django.contrib import admin

    from casework import access

    for model, model_admin in admin.site._registry.items():
        assert model_admin.admin_area in access.AdminArea, model
        for inline in model_admin.inlines:
            assert inline(model, admin.site)._area() in access.AdminArea, inline

"""No form, field or request in the admin lets anyone move a user or a case to another organisation or
raise a role. Every test re-reads the database: a refusal is only a refusal if nothing changed."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from casework import choices
from casework.choices import Role
from casework.models import AuditEvent, Case, Organisation, User
from tests import factories
from tests.test_admin_data_entry import admin_url, page_data

PASSWORD = "a-long-enough-passphrase-42"


def password_url(user) -> str:
    return reverse("admin:auth_user_password_change", args=[user.pk])


def account(user) -> dict:
    """What escalation would change, read again from the database."""
    row = User.objects.get(pk=user.pk)
    return {
        "organisation": row.organisation_id,
        "role": row.role,
        "is_active": row.is_active,
        "is_superuser": row.is_superuser,
        "is_staff": row.is_staff,
        "groups": list(row.groups.all()),
        "permissions": list(row.user_permissions.all()),
        "password": row.password,
    }


@pytest.fixture
def orgadmin_client(client, orgadmin_a):
    client.force_login(orgadmin_a)
    return client


@pytest.fixture
def escalation():
    """What an attacker would try to attach: a group and a permission that would mean something."""
    group = Group.objects.create(name="Everything")
    permission = Permission.objects.get(codename="change_case")
    group.permissions.add(permission)
    return {"groups": [group.pk], "user_permissions": [permission.pk], "is_superuser": "on", "is_staff": "on"}


def add_user_data(client, **fields) -> dict:
    data = page_data(client.get(admin_url(User, "add")))
    data.update(usable_password="true", password1=PASSWORD, password2=PASSWORD, role=Role.CASEWORKER)
    data.update(fields)
    return data


# --- creating users -------------------------------------------------------------------------------------


def test_the_add_form_offers_an_organisation_administrator_only_the_roles_within_an_organisation(
    orgadmin_client,
):
    form = orgadmin_client.get(admin_url(User, "add")).context["adminform"].form
    assert {value for value, _label in form.fields["role"].choices} == {
        Role.ORG_ADMIN,
        Role.SUPERVISOR,
        Role.CASEWORKER,
    }
    assert not {"organisation", "is_superuser", "is_staff", "groups", "user_permissions"} & set(form.fields)


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.ANALYST, Role.AUDITOR, "root"])
def test_an_organisation_administrator_cannot_create_a_user_with_a_role_above_or_outside(
    orgadmin_client, role
):
    response = orgadmin_client.post(
        admin_url(User, "add"), add_user_data(orgadmin_client, username="eve", role=role)
    )

    assert response.status_code == 200
    assert "role" in response.context["adminform"].form.errors
    assert not User.objects.filter(username="eve").exists()


def test_a_user_created_by_an_organisation_administrator_joins_their_organisation_whatever_is_posted(
    orgadmin_client, org_a, org_b, escalation
):
    data = add_user_data(orgadmin_client, username="eve", organisation=org_b.pk, **escalation)

    response = orgadmin_client.post(admin_url(User, "add"), data)

    assert response.status_code == 302
    eve = User.objects.get(username="eve")
    assert account(eve) | {"password": ""} == {
        "organisation": org_a.pk,
        "role": Role.CASEWORKER,
        "is_active": True,
        "is_superuser": False,
        "is_staff": False,
        "groups": [],
        "permissions": [],
        "password": "",
    }
    assert not User.objects.filter(organisation=org_b).exclude(username="bob").exists()


# --- changing users -------------------------------------------------------------------------------------


def test_an_organisation_administrator_cannot_raise_a_colleague_to_system_administrator(
    orgadmin_client, caseworker_a
):
    url = admin_url(User, "change", caseworker_a.pk)
    before = account(caseworker_a)
    data = page_data(orgadmin_client.get(url))
    data["role"] = Role.SYSTEM_ADMIN

    response = orgadmin_client.post(url, data)

    assert response.status_code == 200
    assert "role" in response.context["adminform"].form.errors
    assert account(caseworker_a) == before


def test_posted_organisation_superuser_staff_groups_and_permissions_are_ignored(
    orgadmin_client, caseworker_a, org_a, org_b, escalation
):
    url = admin_url(User, "change", caseworker_a.pk)
    before = account(caseworker_a)
    data = page_data(orgadmin_client.get(url))
    data.update(organisation=org_b.pk, **escalation)

    response = orgadmin_client.post(url, data)

    assert response.status_code == 302
    assert account(caseworker_a) == before


def test_an_organisation_administrator_sets_a_role_within_the_organisation_and_deactivates(
    orgadmin_client, caseworker_a
):
    url = admin_url(User, "change", caseworker_a.pk)
    data = page_data(orgadmin_client.get(url))
    data["role"] = Role.SUPERVISOR
    del data["is_active"]

    assert orgadmin_client.post(url, data).status_code == 302

    changed = account(caseworker_a)
    assert (changed["role"], changed["is_active"], changed["organisation"]) == (
        Role.SUPERVISOR,
        False,
        caseworker_a.organisation_id,
    )


def test_an_organisation_administrator_cannot_change_their_own_role_or_deactivate_themselves(
    orgadmin_client, orgadmin_a
):
    url = admin_url(User, "change", orgadmin_a.pk)
    before = account(orgadmin_a)
    response = orgadmin_client.get(url)
    assert not {"role", "is_active", "organisation"} & set(response.context["adminform"].form.fields)
    data = page_data(response)
    data.update(role=Role.SYSTEM_ADMIN, first_name="Oscar")

    assert orgadmin_client.post(url, data).status_code == 302

    assert account(orgadmin_a) == before
    assert User.objects.get(pk=orgadmin_a.pk).first_name == "Oscar"  # the rest of the form still works


@pytest.mark.parametrize("who", ["caseworker_b", "superuser", "auditor", "analyst"])
def test_an_organisation_administrator_cannot_reach_users_outside_the_organisation(
    request, orgadmin_client, who
):
    target = request.getfixturevalue(who)
    before = account(target)
    change = admin_url(User, "change", target.pk)

    assert orgadmin_client.get(change).status_code == 404
    assert orgadmin_client.post(change, {"username": "taken", "role": Role.CASEWORKER}).status_code == 404
    assert (
        orgadmin_client.post(password_url(target), {"password1": PASSWORD, "password2": PASSWORD}).status_code
        == 404
    )
    assert orgadmin_client.post(admin_url(User, "delete", target.pk), {"post": "yes"}).status_code == 404

    assert account(target) == before


def test_a_superuser_placed_in_the_organisation_stays_out_of_reach(orgadmin_client, org_a):
    """Data that breaks the rules (a superuser with an organisation) must not become a way in."""
    boss = factories.UserFactory(organisation=org_a, role=Role.CASEWORKER, is_superuser=True)
    before = account(boss)
    url = admin_url(User, "change", boss.pk)
    data = page_data(orgadmin_client.get(url))
    assert 'name="_save"' not in orgadmin_client.get(url).content.decode()

    assert orgadmin_client.post(url, data).status_code == 403
    assert (
        orgadmin_client.post(password_url(boss), {"password1": PASSWORD, "password2": PASSWORD}).status_code
        == 403
    )

    assert account(boss) == before


def test_an_organisation_administrator_cannot_delete_a_user(orgadmin_client, caseworker_a):
    assert (
        orgadmin_client.post(admin_url(User, "delete", caseworker_a.pk), {"post": "yes"}).status_code == 403
    )
    assert User.objects.filter(pk=caseworker_a.pk).exists()


def test_an_organisation_administrator_resets_a_colleagues_password(orgadmin_client, caseworker_a):
    response = orgadmin_client.post(
        password_url(caseworker_a), {"password1": PASSWORD, "password2": PASSWORD, "usable_password": "true"}
    )
    assert response.status_code == 302
    assert User.objects.get(pk=caseworker_a.pk).check_password(PASSWORD)


# --- organisations and cases ----------------------------------------------------------------------------


def test_an_organisation_administrator_cannot_change_another_organisation(orgadmin_client, org_b):
    before = Organisation.objects.values().get(pk=org_b.pk)
    url = admin_url(Organisation, "change", org_b.pk)
    assert orgadmin_client.post(url, {"name": "Mine now", "shares_with_analysts": ""}).status_code == 404
    assert orgadmin_client.post(admin_url(Organisation, "add"), {"name": "X", "slug": "x"}).status_code == 403
    assert Organisation.objects.values().get(pk=org_b.pk) == before
    assert not Organisation.objects.filter(slug="x").exists()


def test_an_organisation_administrator_cannot_move_a_case(
    orgadmin_client, client, superuser, org_b, caseworker_a
):
    case = factories.CaseFactory(organisation=caseworker_a.organisation, assigned_to=caseworker_a)
    url = admin_url(Case, "change", case.pk)
    client.force_login(superuser)
    data = page_data(client.get(url))
    data.update(organisation=org_b.pk)
    before = Case.objects.values().get(pk=case.pk)
    orgadmin_client.force_login(User.objects.get(username="oscar"))

    assert orgadmin_client.post(url, data).status_code == 403
    assert Case.objects.values().get(pk=case.pk) == before


# --- roles without the admin ----------------------------------------------------------------------------


def test_a_caseworker_posting_to_admin_urls_changes_nothing(client, caseworker_a, colleague_a, org_b):
    case = factories.CaseFactory(organisation=colleague_a.organisation, assigned_to=colleague_a)
    client.force_login(caseworker_a)
    cases_before = list(Case.objects.values())
    users_before = [account(user) for user in User.objects.all()]
    organisations_before = list(Organisation.objects.values())
    posts = {
        admin_url(Case, "change", case.pk): {"organisation": org_b.pk, "status": choices.CaseStatus.CLOSED},
        admin_url(Case, "add"): {"organisation": org_b.pk},
        admin_url(User, "change", caseworker_a.pk): {"role": Role.SYSTEM_ADMIN, "is_superuser": "on"},
        admin_url(User, "add"): {"username": "mallory", "password1": PASSWORD, "password2": PASSWORD},
        password_url(colleague_a): {"password1": PASSWORD, "password2": PASSWORD},
        admin_url(Organisation, "change", org_b.pk): {"name": "Mine"},
        admin_url(Case, "delete", case.pk): {"post": "yes"},
    }
    events_before = AuditEvent.objects.count()

    for url, data in posts.items():
        response = client.post(url, data)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url

    assert list(Case.objects.values()) == cases_before
    assert [account(user) for user in User.objects.all()] == users_before
    assert list(Organisation.objects.values()) == organisations_before
    assert AuditEvent.objects.count() == events_before

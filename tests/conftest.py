"""The shared cast: two organisations, their staff, and the cross-organisation roles."""

import pytest

from casework.choices import Role
from tests.factories import OrganisationFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def org_a(db):
    return OrganisationFactory(name="NGO A", slug="org-a")


@pytest.fixture
def org_b(db):
    return OrganisationFactory(name="NGO B", slug="org-b")


@pytest.fixture
def supervisor_a(org_a):
    return UserFactory(username="sam", organisation=org_a, role=Role.SUPERVISOR)


@pytest.fixture
def caseworker_a(org_a):
    return UserFactory(username="alice", organisation=org_a, role=Role.CASEWORKER)


@pytest.fixture
def colleague_a(org_a):
    return UserFactory(username="carol", organisation=org_a, role=Role.CASEWORKER)


@pytest.fixture
def orgadmin_a(org_a):
    return UserFactory(username="oscar", organisation=org_a, role=Role.ORG_ADMIN)


@pytest.fixture
def caseworker_b(org_b):
    return UserFactory(username="bob", organisation=org_b, role=Role.CASEWORKER)


@pytest.fixture
def analyst(db):
    return UserFactory(username="ann", organisation=None, role=Role.ANALYST)


@pytest.fixture
def auditor(db):
    return UserFactory(username="audrey", organisation=None, role=Role.AUDITOR)


@pytest.fixture
def superuser(db):
    return UserFactory(
        username="root", organisation=None, role=Role.SYSTEM_ADMIN, is_staff=True, is_superuser=True
    )

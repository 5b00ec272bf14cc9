"""The shared cast: two organisations, their staff, and the cross-organisation roles."""

import importlib

import pytest
from django.db import connection

from casework.choices import Role
from tests.factories import OrganisationFactory, UserFactory

guard = importlib.import_module("casework.migrations.0002_audit_trail_append_only")


@pytest.fixture(scope="session", autouse=True)
def _audit_guard_lifted_for_flush():
    """Let the test runner's flush (after a transactional test) empty the trail, and nothing else.

    The flush is the only thing that may ever remove events, so the guard is dropped just around it and
    put back straight after, with the migration's own statements.
    """
    ops_class = type(connection.ops)
    original = ops_class.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        if not any("casework_auditevent" in sql for sql in sql_list):
            return original(self, sql_list)
        forward, backward = guard.STATEMENTS[self.connection.vendor]
        with self.connection.cursor() as cursor:
            for statement in backward:
                cursor.execute(statement)
        try:
            return original(self, sql_list)
        finally:
            with self.connection.cursor() as cursor:
                for statement in forward:
                    cursor.execute(statement)

    ops_class.execute_sql_flush = execute_sql_flush
    yield
    ops_class.execute_sql_flush = original


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


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: cached dashboard figures or throttle counts of one test must
    not be what another sees."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()

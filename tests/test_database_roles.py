"""deploy/postgres-roles.sql, proven on PostgreSQL: the application's role reads and writes rows, appends
to the audit trail, and can neither rewrite nor erase it, nor change the schema (docs/DEPLOY.md).

The script runs with psql against the test database, creating an owner and an application role with
names of their own; the application role then connects with psycopg, as gunicorn would. Every change
it makes is rolled back, and the roles are dropped afterwards.
"""

import os
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

psycopg = pytest.importorskip("psycopg")
from psycopg import errors, sql  # noqa: E402

SCRIPT = Path(__file__).resolve().parent.parent / "deploy" / "postgres-roles.sql"

pytestmark = [
    pytest.mark.django_db,  # so that the test database exists; the tests query it through psycopg
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="database roles are PostgreSQL's: run with DATABASE_URL=postgres://... to prove them",
    ),
    pytest.mark.skipif(shutil.which("psql") is None, reason="psql (PostgreSQL's client) is not installed"),
]

AUDIT_ROW = """
    INSERT INTO casework_auditevent
        (actor_username, actor_role, action, object_type, object_id, case_reference, at, details)
    VALUES ('probe', 'caseworker', 'sign_in', '', '', '', now(), '{}')
    RETURNING id
"""


def connect(database: dict, **overrides):
    params = {
        "host": database["HOST"] or None,
        "port": database["PORT"] or None,
        "dbname": database["NAME"],
        "user": database["USER"],
        "password": database["PASSWORD"] or None,
    }
    params.update(overrides)
    return psycopg.connect(**{key: value for key, value in params.items() if value is not None})


def run_script(database: dict, **variables: str) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "PGHOST": database["HOST"] or "",
        "PGPORT": str(database["PORT"] or ""),
        "PGUSER": database["USER"] or "",
        "PGPASSWORD": database["PASSWORD"] or "",
        "PGDATABASE": database["NAME"],
    }
    arguments = ["psql", "-X", "-q", "-f", str(SCRIPT)]
    for name, value in variables.items():
        arguments[1:1] = ["-v", f"{name}={value}"]
    return subprocess.run(arguments, env=environment, capture_output=True, text=True, timeout=60)  # noqa: S603


@pytest.fixture(scope="module")
def database(django_db_setup, django_db_blocker):
    """The test database's connection settings, for a superuser (the script creates roles)."""
    with django_db_blocker.unblock():
        database = dict(connections["default"].settings_dict)
    with connect(database) as admin:
        may_create_roles = admin.execute(
            "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"
        ).fetchone()[0]
    if not may_create_roles:
        pytest.skip("the test database's user may not create roles")
    return database


@pytest.fixture(scope="module")
def roles(database):
    """An owner and an application role, set up by the script exactly as docs/DEPLOY.md says."""
    suffix = secrets.token_hex(4)
    owner, app, password = f"returnee_owner_t{suffix}", f"returnee_app_t{suffix}", secrets.token_urlsafe(24)
    result = run_script(database, owner=owner, app=app, db=database["NAME"])
    assert result.returncode == 0, result.stderr
    with connect(database, autocommit=True) as admin:
        admin.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(app), sql.Literal(password)))
    yield {"owner": owner, "app": app, "password": password, "script_output": result.stdout}
    with connect(database, autocommit=True) as admin:
        for role in (app, owner):
            admin.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
        # The script closed the database to everyone but its roles; the test database is shared again.
        admin.execute(
            sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO PUBLIC").format(
                sql.Identifier(database["NAME"])
            )
        )


@pytest.fixture
def as_app(database, roles):
    """A connection as the application role; whatever it does is rolled back."""
    connection = connect(database, user=roles["app"], password=roles["password"])
    yield connection
    connection.rollback()
    connection.close()


def refused(connection, statement: str) -> str:
    """Runs `statement`, which must be refused for lack of privilege; returns PostgreSQL's message."""
    with pytest.raises(errors.InsufficientPrivilege) as refusal, connection.transaction():
        connection.execute(statement)
    return str(refusal.value)


def test_the_script_reports_the_audit_table_append_only(roles):
    assert "casework_auditevent: the application role may INSERT and SELECT only." in roles["script_output"]


def test_the_application_role_appends_to_the_audit_trail_and_reads_it(as_app):
    event_id = as_app.execute(AUDIT_ROW).fetchone()[0]
    row = as_app.execute("SELECT actor_username, action FROM casework_auditevent WHERE id = %s", [event_id])
    assert row.fetchone() == ("probe", "sign_in")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE casework_auditevent SET action = 'forged'",
        "DELETE FROM casework_auditevent",
        "TRUNCATE casework_auditevent",
    ],
)
def test_the_application_role_cannot_rewrite_or_erase_the_audit_trail(as_app, statement):
    assert "permission denied for table casework_auditevent" in refused(as_app, statement)


@pytest.mark.parametrize(
    "statement",
    [
        "DROP TRIGGER casework_auditevent_no_update_or_delete ON casework_auditevent",
        "ALTER TABLE casework_auditevent DISABLE TRIGGER ALL",
        "DROP TABLE casework_auditevent",
        "CREATE OR REPLACE FUNCTION casework_auditevent_append_only() RETURNS trigger"
        " LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
        "CREATE TABLE casework_smuggled (id integer)",
    ],
)
def test_the_application_role_cannot_change_the_schema_or_the_audit_guards(as_app, statement):
    refused(as_app, statement)


def test_the_application_role_reads_and_writes_the_tables_it_works_with(as_app):
    with as_app.transaction(force_rollback=True):
        organisation = as_app.execute(
            "INSERT INTO casework_organisation (name, slug, shares_with_analysts, is_active, created_at)"
            " VALUES ('Probe NGO', 'probe-ngo', false, true, now()) RETURNING id"
        ).fetchone()[0]
        updated = as_app.execute(
            "UPDATE casework_organisation SET name = 'Renamed' WHERE id = %s", [organisation]
        ).rowcount
        deleted = as_app.execute("DELETE FROM casework_organisation WHERE id = %s", [organisation]).rowcount
        expired_sessions = as_app.execute("DELETE FROM django_session WHERE expire_date < now()").rowcount
    assert (updated, deleted) == (1, 1)
    assert expired_sessions >= 0  # `clearsessions` works as the application role


def test_a_table_a_later_migration_creates_is_usable_by_the_application(database, roles, as_app):
    """Default privileges: what the owner creates tomorrow, the application may use without a re-run."""
    with connect(database, autocommit=True) as admin:
        admin.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(roles["owner"])))
        admin.execute(
            "CREATE TABLE casework_later_probe (id bigint GENERATED BY DEFAULT AS IDENTITY, note text)"
        )
        admin.execute("RESET ROLE")
        try:
            with as_app.transaction(force_rollback=True):
                as_app.execute("INSERT INTO casework_later_probe (note) VALUES ('x')")
                assert as_app.execute("UPDATE casework_later_probe SET note = 'y'").rowcount == 1
                assert as_app.execute("DELETE FROM casework_later_probe").rowcount == 1
            refused(as_app, "DROP TABLE casework_later_probe")
        finally:
            admin.execute("DROP TABLE casework_later_probe")


def test_running_the_script_again_keeps_the_audit_trail_append_only(database, roles):
    again = run_script(database, owner=roles["owner"], app=roles["app"], db=database["NAME"])
    assert again.returncode == 0, again.stderr
    with connect(database) as admin:
        granted = admin.execute(
            "SELECT privilege_type FROM information_schema.role_table_grants"
            " WHERE grantee = %s AND table_name = 'casework_auditevent'",
            [roles["app"]],
        ).fetchall()
    assert sorted(privilege for (privilege,) in granted) == ["INSERT", "SELECT"]


def test_the_script_refuses_to_run_without_its_variables(database):
    result = run_script(database, app="someone", db=database["NAME"])
    assert result.returncode != 0
    assert "give -v owner=ROLE" in result.stderr

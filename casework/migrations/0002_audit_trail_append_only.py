"""The audit trail is append-only in the database itself, not only in the ORM (DESIGN §3.3).

AuditEvent refuses update() and delete() in Python; these triggers refuse UPDATE, DELETE and TRUNCATE
from anything that reaches the table: raw SQL, a bulk operation, a cascade, a shell session.

On SQLite, a table that Django rebuilds (as it does to alter a column) loses its triggers: a later
migration that changes AuditEvent must recreate them. The test suite would notice (tests/test_audit_trail.py
runs a raw UPDATE and DELETE against the migrated database).

Deployments should also connect as a role that does not own the table, so the application cannot drop the
trigger either; see the README.
"""

from django.db import migrations

MESSAGE = "The audit trail is append-only: rows of casework_auditevent cannot be changed or removed."

POSTGRESQL_FORWARD = [
    f"""
    CREATE OR REPLACE FUNCTION casework_auditevent_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation';
    END;
    $$;
    """,
    """
    CREATE TRIGGER casework_auditevent_no_update_or_delete
    BEFORE UPDATE OR DELETE ON casework_auditevent
    FOR EACH ROW EXECUTE FUNCTION casework_auditevent_append_only();
    """,
    """
    CREATE TRIGGER casework_auditevent_no_truncate
    BEFORE TRUNCATE ON casework_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION casework_auditevent_append_only();
    """,
]
POSTGRESQL_BACKWARD = [
    "DROP TRIGGER IF EXISTS casework_auditevent_no_truncate ON casework_auditevent;",
    "DROP TRIGGER IF EXISTS casework_auditevent_no_update_or_delete ON casework_auditevent;",
    "DROP FUNCTION IF EXISTS casework_auditevent_append_only();",
]

# SQLite has no TRUNCATE; its "DELETE FROM t" without WHERE fires the DELETE trigger. RAISE(ABORT, ...)
# reports a constraint failure, so both databases answer with an IntegrityError.
SQLITE_FORWARD = [
    f"""
    CREATE TRIGGER casework_auditevent_no_update BEFORE UPDATE ON casework_auditevent
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
    """,
    f"""
    CREATE TRIGGER casework_auditevent_no_delete BEFORE DELETE ON casework_auditevent
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS casework_auditevent_no_delete;",
    "DROP TRIGGER IF EXISTS casework_auditevent_no_update;",
]

STATEMENTS = {
    "postgresql": (POSTGRESQL_FORWARD, POSTGRESQL_BACKWARD),
    "sqlite": (SQLITE_FORWARD, SQLITE_BACKWARD),
}


def _run(schema_editor, forward: bool) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in STATEMENTS:
        # The project runs on PostgreSQL and SQLite only; elsewhere the trail would silently lose its guard.
        raise NotImplementedError(f"No append-only guard for the audit trail on {vendor}.")
    for statement in STATEMENTS[vendor][0 if forward else 1]:
        schema_editor.execute(statement)


def add_guard(apps, schema_editor):
    _run(schema_editor, forward=True)


def remove_guard(apps, schema_editor):
    _run(schema_editor, forward=False)


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(add_guard, remove_guard, elidable=False),
    ]

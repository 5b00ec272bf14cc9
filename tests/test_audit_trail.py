"""The audit trail is append-only: in Python, and in the database underneath it."""

import importlib

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.http import Http404

from casework import audit
from casework.audit import Action
from casework.models import AuditEvent
from tests.factories import CaseFactory

guard = importlib.import_module("casework.migrations.0002_audit_trail_append_only")


@pytest.fixture
def event(caseworker_a):
    return audit.record(Action.VIEW, actor=caseworker_a, case_reference="K7QF-29XA", details={"page": "x"})


def refused_by_database(sql: str) -> None:
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)


def test_raw_update_of_the_trail_is_refused_by_the_database(event):
    refused_by_database("UPDATE casework_auditevent SET action = 'x'")
    event.refresh_from_db()
    assert event.action == Action.VIEW


def test_raw_delete_from_the_trail_is_refused_by_the_database(event):
    refused_by_database("DELETE FROM casework_auditevent")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE exists on PostgreSQL only")
def test_truncating_the_trail_is_refused_by_the_database(event):
    with connection.cursor() as cursor:
        # Foreign keys are checked at commit; a table with pending checks cannot be truncated at all.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    refused_by_database("TRUNCATE casework_auditevent")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_appending_to_the_trail_with_raw_sql_still_works(event):
    # The guard is on change and removal only; the trail must keep growing.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO casework_auditevent (actor_username, actor_role, action, object_type, object_id, "
            "case_reference, at, details) VALUES ('', '', 'view', '', '', '', CURRENT_TIMESTAMP, '{}')"
        )
    assert AuditEvent.objects.count() == 2


@pytest.mark.parametrize(
    "operation",
    [
        pytest.param(lambda qs, event: qs.update(action="x"), id="update"),
        pytest.param(lambda qs, event: qs.delete(), id="delete"),
        pytest.param(lambda qs, event: qs.filter(pk=event.pk).update(details={}), id="filtered-update"),
        pytest.param(lambda qs, event: qs.bulk_update([event], ["action"]), id="bulk_update"),
        pytest.param(lambda qs, event: qs.update(object_id=F("object_id")), id="update-expression"),
    ],
)
def test_queryset_changes_to_the_trail_are_refused(event, operation):
    event.action = "x"
    # bulk_update opens a transaction without a savepoint: give it one, so the test can go on after it.
    with pytest.raises(PermissionError, match="append-only"), transaction.atomic():
        operation(AuditEvent.objects.all(), event)
    event.refresh_from_db()
    assert event.action == Action.VIEW


def test_saving_an_event_again_is_refused(event):
    event.action = "x"
    with pytest.raises(PermissionError):
        event.save()
    event.refresh_from_db()
    assert event.action == Action.VIEW


def test_deleting_an_event_is_refused(event):
    with pytest.raises(PermissionError):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


class _Editor:
    """Just enough of a schema editor to run the migration's functions inside a test's transaction."""

    def __init__(self, cursor):
        self.connection = connection
        self.cursor = cursor

    def execute(self, sql):
        self.cursor.execute(sql)


def test_the_guard_migration_is_reversible(event):
    with transaction.atomic(), connection.cursor() as cursor:
        guard.remove_guard(None, _Editor(cursor))
        cursor.execute("UPDATE casework_auditevent SET action = 'unguarded'")
        guard.add_guard(None, _Editor(cursor))
        transaction.set_rollback(True)
    refused_by_database("UPDATE casework_auditevent SET action = 'x'")


def test_an_event_copies_the_actor_so_the_trail_survives_later_changes(event, caseworker_a, org_a):
    assert (event.actor, event.actor_username, event.actor_organisation, event.actor_role) == (
        caseworker_a,
        "alice",
        org_a,
        "caseworker",
    )
    assert event.at is not None


def test_changes_record_free_text_only_as_changed():
    assert audit.changes(
        {"text": "old words", "stage": "charged"}, {"text": "new words", "stage": "trial"}
    ) == {
        "text": "changed",
        "stage": {"old": "charged", "new": "trial"},
    }


def test_refusal_on_a_case_url_is_recorded_with_the_reference_asked_for(rf, caseworker_a, caseworker_b):
    foreign = CaseFactory(organisation=caseworker_b.organisation, assigned_to=caseworker_b)
    request = rf.get("/cases/x/", REMOTE_ADDR="10.1.2.3")
    request.user = caseworker_a
    with pytest.raises(Http404) as refused:
        audit.audited_case(request, foreign.reference, page="test")
    assert foreign.reference not in str(refused.value)
    event = AuditEvent.objects.get()
    assert (event.action, event.case_reference, event.actor, event.ip_address) == (
        Action.NOT_FOUND,
        foreign.reference,
        caseworker_a,
        "10.1.2.3",
    )


# --- Transactional tests: the test runner empties the tables with TRUNCATE or DELETE ----------------


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_can_write_to_the_trail(caseworker_a):
    audit.record(Action.SIGN_IN, actor=caseworker_a)
    refused_by_database("UPDATE casework_auditevent SET action = 'x'")


@pytest.mark.django_db(transaction=True)
def test_the_guard_is_back_after_a_flush(caseworker_a):
    assert not AuditEvent.objects.exists()
    audit.record(Action.SIGN_IN, actor=caseworker_a)
    refused_by_database("DELETE FROM casework_auditevent")

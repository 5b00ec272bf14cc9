"""`manage.py purge_archived`: past the retention period an archived case loses its free text and field
history, keeps every structured record that statistics count, and the run is audited without free text."""

import datetime
import io
import os
import subprocess
import sys

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from casework import choices
from casework.audit import Action
from casework.models import (
    Assessment,
    AuditEvent,
    Case,
    CaseNote,
    ClosureRequest,
    LegalProceeding,
    Referral,
)
from casework.retention import REMOVED, purge_archived, retention_cutoff
from tests import factories
from tests.canaries import new_canary, places_holding

RS = choices.ReferralStatus
HISTORY = (Case, CaseNote, Referral, Assessment, LegalProceeding)


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


def years_ago(years: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=round(365.25 * years))


def archived_case(org, worker, *, archived_at, text: str) -> Case:
    """An archived case with a note (edited once, so its history holds the old text too), a referral
    with an outcome note, an assessment, a legal proceeding with an outcome and a returned then approved
    closure request: every kind of free text, with the canary in each."""
    opened = datetime.date(2015, 1, 1)
    case = factories.CaseFactory(
        organisation=org,
        assigned_to=worker,
        opened_on=opened,
        consent_services_on=opened,
        consent_data_sharing_on=opened,
    )
    note = factories.CaseNoteFactory(case=case, author=worker, text=f"First visit. {text}")
    note.text = f"First visit, corrected. {text}"
    note.save()
    factories.CaseNoteFactory(case=case, author=worker, text=f"Restricted: {text}", restricted=True)
    factories.ReferralFactory(
        case=case,
        status=RS.COMPLETED,
        referred_on=datetime.date(2015, 2, 1),
        accepted_on=datetime.date(2015, 2, 2),
        started_on=datetime.date(2015, 2, 3),
        ended_on=datetime.date(2015, 6, 1),
        outcome=choices.ReferralOutcome.values[0],
        outcome_note=f"Outcome: {text}",
    )
    factories.AssessmentFactory(case=case, assessed_on=datetime.date(2015, 3, 1))
    factories.LegalProceedingFactory(
        case=case, started_on=datetime.date(2015, 4, 1), outcome=f"Hearing: {text}"
    )
    factories.ClosureRequestFactory(
        case=case,
        requested_by=worker,
        note=f"Please close: {text}",
        decision=ClosureRequest.Decision.RETURNED,
        decided_by=worker,
        decided_at=timezone.now(),
        decision_note=f"Not yet: {text}",
    )
    factories.ClosureRequestFactory(case=case, requested_by=worker, note="", decision="")
    case.status = choices.CaseStatus.ARCHIVED
    case.closed_on = datetime.date(2016, 1, 1)
    case.closure_reason = choices.ClosureReason.REINTEGRATED
    case.archived_at = archived_at
    case.save()
    return case


def history_rows(case: Case) -> int:
    total = Case.history.filter(id=case.pk).count()
    for model in HISTORY[1:]:
        total += model.history.filter(case_id=case.pk).count()
    return total


def texts_of(case: Case) -> list[str]:
    texts = list(CaseNote.objects.filter(case=case).values_list("text", flat=True))
    texts += Referral.objects.filter(case=case).values_list("outcome_note", flat=True)
    texts += LegalProceeding.objects.filter(case=case).values_list("outcome", flat=True)
    for note, decision_note in ClosureRequest.objects.filter(case=case).values_list("note", "decision_note"):
        texts += [note, decision_note]
    return texts


def structured(case: Case) -> dict:
    """Everything about the case that is not free text: what statistics and reports read."""
    return {
        "case": Case.objects.filter(pk=case.pk).values().get(),
        "notes": list(CaseNote.objects.filter(case=case).order_by("pk").values_list("pk", "contact_type")),
        "referrals": list(Referral.objects.filter(case=case).order_by("pk").values_list("pk", "status")),
        "assessments": list(Assessment.objects.filter(case=case).order_by("pk").values()),
        "proceedings": list(
            LegalProceeding.objects.filter(case=case).order_by("pk").values_list("pk", "stage")
        ),
        "closures": list(
            ClosureRequest.objects.filter(case=case).order_by("pk").values_list("pk", "decision")
        ),
    }


@pytest.fixture
def canary():
    return new_canary()


@pytest.fixture
def world(org_a, caseworker_a, canary):
    old = [archived_case(org_a, caseworker_a, archived_at=years_ago(8), text=canary) for _ in range(5)]
    recent = archived_case(org_a, caseworker_a, archived_at=years_ago(1), text="Kept for now")
    open_case = factories.CaseFactory(organisation=org_a, assigned_to=caseworker_a)
    factories.CaseNoteFactory(case=open_case, author=caseworker_a, text="An open case's note")
    return {"old": old, "recent": recent, "open": open_case}


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("purge_archived", *args, stdout=out)
    return out.getvalue()


def test_a_case_archived_eight_years_ago_loses_its_texts_and_history(world, canary):
    case = world["old"][0]
    assert history_rows(case) > 0
    before = structured(case)

    run()

    assert history_rows(case) == 0
    texts = texts_of(case)
    # Text that was there reads as removed; fields that were empty stay empty.
    assert set(texts) == {REMOVED, ""}
    assert (
        texts.count(REMOVED) == 6
    )  # 2 notes, an outcome note, an outcome, a closure note and a decision note
    assert structured(case) == before, "rows and their structured fields are kept"


def test_a_recently_archived_case_and_an_open_case_keep_their_texts_and_history(world):
    kept = {name: (texts_of(world[name]), history_rows(world[name])) for name in ("recent", "open")}

    run()

    for name, (texts, rows) in kept.items():
        assert texts_of(world[name]) == texts, name
        assert history_rows(world[name]) == rows, name
    assert "Kept for now" in " ".join(texts_of(world["recent"]))


def test_statistics_count_the_same_after_the_purge(world, superuser, settings):
    settings.SUPPRESSION_THRESHOLD = 1  # every count shown: this is about the counts, not their suppression
    api = APIClient()
    api.force_authenticate(superuser)
    queries = (
        "/api/v1/stats/cases/?group_by=status",
        "/api/v1/stats/cases/?group_by=sex,age_band",
        "/api/v1/stats/referrals/?group_by=status",
    )
    before = [api.get(query).json() for query in queries]
    assert before[0]["rows"] and any(row["count"] == 6 for row in before[0]["rows"]), before[0]

    run()

    cache.clear()
    assert [api.get(query).json() for query in queries] == before


def test_a_dry_run_changes_nothing_and_lists_what_would_go(world, canary):
    snapshot = [(texts_of(case), history_rows(case)) for case in [*world["old"], world["recent"]]]
    events = AuditEvent.objects.count()

    output = run("--dry-run")

    assert [(texts_of(case), history_rows(case)) for case in [*world["old"], world["recent"]]] == snapshot
    assert AuditEvent.objects.count() == events
    for case in world["old"]:
        assert f"would purge {case.reference}" in output
    assert world["recent"].reference not in output
    assert "with text or history to remove: 5" in output


def test_the_purge_is_audited_with_references_and_counts_only(world, canary):
    run()

    per_case = AuditEvent.objects.filter(action=Action.PURGE).exclude(case_reference="")
    assert sorted(per_case.values_list("case_reference", flat=True)) == sorted(
        c.reference for c in world["old"]
    )
    event = per_case.get(case_reference=world["old"][0].reference)
    assert event.details["records_text_removed"] == 5  # 2 notes, a referral, a proceeding, a closure request
    assert event.details["history_rows_deleted"] > 0
    run_event = AuditEvent.objects.get(action=Action.PURGE, case_reference="")
    assert run_event.details["cases"] == 5
    assert run_event.details["retention_years"] == 7
    assert run_event.details["records_text_removed"] == 25
    assert not [place for place in places_holding(canary) if "auditevent" in place]


def test_a_second_run_changes_nothing_and_records_only_itself(world):
    run()
    after_first = [(texts_of(case), history_rows(case), structured(case)) for case in world["old"]]
    events = AuditEvent.objects.count()

    output = run()

    assert [(texts_of(case), history_rows(case), structured(case)) for case in world["old"]] == after_first
    assert AuditEvent.objects.count() == events + 1
    latest = AuditEvent.objects.filter(action=Action.PURGE).order_by("-pk").first()
    assert latest.case_reference == "" and latest.details["cases"] == 0
    assert output.startswith("Purged 0 of 5 cases")


def test_the_canary_typed_in_a_purged_case_is_nowhere_in_the_database(world, canary):
    assert places_holding(canary), "the search finds the canary before the purge"

    run()

    assert places_holding(canary) == []


def test_small_batches_purge_every_case(world, canary):
    """Batches are walked by primary key: a batch smaller than the expired set still reaches every case."""
    result = purge_archived(today=timezone.localdate(), years=7, batch_size=2)

    assert (result.expired, result.cases) == (5, 5)
    assert places_holding(canary) == []


def test_now_moves_the_cutoff(world):
    """--now takes another day as today: seen from 5 years ahead, the case archived a year ago has
    expired too; seen from the day before it expires, it has not."""
    recent = world["recent"]
    day_before_expiry = (recent.archived_at + datetime.timedelta(days=round(365.25 * 7) - 2)).date()

    run("--now", day_before_expiry.isoformat())
    assert "Kept for now" in " ".join(texts_of(recent))

    run("--now", (timezone.localdate() + datetime.timedelta(days=365 * 7)).isoformat())
    assert "Kept for now" not in " ".join(texts_of(recent))
    assert history_rows(recent) == 0


def test_the_cutoff_is_midnight_utc_the_same_day_years_before():
    cutoff = retention_cutoff(datetime.date(2032, 2, 29), 7)
    assert cutoff == datetime.datetime(2025, 2, 28, tzinfo=datetime.UTC)


def test_a_malformed_now_is_refused_naming_the_option(db):
    with pytest.raises(CommandError, match="--now"):
        run("--now", "29/02/2032")


def test_a_retention_period_below_one_year_stops_start_up():
    env = {**os.environ, "CASEWORK_RETENTION_YEARS_AFTER_ARCHIVE": "0", "DJANGO_DEBUG": "true"}
    result = subprocess.run(  # noqa: S603 - our own interpreter and settings module
        [sys.executable, "-c", "import config.settings"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "CASEWORK_RETENTION_YEARS_AFTER_ARCHIVE" in result.stderr

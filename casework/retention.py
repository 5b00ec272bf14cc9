"""Retention: past the retention period, an archived case loses its free text and its field history.

An archived case is closed work: it is kept so that the organisation can answer for what it did and so
that statistics and reports still count it. Its free text (what was said at a visit, how a hearing went)
and its field history (who changed what, when) are what could still harm the person, and they are not
needed for either purpose once the retention period has passed (`CASEWORK_RETENTION_YEARS_AFTER_ARCHIVE`
whole years after the case was archived, 7 by default; README "Data protection").

What `purge_archived` does to each such case:

- every free-text field (each TextField: audit.free_text_fields) of the case and of its records — notes,
  referrals, legal proceedings, closure requests, and any record model added later that points at a case
  — is replaced by REMOVED where it held text, and left empty where it was empty. The rows stay, with
  their structured fields (dates, types, statuses, scores, outcomes as codes), so the number of contacts,
  referrals and proceedings, and every count the statistics and reports make, is unchanged;
- every row of field history (django-simple-history) of the case and of its records is deleted;
- one `purge` audit event names the case and counts what was removed; one more per run gives the totals.
  The audit trail itself is append-only and never touched: it keeps references and structured values,
  and never held free text.

It runs in batches of cases (BATCH_SIZE), each batch one transaction: memory stays bounded however many
cases expire, an interrupted run leaves each case either fully purged or untouched, and running it again
finishes the job. A case with nothing left to remove is not counted again, so a second run changes
nothing and records only the run's own event.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.db import models, transaction
from django.db.models import Count, Q, Value, When

from casework import audit, choices
from casework.audit import Action
from casework.models import Case

# What a removed text reads afterwards, so that a supervisor opening the archived case sees why it is empty.
REMOVED = "[Removed after the retention period]"
BATCH_SIZE = 2000


def years_before(day: datetime.date, years: int) -> datetime.date:
    """The same calendar day `years` earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def retention_cutoff(today: datetime.date, years: int) -> datetime.datetime:
    """Cases archived before this moment (midnight UTC, `years` before `today`) have expired."""
    return datetime.datetime.combine(years_before(today, years), datetime.time.min, tzinfo=datetime.UTC)


def expired_cases(cutoff: datetime.datetime) -> models.QuerySet:
    return Case.objects.filter(status=choices.CaseStatus.ARCHIVED, archived_at__lt=cutoff)


def _is_historical(model: type[models.Model]) -> bool:
    return hasattr(model, "instance_type")  # django-simple-history's Historical* models


def case_record_models() -> list[type[models.Model]]:
    """Every model whose rows belong to one case (a `case` foreign key), history tables aside."""
    found = []
    for model in Case._meta.apps.get_app_config("casework").get_models():
        if _is_historical(model):
            continue
        case_field = next((f for f in model._meta.concrete_fields if f.name == "case"), None)
        if case_field is not None and case_field.is_relation and case_field.related_model is Case:
            found.append(model)
    return found


@dataclass(frozen=True)
class Part:
    """One table to purge: the model, the column that names the case, and what to clear in it."""

    model: type[models.Model]
    case_column: str
    text_fields: tuple[str, ...] = ()


def text_parts() -> list[Part]:
    parts = [Part(Case, "pk", tuple(sorted(audit.free_text_fields(Case))))]
    parts += [Part(m, "case_id", tuple(sorted(audit.free_text_fields(m)))) for m in case_record_models()]
    return [part for part in parts if part.text_fields]


def history_parts() -> list[Part]:
    tracked = [(Case, "id")] + [(m, "case_id") for m in case_record_models()]
    return [Part(m.history.model, column) for m, column in tracked if hasattr(m, "history")]


def _holds_text(fields: tuple[str, ...]) -> Q:
    """Rows where any of `fields` still holds text that is not the removal marker."""
    condition = Q()
    for name in fields:
        condition |= ~Q(**{name: ""}) & ~Q(**{name: REMOVED})
    return condition


def _per_case(queryset: models.QuerySet, column: str) -> Counter:
    counted = queryset.order_by().values(column).annotate(n=Count("pk")).values_list(column, "n")
    return Counter(dict(counted))


@dataclass
class PurgeResult:
    cutoff: datetime.datetime
    dry_run: bool
    expired: int = 0  # archived before the cutoff, looked at
    cases: int = 0  # of which had something left to remove
    texts: int = 0  # records (rows) whose free text was removed
    history_rows: int = 0
    references: list[str] = field(default_factory=list)  # only in a dry run, to show what would go

    def as_details(self, years: int) -> dict:
        return {
            "run": "purge_archived",
            "retention_years": years,
            "cutoff": self.cutoff.date().isoformat(),
            "cases": self.cases,
            "records_text_removed": self.texts,
            "history_rows_deleted": self.history_rows,
        }


def _batch(case_ids: list[int], *, dry_run: bool) -> tuple[Counter, Counter]:
    """Remove (or, in a dry run, count) the free text and history of these cases: per case, how many
    rows lost their text and how many history rows went."""
    texts: Counter = Counter()
    history: Counter = Counter()
    for part in text_parts():
        rows = part.model._base_manager.filter(**{f"{part.case_column}__in": case_ids}).filter(
            _holds_text(part.text_fields)
        )
        found = _per_case(rows, part.case_column)
        texts.update(found)
        if found and not dry_run:
            rows.update(
                **{
                    name: models.Case(When(**{name: ""}, then=Value("")), default=Value(REMOVED))
                    for name in part.text_fields
                }
            )
    for part in history_parts():
        rows = part.model._base_manager.filter(**{f"{part.case_column}__in": case_ids})
        found = _per_case(rows, part.case_column)
        history.update(found)
        if found and not dry_run:
            rows.delete()  # one DELETE: nothing refers to a history row
    return texts, history


def purge_archived(
    *, today: datetime.date, years: int, dry_run: bool = False, batch_size: int = BATCH_SIZE
) -> PurgeResult:
    """Remove the free text and field history of every case archived more than `years` before `today`.

    Audited without personal data: per case that lost anything, one `purge` event naming it with the
    counts; per run (not in a dry run), one `purge` event with the totals. A dry run changes nothing,
    writes nothing, and lists the references that would be purged.
    """
    result = PurgeResult(cutoff=retention_cutoff(today, years), dry_run=dry_run)
    expired = expired_cases(result.cutoff)
    last_pk = 0
    while True:
        batch = list(
            expired.filter(pk__gt=last_pk).order_by("pk").values_list("pk", "reference")[:batch_size]
        )
        if not batch:
            break
        last_pk = batch[-1][0]
        result.expired += len(batch)
        with transaction.atomic():
            texts, history = _batch([pk for pk, _ in batch], dry_run=dry_run)
            for pk, reference in batch:
                if not (texts[pk] or history[pk]):
                    continue
                result.cases += 1
                result.texts += texts[pk]
                result.history_rows += history[pk]
                if dry_run:
                    result.references.append(reference)
                    continue
                audit.record(
                    Action.PURGE,
                    case_reference=reference,
                    details={
                        "run": "purge_archived",
                        "records_text_removed": texts[pk],
                        "history_rows_deleted": history[pk],
                    },
                )
    if not dry_run:
        audit.record(Action.PURGE, details=result.as_details(years))
    return result

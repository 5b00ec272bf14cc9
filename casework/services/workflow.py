"""A case's way through the organisation: assigning it, closing it on request, archiving it.

A caseworker asks for a case to be closed (a ClosureRequest); a supervisor approves the request (the
case is closed with the request's reason) or returns it with a note saying why; a closed case is later
archived. Supervisors assign and reassign cases to the caseworkers and supervisors of their organisation.

Each function re-checks the actor's permission through the access module (the view has checked it too,
but a service may be called from elsewhere), validates what it saves (`full_clean`), keeps the field
history with the acting user, raises the case's version when the case changes (so an edit form opened
before stays refused, DESIGN §3.4) and writes exactly one audit event, old → new, never free text.

`request` is the HTTP request (for the address in the trail), as in the other services, except where
the function acts on a closure request: there `request` is the ClosureRequest and `http_request` the
HTTP request.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import access, audit, choices
from casework.audit import Action
from casework.models import Case, ClosureRequest

if TYPE_CHECKING:
    from django.http import HttpRequest

    from casework.models import User


def pending_closure(case: Case) -> ClosureRequest | None:
    return ClosureRequest.objects.filter(case=case, decision="").first()


def _locked(case: Case) -> Case:
    """The case as it is now, its row held (on PostgreSQL) until the transaction ends. Only the case's
    row: PostgreSQL cannot lock the nullable side of the outer join to the assignee."""
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("organisation", "assigned_to")
        .get(pk=case.pk)
    )


def _save_case(current: Case, *, actor: User, reason: str, fields: list[str]) -> None:
    """Validate and save `fields` of the case as its next version.

    The version is raised by a conditional UPDATE on the version just read: on SQLite, which has no row
    locks, that is what notices a save that slipped in; on PostgreSQL the row is already locked.
    """
    current.full_clean()
    loaded = current.version
    if not Case.objects.filter(pk=current.pk, version=loaded).update(version=F("version") + 1):
        raise ValidationError(_("Someone changed the case at the same moment. Nothing was saved; try again."))
    current.version = loaded + 1
    current._history_user = actor
    current._change_reason = reason
    current.save(update_fields=[*fields, "version", "updated_at"])


def _record_confirmation(
    *, actor: User, request: HttpRequest | None, obj: ClosureRequest, fields: tuple[str, ...]
) -> None:
    """The user confirmed that text the screen flagged identifies no one: which fields, never the text."""
    flagged = [name for name in fields if name in obj.screening_findings()]
    if obj.identifiers_confirmed and flagged:
        audit.record(
            Action.IDENTIFIERS_CONFIRMED, actor=actor, request=request, obj=obj, details={"fields": flagged}
        )


def _check_assignee(case: Case, assignee: User | None) -> None:
    """An assignee is an active caseworker or supervisor of the case's own organisation."""
    if assignee is None:
        return
    role = access.role_of(assignee)
    if (
        role is None
        or not role.works_on_cases
        or assignee.organisation_id != case.organisation_id
        or not assignee.is_active
    ):
        raise ValidationError(
            {"assignee": _("Choose an active caseworker or supervisor of the case's organisation.")}
        )


@transaction.atomic
def case_assign(
    *, actor: User, case: Case, assignee: User | None, request: HttpRequest | None = None
) -> Case:
    """Assign the case to `assignee` (or leave it unassigned with None); only supervisors of the case's
    organisation do this. Nothing changes, and nothing is recorded, when the case already has that
    assignee. Writes one `assign` event: {"assigned_to": {"old": id, "new": id}}. Returns the case as saved.
    """
    if not access.may_supervise(actor, case):
        raise PermissionDenied("Only a supervisor of the case's organisation assigns it.")
    _check_assignee(case, assignee)
    current = _locked(case)
    old = current.assigned_to_id
    new = assignee.pk if assignee is not None else None
    if old == new:
        return current
    current.assigned_to = assignee
    _save_case(current, actor=actor, reason="assigned", fields=["assigned_to"])
    details = audit.changes({"assigned_to": old}, {"assigned_to": new}, Case)
    audit.record(Action.ASSIGN, actor=actor, request=request, obj=current, details=details)
    return current


@transaction.atomic
def closure_request(
    *,
    actor: User,
    case: Case,
    reason: str,
    note: str,
    identifiers_confirmed: bool = False,
    request: HttpRequest | None = None,
) -> ClosureRequest:
    """Ask for an open case to be closed, for `reason`, with a note saying why.

    For whoever may change the open case (`may_request_closure`). Refused while another request for the
    case waits for a decision (at most one pending; a constraint backs this up). The note is screened
    for identifiers; `identifiers_confirmed` is the user's explicit tick after the warning, and is
    audited. Writes one `closure_requested` event with the reason.
    """
    if not access.may_request_closure(actor, case):
        raise PermissionDenied("You may not ask for this case to be closed.")
    current = _locked(case)  # serialises requests for the same case
    if not current.is_open:
        raise ValidationError(_("This case is not open, so it cannot be closed."))
    if pending_closure(current) is not None:
        raise ValidationError(
            _("A request to close this case is already waiting for a supervisor's decision.")
        )
    closure = ClosureRequest(case=current, requested_by=actor, reason=reason, note=note)
    closure.identifiers_confirmed = identifiers_confirmed
    closure.full_clean(exclude=["case"])
    closure.save()
    _record_confirmation(actor=actor, request=request, obj=closure, fields=("note",))
    audit.record(
        Action.CLOSURE_REQUESTED,
        actor=actor,
        request=request,
        obj=closure,
        details={"reason": reason, "note": "written" if note.strip() else "empty"},
    )
    return closure


def _pending_for_decision(actor: User, request: ClosureRequest) -> tuple[ClosureRequest, Case]:
    if not access.may_supervise(actor, request.case):
        raise PermissionDenied("Only a supervisor of the case's organisation decides on its closure.")
    current_case = _locked(request.case)
    current = ClosureRequest.objects.select_for_update().get(pk=request.pk)
    if not current.is_pending:
        raise ValidationError(_("This request has already been decided."))
    current.case = current_case
    return current, current_case


@transaction.atomic
def closure_approve(
    *,
    actor: User,
    request: ClosureRequest,
    closed_on: datetime.date,
    http_request: HttpRequest | None = None,
) -> ClosureRequest:
    """Approve a pending request: the case is closed on `closed_on` for the request's reason.

    Only supervisors of the case's organisation. The request records the decision, who and when; the
    case becomes `closed` with its closure date and reason, as a new version. `closed_on` follows the
    case's rules (not before it was opened, not in the future), reported on `closed_on`. Writes one
    `closure_approved` event with the case's changes, old → new.
    """
    closure, case = _pending_for_decision(actor, request)
    if not case.is_open:
        raise ValidationError(_("This case is no longer open; return the request instead."))
    before = {"status": case.status, "closed_on": case.closed_on, "closure_reason": case.closure_reason}
    case.status = choices.CaseStatus.CLOSED
    case.closed_on = closed_on
    case.closure_reason = closure.reason
    _save_case(case, actor=actor, reason="closure approved", fields=["status", "closed_on", "closure_reason"])

    closure.decision = ClosureRequest.Decision.APPROVED
    closure.decided_by = actor
    closure.decided_at = timezone.now()
    closure.full_clean(exclude=["case"])
    closure.save(update_fields=["decision", "decided_by", "decided_at"])

    after = {"status": case.status, "closed_on": case.closed_on, "closure_reason": case.closure_reason}
    details: dict[str, Any] = {"closure_request": closure.pk, **audit.changes(before, after, Case)}
    audit.record(Action.CLOSURE_APPROVED, actor=actor, request=http_request, obj=case, details=details)
    return closure


@transaction.atomic
def closure_return(
    *,
    actor: User,
    request: ClosureRequest,
    note: str,
    identifiers_confirmed: bool = False,
    http_request: HttpRequest | None = None,
) -> ClosureRequest:
    """Return a pending request to the caseworker with a note saying why; the case stays open.

    Only supervisors of the case's organisation. The note is required (reported on `decision_note`) and
    screened for identifiers like any free text. The returned request stays as history and the
    caseworker may ask again. Writes one `closure_returned` event (the note only as "written").
    """
    closure, _case = _pending_for_decision(actor, request)
    closure.decision = ClosureRequest.Decision.RETURNED
    closure.decided_by = actor
    closure.decided_at = timezone.now()
    closure.decision_note = note
    closure.identifiers_confirmed = identifiers_confirmed
    closure.full_clean(exclude=["case"])
    closure.save(update_fields=["decision", "decided_by", "decided_at", "decision_note"])
    _record_confirmation(actor=actor, request=http_request, obj=closure, fields=("decision_note",))
    details = {"decision": {"old": "", "new": closure.decision}, "decision_note": "written"}
    audit.record(Action.CLOSURE_RETURNED, actor=actor, request=http_request, obj=closure, details=details)
    return closure


@transaction.atomic
def case_archive(*, actor: User, case: Case, request: HttpRequest | None = None) -> Case:
    """Archive a closed case: it keeps its closure and history and leaves the working lists.

    Only supervisors of the case's organisation, and only a `closed` case. Writes one `archive` event.
    """
    if not access.may_supervise(actor, case):
        raise PermissionDenied("Only a supervisor of the case's organisation archives it.")
    current = _locked(case)
    if current.status != choices.CaseStatus.CLOSED:
        raise ValidationError(_("Only a closed case can be archived. Close it first."))
    before = {"status": current.status}
    current.status = choices.CaseStatus.ARCHIVED
    current.archived_at = timezone.now()
    _save_case(current, actor=actor, reason="archived", fields=["status", "archived_at"])
    details = {
        **audit.changes(before, {"status": current.status}, Case),
        "archived_at": str(current.archived_at),
    }
    audit.record(Action.ARCHIVE, actor=actor, request=request, obj=current, details=details)
    return current

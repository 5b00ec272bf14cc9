"""Adding to a case's record, and moving a referral on: notes, referrals, assessments, proceedings.

Each function is one transaction: it checks that the actor may change the case (the access module),
validates the record with the model's own rules (`full_clean`), saves it and writes the audit trail — a
`create` or `change` event with the values (free text only as "changed", never its words), and, when
the user confirmed that screened text identifies no one, an `identifiers_confirmed` event that names the
fields, never the text.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from casework import access, audit, choices
from casework.audit import Action
from casework.models import Assessment, CaseNote, LegalProceeding, Referral
from casework.models.screened import ScreenedTextMixin

if TYPE_CHECKING:
    from django.http import HttpRequest

    from casework.models import Case, ServiceProvider, ServiceType, User
    from policies.models import LegalFramework, Provision

RS = choices.ReferralStatus

# The one-step way forward of a referral, and the other ways it can go from each open status. Each
# alternative is allowed only where the model's date rules can hold without inventing a date: declined
# needs a referral (the provider declines it), dropped out needs a service that started; cancelled
# ends a referral at any point.
NEXT_STATUS: dict[str, RS] = {
    RS.PLANNED: RS.REFERRED,
    RS.REFERRED: RS.ACCEPTED,
    RS.ACCEPTED: RS.IN_PROGRESS,
    RS.IN_PROGRESS: RS.COMPLETED,
}
ALTERNATIVE_STATUSES: dict[str, tuple[RS, ...]] = {
    RS.PLANNED: (RS.CANCELLED,),
    RS.REFERRED: (RS.DECLINED, RS.CANCELLED),
    RS.ACCEPTED: (RS.CANCELLED,),
    RS.IN_PROGRESS: (RS.DROPPED_OUT, RS.CANCELLED),
}
# The date a move to each status records.
DATE_OF_STATUS: dict[str, str] = {
    RS.REFERRED: "referred_on",
    RS.ACCEPTED: "accepted_on",
    RS.IN_PROGRESS: "started_on",
    RS.COMPLETED: "ended_on",
    RS.DECLINED: "ended_on",
    RS.DROPPED_OUT: "ended_on",
    RS.CANCELLED: "ended_on",
}


def next_status(status: str) -> RS | None:
    """The status one click moves a referral to; None once it has ended."""
    return NEXT_STATUS.get(status)


def allowed_statuses(status: str) -> tuple[RS, ...]:
    """Every status a referral may move to from `status`: the next one first, then the alternatives."""
    following = NEXT_STATUS.get(status)
    return ((following,) if following else ()) + ALTERNATIVE_STATUSES.get(status, ())


def changed_meanwhile(referral: Referral) -> str:
    """What a user is told whose click is based on a status the referral no longer has."""
    return _("This referral was changed meanwhile: it is now “%(status)s”.") % {
        "status": referral.get_status_display()
    }


def _require_edit(actor: User, case: Case) -> None:
    if not access.can_edit_case(actor, case):
        raise PermissionDenied("You may not change this case.")


def _values(obj: models.Model, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: obj._meta.get_field(name).value_from_object(obj) for name in names}


def _as_created(obj: models.Model, names: tuple[str, ...]) -> dict[str, Any]:
    """A new record's non-empty values, as changes from nothing (free text only as "changed")."""
    values = {name: value for name, value in _values(obj, names).items() if value not in (None, "", [])}
    return audit.changes({}, values, type(obj))


def _record_confirmation(obj: ScreenedTextMixin, *, actor: User, request: HttpRequest | None) -> None:
    """The user ticked "this text identifies no one" over a warning: record which fields, never the text.

    Only fields the screen would have refused count; a tick over text that raised no warning confirms
    nothing and records nothing.
    """
    if not obj.identifiers_confirmed:
        return
    fields = sorted(obj.screening_findings())
    if fields:
        audit.record(
            Action.IDENTIFIERS_CONFIRMED, actor=actor, request=request, obj=obj, details={"fields": fields}
        )


def _save_new(obj: models.Model, names: tuple[str, ...], *, actor: User, request: HttpRequest | None) -> None:
    obj.full_clean()
    obj._history_user = actor
    obj.save()
    audit.record(Action.CREATE, actor=actor, request=request, obj=obj, details=_as_created(obj, names))
    if isinstance(obj, ScreenedTextMixin):
        _record_confirmation(obj, actor=actor, request=request)


NOTE_FIELDS = ("contact_on", "contact_type", "text", "restricted", "author")


@transaction.atomic
def note_add(
    *,
    actor: User,
    case: Case,
    contact_on: datetime.date,
    contact_type: str,
    text: str,
    restricted: bool = False,
    identifiers_confirmed: bool = False,
    request: HttpRequest | None = None,
) -> CaseNote:
    """A dated contact on the case, written by `actor`. A restricted note is read only by its author and
    the organisation's supervisors (access.restrict_notes). Text that looks like it identifies someone is
    refused unless `identifiers_confirmed`, which records the confirmation."""
    _require_edit(actor, case)
    note = CaseNote(
        case=case,
        author=actor,
        contact_on=contact_on,
        contact_type=contact_type,
        text=text,
        restricted=restricted,
    )
    note.identifiers_confirmed = identifiers_confirmed
    _save_new(note, NOTE_FIELDS, actor=actor, request=request)
    return note


REFERRAL_FIELDS = ("service_type", "provider", "status", "referred_on")


@transaction.atomic
def referral_add(
    *,
    actor: User,
    case: Case,
    service_type: ServiceType,
    provider: ServiceProvider | None = None,
    referred_on: datetime.date | None = None,
    request: HttpRequest | None = None,
) -> Referral:
    """Refer the case to a service: planned, or already referred when `referred_on` is given. A provider,
    when named, must offer the service (the model's rule)."""
    _require_edit(actor, case)
    referral = Referral(
        case=case,
        service_type=service_type,
        provider=provider,
        status=RS.REFERRED if referred_on else RS.PLANNED,
        referred_on=referred_on,
        created_by=actor,
    )
    _save_new(referral, REFERRAL_FIELDS, actor=actor, request=request)
    return referral


ADVANCE_FIELDS = ("status", *DATE_OF_STATUS.values(), "outcome", "outcome_note")


@transaction.atomic
def referral_advance(
    *,
    actor: User,
    referral: Referral,
    to_status: str,
    on_date: datetime.date,
    outcome: str = "",
    outcome_note: str = "",
    from_status: str | None = None,
    identifiers_confirmed: bool = False,
    request: HttpRequest | None = None,
) -> Referral:
    """Move a referral to `to_status` on `on_date`, setting the date that status records.

    Forward one step at a time (planned → referred → accepted → in progress → completed), or to one of
    the alternatives open from where it is (ALTERNATIVE_STATUSES); anything else is refused with a
    ValidationError on `to_status`. `from_status` is the status the user saw: if the referral has moved
    since (a second click, a colleague), nothing is changed. An outcome and its note belong to a referral
    that ends. The model's date rules (no date in the future, none before an earlier step) still hold.
    Writes one `change` event, old → new.
    """
    _require_edit(actor, referral.case)
    # Lock the row so two clicks cannot both move it from the same status.
    current = Referral.objects.select_for_update().get(pk=referral.pk)
    if from_status and current.status != from_status:
        raise ValidationError({"to_status": changed_meanwhile(current)})
    if to_status not in allowed_statuses(current.status):
        raise ValidationError(
            {
                "to_status": _("A referral that is “%(current)s” cannot become “%(status)s”.")
                % {
                    "current": current.get_status_display(),
                    "status": RS(to_status).label if to_status in RS.values else to_status,
                }
            }
        )
    before = _values(current, ADVANCE_FIELDS)
    current.status = to_status
    setattr(current, DATE_OF_STATUS[to_status], on_date)
    current.outcome = outcome
    if outcome_note:
        current.outcome_note = outcome_note
    current.identifiers_confirmed = identifiers_confirmed
    current.full_clean()
    current._history_user = actor
    current.save()
    audit.record(
        Action.CHANGE,
        actor=actor,
        request=request,
        obj=current,
        details=audit.changes(before, _values(current, ADVANCE_FIELDS), Referral),
    )
    _record_confirmation(current, actor=actor, request=request)
    # The caller's object follows the saved one.
    for name in (*ADVANCE_FIELDS, "updated_at"):
        setattr(referral, name, getattr(current, name))
    return referral


ASSESSMENT_FIELDS = ("assessed_on", *(domain.value for domain in Assessment.DOMAINS))


@transaction.atomic
def assessment_add(
    *,
    actor: User,
    case: Case,
    assessed_on: datetime.date,
    scores: Mapping[str, int | None],
    request: HttpRequest | None = None,
) -> Assessment:
    """Scores (1–5, or None where not assessed) over the reintegration domains on one date; at least one
    domain must be scored. Unknown domain names are refused, not ignored."""
    _require_edit(actor, case)
    domains = {domain.value for domain in Assessment.DOMAINS}
    unknown = set(scores) - domains
    if unknown:
        raise ValueError(f"Unknown assessment domains: {sorted(unknown)}")
    assessment = Assessment(case=case, assessed_on=assessed_on, assessed_by=actor, **scores)
    _save_new(assessment, ASSESSMENT_FIELDS, actor=actor, request=request)
    return assessment


PROCEEDING_FIELDS = ("framework", "provision", "stage", "started_on", "ended_on", "closed_court", "outcome")


@transaction.atomic
def proceeding_add(
    *,
    actor: User,
    case: Case,
    framework: LegalFramework,
    stage: str,
    started_on: datetime.date,
    provision: Provision | None = None,
    ended_on: datetime.date | None = None,
    closed_court: bool = False,
    outcome: str = "",
    identifiers_confirmed: bool = False,
    request: HttpRequest | None = None,
) -> LegalProceeding:
    """The case's path through a framework (of its country of citizenship or residence, or an agreement
    either is party to) and, optionally, one of its provisions: the model's rules decide."""
    _require_edit(actor, case)
    proceeding = LegalProceeding(
        case=case,
        framework=framework,
        provision=provision,
        stage=stage,
        started_on=started_on,
        ended_on=ended_on,
        closed_court=closed_court,
        outcome=outcome,
    )
    proceeding.identifiers_confirmed = identifiers_confirmed
    _save_new(proceeding, PROCEEDING_FIELDS, actor=actor, request=request)
    return proceeding

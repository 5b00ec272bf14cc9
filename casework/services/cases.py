"""Creating and editing the record of a case, with optimistic locking (DESIGN §3.4) and an audit row.

Both functions are what every form that opens or edits a case calls: they decide who the case belongs
to, refuse a save on a stale version, validate the whole case (`full_clean`), keep the field history
(django-simple-history, with the acting user) and write one `create` or `change` event, old → new.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F

from casework import access, audit, choices
from casework.audit import Action
from casework.fields import MultipleChoiceField
from casework.models import Case, Household
from casework.models.cases import new_reference

if TYPE_CHECKING:
    from django.http import HttpRequest

    from casework.models import Organisation, User

# What a case form sets: the anonymised record of the person. Not here, because each moves through its
# own action and audit event: the reference, organisation, opener and version (bookkeeping), the status,
# closure and archiving, and the assignment (set when the case is opened, then by assigning).
CASE_RECORD_FIELDS = (
    "sex",
    "age_band",
    "citizenship",
    "residence_country",
    "residence_region",
    "return_month",
    "conflict_zone",
    "departure_year",
    "return_pathway",
    "programme",
    "circumstance",
    "affiliation",
    "armed_group",
    "drivers",
    "vulnerabilities",
    "consent_services",
    "consent_services_on",
    "consent_data_sharing",
    "consent_data_sharing_on",
    "consent_withdrawn_on",
    "household",
    "household_role",
)

# What the `create` event lists: the record, and who the case was given to.
AUDITED_ON_CREATE = ("status", "opened_on", "assigned_to", *CASE_RECORD_FIELDS)

# 27^8 references: a collision is a once-in-a-lifetime event; five in a row means something else is wrong.
REFERENCE_ATTEMPTS = 5


class StaleCase(Exception):
    """Someone saved the case after the form was loaded: nothing was changed.

    `current` is the case as it is now (its version and values), for showing the user what changed.
    """

    def __init__(self, current: Case) -> None:
        super().__init__(f"The case is at version {current.version}.")
        self.current = current


def _values(case: Case, names) -> dict[str, Any]:
    """Field values as stored (a related row by its id, a set of choices as a list)."""
    return {name: Case._meta.get_field(name).value_from_object(case) for name in names}


def _check_fields(data: Mapping[str, Any]) -> None:
    unknown = set(data) - set(CASE_RECORD_FIELDS)
    if unknown:
        raise ValueError(f"Not fields of a case form: {', '.join(sorted(unknown))}")


def _assign(case: Case, values: Mapping[str, Any]) -> None:
    for name, value in values.items():
        model_field = Case._meta.get_field(name)
        if isinstance(model_field, MultipleChoiceField):
            value = model_field.to_python(value)  # a set of choices, sorted as stored: order is no change
        setattr(case, name, value)


@transaction.atomic
def case_create(
    *,
    actor: User,
    organisation: Organisation,
    data: Mapping[str, Any],
    assigned_to: User | None = None,
    new_household: bool = False,
    request: HttpRequest | None = None,
) -> Case:
    """Open a case in `organisation`, at intake, with a fresh random reference.

    Only caseworkers and supervisors open cases (`access.can_create_case`), and only in their own
    organisation. A caseworker's case is assigned to them, whatever `assigned_to` says; a supervisor's
    goes to `assigned_to` (a caseworker or supervisor of the organisation; the model checks) or stays
    unassigned. `new_household` starts an empty household of the organisation for the case to head.
    Writes the `create` event (and `assign`, as the admin does, when the case has an assignee).
    """
    _check_fields(data)
    role = access.role_of(actor)
    if not access.can_create_case(actor) or organisation.pk != actor.organisation_id:
        raise PermissionDenied("Only caseworkers and supervisors open cases, in their own organisation.")
    if role is None or not role.can_assign:
        assigned_to = actor
    case = Case(
        organisation=organisation,
        created_by=actor,
        assigned_to=assigned_to,
        status=choices.CaseStatus.INTAKE,
    )
    _assign(case, data)
    if new_household:
        case.household = _start_household(actor, organisation)
    # The reference is drawn at random; it is checked by the insert below, not by a query before it.
    case.full_clean(exclude=["reference"])
    case._history_user = actor
    _insert_with_fresh_reference(case)

    created = {
        name: value for name, value in _values(case, AUDITED_ON_CREATE).items() if value not in (None, "", [])
    }
    details = audit.changes({}, created, Case)
    audit.record(Action.CREATE, actor=actor, request=request, obj=case, details=details)
    if "assigned_to" in details:
        audit.record(
            Action.ASSIGN,
            actor=actor,
            request=request,
            obj=case,
            details={"assigned_to": details["assigned_to"]},
        )
    if new_household:
        _record_household(actor, case, request)
    return case


def _start_household(actor: User, organisation: Organisation) -> Household:
    household = Household(organisation=organisation)
    household._history_user = actor
    household.save()
    return household


def _record_household(actor: User, case: Case, request: HttpRequest | None) -> None:
    """The `create` event of a household started from a case form, as the admin writes it, with the
    reference of the case that started it."""
    audit.record(
        Action.CREATE,
        actor=actor,
        request=request,
        obj=case.household,
        case_reference=case.reference,
        details={"organisation": {"old": None, "new": case.household.organisation_id}},
    )


def _insert_with_fresh_reference(case: Case) -> None:
    """Insert the case; on the (very unlikely) clash of its random reference with another, draw again.

    Each attempt runs in a savepoint, so a refused insert leaves the surrounding transaction usable.
    """
    for attempt in range(REFERENCE_ATTEMPTS):
        try:
            with transaction.atomic():
                case.save(force_insert=True)
            return
        except IntegrityError:
            taken = Case.objects.filter(reference=case.reference).exists()
            if not taken or attempt == REFERENCE_ATTEMPTS - 1:
                raise
            case.reference = new_reference()


@transaction.atomic
def case_update(
    *,
    actor: User,
    case: Case,
    loaded_version: int,
    changes: Mapping[str, Any],
    new_household: bool = False,
    request: HttpRequest | None = None,
) -> Case:
    """Apply `changes` (fields of CASE_RECORD_FIELDS) to the case, if it is still at `loaded_version`.

    Refused with PermissionDenied where `actor` may not edit the case (`access.can_edit_case`), and with
    StaleCase — nothing saved — when anyone saved it since the form was loaded: the row is read under
    FOR UPDATE (PostgreSQL holds it until commit) and the version is raised by a conditional UPDATE on
    the loaded version (which is what catches a concurrent save on SQLite, which has no row locks).
    `changes` may hold every field of the form: only those that differ from the case are saved. Nothing
    different, nothing saved (no new version, no event). The changes are applied to a fresh copy of the
    row, which is returned; the `case` passed in only names the case.
    """
    _check_fields(changes)
    if not access.can_edit_case(actor, case):
        raise PermissionDenied("You may read this case but not change it.")
    current = (
        # Only the case's row is locked; the assignee is read with it, outer-joined since it may be none.
        Case.objects.select_for_update(of=("self",))
        .select_related("organisation", "assigned_to")
        .filter(pk=case.pk)
        .first()
    )
    if current is None:
        raise Case.DoesNotExist("The case no longer exists.")
    if current.version != loaded_version:
        raise StaleCase(current)

    before = _values(current, CASE_RECORD_FIELDS)
    _assign(current, changes)
    if new_household:
        current.household = _start_household(actor, current.organisation)
    current.full_clean()
    details = audit.changes(before, _values(current, CASE_RECORD_FIELDS), Case)
    if not details:
        return current

    if not Case.objects.filter(pk=current.pk, version=loaded_version).update(version=F("version") + 1):
        raise StaleCase(Case.objects.get(pk=current.pk))
    current.version = loaded_version + 1
    current._history_user = actor
    current.save()
    audit.record(Action.CHANGE, actor=actor, request=request, obj=current, details=details)
    if new_household:
        _record_household(actor, current, request)
    return current

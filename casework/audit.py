"""Writing the audit trail (DESIGN §3.3): every read and write of a case leaves one event.

Events are written explicitly from the code paths that act (views, admin, API, services), not from
signals alone, so bulk operations cannot slip past. Free text is never copied into an event: a changed
note records only that its text changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404

from casework import access
from casework.models import AuditEvent

if TYPE_CHECKING:
    from django.http import HttpRequest

    from casework.models import Case

# Free text never goes into the trail, only the fact that it changed: every TextField of the model.
FREE_TEXT_FIELDS = frozenset({"text", "outcome_note", "outcome", "summary", "description"})


def free_text_fields(model: type[models.Model] | None) -> frozenset[str]:
    if model is None:
        return FREE_TEXT_FIELDS
    return frozenset(
        field.name for field in model._meta.concrete_fields if isinstance(field, models.TextField)
    )


class Action(models.TextChoices):
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
    SIGN_IN_LOCKED = "sign_in_locked", "Sign-in refused: locked out"
    LOCKED_OUT = "locked_out", "Locked out after repeated failed sign-ins"
    SIGN_OUT = "sign_out", "Signed out"
    VIEW = "view", "Viewed"
    CREATE = "create", "Created"
    CHANGE = "change", "Changed"
    ASSIGN = "assign", "Assigned"
    CLOSURE_REQUESTED = "closure_requested", "Closure requested"
    CLOSURE_APPROVED = "closure_approved", "Closure approved"
    CLOSURE_RETURNED = "closure_returned", "Closure returned"
    ARCHIVE = "archive", "Archived"
    RESTORE_VERSION = "restore_version", "Restored an earlier version"
    EXPORT = "export", "Exported"
    PURGE = "purge", "Free text and history removed after the retention period"
    DENIED = "denied", "Refused (no permission)"
    NOT_FOUND = "not_found", "Refused (not found)"
    IDENTIFIERS_CONFIRMED = "identifiers_confirmed", "Confirmed text holds no identifiers"
    # Two-factor sign-in (issue 7)
    OTP_ENROLLED = "otp_enrolled", "Set up two-factor sign-in"
    OTP_VERIFIED = "otp_verified", "Two-factor code accepted"
    OTP_FAILED = "otp_failed", "Two-factor code refused"
    OTP_RESET = "otp_reset", "Two-factor device reset"


def client_ip(request) -> str | None:
    """The client's address as the first trusted hop saw it (REMOTE_ADDR; a proxy sets it right)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record(
    action: str,
    *,
    actor=None,
    request=None,
    obj: models.Model | None = None,
    case_reference: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. `actor` defaults to the request's user."""
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    if obj is not None and not case_reference:
        case_reference = _case_reference_of(obj)
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_username=getattr(actor, "username", "") or "",
        actor_organisation_id=getattr(actor, "organisation_id", None),
        actor_role=getattr(actor, "role", "") or "",
        action=str(action),
        object_type=obj._meta.model_name if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        case_reference=case_reference or "",
        ip_address=client_ip(request),
        details=details or {},
    )


def _case_reference_of(obj: models.Model) -> str:
    if obj._meta.model_name == "case":
        return obj.reference
    case = getattr(obj, "case", None)
    return getattr(case, "reference", "") or ""


def changes(
    before: dict[str, Any], after: dict[str, Any], model: type[models.Model] | None = None
) -> dict[str, Any]:
    """Which fields changed, old → new; free text (the model's TextFields) only as "changed".

    Without a model, every field name that is free text anywhere in the project is treated as such.
    """
    free_text = free_text_fields(model)
    changed: dict[str, Any] = {}
    for field, new in after.items():
        old = before.get(field)
        if old == new:
            continue
        if field in free_text:
            changed[field] = "changed"
        else:
            changed[field] = {"old": _plain(old), "new": _plain(new)}
    return changed


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return str(value)


def audited_case(request: HttpRequest, reference: str, *, write: bool = False, page: str = "") -> Case:
    """The case at a case URL, through the access module, with refusals written to the trail.

    Http404 (not visible, or no such case) and PermissionDenied (visible, read-only) are recorded as
    `not_found` and `denied` with the reference asked for, then raised again: the trail keeps who probed
    which reference, the answer to the user does not repeat it. A successful fetch records nothing; the
    caller records what it then does (a view, a change).
    """
    details = {"page": page, "method": request.method}
    try:
        return access.get_case_for_user(request.user, reference, write=write)
    except Http404:
        record(Action.NOT_FOUND, request=request, case_reference=reference[:9], details=details)
        raise
    except PermissionDenied:
        record(Action.DENIED, request=request, case_reference=reference[:9], details=details)
        raise

"""Writing the audit trail (DESIGN §3.3): every read and write of a case leaves one event.

Events are written explicitly from the code paths that act (views, admin, API, services), not from
signals alone, so bulk operations cannot slip past. Free text is never copied into an event: a changed
note records only that its text changed.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from casework.models import AuditEvent

# Fields whose values never go into the trail, only the fact that they changed.
FREE_TEXT_FIELDS = frozenset({"text", "outcome_note", "outcome"})


class Action(models.TextChoices):
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
    SIGN_IN_LOCKED = "sign_in_locked", "Sign-in refused: locked out"
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
    DENIED = "denied", "Refused (no permission)"
    NOT_FOUND = "not_found", "Refused (not found)"
    IDENTIFIERS_CONFIRMED = "identifiers_confirmed", "Confirmed text holds no identifiers"


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


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Which fields changed, old → new; free text only as "changed"."""
    changed: dict[str, Any] = {}
    for field, new in after.items():
        old = before.get(field)
        if old == new:
            continue
        if field in FREE_TEXT_FIELDS:
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

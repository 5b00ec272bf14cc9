"""The audit events the admin writes (DESIGN §3.3), explicitly from its own code paths.

Values are those of the model fields (a related object by its id); free text is recorded only as
"changed" (`audit.changes`), and a secret — a password hash — only as "changed" too, never its value.
A refusal records which object was asked for only by its numeric id: whatever else was typed into the
address (a reference, say) stays out of the trail.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import models

from casework import audit

# Recorded as "changed" only; their values never enter the trail, not even hashed.
SECRET_FIELDS = frozenset({"password"})


def editable_fields(model: type[models.Model]) -> tuple[str, ...]:
    """The fields a form can change: concrete, editable, not the primary key, no secret."""
    return tuple(
        field.name
        for field in model._meta.concrete_fields
        if field.editable and not field.primary_key and field.name not in SECRET_FIELDS
    )


def field_values(obj: models.Model, names) -> dict[str, Any]:
    values = {}
    for name in names:
        value = obj._meta.get_field(name).value_from_object(obj)
        if name in SECRET_FIELDS:
            # Only to tell whether it changed; the digest itself is never written.
            value = hashlib.sha256(str(value).encode()).hexdigest()
        values[name] = value
    return values


def _changes(before: dict[str, Any], after: dict[str, Any], model: type[models.Model]) -> dict[str, Any]:
    details = audit.changes(before, after, model)
    for name in SECRET_FIELDS & details.keys():
        details[name] = "changed"
    return details


def _as_created(obj: models.Model, names) -> dict[str, Any]:
    """What a new object holds: its non-empty values, as changes from nothing."""
    names = [name for name in names if name not in SECRET_FIELDS]
    values = {name: value for name, value in field_values(obj, names).items() if value not in (None, "", [])}
    return _changes({}, values, type(obj))


def record_saved(request, obj: models.Model, before: dict[str, Any], names, created: bool) -> dict[str, Any]:
    """One `create` event for a new object; one `change` event for a changed one, none if nothing
    changed. Returns the details recorded."""
    if created:
        details = _as_created(obj, names)
        audit.record(audit.Action.CREATE, request=request, obj=obj, details=details)
        return details
    details = _changes(before, field_values(obj, names), type(obj))
    if details:
        audit.record(audit.Action.CHANGE, request=request, obj=obj, details=details)
    return details


def record_formset(request, formset) -> None:
    """One event per inline row added or changed (the form's initial values are the old ones)."""
    model = formset.model
    field_names = {field.name for field in model._meta.concrete_fields}
    new_objects = {id(obj) for obj in formset.new_objects}
    for form in formset.saved_forms:
        obj = form.instance
        if id(obj) in new_objects:
            audit.record(
                audit.Action.CREATE,
                request=request,
                obj=obj,
                details=_as_created(obj, editable_fields(model)),
            )
            continue
        names = [name for name in form.changed_data if name in field_names and name not in SECRET_FIELDS]
        initial = {name: form.initial.get(name) for name in names}
        details = _changes(initial, field_values(obj, names), model)
        if details:
            audit.record(audit.Action.CHANGE, request=request, obj=obj, details=details)


def _asked_for(model: type[models.Model], object_id) -> dict[str, Any]:
    details: dict[str, Any] = {"object_type": model._meta.model_name}
    if object_id is not None and str(object_id).isdigit():
        details["object_id"] = str(object_id)
    return details


def record_not_found(request, model: type[models.Model], object_id) -> None:
    audit.record(audit.Action.NOT_FOUND, request=request, details=_asked_for(model, object_id))


def record_denied(request, model: type[models.Model], obj: models.Model | None) -> None:
    """A refusal of something the user may see but not do; the object, when there is one, is named."""
    details = {"method": request.method, "path": request.path}
    if obj is None:
        details["object_type"] = model._meta.model_name
    audit.record(audit.Action.DENIED, request=request, obj=obj, details=details)

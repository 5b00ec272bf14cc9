"""Opening a case and editing its record on the web: /cases/new/ and /cases/<reference>/edit/.

Thin views: the access module decides who may, CaseForm validates (the model's rules, next to each
field), casework.services.cases saves and writes the audit event. A save on a stale version is refused
and answered with the form as the user left it and a panel of what the other person changed (see
`conflict`), so the user re-applies their changes knowingly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from casework import access, audit
from casework.audit import Action
from casework.forms import NEW_HOUSEHOLD, CaseForm
from casework.history import Labels
from casework.models import Case
from casework.services.cases import CASE_RECORD_FIELDS, StaleCase, case_create, case_update

TEMPLATE = "casework/case_form.html"


def case_url(case: Case) -> str:
    """The case page (casework:case-detail), written out so this module does not depend on it."""
    return f"/cases/{case.reference}/"


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def case_new(request: HttpRequest) -> HttpResponse:
    """Open a case in the user's organisation: caseworkers and supervisors only (403 for anyone else,
    recorded: the page reveals no case, so there is nothing to hide behind a 404)."""
    user = request.user
    if not access.can_create_case(user):
        audit.record(Action.DENIED, request=request, details={"page": "case_new", "method": request.method})
        raise PermissionDenied("Only caseworkers and supervisors open cases.")
    organisation = user.organisation
    form = CaseForm(request.POST if request.method == "POST" else None, user=user, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            case = case_create(
                actor=user,
                organisation=organisation,
                data=form.case_values(),
                assigned_to=form.cleaned_data.get("assigned_to"),
                new_household=form.starts_new_household,
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Case %(reference)s opened.") % {"reference": case.reference})
            return redirect(case_url(case))
    return render(request, TEMPLATE, {"form": form, "case": None})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def case_edit(request: HttpRequest, reference: str) -> HttpResponse:
    """Edit the record of a case the user may change: 404 where they may not see it (the reference is
    not repeated), 403 where they may only read it. Showing the form is a read of the case (`view`);
    a save is a `change` with old → new, written by the service."""
    user = request.user
    case = audit.audited_case(request, reference, write=True, page="case_edit")
    conflict = None
    if request.method == "POST":
        form = CaseForm(request.POST, user=user, organisation=case.organisation, instance=case)
        if form.is_valid():
            try:
                saved = case_update(
                    actor=user,
                    case=case,
                    loaded_version=form.cleaned_data["loaded_version"],
                    changes=form.case_values(),
                    new_household=form.starts_new_household,
                    request=request,
                )
            except StaleCase as stale:
                conflict = Conflict.between(form, stale.current, form.cleaned_data["loaded_version"])
                case = stale.current
                form = CaseForm(
                    user=user, organisation=case.organisation, instance=case, initial=conflict.form_values
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if saved.version == form.cleaned_data["loaded_version"]:
                    messages.info(request, _("Nothing had changed, so nothing was saved."))
                else:
                    messages.success(request, _("Case %(reference)s saved.") % {"reference": saved.reference})
                return redirect(case_url(saved))
    else:
        form = CaseForm(user=user, organisation=case.organisation, instance=case)
    details = {"page": "case_edit"}
    if request.method == "POST":
        details.update(method="POST", outcome="stale" if conflict else "invalid")
    audit.record(Action.VIEW, request=request, obj=case, details=details)
    return render(request, TEMPLATE, {"form": form, "case": case, "conflict": conflict})


# --- A stale save -----------------------------------------------------------------------------------


@dataclass
class ConflictRow:
    label: str
    loaded: str  # when the user opened the form ("" when that version is not in the history)
    current: str  # as the other person saved it
    yours: str  # as the user entered it
    kept: str  # "yours", "theirs" or "same": what the form now holds


@dataclass
class Conflict:
    """What the other person changed, field by field, and what the re-shown form holds.

    The case's field history (django-simple-history) holds the version the user loaded; compared with
    the case as it is now, it tells exactly which fields the other person changed. For each of those:
    where the user had changed the field too, the form keeps the user's entry (a real conflict, shown);
    where the user had left it alone, the form now shows the other person's value, so that saving again
    does not silently undo their change. Fields only the user changed keep the user's entry.

    Where the history lacks the loaded version (cases loaded in bulk, like the demo data), there is no
    telling who changed what: every field where the case now differs from the user's entry is listed,
    and the form keeps the user's entries.
    """

    rows: list[ConflictRow]
    form_values: dict[str, Any]
    history_known: bool

    @classmethod
    def between(cls, form: CaseForm, current: Case, loaded_version: int) -> Conflict:
        snapshot = current.history.filter(version=loaded_version).order_by("-history_id").first()
        labels = Labels()
        compared = []
        form_values: dict[str, Any] = {"loaded_version": current.version}
        for name in CASE_RECORD_FIELDS:
            model_field = Case._meta.get_field(name)
            entered = form.cleaned_data.get(name)
            yours = _stored(entered)
            now = model_field.value_from_object(current)
            loaded = getattr(snapshot, model_field.attname) if snapshot is not None else None
            form_values[name] = entered
            if snapshot is not None:
                if loaded == now:
                    continue  # the other person left this field alone: the user's entry stands
                if yours == loaded:
                    form_values[name] = now  # only they changed it: show their value
                    kept = "same" if yours == now else "theirs"
                else:
                    kept = "same" if yours == now else "yours"
            elif yours == now:
                continue
            else:
                kept = "yours"
            for value in (loaded, now, yours):
                if value != NEW_HOUSEHOLD:
                    labels.want(model_field, value)
            compared.append((model_field, loaded, now, yours, kept))
        labels.fetch()
        rows = [
            ConflictRow(
                label=capfirst(str(model_field.verbose_name)),
                loaded=_display(labels, model_field, loaded) if snapshot is not None else "",
                current=_display(labels, model_field, now),
                yours=_display(labels, model_field, yours),
                kept=kept,
            )
            for model_field, loaded, now, yours, kept in compared
        ]
        return cls(rows=rows, form_values=form_values, history_known=snapshot is not None)


def _stored(value: Any) -> Any:
    """A form's cleaned value as the case stores it: a related row by its id, a set of choices sorted."""
    if isinstance(value, list):
        return sorted(set(value))
    return getattr(value, "pk", value)


def _display(labels: Labels, model_field, value: Any) -> str:
    if value == NEW_HOUSEHOLD:
        return _("a new household")
    if model_field.name == "return_month" and value:
        return f"{value:%Y-%m}"
    return labels.display(model_field, value)

"""Everything the system holds about one case, as one JSON file, for a legal request:
`/cases/<reference>/export/`.

A subject access request (the person asks what is held about them) or a court order needs the whole
record: the case, its household membership (references only), every note — restricted ones too —,
referrals, assessments, legal proceedings, closure requests, the field history of all of them, and the
case's audit events. The file is for the organisation's data protection lead to review, and to redact
(staff names, other people's references) before anything leaves the organisation.

Who: supervisors of the case's organisation and system administrators (access.may_export_case). Anyone
who may not see the case gets 404; caseworkers and organisation administrators, who read the case, get
403. Both refusals are recorded. The GET page says what the file holds and asks for the reason (a
choice, never free text) and an explicit confirmation; the POST answers with the file, never cached, and
writes one `export` event: {"kind": "legal_request", "reason": ..., "format": "json", "counts": ...}.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from casework import access, audit
from casework.audit import Action
from casework.models import (
    Assessment,
    AuditEvent,
    Case,
    CaseNote,
    ClosureRequest,
    LegalProceeding,
    Organisation,
    Referral,
    User,
)
from casework.two_factor.step_up import require_fresh_verification
from casework.workflow_views import WorkflowForm
from policies.models import Country

FORMAT_VERSION = 1


class ExportReason(models.TextChoices):
    SUBJECT_ACCESS = "subject_access_request", _("Subject access request: the person asks for their data")
    COURT_ORDER = "court_order", _("Court order, or another obligation under the law")
    OTHER = "other", _("Other legal request, approved under our procedure")


class ExportForm(WorkflowForm):
    prefix_id = "export"

    reason = forms.ChoiceField(
        label=_("Why is this case exported?"), choices=ExportReason.choices, widget=forms.RadioSelect
    )
    confirm = forms.BooleanField(
        label=_(
            "I have checked that this request is genuine and that our procedure for legal requests "
            "allows this disclosure."
        ),
        help_text=_("The export and its reason are recorded in the audit trail under your name."),
    )


# --- The contents --------------------------------------------------------------------------------------

# What names a related row in the file: something a reader recognises, stable across databases.
NATURAL_KEYS: dict[type[models.Model], str] = {
    User: "username",
    Organisation: "slug",
    Country: "code",
    Case: "reference",
}


class _Related:
    """Labels for the related rows the file mentions, fetched in one query per related model."""

    def __init__(self) -> None:
        self.wanted: dict[type[models.Model], set] = defaultdict(set)
        self.slots: list[tuple[type[models.Model], Any, dict]] = []

    def slot(self, model: type[models.Model], pk: Any) -> dict:
        value = {"id": pk, "label": None}
        self.wanted[model].add(pk)
        self.slots.append((model, pk, value))
        return value

    def fill(self) -> None:
        found = {model: model._base_manager.in_bulk(ids) for model, ids in self.wanted.items()}
        for model, pk, value in self.slots:
            obj = found[model].get(pk)
            if obj is not None:
                key = NATURAL_KEYS.get(model) or ("reference" if hasattr(obj, "reference") else "")
                value["label"] = str(getattr(obj, key)) if key else str(obj)


def _row(obj: models.Model, related: _Related) -> dict[str, Any]:
    """Every stored column of `obj`: related rows as {"id", "label"}, everything else as stored."""
    row: dict[str, Any] = {}
    for model_field in obj._meta.concrete_fields:
        value = getattr(obj, model_field.attname)
        if model_field.is_relation and value is not None:
            value = related.slot(model_field.related_model, value)
        row[model_field.name] = value
    return row


def _rows(queryset: models.QuerySet, related: _Related) -> list[dict[str, Any]]:
    return [_row(obj, related) for obj in queryset.order_by("pk").iterator(chunk_size=500)]


def _history(model: type[models.Model], column: str, case: Case, related: _Related) -> list[dict[str, Any]]:
    history = model.history.model._base_manager.filter(**{column: case.pk}).order_by("history_id")
    return _rows(history, related)


def _household(case: Case) -> dict[str, Any] | None:
    if case.household_id is None:
        return None
    members = (
        Case.objects.filter(household_id=case.household_id)
        .order_by("reference")
        .values("reference", "household_role")
    )
    return {"reference": case.household.reference, "role": case.household_role, "members": list(members)}


def _events(case: Case) -> list[dict[str, Any]]:
    """The trail about this case: every event that names its reference (those on its records too, and
    refusals of anyone who asked for it)."""
    events = AuditEvent.objects.filter(case_reference=case.reference).order_by("at", "pk")
    fields = [f.attname for f in AuditEvent._meta.concrete_fields]
    return [{name: getattr(event, name) for name in fields} for event in events.iterator(chunk_size=500)]


def case_contents(case: Case) -> dict[str, Any]:
    """Everything held about `case`, as plain data (dates as datetime objects until encoded)."""
    related = _Related()
    records = {
        "notes": CaseNote._base_manager.filter(case=case),  # restricted notes too: it is a legal request
        "referrals": Referral._base_manager.filter(case=case),
        "assessments": Assessment._base_manager.filter(case=case),
        "legal_proceedings": LegalProceeding._base_manager.filter(case=case),
        "closure_requests": ClosureRequest._base_manager.filter(case=case),
    }
    contents: dict[str, Any] = {
        "case": _row(case, related),
        "household": _household(case),
        **{name: _rows(queryset, related) for name, queryset in records.items()},
        "history": {
            "case": _history(Case, "id", case, related),
            "notes": _history(CaseNote, "case_id", case, related),
            "referrals": _history(Referral, "case_id", case, related),
            "assessments": _history(Assessment, "case_id", case, related),
            "legal_proceedings": _history(LegalProceeding, "case_id", case, related),
        },
    }
    related.fill()
    return contents


def counts(contents: dict[str, Any]) -> dict[str, int]:
    found = {name: len(contents[name]) for name in ("notes", "referrals", "assessments", "legal_proceedings")}
    found["closure_requests"] = len(contents["closure_requests"])
    found["history_rows"] = sum(len(rows) for rows in contents["history"].values())
    return found


@transaction.atomic
def export_response(request: HttpRequest, case: Case, reason: str) -> HttpResponse:
    """The file, and its `export` event (recorded first, so the file lists its own export too)."""
    contents = case_contents(case)
    found = counts(contents)
    details = {"kind": "legal_request", "reason": reason, "format": "json", "counts": found}
    audit.record(Action.EXPORT, request=request, obj=case, details=details)
    now = timezone.now()
    document = {
        "export": {
            "format_version": FORMAT_VERSION,
            "kind": "legal_request",
            "reason": reason,
            "case_reference": case.reference,
            "generated_at": now,
            "generated_by": request.user.get_username(),
            "note": (
                "Everything this system holds about one case, restricted notes included. Review it and "
                "redact staff names and other people's references before disclosing it."
            ),
        },
        **contents,
        "audit_events": _events(case),
    }
    body = json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"case-{case.reference}-{now:%Y%m%d-%H%M%S}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- The page ---------------------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def case_export(request: HttpRequest, reference: str) -> HttpResponse:
    """GET: what the export holds and the form. POST: the file (supervisors, system administrators)."""
    case = audit.audited_case(request, reference, page="export")
    if not access.may_export_case(request.user, case):
        details = {"page": "export", "method": request.method}
        audit.record(Action.DENIED, request=request, obj=case, details=details)
        raise PermissionDenied("Only supervisors and system administrators export a case.")
    if (step_up := require_fresh_verification(request)) is not None:
        return step_up  # everything held about a person leaves the system: a fresh second factor first
    form = ExportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        return export_response(request, case, form.cleaned_data["reason"])
    if request.method == "GET":
        audit.record(Action.VIEW, request=request, obj=case, details={"page": "export"})
    return render(request, "casework/case_export.html", {"case": case, "form": form})

"""Pages for a case's workflow: assign, ask for closure, decide on a closure request, archive.

The case page shows these forms (templates/casework/_workflow.html) to those who may use them; each
posts here. A successful post goes back to the case page with a message. A refused one (bad input, or a
rule of the case) shows this action's own small page with the form as the user filled it in, every error
named, at the top and next to its field. A GET shows that page with an empty form, so each action also
works from a bookmark or without the case page.

The views are thin: they fetch the case through the access module (`audit.audited_case`: 404 for a
case the user may not see, 403 on one they may only read, both recorded), ask the workflow service
whether the user may act, and leave the change, its rules and its audit event to
casework.services.workflow.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from casework import access, audit, choices
from casework.audit import Action
from casework.models import Case, ClosureRequest, User
from casework.screening_forms import CONFIRM_FIELD, ScreenedTextFormMixin
from casework.services import workflow
from casework.widgets import Select

NOT_RECORDED = _("Do not record names, ID or passport numbers, phone numbers, addresses or dates of birth.")


def case_url(case: Case) -> str:
    return reverse("casework:case-detail", kwargs={"reference": case.reference})


def assignable_users(actor: User, case: Case):
    """Whom a case can be given to: active caseworkers and supervisors of the case's organisation, among
    the users `actor` may see (access.restrict_users). One query when evaluated."""
    workers = [role for role in choices.Role if role.works_on_cases]
    return access.restrict_users(
        User.objects.filter(organisation_id=case.organisation_id, is_active=True, role__in=workers), actor
    ).order_by("first_name", "last_name", "username")


def latest_closure(user: User, case: Case) -> ClosureRequest | None:
    """The case's latest closure request (pending if any is: at most one is, and it is the newest)."""
    return (
        ClosureRequest.objects.visible_to(user)
        .filter(case=case)
        .select_related("requested_by", "decided_by")
        .order_by("-requested_at", "-pk")
        .first()
    )


# --- Forms ---------------------------------------------------------------------------------------------


class WorkflowForm(forms.Form):
    """Lists the errors for the summary at the top of the page (casework/_form_errors.html) and takes
    the errors a service raises onto the fields they name. Django ties each field's help and errors to
    its input (aria-describedby, aria-invalid); `prefix_id` keeps the ids unique when several of these
    forms share the case page.
    """

    prefix_id = "wf"
    # A service's error about a model field, reported on this form's field of another name.
    service_fields: Mapping[str, str] = {}

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("auto_id", f"{self.prefix_id}-%s")
        super().__init__(*args, **kwargs)

    def add_service_error(self, error: ValidationError) -> None:
        """Put a service's ValidationError on the fields it names; anything else at the top, labelled."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
        else:
            for name, problems in error.error_dict.items():
                field = self.service_fields.get(name, name)
                if field in self.fields:
                    self.add_error(field, problems)
                elif name == NON_FIELD_ERRORS:
                    self.add_error(None, problems)
                else:
                    label = capfirst(_model_label(name))
                    self.add_error(
                        None,
                        [
                            ValidationError(
                                "%(label)s: %(message)s", params={"label": label, "message": message}
                            )
                            for problem in problems
                            for message in problem.messages
                        ],
                    )

    def error_summary(self) -> list[dict[str, str]]:
        """Every error in the order of the page, each with the id of the input to jump to."""
        summary = [{"anchor": "", "label": "", "message": str(m)} for m in self.non_field_errors()]
        for bound in self:
            if bound.is_hidden:
                continue
            # A group of radio buttons has no id of its own: jump to its first button.
            anchor = f"{bound.auto_id}_0" if bound.use_fieldset else bound.id_for_label
            summary.extend(
                {"anchor": anchor, "label": str(bound.label), "message": str(m)} for m in bound.errors
            )
        return summary

    @property
    def asks_confirmation(self) -> bool:
        """Offer "this text identifies no one" only once the screen has warned about the text (or the box
        was ticked): offered every time, it would be ticked out of habit."""
        if CONFIRM_FIELD not in self.fields or not self.is_bound:
            return False
        if self[CONFIRM_FIELD].value():
            return True
        return any(
            error.code == "possible_identifier"
            for name in self.fields
            for error in self.errors.as_data().get(name, [])
        )


def _model_label(name: str) -> str:
    for model in (Case, ClosureRequest):
        names = {field.name: field for field in model._meta.get_fields()}
        if name in names and hasattr(names[name], "verbose_name"):
            return str(names[name].verbose_name)
    return name


def _confirm_field() -> forms.Field:
    """The same tick, label and help as every screened form (casework.screening_forms)."""
    return copy.deepcopy(ScreenedTextFormMixin.base_fields[CONFIRM_FIELD])


class ColleagueChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        name = obj.get_full_name() or obj.get_username()
        return f"{name} ({obj.role_enum.label})"


class AssignForm(WorkflowForm):
    prefix_id = "assign"
    service_fields = {"assigned_to": "assignee"}

    assignee = ColleagueChoiceField(
        queryset=User.objects.none(),
        required=False,
        label=_("Assign to"),
        empty_label=_("Nobody (unassigned)"),
        help_text=_("An active caseworker or supervisor of the case's organisation."),
        widget=Select,  # an option per colleague: drawn in Python, not an include per option
    )

    def __init__(self, *args, actor: User, case: Case, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignable_users(actor, case)
        self.fields["assignee"].initial = case.assigned_to_id


class ClosureRequestForm(WorkflowForm):
    prefix_id = "closure"

    reason = forms.ChoiceField(
        label=_("Reason for closing"),
        choices=[("", _("Choose…")), *choices.ClosureReason.choices],
    )
    note = forms.CharField(
        label=_("Why the case can be closed"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=NOT_RECORDED,
    )
    confirm_no_identifiers = _confirm_field()


class DecisionForm(WorkflowForm):
    APPROVE, RETURN = "approve", "return"

    prefix_id = "decide"
    service_fields = {"decision_note": "note"}

    decision = forms.ChoiceField(
        label=_("Your decision"),
        choices=[
            (APPROVE, _("Approve: close the case")),
            (RETURN, _("Return the request to the caseworker")),
        ],
        widget=forms.RadioSelect,
    )
    closed_on = forms.DateField(
        label=_("Closed on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("When approving: the day the case is closed. Today, or an earlier day."),
    )
    note = forms.CharField(
        label=_("Note to the caseworker"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed when returning: say what is missing. %(rule)s") % {"rule": NOT_RECORDED},
    )
    confirm_no_identifiers = _confirm_field()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["closed_on"].initial = today
        self.fields["closed_on"].widget.attrs["max"] = today.isoformat()

    def clean(self):
        cleaned_data = super().clean()
        decision = cleaned_data.get("decision")
        if decision == self.APPROVE and not cleaned_data.get("closed_on") and "closed_on" not in self.errors:
            self.add_error("closed_on", _("Give the day the case is closed."))
        if decision == self.RETURN and not (cleaned_data.get("note") or "").strip():
            self.add_error("note", _("Say why the request is returned, so the caseworker can act on it."))
        return cleaned_data


class ArchiveForm(WorkflowForm):
    """Nothing to fill in: the page itself is the confirmation."""

    prefix_id = "archive"


# --- Views ---------------------------------------------------------------------------------------------


def _posted(request: HttpRequest):
    """The posted data on a POST, even when empty (an empty QueryDict is falsy), else None: unbound."""
    return request.POST if request.method == "POST" else None


def _refuse(request: HttpRequest, case: Case, page: str) -> PermissionDenied:
    """Record a refusal of an action on a case the user sees, and return the exception to raise."""
    audit.record(Action.DENIED, request=request, obj=case, details={"page": page, "method": request.method})
    return PermissionDenied("You may not do this on this case.")


def _page(
    request: HttpRequest, template: str, case: Case, page: str, context: dict[str, Any]
) -> HttpResponse:
    """Show an action's own page; showing a case is a read of it, and is recorded."""
    if request.method == "GET":
        audit.record(Action.VIEW, request=request, obj=case, details={"page": page})
    return render(request, template, {"case": case, **context})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def case_assign(request: HttpRequest, reference: str) -> HttpResponse:
    """Assign or reassign the case: supervisors of its organisation."""
    case = audit.audited_case(request, reference, write=True, page="assign")
    if not access.may_supervise(request.user, case):
        raise _refuse(request, case, "assign")
    form = AssignForm(_posted(request), actor=request.user, case=case)
    if request.method == "POST" and form.is_valid():
        assignee = form.cleaned_data["assignee"]
        try:
            workflow.case_assign(actor=request.user, case=case, assignee=assignee, request=request)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            if assignee is None:
                messages.success(request, _("The case is now unassigned."))
            else:
                name = assignee.get_full_name() or assignee.get_username()
                messages.success(request, _("The case is now assigned to %(name)s.") % {"name": name})
            return redirect(case_url(case))
    return _page(request, "casework/workflow_assign.html", case, "assign", {"form": form})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def closure_request(request: HttpRequest, reference: str) -> HttpResponse:
    """Ask for the case to be closed: whoever may change the open case (its caseworker, a supervisor)."""
    case = audit.audited_case(request, reference, write=True, page="closure_request")
    latest = latest_closure(request.user, case)
    pending = latest if latest is not None and latest.is_pending else None
    returned = latest if latest is not None and latest.decision == ClosureRequest.Decision.RETURNED else None
    context: dict[str, Any] = {"pending": pending, "returned": returned}
    if not case.is_open or pending is not None:
        # Nothing to ask: say why instead of a form that can only be refused.
        if request.method == "POST":
            messages.error(request, _("This case cannot be closed on request now; see the case page."))
            return redirect(case_url(case))
        return _page(request, "casework/workflow_closure_request.html", case, "closure_request", context)
    if not access.may_request_closure(request.user, case):
        raise _refuse(request, case, "closure_request")
    form = ClosureRequestForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            workflow.closure_request(
                actor=request.user,
                case=case,
                reason=data["reason"],
                note=data["note"],
                identifiers_confirmed=data[CONFIRM_FIELD],
                request=request,
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Closure requested. A supervisor will approve or return it."))
            return redirect(case_url(case))
    context["form"] = form
    return _page(request, "casework/workflow_closure_request.html", case, "closure_request", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def closure_decide(request: HttpRequest, reference: str) -> HttpResponse:
    """Approve the pending closure request (the case is closed) or return it with a note: supervisors."""
    case = audit.audited_case(request, reference, write=True, page="closure_decide")
    if not access.may_supervise(request.user, case):
        raise _refuse(request, case, "closure_decide")
    latest = latest_closure(request.user, case)
    pending = latest if latest is not None and latest.is_pending else None
    context: dict[str, Any] = {"pending": pending}
    if pending is None:
        if request.method == "POST":
            messages.error(request, _("There is no closure request waiting for a decision on this case."))
            return redirect(case_url(case))
        return _page(request, "casework/workflow_closure_decide.html", case, "closure_decide", context)
    form = DecisionForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        pending.case = case
        try:
            if data["decision"] == DecisionForm.APPROVE:
                workflow.closure_approve(
                    actor=request.user, request=pending, closed_on=data["closed_on"], http_request=request
                )
                message = _("Closure approved: the case is closed.")
            else:
                workflow.closure_return(
                    actor=request.user,
                    request=pending,
                    note=data["note"],
                    identifiers_confirmed=data[CONFIRM_FIELD],
                    http_request=request,
                )
                message = _("The request was returned to the caseworker with your note.")
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, message)
            return redirect(case_url(case))
    context["form"] = form
    return _page(request, "casework/workflow_closure_decide.html", case, "closure_decide", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def case_archive(request: HttpRequest, reference: str) -> HttpResponse:
    """Archive a closed case: supervisors of its organisation."""
    case = audit.audited_case(request, reference, write=True, page="archive")
    if not access.may_supervise(request.user, case):
        raise _refuse(request, case, "archive")
    form = ArchiveForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            workflow.case_archive(actor=request.user, case=case, request=request)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("The case is archived."))
            return redirect(case_url(case))
    context = {"form": form, "archivable": case.status == choices.CaseStatus.CLOSED}
    return _page(request, "casework/workflow_archive.html", case, "archive", context)

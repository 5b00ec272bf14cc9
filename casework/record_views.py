"""The quick-add pages of a case: a note, a referral, an assessment, a legal proceeding, and moving a
referral to another status.

The case page shows these forms to those who may change the case; each posts here. A successful post
goes back to the case page with a message. A refused one (bad input, a rule of the model, possible
identifiers in the text) shows this action's own small page with the form as the user filled it in,
every error named at the top and next to its field — nothing typed is lost. A GET shows that page with
an empty form, so each action also works from a bookmark, or on a phone without the long case page.

The views are thin: the case comes through the access module (`audit.audited_case` with `write=True`:
404 for a case the user may not see, 403 for one they may only read, both recorded), the form validates,
and the service in casework/services/records.py saves and writes the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from casework import audit
from casework.audit import Action
from casework.models import Case, Referral
from casework.record_forms import AssessmentForm, NoteForm, ProceedingForm, ReferralAdvanceForm, ReferralForm
from casework.services import records


def case_url(case: Case, anchor: str = "") -> str:
    url = reverse("casework:case-detail", kwargs={"reference": case.reference})
    return f"{url}#{anchor}" if anchor else url


@dataclass(frozen=True)
class QuickAdd:
    page: str  # the audit trail's name for the page, and the URL name
    form_class: type
    service: Callable[..., Any]
    title: Promise
    form_template: str
    anchor: str  # where on the case page the new record shows
    done: Promise


NOTE = QuickAdd(
    page="note-add",
    form_class=NoteForm,
    service=records.note_add,
    title=gettext_lazy("Add a note"),
    form_template="casework/_note_form.html",
    anchor="timeline",
    done=gettext_lazy("The note was added."),
)
REFERRAL = QuickAdd(
    page="referral-add",
    form_class=ReferralForm,
    service=records.referral_add,
    title=gettext_lazy("Refer to a service"),
    form_template="casework/_referral_form.html",
    anchor="referrals",
    done=gettext_lazy("The referral was added."),
)
ASSESSMENT = QuickAdd(
    page="assessment-add",
    form_class=AssessmentForm,
    service=records.assessment_add,
    title=gettext_lazy("Record an assessment"),
    form_template="casework/_assessment_form.html",
    anchor="assessments",
    done=gettext_lazy("The assessment was recorded."),
)
PROCEEDING = QuickAdd(
    page="proceeding-add",
    form_class=ProceedingForm,
    service=records.proceeding_add,
    title=gettext_lazy("Add a legal proceeding"),
    form_template="casework/_proceeding_form.html",
    anchor="proceedings",
    done=gettext_lazy("The legal proceeding was added."),
)


def _form_page(
    request: HttpRequest, case: Case, title: str, form_template: str, form, **extra
) -> HttpResponse:
    context = {"case": case, "title": title, "form_template": form_template, "form": form, **extra}
    return render(request, "casework/record_form.html", context)


def _quick_add(request: HttpRequest, reference: str, spec: QuickAdd) -> HttpResponse:
    case = audit.audited_case(request, reference, write=True, page=spec.page)
    user = request.user
    if request.method == "GET":
        audit.record(Action.VIEW, request=request, obj=case, details={"page": spec.page})
        form = spec.form_class(case=case, user=user)
        return _form_page(request, case, str(spec.title), spec.form_template, form)
    form = spec.form_class(request.POST, case=case, user=user)
    if form.is_valid():
        try:
            spec.service(actor=user, case=case, request=request, **form.service_kwargs())
        except ValidationError as error:
            form.attach_errors(error)
        else:
            messages.success(request, str(spec.done))
            return redirect(case_url(case, spec.anchor))
    return _form_page(request, case, str(spec.title), spec.form_template, form)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def note_add(request: HttpRequest, reference: str) -> HttpResponse:
    return _quick_add(request, reference, NOTE)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def referral_add(request: HttpRequest, reference: str) -> HttpResponse:
    return _quick_add(request, reference, REFERRAL)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def assessment_add(request: HttpRequest, reference: str) -> HttpResponse:
    return _quick_add(request, reference, ASSESSMENT)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def proceeding_add(request: HttpRequest, reference: str) -> HttpResponse:
    return _quick_add(request, reference, PROCEEDING)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def referral_advance(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    """Move a referral of this case to its next status (the case page's one-click button) or to an
    alternative; the GET page also takes another date, an outcome and its note."""
    page = "referral-advance"
    case = audit.audited_case(request, reference, write=True, page=page)
    referral = (
        Referral.objects.visible_to(request.user)
        .filter(case=case, pk=pk)
        .select_related("service_type", "provider")
        .first()
    )
    if referral is None:
        audit.record(
            Action.NOT_FOUND,
            request=request,
            case_reference=case.reference,
            details={"page": page, "method": request.method, "object_type": "referral", "object_id": str(pk)},
        )
        raise Http404("No such referral.")
    referral.case = case
    title = _("Referral to %(service)s: record a change") % {"service": referral.service_type}
    if request.method == "GET":
        audit.record(Action.VIEW, request=request, obj=case, details={"page": page})
        form = ReferralAdvanceForm(referral=referral)
        return _form_page(
            request, case, title, "casework/_referral_advance_form.html", form, referral=referral
        )
    form = ReferralAdvanceForm(request.POST, referral=referral)
    if form.is_valid():
        try:
            records.referral_advance(
                actor=request.user, referral=referral, request=request, **form.service_kwargs()
            )
        except ValidationError as error:
            form.attach_errors(error)
            # The referral may have moved meanwhile: offer what is open from where it is now.
            referral.refresh_from_db()
            form.set_choices(referral)
        else:
            messages.success(
                request,
                _("The referral to %(service)s is now “%(status)s”.")
                % {"service": referral.service_type, "status": referral.get_status_display()},
            )
            return redirect(case_url(case, f"referral-{referral.pk}"))
    return _form_page(request, case, title, "casework/_referral_advance_form.html", form, referral=referral)

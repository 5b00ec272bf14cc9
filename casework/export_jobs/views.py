"""`/exports/`: the user's background exports, asking for one, its progress page and its download.

Every lookup goes through `ExportJob.objects.visible_to(user)` (access.restrict_export_jobs): a job of
anyone else, an expired job and a job that does not exist are the same 404. The file is never read to
show a page (`defer("result")`); only the download reads it, after the step-up.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from casework import audit
from casework.audit import Action
from casework.export_jobs import jobs, rendering
from casework.models import ExportJob
from casework.two_factor.step_up import require_fresh_verification

LIST_DAYS = 7  # the list shows the jobs of the last week (expired ones are gone anyway)
LIST_LIMIT = 50


class ExportRequest(forms.Form):
    report = forms.ChoiceField(choices=[(name, name) for name in rendering.FORMATS])
    format = forms.ChoiceField(choices=[("pdf", "PDF"), ("xlsx", "XLSX")])

    def clean(self):
        cleaned = super().clean()
        report, output = cleaned.get("report"), cleaned.get("format")
        if report and output and output not in rendering.FORMATS[report]:
            self.add_error(
                "format",
                _("This export is prepared as %(formats)s only.")
                % {"formats": ", ".join(rendering.FORMATS[report]).upper()},
            )
        return cleaned


def _bad_request(form: forms.Form) -> HttpResponse:
    """400 naming each field, as the report downloads answer (the buttons never send a bad request)."""
    lines = [
        f"{'parameters' if name == '__all__' else name}: {error}"
        for name, errors in form.errors.items()
        for error in errors
    ]
    response = HttpResponseBadRequest("\n".join(lines), content_type="text/plain; charset=utf-8")
    add_never_cache_headers(response)
    return response


def _see_other(url: str) -> HttpResponse:
    """303: after a POST, the browser GETs the page (a reload does not ask again)."""
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _jobs(user):
    return ExportJob.objects.visible_to(user).current().defer("result")


@never_cache
@login_required
@require_POST
def export_new(request: HttpRequest) -> HttpResponse:
    """POST report, format and the report's parameters (as its URL takes them): a new job, then its page
    (303). Refused (403) for a report the user may not run; at the cap, back to the list with a message."""
    user = request.user
    asked = ExportRequest(request.POST)
    if not asked.is_valid():
        return _bad_request(asked)
    report, output = asked.cleaned_data["report"], asked.cleaned_data["format"]
    if not rendering.may_request(user, report):
        raise PermissionDenied(_("Your role does not have this export."))
    parameters: dict = {}
    if report != rendering.CASES:
        form = rendering.parameters_form(user, report, request.POST)
        if not form.is_valid():
            return _bad_request(form)
        parameters = rendering.plain_parameters(report, form.cleaned_data)
    try:
        job = jobs.request_export(user=user, report=report, parameters=parameters, output=output)
    except jobs.TooManyUnfinished:
        messages.error(
            request,
            _("You already have %(n)s exports being prepared. Wait for one to finish, then ask again.")
            % {"n": ExportJob.objects.filter(requested_by=user).unfinished().count()},
        )
        return _see_other(reverse("exports:list"))
    return _see_other(reverse("exports:detail", args=[job.pk]))


@never_cache
@login_required
@require_GET
def export_list(request: HttpRequest) -> HttpResponse:
    """The user's own jobs of the last days, newest first: one query, however many there are."""
    since = timezone.now() - timedelta(days=LIST_DAYS)
    found = list(_jobs(request.user).filter(created_at__gte=since).order_by("-created_at")[:LIST_LIMIT])
    context = {"jobs": found, "keep_hours": settings.CASEWORK_EXPORT_KEEP_HOURS}
    return render(request, "exports/list.html", context)


@never_cache
@login_required
@require_GET
def export_detail(request: HttpRequest, pk) -> HttpResponse:
    """Status, progress and stage; the page reloads itself every two seconds until the job ends (a meta
    refresh: the CSP allows no inline script)."""
    job = get_object_or_404(_jobs(request.user), pk=pk)
    return render(request, "exports/job.html", {"job": job})


@never_cache
@login_required
@require_GET
def export_download(request: HttpRequest, pk) -> HttpResponse:
    """The prepared file: its requester only, a fresh second factor first, one `export` event. A job not
    done, expired or not theirs is 404; so is one the user may no longer have (their role changed)."""
    user = request.user
    job = get_object_or_404(_jobs(user).filter(status=ExportJob.Status.DONE), pk=pk)
    try:
        rendering.check(user, job.report or rendering.CASES, job.parameters)
    except rendering.NotAllowed:
        raise Http404("No such export.") from None
    if (step_up := require_fresh_verification(request)) is not None:
        return step_up  # the file leaves the system: a fresh second factor first (issue 7)
    content = ExportJob.objects.filter(pk=job.pk).values_list("result", flat=True).first()
    if content is None:
        raise Http404("No such export.")  # purged between the two reads
    details = {
        "report": job.report or "cases-xlsx",
        "format": job.format,
        "parameters": job.parameters,
        "background_job": str(job.pk),
    }
    audit.record(Action.EXPORT, request=request, details=details)
    response = HttpResponse(bytes(content), content_type=job.content_type)
    response["Content-Disposition"] = f'attachment; filename="{job.filename}"'
    add_never_cache_headers(response)
    return response

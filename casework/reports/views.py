"""`/reports/`: the reports the user may run, each with the form of its parameters, and the saved report
definitions offered to them; running a saved one is one click."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from casework.models import SavedReport
from casework.reports.registry import REPORTS, runnable


@never_cache
@login_required
@require_GET
def report_index(request: HttpRequest) -> HttpResponse:
    user = request.user
    kinds = runnable(user)
    saved = []
    for definition in SavedReport.objects.offered_to(user).select_related("organisation"):
        kind = REPORTS.get(definition.report)
        if kind is not None and kind in kinds:
            saved.append((definition, kind))
    context = {
        "reports": [(kind, kind.form(user)) for kind in kinds],
        "saved": saved,
    }
    return render(request, "reports/index.html", context)


def _find(request: HttpRequest, slug: str) -> HttpResponse:
    """The one-field forms on /reports/ (a case reference, a country) lead to the report's own URL; the
    report decides whether the user may see what was asked for."""
    kind = REPORTS[slug]
    if not kind.may_run(request.user):
        raise Http404("No such page.")
    form = kind.form(request.user, request.GET)
    if not form.is_valid():
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else name
            for error in errors:
                messages.error(request, f"{label}: {error}")
        return redirect(reverse("reports:index") + f"#{slug}")
    return redirect(kind.url(form.cleaned_data))


@never_cache
@login_required
@require_GET
def case_summary_find(request: HttpRequest) -> HttpResponse:
    return _find(request, "case-summary")


@never_cache
@login_required
@require_GET
def country_brief_find(request: HttpRequest) -> HttpResponse:
    return _find(request, "country-brief")


@never_cache
@login_required
@require_GET
def saved_report_run(request: HttpRequest, pk: int) -> HttpResponse:
    """A saved definition: to its report with its parameters. One not offered to the user, or of a
    report they may not run, is 404; parameters no longer valid for them send them back with a message."""
    definition = get_object_or_404(SavedReport.objects.offered_to(request.user), pk=pk)
    kind = REPORTS.get(definition.report)
    if kind is None or not kind.may_run(request.user):
        raise Http404("No such saved report.")
    url = kind.url_for(request.user, definition.parameters)
    if url is None:
        messages.error(
            request,
            _("The saved report “%(name)s” has parameters you cannot run; ask an administrator to fix it.")
            % {"name": definition.name},
        )
        return redirect("reports:index")
    return redirect(url)

"""Placeholder until the report is built (issue 6, in progress)."""

from django.http import Http404


def country_brief(request, **kwargs):
    raise Http404("Not built yet.")

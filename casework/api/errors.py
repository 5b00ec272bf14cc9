"""API errors are JSON naming the offending fields; a refusal never reveals whether an object exists."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        # Never echo the lookup value: "No Case matches the given query." would be harmless, but the
        # same words for every refusal are simpler to keep true.
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    return drf_exception_handler(exc, context)

"""Analysts' API reads go to a read replica (DATABASE_REPLICA_URL); everything else uses the primary.

Analysts read anonymised, aggregated data and never write cases, so a replica a few seconds behind cannot
mislead them, while their heavy statistics queries stay off the database that caseworkers write to.
Staff keep reading the primary: after saving a case they must see what they saved (an edit compares
versions), which a lagging replica cannot promise. Writes always go to the primary, including the audit
events of an analyst's reads.

A router is asked about a model, not a request, so `RememberRequestMiddleware` keeps the current request
in a context variable. The user is known only once authenticated (DRF authenticates an API token inside
the view), and the router looks at it without ever triggering authentication itself: until the user is
known, reads go to the primary.
"""

from __future__ import annotations

from contextvars import ContextVar

from django.http import HttpRequest
from django.utils.functional import LazyObject, empty

from casework.access import role_of
from casework.choices import Role

REPLICA = "replica"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
API_PREFIX = "/api/"

_current_request: ContextVar[HttpRequest | None] = ContextVar("casework_current_request", default=None)


class RememberRequestMiddleware:
    """Keeps the request being answered where the router can see it, and forgets it afterwards."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


def _known_user(request: HttpRequest):
    """The request's user if authentication already happened, else None (never authenticates)."""
    user = request.__dict__.get("user")
    if isinstance(user, LazyObject):
        user = user.__dict__.get("_wrapped", empty)
        if user is empty:
            return None
    return user


def reads_from_replica(request: HttpRequest | None) -> bool:
    """An analyst's GET (HEAD, OPTIONS) under /api/: the only reads that may lag behind the primary."""
    if request is None or request.method not in SAFE_METHODS or not request.path_info.startswith(API_PREFIX):
        return False
    user = _known_user(request)
    return user is not None and role_of(user) == Role.ANALYST


class AnalystReadsRouter:
    def db_for_read(self, model, **hints):
        return REPLICA if reads_from_replica(_current_request.get()) else None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA  # the replica follows the primary; nothing migrates it directly

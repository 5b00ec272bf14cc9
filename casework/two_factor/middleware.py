"""Nothing but the two-factor pages until a signed-in user has given a code.

With settings.REQUIRE_2FA on, a session signed in with a password but without a code (django-otp's
`user.is_verified()`) is sent to the verify page, with `next`, from every page, the admin included; the
verify page sends a user who has no device on to enrolment. Only the sign-in and sign-out pages, the
two-factor pages themselves, static files and the health check answer as usual. The API answers such a
session 403 in JSON: an API client authenticates with a token (a factor of its own, and not a session),
which this middleware never sees, so token requests are unaffected.

The admin's own sign-in page is not a way round: while two-factor sign-in is required it redirects to the
site's sign-in page (keeping `next`), after which the same check applies.

Placed after AuthenticationMiddleware, django-otp's OTPMiddleware and the session lifetime middleware (so
an expired session is ended first, and a form kept across it is offered back only after the code). The
check is in `__call__`, before any middleware's `process_view`, so nothing answers for the view first.
For an anonymous request it reads only the session; it never costs a query when the setting is off.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME, SESSION_KEY
from django.http import HttpRequest, HttpResponseRedirect, JsonResponse
from django.shortcuts import resolve_url
from django.urls import Resolver404, resolve, reverse

from casework.two_factor import step_up

# Views a signed-in user reaches before giving a code: by URL name (namespace included).
OPEN_VIEWS = frozenset(
    {
        "login",
        "logout",
        "healthz",
        "admin:logout",
        "two_factor:verify",
        "two_factor:enrol",
    }
)


class RequireTwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if step_up.required():
            answer = self.refusal(request)
            if answer is not None:
                return answer
        return self.get_response(request)

    def refusal(self, request: HttpRequest):
        path = request.path_info
        if path == reverse("admin:login"):
            target = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index")
            return HttpResponseRedirect(
                f"{resolve_url(settings.LOGIN_URL)}?{urlencode({REDIRECT_FIELD_NAME: target})}"
            )
        if SESSION_KEY not in request.session or step_up.is_verified(request):
            return None
        if settings.STATIC_URL and path.startswith(settings.STATIC_URL):
            return None
        try:
            view_name = resolve(path).view_name
        except Resolver404:
            return None  # the 404 page, which says nothing
        if view_name in OPEN_VIEWS:
            return None
        if path.startswith("/api/"):
            return JsonResponse(
                {"detail": "Two-factor verification required: sign in with a code, or use an API token."},
                status=403,
            )
        next_url = request.get_full_path() if request.method in ("GET", "HEAD") else path
        return HttpResponseRedirect(step_up.verify_url(next_url))

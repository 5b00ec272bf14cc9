"""Step-up: the most sensitive actions ask for a code again when the last one is not fresh.

Exports of reports (every format but the HTML page) and creating an API token take data, or a standing
credential, out of the system; a session left open on a shared computer must not be enough for them.
The time of the last accepted code is kept in the session (`VERIFIED_AT`, written by `mark_verified`
whenever a code is accepted: at sign-in, at enrolment, at a step-up); an action calls
`require_fresh_verification` and, when it answers a redirect, returns it. After the code, the user is
sent back to `next` (the export's URL, or the page the form was on) and the action proceeds.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

import django_otp
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

VERIFIED_AT = "casework_2fa_verified_at"


def required() -> bool:
    return bool(getattr(settings, "REQUIRE_2FA", False))


def is_verified(request: HttpRequest) -> bool:
    """Whether this session has given a code that is still good (django-otp's middleware checks that its
    device still exists, is confirmed and belongs to the user)."""
    user = getattr(request, "user", None)
    check = getattr(user, "is_verified", None)
    return bool(user is not None and user.is_authenticated and check is not None and check())


def mark_verified(request: HttpRequest, device) -> None:
    """Remember in the session that `device` accepted a code now. The session key changes, as it does at
    sign-in: a session id seen before the code no longer carries the verified session."""
    django_otp.login(request, device)
    request.session.cycle_key()
    request.session[VERIFIED_AT] = int(time.time())


def verified_within(request: HttpRequest, minutes: int) -> bool:
    at = request.session.get(VERIFIED_AT)
    return isinstance(at, int | float) and 0 <= time.time() - at < minutes * 60


def verify_url(next_url: str) -> str:
    return f"{reverse('two_factor:verify')}?{urlencode({'next': next_url})}"


def require_fresh_verification(
    request: HttpRequest, max_age_minutes: int | None = None
) -> HttpResponse | None:
    """None when the action may go ahead: two-factor sign-in is off, or a code was accepted in this
    session within `max_age_minutes` (default settings.CASEWORK_2FA_FRESH_MINUTES). Otherwise a redirect
    to the verify page, which comes back to this URL (for a POST: to its page, to send the form again)."""
    if not required():
        return None
    if max_age_minutes is None:
        max_age_minutes = settings.CASEWORK_2FA_FRESH_MINUTES
    if is_verified(request) and verified_within(request, max_age_minutes):
        return None
    messages.info(
        request,
        _("Confirm it is you with a code from your authenticator app: this needs a fresh code."),
        fail_silently=True,
    )
    next_url = request.get_full_path() if request.method in ("GET", "HEAD") else request.path
    return HttpResponseRedirect(verify_url(next_url))

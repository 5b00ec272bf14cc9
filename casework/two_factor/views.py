"""The two-factor pages: enrol an authenticator app, give a code, and (administrators) reset a device.

- `enrol`: a signed-in user without a device is shown a secret (QR code and typed key) and confirms it
  with a code; the answer to that POST shows their 10 backup codes, once (never stored in the session or
  put in a URL; the server keeps only their digests). Someone who already has a device cannot enrol
  another: that would let a stolen password replace the owner's phone. They give a code instead, or ask
  an administrator for a reset.
- `verify`: a code from the app or a backup code; after a password sign-in (the middleware sends the user
  here) and for a step-up (an export, a new API token). Accepted and refused codes are audited, never
  the code itself.
- `reset`: an organisation administrator (or a system administrator) deletes a user's devices; the user
  enrols again at their next sign-in. Audited: who reset whose device.

With settings.REQUIRE_2FA off, enrolment and verification send the user straight on: two-factor sign-in
is then off for everyone, and a device set up meanwhile would be asked for by nothing.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from casework import access
from casework.audit import Action, record
from casework.two_factor import devices, step_up
from casework.two_factor.forms import CodeForm

SIGN_IN, STEP_UP, ENROL = "sign_in", "step_up", "enrol"


def next_url(request: HttpRequest) -> str:
    """Where to go after the code: `next` if it is a page of this site (and not a two-factor page, which
    would loop), else the dashboard."""
    target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME) or ""
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if not safe or _is_two_factor_page(target):
        return resolve_url(settings.LOGIN_REDIRECT_URL)
    return target


def _is_two_factor_page(url: str) -> bool:
    try:
        return resolve(urlsplit(url).path).namespace == "two_factor"
    except Resolver404:
        return False


def _with_next(url: str, request: HttpRequest) -> str:
    return f"{url}?{urlencode({REDIRECT_FIELD_NAME: next_url(request)})}"


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Ask for a code: from the authenticator app, or one of the backup codes."""
    if not step_up.required():
        return HttpResponseRedirect(next_url(request))
    if not devices.has_device(request.user):
        return HttpResponseRedirect(_with_next(reverse("two_factor:enrol"), request))
    purpose = STEP_UP if step_up.is_verified(request) else SIGN_IN
    form = CodeForm(request.user, request.POST if request.method == "POST" else None)
    if form.is_valid():
        outcome = form.outcome
        step_up.mark_verified(request, outcome.device)
        details = {"method": outcome.method, "purpose": purpose}
        if outcome.method == devices.BACKUP_CODE:
            left = devices.backup_codes_left(request.user)
            details["backup_codes_left"] = left
            messages.warning(
                request,
                _(
                    "You used a backup code; %(left)d are left. If you have lost your phone, ask your "
                    "organisation's administrator to reset your two-factor sign-in."
                )
                % {"left": left},
            )
        record(Action.OTP_VERIFIED, request=request, details=details)
        return HttpResponseRedirect(next_url(request))
    if form.outcome is not None:  # a code was checked and refused (or throttling refused to check it)
        record(
            Action.OTP_FAILED,
            request=request,
            details={
                "method": form.outcome.method,
                "purpose": purpose,
                "throttled": form.outcome.locked_until is not None,
            },
        )
    return render(
        request,
        "registration/two_factor/verify.html",
        {"form": form, "next": next_url(request), "purpose": purpose},
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan (or type) the secret, confirm it with a code, keep the backup
    codes shown once."""
    if not step_up.required():
        return HttpResponseRedirect(next_url(request))
    if devices.has_device(request.user):
        return HttpResponseRedirect(_with_next(reverse("two_factor:verify"), request))
    device = devices.pending_totp_device(request.user)
    form = CodeForm(
        request.user, request.POST if request.method == "POST" else None, device=device, app_only=True
    )
    if form.is_valid():
        codes = devices.confirm_enrolment(request.user, device)
        step_up.mark_verified(request, device)
        record(Action.OTP_ENROLLED, request=request, details={"backup_codes": len(codes)})
        return render(
            request,
            "registration/two_factor/backup_codes.html",
            {"codes": codes, "next": next_url(request)},
        )
    if form.outcome is not None:
        record(
            Action.OTP_FAILED,
            request=request,
            details={
                "method": form.outcome.method,
                "purpose": ENROL,
                "throttled": form.outcome.locked_until is not None,
            },
        )
    return render(
        request,
        "registration/two_factor/enrol.html",
        {
            "form": form,
            "next": next_url(request),
            "qr_svg": devices.qr_svg(device),
            "key_text": devices.key_text(device),
            "issuer": settings.OTP_TOTP_ISSUER,
        },
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def reset(request: HttpRequest, user_id: int) -> HttpResponse:
    """GET: what a reset does, and the button; POST: reset. 404 for a user the actor may not manage,
    whether or not they exist (access.may_reset_two_factor)."""
    target = access.restrict_users(get_user_model().objects.all(), request.user).filter(pk=user_id).first()
    if target is None or not access.may_reset_two_factor(request.user, target):
        raise Http404("Not found.")
    back = (
        reverse("admin:casework_user_change", args=[target.pk])
        if access.may_use_admin(request.user)
        else resolve_url(settings.LOGIN_REDIRECT_URL)
    )
    if request.method == "POST":
        deleted = devices.reset_devices(target)
        record(
            Action.OTP_RESET,
            request=request,
            obj=target,
            details={"user": target.get_username(), "devices": deleted},
        )
        messages.success(
            request,
            _("Two-factor sign-in of %(user)s is reset: they set it up again at their next sign-in.")
            % {"user": target.get_username()},
        )
        return HttpResponseRedirect(back)
    return render(
        request,
        "registration/two_factor/reset.html",
        {"target": target, "enrolled": devices.has_device(target), "back": back},
    )

"""Signing in and out: the audit events of every attempt, and the answer to a locked-out one.

Authentication events are written from django.contrib.auth's signals, the one place every sign-in path
(our login page, the admin's, the test client) passes through. django-axes counts failures per account
and, separately, per address (settings.AXES_LOCKOUT_PARAMETERS) and refuses further attempts for a
while; nothing said to the person at the door tells them whether the account exists.

Per attempt the trail holds: `sign_in` on success; `sign_in_failed` for wrong credentials; for the failure
that reaches the limit, `sign_in_failed` and `locked_out`; for an attempt refused because a lockout is in
force, `sign_in_locked` only (even with the right password).
"""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from axes.helpers import get_cool_off
from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from casework.audit import Action, record

# A username field may hold anything typed into it; keep no more than a username can be.
USERNAME_MAX = 150
# Set on a request whose sign-in attempt was turned away by a lockout already in force.
REFUSED = "_casework_refused_by_lockout"


class LockoutBackend(AxesStandaloneBackend):
    """axes' gate (first in AUTHENTICATION_BACKENDS), marking the attempts it turns away.

    Whether an attempt failed on its password or was refused unheard is known only here; the receivers
    below read the mark instead of depending on the order in which they and axes' own are called.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        try:
            return super().authenticate(request, username=username, password=password, **kwargs)
        except AxesBackendPermissionDenied:
            setattr(request, REFUSED, True)
            raise


def lockout_minutes(request: HttpRequest | None = None) -> int:
    cool_off = get_cool_off(request)
    return max(1, round(cool_off.total_seconds() / 60)) if cool_off else 0


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer to a locked-out attempt: one page, whatever the account (AXES_LOCKOUT_CALLABLE).

    The wording and the status are the same whether the username exists, whether the password was right
    and whether the account or the address is locked, so the page cannot be used to find accounts.
    """
    return render(request, "registration/locked_out.html", {"minutes": lockout_minutes(request)}, status=429)


def attempted_username(request: HttpRequest | None, credentials: dict | None = None) -> str:
    """The username an attempt was made for, as typed but cut to the longest a username can be.

    axes counts failures against it (AXES_USERNAME_CALLABLE): uncut, an overlong one would not fit axes'
    table and the attempt would end in a server error. The trail records it too: staff usernames are not
    case data. Whether such an account exists is deliberately not recorded.
    """
    if credentials:
        typed = credentials.get("username")
    else:
        typed = getattr(request, "data", getattr(request, "POST", {})).get("username")
    return str(typed or "")[:USERNAME_MAX]


@receiver(user_logged_in, dispatch_uid="casework_audit_sign_in")
def audit_sign_in(sender, request, user, **kwargs) -> None:
    record(Action.SIGN_IN, actor=user, request=request)


@receiver(user_logged_out, dispatch_uid="casework_audit_sign_out")
def audit_sign_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        record(Action.SIGN_OUT, actor=user, request=request)


@receiver(user_login_failed, dispatch_uid="casework_audit_sign_in_failed")
def audit_sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    """Wrong credentials, or an attempt turned away because a lockout was in force."""
    refused = getattr(request, REFUSED, False)
    record(
        Action.SIGN_IN_LOCKED if refused else Action.SIGN_IN_FAILED,
        actor=None,
        request=request,
        details={"username": attempted_username(request, credentials)},
    )


@receiver(user_locked_out, dispatch_uid="casework_audit_locked_out")
def audit_locked_out(sender, request, username=None, ip_address=None, **kwargs) -> None:
    """axes reports a lockout on the failure that reaches the limit and again on every attempt refused
    after it; only the first is news, the others are already `sign_in_locked`."""
    if getattr(request, REFUSED, False):
        return
    record(
        Action.LOCKED_OUT,
        actor=None,
        request=request,
        details={"username": username or "", "minutes": lockout_minutes(request)},
    )

"""Session lifetime, and keeping a form that arrived after its session had ended.

Two limits end a signed-in session:

- the idle timeout (settings.SESSION_IDLE_TIMEOUT_MINUTES): Django's own session expiry (SESSION_COOKIE_AGE),
  renewed by a request at most once every SESSION_RENEW_SECONDS (below) rather than on every request,
  which would write and commit the session on every page view: an idle session therefore ends between
  the limit and the limit minus a minute after its last request. The session store refuses an expired
  session, so it holds on every process and with any session backend;
- the absolute lifetime (settings.SESSION_MAX_LIFETIME_HOURS), counted from the sign-in, which no amount of
  activity extends. The sign-in time is written by the `user_logged_in` receiver below, which every sign-in
  path goes through (our page, the admin's, the test client). A signed-in session without it began before
  this rule existed, or elsewhere: its age is unknown, so it is ended too.

What a user typed into a form that reaches us after the session ended is kept through the sign-in and
offered back; see casework/kept_forms.py.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from casework import kept_forms

SIGNED_IN_AT = "casework_signed_in_at"
RENEWED_AT = "casework_renewed_at"
# At most one session write a minute per user for the idle timeout: at 10^5 cases and hundreds of users a
# write and commit per page view was a tenth of the database's work on read-only pages.
SESSION_RENEW_SECONDS = 60


@receiver(user_logged_in, dispatch_uid="casework_session_signed_in")
def on_sign_in(sender, request, user, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    request.session[SIGNED_IN_AT] = request.session[RENEWED_AT] = int(time.time())
    kept_forms.on_sign_in(request, user)


def lifetime_is_over(session) -> bool:
    started = session.get(SIGNED_IN_AT)
    if not isinstance(started, int | float):
        return True
    return time.time() - started >= settings.SESSION_MAX_LIFETIME_HOURS * 3600


def renew_idle_timeout(session) -> None:
    """Mark a stored session changed when its idle timeout was last renewed a minute or more ago, so the
    session middleware saves it with a new expiry and sends the cookie again."""
    if not session.session_key or session.modified:
        return  # no stored session, or one being saved anyway (which renews it)
    now = int(time.time())
    renewed = session.get(RENEWED_AT)
    if isinstance(renewed, int | float) and now - renewed < SESSION_RENEW_SECONDS:
        return
    session[RENEWED_AT] = now


class SessionLifetimeMiddleware:
    """Ends a session past its absolute lifetime, and keeps and offers back forms posted too late.

    Placed after the authentication, message and CSRF middleware. For an ordinary request it reads only
    the session (already loaded for authentication) and never loads the user, so it costs no query.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        ended_user_id = None
        if SESSION_KEY in session and lifetime_is_over(session):
            ended_user_id = session[SESSION_KEY]
            logout(request)
        response = self.get_response(request)
        renew_idle_timeout(request.session)
        kept_forms.keep_if_sign_in_asked(request, response, ended_user_id=ended_user_id)
        kept_forms.set_owner_cookie_after_sign_in(request, response)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        # After CsrfViewMiddleware.process_view: a discard request has passed the CSRF check by now.
        return kept_forms.answer_for_kept_form(request)

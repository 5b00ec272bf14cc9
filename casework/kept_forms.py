"""Nothing typed is lost when a session ends under a form (DESIGN §3.4).

A caseworker writes a long note, the session ends (idle timeout or absolute lifetime), they press Save:
the view, seeing nobody signed in, answers with a redirect to a sign-in page. Instead of losing the note:

1. `keep_if_sign_in_asked` sees that answer (a POST, the CSRF check passed, a redirect to LOGIN_URL or to
   the admin's sign-in page whose `next` is this very form) and keeps the posted fields in the new, still
   anonymous session, under the form's path, with the time and the owner. The owner is the user whose
   session the absolute lifetime has just ended, or else the user named by a signed cookie set at every
   sign-in (the ended session itself can no longer tell). With no owner known, nothing is kept.
   Never kept: the CSRF token, password-like fields, uploaded files (the page says so), forms over
   MAX_BYTES. At most MAX_FORMS forms, each for MAX_AGE seconds.
2. Signing in keeps an anonymous session's data (django.contrib.auth.login cycles the key); `on_sign_in`
   then drops every kept form of another user, so the next person at a shared computer never sees it.
3. The sign-in page sends the user back to the form's URL. `answer_for_kept_form` answers that GET, for
   the owner only, with a page that shows what was kept (read-only) and posts it again to the same URL with
   a fresh CSRF token: through the view's own validation, permissions and version check, never around
   them. Or the user discards it. Either way the kept form is removed once posted back.

Kept forms live only in the session store, never in a log, a message or the audit trail.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import NoReverseMatch, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

KEPT_FORMS = "casework_kept_forms"  # session key: {path: {"owner", "at", "fields", "files", "secrets"}}
CONTROL = "_casework_kept"  # posted by the resubmit page: "resubmit" or "discard"
RESUBMIT, DISCARD = "resubmit", "discard"

OWNER_COOKIE = "casework_form_owner"
OWNER_SALT = "casework.kept_forms.owner"
SIGNED_IN_USER = "_casework_signed_in_user_id"  # request attribute: a sign-in happened in this request

MAX_BYTES = 64 * 1024  # of the fields as UTF-8; the session stores up to three times that, escaped
MAX_AGE = 2 * 3600
MAX_FORMS = 3
PROSE_MIN_LENGTH = 20  # shorter values and values without a space are codes, ids or dates
REDIRECTS = frozenset({301, 302, 303, 307, 308})

# Field names never kept: secrets (passwords, tokens) and the CSRF token, which is stale anyway.
SECRET_NAME = re.compile(r"pass|pwd|secret|token|csrf", re.IGNORECASE)
# Form machinery kept and posted back, but not worth showing: admin buttons and flags, formset counts.
MACHINERY_NAME = re.compile(r"^(_|initial-)|-(TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS$")


def owner_cookie_max_age() -> int:
    """Long enough for a form opened late in a session and sent the next morning."""
    return settings.SESSION_MAX_LIFETIME_HOURS * 3600 + 12 * 3600


def on_sign_in(request: HttpRequest, user) -> None:
    """Connected (through casework.middleware) to `user_logged_in`."""
    setattr(request, SIGNED_IN_USER, user.pk)
    kept = request.session.get(KEPT_FORMS)
    if kept:
        mine = {path: entry for path, entry in _current(kept).items() if entry["owner"] == str(user.pk)}
        if mine:
            request.session[KEPT_FORMS] = mine
        else:
            del request.session[KEPT_FORMS]


def set_owner_cookie_after_sign_in(request: HttpRequest, response: HttpResponse) -> None:
    user_id = getattr(request, SIGNED_IN_USER, None)
    if user_id is None:
        return
    response.set_signed_cookie(
        OWNER_COOKIE,
        str(user_id),
        salt=OWNER_SALT,
        max_age=owner_cookie_max_age(),
        path=settings.SESSION_COOKIE_PATH,
        domain=settings.SESSION_COOKIE_DOMAIN,
        secure=not settings.DEBUG,
        httponly=True,
        samesite="Lax",
    )


def keep_if_sign_in_asked(request: HttpRequest, response: HttpResponse, *, ended_user_id) -> None:
    if request.method != "POST" or response.status_code not in REDIRECTS:
        return
    if not getattr(request, "csrf_processing_done", False) or not _asks_sign_in_for(request, response):
        return  # no CSRF check passed: not a form of ours; or an ordinary redirect, as after a save
    if request.user.is_authenticated or settings.SESSION_ENGINE.endswith("signed_cookies"):
        return  # signed in but refused: the view decided; a cookie has no room for a form
    owner = ended_user_id or _owner_from_cookie(request)
    if owner is None:
        return
    try:
        posted = list(request.POST.lists())
        files = bool(request.FILES)
    except (SuspiciousOperation, OSError):  # too many fields, unreadable body: the view saw it too
        return
    fields = [[name, values] for name, values in posted if name != CONTROL and not SECRET_NAME.search(name)]
    if not fields:
        return
    if len(json.dumps(fields, ensure_ascii=False).encode()) > MAX_BYTES:  # as typed: Cyrillic is 2 bytes
        messages.warning(
            request,
            _(
                "Your session ended before your changes were saved, and they are too long to keep here. "
                "Go back in your browser to copy what you typed before you sign in again."
            ),
            fail_silently=True,
        )
        return
    kept = _current(request.session.get(KEPT_FORMS) or {})
    kept[request.get_full_path()] = {
        "owner": str(owner),
        "at": int(time.time()),
        "fields": fields,
        "files": files,
        "secrets": any(name != "csrfmiddlewaretoken" and SECRET_NAME.search(name) for name, _v in posted),
    }
    newest = sorted(kept.items(), key=lambda item: item[1]["at"])[-MAX_FORMS:]
    request.session[KEPT_FORMS] = dict(newest)
    messages.info(
        request,
        _("Your session ended before your changes were saved. Sign in again: we kept what you typed."),
        fail_silently=True,
    )


def answer_for_kept_form(request: HttpRequest) -> HttpResponse | None:
    """The resubmit page instead of the form, a discard, or None to let the view answer."""
    kept = request.session.get(KEPT_FORMS)
    if not kept:
        return None  # every ordinary request ends here
    path = request.get_full_path()
    entry = kept.get(path)
    if entry is None or request.method not in ("GET", "POST") or not request.user.is_authenticated:
        return None
    if entry["owner"] != str(request.user.pk) or _expired(entry):
        _forget(request, path)
        return None
    if request.method == "GET":
        return _resubmit_page(request, entry)
    if not getattr(request, "csrf_processing_done", False):
        return None
    # A post to the form's URL by its owner: the resubmission, or a newer submission that supersedes it.
    _forget(request, path)
    if request.POST.get(CONTROL) == DISCARD:
        messages.info(request, _("What you typed has been discarded."), fail_silently=True)
        return HttpResponseRedirect(request.build_absolute_uri(), status=303)
    return None


def _resubmit_page(request: HttpRequest, entry: dict) -> HttpResponse:
    hidden = [(name, value) for name, values in entry["fields"] for value in values]
    shown = [
        (name, [value for value in values if value.strip()])
        for name, values in entry["fields"]
        if not MACHINERY_NAME.search(name) and any(value.strip() for value in values)
    ]
    # What was written (a sentence, a note) first; codes, dates and ids of the rest of the form folded.
    texts = [(name, values) for name, values in shown if any(_is_prose(value) for value in values)]
    context = {
        "texts": texts,
        "others": [field for field in shown if field not in texts],
        "hidden": hidden,
        "files_dropped": entry["files"],
        "secrets_dropped": entry["secrets"],
        "control": CONTROL,
        "resubmit": RESUBMIT,
        "discard": DISCARD,
    }
    response = render(request, "casework/resubmit.html", context)
    add_never_cache_headers(response)  # typed case data: not for the browser's cache on a shared computer
    return response


def _is_prose(value: str) -> bool:
    return len(value) >= PROSE_MIN_LENGTH and " " in value.strip()


def _asks_sign_in_for(request: HttpRequest, response: HttpResponse) -> bool:
    location = urlsplit(response.get("Location", ""))
    if location.path not in _sign_in_paths():
        return False
    wanted = parse_qs(location.query).get(REDIRECT_FIELD_NAME, [])
    return request.get_full_path() in wanted or request.build_absolute_uri() in wanted


def _sign_in_paths() -> set[str]:
    paths = {urlsplit(resolve_url(settings.LOGIN_URL)).path}
    with contextlib.suppress(NoReverseMatch):
        paths.add(reverse("admin:login"))
    return paths


def _owner_from_cookie(request: HttpRequest) -> str | None:
    return request.get_signed_cookie(
        OWNER_COOKIE, default=None, salt=OWNER_SALT, max_age=owner_cookie_max_age()
    )


def _expired(entry: dict) -> bool:
    return time.time() - entry["at"] > MAX_AGE


def _current(kept: dict) -> dict:
    return {path: entry for path, entry in kept.items() if not _expired(entry)}


def _forget(request: HttpRequest, path: str) -> None:
    kept = _current(request.session.get(KEPT_FORMS) or {})
    kept.pop(path, None)
    if kept:
        request.session[KEPT_FORMS] = kept
    else:
        request.session.pop(KEPT_FORMS, None)

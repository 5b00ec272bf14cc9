"""Sessions end when idle and after an absolute lifetime; a form sent too late is kept, never lost."""

import datetime
import json
import logging
import re
import time
from html.parser import HTMLParser
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import F
from django.http import HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from casework import choices
from casework.kept_forms import DISCARD, KEPT_FORMS, MAX_BYTES, OWNER_COOKIE, RESUBMIT
from casework.middleware import RENEWED_AT, SESSION_RENEW_SECONDS, SIGNED_IN_AT, SessionLifetimeMiddleware
from casework.models import Case, CaseNote, User
from config.urls import urlpatterns as site_urlpatterns
from tests.factories import TEST_PASSWORD, CaseFactory, CountryFactory, UserFactory
from tests.test_admin_data_entry import add_inline_row, admin_url, page_data

NOTE = (
    "Home visit: she sleeps better and wants to start the sewing course in spring.\n"
    "Her son asked again about the football club near the school."
)
RESUBMIT_TEMPLATE = "casework/resubmit.html"


@login_required
def plain_note_form(request):
    """A form of the web pages (not the admin): behind LOGIN_URL, as @login_required puts it."""
    if request.method == "POST":
        return HttpResponse(f"{request.user.username} saved: {request.POST['text']}")
    return HttpResponse(
        f'<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="{get_token(request)}">'
        '<textarea name="text"></textarea><button>Save</button></form>'
    )


# The site's URLs and one test-only page, for the tests marked @pytest.mark.urls(__name__).
urlpatterns = [*site_urlpatterns, path("test-only/note/", plain_note_form)]


class Clock:
    """Moves time.time() and timezone.now() forward together, as sessions, signing and models read them."""

    def __init__(self):
        self.offset = 0.0

    def advance(self, delta: datetime.timedelta | None = None, **kwargs) -> None:
        self.offset += (delta or datetime.timedelta(**kwargs)).total_seconds()


@pytest.fixture
def clock():
    clock = Clock()
    real_time, real_now = time.time, timezone.now
    with (
        mock.patch("time.time", lambda: real_time() + clock.offset),
        mock.patch(
            "django.utils.timezone.now", lambda: real_now() + datetime.timedelta(seconds=clock.offset)
        ),
    ):
        yield clock


@pytest.fixture
def browser():
    """A client that, like a browser, must send the CSRF token of the page it posts from."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def case(caseworker_a):
    return CaseFactory(
        organisation=caseworker_a.organisation,
        assigned_to=caseworker_a,
        citizenship=CountryFactory(code="KZ"),
    )


@pytest.fixture
def case_url(case):
    return admin_url(Case, "change", case.pk)


def csrf_of(response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode()).group(1)


class PageForms(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.forms: list[dict[str, list[str]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({})
        elif tag == "input" and self.forms and attrs.get("name"):
            self.forms[-1].setdefault(attrs["name"], []).append(attrs.get("value") or "")


def form_of(response, action: str) -> dict[str, list[str]]:
    """What a browser posts when the resubmit page's RESUBMIT or DISCARD button is pressed."""
    (form,) = [form for form in PageForms(response.content.decode()).forms if [action] in form.values()]
    return form


def sign_in(browser, user, next_url: str):
    login_url = reverse("admin:login")
    page = browser.get(login_url, {"next": next_url})
    response = browser.post(
        f"{login_url}?next={next_url}",
        {
            "username": user.username,
            "password": TEST_PASSWORD,
            "next": next_url,
            "csrfmiddlewaretoken": csrf_of(page),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == next_url
    return response


def sign_out(browser):
    page = browser.get(reverse("admin:index"))
    browser.post(reverse("admin:logout"), {"csrfmiddlewaretoken": csrf_of(page)})
    assert SESSION_KEY not in browser.session


def asks_to_sign_in_for(response, url: str) -> bool:
    location = urlsplit(response["Location"])
    return (
        response.status_code == 302
        and location.path == reverse("admin:login")
        and parse_qs(location.query)["next"] == [url]
    )


def note_form(browser, url: str, text: str = NOTE) -> dict:
    """The case page as the signed-in user opened it, with a note typed into a new row."""
    page = browser.get(url)
    data = page_data(page)
    data["csrfmiddlewaretoken"] = csrf_of(page)
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    add_inline_row(
        data, "notes", contact_on=yesterday, contact_type=choices.ContactType.HOME_VISIT, text=text
    )
    return data


def post_after_idle_timeout(browser, clock, url: str, data: dict):
    clock.advance(seconds=settings.SESSION_COOKIE_AGE + 60)  # away from the keyboard
    response = browser.post(url, data)
    assert asks_to_sign_in_for(response, url)
    assert SESSION_KEY not in browser.session
    return response


def templates_of(response) -> list[str]:
    return [template.name for template in response.templates]


@pytest.fixture
def kept_note(browser, clock, superuser, case_url):
    """A note typed while signed in and sent after the session had ended for being idle."""
    sign_in(browser, superuser, case_url)
    post_after_idle_timeout(browser, clock, case_url, note_form(browser, case_url))
    assert not CaseNote.objects.exists()


# --- how long a session lasts -----------------------------------------------------------------------


def test_the_default_limits_are_thirty_idle_minutes_and_twelve_hours():
    assert settings.SESSION_IDLE_TIMEOUT_MINUTES == 30
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_MAX_LIFETIME_HOURS == 12


def _stored_expiry(client) -> datetime.datetime:
    from django.contrib.sessions.models import Session

    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_requests_within_a_minute_do_not_write_the_session(client, clock, superuser):
    client.force_login(superuser)
    assert client.get(reverse("admin:index")).status_code == 200
    renewed = _stored_expiry(client)
    clock.advance(datetime.timedelta(seconds=SESSION_RENEW_SECONDS - 5))
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("admin:index")).status_code == 200
    assert not [q for q in captured if "django_session" in q["sql"] and q["sql"].startswith("UPDATE")]
    assert _stored_expiry(client) == renewed
    clock.advance(datetime.timedelta(seconds=10))
    assert client.get(reverse("admin:index")).status_code == 200
    assert _stored_expiry(client) > renewed


def test_the_idle_limit_counts_from_the_last_renewal_at_most_a_minute_early(client, clock, superuser):
    client.force_login(superuser)
    idle_limit = datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    clock.advance(idle_limit - datetime.timedelta(minutes=1))
    assert client.get(reverse("admin:index")).status_code == 200  # renews
    clock.advance(datetime.timedelta(seconds=30))
    assert client.get(reverse("admin:index")).status_code == 200  # too soon to renew
    clock.advance(idle_limit - datetime.timedelta(seconds=29))  # the limit after the renewal, plus 1 s
    assert asks_to_sign_in_for(client.get(reverse("admin:index")), reverse("admin:index"))


def test_a_session_left_idle_past_the_limit_is_signed_out(client, clock, superuser):
    client.force_login(superuser)
    idle_limit = datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    for _pause in range(3):  # each request renews the idle timeout
        clock.advance(idle_limit - datetime.timedelta(minutes=1))
        assert client.get(reverse("admin:index")).status_code == 200

    clock.advance(idle_limit + datetime.timedelta(seconds=1))
    response = client.get(reverse("admin:index"))

    assert asks_to_sign_in_for(response, reverse("admin:index"))


def test_a_session_in_continual_use_still_ends_after_the_absolute_lifetime(client, clock, superuser):
    client.force_login(superuser)
    lifetime = datetime.timedelta(hours=settings.SESSION_MAX_LIFETIME_HOURS)
    step = datetime.timedelta(minutes=25)
    elapsed = datetime.timedelta(0)
    while elapsed + step < lifetime:
        clock.advance(step)
        elapsed += step
        assert client.get(reverse("admin:index")).status_code == 200, elapsed

    clock.advance(lifetime - elapsed)
    response = client.get(reverse("admin:index"))

    assert asks_to_sign_in_for(response, reverse("admin:index"))
    assert SESSION_KEY not in client.session


def test_signing_in_again_starts_a_new_lifetime(client, clock, superuser):
    client.force_login(superuser)
    clock.advance(hours=settings.SESSION_MAX_LIFETIME_HOURS, seconds=1)
    client.force_login(superuser)

    assert client.get(reverse("admin:index")).status_code == 200


def test_a_signed_in_session_of_unknown_age_is_ended(client, superuser):
    """A session from before the sign-in time was recorded: its age cannot be known, so it ends."""
    client.force_login(superuser)
    session = client.session
    del session[SIGNED_IN_AT]
    session.save()

    assert asks_to_sign_in_for(client.get(reverse("admin:index")), reverse("admin:index"))


def test_an_ordinary_request_costs_no_query_and_leaves_the_response_alone(
    rf, client, superuser, django_assert_num_queries
):
    client.force_login(superuser)
    session = client.session
    session[KEPT_FORMS] = {"/elsewhere/": {"owner": str(superuser.pk), "at": int(time.time()), "fields": []}}
    session[RENEWED_AT] = int(time.time())  # renewed a moment ago: nothing to write for a minute
    session.save()
    exchanges = [
        (rf.get("/admin/"), HttpResponse("the page")),
        (rf.post("/admin/", {"name": "x"}), HttpResponse("the page again, with errors")),
        (rf.post("/admin/", {"name": "x"}), HttpResponseRedirect("/admin/?saved=1")),
    ]
    for request, answer in exchanges:
        request.session = client.session
        assert SESSION_KEY in request.session  # read, as the authentication middleware has done
        request.user = SimpleLazyObject(lambda request=request: get_user(request))
        request.csrf_processing_done = True
        middleware = SessionLifetimeMiddleware(lambda request, answer=answer: answer)

        with django_assert_num_queries(0):
            assert middleware.process_view(request, None, (), {}) is None
            response = middleware(request)

        assert response is answer
        assert not response.cookies
        assert not request.session.modified


# --- a form sent after the session ended ------------------------------------------------------------


def test_a_note_sent_after_the_session_ended_is_offered_back_after_signing_in_and_saved(
    browser, kept_note, superuser, case, case_url
):
    sign_in(browser, superuser, case_url)
    offer = browser.get(case_url)

    assert offer.status_code == 200
    assert templates_of(offer)[0] == RESUBMIT_TEMPLATE
    content = offer.content.decode()
    assert "Your session ended before your changes were saved." in content
    assert "We kept what you typed." in content
    for line in NOTE.splitlines():
        assert line in content
    assert "no-store" in offer["Cache-Control"]

    response = browser.post(case_url, form_of(offer, RESUBMIT))

    assert response.status_code == 302, response.content.decode()[:3000]
    note = CaseNote.objects.get()
    assert (note.case, note.text, note.author) == (case, NOTE, superuser)
    case.refresh_from_db()
    assert case.version == 2
    assert KEPT_FORMS not in browser.session
    assert RESUBMIT_TEMPLATE not in templates_of(browser.get(case_url))  # offered once


def test_a_kept_form_still_meets_the_version_check(browser, kept_note, superuser, case, case_url):
    sign_in(browser, superuser, case_url)
    offer = browser.get(case_url)
    Case.objects.filter(pk=case.pk).update(version=F("version") + 1)  # a colleague saved meanwhile

    response = browser.post(case_url, form_of(offer, RESUBMIT))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Someone else changed this case" in content
    assert NOTE.splitlines()[0] in content  # the user's text is still on the page
    assert not CaseNote.objects.exists()


def test_a_kept_form_can_be_discarded(browser, kept_note, superuser, case_url):
    sign_in(browser, superuser, case_url)
    offer = browser.get(case_url)

    response = browser.post(case_url, form_of(offer, DISCARD))

    assert response.status_code == 303
    assert response["Location"] == f"http://testserver{case_url}"
    page = browser.get(case_url)
    assert RESUBMIT_TEMPLATE not in templates_of(page)
    assert NOTE.splitlines()[0] not in page.content.decode()
    assert not CaseNote.objects.exists()
    assert KEPT_FORMS not in browser.session


def test_someone_else_signing_in_never_sees_the_kept_form_and_it_is_gone(
    browser, kept_note, superuser, case_url
):
    colleague = UserFactory(
        username="rita", organisation=None, role=choices.Role.SYSTEM_ADMIN, is_staff=True, is_superuser=True
    )
    sign_in(browser, colleague, case_url)

    page = browser.get(case_url)

    assert RESUBMIT_TEMPLATE not in templates_of(page)
    assert NOTE.splitlines()[0] not in page.content.decode()
    assert KEPT_FORMS not in browser.session
    sign_out(browser)
    sign_in(browser, superuser, case_url)
    assert RESUBMIT_TEMPLATE not in templates_of(browser.get(case_url))
    assert not CaseNote.objects.exists()


def test_the_owner_is_remembered_in_a_signed_http_only_cookie(browser, superuser):
    response = sign_in(browser, superuser, reverse("admin:index"))

    cookie = response.cookies[OWNER_COOKIE]
    assert cookie["httponly"] and cookie["secure"] and cookie["samesite"] == "Lax"
    assert cookie.value != str(superuser.pk)  # signed, so it cannot be changed to another user's id
    assert int(cookie["max-age"]) >= settings.SESSION_MAX_LIFETIME_HOURS * 3600


def test_without_knowing_whose_form_it_is_nothing_is_kept(browser, clock, superuser, case_url):
    browser.force_login(superuser)  # a sign-in that set no owner cookie
    post_after_idle_timeout(browser, clock, case_url, note_form(browser, case_url))

    assert KEPT_FORMS not in browser.session


def test_a_form_sent_as_the_absolute_lifetime_ends_is_kept_for_that_user(browser, superuser, case_url):
    browser.force_login(superuser)  # no owner cookie: the session being ended names the owner
    data = note_form(browser, case_url)
    session = browser.session
    session[SIGNED_IN_AT] -= settings.SESSION_MAX_LIFETIME_HOURS * 3600
    session.save()

    assert asks_to_sign_in_for(browser.post(case_url, data), case_url)
    sign_in(browser, superuser, case_url)
    offer = browser.get(case_url)

    assert templates_of(offer)[0] == RESUBMIT_TEMPLATE
    assert browser.post(case_url, form_of(offer, RESUBMIT)).status_code == 302
    assert CaseNote.objects.get().text == NOTE


def test_passwords_and_the_csrf_token_are_never_kept(browser, clock, superuser, org_a):
    url = admin_url(User, "add")
    password = "Wintry-Orchard-Lamp-42"
    sign_in(browser, superuser, url)
    page = browser.get(url)
    token = csrf_of(page)
    data = {
        "username": "newcomer",
        "usable_password": "true",
        "password1": password,
        "password2": password,
        "organisation": org_a.pk,
        "role": choices.Role.CASEWORKER,
        "csrfmiddlewaretoken": token,
    }

    post_after_idle_timeout(browser, clock, url, data)

    stored = json.dumps(dict(browser.session.items()))
    assert password not in stored
    assert token not in stored
    (kept,) = browser.session[KEPT_FORMS].values()
    assert [name for name, _values in kept["fields"]] == ["username", "organisation", "role"]
    sign_in(browser, superuser, url)
    offer = browser.get(url)
    content = offer.content.decode()
    assert "newcomer" in content
    assert "Passwords are never kept" in content
    assert password not in content
    assert not User.objects.filter(username="newcomer").exists()


def test_a_form_too_large_to_keep_is_not_kept_and_the_sign_in_page_says_so(
    browser, clock, superuser, case_url
):
    sign_in(browser, superuser, case_url)
    data = note_form(browser, case_url, text="A very long note. " * (MAX_BYTES // 16))

    post_after_idle_timeout(browser, clock, case_url, data)

    assert KEPT_FORMS not in browser.session
    login_page = browser.get(reverse("admin:login"), {"next": case_url})
    assert "too long to keep here" in login_page.content.decode()
    sign_in(browser, superuser, case_url)
    assert RESUBMIT_TEMPLATE not in templates_of(browser.get(case_url))


def test_a_long_note_in_cyrillic_is_kept(browser, clock, superuser, case_url):
    note = " ".join(["Семья привыкает, дочь пошла в школу."] * 700)  # 25,899 characters, 48 KB as typed
    sign_in(browser, superuser, case_url)

    post_after_idle_timeout(browser, clock, case_url, note_form(browser, case_url, text=note))
    sign_in(browser, superuser, case_url)

    assert browser.post(case_url, form_of(browser.get(case_url), RESUBMIT)).status_code == 302
    assert CaseNote.objects.get().text == note


def test_uploaded_files_are_dropped_and_the_page_says_so(browser, clock, superuser, case_url):
    sign_in(browser, superuser, case_url)
    data = note_form(browser, case_url)
    data["attachment"] = SimpleUploadedFile("scan.pdf", b"%PDF-1.4 not kept")

    post_after_idle_timeout(browser, clock, case_url, data)
    sign_in(browser, superuser, case_url)
    content = browser.get(case_url).content.decode()

    assert "Files you attached were not kept" in content
    assert "scan.pdf" not in content
    assert NOTE.splitlines()[0] in content


def test_a_form_that_fails_the_csrf_check_is_not_kept(browser, clock, superuser, case_url):
    sign_in(browser, superuser, case_url)
    data = note_form(browser, case_url)
    data["csrfmiddlewaretoken"] = "x" * 64
    clock.advance(seconds=settings.SESSION_COOKIE_AGE + 60)

    assert browser.post(case_url, data).status_code == 403
    assert KEPT_FORMS not in browser.session


def test_a_signed_in_user_turned_away_by_the_admin_has_nothing_kept(client, caseworker_a, case_url):
    client.force_login(caseworker_a)

    response = client.post(case_url, {"departure_year": "2015"})

    assert asks_to_sign_in_for(response, case_url)  # the admin is not for caseworkers
    assert KEPT_FORMS not in client.session


def test_a_kept_form_lasts_two_hours_at_most(browser, clock, kept_note, superuser, case_url):
    sign_in(browser, superuser, case_url)
    assert templates_of(browser.get(case_url))[0] == RESUBMIT_TEMPLATE

    for _step in range(5):  # signed in and active, so only the kept form's own limit applies
        clock.advance(minutes=25)
        browser.get(reverse("admin:index"))

    assert RESUBMIT_TEMPLATE not in templates_of(browser.get(case_url))
    assert KEPT_FORMS not in browser.session


def test_nothing_typed_is_written_to_the_logs(browser, clock, superuser, case_url, caplog):
    caplog.set_level(logging.DEBUG)
    sign_in(browser, superuser, case_url)
    post_after_idle_timeout(browser, clock, case_url, note_form(browser, case_url))
    sign_in(browser, superuser, case_url)
    offer = browser.get(case_url)
    browser.post(case_url, form_of(offer, RESUBMIT))

    assert CaseNote.objects.get().text == NOTE
    for line in NOTE.splitlines():
        assert line not in caplog.text
        assert not any(line in repr(record.args) for record in caplog.records)


@pytest.mark.urls(__name__)
def test_a_web_form_is_kept_through_the_sites_own_sign_in_page(browser, clock, caseworker_a):
    url = "/test-only/note/"
    page = browser.get(settings.LOGIN_URL, {"next": url})
    browser.post(
        settings.LOGIN_URL,
        {"username": "alice", "password": TEST_PASSWORD, "next": url, "csrfmiddlewaretoken": csrf_of(page)},
    )
    data = {"text": NOTE, "csrfmiddlewaretoken": csrf_of(browser.get(url))}
    clock.advance(seconds=settings.SESSION_COOKIE_AGE + 60)

    response = browser.post(url, data)

    assert response.status_code == 302
    assert response["Location"] == f"{settings.LOGIN_URL}?next={url}"
    page = browser.get(response["Location"])
    assert "we kept what you typed" in page.content.decode()
    response = browser.post(
        response["Location"],
        {"username": "alice", "password": TEST_PASSWORD, "next": url, "csrfmiddlewaretoken": csrf_of(page)},
    )
    assert response["Location"] == url
    offer = browser.get(url)
    assert templates_of(offer)[0] == RESUBMIT_TEMPLATE
    response = browser.post(url, form_of(offer, RESUBMIT))
    assert response.content.decode() == f"alice saved: {NOTE}"


def test_a_form_of_nothing_but_passwords_keeps_nothing(browser, clock, caseworker_a):
    url = reverse("password_change")
    page = browser.get(settings.LOGIN_URL, {"next": url})
    browser.post(
        settings.LOGIN_URL,
        {"username": "alice", "password": TEST_PASSWORD, "next": url, "csrfmiddlewaretoken": csrf_of(page)},
    )
    data = {
        "old_password": TEST_PASSWORD,
        "new_password1": "Wintry-Orchard-Lamp-42",
        "new_password2": "Wintry-Orchard-Lamp-42",
        "csrfmiddlewaretoken": csrf_of(browser.get(url)),
    }
    clock.advance(seconds=settings.SESSION_COOKIE_AGE + 60)

    response = browser.post(url, data)

    assert response["Location"] == f"{settings.LOGIN_URL}?next={url}"
    assert KEPT_FORMS not in browser.session

"""Two-factor sign-in and the session rules: a session that ends takes its verification with it, and a
form kept across an ended session (casework/kept_forms.py) is offered back only after the code."""

import time

import pytest
from django.conf import settings
from django.urls import path, reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.two_factor import devices
from config.urls import urlpatterns as site_urlpatterns
from tests.factories import TEST_PASSWORD
from tests.test_sessions import (  # noqa: F401 - the browser, clock and case fixtures
    NOTE,
    RESUBMIT,
    RESUBMIT_TEMPLATE,
    browser,
    case,
    case_url,
    clock,
    csrf_of,
    form_of,
    note_form,
    plain_note_form,
    templates_of,
)

VERIFY = reverse("two_factor:verify")
NOTE_URL = "/test-only/note/"

urlpatterns = [*site_urlpatterns, path("test-only/note/", plain_note_form)]


@pytest.fixture(autouse=True)
def two_factor_on(settings):
    settings.REQUIRE_2FA = True


@pytest.fixture
def device(caseworker_a) -> TOTPDevice:
    device = TOTPDevice.objects.create(user=caseworker_a, name="authenticator", confirmed=False)
    devices.confirm_enrolment(caseworker_a, device)
    return device


def code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()  # the test's clock, when it is moved
    return f"{totp.token():0{device.digits}d}"


def sign_in(web, next_url: str, username: str = "alice"):
    page = web.get(settings.LOGIN_URL, {"next": next_url})
    response = web.post(
        settings.LOGIN_URL,
        {
            "username": username,
            "password": TEST_PASSWORD,
            "next": next_url,
            "csrfmiddlewaretoken": csrf_of(page),
        },
    )
    assert response.status_code == 302 and response["Location"] == next_url
    return response


def give_code(web, device, next_url: str):
    page = web.get(VERIFY, {"next": next_url})
    response = web.post(
        VERIFY, {"code": code(device), "next": next_url, "csrfmiddlewaretoken": csrf_of(page)}
    )
    assert response.status_code == 302 and response["Location"] == next_url
    return response


@pytest.mark.urls(__name__)
def test_a_kept_form_is_offered_back_only_after_the_code(browser, clock, device):  # noqa: F811
    sign_in(browser, NOTE_URL)
    give_code(browser, device, NOTE_URL)
    data = {"text": NOTE, "csrfmiddlewaretoken": csrf_of(browser.get(NOTE_URL))}
    clock.advance(seconds=settings.SESSION_COOKIE_AGE + 60)
    assert browser.post(NOTE_URL, data)["Location"] == f"{settings.LOGIN_URL}?next={NOTE_URL}"

    # The password alone brings back neither the site nor the note typed.
    sign_in(browser, NOTE_URL)
    response = browser.get(NOTE_URL)
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    assert "sewing" not in browser.get(response["Location"]).content.decode()

    give_code(browser, device, NOTE_URL)
    offer = browser.get(NOTE_URL)
    assert templates_of(offer)[0] == RESUBMIT_TEMPLATE
    assert browser.post(NOTE_URL, form_of(offer, RESUBMIT)).content.decode() == f"alice saved: {NOTE}"


def test_after_a_session_ends_signing_in_again_asks_for_a_new_code(browser, clock, device):  # noqa: F811
    sign_in(browser, "/")
    give_code(browser, device, "/")
    assert browser.get("/").status_code == 200
    clock.advance(seconds=settings.SESSION_COOKIE_AGE + 60)
    assert browser.get("/")["Location"].startswith(settings.LOGIN_URL)
    sign_in(browser, "/")
    assert browser.get("/")["Location"].startswith(VERIFY)


def test_an_admin_form_kept_across_an_ended_session_comes_back_through_the_sites_sign_in_and_the_code(
    browser,  # noqa: F811
    clock,  # noqa: F811
    case,  # noqa: F811
    case_url,  # noqa: F811
    superuser,
):
    admin_device = TOTPDevice.objects.create(user=superuser, name="authenticator", confirmed=False)
    devices.confirm_enrolment(superuser, admin_device)
    sign_in(browser, case_url, username=superuser.username)
    give_code(browser, admin_device, case_url)
    data = note_form(browser, case_url)
    clock.advance(seconds=settings.SESSION_COOKIE_AGE + 60)
    asked = browser.post(case_url, data)["Location"]
    assert asked.startswith(reverse("admin:login"))

    # The admin's sign-in page hands over to the site's, which keeps `next`.
    assert browser.get(asked)["Location"] == f"{settings.LOGIN_URL}?next={case_url.replace('/', '%2F')}"
    sign_in(browser, case_url, username=superuser.username)
    assert browser.get(case_url)["Location"].startswith(VERIFY)
    give_code(browser, admin_device, case_url)
    offer = browser.get(case_url)
    assert templates_of(offer)[0] == RESUBMIT_TEMPLATE
    assert browser.post(case_url, form_of(offer, RESUBMIT)).status_code == 302
    assert case.notes.get().text == NOTE

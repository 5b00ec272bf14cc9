"""Two-factor sign-in: enrolment, the code after the password, each code once, throttling, the gate in
front of every page (the admin included, the API's tokens excepted), resets by administrators, and the
fresh code that exports and new API tokens ask for.

Two-factor sign-in is off in the test environment (config/testenv.py); these tests turn it on.
"""

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from casework.audit import Action
from casework.models import ApiToken, AuditEvent
from casework.tokens import token_issue
from casework.two_factor import devices
from casework.two_factor.step_up import VERIFIED_AT
from tests.factories import TEST_PASSWORD, CaseFactory

LOGIN = "/accounts/login/"
VERIFY = reverse("two_factor:verify")
ENROL = reverse("two_factor:enrol")


@pytest.fixture(autouse=True)
def two_factor_on(settings):
    settings.REQUIRE_2FA = True


def code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code the user's app shows now (or `steps_ahead` time steps later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def enrol(user) -> tuple[TOTPDevice, list[str]]:
    """A user who has set up their app: the device and their backup codes."""
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device, devices.confirm_enrolment(user, device)


def sign_in(client, user):
    response = client.post(LOGIN, {"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 302, "the password step failed"
    return response


def verified(client, user, device: TOTPDevice, *, minutes_ago: int = 0):
    """A session signed in with a password and a code, `minutes_ago`."""
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[VERIFIED_AT] = int(time.time()) - minutes_ago * 60
    session.save()
    return client


def redirected_to(response, path: str) -> dict[str, list[str]]:
    """Assert a redirect to `path`; returns its query."""
    assert response.status_code == 302, response.status_code
    parts = urlsplit(response.url)
    assert parts.path == path, response.url
    return parse_qs(parts.query)


def events(action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


# --- Enrolment ---------------------------------------------------------------------------------------


def test_first_sign_in_walks_the_user_to_enrolment(client, caseworker_a):
    sign_in(client, caseworker_a)
    query = redirected_to(client.get("/cases/"), VERIFY)
    assert query["next"] == ["/cases/"]
    assert redirected_to(client.get(VERIFY, query), ENROL)["next"] == ["/cases/"]


def test_enrolment_shows_the_secret_as_an_inline_svg_qr_code_and_as_a_typed_key(client, caseworker_a):
    sign_in(client, caseworker_a)
    page = client.get(ENROL).content.decode()
    device = TOTPDevice.objects.get(user=caseworker_a, confirmed=False)
    svg = re.search(r"<svg\b.*?</svg>", page, re.S)
    assert svg, "no inline SVG on the page"
    assert 'class="qr-code"' in svg.group(0) and "<path" in svg.group(0)
    # The Content-Security-Policy allows neither inline styles nor data: images.
    assert "style=" not in svg.group(0) and "data:" not in page
    assert devices.key_text(device) in page


def test_reloading_enrolment_keeps_the_secret_already_scanned(client, caseworker_a):
    sign_in(client, caseworker_a)
    first = client.get(ENROL).content.decode()
    second = client.get(ENROL).content.decode()
    key = devices.key_text(TOTPDevice.objects.get(user=caseworker_a))
    assert key in first and key in second
    assert TOTPDevice.objects.filter(user=caseworker_a).count() == 1


def test_confirming_with_a_code_shows_ten_backup_codes_once_and_opens_the_site(client, caseworker_a):
    sign_in(client, caseworker_a)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=caseworker_a)
    response = client.post(ENROL, {"code": code(device), "next": "/cases/"})
    assert response.status_code == 200
    shown = re.findall(r"<code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code>", response.content.decode())
    assert len(set(shown)) == 10
    assert 'href="/cases/"' in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/cases/").status_code == 200
    # Shown once: enrolment is over, and no page shows them again.
    again = client.get(ENROL)
    redirected_to(again, VERIFY)
    for page in ("/", VERIFY):
        assert not any(c in client.get(page, follow=True).content.decode() for c in shown)
    [event] = events(Action.OTP_ENROLLED)
    assert event.actor == caseworker_a and event.details == {"backup_codes": 10}


def test_backup_codes_are_stored_only_as_digests(caseworker_a):
    _, codes = enrol(caseworker_a)
    stored = set(StaticToken.objects.values_list("token", flat=True))
    assert len(stored) == 10
    for shown in codes:
        assert shown not in stored and shown.replace("-", "") not in stored


def test_a_wrong_code_at_enrolment_is_refused_and_audited(client, caseworker_a):
    sign_in(client, caseworker_a)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=caseworker_a)
    wrong = f"{(int(code(device)) + 1) % 1_000_000:06d}"
    response = client.post(ENROL, {"code": wrong})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    redirected_to(client.get("/"), VERIFY)
    [event] = events(Action.OTP_FAILED)
    assert event.actor == caseworker_a and event.details["purpose"] == "enrol"
    assert wrong not in str(event.details)


def test_someone_with_only_the_password_cannot_replace_an_enrolled_device(client, caseworker_a):
    device, _ = enrol(caseworker_a)
    sign_in(client, caseworker_a)
    redirected_to(client.get(ENROL), VERIFY)
    redirected_to(client.post(ENROL, {"code": "123456"}), VERIFY)
    assert list(TOTPDevice.objects.filter(user=caseworker_a)) == [device]


# --- The code at sign-in ---------------------------------------------------------------------------------


def test_sign_in_asks_for_the_code_before_anything_else(client, supervisor_a):
    device, _ = enrol(supervisor_a)
    sign_in(client, supervisor_a)
    query = redirected_to(client.get("/"), VERIFY)
    page = client.get(VERIFY, query)
    assert page.status_code == 200 and 'name="code"' in page.content.decode()
    assert 'autocomplete="one-time-code"' in page.content.decode()
    response = client.post(VERIFY, {"code": code(device), "next": "/cases/"})
    assert redirected_to(response, "/cases/") == {}
    assert client.get("/cases/").status_code == 200
    [event] = events(Action.OTP_VERIFIED)
    assert event.actor == supervisor_a
    assert event.details == {"method": "totp", "purpose": "sign_in"}


def test_a_wrong_code_is_refused_and_audited_without_the_code(client, supervisor_a):
    device, _ = enrol(supervisor_a)
    sign_in(client, supervisor_a)
    wrong = f"{(int(code(device)) + 500_000) % 1_000_000:06d}"
    response = client.post(VERIFY, {"code": wrong})
    assert response.status_code == 200
    assert "That code is not right, or it has already been used." in response.content.decode()
    redirected_to(client.get("/"), VERIFY)
    [event] = events(Action.OTP_FAILED)
    assert event.actor == supervisor_a
    assert event.details == {"method": "totp", "purpose": "sign_in", "throttled": False}
    assert wrong not in str(event.details)


def test_a_totp_code_cannot_be_used_twice(client, caseworker_a, settings):
    device, _ = enrol(caseworker_a)
    used = code(device)
    sign_in(client, caseworker_a)
    redirected_to(client.post(VERIFY, {"code": used}), "/")
    device.refresh_from_db()
    assert device.last_t >= 0, "the time step of the accepted code is remembered"

    # Someone who saw the code over the user's shoulder, with the password, in the same 30 seconds:
    intruder = type(client)()
    sign_in(intruder, caseworker_a)
    response = intruder.post(VERIFY, {"code": used})
    assert response.status_code == 200 and "already been used" in response.content.decode()
    redirected_to(intruder.get("/"), VERIFY)
    # The app's next code is accepted (after the throttle's one-second pause for the failure).
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    redirected_to(intruder.post(VERIFY, {"code": code(device, steps_ahead=1)}), "/")


def test_a_backup_code_works_once(client, caseworker_a):
    _, codes = enrol(caseworker_a)
    sign_in(client, caseworker_a)
    response = client.post(VERIFY, {"code": codes[3].upper().replace("-", " ")})
    redirected_to(response, "/")
    assert client.get("/").status_code == 200
    [event] = events(Action.OTP_VERIFIED)
    assert event.details == {"method": "backup_code", "purpose": "sign_in", "backup_codes_left": 9}
    assert StaticToken.objects.filter(device__user=caseworker_a).count() == 9

    other = type(client)()
    sign_in(other, caseworker_a)
    response = other.post(VERIFY, {"code": codes[3]})
    assert response.status_code == 200 and "already been used" in response.content.decode()
    redirected_to(other.get("/"), VERIFY)


def test_wrong_codes_are_throttled_and_the_wait_is_said_and_audited(client, caseworker_a):
    device, _ = enrol(caseworker_a)
    sign_in(client, caseworker_a)
    right = code(device)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    client.post(VERIFY, {"code": wrong})
    # Straight after a failure even the right code is not checked: the device is throttled.
    response = client.post(VERIFY, {"code": right})
    assert response.status_code == 200
    assert "Too many wrong codes. Wait 1 second" in response.content.decode()
    redirected_to(client.get("/"), VERIFY)
    assert [e.details["throttled"] for e in events(Action.OTP_FAILED)] == [False, True]
    device.refresh_from_db()
    assert device.throttling_failure_count == 1 and device.last_t == -1


def test_a_code_of_another_user_does_not_open_an_account(client, caseworker_a, colleague_a):
    enrol(caseworker_a)
    theirs, _ = enrol(colleague_a)
    sign_in(client, caseworker_a)
    assert client.post(VERIFY, {"code": code(theirs)}).status_code == 200
    redirected_to(client.get("/"), VERIFY)


def test_after_the_code_the_user_goes_only_to_a_page_of_this_site(client, caseworker_a):
    device, _ = enrol(caseworker_a)
    sign_in(client, caseworker_a)
    response = client.post(VERIFY, {"code": code(device), "next": "https://evil.example/"})
    redirected_to(response, "/")


# --- The gate in front of every page ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("caseworker_a", "/"),
        ("caseworker_a", "/cases/"),
        ("caseworker_a", "/cases/new/"),
        ("caseworker_a", "<case>"),
        ("caseworker_a", "/policies/"),
        ("supervisor_a", "/reports/"),
        ("supervisor_a", "/reports/caseload/?format=csv"),
        ("supervisor_a", "/account/tokens/"),
        ("supervisor_a", "/accounts/password_change/"),
        ("orgadmin_a", "/admin/"),
        ("orgadmin_a", "/admin/casework/user/"),
        ("superuser", "/admin/casework/case/"),
        ("auditor", "/admin/casework/auditevent/"),
        ("analyst", "/reports/"),
    ],
)
def test_every_page_sends_an_unverified_user_to_the_code(client, request, who, path):
    user = request.getfixturevalue(who)
    enrol(user)
    if path == "<case>":
        path = reverse("casework:case-detail", args=[CaseFactory(organisation=user.organisation).reference])
    client.force_login(user)
    assert redirected_to(client.get(path), VERIFY)["next"] == [path]


def test_a_form_posted_before_the_code_is_not_saved(client, caseworker_a):
    enrol(caseworker_a)
    client.force_login(caseworker_a)
    response = client.post("/account/tokens/", {"name": "script", "days": "30"})
    assert redirected_to(response, VERIFY)["next"] == ["/account/tokens/"]
    assert not ApiToken.objects.filter(user=caseworker_a).exists()


def test_sign_in_sign_out_and_the_code_pages_open_before_the_code(client, caseworker_a):
    enrol(caseworker_a)
    sign_in(client, caseworker_a)
    assert client.get(LOGIN).status_code == 200
    assert client.get(VERIFY).status_code == 200
    assert client.post(reverse("logout")).status_code in (200, 302)
    assert "_auth_user_id" not in client.session


def test_the_admin_sign_in_page_is_no_way_round_the_code(client, orgadmin_a):
    enrol(orgadmin_a)
    assert redirected_to(client.get("/admin/login/?next=/admin/casework/user/"), LOGIN)["next"] == [
        "/admin/casework/user/"
    ]
    response = client.post("/admin/login/", {"username": "oscar", "password": TEST_PASSWORD})
    assert redirected_to(response, LOGIN)["next"] == ["/admin/"]
    assert "_auth_user_id" not in client.session
    # Signing in at the site's page still leaves the admin behind the code.
    sign_in(client, orgadmin_a)
    redirected_to(client.get("/admin/"), VERIFY)
    assert not events(Action.VIEW)


def test_the_api_refuses_an_unverified_session_but_not_a_token(client, caseworker_a):
    enrol(caseworker_a)
    client.force_login(caseworker_a)
    response = client.get("/api/v1/cases/")
    assert response.status_code == 403
    assert "Two-factor" in response.json()["detail"]
    _, plain = token_issue(user=caseworker_a, name="script", days=30, actor=caseworker_a)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {plain}")
    assert api.get("/api/v1/cases/").status_code == 200


def test_a_verified_session_uses_the_site_as_before(client, orgadmin_a):
    device, _ = enrol(orgadmin_a)
    verified(client, orgadmin_a, device)
    for path in ("/", "/reports/", "/admin/", "/admin/casework/user/", "/api/v1/cases/"):
        assert client.get(path).status_code == 200, path


def test_with_two_factor_off_nothing_asks_for_a_code(client, caseworker_a, settings):
    settings.REQUIRE_2FA = False
    enrol(caseworker_a)
    sign_in(client, caseworker_a)
    assert client.get("/cases/").status_code == 200
    redirected_to(client.get(VERIFY + "?next=/cases/"), "/cases/")
    redirected_to(client.get(ENROL), "/")
    assert type(client)().get("/admin/login/").status_code == 200, "the admin's own sign-in page"


# --- Resets by administrators ---------------------------------------------------------------------------


def reset_url(user) -> str:
    return reverse("two_factor:reset", args=[user.pk])


def test_an_organisation_administrator_resets_a_colleagues_device_audited(client, orgadmin_a, colleague_a):
    admin_device, _ = enrol(orgadmin_a)
    enrol(colleague_a)
    verified(client, orgadmin_a, admin_device)
    page = client.get(reset_url(colleague_a))
    assert page.status_code == 200 and "carol" in page.content.decode()
    assert TOTPDevice.objects.filter(user=colleague_a).exists(), "GET changes nothing"

    response = client.post(reset_url(colleague_a))
    redirected_to(response, reverse("admin:casework_user_change", args=[colleague_a.pk]))
    assert not TOTPDevice.objects.filter(user=colleague_a).exists()
    assert not StaticDevice.objects.filter(user=colleague_a).exists()
    [event] = events(Action.OTP_RESET)
    assert event.actor == orgadmin_a
    assert (event.object_type, event.object_id) == ("user", str(colleague_a.pk))
    assert event.details == {"user": "carol", "devices": 2}
    assert TOTPDevice.objects.filter(user=orgadmin_a).exists(), "only the colleague's device"


def test_after_a_reset_the_user_enrols_again_even_in_a_session_already_open(client, orgadmin_a, colleague_a):
    colleague_device, _ = enrol(colleague_a)
    verified(client, colleague_a, colleague_device)
    assert client.get("/").status_code == 200
    devices.reset_devices(colleague_a)
    redirected_to(client.get("/"), VERIFY)
    redirected_to(client.get(VERIFY), ENROL)
    fresh = type(client)()
    sign_in(fresh, colleague_a)
    redirected_to(fresh.get(VERIFY), ENROL)
    assert fresh.get(ENROL).status_code == 200


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_user_of_another_organisation_cannot_be_reset_404(client, orgadmin_a, caseworker_b, method):
    admin_device, _ = enrol(orgadmin_a)
    enrol(caseworker_b)
    verified(client, orgadmin_a, admin_device)
    assert getattr(client, method)(reset_url(caseworker_b)).status_code == 404
    assert getattr(client, method)(reverse("two_factor:reset", args=[999_999])).status_code == 404
    assert TOTPDevice.objects.filter(user=caseworker_b).exists()
    assert not events(Action.OTP_RESET)


@pytest.mark.parametrize("who", ["supervisor_a", "caseworker_a", "auditor", "analyst"])
def test_only_administrators_reset_devices(client, request, colleague_a, who):
    actor = request.getfixturevalue(who)
    device, _ = enrol(actor)
    enrol(colleague_a)
    verified(client, actor, device)
    assert client.post(reset_url(colleague_a)).status_code == 404
    assert TOTPDevice.objects.filter(user=colleague_a).exists()


def test_a_system_administrator_resets_anyone(client, superuser, caseworker_b):
    device, _ = enrol(superuser)
    enrol(caseworker_b)
    verified(client, superuser, device)
    assert client.post(reset_url(caseworker_b)).status_code == 302
    assert not TOTPDevice.objects.filter(user=caseworker_b).exists()


def test_the_users_admin_page_links_to_the_reset_for_those_who_manage_them(client, orgadmin_a, colleague_a):
    device, _ = enrol(orgadmin_a)
    verified(client, orgadmin_a, device)
    page = client.get(reverse("admin:casework_user_change", args=[colleague_a.pk])).content.decode()
    assert f'href="{reset_url(colleague_a)}"' in page


def test_device_admins_are_not_in_the_admin(client, superuser):
    device, _ = enrol(superuser)
    verified(client, superuser, device)
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert client.get("/admin/otp_static/staticdevice/").status_code == 404


# --- Step-up: exports and new API tokens ------------------------------------------------------------------

EXPORT = "/reports/caseload/?organisation=org-a&from=2023-01-01&to=2023-12-31&format=csv"


def test_an_export_with_a_stale_code_asks_for_a_fresh_one_then_downloads(client, supervisor_a):
    device, _ = enrol(supervisor_a)
    verified(client, supervisor_a, device, minutes_ago=11)
    query = redirected_to(client.get(EXPORT), VERIFY)
    assert query["next"] == [EXPORT]
    assert not events(Action.EXPORT)
    page = client.get(VERIFY, query)
    assert "Confirm it is you" in page.content.decode()
    back = client.post(VERIFY, {"code": code(device), "next": EXPORT})
    assert back.status_code == 302 and back.url == EXPORT
    download = client.get(back.url)
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    assert len(events(Action.EXPORT)) == 1
    assert events(Action.OTP_VERIFIED)[0].details["purpose"] == "step_up"


def test_an_export_within_the_fresh_period_needs_no_new_code(client, supervisor_a, settings):
    settings.CASEWORK_2FA_FRESH_MINUTES = 30
    device, _ = enrol(supervisor_a)
    verified(client, supervisor_a, device, minutes_ago=11)
    assert client.get(EXPORT).status_code == 200


def test_the_report_page_itself_needs_no_fresh_code(client, supervisor_a):
    device, _ = enrol(supervisor_a)
    verified(client, supervisor_a, device, minutes_ago=60)
    assert client.get(EXPORT.replace("format=csv", "format=html")).status_code == 200


def test_with_two_factor_off_exports_and_tokens_are_as_before(client, supervisor_a, settings):
    settings.REQUIRE_2FA = False
    client.force_login(supervisor_a)
    assert client.get(EXPORT).status_code == 200
    response = client.post("/account/tokens/", {"name": "script", "days": "30"})
    assert response.status_code == 200 and "Your new token" in response.content.decode()


def test_creating_an_api_token_with_a_stale_code_asks_for_a_fresh_one(client, caseworker_a):
    device, codes = enrol(caseworker_a)
    verified(client, caseworker_a, device, minutes_ago=11)
    assert client.get("/account/tokens/").status_code == 200, "the list needs no fresh code"
    response = client.post("/account/tokens/", {"name": "script", "days": "30"})
    assert redirected_to(response, VERIFY)["next"] == ["/account/tokens/"]
    assert "Your new token" not in client.get("/account/tokens/").content.decode()
    back = client.post(VERIFY, {"code": codes[0], "next": "/account/tokens/"})
    redirected_to(back, "/account/tokens/")
    created = client.post("/account/tokens/", {"name": "script", "days": "30"})
    assert created.status_code == 200 and "Your new token" in created.content.decode()


def test_the_csv_of_every_case_asks_for_a_fresh_code_too(client, supervisor_a):
    device, _ = enrol(supervisor_a)
    verified(client, supervisor_a, device, minutes_ago=11)
    redirected_to(client.get("/cases/export.csv"), VERIFY)
    assert not events(Action.EXPORT)
    verified(client, supervisor_a, device, minutes_ago=0)
    download = client.get("/cases/export.csv")
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")

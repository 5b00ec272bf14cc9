"""Two-factor sign-in in a real browser: a first sign-in enrols an authenticator app (the QR code drawn
as inline SVG, with no Content-Security-Policy complaint), keeps the backup codes, and later sign-ins
ask for a code: the app's next one, then a backup code."""

import time

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def app_code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """What the user's authenticator app shows (the key is the one the QR code carried)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def sign_in(page, base: str, username: str, path: str = "/cases/") -> None:
    page.goto(f"{base}{path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page, username: str) -> None:
    page.get_by_role("button", name=f"Sign out ({username})").click()
    page.wait_for_url("**/accounts/logout/")


def test_a_caseworker_enrols_then_signs_in_with_a_code_and_with_a_backup_code(
    live_server, page, caseworker_a, settings
):
    settings.REQUIRE_2FA = True
    base = live_server.url
    complaints = []
    page.on("console", lambda message: complaints.append(message.text))

    sign_in(page, base, caseworker_a.username)
    page.wait_for_url("**/accounts/2fa/setup/?next=%2Fcases%2F")
    qr = page.locator("svg.qr-code")
    assert qr.is_visible()
    box = qr.bounding_box()
    assert box["width"] > 100 and abs(box["width"] - box["height"]) < 2, "a square, big enough to scan"
    assert not [text for text in complaints if "Content Security Policy" in text], complaints

    device = TOTPDevice.objects.get(user=caseworker_a)
    page.get_by_label("Code", exact=True).fill(app_code(device))
    page.get_by_role("button", name="Confirm").click()
    codes = page.locator(".backup-codes code").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="I have kept my backup codes: continue").click()
    page.wait_for_url(f"{base}/cases/")
    assert page.get_by_role("heading", level=1).is_visible()

    # The next sign-in asks for the app's code; the one used at enrolment would not do again.
    sign_out(page, caseworker_a.username)
    sign_in(page, base, caseworker_a.username)
    page.wait_for_url("**/accounts/2fa/verify/?next=%2Fcases%2F")
    page.get_by_label("Code", exact=True).fill(app_code(device, steps_ahead=1))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/cases/")

    # Without the phone: a backup code, once.
    sign_out(page, caseworker_a.username)
    sign_in(page, base, caseworker_a.username, path="/")
    page.wait_for_url("**/accounts/2fa/verify/?next=%2F")
    page.get_by_label("Code", exact=True).fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/")
    assert "9 are left" in page.content()

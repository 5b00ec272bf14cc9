"""A user's second factors: one authenticator app (django-otp's TOTPDevice) and one set of backup codes
(django-otp's StaticDevice), and checking a code against them.

Each code works once. A TOTP code is accepted only for a time step after the last one accepted
(`TOTPDevice.last_t`, which django-otp moves on every success), so a code seen over someone's shoulder
cannot be replayed within its 30 seconds. A backup code is deleted when it is used. Wrong codes are
throttled per device by django-otp (exponential back-off: 1, 2, 4, 8 … seconds after consecutive failures,
settings.OTP_TOTP_THROTTLE_FACTOR / OTP_STATIC_THROTTLE_FACTOR), whichever process or session they come
from. Every check runs through `django_otp.verify_token`, which locks the device row (SELECT … FOR UPDATE)
so two requests cannot both spend the same code.

Backup codes are stored hashed: django-otp keeps a StaticToken's `token` as given, so what it is given is
a digest of the code (SHA-256 over the device id and the code, cut to the field's 16 characters), never
the code. The codes are random (12 characters from a 31-letter alphabet: about 59 bits), which a fast
hash protects as well as a slow one protects a password.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

import django_otp
import qrcode
import qrcode.image.svg
from django.db import transaction
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

BACKUP_CODE_COUNT = 10
BACKUP_CODE_LENGTH = 12
# Lower case letters and digits without the look-alikes 0/o and 1/l/i.
BACKUP_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
DEVICE_NAME = "authenticator"
BACKUP_DEVICE_NAME = "backup codes"

TOTP, BACKUP_CODE = "totp", "backup_code"


# --- Devices --------------------------------------------------------------------------------------------


def confirmed_totp_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("pk").first()


def has_device(user) -> bool:
    """Whether `user` has finished enrolment (a confirmed authenticator app)."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def pending_totp_device(user) -> TOTPDevice:
    """The unconfirmed device enrolment shows, created on first use and kept until confirmed, so that
    reloading the page does not change the secret the user may already have scanned."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


@transaction.atomic
def confirm_enrolment(user, device: TOTPDevice) -> list[str]:
    """Confirm the device the user proved they hold, drop any other device, and give them a fresh set of
    backup codes; returns the codes, the only time they exist outside the user's hands."""
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    StaticDevice.objects.filter(user=user).delete()
    backup = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
    return issue_backup_codes(backup)


def reset_devices(user) -> int:
    """Delete every second-factor device of `user` (their backup codes with them); returns how many.
    A session verified with one of them is no longer verified on its next request (django-otp's
    middleware finds its device gone), and the user enrols again."""
    deleted = 0
    for model in (TOTPDevice, StaticDevice):
        _, by_model = model.objects.filter(user=user).delete()  # the backup codes go with their device
        deleted += by_model.get(model._meta.label, 0)
    return deleted


# --- Backup codes ---------------------------------------------------------------------------------------


def issue_backup_codes(device: StaticDevice) -> list[str]:
    device.token_set.all().delete()
    codes = [
        "".join(secrets.choice(BACKUP_CODE_ALPHABET) for _ in range(BACKUP_CODE_LENGTH))
        for _ in range(BACKUP_CODE_COUNT)
    ]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=backup_digest(device, c)) for c in codes)
    return [display_backup_code(code) for code in codes]


def display_backup_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise_code(typed: str) -> str:
    """A code as typed, without spaces and hyphens, in lower case."""
    return "".join(typed.split()).replace("-", "").lower()


def backup_digest(device: StaticDevice, code: str) -> str:
    """What is stored for a backup code: 80 bits of SHA-256 over the device id and the code, base32."""
    digest = hashlib.sha256(f"{device.pk}:{code}".encode()).digest()
    return base64.b32encode(digest[:10]).decode("ascii").lower()


def backup_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# --- Checking a code ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """The result of checking a code: the device that accepted it, or None; `method` says whether it was
    read as an app code or a backup code; `locked_until` is set when throttling refused to check it."""

    device: TOTPDevice | StaticDevice | None
    method: str
    locked_until: datetime | None = None

    @property
    def wait_seconds(self) -> int:
        if self.locked_until is None:
            return 0
        return max(1, int((self.locked_until - timezone.now()).total_seconds() + 0.999))


def method_for(code: str) -> str:
    """Six digits (or eight) are an app code; anything else is taken for a backup code."""
    return TOTP if code.isdigit() and len(code) in (6, 8) else BACKUP_CODE


def check_code(user, typed: str, *, device: TOTPDevice | None = None) -> Outcome:
    """Check `typed` against `user`'s confirmed devices (or, during enrolment, against the one pending
    `device`, which must be theirs). A code is spent by being accepted."""
    code = normalise_code(typed or "")
    if device is not None:
        return _check(user, device, code, TOTP)
    method = method_for(code)
    if method == TOTP:
        devices = TOTPDevice.objects.devices_for_user(user, confirmed=True)
    else:
        devices = StaticDevice.objects.devices_for_user(user, confirmed=True)
    outcome = Outcome(None, method)
    for candidate in devices.order_by("pk"):
        outcome = _check(user, candidate, code, method)
        if outcome.device is not None or outcome.locked_until is not None:
            break
    return outcome


def _check(user, device, code: str, method: str) -> Outcome:
    allowed, info = device.verify_is_allowed()
    if not allowed:
        return Outcome(None, method, locked_until=(info or {}).get("locked_until") or timezone.now())
    if not code:
        return Outcome(None, method)
    token = code if method == TOTP else backup_digest(device, code)
    return Outcome(django_otp.verify_token(user, device.persistent_id, token), method)


# --- Showing the secret ---------------------------------------------------------------------------------


def key_text(device: TOTPDevice) -> str:
    """The secret as an app asks for it when typed by hand: base32, in groups of four."""
    key = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def qr_svg(device: TOTPDevice) -> SafeString:
    """The device's otpauth:// URL as a QR code: inline SVG markup with one <path>, sized by CSS (class
    "qr-code"), on a white square so it scans on a dark page too. No style attribute survives (the
    Content-Security-Policy forbids inline styles) and no data: URI is used (nor allowed)."""
    image = qrcode.make(device.config_url, image_factory=QrSvg, border=4)
    svg = image.get_image()
    for element in svg.iter():
        element.attrib.pop("style", None)
    for attribute in ("width", "height"):
        svg.attrib.pop(attribute, None)
    svg.set("class", "qr-code")
    svg.set("role", "img")
    svg.set("aria-label", "QR code for your authenticator app")
    svg.set("focusable", "false")
    markup = qrcode.image.svg.ET.tostring(svg, encoding="unicode")
    # Built by qrcode from our own URL (the path holds coordinates only), not from anything typed.
    return mark_safe(markup)  # noqa: S308 # nosec B308 B703


class QrSvg(qrcode.image.svg.SvgPathImage):
    background = "#ffffff"

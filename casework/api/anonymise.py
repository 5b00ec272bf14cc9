"""The analyst projection's building blocks: opaque ids and month-precision dates (DESIGN §5).

An analyst never receives a case reference or a database key. Each record carries instead an opaque
`id`: its primary key run through a keyed permutation (a Feistel network over 40 bits whose round
function is HMAC-SHA256 keyed by settings.SECRET_KEY and the model's label), written as 8 base-32
characters, e.g. `k3xq7a2m`.

- Stable: the same record has the same id in every response, so analysts can join and deduplicate.
- Different per model: a case and a referral with the same primary key get unrelated ids.
- Not sequential-looking and not reversible without the server's key: consecutive keys give unrelated
  ids, and nobody can compute the id of a key (or the key of an id) without SECRET_KEY.
- Decodable on the server only (`pk_from_opaque_id`), so the detail route can look a record up without
  storing anything. A decoded key is then searched in the *scoped* queryset: guessing or forging an id
  of a case the analyst may not study still answers 404.

Rotating SECRET_KEY (DJANGO_SECRET_KEY) changes every opaque id: ids saved by analysts before the
rotation no longer resolve. Keys above 2^40 (about 10^12 rows) are out of range and refused.
"""

from __future__ import annotations

import base64
import datetime
import re

from django.db import models
from django.utils.crypto import salted_hmac

BITS = 40
HALF = BITS // 2
HALF_MASK = (1 << HALF) - 1
ROUNDS = 8
OPAQUE_ID_RE = re.compile(r"^[a-z2-7]{8}$")


def _round(label: str, number: int, value: int) -> int:
    digest = salted_hmac(f"casework.api.opaque:{label}:{number}", str(value), algorithm="sha256").digest()
    return int.from_bytes(digest[:4], "big") & HALF_MASK


def _encrypt(label: str, value: int) -> int:
    left, right = value >> HALF, value & HALF_MASK
    for number in range(ROUNDS):
        left, right = right, left ^ _round(label, number, right)
    return (left << HALF) | right


def _decrypt(label: str, value: int) -> int:
    left, right = value >> HALF, value & HALF_MASK
    for number in reversed(range(ROUNDS)):
        left, right = right ^ _round(label, number, left), left
    return (left << HALF) | right


def _label(model: type[models.Model] | models.Model) -> str:
    return model._meta.label_lower


def opaque_id_for(model: type[models.Model], pk: int) -> str:
    """The opaque id of the row of `model` with primary key `pk`."""
    if not 0 < pk < (1 << BITS):
        raise ValueError("Primary key out of the range of opaque ids.")
    encrypted = _encrypt(_label(model), pk)
    return base64.b32encode(encrypted.to_bytes(BITS // 8, "big")).decode("ascii").lower()


def opaque_id(obj: models.Model) -> str:
    """The opaque, stable id an analyst sees for `obj` instead of its reference or key."""
    return opaque_id_for(type(obj), obj.pk)


def pk_from_opaque_id(model: type[models.Model], value: str) -> int | None:
    """The primary key behind an opaque id of `model`, or None when `value` is not one.

    A well-formed value always decodes to *some* key: the caller must look it up in a queryset scoped
    to the user, never in the whole table.
    """
    value = (value or "").lower()
    if not OPAQUE_ID_RE.match(value):
        return None
    encrypted = int.from_bytes(base64.b32decode(value.upper()), "big")
    pk = _decrypt(_label(model), encrypted)
    return pk or None


def month(value: datetime.date | datetime.datetime | None) -> str | None:
    """A date at month precision, "YYYY-MM" (None stays None)."""
    if value is None:
        return None
    return f"{value.year:04d}-{value.month:02d}"

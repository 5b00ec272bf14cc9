"""Issuing and revoking API tokens; both leave an event in the audit trail.

The plain token exists only in the return value of token_issue: the database keeps its SHA-256 digest and
its first characters (casework.models.tokens), the audit trail only those first characters.
"""

from __future__ import annotations

import datetime
import secrets
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import audit
from casework.models import ApiToken
from casework.models.tokens import PREFIX_LENGTH, token_digest

if TYPE_CHECKING:
    from django.http import HttpRequest

    from casework.models import User

# 32 random bytes: 43 URL-safe characters, 256 bits of entropy.
TOKEN_BYTES = 32


@transaction.atomic
def token_issue(
    *, user: User, name: str, days: int, actor: User | None = None, request: HttpRequest | None = None
) -> tuple[ApiToken, str]:
    """A new token for `user`, valid for `days` days; returns the record and the plain token, which is
    never stored and cannot be shown again. Only active users get tokens. `actor` is who asked for it
    (the user themselves on the tokens page; nobody known for the management command)."""
    if not user.is_active:
        raise ValidationError({"user": _("Tokens are issued only to active users.")})
    if days < 1:
        raise ValidationError({"days": _("A token is valid for at least one day.")})
    plain = secrets.token_urlsafe(TOKEN_BYTES)
    token = ApiToken(
        user=user,
        name=name,
        prefix=plain[:PREFIX_LENGTH],
        digest=token_digest(plain),
        expires_at=timezone.now() + datetime.timedelta(days=days),
    )
    token.full_clean()
    token.save()
    audit.record(
        audit.Action.CREATE,
        actor=actor,
        request=request,
        obj=token,
        details={
            "token_prefix": token.prefix,
            "token_user": user.get_username(),
            "expires_at": token.expires_at.isoformat(),
        },
    )
    return token, plain


@transaction.atomic
def token_revoke(*, actor: User, token: ApiToken, request: HttpRequest | None = None) -> ApiToken:
    """Revoke `token` from now on. The caller has checked that `actor` may (their own token). Revoking a
    revoked token changes nothing and records nothing."""
    updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db(fields=["revoked_at"])
    if updated:
        audit.record(
            audit.Action.CHANGE,
            actor=actor,
            request=request,
            obj=token,
            details={"token_prefix": token.prefix, "revoked": True},
        )
    return token

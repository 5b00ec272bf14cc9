"""API tokens: how scripts and integrations authenticate to /api/v1/ (DESIGN §5).

Only a digest of each token is stored; the token itself is shown once, when it is issued
(casework.tokens.token_issue), and cannot be recovered afterwards. A token expires, can be revoked, and
stops working the moment its user is deactivated.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PREFIX_LENGTH = 8


def token_digest(token: str) -> str:
    """SHA-256 (hex) of the whole token.

    A fast hash is right here, unlike for passwords: a token is 43 random characters from
    secrets.token_urlsafe(32), 256 bits of entropy, so no amount of guessing per second gets near it and a
    slow hash (PBKDF2, Argon2) would add no protection, only its cost to every API request.
    """
    return hashlib.sha256(token.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self) -> ApiTokenQuerySet:
        """Tokens that authenticate now: not revoked, not expired, their user active."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now(), user__is_active=True)


class ApiToken(models.Model):
    """One API token of one user. `prefix` (the token's first characters) identifies it on the tokens
    page and narrows the lookup; `digest` is what proves it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("What the token is for, e.g. a script."))
    prefix = models.CharField(_("prefix"), max_length=PREFIX_LENGTH, db_index=True, editable=False)
    digest = models.CharField(_("digest"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    def matches(self, token: str) -> bool:
        return hmac.compare_digest(self.digest, token_digest(token))

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_active(self) -> bool:
        """Whether the token authenticates now (the same rule as ApiTokenQuerySet.active)."""
        return not self.is_revoked and not self.is_expired and self.user.is_active

"""Token authentication for the API: `Authorization: Token <token>`.

The token is looked up by its first characters (indexed) and proved by comparing SHA-256 digests in
constant time. Expired and revoked tokens, and tokens of deactivated users, are refused on every request
with the same 401 as an unknown token, so the answer says nothing about which tokens exist.
"""

from __future__ import annotations

import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from casework.models import ApiToken
from casework.models.tokens import PREFIX_LENGTH

INVALID = _("Invalid or expired token.")
# last_used_at is a hint for the tokens page, not an access log: writing it at most once a minute keeps
# an UPDATE off nearly every request.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


class ApiTokenAuthentication(BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None  # not ours: the session, or nothing (then 401 through authenticate_header)
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(INVALID)
        try:
            plain = parts[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(INVALID) from None
        return self.authenticate_credentials(plain)

    def authenticate_credentials(self, plain: str):
        candidates = ApiToken.objects.filter(prefix=plain[:PREFIX_LENGTH]).select_related("user")
        # Compare every candidate (rarely more than one), so the time taken does not depend on which
        # one matches.
        matched = [token for token in candidates if token.matches(plain)]
        if len(matched) != 1 or not matched[0].is_active:
            raise exceptions.AuthenticationFailed(INVALID)
        token = matched[0]
        self.touch(token)
        return token.user, token

    @staticmethod
    def touch(token: ApiToken) -> None:
        """Record the use, at most once per LAST_USED_RESOLUTION: no query at all when the token was
        marked recently; otherwise one UPDATE whose condition lets only one of several concurrent
        requests (any process) write."""
        now = timezone.now()
        stale = now - LAST_USED_RESOLUTION
        if token.last_used_at is not None and token.last_used_at > stale:
            return
        ApiToken.objects.filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale), pk=token.pk
        ).update(last_used_at=now)
        token.last_used_at = now

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) to a request without credentials.
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Documents the scheme in the OpenAPI schema (drf-spectacular finds it by target class)."""

    target_class = "casework.api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=self.target.keyword
        )

"""The "API tokens" page: a user lists, creates and revokes their own API tokens.

A user only ever sees their own tokens; another user's token id is 404, like one that does not exist.
A new token is shown once, on the page that answers the creating POST (not stored in the session, not
put in a URL, and the response is not cached); afterwards only its first characters are ever shown.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from casework.models import ApiToken
from casework.tokens import token_issue, token_revoke
from casework.two_factor.step_up import require_fresh_verification

MAX_DAYS = 365


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, so you recognise it later, e.g. “monthly statistics script”."),
    )
    days = forms.IntegerField(
        label=_("Valid for (days)"),
        min_value=1,
        max_value=MAX_DAYS,
        help_text=_("From 1 to 365 days. Ask for no longer than you need."),
    )

    def error_summary(self) -> list[dict[str, str]]:
        """Every error, each with the id of the input to jump to (casework/_form_errors.html)."""
        summary = [{"anchor": "", "label": "", "message": str(m)} for m in self.non_field_errors()]
        for bound in self:
            summary.extend(
                {"anchor": bound.id_for_label, "label": str(bound.label), "message": str(m)}
                for m in bound.errors
            )
        return summary


def _page(request: HttpRequest, form: TokenForm, *, new_token: ApiToken | None = None, plain: str = ""):
    tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at", "-pk")
    return render(
        request,
        "casework/api_tokens.html",
        {"form": form, "tokens": tokens, "new_token": new_token, "plain_token": plain},
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    """GET: the user's tokens and the form for a new one. POST: create one and show it, once."""
    if request.method == "GET":
        return _page(request, TokenForm(initial={"days": min(settings.CASEWORK_API_TOKEN_DAYS, MAX_DAYS)}))
    if (step_up := require_fresh_verification(request)) is not None:
        return step_up  # a new standing credential: a fresh second factor first (issue 7)
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            token, plain = token_issue(
                user=request.user,
                name=form.cleaned_data["name"],
                days=form.cleaned_data["days"],
                actor=request.user,
                request=request,
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return _page(
                request, TokenForm(initial={"days": form.cleaned_data["days"]}), new_token=token, plain=plain
            )
    return _page(request, form)


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of the user's own tokens; anyone else's is 404."""
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token_revoke(actor=request.user, token=token, request=request)
    messages.success(request, gettext("Token %(prefix)s… is revoked.") % {"prefix": token.prefix})
    return redirect("casework:api-tokens")

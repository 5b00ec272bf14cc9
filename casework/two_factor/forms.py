"""The one form of two-factor sign-in: a code, checked against the user's devices as it is cleaned."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from casework.two_factor import devices


class CodeForm(forms.Form):
    """A code from the authenticator app or, unless `app_only`, a backup code.

    Cleaning checks it (and so spends it: a valid form has used its code); `outcome` then tells the view
    which device accepted it, or why none did, for the audit trail. A throttled check says how long to
    wait rather than that the code is wrong: a right code typed too soon would otherwise look wrong.
    """

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}
        ),
    )

    def __init__(self, user, *args, device=None, app_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.device = device
        self.outcome: devices.Outcome | None = None
        if app_only:
            self.fields["code"].help_text = _("The 6-digit code your authenticator app shows now.")
            self.fields["code"].widget.attrs["inputmode"] = "numeric"
        else:
            self.fields["code"].help_text = _(
                "The 6-digit code your authenticator app shows now, or one of your backup codes."
            )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        self.outcome = devices.check_code(self.user, code, device=self.device)
        if self.outcome.locked_until is not None:
            seconds = self.outcome.wait_seconds
            raise ValidationError(
                ngettext(
                    "Too many wrong codes. Wait %(seconds)d second, then try again.",
                    "Too many wrong codes. Wait %(seconds)d seconds, then try again.",
                    seconds,
                )
                % {"seconds": seconds},
                code="throttled",
            )
        if self.outcome.device is None:
            raise ValidationError(
                _("That code is not right, or it has already been used. Each code works only once."),
                code="invalid",
            )
        return code

    def error_summary(self) -> list[dict[str, str]]:
        """Every error, each with the id of the input to jump to (casework/_form_errors.html)."""
        return [
            {"anchor": bound.id_for_label, "label": str(bound.label), "message": str(message)}
            for bound in self
            for message in bound.errors
        ]

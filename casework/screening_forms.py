"""Forms for free text that is screened for identifiers (DESIGN §3.1).

The model refuses text that looks like it identifies someone (`ScreenedTextMixin.clean_screened_text`)
unless the instance carries `identifiers_confirmed`. The only way to set it is the user's explicit tick
in a form that has shown them the warning: this module provides that tick for any ModelForm.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

CONFIRM_FIELD = "confirm_no_identifiers"


class ScreenedTextFormMixin(forms.Form):
    """Adds `confirm_no_identifiers` to a ModelForm of a model with `ScreenedTextMixin`.

    Put it before ModelForm: `class NoteForm(ScreenedTextFormMixin, forms.ModelForm)`. It is a Form
    (not a plain mixin) so that the field is declared, and so listed wherever the form's fields are
    (the admin's fieldsets, a template looping over the form). The tick is applied in `clean()`,
    because ModelForm validates the instance, and so screens the text, right after it.
    """

    confirm_no_identifiers = forms.BooleanField(
        label=_("I have checked: this text identifies no one"),
        required=False,
        help_text=_(
            "Tick this only after a warning about the text, once you have made sure it contains no "
            "name, ID or passport number, phone number, address or date of birth."
        ),
    )

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get(CONFIRM_FIELD):
            self.instance.identifiers_confirmed = True
        return cleaned_data


class ScreenedModelForm(ScreenedTextFormMixin, forms.ModelForm):
    """A ModelForm with the confirmation; `modelform_factory` or a subclass supplies the Meta."""

"""The parameters of each report, as forms: the same form validates a report URL's query string, draws
the form on `/reports/`, and checks a saved report definition in the admin."""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework import access
from casework.models import Organisation
from policies.models import Country

REFERENCE = re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$")


class CaseSummaryParameters(forms.Form):
    reference = forms.CharField(
        label=_("Case reference"), max_length=20, help_text=_("For example K7QF-29XA.")
    )

    def __init__(self, *args, user=None, any_organisation: bool = False, **kwargs):
        super().__init__(*args, **kwargs)

    def clean_reference(self) -> str:
        # Typed references come with spaces, lower case or without the dash.
        raw = re.sub(r"[\s-]", "", self.cleaned_data["reference"]).upper()
        reference = f"{raw[:4]}-{raw[4:]}"
        if not REFERENCE.match(reference):
            raise forms.ValidationError(_("A reference is eight letters or digits, like K7QF-29XA."))
        return reference


def start_of_year(today: date | None = None) -> date:
    today = today or timezone.localdate()
    return today.replace(month=1, day=1)


class CaseloadParameters(forms.Form):
    """Organisation (blank: every one the user may report on) and the period, both ends included.
    Without dates the period is this year so far."""

    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=None,
        to_field_name="slug",
        required=False,
        empty_label=_("All organisations I may report on"),
    )
    from_ = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user=None, any_organisation: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword: the field is from_ in code and `from` in the query string.
        self.fields["from"] = self.fields.pop("from_")
        self.order_fields(["organisation", "from", "to"])
        # `any_organisation` only checks a saved definition's shape; running a report always narrows
        # the choice to the organisations this user may report on.
        organisations = Organisation.objects.all() if any_organisation else access.report_organisations(user)
        self.fields["organisation"].queryset = organisations.order_by("name")

    def clean(self):
        cleaned = super().clean()
        today = timezone.localdate()
        cleaned["to"] = cleaned.get("to") or today
        if not cleaned.get("from") and "from" not in self.errors:
            cleaned["from"] = start_of_year(cleaned["to"])
        if cleaned.get("from") and cleaned["from"] > cleaned["to"]:
            self.add_error("to", _("The end of the period must not be before its start."))
        return cleaned


class CountryBriefParameters(forms.Form):
    country = forms.ModelChoiceField(
        label=_("Country"),
        queryset=Country.objects.order_by("-is_central_asian", "name"),
        to_field_name="code",
    )

    def __init__(self, data=None, *args, user=None, any_organisation: bool = False, **kwargs):
        # Codes are stored in capitals; people type "kz". (`data` may come by position or by name.)
        if data is not None and data.get("country"):
            data = data.copy()
            data["country"] = str(data["country"]).upper()
        super().__init__(data, *args, **kwargs)

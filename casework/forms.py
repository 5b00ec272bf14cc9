"""The case form: the anonymised record of a returnee, in sections, for opening and editing a case.

The data rules live on the model (`Case.clean`); this form only offers the choices a user may make
(households they may see, colleagues of their organisation, reference data grouped sensibly), says in
each section what must never be recorded, and reports every error next to its field and in a summary.
Saving goes through casework.services.cases, which also refuses a stale version.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms.boundfield import BoundField
from django.utils import timezone
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext_lazy as _

from casework import access, choices
from casework.models import Case, Household, User
from casework.models.cases import NOT_RECORDED
from casework.services.cases import CASE_RECORD_FIELDS
from policies.models import ArmedGroup, Country, Programme, Region

NEW_HOUSEHOLD = "new"
CHOOSE = _("Choose…")


class MonthInput(forms.DateInput):
    """`<input type="month">`: the browser's month picker, or a text box for YYYY-MM where it has none."""

    input_type = "month"

    def __init__(self, attrs=None):
        super().__init__({"placeholder": "YYYY-MM", **(attrs or {})}, format="%Y-%m")


class MonthField(forms.DateField):
    """A month as YYYY-MM, kept as the first day of that month: the exact day is never recorded."""

    widget = MonthInput
    input_formats = ["%Y-%m"]
    default_error_messages = {"invalid": _("Enter the year and month as YYYY-MM, for example 2019-05.")}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class HouseholdChoiceField(forms.ModelChoiceField):
    """A household the user may see, none, or NEW_HOUSEHOLD: start one with this case."""

    def to_python(self, value):
        if value == NEW_HOUSEHOLD:
            return NEW_HOUSEHOLD
        return super().to_python(value)

    def validate(self, value):
        if value != NEW_HOUSEHOLD:
            super().validate(value)


class ColleagueChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.get_username()


def _grouped(
    queryset, group_of: Callable[[Any], str], empty_label=CHOOSE
) -> Callable[[], list[tuple[Any, Any]]]:
    """Choices for a select, in <optgroup>s, read with one query when the select is drawn."""

    def build() -> list[tuple[Any, Any]]:
        groups: dict[str, list[tuple[Any, str]]] = {}
        for obj in queryset:
            groups.setdefault(group_of(obj), []).append((obj.pk, str(obj)))
        return [("", empty_label), *groups.items()]

    return build


@dataclass
class Section:
    key: str
    title: str
    intro: str
    fields: list[BoundField]


# (key, title, what to record and what never to, field names). Household fields come last: they link
# this case to others.
SECTIONS: tuple[tuple[str, Any, Any, tuple[str, ...]], ...] = (
    (
        "profile",
        _("Profile"),
        # Lazy, so that it is translated when shown (a lazy string's % would translate it at import).
        format_lazy(
            "{} {}",
            NOT_RECORDED,
            _("Ages are bands and places are regions: the reference is the only handle on the person."),
        ),
        ("sex", "age_band", "citizenship", "residence_country", "residence_region"),
    ),
    (
        "return",
        _("Return"),
        _(
            "Months and years only. Do not record exact dates of travel, border crossings, camps or "
            "detention facilities."
        ),
        ("return_month", "conflict_zone", "departure_year", "return_pathway", "programme"),
    ),
    (
        "background",
        _("Background"),
        _(
            "What is known, not what is suspected: choose “unknown” rather than guess. Never record "
            "who recruited, accompanied or sponsored the person."
        ),
        ("circumstance", "affiliation", "armed_group", "drivers"),
    ),
    (
        "vulnerabilities",
        _("Vulnerabilities"),
        _(
            "Tick what applies. Do not record diagnoses, medical records or the names of doctors, "
            "clinics or schools."
        ),
        ("vulnerabilities",),
    ),
    (
        "consent",
        _("Consent"),
        _(
            "Record consent as the person gave it. If they withdraw it, untick both consents and enter "
            "the date of withdrawal. Never attach or copy a signed consent form here."
        ),
        (
            "consent_services",
            "consent_services_on",
            "consent_data_sharing",
            "consent_data_sharing_on",
            "consent_withdrawn_on",
        ),
    ),
    (
        "household",
        _("Household"),
        _(
            "A household links the cases of one family group, such as a mother and her children, by a "
            "random reference. Never record family names or an address."
        ),
        ("household", "household_role"),
    ),
)

ASSIGNMENT_SECTION = (
    "assignment",
    _("Caseworker"),
    _("Who works on this case. Leave it unassigned to decide later."),
    ("assigned_to",),
)


class CaseForm(forms.ModelForm):
    """Opens a case (no instance) or edits one; `user` decides the choices, `organisation` whose case."""

    # The version the form was loaded at: a save on any other version is refused (optimistic locking).
    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    household = HouseholdChoiceField(
        queryset=Household.objects.none(),
        required=False,
        label=_("Household"),
        help_text=_(
            "Choose the household of the person's family group, or start a new one for its first "
            "member. Leave empty if the person returned alone."
        ),
    )

    class Meta:
        model = Case
        fields = [name for name in CASE_RECORD_FIELDS if name != "household"]
        field_classes = {"return_month": MonthField}
        labels = {"drivers": _("Drivers"), "vulnerabilities": _("Vulnerabilities")}
        widgets = {
            "sex": forms.RadioSelect,
            "departure_year": forms.NumberInput(attrs={"inputmode": "numeric"}),
            "consent_services_on": DateInput,
            "consent_data_sharing_on": DateInput,
            "consent_withdrawn_on": DateInput,
        }
        help_texts = {
            "citizenship": _("The country only. Never record a passport or ID number."),
            "residence_country": _("Where the person lives now."),
            "return_month": _(
                "Year and month only, as YYYY-MM (for example 2019-05). Never record the exact day."
            ),
            "departure_year": _("The year only. Leave empty for someone born in the conflict zone."),
            "consent_services_on": _("The day consent was given. Not a date of birth."),
            "consent_data_sharing_on": _("The day consent was given. Not a date of birth."),
            "household_role": _("This person's place in the household, e.g. mother or child."),
        }

    def __init__(self, *args, user: User, organisation, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.organisation = organisation
        self.editing = not self.instance._state.adding
        if self.editing:
            self.fields["loaded_version"].initial = self.instance.version
        else:
            del self.fields["loaded_version"]
            self.instance.organisation = organisation
        self._set_choices()

    # --- choices ----------------------------------------------------------------------------------------

    def _set_choices(self) -> None:
        fields = self.fields
        today = timezone.localdate()
        fields["sex"].choices = choices.Sex.choices  # radio buttons: no empty "------" button
        for name in ("age_band", "conflict_zone", "return_pathway"):
            fields[name].choices = [("", CHOOSE), *fields[name].choices[1:]]
        fields["household_role"].choices = [("", _("None")), *choices.HouseholdRole.choices]
        fields["return_month"].widget.attrs["max"] = f"{today:%Y-%m}"
        fields["departure_year"].widget.attrs.update(min=2000, max=today.year)
        for name in ("consent_services_on", "consent_data_sharing_on", "consent_withdrawn_on"):
            fields[name].widget.attrs["max"] = today.isoformat()

        # Central Asian countries first: they are what this system is for.
        countries = Country.objects.order_by("-is_central_asian", "name")
        for name in ("citizenship", "residence_country"):
            fields[name].queryset = countries
            fields[name].choices = _grouped(
                countries, lambda c: str(_("Central Asia") if c.is_central_asian else _("Other countries"))
            )
        regions = Region.objects.select_related("country").order_by("country__name", "name")
        fields["residence_region"].queryset = regions
        fields["residence_region"].choices = _grouped(regions, lambda r: r.country.name, _("Not known"))
        programmes = Programme.objects.select_related("country").order_by("country__name", "name")
        fields["programme"].queryset = programmes
        fields["programme"].choices = _grouped(programmes, lambda p: p.country.name, _("None"))
        fields["armed_group"].queryset = ArmedGroup.objects.order_by("name")
        fields["armed_group"].empty_label = _("None")

        # Households of the case's organisation that the user may see (access.restrict_households).
        households = Household.objects.visible_to(self.user).filter(organisation=self.organisation)
        fields["household"].queryset = households
        fields["household"].choices = lambda: [
            ("", _("No household")),
            (NEW_HOUSEHOLD, _("Start a new household with this person")),
            *([(_("Existing households"), [(h.pk, str(h)) for h in households])] if households else []),
        ]
        if not self.is_bound and self.instance.household_id:
            fields["household"].initial = self.instance.household_id

        # A supervisor opening a case may give it to a colleague; a caseworker's case is theirs.
        role = access.role_of(self.user)
        if not self.editing and role is not None and role.can_assign:
            workers = [r for r in choices.Role if r.works_on_cases]
            colleagues = access.restrict_users(
                User.objects.filter(organisation=self.organisation, is_active=True, role__in=workers),
                self.user,
            ).order_by("first_name", "last_name", "username")
            fields["assigned_to"] = ColleagueChoiceField(
                queryset=colleagues,
                required=False,
                label=_("Assign to"),
                empty_label=_("Unassigned"),
                help_text=_("A caseworker or supervisor of your organisation."),
            )

    # --- validation -------------------------------------------------------------------------------------

    @property
    def starts_new_household(self) -> bool:
        return getattr(self, "cleaned_data", {}).get("household") == NEW_HOUSEHOLD

    def clean(self):
        cleaned_data = super().clean()
        if self.editing and not cleaned_data.get("loaded_version") and "loaded_version" not in self.errors:
            raise ValidationError(
                _("This form does not say which version of the case it was opened at. Open the case again."),
                code="no_version",
            )
        return cleaned_data

    def _post_clean(self):
        # The household is not a model field of this form (it offers "new"), so it is put on the instance
        # here, before the model's rules run. A new household does not exist until the case is saved:
        # the model would refuse its role as "a role without a household", so that role is checked here.
        starts_new = self.starts_new_household
        role = None
        if "household" in self.cleaned_data:
            self.instance.household = None if starts_new else self.cleaned_data["household"]
        if starts_new:
            role = self.cleaned_data.pop("household_role", None)
            self.instance.household_role = ""
        super()._post_clean()
        if starts_new:
            if role:
                self.cleaned_data["household_role"] = self.instance.household_role = role
            elif "household_role" not in self.errors:
                self.add_error("household_role", _("Say what role this person has in the new household."))

    def add_error(self, field, error):
        """Errors the model raises about fields this form does not show (the status, the assignee) go to
        the top of the form, named, instead of failing: the user must still learn why nothing was saved."""
        if field is None and isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            by_field = dict(error.error_dict)
            for name in [n for n in by_field if n != NON_FIELD_ERRORS and n not in self.fields]:
                label = capfirst(Case._meta.get_field(name).verbose_name)
                by_field.setdefault(NON_FIELD_ERRORS, []).extend(
                    ValidationError("%(label)s: %(message)s", params={"label": label, "message": message})
                    for problem in by_field.pop(name)
                    for message in problem.messages
                )
            error = ValidationError(by_field)
        super().add_error(field, error)

    # --- what the view and template read ----------------------------------------------------------------

    def case_values(self) -> dict[str, Any]:
        """The record as the user entered it, for the service (the household unless a new one)."""
        values = {name: self.cleaned_data[name] for name in self._meta.fields}
        if not self.starts_new_household:
            values["household"] = self.cleaned_data["household"]
        return values

    @property
    def sections(self) -> list[Section]:
        layout: Iterable = SECTIONS
        if "assigned_to" in self.fields:
            layout = (*SECTIONS, ASSIGNMENT_SECTION)
        return [
            Section(key, str(title), str(intro), [self[name] for name in names])
            for key, title, intro, names in layout
        ]

    def error_summary(self) -> list[dict[str, str]]:
        """Every error, in the order of the page, each with the id of the input to jump to."""
        summary = [{"anchor": "", "label": "", "message": str(m)} for m in self.non_field_errors()]
        for bound in self.hidden_fields():  # the version, if tampered with: nothing to jump to
            summary.extend({"anchor": "", "label": "", "message": str(m)} for m in bound.errors)
        for section in self.sections:
            for bound in section.fields:
                # A group of checkboxes or radio buttons has no id of its own: jump to its first box.
                anchor = f"{bound.auto_id}_0" if bound.use_fieldset else bound.id_for_label
                summary.extend(
                    {"anchor": anchor, "label": str(bound.label), "message": str(m)} for m in bound.errors
                )
        return summary

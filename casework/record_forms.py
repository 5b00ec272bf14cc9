"""The quick-add forms of the case page: a note, a referral, an assessment, a legal proceeding, and the
form that moves a referral to another status.

Each ModelForm validates with the model's own rules (its `clean()`), so an error appears next to the
field the user must correct; the view then hands the cleaned values to the service in
casework/services/records.py, which validates again inside its transaction. Choices are scoped on the
server: a provider must offer the chosen service, a framework must be of the case's countries (or an
agreement they are party to), a provision must be of the chosen framework — whatever is posted.
Screened free text (a note, an outcome) uses ScreenedTextFormMixin: the "identifies no one" tick is shown
only after a warning, and only the tick lets the text through.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework import choices
from casework.models import Assessment, CaseNote, LegalProceeding, Referral, ServiceProvider, ServiceType
from casework.models.services import REFERRAL_DATES
from casework.screening_forms import CONFIRM_FIELD, ScreenedTextFormMixin
from casework.services import records
from casework.widgets import Select
from policies.models import LegalFramework, Provision

if TYPE_CHECKING:
    from casework.models import Case, User

POSSIBLE_IDENTIFIER = "possible_identifier"  # the code of ScreenedTextMixin's warning
CHOOSE = _("Choose…")


class DateInput(forms.DateInput):
    """The browser's date picker; the value travels as YYYY-MM-DD whatever the language."""

    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def text_area(rows: int = 4) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "cols": 40})


class RecordFormMixin:
    """What the quick-add forms share: errors from a service put back on the fields, and when to show
    the "this text identifies no one" tick."""

    screened: tuple[str, ...] = ()  # the form's screened free-text fields
    # Model fields a service error may name, and the form field that shows it.
    error_fields: dict[str, str] = {}

    def attach_errors(self, error: ValidationError) -> None:
        """Show a ValidationError raised by a service next to the field it is about, or at the top."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, errors in error.error_dict.items():
            target = self.error_fields.get(name, name)
            if target != NON_FIELD_ERRORS and target not in self.fields:
                target = None
            self.add_error(target, errors)

    @property
    def shows_confirmation(self) -> bool:
        """After a warning about possible identifiers, and while the user's tick stands."""
        if not self.is_bound or CONFIRM_FIELD not in self.fields:
            return False
        if any(self.has_error(name, POSSIBLE_IDENTIFIER) for name in self.screened):
            return True
        return bool(self[CONFIRM_FIELD].value())

    def confirmed(self) -> bool:
        return bool(self.cleaned_data.get(CONFIRM_FIELD))

    @property
    def visible_fields_in_order(self) -> list[forms.BoundField]:
        """The fields the page draws, in order; the tick only once it is asked for (shows_confirmation)."""
        fields = [bound for bound in self.visible_fields() if bound.name != CONFIRM_FIELD]
        if self.shows_confirmation:
            # Right under the text it is about.
            names = [bound.name for bound in fields]
            after = max(
                (names.index(name) for name in self.screened if name in names), default=len(names) - 1
            )
            fields.insert(after + 1, self[CONFIRM_FIELD])
        return fields

    def error_summary(self) -> list[dict[str, str]]:
        """Every error, in the order of the page, each with the id of the input to jump to
        (for casework/_form_errors.html)."""
        summary = [{"anchor": "", "label": "", "message": str(m)} for m in self.non_field_errors()]
        for bound in self:
            if bound.is_hidden:
                summary.extend({"anchor": "", "label": "", "message": str(m)} for m in bound.errors)
                continue
            # A group of radio buttons has no id of its own: jump to its first button.
            anchor = f"{bound.auto_id}_0" if bound.use_fieldset else bound.id_for_label
            summary.extend(
                {"anchor": anchor, "label": str(bound.label), "message": str(m)} for m in bound.errors
            )
        return summary


# --- Note ----------------------------------------------------------------------------------------------


class NoteForm(RecordFormMixin, ScreenedTextFormMixin, forms.ModelForm):
    screened = ("text",)

    class Meta:
        model = CaseNote
        fields = ("contact_on", "contact_type", "text", "restricted")
        widgets = {"contact_on": DateInput(), "contact_type": Select, "text": text_area(5)}

    def __init__(self, *args: Any, case: Case, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "note-%s")
        kwargs["instance"] = CaseNote(case=case, author=user)
        super().__init__(*args, **kwargs)
        # The model's default (today) is a callable: ModelForm would add a hidden "initial-" input.
        self.fields["contact_on"].show_hidden_initial = False
        self.fields["contact_type"].choices = [("", CHOOSE), *choices.ContactType.choices]

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "contact_on": data["contact_on"],
            "contact_type": data["contact_type"],
            "text": data["text"],
            "restricted": data["restricted"],
            "identifiers_confirmed": self.confirmed(),
        }


# --- Referral ------------------------------------------------------------------------------------------


class GroupedModelChoiceField(forms.ModelChoiceField):
    """A select whose options come in groups (<optgroup>); validation still goes by the queryset."""

    widget = Select

    def set_groups(self, groups: list[tuple[str, list[tuple[int, str]]]]) -> None:
        self.choices = [("", self.empty_label or "")] + groups


class ReferralForm(RecordFormMixin, forms.ModelForm):
    provider = GroupedModelChoiceField(
        queryset=ServiceProvider.objects.none(),
        required=False,
        label=_("Provider"),
        help_text=_("Optional. It must offer the chosen service; the services each offers are in brackets."),
    )

    class Meta:
        model = Referral
        fields = ("service_type", "provider", "referred_on")
        widgets = {"service_type": Select, "referred_on": DateInput()}
        help_texts = {
            "referred_on": _(
                "Leave empty while the referral is only planned; fill it in once you have referred."
            )
        }

    def __init__(self, *args: Any, case: Case, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "referral-%s")
        kwargs["instance"] = Referral(case=case, created_by=user)
        super().__init__(*args, **kwargs)
        self.fields["service_type"].queryset = ServiceType.objects.filter(is_active=True)
        self.fields["service_type"].empty_label = CHOOSE
        providers = ServiceProvider.objects.filter(is_active=True).select_related("country")
        field = self.fields["provider"]
        field.empty_label = _("Not chosen yet")
        field.queryset = providers.prefetch_related("service_types")
        field.set_groups(self._provider_groups(field.queryset, case))

    @staticmethod
    def _provider_groups(queryset, case: Case) -> list[tuple[str, list[tuple[int, str]]]]:
        """Providers by country, the case's country of residence first; each names what it offers."""
        by_country: dict[Any, list[tuple[int, str]]] = defaultdict(list)
        countries = {}
        for provider in queryset:
            offered = ", ".join(service.name for service in provider.service_types.all())
            label = f"{provider.name} ({offered})" if offered else provider.name
            by_country[provider.country_id].append((provider.pk, label))
            countries[provider.country_id] = provider.country
        order = sorted(by_country, key=lambda pk: (pk != case.residence_country_id, countries[pk].name))
        return [(countries[pk].name, by_country[pk]) for pk in order]

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        # The status follows from the date: the model then checks the date against it.
        self.instance.status = (
            choices.ReferralStatus.REFERRED
            if cleaned_data.get("referred_on")
            else choices.ReferralStatus.PLANNED
        )
        return cleaned_data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "service_type": data["service_type"],
            "provider": data.get("provider"),
            "referred_on": data.get("referred_on"),
        }


class ReferralAdvanceForm(RecordFormMixin, ScreenedTextFormMixin, forms.Form):
    """Move one referral on: to its next status, or to an alternative open from where it is.

    The date defaults to today. The status the user saw travels with the form, so a second click (or a
    colleague's change in between) is refused rather than applied twice.
    """

    screened = ("outcome_note",)
    error_fields = {
        **dict.fromkeys(REFERRAL_DATES, "on_date"),
        "status": "to_status",
    }

    from_status = forms.CharField(widget=forms.HiddenInput, required=False)
    to_status = forms.ChoiceField(label=_("New status"), widget=Select)
    on_date = forms.DateField(
        label=_("Date of the change"), required=False, widget=DateInput(), help_text=_("Empty means today.")
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        required=False,
        choices=[("", "—"), *choices.ReferralOutcome.choices],
        widget=Select,
        help_text=_("Only when the referral ends (completed, declined, dropped out or cancelled)."),
    )
    outcome_note = forms.CharField(
        label=_("Outcome note"),
        required=False,
        widget=text_area(3),
        help_text=_("Do not record names, ID numbers, phone numbers, addresses or dates of birth."),
    )

    def __init__(self, *args: Any, referral: Referral, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"advance-{referral.pk}-%s")
        super().__init__(*args, **kwargs)
        # ScreenedTextFormMixin marks the confirmation on its instance; the service reads the tick.
        self.instance = referral
        self.set_choices(referral)

    def set_choices(self, referral: Referral) -> None:
        """The statuses open from where the referral is."""
        self.fields["to_status"].choices = [
            (status.value, status.label) for status in records.allowed_statuses(referral.status)
        ]
        self.fields["from_status"].initial = referral.status

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        seen = cleaned_data.get("from_status")
        if seen and seen != self.instance.status:
            # A second click, or a colleague's change: say so, rather than "not a valid choice".
            self._errors.pop("to_status", None)
            self.add_error("to_status", records.changed_meanwhile(self.instance))
        return cleaned_data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "to_status": data["to_status"],
            "on_date": data.get("on_date") or timezone.localdate(),
            "outcome": data.get("outcome", ""),
            "outcome_note": data.get("outcome_note", ""),
            "from_status": data.get("from_status") or None,
            "identifiers_confirmed": self.confirmed(),
        }


# --- Assessment ----------------------------------------------------------------------------------------

SCORE_CHOICES = [*((str(score), str(score)) for score in range(1, 6)), ("", _("Not assessed"))]


class AssessmentForm(RecordFormMixin, forms.ModelForm):
    """The date and one radio group per domain: 1 (severe difficulty) to 5 (no difficulty), or none."""

    class Meta:
        model = Assessment
        fields = ("assessed_on", *(domain.value for domain in Assessment.DOMAINS))
        widgets = {"assessed_on": DateInput()}

    def __init__(self, *args: Any, case: Case, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "assessment-%s")
        kwargs["instance"] = Assessment(case=case, assessed_by=user)
        super().__init__(*args, **kwargs)
        self.fields["assessed_on"].show_hidden_initial = False
        for domain in Assessment.DOMAINS:
            self.fields[domain.value] = forms.TypedChoiceField(
                label=domain.label,
                choices=SCORE_CHOICES,
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
            )
            self.initial.setdefault(domain.value, "")

    @property
    def score_fields(self) -> list[forms.BoundField]:
        return [self[domain.value] for domain in Assessment.DOMAINS]

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "assessed_on": data["assessed_on"],
            "scores": {domain.value: data.get(domain.value) for domain in Assessment.DOMAINS},
        }


# --- Legal proceeding ----------------------------------------------------------------------------------


def frameworks_for(case: Case):
    """Frameworks of the case's country of citizenship or residence, and agreements either is party to."""
    countries = {case.citizenship_id, case.residence_country_id}
    party_to = LegalFramework.parties.through.objects.filter(country_id__in=countries).values(
        "legalframework_id"
    )
    return LegalFramework.objects.filter(Q(country_id__in=countries) | Q(pk__in=party_to)).select_related(
        "country"
    )


class ProceedingForm(RecordFormMixin, ScreenedTextFormMixin, forms.ModelForm):
    screened = ("outcome",)

    provision = GroupedModelChoiceField(
        queryset=Provision.objects.none(),
        required=False,
        label=_("Provision"),
        help_text=_("Optional: the article or clause, among those of the chosen framework."),
    )

    class Meta:
        model = LegalProceeding
        fields = ("framework", "provision", "stage", "started_on", "ended_on", "closed_court", "outcome")
        widgets = {
            "framework": Select,
            "stage": Select,
            "started_on": DateInput(),
            "ended_on": DateInput(),
            "outcome": text_area(3),
        }
        help_texts = {
            "framework": _(
                "Frameworks of the case's country of citizenship or residence, and agreements "
                "they are party to."
            ),
            "ended_on": _("Needed once the proceeding has ended (amnestied, acquitted, completed)."),
        }

    def __init__(self, *args: Any, case: Case, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "proceeding-%s")
        kwargs["instance"] = LegalProceeding(case=case)
        super().__init__(*args, **kwargs)
        frameworks = frameworks_for(case)
        self.fields["framework"].queryset = frameworks
        self.fields["framework"].empty_label = CHOOSE
        self.fields["stage"].choices = [("", CHOOSE), *choices.ProceedingStage.choices]
        field = self.fields["provision"]
        field.empty_label = _("None chosen")
        field.queryset = Provision.objects.filter(framework__in=frameworks.values("pk")).select_related(
            "framework__country"
        )
        groups: dict[Any, list[tuple[int, str]]] = defaultdict(list)
        titles = {}
        for provision in field.queryset.order_by("framework__title", "article", "title"):
            groups[provision.framework_id].append((provision.pk, str(provision)))
            titles[provision.framework_id] = str(provision.framework)
        field.set_groups([(titles[pk], options) for pk, options in groups.items()])

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "framework": data["framework"],
            "provision": data.get("provision"),
            "stage": data["stage"],
            "started_on": data["started_on"],
            "ended_on": data.get("ended_on"),
            "closed_court": data.get("closed_court", False),
            "outcome": data.get("outcome", ""),
            "identifiers_confirmed": self.confirmed(),
        }

"""Serializers of the cases endpoint: the staff record and the analysts' anonymised projection.

They validate the shape of a request and render a case; the rules of a case (DESIGN §4) stay on the
model and in `casework.services.cases`, which the viewset calls. Related objects a client may name are
scoped to the user (a household of their organisation, a colleague to assign).
"""

from __future__ import annotations

import datetime
import re

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from casework import access, choices
from casework.api import anonymise
from casework.models import Case, Household, User
from policies.models import ArmedGroup, Country, Programme, Region

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})(?:-\d{2})?$")

# Sent back unchanged they are accepted (a client may PUT what it GOT); changed, they are refused.
READ_ONLY_FIELDS = (
    "reference",
    "organisation",
    "status",
    "version",
    "created_by",
    "opened_on",
    "closed_on",
    "closure_reason",
)


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2019-05"})
class MonthField(serializers.Field):
    """A month, "YYYY-MM" (a full date is accepted and cut to its month): the day is never recorded."""

    default_error_messages = {"invalid": "Enter a month as YYYY-MM."}

    def to_internal_value(self, data):
        match = MONTH_RE.match(str(data)) if isinstance(data, str) else None
        if not match:
            self.fail("invalid")
        try:
            return datetime.date(int(match.group(1)), int(match.group(2)), 1)
        except ValueError:
            self.fail("invalid")

    def to_representation(self, value):
        return anonymise.month(value)


class ChoiceListField(serializers.ListField):
    """A set of choices (drivers, vulnerabilities) as a sorted JSON list of codes."""

    def __init__(self, choices_class, **kwargs):
        kwargs.setdefault("child", serializers.ChoiceField(choices=choices_class.choices))
        kwargs.setdefault("allow_empty", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        return sorted(set(super().to_internal_value(data)))

    def to_representation(self, data):
        return sorted(data or [])


def _country_field(**kwargs):
    return serializers.SlugRelatedField(slug_field="code", queryset=Country.objects.all(), **kwargs)


class _ProfileFields(serializers.Serializer):
    """The anonymised profile both projections share."""

    sex = serializers.ChoiceField(choices=choices.Sex.choices)
    age_band = serializers.ChoiceField(choices=choices.AgeBand.choices)
    citizenship = _country_field(help_text="ISO 3166-1 alpha-2 code.")
    residence_country = _country_field(help_text="ISO 3166-1 alpha-2 code.")
    residence_region = serializers.PrimaryKeyRelatedField(
        queryset=Region.objects.all(), allow_null=True, required=False
    )
    return_month = MonthField(help_text="YYYY-MM.")
    departure_year = serializers.IntegerField(allow_null=True, required=False, min_value=2000, max_value=2100)
    conflict_zone = serializers.ChoiceField(choices=choices.ConflictZone.choices)
    return_pathway = serializers.ChoiceField(choices=choices.ReturnPathway.choices)
    programme = serializers.PrimaryKeyRelatedField(
        queryset=Programme.objects.all(), allow_null=True, required=False
    )
    affiliation = serializers.ChoiceField(choices=choices.Affiliation.choices, required=False)
    armed_group = serializers.PrimaryKeyRelatedField(
        queryset=ArmedGroup.objects.all(), allow_null=True, required=False
    )
    circumstance = serializers.ChoiceField(choices=choices.Circumstance.choices, required=False)
    drivers = ChoiceListField(choices.Driver, required=False)
    vulnerabilities = ChoiceListField(choices.Vulnerability, required=False)


class CaseSerializer(_ProfileFields):
    """The full anonymised record, for staff who may see the case (and write it, per `access`)."""

    reference = serializers.CharField(read_only=True)
    organisation = serializers.CharField(source="organisation.slug", read_only=True)
    status = serializers.ChoiceField(choices=choices.CaseStatus.choices, read_only=True)
    assigned_to = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.none(),
        allow_null=True,
        required=False,
        help_text="Username. Set by supervisors when opening a case; reassign on the case page.",
    )
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True)
    opened_on = serializers.DateField(read_only=True)
    closed_on = serializers.DateField(read_only=True, allow_null=True)
    closure_reason = serializers.ChoiceField(
        choices=choices.ClosureReason.choices, read_only=True, allow_blank=True
    )
    consent_services = serializers.BooleanField(required=False)
    consent_services_on = serializers.DateField(allow_null=True, required=False)
    consent_data_sharing = serializers.BooleanField(required=False)
    consent_data_sharing_on = serializers.DateField(allow_null=True, required=False)
    consent_withdrawn_on = serializers.DateField(allow_null=True, required=False)
    household = serializers.SlugRelatedField(
        slug_field="reference",
        queryset=Household.objects.none(),
        allow_null=True,
        required=False,
        help_text="Reference of a household of your organisation.",
    )
    household_role = serializers.ChoiceField(
        choices=choices.HouseholdRole.choices, allow_blank=True, required=False
    )
    version = serializers.IntegerField(read_only=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None or "household" not in self.fields:
            return
        self.fields["household"].queryset = Household.objects.visible_to(user)
        staff = access.restrict_users(User.objects.filter(is_active=True), user)
        self.fields["assigned_to"].queryset = staff

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Send a JSON object."]})
        errors = {}
        writable = {name for name, field in self.fields.items() if not field.read_only}
        for name in data:
            if name in READ_ONLY_FIELDS:
                if self.instance is None or data[name] != _rendered(self.fields[name], self.instance):
                    errors[name] = ["This field is set by the server and cannot be changed through the API."]
            elif name == "assigned_to" and self.instance is not None:
                current = self.instance.assigned_to.username if self.instance.assigned_to_id else None
                if data[name] != current:
                    errors[name] = ["Reassign a case on its page (assignment is its own audited action)."]
            elif name not in writable:
                errors[name] = ["Unknown field."]
        if errors:
            raise serializers.ValidationError(errors)
        values = super().to_internal_value(data)
        if self.instance is not None:
            values.pop("assigned_to", None)  # sent back unchanged: nothing to do
        return values


def _rendered(field: serializers.Field, instance: Case):
    """The field's rendering of `instance`, to compare with what a client sent back."""
    attribute = field.get_attribute(instance)
    return None if attribute is None else field.to_representation(attribute)


class AnalystCaseSerializer(_ProfileFields):
    """The anonymised projection for analysts: an opaque id instead of the reference; no free text, no
    staff, no household or organisation; every date at month precision."""

    id = serializers.SerializerMethodField(help_text="Opaque, stable id (changes if the server key rotates).")
    status = serializers.ChoiceField(choices=choices.CaseStatus.choices, read_only=True)
    opened_month = serializers.SerializerMethodField(help_text="YYYY-MM.")
    closed_month = serializers.SerializerMethodField(help_text="YYYY-MM or null.")
    closure_reason = serializers.ChoiceField(
        choices=choices.ClosureReason.choices, read_only=True, allow_blank=True
    )
    consent_services = serializers.BooleanField(read_only=True)
    consent_data_sharing = serializers.BooleanField(read_only=True)

    def get_id(self, case: Case) -> str:
        return anonymise.opaque_id(case)

    def get_opened_month(self, case: Case) -> str:
        return anonymise.month(case.opened_on)

    def get_closed_month(self, case: Case) -> str | None:
        return anonymise.month(case.closed_on)

"""FilterSets of the API's case endpoints, and the strict ordering filter.

Related-object choices are scoped to the user (DESIGN §3.2, STYLE 5): the caseworker filter lists only
the staff of the user's own organisation, so a value naming anyone else is refused like a typo. A value
that is not a valid choice answers 400 naming the parameter (django-filter's backend), never 500.
"""

from __future__ import annotations

import calendar

from django import forms
from django.db.models import Exists, OuterRef
from django_filters import rest_framework as filters
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

from casework import access, choices
from casework.choices import Role
from casework.models import Case, Referral, User
from policies.models import ArmedGroup, Country, Programme


class IntegerFilter(filters.NumberFilter):
    """A whole number: "2019.5" is refused, not rounded."""

    field_class = forms.IntegerField


class StrictBooleanField(forms.NullBooleanField):
    """true/false (or 1/0); anything else is an error rather than "no filter"."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        normalised = str(value).lower()
        if normalised in ("true", "1"):
            return True
        if normalised in ("false", "0"):
            return False
        raise forms.ValidationError("Use true or false.", code="invalid")


class StrictBooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField

    def __init__(self, *args, **kwargs):
        # The usual widgets turn an unknown value into "no filter" before the field can refuse it.
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(*args, **kwargs)


class StrictOrderingFilter(OrderingFilter):
    """`?ordering=` on the view's whitelist; any other term answers 400 naming `ordering`, instead of
    being silently ignored (a client would otherwise believe its list is sorted)."""

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if params:
            terms = [term.strip() for term in params.split(",") if term.strip()]
            valid = {name for name, _label in self.get_valid_fields(queryset, view, {"request": request})}
            unknown = [term for term in terms if term.lstrip("-") not in valid]
            if unknown:
                raise ValidationError(
                    {
                        self.ordering_param: [
                            f"Cannot order by {', '.join(unknown)}; use one of {sorted(valid)}."
                        ]
                    }
                )
            if terms:
                # A unique last key, so that pages do not overlap or skip rows with equal values.
                tiebreaker = getattr(view, "ordering_tiebreaker", None)
                if tiebreaker and tiebreaker not in {term.lstrip("-") for term in terms}:
                    terms.append(tiebreaker)
                return terms
        return self.get_default_ordering(view)


def _staff_of_organisation(request):
    """The caseworker filter's choices: active caseworkers and supervisors the user may see."""
    if request is None:
        return User.objects.none()
    users = access.restrict_users(User.objects.all(), request.user)
    return users.filter(role__in=[Role.CASEWORKER, Role.SUPERVISOR])


def _is_analyst(request) -> bool:
    return request is not None and access.role_of(request.user) == Role.ANALYST


class CaseFilterSet(filters.FilterSet):
    country = filters.ModelChoiceFilter(
        field_name="residence_country",
        to_field_name="code",
        queryset=Country.objects.all(),
        label="Country of residence (ISO 3166-1 alpha-2, e.g. KZ)",
    )
    citizenship = filters.ModelChoiceFilter(
        to_field_name="code", queryset=Country.objects.all(), label="Citizenship (ISO code)"
    )
    status = filters.ChoiceFilter(choices=choices.CaseStatus.choices)
    sex = filters.ChoiceFilter(choices=choices.Sex.choices)
    age_band = filters.ChoiceFilter(choices=choices.AgeBand.choices)
    programme = filters.ModelChoiceFilter(queryset=Programme.objects.all(), label="Return programme (id)")
    return_year = IntegerFilter(field_name="return_month", lookup_expr="year", label="Year of return")
    departure_year = IntegerFilter(label="Year of departure")
    conflict_zone = filters.ChoiceFilter(choices=choices.ConflictZone.choices)
    return_pathway = filters.ChoiceFilter(choices=choices.ReturnPathway.choices)
    affiliation = filters.ChoiceFilter(choices=choices.Affiliation.choices)
    armed_group = filters.ModelChoiceFilter(queryset=ArmedGroup.objects.all(), label="Armed group (id)")
    circumstance = filters.ChoiceFilter(choices=choices.Circumstance.choices)
    vulnerability = filters.ChoiceFilter(
        choices=choices.Vulnerability.choices, method="filter_vulnerability", label="Has this vulnerability"
    )
    driver = filters.ChoiceFilter(
        choices=choices.Driver.choices, method="filter_driver", label="Has this driver"
    )
    has_open_referrals = StrictBooleanFilter(method="filter_open_referrals", label="Has open referrals")
    opened_after = filters.DateFilter(
        method="filter_opened_after", label="Opened on or after (analysts: from the start of that month)"
    )
    opened_before = filters.DateFilter(
        method="filter_opened_before", label="Opened on or before (analysts: to the end of that month)"
    )
    caseworker = filters.ModelChoiceFilter(
        field_name="assigned_to",
        to_field_name="username",
        queryset=_staff_of_organisation,
        label="Assigned caseworker (username; staff of your organisation only)",
    )

    class Meta:
        model = Case
        fields: list[str] = []

    def __init__(self, data=None, *args, **kwargs):
        if data is not None:
            # ISO codes are upper case; "kz" is what people type.
            data = data.copy()
            for name in ("country", "citizenship"):
                if data.get(name):
                    data[name] = data[name].upper()
        super().__init__(data, *args, **kwargs)

    def filter_vulnerability(self, queryset, name, value):
        return queryset.filter(vulnerabilities__has=value)

    def filter_driver(self, queryset, name, value):
        return queryset.filter(drivers__has=value)

    def filter_open_referrals(self, queryset, name, value):
        open_referrals = Referral.objects.filter(
            case=OuterRef("pk"), status__in=choices.OPEN_REFERRAL_STATUSES
        )
        condition = Exists(open_referrals)
        return queryset.filter(condition) if value else queryset.exclude(condition)

    # Analysts see dates at month precision; a day-precise bound would let them find a case's exact
    # opening day by bisection, so their bounds are widened to whole months.
    def filter_opened_after(self, queryset, name, value):
        if _is_analyst(self.request):
            value = value.replace(day=1)
        return queryset.filter(opened_on__gte=value)

    def filter_opened_before(self, queryset, name, value):
        if _is_analyst(self.request):
            value = value.replace(day=calendar.monthrange(value.year, value.month)[1])
        return queryset.filter(opened_on__lte=value)

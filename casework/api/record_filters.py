"""FilterSets of the record endpoints: referrals, assessments, notes, legal proceedings.

Every list starts from a queryset the access module has already scoped (records/views), so a filter
can only narrow it: a case reference of another organisation simply matches nothing. Two rules keep the
analysts' projection anonymised: they may not filter by case reference (that would link a reference to
anonymised rows), and their date bounds are widened to whole months, so no filter recovers the day a
month-precision date hides. A bad value answers 400 naming the filter (django-filter's form errors).
"""

from __future__ import annotations

import calendar

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from rest_framework.exceptions import ValidationError

from casework import access, choices
from casework.models import Assessment, CaseNote, LegalProceeding, Referral, ServiceProvider, ServiceType
from policies.models import Country, LegalFramework, Provision


def reads_full_records(request) -> bool:
    """Staff (who read case pages) get full records; everyone else admitted is an analyst."""
    return access.reads_case_pages(getattr(request, "user", None))


class MonthSafeDateFilter(filters.DateFilter):
    """A date bound that, for analysts, covers the whole month of the date given."""

    def filter(self, qs, value):
        if value and not reads_full_records(getattr(self.parent, "request", None)):
            if self.lookup_expr in ("gte", "gt"):
                value = value.replace(day=1)
            else:
                value = value.replace(day=calendar.monthrange(value.year, value.month)[1])
        return super().filter(qs, value)


def date_range(field: str) -> tuple[MonthSafeDateFilter, MonthSafeDateFilter]:
    return (
        MonthSafeDateFilter(field_name=field, lookup_expr="gte", label=_("on or after (YYYY-MM-DD)")),
        MonthSafeDateFilter(field_name=field, lookup_expr="lte", label=_("on or before (YYYY-MM-DD)")),
    )


class CaseRecordFilter(filters.FilterSet):
    case = filters.CharFilter(method="filter_case", label=_("case reference (staff only)"), max_length=9)

    def filter_case(self, queryset, name, value):
        if not reads_full_records(self.request):
            raise ValidationError({"case": [_("Analysts cannot filter by case reference.")]})
        return queryset.filter(case__reference=value.upper())


class ReferralFilter(CaseRecordFilter):
    status = filters.ChoiceFilter(choices=choices.ReferralStatus.choices)
    service_type = filters.ModelChoiceFilter(
        queryset=ServiceType.objects.all(), to_field_name="code", label=_("service type code")
    )
    # Providers are reference data shared by every organisation: no organisation's own objects.
    provider = filters.ModelChoiceFilter(queryset=ServiceProvider.objects.all())
    referred_after, referred_before = date_range("referred_on")

    class Meta:
        model = Referral
        fields = ["status", "service_type", "provider", "case", "referred_after", "referred_before"]


class AssessmentFilter(CaseRecordFilter):
    assessed_after, assessed_before = date_range("assessed_on")

    class Meta:
        model = Assessment
        fields = ["case", "assessed_after", "assessed_before"]


class NoteFilter(CaseRecordFilter):
    contact_type = filters.ChoiceFilter(choices=choices.ContactType.choices)
    contact_after, contact_before = date_range("contact_on")

    class Meta:
        model = CaseNote
        fields = ["case", "contact_type", "contact_after", "contact_before"]


class LegalProceedingFilter(CaseRecordFilter):
    stage = filters.ChoiceFilter(choices=choices.ProceedingStage.choices)
    framework = filters.ModelChoiceFilter(queryset=LegalFramework.objects.all())
    provision = filters.ModelChoiceFilter(queryset=Provision.objects.all())
    closed_court = filters.BooleanFilter()
    country = filters.ModelChoiceFilter(
        field_name="framework__country",
        queryset=Country.objects.all(),
        to_field_name="code",
        label=_("country of the framework (ISO code)"),
    )

    class Meta:
        model = LegalProceeding
        fields = ["case", "stage", "framework", "provision", "closed_court", "country"]

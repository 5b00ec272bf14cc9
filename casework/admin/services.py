"""Service types, providers, and referrals of cases to them."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from casework.access import AdminArea
from casework.admin.base import BaseAdmin, StackedInline
from casework.admin.records import CaseRecordAdmin
from casework.models import Referral, ServiceProvider, ServiceType
from casework.screening_forms import ScreenedModelForm


@admin.register(ServiceType)
class ServiceTypeAdmin(BaseAdmin):
    admin_area = AdminArea.REFERENCE
    list_display = ("name", "code", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "code")
    ordering = ("name",)
    prepopulated_fields = {"code": ("name",)}


@admin.register(ServiceProvider)
class ServiceProviderAdmin(BaseAdmin):
    admin_area = AdminArea.REFERENCE
    list_display = ("name", "country", "region", "services", "is_active")
    list_filter = ("is_active", "country", "service_types")
    list_select_related = ("country", "region__country")
    list_prefetch_related = ("service_types",)
    search_fields = ("name", "region__name")
    ordering = ("name",)
    autocomplete_fields = ("country", "region")
    filter_horizontal = ("service_types",)

    @admin.display(description=_("services"))
    def services(self, obj):
        return ", ".join(service.name for service in obj.service_types.all()) or "-"


REFERRAL_FIELDS = (
    ("service_type", "provider", "status"),
    ("referred_on", "accepted_on", "started_on", "ended_on"),
    "outcome",
    "outcome_note",
    "confirm_no_identifiers",
)


class ReferralInline(StackedInline):
    model = Referral
    admin_area = AdminArea.CASE_RECORDS
    form = ScreenedModelForm
    fields = (*REFERRAL_FIELDS, "created_by")
    readonly_fields = ("created_by",)
    autocomplete_fields = ("service_type", "provider")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("service_type", "provider", "created_by")


@admin.register(Referral)
class ReferralAdmin(CaseRecordAdmin):
    form = ScreenedModelForm
    list_display = ("case", "service_type", "provider", "status", "referred_on", "ended_on", "outcome")
    list_filter = ("status", "service_type", "outcome", "referred_on", "case__organisation")
    list_select_related = ("case", "service_type", "provider")
    search_fields = ("=case__reference", "provider__name")
    date_hierarchy = "referred_on"
    ordering = ("-created_at",)
    autocomplete_fields = ("case", "service_type", "provider")
    fieldsets = (
        (None, {"fields": ("case", *REFERRAL_FIELDS)}),
        (_("Bookkeeping"), {"fields": ("created_by", "created_at", "updated_at")}),
    )
    readonly_fields = ("created_by", "created_at", "updated_at")

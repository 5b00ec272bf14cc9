"""Households and cases; the case form refuses a stale edit (optimistic locking, DESIGN §3.4).

Organisation administrators read their organisation's cases here; only system administrators change
them. Opening a case, creating or changing it or its records, and assigning it are audit events.
"""

from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, F
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from casework import access, audit
from casework.access import AdminArea
from casework.admin.base import BaseAdmin, LargeTableAdmin, TabularInline, choice_set_filter
from casework.admin.records import AssessmentInline, CaseNoteInline, LegalProceedingInline
from casework.admin.services import ReferralInline
from casework.models import Case, Household
from casework.models.cases import NOT_RECORDED


class HouseholdMemberInline(TabularInline):
    """The cases of a household, to read and open; membership is set on the case."""

    model = Case
    fk_name = "household"
    fields = ("reference", "household_role", "sex", "age_band", "status", "organisation")
    readonly_fields = fields
    show_change_link = True
    verbose_name = _("member")
    verbose_name_plural = _("members")
    admin_area = AdminArea.CASES

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organisation")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Household)
class HouseholdAdmin(BaseAdmin):
    admin_area = AdminArea.CASE_RECORDS
    audits_reads = True
    audits_writes = True
    list_display = ("reference", "organisation", "member_count", "created_at")
    list_filter = ("organisation",)
    list_select_related = ("organisation",)
    # A member's case reference finds the household too.
    search_fields = ("reference", "members__reference")
    ordering = ("reference",)
    autocomplete_fields = ("organisation",)
    readonly_fields = ("reference", "created_at")
    inlines = (HouseholdMemberInline,)

    def get_fields(self, request, obj=None):
        # Before saving, the reference is not drawn yet: showing one would show a wrong one.
        return ("organisation",) if obj is None else ("reference", "organisation", "created_at")

    def changelist_queryset(self, request, queryset):
        return super().changelist_queryset(request, queryset).annotate(member_total=Count("members"))

    @admin.display(description=_("members"), ordering="member_total")
    def member_count(self, obj):
        return obj.member_total


class CaseChangedMeanwhile(Exception):
    """The version check passed, but another save reached the row before this one."""


class CaseAdminForm(forms.ModelForm):
    """Carries the version the case was loaded with, and refuses the save if it is no longer current."""

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding:
            self.fields["loaded_version"].initial = self.instance.version

    def clean(self):
        cleaned_data = super().clean()
        if not self.instance._state.adding:
            self._check_version(cleaned_data.get("loaded_version"))
        return cleaned_data

    def _check_version(self, loaded: int | None) -> None:
        # FOR UPDATE holds the row until the admin's transaction ends, so on PostgreSQL nobody can
        # save between this check and our write. It needs that transaction: changeform_view has one.
        current = (
            type(self.instance)
            ._default_manager.select_for_update()
            .filter(pk=self.instance.pk)
            .values_list("version", flat=True)
            .first()
        )
        if loaded is None or current != loaded:
            raise ValidationError(
                _(
                    "Someone else changed this case while you were editing it, so nothing was saved. "
                    "Open the case again to see their changes, then make yours."
                ),
                code="stale_version",
            )


@admin.register(Case)
class CaseAdmin(LargeTableAdmin):
    admin_area = AdminArea.CASES
    audits_reads = True
    audits_writes = True
    form = CaseAdminForm
    list_display = (
        "reference",
        "organisation",
        "status",
        "assigned_to",
        "sex",
        "age_band",
        "citizenship",
        "month_of_return",
        "opened_on",
    )
    list_filter = (
        "status",
        "organisation",
        "assigned_to",
        "sex",
        "age_band",
        "citizenship",
        "residence_country",
        "return_pathway",
        "conflict_zone",
        "affiliation",
        "circumstance",
        choice_set_filter("vulnerabilities", _("vulnerability")),
        choice_set_filter("drivers", _("driver")),
    )
    list_select_related = ("organisation", "assigned_to", "citizenship")
    search_fields = ("reference", "household__reference")
    date_hierarchy = "opened_on"
    ordering = ("-opened_on", "reference")
    autocomplete_fields = (
        "organisation",
        "assigned_to",
        "citizenship",
        "residence_country",
        "residence_region",
        "programme",
        "armed_group",
        "household",
    )
    readonly_fields = (
        "reference",
        "version",
        "created_by",
        "created_at",
        "updated_at",
        "archived_at",
        "who_accessed",
    )
    fieldsets = (
        (
            _("Profile"),
            {
                "description": _(
                    "%(rule)s Ages are bands, places are regions, returns are months; the reference "
                    "is the only handle on the person."
                )
                % {"rule": NOT_RECORDED},
                "fields": (
                    ("organisation", "assigned_to"),
                    ("sex", "age_band"),
                    "citizenship",
                    ("residence_country", "residence_region"),
                ),
            },
        ),
        (
            _("Return"),
            {"fields": ("return_month", "departure_year", "conflict_zone", ("return_pathway", "programme"))},
        ),
        (_("Background"), {"fields": (("affiliation", "armed_group"), "circumstance", "drivers")}),
        (_("Vulnerabilities"), {"fields": ("vulnerabilities",)}),
        (
            _("Consent"),
            {
                "fields": (
                    ("consent_services", "consent_services_on"),
                    ("consent_data_sharing", "consent_data_sharing_on"),
                    "consent_withdrawn_on",
                )
            },
        ),
        (_("Household"), {"fields": (("household", "household_role"),)}),
        (_("Status & closure"), {"fields": ("status", "opened_on", ("closed_on", "closure_reason"))}),
        (
            _("Bookkeeping"),
            {
                "fields": (
                    ("reference", "version"),
                    ("created_by", "created_at", "updated_at"),
                    "archived_at",
                    "loaded_version",
                )
            },
        ),
    )
    inlines = (CaseNoteInline, ReferralInline, AssessmentInline, LegalProceedingInline)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            # Before saving there is nothing to keep the books on; a reference shown now would be wrong.
            return fieldsets[:-1]
        if access.admin_may(request.user, access.VIEW, AdminArea.AUDIT_TRAIL):
            name, options = fieldsets[-1]
            fieldsets = [*fieldsets[:-1], (name, {**options, "fields": (*options["fields"], "who_accessed")})]
        return fieldsets

    def may_change_object(self, request, obj):
        return access.can_edit_case(request.user, obj)

    @admin.display(description=_("who accessed this case"))
    def who_accessed(self, obj):
        """Everyone who opened or changed the case, in the audit trail (for those who read it)."""
        url = reverse("admin:casework_auditevent_changelist", current_app=self.admin_site.name)
        query = urlencode({"case_reference": obj.reference})
        return format_html('<a href="{}?{}">{}</a>', url, query, _("Audit trail of this case"))

    def after_save_audited(self, request, obj, details, created):
        if "assigned_to" in details:
            audit.record(
                audit.Action.ASSIGN, request=request, obj=obj, details={"assigned_to": details["assigned_to"]}
            )

    @admin.display(description=_("month of return"), ordering="return_month")
    def month_of_return(self, obj):
        return f"{obj.return_month:%Y-%m}"

    def save_model(self, request, obj, form, change):
        if change:
            loaded = form.cleaned_data["loaded_version"]
            # The form's check locked the row on PostgreSQL; on SQLite, which has no row locks, this
            # conditional update is what detects a save that slipped in after the check.
            bumped = (
                self.get_queryset(request).filter(pk=obj.pk, version=loaded).update(version=F("version") + 1)
            )
            if not bumped:
                raise CaseChangedMeanwhile
            obj.version = loaded + 1
        super().save_model(request, obj, form, change)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except CaseChangedMeanwhile:
            # The transaction rolled back, with the inlines. Running the view again shows the user
            # their input with the conflict named, as when the check itself catches it.
            return super().changeform_view(request, object_id, form_url, extra_context)

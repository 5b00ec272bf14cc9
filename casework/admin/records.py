"""What is recorded over the life of a case: notes, assessments, legal proceedings."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from casework.access import AdminArea
from casework.admin.base import LargeTableAdmin, StackedInline, TabularInline
from casework.models import Assessment, CaseNote, LegalProceeding
from casework.screening_forms import ScreenedModelForm

SCORES = tuple(domain.value for domain in Assessment.DOMAINS)


class NoteAuthorMixin:
    """The author may be left empty: the note is then signed by the administrator who saves it."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "author":
            kwargs["required"] = False
            kwargs["help_text"] = _("Leave empty to sign the note as yourself.")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


NOTE_FIELDS = (("contact_on", "contact_type", "author", "restricted"), "text", "confirm_no_identifiers")


class CaseRecordAdmin(LargeTableAdmin):
    """A record of a case on its own page: visible with its case (restricted notes: author and
    supervisors only), read-only for organisation administrators, audited like the case."""

    admin_area = AdminArea.CASE_RECORDS
    audits_reads = True
    audits_writes = True


class CaseNoteInline(NoteAuthorMixin, StackedInline):
    model = CaseNote
    admin_area = AdminArea.CASE_RECORDS
    form = ScreenedModelForm
    fields = NOTE_FIELDS
    autocomplete_fields = ("author",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


@admin.register(CaseNote)
class CaseNoteAdmin(NoteAuthorMixin, CaseRecordAdmin):
    form = ScreenedModelForm
    # The text stays out of the list: free text is read one record at a time.
    list_display = ("contact_on", "case", "contact_type", "author", "restricted")
    list_filter = ("contact_type", "restricted", "contact_on", "case__organisation")
    list_select_related = ("case", "author")
    search_fields = ("=case__reference",)
    date_hierarchy = "contact_on"
    ordering = ("-contact_on", "-created_at")
    autocomplete_fields = ("case", "author")
    fieldsets = (
        (None, {"fields": ("case", *NOTE_FIELDS)}),
        (_("Bookkeeping"), {"fields": ("created_at", "updated_at")}),
    )
    readonly_fields = ("created_at", "updated_at")


class AssessmentInline(TabularInline):
    model = Assessment
    admin_area = AdminArea.CASE_RECORDS
    fields = ("assessed_on", *SCORES, "assessed_by")
    readonly_fields = ("assessed_by",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("assessed_by")


@admin.register(Assessment)
class AssessmentAdmin(CaseRecordAdmin):
    list_display = ("assessed_on", "case", "assessed_by", *SCORES)
    list_filter = ("assessed_on", "case__organisation")
    list_select_related = ("case", "assessed_by")
    search_fields = ("=case__reference",)
    date_hierarchy = "assessed_on"
    ordering = ("-assessed_on", "-id")
    autocomplete_fields = ("case",)
    fieldsets = (
        (None, {"fields": ("case", "assessed_on")}),
        (_("Scores"), {"fields": SCORES, "description": Assessment._meta.get_field("health").help_text}),
        (_("Bookkeeping"), {"fields": ("assessed_by", "created_at")}),
    )
    readonly_fields = ("assessed_by", "created_at")


PROCEEDING_FIELDS = (
    ("framework", "provision", "stage"),
    ("started_on", "ended_on", "closed_court"),
    "outcome",
    "confirm_no_identifiers",
)


class LegalProceedingInline(StackedInline):
    model = LegalProceeding
    admin_area = AdminArea.CASE_RECORDS
    form = ScreenedModelForm
    fields = PROCEEDING_FIELDS
    autocomplete_fields = ("framework", "provision")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("framework__country", "provision")


@admin.register(LegalProceeding)
class LegalProceedingAdmin(CaseRecordAdmin):
    form = ScreenedModelForm
    list_display = ("case", "framework", "provision", "stage", "started_on", "ended_on", "closed_court")
    list_filter = ("stage", "closed_court", "started_on", "framework__country", "case__organisation")
    list_select_related = ("case", "framework__country", "provision")
    search_fields = ("=case__reference", "framework__title", "provision__article")
    date_hierarchy = "started_on"
    ordering = ("-started_on", "-id")
    autocomplete_fields = ("case", "framework", "provision")
    fieldsets = (
        (None, {"fields": ("case", *PROCEEDING_FIELDS)}),
        (_("Bookkeeping"), {"fields": ("created_at", "updated_at")}),
    )
    readonly_fields = ("created_at", "updated_at")

"""The audit trail, read-only: nobody adds, changes or deletes an event through the admin.

System administrators and auditors browse it: by actor (search for the exact username), by the
actor's organisation, by action, by case reference (search, or `?case_reference=…`, which is where a
case's "who accessed this case" link leads), and by date (the date hierarchy, the date filter, or
`?at__gte=2025-01-01&at__lt=2025-02-01` for any range).
"""

from urllib.parse import urlencode

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from casework.access import AdminArea
from casework.admin.base import LargeTableAdmin
from casework.audit import Action
from casework.models import AuditEvent


class ActionFilter(admin.SimpleListFilter):
    """The actions the application writes: listed from the code, not by scanning millions of rows."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return Action.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(action=self.value())
        return queryset


@admin.register(AuditEvent)
class AuditEventAdmin(LargeTableAdmin):
    admin_area = AdminArea.AUDIT_TRAIL
    list_display = (
        "at",
        "actor_username",
        "actor_role",
        "actor_organisation",
        "action",
        "object_type",
        "object_id",
        "case_trail",
        "ip_address",
    )
    # Only filters the indexes answer: the trail grows to millions of rows.
    list_filter = (ActionFilter, "at", "actor_organisation")
    list_select_related = ("actor_organisation",)
    search_fields = ("=case_reference", "=actor_username", "=object_id")
    search_help_text = _("An exact case reference, username or object id.")
    date_hierarchy = "at"
    ordering = ("-at", "-id")
    fields = (
        "at",
        "actor",
        "actor_username",
        "actor_organisation",
        "actor_role",
        "action",
        "object_type",
        "object_id",
        "case_reference",
        "ip_address",
        "details",
    )
    readonly_fields = fields

    @admin.display(description=_("case reference"), ordering="case_reference")
    def case_trail(self, obj):
        """The reference, linking to every event of that case: everyone who accessed it."""
        if not obj.case_reference:
            return "-"
        query = urlencode({"case_reference": obj.case_reference})
        return format_html('<a href="?{}">{}</a>', query, obj.case_reference)

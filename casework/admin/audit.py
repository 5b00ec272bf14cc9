"""The audit trail, read-only: nobody adds, changes or deletes an event through the admin."""

from django.contrib import admin

from casework.admin.base import LargeTableAdmin
from casework.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(LargeTableAdmin):
    list_display = (
        "at",
        "actor_username",
        "actor_role",
        "actor_organisation",
        "action",
        "object_type",
        "object_id",
        "case_reference",
        "ip_address",
    )
    # Only filters the indexes answer: the trail grows to millions of rows.
    list_filter = ("action", "at", "actor_organisation")
    list_select_related = ("actor_organisation",)
    search_fields = ("=case_reference", "=actor_username", "=object_id")
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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

"""Organisations and their users."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from casework.admin.base import AdminDefaultsMixin, BaseAdmin
from casework.models import Organisation, User


@admin.register(Organisation)
class OrganisationAdmin(BaseAdmin):
    list_display = ("name", "slug", "country", "shares_with_analysts", "is_active", "created_at")
    list_filter = ("is_active", "shares_with_analysts", "country")
    list_select_related = ("country",)
    search_fields = ("name", "slug")
    ordering = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("country",)
    readonly_fields = ("created_at",)


ORGANISATION_AND_ROLE = (
    _("Organisation and role"),
    {
        "fields": ("organisation", "role"),
        "description": _(
            "Organisation administrators, supervisors and caseworkers belong to an organisation; "
            "system administrators, analysts and auditors work across organisations."
        ),
    },
)


@admin.register(User)
class UserAdmin(AdminDefaultsMixin, DjangoUserAdmin):
    fieldsets = (DjangoUserAdmin.fieldsets[0], ORGANISATION_AND_ROLE, *DjangoUserAdmin.fieldsets[1:])
    add_fieldsets = (*DjangoUserAdmin.add_fieldsets, ORGANISATION_AND_ROLE)
    list_display = ("username", "role", "organisation", "is_active", "is_staff", "last_login")
    list_filter = ("role", "organisation", "is_active", "is_staff", "is_superuser")
    list_select_related = ("organisation",)
    search_fields = ("username", "first_name", "last_name", "email", "organisation__name")
    ordering = ("username",)
    autocomplete_fields = ("organisation",)
    readonly_fields = ("last_login", "date_joined")

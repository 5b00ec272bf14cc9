"""Organisations and their users.

System administrators manage every organisation and user. An organisation administrator sees only
their own organisation and its users: they change its settings (`access.ORGANISATION_SETTINGS`), and
create, change and deactivate its users, giving only the roles `access.assignable_roles` allows. The
organisation of every user they save is theirs, whatever is posted; no form offers them superuser,
staff, group or permission fields; nobody changes their own role, organisation or active flag; nobody
deletes a user (the trail names them: deactivate instead). Creating and changing either is audited.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from casework import access
from casework.access import AdminArea
from casework.admin import auditing
from casework.admin.base import AdminDefaultsMixin, BaseAdmin, RoleAccessMixin
from casework.choices import Role
from casework.models import Organisation, User


@admin.register(Organisation)
class OrganisationAdmin(BaseAdmin):
    admin_area = AdminArea.ORGANISATIONS
    audits_writes = True
    list_display = ("name", "slug", "country", "shares_with_analysts", "is_active", "created_at")
    list_filter = ("is_active", "shares_with_analysts", "country")
    list_select_related = ("country",)
    search_fields = ("name", "slug")
    ordering = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("country",)
    readonly_fields = ("created_at",)

    def get_queryset(self, request):
        return access.restrict_organisations(super().get_queryset(request), request.user)

    def may_change_object(self, request, obj):
        return access.may_change_organisation(request.user, obj)

    def _settings_only(self, request) -> bool:
        return access.role_of(request.user) != Role.SYSTEM_ADMIN

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if self._settings_only(request):
            settings = access.ORGANISATION_SETTINGS
            return (*readonly, *(name for name in ("name", "slug", "is_active") if name not in settings))
        return readonly

    def get_prepopulated_fields(self, request, obj=None):
        # The short name is filled from the name only where both can be typed.
        return {} if self._settings_only(request) else super().get_prepopulated_fields(request, obj)


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
ROLE_IN_OWN_ORGANISATION = (
    _("Role"),
    {"fields": ("role",), "description": _("The user joins your organisation.")},
)
PERSONAL_INFO = (_("Personal info"), {"fields": ("first_name", "last_name", "email")})
DATES = (_("Important dates"), {"fields": ("last_login", "date_joined")})


class OwnOrganisationFormMixin:
    """Puts the user in the acting organisation administrator's organisation before validation, so
    the model's rules check the user as it will be saved; the form has no organisation field."""

    fixed_organisation_id: int | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organisation_id = self.fixed_organisation_id


@admin.register(User)
class UserAdmin(RoleAccessMixin, AdminDefaultsMixin, DjangoUserAdmin):
    admin_area = AdminArea.USERS
    audits_writes = True
    audit_fields = ("username", "organisation", "role", "is_active", "is_superuser", "is_staff", "password")
    list_display = ("username", "role", "organisation", "is_active", "last_login")
    list_filter = ("role", "organisation", "is_active", "is_superuser")
    list_select_related = ("organisation",)
    search_fields = ("username", "first_name", "last_name", "email", "organisation__name")
    ordering = ("username",)
    autocomplete_fields = ("organisation",)
    readonly_fields = ("last_login", "date_joined")

    def get_queryset(self, request):
        return access.restrict_users(super().get_queryset(request), request.user)

    def may_change_object(self, request, obj):
        return access.may_manage_user(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        # Deactivated, never deleted: the audit trail and the records they signed point at them.
        return False

    def _within_organisation(self, request) -> bool:
        return not access.chooses_organisation(request.user)

    def get_fieldsets(self, request, obj=None):
        # Groups, permissions and the staff flag are left out for everyone: roles decide, not they.
        if obj is None:
            role = ROLE_IN_OWN_ORGANISATION if self._within_organisation(request) else ORGANISATION_AND_ROLE
            return (*DjangoUserAdmin.add_fieldsets, role)
        status = ("is_active",) if self._within_organisation(request) else ("is_active", "is_superuser")
        return (
            DjangoUserAdmin.fieldsets[0],  # username, password
            ORGANISATION_AND_ROLE,
            PERSONAL_INFO,
            (_("Status"), {"fields": status}),
            DATES,
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        if self._within_organisation(request):
            readonly += ("organisation",)
        if obj is not None and obj.pk == request.user.pk:
            readonly += tuple(name for name in access.OWN_ACCOUNT_LOCKED_FIELDS if name not in readonly)
        return readonly

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if not self._within_organisation(request):
            return form
        fixed = {"fixed_organisation_id": request.user.organisation_id}
        return type(form.__name__, (OwnOrganisationFormMixin, form), fixed)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role":
            kwargs["choices"] = [(role.value, role.label) for role in access.assignable_roles(request.user)]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        # The forms offer nothing else; this checks the result whatever was posted.
        if not access.may_save_user(request.user, obj):
            raise PermissionDenied
        super().save_model(request, obj, form, change)

    def user_change_password(self, request, id, form_url=""):
        with self.refusals_audited(request, id):
            response = super().user_change_password(request, id, form_url)
        if request.method == "POST":
            user = request.casework_admin_object
            before = request.casework_admin_before
            # The form saved the same object in place; a refused form left the password as it was.
            auditing.record_saved(request, user, before, ("password",), created=False)
        return response

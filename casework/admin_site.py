"""The admin site admits by role (casework.access), not by Django's `is_staff` flag.

Supervisors, caseworkers and analysts are sent to the admin's sign-in page, as Django does for anyone
the site does not admit; what the admitted see inside is decided per admin (casework/admin/base.py).
"""

from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.contenttypes import views as contenttype_views
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import URLPattern, path

from casework import access


class RoleAuthenticationForm(AdminAuthenticationForm):
    """The admin's sign-in form, refusing those whose role does not use the admin (Django's would
    ask for `is_staff`), with the same message as a wrong password."""

    def confirm_login_allowed(self, user):
        AuthenticationForm.confirm_login_allowed(self, user)  # the inactive check, not is_staff's
        if not access.may_use_admin(user):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class CaseworkAdminSite(admin.AdminSite):
    site_header = "Returnee Casework"
    site_title = "Returnee Casework"
    index_title = "Administration"
    login_form = RoleAuthenticationForm

    def has_permission(self, request) -> bool:
        """The admin is for system administrators, organisation administrators and auditors."""
        return access.may_use_admin(request.user)

    def get_urls(self):
        # Django's "view on site" shortcut looks any object up by content type and id, past every
        # admin's get_queryset: once a model has a page, it would redirect to the page of a case the
        # user may not see, reference and all. This one looks the object up through its admin first.
        return [
            path(str(pattern.pattern), self.admin_view(self.view_on_site), name="view_on_site")
            if isinstance(pattern, URLPattern) and pattern.name == "view_on_site"
            else pattern
            for pattern in super().get_urls()
        ]

    def view_on_site(self, request, content_type_id, object_id):
        """Django's shortcut, for an object the user sees in the admin; 404 for any other."""
        try:
            model = ContentType.objects.get_for_id(int(content_type_id)).model_class()
            model_admin = self.get_model_admin(model)
            visible = model_admin.has_view_permission(request) and (
                model_admin.get_queryset(request).filter(pk=object_id).exists()
            )
        except (ValueError, ValidationError, ContentType.DoesNotExist, NotRegistered):
            visible = False
        if not visible:
            raise Http404("Not found.")
        return contenttype_views.shortcut(request, content_type_id, object_id)

"""Saved report definitions: system administrators manage every one, organisation administrators their
organisation's (which only their organisation's users are offered)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from casework import access
from casework.access import AdminArea
from casework.admin.base import BaseAdmin
from casework.admin.organisations import OwnOrganisationFormMixin
from casework.models import SavedReport


class OwnOrganisationDefinitionForm(OwnOrganisationFormMixin):
    """The organisation is fixed, not a field of the form, so Django leaves out the constraint that a
    name is unique within an organisation; checked here, or the database refuses with a server error."""

    def validate_unique(self):
        super().validate_unique()
        others = {field.name for field in SavedReport._meta.fields} - {"organisation", "name"}
        try:
            self.instance.validate_constraints(exclude=others)
        except ValidationError as error:
            self._update_errors(error)


@admin.register(SavedReport)
class SavedReportAdmin(BaseAdmin):
    admin_area = AdminArea.SAVED_REPORTS
    list_display = ("name", "report", "organisation", "run_link", "updated_at")
    list_filter = ("report", "organisation")
    list_select_related = ("organisation",)
    search_fields = ("name",)
    ordering = ("name",)
    fields = ("name", "report", "parameters", "organisation", "created_by", "created_at", "updated_at")
    readonly_fields = ("created_by", "created_at", "updated_at")

    @admin.display(description=_("run"))
    def run_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("reports:saved-run", args=[obj.pk]), _("Run"))

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if not access.chooses_organisation(request.user):
            fields = [name for name in fields if name != "organisation"]
        return fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if access.chooses_organisation(request.user):
            return form
        # Organisation administrators save definitions for their own organisation only.
        fixed = {"fixed_organisation_id": request.user.organisation_id}
        return type(form.__name__, (OwnOrganisationDefinitionForm, form), fixed)

    def save_model(self, request, obj, form, change):
        if not access.chooses_organisation(request.user):
            if not request.user.organisation_id:
                raise PermissionDenied
            obj.organisation_id = request.user.organisation_id
        super().save_model(request, obj, form, change)

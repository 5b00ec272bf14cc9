"""What every admin of this project shares: access by role, scoped choices, audit events, user stamps.

Access is decided by `casework.access`, never by Django's per-model permissions or groups (roles are
data, not auth groups; `is_staff` plays no part). Each admin names its area (`access.AdminArea`) and the
permission methods ask `access.admin_may`; objects are further limited by `get_queryset`, which starts
from `visible_to(user)` and its siblings in the access module. Everything is arranged so that this one
scoping is enough: the change list, the autocomplete, the choices of every related field and of every
related list filter all start from the related admin's `get_queryset`.

A missing object and an object the user may not see get the same answer, a 404 that names neither
the id nor a reference (Django would redirect with "… with ID … doesn't exist"). An object the user
sees but may not change renders read-only, and a POST to it is refused with 403.
"""

from contextlib import contextmanager

from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.http import Http404

from casework import access, audit
from casework.access import AdminArea
from casework.admin import auditing
from casework.screening_forms import CONFIRM_FIELD

# Who did something is recorded from the signed-in user, never typed: set once when the record is
# created (`created_by`, `assessed_by`), or when left empty (`author`, so that an administrator can
# enter a note on a caseworker's behalf).
STAMPED_ON_CREATION = ("created_by", "assessed_by")
DEFAULTS_TO_USER = ("author",)

# Form fields that only make sense when saving; a read-only page leaves them out.
FORM_ONLY_FIELDS = frozenset({"loaded_version", CONFIRM_FIELD})


def stamp_user(obj, user) -> None:
    field_names = {field.name for field in obj._meta.concrete_fields}
    if obj._state.adding:
        for name in STAMPED_ON_CREATION:
            if name in field_names:
                setattr(obj, name, user)
    for name in DEFAULTS_TO_USER:
        if name in field_names and getattr(obj, f"{name}_id") is None:
            setattr(obj, name, user)


class NotVisible(Http404):
    """A missing object and one the user may not see: one answer for both, echoing neither id nor
    reference, so that the answer does not tell whether the object exists."""

    def __init__(self):
        super().__init__("Not found.")


def without_fields(fieldsets, names: frozenset[str]):
    """The fieldsets with the named fields taken out (of lines of several fields too)."""

    def keep(fields):
        kept = []
        for field in fields:
            if isinstance(field, list | tuple):
                line = tuple(name for name in field if name not in names)
                if line:
                    kept.append(line)
            elif field not in names:
                kept.append(field)
        return tuple(kept)

    return [(name, {**options, "fields": keep(options["fields"])}) for name, options in fieldsets]


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A related-object filter whose choices come from the related admin's `get_queryset`.

    Django lists every row of the related table, so an organisation administrator's filter by
    organisation or by assigned caseworker would name other organisations and their staff.
    """

    def field_choices(self, field, request, model_admin):
        try:
            related_admin = model_admin.admin_site.get_model_admin(field.remote_field.model)
        except NotRegistered:
            return super().field_choices(field, request, model_admin)
        queryset = related_admin.get_queryset(request)
        ordering = related_admin.get_ordering(request)
        if ordering:
            queryset = queryset.order_by(*ordering)
        attname = field.remote_field.get_related_field().attname
        return [(getattr(obj, attname), str(obj)) for obj in queryset]


class RoleAccessMixin:
    """Permissions by role, scoped rows, the 404 for the unseen, and the audit events of an admin.

    - `admin_area`: which row of `access.ADMIN_ACCESS` governs this admin;
    - `audits_reads`: opening a change or history page is an audit event (case content);
    - `audits_writes`: creating and changing objects are audit events, and so are refusals (403, 404);
    - `audit_fields`: the fields whose changes an event records (default: every editable field).
    """

    admin_area: AdminArea
    audits_reads = False
    audits_writes = False
    audit_fields: tuple[str, ...] | None = None

    # --- permissions, from the access module -----------------------------------------------------------

    def may(self, request, action: str) -> bool:
        return access.admin_may(request.user, action, self.admin_area)

    def may_change_object(self, request, obj) -> bool:
        """Object-level rule on top of the area's; admins of cases, users and organisations refine it."""
        return True

    def has_module_permission(self, request):
        return self.may(request, access.VIEW)

    def has_view_permission(self, request, obj=None):
        # An object reaches this only through get_queryset, so it is one the user may see.
        return self.may(request, access.VIEW)

    def has_add_permission(self, request):
        return self.may(request, access.ADD)

    def has_change_permission(self, request, obj=None):
        return self.may(request, access.CHANGE) and (obj is None or self.may_change_object(request, obj))

    def has_delete_permission(self, request, obj=None):
        return self.may(request, access.DELETE) and (obj is None or self.may_change_object(request, obj))

    # --- rows ------------------------------------------------------------------------------------------

    def get_queryset(self, request):
        """The rows this user may see: the model's `visible_to(user)` where it has one (cases and what
        belongs to them), every row of reference data; admins of users and organisations override it."""
        queryset = super().get_queryset(request)
        visible_to = getattr(queryset, "visible_to", None)
        return visible_to(request.user) if visible_to is not None else queryset

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise NotVisible
        # Kept for the audit: what the object was before the form changed it, and which it was.
        request.casework_admin_object = obj
        request.casework_admin_before = auditing.field_values(obj, self.get_audit_fields())
        return obj

    def get_list_filter(self, request):
        return tuple(self._scoped_filter(item) for item in super().get_list_filter(request))

    def _scoped_filter(self, item):
        if not isinstance(item, str):
            return item
        field = get_fields_from_path(self.model, item)[-1]
        if field.is_relation and not field.auto_created:
            return (item, ScopedRelatedFieldListFilter)
        return item

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):
            return without_fields(fieldsets, FORM_ONLY_FIELDS)
        return fieldsets

    # --- audit -----------------------------------------------------------------------------------------

    def get_audit_fields(self) -> tuple[str, ...]:
        return self.audit_fields or auditing.editable_fields(self.model)

    @contextmanager
    def refusals_audited(self, request, object_id=None):
        """Writes a `not_found` or `denied` event for a refusal, outside the view's transaction (which
        the refusal rolls back), then lets the refusal answer."""
        try:
            yield
        except NotVisible:
            if self.audits_writes:
                auditing.record_not_found(request, self.model, object_id)
            raise
        except PermissionDenied:
            if self.audits_writes:
                obj = getattr(request, "casework_admin_object", None)
                auditing.record_denied(request, self.model, obj if isinstance(obj, self.model) else None)
            raise

    def changelist_view(self, request, extra_context=None):
        with self.refusals_audited(request):
            return super().changelist_view(request, extra_context)

    def add_view(self, request, form_url="", extra_context=None):
        with self.refusals_audited(request):
            return super().add_view(request, form_url, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        with self.refusals_audited(request, object_id):
            response = super().change_view(request, object_id, form_url, extra_context)
        if self.audits_reads and request.method == "GET" and response.status_code == 200:
            audit.record(audit.Action.VIEW, request=request, obj=request.casework_admin_object)
        return response

    def history_view(self, request, object_id, extra_context=None):
        with self.refusals_audited(request, object_id):
            response = super().history_view(request, object_id, extra_context)
        if self.audits_reads and response.status_code == 200:
            audit.record(
                audit.Action.VIEW,
                request=request,
                obj=request.casework_admin_object,
                details={"page": "history"},
            )
        return response

    def delete_view(self, request, object_id, extra_context=None):
        with self.refusals_audited(request, object_id):
            return super().delete_view(request, object_id, extra_context)

    def save_model(self, request, obj, form, change):
        """Saves, then records what changed: old → new, free text only as "changed"."""
        before = getattr(request, "casework_admin_before", {}) if change else {}
        super().save_model(request, obj, form, change)
        if self.audits_writes:
            details = auditing.record_saved(request, obj, before, self.get_audit_fields(), created=not change)
            self.after_save_audited(request, obj, details, created=not change)

    def after_save_audited(self, request, obj, details: dict, created: bool) -> None:
        """A hook for events that follow from a save (an assignment)."""


class AdminDefaultsMixin:
    """For model admins and inlines alike.

    Related-object choices come from the related model's admin `get_queryset`. Django would take them
    from the default manager, so a drop-down (and the validation of an autocomplete) could offer a
    record that the related admin's list, once scoped, would not show.
    """

    # Sources are public web pages: a bare "example.org" means https, as Django 6 will assume.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_field_queryset(self, db, db_field, request):
        try:
            related_admin = self.admin_site.get_model_admin(db_field.remote_field.model)
        except NotRegistered:
            return None
        return related_admin.get_queryset(request).using(db)


class HookedChangeList(ChangeList):
    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        return self.model_admin.changelist_queryset(request, queryset)


class BaseAdmin(RoleAccessMixin, AdminDefaultsMixin, admin.ModelAdmin):
    # Prefetches and annotations the list columns need; kept out of `get_queryset` because that
    # queryset also feeds autocompletes and the choices of other admins' forms.
    list_prefetch_related: tuple[str, ...] = ()

    def get_changelist(self, request, **kwargs):
        return HookedChangeList

    def changelist_queryset(self, request, queryset):
        if self.list_prefetch_related:
            queryset = queryset.prefetch_related(*self.list_prefetch_related)
        return queryset

    def save_model(self, request, obj, form, change):
        stamp_user(obj, request.user)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj.delete()
        for instance in instances:
            stamp_user(instance, request.user)
            instance.save()
        formset.save_m2m()
        if self.audits_writes:
            # One event per row added or changed, as if it had been saved on its own page.
            auditing.record_formset(request, formset)


class LargeTableAdmin(BaseAdmin):
    """For tables that grow to 10^5–10^6 rows: no second COUNT(*) over the whole table per page."""

    show_full_result_count = False
    list_per_page = 50


class PreloadedAutocompleteSelect(AutocompleteSelect):
    """Labels the selected record from an object already loaded, instead of querying for it.

    An inline renders one widget per row; without this, every autocomplete of every row costs a query.
    The object is the row's own related record, so this only labels a value the row already holds;
    the choices offered and accepted still come from the related admin's `get_queryset`.
    """

    preloaded = None

    def optgroups(self, name, value, attr=None):
        obj = self.preloaded
        selected = [str(v) for v in value if str(v) not in self.choices.field.empty_values]
        if obj is None or selected != [str(obj.pk)]:
            return super().optgroups(name, value, attr)
        options = [] if self.is_required else [self.create_option(name, "", "", False, 0)]
        label = self.choices.field.label_from_instance(obj)
        options.append(self.create_option(name, obj.pk, label, True, len(options)))
        return [(None, options, 0)]


class PreloadedRelationsFormSet(BaseInlineFormSet):
    """Hands each row's related objects, loaded by the inline's `select_related`, to its widgets."""

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        for name, field in form.fields.items():
            widget = getattr(field.widget, "widget", field.widget)  # inside RelatedFieldWidgetWrapper
            if isinstance(widget, PreloadedAutocompleteSelect):
                model_field = form.instance._meta.get_field(name)
                if model_field.is_cached(form.instance):
                    widget.preloaded = model_field.get_cached_value(form.instance)
        return form


class InlineMixin(AdminDefaultsMixin):
    """Inlines start empty (rows are added with the link), and cost no query per row.

    For that, each foreign key a row shows is in `autocomplete_fields` or `readonly_fields`, and in the
    `select_related` of the inline's `get_queryset`: widgets and read-only values then read the objects
    loaded with the rows.
    """

    extra = 0
    formset = PreloadedRelationsFormSet
    # The area whose rules govern the rows; by default the parent admin's.
    admin_area: AdminArea | None = None

    def _area(self) -> AdminArea:
        return self.admin_area or self.admin_site.get_model_admin(self.parent_model).admin_area

    def _may(self, request, action: str, obj) -> bool:
        """Rows are added, changed or deleted only on a parent the user may change."""
        if not access.admin_may(request.user, action, self._area()):
            return False
        parent_admin = self.admin_site.get_model_admin(self.parent_model)
        return obj is None or parent_admin.has_change_permission(request, obj)

    def has_view_permission(self, request, obj=None):
        return access.admin_may(request.user, access.VIEW, self._area())

    def has_add_permission(self, request, obj):
        return self._may(request, access.ADD, obj)

    def has_change_permission(self, request, obj=None):
        return self._may(request, access.CHANGE, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may(request, access.DELETE, obj)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        visible_to = getattr(queryset, "visible_to", None)
        return visible_to(request.user) if visible_to is not None else queryset

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not self.has_change_permission(request, obj):
            return without_fields(fieldsets, FORM_ONLY_FIELDS)
        return fieldsets

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = PreloadedAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class TabularInline(InlineMixin, admin.TabularInline):
    pass


class StackedInline(InlineMixin, admin.StackedInline):
    pass


def choice_set_filter(field_name: str, title: str) -> type[admin.SimpleListFilter]:
    """A list filter for a MultipleChoiceField: records whose set contains the chosen code."""

    class ChoiceSetFilter(admin.SimpleListFilter):
        parameter_name = field_name

        def lookups(self, request, model_admin):
            return model_admin.model._meta.get_field(field_name).flatchoices

        def queryset(self, request, queryset):
            if self.value():
                return queryset.filter(**{f"{field_name}__has": self.value()})
            return queryset

    ChoiceSetFilter.title = title
    return ChoiceSetFilter


def choice_set_display(obj, field_name: str) -> str:
    # Django's own display looks the whole list up in the choices, which fails on a list.
    field = obj._meta.get_field(field_name)
    return ", ".join(field.display(getattr(obj, field_name))) or "-"

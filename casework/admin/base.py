"""What every admin of this project shares: scoped choices, list-only prefetching, user stamps.

Per-role access in the admin comes later; it will be added in `get_queryset` (from
`Case.objects.visible_to(user)` and its siblings). Everything here is arranged so that one override
there is enough: the change list, the autocomplete and the choices of every related field all start
from the related admin's `get_queryset`.
"""

from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect
from django.db import models
from django.forms.models import BaseInlineFormSet

# Who did something is recorded from the signed-in user, never typed: set once when the record is
# created (`created_by`, `assessed_by`), or when left empty (`author`, so that an administrator can
# enter a note on a caseworker's behalf).
STAMPED_ON_CREATION = ("created_by", "assessed_by")
DEFAULTS_TO_USER = ("author",)


def stamp_user(obj, user) -> None:
    field_names = {field.name for field in obj._meta.concrete_fields}
    if obj._state.adding:
        for name in STAMPED_ON_CREATION:
            if name in field_names:
                setattr(obj, name, user)
    for name in DEFAULTS_TO_USER:
        if name in field_names and getattr(obj, f"{name}_id") is None:
            setattr(obj, name, user)


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


class BaseAdmin(AdminDefaultsMixin, admin.ModelAdmin):
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

"""The legal and programme landscape, maintained by system administrators; everyone else who uses the
admin reads it (access.ADMIN_ACCESS, area "reference")."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from casework.access import AdminArea
from casework.admin.base import BaseAdmin as CaseworkBaseAdmin
from casework.admin.base import StackedInline, TabularInline, choice_set_display, choice_set_filter
from policies.models import (
    ArmedGroup,
    ArmedGroupAlias,
    Country,
    LegalFramework,
    Programme,
    Provision,
    Region,
    ReportedFigure,
)

SOURCE_FIELDS = ("source", "source_url", "is_illustrative")


class BaseAdmin(CaseworkBaseAdmin):
    admin_area = AdminArea.REFERENCE


class RegionInline(TabularInline):
    model = Region
    fields = ("name", "code")


@admin.register(Country)
class CountryAdmin(BaseAdmin):
    list_display = ("name", "code", "is_central_asian")
    list_filter = ("is_central_asian",)
    search_fields = ("name", "=code")
    ordering = ("name",)
    inlines = (RegionInline,)


@admin.register(Region)
class RegionAdmin(BaseAdmin):
    list_display = ("name", "code", "country")
    list_filter = ("country",)
    list_select_related = ("country",)
    search_fields = ("name", "code", "country__name")
    ordering = ("country__name", "name")
    autocomplete_fields = ("country",)

    def get_queryset(self, request):
        # A region is labelled with its country's code, in lists, choices and autocomplete results.
        return super().get_queryset(request).select_related("country")


class ArmedGroupAliasInline(TabularInline):
    model = ArmedGroupAlias
    fields = ("name",)


@admin.register(ArmedGroup)
class ArmedGroupAdmin(BaseAdmin):
    list_display = ("name", "alias_list")
    list_prefetch_related = ("aliases",)
    # Transliterations differ ("Katibat al-Tawhid wal-Jihad", "KTJ"): any alias finds the group.
    search_fields = ("name", "aliases__name")
    ordering = ("name",)
    inlines = (ArmedGroupAliasInline,)

    @admin.display(description=_("aliases"))
    def alias_list(self, obj):
        return ", ".join(alias.name for alias in obj.aliases.all()) or "-"


PROVISION_FIELDS = (
    ("article", "title"),
    ("category", "applies_to"),
    ("penalty_min_years", "penalty_max_years"),
    "summary",
)


class ProvisionInline(StackedInline):
    model = Provision
    fields = (*PROVISION_FIELDS, SOURCE_FIELDS)


@admin.register(LegalFramework)
class LegalFrameworkAdmin(BaseAdmin):
    list_display = ("title", "country", "kind", "status", "adopted_on", "repealed_on", "is_illustrative")
    list_filter = ("kind", "status", "country", "is_illustrative")
    list_select_related = ("country",)
    search_fields = ("title", "country__name", "=country__code")
    date_hierarchy = "adopted_on"
    ordering = ("country__name", "title")
    autocomplete_fields = ("country",)
    filter_horizontal = ("parties",)

    def get_queryset(self, request):
        # A framework is labelled with its country's code, in lists, choices and autocomplete results.
        return super().get_queryset(request).select_related("country")

    fieldsets = (
        (
            None,
            {"fields": ("country", "title", ("kind", "status"), ("adopted_on", "repealed_on"), "summary")},
        ),
        (_("Agreements"), {"fields": ("parties",)}),
        (_("Source"), {"fields": SOURCE_FIELDS}),
    )
    inlines = (ProvisionInline,)


@admin.register(Provision)
class ProvisionAdmin(BaseAdmin):
    list_display = ("__str__", "framework", "category", "applies_to_list", "penalty_range", "is_illustrative")
    list_filter = (
        "category",
        choice_set_filter("applies_to", _("applies to")),
        "framework__country",
        "is_illustrative",
    )
    list_select_related = ("framework__country",)
    search_fields = ("title", "article", "framework__title")
    ordering = ("framework__country__name", "framework__title", "article", "title")
    autocomplete_fields = ("framework",)
    fieldsets = (
        (None, {"fields": ("framework", *PROVISION_FIELDS)}),
        (_("Source"), {"fields": SOURCE_FIELDS}),
    )

    @admin.display(description=_("applies to"))
    def applies_to_list(self, obj):
        return choice_set_display(obj, "applies_to")

    @admin.display(description=_("penalty (years)"))
    def penalty_range(self, obj):
        low, high = obj.penalty_min_years, obj.penalty_max_years
        if low is None and high is None:
            return "-"
        return f"{low if low is not None else '?'}–{high if high is not None else '?'}"


class ReportedFigureInline(TabularInline):
    model = ReportedFigure
    fields = (
        "label",
        "country",
        "qualifier",
        "value",
        "value_high",
        "is_estimate",
        "as_of_year",
        "source",
        "source_url",
    )
    autocomplete_fields = ("country",)


@admin.register(Programme)
class ProgrammeAdmin(BaseAdmin):
    list_display = ("name", "country", "kind", "start_year", "end_year", "is_illustrative")
    list_filter = ("kind", "country", "is_illustrative")
    list_select_related = ("country",)
    search_fields = ("name", "country__name")
    ordering = ("country__name", "name")
    autocomplete_fields = ("country", "frameworks")
    fieldsets = (
        (None, {"fields": ("name", "country", "kind", ("start_year", "end_year"), "description")}),
        (_("Legal basis"), {"fields": ("frameworks",)}),
        (_("Source"), {"fields": SOURCE_FIELDS}),
    )
    inlines = (ReportedFigureInline,)


@admin.register(ReportedFigure)
class ReportedFigureAdmin(BaseAdmin):
    list_display = ("label", "display_value", "programme", "country", "as_of_year", "source")
    list_filter = ("is_estimate", "qualifier", "country", "as_of_year")
    list_select_related = ("programme", "country")
    search_fields = ("label", "source", "programme__name", "country__name")
    ordering = ("label",)
    autocomplete_fields = ("programme", "country")
    fields = (
        "label",
        ("programme", "country"),
        ("qualifier", "value", "value_high"),
        ("is_estimate", "as_of_year"),
        ("source", "source_url"),
    )

"""/api/v1/ reference endpoints: countries, legal-frameworks, provisions, programmes, armed-groups,
service-types.

Reference data describes no person, so every signed-in user reads it (analysts and auditors included);
it is maintained by system administrators in the admin, so the API only reads it: POST, PUT, PATCH and
DELETE answer 405. Reads are not audited (no case is touched). Countries and service types are looked up
by their code (`countries/KZ/`, `service-types/legal-aid/`), the rest by numeric `id`.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions, serializers, viewsets

from casework.models import ServiceType
from policies.models import (
    ArmedGroup,
    Country,
    LegalFramework,
    Programme,
    Provision,
    Region,
    ReportedFigure,
)

# --- Serializers --------------------------------------------------------------------------------------


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "name", "code"]


class CountrySerializer(serializers.ModelSerializer):
    regions = RegionSerializer(many=True, read_only=True)

    class Meta:
        model = Country
        fields = ["code", "name", "is_central_asian", "regions"]


SOURCE_FIELDS = ["source", "source_url", "is_illustrative"]


class LegalFrameworkSerializer(serializers.ModelSerializer):
    # Empty for regional agreements, which have parties instead.
    country = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    parties = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = LegalFramework
        fields = [
            "id",
            "country",
            "parties",
            "title",
            "kind",
            "status",
            "adopted_on",
            "repealed_on",
            "summary",
            *SOURCE_FIELDS,
        ]


class ProvisionSerializer(serializers.ModelSerializer):
    applies_to = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Provision
        fields = [
            "id",
            "framework",
            "article",
            "title",
            "category",
            "applies_to",
            "penalty_min_years",
            "penalty_max_years",
            "summary",
            *SOURCE_FIELDS,
        ]


class ReportedFigureSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReportedFigure
        fields = [
            "label",
            "qualifier",
            "value",
            "value_high",
            "display_value",
            "is_estimate",
            "as_of_year",
            "source",
            "source_url",
        ]


class ProgrammeSerializer(serializers.ModelSerializer):
    country = serializers.SlugRelatedField(slug_field="code", read_only=True)
    frameworks = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    figures = ReportedFigureSerializer(many=True, read_only=True)

    class Meta:
        model = Programme
        fields = [
            "id",
            "country",
            "name",
            "kind",
            "start_year",
            "end_year",
            "description",
            "frameworks",
            "figures",
            *SOURCE_FIELDS,
        ]


class ArmedGroupSerializer(serializers.ModelSerializer):
    aliases = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)

    class Meta:
        model = ArmedGroup
        fields = ["id", "name", "aliases", "description"]


class ServiceTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ServiceType
        fields = ["code", "name", "description", "is_active"]


# --- Filters ------------------------------------------------------------------------------------------


class CountryFilter(filters.FilterSet):
    class Meta:
        model = Country
        fields = ["is_central_asian"]


class LegalFrameworkFilter(filters.FilterSet):
    country = filters.ModelChoiceFilter(
        queryset=Country.objects.all(), to_field_name="code", label=_("country (ISO code)")
    )
    party = filters.ModelChoiceFilter(
        field_name="parties",
        queryset=Country.objects.all(),
        to_field_name="code",
        label=_("party to an agreement (ISO code)"),
    )
    kind = filters.ChoiceFilter(choices=LegalFramework.Kind.choices)
    status = filters.ChoiceFilter(choices=LegalFramework.Status.choices)

    class Meta:
        model = LegalFramework
        fields = ["country", "party", "kind", "status"]


class ProvisionFilter(filters.FilterSet):
    framework = filters.ModelChoiceFilter(queryset=LegalFramework.objects.all())
    category = filters.ChoiceFilter(choices=Provision.Category.choices)

    class Meta:
        model = Provision
        fields = ["framework", "category"]


class ProgrammeFilter(filters.FilterSet):
    country = filters.ModelChoiceFilter(
        queryset=Country.objects.all(), to_field_name="code", label=_("country (ISO code)")
    )
    kind = filters.ChoiceFilter(choices=Programme.Kind.choices)

    class Meta:
        model = Programme
        fields = ["country", "kind"]


class ArmedGroupFilter(filters.FilterSet):
    search = filters.CharFilter(
        method="filter_search", max_length=150, label=_("part of the name or of an alias")
    )

    class Meta:
        model = ArmedGroup
        fields = ["search"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        matching = ArmedGroup.objects.filter(Q(name__icontains=value) | Q(aliases__name__icontains=value))
        return queryset.filter(pk__in=matching.values("pk"))


class ServiceTypeFilter(filters.FilterSet):
    class Meta:
        model = ServiceType
        fields = ["is_active"]


# --- Viewsets -------------------------------------------------------------------------------------------

READ_ERRORS = {
    401: OpenApiResponse(description="Not signed in (no or invalid token)."),
    429: OpenApiResponse(description="Too many requests for this token."),
}


def reference_schema(serializer):
    return extend_schema_view(
        list=extend_schema(
            responses={
                200: serializer(many=True),
                400: OpenApiResponse(description="Bad filter value."),
                **READ_ERRORS,
            }
        ),
        retrieve=extend_schema(
            responses={200: serializer, 404: OpenApiResponse(description="No such entry."), **READ_ERRORS}
        ),
    )


class ReferenceViewSet(viewsets.ReadOnlyModelViewSet):
    """Read-only reference data for every signed-in user; the admin maintains it."""

    permission_classes = [permissions.IsAuthenticated]


@reference_schema(CountrySerializer)
class CountryViewSet(ReferenceViewSet):
    """Countries (ISO 3166-1 alpha-2) with their first-level regions."""

    queryset = Country.objects.none()
    serializer_class = CountrySerializer
    filterset_class = CountryFilter
    ordering_fields = ["name", "code"]
    lookup_field = "code"
    lookup_value_regex = "[^/.]+"  # anything else than a code answers the API's JSON 404

    def get_queryset(self):
        return Country.objects.prefetch_related("regions").order_by("name")

    def get_object(self):
        self.kwargs["code"] = self.kwargs["code"].upper()
        return super().get_object()


@reference_schema(LegalFrameworkSerializer)
class LegalFrameworkViewSet(ReferenceViewSet):
    """Laws, amnesties, programmes and agreements; filter by `country`, `party`, `kind`, `status`."""

    queryset = LegalFramework.objects.none()
    serializer_class = LegalFrameworkSerializer
    filterset_class = LegalFrameworkFilter
    ordering_fields = ["title", "adopted_on", "kind", "status"]

    def get_queryset(self):
        return (
            LegalFramework.objects.select_related("country")
            .prefetch_related("parties")
            .order_by("country__name", "title", "pk")
        )


@reference_schema(ProvisionSerializer)
class ProvisionViewSet(ReferenceViewSet):
    """Articles and clauses of the frameworks; filter by `framework`, `category`."""

    queryset = Provision.objects.none()
    serializer_class = ProvisionSerializer
    filterset_class = ProvisionFilter
    ordering_fields = ["article", "title", "category"]

    def get_queryset(self):
        return Provision.objects.order_by("framework_id", "article", "title", "pk")


@reference_schema(ProgrammeSerializer)
class ProgrammeViewSet(ReferenceViewSet):
    """State and NGO programmes with the public figures reported for them (`is_estimate`, `source`)."""

    queryset = Programme.objects.none()
    serializer_class = ProgrammeSerializer
    filterset_class = ProgrammeFilter
    ordering_fields = ["name", "start_year"]

    def get_queryset(self):
        return (
            Programme.objects.select_related("country")
            .prefetch_related("frameworks", "figures")
            .order_by("country__name", "name", "pk")
        )


@reference_schema(ArmedGroupSerializer)
class ArmedGroupViewSet(ReferenceViewSet):
    """Armed groups with their aliases; `?search=` matches part of the name or of any alias."""

    queryset = ArmedGroup.objects.none()
    serializer_class = ArmedGroupSerializer
    filterset_class = ArmedGroupFilter
    ordering_fields = ["name"]

    def get_queryset(self):
        return ArmedGroup.objects.prefetch_related("aliases").order_by("name", "pk")


@reference_schema(ServiceTypeSerializer)
class ServiceTypeViewSet(ReferenceViewSet):
    """The services a case can be referred to; `code` is what referrals name."""

    queryset = ServiceType.objects.none()
    serializer_class = ServiceTypeSerializer
    filterset_class = ServiceTypeFilter
    ordering_fields = ["name", "code"]
    lookup_field = "code"

    def get_queryset(self):
        return ServiceType.objects.order_by("name", "pk")

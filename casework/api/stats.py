"""`stats/cases/` and `stats/referrals/`: counts grouped by up to three dimensions, disclosure-controlled.

Counting happens in the database (one GROUP BY query); every table then goes through
`casework.statistics.suppress` — the same function as the report pages — so no published count lies
between 1 and k−1 and no hidden count can be worked out from the others and the totals (DESIGN §3.5).

Who counts what: staff count the cases they may see (`Case.objects.visible_to`); analysts and system
administrators the cases of organisations that share with analysts (`access.analysable_cases`);
auditors read the trail, not the caseload (403).
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, F, QuerySet
from django.db.models.functions import ExtractYear
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from casework import access, audit, choices
from casework.api.filters import CaseFilterSet
from casework.models import Referral, ServiceType
from casework.statistics import suppress
from policies.models import Country

MAX_DIMENSIONS = 3

# API name -> what to group by: a model field, or an expression giving the published value.
CASE_DIMENSIONS = {
    "return_country": F("residence_country__code"),
    "citizenship": F("citizenship__code"),
    "sex": "sex",
    "age_band": "age_band",
    "status": "status",
    "programme": F("programme__name"),
    "return_year": ExtractYear("return_month"),
    "affiliation": "affiliation",
    "circumstance": "circumstance",
}
REFERRAL_DIMENSIONS = {
    "service_type": F("service_type__code"),
    "status": "status",
    "outcome": "outcome",
}


class ReferralStatsFilterSet(filters.FilterSet):
    """Filters of the referral statistics: no case reference (it would tie a reference to a count)."""

    service_type = filters.ModelChoiceFilter(
        queryset=ServiceType.objects.all(), to_field_name="code", label="Service type (code)"
    )
    status = filters.ChoiceFilter(choices=choices.ReferralStatus.choices)
    outcome = filters.ChoiceFilter(choices=choices.ReferralOutcome.choices)
    country = filters.ModelChoiceFilter(
        field_name="case__residence_country",
        to_field_name="code",
        queryset=Country.objects.all(),
        label="The case's country of residence (ISO code)",
    )

    class Meta:
        model = Referral
        fields: list[str] = []

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and data.get("country"):
            data = data.copy()
            data["country"] = data["country"].upper()
        super().__init__(data, *args, **kwargs)


def _filter_parameters(filterset_class) -> list[OpenApiParameter]:
    return [
        OpenApiParameter(name, OpenApiTypes.STR, description=str(field.label or name))
        for name, field in filterset_class.base_filters.items()
    ]


def _group_by_parameter(dimensions: dict) -> OpenApiParameter:
    return OpenApiParameter(
        "group_by",
        OpenApiTypes.STR,
        required=True,
        description=f"Up to {MAX_DIMENSIONS} of {', '.join(dimensions)}, separated by commas.",
    )


STATS_DESCRIPTION = (
    "Counts per group; a count from 1 to threshold−1, or one that would give such a count "
    'away, is `null` with `"suppressed": true`. A combination not listed in `rows` has a count of 0. '
    "`totals` holds one entry per value of each dimension and the grand total (`all`), suppressed "
    "consistently."
)
STATS_SCHEMA = {
    "type": "object",
    "required": ["threshold", "rows", "totals"],
    "properties": {
        "threshold": {"type": "integer", "description": "k: counts from 1 to k−1 are never shown."},
        "rows": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["count"],
                "properties": {
                    "count": {"type": "integer", "nullable": True},
                    "suppressed": {"type": "boolean"},
                },
                "additionalProperties": True,
            },
        },
        "totals": {"type": "object", "additionalProperties": True},
    },
}
EXAMPLE = OpenApiExample(
    "Two dimensions",
    # Produced by the suppression itself, so the example is consistent: try to recover a hidden cell.
    value=suppress(
        [
            {"return_country": country, "sex": sex, "count": count}
            for country, sex, count in [
                ("KZ", "female", 12),
                ("KZ", "male", 3),
                ("TJ", "female", 8),
                ("TJ", "male", 9),
                ("UZ", "female", 7),
                ("UZ", "male", 6),
            ]
        ],
        dimensions=["return_country", "sex"],
        threshold=5,
    ),
)


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(OpenApiTypes.OBJECT, description=description)


RESPONSES = {
    200: OpenApiResponse(STATS_SCHEMA, description=STATS_DESCRIPTION, examples=[EXAMPLE]),
    400: _error('Bad `group_by` or filter value, each named, e.g. {"group_by": ["…"]}.'),
    401: _error("No or invalid credentials."),
    403: _error("Your role does not read statistics (auditors)."),
    429: _error("Too many requests for this token; retry later."),
}


class _StatsView(APIView):
    """Parse `group_by`, filter, count in one query, suppress, audit one event."""

    permission_classes = [permissions.IsAuthenticated]
    dimensions: dict = {}
    filterset_class: type[filters.FilterSet]
    audit_page = ""

    def base_queryset(self, user) -> QuerySet:
        raise NotImplementedError

    def group_by(self, request: Request) -> list[str]:
        raw = request.query_params.get("group_by", "")
        names = [name.strip() for name in raw.split(",") if name.strip()]
        allowed = ", ".join(self.dimensions)
        if not names:
            raise ValidationError({"group_by": [f"Name one to {MAX_DIMENSIONS} of: {allowed}."]})
        unknown = [name for name in names if name not in self.dimensions]
        if unknown:
            raise ValidationError({"group_by": [f"Cannot group by {', '.join(unknown)}; use {allowed}."]})
        if len(set(names)) != len(names):
            raise ValidationError({"group_by": ["Name each dimension once."]})
        if len(names) > MAX_DIMENSIONS:
            raise ValidationError({"group_by": [f"Group by at most {MAX_DIMENSIONS} dimensions."]})
        return names

    def get(self, request: Request) -> Response:
        queryset = self.base_queryset(request.user)
        dimensions = self.group_by(request)
        filterset = self.filterset_class(request.query_params, queryset=queryset, request=request)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        # Plain fields group by their name; expressions under an alias that cannot clash with a field.
        columns = {
            name: self.dimensions[name] if isinstance(self.dimensions[name], str) else f"dim_{name}"
            for name in dimensions
        }
        expressions = {columns[name]: self.dimensions[name] for name in dimensions if columns[name] != name}
        fields = [name for name in dimensions if columns[name] == name]
        grouped = (
            filterset.qs.order_by()  # a default ordering would split the groups
            .values(*fields, **expressions)
            .annotate(count=Count("id"))
        )
        cells = [
            {name: row[columns[name]] for name in dimensions} | {"count": row["count"]} for row in grouped
        ]
        table = suppress(cells, dimensions=dimensions, threshold=settings.SUPPRESSION_THRESHOLD)
        used_filters = {
            name: request.query_params.get(name) for name in filterset.filters if name in request.query_params
        }
        audit.record(
            audit.Action.VIEW,
            request=request,
            details={"page": self.audit_page, "group_by": dimensions, "filters": used_filters},
        )
        return Response(table)


class CaseStatsView(_StatsView):
    dimensions = CASE_DIMENSIONS
    filterset_class = CaseFilterSet
    audit_page = "api_stats_cases"

    def base_queryset(self, user) -> QuerySet:
        return access.cases_for_statistics(user)

    @extend_schema(
        summary="Case counts by up to three dimensions, with small counts suppressed",
        description="Takes the filters of `cases/`. Staff count the cases they may see; analysts the "
        "cases of organisations that share with analysts.",
        parameters=[_group_by_parameter(CASE_DIMENSIONS), *_filter_parameters(CaseFilterSet)],
        responses=RESPONSES,
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class ReferralStatsView(_StatsView):
    dimensions = REFERRAL_DIMENSIONS
    filterset_class = ReferralStatsFilterSet
    audit_page = "api_stats_referrals"

    def base_queryset(self, user) -> QuerySet:
        return access.referrals_for_statistics(user)

    @extend_schema(
        summary="Referral counts by service type, status and outcome, with small counts suppressed",
        parameters=[_group_by_parameter(REFERRAL_DIMENSIONS), *_filter_parameters(ReferralStatsFilterSet)],
        responses=RESPONSES,
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

"""`/api/v1/cases/` and `/api/v1/cases/<reference>/` (DESIGN §5).

Two projections of the same endpoint, decided by the role (casework.access):

- Staff (caseworkers, supervisors, organisation administrators, system administrators) see the cases
  `Case.objects.visible_to(user)` lets them see, in full, looked up by reference. Caseworkers and
  supervisors write through `casework.services.cases` (the rules of the web forms), with optimistic
  locking: a detail carries `ETag: "<version>"`, PUT and PATCH need `If-Match` (missing → 428, stale →
  412). Organisation administrators only read (403 on writes). Cases are archived, never deleted (405).
- Analysts see the cases of organisations that share with analysts (`access.analysable_cases`), read
  only, anonymised (AnalystCaseSerializer), looked up by their opaque id (casework.api.anonymise).

A case the user may not see answers 404 for every method, whether it exists or not; the body never
repeats what was asked for. Every detail read writes one `view` event; every list page one event with
its row count.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, permissions, serializers, status, viewsets
from rest_framework.response import Response

from casework import access, audit
from casework.api import anonymise
from casework.api.case_serializers import AnalystCaseSerializer, CaseSerializer
from casework.api.filters import CaseFilterSet, StrictOrderingFilter
from casework.audit import Action
from casework.choices import Role
from casework.models import Case
from casework.services.cases import CASE_RECORD_FIELDS, StaleCase, case_create, case_update


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_detail = 'Send the If-Match header with the ETag of the case you loaded, e.g. If-Match: "3".'
    default_code = "precondition_required"


class PreconditionFailed(exceptions.APIException):
    """412, with the current version in the body (and the ETag header) so the client can reload."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"

    def __init__(self, version: int):
        super().__init__("The case was changed since you loaded it; reload it and apply your change again.")
        # Set after APIException's init, which would turn the version into a string.
        self.detail = {"detail": self.detail, "header": "If-Match", "version": version}
        self.version = version


def is_analyst(user) -> bool:
    return access.role_of(user) == Role.ANALYST


def etag(case: Case) -> dict[str, str]:
    return {"ETag": f'"{case.version}"'}


def loaded_version(request, case: Case) -> int:
    """The version the client says it loaded, from If-Match: 428 without one, 412 when stale."""
    header = (request.headers.get("If-Match") or "").strip()
    if not header or header == "*":
        raise PreconditionRequired()
    versions = set()
    for tag in header.split(","):
        tag = tag.strip().removeprefix("W/").strip('"')
        if tag.isdigit():
            versions.add(int(tag))
    if case.version not in versions:
        raise PreconditionFailed(case.version)
    return case.version


def field_errors(error: DjangoValidationError) -> dict:
    """A model's ValidationError as DRF's: each message under its field's name."""
    if not hasattr(error, "error_dict"):
        return {"non_field_errors": list(error.messages)}
    return {
        ("non_field_errors" if name == "__all__" else name): messages
        for name, messages in error.message_dict.items()
    }


class CaseAccess(permissions.BasePermission):
    """Who may use the endpoint at all; which case is decided by the scoped queryset (404) and
    `access.can_edit_case` (403). Auditors read the trail, not cases: 403."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if request.method == "POST":
            return access.can_create_case(user)
        return access.reads_case_pages(user) or is_analyst(user)


CASE_OR_PROJECTION = PolymorphicProxySerializer(
    component_name="CaseOrAnalystCase",
    serializers=[CaseSerializer, AnalystCaseSerializer],
    resource_type_field_name=None,
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description='The ETag of the case as loaded, e.g. "3". Missing → 428; stale → 412.',
)
ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 201],
    description='The case\'s version, quoted ("3"): send it back in If-Match to change the case.',
)
KEY = OpenApiParameter(
    "reference",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The case reference (staff), or the case's opaque id (analysts).",
)


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(OpenApiTypes.OBJECT, description=description)


COMMON = {
    401: _error("No or invalid credentials."),
    403: _error("Your role may not do this (e.g. auditors; organisation administrators writing)."),
    429: _error("Too many requests for this token; retry later."),
}
NOT_FOUND = {404: _error("No such case, or not one you may see (the same answer either way).")}
BAD = {400: _error('Invalid input: each offending field named, e.g. {"programme": ["…"]}.')}
LOCKING = {
    412: _error("Stale If-Match: the body gives the current `version`."),
    428: _error("If-Match missing: the body names the header."),
}


@extend_schema_view(
    list=extend_schema(
        summary="List cases",
        description="Staff: the cases they may see, in full. Analysts: the anonymised projection of the "
        "cases of organisations that share with analysts (opaque `id`, months instead of dates).",
        responses={200: CASE_OR_PROJECTION, **BAD, **COMMON},
    ),
    retrieve=extend_schema(
        summary="One case",
        parameters=[KEY, ETAG],
        responses={200: CASE_OR_PROJECTION, **NOT_FOUND, **COMMON},
    ),
    create=extend_schema(
        summary="Open a case (caseworkers, supervisors)",
        request=CaseSerializer,
        parameters=[ETAG],
        responses={201: CaseSerializer, **BAD, **COMMON},
    ),
    update=extend_schema(
        summary="Replace a case's record",
        request=CaseSerializer,
        parameters=[KEY, IF_MATCH, ETAG],
        responses={200: CaseSerializer, **BAD, **NOT_FOUND, **LOCKING, **COMMON},
    ),
    partial_update=extend_schema(
        summary="Change some fields of a case's record",
        request=CaseSerializer,
        parameters=[KEY, IF_MATCH, ETAG],
        responses={200: CaseSerializer, **BAD, **NOT_FOUND, **LOCKING, **COMMON},
    ),
    destroy=extend_schema(
        summary="Not allowed: cases are archived, never deleted",
        parameters=[KEY],
        responses={405: _error("Cases are archived, never deleted."), **NOT_FOUND, **COMMON},
    ),
)
class CaseViewSet(viewsets.GenericViewSet):
    queryset = Case.objects.none()
    permission_classes = [permissions.IsAuthenticated, CaseAccess]
    filterset_class = CaseFilterSet
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    lookup_field = "reference"
    lookup_value_regex = r"[^/.]+"  # a malformed reference reaches the view and gets the API's JSON 404

    # --- projection -------------------------------------------------------------------------------------

    @property
    def analyst(self) -> bool:
        request = getattr(self, "request", None)
        return request is not None and is_analyst(request.user)

    @property
    def ordering_fields(self) -> list[str]:
        # Ordering by the exact opening day would reveal what the months hide.
        return ["return_month"] if self.analyst else ["opened_on", "return_month", "reference"]

    @property
    def ordering(self) -> list[str]:
        # An analyst's rows in random but stable order within a month (the reference is never shown).
        return ["-return_month", "reference"] if self.analyst else ["-opened_on", "reference"]

    ordering_tiebreaker = "reference"

    def get_serializer_class(self):
        return AnalystCaseSerializer if self.analyst else CaseSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Case.objects.none()
        user = self.request.user
        if self.analyst:
            return access.analysable_cases(Case.objects.all(), user).select_related(
                "citizenship", "residence_country"
            )
        return Case.objects.visible_to(user).select_related(
            "organisation", "assigned_to", "created_by", "household", "citizenship", "residence_country"
        )

    def get_object(self) -> Case:
        """Staff name a case by reference, analysts by opaque id; either way only within the scoped
        queryset, so a foreign, invisible or forged key is 404, and the refusal goes to the trail."""
        key = self.kwargs[self.lookup_field]
        queryset = self.get_queryset()
        if self.analyst:
            pk = anonymise.pk_from_opaque_id(Case, key)
            case = queryset.filter(pk=pk).first() if pk else None
        else:
            case = queryset.filter(reference=key).first()
        if case is None:
            audit.record(
                Action.NOT_FOUND,
                request=self.request,
                case_reference="" if self.analyst else key[:9],
                details={"page": "api_case", "method": self.request.method},
            )
            raise Http404
        return case

    def _check_can_edit(self, case: Case) -> None:
        if self.analyst or not access.can_edit_case(self.request.user, case):
            raise exceptions.PermissionDenied("You may read this case but not change it.")

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if isinstance(exc, PreconditionFailed):
            response["ETag"] = f'"{exc.version}"'
        return response

    # --- reading ----------------------------------------------------------------------------------------

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        data = self.get_serializer(rows, many=True).data
        audit.record(
            Action.VIEW,
            request=request,
            details={"page": "api_case_list", "count": len(rows), "analyst": self.analyst},
        )
        if page is None:
            return Response(data)
        return self.get_paginated_response(data)

    def retrieve(self, request, *args, **kwargs):
        case = self.get_object()
        audit.record(Action.VIEW, request=request, obj=case, details={"page": "api_case"})
        headers = {} if self.analyst else etag(case)
        return Response(self.get_serializer(case).data, headers=headers)

    # --- writing ----------------------------------------------------------------------------------------

    def create(self, request, *args, **kwargs):
        serializer = CaseSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        assigned_to = values.pop("assigned_to", None)
        role = access.role_of(request.user)
        if assigned_to is not None and assigned_to != request.user and not role.can_assign:
            raise serializers.ValidationError({"assigned_to": ["Only supervisors assign a case to someone."]})
        try:
            case = case_create(
                actor=request.user,
                organisation=request.user.organisation,
                data=values,
                assigned_to=assigned_to,
                request=request,
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(field_errors(error)) from error
        data = CaseSerializer(case, context=self.get_serializer_context()).data
        headers = {**etag(case), "Location": request.build_absolute_uri(f"{case.reference}/")}
        return Response(data, status=status.HTTP_201_CREATED, headers=headers)

    def update(self, request, *args, partial: bool = False, **kwargs):
        case = self.get_object()
        self._check_can_edit(case)
        version = loaded_version(request, case)
        serializer = CaseSerializer(
            case, data=request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        changes = {
            name: value for name, value in serializer.validated_data.items() if name in CASE_RECORD_FIELDS
        }
        try:
            updated = case_update(
                actor=request.user, case=case, loaded_version=version, changes=changes, request=request
            )
        except StaleCase as stale:
            raise PreconditionFailed(stale.current.version) from stale
        except DjangoValidationError as error:
            raise serializers.ValidationError(field_errors(error)) from error
        except Case.DoesNotExist as gone:
            raise Http404 from gone
        data = CaseSerializer(updated, context=self.get_serializer_context()).data
        return Response(data, headers=etag(updated))

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        self.get_object()  # 404 first: a refusal must not tell whether the case exists
        raise exceptions.MethodNotAllowed(request.method, detail="Cases are archived, never deleted.")

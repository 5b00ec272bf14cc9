"""/api/v1/referrals/, assessments/, notes/, legal-proceedings/: the records of cases.

Who gets what:
- Staff (those who read case pages: caseworkers, supervisors, organisation administrators, system
  administrators) read the records of the cases they see (`<Model>.objects.visible_to`; restricted notes
  only for their author and supervisors), each with its case's reference, looked up by numeric `id`.
- Analysts read referrals, assessments and proceedings of the cases they may study
  (`access.analysable_cases`) in an anonymised projection: an opaque `id` and `case`, no free text, no
  staff, dates as "YYYY-MM". The notes endpoint is refused them (403), and all of these to auditors:
  neither receives case content.
- Writes go through casework/services/records.py, the same rules as the web: POST adds a record to the
  case named by its reference (404 if the user does not see it, 403 if they may only read it);
  PATCH `{"status": …}` moves a referral on (`referral_advance`). Nothing else is changed through the
  API: records are history, so PUT, PATCH of other records and DELETE answer 405 (a referral is
  cancelled, not deleted) — after the object lookup, so another organisation's id is 404 for every
  method and a 405 never confirms that a record exists.

Every list page writes one `view` event with its count, every detail read one `view` event naming the
record (and, through it, its case).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.response import Response

from casework import access, audit, choices
from casework.api.anonymise import month, opaque_id, opaque_id_for, pk_from_opaque_id
from casework.api.record_filters import (
    AssessmentFilter,
    LegalProceedingFilter,
    NoteFilter,
    ReferralFilter,
    reads_full_records,
)
from casework.audit import Action
from casework.choices import Role
from casework.models import (
    Assessment,
    Case,
    CaseNote,
    LegalProceeding,
    Referral,
    ServiceProvider,
    ServiceType,
)
from casework.services import records as services
from policies.models import LegalFramework, Provision

DOMAINS = tuple(domain.value for domain in Assessment.DOMAINS)
NUMERIC_ID_RE = re.compile(r"^[0-9]{1,18}$")

# --- Errors -------------------------------------------------------------------------------------------


def as_api_error(
    exc: DjangoValidationError, renames: Mapping[str, str] | None = None
) -> exceptions.ValidationError:
    """A model's or service's ValidationError as DRF's 400, each message under the field it names."""
    renames = renames or {}
    if not hasattr(exc, "error_dict"):
        return exceptions.ValidationError({"non_field_errors": exc.messages})
    detail: dict[str, list[str]] = {}
    for field, messages in exc.message_dict.items():
        name = "non_field_errors" if field == "__all__" else renames.get(field, field)
        detail.setdefault(name, []).extend(messages)
    return exceptions.ValidationError(detail)


class StrictSerializer(serializers.Serializer):
    """An input serializer that names unknown (or read-only) fields instead of ignoring them."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise exceptions.ValidationError(
                    {name: [_("Unknown field, or one that cannot be set.")] for name in unknown}
                )
        return super().to_internal_value(data)


# --- Output: staff ------------------------------------------------------------------------------------


class StaffRecordSerializer(serializers.ModelSerializer):
    case = serializers.CharField(source="case.reference", read_only=True, help_text=_("case reference"))


class ReferralSerializer(StaffRecordSerializer):
    service_type = serializers.CharField(source="service_type.code", read_only=True)
    # Empty until the referral has ended: the schema must allow "" besides the outcomes.
    outcome = serializers.ChoiceField(
        choices=choices.ReferralOutcome.choices, allow_blank=True, read_only=True
    )
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True)

    class Meta:
        model = Referral
        fields = [
            "id",
            "case",
            "service_type",
            "provider",
            "status",
            "referred_on",
            "accepted_on",
            "started_on",
            "ended_on",
            "outcome",
            "outcome_note",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class AssessmentSerializer(StaffRecordSerializer):
    assessed_by = serializers.CharField(source="assessed_by.username", read_only=True, allow_null=True)

    class Meta:
        model = Assessment
        fields = ["id", "case", "assessed_on", *DOMAINS, "assessed_by", "created_at"]
        read_only_fields = fields


class NoteSerializer(StaffRecordSerializer):
    author = serializers.CharField(source="author.username", read_only=True)

    class Meta:
        model = CaseNote
        fields = [
            "id",
            "case",
            "contact_on",
            "contact_type",
            "text",
            "restricted",
            "author",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class LegalProceedingSerializer(StaffRecordSerializer):
    class Meta:
        model = LegalProceeding
        fields = [
            "id",
            "case",
            "framework",
            "provision",
            "stage",
            "started_on",
            "ended_on",
            "closed_court",
            "outcome",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


# --- Output: analysts ---------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "nullable": True, "example": "2024-03"})
class MonthField(serializers.ReadOnlyField):
    """A date at month precision: "YYYY-MM"."""

    def to_representation(self, value):
        return month(value)


class AnonymisedRecordSerializer(serializers.Serializer):
    """Opaque ids for the record and its case; no reference, staff or free text; months, not days."""

    id = serializers.SerializerMethodField(help_text=_("opaque, stable id"))
    case = serializers.SerializerMethodField(help_text=_("opaque, stable id of the case"))

    @extend_schema_field(OpenApiTypes.STR)
    def get_id(self, obj) -> str:
        return opaque_id(obj)

    @extend_schema_field(OpenApiTypes.STR)
    def get_case(self, obj) -> str:
        return opaque_id_for(Case, obj.case_id)


class AnonymisedReferralSerializer(AnonymisedRecordSerializer):
    service_type = serializers.CharField(source="service_type.code", read_only=True)
    provider = serializers.IntegerField(source="provider_id", read_only=True, allow_null=True)
    status = serializers.CharField(read_only=True)
    referred_on = MonthField()
    accepted_on = MonthField()
    started_on = MonthField()
    ended_on = MonthField()
    outcome = serializers.CharField(read_only=True)


class AnonymisedAssessmentSerializer(AnonymisedRecordSerializer):
    assessed_on = MonthField()


for _domain in DOMAINS:
    AnonymisedAssessmentSerializer._declared_fields[_domain] = serializers.IntegerField(
        read_only=True, allow_null=True
    )


class AnonymisedLegalProceedingSerializer(AnonymisedRecordSerializer):
    framework = serializers.IntegerField(source="framework_id", read_only=True)
    provision = serializers.IntegerField(source="provision_id", read_only=True, allow_null=True)
    stage = serializers.CharField(read_only=True)
    started_on = MonthField()
    ended_on = MonthField()
    closed_court = serializers.BooleanField(read_only=True)


# --- Input ----------------------------------------------------------------------------------------------


class NewRecordSerializer(StrictSerializer):
    case = serializers.CharField(max_length=9, help_text=_("reference of the case, e.g. K7QF-29XA"))


class ScreenedInput(serializers.Serializer):
    confirm_no_identifiers = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_(
            "Send true only after a 400 warning about the text, once you have made sure it identifies "
            "no one; the confirmation is audited."
        ),
    )


class NewReferralSerializer(NewRecordSerializer):
    service_type = serializers.SlugRelatedField(
        slug_field="code", queryset=ServiceType.objects.filter(is_active=True)
    )
    provider = serializers.PrimaryKeyRelatedField(
        queryset=ServiceProvider.objects.filter(is_active=True), required=False, allow_null=True
    )
    referred_on = serializers.DateField(required=False, allow_null=True)


class ReferralAdvanceSerializer(StrictSerializer, ScreenedInput):
    status = serializers.ChoiceField(choices=choices.ReferralStatus.choices)
    on_date = serializers.DateField(required=False, help_text=_("date of the move; today if omitted"))
    outcome = serializers.ChoiceField(
        choices=choices.ReferralOutcome.choices, required=False, allow_blank=True
    )
    outcome_note = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    from_status = serializers.ChoiceField(
        choices=choices.ReferralStatus.choices,
        required=False,
        help_text=_("the status the client saw; refused with 400 if the referral has moved since"),
    )


class NewAssessmentSerializer(NewRecordSerializer):
    assessed_on = serializers.DateField()


for _domain in DOMAINS:
    NewAssessmentSerializer._declared_fields[_domain] = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=5
    )


class NewNoteSerializer(NewRecordSerializer, ScreenedInput):
    contact_on = serializers.DateField()
    contact_type = serializers.ChoiceField(choices=choices.ContactType.choices)
    text = serializers.CharField(trim_whitespace=False)
    restricted = serializers.BooleanField(required=False, default=False)


class NewLegalProceedingSerializer(NewRecordSerializer, ScreenedInput):
    framework = serializers.PrimaryKeyRelatedField(queryset=LegalFramework.objects.all())
    provision = serializers.PrimaryKeyRelatedField(
        queryset=Provision.objects.all(), required=False, allow_null=True
    )
    stage = serializers.ChoiceField(choices=choices.ProceedingStage.choices)
    started_on = serializers.DateField()
    ended_on = serializers.DateField(required=False, allow_null=True)
    closed_court = serializers.BooleanField(required=False, default=False)
    outcome = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


# --- Access ---------------------------------------------------------------------------------------------


class RecordAccess(permissions.BasePermission):
    """Staff read (and, case by case, write); analysts only read, where the endpoint admits them;
    auditors and everyone else get 403 — the same for every id, so nothing about an object leaks."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if access.reads_case_pages(user):
            return True
        return (
            view.analysts_allowed
            and access.role_of(user) == Role.ANALYST
            and request.method in permissions.SAFE_METHODS
        )


# --- Schema helpers -------------------------------------------------------------------------------------

R400 = OpenApiResponse(description="Invalid input or filter value; the body names each field.")
R401 = OpenApiResponse(description="Not signed in (no or invalid token).")
R403 = OpenApiResponse(
    description="Your role may not do this (analysts: read only; auditors: no case content)."
)
R404 = OpenApiResponse(description="No such record, or not one you may see.")
R405 = OpenApiResponse(description="Records are history: this method is not offered.")
R429 = OpenApiResponse(description="Too many requests for this token.")


def _output(staff, analyst, name: str):
    if analyst is None:
        return staff
    return PolymorphicProxySerializer(
        component_name=name, serializers=[staff, analyst], resource_type_field_name=None
    )


def record_schema(staff, analyst, new, name: str, *, advance=None):
    """The documented answers of one record endpoint (see the module docstring)."""
    out = _output(staff, analyst, name)
    read_errors = {401: R401, 403: R403, 429: R429}
    views = {
        "list": extend_schema(responses={200: out, 400: R400, **read_errors}),
        "retrieve": extend_schema(responses={200: out, 404: R404, **read_errors}),
        "create": extend_schema(request=new, responses={201: staff, 400: R400, 404: R404, **read_errors}),
        "update": extend_schema(request=None, responses={404: R404, 405: R405, **read_errors}),
        "destroy": extend_schema(responses={404: R404, 405: R405, **read_errors}),
    }
    if advance is None:
        views["partial_update"] = extend_schema(request=None, responses={404: R404, 405: R405, **read_errors})
    else:
        views["partial_update"] = extend_schema(
            request=advance,
            responses={200: staff, 400: R400, 404: R404, **read_errors},
            description="Move the referral on: `status` (and `on_date`, `outcome`, `outcome_note`).",
        )
    return extend_schema_view(**views)


# --- Viewsets -------------------------------------------------------------------------------------------


class CaseRecordViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Shared behaviour of the four record endpoints; subclasses name their model and serializers."""

    permission_classes = [permissions.IsAuthenticated, RecordAccess]
    model: type = Referral
    audit_name = ""
    analysts_allowed = True
    staff_serializer = ReferralSerializer
    analyst_serializer: type | None = None
    new_serializer = NewRecordSerializer
    related: tuple[str, ...] = ("case",)
    analyst_related: tuple[str, ...] = ()
    error_renames: Mapping[str, str] = {}

    # -- reading

    def analyst_view(self) -> bool:
        return not reads_full_records(self.request)

    def get_queryset(self):
        user = self.request.user
        order = [*self.model._meta.ordering, "-pk"]
        if self.analyst_view():
            studied = access.analysable_cases(Case.objects.all(), user)
            queryset = self.model.objects.filter(case__in=studied.values("pk"))
            return queryset.select_related(*self.analyst_related).order_by(*order)
        return self.model.objects.visible_to(user).select_related(*self.related).order_by(*order)

    def get_serializer_class(self):
        if self.action == "create":
            return self.new_serializer
        if self.analyst_view() and self.analyst_serializer is not None:
            return self.analyst_serializer
        return self.staff_serializer

    def get_object(self):
        """The record by `id` (numeric for staff, opaque for analysts) in the user's scope, else 404."""
        value = str(self.kwargs.get(self.lookup_url_kwarg or self.lookup_field, ""))
        if self.analyst_view():
            pk = pk_from_opaque_id(self.model, value)
        else:
            pk = int(value) if NUMERIC_ID_RE.match(value) else None
        obj = self.get_queryset().filter(pk=pk).first() if pk else None
        if obj is None:
            audit.record(
                Action.NOT_FOUND,
                request=self.request,
                details={"page": f"api_{self.audit_name}_detail", "method": self.request.method},
            )
            raise Http404
        return obj

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        results = (
            response.data.get("results", response.data) if isinstance(response.data, dict) else response.data
        )
        audit.record(
            Action.VIEW,
            request=request,
            details={"page": f"api_{self.audit_name}_list", "count": len(results)},
        )
        return response

    def retrieve(self, request, *args, **kwargs):
        obj = self.get_object()
        audit.record(Action.VIEW, request=request, obj=obj, details={"page": f"api_{self.audit_name}_detail"})
        return Response(self.get_serializer(obj).data)

    # -- writing

    def create(self, request, *args, **kwargs):
        serializer = self.new_serializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        case = audit.audited_case(request, data.pop("case"), write=True, page=f"api_{self.audit_name}_create")
        try:
            obj = self.add(case, data)
        except DjangoValidationError as exc:
            raise as_api_error(exc, self.error_renames) from exc
        return Response(
            self.staff_serializer(obj, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    def add(self, case: Case, data: dict):
        raise NotImplementedError

    def _refuse_method(self):
        self.get_object()  # 404 first: a refusal must not confirm the record exists
        raise exceptions.MethodNotAllowed(self.request.method)

    def update(self, request, *args, **kwargs):
        self._refuse_method()

    def partial_update(self, request, *args, **kwargs):
        self._refuse_method()

    def destroy(self, request, *args, **kwargs):
        self._refuse_method()


@record_schema(
    ReferralSerializer,
    AnonymisedReferralSerializer,
    NewReferralSerializer,
    "ReferralRecord",
    advance=ReferralAdvanceSerializer,
)
class ReferralViewSet(CaseRecordViewSet):
    """Referrals to services. PATCH `{"status": …}` moves one on (forward one step, or to an
    alternative open from where it is: declined, dropped out, cancelled)."""

    model = Referral
    audit_name = "referral"
    staff_serializer = ReferralSerializer
    analyst_serializer = AnonymisedReferralSerializer
    new_serializer = NewReferralSerializer
    filterset_class = ReferralFilter
    ordering_fields = ["referred_on", "ended_on", "status", "created_at"]
    related = ("case", "service_type", "created_by")
    analyst_related = ("service_type",)

    def add(self, case, data):
        return services.referral_add(actor=self.request.user, case=case, request=self.request, **data)

    def partial_update(self, request, *args, **kwargs):
        referral = self.get_object()
        # Who may not change the case learns that before anything about their input.
        if not access.can_edit_case(request.user, referral.case):
            audit.record(
                Action.DENIED,
                request=request,
                obj=referral,
                details={"page": "api_referral_detail", "method": request.method},
            )
            raise PermissionDenied
        serializer = ReferralAdvanceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        to_status = data["status"]
        date_field = services.DATE_OF_STATUS.get(to_status, "")
        try:
            services.referral_advance(
                actor=request.user,
                referral=referral,
                to_status=to_status,
                on_date=data.get("on_date") or timezone.localdate(),
                outcome=data.get("outcome", ""),
                outcome_note=data.get("outcome_note", ""),
                from_status=data.get("from_status"),
                identifiers_confirmed=data["confirm_no_identifiers"],
                request=request,
            )
        except DjangoValidationError as exc:
            raise as_api_error(exc, {"to_status": "status", date_field: "on_date"}) from exc
        return Response(ReferralSerializer(referral, context=self.get_serializer_context()).data)


@record_schema(
    AssessmentSerializer, AnonymisedAssessmentSerializer, NewAssessmentSerializer, "AssessmentRecord"
)
class AssessmentViewSet(CaseRecordViewSet):
    """Dated scores (1–5) over the reintegration domains."""

    model = Assessment
    audit_name = "assessment"
    staff_serializer = AssessmentSerializer
    analyst_serializer = AnonymisedAssessmentSerializer
    new_serializer = NewAssessmentSerializer
    filterset_class = AssessmentFilter
    ordering_fields = ["assessed_on", "created_at"]
    related = ("case", "assessed_by")

    def add(self, case, data):
        assessed_on = data.pop("assessed_on")
        return services.assessment_add(
            actor=self.request.user, case=case, assessed_on=assessed_on, scores=data, request=self.request
        )


@record_schema(NoteSerializer, None, NewNoteSerializer, "NoteRecord")
class NoteViewSet(CaseRecordViewSet):
    """Dated contacts and their text: staff only, never analysts; restricted notes only for their
    author and supervisors. Text that looks like it identifies someone is refused (400 naming `text`)
    unless `confirm_no_identifiers` is true."""

    model = CaseNote
    audit_name = "note"
    analysts_allowed = False
    staff_serializer = NoteSerializer
    new_serializer = NewNoteSerializer
    filterset_class = NoteFilter
    ordering_fields = ["contact_on", "created_at"]
    related = ("case", "author")

    def add(self, case, data):
        confirmed = data.pop("confirm_no_identifiers")
        return services.note_add(
            actor=self.request.user, case=case, identifiers_confirmed=confirmed, request=self.request, **data
        )


@record_schema(
    LegalProceedingSerializer,
    AnonymisedLegalProceedingSerializer,
    NewLegalProceedingSerializer,
    "LegalProceedingRecord",
)
class LegalProceedingViewSet(CaseRecordViewSet):
    """The case's path through a legal framework and, optionally, one of its provisions."""

    model = LegalProceeding
    audit_name = "legal_proceeding"
    staff_serializer = LegalProceedingSerializer
    analyst_serializer = AnonymisedLegalProceedingSerializer
    new_serializer = NewLegalProceedingSerializer
    filterset_class = LegalProceedingFilter
    ordering_fields = ["started_on", "ended_on", "stage", "created_at"]
    related = ("case",)

    def add(self, case, data):
        confirmed = data.pop("confirm_no_identifiers")
        return services.proceeding_add(
            actor=self.request.user, case=case, identifiers_confirmed=confirmed, request=self.request, **data
        )

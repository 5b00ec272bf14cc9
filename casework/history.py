"""Field history of a case and its records, and restoring an earlier version of the case.

django-simple-history keeps a row per saved version of Case, CaseNote, Referral, Assessment and
LegalProceeding. The history page shows, newest first, who changed which fields from what to what;
free text (a note, an outcome) shows only that it changed, never its words, so the page stays safe to
show on a screen. Each list is paged and fetched in a fixed number of queries, however long the history.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F, OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from casework import access, audit
from casework.audit import Action
from casework.fields import MultipleChoiceField
from casework.models import Assessment, Case, CaseNote, LegalProceeding, Referral
from policies.models import LegalFramework, Region

PER_PAGE = 20

# Never shown as changes: identity, the case a record belongs to, and bookkeeping.
BOOKKEEPING = frozenset({"id", "case", "reference", "version", "created_at", "updated_at"})

# What "restore this version" puts back: the case's record of the person. Left as they are:
# the reference, organisation, version and timestamps (bookkeeping); status, closure and archiving (they
# move through closure and archiving, each with its own decision and audit event); the assignment (done
# by assigning); and consent, which only the person gives or withdraws — restoring a version from before
# a withdrawal must never give consent back.
RESTORABLE_CASE_FIELDS = (
    "opened_on",
    "sex",
    "age_band",
    "citizenship",
    "residence_country",
    "residence_region",
    "return_month",
    "departure_year",
    "conflict_zone",
    "return_pathway",
    "programme",
    "affiliation",
    "armed_group",
    "circumstance",
    "drivers",
    "vulnerabilities",
    "household",
    "household_role",
)

# str() of these reads a related row; fetch it with them.
LABEL_RELATED = {Region: ("country",), LegalFramework: ("country",)}

HISTORY_TYPES = {"+": _("created"), "~": _("changed"), "-": _("deleted")}


# --- Reading the history -----------------------------------------------------------------------------


@dataclass
class Change:
    label: str
    field: models.Field
    old: Any
    new: Any
    free_text: bool = False
    old_display: str = ""
    new_display: str = ""


@dataclass
class Version:
    record: Any  # a historical row
    kind: str
    changes: list[Change] = field(default_factory=list)
    restorable: bool = False

    @property
    def kind_label(self) -> str:
        return str(HISTORY_TYPES.get(self.kind, self.kind))

    @property
    def who(self) -> str:
        user = self.record.history_user
        return user.get_username() if user is not None else ""


@dataclass
class Section:
    key: str
    title: str
    item: str
    versions: list[Version]
    page: int
    has_next: bool

    @property
    def page_param(self) -> str:
        return f"{self.key}_page"


def _tracked_fields(model: type[models.Model]) -> list[models.Field]:
    history_fields = {f.attname for f in model.history.model._meta.concrete_fields}
    return [
        f for f in model._meta.concrete_fields if f.name not in BOOKKEEPING and f.attname in history_fields
    ]


def _is_free_text(model_field: models.Field) -> bool:
    return isinstance(model_field, models.TextField)


class Labels:
    """Names for the related rows a page mentions, fetched in one query per related model."""

    def __init__(self) -> None:
        self.wanted: dict[type[models.Model], set] = defaultdict(set)
        self.found: dict[type[models.Model], dict] = {}

    def want(self, model_field: models.Field, value: Any) -> None:
        if model_field.is_relation and value is not None:
            self.wanted[model_field.related_model].add(value)

    def fetch(self) -> None:
        for model, ids in self.wanted.items():
            queryset = model._base_manager.select_related(*LABEL_RELATED.get(model, ()))
            self.found[model] = queryset.in_bulk(ids)

    def display(self, model_field: models.Field, value: Any) -> str:
        if value is None or value == "" or value == []:
            return "—"
        if model_field.is_relation:
            obj = self.found.get(model_field.related_model, {}).get(value)
            return str(obj) if obj is not None else str(_("(removed, id %(id)s)") % {"id": value})
        if isinstance(model_field, MultipleChoiceField):
            return ", ".join(model_field.display(value))
        if model_field.choices:
            return str(dict(model_field.flatchoices).get(value, value))
        if isinstance(value, bool):
            return str(_("yes") if value else _("no"))
        return str(value)


def _page_number(request: HttpRequest, key: str) -> int:
    try:
        return max(1, int(request.GET.get(f"{key}_page", 1)))
    except ValueError:
        return 1


def _versions(
    visible: models.QuerySet, model: type[models.Model], page: int, labels: Labels
) -> tuple[list[Version], bool]:
    """One page of versions, newest first, each compared with the version before it (of the same row,
    among those the user may see). Two queries at most: the page, and predecessors not on it."""
    previous_id = (
        visible.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id"))
        .order_by("-history_id")
        .values("history_id")[:1]
    )
    start = (page - 1) * PER_PAGE
    rows = list(
        visible.select_related("history_user")
        .annotate(previous_history_id=Subquery(previous_id))
        .order_by("-history_date", "-history_id")[start : start + PER_PAGE + 1]
    )
    has_next = len(rows) > PER_PAGE
    rows = rows[:PER_PAGE]
    by_id = {row.history_id: row for row in rows}
    missing = [row.previous_history_id for row in rows if row.previous_history_id not in (None, *by_id)]
    if missing:
        by_id.update(model.history.model._base_manager.in_bulk(missing))

    tracked = _tracked_fields(model)
    versions = []
    for row in rows:
        previous = by_id.get(row.previous_history_id) if row.previous_history_id else None
        version = Version(record=row, kind=row.history_type)
        if row.history_type != "-":
            for model_field in tracked:
                new = getattr(row, model_field.attname)
                old = getattr(previous, model_field.attname) if previous is not None else None
                if old == new or (previous is None and new in (None, "", [])):
                    continue
                free_text = _is_free_text(model_field)
                if not free_text:
                    labels.want(model_field, old)
                    labels.want(model_field, new)
                version.changes.append(
                    Change(str(model_field.verbose_name), model_field, old, new, free_text=free_text)
                )
        versions.append(version)
    return versions, has_next


def history_sections(request: HttpRequest, case: Case) -> list[Section]:
    """The case's versions, then those of its notes, referrals, assessments and proceedings. Records
    follow the access module: a restricted note's versions only for those who may read restricted notes
    (or wrote it)."""
    user = request.user
    sources = (
        ("case", _("The case"), Case, case.history.all()),
        (
            "notes",
            _("Notes"),
            CaseNote,
            access.restrict_notes(CaseNote.history.filter(case_id=case.pk), user),
        ),
        (
            "referrals",
            _("Referrals"),
            Referral,
            access.restrict_cases(Referral.history.filter(case_id=case.pk), user, prefix="case__"),
        ),
        (
            "assessments",
            _("Assessments"),
            Assessment,
            access.restrict_cases(Assessment.history.filter(case_id=case.pk), user, prefix="case__"),
        ),
        (
            "proceedings",
            _("Legal proceedings"),
            LegalProceeding,
            access.restrict_cases(LegalProceeding.history.filter(case_id=case.pk), user, prefix="case__"),
        ),
    )
    labels = Labels()
    sections = []
    for key, title, model, visible in sources:
        page = _page_number(request, key)
        versions, has_next = _versions(visible, model, page, labels)
        sections.append(Section(key, str(title), str(model._meta.verbose_name), versions, page, has_next))
    labels.fetch()
    for section in sections:
        for version in section.versions:
            for change in version.changes:
                if change.free_text:
                    continue
                change.old_display = labels.display(change.field, change.old)
                change.new_display = labels.display(change.field, change.new)
    # Every version of the case but the current one (the newest, first on the first page) can be restored.
    case_section = sections[0]
    for index, version in enumerate(case_section.versions):
        version.restorable = (case_section.page, index) != (1, 0)
    return sections


# --- Restoring --------------------------------------------------------------------------------------


class CaseChangedMeanwhile(Exception):
    """Someone saved the case after the page was loaded: restoring now would overwrite their change."""


class RestoreForm(forms.Form):
    history_id = forms.IntegerField(min_value=1)
    loaded_version = forms.IntegerField(min_value=1)


def _restorable_values(source: models.Model) -> dict[str, Any]:
    return {name: getattr(source, Case._meta.get_field(name).attname) for name in RESTORABLE_CASE_FIELDS}


@transaction.atomic
def restore_case_version(
    *, request: HttpRequest, case: Case, version: Any, loaded_version: int
) -> dict[str, Any]:
    """Put the restorable fields of an earlier version back on the case, as one new version.

    Refused (CaseChangedMeanwhile) when the case is no longer at the version the user was looking at;
    refused (ValidationError) when the old values break a rule of today's case. On success the case's
    version goes up by one, history records the restore, and the trail holds one `restore_version` event
    with the fields put back, old → new. Returns those fields; if the version already matches the case,
    nothing is saved or recorded and the result is empty.
    """
    if version.id != case.pk:
        raise ValueError("This version belongs to another case.")
    restored = audit.changes(_restorable_values(case), _restorable_values(version), type(case))
    if not restored:
        return {}
    # Compare-and-set on the version: on SQLite, which has no row locks, this is what catches a save
    # that slipped in since the page was loaded; on PostgreSQL it also locks the row until commit.
    if case.version != loaded_version or not (
        Case.objects.filter(pk=case.pk, version=loaded_version).update(version=F("version") + 1)
    ):
        raise CaseChangedMeanwhile
    for name in RESTORABLE_CASE_FIELDS:
        attname = Case._meta.get_field(name).attname
        setattr(case, attname, getattr(version, attname))
    case.version = loaded_version + 1
    # Fields first: an old version may name a row since removed (a household), which clean() would read.
    case.clean_fields()
    case.full_clean()
    case._change_reason = f"restored version {version.history_id}"
    case._history_user = request.user
    case.save()
    audit.record(
        Action.RESTORE_VERSION,
        request=request,
        obj=case,
        details={"history_id": version.history_id, "changes": restored},
    )
    return restored


def _restore(request: HttpRequest, case: Case) -> HttpResponse:
    form = RestoreForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That restore request was incomplete; nothing was changed."))
        return redirect("casework:case-history", reference=case.reference)
    version = case.history.filter(history_id=form.cleaned_data["history_id"]).first()
    if version is None:
        raise Http404("No such version.")
    try:
        restored = restore_case_version(
            request=request, case=case, version=version, loaded_version=form.cleaned_data["loaded_version"]
        )
    except CaseChangedMeanwhile:
        messages.error(
            request,
            _(
                "The case was changed after you opened this page, so nothing was restored. "
                "Look at the latest version below and restore again if you still need to."
            ),
        )
    except ValidationError as error:
        problems = "; ".join(_describe_errors(error))
        messages.error(
            request,
            _("This version cannot be restored as it stands: %(problems)s. Nothing was changed.")
            % {"problems": problems},
        )
    else:
        if restored:
            names = ", ".join(str(Case._meta.get_field(name).verbose_name) for name in restored)
            messages.success(request, _("Version restored. Changed: %(fields)s.") % {"fields": names})
        else:
            messages.info(request, _("The case already matches that version; nothing was changed."))
    return redirect("casework:case-history", reference=case.reference)


@login_required
@require_http_methods(["GET", "POST"])
def case_history(request: HttpRequest, reference: str) -> HttpResponse:
    """GET: the field history of a case and its records. POST: restore an earlier version of the case."""
    case = audit.audited_case(request, reference, write=True, page="history")
    if not access.may_review_history(request.user, case):
        details = {"page": "history", "method": request.method}
        audit.record(Action.DENIED, request=request, obj=case, details=details)
        raise PermissionDenied("Only supervisors and system administrators review a case's history.")
    if request.method == "POST":
        return _restore(request, case)
    sections = history_sections(request, case)
    audit.record(Action.VIEW, request=request, obj=case, details={"page": "history"})
    return render(
        request,
        "casework/case_history.html",
        {"case": case, "sections": sections, "restorable_fields": _restorable_labels()},
    )


def _describe_errors(error: ValidationError) -> list[str]:
    described = []
    for name, texts in error.message_dict.items():
        if name == "__all__":
            described.append(" ".join(texts))
        else:
            described.append(f"{Case._meta.get_field(name).verbose_name}: {' '.join(texts)}")
    return described


def _restorable_labels() -> list[str]:
    return [str(Case._meta.get_field(name).verbose_name) for name in RESTORABLE_CASE_FIELDS]

"""The case list at `/cases/`: search by reference, filters, sorting and pages that keep the filters.

It starts from `Case.objects.visible_to(user)`, so nobody lists a case they could not open, and every
choice offered in a filter is scoped the same way (the caseworker filter lists only the user's own
organisation's staff). A page of 50 takes a fixed number of queries however many cases match: the open
referrals are counted by a subquery for the rows shown, never per case in Python.

A list page is one audit event (`view`, details `page: case_list`, the cleaned filters and the number of
matches), not one per case: it shows references and profiles, not case content. Nothing a user typed
freely reaches the trail: a search that cannot be a reference is refused, and the start of one is
recorded only by its length (a whole reference is recorded as it is).
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import django_filters
from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from casework import access, audit
from casework.access import reads_case_pages
from casework.audit import Action
from casework.choices import OPEN_REFERRAL_STATUSES, OPEN_STATUSES, AgeBand, CaseStatus, Role, Sex
from casework.models import Case, Referral, User
from casework.models.cases import REFERENCE_ALPHABET
from casework.widgets import DatalistInput, Select
from policies.models import Country, Programme

PER_PAGE = 50
OPEN = "open"
NOBODY = "null"  # the caseworker filter's value for unassigned cases (django-filter's null_value)

# Typed by hand, a reference may come in lower case, without its hyphen, or with spaces. The alphabet
# keeps 5 and 2 but not S and Z, so those two are read as the digits they are mistaken for.
_SEPARATORS = re.compile(r"[\s\-_.]+")
_LOOKALIKES = str.maketrans({"S": "5", "Z": "2"})


def normalise_reference(value: str) -> str:
    """Typed to stored form: "k7qf 29xa" → "K7QF-29XA", "k7qf2" → "K7QF-2".

    ValidationError for anything that cannot be all or the start of a reference.
    """
    raw = _SEPARATORS.sub("", value or "").upper().translate(_LOOKALIKES)
    if len(raw) > 8 or any(char not in REFERENCE_ALPHABET for char in raw):
        raise ValidationError(
            _("A reference has eight letters and digits, like K7QF-29XA. Type all or the start of one."),
            code="not_a_reference",
        )
    return raw if len(raw) <= 4 else f"{raw[:4]}-{raw[4:]}"


class ReferenceSearchField(forms.CharField):
    def clean(self, value: Any) -> str:
        return normalise_reference(super().clean(value))


class ReferenceFilter(django_filters.CharFilter):
    field_class = ReferenceSearchField


def _status_rank() -> models.Case:
    """Statuses sort in the order a case moves through them, not alphabetically."""
    return models.Case(
        *(When(status=status.value, then=Value(rank)) for rank, status in enumerate(CaseStatus)),
        default=Value(len(CaseStatus)),
        output_field=IntegerField(),
    )


# The only orderings a user can ask for; each ends with the reference so pages never overlap.
SORTS = {
    "-opened": (_("Opened, newest first"), ("-opened_on", "reference")),
    "opened": (_("Opened, oldest first"), ("opened_on", "reference")),
    "reference": (_("Reference"), ("reference",)),
    "status": (_("Status"), ("status_rank", "reference")),
    "-returned": (_("Month of return, latest first"), ("-return_month", "reference")),
    "returned": (_("Month of return, earliest first"), ("return_month", "reference")),
}
DEFAULT_SORT = "-opened"


def working_staff(request: HttpRequest):
    """The caseworker filter's choices: the people who work on cases in the user's organisation (for a
    system administrator, in every organisation), through the access module's scope of users."""
    working_roles = [role for role in Role if role.works_on_cases]
    staff = User.objects.filter(role__in=working_roles)
    return access.restrict_users(staff, request.user).order_by("-is_active", "username")


class Colleague(NamedTuple):
    """What the caseworker filter needs of a user: no model instance for each of hundreds of them."""

    pk: int
    username: str
    first_name: str
    last_name: str
    is_active: bool

    @property
    def label(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip() or self.username  # as User.get_full_name
        if not self.is_active:
            name = _("%(name)s (inactive)") % {"name": name}
        return name


class CaseworkerField(forms.Field):
    """A colleague, typed or picked from the suggestions: by username (what the box sends) or by id (the
    parameter's values before it was a box, kept for bookmarks, the dashboard's links and the audit
    trail's ids), or NOBODY for the unassigned cases. Only among `queryset`, read once (one query) for both
    the suggestions and the check; a name typed that is no colleague is refused, naming the field.

    A box rather than a `<select>`: an organisation of 335 caseworkers is found faster by typing three
    letters of a name than by scrolling 335 options, and the box costs the page nothing to draw."""

    widget = DatalistInput
    default_error_messages = {
        "invalid_choice": _(
            "Select a valid choice: type the username of a caseworker of your organisation and pick "
            "it from the suggestions, or “%(nobody)s” for cases assigned to nobody."
        ),
    }

    def __init__(self, *, queryset=None, null_label: str = "", **kwargs: Any) -> None:
        self.queryset = queryset
        self.null_label = null_label
        super().__init__(**kwargs)

    @cached_property
    def staff(self) -> list[Colleague]:
        if self.queryset is None:
            return []
        rows = self.queryset.values_list(*Colleague._fields)
        return [Colleague(*row) for row in rows]

    @cached_property
    def _by_key(self) -> dict[str, Colleague]:
        keys = {str(colleague.pk): colleague for colleague in self.staff}
        keys.update({colleague.username: colleague for colleague in self.staff})  # a name before an id
        return keys

    def to_python(self, value: Any) -> Colleague | str | None:
        value = value.strip() if isinstance(value, str) else value
        if value in self.empty_values:
            return None
        if value == NOBODY:
            return NOBODY
        found = self._by_key.get(str(value))
        if found is None:
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice", params={"nobody": NOBODY}
            )
        return found

    def prepare_value(self, value: Any) -> Any:
        """The box shows a username even when the address named the colleague by id."""
        if isinstance(value, Colleague):
            return value.username
        found = self._by_key.get(str(value)) if value not in self.empty_values else None
        return found.username if found is not None else value

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        return {**super().widget_attrs(widget), "spellcheck": "false", "autocapitalize": "none"}

    def suggestions(self) -> list[tuple[str, str]]:
        options = [(NOBODY, str(self.null_label))] if self.null_label else []
        return [*options, *((colleague.username, colleague.label) for colleague in self.staff)]


class CaseworkerFilter(django_filters.Filter):
    field_class = CaseworkerField

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        if value == NOBODY:
            return qs.filter(assigned_to__isnull=True)
        return qs.filter(assigned_to_id=value.pk)


class CaseFilter(django_filters.FilterSet):
    """The filters of `/cases/`. Pass `request=` so the caseworker choices are the user's colleagues."""

    q = ReferenceFilter(
        label=_("Reference"),
        method="search_reference",
        help_text=_("All or the start of a reference, e.g. K7QF-29XA or k7qf."),
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[(OPEN, _("Open (intake, active, monitoring)")), *CaseStatus.choices],
        method="filter_status",
        empty_label=_("Any status"),
        widget=Select,
    )
    caseworker = CaseworkerFilter(
        label=_("Assigned caseworker"),
        field_name="assigned_to",
        null_label=_("Nobody (unassigned)"),
        help_text=_("Type part of a name and pick from the suggestions; empty for anyone."),
    )
    country = django_filters.ModelChoiceFilter(
        label=_("Country of residence"),
        field_name="residence_country",
        queryset=Country.objects.order_by("name"),
        empty_label=_("Any country"),
        widget=Select,
    )
    sex = django_filters.ChoiceFilter(
        label=_("Sex"), choices=Sex.choices, empty_label=_("Any"), widget=Select
    )
    age_band = django_filters.ChoiceFilter(
        label=_("Age band at return"), choices=AgeBand.choices, empty_label=_("Any age"), widget=Select
    )
    programme = django_filters.ModelChoiceFilter(
        label=_("Return programme"),
        field_name="programme",
        queryset=Programme.objects.order_by("name"),
        empty_label=_("Any or none"),
        widget=Select,
    )
    open_referrals = django_filters.ChoiceFilter(
        label=_("Open referrals"),
        choices=[("yes", _("Has open referrals")), ("no", _("Has none"))],
        method="filter_open_referrals",
        empty_label=_("Either"),
        widget=Select,
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"),
        choices=[(key, label) for key, (label, _ordering) in SORTS.items()],
        method="sort_cases",
        empty_label=None,
        widget=Select,
    )

    class Meta:
        model = Case
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        caseworker = self.form.fields["caseworker"]
        if self.request is not None:
            caseworker.queryset = working_staff(self.request)
        caseworker.widget.options = caseworker.suggestions  # drawn from the one query, when drawn

    def search_reference(self, queryset, name, value):
        if len(value) == 9:
            return queryset.filter(reference=value)
        return queryset.filter(reference__startswith=value)

    def filter_status(self, queryset, name, value):
        if value == OPEN:
            return queryset.filter(status__in=OPEN_STATUSES)
        return queryset.filter(status=value)

    def filter_open_referrals(self, queryset, name, value):
        has_open = Exists(Referral.objects.filter(case=OuterRef("pk"), status__in=OPEN_REFERRAL_STATUSES))
        return queryset.filter(has_open) if value == "yes" else queryset.exclude(has_open)

    def sort_cases(self, queryset, name, value):
        return queryset.order_by(*SORTS[value][1])

    def described(self) -> dict[str, Any]:
        """The filters in effect, as plain values for the audit trail: ids, codes, never free text."""
        described: dict[str, Any] = {}
        for name, value in self.form.cleaned_data.items():
            if value in (None, "", [], ()):
                continue
            described[name] = value.pk if hasattr(value, "pk") else value
        search = described.pop("q", "")
        if len(search) == 9:
            described["q"] = search  # a whole reference, the one thing the box is for
        elif search:
            # The start of a reference: only its length. A short word made of the reference alphabet
            # (a first name, say) would pass as a prefix, and words typed freely stay out of the trail.
            described["q_prefix_length"] = len(search.replace("-", ""))
        invalid = sorted(self.form.errors)
        if invalid:
            described["invalid"] = invalid
        return described


def cases_for_list(user):
    """Every case `user` may see, with what a row shows: the assignee, places, and the number of open
    referrals (a subquery, evaluated only for the rows on the page)."""
    open_referrals = (
        Referral.objects.filter(case=OuterRef("pk"), status__in=OPEN_REFERRAL_STATUSES)
        .order_by()
        .values("case")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Case.objects.visible_to(user)
        .select_related("assigned_to", "residence_country", "residence_region")
        .annotate(open_referrals=Coalesce(Subquery(open_referrals, output_field=IntegerField()), 0))
        .alias(status_rank=_status_rank())
        .order_by(*SORTS[DEFAULT_SORT][1])
    )


def _describe_errors_to_widgets(form: forms.Form) -> None:
    """Tie each field's errors (and help) to its input, for screen readers (see registration/_field.html)."""
    for name in form.errors:
        if name not in form.fields:
            continue
        bound = form[name]
        described_by = [f"{bound.auto_id}_errors"]
        if form.fields[name].help_text:
            described_by.insert(0, f"{bound.auto_id}_helptext")
        form.fields[name].widget.attrs.update(
            {"aria-describedby": " ".join(described_by), "aria-invalid": "true"}
        )


@login_required
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    """GET: the cases the user may see, searched, filtered, sorted, fifty to a page."""
    if not reads_case_pages(request.user):
        raise PermissionDenied(_("You have no access to case pages."))
    filterset = CaseFilter(request.GET or None, queryset=cases_for_list(request.user), request=request)
    cases = filterset.qs
    if filterset.is_bound and "q" in filterset.errors:
        cases = cases.none()  # a search that cannot be a reference matches nothing, not everything
    page = Paginator(cases, PER_PAGE).get_page(request.GET.get("page"))
    _describe_errors_to_widgets(filterset.form)
    filters = filterset.described() if filterset.is_bound else {}
    audit.record(
        Action.VIEW,
        request=request,
        details={
            "page": "case_list",
            "filters": filters,
            "count": page.paginator.count,
            "page_number": page.number,
        },
    )
    # The filters fold away on a phone; they stay open while one is in use or needs correcting.
    folded = set(filterset.form.fields) - {"q", "sort"}
    filters_open = bool(folded & (set(filters) | set(filterset.form.errors)))
    return render(
        request,
        "casework/case_list.html",
        {
            "filter": filterset,
            "form": filterset.form,
            "page_obj": page,
            "cases": page.object_list,
            "filters_open": filters_open,
            "may_create": access.can_create_case(request.user),
        },
    )

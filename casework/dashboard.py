"""What the dashboard at `/` shows: selectors over what the user may see, each a bounded query.

Every function takes the acting user and starts from the access module (`visible_to`), so a caseworker's
dashboard counts only the cases they work on, a supervisor's their whole organisation, and nobody's
anything of another organisation. Counts are aggregated in the database (GROUP BY, conditional
aggregation); lists are cut to a few rows with their full count beside them. The number of queries is
the same for ten cases or a hundred thousand.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from casework import access, charts
from casework.choices import OPEN_STATUSES, CaseStatus, ReferralOutcome, ReferralStatus, Role
from casework.models import Assessment, Case, CaseNote, ClosureRequest, Referral

LIST_LIMIT = 10  # rows of each "needs action" list; the full count is shown beside it
RECENT_LIMIT = 10


def dashboard_kind(user) -> str:
    """Which dashboard a user gets: `casework` (caseworkers and supervisors: their work and what needs
    action), `overview` (organisation and system administrators: counts only), or `elsewhere` (analysts
    and auditors, who have no case pages: where to go instead)."""
    role = access.role_of(user)
    if role is not None and role.works_on_cases:
        return "casework"
    if access.reads_case_pages(user):
        return "overview"
    return "elsewhere"


# --- Counts ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    count: int
    is_open: bool


def cases_by_status(user) -> list[StatusCount]:
    """How many of the user's visible cases are in each status, every status listed (one query)."""
    rows = Case.objects.visible_to(user).order_by().values("status").annotate(n=Count("pk"))
    counts = dict(rows.values_list("status", "n"))
    return [
        StatusCount(status.value, str(status.label), counts.get(status.value, 0), status in OPEN_STATUSES)
        for status in CaseStatus
    ]


def referrals_by_status_and_outcome(user) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Referrals of the user's visible cases by status, and finished ones by outcome (one query, or none
    when an organisation-wide figure is in the cache)."""
    key = _organisation_cache_key(user, "referrals-by-status-and-outcome")
    rows = cache.get(key) if key else None
    if rows is None:
        rows = list(
            Referral.objects.visible_to(user)
            .order_by()
            .values("status", "outcome")
            .annotate(n=Count("pk"))
            .values_list("status", "outcome", "n")
        )
        if key:
            cache.set(key, rows, settings.CASEWORK_DASHBOARD_CACHE_SECONDS)
    by_status: dict[str, int] = {}
    by_outcome: dict[str, int] = {}
    for status, outcome, n in rows:
        by_status[status] = by_status.get(status, 0) + n
        if outcome:
            by_outcome[outcome] = by_outcome.get(outcome, 0) + n
    return (
        [(str(status.label), by_status.get(status.value, 0)) for status in ReferralStatus],
        [(str(outcome.label), by_outcome.get(outcome.value, 0)) for outcome in ReferralOutcome],
    )


def _organisation_cache_key(user, name: str) -> str | None:
    """A cache key for a figure that is the same for everyone who sees the whole organisation (or, for
    system administrators, everything); None for a caseworker, whose figures are their own and cheap.

    Counting an organisation's quarter of a million referrals on every dashboard load took 100-200 ms of
    a supervisor's page at 10^5 cases; counts only (no case data) are cached, briefly."""
    if settings.CASEWORK_DASHBOARD_CACHE_SECONDS <= 0:
        return None
    role = access.role_of(user)
    if role == Role.SYSTEM_ADMIN:
        scope = "all"
    elif role is not None and role.sees_whole_organisation and user.organisation_id:
        scope = f"organisation-{user.organisation_id}"
    else:
        return None
    return f"dashboard:{name}:{scope}"


# --- What needs action ----------------------------------------------------------------------------------


def _today() -> datetime.date:
    return timezone.localdate()


def open_cases(user) -> QuerySet:
    return Case.objects.visible_to(user).filter(status__in=OPEN_STATUSES)


def waiting_referrals(user, *, today: datetime.date | None = None) -> QuerySet:
    """Referrals sent to a provider (status `referred`) more than CASEWORK_REFERRAL_WAITING_DAYS days ago
    with no answer yet, on open cases; the longest waiting first."""
    cutoff = (today or _today()) - datetime.timedelta(days=settings.CASEWORK_REFERRAL_WAITING_DAYS)
    return (
        Referral.objects.visible_to(user)
        .filter(status=ReferralStatus.REFERRED, referred_on__lt=cutoff, case__status__in=OPEN_STATUSES)
        .select_related("case", "service_type", "provider")
        .order_by("referred_on", "pk")
    )


def overdue_assessments(user, *, today: datetime.date | None = None) -> QuerySet:
    """Open cases whose latest assessment is more than CASEWORK_ASSESSMENT_OVERDUE_DAYS days old, or that
    have none and were opened longer ago than that; the longest overdue first. Each case carries
    `last_assessed_on` (None when never assessed)."""
    cutoff = (today or _today()) - datetime.timedelta(days=settings.CASEWORK_ASSESSMENT_OVERDUE_DAYS)
    assessments = Assessment.objects.filter(case=OuterRef("pk"))
    latest = assessments.order_by("-assessed_on").values("assessed_on")[:1]
    # "No assessment since the cutoff" as an anti-join on the (case, assessed_on) index, rather than a
    # GROUP BY of every open case with its assessments: a third of the time for an organisation's 30,000+.
    return (
        open_cases(user)
        .filter(~Exists(assessments.filter(assessed_on__gte=cutoff)))
        .filter(Q(opened_on__lt=cutoff) | Exists(assessments))
        .annotate(last_assessed_on=Subquery(latest))
        .order_by(F("last_assessed_on").asc(nulls_first=True), "opened_on", "reference")
    )


def _latest_closure_request(field_name: str) -> Subquery:
    latest = ClosureRequest.objects.filter(case=OuterRef("pk")).order_by("-requested_at", "-pk")
    return Subquery(latest.values(field_name)[:1])


def returned_closures(user) -> QuerySet:
    """Open cases whose latest closure request a supervisor returned: the caseworker has to act on the
    supervisor's note (on the case page) and ask again or carry on. Each case carries `returned_at`."""
    # Only cases with a returned request can qualify: narrowing to them first spares the latest-request
    # subquery for each of an organisation's open cases (30 ms at 34,000; returned requests are few).
    ever_returned = ClosureRequest.objects.filter(decision=ClosureRequest.Decision.RETURNED).values("case")
    return (
        open_cases(user)
        .filter(pk__in=ever_returned)
        .annotate(
            latest_decision=_latest_closure_request("decision"),
            returned_at=_latest_closure_request("decided_at"),
        )
        .filter(latest_decision=ClosureRequest.Decision.RETURNED)
        .order_by("-returned_at", "reference")
    )


def unassigned_cases(user) -> QuerySet:
    """Open cases with nobody assigned, the oldest first."""
    return open_cases(user).filter(assigned_to__isnull=True).order_by("opened_on", "reference")


def pending_closure_requests(user) -> QuerySet:
    """Closure requests waiting for a supervisor's decision, the oldest first."""
    return (
        ClosureRequest.objects.visible_to(user)
        .filter(decision="")
        .select_related("case", "requested_by")
        .order_by("requested_at", "pk")
    )


# --- Recent activity ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Activity:
    at: datetime.datetime
    reference: str
    kind: str  # "note" or "referral"
    what: str
    who: str = ""
    restricted: bool = False


def recent_activity(user, limit: int = RECENT_LIMIT) -> list[Activity]:
    """The latest notes the user may read (never a restricted note they may not) and the latest changed
    referrals on their cases, newest first. Two queries; the text of a note is never shown here."""
    # Also filtering by the visible cases' ids (a subquery) lets PostgreSQL estimate how few of the
    # newest notes are a caseworker's; through the join alone it walks the newest-first index of every
    # organisation's notes (2 ms became 30-180 ms at 10^5 cases). Supervisors take the index either way.
    case_ids = Case.objects.visible_to(user).values("pk")
    notes = (
        CaseNote.objects.visible_to(user)
        .filter(case__in=case_ids)
        .select_related("case", "author")
        .order_by("-created_at", "-pk")
    )
    referrals = (
        Referral.objects.visible_to(user)
        .filter(case__in=case_ids)
        .select_related("case", "service_type")
        .order_by("-updated_at", "-pk")
    )
    items = [
        Activity(
            at=note.created_at,
            reference=note.case.reference,
            kind="note",
            what=_("%(contact)s note of %(day)s")
            % {"contact": note.get_contact_type_display(), "day": note.contact_on.isoformat()},
            who=note.author.get_username(),
            restricted=note.restricted,
        )
        for note in notes[:limit]
    ]
    items += [
        Activity(
            at=referral.updated_at,
            reference=referral.case.reference,
            kind="referral",
            what=_("Referral to %(service)s: %(status)s")
            % {"service": referral.service_type.name, "status": referral.get_status_display()},
        )
        for referral in referrals[:limit]
    ]
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit]


# --- The whole page -------------------------------------------------------------------------------------


@dataclass
class Listing:
    """The first rows of a list and how many there are in all."""

    items: list[Any]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.items)


def _listing(queryset: QuerySet, limit: int = LIST_LIMIT) -> Listing:
    return Listing(items=list(queryset[:limit]), total=queryset.count())


@dataclass
class Dashboard:
    kind: str
    statuses: list[StatusCount] = field(default_factory=list)
    open_total: int = 0
    charts: list[Any] = field(default_factory=list)
    charts_note: str = ""
    waiting: Listing | None = None
    overdue: Listing | None = None
    returned: Listing | None = None
    unassigned: Listing | None = None
    pending: Listing | None = None
    recent: list[Activity] = field(default_factory=list)
    supervises: bool = False
    whole_organisation: bool = False

    @property
    def references_shown(self) -> int:
        """How many case references the page names (the audit event records the number, not the list)."""
        shown = {item.reference for item in self.recent}
        for listing in (self.overdue, self.returned, self.unassigned):
            if listing is not None:
                shown |= {case.reference for case in listing.items}
        for listing in (self.waiting, self.pending):
            if listing is not None:
                shown |= {record.case.reference for record in listing.items}
        return len(shown)


def _charts_note(user) -> str:
    """Says the referral charts may lag when they come from the cache, so a supervisor who has just
    added a referral is not puzzled that the bars did not move."""
    if not _organisation_cache_key(user, "referrals-by-status-and-outcome"):
        return ""
    minutes = max(1, math.ceil(settings.CASEWORK_DASHBOARD_CACHE_SECONDS / 60))
    return ngettext(
        "The charts of services are counted at most %(minutes)d minute ago.",
        "The charts of services are counted at most %(minutes)d minutes ago.",
        minutes,
    ) % {"minutes": minutes}


def _charts(user, statuses: list[StatusCount]) -> list[Any]:
    by_status, by_outcome = referrals_by_status_and_outcome(user)
    return [
        charts.bar_chart(
            [(item.label, item.count) for item in statuses],
            title=_("Caseload by status"),
            description=_("Number of cases in each status."),
            label_header=_("Status"),
            value_header=_("Cases"),
            chart_id="chart-caseload",
        ),
        charts.bar_chart(
            by_status,
            title=_("Services by status"),
            description=_("Number of referrals to services in each status."),
            label_header=_("Status"),
            value_header=_("Referrals"),
            chart_id="chart-services-status",
        ),
        charts.bar_chart(
            by_outcome,
            title=_("Services by outcome"),
            description=_("Number of finished referrals by their outcome."),
            label_header=_("Outcome"),
            value_header=_("Referrals"),
            chart_id="chart-services-outcome",
        ),
    ]


def build(user, *, today: datetime.date | None = None) -> Dashboard:
    """Everything the dashboard shows for `user`, in a fixed number of queries per kind of dashboard."""
    kind = dashboard_kind(user)
    dashboard = Dashboard(kind=kind)
    if kind == "elsewhere":
        return dashboard
    role = access.role_of(user)
    dashboard.whole_organisation = role == Role.SYSTEM_ADMIN or role.sees_whole_organisation
    dashboard.statuses = cases_by_status(user)
    dashboard.open_total = sum(item.count for item in dashboard.statuses if item.is_open)
    dashboard.charts = _charts(user, dashboard.statuses)
    dashboard.charts_note = _charts_note(user)
    if kind == "overview":
        return dashboard
    dashboard.supervises = role.can_assign
    dashboard.waiting = _listing(waiting_referrals(user, today=today))
    dashboard.overdue = _listing(overdue_assessments(user, today=today))
    dashboard.returned = _listing(returned_closures(user))
    if dashboard.supervises:
        dashboard.unassigned = _listing(unassigned_cases(user))
        dashboard.pending = _listing(pending_closure_requests(user))
    dashboard.recent = recent_activity(user)
    return dashboard

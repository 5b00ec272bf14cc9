"""The case page, `/cases/<reference>/`: the overview, a timeline of notes and events, referrals,
assessments with a chart, legal proceedings and the household — and, for those who may change the case,
the note form and links to the other quick-add pages (casework/record_forms.py, casework/record_views.py).

`load_case_page` reads everything in a fixed number of queries, whatever the number of notes, referrals,
assessments or proceedings: one per kind of record, each starting from the access module's `visible_to`
(a restricted note only for its author and supervisors; household members only where the user may see
their case). The timeline is capped, with a link to show more.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from casework import access, audit, charts, choices
from casework.audit import Action
from casework.models import Assessment, Case, CaseNote, ClosureRequest, LegalProceeding, Referral
from casework.record_forms import NoteForm
from casework.services import records

if TYPE_CHECKING:
    from casework.models import Household, User

TIMELINE_STEP = 25  # entries shown at first, and added by each "show more"
TIMELINE_MAX = 1000
WORKFLOW_TEMPLATE = "casework/_workflow.html"


@dataclass(frozen=True)
class TimelineEntry:
    on: datetime.date
    kind: str  # note, referral, assessment, proceeding, closure: a CSS class and an anchor prefix
    kind_label: str
    title: str
    text: str = ""  # the words of a note or of a closure request, shown only to who may read them
    who: str = ""
    restricted: bool = False
    link: str = ""  # an anchor on this page


@dataclass
class ReferralRow:
    referral: Referral
    next_status: choices.ReferralStatus | None
    alternatives: tuple[choices.ReferralStatus, ...]

    @property
    def is_open(self) -> bool:
        return self.referral.status in choices.OPEN_REFERRAL_STATUSES


@dataclass
class HouseholdView:
    household: Household
    members: list[Case]  # the other members the user may see
    hidden: int  # how many other members they may not see; never which


@dataclass
class CasePage:
    case: Case
    timeline: list[TimelineEntry]
    timeline_limit: int
    timeline_has_more: bool
    timeline_at_max: bool
    referrals: list[ReferralRow]
    assessments: list[Assessment]
    assessment_chart: SafeString | None
    proceedings: list[LegalProceeding]
    household: HouseholdView | None
    drivers: list[str] = field(default_factory=list)
    vulnerabilities: list[str] = field(default_factory=list)

    @property
    def next_timeline_limit(self) -> int:
        return min(self.timeline_limit + TIMELINE_STEP, TIMELINE_MAX)


def _who(user: User | None) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def timeline_limit_from(value: str | None) -> int:
    """`?timeline=N` as a whole number of steps between one step and the maximum."""
    try:
        limit = int(value or TIMELINE_STEP)
    except ValueError:
        return TIMELINE_STEP
    return min(max(TIMELINE_STEP, limit - limit % TIMELINE_STEP), TIMELINE_MAX)


def _note_entries(notes: list[CaseNote]) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            on=note.contact_on,
            kind="note",
            kind_label=_("Note"),
            title=note.get_contact_type_display(),
            text=note.text,
            who=_who(note.author),
            restricted=note.restricted,
            link=f"note-{note.pk}",
        )
        for note in notes
    ]


def _referral_entries(referrals: list[Referral]) -> list[TimelineEntry]:
    RS = choices.ReferralStatus
    entries = []
    for referral in referrals:
        to = str(referral.service_type)  # the provider is in the referral the entry links to
        link = f"referral-{referral.pk}"
        # The day it was entered stands for the day it was planned, unless it was entered as referred.
        planned_on = None if referral.referred_on else timezone.localdate(referral.created_at)
        steps = [
            (planned_on, _("Referral to %(service)s planned")),
            (referral.referred_on, _("Referred to %(service)s")),
            (referral.accepted_on, _("Referral to %(service)s accepted")),
            (referral.started_on, _("Service started: %(service)s")),
        ]
        if referral.ended_on:
            ended = {
                RS.COMPLETED: _("Service completed: %(service)s"),
                RS.DECLINED: _("Referral to %(service)s declined"),
                RS.DROPPED_OUT: _("Dropped out of %(service)s"),
                RS.CANCELLED: _("Referral to %(service)s cancelled"),
            }.get(referral.status, _("Referral to %(service)s ended"))
            steps.append((referral.ended_on, ended))
        entries.extend(
            TimelineEntry(
                on=on, kind="referral", kind_label=_("Referral"), title=title % {"service": to}, link=link
            )
            for on, title in steps
            if on
        )
    return entries


def _assessment_entries(assessments: list[Assessment]) -> list[TimelineEntry]:
    entries = []
    for assessment in assessments:
        scored = sum(1 for score in assessment.scores().values() if score is not None)
        entries.append(
            TimelineEntry(
                on=assessment.assessed_on,
                kind="assessment",
                kind_label=_("Assessment"),
                title=_("Assessment: %(count)s of %(total)s domains scored")
                % {"count": scored, "total": len(Assessment.DOMAINS)},
                who=_who(assessment.assessed_by),
                link="assessments",
            )
        )
    return entries


def _proceeding_entries(proceedings: list[LegalProceeding]) -> list[TimelineEntry]:
    entries = []
    for proceeding in proceedings:
        link = f"proceeding-{proceeding.pk}"
        entries.append(
            TimelineEntry(
                on=proceeding.started_on,
                kind="proceeding",
                kind_label=_("Legal proceeding"),
                title=_("Legal proceeding under %(framework)s: %(stage)s")
                % {"framework": proceeding.framework, "stage": proceeding.get_stage_display()},
                link=link,
            )
        )
        if proceeding.ended_on:
            entries.append(
                TimelineEntry(
                    on=proceeding.ended_on,
                    kind="proceeding",
                    kind_label=_("Legal proceeding"),
                    title=_("Legal proceeding under %(framework)s ended: %(stage)s")
                    % {"framework": proceeding.framework, "stage": proceeding.get_stage_display()},
                    link=link,
                )
            )
    return entries


def _closure_entries(requests: list[ClosureRequest]) -> list[TimelineEntry]:
    entries = []
    for closure in requests:
        entries.append(
            TimelineEntry(
                on=timezone.localdate(closure.requested_at),
                kind="closure",
                kind_label=_("Closure"),
                title=_("Closure requested: %(reason)s") % {"reason": closure.get_reason_display()},
                text=closure.note,
                who=_who(closure.requested_by),
            )
        )
        if closure.decision and closure.decided_at:
            title = (
                _("Closure approved")
                if closure.decision == ClosureRequest.Decision.APPROVED
                else _("Closure request returned")
            )
            entries.append(
                TimelineEntry(
                    on=timezone.localdate(closure.decided_at),
                    kind="closure",
                    kind_label=_("Closure"),
                    title=title,
                    text=closure.decision_note,
                    who=_who(closure.decided_by),
                )
            )
    return entries


def _household(user: User, case: Case) -> HouseholdView | None:
    """The other members of the case's household: those the user may see, and only a count of the rest."""
    if not case.household_id:
        return None
    others = Case.objects.filter(household_id=case.household_id).exclude(pk=case.pk)
    members = list(
        access.restrict_cases(others, user)
        .only("reference", "household_role", "sex", "age_band", "status")
        .order_by("reference")
    )
    return HouseholdView(household=case.household, members=members, hidden=others.count() - len(members))


def assessment_chart(assessments: list[Assessment]) -> SafeString | None:
    if not assessments:
        return None
    return charts.line_chart(
        {
            str(domain.label): [(a.assessed_on, getattr(a, domain.value)) for a in assessments]
            for domain in Assessment.DOMAINS
        },
        y_min=1,
        y_max=5,
        title=_("Assessment scores over time"),
        description=_("Each domain is scored from 1 (severe difficulty) to 5 (no difficulty)."),
        chart_id="assessment-chart",
    )


def load_case_page(user: User, case: Case, *, timeline_limit: int = TIMELINE_STEP) -> CasePage:
    """Everything the case page shows of `case` to `user`, in a fixed number of queries.

    `case` must come from the access module (get_case_for_user / audit.audited_case): this reloads it
    with the related rows the overview names, still through `visible_to`.
    """
    case = (
        Case.objects.visible_to(user)
        .select_related(
            "organisation",
            "assigned_to",
            "created_by",
            "citizenship",
            "residence_country",
            "residence_region__country",
            "programme",
            "armed_group",
            "household",
        )
        .get(pk=case.pk)
    )
    notes = list(
        CaseNote.objects.visible_to(user)
        .filter(case=case)
        .select_related("author")
        .order_by("-contact_on", "-created_at", "-pk")[: timeline_limit + 1]
    )
    referrals = list(
        Referral.objects.visible_to(user)
        .filter(case=case)
        .select_related("service_type", "provider")
        .order_by("-created_at", "-pk")
    )
    assessments = list(
        Assessment.objects.visible_to(user)
        .filter(case=case)
        .select_related("assessed_by")
        .order_by("assessed_on", "created_at", "pk")
    )
    proceedings = list(
        LegalProceeding.objects.visible_to(user)
        .filter(case=case)
        .select_related("framework__country", "provision")
        .order_by("-started_on", "-pk")
    )
    closures = list(
        ClosureRequest.objects.visible_to(user)
        .filter(case=case)
        .select_related("requested_by", "decided_by")
        .order_by("-requested_at")
    )
    for related in (*notes, *referrals, *assessments, *proceedings, *closures):
        related.case = case  # so that nothing reads the case again

    entries = [
        *_note_entries(notes),
        *_referral_entries(referrals),
        *_assessment_entries(assessments),
        *_proceeding_entries(proceedings),
        *_closure_entries(closures),
    ]
    # Newest first; the sort is stable, so entries of one day keep the order above (notes first).
    entries.sort(key=lambda entry: entry.on, reverse=True)
    has_more = len(entries) > timeline_limit or len(notes) > timeline_limit

    open_first = sorted(
        referrals, key=lambda r: r.status not in choices.OPEN_REFERRAL_STATUSES
    )  # stable: newest first within each
    rows = [
        ReferralRow(
            referral=r,
            next_status=records.next_status(r.status),
            alternatives=records.ALTERNATIVE_STATUSES.get(r.status, ()),
        )
        for r in open_first
    ]
    drivers_field = Case._meta.get_field("drivers")
    vulnerabilities_field = Case._meta.get_field("vulnerabilities")
    return CasePage(
        case=case,
        timeline=entries[:timeline_limit],
        timeline_limit=timeline_limit,
        timeline_has_more=has_more and timeline_limit < TIMELINE_MAX,
        timeline_at_max=has_more and timeline_limit >= TIMELINE_MAX,
        referrals=rows,
        assessments=list(reversed(assessments)),
        assessment_chart=assessment_chart(assessments),
        proceedings=proceedings,
        household=_household(user, case),
        drivers=drivers_field.display(case.drivers),
        vulnerabilities=vulnerabilities_field.display(case.vulnerabilities),
    )


def template_exists(name: str) -> bool:
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return False
    return True


def quick_add_forms(user: User, case: Case) -> dict[str, Any]:
    """For those who may change the case (nothing for anyone else): the note form, folded on the page,
    and `may_add_records`, which links the referral, assessment and proceeding forms to their own pages.

    Those three are not drawn here: with every provider, framework and provision (and nine groups of
    scores) they were most of the page's HTML and of its rendering time on every visit, for a form
    opened on a few. Their pages keep what was typed when a save is refused, as the note's does."""
    if not access.can_edit_case(user, case):
        return {}
    return {"note_form": NoteForm(case=case, user=user), "may_add_records": True}


@never_cache  # a case is not left in a shared computer's browser cache
@login_required
@require_GET
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """The case page. 404 for a case the user may not see (recorded, without echoing the reference);
    every view of it writes a `view` event."""
    case = audit.audited_case(request, reference, page="case")
    page = load_case_page(request.user, case, timeline_limit=timeline_limit_from(request.GET.get("timeline")))
    audit.record(Action.VIEW, request=request, obj=page.case, details={"page": "case"})
    user = request.user
    context = {
        "case": page.case,
        "page": page,
        "can_edit": access.can_edit_case(user, page.case),
        "may_review_history": access.may_review_history(user, page.case),
        "may_export": access.may_export_case(user, page.case),
        "workflow_template_exists": template_exists(WORKFLOW_TEMPLATE),
        **quick_add_forms(user, page.case),
    }
    return render(request, "casework/case_detail.html", context)

"""The case summary, `/reports/cases/<reference>/`: one case for a case conference or a handover.

What it holds, each as a table (the same rows in HTML, PDF, CSV and XLSX):

- the anonymised profile and the departure and return (labels, never codes; the programme and each
  legal framework link to their pages under /policies/ on the page, plain text elsewhere);
- open actions: referrals not yet ended (with the dashboard's "waiting" rule), a closure request
  waiting for a supervisor or returned to the caseworker, an overdue assessment (the dashboard's rule,
  CASEWORK_ASSESSMENT_OVERDUE_DAYS), legal proceedings without an end date;
- a timeline of key events, oldest first: opened, each referral's dated steps, assessments, legal
  proceedings, closure requests and decisions, closed, archived (the case page's wording);
- services (referrals) and their outcomes, the assessments (a line chart of the nine domains and a
  table of scores per date), the legal proceedings with their frameworks and provisions;
- recent contacts: the date and type of the latest non-restricted notes.

No free text, in any format. Note text, referral outcome notes, proceeding outcomes and closure notes
stay on the case page, where reading them is audited each time and a restricted note stays with its
author and the supervisors: a summary is printed and handed round, and travels further than the page.
Restricted notes are left out for everyone, supervisors and their authors included; they are not even
counted, so the summary does not say that one exists. Staff names are left out too: the report
describes the person's case, not who worked on it.

Access is the case page's: whoever reads the case page reads its summary (caseworkers their own
cases, supervisors and organisation administrators their organisation's, system administrators any);
any other case, a made-up reference, and analysts and auditors (who read no case pages) get the same
recorded 404. Opening the summary is audited as a `view` of the case, a download as an `export`.

Everything is read in a fixed number of queries, one per kind of record, whatever their number.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from casework import audit, choices, dashboard
from casework.case_page import (
    TimelineEntry,
    _assessment_entries,
    _closure_entries,
    _proceeding_entries,
    _referral_entries,
    assessment_chart,
)
from casework.models import Assessment, Case, CaseNote, ClosureRequest, LegalProceeding, Referral
from casework.reports import exports
from casework.reports.tables import ReportTable
from casework.services.records import next_status

if TYPE_CHECKING:
    from casework.models import User

CONTACTS_SHOWN = 5  # the latest non-restricted contacts listed (date and type only)


class LinkedText(str):
    """A cell that is a link on the page (and in the PDF) and plain text everywhere else: `str()` of it,
    which CSV and XLSX use, is the text alone."""

    url: str

    def __new__(cls, text: str, url: str) -> LinkedText:
        cell = super().__new__(cls, text)
        cell.url = url
        return cell

    def __html__(self) -> SafeString:
        return format_html('<a href="{}">{}</a>', self.url, str(self))


def _yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def _consent(given: bool, on: datetime.date | None) -> str:
    if not given:
        return _("no")
    return _("yes, since %(date)s") % {"date": on.isoformat()} if on else _("yes")


# --- Reading the case -----------------------------------------------------------------------------------


@dataclass
class CaseRecords:
    """What the summary is made of, read through the access module."""

    case: Case
    referrals: list[Referral]  # oldest first
    assessments: list[Assessment]  # oldest first
    proceedings: list[LegalProceeding]  # oldest first
    closures: list[ClosureRequest]  # newest first
    contacts: list[tuple[datetime.date, str]]  # latest non-restricted notes: (date, contact type code)
    waiting: set[int]  # referrals waiting for the provider's answer (dashboard.waiting_referrals)
    overdue: dict[str, Any] | None  # {"last_assessed_on": date | None} when an assessment is overdue


def load(user: User, case: Case, *, today: datetime.date | None = None) -> CaseRecords:
    """The case and its records as `user` may see them, in a fixed number of queries. `case` comes from
    the access module (audit.audited_case); it is read again with what the profile names."""
    case = (
        Case.objects.visible_to(user)
        .select_related(
            "organisation",
            "citizenship",
            "residence_country",
            "residence_region",
            "programme",
            "armed_group",
            "household",
        )
        .get(pk=case.pk)
    )
    referrals = list(
        Referral.objects.visible_to(user)
        .filter(case=case)
        .select_related("service_type", "provider")
        .order_by("created_at", "pk")
    )
    assessments = list(
        Assessment.objects.visible_to(user)
        .filter(case=case)
        .select_related("assessed_by")  # the case page's timeline wording reads it
        .order_by("assessed_on", "created_at", "pk")
    )
    proceedings = list(
        LegalProceeding.objects.visible_to(user)
        .filter(case=case)
        .select_related("framework__country", "provision")
        .order_by("started_on", "pk")
    )
    closures = list(
        ClosureRequest.objects.visible_to(user)
        .filter(case=case)
        .select_related("requested_by", "decided_by")
        .order_by("-requested_at", "-pk")
    )
    # Restricted notes are left out for everyone, even those who may read them; of the others only the
    # date and type are read, never the text.
    contacts = list(
        CaseNote.objects.visible_to(user)
        .filter(case=case, restricted=False)
        .order_by("-contact_on", "-created_at", "-pk")
        .values_list("contact_on", "contact_type")[:CONTACTS_SHOWN]
    )
    # "Waiting" and "overdue" are the dashboard's rules, asked of the dashboard's own selectors.
    waiting = set(
        dashboard.waiting_referrals(user, today=today).filter(case=case).values_list("pk", flat=True)
    )
    overdue = dashboard.overdue_assessments(user, today=today).filter(pk=case.pk).values("last_assessed_on")
    for record in (*referrals, *assessments, *proceedings, *closures):
        record.case = case  # so that nothing reads the case again
    return CaseRecords(
        case=case,
        referrals=referrals,
        assessments=assessments,
        proceedings=proceedings,
        closures=closures,
        contacts=contacts,
        waiting=waiting,
        overdue=overdue.first(),
    )


# --- Tables ---------------------------------------------------------------------------------------------


def profile_table(case: Case) -> ReportTable:
    vulnerabilities = Case._meta.get_field("vulnerabilities").display(case.vulnerabilities)
    rows: list[list[Any]] = [
        [_("Reference"), case.reference],
        [_("Status"), case.get_status_display()],
        [_("Opened on"), case.opened_on],
    ]
    if case.closed_on:
        rows += [[_("Closed on"), case.closed_on], [_("Closure reason"), case.get_closure_reason_display()]]
    rows += [
        [_("Sex"), case.get_sex_display()],
        [_("Age band at return"), case.get_age_band_display()],
        [_("Citizenship"), case.citizenship.name],
        [_("Country of residence"), case.residence_country.name],
        [_("Region of residence"), case.residence_region.name if case.residence_region else ""],
        [_("Vulnerabilities"), ", ".join(vulnerabilities)],
        [_("Consent to services"), _consent(case.consent_services, case.consent_services_on)],
        [
            _("Consent to anonymised data sharing"),
            _consent(case.consent_data_sharing, case.consent_data_sharing_on),
        ],
    ]
    if case.consent_withdrawn_on:
        rows.append([_("All consent withdrawn on"), case.consent_withdrawn_on])
    if case.household_id:
        rows += [
            [_("Household"), case.household.reference],
            [_("Role in household"), case.get_household_role_display()],
        ]
    return ReportTable(slug="profile", title=_("Profile"), columns=[_("Field"), _("Value")], rows=rows)


def journey_table(case: Case) -> ReportTable:
    drivers = Case._meta.get_field("drivers").display(case.drivers)
    programme: Any = ""
    if case.programme_id:
        programme = LinkedText(case.programme.name, reverse("policies:programme", args=[case.programme_id]))
    rows = [
        [_("Year of departure"), str(case.departure_year) if case.departure_year else ""],
        [_("Circumstance of going"), case.get_circumstance_display()],
        [_("Drivers"), ", ".join(drivers)],
        [_("Conflict zone"), case.get_conflict_zone_display()],
        [_("Affiliation"), case.get_affiliation_display()],
        [_("Armed group"), case.armed_group.name if case.armed_group_id else ""],
        [_("Month of return"), case.return_month.strftime("%Y-%m")],
        [_("Return pathway"), case.get_return_pathway_display()],
        [_("Return programme"), programme],
    ]
    return ReportTable(
        slug="departure-and-return",
        title=_("Departure and return"),
        columns=[_("Field"), _("Value")],
        rows=rows,
    )


def _latest_step(referral: Referral) -> datetime.date:
    """The day the referral reached its current step (the day it was entered while only planned)."""
    return (
        referral.started_on
        or referral.accepted_on
        or referral.referred_on
        or timezone.localdate(referral.created_at)
    )


def open_actions_table(found: CaseRecords, today: datetime.date) -> ReportTable:
    """What is still to be done, each with the day it has been waiting since and for how many days."""
    rows: list[list[Any]] = []

    def add(action: str, concerning: str, since: datetime.date) -> None:
        rows.append([action, concerning, since, (today - since).days])

    for closure in found.closures:
        if closure.is_pending:
            add(
                _("Closure request waiting for a supervisor's decision"),
                closure.get_reason_display(),
                timezone.localdate(closure.requested_at),
            )
    latest = found.closures[0] if found.closures else None
    if (
        latest is not None
        and found.case.is_open
        and latest.decision == ClosureRequest.Decision.RETURNED
        and latest.decided_at
    ):
        add(
            _("Closure request returned: see the supervisor's note on the case page"),
            latest.get_reason_display(),
            timezone.localdate(latest.decided_at),
        )
    if found.overdue is not None:
        last = found.overdue["last_assessed_on"]
        add(
            _("Assessment overdue (none in the last %(days)s days)")
            % {"days": settings.CASEWORK_ASSESSMENT_OVERDUE_DAYS},
            _("last assessed on %(date)s") % {"date": last.isoformat()} if last else _("never assessed"),
            last or found.case.opened_on,
        )
    for referral in found.referrals:
        if referral.status not in choices.OPEN_REFERRAL_STATUSES:
            continue
        if referral.pk in found.waiting:
            action = _("Referral waiting for the provider's answer for more than %(days)s days") % {
                "days": settings.CASEWORK_REFERRAL_WAITING_DAYS
            }
        else:
            following = next_status(referral.status)
            action = _("Referral awaiting its next step: %(step)s") % {"step": following.label}
        concerning = _("%(service)s (%(status)s)") % {
            "service": _service(referral),
            "status": referral.get_status_display(),
        }
        add(action, concerning, _latest_step(referral))
    for proceeding in found.proceedings:
        if not proceeding.ended_on:
            add(
                _("Legal proceeding without an end date"),
                _("%(framework)s: %(stage)s")
                % {"framework": proceeding.framework, "stage": proceeding.get_stage_display()},
                proceeding.started_on,
            )
    return ReportTable(
        slug="open-actions",
        title=_("Open actions"),
        columns=[_("Action"), _("Concerning"), _("Since"), _("Days")],
        rows=rows,
    )


def _service(referral: Referral) -> str:
    if referral.provider_id:
        return f"{referral.service_type.name} — {referral.provider.name}"
    return referral.service_type.name


def timeline_table(found: CaseRecords) -> ReportTable:
    """Key events, oldest first, in the case page's words; never the text of a note or of a closure."""
    case = found.case
    entries: list[TimelineEntry] = [
        TimelineEntry(on=case.opened_on, kind="case", kind_label=_("Case"), title=_("Case opened"))
    ]
    entries += _referral_entries(found.referrals)
    entries += _assessment_entries(found.assessments)
    entries += _proceeding_entries(found.proceedings)
    entries += _closure_entries(list(reversed(found.closures)))
    if case.closed_on:
        entries.append(
            TimelineEntry(
                on=case.closed_on,
                kind="case",
                kind_label=_("Case"),
                title=_("Case closed: %(reason)s") % {"reason": case.get_closure_reason_display()},
            )
        )
    if case.archived_at:
        entries.append(
            TimelineEntry(
                on=timezone.localdate(case.archived_at),
                kind="case",
                kind_label=_("Case"),
                title=_("Case archived"),
            )
        )
    entries.sort(key=lambda entry: entry.on)  # stable: a day's events keep the order above
    return ReportTable(
        slug="timeline",
        title=_("Timeline"),
        columns=[_("Date"), _("Kind"), _("Event")],
        rows=[[entry.on, entry.kind_label, entry.title] for entry in entries],
    )


def services_table(referrals: list[Referral]) -> ReportTable:
    return ReportTable(
        slug="services",
        title=_("Services and outcomes"),
        columns=[
            _("Service"),
            _("Provider"),
            _("Status"),
            _("Referred on"),
            _("Accepted on"),
            _("Started on"),
            _("Ended on"),
            _("Outcome"),
        ],
        rows=[
            [
                referral.service_type.name,
                referral.provider.name if referral.provider_id else "",
                referral.get_status_display(),
                referral.referred_on,
                referral.accepted_on,
                referral.started_on,
                referral.ended_on,
                referral.get_outcome_display(),
            ]
            for referral in referrals
        ],
    )


def assessments_table(assessments: list[Assessment]) -> ReportTable:
    return ReportTable(
        slug="assessments",
        title=_("Assessment scores"),
        columns=[_("Date"), *(str(domain.label) for domain in Assessment.DOMAINS)],
        rows=[
            [assessment.assessed_on, *(getattr(assessment, domain.value) for domain in Assessment.DOMAINS)]
            for assessment in assessments
        ],
        note=_("Each domain is scored from 1 (severe difficulty) to 5 (no difficulty); a dash: not scored."),
    )


def proceedings_table(proceedings: list[LegalProceeding]) -> ReportTable:
    return ReportTable(
        slug="legal-proceedings",
        title=_("Legal proceedings"),
        columns=[
            _("Framework"),
            _("Article"),
            _("Provision"),
            _("Stage"),
            _("Started on"),
            _("Ended on"),
            _("Closed court"),
        ],
        rows=[
            [
                LinkedText(
                    str(proceeding.framework), reverse("policies:framework", args=[proceeding.framework_id])
                ),
                proceeding.provision.article if proceeding.provision_id else "",
                proceeding.provision.title if proceeding.provision_id else "",
                proceeding.get_stage_display(),
                proceeding.started_on,
                proceeding.ended_on,
                _yes_no(proceeding.closed_court),
            ]
            for proceeding in proceedings
        ],
    )


def contacts_table(contacts: list[tuple[datetime.date, str]]) -> ReportTable:
    labels = dict(choices.ContactType.choices)
    return ReportTable(
        slug="recent-contacts",
        title=_("Recent contacts"),
        columns=[_("Date"), _("Type of contact")],
        rows=[[on, str(labels.get(kind, kind))] for on, kind in contacts],
        note=_("The latest %(count)s contacts, date and type only; restricted notes are not included.")
        % {"count": CONTACTS_SHOWN},
    )


# --- The report -----------------------------------------------------------------------------------------


def build(user: User, case: Case, *, today: datetime.date | None = None) -> exports.Report:
    """The case summary of `case` (from audit.audited_case) as `user` may see it."""
    today = today or timezone.localdate()
    found = load(user, case, today=today)
    case = found.case
    tables = {
        table.slug.replace("-", "_"): table  # the template names them: tables.open_actions
        for table in (
            profile_table(case),
            journey_table(case),
            open_actions_table(found, today),
            timeline_table(found),
            services_table(found.referrals),
            assessments_table(found.assessments),
            proceedings_table(found.proceedings),
            contacts_table(found.contacts),
        )
    }
    return exports.Report(
        name="case-summary",
        title=_("Case summary: %(reference)s") % {"reference": case.reference},
        template="reports/case_summary.html",
        filename=f"case-summary-{case.reference}",
        context={
            "case": case,
            "tables": tables,
            "assessment_chart": assessment_chart(found.assessments),
            "case_url": reverse("casework:case-detail", kwargs={"reference": case.reference}),
        },
        tables=list(tables.values()),
        parameters={"reference": case.reference},
        described=[
            (_("Case reference"), case.reference),
            (_("Organisation"), case.organisation.name),
            (_("Status"), case.get_status_display()),
        ],
        case=case,
    )


@never_cache
@login_required
@require_GET
def case_summary(request: HttpRequest, reference: str) -> HttpResponse:
    """The case summary in the format asked for. The same access as the case page: a case the user may
    not see, or no such case, is the same recorded 404 (audit.audited_case)."""
    case = audit.audited_case(request, reference, page="case-summary")
    return exports.respond(request, build(request.user, case))

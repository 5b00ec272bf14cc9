"""Who may see and do what: the one place where access to cases is decided (DESIGN §3.2).

Role × organisation × assignment. Views, the admin, the API, reports and exports all ask this module;
nothing else filters cases by organisation or assignment. A case the user may not see does not exist
for them: lookups raise Http404, never PermissionDenied, so its existence does not leak. A case they may
see but not change answers PermissionDenied on a write.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from casework.choices import Role

if TYPE_CHECKING:
    from casework.models import Case, User


def role_of(user) -> Role | None:
    """The role that governs this user's access, or None for nobody (anonymous, inactive)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Role.SYSTEM_ADMIN
    return Role(user.role)


def case_filter(user) -> Q | None:
    """The condition a case must meet to be visible to `user`; None means every case.

    - system administrator: every case;
    - organisation administrator and supervisor: every case of their organisation;
    - caseworker: cases of their organisation assigned to them or opened by them;
    - analyst, auditor, anyone else: none through case pages (analysts get anonymised aggregates).
    """
    role = role_of(user)
    if role == Role.SYSTEM_ADMIN:
        return None
    if role is None or not user.organisation_id:
        return Q(pk__in=[])
    if role.sees_whole_organisation:
        return Q(organisation_id=user.organisation_id)
    if role == Role.CASEWORKER:
        return Q(organisation_id=user.organisation_id) & (Q(assigned_to=user) | Q(created_by=user))
    return Q(pk__in=[])


def restrict_cases(queryset: QuerySet, user, prefix: str = "") -> QuerySet:
    """Narrow a queryset of cases (or, with `prefix="case__"`, of records of cases) to what `user` sees."""
    condition = case_filter(user)
    if condition is None:
        return queryset
    if not prefix:
        return queryset.filter(condition)
    return queryset.filter(_prefixed(condition, prefix))


def _prefixed(condition: Q, prefix: str) -> Q:
    children = [
        _prefixed(child, prefix) if isinstance(child, Q) else (prefix + child[0], child[1])
        for child in condition.children
    ]
    prefixed = Q(*children, _connector=condition.connector, _negated=condition.negated)
    return prefixed


def can_edit_case(user, case: Case) -> bool:
    """Supervisors edit every case of their organisation; caseworkers the cases they see;
    system administrators any case. Organisation administrators only read. Closed and archived
    cases are read-only for everyone but supervisors and system administrators."""
    role = role_of(user)
    if role == Role.SYSTEM_ADMIN:
        return True
    if role is None or not role.works_on_cases or case.organisation_id != user.organisation_id:
        return False
    if role == Role.CASEWORKER:
        if user.pk not in (case.assigned_to_id, case.created_by_id):
            return False
        return case.is_open
    return True


def can_create_case(user) -> bool:
    role = role_of(user)
    return role is not None and role.works_on_cases and bool(user.organisation_id)


def get_case_for_user(user: User, reference: str, write: bool = False) -> Case:
    """The case with this reference if `user` may see it: Http404 otherwise, whether it exists or not.

    With `write=True`, PermissionDenied when the user sees the case but may not change it.
    """
    from casework.models import Case

    case = (
        restrict_cases(Case.objects.all(), user)
        .select_related("organisation", "assigned_to", "created_by")
        .filter(reference=reference)
        .first()
    )
    if case is None:
        # The message must not echo the reference: a 404 page should not confirm what was asked for.
        raise Http404("No such case.")
    if write and not can_edit_case(user, case):
        raise PermissionDenied("You may read this case but not change it.")
    return case


def restrict_notes(queryset: QuerySet, user) -> QuerySet:
    """Notes of visible cases; a restricted note only for its author and the organisation's supervisors."""
    queryset = restrict_cases(queryset, user, prefix="case__")
    role = role_of(user)
    if role is None:
        return queryset.none()
    if role.sees_restricted_notes:
        return queryset
    return queryset.filter(Q(restricted=False) | Q(author=user))


def analysable_cases(queryset: QuerySet, user) -> QuerySet:
    """Cases whose anonymised data an analyst may study: of organisations that share with analysts,
    and of people who consented to anonymised data sharing and have not withdrawn consent."""
    role = role_of(user)
    if role in (Role.ANALYST, Role.SYSTEM_ADMIN):
        return queryset.filter(
            organisation__shares_with_analysts=True,
            consent_data_sharing=True,
            consent_withdrawn_on__isnull=True,
        )
    return queryset.none()


def restrict_households(queryset: QuerySet, user) -> QuerySet:
    """Households with at least one member case the user sees (or, for organisation-wide roles, any
    household of their organisation, so an empty one just created is not lost)."""
    role = role_of(user)
    if role == Role.SYSTEM_ADMIN:
        return queryset
    if role is None or not user.organisation_id:
        return queryset.none()
    if role.sees_whole_organisation:
        return queryset.filter(organisation_id=user.organisation_id)
    from casework.models import Case

    members = restrict_cases(Case.objects.all(), user).values("household_id")
    return queryset.filter(organisation_id=user.organisation_id, pk__in=members)


def may_use_admin(user) -> bool:
    """Only system administrators, organisation administrators and auditors use the Django admin."""
    role = role_of(user)
    return role is not None and role.uses_admin_site


# --- Organisations and users ---------------------------------------------------------------------------


def restrict_organisations(queryset: QuerySet, user) -> QuerySet:
    """System administrators and auditors see every organisation (auditors filter the trail by it);
    anyone else who belongs to an organisation sees only their own; everyone else none."""
    role = role_of(user)
    if role is None:
        return queryset.none()
    if role == Role.SYSTEM_ADMIN or role.reads_audit_trail:
        return queryset
    if user.organisation_id:
        return queryset.filter(pk=user.organisation_id)
    return queryset.none()


def restrict_users(queryset: QuerySet, user) -> QuerySet:
    """System administrators see every user; members of an organisation see its users (the colleagues
    a case is assigned to, a note is signed by); nobody else sees who the staff are."""
    role = role_of(user)
    if role == Role.SYSTEM_ADMIN:
        return queryset
    if role is None or not user.organisation_id:
        return queryset.none()
    return queryset.filter(organisation_id=user.organisation_id)


def assignable_roles(actor) -> tuple[Role, ...]:
    """The roles `actor` may give a user: every role for a system administrator; for an organisation
    administrator only the roles that work inside one organisation (organisation administrator,
    supervisor, caseworker) — never system administrator, analyst or auditor; none for anyone else."""
    role = role_of(actor)
    if role == Role.SYSTEM_ADMIN:
        return tuple(Role)
    if role is not None and role.manages_organisation_users and actor.organisation_id:
        return tuple(candidate for candidate in Role if candidate.needs_organisation)
    return ()


def may_manage_user(actor, target) -> bool:
    """Whether `actor` may change `target`'s account (names, password, role, active flag).

    System administrators manage everyone. An organisation administrator manages the users of their
    own organisation whose role they could have given (so never a superuser, nor an analyst or auditor
    placed in the organisation), themselves included.
    """
    role = role_of(actor)
    if role == Role.SYSTEM_ADMIN:
        return True
    if role is None or not role.manages_organisation_users or not actor.organisation_id:
        return False
    return (
        target.organisation_id == actor.organisation_id
        and not target.is_superuser
        and target.role in assignable_roles(actor)
    )


def may_save_user(actor, user) -> bool:
    """Whether the account as about to be saved is one `actor` may create or leave behind: for an
    organisation administrator, a user of their own organisation, with a role they may give, who is
    not a superuser. It checks the result, whatever form or request produced it."""
    if role_of(actor) == Role.SYSTEM_ADMIN:
        return True
    return (
        bool(actor.organisation_id)
        and user.organisation_id == actor.organisation_id
        and not user.is_superuser
        and user.role in assignable_roles(actor)
    )


# Nobody changes these on their own account: a mistake would lock them out or raise them, and either is
# for another administrator to do.
OWN_ACCOUNT_LOCKED_FIELDS = ("role", "organisation", "is_active", "is_superuser")


def chooses_organisation(actor) -> bool:
    """Only a system administrator chooses which organisation a user belongs to; an organisation
    administrator's users belong to theirs, whatever is posted."""
    return role_of(actor) == Role.SYSTEM_ADMIN


# What an organisation administrator may change about their own organisation: its settings. Its name and
# short name identify it across the deployment, and whether it is active is for system administrators.
ORGANISATION_SETTINGS = ("country", "shares_with_analysts")


def may_change_organisation(actor, organisation) -> bool:
    """System administrators change any organisation; an organisation administrator only the settings
    (ORGANISATION_SETTINGS) of their own."""
    role = role_of(actor)
    if role == Role.SYSTEM_ADMIN:
        return True
    return (
        role is not None
        and role.manages_organisation_users
        and organisation is not None
        and organisation.pk == actor.organisation_id
    )


# --- The Django admin -------------------------------------------------------------------------------------


class AdminArea(StrEnum):
    """The parts of the Django admin that access is decided for; each ModelAdmin names its area."""

    CASES = "cases"
    CASE_RECORDS = "case_records"  # notes, referrals, assessments, legal proceedings, households
    USERS = "users"
    ORGANISATIONS = "organisations"
    REFERENCE = "reference"  # countries, regions, armed groups, services, frameworks, programmes, figures
    AUDIT_TRAIL = "audit_trail"
    SIGN_IN_RECORDS = "sign_in_records"  # django-axes' failed sign-ins and lockouts
    SAVED_REPORTS = "saved_reports"  # report definitions users run in one click from /reports/


VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"
_ALL = frozenset({VIEW, ADD, CHANGE, DELETE})

# What each role may do in each area of the admin. Within an area, the rows are further limited to
# what the role sees (restrict_cases, restrict_users, …) and each object to the rules above
# (can_edit_case, may_manage_user, may_change_organisation). Nobody deletes a case or a case record
# (archived or corrected, never lost: DESIGN §3.4), a user (deactivated: the trail names them) or an
# audit event (append-only). Supervisors, caseworkers and analysts do not use the admin at all.
ADMIN_ACCESS: dict[Role, dict[AdminArea, frozenset[str]]] = {
    Role.SYSTEM_ADMIN: {
        AdminArea.CASES: frozenset({VIEW, ADD, CHANGE}),
        AdminArea.CASE_RECORDS: frozenset({VIEW, ADD, CHANGE}),
        AdminArea.USERS: frozenset({VIEW, ADD, CHANGE}),
        AdminArea.ORGANISATIONS: _ALL,
        AdminArea.REFERENCE: _ALL,
        AdminArea.AUDIT_TRAIL: frozenset({VIEW}),
        AdminArea.SIGN_IN_RECORDS: frozenset({VIEW, DELETE}),  # deleting an attempt lifts a lockout
        AdminArea.SAVED_REPORTS: _ALL,
    },
    Role.ORG_ADMIN: {
        AdminArea.CASES: frozenset({VIEW}),
        AdminArea.CASE_RECORDS: frozenset({VIEW}),
        AdminArea.USERS: frozenset({VIEW, ADD, CHANGE}),
        AdminArea.ORGANISATIONS: frozenset({VIEW, CHANGE}),
        AdminArea.REFERENCE: frozenset({VIEW}),
        AdminArea.SAVED_REPORTS: _ALL,  # their organisation's (restrict_saved_reports)
    },
    Role.AUDITOR: {
        AdminArea.AUDIT_TRAIL: frozenset({VIEW}),
    },
}


def admin_may(user, action: str, area: AdminArea) -> bool:
    """Whether `user` may `action` ("view", "add", "change", "delete") in `area` of the admin at all.

    Only roles that use the admin site have rows in ADMIN_ACCESS; Django's per-model permissions and
    groups play no part: roles are data, and a superuser counts as a system administrator. A role that
    works inside an organisation may do nothing without one.
    """
    role = role_of(user)
    if role is None or not role.uses_admin_site:
        return False
    if role.needs_organisation and not user.organisation_id:
        return False
    return action in ADMIN_ACCESS.get(role, {}).get(area, frozenset())


def may_review_history(user, case: Case) -> bool:
    """Field history, and restoring from it, is for those who answer for a whole caseload: supervisors
    of the case's organisation and system administrators — and only where they may edit the case, since
    a restore is an edit. Caseworkers and read-only roles are refused (organisation administrators,
    auditors); who may not see the case at all never gets this far (404)."""
    role = role_of(user)
    if role is None or not can_edit_case(user, case):
        return False
    return role.can_assign or role == Role.SYSTEM_ADMIN


def reads_case_pages(user) -> bool:
    """Case pages (the case lists on the dashboard, `/cases/`, a case's own pages) are for those who
    work on cases or oversee a caseload: caseworkers, supervisors, organisation administrators (reading
    only) and system administrators. Analysts study anonymised aggregates through the API and auditors
    read the trail: neither reads case content, so neither gets these pages."""
    role = role_of(user)
    if role is None:
        return False
    return role == Role.SYSTEM_ADMIN or role.works_on_cases or role.sees_whole_organisation


def may_supervise(actor, case: Case) -> bool:
    """Assigning, deciding on closure and archiving are for those with the `can_assign` capability
    (supervisors) who may change this case, that is, supervisors of the case's organisation."""
    role = role_of(actor)
    return role is not None and role.can_assign and can_edit_case(actor, case)


def may_request_closure(actor, case: Case) -> bool:
    """Whoever may change an open case may ask for it to be closed: its caseworker (assigned to it or who
    opened it), a supervisor of its organisation, a system administrator."""
    return case.is_open and can_edit_case(actor, case)


def _case_model():
    from casework.models import Case

    return Case


def _referral_model():
    from casework.models import Referral

    return Referral


def analyses_shared_data(user) -> bool:
    """Analysts and system administrators count the cases of organisations that share with analysts."""
    return role_of(user) in (Role.ANALYST, Role.SYSTEM_ADMIN)


def cases_for_statistics(user) -> QuerySet:
    """The cases `user` may count in statistics: analysts and system administrators those they may
    analyse, staff those they see; anyone else (auditors) is refused."""
    if analyses_shared_data(user):
        return analysable_cases(_case_model().objects.all(), user)
    if reads_case_pages(user):
        return _case_model().objects.visible_to(user)
    raise PermissionDenied("Your role does not read case statistics.")


def referrals_for_statistics(user) -> QuerySet:
    """Referrals of the cases `user` may count (the same rule as the cases)."""
    if analyses_shared_data(user):
        return _referral_model().objects.filter(case__in=analysable_cases(_case_model().objects.all(), user))
    if reads_case_pages(user):
        return _referral_model().objects.visible_to(user)
    raise PermissionDenied("Your role does not read case statistics.")


# --- Reports ---------------------------------------------------------------------------------------------


def may_run_caseload_report(user) -> bool:
    """The caseload report is for those who answer for a caseload: supervisors and organisation
    administrators (their organisation), system administrators and analysts (organisations that share
    with analysts). Caseworkers have their own cases on the dashboard; auditors read the trail."""
    role = role_of(user)
    if role is None:
        return False
    if role in (Role.SYSTEM_ADMIN, Role.ANALYST):
        return True
    return role.sees_whole_organisation and bool(user.organisation_id)


def report_organisations(user) -> QuerySet:
    """The organisations whose caseload `user` may report on: their own for supervisors and
    organisation administrators; those sharing with analysts for analysts and system administrators."""
    from casework.models import Organisation

    if not may_run_caseload_report(user):
        return Organisation.objects.none()
    if analyses_shared_data(user):
        return Organisation.objects.filter(shares_with_analysts=True)
    return Organisation.objects.filter(pk=user.organisation_id)


def report_cases(user, organisation=None) -> QuerySet:
    """The cases counted in `user`'s caseload report, optionally of one organisation (which must be one
    of `report_organisations(user)`; anything else counts nothing): for supervisors and organisation
    administrators the cases they see, for analysts and system administrators the cases they may
    analyse."""
    Case = _case_model()
    if not may_run_caseload_report(user):
        return Case.objects.none()
    cases = cases_for_statistics(user)
    if organisation is not None:
        if not report_organisations(user).filter(pk=organisation.pk).exists():
            return Case.objects.none()
        cases = cases.filter(organisation=organisation)
    return cases


def counts_cases(user) -> bool:
    """Whether `user` may see counts of cases at all (the country brief's aggregate): everyone who
    reads case pages or analyses shared data; not auditors."""
    return analyses_shared_data(user) or reads_case_pages(user)


def restrict_saved_reports(queryset: QuerySet, user, *, managing: bool = False) -> QuerySet:
    """Saved report definitions: those for everyone (no organisation) and those of the user's
    organisation. With `managing=True` (the admin), system administrators get every definition and
    organisation administrators only their organisation's."""
    role = role_of(user)
    if role is None:
        return queryset.none()
    if managing:
        if role == Role.SYSTEM_ADMIN:
            return queryset
        if role.manages_organisation_users and user.organisation_id:
            return queryset.filter(organisation_id=user.organisation_id)
        return queryset.none()
    if user.organisation_id:
        return queryset.filter(Q(organisation__isnull=True) | Q(organisation_id=user.organisation_id))
    return queryset.filter(organisation__isnull=True)


# --- Data protection (issue 7) ---------------------------------------------------------------------------


def may_export_case(user, case: Case) -> bool:
    """Exporting everything held about a case (for a subject access request or a court order) is for
    those who answer for the organisation's caseload — supervisors of the case's organisation — and for
    system administrators. The export holds every note, restricted ones included, so caseworkers and
    organisation administrators (who read the case) are refused (403); anyone who may not see the case
    never gets this far (404)."""
    role = role_of(user)
    if role == Role.SYSTEM_ADMIN:
        return True
    return (
        role is not None
        and role.can_assign
        and role.sees_restricted_notes
        and bool(user.organisation_id)
        and case.organisation_id == user.organisation_id
    )


# --- Two-factor sign-in (issue 7) -------------------------------------------------------------------------


def may_reset_two_factor(actor, target) -> bool:
    """Whether `actor` may reset `target`'s second factor (delete their authenticator app and backup
    codes, so they enrol again at their next sign-in): whoever manages the account (`may_manage_user`) —
    a system administrator for anyone, an organisation administrator for the users of their own
    organisation whose role they could have given. Anyone else gets 404, as for a user who does not
    exist."""
    return may_manage_user(actor, target)


# --- end two-factor sign-in (issue 7) ---


# --- Background exports (issue 8) -------------------------------------------------------------------------


def restrict_export_jobs(queryset: QuerySet, user) -> QuerySet:
    """A prepared export is its requester's alone: nobody else sees it — not a supervisor of the same
    organisation, not a system administrator (the admin lists jobs without their files). The file holds
    what the requester could see when it ran; anyone else asking for it gets 404."""
    if role_of(user) is None:
        return queryset.none()
    return queryset.filter(requested_by=user)

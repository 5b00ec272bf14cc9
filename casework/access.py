"""Who may see and do what: the one place where access to cases is decided (DESIGN §3.2).

Role × organisation × assignment. Views, the admin, the API, reports and exports all ask this module;
nothing else filters cases by organisation or assignment. A case the user may not see does not exist
for them: lookups raise Http404, never PermissionDenied, so its existence does not leak. A case they may
see but not change answers PermissionDenied on a write.
"""

from __future__ import annotations

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
    """Cases whose anonymised, aggregated data an analyst may study: organisations that share."""
    role = role_of(user)
    if role in (Role.ANALYST, Role.SYSTEM_ADMIN):
        return queryset.filter(organisation__shares_with_analysts=True)
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
    role = role_of(user)
    return role is not None and role.uses_admin_site

"""The permission matrix: every URL × every role × own / unassigned / foreign object.

The expectations below are written out from the access table in README.md ("Who sees what"), not
computed from casework/access.py, so a change to the rules that the table does not share fails here.
Every URL the project routes must have a row: a new page, API endpoint or report without one fails
`test_every_routed_url_has_a_row_in_the_matrix`, so each later feature extends this file.
"""

from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from casework import audit, choices
from casework.choices import Role
from casework.models import (
    Assessment,
    AuditEvent,
    Case,
    CaseNote,
    ExportJob,
    Household,
    LegalProceeding,
    Organisation,
    Referral,
    SavedReport,
    ServiceProvider,
    ServiceType,
    User,
)
from policies.models import (
    ArmedGroup,
    Country,
    LegalFramework,
    Programme,
    Provision,
    Region,
    ReportedFigure,
)
from tests import factories

ROLES = ("anonymous", "system_admin", "org_admin", "supervisor", "caseworker", "analyst", "auditor")
KINDS = ("own", "unassigned", "foreign")
ADMIN_ROLES = {"system_admin", "org_admin", "auditor"}

# --- The access table, as admin permissions per area (README "Who sees what") ------------------------

CASES, RECORDS, USERS, ORGANISATIONS, REFERENCE, TRAIL, SIGN_INS, SAVED = (
    "cases",
    "records",
    "users",
    "organisations",
    "reference",
    "trail",
    "sign_ins",
    "saved_reports",
)
AREA_OF = {
    Case: CASES,
    CaseNote: RECORDS,
    Referral: RECORDS,
    Assessment: RECORDS,
    LegalProceeding: RECORDS,
    Household: RECORDS,
    User: USERS,
    Organisation: ORGANISATIONS,
    ServiceType: REFERENCE,
    ServiceProvider: REFERENCE,
    Country: REFERENCE,
    Region: REFERENCE,
    ArmedGroup: REFERENCE,
    LegalFramework: REFERENCE,
    Provision: REFERENCE,
    Programme: REFERENCE,
    ReportedFigure: REFERENCE,
    AuditEvent: TRAIL,
    AccessAttempt: SIGN_INS,
    AccessLog: SIGN_INS,
    AccessFailureLog: SIGN_INS,
    SavedReport: SAVED,
}
# v view, a add, c change, d delete. Cases are archived, never deleted; the trail is never changed.
MAY = {
    "system_admin": {
        CASES: "vac",
        RECORDS: "vac",
        USERS: "vac",
        ORGANISATIONS: "vacd",
        REFERENCE: "vacd",
        TRAIL: "v",
        SIGN_INS: "vd",
        SAVED: "vacd",
    },
    # Saved report definitions: an organisation administrator manages their organisation's.
    "org_admin": {CASES: "v", RECORDS: "v", USERS: "vac", ORGANISATIONS: "vc", REFERENCE: "v", SAVED: "vacd"},
    "auditor": {TRAIL: "v"},
}
# Areas whose objects belong to one organisation: another organisation's answer 404, like a missing one.
ORGANISATION_AREAS = {CASES, RECORDS, USERS, ORGANISATIONS, SAVED}
# Areas that do not exist at all for an admin role that may not read them (no 403 hinting at them).
PRIVATE_AREAS = {CASES, RECORDS, USERS, SAVED}


def sees_object(role: str, area: str, kind: str) -> bool:
    """Whether the role's scope includes the object (for roles that may view the area at all)."""
    if role == "system_admin":
        return True
    if role == "org_admin":
        return area not in ORGANISATION_AREAS or kind != "foreign"
    return role == "auditor" and area == TRAIL


def admin_object_status(role: str, model, view: str, kind: str) -> int:
    if role not in ADMIN_ROLES:
        return 302  # to the admin's sign-in page
    area = AREA_OF[model]
    may = MAY[role].get(area, "")
    needed = {"change": "v", "history": "v", "delete": "d", "password": "c", "save": "c"}[view]
    if area in PRIVATE_AREAS and "v" not in may:
        return 404  # cases, their records and staff do not exist for roles that may not read them
    if "v" in may and not sees_object(role, area, kind):
        return 404  # outside the user's scope: the same answer as a missing object, whatever the view
    return 200 if needed in may else 403


def admin_model_status(role: str, model, view: str) -> int:
    if role not in ADMIN_ROLES:
        return 302
    needed = {"changelist": "v", "add": "a"}[view]
    return 200 if needed in MAY[role].get(AREA_OF[model], "") else 403


# --- Site pages ----------------------------------------------------------------------------------------


def history_status(role: str, kind: str) -> int:
    """Field history and restore: supervisors of the organisation and system administrators."""
    if role == "anonymous":
        return 302
    if role == "system_admin":
        return 200
    if role == "supervisor":
        return 404 if kind == "foreign" else 200
    if role == "org_admin":
        return 404 if kind == "foreign" else 403  # reads the case, may not change it
    if role == "caseworker":
        return 403 if kind == "own" else 404  # works on their own cases; a colleague's does not exist
    return 404


def reads_case(role: str, kind: str) -> bool:
    """Case pages: system administrators every case; organisation administrators and supervisors
    their organisation's; caseworkers the cases assigned to them or opened by them."""
    return (
        role == "system_admin"
        or (role in ("org_admin", "supervisor") and kind != "foreign")
        or (role == "caseworker" and kind == "own")
    )


def case_page_status(role: str, kind: str) -> int:
    if role == "anonymous":
        return 302
    return 200 if reads_case(role, kind) else 404


def case_write_status(role: str, kind: str) -> int:
    """Editing and adding records: whoever reads the case, except read-only organisation administrators."""
    if role == "anonymous":
        return 302
    if not reads_case(role, kind):
        return 404
    return 403 if role == "org_admin" else 200


def supervision_status(role: str, kind: str) -> int:
    """Assign, decide a closure, archive: supervisors of the organisation only."""
    if role == "anonymous":
        return 302
    if not reads_case(role, kind):
        return 404
    return 200 if role == "supervisor" else 403


def export_status(role: str, kind: str) -> int:
    """Export for a legal request: supervisors of the organisation and system administrators; whoever
    reads the case but may not export it (organisation administrators, its caseworker) gets 403."""
    if role == "anonymous":
        return 302
    if not reads_case(role, kind):
        return 404
    return 200 if role in ("system_admin", "supervisor") else 403


def export_job_status(role: str, kind: str) -> int:
    """A background export (its progress page and its file) is its requester's alone: the kind's user
    asked for it (own: A's caseworker). Anyone else — a supervisor of the same organisation, a system
    administrator included — gets the 404 of a job that does not exist."""
    if role == "anonymous":
        return 302
    return 200 if role == "caseworker" and kind == "own" else 404


def signed_in(role: str, kind: str) -> int:
    return 302 if role == "anonymous" else 200


CASE_URLS = {
    "casework:case-detail": case_page_status,
    "casework:case-edit": case_write_status,
    "casework:case-history": history_status,
    "casework:note-add": case_write_status,
    "casework:referral-add": case_write_status,
    "casework:referral-advance": case_write_status,
    "casework:assessment-add": case_write_status,
    "casework:proceeding-add": case_write_status,
    "casework:closure-request": case_write_status,
    "casework:case-assign": supervision_status,
    "casework:closure-decide": supervision_status,
    "casework:case-archive": supervision_status,
    "casework:case-export": export_status,
    # The case summary report: exactly the case page's access.
    "reports:case-summary": case_page_status,
}


def api_list_status(role: str, kind: str) -> int:
    """Case content through the API: staff and analysts (anonymised); auditors read only the trail."""
    return {"anonymous": 401, "auditor": 403}.get(role, 200)


def api_note_list_status(role: str, kind: str) -> int:
    return {"anonymous": 401, "auditor": 403, "analyst": 403}.get(role, 200)


def api_detail_status(role: str, kind: str) -> int:
    """A case or record by its reference or numeric id; analysts only know opaque ids, so 404."""
    if role == "anonymous":
        return 401
    if role == "auditor":
        return 403
    return 200 if reads_case(role, kind) else 404


def api_note_detail_status(role: str, kind: str) -> int:
    return 403 if role == "analyst" else api_detail_status(role, kind)


def api_reference_status(role: str, kind: str) -> int:
    return 401 if role == "anonymous" else 200


API_CASE_URLS = {
    "case-detail": api_detail_status,
    "referral-detail": api_detail_status,
    "assessment-detail": api_detail_status,
    "legal-proceeding-detail": api_detail_status,
    "note-detail": api_note_detail_status,
}
API_REFERENCE_DETAIL = {
    "country-detail": Country,
    "legal-framework-detail": LegalFramework,
    "provision-detail": Provision,
    "programme-detail": Programme,
    "armed-group-detail": ArmedGroup,
    "service-type-detail": ServiceType,
}
API_RECORD_OF = {
    "referral-detail": Referral,
    "assessment-detail": Assessment,
    "legal-proceeding-detail": LegalProceeding,
    "note-detail": CaseNote,
}

SITE = {
    **CASE_URLS,
    **API_CASE_URLS,
    "case-list": api_list_status,
    "referral-list": api_list_status,
    "assessment-list": api_list_status,
    "legal-proceeding-list": api_list_status,
    "note-list": api_note_list_status,
    **dict.fromkeys(API_REFERENCE_DETAIL, api_reference_status),
    **{name.replace("-detail", "-list"): api_reference_status for name in API_REFERENCE_DETAIL},
    "api-stats-cases": lambda role, kind: {"anonymous": 401, "auditor": 403}.get(role, 200),
    "api-stats-referrals": lambda role, kind: {"anonymous": 401, "auditor": 403}.get(role, 200),
    "casework:api-tokens": signed_in,
    "casework:api-token-revoke": lambda role, kind: 302 if role == "anonymous" else 405,  # POST only
    "casework:case-list": lambda role, kind: {"anonymous": 302, "analyst": 403, "auditor": 403}.get(
        role, 200
    ),
    # Every case the user sees, as CSV: for those who read case pages.
    "casework:case-export-csv": lambda role, kind: {"anonymous": 302, "analyst": 403, "auditor": 403}.get(
        role, 200
    ),
    # Opening a case is for those who work on cases within an organisation.
    "casework:case-new": lambda role, kind: {"anonymous": 302, "supervisor": 200, "caseworker": 200}.get(
        role, 403
    ),
    # The API answers 401, not a redirect, to a request without credentials; the schema too.
    "api-root": lambda role, kind: 401 if role == "anonymous" else 200,
    "api-schema": lambda role, kind: 401 if role == "anonymous" else 200,
    "api-docs": lambda role, kind: 401 if role == "anonymous" else 200,
    "policies:index": signed_in,
    "policies:country": signed_in,
    "policies:framework": signed_in,
    "policies:programme": signed_in,
    "reports:index": signed_in,
    # The reference form: to the report (or back to the index without a reference) for those who read
    # case pages; the page does not exist for the others.
    "reports:case-summary-find": lambda role, kind: {"analyst": 404, "auditor": 404}.get(role, 302),
    "reports:country-brief-find": lambda role, kind: 302,
    # Supervisors and organisation administrators (their organisation), analysts and system
    # administrators (sharing organisations); caseworkers have their dashboard, auditors the trail.
    "reports:caseload": lambda role, kind: {"anonymous": 302, "caseworker": 403, "auditor": 403}.get(
        role, 200
    ),
    "reports:country-brief": signed_in,
    # Organisation A's saved caseload report: run (redirect) by A's users who may run it; for everyone
    # else it does not exist.
    "reports:saved-run": lambda role, kind: 302 if role in ("anonymous", "org_admin", "supervisor") else 404,
    # Resetting a user's second factor: the kind's user (own: A's caseworker, unassigned: A's colleague,
    # foreign: B's caseworker); organisation administrators their organisation's, system administrators
    # anyone's; for everyone else the page does not exist.
    "two_factor:reset": lambda role, kind: (
        302
        if role == "anonymous"
        else 200
        if role == "system_admin" or (role == "org_admin" and kind != "foreign")
        else 404
    ),
    # With two-factor sign-in off (the test environment) these send everyone on.
    "two_factor:verify": lambda role, kind: 302,
    "two_factor:enrol": lambda role, kind: 302,
    # Background exports (issue 8): the user's own list; asking is a POST; a job is its requester's.
    "exports:list": signed_in,
    "exports:new": lambda role, kind: 302 if role == "anonymous" else 405,
    "exports:detail": export_job_status,
    "exports:download": export_job_status,
    "healthz": lambda role, kind: 200,
    "login": lambda role, kind: 200,
    "logout": lambda role, kind: 405,  # signing out is a POST
    "password_change": lambda role, kind: 302 if role == "anonymous" else 200,
    "password_change_done": lambda role, kind: 302 if role == "anonymous" else 200,
    "casework:home": lambda role, kind: 302 if role == "anonymous" else 200,
    "admin:index": lambda role, kind: 200 if role in ADMIN_ROLES else 302,
    "admin:login": lambda role, kind: 302 if role in ADMIN_ROLES else 200,  # already in: to the index
    "admin:logout": lambda role, kind: 405 if role in ADMIN_ROLES else 302,
    "admin:password_change": lambda role, kind: 200 if role in ADMIN_ROLES else 302,
    "admin:password_change_done": lambda role, kind: 200 if role in ADMIN_ROLES else 302,
    "admin:jsi18n": lambda role, kind: 200 if role in ADMIN_ROLES else 302,
    "admin:app_list": lambda role, kind: 200 if role in ADMIN_ROLES else 302,
    # Without a known field to complete, nobody gets anything.
    "admin:autocomplete": lambda role, kind: 403 if role in ADMIN_ROLES else 302,
    "admin:view_on_site": lambda role, kind: 404 if role in ADMIN_ROLES else 302,  # no object has a page yet
    "admin:catch_all": lambda role, kind: 404 if role in ADMIN_ROLES else 302,
}
# Pages about one user, asked for each kind's user.
PER_USER_URLS = {"two_factor:reset", "exports:detail", "exports:download"}
ADMIN_MODEL_VIEWS = ("changelist", "add")
ADMIN_OBJECT_VIEWS = ("change", "history", "delete")


# --- What exists -------------------------------------------------------------------------------------


def routed_names(patterns=None, namespace: str = "") -> set[str]:
    names = set()
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= routed_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            if pattern.name:
                names.add(namespace + pattern.name)
            elif namespace == "admin:" and "object_id" in str(pattern.pattern):
                names.add("admin:object_redirect")  # /admin/<app>/<model>/<id>/ → its change page
            elif namespace == "admin:" and "url" in str(pattern.pattern):
                names.add("admin:catch_all")
            else:
                names.add(f"{namespace}<unnamed {pattern.pattern}>")
    return names


def matrix_names() -> set[str]:
    names = set(SITE) | {"admin:object_redirect", "admin:auth_user_password_change"}
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        names |= {prefix + view for view in ADMIN_MODEL_VIEWS + ADMIN_OBJECT_VIEWS}
    return names


def test_every_routed_url_has_a_row_in_the_matrix():
    missing = routed_names() - matrix_names()
    assert not missing, f"URLs without a row in the permission matrix: {sorted(missing)}"


def test_every_registered_admin_model_has_an_area():
    assert set(admin.site._registry) == set(AREA_OF)


# --- The world -------------------------------------------------------------------------------------------


@pytest.fixture
def world(org_a, org_b, supervisor_a, caseworker_a, colleague_a, orgadmin_a, caseworker_b, superuser):
    """For each kind, one object of every model, as seen from organisation A's caseworker."""
    kz = factories.CountryFactory(code="KZ")
    cases = {
        "own": factories.CaseFactory(organisation=org_a, assigned_to=caseworker_a, citizenship=kz),
        "unassigned": factories.CaseFactory(organisation=org_a, assigned_to=colleague_a, citizenship=kz),
        "foreign": factories.CaseFactory(organisation=org_b, assigned_to=caseworker_b, citizenship=kz),
    }
    objects: dict[str, dict] = {kind: {} for kind in KINDS}
    for kind, case in cases.items():
        household = factories.HouseholdFactory(organisation=case.organisation)
        case.household, case.household_role = household, choices.HouseholdRole.MOTHER
        case.save()
        service_type = factories.ServiceTypeFactory()
        objects[kind].update(
            {
                Case: case,
                Household: household,
                CaseNote: factories.CaseNoteFactory(case=case, author=case.assigned_to),
                Referral: factories.ReferralFactory(case=case, service_type=service_type),
                Assessment: factories.AssessmentFactory(case=case),
                LegalProceeding: factories.LegalProceedingFactory(case=case),
                User: case.assigned_to if kind != "unassigned" else colleague_a,
                Organisation: case.organisation,
                ExportJob: _done_export(case.assigned_to if kind != "unassigned" else colleague_a),
                SavedReport: SavedReport.objects.create(
                    name=f"Caseload of {case.organisation.slug} ({kind})",
                    report="caseload",
                    parameters={"organisation": case.organisation.slug},
                    organisation=case.organisation,
                ),
            }
        )
    programme = factories.ProgrammeFactory(country=kz)
    framework = factories.LegalFrameworkFactory(country=kz)
    shared = {
        ServiceType: factories.ServiceTypeFactory(),
        ServiceProvider: factories.ServiceProviderFactory(country=kz),
        Country: kz,
        Region: factories.RegionFactory(country=kz),
        ArmedGroup: factories.ArmedGroupFactory(),
        LegalFramework: framework,
        Provision: factories.ProvisionFactory(framework=framework),
        Programme: programme,
        ReportedFigure: factories.ReportedFigureFactory(programme=programme),
        AuditEvent: audit.record(audit.Action.VIEW, actor=superuser, obj=cases["own"]),
    }
    seen = {"user_agent": "test", "ip_address": "127.0.0.1", "username": "someone"}
    seen |= {"http_accept": "text/html", "path_info": "/accounts/login/"}
    shared[AccessAttempt] = AccessAttempt.objects.create(
        **seen, get_data="", post_data="", failures_since_start=1
    )
    shared[AccessLog] = AccessLog.objects.create(**seen)
    shared[AccessFailureLog] = AccessFailureLog.objects.create(**seen, locked_out=False)
    for kind in KINDS:
        objects[kind].update(shared)
    users = {
        "anonymous": None,
        "system_admin": superuser,
        "org_admin": orgadmin_a,
        "supervisor": supervisor_a,
        "caseworker": caseworker_a,
        "analyst": factories.UserFactory(organisation=None, role=Role.ANALYST),
        "auditor": factories.UserFactory(organisation=None, role=Role.AUDITOR),
    }
    return SimpleNamespace(objects=objects, users=users)


def _done_export(user) -> ExportJob:
    from casework.export_jobs import jobs

    job = jobs._create(user=user, report="cases", parameters={}, output="xlsx")
    jobs.run(str(job.pk))
    return job


@dataclass
class Row:
    url: str
    expected: int | tuple[int, ...]
    name: str
    kind: str
    method: str = "get"


def site_url(name: str, objects: dict) -> str:
    case = objects[Case]
    if name == "case-detail":
        return reverse(name, args=[case.reference])
    if name in API_RECORD_OF:
        return reverse(name, args=[objects[API_RECORD_OF[name]].pk])
    if name in API_REFERENCE_DETAIL:
        obj = objects[API_REFERENCE_DETAIL[name]]
        return reverse(name, args=[getattr(obj, "code", None) or obj.pk])
    if name == "api-stats-cases":
        return reverse(name) + "?group_by=sex"
    if name == "api-stats-referrals":
        return reverse(name) + "?group_by=status"
    if name == "casework:api-token-revoke":
        return reverse(name, args=[1])
    if name == "casework:referral-advance":
        return reverse(name, args=[case.reference, objects[Referral].pk])
    if name in CASE_URLS:
        return reverse(name, args=[case.reference])
    if name in ("policies:country", "reports:country-brief"):
        return reverse(name, args=[objects[Country].code])
    if name == "two_factor:reset":
        return reverse(name, args=[objects[User].pk])
    if name in ("exports:detail", "exports:download"):
        return reverse(name, args=[objects[ExportJob].pk])
    if name == "reports:saved-run":
        return reverse(name, args=[objects[SavedReport].pk])
    if name == "policies:framework":
        return reverse(name, args=[objects[LegalFramework].pk])
    if name == "policies:programme":
        return reverse(name, args=[objects[Programme].pk])
    if name == "admin:app_list":
        return reverse(name, args=["casework"])
    if name == "admin:view_on_site":
        return reverse(name, args=[1, case.pk])
    if name.startswith("api-") or name.endswith("-list"):
        return reverse(name)
    if name == "admin:catch_all":
        return "/admin/no/such/page/"
    return reverse(name)


def rows_for(role: str, world) -> list[Row]:
    rows = []
    for name, expect in SITE.items():
        for kind in (
            KINDS if name in CASE_URLS or name in API_CASE_URLS or name in PER_USER_URLS else ("own",)
        ):
            url = site_url(name, world.objects[kind])
            rows.append(Row(url, expect(role, kind), name, kind))
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        for view in ADMIN_MODEL_VIEWS:
            rows.append(
                Row(reverse(prefix + view), admin_model_status(role, model, view), prefix + view, "-")
            )
        for kind in KINDS:
            obj = world.objects[kind][model]
            for view in ADMIN_OBJECT_VIEWS:
                status = admin_object_status(role, model, view, kind)
                rows.append(Row(reverse(prefix + view, args=[obj.pk]), status, prefix + view, kind))
            # A save of an empty form: where saving is allowed, validation answers (200), or the form is
            # valid as it stands and saves (302: an organisation's settings are two optional fields).
            status = admin_object_status(role, model, "save", kind)
            status = (200, 302) if status == 200 else status
            rows.append(
                Row(reverse(prefix + "change", args=[obj.pk]), status, prefix + "change", kind, "post")
            )
            rows.append(
                Row(
                    f"/admin/{model._meta.app_label}/{model._meta.model_name}/{obj.pk}/",
                    302,
                    "admin:object_redirect",
                    kind,
                )
            )
    for kind in KINDS:
        user = world.objects[kind][User]
        status = admin_object_status(role, User, "password", kind)
        rows.append(
            Row(
                reverse("admin:auth_user_password_change", args=[user.pk]),
                status,
                "admin:auth_user_password_change",
                kind,
            )
        )
    return rows


@pytest.mark.parametrize("role", ROLES)
def test_every_url_answers_each_role_as_the_access_table_says(client, world, role):
    user = world.users[role]
    if user is not None:
        client.force_login(user)
    wrong = []
    for row in rows_for(role, world):
        status = getattr(client, row.method)(row.url).status_code
        if status not in (row.expected if isinstance(row.expected, tuple) else (row.expected,)):
            where = f"{row.method.upper()} {row.name} [{row.kind}] {row.url}"
            wrong.append(f"{where}: expected {row.expected}, got {status}")
    assert not wrong, f"{len(wrong)} answers differ from the access table:\n" + "\n".join(wrong)


@pytest.mark.parametrize("role", ["org_admin", "supervisor", "caseworker", "auditor"])
def test_another_organisations_case_answers_exactly_like_a_missing_one(client, world, role):
    client.force_login(world.users[role])
    foreign = world.objects["foreign"][Case]
    urls = [
        (
            reverse("casework:case-history", args=[foreign.reference]),
            reverse("casework:case-history", args=["AAAA-AAAA"]),
        ),
        (
            reverse("admin:casework_case_change", args=[foreign.pk]),
            reverse("admin:casework_case_change", args=[10**9]),
        ),
    ]
    for foreign_url, missing_url in urls:
        foreign_answer, missing_answer = client.get(foreign_url), client.get(missing_url)
        assert foreign_answer.status_code == missing_answer.status_code
        assert foreign.reference not in foreign_answer.content.decode()

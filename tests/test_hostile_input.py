"""Hostile input never answers 500 and never comes back as live markup.

Every field of every form on the site and every writable field of the API is sent SQL, HTML and
JavaScript, a million characters and odd Unicode; bodies too large, mis-encoded bodies, traversal and
look-alike references; forged CSRF tokens and forged organisation ids. The fields come from the form
and serializer classes themselves (`base_fields`, `fields`), so a field added later is attacked too —
and `test_every_field_of_every_form_is_attacked` fails if a form grows a field this file does not send.

"Never reflected" means: no HTML response, and no page reached by the redirect after a save (where a
stored payload would show), contains the payload as markup. JSON is not rendered by a browser (the API
answers `application/json` with `X-Content-Type-Options: nosniff`), so an API error may quote a value;
the browsable API, which is HTML, must escape it.
(tests/test_hostile_input_basics.py covers NUL characters and odd API pages; not repeated here.)
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from casework import choices
from casework.api.case_serializers import CaseSerializer
from casework.api.records import (
    NewAssessmentSerializer,
    NewLegalProceedingSerializer,
    NewNoteSerializer,
    NewReferralSerializer,
    ReferralAdvanceSerializer,
)
from casework.api_token_views import TokenForm
from casework.case_export import ExportForm
from casework.case_list import CaseFilter
from casework.forms import CaseForm
from casework.history import RestoreForm
from casework.models import (
    Assessment,
    AuditEvent,
    Case,
    CaseNote,
    ClosureRequest,
    LegalProceeding,
    Referral,
)
from casework.record_forms import AssessmentForm, NoteForm, ProceedingForm, ReferralAdvanceForm, ReferralForm
from casework.reports.forms import CaseloadParameters, CaseSummaryParameters, CountryBriefParameters
from casework.workflow_views import ArchiveForm, AssignForm, ClosureRequestForm, DecisionForm
from tests import factories
from tests.factories import TEST_PASSWORD

RS = choices.ReferralStatus

SQL = ("' OR 1=1 --", "'; DROP TABLE casework_case; --")
MARKUP = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')
# Each string starts a value once: the two SQL strings in one value, the two markup strings in another
# (each still whole, the first at the start), so every field costs five requests, not seven.
PAYLOADS = {
    "sql": "".join(SQL),
    "markup": "".join(MARKUP),
    "javascript_url": "javascript:alert(1)",
    "odd_unicode": "\u202eevil\u202c \u200b\u200d\ufeff 😀👩\u200d👧 Ωμέγα ١٢٣",
    "million": "A" * 10**6,
}
# What must never appear in an HTML page: the payloads as live markup.
LIVE_MARKUP = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>", 'href="javascript:alert(1)"')
UNEXPECTED = "unexpected_field"  # a name no form declares: posted too, and must be ignored


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


def today() -> datetime.date:
    return timezone.localdate()


def days_ago(days: int) -> str:
    return (today() - datetime.timedelta(days=days)).isoformat()


# --- Checking a response -----------------------------------------------------------------------------


def is_html(response) -> bool:
    return "html" in response.get("Content-Type", "")


def assert_no_live_markup(response, what: str) -> None:
    body = response.content.decode("utf-8", errors="replace")
    for markup in LIVE_MARKUP:
        assert markup not in body, f"{what}: {markup!r} is in the page unescaped"


def assert_safe(response, what: str) -> str | None:
    """No server error, and no live markup in a page. Returns where a redirect leads (the page that
    shows what was just saved), for `assert_pages_safe`."""
    assert response.status_code < 500, f"{what}: {response.status_code}"
    if is_html(response):
        assert_no_live_markup(response, what)
    elif response.get("Content-Type", "").startswith("application/json"):
        assert response.get("X-Content-Type-Options") == "nosniff", what
    location = response.get("Location", "")
    if response.status_code in (301, 302, 303) and location.startswith("/"):
        return location
    return None


def assert_pages_safe(client, locations, what: str) -> None:
    """The pages redirects led to, once each after all the saves: stored payloads show there."""
    for location in sorted({location for location in locations if location}):
        followed = client.get(location)
        assert followed.status_code < 500, f"{what} → {location}: {followed.status_code}"
        if is_html(followed):
            assert_no_live_markup(followed, f"{what} → {location}")


# --- The world ---------------------------------------------------------------------------------------


@pytest.fixture
def world(org_a, org_b, supervisor_a, caseworker_a, caseworker_b):
    kz = factories.CountryFactory(code="KZ")
    region = factories.RegionFactory(country=kz)
    programme = factories.ProgrammeFactory(country=kz)
    group = factories.ArmedGroupFactory()
    service = factories.ServiceTypeFactory(code="psychosocial")
    provider = factories.ServiceProviderFactory(country=kz, service_types=[service])
    framework = factories.LegalFrameworkFactory(country=kz)
    provision = factories.ProvisionFactory(framework=framework)
    case = factories.CaseFactory(organisation=org_a, assigned_to=caseworker_a, citizenship=kz)
    referral = factories.ReferralFactory(case=case, service_type=service, status=RS.REFERRED)
    foreign = factories.CaseFactory(organisation=org_b, assigned_to=caseworker_b, citizenship=kz)
    household_b = factories.HouseholdFactory(organisation=org_b)
    return {
        "kz": kz,
        "region": region,
        "programme": programme,
        "group": group,
        "service": service,
        "provider": provider,
        "framework": framework,
        "provision": provision,
        "case": case,
        "referral": referral,
        "foreign": foreign,
        "household_b": household_b,
        "supervisor": supervisor_a,
        "caseworker": caseworker_a,
        "caseworker_b": caseworker_b,
    }


def case_record(world) -> dict[str, Any]:
    """A valid case form, as a browser posts it."""
    return {
        "sex": "female",
        "age_band": "25-34",
        "citizenship": world["kz"].pk,
        "residence_country": world["kz"].pk,
        "residence_region": world["region"].pk,
        "return_month": "2019-05",
        "departure_year": "2014",
        "conflict_zone": "syria",
        "return_pathway": "independent",
        "affiliation": "unknown",
        "circumstance": "taken_by_family",
        "drivers": ["family_ties"],
        "consent_services": "on",
        "consent_services_on": days_ago(100),
    }


def _pending_closure(world) -> None:
    """closure-decide needs a request waiting: put one back before every post."""
    case = world["case"]
    if not ClosureRequest.objects.filter(case=case, decision="").exists():
        factories.ClosureRequestFactory(case=case, requested_by=world["caseworker"], note="Ready to close.")


def _no_pending_closure(world) -> None:
    """closure-request is refused while one waits: clear it before every post."""
    ClosureRequest.objects.filter(case=world["case"], decision="").delete()


def _closed_case(world) -> None:
    Case.objects.filter(pk=world["case"].pk).update(
        status=choices.CaseStatus.CLOSED, closed_on=today(), closure_reason="reintegrated"
    )


def _referral_referred(world) -> None:
    Referral.objects.filter(pk=world["referral"].pk).update(status=RS.REFERRED, accepted_on=None)


# --- Web forms ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebForm:
    """One form of the site: where it posts, who uses it, its form class and a valid filling."""

    name: str
    form_class: type
    user: str | None  # a key of `world`, or None for a signed-out visitor
    url: Callable[[dict], str]
    valid: Callable[[dict], dict] = lambda world: {}
    method: str = "post"
    extra_fields: tuple[str, ...] = ()  # added by the form's __init__, not in base_fields
    skip_fields: tuple[str, ...] = ()  # in base_fields but removed by __init__ (renamed)
    prepare: Callable[[dict], None] | None = None  # before every request: a state the form needs

    def field_names(self) -> list[str]:
        # A FilterSet (the case list) is a form whose fields are its filters.
        declared = getattr(self.form_class, "base_filters", None) or self.form_class.base_fields
        names = [name for name in declared if name not in self.skip_fields]
        return [*names, *self.extra_fields, UNEXPECTED]


def _case_url(suffix: str) -> Callable[[dict], str]:
    return lambda world: f"/cases/{world['case'].reference}/{suffix}"


WEB_FORMS = [
    WebForm(
        "case-new",
        CaseForm,
        "supervisor",
        lambda world: "/cases/new/",
        case_record,
        extra_fields=("assigned_to",),  # offered to supervisors opening a case
        skip_fields=("loaded_version",),
    ),
    WebForm(
        "case-edit",
        CaseForm,
        "caseworker",
        _case_url("edit/"),
        lambda world: {**case_record(world), "loaded_version": Case.objects.get(pk=world["case"].pk).version},
    ),
    WebForm(
        "note-add",
        NoteForm,
        "caseworker",
        _case_url("notes/new/"),
        lambda world: {"contact_on": days_ago(1), "contact_type": "home_visit", "text": "A visit."},
    ),
    WebForm(
        "referral-add",
        ReferralForm,
        "caseworker",
        _case_url("referrals/new/"),
        lambda world: {"service_type": world["service"].pk, "provider": world["provider"].pk},
    ),
    WebForm(
        "referral-advance",
        ReferralAdvanceForm,
        "caseworker",
        lambda world: f"/cases/{world['case'].reference}/referrals/{world['referral'].pk}/advance/",
        lambda world: {"from_status": "referred", "to_status": "accepted", "on_date": days_ago(1)},
        prepare=_referral_referred,
    ),
    WebForm(
        "assessment-add",
        AssessmentForm,
        "caseworker",
        _case_url("assessments/new/"),
        lambda world: {"assessed_on": days_ago(1), "psychosocial": "3"},
    ),
    WebForm(
        "proceeding-add",
        ProceedingForm,
        "caseworker",
        _case_url("proceedings/new/"),
        lambda world: {
            "framework": world["framework"].pk,
            "provision": world["provision"].pk,
            "stage": "investigation",
            "started_on": days_ago(30),
        },
    ),
    WebForm(
        "closure-request",
        ClosureRequestForm,
        "caseworker",
        _case_url("closure/request/"),
        lambda world: {"reason": "reintegrated", "note": "Goals met."},
        prepare=_no_pending_closure,
    ),
    WebForm(
        "closure-decide",
        DecisionForm,
        "supervisor",
        _case_url("closure/decide/"),
        lambda world: {"decision": "return", "note": "Add the last assessment."},
        prepare=_pending_closure,
    ),
    WebForm(
        "case-assign",
        AssignForm,
        "supervisor",
        _case_url("assign/"),
        lambda world: {"assignee": world["caseworker"].pk},
    ),
    WebForm("case-archive", ArchiveForm, "supervisor", _case_url("archive/"), prepare=_closed_case),
    WebForm(
        "case-history-restore",
        RestoreForm,
        "supervisor",
        _case_url("history/"),
        lambda world: {
            "history_id": world["case"].history.earliest("history_id").history_id,
            "loaded_version": Case.objects.get(pk=world["case"].pk).version,
        },
    ),
    WebForm(
        "case-export",
        ExportForm,
        "supervisor",
        _case_url("export/"),
        lambda world: {"reason": "subject_access_request", "confirm": "on"},
    ),
    WebForm(
        "api-token-create",
        TokenForm,
        "caseworker",
        lambda world: "/account/tokens/",
        lambda world: {"name": "statistics script", "days": "30"},
    ),
    WebForm(
        "login",
        AuthenticationForm,
        None,
        lambda world: "/accounts/login/",
        lambda world: {"username": "alice", "password": "not-the-password"},
    ),
    WebForm(
        "password-change",
        PasswordChangeForm,
        "caseworker",
        lambda world: "/accounts/password_change/",
        lambda world: {
            "old_password": TEST_PASSWORD,
            "new_password1": "a-new-long-passphrase-42",
            "new_password2": "a-new-long-passphrase-42",
        },
    ),
    WebForm(
        "report-case-summary-find",
        CaseSummaryParameters,
        "supervisor",
        lambda world: "/reports/cases/",
        lambda world: {"reference": world["case"].reference},
        method="get",
    ),
    WebForm(
        "report-caseload",
        CaseloadParameters,
        "supervisor",
        lambda world: "/reports/caseload/",
        lambda world: {"organisation": "org-a", "from": "2024-01-01", "to": days_ago(0)},
        method="get",
        extra_fields=("from", "format", "table"),
        skip_fields=("from_",),
    ),
    WebForm(
        "report-country-brief-find",
        CountryBriefParameters,
        "supervisor",
        lambda world: "/reports/countries/",
        lambda world: {"country": "KZ"},
        method="get",
    ),
    WebForm(
        "case-list-filters",
        CaseFilter,
        "supervisor",
        lambda world: "/cases/",
        method="get",
        extra_fields=("page",),
    ),
]
WEB_FIELDS = [
    pytest.param(form, name, id=f"{form.name}:{name}") for form in WEB_FORMS for name in form.field_names()
]


def web_client(world, form: WebForm) -> Client:
    client = Client()
    if form.user is not None:
        client.force_login(world[form.user])
    return client


def send_web(client: Client, world, form: WebForm, data: dict):
    if form.prepare is not None:
        form.prepare(world)
    url = form.url(world)
    if form.method == "get":
        return client.get(url, data)
    return client.post(url, data)


@pytest.mark.parametrize(("form", "name"), WEB_FIELDS)
def test_every_form_field_survives_hostile_values(world, form: WebForm, name: str):
    client = web_client(world, form)
    locations = []
    for label, payload in PAYLOADS.items():
        data = {**form.valid(world), name: payload}
        response = send_web(client, world, form, data)
        locations.append(assert_safe(response, f"{form.name} {name}={label}"))
    assert_pages_safe(client, locations, f"{form.name} {name}")
    assert Case.objects.filter(pk=world["case"].pk).exists(), "the table is still there"


@pytest.mark.parametrize("form", WEB_FORMS, ids=lambda form: form.name)
def test_every_form_survives_a_payload_as_a_field_name_and_a_list_of_values(world, form: WebForm):
    client = web_client(world, form)
    data = {**form.valid(world), MARKUP[0]: MARKUP[1]}
    locations = [assert_safe(send_web(client, world, form, data), f"{form.name}: payload as a name")]
    listed = {name: [SQL[0], MARKUP[0]] for name in form.field_names()}
    locations.append(assert_safe(send_web(client, world, form, listed), f"{form.name}: lists everywhere"))
    assert_pages_safe(client, locations, form.name)


def test_every_field_of_every_form_is_attacked(world, rf):
    """The forms as the views build them have no field the parametrisation above misses."""
    case, user, supervisor = world["case"], world["caseworker"], world["supervisor"]
    request = rf.get("/cases/")
    request.user = supervisor
    built = {
        "case-new": CaseForm(user=supervisor, organisation=supervisor.organisation),
        "case-edit": CaseForm(user=user, organisation=case.organisation, instance=case),
        "note-add": NoteForm(case=case, user=user),
        "referral-add": ReferralForm(case=case, user=user),
        "referral-advance": ReferralAdvanceForm(referral=world["referral"]),
        "assessment-add": AssessmentForm(case=case, user=user),
        "proceeding-add": ProceedingForm(case=case, user=user),
        "closure-request": ClosureRequestForm(),
        "closure-decide": DecisionForm(),
        "case-assign": AssignForm(actor=supervisor, case=case),
        "case-archive": ArchiveForm(),
        "case-history-restore": RestoreForm(),
        "case-export": ExportForm(),
        "api-token-create": TokenForm(),
        "login": AuthenticationForm(),
        "password-change": PasswordChangeForm(user),
        "report-case-summary-find": CaseSummaryParameters(user=supervisor),
        "report-caseload": CaseloadParameters(user=supervisor),
        "report-country-brief-find": CountryBriefParameters(user=supervisor),
        "case-list-filters": CaseFilter(request=request).form,
    }
    attacked = {form.name: set(form.field_names()) for form in WEB_FORMS}
    assert set(built) == set(attacked)
    for name, form in built.items():
        assert set(form.fields) <= attacked[name], name


@pytest.mark.parametrize("form", [form for form in WEB_FORMS if form.method == "post"], ids=lambda f: f.name)
def test_a_body_over_the_upload_limit_is_refused_with_400(world, form: WebForm):
    client = web_client(world, form)
    too_big = "A" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)

    response = send_web(client, world, form, {**form.valid(world), "text": too_big})

    assert response.status_code == 400


@pytest.mark.parametrize("form", [form for form in WEB_FORMS if form.method == "post"], ids=lambda f: f.name)
def test_too_many_fields_are_refused_with_400(world, form: WebForm):
    client = web_client(world, form)
    many = {f"f{n}": "x" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}

    response = send_web(client, world, form, {**form.valid(world), **many})

    assert response.status_code == 400


@pytest.mark.parametrize("form", [form for form in WEB_FORMS if form.method == "post"], ids=lambda f: f.name)
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"text=\xff\xfe&note=%FF%FE&name=\xc3\x28", "application/x-www-form-urlencoded"),
        (b"text=caf\xe9&reason=\xff", "application/x-www-form-urlencoded; charset=no-such-charset"),
        (b"text=\xff\xfe", "application/x-www-form-urlencoded; charset=utf-16"),
        (b'--x\r\nContent-Disposition: form-data; name="text"\r\n\r\n\xff\xfe\r\n--x', "multipart/form-data"),
    ],
    ids=["bad-utf8", "unknown-charset", "wrong-charset", "broken-multipart"],
)
def test_mis_encoded_bodies_never_fail_the_server(world, form: WebForm, body: bytes, content_type: str):
    client = web_client(world, form)
    if form.prepare is not None:
        form.prepare(world)

    response = client.generic("POST", form.url(world), body, content_type=content_type)

    location = assert_safe(response, f"{form.name} {content_type}")
    assert_pages_safe(client, [location], form.name)


# --- API fields --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiWrite:
    name: str
    method: str
    serializer: type
    url: Callable[[dict], str]
    valid: Callable[[dict], dict]
    headers: Callable[[dict], dict] = lambda world: {}
    prepare: Callable[[dict], None] | None = None
    skip_fields: tuple[str, ...] = field(default=())

    def field_names(self) -> list[str]:
        fields = self.serializer().fields
        names = [name for name, f in fields.items() if not f.read_only and name not in self.skip_fields]
        return [*names, UNEXPECTED]


def api_case_record(world) -> dict[str, Any]:
    return {
        "sex": "male",
        "age_band": "25-34",
        "citizenship": "KZ",
        "residence_country": "KZ",
        "return_month": "2019-05",
        "conflict_zone": "syria",
        "return_pathway": "independent",
    }


def _if_match(world) -> dict:
    return {"HTTP_IF_MATCH": f'"{Case.objects.get(pk=world["case"].pk).version}"'}


API_WRITES = [
    ApiWrite("case-create", "post", CaseSerializer, lambda world: "/api/v1/cases/", api_case_record),
    ApiWrite(
        "case-put",
        "put",
        CaseSerializer,
        lambda world: f"/api/v1/cases/{world['case'].reference}/",
        api_case_record,
        headers=_if_match,
    ),
    ApiWrite(
        "case-patch",
        "patch",
        CaseSerializer,
        lambda world: f"/api/v1/cases/{world['case'].reference}/",
        lambda world: {"departure_year": 2015},
        headers=_if_match,
    ),
    ApiWrite(
        "referral-create",
        "post",
        NewReferralSerializer,
        lambda world: "/api/v1/referrals/",
        lambda world: {"case": world["case"].reference, "service_type": "psychosocial"},
    ),
    ApiWrite(
        "referral-advance",
        "patch",
        ReferralAdvanceSerializer,
        lambda world: f"/api/v1/referrals/{world['referral'].pk}/",
        lambda world: {"status": "accepted", "on_date": days_ago(1)},
        prepare=_referral_referred,
    ),
    ApiWrite(
        "assessment-create",
        "post",
        NewAssessmentSerializer,
        lambda world: "/api/v1/assessments/",
        lambda world: {"case": world["case"].reference, "assessed_on": days_ago(1), "health": 3},
    ),
    ApiWrite(
        "note-create",
        "post",
        NewNoteSerializer,
        lambda world: "/api/v1/notes/",
        lambda world: {
            "case": world["case"].reference,
            "contact_on": days_ago(1),
            "contact_type": "phone",
            "text": "Called.",
        },
    ),
    ApiWrite(
        "proceeding-create",
        "post",
        NewLegalProceedingSerializer,
        lambda world: "/api/v1/legal-proceedings/",
        lambda world: {
            "case": world["case"].reference,
            "framework": world["framework"].pk,
            "stage": "investigation",
            "started_on": days_ago(30),
        },
    ),
]
API_FIELDS = [pytest.param(w, name, id=f"{w.name}:{name}") for w in API_WRITES for name in w.field_names()]
# JSON can carry what a form cannot: other types where a string is expected.
JSON_PAYLOADS = {**PAYLOADS, "number": 10**30, "object": {"$gt": ""}, "list": [MARKUP[0]], "null": None}


def api_client(world) -> APIClient:
    client = APIClient()
    client.force_authenticate(world["caseworker"])
    return client


def send_api(client: APIClient, world, write: ApiWrite, body: Any, **extra):
    if write.prepare is not None:
        write.prepare(world)
    method = getattr(client, write.method)
    return method(write.url(world), body, format="json", **write.headers(world), **extra)


@pytest.mark.parametrize(("write", "name"), API_FIELDS)
def test_every_writable_api_field_survives_hostile_values(world, write: ApiWrite, name: str):
    client = api_client(world)
    saved = False
    for label, payload in JSON_PAYLOADS.items():
        response = send_api(client, world, write, {**write.valid(world), name: payload})
        what = f"{write.method.upper()} {write.name} {name}={label}"
        assert_safe(response, what)
        assert response["Content-Type"].startswith("application/json"), what
        saved = saved or response.status_code in (200, 201)
    if saved:  # what was saved is shown on the case page, escaped
        page = Client()
        page.force_login(world["caseworker"])
        assert_no_live_markup(page.get(f"/cases/{world['case'].reference}/"), f"case page after {write.name}")


@pytest.mark.parametrize("write", API_WRITES, ids=lambda w: w.name)
def test_the_browsable_api_escapes_what_it_echoes(world, write: ApiWrite):
    """The API's HTML rendering (a browser asking for text/html) shows errors and data escaped."""
    client = api_client(world)
    everywhere = dict.fromkeys(write.field_names(), MARKUP[0])  # errors that quote the values
    free_text = {name: MARKUP[0] for name in ("text", "outcome", "outcome_note") if name in everywhere}
    for data in (everywhere, {**write.valid(world), **free_text}):  # and a record saved, shown back
        response = send_api(client, world, write, data, HTTP_ACCEPT="text/html")
        assert response.status_code < 500
        assert response["Content-Type"].startswith("text/html")
        assert_no_live_markup(response, f"browsable {write.name}")


def test_every_writable_api_field_is_attacked():
    for write in API_WRITES:
        writable = {name for name, f in write.serializer().fields.items() if not f.read_only}
        assert writable <= set(write.field_names()), write.name


@pytest.mark.parametrize("write", API_WRITES, ids=lambda w: w.name)
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"text": "\xff\xfe"}', "application/json"),
        ('{"text": "caf\u00e9"}'.encode("latin-1"), "application/json; charset=utf-8"),
        (b'{"text": "x"}', "application/json; charset=utf-16"),
        (b'{"text": "x"}', "application/json; charset=no-such-charset"),
        (b'{"text": ', "application/json"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json"),
        (b"text=x", "application/x-www-form-urlencoded"),
        (b"<xml/>", "application/xml"),
    ],
    ids=[
        "bad-utf8",
        "latin1-as-utf8",
        "wrong-charset",
        "unknown-charset",
        "truncated",
        "deep",
        "form",
        "xml",
    ],
)
def test_mis_encoded_api_bodies_are_refused_not_a_server_error(world, write, body, content_type):
    client = api_client(world)
    if write.prepare is not None:
        write.prepare(world)
    response = client.generic(
        write.method.upper(), write.url(world), body, content_type, **write.headers(world)
    )

    assert 400 <= response.status_code < 500, f"{write.name}: {response.status_code}"
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("write", API_WRITES, ids=lambda w: w.name)
def test_an_api_body_over_the_upload_limit_is_refused_with_400(world, write: ApiWrite):
    client = api_client(world)
    body = {**write.valid(world), "text": "A" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)}

    assert send_api(client, world, write, body).status_code == 400


# --- References and paths ------------------------------------------------------------------------------

ODD_PATHS = [
    "/cases/../../etc/passwd/",
    "/cases/%2e%2e/%2e%2e/etc/passwd/",
    "/cases/%2e%2e/",
    "/cases/..%2f..%2fetc%2fpasswd/",
    "/cases/K7QF-29XA%2F..%2F..%2F/",
    "/cases/K7QF-29XA/../../admin/",
    "/cases/%D0%9A7QF-29XA/",  # a Cyrillic К
    "/cases/%EF%BC%AB7QF-29XA/",  # a full-width Ｋ
    "/cases/K7QF%E2%80%9029XA/",  # a Unicode hyphen
    "/cases/K7QF-29XA%E2%80%8B/",  # a zero-width space
    "/cases/k7qf-29xa/",
    "/cases/K7QF-29XA-/",
    "/cases/%3Cscript%3Ealert(1)%3C%2Fscript%3E/",
    "/cases/'%20OR%201=1%20--/",
    "/reports/cases/AAAA-AAA%00/",
    "/reports/cases/AAAA-AAAA%00/",
    "/reports/countries/..%2F..%2F/",
    "/reports/countries/%3Cscript%3E/",
    "/reports/saved/99999999999999999999999/",
    "/policies/countries/%00/",
    "/api/v1/cases/..%2F..%2Fetc%2Fpasswd/",
    "/api/v1/cases/%D0%9A7QF-29XA/",
    "/api/v1/cases/'%20OR%201=1%20--/",
    "/api/v1/referrals/99999999999999999999999/",
    "/api/v1/referrals/-1/",
    "/api/v1/countries/%3Cscript%3E/",
    "/account/tokens/99999999999999999999999/revoke/",
]


@pytest.mark.parametrize("path", ODD_PATHS)
def test_odd_references_and_paths_are_not_found(world, path):
    client = Client()
    client.force_login(world["supervisor"])

    response = client.get(path)

    assert response.status_code in (400, 404, 405), f"{path}: {response.status_code}"
    assert_no_live_markup(response, path)


def test_a_look_alike_of_a_real_reference_is_not_that_case(world):
    client = Client()
    client.force_login(world["caseworker"])
    reference = world["case"].reference
    look_alike = "\u041a" + reference[1:] if reference[0] == "K" else reference[:4] + "\u2010" + reference[5:]

    assert client.get(f"/cases/{reference}/").status_code == 200
    assert client.get(f"/cases/{look_alike}/").status_code == 404
    assert client.get(f"/cases/{reference.lower()}/").status_code == 404


# --- Forged CSRF ---------------------------------------------------------------------------------------

CSRF_FORMS = [form for form in WEB_FORMS if form.method == "post"]


def saved_counts() -> dict[str, int]:
    models = (Case, CaseNote, Referral, Assessment, LegalProceeding, ClosureRequest)
    counts = {model.__name__: model.objects.count() for model in models}
    counts["changes"] = AuditEvent.objects.filter(action__in=("create", "change", "assign", "export")).count()
    counts["versions"] = sum(Case.objects.values_list("version", flat=True))
    return counts


@pytest.mark.parametrize("form", CSRF_FORMS, ids=lambda f: f.name)
@pytest.mark.parametrize("token", [None, "forged-token-that-is-not-the-cookie-value-00000000000000"])
def test_a_post_without_a_valid_csrf_token_is_refused_and_saves_nothing(world, form: WebForm, token):
    client = Client(enforce_csrf_checks=True)
    if form.user is not None:
        client.force_login(world[form.user])
    client.get("/accounts/login/")  # the CSRF cookie, as a browser would hold it
    if form.prepare is not None:
        form.prepare(world)
    before = saved_counts()
    data = form.valid(world)
    if token is not None:
        data["csrfmiddlewaretoken"] = token

    response = client.post(form.url(world), data)

    assert response.status_code == 403, form.name
    assert saved_counts() == before


def test_the_api_refuses_a_session_post_without_a_csrf_token(world):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world["caseworker"])
    before = saved_counts()

    body = {"case": world["case"].reference, "contact_on": days_ago(1), "contact_type": "phone", "text": "x"}
    response = client.post("/api/v1/notes/", body, format="json")

    assert response.status_code == 403
    assert saved_counts() == before


# --- Forged organisation ids ---------------------------------------------------------------------------


def forged_ids(world) -> dict[str, Any]:
    other = world["caseworker_b"]
    return {
        "organisation": other.organisation_id,
        "organisation_id": other.organisation_id,
        "created_by": other.pk,
        "reference": "AAAA-AAAA",
        "status": "archived",
        "version": "99",
    }


def test_a_caseworker_cannot_open_a_case_in_another_organisation(world):
    client = Client()
    client.force_login(world["caseworker"])
    data = {**case_record(world), **forged_ids(world), "assigned_to": world["caseworker_b"].pk}

    response = client.post("/cases/new/", data)

    assert response.status_code == 302
    case = Case.objects.latest("created_at")
    assert case.organisation == world["caseworker"].organisation
    assert case.created_by == world["caseworker"]
    assert case.assigned_to == world["caseworker"]
    assert case.reference != "AAAA-AAAA"
    assert (case.status, case.version) == (choices.CaseStatus.INTAKE, 1)


def test_a_supervisor_cannot_assign_a_new_case_to_another_organisations_caseworker(world):
    client = Client()
    client.force_login(world["supervisor"])
    before = Case.objects.count()

    response = client.post("/cases/new/", {**case_record(world), "assigned_to": world["caseworker_b"].pk})

    assert response.status_code == 200
    assert "assigned_to" in response.context["form"].errors
    assert Case.objects.count() == before


def test_a_household_of_another_organisation_is_refused_on_the_web(world):
    client = Client()
    client.force_login(world["caseworker"])
    data = {**case_record(world), "household": world["household_b"].pk, "household_role": "mother"}

    response = client.post("/cases/new/", data)

    assert response.status_code == 200
    assert "household" in response.context["form"].errors


def test_editing_a_case_never_moves_it_to_another_organisation(world):
    client = Client()
    client.force_login(world["caseworker"])
    case = world["case"]
    data = {**case_record(world), **forged_ids(world), "loaded_version": case.version}

    response = client.post(f"/cases/{case.reference}/edit/", data)

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.organisation == world["caseworker"].organisation
    assert case.created_by == world["caseworker"]
    assert case.status == choices.CaseStatus.ACTIVE
    assert Case.objects.filter(reference="AAAA-AAAA").count() == 0


def test_assigning_to_another_organisations_caseworker_is_refused(world):
    client = Client()
    client.force_login(world["supervisor"])
    case = world["case"]

    response = client.post(f"/cases/{case.reference}/assign/", {"assignee": world["caseworker_b"].pk})

    assert response.status_code == 200
    case.refresh_from_db()
    assert case.assigned_to == world["caseworker"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("organisation", "org-b"),
        ("assigned_to", "bob"),
        ("created_by", "bob"),
        ("household", "<household_b>"),
    ],
)
def test_the_api_refuses_another_organisations_ids_when_opening_a_case(world, name, value):
    if value == "<household_b>":
        value = world["household_b"].reference
    client = api_client(world)
    before = Case.objects.count()

    response = client.post("/api/v1/cases/", {**api_case_record(world), name: value}, format="json")

    assert response.status_code == 400
    assert name in response.json()
    assert Case.objects.count() == before


def test_the_api_never_moves_a_case_to_another_organisation(world):
    client = api_client(world)
    case = world["case"]

    response = client.patch(
        f"/api/v1/cases/{case.reference}/", {"organisation": "org-b"}, format="json", **_if_match(world)
    )

    assert response.status_code == 400
    case.refresh_from_db()
    assert case.organisation == world["caseworker"].organisation


@pytest.mark.parametrize("endpoint", ["notes", "referrals", "assessments", "legal-proceedings"])
def test_the_api_refuses_records_on_another_organisations_case(world, endpoint):
    write = next(w for w in API_WRITES if w.method == "post" and w.url(world) == f"/api/v1/{endpoint}/")
    client = api_client(world)
    before = saved_counts()

    response = client.post(
        write.url(world), {**write.valid(world), "case": world["foreign"].reference}, format="json"
    )

    assert response.status_code == 404
    assert saved_counts() == before
    assert world["foreign"].reference not in json.dumps(response.json())

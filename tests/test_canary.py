"""A canary typed into free text — a note on the web and through the API, a referral's outcome note, a
proceeding's outcome, a closure request and its decision — stays in those fields: it never reaches the
logs (every logger at DEBUG), the audit trail, an error response, stderr, or any other column of the
database. Showing the user their own form again, with what they typed, is the one place it may appear.
"""

from __future__ import annotations

import datetime
import logging

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from casework import choices
from casework.audit import Action
from casework.models import AuditEvent, ClosureRequest
from tests import factories
from tests.canaries import new_canary, places_holding

# Where free text belongs: the fields themselves and their history (django-simple-history).
FREE_TEXT_COLUMNS = {
    "casework_casenote.text",
    "casework_historicalcasenote.text",
    "casework_referral.outcome_note",
    "casework_historicalreferral.outcome_note",
    "casework_legalproceeding.outcome",
    "casework_historicallegalproceeding.outcome",
    "casework_closurerequest.note",
    "casework_closurerequest.decision_note",
}


@pytest.fixture(autouse=True)
def _every_logger_at_debug(caplog):
    """Capture every record of every logger, down to DEBUG, whatever level the settings give them."""
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)
    cache.clear()
    yield
    cache.clear()


def yesterday() -> str:
    return (timezone.localdate() - datetime.timedelta(days=1)).isoformat()


class Journey:
    """The cast, the case, and every response, so each test can ask where the canary went."""

    def __init__(self, world, canary: str) -> None:
        self.canary = canary
        self.case = world["case"]
        self.worker = Client()
        self.worker.force_login(world["caseworker"])
        self.supervisor = Client()
        self.supervisor.force_login(world["supervisor"])
        self.orgadmin = Client()
        self.orgadmin.force_login(world["orgadmin"])
        self.api = APIClient()
        self.api.force_authenticate(world["caseworker"])
        self.foreign = world["foreign"]
        self.referral = world["referral"]
        self.framework = world["framework"]
        self.errors: list = []  # (what, response) of every refusal and error
        self.own_forms: list = []  # (what, response) of the user's own form shown again

    def url(self, suffix: str = "") -> str:
        return f"/cases/{self.case.reference}/{suffix}"

    def note(self, extra: str = "") -> dict:
        return {"contact_on": yesterday(), "contact_type": "home_visit", "text": f"{self.canary} {extra}"}

    def api_note(self, **changes) -> dict:
        body = {"case": self.case.reference, "contact_on": yesterday(), "contact_type": "phone"}
        return {**body, "text": f"{self.canary} by phone", **changes}

    def error(self, what: str, response, *expected: int) -> None:
        assert response.status_code in expected, f"{what}: {response.status_code}"
        self.errors.append((what, response))

    def own_form(self, what: str, response) -> None:
        assert response.status_code == 200, what
        self.own_forms.append((what, response))


@pytest.fixture
def world(org_a, org_b, supervisor_a, caseworker_a, orgadmin_a, caseworker_b):
    kz = factories.CountryFactory(code="KZ")
    case = factories.CaseFactory(organisation=org_a, assigned_to=caseworker_a, citizenship=kz)
    service = factories.ServiceTypeFactory()
    return {
        "case": case,
        "referral": factories.ReferralFactory(
            case=case, service_type=service, status=choices.ReferralStatus.REFERRED
        ),
        "framework": factories.LegalFrameworkFactory(country=kz),
        "foreign": factories.CaseFactory(organisation=org_b, assigned_to=caseworker_b, citizenship=kz),
        "caseworker": caseworker_a,
        "supervisor": supervisor_a,
        "orgadmin": orgadmin_a,
    }


@pytest.fixture
def typed(world) -> Journey:
    """The canary typed into every kind of free text, through the pages and the API."""
    journey = Journey(world, new_canary())
    canary, worker, supervisor = journey.canary, journey.worker, journey.supervisor

    assert worker.post(journey.url("notes/new/"), journey.note("on the web")).status_code == 302
    assert journey.api.post("/api/v1/notes/", journey.api_note(), format="json").status_code == 201
    restricted = {**journey.note("restricted"), "restricted": "on"}
    assert supervisor.post(journey.url("notes/new/"), restricted).status_code == 302
    advance = {
        "from_status": "referred",
        "to_status": "declined",
        "on_date": yesterday(),
        "outcome": "not_applicable",
        "outcome_note": f"Declined: {canary}",
    }
    assert worker.post(journey.url(f"referrals/{journey.referral.pk}/advance/"), advance).status_code == 302
    proceeding = {
        "framework": journey.framework.pk,
        "stage": "investigation",
        "started_on": yesterday(),
        "outcome": f"Hearing: {canary}",
    }
    assert worker.post(journey.url("proceedings/new/"), proceeding).status_code == 302
    closure = {"reason": "reintegrated", "note": f"Close: {canary}"}
    assert worker.post(journey.url("closure/request/"), closure).status_code == 302
    decision = {"decision": "return", "note": f"Not yet: {canary}"}
    assert supervisor.post(journey.url("closure/decide/"), decision).status_code == 302
    assert ClosureRequest.objects.filter(note__contains=canary, decision_note__contains=canary).exists()
    return journey


def read_everything(journey: Journey) -> None:
    """The pages, the API, the reports in every format and the legal export that show the case."""
    reference = journey.case.reference
    for client, path in (
        (journey.worker, journey.url()),
        (journey.supervisor, journey.url()),
        (journey.supervisor, journey.url("history/")),
        (journey.worker, "/"),
        (journey.supervisor, "/"),
        (journey.worker, f"/cases/?q={journey.canary}"),
        (journey.supervisor, f"/reports/cases/{reference}/"),
        (journey.supervisor, f"/reports/cases/{reference}/?format=pdf"),
        (journey.supervisor, "/reports/caseload/?format=csv"),
        (journey.supervisor, "/reports/caseload/?format=xlsx"),
        (journey.supervisor, "/reports/caseload/?format=pdf"),
    ):
        response = client.get(path)
        assert response.status_code == 200, f"{path}: {response.status_code}"
    for path in ("/api/v1/notes/", f"/api/v1/cases/{reference}/", "/api/v1/legal-proceedings/"):
        assert journey.api.get(path).status_code == 200, path
    note = journey.api.get("/api/v1/notes/").json()["results"][0]
    assert journey.api.get(f"/api/v1/notes/{note['id']}/").status_code == 200
    export = journey.supervisor.post(journey.url("export/"), {"reason": "court_order", "confirm": "on"})
    assert export.status_code == 200 and journey.canary in export.content.decode(), "the export holds it all"


def cause_errors(journey: Journey) -> None:
    """Refusals and errors of requests that carry the canary in their free text (something else being
    wrong) or of pages about a case that holds it: no answer may repeat it."""
    canary, case = journey.canary, journey.case
    api = journey.api

    # A validation error on the web: the user's own form comes back, with their text (allowed).
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    journey.own_form(
        "note in the future",
        journey.worker.post(journey.url("notes/new/"), {**journey.note(), "contact_on": future}),
    )
    journey.own_form(
        "note with a phone number",
        journey.worker.post(journey.url("notes/new/"), journey.note("+7 701 123 45 67")),
    )
    # A stale edit: someone saved the case meanwhile, and the conflict page lists what they changed —
    # the case's fields, never the notes' words.
    case.refresh_from_db()
    loaded = case.version
    case.departure_year, case.version = 2013, loaded + 1
    case.save()
    record = {
        "sex": "female",
        "age_band": "25-34",
        "citizenship": case.citizenship_id,
        "residence_country": case.residence_country_id,
        "return_month": "2019-05",
        "departure_year": "2012",
        "conflict_zone": "syria",
        "return_pathway": "independent",
        "affiliation": "unknown",
        "circumstance": "taken_by_family",
        "loaded_version": loaded,
    }
    stale = journey.worker.post(journey.url("edit/"), record)
    assert stale.context["conflict"] is not None, "the conflict page"
    journey.error("stale edit", stale, 200)

    # The API: validation errors, a stale If-Match, a foreign case, a refused role, a wrong method.
    journey.error(
        "api: bad contact type",
        api.post("/api/v1/notes/", journey.api_note(contact_type="nonsense"), format="json"),
        400,
    )
    journey.error(
        "api: future date",
        api.post("/api/v1/notes/", journey.api_note(contact_on=future), format="json"),
        400,
    )
    journey.error(
        "api: identifier",
        api.post("/api/v1/notes/", journey.api_note(text=f"{canary} +7 701 123 45 67"), format="json"),
        400,
    )
    journey.error(
        "api: unknown field", api.post("/api/v1/notes/", journey.api_note(mood="calm"), format="json"), 400
    )
    journey.error(
        "api: foreign case",
        api.post("/api/v1/notes/", journey.api_note(case=journey.foreign.reference), format="json"),
        404,
    )
    journey.error(
        "api: bad case",
        api.post("/api/v1/notes/", journey.api_note(case="XXXX-XXXX"), format="json"),
        400,
        404,
    )
    journey.error(
        "api: stale",
        api.patch(
            f"/api/v1/cases/{case.reference}/", {"departure_year": 2011}, format="json", HTTP_IF_MATCH='"1"'
        ),
        412,
    )
    journey.error(
        "api: no If-Match",
        api.patch(f"/api/v1/cases/{case.reference}/", {"household_role": canary}, format="json"),
        428,
    )
    journey.error("api: put a note", api.put("/api/v1/notes/1/", journey.api_note(), format="json"), 404, 405)
    journey.error(
        "api: broken json",
        api.generic("POST", "/api/v1/notes/", f'{{"text": "{canary}"'.encode(), "application/json"),
        400,
    )
    analyst = APIClient()
    analyst.force_authenticate(factories.UserFactory(organisation=None, role=choices.Role.ANALYST))
    journey.error("api: analyst", analyst.post("/api/v1/notes/", journey.api_note(), format="json"), 403)

    # The web: a read-only role, a foreign case, a forged CSRF token, a wrong method, a body too large.
    journey.error("web: org admin", journey.orgadmin.post(journey.url("notes/new/"), journey.note()), 403)
    foreign = f"/cases/{journey.foreign.reference}/notes/new/"
    journey.error("web: foreign case", journey.worker.post(foreign, journey.note()), 404)
    csrf = Client(enforce_csrf_checks=True)
    csrf.force_login(case.assigned_to)
    journey.error("web: no CSRF token", csrf.post(journey.url("notes/new/"), journey.note()), 403)
    journey.error("web: wrong method", journey.worker.put(journey.url(), journey.note()), 405)
    journey.error(
        "web: too large", journey.worker.post(journey.url("notes/new/"), journey.note("x" * 3_000_000)), 400
    )
    journey.error("web: report reference", journey.supervisor.get(f"/reports/cases/?reference={canary}"), 302)


def test_the_canary_is_stored_only_in_the_free_text_fields(typed):
    read_everything(typed)
    cause_errors(typed)

    places = set(places_holding(typed.canary))

    assert places == FREE_TEXT_COLUMNS  # every kind typed, and nowhere else: sessions, audit, logs tables


def test_the_canary_never_reaches_the_logs_or_stderr(typed, caplog, capfd):
    read_everything(typed)
    cause_errors(typed)

    assert caplog.records, "logging was captured"  # e.g. django.request's warnings about the 4xx
    for record in caplog.records:
        assert typed.canary not in record.getMessage(), record.name
        assert typed.canary not in (record.exc_text or ""), record.name
    assert typed.canary not in caplog.text
    captured = capfd.readouterr()
    assert typed.canary not in captured.err
    assert typed.canary not in captured.out


def test_error_responses_never_repeat_the_canary(typed):
    cause_errors(typed)

    assert len(typed.errors) > 15
    for what, response in typed.errors:
        assert typed.canary not in response.content.decode("utf-8", errors="replace"), what
    # The user's own form shown again keeps what they typed: the canary did travel in these requests.
    for what, response in typed.own_forms:
        assert typed.canary in response.content.decode(), what


def test_the_audit_trail_never_holds_the_canary(typed):
    read_everything(typed)
    cause_errors(typed)

    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        Action.CREATE,
        Action.CHANGE,
        Action.VIEW,
        Action.EXPORT,
        Action.NOT_FOUND,
        Action.DENIED,
    } <= actions
    assert Action.IDENTIFIERS_CONFIRMED not in actions  # nothing was confirmed: the warnings stood
    for event in AuditEvent.objects.all():
        row = " ".join(str(getattr(event, f.attname)) for f in AuditEvent._meta.concrete_fields)
        assert typed.canary not in row, (event.action, event.details)

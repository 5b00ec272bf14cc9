"""The record endpoints: referrals, assessments, notes and legal proceedings under /api/v1/."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from casework import choices
from casework.api.anonymise import opaque_id
from casework.audit import Action
from casework.models import Assessment, AuditEvent, CaseNote, LegalProceeding, Referral
from tests.factories import (
    AssessmentFactory,
    CaseFactory,
    CaseNoteFactory,
    HouseholdFactory,
    LegalFrameworkFactory,
    LegalProceedingFactory,
    OrganisationFactory,
    ReferralFactory,
    ServiceProviderFactory,
    ServiceTypeFactory,
)

RS = choices.ReferralStatus
ENDPOINTS = ("referrals", "assessments", "notes", "legal-proceedings")
FACTORIES = {
    "referrals": ReferralFactory,
    "assessments": AssessmentFactory,
    "notes": CaseNoteFactory,
    "legal-proceedings": LegalProceedingFactory,
}
SECRET_TEXT = "The mother mentioned her cousin Dilnoza at the bazaar"
SECRET_OUTCOME = "Sentence suspended after the hearing in Chirchiq"


def today():
    return timezone.localdate()


def days_ago(days):
    return today() - datetime.timedelta(days=days)


def url(endpoint, pk=None):
    return f"/api/v1/{endpoint}/" if pk is None else f"/api/v1/{endpoint}/{pk}/"


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def own_case(caseworker_a):
    return CaseFactory(organisation=caseworker_a.organisation, assigned_to=caseworker_a)


@pytest.fixture
def colleague_case(colleague_a):
    return CaseFactory(organisation=colleague_a.organisation, assigned_to=colleague_a)


@pytest.fixture
def foreign_case(caseworker_b):
    return CaseFactory(organisation=caseworker_b.organisation, assigned_to=caseworker_b)


def record_of(endpoint, case, **kwargs):
    return FACTORIES[endpoint](case=case, **kwargs)


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# --- Staff: what each sees ----------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_caseworker_lists_records_of_own_cases_only(
    endpoint, caseworker_a, own_case, colleague_case, foreign_case
):
    own = record_of(endpoint, own_case)
    record_of(endpoint, colleague_case)
    record_of(endpoint, foreign_case)
    response = api(caseworker_a).get(url(endpoint))
    assert ids(response) == {own.pk}
    assert response.json()["results"][0]["case"] == own_case.reference
    assert "next" in response.json()


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_supervisor_lists_the_whole_organisation(
    endpoint, supervisor_a, own_case, colleague_case, foreign_case
):
    own = record_of(endpoint, own_case)
    colleague = record_of(endpoint, colleague_case)
    record_of(endpoint, foreign_case)
    assert ids(api(supervisor_a).get(url(endpoint))) == {own.pk, colleague.pk}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_other_organisation_gets_404_by_id_for_every_method(endpoint, method, caseworker_b, own_case):
    record = record_of(endpoint, own_case)
    response = getattr(api(caseworker_b), method)(
        url(endpoint, record.pk), {"status": "accepted"}, format="json"
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_caseworker_gets_404_for_a_colleagues_record(endpoint, method, caseworker_a, colleague_case):
    record = record_of(endpoint, colleague_case)
    response = getattr(api(caseworker_a), method)(
        url(endpoint, record.pk), {"status": "accepted"}, format="json"
    )
    assert response.status_code == 404


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("lookup", ["abc", "99999999999999999999999", "0"])
def test_odd_ids_are_404_not_500(endpoint, lookup, caseworker_a):
    assert api(caseworker_a).get(url(endpoint, lookup)).status_code == 404


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_records_are_never_deleted_or_replaced(endpoint, caseworker_a, own_case):
    record = record_of(endpoint, own_case)
    client = api(caseworker_a)
    assert client.delete(url(endpoint, record.pk)).status_code == 405
    assert client.put(url(endpoint, record.pk), {}, format="json").status_code == 405
    assert type(record).objects.filter(pk=record.pk).exists()


@pytest.mark.parametrize("endpoint", ["assessments", "notes", "legal-proceedings"])
def test_only_referrals_are_patched(endpoint, caseworker_a, own_case):
    record = record_of(endpoint, own_case)
    assert api(caseworker_a).patch(url(endpoint, record.pk), {}, format="json").status_code == 405


def test_restricted_notes_only_for_author_and_supervisors(caseworker_a, supervisor_a, orgadmin_a, own_case):
    restricted = CaseNoteFactory(case=own_case, author=caseworker_a, restricted=True)
    plain = CaseNoteFactory(case=own_case, author=caseworker_a)
    assert ids(api(caseworker_a).get(url("notes"))) == {restricted.pk, plain.pk}
    assert ids(api(supervisor_a).get(url("notes"))) == {restricted.pk, plain.pk}
    assert ids(api(orgadmin_a).get(url("notes"))) == {plain.pk}
    assert api(orgadmin_a).get(url("notes", restricted.pk)).status_code == 404


def test_staff_detail_shows_the_full_record(caseworker_a, own_case):
    note = CaseNoteFactory(case=own_case, author=caseworker_a, text=SECRET_TEXT)
    body = api(caseworker_a).get(url("notes", note.pk)).json()
    assert body["text"] == SECRET_TEXT
    assert body["author"] == caseworker_a.username
    assert body["case"] == own_case.reference


# --- Analysts and auditors ------------------------------------------------------------------------------


@pytest.fixture
def studied_records(colleague_a):
    """One record of each kind on a case of a sharing organisation, full of what analysts must not get."""
    household = HouseholdFactory(organisation=colleague_a.organisation)
    case = CaseFactory(organisation=colleague_a.organisation, assigned_to=colleague_a, household=household)
    referral = ReferralFactory(
        case=case,
        status=RS.DECLINED,
        referred_on=days_ago(40),
        ended_on=days_ago(20),
        outcome=choices.ReferralOutcome.NOT_MET,
        outcome_note=SECRET_TEXT,
        created_by=colleague_a,
    )
    assessment = AssessmentFactory(case=case, assessed_by=colleague_a)
    proceeding = LegalProceedingFactory(case=case, outcome=SECRET_OUTCOME)
    note = CaseNoteFactory(case=case, author=colleague_a, text=SECRET_TEXT)
    return (
        case,
        household,
        {"referrals": referral, "assessments": assessment, "legal-proceedings": proceeding},
        note,
    )


@pytest.mark.parametrize("endpoint", ["referrals", "assessments", "legal-proceedings"])
def test_analyst_projection_has_no_reference_text_staff_or_household(endpoint, analyst, studied_records):
    case, household, records, _note = studied_records
    record = records[endpoint]
    client = api(analyst)
    listing = client.get(url(endpoint))
    detail = client.get(url(endpoint, opaque_id(record)))
    assert listing.status_code == detail.status_code == 200
    for response in (listing, detail):
        body = response.content.decode()
        for secret in (
            case.reference,
            household.reference,
            SECRET_TEXT,
            SECRET_OUTCOME,
            case.assigned_to.username,
            "outcome_note",
            "created_by",
            "assessed_by",
        ):
            assert secret not in body
    row = listing.json()["results"][0]
    assert row == detail.json()
    assert row["id"] == opaque_id(record)
    assert row["case"] == opaque_id(case)
    dates = {key: value for key, value in row.items() if key.endswith("_on") and value is not None}
    assert dates and all(re.fullmatch(r"\d{4}-\d{2}", value) for value in dates.values())


def test_analyst_gets_404_for_numeric_ids_and_unshared_organisations(analyst, studied_records):
    referral = studied_records[2]["referrals"]
    private = OrganisationFactory(shares_with_analysts=False)
    hidden = ReferralFactory(case=CaseFactory(organisation=private))
    client = api(analyst)
    assert client.get(url("referrals", referral.pk)).status_code == 404
    assert client.get(url("referrals", opaque_id(hidden))).status_code == 404
    assert opaque_id(hidden) not in ids(client.get(url("referrals")))


def test_analysts_cannot_write(analyst, studied_records):
    case, _household, records, _note = studied_records
    client = api(analyst)
    referral = records["referrals"]
    assert client.post(url("referrals"), {"case": case.reference}, format="json").status_code == 403
    assert (
        client.patch(url("referrals", opaque_id(referral)), {"status": "accepted"}, format="json").status_code
        == 403
    )
    assert client.delete(url("referrals", opaque_id(referral))).status_code == 403


def test_notes_are_refused_to_analysts(analyst, studied_records):
    note = studied_records[3]
    client = api(analyst)
    assert client.get(url("notes")).status_code == 403
    assert client.get(url("notes", note.pk)).status_code == 403
    assert client.get(url("notes", opaque_id(note))).status_code == 403
    assert SECRET_TEXT not in client.get(url("notes")).content.decode()


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_auditors_get_no_case_content(endpoint, auditor, studied_records):
    assert api(auditor).get(url(endpoint)).status_code == 403


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_anonymous_gets_401(endpoint, db):
    assert APIClient().get(url(endpoint)).status_code == 401


def test_analyst_cannot_filter_by_case_reference(analyst, studied_records):
    case = studied_records[0]
    response = api(analyst).get(url("referrals"), {"case": case.reference})
    assert response.status_code == 400
    assert "case" in response.json()


def test_analyst_date_filters_cover_whole_months(analyst, colleague_a):
    case = CaseFactory(organisation=colleague_a.organisation, assigned_to=colleague_a)
    day = datetime.date(2024, 3, 17)
    assessment = AssessmentFactory(case=case, assessed_on=day)
    client = api(analyst)
    # Narrowing to the exact day, or to the day after, finds the same thing: the whole of March.
    for bounds in (
        {"assessed_after": "2024-03-17", "assessed_before": "2024-03-17"},
        {"assessed_after": "2024-03-18"},
    ):
        assert ids(client.get(url("assessments"), bounds)) == {opaque_id(assessment)}
    assert ids(client.get(url("assessments"), {"assessed_after": "2024-04-01"})) == set()


# --- Writes ----------------------------------------------------------------------------------------------


def test_caseworker_adds_a_referral_through_the_service(caseworker_a, own_case):
    service = ServiceTypeFactory(code="legal-aid")
    provider = ServiceProviderFactory(service_types=[service])
    response = api(caseworker_a).post(
        url("referrals"),
        {
            "case": own_case.reference,
            "service_type": "legal-aid",
            "provider": provider.pk,
            "referred_on": str(days_ago(1)),
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    referral = Referral.objects.get()
    assert response.json()["id"] == referral.pk
    assert response.json()["case"] == own_case.reference
    assert (referral.status, referral.created_by) == (RS.REFERRED, caseworker_a)
    assert AuditEvent.objects.filter(action=Action.CREATE, case_reference=own_case.reference).exists()


def test_bad_referral_input_names_each_field_and_saves_nothing(caseworker_a, own_case):
    service = ServiceTypeFactory(code="housing")
    other_provider = ServiceProviderFactory(service_types=[ServiceTypeFactory()])
    client = api(caseworker_a)
    response = client.post(
        url("referrals"), {"case": own_case.reference, "service_type": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"service_type"}
    response = client.post(
        url("referrals"),
        {"case": own_case.reference, "service_type": service.code, "provider": other_provider.pk},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"provider"}  # the model's rule: the provider must offer the service
    response = client.post(
        url("referrals"), {"case": own_case.reference, "service_type": service.code, "id": 5}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"id"}
    response = client.post(url("referrals"), "{not json", content_type="application/json")
    assert response.status_code == 400
    assert not Referral.objects.exists()


def test_writing_to_a_foreign_case_is_404_and_to_a_read_only_case_403(caseworker_b, orgadmin_a, own_case):
    service = ServiceTypeFactory()
    body = {"case": own_case.reference, "service_type": service.code}
    assert api(caseworker_b).post(url("referrals"), body, format="json").status_code == 404
    assert api(orgadmin_a).post(url("referrals"), body, format="json").status_code == 403
    assert not Referral.objects.exists()
    assert AuditEvent.objects.filter(action=Action.NOT_FOUND).exists()


def test_referral_advances_with_patch(caseworker_a, own_case):
    referral = ReferralFactory(case=own_case, status=RS.REFERRED, referred_on=days_ago(5))
    client = api(caseworker_a)
    response = client.patch(url("referrals", referral.pk), {"status": "accepted"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "accepted"
    assert response.json()["accepted_on"] == str(today())
    referral.refresh_from_db()
    assert referral.status == RS.ACCEPTED
    assert AuditEvent.objects.filter(action=Action.CHANGE, object_id=str(referral.pk)).exists()


def test_referral_refuses_an_invalid_move_naming_status(caseworker_a, own_case):
    referral = ReferralFactory(case=own_case, status=RS.REFERRED, referred_on=days_ago(5))
    client = api(caseworker_a)
    for body, field in (
        ({"status": "completed"}, "status"),
        ({"status": "flying"}, "status"),
        ({"status": "accepted", "on_date": str(days_ago(10))}, "on_date"),
        ({"status": "accepted", "service_type": "x"}, "service_type"),
        ({}, "status"),
    ):
        response = client.patch(url("referrals", referral.pk), body, format="json")
        assert response.status_code == 400, body
        assert field in response.json(), (body, response.json())
    referral.refresh_from_db()
    assert referral.status == RS.REFERRED


def test_read_only_staff_cannot_advance_a_referral(orgadmin_a, own_case):
    referral = ReferralFactory(case=own_case, status=RS.REFERRED, referred_on=days_ago(5))
    assert (
        api(orgadmin_a)
        .patch(url("referrals", referral.pk), {"status": "accepted"}, format="json")
        .status_code
        == 403
    )
    bad_input = api(orgadmin_a).patch(url("referrals", referral.pk), {"status": "flying"}, format="json")
    assert bad_input.status_code == 403
    referral.refresh_from_db()
    assert referral.status == RS.REFERRED


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_browsable_api_renders(endpoint, client, supervisor_a, own_case):
    record = record_of(endpoint, own_case)
    client.force_login(supervisor_a)
    for path in (url(endpoint), url(endpoint, record.pk)):
        response = client.get(path, HTTP_ACCEPT="text/html")
        assert response.status_code == 200
        assert b"<html" in response.content


def test_note_with_identifiers_needs_confirmation(caseworker_a, own_case):
    client = api(caseworker_a)
    body = {
        "case": own_case.reference,
        "contact_on": str(days_ago(1)),
        "contact_type": "phone",
        "text": "Call back on +992 93 555 12 34 tomorrow.",
    }
    response = client.post(url("notes"), body, format="json")
    assert response.status_code == 400
    assert "phone number" in response.json()["text"][0]
    assert not CaseNote.objects.exists()
    response = client.post(url("notes"), {**body, "confirm_no_identifiers": True}, format="json")
    assert response.status_code == 201, response.content
    note = CaseNote.objects.get()
    assert note.author == caseworker_a
    event = AuditEvent.objects.get(action=Action.IDENTIFIERS_CONFIRMED)
    assert event.details == {"fields": ["text"]}
    assert "555" not in str(AuditEvent.objects.values_list("details", flat=True))


def test_note_fields_are_validated(caseworker_a, own_case):
    response = api(caseworker_a).post(
        url("notes"),
        {
            "case": own_case.reference,
            "contact_on": str(today() + datetime.timedelta(days=3)),
            "contact_type": "x",
            "text": "",
        },
        format="json",
    )
    assert response.status_code == 400
    assert {"contact_type", "text"} <= set(response.json())
    response = api(caseworker_a).post(
        url("notes"),
        {
            "case": own_case.reference,
            "contact_on": str(today() + datetime.timedelta(days=3)),
            "contact_type": "phone",
            "text": "Fine.",
        },
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"contact_on"}
    assert not CaseNote.objects.exists()


def test_assessment_is_added_and_validated(caseworker_a, own_case):
    client = api(caseworker_a)
    response = client.post(
        url("assessments"), {"case": own_case.reference, "assessed_on": str(days_ago(2))}, format="json"
    )
    assert response.status_code == 400
    assert "psychosocial" in response.json()
    response = client.post(
        url("assessments"),
        {"case": own_case.reference, "assessed_on": str(days_ago(2)), "housing": 6},
        format="json",
    )
    assert response.status_code == 400
    assert "housing" in response.json()
    assert not Assessment.objects.exists()
    response = client.post(
        url("assessments"),
        {"case": own_case.reference, "assessed_on": str(days_ago(2)), "housing": 4},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["housing"] == 4
    assert Assessment.objects.get().assessed_by == caseworker_a


def test_proceeding_is_added_with_the_models_rules(caseworker_a, own_case):
    framework = LegalFrameworkFactory(country=own_case.citizenship)
    foreign_framework = LegalFrameworkFactory(country__code="TJ")
    client = api(caseworker_a)
    body = {"case": own_case.reference, "stage": "investigation", "started_on": str(days_ago(3))}
    response = client.post(
        url("legal-proceedings"), {**body, "framework": foreign_framework.pk}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"framework"}
    response = client.post(
        url("legal-proceedings"),
        {**body, "framework": framework.pk, "outcome": "Contact: someone@example.org"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"outcome"}
    assert not LegalProceeding.objects.exists()
    response = client.post(url("legal-proceedings"), {**body, "framework": framework.pk}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["case"] == own_case.reference


# --- Filters, ordering, pagination ---------------------------------------------------------------------


def test_referral_filters(caseworker_a, own_case, foreign_case):
    legal = ServiceTypeFactory(code="legal-aid")
    housing = ServiceTypeFactory(code="housing")
    wanted = ReferralFactory(case=own_case, service_type=legal, referred_on=days_ago(10))
    ReferralFactory(case=own_case, service_type=housing, referred_on=days_ago(40))
    ReferralFactory(case=own_case, service_type=legal, status=RS.PLANNED, referred_on=None)
    ReferralFactory(case=foreign_case, service_type=legal)
    client = api(caseworker_a)
    found = ids(client.get(url("referrals"), {"service_type": "legal-aid", "status": "referred"}))
    assert found == {wanted.pk}
    assert ids(client.get(url("referrals"), {"referred_after": str(days_ago(20))})) == {wanted.pk}
    assert len(ids(client.get(url("referrals"), {"case": own_case.reference}))) == 3
    assert ids(client.get(url("referrals"), {"case": foreign_case.reference})) == set()


@pytest.mark.parametrize(
    ("endpoint", "params"),
    [
        ("referrals", {"status": "nope"}),
        ("referrals", {"service_type": "nope"}),
        ("referrals", {"provider": "abc"}),
        ("referrals", {"referred_after": "2024-13-45"}),
        ("assessments", {"assessed_before": "yesterday"}),
        ("notes", {"contact_type": "telepathy"}),
        ("notes", {"contact_after": "x"}),
        ("legal-proceedings", {"stage": "x"}),
        ("legal-proceedings", {"framework": "999999"}),
        ("legal-proceedings", {"provision": "x"}),
        ("legal-proceedings", {"country": "XX"}),
    ],
)
def test_bad_filter_values_are_400_naming_the_filter(endpoint, params, caseworker_a):
    response = api(caseworker_a).get(url(endpoint), params)
    assert response.status_code == 400
    assert set(params) <= set(response.json())


def test_proceeding_filters(caseworker_a, own_case):
    wanted = LegalProceedingFactory(case=own_case, closed_court=True)
    LegalProceedingFactory(case=own_case, stage=choices.ProceedingStage.TRIAL)
    client = api(caseworker_a)
    assert ids(client.get(url("legal-proceedings"), {"closed_court": "true"})) == {wanted.pk}
    assert ids(client.get(url("legal-proceedings"), {"framework": wanted.framework_id})) == {wanted.pk}
    assert len(ids(client.get(url("legal-proceedings"), {"country": "KZ"}))) == 2
    assert ids(client.get(url("legal-proceedings"), {"stage": "trial"})) != {wanted.pk}


def test_ordering_and_pagination(caseworker_a, own_case):
    for days in (5, 50, 20):
        AssessmentFactory(case=own_case, assessed_on=days_ago(days))
    client = api(caseworker_a)
    rows = client.get(url("assessments"), {"ordering": "assessed_on"}).json()["results"]
    assert [row["assessed_on"] for row in rows] == sorted(row["assessed_on"] for row in rows)
    page = client.get(url("assessments"), {"page_size": 2}).json()
    assert len(page["results"]) == 2 and page["next"]


# --- Audit and queries -----------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_list_page_is_one_view_event_with_its_count(endpoint, caseworker_a, own_case):
    for _ in range(3):
        record_of(endpoint, own_case)
    api(caseworker_a).get(url(endpoint))
    event = AuditEvent.objects.get(action=Action.VIEW)
    assert event.details == {"page": f"api_{endpoint.replace('-', '_').rstrip('s')}_list", "count": 3}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_detail_read_is_one_view_event_naming_the_case(endpoint, caseworker_a, own_case):
    record = record_of(endpoint, own_case)
    api(caseworker_a).get(url(endpoint, record.pk))
    event = AuditEvent.objects.get(action=Action.VIEW)
    assert (event.object_id, event.case_reference) == (str(record.pk), own_case.reference)


def _fill(endpoint, organisation, count):
    for _ in range(count):
        case = CaseFactory(organisation=organisation)
        record_of(endpoint, case)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_list_queries_do_not_grow_with_the_data(endpoint, supervisor_a, analyst):
    users = [supervisor_a] if endpoint == "notes" else [supervisor_a, analyst]
    counts = {}
    added = 0
    for total in (2, 12):
        _fill(endpoint, supervisor_a.organisation, total - added)
        added = total
        for user in users:
            client = api(user)
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url(endpoint))
            assert response.status_code == 200
            assert len(response.json()["results"]) == total
            counts.setdefault(user.username, []).append(len(queries))
    for user_counts in counts.values():
        assert user_counts[0] == user_counts[1] <= 6


def test_schema_documents_the_answers_of_the_record_endpoints(client, caseworker_a):
    client.force_login(caseworker_a)
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for endpoint in ENDPOINTS:
        listing, item = paths[f"/api/v1/{endpoint}/"], paths[f"/api/v1/{endpoint}/{{id}}/"]
        assert {"400", "401", "403", "429"} <= set(listing["get"]["responses"])
        assert {"201", "400", "403", "404"} <= set(listing["post"]["responses"])
        assert {"404", "405"} <= set(item["delete"]["responses"])
    assert "200" in paths["/api/v1/referrals/{id}/"]["patch"]["responses"]
    assert "405" in paths["/api/v1/notes/{id}/"]["patch"]["responses"]

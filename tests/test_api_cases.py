"""/api/v1/cases/ for staff: who reads and writes which case, optimistic locking, filters, audit."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from casework import choices
from casework.audit import Action
from casework.models import AuditEvent, Case
from tests.factories import (
    ArmedGroupFactory,
    CaseFactory,
    CountryFactory,
    HouseholdFactory,
    ProgrammeFactory,
    ReferralFactory,
)

LIST = "/api/v1/cases/"

FULL_RECORD = {
    "sex": "male",
    "age_band": "25-34",
    "citizenship": "KZ",
    "residence_country": "KZ",
    "return_month": "2019-05",
    "conflict_zone": "syria",
    "return_pathway": "independent",
}


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


def detail(reference: str) -> str:
    return f"{LIST}{reference}/"


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def cases(org_a, org_b, caseworker_a, colleague_a, caseworker_b):
    return {
        "own": CaseFactory(organisation=org_a, assigned_to=caseworker_a, created_by=caseworker_a),
        "colleague": CaseFactory(organisation=org_a, assigned_to=colleague_a, created_by=colleague_a),
        "foreign": CaseFactory(organisation=org_b, assigned_to=caseworker_b, created_by=caseworker_b),
    }


def send(client: APIClient, method: str, case: Case, **extra):
    url = detail(case.reference)
    headers = {"HTTP_IF_MATCH": f'"{case.version}"'}
    if method == "get":
        return client.get(url)
    if method == "delete":
        return client.delete(url)
    if method == "patch":
        return client.patch(url, {"departure_year": 2015}, format="json", **headers)
    return client.put(url, {**FULL_RECORD, "departure_year": 2015}, format="json", **headers)


# What each role gets on each kind of case, by method. own = the caseworker's own case; colleague = a
# case of the same organisation assigned to someone else; foreign = another organisation's case.
EXPECTED = {
    "caseworker_a": {
        "own": {"get": 200, "patch": 200, "put": 200, "delete": 405},
        "colleague": {"get": 404, "patch": 404, "put": 404, "delete": 404},
        "foreign": {"get": 404, "patch": 404, "put": 404, "delete": 404},
    },
    "supervisor_a": {
        "own": {"get": 200, "patch": 200, "put": 200, "delete": 405},
        "colleague": {"get": 200, "patch": 200, "put": 200, "delete": 405},
        "foreign": {"get": 404, "patch": 404, "put": 404, "delete": 404},
    },
    "orgadmin_a": {
        "own": {"get": 200, "patch": 403, "put": 403, "delete": 405},
        "colleague": {"get": 200, "patch": 403, "put": 403, "delete": 405},
        "foreign": {"get": 404, "patch": 404, "put": 404, "delete": 404},
    },
    "caseworker_b": {
        "own": {"get": 404, "patch": 404, "put": 404, "delete": 404},
        "colleague": {"get": 404, "patch": 404, "put": 404, "delete": 404},
        "foreign": {"get": 200, "patch": 200, "put": 200, "delete": 405},
    },
    "superuser": {
        "own": {"get": 200, "patch": 200, "put": 200, "delete": 405},
        "colleague": {"get": 200, "patch": 200, "put": 200, "delete": 405},
        "foreign": {"get": 200, "patch": 200, "put": 200, "delete": 405},
    },
    # Analysts look cases up by opaque id, never by reference: a reference is simply not found.
    "analyst": {
        kind: {"get": 404, "patch": 404, "put": 404, "delete": 404}
        for kind in ("own", "colleague", "foreign")
    },
    "auditor": {
        kind: {"get": 403, "patch": 403, "put": 403, "delete": 403}
        for kind in ("own", "colleague", "foreign")
    },
    "anonymous": {
        kind: {"get": 401, "patch": 401, "put": 401, "delete": 401}
        for kind in ("own", "colleague", "foreign")
    },
}

MATRIX = [
    (role, kind, method, status)
    for role, kinds in EXPECTED.items()
    for kind, methods in kinds.items()
    for method, status in methods.items()
]


@pytest.mark.parametrize(("role", "kind", "method", "status"), MATRIX)
def test_access_by_reference(request, cases, role, kind, method, status):
    user = None if role == "anonymous" else request.getfixturevalue(role)
    case = cases[kind]

    response = send(client_for(user), method, case)

    assert response.status_code == status, response.content
    if status == 404:
        assert case.reference not in response.content.decode()
        assert response.json() == {"detail": "Not found."}
    if status in (403, 404, 405, 401):
        case.refresh_from_db()
        assert case.departure_year == 2014  # nothing changed


def test_refusals_by_reference_change_nothing_and_are_audited(cases, caseworker_b):
    client = client_for(caseworker_b)
    client.get(detail(cases["own"].reference))

    event = AuditEvent.objects.get(action=Action.NOT_FOUND)
    assert event.case_reference == cases["own"].reference
    assert event.actor_username == "bob"


def test_guessing_an_opaque_id_of_another_organisation_is_404_for_staff(cases, caseworker_b):
    from casework.api.anonymise import opaque_id

    client = client_for(caseworker_b)
    key = opaque_id(cases["own"])
    for method in ("get", "delete"):
        assert getattr(client, method)(detail(key)).status_code == 404
    headers = {"HTTP_IF_MATCH": '"1"'}
    assert client.patch(detail(key), {}, format="json", **headers).status_code == 404
    assert client.put(detail(key), FULL_RECORD, format="json", **headers).status_code == 404


def test_list_shows_only_visible_cases(cases, caseworker_a, supervisor_a, caseworker_b):
    def references(user):
        return {row["reference"] for row in client_for(user).get(LIST).json()["results"]}

    assert references(caseworker_a) == {cases["own"].reference}
    assert references(supervisor_a) == {cases["own"].reference, cases["colleague"].reference}
    assert references(caseworker_b) == {cases["foreign"].reference}


def test_list_is_paginated_with_results_and_next(caseworker_a, org_a):
    CaseFactory.create_batch(3, organisation=org_a, assigned_to=caseworker_a, created_by=caseworker_a)

    body = client_for(caseworker_a).get(LIST, {"page_size": 2}).json()

    assert len(body["results"]) == 2
    assert body["next"]


def test_detail_has_the_full_record_and_an_etag(cases, caseworker_a, org_a):
    case = cases["own"]
    case.household = HouseholdFactory(organisation=org_a)
    case.household_role = choices.HouseholdRole.MOTHER
    case.drivers = ["ideology", "family_ties"]
    case.save()

    response = client_for(caseworker_a).get(detail(case.reference))

    assert response["ETag"] == f'"{case.version}"'
    body = response.json()
    assert body["reference"] == case.reference
    assert body["assigned_to"] == "alice"
    assert body["created_by"] == "alice"
    assert body["organisation"] == "org-a"
    assert body["household"] == case.household.reference
    assert body["drivers"] == ["family_ties", "ideology"]
    assert body["return_month"] == "2019-05"
    assert body["citizenship"] == "KZ"
    assert body["version"] == case.version


# --- Optimistic locking -----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["put", "patch"])
def test_write_without_if_match_is_428_naming_the_header(cases, caseworker_a, method):
    response = getattr(client_for(caseworker_a), method)(
        detail(cases["own"].reference), FULL_RECORD, format="json"
    )

    assert response.status_code == 428
    assert "If-Match" in response.json()["detail"]


@pytest.mark.parametrize("method", ["put", "patch"])
def test_stale_if_match_is_412_with_the_current_version(cases, caseworker_a, method):
    case = cases["own"]
    Case.objects.filter(pk=case.pk).update(version=4)

    response = getattr(client_for(caseworker_a), method)(
        detail(case.reference), FULL_RECORD, format="json", HTTP_IF_MATCH='"3"'
    )

    assert response.status_code == 412
    assert response.json()["version"] == 4
    assert response["ETag"] == '"4"'
    case.refresh_from_db()
    assert case.sex == "female"


def test_fresh_if_match_saves_and_bumps_version_and_etag(cases, caseworker_a):
    case = cases["own"]
    client = client_for(caseworker_a)
    etag = client.get(detail(case.reference))["ETag"]

    response = client.patch(
        detail(case.reference), {"departure_year": 2016}, format="json", HTTP_IF_MATCH=etag
    )

    assert response.status_code == 200, response.content
    assert response.json()["version"] == case.version + 1
    assert response["ETag"] == f'"{case.version + 1}"'
    case.refresh_from_db()
    assert case.departure_year == 2016
    assert AuditEvent.objects.filter(action=Action.CHANGE, case_reference=case.reference).count() == 1
    # The old ETag is now stale.
    again = client.patch(detail(case.reference), {"departure_year": 2017}, format="json", HTTP_IF_MATCH=etag)
    assert again.status_code == 412


def test_validation_error_names_the_field(cases, caseworker_a):
    case = cases["own"]

    response = client_for(caseworker_a).patch(
        detail(case.reference),
        {"return_pathway": "programme"},
        format="json",
        HTTP_IF_MATCH=f'"{case.version}"',
    )

    assert response.status_code == 400
    assert "programme" in response.json()


@pytest.mark.parametrize(
    ("field", "value"),
    [("reference", "AAAA-AAAA"), ("organisation", "org-b"), ("version", 99), ("status", "closed")],
)
def test_changing_a_read_only_field_is_400_naming_it(cases, caseworker_a, field, value):
    case = cases["own"]

    response = client_for(caseworker_a).patch(
        detail(case.reference), {field: value}, format="json", HTTP_IF_MATCH=f'"{case.version}"'
    )

    assert response.status_code == 400
    assert field in response.json()
    case.refresh_from_db()
    assert case.organisation.slug == "org-a"
    assert case.status == "active"


def test_a_read_only_field_sent_back_unchanged_is_accepted(cases, caseworker_a):
    case = cases["own"]
    client = client_for(caseworker_a)
    body = client.get(detail(case.reference)).json()
    body["departure_year"] = 2015

    response = client.put(detail(case.reference), body, format="json", HTTP_IF_MATCH=f'"{case.version}"')

    assert response.status_code == 200, response.content
    assert response.json()["departure_year"] == 2015


def test_unknown_field_and_bad_json_are_400(cases, caseworker_a):
    case = cases["own"]
    client = client_for(caseworker_a)
    headers = {"HTTP_IF_MATCH": f'"{case.version}"'}

    unknown = client.patch(detail(case.reference), {"name": "x"}, format="json", **headers)
    assert unknown.status_code == 400
    assert "name" in unknown.json()

    broken = client.generic(
        "PATCH", detail(case.reference), "{not json", content_type="application/json", **headers
    )
    assert broken.status_code == 400


def test_reassigning_through_the_api_is_refused(cases, supervisor_a, colleague_a):
    case = cases["own"]

    response = client_for(supervisor_a).patch(
        detail(case.reference), {"assigned_to": "carol"}, format="json", HTTP_IF_MATCH=f'"{case.version}"'
    )

    assert response.status_code == 400
    assert "assigned_to" in response.json()


def test_a_household_of_another_organisation_is_refused(cases, caseworker_a, org_b):
    case = cases["own"]
    foreign = HouseholdFactory(organisation=org_b)

    response = client_for(caseworker_a).patch(
        detail(case.reference),
        {"household": foreign.reference, "household_role": "mother"},
        format="json",
        HTTP_IF_MATCH=f'"{case.version}"',
    )

    assert response.status_code == 400
    assert "household" in response.json()


# --- Creating ---------------------------------------------------------------------------------------------


def test_caseworker_opens_a_case_assigned_to_themselves(caseworker_a):
    CountryFactory(code="KZ")

    response = client_for(caseworker_a).post(LIST, FULL_RECORD, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["assigned_to"] == "alice"
    assert body["status"] == "intake"
    assert response["ETag"] == '"1"'
    assert response["Location"].endswith(f"/api/v1/cases/{body['reference']}/")
    case = Case.objects.get(reference=body["reference"])
    assert case.organisation == caseworker_a.organisation
    assert AuditEvent.objects.filter(action=Action.CREATE, case_reference=case.reference).exists()


def test_supervisor_opens_a_case_for_a_colleague(supervisor_a, colleague_a):
    CountryFactory(code="KZ")

    response = client_for(supervisor_a).post(LIST, {**FULL_RECORD, "assigned_to": "carol"}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["assigned_to"] == "carol"


def test_caseworker_cannot_assign_a_new_case_to_someone_else(caseworker_a, colleague_a):
    CountryFactory(code="KZ")

    response = client_for(caseworker_a).post(LIST, {**FULL_RECORD, "assigned_to": "carol"}, format="json")

    assert response.status_code == 400
    assert "assigned_to" in response.json()


def test_a_new_case_cannot_be_assigned_to_another_organisations_staff(supervisor_a, caseworker_b):
    CountryFactory(code="KZ")

    response = client_for(supervisor_a).post(LIST, {**FULL_RECORD, "assigned_to": "bob"}, format="json")

    assert response.status_code == 400
    assert "assigned_to" in response.json()


def test_create_errors_name_fields(caseworker_a):
    CountryFactory(code="KZ")
    client = client_for(caseworker_a)

    missing = client.post(LIST, {"sex": "male"}, format="json").json()
    assert {"age_band", "citizenship", "return_month"} <= set(missing)

    programme = client.post(LIST, {**FULL_RECORD, "return_pathway": "programme"}, format="json")
    assert programme.status_code == 400
    assert "programme" in programme.json()

    reference = client.post(LIST, {**FULL_RECORD, "reference": "AAAA-AAAA"}, format="json")
    assert reference.status_code == 400
    assert "reference" in reference.json()


@pytest.mark.parametrize("role", ["orgadmin_a", "analyst", "auditor", "superuser"])
def test_only_caseworkers_and_supervisors_open_cases(request, db, role):
    CountryFactory(code="KZ")
    user = request.getfixturevalue(role)

    response = client_for(user).post(LIST, FULL_RECORD, format="json")

    assert response.status_code == 403
    assert not Case.objects.exists()


def test_anonymous_gets_401():
    assert APIClient().get(LIST).status_code == 401
    assert APIClient().post(LIST, FULL_RECORD, format="json").status_code == 401


def test_caseworker_cannot_edit_a_closed_case(caseworker_a, org_a):
    case = CaseFactory(
        organisation=org_a,
        assigned_to=caseworker_a,
        created_by=caseworker_a,
        status=choices.CaseStatus.CLOSED,
        closed_on=datetime.date.today(),
        closure_reason=choices.ClosureReason.MOVED,
    )

    response = send(client_for(caseworker_a), "patch", case)

    assert response.status_code == 403


# --- Audit -----------------------------------------------------------------------------------------------


def test_each_detail_read_is_one_view_event(cases, caseworker_a):
    client_for(caseworker_a).get(detail(cases["own"].reference))

    events = AuditEvent.objects.filter(action=Action.VIEW)
    assert [(e.object_type, e.case_reference) for e in events] == [("case", cases["own"].reference)]


def test_each_list_page_is_one_event_with_its_count(org_a, supervisor_a, caseworker_a):
    CaseFactory.create_batch(3, organisation=org_a, assigned_to=caseworker_a, created_by=caseworker_a)

    client_for(supervisor_a).get(LIST, {"page_size": 2})

    event = AuditEvent.objects.get(action=Action.VIEW)
    assert event.details["page"] == "api_case_list"
    assert event.details["count"] == 2


# --- Filters and ordering ----------------------------------------------------------------------------------


@pytest.fixture
def varied(org_a, supervisor_a, caseworker_a, colleague_a):
    tj = CountryFactory(code="TJ")
    programme = ProgrammeFactory(country=tj)
    group = ArmedGroupFactory()
    first = CaseFactory(
        organisation=org_a,
        assigned_to=caseworker_a,
        created_by=caseworker_a,
        residence_country=tj,
        citizenship=tj,
        sex=choices.Sex.MALE,
        age_band=choices.AgeBand.UNDER_5,
        departure_year=None,
        circumstance=choices.Circumstance.BORN_IN_ZONE,
        return_pathway=choices.ReturnPathway.PROGRAMME,
        programme=programme,
        return_month=datetime.date(2020, 3, 1),
        affiliation=choices.Affiliation.GROUP,
        armed_group=group,
        vulnerabilities=["trauma", "no_documents"],
        drivers=["family_ties"],
        opened_on=datetime.date(2023, 6, 15),
    )
    second = CaseFactory(
        organisation=org_a,
        assigned_to=colleague_a,
        created_by=colleague_a,
        status=choices.CaseStatus.MONITORING,
        vulnerabilities=["disability"],
        drivers=["ideology"],
        opened_on=datetime.date(2024, 2, 10),
    )
    ReferralFactory(case=second)
    return {"first": first, "second": second, "programme": programme, "group": group}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"country": "TJ"}, {"first"}),
        ({"country": "kz"}, {"second"}),
        ({"citizenship": "TJ"}, {"first"}),
        ({"status": "monitoring"}, {"second"}),
        ({"sex": "male"}, {"first"}),
        ({"age_band": "0-4"}, {"first"}),
        ({"return_year": "2020"}, {"first"}),
        ({"return_year": "2019"}, {"second"}),
        ({"departure_year": "2014"}, {"second"}),
        ({"conflict_zone": "syria"}, {"first", "second"}),
        ({"return_pathway": "programme"}, {"first"}),
        ({"affiliation": "group"}, {"first"}),
        ({"circumstance": "born_in_zone"}, {"first"}),
        ({"vulnerability": "trauma"}, {"first"}),
        ({"vulnerability": "disability"}, {"second"}),
        ({"driver": "ideology"}, {"second"}),
        ({"has_open_referrals": "true"}, {"second"}),
        ({"has_open_referrals": "false"}, {"first"}),
        ({"opened_after": "2024-01-01"}, {"second"}),
        ({"opened_before": "2023-12-31"}, {"first"}),
        ({"caseworker": "carol"}, {"second"}),
        ({"status": "monitoring", "sex": "male"}, set()),
    ],
)
def test_filters(varied, supervisor_a, params, expected):
    rows = client_for(supervisor_a).get(LIST, params).json()["results"]

    assert {row["reference"] for row in rows} == {varied[name].reference for name in expected}


def test_filters_by_related_ids(varied, supervisor_a):
    client = client_for(supervisor_a)
    for params in ({"programme": varied["programme"].pk}, {"armed_group": varied["group"].pk}):
        rows = client.get(LIST, params).json()["results"]
        assert [row["reference"] for row in rows] == [varied["first"].reference]


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("status", "bogus"),
        ("sex", "x"),
        ("age_band", "0-3"),
        ("country", "XX"),
        ("programme", "999999"),
        ("programme", "abc"),
        ("return_year", "abc"),
        ("return_year", "2019.5"),
        ("vulnerability", "nope"),
        ("driver", "nope"),
        ("has_open_referrals", "maybe"),
        ("opened_after", "yesterday"),
        ("caseworker", "bob"),  # another organisation's caseworker is not a choice
        ("ordering", "sex"),
    ],
)
def test_bad_filter_values_are_400_naming_the_parameter(varied, supervisor_a, caseworker_b, param, value):
    response = client_for(supervisor_a).get(LIST, {param: value})

    assert response.status_code == 400
    assert param in response.json()


def test_ordering_on_the_whitelist(varied, supervisor_a):
    client = client_for(supervisor_a)

    oldest_first = client.get(LIST, {"ordering": "opened_on"}).json()["results"]
    newest_return_first = client.get(LIST, {"ordering": "-return_month"}).json()["results"]

    assert [row["reference"] for row in oldest_first] == [
        varied["first"].reference,
        varied["second"].reference,
    ]
    assert newest_return_first[0]["reference"] == varied["first"].reference


# --- Query counts ------------------------------------------------------------------------------------------


def _list_queries(user) -> int:
    client = client_for(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ["supervisor_a", "superuser", "analyst"])
def test_list_queries_do_not_grow_with_the_cases(request, org_a, caseworker_a, role):
    user = request.getfixturevalue(role)
    household = HouseholdFactory(organisation=org_a)
    make = {
        "organisation": org_a,
        "assigned_to": caseworker_a,
        "created_by": caseworker_a,
        "household": household,
        "household_role": choices.HouseholdRole.CHILD,
    }
    CaseFactory.create_batch(5, **make)
    small = _list_queries(user)
    CaseFactory.create_batch(
        20, **make, citizenship=CountryFactory(code="TJ"), residence_country=CountryFactory(code="UZ")
    )
    large = _list_queries(user)

    assert small == large
    assert large <= 6

"""/api/v1/stats/cases/ and /api/v1/stats/referrals/: who counts what, group_by, filters, suppression."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from casework import choices
from casework.audit import Action
from casework.models import AuditEvent
from tests.factories import (
    CaseFactory,
    CountryFactory,
    OrganisationFactory,
    ProgrammeFactory,
    ReferralFactory,
    ServiceTypeFactory,
    UserFactory,
)

CASES = "/api/v1/stats/cases/"
REFERRALS = "/api/v1/stats/referrals/"
FEMALE, MALE = choices.Sex.FEMALE, choices.Sex.MALE


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def batch(n, *, organisation, worker, country, sex, **extra):
    return CaseFactory.create_batch(
        n,
        organisation=organisation,
        assigned_to=worker,
        created_by=worker,
        citizenship=country,
        residence_country=country,
        sex=sex,
        **extra,
    )


@pytest.fixture
def caseload(org_a, org_b, caseworker_a, colleague_a, caseworker_b):
    kz, tj, uz, tm = (CountryFactory(code=code) for code in ("KZ", "TJ", "UZ", "TM"))
    secretive = OrganisationFactory(name="NGO C", slug="org-c", shares_with_analysts=False)
    worker_c = UserFactory(organisation=secretive, role=choices.Role.CASEWORKER)
    return {
        "own_kz_f": batch(10, organisation=org_a, worker=caseworker_a, country=kz, sex=FEMALE),
        "own_tj_m": batch(6, organisation=org_a, worker=caseworker_a, country=tj, sex=MALE),
        "colleague_kz_m": batch(7, organisation=org_a, worker=colleague_a, country=kz, sex=MALE),
        "foreign_uz_f": batch(8, organisation=org_b, worker=caseworker_b, country=uz, sex=FEMALE),
        "unshared_tm_f": batch(9, organisation=secretive, worker=worker_c, country=tm, sex=FEMALE),
    }


def counts(body, *dims):
    return {tuple(row[d] for d in dims): row["count"] for row in body["rows"]}


# --- The response -------------------------------------------------------------------------------------


def test_response_has_the_designed_shape(caseload, supervisor_a):
    response = client_for(supervisor_a).get(CASES, {"group_by": "return_country,sex"})

    assert response.status_code == 200
    assert response.json() == {
        "threshold": 5,
        "rows": [
            {"return_country": "KZ", "sex": "female", "count": 10},
            {"return_country": "KZ", "sex": "male", "count": 7},
            {"return_country": "TJ", "sex": "male", "count": 6},
        ],
        "totals": {
            "return_country": [{"return_country": "KZ", "count": 17}, {"return_country": "TJ", "count": 6}],
            "sex": [{"sex": "female", "count": 10}, {"sex": "male", "count": 13}],
            "all": {"count": 23},
        },
    }


def test_small_counts_are_suppressed_with_a_partner(caseload, org_a, supervisor_a):
    batch(2, organisation=org_a, worker=supervisor_a, country=CountryFactory(code="UZ"), sex=MALE)

    body = client_for(supervisor_a).get(CASES, {"group_by": "return_country,sex"}).json()

    rows = {(r["return_country"], r["sex"]): r for r in body["rows"]}
    assert rows[("UZ", "male")] == {"return_country": "UZ", "sex": "male", "count": None, "suppressed": True}
    # The UZ total (2) is small too, and neither it nor its cell can be the difference of the others.
    uz_total = next(t for t in body["totals"]["return_country"] if t["return_country"] == "UZ")
    assert uz_total == {"return_country": "UZ", "count": None, "suppressed": True}
    hidden_totals = [t for t in body["totals"]["return_country"] if t["count"] is None]
    assert len(hidden_totals) >= 2
    visible = [r["count"] for r in body["rows"]] + [t["count"] for t in body["totals"]["return_country"]]
    assert not [c for c in visible if c is not None and 0 < c < 5]


def test_threshold_is_the_setting(caseload, org_a, supervisor_a, settings):
    settings.SUPPRESSION_THRESHOLD = 2
    batch(3, organisation=org_a, worker=supervisor_a, country=CountryFactory(code="UZ"), sex=MALE)

    body = client_for(supervisor_a).get(CASES, {"group_by": "return_country"}).json()

    assert body["threshold"] == 2
    assert counts(body, "return_country") == {("KZ",): 17, ("TJ",): 6, ("UZ",): 3}


@pytest.mark.parametrize(
    "dimension",
    [
        "return_country",
        "citizenship",
        "sex",
        "age_band",
        "status",
        "programme",
        "return_year",
        "affiliation",
        "circumstance",
    ],
)
def test_every_case_dimension_groups(caseload, supervisor_a, dimension):
    response = client_for(supervisor_a).get(CASES, {"group_by": dimension})

    assert response.status_code == 200
    assert response.json()["totals"]["all"] == {"count": 23}


def test_programme_is_named_and_return_year_is_a_number(caseload, org_a, supervisor_a):
    programme = ProgrammeFactory(name="Operation Zhusan")
    batch(
        6,
        organisation=org_a,
        worker=supervisor_a,
        country=CountryFactory(code="KZ"),
        sex=FEMALE,
        return_pathway=choices.ReturnPathway.PROGRAMME,
        programme=programme,
        return_month=datetime.date(2019, 1, 1),
    )

    body = client_for(supervisor_a).get(CASES, {"group_by": "programme,return_year"}).json()

    assert counts(body, "programme", "return_year") == {("Operation Zhusan", 2019): 6, (None, 2019): 23}


def test_three_dimensions(caseload, supervisor_a):
    response = client_for(supervisor_a).get(CASES, {"group_by": "return_country,sex,age_band"})

    assert response.status_code == 200
    assert counts(response.json(), "return_country", "sex", "age_band") == {
        ("KZ", "female", "25-34"): 10,
        ("KZ", "male", "25-34"): 7,
        ("TJ", "male", "25-34"): 6,
    }


# --- group_by and filters -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "group_by",
    [
        "",
        "name",
        "sex,reference",
        "sex,sex",
        "sex,status,age_band,citizenship",
        "assigned_to",
        "organisation",
    ],
)
def test_bad_group_by_is_400_naming_group_by(caseload, supervisor_a, group_by):
    response = client_for(supervisor_a).get(CASES, {"group_by": group_by})

    assert response.status_code == 400
    assert list(response.json()) == ["group_by"]


def test_missing_group_by_is_400(caseload, supervisor_a):
    response = client_for(supervisor_a).get(CASES)

    assert response.status_code == 400
    assert "group_by" in response.json()


def test_case_filters_apply(caseload, supervisor_a):
    body = client_for(supervisor_a).get(CASES, {"group_by": "sex", "country": "kz"}).json()

    assert counts(body, "sex") == {("female",): 10, ("male",): 7}


@pytest.mark.parametrize("bad", [{"sex": "other"}, {"country": "ZZ"}, {"return_year": "soon"}])
def test_bad_filter_value_is_400_naming_the_filter(caseload, supervisor_a, bad):
    response = client_for(supervisor_a).get(CASES, {"group_by": "sex", **bad})

    assert response.status_code == 400
    assert list(response.json()) == list(bad)


# --- Who counts what ----------------------------------------------------------------------------------


def test_caseworker_counts_only_their_visible_cases(caseload, caseworker_a):
    body = client_for(caseworker_a).get(CASES, {"group_by": "sex"}).json()

    assert counts(body, "sex") == {("female",): 10, ("male",): 6}


def test_supervisor_counts_their_organisation(caseload, supervisor_a):
    body = client_for(supervisor_a).get(CASES, {"group_by": "return_country"}).json()

    assert counts(body, "return_country") == {("KZ",): 17, ("TJ",): 6}


def test_analyst_counts_only_organisations_that_share(caseload, analyst):
    response = client_for(analyst).get(CASES, {"group_by": "return_country"})

    assert response.status_code == 200
    assert counts(response.json(), "return_country") == {("KZ",): 17, ("TJ",): 6, ("UZ",): 8}
    body = response.content.decode()
    assert not any(case.reference in body for cases in caseload.values() for case in cases)


def test_system_admin_counts_what_analysts_count(caseload, superuser):
    body = client_for(superuser).get(CASES, {"group_by": "return_country"}).json()

    assert body["totals"]["all"] == {"count": 31}


@pytest.mark.parametrize("url", [CASES, REFERRALS])
def test_auditor_is_refused(caseload, auditor, url):
    assert client_for(auditor).get(url, {"group_by": "status"}).status_code == 403


@pytest.mark.parametrize("url", [CASES, REFERRALS])
def test_anonymous_is_401(url):
    assert client_for(None).get(url, {"group_by": "status"}).status_code == 401


# --- Audit and queries --------------------------------------------------------------------------------


def test_each_request_leaves_one_audit_event(caseload, analyst):
    before = AuditEvent.objects.count()

    client_for(analyst).get(CASES, {"group_by": "sex,status", "country": "KZ"})

    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("id")
    assert event.action == Action.VIEW
    assert event.actor_username == analyst.username
    assert event.details == {
        "page": "api_stats_cases",
        "group_by": ["sex", "status"],
        "filters": {"country": "KZ"},
    }


def _queries(user, params):
    with CaptureQueriesContext(connection) as context:
        response = client_for(user).get(CASES, params)
    assert response.status_code == 200
    return [query["sql"] for query in context.captured_queries]


def test_one_query_counts_whatever_the_size(caseload, org_a, supervisor_a):
    params = {"group_by": "return_country,sex,age_band"}
    small = _queries(supervisor_a, params)
    for code in ("UZ", "KG", "TM"):
        batch(7, organisation=org_a, worker=supervisor_a, country=CountryFactory(code=code), sex=MALE)
    large = _queries(supervisor_a, params)

    assert len(large) == len(small)
    assert len([sql for sql in large if "GROUP BY" in sql.upper()]) == 1
    assert len(large) <= 4  # the counts, the audit event (and its savepoint on some back ends)


# --- Referrals ----------------------------------------------------------------------------------------


@pytest.fixture
def referrals(caseload):
    housing = ServiceTypeFactory(code="housing")
    legal = ServiceTypeFactory(code="legal")
    for case in caseload["own_kz_f"]:
        ReferralFactory(case=case, service_type=housing, status=choices.ReferralStatus.ACCEPTED)
    for case in caseload["colleague_kz_m"] + caseload["foreign_uz_f"][:2]:
        ReferralFactory(case=case, service_type=legal, status=choices.ReferralStatus.REFERRED)
    for case in caseload["unshared_tm_f"]:
        ReferralFactory(case=case, service_type=legal, status=choices.ReferralStatus.REFERRED)


def test_referral_counts_by_service_type_and_status(referrals, supervisor_a):
    body = client_for(supervisor_a).get(REFERRALS, {"group_by": "service_type,status"}).json()

    assert body["rows"] == [
        {"service_type": "housing", "status": "accepted", "count": 10},
        {"service_type": "legal", "status": "referred", "count": 7},
    ]
    assert body["totals"]["all"] == {"count": 17}


def test_analyst_counts_referrals_of_sharing_organisations_only(referrals, analyst):
    body = client_for(analyst).get(REFERRALS, {"group_by": "service_type"}).json()

    assert counts(body, "service_type") == {("housing",): 10, ("legal",): 9}


def test_referral_filters_apply(referrals, analyst):
    body = client_for(analyst).get(REFERRALS, {"group_by": "service_type", "country": "uz"}).json()

    # Two UZ referrals: both hidden, and so is the total that would give them away.
    assert body["rows"] == [{"service_type": "legal", "count": None, "suppressed": True}]
    assert body["totals"]["all"] == {"count": None, "suppressed": True}


@pytest.mark.parametrize("group_by", ["sex", "service_type,outcome,status,provider", ""])
def test_bad_referral_group_by_is_400(referrals, analyst, group_by):
    response = client_for(analyst).get(REFERRALS, {"group_by": group_by})

    assert response.status_code == 400
    assert list(response.json()) == ["group_by"]


def test_stats_are_in_the_schema(superuser):
    schema = client_for(superuser).get("/api/v1/schema/", {"format": "json"}).json()

    for path in ("/api/v1/stats/cases/", "/api/v1/stats/referrals/"):
        responses = schema["paths"][path]["get"]["responses"]
        assert set(responses) >= {"200", "400", "401", "403", "429"}

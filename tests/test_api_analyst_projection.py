"""Analysts on /api/v1/cases/: sharing organisations only, anonymised, opaque ids, months not days."""

import datetime

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from casework import choices
from casework.api import anonymise
from casework.audit import Action
from casework.models import AuditEvent, Case, CaseNote
from tests.factories import CaseFactory, CaseNoteFactory, HouseholdFactory, ReferralFactory

LIST = "/api/v1/cases/"
FORBIDDEN_KEYS = {"reference", "assigned_to", "created_by", "household", "household_role", "organisation"}


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def world(org_a, org_b, caseworker_a, colleague_a, supervisor_a, caseworker_b):
    """Org A shares with analysts, org B does not; cases with households, notes and referrals."""
    org_b.shares_with_analysts = False
    org_b.save()
    household = HouseholdFactory(organisation=org_a)
    shared = [
        CaseFactory(
            organisation=org_a,
            assigned_to=caseworker_a,
            created_by=supervisor_a,
            household=household,
            household_role=choices.HouseholdRole.MOTHER,
            opened_on=datetime.date(2024, 3, 17),
            consent_services=True,
            consent_services_on=datetime.date(2024, 3, 18),
        ),
        CaseFactory(
            organisation=org_a,
            assigned_to=colleague_a,
            created_by=colleague_a,
            status=choices.CaseStatus.CLOSED,
            opened_on=datetime.date(2023, 1, 9),
            closed_on=datetime.date(2024, 2, 23),
            closure_reason=choices.ClosureReason.REINTEGRATED,
        ),
    ]
    hidden = CaseFactory(organisation=org_b, assigned_to=caseworker_b, created_by=caseworker_b)
    notes = [
        CaseNoteFactory(case=shared[0], text="Met the mother at the community centre on Tuesday."),
        CaseNoteFactory(case=hidden, text="Secret text of another organisation."),
    ]
    ReferralFactory(case=shared[0])
    return {"shared": shared, "hidden": hidden, "notes": notes, "household": household}


def forbidden_strings(world) -> list[str]:
    cases = Case.objects.all()
    strings = [case.reference for case in cases]
    strings += [world["household"].reference]
    strings += [note.text for note in CaseNote.objects.all()]
    strings += ["alice", "carol", "sam", "bob", "org-a", "org-b", "NGO A", "NGO B"]
    # Exact days never leave: only months.
    for case in cases:
        strings += [case.opened_on.isoformat(), case.return_month.isoformat()]
        if case.closed_on:
            strings.append(case.closed_on.isoformat())
        if case.consent_services_on:
            strings.append(case.consent_services_on.isoformat())
    return strings


def assert_nothing_forbidden(response, world):
    text = response.content.decode()
    for forbidden in forbidden_strings(world):
        assert forbidden not in text, forbidden


def test_analyst_list_shows_only_sharing_organisations_with_opaque_ids(world, analyst):
    response = client_for(analyst).get(LIST)

    assert response.status_code == 200
    rows = response.json()["results"]
    assert {row["id"] for row in rows} == {anonymise.opaque_id(case) for case in world["shared"]}
    for row in rows:
        assert not FORBIDDEN_KEYS & set(row)
    assert_nothing_forbidden(response, world)


def test_analyst_rows_are_at_month_precision(world, analyst):
    rows = {row["id"]: row for row in client_for(analyst).get(LIST).json()["results"]}

    closed = rows[anonymise.opaque_id(world["shared"][1])]
    assert closed["opened_month"] == "2023-01"
    assert closed["closed_month"] == "2024-02"
    assert closed["return_month"] == "2019-05"
    assert closed["closure_reason"] == "reintegrated"
    assert "opened_on" not in closed and "closed_on" not in closed
    assert "consent_services_on" not in rows[anonymise.opaque_id(world["shared"][0])]


def test_analyst_detail_by_opaque_id(world, analyst):
    case = world["shared"][0]

    response = client_for(analyst).get(f"{LIST}{anonymise.opaque_id(case)}/")

    assert response.status_code == 200
    assert response.json()["id"] == anonymise.opaque_id(case)
    assert "ETag" not in response
    assert_nothing_forbidden(response, world)
    event = AuditEvent.objects.get(action=Action.VIEW)
    assert event.object_type == "case" and event.object_id == str(case.pk)


def test_analyst_cannot_reach_a_case_of_an_organisation_that_does_not_share(world, analyst):
    client = client_for(analyst)
    key = anonymise.opaque_id(world["hidden"])

    for response in (
        client.get(f"{LIST}{key}/"),
        client.patch(f"{LIST}{key}/", {"sex": "male"}, format="json", HTTP_IF_MATCH='"1"'),
        client.put(f"{LIST}{key}/", {"sex": "male"}, format="json", HTTP_IF_MATCH='"1"'),
        client.delete(f"{LIST}{key}/"),
    ):
        assert response.status_code == 404
        assert key not in response.content.decode()


@pytest.mark.parametrize("key", ["aaaaaaaa", "zzzzzzzz", "not-an-id", "12345678"])
def test_forged_or_guessed_ids_are_404(world, analyst, key):
    assert client_for(analyst).get(f"{LIST}{key}/").status_code == 404


def test_the_id_of_another_kind_of_record_is_not_a_case_id(world, analyst):
    note = world["notes"][0]
    assert client_for(analyst).get(f"{LIST}{anonymise.opaque_id(note)}/").status_code == 404


def test_analysts_only_read(world, analyst):
    client = client_for(analyst)
    case = world["shared"][0]
    url = f"{LIST}{anonymise.opaque_id(case)}/"

    assert client.post(LIST, {"sex": "male"}, format="json").status_code == 403
    assert (
        client.patch(url, {"sex": "male"}, format="json", HTTP_IF_MATCH=f'"{case.version}"').status_code
        == 403
    )
    assert (
        client.put(url, {"sex": "male"}, format="json", HTTP_IF_MATCH=f'"{case.version}"').status_code == 403
    )
    assert client.delete(url).status_code == 405
    case.refresh_from_db()
    assert case.sex == "female"


def test_analyst_filters_and_their_limits(world, analyst):
    client = client_for(analyst)

    closed = client.get(LIST, {"status": "closed"}).json()["results"]
    assert [row["id"] for row in closed] == [anonymise.opaque_id(world["shared"][1])]
    referred = client.get(LIST, {"has_open_referrals": "true"}).json()["results"]
    assert [row["id"] for row in referred] == [anonymise.opaque_id(world["shared"][0])]

    # Staff-only filters and orderings are refused by name.
    for params, name in (
        ({"caseworker": "alice"}, "caseworker"),
        ({"ordering": "reference"}, "ordering"),
        ({"ordering": "opened_on"}, "ordering"),
    ):
        response = client.get(LIST, params)
        assert response.status_code == 400
        assert name in response.json()
        assert_nothing_forbidden(response, world)
    assert client.get(LIST, {"ordering": "-return_month"}).status_code == 200


def test_analyst_date_bounds_are_widened_to_whole_months(world, analyst):
    # The case opened on 17 March 2024: a day-precise bound must not tell it apart from 1 or 31 March.
    client = client_for(analyst)
    key = anonymise.opaque_id(world["shared"][0])

    def ids(params):
        return {row["id"] for row in client.get(LIST, params).json()["results"]}

    assert key in ids({"opened_after": "2024-03-31"})
    assert key in ids({"opened_before": "2024-03-01"})
    assert key not in ids({"opened_after": "2024-04-01"})


def test_analyst_list_is_audited_once_per_page(world, analyst):
    client_for(analyst).get(LIST)

    event = AuditEvent.objects.get(action=Action.VIEW)
    assert event.details["count"] == 2
    assert event.details["page"] == "api_case_list"


# --- The opaque id itself ---------------------------------------------------------------------------------


def test_opaque_ids_round_trip_and_are_stable():
    for pk in (1, 2, 3, 1000, 2**40 - 1):
        key = anonymise.opaque_id_for(Case, pk)
        assert len(key) == 8
        assert key == anonymise.opaque_id_for(Case, pk)
        assert anonymise.pk_from_opaque_id(Case, key) == pk
        assert anonymise.pk_from_opaque_id(Case, key.upper()) == pk


def test_opaque_ids_differ_per_model_and_do_not_look_sequential():
    case_ids = [anonymise.opaque_id_for(Case, pk) for pk in range(1, 201)]
    assert len(set(case_ids)) == 200
    assert case_ids != sorted(case_ids)
    assert not {anonymise.opaque_id_for(CaseNote, pk) for pk in range(1, 201)} & set(case_ids)
    # Consecutive keys share no long common prefix.
    assert sum(a[:3] == b[:3] for a, b in zip(case_ids, case_ids[1:], strict=False)) < 5


def test_opaque_ids_change_with_the_secret_key(settings):
    before = anonymise.opaque_id_for(Case, 42)
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    assert anonymise.opaque_id_for(Case, 42) != before


def test_malformed_opaque_ids_decode_to_nothing():
    for value in ("", "K7QF-29XA", "abc", "aaaaaaa1", "aaaaaaaaa", None):
        assert anonymise.pk_from_opaque_id(Case, value) is None
    with pytest.raises(ValueError):
        anonymise.opaque_id_for(Case, 0)
    with pytest.raises(ValueError):
        anonymise.opaque_id_for(Case, 2**40)


def test_month():
    assert anonymise.month(datetime.date(2019, 5, 17)) == "2019-05"
    assert anonymise.month(None) is None

"""The case list at `/cases/`: scoped by the access module, searched, filtered, sorted and paged."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casework import case_list
from casework.choices import AgeBand, CaseStatus, ReferralStatus, ReturnPathway, Role, Sex
from casework.models import AuditEvent
from tests.factories import (
    CaseFactory,
    CountryFactory,
    ProgrammeFactory,
    ReferralFactory,
    UserFactory,
)

LIST = reverse("casework:case-list")


def references(response) -> list[str]:
    """The references in the table, in the order shown."""
    return re.findall(
        r'<th scope="row"><a href="/cases/([A-Z0-9]{4}-[A-Z0-9]{4})/">', response.content.decode()
    )


def get(client, user, **params):
    client.force_login(user)
    response = client.get(LIST, params)
    assert response.status_code == 200
    return response


@pytest.fixture
def cases(org_a, org_b, caseworker_a, colleague_a, caseworker_b):
    return {
        "alice": CaseFactory(organisation=org_a, assigned_to=caseworker_a, reference="K7QF-29XA"),
        "carol": CaseFactory(organisation=org_a, assigned_to=colleague_a, reference="K7QF-3ACD"),
        "bob": CaseFactory(organisation=org_b, assigned_to=caseworker_b, reference="K7QF-4EFG"),
    }


# --- Who may list what ------------------------------------------------------------------------------------


def test_list_requires_signing_in(client, db):
    response = client.get(LIST)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize("who", ["analyst", "auditor"])
def test_analysts_and_auditors_have_no_case_list(client, request, cases, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(LIST)
    assert response.status_code == 403
    assert cases["alice"].reference not in response.content.decode()


def test_caseworker_lists_only_their_own_cases(client, cases, caseworker_a):
    assert references(get(client, caseworker_a)) == ["K7QF-29XA"]


@pytest.mark.parametrize("who", ["supervisor_a", "orgadmin_a"])
def test_organisation_wide_roles_list_their_organisation_and_never_another(client, request, cases, who):
    response = get(client, request.getfixturevalue(who), sort="reference")
    assert references(response) == ["K7QF-29XA", "K7QF-3ACD"]
    assert "K7QF-4EFG" not in response.content.decode()


def test_system_administrator_lists_every_case(client, cases, superuser):
    assert references(get(client, superuser, sort="reference")) == ["K7QF-29XA", "K7QF-3ACD", "K7QF-4EFG"]


def test_a_search_never_reaches_another_organisation(client, cases, supervisor_a):
    assert references(get(client, supervisor_a, q="K7QF-4EFG")) == []


# --- Search by reference -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("k7qf29xa", "K7QF-29XA"),
        (" K7QF-29XA ", "K7QF-29XA"),
        ("k7qf 29 xa", "K7QF-29XA"),
        ("k7qf", "K7QF"),
        ("k7qf-2", "K7QF-2"),
        ("k7qf2", "K7QF-2"),
        ("k7qf29xs", "K7QF-29X5"),  # S is not in the alphabet: it is read as 5
        ("", ""),
    ],
)
def test_references_are_normalised_as_typed(typed, normalised):
    assert case_list.normalise_reference(typed) == normalised


@pytest.mark.parametrize("typed", ["Olga", "Anna Maria", "K7QF-29XA-1", "k7qf/29xa", "0000"])
def test_what_cannot_be_a_reference_is_refused(typed):
    with pytest.raises(ValidationError):
        case_list.normalise_reference(typed)


def test_search_finds_a_reference_typed_in_lower_case_without_its_hyphen(client, cases, supervisor_a):
    assert references(get(client, supervisor_a, q="k7qf29xa")) == ["K7QF-29XA"]


def test_search_by_the_start_of_a_reference(client, cases, supervisor_a):
    assert references(get(client, supervisor_a, q="k7qf", sort="reference")) == ["K7QF-29XA", "K7QF-3ACD"]
    assert references(get(client, supervisor_a, q="k7qf3")) == ["K7QF-3ACD"]


def test_a_search_that_is_no_reference_shows_an_error_and_no_cases_and_is_not_recorded(
    client, cases, supervisor_a
):
    response = get(client, supervisor_a, q="Anna Petrova")
    html = response.content.decode()
    assert references(response) == []
    assert 'class="error-summary"' in html and 'href="#id_q"' in html
    assert 'value="Anna Petrova"' in html  # kept in the box to correct
    assert 'aria-invalid="true"' in html and 'aria-describedby="id_q_helptext id_q_errors"' in html
    event = AuditEvent.objects.filter(action="view").latest("pk")
    assert "Anna" not in str(event.details)
    assert event.details["filters"] == {"invalid": ["q"]}


# --- Filters -----------------------------------------------------------------------------------------------


def test_filter_by_status_and_by_open(client, org_a, supervisor_a):
    intake = CaseFactory(organisation=org_a, status=CaseStatus.INTAKE)
    active = CaseFactory(organisation=org_a, status=CaseStatus.ACTIVE)
    closed = CaseFactory(organisation=org_a, status=CaseStatus.CLOSED, closed_on=timezone.localdate())
    assert references(get(client, supervisor_a, status="intake")) == [intake.reference]
    shown = references(get(client, supervisor_a, status="open"))
    assert sorted(shown) == sorted([intake.reference, active.reference])
    assert closed.reference not in shown


def test_filter_by_caseworker_and_by_nobody(client, org_a, cases, supervisor_a, colleague_a):
    unassigned = CaseFactory(organisation=org_a, assigned_to=None)
    assert references(get(client, supervisor_a, caseworker=colleague_a.pk)) == ["K7QF-3ACD"]
    assert references(get(client, supervisor_a, caseworker="null")) == [unassigned.reference]


def test_caseworker_choices_are_only_the_organisations_working_staff(
    client, cases, supervisor_a, caseworker_a, colleague_a, orgadmin_a, caseworker_b
):
    html = get(client, supervisor_a).content.decode()
    suggestions = re.search(r'<datalist id="id_caseworker_options">.*?</datalist>', html, re.DOTALL).group(0)
    offered = set(re.findall(r'<option value="([^"]+)"', suggestions))
    assert offered == {supervisor_a.username, caseworker_a.username, colleague_a.username, "null"}
    assert "bob" not in suggestions and "oscar" not in suggestions


def test_another_organisations_caseworker_cannot_be_chosen(client, cases, supervisor_a, caseworker_b):
    response = get(client, supervisor_a, caseworker=caseworker_b.pk)
    assert "Select a valid choice" in response.content.decode()
    assert "K7QF-4EFG" not in response.content.decode()


def test_inactive_caseworkers_are_offered_and_marked(client, org_a, supervisor_a):
    UserFactory(username="gone", organisation=org_a, role=Role.CASEWORKER, is_active=False)
    assert "gone (inactive)" in get(client, supervisor_a).content.decode()


def test_filter_by_profile(client, org_a, supervisor_a):
    kg = CountryFactory(code="KG")
    match = CaseFactory(
        organisation=org_a, sex=Sex.MALE, age_band=AgeBand.AGE_12_17, residence_country=kg, citizenship=kg
    )
    CaseFactory(organisation=org_a, sex=Sex.MALE, age_band=AgeBand.AGE_25_34, residence_country=kg)
    CaseFactory(organisation=org_a, sex=Sex.FEMALE, age_band=AgeBand.AGE_12_17, residence_country=kg)
    CaseFactory(organisation=org_a, sex=Sex.MALE, age_band=AgeBand.AGE_12_17)  # in Kazakhstan
    params = {"sex": "male", "age_band": "12-17", "country": kg.pk}
    assert references(get(client, supervisor_a, **params)) == [match.reference]


def test_filter_by_programme(client, org_a, supervisor_a):
    zhusan = ProgrammeFactory(name="Operation Zhusan")
    through = CaseFactory(organisation=org_a, return_pathway=ReturnPathway.PROGRAMME, programme=zhusan)
    CaseFactory(organisation=org_a)
    assert references(get(client, supervisor_a, programme=zhusan.pk)) == [through.reference]


def test_filter_by_open_referrals_and_the_count_shown(client, org_a, supervisor_a):
    with_open = CaseFactory(organisation=org_a)
    ReferralFactory(case=with_open)
    ReferralFactory(case=with_open, status=ReferralStatus.PLANNED, referred_on=None)
    only_finished = CaseFactory(organisation=org_a)
    ReferralFactory(case=only_finished, status=ReferralStatus.CANCELLED, ended_on=timezone.localdate())
    without = CaseFactory(organisation=org_a)
    response = get(client, supervisor_a, open_referrals="yes")
    assert references(response) == [with_open.reference]
    assert re.search(
        rf"{with_open.reference}</a></th>.*?<td class=\"num\">2</td>", response.content.decode(), re.S
    )
    assert sorted(references(get(client, supervisor_a, open_referrals="no"))) == sorted(
        [only_finished.reference, without.reference]
    )


def test_filters_are_open_when_in_use_and_closed_otherwise(client, cases, supervisor_a):
    assert "<details open>" not in get(client, supervisor_a).content.decode()
    assert "<details open>" in get(client, supervisor_a, status="active").content.decode()
    assert "<details open>" not in get(client, supervisor_a, q="Olga").content.decode()  # error above them
    assert "<details open>" in get(client, supervisor_a, caseworker="999999").content.decode()  # one inside


def test_rows_show_status_sex_and_age_band_as_their_labels(client, org_a, supervisor_a):
    case = CaseFactory(
        organisation=org_a, status=CaseStatus.MONITORING, sex=Sex.MALE, age_band=AgeBand.AGE_12_17
    )
    html = get(client, supervisor_a).content.decode()
    row = re.search(rf"{case.reference}</a></th>(.*?)</tr>", html, re.S).group(1)
    for label in ("Monitoring", case.get_sex_display(), "12–17"):
        assert f"<td>{label}</td>" in row


# --- Sorting -----------------------------------------------------------------------------------------------


def test_sorting_by_the_whitelisted_orders(client, org_a, supervisor_a):
    today = timezone.localdate()
    old = CaseFactory(
        organisation=org_a,
        reference="CCCC-CCCC",
        opened_on=today - datetime.timedelta(days=300),
        return_month=datetime.date(2020, 1, 1),
        status=CaseStatus.MONITORING,
    )
    new = CaseFactory(
        organisation=org_a,
        reference="AAAA-AAAA",
        opened_on=today - datetime.timedelta(days=3),
        return_month=datetime.date(2018, 6, 1),
        status=CaseStatus.ACTIVE,
    )
    mid = CaseFactory(
        organisation=org_a,
        reference="DDDD-DDDD",
        opened_on=today - datetime.timedelta(days=30),
        return_month=datetime.date(2019, 3, 1),
        status=CaseStatus.INTAKE,
    )
    order = {
        None: [new, mid, old],  # newest opened first
        "opened": [old, mid, new],
        "reference": [new, old, mid],
        "status": [mid, new, old],  # intake, active, monitoring: the order a case moves through
        "returned": [new, mid, old],
        "-returned": [old, mid, new],
    }
    for sort, expected in order.items():
        params = {"sort": sort} if sort else {}
        assert references(get(client, supervisor_a, **params)) == [case.reference for case in expected], sort


def test_an_unknown_sort_is_refused_and_the_default_order_kept(client, org_a, supervisor_a):
    CaseFactory(organisation=org_a)
    response = get(client, supervisor_a, sort="organisation__name")
    assert "Select a valid choice" in response.content.decode()
    assert len(references(response)) == 1


# --- Pages -------------------------------------------------------------------------------------------------


def test_pages_of_fifty_keep_the_filters(client, org_a, supervisor_a):
    for _ in range(55):
        CaseFactory(organisation=org_a, status=CaseStatus.ACTIVE)
    CaseFactory(organisation=org_a, status=CaseStatus.INTAKE)
    first = get(client, supervisor_a, status="active", sort="reference")
    assert len(references(first)) == 50
    html = first.content.decode()
    assert "55 cases" in html and "Page 1 of 2" in html
    assert 'href="?status=active&amp;sort=reference&amp;page=2"' in html
    second = get(client, supervisor_a, status="active", sort="reference", page=2)
    assert len(references(second)) == 5
    assert not set(references(first)) & set(references(second))
    assert 'href="?status=active&amp;sort=reference&amp;page=1"' in second.content.decode()


def test_a_page_out_of_range_shows_the_last(client, org_a, supervisor_a):
    CaseFactory(organisation=org_a)
    assert len(references(get(client, supervisor_a, page=9))) == 1
    assert len(references(get(client, supervisor_a, page="x"))) == 1


# --- Audit -------------------------------------------------------------------------------------------------


def test_a_whole_reference_searched_for_is_recorded_and_the_start_of_one_only_by_its_length(
    client, cases, supervisor_a
):
    client.force_login(supervisor_a)
    client.get(LIST, {"q": "k7qf29xa"})
    assert AuditEvent.objects.filter(action="view").latest("pk").details["filters"] == {"q": "K7QF-29XA"}
    client.get(LIST, {"q": "anna"})  # could be the start of a reference, could be a name
    details = AuditEvent.objects.filter(action="view").latest("pk").details
    assert details["filters"] == {"q_prefix_length": 4} and "ANNA" not in str(details)


def test_each_page_of_the_list_is_one_audit_event(client, cases, supervisor_a, colleague_a):
    client.force_login(supervisor_a)
    before = AuditEvent.objects.filter(action="view").count()
    client.get(LIST, {"q": "k7qf", "status": "active", "caseworker": colleague_a.pk, "sort": "reference"})
    events = AuditEvent.objects.filter(action="view")
    assert events.count() == before + 1
    event = events.latest("pk")
    assert event.actor == supervisor_a and event.case_reference == ""
    assert event.details == {
        "page": "case_list",
        "filters": {
            "status": "active",
            "caseworker": colleague_a.pk,
            "sort": "reference",
            "q_prefix_length": 4,
        },
        "count": 1,
        "page_number": 1,
    }


# --- Bounded queries --------------------------------------------------------------------------------------


def _queries(client, user, params) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(LIST, params).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "params", [{}, {"open_referrals": "yes", "sort": "status", "status": "open", "caseworker": "null"}]
)
def test_list_queries_do_not_grow_with_the_cases(client, org_a, supervisor_a, caseworker_a, params):
    def populate(n):
        for index in range(n):
            case = CaseFactory(organisation=org_a, assigned_to=caseworker_a if index % 2 else None)
            ReferralFactory(case=case)

    populate(10)
    with_ten = _queries(client, supervisor_a, params)
    populate(20)
    with_thirty = _queries(client, supervisor_a, params)
    assert with_ten == with_thirty
    assert with_thirty <= 12

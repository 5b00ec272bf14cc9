"""`/cases/export.csv`: every case the user may see, structured fields only, streamed, audited once."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casework import case_export_csv
from casework.audit import Action
from casework.choices import Affiliation, Driver, HouseholdRole, ReturnPathway, Vulnerability
from casework.models import AuditEvent, Case
from tests.factories import (
    ArmedGroupFactory,
    CaseFactory,
    CaseNoteFactory,
    HouseholdFactory,
    ProgrammeFactory,
    RegionFactory,
)

EXPORT = reverse("casework:case-export-csv")


def download(client, user) -> tuple[StreamingHttpResponse, list[dict[str, str]]]:
    client.force_login(user)
    response = client.get(EXPORT)
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8")
    return response, list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def cases(org_a, org_b, caseworker_a, colleague_a, caseworker_b):
    return {
        "alice": CaseFactory(organisation=org_a, assigned_to=caseworker_a, reference="K7QF-29XA"),
        "carol": CaseFactory(organisation=org_a, assigned_to=colleague_a, reference="K7QF-3ACD"),
        "bob": CaseFactory(organisation=org_b, assigned_to=caseworker_b, reference="K7QF-4EFG"),
    }


def references(rows: list[dict[str, str]]) -> list[str]:
    return [row["reference"] for row in rows]


# --- Who gets which rows ---------------------------------------------------------------------------------


def test_caseworker_gets_only_their_own_cases(client, cases, caseworker_a):
    _response, rows = download(client, caseworker_a)
    assert references(rows) == ["K7QF-29XA"]


@pytest.mark.parametrize("who", ["supervisor_a", "orgadmin_a"])
def test_organisation_wide_roles_get_their_organisation_and_never_another(client, request, cases, who):
    _response, rows = download(client, request.getfixturevalue(who))
    assert references(rows) == ["K7QF-29XA", "K7QF-3ACD"]


def test_caseworker_b_never_gets_organisation_a(client, cases, caseworker_b):
    _response, rows = download(client, caseworker_b)
    assert references(rows) == ["K7QF-4EFG"]


def test_system_administrator_gets_every_case(client, cases, superuser):
    _response, rows = download(client, superuser)
    assert references(rows) == ["K7QF-29XA", "K7QF-3ACD", "K7QF-4EFG"]


def test_rows_are_exactly_the_visible_cases(client, cases, supervisor_a):
    _response, rows = download(client, supervisor_a)
    visible = Case.objects.visible_to(supervisor_a).order_by("reference").values_list("reference", flat=True)
    assert references(rows) == list(visible)


@pytest.mark.parametrize("who", ["analyst", "auditor"])
def test_analysts_and_auditors_are_refused(client, request, cases, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(EXPORT)
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()


def test_anonymous_is_sent_to_sign_in(client, db):
    response = client.get(EXPORT)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_only_get(client, cases, supervisor_a):
    client.force_login(supervisor_a)
    assert client.post(EXPORT).status_code == 405


# --- What a row holds ------------------------------------------------------------------------------------


def test_structured_fields_only_never_free_text(client, cases, supervisor_a):
    note = CaseNoteFactory(case=cases["alice"], text="Visited the family; Uncle Rustam helps with rent.")
    _response, rows = download(client, supervisor_a)
    header = list(rows[0])
    assert header == [column for column, _lookup, _kind in case_export_csv.COLUMNS]
    free_text = {"text", "outcome", "outcome_note", "note", "closure_note", "decision_note"}
    assert not free_text & set(header)
    exported = "\n".join(",".join(row.values()) for row in rows)
    assert "Rustam" not in exported and note.text not in exported
    # No column is fetched from a TextField of the case either.
    text_fields = {f.name for f in Case._meta.concrete_fields if f.get_internal_type() == "TextField"}
    assert not text_fields & {lookup for _column, lookup, _kind in case_export_csv.COLUMNS}


def test_values_as_stored(client, org_a, supervisor_a, caseworker_a):
    region = RegionFactory(name="Almaty Region")
    household = HouseholdFactory(organisation=org_a)
    case = CaseFactory(
        organisation=org_a,
        assigned_to=caseworker_a,
        citizenship=region.country,
        residence_region=region,
        return_month=datetime.date(2019, 5, 1),
        return_pathway=ReturnPathway.PROGRAMME,
        programme=ProgrammeFactory(country=region.country, name="Operation Zhusan"),
        affiliation=Affiliation.GROUP,
        armed_group=ArmedGroupFactory(name="Katibat Imam al-Bukhari"),
        drivers=[Driver.SOCIO_ECONOMIC, Driver.FAMILY_TIES],
        vulnerabilities=[Vulnerability.TRAUMA],
        household=household,
        household_role=HouseholdRole.MOTHER,
    )
    _response, rows = download(client, supervisor_a)
    row = rows[0]
    assert row["reference"] == case.reference
    assert row["organisation"] == org_a.slug
    assert row["assigned_to"] == caseworker_a.username
    assert row["residence_country"] == region.country.code
    assert row["residence_region"] == "Almaty Region"
    assert row["return_month"] == "2019-05"
    assert row["opened_on"] == case.opened_on.isoformat()
    assert row["closed_on"] == "" and row["archived_on"] == ""
    assert row["programme"] == "Operation Zhusan"
    assert row["armed_group"] == "Katibat Imam al-Bukhari"
    assert row["drivers"] == "family_ties;socio_economic"
    assert row["vulnerabilities"] == "trauma"
    assert row["household"] == household.reference and row["household_role"] == "mother"
    assert row["consent_services"] == "yes"
    assert row["departure_year"] == "2014" and row["version"] == str(case.version)


def test_text_a_spreadsheet_would_run_is_escaped(client, org_a, supervisor_a, caseworker_a):
    region = RegionFactory(name='=HYPERLINK("http://example.com")')
    CaseFactory(
        organisation=org_a,
        assigned_to=caseworker_a,
        citizenship=region.country,
        residence_region=region,
        affiliation=Affiliation.GROUP,
        armed_group=ArmedGroupFactory(name="+cmd|' /C calc'!A0"),
    )
    caseworker_a.username = "@alice"
    caseworker_a.save()
    _response, rows = download(client, supervisor_a)
    row = rows[0]
    assert row["residence_region"] == '\'=HYPERLINK("http://example.com")'
    assert row["armed_group"] == "'+cmd|' /C calc'!A0"
    assert row["assigned_to"] == "'@alice"


# --- The response ----------------------------------------------------------------------------------------


def test_one_export_event_and_never_cached(client, cases, supervisor_a):
    response, rows = download(client, supervisor_a)
    assert len(rows) == 2
    events = AuditEvent.objects.filter(action=Action.EXPORT)
    assert events.count() == 1
    event = events.get()
    assert event.actor == supervisor_a and event.case_reference == ""
    assert event.details["report"] == "cases-csv" and event.details["format"] == "csv"
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="cases-')


def make_cases(organisation, caseworker, n: int) -> None:
    for _ in range(n):
        CaseFactory(organisation=organisation, assigned_to=caseworker)


def queries_for_export(client, user) -> tuple[int, int]:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(EXPORT)
        rows = b"".join(response.streaming_content).decode().count("\n") - 1
    return len(queries), rows


def test_query_count_does_not_grow_with_the_cases(
    client, org_a, supervisor_a, caseworker_a, django_assert_max_num_queries
):
    make_cases(org_a, caseworker_a, 10)
    few, rows = queries_for_export(client, supervisor_a)
    assert rows == 10
    make_cases(org_a, caseworker_a, 40)
    client.force_login(supervisor_a)
    with django_assert_max_num_queries(few):
        response = client.get(EXPORT)
        assert b"".join(response.streaming_content).decode().count("\n") - 1 == 50


def test_streams_in_chunks(client, org_a, supervisor_a, caseworker_a, monkeypatch):
    monkeypatch.setattr(case_export_csv, "ROWS_PER_WRITE", 3)
    make_cases(org_a, caseworker_a, 7)
    client.force_login(supervisor_a)
    chunks = list(client.get(EXPORT).streaming_content)
    assert len(chunks) == 3  # header and two rows; three rows; two rows
    assert sum(chunk.count(b"\n") for chunk in chunks) == 8


def test_an_archived_case_shows_the_local_day_it_was_archived_and_consents_as_yes_or_no(
    client, org_a, supervisor_a, caseworker_a, settings
):
    settings.TIME_ZONE = "Asia/Almaty"  # UTC+5: 21:30 UTC is the next day there
    CaseFactory(
        organisation=org_a,
        assigned_to=caseworker_a,
        status="archived",
        opened_on=datetime.date(2020, 1, 6),
        closed_on=datetime.date(2024, 3, 1),
        closure_reason="reintegrated",
        archived_at=datetime.datetime(2024, 3, 10, 21, 30, tzinfo=datetime.UTC),
        consent_data_sharing=False,
        consent_data_sharing_on=None,
    )
    _response, rows = download(client, supervisor_a)
    assert rows[0]["archived_on"] == "2024-03-11"
    assert rows[0]["consent_data_sharing"] == "no" and rows[0]["consent_services"] == "yes"


def test_postgresql_copy_rows_give_the_same_file_as_the_orm(cases, org_a, supervisor_a, caseworker_a):
    """On PostgreSQL the rows come from COPY as text; the file must be the one the ORM's typed rows give."""
    CaseFactory(
        organisation=org_a,
        status="archived",
        closed_on=datetime.date(2024, 3, 1),
        closure_reason="reintegrated",
        archived_at=datetime.datetime(2024, 3, 10, 21, 30, tzinfo=datetime.UTC),
        drivers=[Driver.SOCIO_ECONOMIC, Driver.FAMILY_TIES],
        consent_data_sharing=False,
        consent_data_sharing_on=None,
    )
    for user in (supervisor_a, caseworker_a):
        queryset = case_export_csv.export_queryset(user)
        from_export = list(case_export_csv.csv_lines(case_export_csv.export_rows(queryset)))
        from_orm = list(case_export_csv.csv_lines(queryset.iterator()))
        assert from_export == from_orm
        assert len(from_export) == queryset.count() + 1

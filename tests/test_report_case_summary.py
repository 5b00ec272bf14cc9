"""The case summary report, /reports/cases/<reference>/: what it shows (checked against plain ORM
queries), what it never shows (any note text, restricted notes, outcome text), the same tables in HTML,
PDF, CSV and XLSX, who may open it, what the trail records, and in how many queries."""

import csv
import datetime
import io
import re
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from casework import choices
from casework.audit import Action
from casework.models import Assessment, AuditEvent, CaseNote, ClosureRequest, LegalProceeding, Referral
from tests.factories import (
    ArmedGroupFactory,
    AssessmentFactory,
    CaseFactory,
    CaseNoteFactory,
    ClosureRequestFactory,
    HouseholdFactory,
    LegalFrameworkFactory,
    LegalProceedingFactory,
    ProgrammeFactory,
    ProvisionFactory,
    ReferralFactory,
    RegionFactory,
    ServiceProviderFactory,
    ServiceTypeFactory,
)

RS = choices.ReferralStatus
TABLES = (
    "profile",
    "departure-and-return",
    "open-actions",
    "timeline",
    "services",
    "assessments",
    "legal-proceedings",
    "recent-contacts",
)
RESTRICTED_TEXT = "Restricted: disclosed a cousin still in Idlib"
NOTE_TEXT = "Open note: visited the family, the children are well"
CLOSURE_TEXT = "Closure note: goals reached with the family"
OUTCOME_NOTE = "Outcome note: finished the welding course early"
PROCEEDING_OUTCOME = "Proceeding outcome: two years suspended, reporting monthly"
FREE_TEXTS = (RESTRICTED_TEXT, NOTE_TEXT, CLOSURE_TEXT, OUTCOME_NOTE, PROCEEDING_OUTCOME)


def days_ago(days):
    return timezone.localdate() - datetime.timedelta(days=days)


def url(reference, **params):
    address = reverse("reports:case-summary", kwargs={"reference": reference})
    if params:
        address += "?" + "&".join(f"{key}={value}" for key, value in params.items())
    return address


def fetch(client, user, case, **params):
    client.force_login(user)
    response = client.get(url(case.reference, **params))
    assert response.status_code == 200, response.content[:300]
    return response


# --- Reading the outputs --------------------------------------------------------------------------------


class ReportTables(HTMLParser):
    """The report's tables as text: {slug: [[cell text, ...], ...]} for body and total rows (the header
    row is in `columns`). A report table is a <div id="table-<slug>"> around a <table>."""

    def __init__(self, html):
        super().__init__()
        self.tables, self.columns = {}, {}
        self.slug = self.row = self.cell = None
        self.in_head = self.in_caption = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div" and (attrs.get("id") or "").startswith("table-"):
            self.slug = attrs["id"][len("table-") :]
            self.tables[self.slug], self.columns[self.slug] = [], []
        elif self.slug is None:
            return
        elif tag == "caption":
            self.in_caption = True
        elif tag == "thead":
            self.in_head = True
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if self.slug is None:
            return
        if tag == "caption":
            self.in_caption = False
        elif tag == "thead":
            self.in_head = False
        elif tag in ("td", "th") and self.cell is not None:
            self.row.append(" ".join(self.cell.split()))
            self.cell = None
        elif tag == "tr":
            (self.columns if self.in_head else self.tables)[self.slug].append(self.row)
            self.row = None
        elif tag == "table":
            self.columns[self.slug] = self.columns[self.slug][0]
            self.slug = None

    def handle_data(self, data):
        if self.cell is not None and not self.in_caption:
            self.cell += data


def shown(value):
    """A cell as the page shows it: a dash for nothing, ISO dates, numbers as digits."""
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return " ".join(str(value).split())


def csv_tables(text):
    """The CSV of several tables: a title line, the header, the rows; a blank line between tables."""
    tables, current = [], None
    for row in csv.reader(io.StringIO(text)):
        if not row:
            current = None
        elif current is None:
            current = {"title": row[0], "rows": []}
            tables.append(current)
        else:
            current["rows"].append(row)
    return [(table["title"], table["rows"][0], table["rows"][1:]) for table in tables]


def xlsx_sheets(content):
    workbook = load_workbook(io.BytesIO(content))
    return workbook, [
        [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in workbook.worksheets[1:]
    ]


def pdf_text(content):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


# --- The data -------------------------------------------------------------------------------------------


@pytest.fixture
def case(caseworker_a):
    """A case with a bit of everything: a programme return, a named group, a household, referrals at
    several steps, assessments, an ongoing and a finished proceeding, notes of both kinds and a pending
    closure request; every free text field filled with text that must never reach the report."""
    organisation = caseworker_a.organisation
    region = RegionFactory(name="Shymkent region")
    case = CaseFactory(
        organisation=organisation,
        assigned_to=caseworker_a,
        citizenship=region.country,
        residence_region=region,
        return_pathway=choices.ReturnPathway.PROGRAMME,
        programme=ProgrammeFactory(name="Operation Zhusan", country=region.country),
        affiliation=choices.Affiliation.GROUP,
        armed_group=ArmedGroupFactory(name="Katibat al-Tawhid wal-Jihad"),
        circumstance=choices.Circumstance.TAKEN_BY_FAMILY,
        drivers=[choices.Driver.ONLINE_RECRUITMENT, choices.Driver.LABOUR_MIGRATION],
        vulnerabilities=[choices.Vulnerability.TRAUMA, choices.Vulnerability.NO_CIVIL_DOCUMENTS],
        household=HouseholdFactory(organisation=organisation),
        household_role=choices.HouseholdRole.MOTHER,
    )
    counselling = ServiceTypeFactory(name="Counselling")
    training = ServiceTypeFactory(name="Vocational training")
    centre = ServiceProviderFactory(name="Hope Centre", country=case.citizenship, service_types=[training])
    ReferralFactory(case=case, service_type=counselling, status=RS.REFERRED, referred_on=days_ago(40))
    ReferralFactory(
        case=case,
        service_type=training,
        provider=centre,
        status=RS.COMPLETED,
        referred_on=days_ago(150),
        accepted_on=days_ago(140),
        started_on=days_ago(130),
        ended_on=days_ago(20),
        outcome=choices.ReferralOutcome.GOALS_MET,
        outcome_note=OUTCOME_NOTE,
    )
    AssessmentFactory(case=case, assessed_on=days_ago(180), psychosocial=1, livelihood=1, legal=None)
    AssessmentFactory(case=case, assessed_on=days_ago(100), psychosocial=3, livelihood=4, legal=2)
    framework = LegalFrameworkFactory(country=case.citizenship, title="Criminal Code of Kazakhstan")
    LegalProceedingFactory(
        case=case,
        framework=framework,
        provision=ProvisionFactory(framework=framework, article="Art. 256", title="Participation"),
        stage=choices.ProceedingStage.PROBATION,
        started_on=days_ago(160),
        closed_court=True,
        outcome=PROCEEDING_OUTCOME,
    )
    LegalProceedingFactory(
        case=case,
        framework=framework,
        provision=None,
        stage=choices.ProceedingStage.AMNESTIED,
        started_on=days_ago(190),
        ended_on=days_ago(170),
    )
    CaseNoteFactory(case=case, author=caseworker_a, text=NOTE_TEXT, contact_on=days_ago(5))
    CaseNoteFactory(
        case=case,
        author=caseworker_a,
        text=RESTRICTED_TEXT,
        restricted=True,
        contact_type=choices.ContactType.COURT_HEARING,
        contact_on=days_ago(2),
    )
    ClosureRequestFactory(case=case, requested_by=caseworker_a, note=CLOSURE_TEXT)
    return case


def expected_services(case):
    """The services table from plain ORM values: labels looked up here, not by the report."""
    rows = Referral.objects.filter(case=case).order_by("created_at", "pk")
    values = rows.values_list(
        "service_type__name",
        "provider__name",
        "status",
        "referred_on",
        "accepted_on",
        "started_on",
        "ended_on",
        "outcome",
    )
    outcomes = dict(choices.ReferralOutcome.choices)
    return [
        [
            shown(name),
            shown(provider),
            str(RS(status).label),
            *map(shown, dates),
            shown(outcomes.get(outcome)),
        ]
        for name, provider, status, *dates, outcome in values
    ]


# --- What it shows ------------------------------------------------------------------------------------


def test_profile_shows_labels_and_links_the_programme(client, caseworker_a, case):
    page = fetch(client, caseworker_a, case).content.decode()
    tables = ReportTables(page).tables
    profile = dict(map(tuple, tables["profile"]))
    journey = dict(map(tuple, tables["departure-and-return"]))
    assert profile["Reference"] == case.reference
    assert (profile["Status"], profile["Sex"], profile["Age band at return"]) == ("Active", "Female", "25–34")
    assert profile["Citizenship"] == profile["Country of residence"] == "Kazakhstan"
    assert profile["Region of residence"] == "Shymkent region"
    assert set(profile["Vulnerabilities"].split(", ")) == {"Trauma", "No civil documents"}
    assert profile["Role in household"] == "Mother"
    assert profile["Household"] == case.household.reference
    assert journey["Return pathway"] == "Through a state or NGO programme"
    assert journey["Return programme"] == "Operation Zhusan"
    assert journey["Armed group"] == "Katibat al-Tawhid wal-Jihad"
    assert journey["Circumstance of going"] == "Taken by family"
    assert journey["Month of return"] == "2019-05"
    assert journey["Year of departure"] == "2014"
    assert set(journey["Drivers"].split(", ")) == {
        "Online recruitment",
        "Recruitment during labour migration",
    }
    assert f'<a href="/policies/programmes/{case.programme_id}/">Operation Zhusan</a>' in page
    for code in ("taken_by_family", "online_recruitment", "labour_migration", "no_documents", "syria<"):
        assert code not in page


def test_services_table_equals_the_referrals_in_the_database(client, caseworker_a, case):
    tables = ReportTables(fetch(client, caseworker_a, case).content.decode()).tables
    assert tables["services"] == expected_services(case)
    assert len(tables["services"]) == Referral.objects.filter(case=case).count()


def test_assessment_table_and_chart_equal_the_scores_in_the_database(client, caseworker_a, case):
    page = fetch(client, caseworker_a, case).content.decode()
    tables = ReportTables(page)
    domains = [field.value for field in choices.AssessmentDomain]
    expected = [
        [shown(row[0]), *(shown(score) for score in row[1:])]
        for row in Assessment.objects.filter(case=case)
        .order_by("assessed_on")
        .values_list("assessed_on", *domains)
    ]
    assert tables.tables["assessments"] == expected
    assert tables.columns["assessments"][1:] == [str(domain.label) for domain in choices.AssessmentDomain]
    assert 'id="assessment-chart"' in page and "<svg" in page
    assert "Assessment scores over time" in page


def test_legal_proceedings_name_their_framework_provision_and_stage(client, caseworker_a, case):
    page = fetch(client, caseworker_a, case).content.decode()
    rows = ReportTables(page).tables["legal-proceedings"]
    expected = [
        [
            f"{title} ({code})",
            shown(article),
            shown(provision),
            str(choices.ProceedingStage(stage).label),
            shown(started),
            shown(ended),
            "yes" if closed else "no",
        ]
        for title, code, article, provision, stage, started, ended, closed in LegalProceeding.objects.filter(
            case=case
        )
        .order_by("started_on")
        .values_list(
            "framework__title",
            "framework__country__code",
            "provision__article",
            "provision__title",
            "stage",
            "started_on",
            "ended_on",
            "closed_court",
        )
    ]
    assert rows == expected
    assert rows[1][1:4] == ["Art. 256", "Participation", "Probation"]
    assert f'href="/policies/frameworks/{LegalProceeding.objects.first().framework_id}/"' in page


def test_timeline_lists_key_events_oldest_first_without_any_text(client, caseworker_a, case):
    rows = ReportTables(fetch(client, caseworker_a, case).content.decode()).tables["timeline"]
    events = [event for _day, _kind, event in rows]
    days = [day for day, _kind, _event in rows]
    assert days == sorted(days)
    assert events[0] == "Case opened"
    assert "Referred to Counselling" in events
    assert "Service completed: Vocational training" in events
    assert "Closure requested: Reintegration goals met" in events
    assert (
        sum(event.startswith("Assessment:") for event in events)
        == Assessment.objects.filter(case=case).count()
    )
    assert sum(event.startswith("Legal proceeding under") for event in events) == 3  # two started, one ended
    assert not any("note" in event.lower() for event in events)


def test_open_actions_follow_the_dashboard_rules(client, caseworker_a, case):
    rows = ReportTables(fetch(client, caseworker_a, case).content.decode()).tables["open-actions"]
    actions = [action for action, *_rest in rows]
    # Independently: open referrals, the pending closure request, proceedings without an end date.
    open_referrals = Referral.objects.filter(case=case, status__in=choices.OPEN_REFERRAL_STATUSES).count()
    pending = ClosureRequest.objects.filter(case=case, decision="").count()
    ongoing = LegalProceeding.objects.filter(case=case, ended_on__isnull=True).count()
    assert sum(action.startswith("Referral") for action in actions) == open_referrals == 1
    assert sum(action.startswith("Closure request waiting") for action in actions) == pending == 1
    assert sum(action.startswith("Legal proceeding") for action in actions) == ongoing == 1
    # Referred 40 days ago with no answer: longer than CASEWORK_REFERRAL_WAITING_DAYS (21).
    [waiting] = [row for row in rows if row[0].startswith("Referral")]
    assert waiting == [
        "Referral waiting for the provider's answer for more than 21 days",
        "Counselling (Referred)",
        days_ago(40).isoformat(),
        "40",
    ]
    # The latest assessment is 100 days old: more than CASEWORK_ASSESSMENT_OVERDUE_DAYS (90).
    [overdue] = [row for row in rows if row[0].startswith("Assessment overdue")]
    assert overdue[1:] == [f"last assessed on {days_ago(100).isoformat()}", days_ago(100).isoformat(), "100"]


def test_open_actions_of_a_case_with_nothing_waiting(client, caseworker_a, settings):
    settings.CASEWORK_ASSESSMENT_OVERDUE_DAYS = 400
    case = CaseFactory(organisation=caseworker_a.organisation, assigned_to=caseworker_a)
    ReferralFactory(case=case, status=RS.ACCEPTED, referred_on=days_ago(9), accepted_on=days_ago(3))
    page = fetch(client, caseworker_a, case).content.decode()
    [row] = ReportTables(page).tables["open-actions"]
    assert row[0] == "Referral awaiting its next step: In progress"
    assert row[2:] == [days_ago(3).isoformat(), "3"]


def test_a_returned_closure_request_is_an_open_action(client, caseworker_a, supervisor_a):
    case = CaseFactory(organisation=caseworker_a.organisation, assigned_to=caseworker_a)
    ClosureRequestFactory(
        case=case,
        decision=ClosureRequest.Decision.RETURNED,
        decided_by=supervisor_a,
        decided_at=timezone.now(),
        decision_note="Returned: the legal situation is not settled yet",
    )
    page = fetch(client, caseworker_a, case).content.decode()
    actions = [row[0] for row in ReportTables(page).tables["open-actions"]]
    assert "Closure request returned: see the supervisor's note on the case page" in actions
    assert "not settled yet" not in page


def test_a_closed_case_shows_its_closure_and_nothing_overdue(client, supervisor_a, caseworker_a):
    case = CaseFactory(
        organisation=caseworker_a.organisation,
        assigned_to=caseworker_a,
        status=choices.CaseStatus.CLOSED,
        closed_on=days_ago(7),
        closure_reason=choices.ClosureReason.MOVED,
    )
    ReferralFactory(case=case, status=RS.REFERRED, referred_on=days_ago(60))
    tables = ReportTables(fetch(client, supervisor_a, case).content.decode()).tables
    profile = dict(map(tuple, tables["profile"]))
    assert (profile["Status"], profile["Closed on"]) == ("Closed", days_ago(7).isoformat())
    assert profile["Closure reason"] == "Moved out of the organisation's area"
    assert tables["timeline"][-1] == [
        days_ago(7).isoformat(),
        "Case",
        "Case closed: Moved out of the organisation's area",
    ]
    # The dashboard's rules count only open cases: no overdue assessment, the referral not "waiting".
    assert [row[0] for row in tables["open-actions"]] == ["Referral awaiting its next step: Accepted"]


def test_recent_contacts_give_date_and_type_of_non_restricted_notes_only(client, supervisor_a, caseworker_a):
    case = CaseFactory(organisation=caseworker_a.organisation, assigned_to=caseworker_a)
    for day in range(7):
        CaseNoteFactory(case=case, contact_on=days_ago(10 + day))
    CaseNoteFactory(
        case=case, restricted=True, contact_type=choices.ContactType.COURT_HEARING, contact_on=days_ago(1)
    )
    rows = ReportTables(fetch(client, supervisor_a, case).content.decode()).tables["recent-contacts"]
    latest = CaseNote.objects.filter(case=case, restricted=False).order_by("-contact_on")[:5]
    assert rows == [[note.contact_on.isoformat(), "Home visit"] for note in latest]


# --- What it never shows --------------------------------------------------------------------------------


@pytest.mark.parametrize("output", ["html", "pdf", "csv", "xlsx"])
@pytest.mark.parametrize("who", ["caseworker_a", "supervisor_a"])
def test_no_free_text_in_any_format_even_for_who_may_read_restricted_notes(
    client, request, case, who, output
):
    """The author of the restricted note and a supervisor both read it on the case page; neither finds
    it, nor any other note, outcome or closure text, in the summary."""
    response = fetch(client, request.getfixturevalue(who), case, format=output)
    if output == "pdf":
        text = pdf_text(response.content)
    elif output == "xlsx":
        _book, sheets = xlsx_sheets(response.content)
        text = "\n".join(str(value) for sheet in sheets for row in sheet for value in row)
    else:
        text = response.content.decode()
    for free_text in FREE_TEXTS:
        assert free_text not in text
        assert free_text.split(":")[1].strip()[:20] not in text
    assert "Court hearing" not in text  # the restricted note's type: not even its existence


# --- Formats --------------------------------------------------------------------------------------------


def test_pdf_is_a_pdf_with_the_reference_and_key_figures(client, caseworker_a, case):
    response = fetch(client, caseworker_a, case, format="pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f'filename="case-summary-{case.reference.lower()}.pdf"' in response["Content-Disposition"]
    text = pdf_text(response.content)
    squashed = " ".join(text.split())
    assert case.reference in text
    for figure in ("Operation Zhusan", "Counselling", "Hope Centre", "Art. 256", "Open actions", "Timeline"):
        assert figure in squashed
    for day in Assessment.objects.filter(case=case).values_list("assessed_on", flat=True):
        assert day.isoformat() in squashed


def test_csv_and_xlsx_carry_the_same_tables_as_the_page(client, caseworker_a, case):
    page = ReportTables(fetch(client, caseworker_a, case).content.decode())
    from_csv = csv_tables(fetch(client, caseworker_a, case, format="csv").content.decode())
    book, sheets = xlsx_sheets(fetch(client, caseworker_a, case, format="xlsx").content)

    assert list(page.tables) == list(TABLES)
    assert len(from_csv) == len(sheets) == len(TABLES)
    assert book.sheetnames[0] == "Report"
    for index, (slug, (title, header, rows), sheet) in enumerate(zip(TABLES, from_csv, sheets, strict=True)):
        assert book.sheetnames[index + 1] == title[:31]
        assert header == page.columns[slug] == [str(value) for value in sheet[0]], slug
        assert [[shown(value) for value in row] for row in rows] == page.tables[slug], slug
        assert [[shown(value) for value in row] for row in sheet[1:]] == page.tables[slug], slug
    about = {row[0].value: row[1].value for row in book["Report"].iter_rows() if len(row) > 1}
    assert about["Case reference"] == case.reference


def test_one_table_downloads_on_its_own(client, caseworker_a, case):
    response = fetch(client, caseworker_a, case, format="csv", table="services")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "Service"
    assert [[shown(value) for value in row] for row in rows[1:]] == expected_services(case)


def test_spreadsheet_formulas_in_reference_data_are_neutralised(client, caseworker_a):
    case = CaseFactory(organisation=caseworker_a.organisation, assigned_to=caseworker_a)
    service = ServiceTypeFactory(name='=HYPERLINK("http://x")')
    provider = ServiceProviderFactory(name="@SUM(1+1)", country=case.citizenship, service_types=[service])
    ReferralFactory(case=case, service_type=service, provider=provider)

    rows = [
        row
        for _title, _header, rows in csv_tables(
            fetch(client, caseworker_a, case, format="csv").content.decode()
        )
        for row in rows
    ]
    [services_row] = [row for row in rows if row[0].endswith('HYPERLINK("http://x")')]
    assert services_row[:2] == ['\'=HYPERLINK("http://x")', "'@SUM(1+1)"]
    for row in rows:
        assert not any(value.startswith(("=", "@", "+", "-")) for value in row)

    book, _sheets = xlsx_sheets(fetch(client, caseworker_a, case, format="xlsx").content)
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    values = [cell.value for cell in cells if isinstance(cell.value, str)]
    assert '\'=HYPERLINK("http://x")' in values and "'@SUM(1+1)" in values
    assert not any(value.startswith(("=", "@", "+", "-")) for value in values)


# --- Who may open it ------------------------------------------------------------------------------------


@pytest.fixture
def cases(caseworker_a, colleague_a, caseworker_b):
    return {
        "own": CaseFactory(organisation=caseworker_a.organisation, assigned_to=caseworker_a),
        "unassigned": CaseFactory(
            organisation=caseworker_a.organisation, assigned_to=None, created_by=colleague_a
        ),
        "foreign": CaseFactory(organisation=caseworker_b.organisation, assigned_to=caseworker_b),
    }


READS = {
    "superuser": {"own", "unassigned", "foreign"},
    "orgadmin_a": {"own", "unassigned"},
    "supervisor_a": {"own", "unassigned"},
    "caseworker_a": {"own"},
    "analyst": set(),
    "auditor": set(),
}


@pytest.mark.parametrize("kind", ["own", "unassigned", "foreign"])
@pytest.mark.parametrize("who", list(READS))
def test_same_access_as_the_case_page(client, request, cases, who, kind):
    """Whoever reads the case page reads the summary; anyone else gets the case page's 404 (analysts
    and auditors included), in every format."""
    user = request.getfixturevalue(who)
    case = cases[kind]
    client.force_login(user)
    for output in ("html", "csv"):
        summary = client.get(url(case.reference, format=output))
        page = client.get(reverse("casework:case-detail", kwargs={"reference": case.reference}))
        assert summary.status_code == page.status_code == (200 if kind in READS[who] else 404)
        if summary.status_code == 404:
            assert case.reference not in summary.content.decode()


def _body(response):
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


def test_a_hidden_case_answers_exactly_like_a_missing_one(client, caseworker_a, cases):
    client.force_login(caseworker_a)
    answers = [
        client.get(url(cases["unassigned"].reference)),
        client.get(url(cases["foreign"].reference)),
        client.get(url("AAAA-2222")),
    ]
    assert [answer.status_code for answer in answers] == [404, 404, 404]
    assert len({_body(answer) for answer in answers}) == 1
    refused = AuditEvent.objects.filter(action=Action.NOT_FOUND).order_by("pk")
    assert [event.case_reference for event in refused] == [
        cases["unassigned"].reference,
        cases["foreign"].reference,
        "AAAA-2222",
    ]
    assert all(event.details["page"] == "case-summary" for event in refused)


def test_anonymous_is_sent_to_sign_in(client, cases):
    response = client.get(url(cases["own"].reference))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_post_is_refused(client, caseworker_a, cases):
    client.force_login(caseworker_a)
    assert client.post(url(cases["own"].reference)).status_code == 405


def test_no_format_is_kept_in_a_cache(client, caseworker_a, cases):
    client.force_login(caseworker_a)
    for output in ("html", "csv"):
        assert "no-store" in client.get(url(cases["own"].reference, format=output))["Cache-Control"]


# --- What the trail records -----------------------------------------------------------------------------


def test_opening_the_summary_records_one_view_of_the_case(client, caseworker_a, case):
    client.force_login(caseworker_a)  # signing in writes its own event
    before = AuditEvent.objects.count()
    assert client.get(url(case.reference)).status_code == 200
    [event] = AuditEvent.objects.order_by("pk")[before:]
    assert (event.action, event.actor, event.case_reference) == (Action.VIEW, caseworker_a, case.reference)
    assert (event.object_type, event.object_id) == ("case", str(case.pk))
    assert event.details == {
        "report": "case-summary",
        "format": "html",
        "parameters": {"reference": case.reference},
    }


@pytest.mark.parametrize("output", ["pdf", "csv", "xlsx"])
def test_each_download_records_one_export_with_its_format(client, supervisor_a, case, output):
    client.force_login(supervisor_a)  # signing in writes its own event
    before = AuditEvent.objects.count()
    assert client.get(url(case.reference, format=output)).status_code == 200
    [event] = AuditEvent.objects.order_by("pk")[before:]
    assert (event.action, event.actor, event.case_reference) == (Action.EXPORT, supervisor_a, case.reference)
    assert (event.details["report"], event.details["format"]) == ("case-summary", output)
    assert not any(text in str(event.details) for text in FREE_TEXTS)


# --- Queries --------------------------------------------------------------------------------------------


def fill(case, n, author, supervisor):
    """n records of each kind, at every referral step, half the notes restricted."""
    steps = [RS.PLANNED, RS.REFERRED, RS.ACCEPTED, RS.COMPLETED]
    for index in range(n):
        status = steps[index % len(steps)]
        dates = {
            RS.PLANNED: {"referred_on": None},
            RS.REFERRED: {"referred_on": days_ago(30)},
            RS.ACCEPTED: {"referred_on": days_ago(30), "accepted_on": days_ago(20)},
            RS.COMPLETED: {
                "referred_on": days_ago(30),
                "accepted_on": days_ago(20),
                "started_on": days_ago(10),
                "ended_on": days_ago(1),
                "outcome": choices.ReferralOutcome.PARTLY_MET,
            },
        }[status]
        provider_type = ServiceTypeFactory()
        ReferralFactory(
            case=case,
            service_type=provider_type,
            provider=ServiceProviderFactory(country=case.citizenship, service_types=[provider_type]),
            status=status,
            **dates,
        )
        AssessmentFactory(case=case, assessed_on=days_ago(10 + index))
        LegalProceedingFactory(case=case, started_on=days_ago(100 + index))
        CaseNoteFactory(case=case, author=author, restricted=bool(index % 2))
        ClosureRequestFactory(
            case=case,
            requested_by=author,
            decision=ClosureRequest.Decision.RETURNED,
            decided_by=supervisor,
            decided_at=timezone.now(),
            decision_note="Not yet.",
        )


def count_queries(client, case, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url(case.reference, **params))
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("output", ["html", "csv"])
def test_queries_do_not_grow_with_the_records(
    client, caseworker_a, supervisor_a, output, django_assert_max_num_queries
):
    small = CaseFactory(organisation=caseworker_a.organisation, assigned_to=caseworker_a)
    large = CaseFactory(organisation=caseworker_a.organisation, assigned_to=caseworker_a)
    fill(small, 2, caseworker_a, supervisor_a)
    fill(large, 12, caseworker_a, supervisor_a)
    client.force_login(supervisor_a)
    client.get(url(small.reference))  # warm up: the session, the template cache
    assert count_queries(client, small, format=output) == count_queries(client, large, format=output)
    with django_assert_max_num_queries(16):
        client.get(url(large.reference, format=output))

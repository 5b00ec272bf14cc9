"""/cases/new/ and /cases/<reference>/edit/: the case form, its errors, access, audit and stale saves."""

import datetime
import re

import pytest
from django.urls import reverse

from casework import choices
from casework.audit import Action
from casework.models import AuditEvent, Case, Household
from casework.services.cases import case_update
from tests.factories import (
    ArmedGroupFactory,
    CaseFactory,
    CountryFactory,
    HouseholdFactory,
    ProgrammeFactory,
    RegionFactory,
    UserFactory,
)

NEW_URL = "/cases/new/"
REFERENCE = re.compile(r"^/cases/([A-Z0-9]{4}-[A-Z0-9]{4})/$")


def edit_url(case):
    return f"/cases/{case.reference}/edit/"


@pytest.fixture
def places(db):
    kazakhstan = CountryFactory(code="KZ")
    tajikistan = CountryFactory(code="TJ")
    return {
        "KZ": kazakhstan,
        "TJ": tajikistan,
        "almaty": RegionFactory(country=kazakhstan, name="Almaty Region"),
        "sughd": RegionFactory(country=tajikistan, name="Sughd"),
        "zhusan": ProgrammeFactory(country=kazakhstan, name="Operation Zhusan"),
        "group": ArmedGroupFactory(name="Katibat Imam al-Bukhari"),
    }


def new_case_data(places, **overrides):
    data = {
        "sex": "female",
        "age_band": "25-34",
        "citizenship": places["KZ"].pk,
        "residence_country": places["KZ"].pk,
        "residence_region": places["almaty"].pk,
        "return_month": "2019-05",
        "conflict_zone": "syria",
        "departure_year": "2014",
        "return_pathway": "programme",
        "programme": places["zhusan"].pk,
        "circumstance": "taken_by_family",
        "affiliation": "unknown",
        "armed_group": "",
        "drivers": ["family_ties", "socio_economic"],
        "vulnerabilities": ["trauma"],
        "consent_services": "on",
        "consent_services_on": "2019-06-03",
        "consent_data_sharing_on": "",
        "consent_withdrawn_on": "",
        "household": "",
        "household_role": "",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def edit_data(case, **overrides):
    """What the edit form posts when the user changes nothing but `overrides`."""
    data = {
        "loaded_version": case.version,
        "sex": case.sex,
        "age_band": case.age_band,
        "citizenship": case.citizenship_id,
        "residence_country": case.residence_country_id,
        "residence_region": case.residence_region_id or "",
        "return_month": f"{case.return_month:%Y-%m}",
        "conflict_zone": case.conflict_zone,
        "departure_year": case.departure_year or "",
        "return_pathway": case.return_pathway,
        "programme": case.programme_id or "",
        "circumstance": case.circumstance,
        "affiliation": case.affiliation,
        "armed_group": case.armed_group_id or "",
        "drivers": case.drivers,
        "vulnerabilities": case.vulnerabilities,
        "consent_services_on": case.consent_services_on or "",
        "consent_data_sharing_on": case.consent_data_sharing_on or "",
        "consent_withdrawn_on": case.consent_withdrawn_on or "",
        "household": case.household_id or "",
        "household_role": case.household_role,
    }
    if case.consent_services:
        data["consent_services"] = "on"
    if case.consent_data_sharing:
        data["consent_data_sharing"] = "on"
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def events(action):
    return AuditEvent.objects.filter(action=action)


@pytest.fixture
def case(caseworker_a, places):
    return CaseFactory(
        organisation=caseworker_a.organisation,
        assigned_to=caseworker_a,
        citizenship=places["KZ"],
        residence_country=places["KZ"],
        residence_region=places["almaty"],
    )


def text(response):
    return response.content.decode()


def selected(response, name, value):
    """Whether the page shows `value` chosen in the select or radio/checkbox group `name`."""
    html = text(response)
    option = re.search(rf'<select name="{name}".*?</select>', html, re.S)
    if option:
        return re.search(rf'<option value="{re.escape(str(value))}" selected>', option.group(0)) is not None
    return re.search(rf'name="{name}" value="{re.escape(str(value))}"[^>]*checked', html) is not None


# --- Opening a case ----------------------------------------------------------------------------------


def test_caseworker_opens_a_case_and_is_sent_to_it(client, caseworker_a, places):
    client.force_login(caseworker_a)
    response = client.post(NEW_URL, new_case_data(places))
    assert response.status_code == 302
    reference = REFERENCE.match(response["Location"]).group(1)
    case = Case.objects.get(reference=reference)
    assert case.organisation == caseworker_a.organisation
    assert (case.created_by, case.assigned_to) == (caseworker_a, caseworker_a)
    assert case.status == choices.CaseStatus.INTAKE
    assert case.return_month == datetime.date(2019, 5, 1)
    assert case.programme == places["zhusan"]
    assert case.drivers == ["family_ties", "socio_economic"]
    assert case.consent_services_on == datetime.date(2019, 6, 3)
    created = events(Action.CREATE).get()
    assert created.case_reference == reference
    assert created.actor == caseworker_a
    assert created.details["return_month"] == {"old": None, "new": "2019-05-01"}
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == [f"Case {reference} opened."]


def test_each_new_case_gets_its_own_random_reference(client, caseworker_a, places):
    client.force_login(caseworker_a)
    locations = [client.post(NEW_URL, new_case_data(places))["Location"] for _ in range(3)]
    references = [REFERENCE.match(location).group(1) for location in locations]
    assert len(set(references)) == 3


def test_the_new_case_form_is_in_sections_with_what_not_to_record(client, caseworker_a, places):
    client.force_login(caseworker_a)
    response = client.get(NEW_URL)
    assert response.status_code == 200
    html = text(response)
    for title in ("Profile", "Return", "Background", "Vulnerabilities", "Consent", "Household"):
        assert f">{title}</h2>" in html
    assert "Do not record names, ID or passport numbers" in html
    assert 'type="month" name="return_month"' in html
    assert '<optgroup label="Kazakhstan">' in html  # regions grouped by country
    assert 'name="assigned_to"' not in html  # a caseworker's case is theirs
    assert 'name="loaded_version"' not in html
    assert "<script" not in html and "style=" not in html


def test_supervisor_may_give_the_new_case_to_a_colleague_of_their_organisation(
    client, supervisor_a, caseworker_a, colleague_a, orgadmin_a, caseworker_b, places
):
    client.force_login(supervisor_a)
    html = text(client.get(NEW_URL))
    offered = re.search(r'<select name="assigned_to".*?</select>', html, re.S).group(0)
    assert f'value="{caseworker_a.pk}"' in offered and f'value="{colleague_a.pk}"' in offered
    assert f'value="{orgadmin_a.pk}"' not in offered and f'value="{caseworker_b.pk}"' not in offered

    response = client.post(NEW_URL, new_case_data(places, assigned_to=colleague_a.pk))
    assert response.status_code == 302
    assert Case.objects.get().assigned_to == colleague_a
    assert events(Action.ASSIGN).count() == 1


def test_supervisor_may_leave_the_new_case_unassigned(client, supervisor_a, places):
    client.force_login(supervisor_a)
    assert client.post(NEW_URL, new_case_data(places, assigned_to=""))["Location"].startswith("/cases/")
    case = Case.objects.get()
    assert (case.assigned_to, case.created_by) == (None, supervisor_a)


def test_supervisor_cannot_give_a_case_to_another_organisation(client, supervisor_a, caseworker_b, places):
    client.force_login(supervisor_a)
    response = client.post(NEW_URL, new_case_data(places, assigned_to=caseworker_b.pk))
    assert response.status_code == 200
    assert 'id="id_assigned_to_error"' in text(response)
    assert not Case.objects.exists()


BAD_INPUT = [
    pytest.param(
        {"return_pathway": "programme", "programme": ""},
        "programme",
        "Choose the programme the person returned through.",
        id="programme-pathway-without-programme",
    ),
    pytest.param(
        {"return_month": "2013-05", "departure_year": "2014"},
        "return_month",
        "The month of return cannot be before the year of departure.",
        id="return-before-departure",
    ),
    pytest.param(
        {"residence_country": "KZ", "residence_region": "sughd"},
        "residence_region",
        "This region is not in the country of residence.",
        id="region-not-in-country",
    ),
    pytest.param(
        {"return_month": "May 2019"},
        "return_month",
        "Enter the year and month as YYYY-MM, for example 2019-05.",
        id="month-not-yyyy-mm",
    ),
    pytest.param(
        {"affiliation": "unknown", "armed_group": "group"},
        "armed_group",
        "An armed group applies only when the affiliation is a named group.",
        id="group-without-group-affiliation",
    ),
    pytest.param(
        {"consent_services": "on", "consent_services_on": ""},
        "consent_services_on",
        "Record when consent was given.",
        id="consent-without-date",
    ),
    pytest.param(
        {"household": "", "household_role": "mother"},
        "household_role",
        "A role in a household needs a household.",
        id="role-without-household",
    ),
    pytest.param(
        {"household": "new", "household_role": ""},
        "household_role",
        "Say what role this person has in the new household.",
        id="new-household-without-role",
    ),
    pytest.param({"sex": None}, "sex", "This field is required.", id="sex-missing"),
]


@pytest.mark.parametrize(("overrides", "field", "message"), BAD_INPUT)
def test_bad_input_is_named_next_to_its_field_and_in_the_summary_and_nothing_is_saved(
    client, caseworker_a, places, overrides, field, message
):
    resolved = {
        name: places[value].pk if isinstance(value, str) and value in places else value
        for name, value in overrides.items()
    }
    client.force_login(caseworker_a)
    data = new_case_data(places, **resolved)
    response = client.post(NEW_URL, data)

    assert response.status_code == 200
    html = text(response)
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    anchor = f"id_{field}_0" if field == "sex" else f"id_{field}"
    assert f'href="#{anchor}"' in summary and message in summary
    next_to_field = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html, re.S)
    assert next_to_field and message in next_to_field.group(1)
    # Everything typed stays on the page.
    assert f'value="{data["return_month"]}"' in html
    assert 'value="2014"' in html
    assert selected(response, "drivers", "family_ties") and selected(response, "drivers", "socio_economic")
    assert selected(response, "vulnerabilities", "trauma")
    assert selected(response, "citizenship", places["KZ"].pk)
    # Nothing saved.
    assert not Case.objects.exists()
    assert not Household.objects.exists()
    assert not events(Action.CREATE).exists()


def test_a_new_household_is_started_with_the_case_and_offered_for_the_next_member(
    client, caseworker_a, places
):
    client.force_login(caseworker_a)
    client.post(NEW_URL, new_case_data(places, household="new", household_role="mother"))
    mother = Case.objects.get()
    assert mother.household.organisation == caseworker_a.organisation
    assert mother.household_role == "mother"

    html = text(client.get(NEW_URL))
    assert f'<option value="{mother.household_id}">Household {mother.household.reference}</option>' in html
    child = new_case_data(places, age_band="5-11", household=mother.household_id, household_role="child")
    assert client.post(NEW_URL, child).status_code == 302
    assert mother.household.members.count() == 2


def test_only_households_the_user_may_see_are_offered(
    client, caseworker_a, colleague_a, caseworker_b, places
):
    mine = CaseFactory(organisation=caseworker_a.organisation, assigned_to=caseworker_a)
    mine.household = HouseholdFactory(organisation=caseworker_a.organisation)
    mine.household_role = "mother"
    mine.save()
    colleagues = HouseholdFactory(organisation=caseworker_a.organisation)
    CaseFactory(
        organisation=caseworker_a.organisation,
        assigned_to=colleague_a,
        household=colleagues,
        household_role="child",
    )
    foreign = HouseholdFactory(organisation=caseworker_b.organisation)

    client.force_login(caseworker_a)
    html = text(client.get(NEW_URL))
    assert mine.household.reference in html
    assert colleagues.reference not in html and foreign.reference not in html
    for household in (colleagues, foreign):
        response = client.post(NEW_URL, new_case_data(places, household=household.pk, household_role="child"))
        assert 'id="id_household_error"' in text(response)
    assert Case.objects.count() == 2  # the two made above, nothing new


@pytest.mark.parametrize("who", ["orgadmin_a", "analyst", "auditor", "superuser"])
def test_who_does_not_work_on_cases_may_not_open_one(client, request, who, places):
    client.force_login(request.getfixturevalue(who))
    assert client.get(NEW_URL).status_code == 403
    assert client.post(NEW_URL, new_case_data(places)).status_code == 403
    assert not Case.objects.exists()
    assert events(Action.DENIED).filter(details__page="case_new").count() == 2


def test_anonymous_is_sent_to_sign_in(client, places):
    response = client.get(NEW_URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_new_case_form_takes_a_fixed_number_of_queries(
    client, supervisor_a, places, django_assert_max_num_queries
):
    client.force_login(supervisor_a)

    def queries():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as get:
            client.get(NEW_URL)
        with CaptureQueriesContext(connection) as post:
            client.post(NEW_URL, new_case_data(places, age_band=""))  # re-shown with its error
        return len(get), len(post)

    few = queries()
    for _ in range(20):
        household = HouseholdFactory(organisation=supervisor_a.organisation)
        CaseFactory(organisation=supervisor_a.organisation, household=household, household_role="child")
        UserFactory(organisation=supervisor_a.organisation)
        RegionFactory(country=places["TJ"])
    assert queries() == few
    with django_assert_max_num_queries(12):
        client.get(NEW_URL)
    with django_assert_max_num_queries(40):
        client.post(NEW_URL, new_case_data(places))


# --- Editing a case ----------------------------------------------------------------------------------


def test_the_edit_form_shows_the_case_and_records_the_read(client, caseworker_a, case):
    client.force_login(caseworker_a)
    response = client.get(edit_url(case))
    assert response.status_code == 200
    html = text(response)
    assert f"Edit case {case.reference}" in html
    assert '<input type="hidden" name="loaded_version" value="1"' in html
    assert 'value="2019-05"' in html
    assert selected(response, "age_band", case.age_band)
    view = events(Action.VIEW).get()
    assert (view.case_reference, view.details) == (case.reference, {"page": "case_edit"})


def test_a_change_is_saved_as_a_new_version_with_its_audit_row(client, caseworker_a, case):
    client.force_login(caseworker_a)
    response = client.post(edit_url(case), edit_data(case, age_band="35-44", vulnerabilities=["stigma"]))
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.reference}/"
    case.refresh_from_db()
    assert (case.version, case.age_band, case.vulnerabilities) == (2, "35-44", ["stigma"])
    assert events(Action.CHANGE).get().details == {
        "age_band": {"old": "25-34", "new": "35-44"},
        "vulnerabilities": {"old": [], "new": ["stigma"]},
    }
    assert case.history.order_by("-history_id").first().history_user == caseworker_a


def test_saving_without_changes_saves_nothing(client, caseworker_a, case):
    case.drivers = ["socio_economic", "labour_migration"]
    case.save()
    client.force_login(caseworker_a)
    # The browser sends ticked boxes in the order of the page, not the order they are stored in.
    response = client.post(edit_url(case), edit_data(case, drivers=["socio_economic", "labour_migration"]))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.version == 1
    assert not events(Action.CHANGE).exists()


def test_bad_input_on_edit_is_kept_and_nothing_is_saved(client, caseworker_a, case, places):
    client.force_login(caseworker_a)
    data = edit_data(case, conflict_zone="iraq", return_pathway="programme", programme="")
    response = client.post(edit_url(case), data)
    assert response.status_code == 200
    html = text(response)
    assert 'href="#id_programme"' in html
    assert selected(response, "conflict_zone", "iraq")
    assert selected(response, "return_pathway", "programme")
    assert '<input type="hidden" name="loaded_version" value="1"' in html
    case.refresh_from_db()
    assert (case.version, case.conflict_zone) == (1, "syria")
    assert not events(Action.CHANGE).exists()
    assert events(Action.VIEW).get().details == {"page": "case_edit", "method": "POST", "outcome": "invalid"}


def test_an_error_on_a_field_the_form_does_not_show_is_named_at_the_top(
    client, supervisor_a, caseworker_a, case
):
    # The assignee has since become an organisation administrator: the case cannot be saved as it is.
    type(caseworker_a).objects.filter(pk=caseworker_a.pk).update(role=choices.Role.ORG_ADMIN)
    client.force_login(supervisor_a)
    response = client.post(edit_url(case), edit_data(case, age_band="35-44"))
    assert response.status_code == 200
    assert "Assigned caseworker: Assign a caseworker or supervisor" in text(response)
    assert Case.objects.get().version == 1


@pytest.mark.parametrize("who", ["caseworker_b", "colleague_a", "analyst", "auditor"])
def test_who_may_not_see_the_case_gets_404_without_its_reference(client, request, who, case):
    client.force_login(request.getfixturevalue(who))
    for response in (client.get(edit_url(case)), client.post(edit_url(case), edit_data(case, sex="male"))):
        assert response.status_code == 404
        assert case.reference not in text(response)
    assert Case.objects.get().sex == "female"
    assert events(Action.NOT_FOUND).filter(case_reference=case.reference).count() == 2
    assert not events(Action.VIEW).exists()


def test_organisation_administrator_may_read_but_not_edit(client, orgadmin_a, case):
    client.force_login(orgadmin_a)
    assert client.get(edit_url(case)).status_code == 403
    assert client.post(edit_url(case), edit_data(case, sex="male")).status_code == 403
    assert Case.objects.get().sex == "female"
    assert events(Action.DENIED).filter(case_reference=case.reference).count() == 2


def test_caseworker_may_not_edit_a_closed_case(client, caseworker_a, places):
    closed = CaseFactory(
        organisation=caseworker_a.organisation,
        assigned_to=caseworker_a,
        status=choices.CaseStatus.CLOSED,
        closed_on=datetime.date.today() - datetime.timedelta(days=5),  # noqa: DTZ011 - a date in the past
        closure_reason=choices.ClosureReason.MOVED,
    )
    client.force_login(caseworker_a)
    assert client.get(edit_url(closed)).status_code == 403


@pytest.mark.parametrize("who", ["supervisor_a", "superuser"])
def test_supervisor_and_system_administrator_edit_any_case_they_see(client, request, who, case):
    client.force_login(request.getfixturevalue(who))
    assert client.get(edit_url(case)).status_code == 200
    assert client.post(edit_url(case), edit_data(case, sex="male")).status_code == 302
    assert Case.objects.get().sex == "male"


def test_the_edit_form_takes_a_fixed_number_of_queries(client, supervisor_a, case, places):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(supervisor_a)

    def queries():
        """Queries of: showing the form; a refused save (programme without the pathway); a save."""
        case.refresh_from_db()
        requests = (
            ("get", None, 200),
            ("post", edit_data(case, programme=places["zhusan"].pk), 200),
            ("post", edit_data(case, age_band="35-44" if case.age_band != "35-44" else "25-34"), 302),
        )
        counts = []
        for method, data, status in requests:
            with CaptureQueriesContext(connection) as captured:
                assert getattr(client, method)(edit_url(case), data).status_code == status
            counts.append(len(captured))
        return counts

    few = queries()
    for _ in range(20):
        household = HouseholdFactory(organisation=supervisor_a.organisation)
        CaseFactory(organisation=supervisor_a.organisation, household=household, household_role="child")
        RegionFactory(country=places["KZ"])
    assert queries() == few
    assert few[0] <= 12 and max(few) <= 40, few


# --- A stale save ------------------------------------------------------------------------------------


def test_a_stale_save_is_refused_shows_their_changes_keeps_yours_and_saves_on_the_second_try(
    client, caseworker_a, supervisor_a, case
):
    client.force_login(caseworker_a)
    loaded = client.get(edit_url(case))
    assert '<input type="hidden" name="loaded_version" value="1"' in text(loaded)
    yours = edit_data(case, conflict_zone="iraq", age_band="18-24", drivers=["ideology"])

    # Meanwhile the supervisor saves the case: another age band, and a vulnerability.
    case_update(
        actor=supervisor_a,
        case=case,
        loaded_version=1,
        changes={"age_band": "35-44", "vulnerabilities": ["no_documents"]},
    )

    response = client.post(edit_url(case), yours)
    assert response.status_code == 200
    html = text(response)
    assert "Someone else saved this case while you were editing" in html
    panel = re.search(r'<div class="conflict".*?</div>', html, re.S).group(0)
    assert "Age band at return" in panel and "Vulnerabilities" in panel
    assert "Conflict zone" not in panel  # only the fields the other person changed
    assert "35–44" in panel and "18–24" in panel and "25–34" in panel
    # Nothing of the user's was saved; the supervisor's save stands.
    case.refresh_from_db()
    assert (case.version, case.age_band, case.conflict_zone) == (2, "35-44", "syria")
    assert events(Action.CHANGE).count() == 1
    # The user's input is kept; the field only the supervisor changed now shows the supervisor's value.
    assert selected(response, "conflict_zone", "iraq")
    assert selected(response, "age_band", "18-24")
    assert selected(response, "drivers", "ideology")
    assert selected(response, "vulnerabilities", "no_documents")
    assert '<input type="hidden" name="loaded_version" value="2"' in html
    assert events(Action.VIEW).filter(details__outcome="stale").count() == 1

    # The user saves again, knowingly: their entries go on top of the supervisor's.
    second = edit_data(case, conflict_zone="iraq", age_band="18-24", drivers=["ideology"])
    assert second["loaded_version"] == 2
    response = client.post(edit_url(case), second)
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.version, case.age_band, case.conflict_zone, case.drivers) == (
        3,
        "18-24",
        "iraq",
        ["ideology"],
    )
    assert case.vulnerabilities == ["no_documents"]


def test_a_stale_save_without_the_loaded_version_in_history_lists_every_difference(
    client, caseworker_a, supervisor_a, case
):
    case_update(actor=supervisor_a, case=case, loaded_version=1, changes={"age_band": "35-44"})
    case.history.filter(version=1).delete()  # as for cases loaded in bulk (the demo data)
    client.force_login(caseworker_a)
    response = client.post(edit_url(case), edit_data(case, loaded_version=1, age_band="25-34", sex="male"))
    assert response.status_code == 200
    panel = re.search(r'<div class="conflict".*?</div>', text(response), re.S).group(0)
    assert "Age band at return" in panel and "Sex" in panel
    assert "The history does not hold the version you opened" in panel
    assert selected(response, "age_band", "25-34") and selected(response, "sex", "male")
    assert Case.objects.get().sex == "female"


@pytest.mark.parametrize(
    ("version", "message"), [(None, "does not say which version"), ("abc", "Enter a whole number.")]
)
def test_a_form_without_a_proper_version_is_refused(client, caseworker_a, case, version, message):
    client.force_login(caseworker_a)
    response = client.post(edit_url(case), edit_data(case, sex="male", loaded_version=version))
    assert response.status_code == 200
    summary = re.search(r'<div class="error-summary".*?</div>', text(response), re.S).group(0)
    assert message in summary
    assert Case.objects.get().sex == "female"


def test_urls_are_named(case):
    assert reverse("casework:case-new") == NEW_URL
    assert reverse("casework:case-edit", kwargs={"reference": case.reference}) == edit_url(case)

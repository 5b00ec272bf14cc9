"""/reports/: the reports each role may run, the saved definitions offered to them, one-click runs of a
saved definition, and the one-field forms that lead to a case summary or a country brief."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from casework.models import SavedReport
from tests import factories

INDEX = "/reports/"
ALL_REPORTS = ["case-summary", "caseload", "country-brief"]
# Case summaries for those who read case pages; the caseload report for who answers for a caseload
# (supervisors, organisation and system administrators) and analysts; country briefs for everyone.
RUNS = {
    "superuser": ALL_REPORTS,
    "orgadmin_a": ALL_REPORTS,
    "supervisor_a": ALL_REPORTS,
    "caseworker_a": ["case-summary", "country-brief"],
    "analyst": ["caseload", "country-brief"],
    "auditor": ["country-brief"],
}


def signed_in(client, request, who: str):
    client.force_login(request.getfixturevalue(who))
    return client


def listed_reports(response) -> list[str]:
    return [kind.slug for kind, _form in response.context["reports"]]


def listed_saved(response) -> list[str]:
    return [definition.name for definition, _kind in response.context["saved"]]


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.mark.parametrize(("who", "slugs"), RUNS.items())
def test_the_index_lists_the_reports_the_role_may_run(client, request, who, slugs):
    response = signed_in(client, request, who).get(INDEX)
    assert response.status_code == 200
    assert listed_reports(response) == slugs
    page = response.content.decode()
    for slug in ALL_REPORTS:
        assert (f'id="{slug}-title"' in page) == (slug in slugs)
    assert "no-store" in response["Cache-Control"]


def test_the_index_is_for_signed_in_users(client, db):
    response = client.get(INDEX)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("url", ["/reports/cases/?reference=K7QF-29XA", "/reports/countries/?country=KZ"])
def test_the_find_forms_are_for_signed_in_users(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_forms_lead_to_each_reports_own_address(client, supervisor_a):
    page = signed_in_user(client, supervisor_a).get(INDEX).content.decode()
    assert 'action="/reports/cases/"' in page
    assert 'action="/reports/caseload/"' in page
    assert 'action="/reports/countries/"' in page
    assert 'name="from"' in page and 'name="to"' in page and 'name="organisation"' in page


def signed_in_user(client, user):
    client.force_login(user)
    return client


def test_the_caseload_form_offers_only_organisations_the_user_may_report_on(client, supervisor_a, org_b):
    response = signed_in_user(client, supervisor_a).get(INDEX)
    [form] = [form for kind, form in response.context["reports"] if kind.slug == "caseload"]
    assert [org.slug for org in form.fields["organisation"].queryset] == ["org-a"]
    assert "NGO B" not in response.content.decode()


def test_an_analyst_may_report_on_the_organisations_that_share_with_analysts(client, analyst, org_a, org_b):
    factories.OrganisationFactory(name="Private NGO", slug="private", shares_with_analysts=False)
    org_a.shares_with_analysts = org_b.shares_with_analysts = True
    org_a.save()
    org_b.save()
    response = signed_in_user(client, analyst).get(INDEX)
    [form] = [form for kind, form in response.context["reports"] if kind.slug == "caseload"]
    assert sorted(org.slug for org in form.fields["organisation"].queryset) == ["org-a", "org-b"]


# --- Saved definitions ------------------------------------------------------------------------------------


@pytest.fixture
def saved(org_a, org_b):
    kz = factories.CountryFactory(code="KZ")
    return {
        "everyone": SavedReport.objects.create(
            name="Kazakhstan brief", report="country-brief", parameters={"country": kz.code}
        ),
        "org-a": SavedReport.objects.create(
            name="A first half",
            report="caseload",
            parameters={"organisation": "org-a", "from": "2026-01-01", "to": "2026-06-30"},
            organisation=org_a,
        ),
        "org-b": SavedReport.objects.create(
            name="B first half",
            report="caseload",
            parameters={"organisation": "org-b", "from": "2026-01-01", "to": "2026-06-30"},
            organisation=org_b,
        ),
        "org-a-case": SavedReport.objects.create(
            name="A conference case",
            report="case-summary",
            parameters={"reference": "K7QF-29XA"},
            organisation=org_a,
        ),
    }


@pytest.mark.parametrize(
    ("who", "names"),
    [
        ("supervisor_a", ["A conference case", "A first half", "Kazakhstan brief"]),
        ("orgadmin_a", ["A conference case", "A first half", "Kazakhstan brief"]),
        # Caseworkers do not run the caseload report, so its definitions are not offered to them.
        ("caseworker_a", ["A conference case", "Kazakhstan brief"]),
        ("caseworker_b", ["Kazakhstan brief"]),
        ("analyst", ["Kazakhstan brief"]),
        ("auditor", ["Kazakhstan brief"]),
        ("superuser", ["Kazakhstan brief"]),
    ],
)
def test_saved_reports_offered_are_for_everyone_or_the_users_organisation(client, request, saved, who, names):
    response = signed_in(client, request, who).get(INDEX)
    assert listed_saved(response) == names
    page = response.content.decode()
    for definition in saved.values():
        link = f'href="/reports/saved/{definition.pk}/"'
        assert (link in page) == (definition.name in names)
    assert "B first half" not in page or who == "caseworker_b"


def test_the_index_costs_the_same_queries_whatever_the_number_of_definitions(
    client, supervisor_a, org_a, django_assert_max_num_queries
):
    def count_queries():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(INDEX).status_code == 200
        return len(captured)

    signed_in_user(client, supervisor_a)
    SavedReport.objects.create(name="One", report="caseload", parameters={}, organisation=org_a)
    few = count_queries()
    for n in range(20):
        SavedReport.objects.create(name=f"Many {n}", report="caseload", parameters={}, organisation=org_a)
    with django_assert_max_num_queries(few):
        assert client.get(INDEX).status_code == 200


def test_a_saved_report_runs_as_its_report_with_its_parameters(client, supervisor_a, saved):
    response = signed_in_user(client, supervisor_a).get(f"/reports/saved/{saved['org-a'].pk}/")
    assert response.status_code == 302
    assert response["Location"] == "/reports/caseload/?organisation=org-a&from=2026-01-01&to=2026-06-30"


def test_a_saved_country_brief_runs_for_anyone(client, auditor, saved):
    response = signed_in_user(client, auditor).get(f"/reports/saved/{saved['everyone'].pk}/")
    assert response.status_code == 302
    assert response["Location"] == "/reports/countries/KZ/"


def test_a_saved_case_summary_leads_to_the_case_summary(client, caseworker_a, saved):
    response = signed_in_user(client, caseworker_a).get(f"/reports/saved/{saved['org-a-case'].pk}/")
    assert response["Location"] == "/reports/cases/K7QF-29XA/"


def test_a_saved_caseload_without_an_organisation_is_of_every_one_the_user_may_report_on(
    client, supervisor_a, org_a
):
    definition = SavedReport.objects.create(
        name="All", report="caseload", parameters={"from": "2026-01-01", "to": "2026-03-31"}
    )
    response = signed_in_user(client, supervisor_a).get(f"/reports/saved/{definition.pk}/")
    assert response["Location"] == "/reports/caseload/?organisation=&from=2026-01-01&to=2026-03-31"


@pytest.mark.parametrize(
    ("who", "key"), [("supervisor_a", "org-b"), ("caseworker_b", "org-a"), ("analyst", "org-a")]
)
def test_another_organisations_saved_report_is_404(client, request, saved, who, key):
    response = signed_in(client, request, who).get(f"/reports/saved/{saved[key].pk}/")
    assert response.status_code == 404


def test_a_saved_report_that_does_not_exist_is_404(client, supervisor_a, saved):
    assert signed_in_user(client, supervisor_a).get("/reports/saved/999999/").status_code == 404


def test_a_saved_report_of_a_report_the_user_may_not_run_is_404(client, caseworker_a, saved):
    response = signed_in_user(client, caseworker_a).get(f"/reports/saved/{saved['org-a'].pk}/")
    assert response.status_code == 404


def test_a_saved_report_whose_parameters_the_user_may_not_use_goes_back_with_a_message(
    client, supervisor_a, org_b
):
    # Offered to everyone, but about organisation B's caseload: not one that A's supervisor reports on.
    definition = SavedReport.objects.create(
        name="B for all", report="caseload", parameters={"organisation": "org-b"}
    )
    response = signed_in_user(client, supervisor_a).get(f"/reports/saved/{definition.pk}/")
    assert response.status_code == 302
    assert response["Location"] == INDEX
    [message] = messages_of(response)
    assert "B for all" in message
    follow = client.get(INDEX)
    assert "B for all" in follow.content.decode()  # still listed; it is the administrator's to fix


def test_a_saved_report_is_run_by_anonymous_users_only_after_signing_in(client, saved):
    response = client.get(f"/reports/saved/{saved['everyone'].pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- The one-field forms ----------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["k7qf 29xa", "K7QF-29XA", " k7qf29xa "])
def test_a_typed_reference_leads_to_the_case_summary(client, caseworker_a, typed):
    response = signed_in_user(client, caseworker_a).get("/reports/cases/", {"reference": typed})
    assert response.status_code == 302
    assert response["Location"] == "/reports/cases/K7QF-29XA/"


@pytest.mark.parametrize("typed", ["", "K7QF", "K7QF-29XA-1", "<script>", "K7QF/29XA"])
def test_a_bad_reference_goes_back_to_the_index_with_a_message_naming_the_field(client, caseworker_a, typed):
    response = signed_in_user(client, caseworker_a).get("/reports/cases/", {"reference": typed})
    assert response.status_code == 302
    assert response["Location"] == "/reports/#case-summary"
    [message] = messages_of(response)
    assert message.startswith("Case reference:")
    assert "<script>" not in message
    page = client.get(INDEX).content.decode()
    assert "Case reference:" in page


def test_a_reference_for_someone_who_does_not_read_case_pages_is_404(client, analyst):
    response = signed_in_user(client, analyst).get("/reports/cases/", {"reference": "K7QF-29XA"})
    assert response.status_code == 404


@pytest.mark.parametrize("typed", ["kz", "KZ", "Kz"])
def test_a_chosen_country_leads_to_its_brief(client, auditor, typed):
    factories.CountryFactory(code="KZ")
    response = signed_in_user(client, auditor).get("/reports/countries/", {"country": typed})
    assert response.status_code == 302
    assert response["Location"] == "/reports/countries/KZ/"


@pytest.mark.parametrize("typed", ["", "XX", "kaz"])
def test_an_unknown_country_goes_back_to_the_index_with_a_message_naming_the_field(client, auditor, typed):
    factories.CountryFactory(code="KZ")
    response = signed_in_user(client, auditor).get("/reports/countries/", {"country": typed})
    assert response.status_code == 302
    assert response["Location"] == "/reports/#country-brief"
    [message] = messages_of(response)
    assert message.startswith("Country:")


@pytest.mark.parametrize("url", ["/reports/", "/reports/cases/", "/reports/countries/", "/reports/saved/1/"])
def test_report_pages_answer_only_get(client, supervisor_a, url):
    assert signed_in_user(client, supervisor_a).post(url).status_code == 405

"""The /policies/ pages: the legal and programme landscape, with the cases the user may see under each."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from casework import choices
from policies.models import Country, LegalFramework, Programme
from tests.factories import CaseFactory, LegalProceedingFactory, UserFactory

ZHUSAN = "Operation Zhusan"
KZ_CODE = "Criminal Code of the Republic of Kazakhstan"
EVERYONE = ["superuser", "orgadmin_a", "supervisor_a", "caseworker_a", "analyst", "auditor"]


@pytest.fixture
def reference(db):
    call_command("seed_reference", stdout=StringIO())


@pytest.fixture
def zhusan(reference):
    return Programme.objects.get(name=ZHUSAN)


@pytest.fixture
def kz_code(reference):
    return LegalFramework.objects.get(country__code="KZ", title=KZ_CODE)


def returned_through(programme, *, assigned_to, count, organisation=None, **fields):
    """Cases of Kazakh citizens who returned through `programme`, each with a proceeding under the
    Kazakh criminal code's first provision."""
    framework = LegalFramework.objects.get(country__code="KZ", title=KZ_CODE)
    provision = framework.provisions.first()
    cases = CaseFactory.create_batch(
        count,
        organisation=organisation or assigned_to.organisation,
        assigned_to=assigned_to,
        citizenship=Country.objects.get(code="KZ"),
        residence_country=Country.objects.get(code="KZ"),
        return_pathway=choices.ReturnPathway.PROGRAMME,
        programme=programme,
        **fields,
    )
    for case in cases:
        LegalProceedingFactory(case=case, framework=framework, provision=provision)
    return cases


@pytest.fixture
def caseload(zhusan, caseworker_a, colleague_a, caseworker_b):
    """Alice 2 cases, her colleague Carol 3, organisation B's Bob 4: all Kazakh, all through Zhusan."""
    returned_through(zhusan, assigned_to=caseworker_a, count=2)
    returned_through(zhusan, assigned_to=colleague_a, count=3)
    returned_through(zhusan, assigned_to=caseworker_b, count=4)


def of(items, **attrs):
    (found,) = [item for item in items if all(getattr(item, k) == v for k, v in attrs.items())]
    return found


# --- Pages render, for everyone signed in ---------------------------------------------------------------


@pytest.mark.parametrize("who", EVERYONE)
def test_index_shows_countries_frameworks_provisions_and_programmes(client, request, reference, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("policies:index"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Kazakhstan" in page and "Tajikistan" in page and "Uzbekistan" in page
    assert KZ_CODE in page
    assert "Participation in a terrorist organisation or in an armed conflict abroad" in page  # a provision
    assert ZHUSAN in page
    assert "more than 600" in page and "estimate" in page  # Zhusan's figure, marked as an estimate
    assert "between 4,000 and 5,000" in page  # the region-wide figure
    assert "illustrative — check the official text" in page
    assert "Article on Central Asian returnees" in page  # sources are shown


def test_country_page_lists_its_frameworks_agreements_regions_and_programmes(client, supervisor_a, reference):
    client.force_login(supervisor_a)
    response = client.get(reverse("policies:country", kwargs={"iso2": "KZ"}))
    assert response.status_code == 200
    page = response.content.decode()
    assert KZ_CODE in page and ZHUSAN in page
    assert response.context["regions"]  # Kazakhstan's regions
    assert [f.title for f in response.context["agreements"]] == [
        "Collective Security Treaty Organization (CSTO)"
    ]
    # The code is not case-sensitive.
    assert client.get(reverse("policies:country", kwargs={"iso2": "kz"})).status_code == 200


def test_framework_page_shows_its_provisions_with_their_flags(client, caseworker_a, kz_code):
    client.force_login(caseworker_a)
    response = client.get(reverse("policies:framework", kwargs={"pk": kz_code.pk}))
    assert response.status_code == 200
    page = response.content.decode()
    for provision in kz_code.provisions.all():
        assert provision.title in page
    assert "illustrative — check the official text" in page
    assert "Adults" in page  # whom a provision applies to, by label


def test_programme_page_shows_figures_with_estimate_and_source(client, caseworker_a, zhusan):
    client.force_login(caseworker_a)
    response = client.get(reverse("policies:programme", kwargs={"pk": zhusan.pk}))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nationals returned, including women and children" in page
    assert "more than 600" in page
    assert '<span class="tag estimate">estimate</span>' in page
    assert "Source:" in page and "Article on Central Asian returnees" in page
    assert "Repatriation and monitored reintegration of returnees (Kazakhstan)" in page  # its framework


def test_an_exact_figure_is_not_called_an_estimate(client, caseworker_a, zhusan):
    zhusan.figures.update(is_estimate=False, qualifier="exact")
    client.force_login(caseworker_a)
    page = client.get(reverse("policies:programme", kwargs={"pk": zhusan.pk})).content.decode()
    assert "<strong>600</strong>" in page
    assert "tag estimate" not in page


@pytest.mark.parametrize(
    "path",
    [
        "/policies/countries/XX/",
        "/policies/countries/K1/",
        "/policies/countries/KAZ/",
        "/policies/frameworks/999999/",
        "/policies/programmes/999999/",
    ],
)
def test_unknown_country_framework_or_programme_is_404(client, caseworker_a, reference, path):
    client.force_login(caseworker_a)
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("name", ["index", "country", "framework", "programme"])
def test_anonymous_is_sent_to_sign_in(client, zhusan, kz_code, name):
    kwargs = {"country": {"iso2": "KZ"}, "framework": {"pk": kz_code.pk}, "programme": {"pk": zhusan.pk}}
    response = client.get(reverse(f"policies:{name}", kwargs=kwargs.get(name)))
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


# --- Counts follow what the user may see -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("caseworker_a", 2),
        ("colleague_a", 3),
        ("supervisor_a", 5),
        ("orgadmin_a", 5),
        ("caseworker_b", 4),
        ("superuser", 9),
    ],
)
def test_counts_are_of_the_cases_the_user_may_see(client, request, caseload, zhusan, kz_code, who, expected):
    client.force_login(request.getfixturevalue(who))

    index = client.get(reverse("policies:index")).context
    kazakhstan = of(index["countries"], code="KZ")
    assert (kazakhstan.citizen_count, kazakhstan.resident_count) == (expected, expected)
    assert of(kazakhstan.programme_list, name=ZHUSAN).case_count == expected
    assert of(kazakhstan.framework_list, title=KZ_CODE).case_count == expected
    assert of(index["countries"], code="TJ").citizen_count == 0

    country = client.get(reverse("policies:country", kwargs={"iso2": "KZ"})).context
    assert country["country"].citizen_count == expected
    assert of(country["programmes"], name=ZHUSAN).case_count == expected
    assert of(country["frameworks"], title=KZ_CODE).case_count == expected

    framework = client.get(reverse("policies:framework", kwargs={"pk": kz_code.pk})).context
    assert framework["framework"].case_count == expected
    assert framework["provisions"][0].case_count == expected

    programme = client.get(reverse("policies:programme", kwargs={"pk": zhusan.pk}))
    assert programme.context["programme"].case_count == expected
    assert f"{expected}</a>" in programme.content.decode()  # linked to the case list, filtered


def test_a_case_with_two_proceedings_under_one_framework_counts_once(client, caseworker_a, zhusan, kz_code):
    (case,) = returned_through(zhusan, assigned_to=caseworker_a, count=1)
    LegalProceedingFactory(case=case, framework=kz_code, provision=None)
    client.force_login(caseworker_a)
    context = client.get(reverse("policies:framework", kwargs={"pk": kz_code.pk})).context
    assert context["framework"].case_count == 1


def test_citizens_and_residents_are_counted_apart(client, caseworker_a, reference):
    kz, tj = Country.objects.get(code="KZ"), Country.objects.get(code="TJ")
    CaseFactory(
        organisation=caseworker_a.organisation, assigned_to=caseworker_a, citizenship=tj, residence_country=kz
    )
    client.force_login(caseworker_a)
    countries = client.get(reverse("policies:index")).context["countries"]
    assert (of(countries, code="TJ").citizen_count, of(countries, code="TJ").resident_count) == (1, 0)
    assert (of(countries, code="KZ").citizen_count, of(countries, code="KZ").resident_count) == (0, 1)


@pytest.mark.parametrize("who", ["analyst", "auditor"])
def test_analysts_and_auditors_get_no_counts(client, request, caseload, zhusan, kz_code, who):
    client.force_login(request.getfixturevalue(who))
    for path in (
        reverse("policies:index"),
        reverse("policies:country", kwargs={"iso2": "KZ"}),
        reverse("policies:framework", kwargs={"pk": kz_code.pk}),
        reverse("policies:programme", kwargs={"pk": zhusan.pk}),
    ):
        response = client.get(path)
        assert response.status_code == 200
        assert response.context["counts"].shown is False
        page = response.content.decode()
        assert "you may see" not in page
        assert 'class="case-count"' not in page


# --- Bounded queries ---------------------------------------------------------------------------------------

# Session and user (2), the session's activity stamp (3), the reference data (a fixed number of queries and
# prefetches), then one grouped count per kind of count on the page.
MAX_QUERIES = {"index": 17, "country": 18, "framework": 11, "programme": 9}


def visit_all(client, zhusan, kz_code, django_assert_max_num_queries):
    pages = {
        "index": reverse("policies:index"),
        "country": reverse("policies:country", kwargs={"iso2": "KZ"}),
        "framework": reverse("policies:framework", kwargs={"pk": kz_code.pk}),
        "programme": reverse("policies:programme", kwargs={"pk": zhusan.pk}),
    }
    for name, path in pages.items():
        with django_assert_max_num_queries(MAX_QUERIES[name]):
            assert client.get(path).status_code == 200


@pytest.mark.parametrize("who", ["superuser", "supervisor_a", "caseworker_a"])
def test_queries_do_not_grow_with_the_number_of_cases(
    client, request, zhusan, kz_code, caseworker_a, django_assert_max_num_queries, who
):
    client.force_login(request.getfixturevalue(who))
    returned_through(zhusan, assigned_to=caseworker_a, count=1)
    visit_all(client, zhusan, kz_code, django_assert_max_num_queries)
    others = [UserFactory(organisation=caseworker_a.organisation) for _ in range(3)]
    for worker in [caseworker_a, *others]:
        returned_through(zhusan, assigned_to=worker, count=5)
    visit_all(client, zhusan, kz_code, django_assert_max_num_queries)

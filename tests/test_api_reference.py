"""The reference endpoints: read by everyone signed in, changed by no one through the API."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from policies.models import LegalFramework, Programme, Provision
from tests.factories import (
    ArmedGroupAliasFactory,
    ArmedGroupFactory,
    CountryFactory,
    LegalFrameworkFactory,
    ProgrammeFactory,
    ProvisionFactory,
    RegionFactory,
    ReportedFigureFactory,
    ServiceTypeFactory,
)

ENDPOINTS = ("countries", "legal-frameworks", "provisions", "programmes", "armed-groups", "service-types")


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def reference(db):
    kz = CountryFactory(code="KZ")
    RegionFactory(country=kz, name="Almaty Region", code="KZ-19")
    framework = LegalFrameworkFactory(country=kz, title="Criminal Code of Kazakhstan")
    provision = ProvisionFactory(framework=framework)
    programme = ProgrammeFactory(country=kz, name="Operation Zhusan")
    programme.frameworks.add(framework)
    ReportedFigureFactory(programme=programme, is_estimate=True, source="Government statement")
    group = ArmedGroupFactory(name="Katibat Imam al-Bukhari")
    ArmedGroupAliasFactory(group=group, name="Imam Bukhari Jamaat")
    service = ServiceTypeFactory(code="legal-aid", name="Legal aid")
    return {
        "countries": "KZ",
        "legal-frameworks": framework.pk,
        "provisions": provision.pk,
        "programmes": programme.pk,
        "armed-groups": group.pk,
        "service-types": service.code,
    }


def detail(endpoint, key):
    return f"/api/v1/{endpoint}/{key}/"


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(
    "role", ["caseworker_a", "supervisor_a", "orgadmin_a", "analyst", "auditor", "superuser"]
)
def test_every_signed_in_user_reads_reference_data(endpoint, role, request, reference):
    client = api(request.getfixturevalue(role))
    listing = client.get(f"/api/v1/{endpoint}/")
    assert listing.status_code == 200
    assert len(listing.json()["results"]) == 1
    assert client.get(detail(endpoint, reference[endpoint])).status_code == 200


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_anonymous_gets_401(endpoint, reference):
    assert APIClient().get(f"/api/v1/{endpoint}/").status_code == 401
    assert APIClient().get(detail(endpoint, reference[endpoint])).status_code == 401


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_reference_data_is_read_only(endpoint, superuser, reference):
    client = api(superuser)
    assert client.post(f"/api/v1/{endpoint}/", {"name": "x"}, format="json").status_code == 405
    for method in ("put", "patch", "delete"):
        response = getattr(client, method)(
            detail(endpoint, reference[endpoint]), {"name": "x"}, format="json"
        )
        assert response.status_code == 405


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_unknown_entries_are_404(endpoint, analyst, reference):
    assert (
        api(analyst).get(detail(endpoint, "ZZ" if endpoint == "countries" else "999999")).status_code == 404
    )


def test_country_has_its_regions_and_is_found_by_code(analyst, reference):
    body = api(analyst).get("/api/v1/countries/kz/").json()
    assert body["code"] == "KZ"
    assert body["regions"] == [{"id": body["regions"][0]["id"], "name": "Almaty Region", "code": "KZ-19"}]


def test_programme_shows_its_figures_with_certainty_and_source(analyst, reference):
    row = api(analyst).get("/api/v1/programmes/", {"country": "KZ"}).json()["results"][0]
    assert row["name"] == "Operation Zhusan"
    assert row["country"] == "KZ"
    figure = row["figures"][0]
    assert (figure["is_estimate"], figure["source"], figure["value"]) == (True, "Government statement", 600)
    assert api(analyst).get("/api/v1/programmes/", {"country": "TJ"}).status_code == 400  # no such country


def test_framework_filters(caseworker_a, reference):
    tj = CountryFactory(code="TJ")
    amnesty = LegalFrameworkFactory(country=tj, kind=LegalFramework.Kind.AMNESTY)
    client = api(caseworker_a)

    def found(params):
        response = client.get("/api/v1/legal-frameworks/", params)
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert found({"country": "TJ"}) == {amnesty.pk}
    assert found({"kind": "amnesty"}) == {amnesty.pk}
    assert found({"status": "repealed"}) == set()
    assert len(found({})) == 2


def test_provision_filters(caseworker_a, reference):
    other = ProvisionFactory(category=Provision.Category.AMNESTY)
    client = api(caseworker_a)
    rows = client.get("/api/v1/provisions/", {"category": "amnesty"}).json()["results"]
    assert [row["id"] for row in rows] == [other.pk]
    rows = client.get("/api/v1/provisions/", {"framework": other.framework_id}).json()["results"]
    assert [row["id"] for row in rows] == [other.pk]


@pytest.mark.parametrize(
    ("endpoint", "params"),
    [
        ("legal-frameworks", {"country": "ZZ"}),
        ("legal-frameworks", {"kind": "nope"}),
        ("legal-frameworks", {"status": "nope"}),
        ("provisions", {"framework": "abc"}),
        ("provisions", {"category": "nope"}),
        ("programmes", {"kind": "nope"}),
    ],
)
def test_bad_filter_values_are_400_naming_the_filter(endpoint, params, analyst, reference):
    response = api(analyst).get(f"/api/v1/{endpoint}/", params)
    assert response.status_code == 400
    assert set(params) <= set(response.json())


def test_alias_search_finds_the_group_after_seeding(analyst):
    call_command("seed_reference", verbosity=0)
    response = api(analyst).get("/api/v1/armed-groups/", {"search": "Tavhid va Jihod Katibasi"})
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["name"] for row in rows] == ["Katibat al-Tawhid wal-Jihad"]
    assert "Tavhid va Jihod Katibasi" in rows[0]["aliases"]
    by_name = api(analyst).get("/api/v1/armed-groups/", {"search": "tawhid"}).json()["results"]
    assert [row["name"] for row in by_name] == ["Katibat al-Tawhid wal-Jihad"]


def test_seeded_reference_data_is_served(analyst):
    call_command("seed_reference", verbosity=0)
    client = api(analyst)
    assert client.get("/api/v1/programmes/", {"page_size": 200}).json()["count"] == Programme.objects.count()
    frameworks = client.get("/api/v1/legal-frameworks/", {"country": "KZ"}).json()["results"]
    assert frameworks and all(row["country"] == "KZ" for row in frameworks)


def _grow():
    """More of everything, with the related rows the lists prefetch."""
    for code in ("TJ", "UZ", "KG", "TM"):
        country = CountryFactory(code=code)
        RegionFactory(country=country)
        framework = LegalFrameworkFactory(country=country)
        framework.parties.add(country)
        ProvisionFactory(framework=framework)
        programme = ProgrammeFactory(country=country)
        programme.frameworks.add(framework)
        ReportedFigureFactory(programme=programme)
        ArmedGroupAliasFactory(group=ArmedGroupFactory())
        ServiceTypeFactory()


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_list_queries_do_not_grow_with_the_data(endpoint, analyst, reference):
    client = api(analyst)
    counts = []
    for grow in (False, True):
        if grow:
            _grow()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/api/v1/{endpoint}/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 5


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_browsable_api_renders(endpoint, client, analyst, reference):
    client.force_login(analyst)
    for path in (f"/api/v1/{endpoint}/", detail(endpoint, reference[endpoint])):
        response = client.get(path, HTTP_ACCEPT="text/html")
        assert response.status_code == 200
        assert b"<html" in response.content

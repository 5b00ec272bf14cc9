"""Input that used to reach the database as a 500: NUL characters, impossible pages, odd API paths."""

import pytest
from rest_framework.test import APIClient

from tests import factories


@pytest.fixture
def api(caseworker_a):
    client = APIClient()
    client.force_authenticate(caseworker_a)
    return client


def test_a_nul_character_in_a_json_body_is_refused_not_a_server_error(api):
    response = api.post("/api/v1/cases/", {"residence_country": "K\x00Z"}, format="json")
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


def test_a_nul_character_in_a_form_or_query_is_refused(client, caseworker_a):
    client.force_login(caseworker_a)
    assert client.get("/cases/?country=%00").status_code == 400
    assert client.post("/cases/new/", {"citizenship": "\x00"}).status_code == 400


def test_a_page_that_does_not_exist_is_a_bad_parameter_naming_page(api):
    response = api.get("/api/v1/service-types/?page=0")
    assert response.status_code == 400
    assert "page" in response.json()


def test_an_unroutable_api_path_answers_json_404(api, caseworker_a):
    factories.CaseFactory(organisation=caseworker_a.organisation, assigned_to=caseworker_a)
    for path in ("/api/v1/cases/%F1%8F%A4%88%1B/", "/api/v1/no-such-thing/", "/api/v1/referrals/1.5/"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"].startswith("application/json"), path

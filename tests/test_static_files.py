"""Static files as production serves them: collected with hashed names and compressed copies, served by
whitenoise with cache headers, and still found by the PDF renderer under their hashed names.

The suite itself runs with DJANGO_STATIC_MANIFEST=false (nothing collected); the tests here collect the
project's own files into a temporary STATIC_ROOT and switch to the production storage.
"""

import gzip

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse

from casework.reports import exports
from casework.reports.exports import static_only_fetcher

MANIFEST_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"
ONE_YEAR = 365 * 24 * 3600


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """The project's static files collected once, as `make collectstatic` does (the big third-party
    folders left out to keep the test fast: they go through the same code)."""
    root = tmp_path_factory.mktemp("staticfiles")
    from django.conf import settings as django_settings
    from django.test import override_settings

    storages = {**django_settings.STORAGES, "staticfiles": {"BACKEND": MANIFEST_STORAGE}}
    with override_settings(STATIC_ROOT=root, STORAGES=storages):
        call_command(
            "collectstatic",
            interactive=False,
            verbosity=0,
            ignore_patterns=["drf_spectacular_sidecar", "admin", "rest_framework"],
        )
    return root


@pytest.fixture
def production_static(settings, collected):
    """Settings as with DEBUG off and DJANGO_STATIC_MANIFEST on (the default in production)."""
    settings.STATIC_ROOT = collected
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": MANIFEST_STORAGE}}
    settings.WHITENOISE_USE_FINDERS = False
    settings.WHITENOISE_AUTOREFRESH = False
    return collected


def max_age(response) -> int:
    directives = [part.strip() for part in response["Cache-Control"].split(",")]
    return next(int(part.split("=", 1)[1]) for part in directives if part.startswith("max-age="))


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_pages_link_the_stylesheet_by_its_hashed_name(production_static, db):
    page = Client().get(reverse("login")).content.decode()
    hashed = static("casework/base.css")
    assert hashed != "/static/casework/base.css"
    assert hashed.startswith("/static/casework/base.") and hashed.endswith(".css")
    assert f'href="{hashed}"' in page


def test_a_hashed_file_is_served_with_a_cache_forever_header(production_static):
    hashed = static("casework/base.css")
    response = Client().get(hashed)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert max_age(response) >= ONE_YEAR
    assert "immutable" in response["Cache-Control"]
    with open(finders.find("casework/base.css"), "rb") as handle:
        assert body(response) == handle.read()


def test_a_file_by_its_plain_name_is_cached_only_briefly(production_static):
    """A plain name may change content on the next release, so browsers ask again within minutes."""
    response = Client().get("/static/casework/base.css")
    assert response.status_code == 200
    assert max_age(response) <= 60
    assert "immutable" not in response["Cache-Control"]


def test_a_client_that_accepts_gzip_gets_the_compressed_copy(production_static):
    hashed = static("casework/base.css")
    response = Client().get(hashed, HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    with open(finders.find("casework/base.css"), "rb") as handle:
        assert gzip.decompress(body(response)) == handle.read()


def test_static_files_are_not_offered_to_other_sites(production_static):
    response = Client().get(static("casework/base.css"), HTTP_ORIGIN="https://elsewhere.example")
    assert "Access-Control-Allow-Origin" not in response


def test_a_missing_static_file_is_a_plain_404(production_static, db):
    response = Client().get("/static/casework/no-such-file.css")
    assert response.status_code == 404


def test_the_pdf_fetcher_loads_a_stylesheet_by_its_hashed_name(production_static):
    hashed = static("casework/report.css")
    assert hashed != "/static/casework/report.css"
    loaded = static_only_fetcher(f"http://testserver{hashed}")
    with open(finders.find("casework/report.css"), "rb") as handle:
        assert loaded["string"] == handle.read()
    assert loaded["mime_type"] == "text/css"


@pytest.mark.parametrize(
    "path",
    [
        "casework/report.0123456789ab.css",  # looks hashed, but the manifest does not know it
        "casework/../../../../etc/passwd",
        "staticfiles.json",  # the manifest itself is not a static file
    ],
)
def test_the_pdf_fetcher_still_refuses_anything_the_manifest_does_not_name(production_static, path):
    with pytest.raises(ValueError):
        static_only_fetcher(f"http://testserver/static/{path}")


def test_a_pdf_report_is_styled_with_collected_static_files(production_static, supervisor_a, monkeypatch):
    """The report template links the hashed stylesheet; WeasyPrint asks for it and gets it."""
    answered = {}
    original = exports.static_only_fetcher

    def recording(url, *args, **kwargs):
        answered[url] = original(url, *args, **kwargs)
        return answered[url]

    monkeypatch.setattr(exports, "static_only_fetcher", recording)
    client = Client()
    client.force_login(supervisor_a)
    response = client.get(reverse("reports:caseload"), {"format": "pdf"})
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    stylesheet = f"http://testserver{static('casework/report.css')}"
    assert stylesheet in answered
    with open(finders.find("casework/report.css"), "rb") as handle:
        assert answered[stylesheet]["string"] == handle.read()


def test_without_collected_files_the_apps_folders_are_served(db):
    """The test and development set-up: nothing collected, the plain names served straight from the apps."""
    assert static("casework/base.css") == "/static/casework/base.css"
    response = Client().get("/static/casework/base.css")
    assert response.status_code == 200
    with open(finders.find("casework/base.css"), "rb") as handle:
        assert body(response) == handle.read()

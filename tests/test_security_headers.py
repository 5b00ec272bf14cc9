"""What a browser (or an attacker) sees in the headers and error pages, with DEBUG off as in production.

Tests run over plain HTTP with the HTTPS redirect off (config/testenv.py); behaviour that exists only over
HTTPS is asked for with `secure=True`. tests/browser/test_csp.py proves the policy holds in Chromium.
"""

import ast
import re
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.test import Client
from django.urls import path
from rest_framework.test import APIClient

from casework.tokens import token_issue
from config import urls as project_urls
from tests.factories import TEST_PASSWORD, CaseFactory

ROOT = Path(__file__).resolve().parent.parent
CANARY = "canary-7f3a-internal-detail"


# --- a URLconf with views that fail on purpose (used through @pytest.mark.urls) ----------------------------


def _raise_error(request):
    raise RuntimeError(f"database password is {CANARY}")


def _raise_permission_denied(request):
    raise PermissionDenied(f"rule 17 refused: {CANARY}")


def _raise_suspicious(request):
    raise SuspiciousOperation(f"tampered with {CANARY}")


urlpatterns = [
    path("failing/error/", _raise_error),
    path("failing/forbidden/", _raise_permission_denied),
    path("failing/suspicious/", _raise_suspicious),
    path("api/v1/failing/error/", _raise_error),
    path("api/v1/failing/suspicious/", _raise_suspicious),
    *project_urls.urlpatterns,
]
handler400 = project_urls.handler400
handler403 = project_urls.handler403
handler404 = project_urls.handler404
handler500 = project_urls.handler500
failing_views = pytest.mark.urls(__name__)


@pytest.fixture
def failing_client():
    client = Client()
    client.raise_request_exception = False  # answer as production does, instead of re-raising
    return client


# --- headers ----------------------------------------------------------------------------------------------


POLICY = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
)


def directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {part.split(" ", 1)[0]: part for part in (p.strip() for p in policy.split(";")) if part}


def assert_strict_policy(response) -> None:
    found = directives(response)
    for expected in POLICY:
        assert found[expected.split(" ", 1)[0]] == expected
    assert "unsafe-inline" not in response["Content-Security-Policy"]


def test_a_signed_in_page_carries_every_security_header(client, supervisor_a):
    client.force_login(supervisor_a)
    response = client.get("/cases/")
    assert response.status_code == 200
    assert_strict_policy(response)
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("page", ["/", "/policies/", "/reports/", "/account/tokens/"])
def test_no_signed_in_page_may_be_stored_by_a_browser_or_proxy(client, supervisor_a, page):
    client.force_login(supervisor_a)
    response = client.get(page)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]


def test_an_api_response_for_a_token_is_never_stored(caseworker_a):
    CaseFactory(organisation=caseworker_a.organisation, assigned_to=caseworker_a)
    _, token = token_issue(user=caseworker_a, name="script", days=1)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.get("/api/v1/cases/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert_strict_policy(response)


def test_even_an_anonymous_api_refusal_is_never_stored(client):
    response = client.get("/api/v1/cases/")
    assert response.status_code == 401
    assert "no-store" in response["Cache-Control"]


def test_a_signed_in_users_static_files_stay_cacheable(client, supervisor_a):
    client.force_login(supervisor_a)
    response = client.get("/static/casework/base.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_over_https_browsers_are_told_to_use_nothing_else_for_a_year(client):
    response = client.get("/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_session_and_csrf_cookies_are_https_only_and_hidden_from_scripts(client, caseworker_a):
    client.get("/accounts/login/", secure=True)
    response = client.post(
        "/accounts/login/",
        {"username": caseworker_a.username, "password": TEST_PASSWORD},
        secure=True,
    )
    assert response.status_code == 302
    for name in ("sessionid", "csrftoken"):
        cookie = response.cookies[name]
        assert cookie["secure"] is True, name
        assert cookie["httponly"] is True, name
        assert cookie["samesite"] == "Lax", name


def test_plain_http_is_redirected_to_https_except_the_health_check(client, settings, db):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/cases/?status=active")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/cases/?status=active"
    assert client.get("/healthz").status_code == 200


def test_a_proxy_that_says_https_is_believed_only_through_the_named_header(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https").status_code == 200
    assert client.get("/accounts/login/", HTTP_X_FORWARDED_SSL="on").status_code == 301


def test_the_api_documentation_loads_its_script_as_a_file(client, supervisor_a):
    client.force_login(supervisor_a)
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all(" src=" in tag for tag in scripts)
    assert "<style" not in html
    # Swagger UI draws its icons as data: images; this page alone allows them.
    assert directives(page)["img-src"] == "img-src 'self' data:"
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


# --- error pages ------------------------------------------------------------------------------------------


@failing_views
def test_a_failing_page_shows_the_plain_error_page_and_nothing_of_the_error(failing_client):
    response = failing_client.get("/failing/error/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html
    assert CANARY not in html
    assert "RuntimeError" not in html and "Traceback" not in html
    assert_strict_policy(response)


@failing_views
def test_a_failing_api_call_answers_json_and_nothing_of_the_error(failing_client):
    response = failing_client.get("/api/v1/failing/error/")
    assert response.status_code == 500
    assert response.json() == {"detail": "Server error."}
    assert "no-store" in response["Cache-Control"]


@failing_views
def test_a_refusal_does_not_repeat_its_reason(failing_client, caseworker_a):
    failing_client.force_login(caseworker_a)
    response = failing_client.get("/failing/forbidden/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "Not allowed" in html
    assert CANARY not in html and "rule 17" not in html


@failing_views
def test_a_tampered_request_gets_a_plain_400(failing_client):
    page = failing_client.get("/failing/suspicious/")
    assert page.status_code == 400
    assert "Request not understood" in page.content.decode()
    assert CANARY not in page.content.decode()
    api = failing_client.get("/api/v1/failing/suspicious/")
    assert api.status_code == 400
    assert api.json() == {"detail": "Bad request."}


def test_a_request_for_an_unknown_host_gets_the_plain_400(client):
    response = client.get("/accounts/login/", HTTP_HOST="attacker.example")
    assert response.status_code == 400
    assert "attacker.example" not in response.content.decode()


def test_a_missing_page_does_not_echo_the_address(client, caseworker_a):
    client.force_login(caseworker_a)
    response = client.get(f"/no-such-page/<script>alert('{CANARY}')</script>/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Not found" in html
    assert CANARY not in html and "no-such-page" not in html


def test_another_organisations_case_page_is_the_same_plain_404(client, caseworker_a, caseworker_b):
    foreign = CaseFactory(organisation=caseworker_b.organisation, assigned_to=caseworker_b)
    client.force_login(caseworker_a)
    response = client.get(f"/cases/{foreign.reference}/")
    assert response.status_code == 404
    assert foreign.reference not in response.content.decode()
    assert "Not found" in response.content.decode()


def test_an_unknown_api_address_stays_json(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_forged_form_gets_a_plain_page_without_the_checks_internals(caseworker_a):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": caseworker_a.username, "password": TEST_PASSWORD})
    assert response.status_code == 403
    html = response.content.decode()
    assert "Form not accepted" in html
    assert "CSRF" not in html and "Referer" not in html
    assert "<style" not in html


# --- no inline script or style in our markup (the browser test proves it where Chromium is installed) ------

INLINE = re.compile(
    r"""\sstyle\s*=|<style\b|<script\b(?![^>]*\bsrc=)|\son[a-z]+\s*=\s*["']|javascript:""",
    re.IGNORECASE,
)
# Comments and the insides of template tags (`{% render_field f style=style %}`) are not markup.
NOT_MARKUP = re.compile(r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}|\{%.*?%\}", re.DOTALL)


def python_strings(source: str) -> list[str]:
    """The string literals of a module, without its docstrings: the markup Python code produces."""
    tree = ast.parse(source)
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_no_template_or_python_markup_has_inline_script_or_style():
    found = []
    for template in sorted((ROOT / "templates").rglob("*.html")):
        text = NOT_MARKUP.sub("", template.read_text())
        found += [f"{template.relative_to(ROOT)}: {match.group()}" for match in INLINE.finditer(text)]
    for package in ("casework", "policies"):
        for module in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in module.parts:
                continue
            for string in python_strings(module.read_text()):
                found += [f"{module.relative_to(ROOT)}: {match.group()}" for match in INLINE.finditer(string)]
    assert found == []

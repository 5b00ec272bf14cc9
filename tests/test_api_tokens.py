"""API tokens: issued by command or on the tokens page, stored hashed, expiring, revocable, per user."""

import datetime
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import path, reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from casework.api.throttling import PerTokenThrottle
from casework.audit import Action
from casework.models import ApiToken, AuditEvent
from casework.tokens import token_issue, token_revoke

SCHEMA = "/api/v1/schema/"
ROOT = "/api/v1/"
TOKENS = "/account/tokens/"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    # The throttle counts in the cache, which outlives a test's database transaction.
    cache.clear()
    yield
    cache.clear()


def issue(username: str, *args: str) -> str:
    out, err = StringIO(), StringIO()
    call_command("issue_api_token", username, *args, stdout=out, stderr=err)
    return out.getvalue().strip().splitlines()[-1]


def api(token: str | None = None, path: str = ROOT, header: str | None = None):
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)
    elif token is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.get(path)


# --- The command and the API ---------------------------------------------------------------------------


def test_command_prints_a_token_that_authenticates_against_the_api(caseworker_a):
    token = issue("alice")

    assert len(token) >= 40
    assert api(token, SCHEMA).status_code == 200
    assert api(token, ROOT).status_code == 200


def test_without_a_token_the_api_and_its_schema_answer_401_asking_for_one(db):
    for url in (ROOT, SCHEMA):
        response = api(path=url)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize(
    "header",
    ["Token not-a-real-token-at-all-but-long-enough-000000", "Token", "Token two parts", "Token ÿ"],
)
def test_a_wrong_or_malformed_token_is_401_with_one_message(caseworker_a, header):
    issue("alice")

    response = api(header=header)

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid or expired token."}


def test_a_token_with_a_right_prefix_but_wrong_rest_is_refused(caseworker_a):
    token = issue("alice")
    forged = token[:8] + ("A" if token[8] != "A" else "B") + token[9:]

    assert api(forged, SCHEMA).status_code == 401


def test_an_expired_token_is_refused(caseworker_a):
    token = issue("alice")
    ApiToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))

    response = api(token)

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid or expired token."}


def test_a_revoked_token_is_refused(caseworker_a):
    token = issue("alice")
    token_revoke(actor=caseworker_a, token=ApiToken.objects.get())

    assert api(token, SCHEMA).status_code == 401


def test_a_deactivated_users_token_stops_working_at_once(caseworker_a):
    token = issue("alice")
    assert api(token).status_code == 200

    caseworker_a.is_active = False
    caseworker_a.save(update_fields=["is_active"])

    response = api(token)
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid or expired token."}
    assert not ApiToken.objects.active().exists()


def test_command_refuses_unknown_and_inactive_users(caseworker_a):
    with pytest.raises(CommandError, match="No user"):
        issue("nobody")
    caseworker_a.is_active = False
    caseworker_a.save(update_fields=["is_active"])
    with pytest.raises(CommandError, match="inactive"):
        issue("alice")
    with pytest.raises(CommandError):
        issue("alice", "--days", "0")
    assert not ApiToken.objects.exists()


def test_command_days_default_from_the_setting_and_overridable(caseworker_a, settings):
    settings.CASEWORK_API_TOKEN_DAYS = 7
    before = timezone.now()
    issue("alice")
    issue("alice", "--days", "30")

    longer, shorter = ApiToken.objects.order_by("-expires_at")
    assert shorter.expires_at - before == pytest.approx(
        datetime.timedelta(days=7), abs=datetime.timedelta(minutes=1)
    )
    assert longer.expires_at - before == pytest.approx(
        datetime.timedelta(days=30), abs=datetime.timedelta(minutes=1)
    )


def test_the_database_and_the_trail_hold_no_plain_token(caseworker_a):
    token = issue("alice")
    api(token)

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiToken._meta.db_table}")  # noqa: S608 - our own table name
        rows = cursor.fetchall()
    assert rows
    stored = " ".join(str(value) for row in rows for value in row)
    assert token not in stored
    assert token[:8] in stored  # the prefix, for display
    assert token[8:20] not in stored
    for event in AuditEvent.objects.all():
        assert token not in str(event.details) and token[8:20] not in str(event.details)


def test_last_use_is_recorded_at_most_once_a_minute(caseworker_a):
    token = issue("alice")
    assert ApiToken.objects.get().last_used_at is None

    api(token)
    first = ApiToken.objects.get().last_used_at
    assert first is not None

    with CaptureQueriesContext(connection) as queries:
        api(token)
    assert len(queries) == 1  # the token with its user; no UPDATE within the minute
    assert ApiToken.objects.get().last_used_at == first

    ApiToken.objects.update(last_used_at=first - datetime.timedelta(minutes=2))
    api(token)
    assert ApiToken.objects.get().last_used_at > first - datetime.timedelta(minutes=2)


def test_issue_and_revoke_are_audited_by_prefix(caseworker_a):
    token, plain = token_issue(user=caseworker_a, name="script", days=5, actor=caseworker_a)
    token_revoke(actor=caseworker_a, token=token)
    token_revoke(actor=caseworker_a, token=token)  # already revoked: nothing more

    created, changed = AuditEvent.objects.order_by("at", "id")
    assert (created.action, changed.action) == (Action.CREATE, Action.CHANGE)
    assert created.object_type == changed.object_type == "apitoken"
    assert created.object_id == changed.object_id == str(token.pk)
    assert created.details["token_prefix"] == changed.details["token_prefix"] == plain[:8]
    assert changed.actor == caseworker_a


class _Probe(APIView):
    def get(self, request):
        return Response({})


def test_the_schema_documents_the_token_scheme():
    # A probe view of its own, so the test does not depend on which resources are routed.
    generator = SchemaGenerator(patterns=[path("probe/", _Probe.as_view())])
    schema = generator.get_schema(request=None, public=True)

    assert schema["components"]["securitySchemes"]["tokenAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": 'Token-based authentication with required prefix "Token"',
    }
    assert {"tokenAuth": []} in schema["paths"]["/probe/"]["get"]["security"]


# --- Throttling ----------------------------------------------------------------------------------------


def test_each_token_has_its_own_rate_and_the_next_request_is_429(caseworker_a, caseworker_b, monkeypatch):
    monkeypatch.setattr(PerTokenThrottle, "rate", "3/minute", raising=False)
    alice, bob = issue("alice"), issue("bob")

    assert [api(alice).status_code for _ in range(3)] == [200, 200, 200]
    refused = api(alice)
    assert refused.status_code == 429
    assert "Retry-After" in refused
    assert api(bob).status_code == 200


def test_a_second_token_of_the_same_user_has_its_own_rate(caseworker_a, monkeypatch):
    monkeypatch.setattr(PerTokenThrottle, "rate", "2/minute", raising=False)
    first, second = issue("alice"), issue("alice")

    assert [api(first).status_code for _ in range(3)] == [200, 200, 429]
    assert api(second).status_code == 200


# --- The tokens page -----------------------------------------------------------------------------------


def test_tokens_page_and_revoking_need_sign_in(client, caseworker_a):
    token, _ = token_issue(user=caseworker_a, name="mine", days=5)

    for response in (client.get(TOKENS), client.post(reverse("casework:api-token-revoke", args=[token.pk]))):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    token.refresh_from_db()
    assert token.revoked_at is None


def test_tokens_page_creates_a_token_shown_once(client, caseworker_a):
    client.force_login(caseworker_a)

    response = client.post(TOKENS, {"name": "statistics script", "days": "30"})

    assert response.status_code == 200
    plain = response.context["plain_token"]
    assert plain and plain in response.content.decode()
    assert "shown only this once" in response.content.decode()
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    token = ApiToken.objects.get()
    assert (token.user, token.name) == (caseworker_a, "statistics script")
    assert token.expires_at - timezone.now() > datetime.timedelta(days=29)
    assert api(plain).status_code == 200

    listing = client.get(TOKENS).content.decode()
    assert plain not in listing and plain[8:] not in listing
    assert token.prefix in listing and "statistics script" in listing


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "x", "days": "0"}, "days"),
        ({"name": "x", "days": "366"}, "days"),
        ({"name": "", "days": "5"}, "name"),
    ],
)
def test_tokens_page_refuses_bad_input_naming_the_field(client, caseworker_a, data, field):
    client.force_login(caseworker_a)

    response = client.post(TOKENS, data)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert "Nothing was saved" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_tokens_page_lists_only_the_users_own_tokens(client, caseworker_a, colleague_a):
    own, _ = token_issue(user=caseworker_a, name="mine", days=5)
    theirs, _ = token_issue(user=colleague_a, name="carols", days=5)
    client.force_login(caseworker_a)

    page = client.get(TOKENS)

    assert list(page.context["tokens"]) == [own]
    assert "carols" not in page.content.decode()


def test_revoking_own_token_from_the_page(client, caseworker_a):
    token, plain = token_issue(user=caseworker_a, name="mine", days=5)
    client.force_login(caseworker_a)
    url = reverse("casework:api-token-revoke", args=[token.pk])

    assert client.get(url).status_code == 405
    response = client.post(url)

    assert response.status_code == 302 and response["Location"] == TOKENS
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert api(plain).status_code == 401
    listing = client.get(TOKENS).content.decode()
    assert "revoked" in listing
    assert url not in listing  # no revoke button for a revoked token


def test_someone_elses_token_is_404_and_stays_valid(client, caseworker_a, caseworker_b):
    token, plain = token_issue(user=caseworker_b, name="bobs", days=5)
    client.force_login(caseworker_a)

    response = client.post(reverse("casework:api-token-revoke", args=[token.pk]))

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert api(plain).status_code == 200
    assert client.post(reverse("casework:api-token-revoke", args=[token.pk + 1000])).status_code == 404

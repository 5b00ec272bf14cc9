"""Signing in and out: audit events, lockout per account and per address, and password rules."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from casework.audit import Action
from casework.models import AuditEvent
from tests.factories import TEST_PASSWORD, UserFactory

LOGIN = "/accounts/login/"
LOCKED_WORDS = "Too many failed sign-in attempts from this account or address."


def sign_in(client, username, password=TEST_PASSWORD, address="10.0.0.1", **extra):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **extra)


def fail(client, username, times, addresses=None):
    for attempt in range(times):
        address = addresses[attempt] if addresses else "10.0.0.1"
        response = sign_in(client, username, password="wrong password", address=address)
        assert response.status_code in (200, 429)


def actions():
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


# --- Pages -----------------------------------------------------------------------------------------------


def test_sign_in_page_has_labelled_fields(client, db):
    response = client.get(LOGIN)
    assert response.status_code == 200
    page = response.content.decode()
    assert '<label for="id_username">' in page and '<label for="id_password">' in page
    assert 'autocomplete="current-password"' in page


def test_signing_in_leads_to_the_start_page(client, caseworker_a):
    response = sign_in(client, "alice")
    assert response.status_code == 302 and response.url == "/"
    home = client.get("/")
    assert home.status_code == 200 and "Signed in as alice" in home.content.decode()


def test_start_page_requires_signing_in(client, db):
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith(LOGIN)


@pytest.mark.parametrize(
    ("who", "sees_admin"), [("orgadmin_a", True), ("auditor", True), ("caseworker_a", False)]
)
def test_start_page_offers_the_admin_only_to_those_who_may_use_it(client, request, who, sees_admin):
    client.force_login(request.getfixturevalue(who))
    page = client.get("/").content.decode()
    assert (reverse("admin:index") in page) is sees_admin


def test_signing_out_takes_a_post_and_ends_the_session(client, caseworker_a):
    client.force_login(caseworker_a)
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 200 and "You are signed out" in response.content.decode()
    assert client.get("/").status_code == 302


def test_failed_sign_in_does_not_say_whether_the_account_exists(client, caseworker_a):
    wrong_password = sign_in(client, "alice", password="not the password").content.decode()
    unknown_user = sign_in(client, "nobody-here", password="not the password").content.decode()

    def message(page):
        start = page.index('role="alert"')
        return page[start : page.index("</div>", start)]

    assert "Please enter a correct username and password" in message(wrong_password)
    assert message(wrong_password) == message(unknown_user)


def test_inactive_account_gets_the_same_answer_as_a_wrong_password(client, caseworker_a):
    caseworker_a.is_active = False
    caseworker_a.save()
    response = sign_in(client, "alice")
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


# --- Audit events ---------------------------------------------------------------------------------------


def test_sign_in_writes_one_event_with_actor_and_address(client, caseworker_a, org_a):
    sign_in(client, "alice", address="192.0.2.7")
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.actor_username, event.actor_organisation, event.actor_role) == (
        Action.SIGN_IN,
        caseworker_a,
        "alice",
        org_a,
        "caseworker",
    )
    assert event.ip_address == "192.0.2.7"


def test_sign_out_writes_one_event_with_actor_and_address(client, caseworker_a):
    client.force_login(caseworker_a)
    before = AuditEvent.objects.count()
    client.post("/accounts/logout/", REMOTE_ADDR="192.0.2.8")
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.action, event.actor, event.ip_address) == (Action.SIGN_OUT, caseworker_a, "192.0.2.8")


def test_failed_sign_in_writes_one_event_with_the_attempted_username_and_no_actor(client, caseworker_a):
    sign_in(client, "alice", password="wrong", address="192.0.2.9")
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.actor_username, event.ip_address) == (
        Action.SIGN_IN_FAILED,
        None,
        "",
        "192.0.2.9",
    )
    assert event.details == {"username": "alice"}


def test_failed_sign_in_of_an_unknown_username_is_recorded_alike(client, db):
    response = sign_in(client, "x" * 400, password="wrong")
    assert response.status_code == 200
    event = AuditEvent.objects.get()
    assert event.action == Action.SIGN_IN_FAILED
    assert event.details == {"username": "x" * 150}


def test_no_password_is_ever_written_to_the_trail(client, caseworker_a):
    sign_in(client, "alice", password="wrong-but-secret")
    sign_in(client, "alice")
    assert not any(
        "secret" in str(details) or TEST_PASSWORD in str(details)
        for details in AuditEvent.objects.values_list("details", flat=True)
    )


# --- Lockout ----------------------------------------------------------------------------------------------


def test_account_is_locked_after_five_failures_from_different_addresses(client, caseworker_a):
    fail(client, "alice", 4, addresses=[f"10.0.1.{n}" for n in range(4)])
    assert sign_in(client, "alice", password="wrong", address="10.0.1.4").status_code == 429
    response = sign_in(client, "alice", address="10.0.1.99")  # the right password, from a fresh address
    assert response.status_code == 429
    assert LOCKED_WORDS in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_four_failures_do_not_lock_the_account(client, caseworker_a):
    fail(client, "alice", 4, addresses=[f"10.0.1.{n}" for n in range(4)])
    assert sign_in(client, "alice", address="10.0.1.4").status_code == 302


def test_address_is_locked_after_five_failures_on_different_accounts(client, caseworker_a):
    for n in range(5):
        sign_in(client, f"guess{n}", password="wrong", address="10.0.2.1")
    response = sign_in(client, "alice", address="10.0.2.1")
    assert response.status_code == 429
    assert sign_in(client, "alice", address="10.0.2.2").status_code == 302


def test_a_forged_forwarded_for_header_does_not_escape_the_address_lockout(client, caseworker_a):
    for n in range(5):
        sign_in(
            client, f"guess{n}", password="wrong", address="10.0.3.1", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}"
        )
    response = sign_in(client, "alice", address="10.0.3.1", HTTP_X_FORWARDED_FOR="203.0.113.200")
    assert response.status_code == 429


def test_lockout_page_is_the_same_for_an_existing_and_an_unknown_account(client, caseworker_a):
    fail(client, "alice", 5, addresses=[f"10.0.4.{n}" for n in range(5)])
    fail(client, "nobody-here", 5, addresses=[f"10.0.5.{n}" for n in range(5)])
    existing = sign_in(client, "alice", address="10.0.6.1")
    unknown = sign_in(client, "nobody-here", address="10.0.6.2")
    assert existing.status_code == unknown.status_code == 429
    assert existing.content == unknown.content
    page = existing.content.decode()
    assert "Try again in 30 minutes or ask your administrator." in page
    assert "alice" not in page


def test_reaching_the_limit_and_each_refused_attempt_are_audited(client, caseworker_a):
    fail(client, "alice", 5, addresses=[f"10.0.7.{n}" for n in range(5)])
    assert sorted(actions()) == sorted([Action.SIGN_IN_FAILED] * 5 + [Action.LOCKED_OUT])
    locked = AuditEvent.objects.get(action=Action.LOCKED_OUT)
    assert locked.details == {"username": "alice", "minutes": 30}
    assert locked.ip_address == "10.0.7.4"

    sign_in(client, "alice", address="10.0.7.9")  # the right password, refused unheard
    refused = AuditEvent.objects.order_by("-id").first()
    assert (refused.action, refused.actor, refused.ip_address, refused.details) == (
        Action.SIGN_IN_LOCKED,
        None,
        "10.0.7.9",
        {"username": "alice"},
    )
    assert AuditEvent.objects.count() == 7


def test_signing_in_resets_the_count_of_failures(client, caseworker_a):
    fail(client, "alice", 4, addresses=[f"10.0.8.{n}" for n in range(4)])
    assert sign_in(client, "alice", address="10.0.8.9").status_code == 302
    client.post("/accounts/logout/")
    fail(client, "alice", 4, addresses=[f"10.0.8.{n}" for n in range(10, 14)])
    assert sign_in(client, "alice", address="10.0.8.9").status_code == 302


# --- Passwords --------------------------------------------------------------------------------------------


def test_password_of_eleven_characters_is_refused(db):
    with pytest.raises(ValidationError, match="at least 12 characters"):
        validate_password("Kp7#vQ2!mZx")


def test_strong_password_of_twelve_characters_is_accepted(db):
    validate_password("Kp7#vQ2!mZxw", user=UserFactory.build(username="alice"))


def test_changing_the_password_applies_the_validators(client, caseworker_a):
    client.force_login(caseworker_a)
    url = "/accounts/password_change/"
    assert client.get(url).status_code == 200
    weak = client.post(
        url, {"old_password": TEST_PASSWORD, "new_password1": "short1!", "new_password2": "short1!"}
    )
    assert weak.status_code == 200 and "at least 12 characters" in weak.content.decode()
    strong = "Kp7#vQ2!mZxw-longer"
    done = client.post(url, {"old_password": TEST_PASSWORD, "new_password1": strong, "new_password2": strong})
    assert done.status_code == 302 and done.url == "/accounts/password_change/done/"
    caseworker_a.refresh_from_db()
    assert caseworker_a.check_password(strong)

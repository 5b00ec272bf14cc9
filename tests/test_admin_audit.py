"""What happens to cases and users in the admin leaves exactly the events it should, with the right fields."""

import json

import pytest
from django.urls import reverse

from casework import choices
from casework.choices import Role
from casework.models import AuditEvent, Case, CaseNote, Organisation, Referral, User
from tests import factories
from tests.test_admin_data_entry import add_inline_row, admin_url, new_case_data, page_data

PASSWORD = "a-long-enough-passphrase-42"
SECRET_TEXT = "Met at the office; the family asked about school enrolment for the twins."


@pytest.fixture
def kz(db):
    return factories.CountryFactory(code="KZ")


@pytest.fixture
def case(caseworker_a, kz):
    return factories.CaseFactory(
        organisation=caseworker_a.organisation, assigned_to=caseworker_a, citizenship=kz
    )


@pytest.fixture
def root_client(client, superuser):
    client.force_login(superuser)  # signing in is an event of its own, before any test counts
    return client


@pytest.fixture
def orgadmin_client(client, orgadmin_a):
    client.force_login(orgadmin_a)
    return client


class NewEvents:
    """The events written inside the `with` block."""

    def __enter__(self):
        self.last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        return self

    def __exit__(self, *exc):
        self.events = list(AuditEvent.objects.filter(id__gt=self.last).order_by("id"))

    def one(self, action: str) -> AuditEvent:
        assert [event.action for event in self.events] == [action], [
            (event.action, event.details) for event in self.events
        ]
        return self.events[0]

    @property
    def actions(self) -> list[str]:
        return [event.action for event in self.events]


def assert_actor(event, user, organisation=None):
    assert event.actor == user
    assert event.actor_username == user.username
    assert event.actor_organisation_id == (organisation.pk if organisation else None)
    assert event.actor_role == user.role
    assert event.ip_address == "127.0.0.1"


# --- reading --------------------------------------------------------------------------------------------


def test_opening_a_case_in_the_admin_is_one_view_event(orgadmin_client, orgadmin_a, org_a, case):
    with NewEvents() as new:
        assert orgadmin_client.get(admin_url(Case, "change", case.pk)).status_code == 200

    event = new.one("view")
    assert_actor(event, orgadmin_a, org_a)
    assert (event.object_type, event.object_id, event.case_reference) == (
        "case",
        str(case.pk),
        case.reference,
    )


def test_a_system_administrators_view_names_no_organisation(root_client, superuser, case):
    with NewEvents() as new:
        root_client.get(admin_url(Case, "change", case.pk))
    assert_actor(new.one("view"), superuser)


def test_the_history_of_a_case_is_a_view_event(root_client, case):
    with NewEvents() as new:
        assert root_client.get(admin_url(Case, "history", case.pk)).status_code == 200
    event = new.one("view")
    assert (event.case_reference, event.details) == (case.reference, {"page": "history"})


def test_opening_a_note_is_a_view_of_its_case(orgadmin_client, case):
    note = factories.CaseNoteFactory(case=case, text=SECRET_TEXT)
    with NewEvents() as new:
        orgadmin_client.get(admin_url(CaseNote, "change", note.pk))
    event = new.one("view")
    assert (event.object_type, event.object_id, event.case_reference) == (
        "casenote",
        str(note.pk),
        case.reference,
    )


def test_the_case_list_and_reference_data_write_no_event(root_client, case, kz):
    with NewEvents() as new:
        root_client.get(admin_url(Case, "changelist"))
        root_client.get(reverse("admin:policies_country_change", args=[kz.pk]))
    assert new.events == []


# --- writing cases --------------------------------------------------------------------------------------


def test_creating_a_case_is_one_create_event_and_one_assign_event(
    root_client, superuser, org_a, caseworker_a, kz
):
    data = new_case_data(root_client, org_a, caseworker_a, kz)
    with NewEvents() as new:
        assert root_client.post(admin_url(Case, "add"), data).status_code == 302

    case = Case.objects.get()
    assert new.actions == ["create", "assign"]
    created, assigned = new.events
    assert_actor(created, superuser)
    assert (created.object_type, created.object_id, created.case_reference) == (
        "case",
        str(case.pk),
        case.reference,
    )
    assert created.details["organisation"] == {"old": None, "new": org_a.pk}
    assert created.details["sex"] == {"old": None, "new": "female"}
    assert created.details["return_month"] == {"old": None, "new": "2019-05-01"}
    assert assigned.details == {"assigned_to": {"old": None, "new": caseworker_a.pk}}


def test_changing_a_case_is_one_change_event_with_old_and_new_values(root_client, case):
    url = admin_url(Case, "change", case.pk)
    data = page_data(root_client.get(url))
    data.update(status=choices.CaseStatus.MONITORING, vulnerabilities=[choices.Vulnerability.TRAUMA])

    with NewEvents() as new:
        assert root_client.post(url, data).status_code == 302

    event = new.one("change")
    assert event.case_reference == case.reference
    assert event.details == {
        "status": {"old": "active", "new": "monitoring"},
        "vulnerabilities": {"old": [], "new": ["trauma"]},
    }


def test_reassigning_a_case_is_a_change_and_an_assign_event(root_client, case, colleague_a, caseworker_a):
    url = admin_url(Case, "change", case.pk)
    data = page_data(root_client.get(url))
    data["assigned_to"] = colleague_a.pk

    with NewEvents() as new:
        assert root_client.post(url, data).status_code == 302

    assert new.actions == ["change", "assign"]
    expected = {"assigned_to": {"old": caseworker_a.pk, "new": colleague_a.pk}}
    assert new.events[0].details == expected
    assert new.events[1].details == expected


def test_saving_a_case_unchanged_writes_nothing(root_client, case):
    url = admin_url(Case, "change", case.pk)
    data = page_data(root_client.get(url))
    with NewEvents() as new:
        assert root_client.post(url, data).status_code == 302
    assert new.events == []


def test_a_refused_form_writes_no_change(root_client, case):
    url = admin_url(Case, "change", case.pk)
    data = page_data(root_client.get(url))
    data["return_pathway"] = choices.ReturnPathway.PROGRAMME  # without the programme
    with NewEvents() as new:
        assert root_client.post(url, data).status_code == 200
    assert new.events == []


def test_a_stale_edit_writes_no_change(root_client, case):
    url = admin_url(Case, "change", case.pk)
    data = page_data(root_client.get(url))
    Case.objects.filter(pk=case.pk).update(version=case.version + 1)
    data["status"] = choices.CaseStatus.MONITORING
    with NewEvents() as new:
        assert root_client.post(url, data).status_code == 200
    assert new.events == []


def test_a_note_added_on_the_case_page_is_one_event_that_does_not_copy_its_text(root_client, case):
    url = admin_url(Case, "change", case.pk)
    data = page_data(root_client.get(url))
    add_inline_row(
        data, "notes", contact_on="2024-03-01", contact_type=choices.ContactType.OFFICE, text=SECRET_TEXT
    )

    with NewEvents() as new:
        assert root_client.post(url, data).status_code == 302

    note = CaseNote.objects.get()
    event = new.one("create")
    assert (event.object_type, event.object_id, event.case_reference) == (
        "casenote",
        str(note.pk),
        case.reference,
    )
    assert event.details["text"] == "changed"
    assert event.details["contact_type"] == {"old": None, "new": "office"}
    assert SECRET_TEXT not in json.dumps(event.details)
    assert "school" not in json.dumps(event.details)


def test_changing_a_notes_text_records_only_that_it_changed(root_client, case):
    note = factories.CaseNoteFactory(case=case)
    url = admin_url(CaseNote, "change", note.pk)
    data = page_data(root_client.get(url))
    data.update(text=SECRET_TEXT, restricted="on")

    with NewEvents() as new:
        assert root_client.post(url, data).status_code == 302

    event = new.one("change")
    assert event.details == {"text": "changed", "restricted": {"old": False, "new": True}}
    assert SECRET_TEXT not in json.dumps(event.details)
    assert note.text not in json.dumps(event.details)


def test_each_changed_inline_row_is_one_event(root_client, case):
    service = factories.ServiceTypeFactory()
    first = factories.ReferralFactory(case=case, service_type=service)
    second = factories.ReferralFactory(case=case, service_type=service)
    untouched = factories.ReferralFactory(case=case, service_type=service)
    url = admin_url(Case, "change", case.pk)
    data = page_data(root_client.get(url))
    rows = {data[f"referrals-{i}-id"]: i for i in range(3)}
    data[f"referrals-{rows[first.pk]}-status"] = choices.ReferralStatus.ACCEPTED
    data[f"referrals-{rows[first.pk]}-accepted_on"] = first.referred_on.isoformat()
    data[f"referrals-{rows[second.pk]}-outcome_note"] = SECRET_TEXT

    with NewEvents() as new:
        assert root_client.post(url, data).status_code == 302

    assert new.actions == ["change", "change"]
    by_object = {event.object_id: event.details for event in new.events}
    assert by_object == {
        str(first.pk): {
            "status": {"old": "referred", "new": "accepted"},
            "accepted_on": {"old": None, "new": first.referred_on.isoformat()},
        },
        str(second.pk): {"outcome_note": "changed"},
    }
    assert str(untouched.pk) not in by_object
    assert all(event.object_type == "referral" for event in new.events)
    assert Referral.objects.get(pk=first.pk).status == choices.ReferralStatus.ACCEPTED


# --- refusals -------------------------------------------------------------------------------------------


def test_a_foreign_case_url_is_one_not_found_event_that_names_only_the_id(
    orgadmin_client, orgadmin_a, org_a, caseworker_b
):
    foreign = factories.CaseFactory(organisation=caseworker_b.organisation, assigned_to=caseworker_b)
    with NewEvents() as new:
        assert orgadmin_client.get(admin_url(Case, "change", foreign.pk)).status_code == 404

    event = new.one("not_found")
    assert_actor(event, orgadmin_a, org_a)
    assert event.details == {"object_type": "case", "object_id": str(foreign.pk)}
    assert event.case_reference == ""
    assert foreign.reference not in json.dumps(event.details)


def test_a_not_found_post_is_recorded_although_the_request_rolls_back(orgadmin_client, caseworker_b):
    foreign = factories.CaseFactory(organisation=caseworker_b.organisation, assigned_to=caseworker_b)
    with NewEvents() as new:
        assert (
            orgadmin_client.post(admin_url(Case, "change", foreign.pk), {"status": "closed"}).status_code
            == 404
        )
    assert new.one("not_found").details["object_id"] == str(foreign.pk)


def test_whatever_else_is_typed_for_an_id_stays_out_of_the_trail(orgadmin_client, caseworker_b):
    foreign = factories.CaseFactory(organisation=caseworker_b.organisation, assigned_to=caseworker_b)
    with NewEvents() as new:
        response = orgadmin_client.get(f"/admin/casework/case/{foreign.reference}/change/")
    assert response.status_code == 404
    assert foreign.reference not in response.content.decode()
    event = new.one("not_found")
    assert event.details == {"object_type": "case"}


def test_a_refused_post_is_one_denied_event_naming_the_case(orgadmin_client, orgadmin_a, org_a, case):
    with NewEvents() as new:
        assert (
            orgadmin_client.post(admin_url(Case, "change", case.pk), {"status": "closed"}).status_code == 403
        )

    event = new.one("denied")
    assert_actor(event, orgadmin_a, org_a)
    assert (event.object_type, event.object_id, event.case_reference) == (
        "case",
        str(case.pk),
        case.reference,
    )
    assert event.details == {"method": "POST", "path": admin_url(Case, "change", case.pk)}


def test_a_refused_case_list_is_one_denied_event(client, auditor):
    client.force_login(auditor)
    with NewEvents() as new:
        assert client.get(admin_url(Case, "changelist")).status_code == 403
    assert new.one("denied").details == {
        "method": "GET",
        "path": admin_url(Case, "changelist"),
        "object_type": "case",
    }


# --- users and organisations ----------------------------------------------------------------------------


def test_creating_a_user_is_one_event_with_role_and_organisation(orgadmin_client, orgadmin_a, org_a):
    data = page_data(orgadmin_client.get(admin_url(User, "add")))
    data.update(username="dilnoza", usable_password="true", password1=PASSWORD, password2=PASSWORD)
    data["role"] = Role.SUPERVISOR

    with NewEvents() as new:
        assert orgadmin_client.post(admin_url(User, "add"), data).status_code == 302

    user = User.objects.get(username="dilnoza")
    event = new.one("create")
    assert_actor(event, orgadmin_a, org_a)
    assert (event.object_type, event.object_id, event.case_reference) == ("user", str(user.pk), "")
    assert event.details == {
        "username": {"old": None, "new": "dilnoza"},
        "organisation": {"old": None, "new": org_a.pk},
        "role": {"old": None, "new": "supervisor"},
        "is_active": {"old": None, "new": True},
        "is_superuser": {"old": None, "new": False},
        "is_staff": {"old": None, "new": False},
    }
    assert user.password not in json.dumps(event.details)


def test_deactivating_and_changing_a_role_is_one_change_event(orgadmin_client, caseworker_a):
    url = admin_url(User, "change", caseworker_a.pk)
    data = page_data(orgadmin_client.get(url))
    data["role"] = Role.SUPERVISOR
    del data["is_active"]

    with NewEvents() as new:
        assert orgadmin_client.post(url, data).status_code == 302

    event = new.one("change")
    assert (event.object_type, event.object_id) == ("user", str(caseworker_a.pk))
    assert event.details == {
        "role": {"old": "caseworker", "new": "supervisor"},
        "is_active": {"old": True, "new": False},
    }


def test_setting_a_password_records_only_that_it_changed(orgadmin_client, caseworker_a):
    old_hash = User.objects.get(pk=caseworker_a.pk).password
    with NewEvents() as new:
        response = orgadmin_client.post(
            reverse("admin:auth_user_password_change", args=[caseworker_a.pk]),
            {"password1": PASSWORD, "password2": PASSWORD, "usable_password": "true"},
        )
    assert response.status_code == 302
    event = new.one("change")
    assert event.details == {"password": "changed"}
    new_hash = User.objects.get(pk=caseworker_a.pk).password
    assert old_hash not in json.dumps(event.details)
    assert new_hash not in json.dumps(event.details)


def test_a_refused_password_form_writes_nothing(orgadmin_client, caseworker_a):
    with NewEvents() as new:
        response = orgadmin_client.post(
            reverse("admin:auth_user_password_change", args=[caseworker_a.pk]),
            {"password1": PASSWORD, "password2": "something else entirely", "usable_password": "true"},
        )
    assert response.status_code == 200
    assert new.events == []


def test_changing_an_organisations_settings_is_one_change_event(orgadmin_client, org_a):
    url = admin_url(Organisation, "change", org_a.pk)
    data = page_data(orgadmin_client.get(url))
    del data["shares_with_analysts"]

    with NewEvents() as new:
        assert orgadmin_client.post(url, data).status_code == 302

    event = new.one("change")
    assert (event.object_type, event.object_id) == ("organisation", str(org_a.pk))
    assert event.details == {"shares_with_analysts": {"old": True, "new": False}}

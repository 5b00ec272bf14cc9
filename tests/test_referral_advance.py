"""Moving a referral on: the next status in one click, the alternatives, the dates each sets, the audit
trail, and what is refused."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from casework import choices
from casework.audit import Action
from casework.models import AuditEvent, Referral
from casework.services import records
from tests.factories import CaseFactory, ReferralFactory

RS = choices.ReferralStatus
CONFIRM = "I have checked: this text identifies no one"


def today():
    return timezone.localdate()


def days_ago(days):
    return today() - datetime.timedelta(days=days)


def advance_url(referral):
    return reverse(
        "casework:referral-advance", kwargs={"reference": referral.case.reference, "pk": referral.pk}
    )


def changes():
    return [event.details for event in AuditEvent.objects.filter(action=Action.CHANGE).order_by("pk")]


@pytest.fixture
def case(caseworker_a):
    return CaseFactory(organisation=caseworker_a.organisation, assigned_to=caseworker_a)


@pytest.fixture
def planned(case):
    return ReferralFactory(case=case, status=RS.PLANNED, referred_on=None)


@pytest.fixture
def signed_in(client, caseworker_a):
    client.force_login(caseworker_a)
    return client


def click(client, referral, to_status, **extra):
    """What the case page's one-click button posts."""
    referral.refresh_from_db()
    return client.post(
        advance_url(referral), {"from_status": referral.status, "to_status": to_status, **extra}
    )


def test_one_click_walks_a_referral_from_planned_to_completed_setting_each_date(signed_in, planned):
    for status in (RS.REFERRED, RS.ACCEPTED, RS.IN_PROGRESS, RS.COMPLETED):
        response = click(signed_in, planned, status)
        assert response.status_code == 302
        assert response.url.endswith(f"#referral-{planned.pk}")
    planned.refresh_from_db()
    assert planned.status == RS.COMPLETED
    assert (planned.referred_on, planned.accepted_on, planned.started_on, planned.ended_on) == (today(),) * 4
    assert [change["status"] for change in changes()] == [
        {"old": "planned", "new": "referred"},
        {"old": "referred", "new": "accepted"},
        {"old": "accepted", "new": "in_progress"},
        {"old": "in_progress", "new": "completed"},
    ]
    assert changes()[0]["referred_on"] == {"old": None, "new": today().isoformat()}
    assert changes()[3]["ended_on"] == {"old": None, "new": today().isoformat()}


def test_case_page_offers_the_next_status_as_one_button(signed_in, planned):
    page = signed_in.get(reverse("casework:case-detail", kwargs={"reference": planned.case.reference}))
    page = page.content.decode()
    assert 'name="to_status" value="referred"' in page
    assert "Mark as “Referred” today" in page
    assert '<option value="cancelled">Cancelled</option>' in page


def test_change_is_audited_with_who_and_which_referral(signed_in, caseworker_a, planned):
    click(signed_in, planned, RS.REFERRED)
    [event] = AuditEvent.objects.filter(action=Action.CHANGE)
    assert (event.actor, event.object_type, event.object_id, event.case_reference) == (
        caseworker_a,
        "referral",
        str(planned.pk),
        planned.case.reference,
    )


def test_skipping_a_step_is_refused_and_nothing_changes(signed_in, planned):
    response = click(signed_in, planned, RS.COMPLETED)
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    planned.refresh_from_db()
    assert (planned.status, planned.ended_on) == (RS.PLANNED, None)
    assert not changes()


def test_invalid_transition_is_refused_by_the_service_too(caseworker_a, planned):
    with pytest.raises(ValidationError) as refused:
        records.referral_advance(actor=caseworker_a, referral=planned, to_status=RS.ACCEPTED, on_date=today())
    assert "cannot become" in str(refused.value.message_dict["to_status"])
    planned.refresh_from_db()
    assert planned.status == RS.PLANNED


def test_a_second_click_on_the_same_button_changes_nothing(signed_in, planned):
    data = {"from_status": RS.PLANNED, "to_status": RS.REFERRED}
    assert signed_in.post(advance_url(planned), data).status_code == 302
    response = signed_in.post(advance_url(planned), data)
    assert response.status_code == 200
    assert "This referral was changed meanwhile: it is now “Referred”." in response.content.decode()
    assert len(changes()) == 1


@pytest.mark.parametrize(
    ("start", "dates", "to_status"),
    [
        (RS.PLANNED, {}, RS.CANCELLED),
        (RS.REFERRED, {"referred_on": 9}, RS.DECLINED),
        (RS.REFERRED, {"referred_on": 9}, RS.CANCELLED),
        (RS.ACCEPTED, {"referred_on": 9, "accepted_on": 8}, RS.CANCELLED),
        (RS.IN_PROGRESS, {"referred_on": 9, "accepted_on": 8, "started_on": 7}, RS.DROPPED_OUT),
    ],
)
def test_alternatives_end_the_referral_on_the_day(signed_in, case, start, dates, to_status):
    referral = ReferralFactory(
        case=case,
        status=start,
        **{"referred_on": None, **{field: days_ago(days) for field, days in dates.items()}},
    )
    assert click(signed_in, referral, to_status).status_code == 302
    referral.refresh_from_db()
    assert (referral.status, referral.ended_on) == (to_status, today())


def test_declining_an_accepted_referral_is_not_offered(signed_in, case):
    referral = ReferralFactory(case=case, status=RS.ACCEPTED, accepted_on=days_ago(1))
    assert records.allowed_statuses(RS.ACCEPTED) == (RS.IN_PROGRESS, RS.CANCELLED)
    assert click(signed_in, referral, RS.DECLINED).status_code == 200
    referral.refresh_from_db()
    assert referral.status == RS.ACCEPTED


def test_an_ended_referral_offers_nothing_more(signed_in, case):
    referral = ReferralFactory(case=case, status=RS.DECLINED, referred_on=days_ago(5), ended_on=days_ago(1))
    page = signed_in.get(advance_url(referral)).content.decode()
    assert "This referral has ended: there is nothing more to record." in page
    assert click(signed_in, referral, RS.COMPLETED).status_code == 200
    assert not changes()


def test_a_date_before_the_previous_step_is_refused_on_the_date_field_and_kept(signed_in, case):
    referral = ReferralFactory(case=case, status=RS.REFERRED, referred_on=days_ago(5))
    early = days_ago(10).isoformat()
    response = click(signed_in, referral, RS.ACCEPTED, on_date=early)
    page = response.content.decode()
    assert "This date cannot be before the referred on date." in page
    assert f'href="#advance-{referral.pk}-on_date"' in page
    assert f'value="{early}"' in page
    referral.refresh_from_db()
    assert (referral.status, referral.accepted_on) == (RS.REFERRED, None)


def test_a_date_in_the_future_is_refused(signed_in, case):
    referral = ReferralFactory(case=case, status=RS.REFERRED, referred_on=days_ago(5))
    future = (today() + datetime.timedelta(days=3)).isoformat()
    response = click(signed_in, referral, RS.ACCEPTED, on_date=future)
    assert "This date cannot be in the future." in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == RS.REFERRED


def test_completing_with_an_outcome_and_a_date(signed_in, case):
    referral = ReferralFactory(
        case=case,
        status=RS.IN_PROGRESS,
        referred_on=days_ago(30),
        accepted_on=days_ago(25),
        started_on=days_ago(20),
    )
    response = click(
        signed_in,
        referral,
        RS.COMPLETED,
        on_date=days_ago(2).isoformat(),
        outcome=choices.ReferralOutcome.GOALS_MET,
        outcome_note="Finished the course and found seasonal work.",
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert (referral.status, referral.ended_on, referral.outcome) == (
        RS.COMPLETED,
        days_ago(2),
        choices.ReferralOutcome.GOALS_MET,
    )
    assert referral.outcome_note == "Finished the course and found seasonal work."
    [change] = changes()
    assert change["outcome_note"] == "changed"
    assert change["outcome"] == {"old": "", "new": "goals_met"}


def test_an_outcome_before_the_referral_ends_is_refused(signed_in, case):
    referral = ReferralFactory(case=case, status=RS.REFERRED, referred_on=days_ago(5))
    response = click(signed_in, referral, RS.ACCEPTED, outcome=choices.ReferralOutcome.GOALS_MET)
    assert "An outcome is recorded only once the referral has ended." in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == RS.REFERRED


def test_outcome_note_with_a_phone_number_is_refused_then_saved_once_confirmed(signed_in, case):
    referral = ReferralFactory(case=case, status=RS.REFERRED, referred_on=days_ago(5))
    note = "Provider declined; their coordinator asked to be called on +992 93 123 4567."
    response = click(signed_in, referral, RS.DECLINED, outcome_note=note)
    page = response.content.decode()
    assert "This text looks like it contains a phone number." in page
    assert note in page and CONFIRM in page
    referral.refresh_from_db()
    assert referral.status == RS.REFERRED

    response = click(signed_in, referral, RS.DECLINED, outcome_note=note, confirm_no_identifiers="on")
    assert response.status_code == 302
    referral.refresh_from_db()
    assert (referral.status, referral.outcome_note) == (RS.DECLINED, note)
    [confirmed] = AuditEvent.objects.filter(action=Action.IDENTIFIERS_CONFIRMED)
    assert confirmed.details == {"fields": ["outcome_note"]}
    assert "123" not in str(list(AuditEvent.objects.values_list("details", flat=True)))


# --- Who may ------------------------------------------------------------------------------------------


def test_organisation_administrator_is_refused_with_403(client, orgadmin_a, planned):
    client.force_login(orgadmin_a)
    assert click(client, planned, RS.REFERRED).status_code == 403
    planned.refresh_from_db()
    assert planned.status == RS.PLANNED
    assert AuditEvent.objects.filter(action=Action.DENIED).count() == 1


@pytest.mark.parametrize("who", ["colleague_a", "caseworker_b", "analyst"])
def test_who_may_not_see_the_case_gets_404_without_the_reference(client, request, planned, who):
    client.force_login(request.getfixturevalue(who))
    response = click(client, planned, RS.REFERRED)
    assert response.status_code == 404
    assert planned.case.reference not in response.content.decode()
    planned.refresh_from_db()
    assert planned.status == RS.PLANNED


def test_referral_of_another_case_is_not_found_under_this_one(signed_in, case, caseworker_a):
    other = ReferralFactory(
        case=CaseFactory(organisation=case.organisation, assigned_to=caseworker_a), status=RS.PLANNED
    )
    address = reverse("casework:referral-advance", kwargs={"reference": case.reference, "pk": other.pk})
    response = signed_in.post(address, {"from_status": RS.PLANNED, "to_status": RS.REFERRED})
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.status == RS.PLANNED
    [refused] = AuditEvent.objects.filter(action=Action.NOT_FOUND)
    assert refused.details["object_type"] == "referral"


def test_supervisor_may_advance_a_referral_of_any_case_of_the_organisation(client, supervisor_a, planned):
    client.force_login(supervisor_a)
    assert click(client, planned, RS.REFERRED).status_code == 302
    assert Referral.objects.get().status == RS.REFERRED


def test_service_refuses_an_actor_who_may_not_change_the_case(orgadmin_a, planned):
    with pytest.raises(PermissionDenied):
        records.referral_advance(actor=orgadmin_a, referral=planned, to_status=RS.REFERRED, on_date=today())


def test_service_refuses_a_move_from_a_status_the_referral_no_longer_has(caseworker_a, planned):
    with pytest.raises(ValidationError) as refused:
        records.referral_advance(
            actor=caseworker_a,
            referral=planned,
            to_status=RS.ACCEPTED,
            on_date=today(),
            from_status=RS.REFERRED,
        )
    assert "changed meanwhile" in str(refused.value.message_dict["to_status"])

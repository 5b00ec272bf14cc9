"""The quick-add forms of the case page: a note, a referral, an assessment, a legal proceeding.

Each: good input saved and audited; bad input kept on the page with the error named and nothing saved;
possible identifiers in free text refused with a warning until the user confirms (audited); who may
post (404 for a case the user may not see, 403 for one they may only read)."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from casework import choices
from casework.audit import Action
from casework.models import Assessment, AuditEvent, CaseNote, LegalProceeding, Referral
from policies.models import LegalFramework
from tests.factories import (
    CaseFactory,
    CountryFactory,
    LegalFrameworkFactory,
    ProvisionFactory,
    ServiceProviderFactory,
    ServiceTypeFactory,
)

PHONE_TEXT = "Visited the family. Her brother asked us to call him on +7 701 123 45 67 next week."
CONFIRM = "I have checked: this text identifies no one"


def today():
    return timezone.localdate()


def days_ago(days):
    return today() - datetime.timedelta(days=days)


def add_url(case, kind):
    return reverse(f"casework:{kind}-add", kwargs={"reference": case.reference})


def case_url(case):
    return reverse("casework:case-detail", kwargs={"reference": case.reference})


def events(action):
    return list(AuditEvent.objects.filter(action=action))


@pytest.fixture
def case(caseworker_a):
    return CaseFactory(organisation=caseworker_a.organisation, assigned_to=caseworker_a)


@pytest.fixture
def signed_in(client, caseworker_a):
    client.force_login(caseworker_a)
    return client


def note_data(**overrides):
    return {
        "contact_on": days_ago(1).isoformat(),
        "contact_type": choices.ContactType.HOME_VISIT,
        "text": "Home visit: the children have started school and the family is settling in.",
        **overrides,
    }


# --- Notes ----------------------------------------------------------------------------------------------


def test_good_note_is_saved_audited_and_the_user_sent_back_to_the_timeline(signed_in, caseworker_a, case):
    response = signed_in.post(add_url(case, "note"), note_data(restricted="on"), REMOTE_ADDR="192.0.2.9")
    assert response.status_code == 302
    assert response.url == case_url(case) + "#timeline"
    note = CaseNote.objects.get()
    assert (note.case, note.author, note.contact_on, note.restricted) == (
        case,
        caseworker_a,
        days_ago(1),
        True,
    )
    [created] = events(Action.CREATE)
    assert (created.actor, created.case_reference, created.object_type, created.object_id) == (
        caseworker_a,
        case.reference,
        "casenote",
        str(note.pk),
    )
    assert created.ip_address == "192.0.2.9"
    assert created.details["text"] == "changed"  # the words never enter the trail
    assert created.details["restricted"] == {"old": None, "new": True}
    assert not events(Action.IDENTIFIERS_CONFIRMED)
    assert "The note was added." in signed_in.get(response.url).content.decode()


def test_note_with_bad_input_is_kept_with_the_errors_named_and_nothing_saved(signed_in, case):
    future = (today() + datetime.timedelta(days=2)).isoformat()
    text = "A long note the caseworker typed on the bus, which must not be lost."
    response = signed_in.post(add_url(case, "note"), note_data(contact_on=future, contact_type="", text=text))
    assert response.status_code == 200
    page = response.content.decode()
    assert "A contact cannot be in the future." in page
    assert "This field is required." in page
    assert text in page and future in page  # what was typed is still there
    assert "Nothing was saved" in page and 'href="#note-contact_on"' in page  # the error summary
    assert not CaseNote.objects.exists()
    assert not events(Action.CREATE)


def test_note_with_a_phone_number_is_refused_with_a_warning_then_saved_once_confirmed(
    signed_in, caseworker_a, case
):
    response = signed_in.post(add_url(case, "note"), note_data(text=PHONE_TEXT))
    assert response.status_code == 200
    page = response.content.decode()
    assert "This text looks like it contains a phone number." in page
    assert PHONE_TEXT in page
    assert CONFIRM in page and 'name="confirm_no_identifiers"' in page
    assert not CaseNote.objects.exists()

    response = signed_in.post(add_url(case, "note"), note_data(text=PHONE_TEXT, confirm_no_identifiers="on"))
    assert response.status_code == 302
    note = CaseNote.objects.get()
    assert note.text == PHONE_TEXT
    [confirmed] = events(Action.IDENTIFIERS_CONFIRMED)
    assert (confirmed.actor, confirmed.case_reference, confirmed.object_type, confirmed.object_id) == (
        caseworker_a,
        case.reference,
        "casenote",
        str(note.pk),
    )
    assert confirmed.details == {"fields": ["text"]}
    assert "701" not in str(AuditEvent.objects.values_list("details", flat=True))


def test_confirmation_is_offered_only_after_a_warning(signed_in, case):
    assert CONFIRM not in signed_in.get(case_url(case)).content.decode()
    assert CONFIRM not in signed_in.get(add_url(case, "note")).content.decode()
    page = signed_in.post(add_url(case, "note"), note_data(contact_type="")).content.decode()
    assert CONFIRM not in page


def test_ticking_the_confirmation_over_harmless_text_records_no_confirmation(signed_in, case):
    response = signed_in.post(add_url(case, "note"), note_data(confirm_no_identifiers="on"))
    assert response.status_code == 302
    assert CaseNote.objects.count() == 1
    assert not events(Action.IDENTIFIERS_CONFIRMED)


def test_confirmed_text_with_another_error_keeps_the_tick_and_saves_nothing(signed_in, case):
    future = (today() + datetime.timedelta(days=1)).isoformat()
    response = signed_in.post(
        add_url(case, "note"), note_data(text=PHONE_TEXT, contact_on=future, confirm_no_identifiers="on")
    )
    page = response.content.decode()
    assert "A contact cannot be in the future." in page
    [tick] = re.findall(r'<input type="checkbox" name="confirm_no_identifiers"[^>]*>', page)
    assert "checked" in tick
    assert not CaseNote.objects.exists()
    assert not events(Action.IDENTIFIERS_CONFIRMED)


def test_form_page_answers_a_get_with_an_empty_form(signed_in, case):
    response = signed_in.get(add_url(case, "note"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="text"' in page and f'href="{case_url(case)}"' in page
    [view] = events(Action.VIEW)
    assert view.details == {"page": "note-add"}


# --- Referrals ------------------------------------------------------------------------------------------


@pytest.fixture
def service():
    return ServiceTypeFactory(name="Psychosocial support")


def test_planned_referral_is_saved_and_audited(signed_in, caseworker_a, case, service):
    provider = ServiceProviderFactory(service_types=[service])
    response = signed_in.post(
        add_url(case, "referral"), {"service_type": service.pk, "provider": provider.pk}
    )
    assert response.status_code == 302 and response.url.endswith("#referrals")
    referral = Referral.objects.get()
    assert (referral.status, referral.provider, referral.referred_on, referral.created_by) == (
        choices.ReferralStatus.PLANNED,
        provider,
        None,
        caseworker_a,
    )
    [created] = events(Action.CREATE)
    assert created.object_type == "referral"
    assert created.details["status"] == {"old": None, "new": "planned"}
    assert created.details["provider"] == {"old": None, "new": provider.pk}


def test_referral_with_a_date_is_saved_as_referred(signed_in, case, service):
    response = signed_in.post(
        add_url(case, "referral"), {"service_type": service.pk, "referred_on": days_ago(3).isoformat()}
    )
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert (referral.status, referral.referred_on) == (choices.ReferralStatus.REFERRED, days_ago(3))


def test_provider_that_does_not_offer_the_service_is_refused_on_the_server(signed_in, case, service):
    other = ServiceTypeFactory(name="Vocational training")
    provider = ServiceProviderFactory(name="Training centre", service_types=[other])
    response = signed_in.post(
        add_url(case, "referral"), {"service_type": service.pk, "provider": provider.pk}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "This provider does not offer this service." in page
    assert f'<option value="{provider.pk}" selected>' in page  # the choice is kept
    assert not Referral.objects.exists()


def test_referral_in_the_future_is_refused(signed_in, case, service):
    future = (today() + datetime.timedelta(days=5)).isoformat()
    response = signed_in.post(add_url(case, "referral"), {"service_type": service.pk, "referred_on": future})
    assert "This date cannot be in the future." in response.content.decode()
    assert not Referral.objects.exists()


def test_providers_are_listed_by_country_with_what_they_offer(signed_in, case, service):
    ServiceProviderFactory(name="Kazakh clinic", service_types=[service], country=CountryFactory(code="KZ"))
    ServiceProviderFactory(name="Tajik clinic", service_types=[service], country=CountryFactory(code="TJ"))
    page = signed_in.get(add_url(case, "referral")).content.decode()
    assert 'optgroup label="Kazakhstan"' in page and "Kazakh clinic (Psychosocial support)" in page
    assert page.index("Kazakh clinic") < page.index("Tajik clinic")  # the case's country first


# --- Assessments ----------------------------------------------------------------------------------------


def assessment_data(**scores):
    return {"assessed_on": days_ago(2).isoformat(), **scores}


def test_assessment_is_saved_with_its_scores_and_audited(signed_in, caseworker_a, case):
    response = signed_in.post(add_url(case, "assessment"), assessment_data(psychosocial="2", livelihood="4"))
    assert response.status_code == 302 and response.url.endswith("#assessments")
    assessment = Assessment.objects.get()
    assert (assessment.psychosocial, assessment.livelihood, assessment.health) == (2, 4, None)
    assert assessment.assessed_by == caseworker_a
    [created] = events(Action.CREATE)
    assert created.object_type == "assessment"
    assert created.details["livelihood"] == {"old": None, "new": 4}
    assert "health" not in created.details


def test_assessment_without_any_score_is_refused_and_kept(signed_in, case):
    response = signed_in.post(add_url(case, "assessment"), assessment_data())
    assert response.status_code == 200
    page = response.content.decode()
    assert "Score at least one domain." in page
    assert days_ago(2).isoformat() in page
    assert not Assessment.objects.exists()


def test_score_out_of_range_is_refused_naming_the_domain(signed_in, case):
    response = signed_in.post(add_url(case, "assessment"), assessment_data(health="7", housing="3"))
    page = response.content.decode()
    assert "Select a valid choice." in page
    assert 'href="#assessment-health_0">Health:' in page
    # The other scores are kept.
    assert re.search(r'<input type="radio" name="housing" value="3" [^>]*checked', page)
    assert not Assessment.objects.exists()


# --- Legal proceedings ----------------------------------------------------------------------------------


@pytest.fixture
def framework(case):
    return LegalFrameworkFactory(country=case.citizenship, title="Criminal Code of Kazakhstan")


def proceeding_data(framework, **overrides):
    return {
        "framework": framework.pk,
        "stage": choices.ProceedingStage.INVESTIGATION,
        "started_on": days_ago(20).isoformat(),
        **overrides,
    }


def test_proceeding_is_saved_and_audited(signed_in, case, framework):
    provision = ProvisionFactory(framework=framework)
    response = signed_in.post(add_url(case, "proceeding"), proceeding_data(framework, provision=provision.pk))
    assert response.status_code == 302 and response.url.endswith("#proceedings")
    proceeding = LegalProceeding.objects.get()
    assert (proceeding.framework, proceeding.provision, proceeding.case) == (framework, provision, case)
    [created] = events(Action.CREATE)
    assert created.object_type == "legalproceeding"
    assert created.details["framework"] == {"old": None, "new": framework.pk}


def test_framework_of_another_country_is_refused_on_the_server(signed_in, case, framework):
    foreign = LegalFrameworkFactory(country=CountryFactory(code="UZ"), title="Criminal Code of Uzbekistan")
    page = signed_in.get(add_url(case, "proceeding")).content.decode()
    assert "Criminal Code of Kazakhstan" in page and "Criminal Code of Uzbekistan" not in page
    response = signed_in.post(add_url(case, "proceeding"), proceeding_data(foreign))
    assert "Select a valid choice." in response.content.decode()
    assert not LegalProceeding.objects.exists()


def test_agreement_the_case_country_is_party_to_is_offered_and_accepted(signed_in, case):
    agreement = LegalFrameworkFactory(
        country=CountryFactory(code="UZ"), kind=LegalFramework.Kind.AGREEMENT, title="CSTO arrangement"
    )
    agreement.parties.add(case.citizenship)
    assert "CSTO arrangement" in signed_in.get(add_url(case, "proceeding")).content.decode()
    response = signed_in.post(add_url(case, "proceeding"), proceeding_data(agreement))
    assert response.status_code == 302
    assert LegalProceeding.objects.get().framework == agreement


def test_provision_of_another_framework_is_refused(signed_in, case, framework):
    other = LegalFrameworkFactory(country=case.citizenship, title="Amnesty law")
    provision = ProvisionFactory(framework=other)
    response = signed_in.post(add_url(case, "proceeding"), proceeding_data(framework, provision=provision.pk))
    assert "This provision is not part of the chosen framework." in response.content.decode()
    assert not LegalProceeding.objects.exists()


def test_finished_proceeding_without_an_end_date_is_refused_and_kept(signed_in, case, framework):
    response = signed_in.post(
        add_url(case, "proceeding"),
        proceeding_data(
            framework, stage=choices.ProceedingStage.AMNESTIED, outcome="Amnestied after review."
        ),
    )
    page = response.content.decode()
    assert "A finished proceeding needs the date it ended." in page
    assert "Amnestied after review." in page
    assert not LegalProceeding.objects.exists()


def test_proceeding_outcome_with_an_email_address_needs_confirmation(signed_in, case, framework):
    outcome = "Lawyer reachable at defence.office@example.org for the appeal."
    response = signed_in.post(add_url(case, "proceeding"), proceeding_data(framework, outcome=outcome))
    page = response.content.decode()
    assert "an e-mail address" in page and outcome in page and CONFIRM in page
    assert not LegalProceeding.objects.exists()
    response = signed_in.post(
        add_url(case, "proceeding"), proceeding_data(framework, outcome=outcome, confirm_no_identifiers="on")
    )
    assert response.status_code == 302
    [confirmed] = events(Action.IDENTIFIERS_CONFIRMED)
    assert confirmed.details == {"fields": ["outcome"]}
    assert confirmed.object_type == "legalproceeding"


# --- Who may post ---------------------------------------------------------------------------------------

KINDS = ("note", "referral", "assessment", "proceeding")


@pytest.mark.parametrize("kind", KINDS)
def test_organisation_administrator_is_refused_with_403_and_the_refusal_recorded(
    client, orgadmin_a, case, service, framework, kind
):
    client.force_login(orgadmin_a)
    data = {
        "note": note_data(),
        "referral": {"service_type": service.pk},
        "assessment": assessment_data(health="3"),
        "proceeding": proceeding_data(framework),
    }[kind]
    assert client.post(add_url(case, kind), data).status_code == 403
    assert client.get(add_url(case, kind)).status_code == 403
    assert len(events(Action.DENIED)) == 2
    assert not events(Action.CREATE)
    assert not (
        CaseNote.objects.exists()
        or Referral.objects.exists()
        or Assessment.objects.exists()
        or LegalProceeding.objects.exists()
    )


@pytest.mark.parametrize("who", ["colleague_a", "caseworker_b", "analyst", "auditor"])
@pytest.mark.parametrize("kind", KINDS)
def test_who_may_not_see_the_case_gets_404_without_the_reference(client, request, case, who, kind):
    client.force_login(request.getfixturevalue(who))
    response = client.post(add_url(case, kind), note_data())
    assert response.status_code == 404
    assert case.reference not in response.content.decode()
    assert not CaseNote.objects.exists()
    assert len(events(Action.NOT_FOUND)) == 1


def test_anonymous_post_is_sent_to_sign_in_and_nothing_saved(client, case):
    response = client.post(add_url(case, "note"), note_data())
    assert response.status_code == 302 and "/accounts/login/" in response.url
    assert not CaseNote.objects.exists()


def test_caseworker_may_not_add_to_a_closed_case_but_a_supervisor_may(
    client, caseworker_a, supervisor_a, case
):
    case.status = choices.CaseStatus.CLOSED
    case.closed_on = days_ago(1)
    case.closure_reason = choices.ClosureReason.REINTEGRATED
    case.save()
    client.force_login(caseworker_a)
    assert client.post(add_url(case, "note"), note_data()).status_code == 403
    client.force_login(supervisor_a)
    assert client.post(add_url(case, "note"), note_data()).status_code == 302
    assert CaseNote.objects.get().author == supervisor_a


def test_supervisor_and_system_administrator_may_add(client, supervisor_a, superuser, case):
    for user in (supervisor_a, superuser):
        client.force_login(user)
        assert client.post(add_url(case, "note"), note_data()).status_code == 302
    assert CaseNote.objects.count() == 2

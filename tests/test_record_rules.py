"""Rules of what is recorded on a case (notes, referrals, assessments, legal proceedings), each enforced by
model validation with the error on the field to correct and the message the user reads there."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from casework import choices
from casework.models import Assessment, Case, CaseNote, Household, LegalProceeding, Referral
from casework.models.services import ALLOWED_DATES, REFERRAL_DATES, REQUIRED_DATES
from policies.models import LegalFramework
from tests.factories import (
    AssessmentFactory,
    CaseFactory,
    CaseNoteFactory,
    CountryFactory,
    LegalFrameworkFactory,
    LegalProceedingFactory,
    ProvisionFactory,
    ReferralFactory,
    RegionFactory,
    ServiceProviderFactory,
    ServiceTypeFactory,
)

pytestmark = pytest.mark.django_db

RS = choices.ReferralStatus
STAGE = choices.ProceedingStage


def errors(instance) -> dict[str, str]:
    """The messages `full_clean()` shows, joined per field."""
    with pytest.raises(ValidationError) as excinfo:
        instance.full_clean()
    return {field: " ".join(messages) for field, messages in excinfo.value.message_dict.items()}


def today() -> datetime.date:
    return timezone.localdate()


def days_ago(days: int) -> datetime.date:
    return today() - datetime.timedelta(days=days)


# Referral dates follow the order of the status: referred → accepted → started → ended.
DATES_IN_ORDER = {"referred_on": days_ago(40), "accepted_on": days_ago(35), "started_on": days_ago(30)}
DATES_IN_ORDER["ended_on"] = days_ago(10)


def referral(status: RS, **overrides) -> Referral:
    dates = {
        field: DATES_IN_ORDER[field] if field in REQUIRED_DATES[status] else None for field in REFERRAL_DATES
    }
    return ReferralFactory(status=status, **{**dates, **overrides})


# Case notes


def test_note_about_a_contact_in_the_future_is_refused_naming_the_field():
    note = CaseNoteFactory(contact_on=today() + datetime.timedelta(days=1))
    assert "A contact cannot be in the future." in errors(note)["contact_on"]


@pytest.mark.parametrize("text", ["", "   \n "])
def test_empty_note_is_refused_with_one_message(text):
    note = CaseNoteFactory()
    note.text = text
    with pytest.raises(ValidationError) as excinfo:
        note.full_clean()
    assert len(excinfo.value.message_dict["text"]) == 1


def test_note_of_blanks_is_refused_naming_the_field():
    note = CaseNoteFactory()
    note.text = "   "
    assert "Write the note." in errors(note)["text"]


# Referrals


@pytest.mark.parametrize("status", list(RS))
def test_referral_with_the_dates_its_status_requires_is_accepted(status):
    referral(status).full_clean()


@pytest.mark.parametrize(
    ("status", "date_field"),
    [(status, field) for status in RS for field in REQUIRED_DATES[status]],
    ids=str,
)
def test_referral_missing_a_date_its_status_requires_is_refused_naming_the_field(status, date_field):
    instance = referral(status, **{date_field: None})
    assert f"A referral with status “{status.label}” needs this date." in errors(instance)[date_field]


@pytest.mark.parametrize(
    ("status", "date_field"),
    [(status, field) for status in RS for field in REFERRAL_DATES if field not in ALLOWED_DATES[status]],
    ids=str,
)
def test_referral_with_a_date_its_status_has_not_reached_is_refused_naming_the_field(status, date_field):
    instance = referral(status, **{date_field: DATES_IN_ORDER[date_field]})
    assert f"A referral with status “{status.label}” has no such date yet." in errors(instance)[date_field]


@pytest.mark.parametrize(
    "dates",
    [
        {"ended_on": days_ago(1)},
        {"referred_on": days_ago(9), "ended_on": days_ago(1)},
        {"referred_on": days_ago(9), "accepted_on": days_ago(5), "ended_on": days_ago(1)},
        DATES_IN_ORDER,
    ],
)
def test_cancelled_referral_keeps_the_dates_it_reached_before_cancellation(dates):
    instance = referral(RS.CANCELLED)
    for field, value in dates.items():
        setattr(instance, field, value)
    instance.full_clean()


@pytest.mark.parametrize(
    ("date_field", "earlier"),
    [("accepted_on", "referred on"), ("started_on", "accepted on"), ("ended_on", "service started on")],
)
def test_referral_date_before_the_previous_step_is_refused_naming_the_field(date_field, earlier):
    instance = referral(RS.COMPLETED)
    previous = REFERRAL_DATES[REFERRAL_DATES.index(date_field) - 1]
    setattr(instance, date_field, getattr(instance, previous) - datetime.timedelta(days=1))
    assert f"This date cannot be before the {earlier} date." in errors(instance)[date_field]


def test_referral_dates_on_the_same_day_are_accepted():
    referral(RS.COMPLETED, **dict.fromkeys(REFERRAL_DATES, days_ago(3))).full_clean()


def test_referral_date_order_skips_dates_not_recorded():
    instance = referral(RS.CANCELLED, referred_on=days_ago(5), started_on=days_ago(9), ended_on=days_ago(1))
    assert "This date cannot be before the referred on date." in errors(instance)["started_on"]


@pytest.mark.parametrize("date_field", REFERRAL_DATES)
def test_referral_date_in_the_future_is_refused_naming_the_field(date_field):
    instance = referral(RS.COMPLETED, **{date_field: today() + datetime.timedelta(days=1)})
    assert "This date cannot be in the future." in errors(instance)[date_field]


@pytest.mark.parametrize("status", choices.OPEN_REFERRAL_STATUSES)
def test_outcome_of_a_referral_that_has_not_ended_is_refused_naming_the_field(status):
    instance = referral(status, outcome=choices.ReferralOutcome.GOALS_MET)
    assert "An outcome is recorded only once the referral has ended." in errors(instance)["outcome"]


@pytest.mark.parametrize("status", [RS.COMPLETED, RS.DECLINED, RS.DROPPED_OUT, RS.CANCELLED])
def test_outcome_of_an_ended_referral_is_accepted(status):
    referral(status, outcome=choices.ReferralOutcome.PARTLY_MET).full_clean()


def test_provider_that_does_not_offer_the_service_is_refused_naming_the_field():
    instance = referral(RS.REFERRED)
    instance.provider = ServiceProviderFactory(service_types=[ServiceTypeFactory()])
    assert "This provider does not offer this service." in errors(instance)["provider"]


def test_provider_that_offers_the_service_is_accepted():
    instance = referral(RS.REFERRED)
    instance.provider = ServiceProviderFactory(service_types=[ServiceTypeFactory(), instance.service_type])
    instance.full_clean()


def test_provider_region_outside_its_country_is_refused_naming_the_field():
    provider = ServiceProviderFactory(region=RegionFactory(country=CountryFactory(code="UZ")))
    assert "This region is not in the provider's country." in errors(provider)["region"]


# Assessments

DOMAINS = [domain.value for domain in choices.AssessmentDomain]


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize(
    ("score", "message"),
    [(0, "greater than or equal to 1"), (6, "less than or equal to 5")],
)
def test_score_outside_1_to_5_is_refused_naming_the_domain(domain, score, message):
    assessment = AssessmentFactory(**{domain: score})
    assert message in errors(assessment)[domain]


@pytest.mark.parametrize("score", [1, 2, 3, 4, 5])
def test_scores_from_1_to_5_are_accepted(score):
    AssessmentFactory(**dict.fromkeys(DOMAINS, score)).full_clean()


def test_assessment_without_any_score_is_refused_naming_the_first_domain():
    assessment = AssessmentFactory(**dict.fromkeys(DOMAINS))
    assert "Score at least one domain." in errors(assessment)["psychosocial"]


@pytest.mark.parametrize("domain", DOMAINS)
def test_assessment_of_one_domain_only_is_accepted(domain):
    AssessmentFactory(**{**dict.fromkeys(DOMAINS), domain: 3}).full_clean()


def test_assessment_dated_in_the_future_is_refused_naming_the_field():
    assessment = AssessmentFactory(assessed_on=today() + datetime.timedelta(days=1))
    assert "An assessment cannot be dated in the future." in errors(assessment)["assessed_on"]


# Legal proceedings


def test_provision_of_another_framework_is_refused_naming_the_field():
    proceeding = LegalProceedingFactory()
    proceeding.provision = ProvisionFactory(
        framework=LegalFrameworkFactory(country=proceeding.case.citizenship)
    )
    assert "This provision is not part of the chosen framework." in errors(proceeding)["provision"]


def test_proceeding_without_a_provision_is_accepted():
    LegalProceedingFactory(provision=None).full_clean()


def test_framework_of_a_country_that_is_neither_citizenship_nor_residence_is_refused_naming_the_field():
    proceeding = LegalProceedingFactory()
    proceeding.framework = LegalFrameworkFactory(country=CountryFactory(code="UZ"))
    proceeding.provision = None
    message = "This framework is not of the case's country of citizenship or residence."
    assert message in errors(proceeding)["framework"]


def test_framework_of_the_country_of_residence_is_accepted():
    case = CaseFactory(citizenship=CountryFactory(code="TJ"), residence_country=CountryFactory(code="KZ"))
    LegalProceedingFactory(
        case=case, framework=LegalFrameworkFactory(country=case.residence_country)
    ).full_clean()


def agreement(*parties, country=None) -> LegalFramework:
    framework = LegalFrameworkFactory(country=country, kind=LegalFramework.Kind.AGREEMENT)
    framework.parties.set(parties)
    return framework


@pytest.mark.parametrize("party", ["citizenship", "residence_country"])
def test_agreement_to_which_the_case_country_is_party_is_accepted(party):
    case = CaseFactory(citizenship=CountryFactory(code="TJ"), residence_country=CountryFactory(code="KZ"))
    framework = agreement(getattr(case, party), CountryFactory(code="KG"))
    LegalProceedingFactory(case=case, framework=framework, provision=None).full_clean()


def test_agreement_to_which_the_case_countries_are_not_party_is_refused_naming_the_field():
    case = CaseFactory(citizenship=CountryFactory(code="TJ"))
    proceeding = LegalProceedingFactory(
        case=case, framework=agreement(CountryFactory(code="KG")), provision=None
    )
    assert "not of the case's country of citizenship or residence" in errors(proceeding)["framework"]


def test_agreement_recorded_under_one_country_applies_to_all_its_parties():
    case = CaseFactory(citizenship=CountryFactory(code="TJ"))
    framework = agreement(CountryFactory(code="KZ"), case.citizenship, country=CountryFactory(code="KZ"))
    LegalProceedingFactory(case=case, framework=framework, provision=None).full_clean()


@pytest.mark.parametrize("stage", choices.FINAL_PROCEEDING_STAGES)
def test_final_stage_without_end_date_is_refused_naming_the_field(stage):
    proceeding = LegalProceedingFactory(stage=stage, ended_on=None)
    assert "A finished proceeding needs the date it ended." in errors(proceeding)["ended_on"]


@pytest.mark.parametrize("stage", choices.FINAL_PROCEEDING_STAGES)
def test_final_stage_ending_before_it_started_is_refused_naming_the_field(stage):
    proceeding = LegalProceedingFactory(stage=stage, started_on=days_ago(10), ended_on=days_ago(11))
    assert "A proceeding cannot end before it started." in errors(proceeding)["ended_on"]


@pytest.mark.parametrize("stage", choices.FINAL_PROCEEDING_STAGES)
def test_final_stage_ending_on_or_after_its_start_is_accepted(stage):
    LegalProceedingFactory(stage=stage, started_on=days_ago(10), ended_on=days_ago(10)).full_clean()
    LegalProceedingFactory(stage=stage, started_on=days_ago(10), ended_on=days_ago(2)).full_clean()


@pytest.mark.parametrize("stage", [s for s in STAGE if s not in choices.FINAL_PROCEEDING_STAGES])
def test_stage_still_running_needs_no_end_date(stage):
    LegalProceedingFactory(stage=stage, ended_on=None).full_clean()


def test_proceeding_starting_in_the_future_is_refused_naming_the_field():
    proceeding = LegalProceedingFactory(started_on=today() + datetime.timedelta(days=1))
    assert "A proceeding cannot start in the future." in errors(proceeding)["started_on"]


def test_proceeding_ending_in_the_future_is_refused_naming_the_field():
    proceeding = LegalProceedingFactory(stage=STAGE.COMPLETED, ended_on=today() + datetime.timedelta(days=1))
    assert "This date cannot be in the future." in errors(proceeding)["ended_on"]


# Free text is screened for identifiers (DESIGN §3.1)

FREE_TEXT = [
    pytest.param(CaseNoteFactory, "text", id="note-text"),
    pytest.param(ReferralFactory, "outcome_note", id="referral-outcome_note"),
    pytest.param(LegalProceedingFactory, "outcome", id="proceeding-outcome"),
]
IDENTIFIERS = [
    pytest.param("Her brother's number is +7 701 123 45 67.", "a phone number", id="phone"),
    pytest.param("Write to her at aigerim.k@example.org", "an e-mail address", id="email"),
    pytest.param("Passport AB1234567 was returned to the family.", "a passport or ID number", id="passport"),
    pytest.param("Born 12.03.1990 in Osh.", "a full date (a possible date of birth)", id="date"),
]


@pytest.mark.parametrize(("factory", "field"), FREE_TEXT)
@pytest.mark.parametrize(("text", "what"), IDENTIFIERS)
def test_free_text_with_an_identifier_is_refused_naming_the_field(factory, field, text, what):
    record = factory(**{field: text})
    message = errors(record)[field]
    assert f"This text looks like it contains {what}." in message
    assert "Remove it, or confirm that it does not identify anyone." in message


@pytest.mark.parametrize(("factory", "field"), FREE_TEXT)
@pytest.mark.parametrize(("text", "what"), IDENTIFIERS)
def test_free_text_with_an_identifier_is_accepted_once_the_user_confirmed_it(factory, field, text, what):
    record = factory(**{field: text})
    record.identifiers_confirmed = True
    record.full_clean()


@pytest.mark.parametrize(("factory", "field"), FREE_TEXT)
def test_free_text_naming_several_kinds_of_identifier_lists_them_all(factory, field):
    record = factory(**{field: "Call +992 93 123 4567 or write to n.r@example.tj"})
    message = errors(record)[field]
    assert "a phone number" in message
    assert "an e-mail address" in message


@pytest.mark.parametrize(("factory", "field"), FREE_TEXT)
def test_ordinary_free_text_is_accepted(factory, field):
    text = (
        "Visited 5 times in 2022 with 3 children; score 4/5 since 2019. Court hearing under Article 401 "
        "lasted 12 hours; grant of 15000 som paid. Linked to case K7QF-29XA."
    )
    factory(**{field: text}).full_clean()


def test_confirmation_applies_to_the_record_it_was_given_for_only():
    confirmed = CaseNoteFactory(text="Call +7 701 123 45 67")
    confirmed.identifiers_confirmed = True
    unconfirmed = CaseNoteFactory(case=confirmed.case, author=confirmed.author, text="Call +7 701 123 45 67")
    confirmed.full_clean()
    assert "a phone number" in errors(unconfirmed)["text"]


def free_text_fields(model) -> set[str]:
    return {
        field.name
        for field in model._meta.concrete_fields
        if field.editable
        and not field.choices
        and (isinstance(field, models.TextField) or type(field) is models.CharField)
    }


@pytest.mark.parametrize(
    "model", [Case, Household, CaseNote, Referral, Assessment, LegalProceeding], ids=lambda m: m.__name__
)
def test_every_free_text_field_of_a_case_and_its_records_is_screened(model):
    assert free_text_fields(model) == set(getattr(model, "screened_fields", ()))

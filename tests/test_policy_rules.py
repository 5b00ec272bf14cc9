"""Rules of the legal and programme landscape, each enforced by model validation with the error on the
field to correct and the message the administrator reads there."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from policies.models import Country, LegalFramework, ReportedFigure
from tests.factories import (
    LegalFrameworkFactory,
    ProgrammeFactory,
    ProvisionFactory,
    ReportedFigureFactory,
)

pytestmark = pytest.mark.django_db

Kind = LegalFramework.Kind
Status = LegalFramework.Status
Qualifier = ReportedFigure.Qualifier


def errors(instance) -> dict[str, str]:
    """The messages `full_clean()` shows, joined per field."""
    with pytest.raises(ValidationError) as excinfo:
        instance.full_clean()
    return {field: " ".join(messages) for field, messages in excinfo.value.message_dict.items()}


# Countries


@pytest.mark.parametrize("code", ["KAZ", "K", "K1", "12"])
def test_country_code_that_is_not_two_letters_is_refused_naming_the_field(code):
    country = Country(code=code, name="Somewhere")
    assert "Use the two-letter ISO 3166-1 code, e.g. KZ." in errors(country)["code"]


def test_country_code_is_stored_in_capitals():
    country = Country(code="tj", name="Tajikistan")
    country.full_clean()
    assert country.code == "TJ"


# Legal frameworks


@pytest.mark.parametrize("kind", [kind for kind in Kind if kind != Kind.AGREEMENT])
def test_national_framework_without_a_country_is_refused_naming_the_field(kind):
    framework = LegalFrameworkFactory(kind=kind, country=None)
    assert "A national framework needs its country." in errors(framework)["country"]


def test_regional_agreement_without_a_country_is_accepted():
    LegalFrameworkFactory(kind=Kind.AGREEMENT, country=None, title="CSTO arrangement").full_clean()


def test_repealed_framework_without_repeal_date_is_refused_naming_the_field():
    framework = LegalFrameworkFactory(status=Status.REPEALED, repealed_on=None)
    assert "A repealed framework needs the date it was repealed." in errors(framework)["repealed_on"]


@pytest.mark.parametrize("status", [status for status in Status if status != Status.REPEALED])
def test_repeal_date_on_a_framework_that_is_not_repealed_is_refused_naming_the_status(status):
    framework = LegalFrameworkFactory(status=status, repealed_on=datetime.date(2020, 1, 1))
    assert "Set the status to repealed, or clear the repeal date." in errors(framework)["status"]


def test_framework_repealed_before_it_was_adopted_is_refused_naming_the_field():
    framework = LegalFrameworkFactory(
        status=Status.REPEALED, adopted_on=datetime.date(2015, 6, 1), repealed_on=datetime.date(2015, 5, 31)
    )
    assert "A framework cannot be repealed before it was adopted." in errors(framework)["repealed_on"]


def test_repealed_framework_with_dates_in_order_is_accepted():
    LegalFrameworkFactory(
        status=Status.REPEALED, adopted_on=datetime.date(2015, 6, 1), repealed_on=datetime.date(2015, 6, 1)
    ).full_clean()


# Provisions


def test_provision_with_maximum_penalty_below_the_minimum_is_refused_naming_the_field():
    provision = ProvisionFactory(penalty_min_years=Decimal("8"), penalty_max_years=Decimal("5.5"))
    assert "The maximum penalty cannot be below the minimum." in errors(provision)["penalty_max_years"]


@pytest.mark.parametrize(
    ("minimum", "maximum"),
    [("5", "8"), ("5", "5"), (None, "15"), ("3", None), (None, None), ("0", "0.5")],
)
def test_provision_with_a_penalty_range_in_order_or_open_is_accepted(minimum, maximum):
    ProvisionFactory(
        penalty_min_years=minimum and Decimal(minimum), penalty_max_years=maximum and Decimal(maximum)
    ).full_clean()


@pytest.mark.parametrize("field", ["penalty_min_years", "penalty_max_years"])
def test_negative_penalty_is_refused_naming_the_field(field):
    provision = ProvisionFactory(**{field: Decimal("-1")})
    assert "greater than or equal to 0" in errors(provision)[field]


def test_provision_applies_to_several_groups_of_people():
    provision = ProvisionFactory(applies_to=["women", "minors"])
    provision.full_clean()
    provision.refresh_from_db()
    assert provision.applies_to == ["minors", "women"]


# Programmes


def test_programme_ending_before_it_starts_is_refused_naming_the_field():
    programme = ProgrammeFactory(start_year=2019, end_year=2018)
    assert "A programme cannot end before it starts." in errors(programme)["end_year"]


@pytest.mark.parametrize("end_year", [2019, 2021, None])
def test_programme_ending_in_or_after_its_start_year_or_ongoing_is_accepted(end_year):
    ProgrammeFactory(start_year=2019, end_year=end_year).full_clean()


@pytest.mark.parametrize("field", ["start_year", "end_year"])
def test_programme_year_before_1990_is_refused_naming_the_field(field):
    programme = ProgrammeFactory(**{"start_year": None, "end_year": None, field: 1989})
    assert "greater than or equal to 1990" in errors(programme)[field]


# Reported figures


def test_range_without_upper_value_is_refused_naming_the_field():
    figure = ReportedFigureFactory(qualifier=Qualifier.RANGE, value=4000, value_high=None)
    assert "A range needs its upper value." in errors(figure)["value_high"]


def test_range_with_upper_value_below_the_value_is_refused_naming_the_field():
    figure = ReportedFigureFactory(qualifier=Qualifier.RANGE, value=5000, value_high=4000)
    assert "The upper value must not be below the value." in errors(figure)["value_high"]


@pytest.mark.parametrize("value_high", [5000, 4000])
def test_range_with_upper_value_at_or_above_the_value_is_accepted(value_high):
    figure = ReportedFigureFactory(qualifier=Qualifier.RANGE, value=4000, value_high=value_high)
    figure.full_clean()


@pytest.mark.parametrize("qualifier", [q for q in Qualifier if q != Qualifier.RANGE])
def test_upper_value_on_a_figure_that_is_not_a_range_is_refused_naming_the_field(qualifier):
    figure = ReportedFigureFactory(qualifier=qualifier, value=600, value_high=700)
    assert "Only a range has an upper value." in errors(figure)["value_high"]


@pytest.mark.parametrize(
    ("qualifier", "value_high", "is_estimate", "shown"),
    [
        (Qualifier.RANGE, 5000, True, "4,000–5,000 (estimate)"),
        (Qualifier.MORE_THAN, None, False, "more than 4,000"),
        (Qualifier.ABOUT, None, True, "about 4,000 (estimate)"),
        (Qualifier.EXACT, None, False, "4,000"),
    ],
)
def test_figure_is_shown_with_its_qualifier_and_certainty(qualifier, value_high, is_estimate, shown):
    figure = ReportedFigureFactory(
        qualifier=qualifier, value=4000, value_high=value_high, is_estimate=is_estimate
    )
    assert figure.display_value == shown

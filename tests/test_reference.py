"""A case is known by a random reference: generated, never typed, unique, non-sequential, unrelated to
the person (DESIGN §3.1)."""

import re

import pytest
from django.core.exceptions import FieldError, ValidationError
from django.forms import modelform_factory

from casework.models import Case, Household
from casework.models.cases import REFERENCE_ALPHABET, new_reference
from tests.factories import CaseFactory, HouseholdFactory

REFERENCE_FORMAT = re.compile(rf"^[{REFERENCE_ALPHABET}]{{4}}-[{REFERENCE_ALPHABET}]{{4}}$")


def reference_as_number(reference: str) -> int:
    """The reference read as a base-27 number in the order of the alphabet."""
    value = 0
    for char in reference.replace("-", ""):
        value = value * len(REFERENCE_ALPHABET) + REFERENCE_ALPHABET.index(char)
    return value


@pytest.mark.parametrize("confusable", ["0O", "1IL", "8B", "5S", "2Z"])
def test_reference_alphabet_holds_at_most_one_of_characters_that_are_misread_when_copied(confusable):
    assert sum(char in REFERENCE_ALPHABET for char in confusable) <= 1


def test_reference_alphabet_has_upper_case_letters_and_digits_only_once_each():
    assert len(set(REFERENCE_ALPHABET)) == len(REFERENCE_ALPHABET)
    assert all(char.isdigit() or char.isupper() for char in REFERENCE_ALPHABET)


def test_generated_references_have_the_format_k7qf_29xa_from_the_reference_alphabet():
    for _ in range(500):
        assert REFERENCE_FORMAT.match(new_reference())


def test_generated_references_use_every_character_in_every_position():
    # A counter or a clock would leave most characters unused in the leading positions.
    references = [new_reference().replace("-", "") for _ in range(2000)]
    for position in range(8):
        assert {reference[position] for reference in references} == set(REFERENCE_ALPHABET)


def test_generated_references_do_not_repeat():
    references = [new_reference() for _ in range(5000)]
    assert len(set(references)) == len(references)


@pytest.mark.django_db
def test_a_new_case_gets_a_reference_without_anyone_typing_it():
    case = CaseFactory()
    case.refresh_from_db()
    assert REFERENCE_FORMAT.match(case.reference)
    assert str(case) == case.reference


@pytest.mark.django_db
def test_two_cases_with_the_same_profile_get_different_references():
    first = CaseFactory()
    second = CaseFactory(
        organisation=first.organisation,
        assigned_to=first.assigned_to,
        citizenship=first.citizenship,
    )
    assert first.reference != second.reference


@pytest.mark.django_db
def test_consecutive_cases_do_not_get_sequential_references(org_a, caseworker_a):
    references = [CaseFactory(organisation=org_a, assigned_to=caseworker_a).reference for _ in range(30)]
    numbers = [reference_as_number(reference) for reference in references]
    steps = [later - earlier for earlier, later in zip(numbers, numbers[1:], strict=False)]
    assert numbers != sorted(numbers)
    assert numbers != sorted(numbers, reverse=True)
    assert len(set(steps)) > 1
    # Random references in a space of 27^8 lie far apart; neighbours in a sequence would not.
    assert sum(abs(step) < 1000 for step in steps) == 0


@pytest.mark.django_db
def test_reference_does_not_change_when_the_case_is_edited():
    case = CaseFactory()
    reference = case.reference
    case.age_band = "35-44"
    case.full_clean()
    case.save()
    case.refresh_from_db()
    assert case.reference == reference


@pytest.mark.django_db
def test_duplicate_reference_is_refused_naming_the_field():
    existing = CaseFactory()
    duplicate = CaseFactory.build(
        organisation=existing.organisation,
        assigned_to=existing.assigned_to,
        citizenship=existing.citizenship,
        residence_country=existing.citizenship,
    )
    duplicate.reference = existing.reference
    with pytest.raises(ValidationError) as excinfo:
        duplicate.full_clean()
    assert "Case with this Reference already exists." in excinfo.value.message_dict["reference"]


@pytest.mark.parametrize("model", [Case, Household])
def test_reference_is_not_offered_in_forms(model):
    form_class = modelform_factory(model, fields="__all__")
    assert "reference" not in form_class.base_fields


@pytest.mark.parametrize("model", [Case, Household])
def test_a_form_cannot_be_built_to_type_a_reference(model):
    with pytest.raises(FieldError, match="non-editable field"):
        modelform_factory(model, fields=["reference"])


@pytest.mark.django_db
def test_households_get_random_unique_references_too():
    first, second = HouseholdFactory(), HouseholdFactory()
    assert REFERENCE_FORMAT.match(first.reference)
    assert first.reference != second.reference

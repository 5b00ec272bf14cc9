"""`casework.fields.MultipleChoiceField`: a set of choice codes that round-trips through the database and
is searched with `__has` in the same way on SQLite and PostgreSQL."""

import pytest
from django.core import serializers
from django.core.exceptions import ValidationError
from django.db import connection
from django.forms import CheckboxSelectMultiple, modelform_factory

from casework.choices import Driver, Vulnerability
from casework.fields import MultipleChoiceField
from casework.models import Case
from policies.models import Provision
from tests.factories import CaseFactory, ProvisionFactory

pytestmark = pytest.mark.django_db


def stored_text(case: Case) -> str:
    """What the database column holds, read without the field's conversion."""
    column = Case._meta.get_field("drivers").column
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {Case._meta.db_table} WHERE id = %s", [case.pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_a_list_of_codes_round_trips_through_the_database_as_a_sorted_set():
    case = CaseFactory(drivers=[Driver.IDEOLOGY, "family_ties", "ideology"])
    case.refresh_from_db()
    assert case.drivers == ["family_ties", "ideology"]
    assert stored_text(case) == ",family_ties,ideology,"


def test_an_empty_set_round_trips_as_an_empty_list():
    case = CaseFactory(drivers=[])
    case.refresh_from_db()
    assert case.drivers == []
    assert stored_text(case) == ""


def test_codes_given_as_stored_text_are_read_as_a_list():
    case = CaseFactory(drivers=",political,online_recruitment,")
    case.full_clean()
    case.refresh_from_db()
    assert case.drivers == ["online_recruitment", "political"]


@pytest.fixture
def cases_by_driver():
    ideology = CaseFactory(drivers=[Driver.IDEOLOGY])
    both = CaseFactory(drivers=[Driver.IDEOLOGY, Driver.LABOUR_MIGRATION])
    migration = CaseFactory(drivers=[Driver.LABOUR_MIGRATION], vulnerabilities=[Vulnerability.TRAUMA])
    none = CaseFactory(drivers=[])
    return ideology, both, migration, none


def test_has_finds_the_cases_with_a_given_driver(cases_by_driver):
    ideology, both, migration, _none = cases_by_driver
    assert set(Case.objects.filter(drivers__has="ideology")) == {ideology, both}
    assert set(Case.objects.filter(drivers__has=Driver.LABOUR_MIGRATION)) == {both, migration}


def test_has_finds_the_cases_with_a_given_vulnerability(cases_by_driver):
    migration = cases_by_driver[2]
    assert list(Case.objects.filter(vulnerabilities__has=Vulnerability.TRAUMA)) == [migration]
    assert not Case.objects.filter(vulnerabilities__has=Vulnerability.DISABILITY).exists()


def test_has_combines_with_other_lookups_and_exclusion(cases_by_driver):
    ideology, both, migration, none = cases_by_driver
    assert set(Case.objects.exclude(drivers__has="ideology")) == {migration, none}
    assert list(Case.objects.filter(drivers__has="ideology").filter(drivers__has="labour_migration")) == [
        both
    ]


def test_has_does_not_match_a_code_contained_in_another_code():
    women = ProvisionFactory(applies_to=[Provision.AppliesTo.WOMEN])
    men = ProvisionFactory(applies_to=[Provision.AppliesTo.MEN, Provision.AppliesTo.MINORS])
    assert "men" in "women"
    assert list(Provision.objects.filter(applies_to__has="men")) == [men]
    assert list(Provision.objects.filter(applies_to__has="women")) == [women]


@pytest.mark.parametrize("pattern", ["family_ties", "%", "_", "ideo%"])
def test_has_treats_like_wildcards_as_plain_characters(pattern):
    # Stored without validation: a code that matches only if "_" or "%" were wildcards.
    CaseFactory(drivers=["familyXties", "ideology", "political"])
    assert not Case.objects.filter(drivers__has=pattern).exists()


@pytest.mark.parametrize("pattern", ["ideology,political", ",ideology,", ""])
def test_has_matches_one_whole_code_only(pattern):
    case = CaseFactory(drivers=["ideology", "political"])
    assert not Case.objects.filter(drivers__has=pattern).exists()
    assert list(Case.objects.exclude(drivers__has=pattern)) == [case]


@pytest.mark.parametrize("codes", [["zz"], ["ideology", "zz"]])
def test_invalid_codes_are_refused_naming_the_field_and_the_code(codes):
    case = CaseFactory()
    case.drivers = codes
    with pytest.raises(ValidationError) as excinfo:
        case.full_clean()
    assert excinfo.value.message_dict["drivers"] == ["Value 'zz' is not a valid choice."]


def test_an_empty_set_is_refused_when_the_field_is_required():
    field = MultipleChoiceField(choices=Driver.choices)
    with pytest.raises(ValidationError, match="This field cannot be blank."):
        field.clean([], None)


def test_the_stored_text_is_held_to_the_maximum_length():
    field = MultipleChoiceField(choices=Driver.choices, max_length=15)
    assert field.clean(["ideology"], None) == ["ideology"]  # stored as ",ideology,"
    with pytest.raises(ValidationError, match="at most 15 characters"):
        field.clean(["ideology", "political"], None)


def test_a_form_offers_the_codes_as_checkboxes_and_returns_a_list():
    form_class = modelform_factory(Case, fields=["drivers"])
    assert isinstance(form_class.base_fields["drivers"].widget, CheckboxSelectMultiple)
    assert not form_class.base_fields["drivers"].required
    form = form_class(data={"drivers": ["political", "family_ties"]})
    assert form.is_valid(), form.errors
    assert sorted(form.cleaned_data["drivers"]) == ["family_ties", "political"]


def test_a_form_refuses_a_code_outside_the_choices():
    form = modelform_factory(Case, fields=["drivers"])(data={"drivers": ["political", "zz"]})
    assert not form.is_valid()
    assert "Select a valid choice. zz is not one of the available choices." in form.errors["drivers"]


def test_a_form_shows_the_stored_codes_ticked():
    case = CaseFactory(drivers=["ideology", "political"])
    case.refresh_from_db()
    form = modelform_factory(Case, fields=["drivers"])(instance=case)
    html = str(form["drivers"])
    assert html.count("checked") == 2


def test_codes_are_displayed_with_their_labels():
    field = Case._meta.get_field("drivers")
    assert field.display(["online_recruitment", "ideology"]) == ["Ideology", "Online recruitment"]


def test_codes_survive_serialisation():
    case = CaseFactory(drivers=["ideology", "political"])
    data = serializers.serialize("json", [case], fields=["drivers"])
    restored = next(serializers.deserialize("json", data)).object
    assert restored.drivers == ["ideology", "political"]

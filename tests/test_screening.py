"""`casework.screening`: free text is screened for likely identifiers (DESIGN §3.1). It must find them,
and it must let ordinary casework numbers pass, or people learn to ignore the warning."""

import pytest

from casework.models.cases import new_reference
from casework.screening import Finding, describe, screen

PHONE = "a phone number"
EMAIL = "an e-mail address"
DOCUMENT = "a passport or ID number"
DATE = "a full date (a possible date of birth)"


def kinds(text: str) -> list[str]:
    return [finding.kind for finding in screen(text)]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Her brother can be reached on +7 701 123 45 67.", "+7 701 123 45 67"),
        ("Mother's number: 8 (701) 123-45-67", "8 (701) 123-45-67"),
        ("Call +992 93 123 4567 after six.", "+992 93 123 4567"),
        ("tel. 8-701-123-45-67", "8-701-123-45-67"),
        ("WhatsApp +998901234567", "+998901234567"),
        ("mobile 87011234567", "87011234567"),
        ("+996 555 123 456", "+996 555 123 456"),
        ("(701) 123-45-67", "(701) 123-45-67"),
        ("tel:+7(701)1234567", "+7(701)1234567"),
        ("Office: 0 555 12 34 56", "0 555 12 34 56"),
        ("Telegram: tg 87011234567", "87011234567"),
    ],
)
def test_phone_numbers_in_the_formats_of_the_region_are_found(text, number):
    assert screen(text) == [Finding("phone", PHONE, number)]


@pytest.mark.parametrize(
    "address",
    ["aigerim.k@example.org", "Ivan_Petrov@mail.ru", "NGO.STAFF+cases@ngo.example.kz", "a@b.tj"],
)
def test_email_addresses_are_found(address):
    assert screen(f"She wrote from {address} yesterday.") == [Finding("email", EMAIL, address)]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Passport AB1234567 was returned.", "AB1234567"),
        ("Passport N 12345678, issued abroad", "N 12345678"),
        ("паспорт А 01234567", "А 01234567"),
        ("ID card AN-0123456", "AN-0123456"),
        ("certificate no. 1234567", "1234567"),
    ],
)
def test_passport_like_numbers_are_found(text, number):
    assert screen(text) == [Finding("document", DOCUMENT, number)]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("IIN 900312300123", "900312300123"),
        ("ИИН900312300123", "900312300123"),
        ("PINFL 30101901234567", "30101901234567"),
        ("her number 12345678901234 in the registry", "12345678901234"),
    ],
)
def test_id_like_long_runs_of_digits_are_found_as_id_numbers(text, number):
    assert screen(text) == [Finding("document", DOCUMENT, number)]


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("Born 12.03.1990 in Osh.", "12.03.1990"),
        ("DOB 1990-03-12", "1990-03-12"),
        ("born on 12/03/1990", "12/03/1990"),
        ("born 12-03-1990", "12-03-1990"),
        ("born 12.3.90", "12.3.90"),
        ("1990.03.12", "1990.03.12"),
        ("born 12 March 1990", "12 March 1990"),
        ("born 12th of March 1990", "12th of March 1990"),
        ("born 12-Mar-1990", "12-Mar-1990"),
        ("born March 12, 1990", "March 12, 1990"),
        ("born Mar 12 1990", "Mar 12 1990"),
        ("родился 12 марта 1990 года", "12 марта 1990"),
        ("родилась 5 января 2001 г.", "5 января 2001"),
        ("дата рождения 1 мая 1990", "1 мая 1990"),
        ("12-го сентября 1989", "12-го сентября 1989"),
        ("12.03.1990г.р.", "12.03.1990"),
    ],
)
def test_full_dates_that_could_be_dates_of_birth_are_found(text, date):
    assert screen(text) == [Finding("date", DATE, date)]


@pytest.mark.parametrize(
    "text",
    [
        "3 children",
        "Lives with her 3 children since 2019.",
        "since 2019",
        "room 214",
        "score 4/5",
        "scores 3/5, 4/5 and 2/5",
        "visited 5 times in 2022",
        "12 hours",
        "2–3 times a week",
        "2-3 times a week",
        "case K7QF-29XA",
        "Article 401",
        "Article 361-1, part 2",
        "Art. 307-2 of the Criminal Code of 2015",
        "aged 25-34",
        "15000 som",
        "grant of 1 500 000 som",
        "150000000 tenge",
        "USD 2000000",
        "30 000 000 KZT",
        "₸ 2500000",
        "paid 1200000 тг",
        "12 000 000 сомони",
        "March 2019",
        "returned in May 2019",
        "hearing on 12 March",
        "from 12.03 to 14.03",
        "12.03-14.03",
        "between 2014 and 2019",
        "in Syria 2014-2019",
        "2019-2020-2021",
        "at 10:00-12:00",
        "3.5 years",
        "the 1990s",
        "Grade 7, school No. 5",
        "2/3 of the family",
    ],
)
def test_ordinary_casework_numbers_pass(text):
    assert screen(text) == []


def test_case_references_never_look_like_identifiers():
    references = " ".join(new_reference() for _ in range(3000))
    assert screen(references) == []


def test_ordinary_note_passes():
    note = (
        "Home visit: 3 children, the eldest (aged 12-17) in grade 7 since 2019. Visited 5 times in 2022, "
        "12 hours of counselling, 2–3 times a week. Score 4/5. Grant of 15000 som. Article 401 hearing "
        "adjourned; see case K7QF-29XA."
    )
    assert screen(note) == []


def test_every_identifier_in_a_text_is_found_once():
    text = "Call +7 701 123 45 67 or write to a.b@example.org; passport AB1234567, born 12.03.1990."
    assert sorted(kinds(text)) == ["date", "document", "email", "phone"]


def test_a_phone_number_is_not_also_reported_as_an_id_number():
    assert kinds("87011234567") == ["phone"]


def test_words_an_organisation_lists_are_found_whole_and_in_any_case():
    findings = screen("Met Zarina's cousin near the bazaar.", listed_words=["zarina", "  ", "baz"])
    assert findings == [Finding("listed", "a word your organisation listed", "zarina")]


def test_empty_text_has_no_findings():
    assert screen("") == []
    assert screen(None) == []


def test_describe_names_each_kind_once_in_a_stable_order():
    findings = screen("+7 701 123 45 67, +7 701 765 43 21, a.b@example.org")
    assert describe(findings) == f"{PHONE}, {EMAIL}"
    assert describe([]) == ""

"""Screening of free text for likely identifiers (DESIGN §3.1).

Free text is where identities leak. Before a note or an outcome is stored, `screen()` looks for what
would identify a person: phone numbers, e-mail addresses, passport- and ID-card-like numbers, full dates
that could be dates of birth, and words an organisation lists. It errs towards warning, but ordinary
numbers in casework ("3 children", "since 2019", "room 214", "score 4/5", "15000 som") must pass, or
people learn to ignore the warning.
"""

import bisect
import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    "sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|"
    "январ[яь]|феврал[яь]|марта?|апрел[яь]|ма[яй]|июн[яь]|июл[яь]|августа?|сентябр[яь]|"
    "октябр[яь]|ноябр[яь]|декабр[яь]"
)

# Day-month-year with the same separator twice (12.03.1990, 12/03/90), or year-month-day.
NUMERIC_DATE = r"\d{1,2}([./-])\d{1,2}\1(?:19|20)?\d{2}|(?:19|20)\d{2}([./-])\d{1,2}\2\d{1,2}"
ORDINAL = r"(?:st|nd|rd|th|-?го|-?е)"

PATTERNS = (
    (
        "email",
        _("an e-mail address"),
        # Starting only where a run of such characters starts keeps this linear in the length of the
        # text: without the look-behind, every position of a long word is tried to its end.
        re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE),
    ),
    (
        "phone",
        _("a phone number"),
        # +7 701 123 45 67, 8 (701) 123-45-67, +992 93 123 4567: nine to fifteen digits, with a + or
        # separators. A bare run of twelve or more digits has no + to dial: it reads as an ID number.
        re.compile(
            r"(?<![\w/+(])(?:(?:\+|00)\d|\(?(?!\d{12})\d)(?:[\s().-]{0,2}\d){8,14}(?![\w/])",
        ),
    ),
    (
        "document",
        _("a passport or ID number"),
        # Letters followed by six or more digits (AB1234567, N 12345678), or a run of seven or more
        # digits (a personal ID number such as an IIN or PINFL), even when glued to a label (ИИН…).
        re.compile(r"\b[A-ZА-ЯЁ]{1,3}[\s-]?\d{6,10}(?!\d)|(?<![\d+])\d{7,16}(?!\d)"),
    ),
    (
        "date",
        _("a full date (a possible date of birth)"),
        re.compile(
            rf"(?<!\d)(?:{NUMERIC_DATE}"
            rf"|\d{{1,2}}{ORDINAL}?(?:\s+of)?[\s-]+(?:{MONTHS})\.?,?[\s-]+(?:19|20)\d{{2}}"
            rf"|(?:{MONTHS})\.?\s+\d{{1,2}}{ORDINAL}?,?\s+(?:19|20)\d{{2}})(?!\d)",
            re.IGNORECASE,
        ),
    ),
)

# Amounts of money are numbers too: "15000 som", "1 500 000 tenge", "USD 2000000" must pass. Only
# symbols and ISO codes count before a number: "tg 87011234567" is a Telegram contact, not tenge.
CURRENCY_CODES = r"usd|eur|kzt|uzs|tjs|kgs|rub|\$|€|₸|₽"
CURRENCY_WORDS = (
    r"soms?|somoni|sum|soum|tenge|tg|roubles?|rubles?|dollars?|euros?|"
    r"сом|сомони|сум|тенге|тг|руб|рублей|рубля|долларов"
)
MONEY_AFTER = re.compile(rf"\s*(?:{CURRENCY_CODES}|{CURRENCY_WORDS})(?!\w)", re.IGNORECASE)
MONEY_WINDOW = 40  # characters before a number searched for a currency
MONEY_BEFORE = re.compile(rf"(?<!\w)(?:{CURRENCY_CODES})\s*$", re.IGNORECASE)
# A list or range of years ("2019-2020-2021") has as many digits as a phone number.
YEARS = re.compile(r"(?:19|20)\d{2}(?:[\s/–-]+(?:19|20)\d{2})+")


def _is_amount_or_years(text: str, found: re.Match) -> bool:
    number = found.group(0)
    label = re.match(r"[^\W\d]*", number).group(0)  # "USD" in "USD 2000000"
    return bool(
        MONEY_AFTER.match(text, found.end())
        # A currency sits right before the number: a short window, not the whole text before it (which
        # made screening quadratic in the length of a text full of numbers).
        or MONEY_BEFORE.search(text[max(0, found.start() - MONEY_WINDOW) : found.start()] + label)
        or YEARS.fullmatch(number.strip())
    )


@dataclass(frozen=True)
class Finding:
    kind: str
    description: str
    match: str


def screen(text: str, listed_words: tuple[str, ...] | list[str] = ()) -> list[Finding]:
    """Return what in `text` looks like an identifier; an empty list means nothing was found."""
    if not text:
        return []
    findings: list[Finding] = []
    # A phone number also looks like a long document number: report each stretch once. `taken` holds the
    # stretches of the patterns before this one, disjoint and in order, so one bisection finds the only
    # one a new stretch could overlap: screening stays fast for a text with many numbers.
    taken: list[tuple[int, int]] = []
    for kind, description, pattern in PATTERNS:
        added: list[tuple[int, int]] = []
        for found in pattern.finditer(text):
            span = found.span()
            if kind in ("phone", "document") and _is_amount_or_years(text, found):
                continue
            before = bisect.bisect_left(taken, (span[1], -1)) - 1  # the last stretch starting before its end
            if before >= 0 and taken[before][1] > span[0]:
                continue
            added.append(span)  # one pattern's matches never overlap each other
            findings.append(Finding(kind, str(description), found.group(0).strip()))
        taken = sorted(taken + added)
    for word in listed_words:
        word = word.strip()
        if word and re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE):
            findings.append(Finding("listed", str(_("a word your organisation listed")), word))
    return findings


def describe(findings: list[Finding]) -> str:
    kinds = sorted({finding.description for finding in findings})
    return ", ".join(kinds)

"""Screening of free text for likely identifiers (DESIGN §3.1).

Free text is where identities leak. Before a note or an outcome is stored, `screen()` looks for what
would identify a person: phone numbers, e-mail addresses, passport- and ID-card-like numbers, full dates
that could be dates of birth, and words an organisation lists. It errs towards warning, but ordinary
numbers in casework ("3 children", "since 2019", "room 214", "score 4/5") must pass, or people learn
to ignore the warning.
"""

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    "sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|"
    "январ[яь]|феврал[яь]|марта?|апрел[яь]|ма[яй]|июн[яь]|июл[яь]|августа?|сентябр[яь]|"
    "октябр[яь]|ноябр[яь]|декабр[яь]"
)

PATTERNS = (
    (
        "email",
        _("an e-mail address"),
        re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE),
    ),
    (
        "phone",
        _("a phone number"),
        # +7 701 123 45 67, 8 (701) 123-45-67, +992 93 123 4567: nine or more digits with separators.
        re.compile(r"(?<![\w/])(?:\+|00)?\d(?:[\s().-]{0,2}\d){8,14}(?![\w/])"),
    ),
    (
        "document",
        _("a passport or ID number"),
        # Letters followed by six or more digits (AB1234567, N 12345678), or a long run of digits.
        re.compile(r"\b(?:[A-ZА-Я]{1,3}[\s-]?\d{6,10}|\d{7,14})\b"),
    ),
    (
        "date",
        _("a full date (a possible date of birth)"),
        re.compile(
            r"\b(?:\d{1,2}[./-]\d{1,2}[./-](?:19|20)?\d{2}"
            r"|(?:19|20)\d{2}[./-]\d{1,2}[./-]\d{1,2}"
            rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{MONTHS})\.?,?\s+(?:19|20)\d{{2}}"
            rf"|(?:{MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{{2}})\b",
            re.IGNORECASE,
        ),
    ),
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
    taken: list[tuple[int, int]] = []
    for kind, description, pattern in PATTERNS:
        for found in pattern.finditer(text):
            span = found.span()
            # A phone number also looks like a long document number: report each stretch once.
            if any(start < span[1] and span[0] < end for start, end in taken):
                continue
            taken.append(span)
            findings.append(Finding(kind, str(description), found.group(0).strip()))
    for word in listed_words:
        word = word.strip()
        if word and re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE):
            findings.append(Finding("listed", str(_("a word your organisation listed")), word))
    return findings


def describe(findings: list[Finding]) -> str:
    kinds = sorted({finding.description for finding in findings})
    return ", ".join(kinds)

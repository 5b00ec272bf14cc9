"""The reference data that ships with the project, loaded by `manage.py seed_reference`.

Plain structures keyed by the natural keys other code relies on (country codes, region names, group
names, service-type codes, framework titles, programme names); `policies.loader` upserts them.

Honesty rules for this file:
- Facts about returnees come from the project's source article (shared/sources) and are labelled with
  `ARTICLE_SOURCE`; anything added from general knowledge is marked illustrative and says so.
- An article number or a penalty is filled in only where it is well established; otherwise it stays
  blank for an administrator to complete from the official text.
- Every figure is an estimate reported by others, never a count made by this project.
"""

from typing import Any

from policies.models import LegalFramework, Programme, Provision, ReportedFigure

ARTICLE_SOURCE = "Article on Central Asian returnees (project source text, shared/sources)"
SECONDARY_SOURCE = "Secondary sources summarised by the project team; not checked against the official text"
BOTH_SOURCES = f"{ARTICLE_SOURCE}; {SECONDARY_SOURCE}"
CHECK_OFFICIAL_TEXT = (
    "Summarised from secondary sources: check against the official text before relying on it."
)

Kind = LegalFramework.Kind
Cat = Provision.Category
To = Provision.AppliesTo

# (ISO 3166-1 alpha-2, English short name, one of the five Central Asian states)
COUNTRIES: list[tuple[str, str, bool]] = [
    ("KZ", "Kazakhstan", True),
    ("KG", "Kyrgyzstan", True),
    ("TJ", "Tajikistan", True),
    ("TM", "Turkmenistan", True),
    ("UZ", "Uzbekistan", True),
    ("SY", "Syria", False),
    ("IQ", "Iraq", False),
    ("AF", "Afghanistan", False),
    ("RU", "Russia", False),
    ("TR", "Turkey", False),
]

# First-level subdivisions as (name, ISO 3166-2 code). "Region" distinguishes an oblast or viloyat
# from the city of the same name (Almaty, Osh, Tashkent), which is a separate first-level unit.
REGIONS: dict[str, list[tuple[str, str]]] = {
    # ISO 3166-2:KZ moved to numeric codes (2020) and added the three regions created in 2022.
    "KZ": [
        ("Abai Region", "KZ-10"),
        ("Akmola Region", "KZ-11"),
        ("Aktobe Region", "KZ-15"),
        ("Almaty Region", "KZ-19"),
        ("Atyrau Region", "KZ-23"),
        ("West Kazakhstan Region", "KZ-27"),
        ("Jambyl Region", "KZ-31"),
        ("Jetisu Region", "KZ-33"),
        ("Karaganda Region", "KZ-35"),
        ("Kostanay Region", "KZ-39"),
        ("Kyzylorda Region", "KZ-43"),
        ("Mangystau Region", "KZ-47"),
        ("Pavlodar Region", "KZ-55"),
        ("North Kazakhstan Region", "KZ-59"),
        ("Turkistan Region", "KZ-61"),
        ("Ulytau Region", "KZ-62"),
        ("East Kazakhstan Region", "KZ-63"),
        ("Astana", "KZ-71"),
        ("Almaty", "KZ-75"),
        ("Shymkent", "KZ-79"),
    ],
    "KG": [
        ("Batken Region", "KG-B"),
        ("Chuy Region", "KG-C"),
        ("Issyk-Kul Region", "KG-Y"),
        ("Jalal-Abad Region", "KG-J"),
        ("Naryn Region", "KG-N"),
        ("Osh Region", "KG-O"),
        ("Talas Region", "KG-T"),
        ("Bishkek", "KG-GB"),
        ("Osh", "KG-GO"),
    ],
    "TJ": [
        ("Sughd Region", "TJ-SU"),
        ("Khatlon Region", "TJ-KT"),
        ("Gorno-Badakhshan Autonomous Region", "TJ-GB"),
        ("Districts of Republican Subordination", "TJ-RA"),
        ("Dushanbe", "TJ-DU"),
    ],
    "TM": [
        ("Ahal Region", "TM-A"),
        ("Balkan Region", "TM-B"),
        ("Dashoguz Region", "TM-D"),
        ("Lebap Region", "TM-L"),
        ("Mary Region", "TM-M"),
        ("Ashgabat", "TM-S"),
    ],
    "UZ": [
        ("Andijan Region", "UZ-AN"),
        ("Bukhara Region", "UZ-BU"),
        ("Fergana Region", "UZ-FA"),
        ("Jizzakh Region", "UZ-JI"),
        ("Kashkadarya Region", "UZ-QA"),
        ("Khorezm Region", "UZ-XO"),
        ("Namangan Region", "UZ-NG"),
        ("Navoiy Region", "UZ-NW"),
        ("Samarkand Region", "UZ-SA"),
        ("Sirdaryo Region", "UZ-SI"),
        ("Surkhandarya Region", "UZ-SU"),
        ("Tashkent Region", "UZ-TO"),
        ("Republic of Karakalpakstan", "UZ-QR"),
        ("Tashkent", "UZ-TK"),
    ],
}

# name -> (neutral description, aliases). Aliases are other spellings, transliterations and
# abbreviations of the same group, so that a caseworker's wording resolves to one record.
ARMED_GROUPS: dict[str, tuple[str, list[str]]] = {
    "Islamic State (ISIS)": (
        "Jihadist organisation that held territory in Syria and Iraq from 2014; the group most Central "
        "Asian fighters joined.",
        ["ISIL", "Islamic State", "Daesh"],
    ),
    "Katibat al-Tawhid wal-Jihad": (
        "Armed group active in Syria whose members are predominantly Uzbek.",
        ["Tavhid va Jihod Katibasi"],
    ),
    "Katibat Imam al-Bukhari": (
        "Armed group active in Syria with a largely Uzbek membership.",
        ["Imam Bukhari Jamaat", "KIB"],
    ),
    "Jund al-Khilafah": (
        "Small armed group named among those Central Asians joined. Several unrelated groups have used "
        "this name, so confirm which one a record refers to.",
        [],
    ),
    "Katibat Sayfullah al-Shishani": (
        "Small armed unit in Syria named after a Chechen commander, with fighters from the North "
        "Caucasus and Central Asia.",
        [],
    ),
    "Turkistan Islamic Party": (
        "Armed group that is primarily Uighur; some Central Asians have fought in its ranks.",
        ["TIP"],
    ),
    "Other al-Qaeda-aligned group": (
        "Any smaller splinter aligned with al-Qaeda or a regional Islamist agenda that is not listed "
        "separately, or whose exact name is not known.",
        [],
    ),
}

# code -> (name, description)
SERVICE_TYPES: dict[str, tuple[str, str]] = {
    "psychosocial-support": (
        "Psychosocial support",
        "Help with trauma, stress and adjustment after return, for adults and for children.",
    ),
    "counselling": ("Counselling", "Individual or family sessions with a trained counsellor."),
    "schooling": (
        "Schooling",
        "Enrolment and follow-up at school, with catch-up classes for children who missed years of "
        "education.",
    ),
    "vocational-training": (
        "Vocational training",
        "Courses that teach a trade or a skill that leads to work.",
    ),
    "employment": ("Employment support", "Help finding and keeping a job, or starting a small business."),
    "legal-aid": ("Legal aid", "Advice and representation in criminal, civil and administrative matters."),
    "civil-documents": (
        "Civil documents",
        "Birth certificates, identity papers and proof of citizenship, in particular for children born "
        "in the conflict zone.",
    ),
    "housing": ("Housing", "Help finding or keeping safe accommodation."),
    "family-reunification": (
        "Family reunification",
        "Tracing relatives and restoring contact or a shared home between separated family members.",
    ),
    "health-care": (
        "Health care",
        "Medical examination and treatment, including injuries and chronic illness.",
    ),
    "religious-counselling": (
        "Religious counselling",
        "Theological counselling and religious re-education by qualified theologians, as practised in "
        "Kazakhstan's rehabilitation model.",
    ),
}


def _provision(
    title: str,
    category: str,
    applies_to: list[str],
    summary: str,
    *,
    article: str = "",
    source: str = SECONDARY_SOURCE,
    is_illustrative: bool = True,
) -> dict[str, Any]:
    # Penalties stay empty throughout: none of them has been checked against an official text.
    return {
        "title": title,
        "category": category,
        "applies_to": sorted(applies_to),
        "summary": summary,
        "article": article,
        "source": source,
        "is_illustrative": is_illustrative,
        "penalty_min_years": None,
        "penalty_max_years": None,
    }


# Each framework is keyed by (country code or None for an agreement, title).
FRAMEWORKS: list[dict[str, Any]] = [
    # --- Kazakhstan ---------------------------------------------------------------------------------
    {
        "country": "KZ",
        "title": "Criminal Code of the Republic of Kazakhstan",
        "kind": Kind.CRIMINAL_LAW,
        "adopted_on": None,
        "summary": "Kazakhstan's Criminal Code (the 2014 code) punishes terrorist offences, including "
        "taking part in a terrorist organisation and in armed conflicts abroad. Article numbers are "
        "left blank until verified. " + CHECK_OFFICIAL_TEXT,
        "source": SECONDARY_SOURCE,
        "is_illustrative": True,
        "provisions": [
            _provision(
                "Participation in a terrorist organisation or in an armed conflict abroad",
                Cat.CRIMINALISATION,
                [To.ADULTS, To.NATIONALS],
                "Joining a foreign terrorist organisation or fighting in a conflict abroad is a crime; "
                "adults returning from Syria or Iraq may be investigated and tried. " + CHECK_OFFICIAL_TEXT,
            ),
        ],
    },
    {
        "country": "KZ",
        "title": "Repatriation and monitored reintegration of returnees (Kazakhstan)",
        "kind": Kind.REINTEGRATION,
        "adopted_on": None,
        "summary": "Kazakhstan's state-led approach to returnees: nationals, many of them women and "
        "children, were brought back from Syria through Operation Zhusan (2019-2021) and passed "
        "through rehabilitation centres offering deradicalisation, religious re-education and "
        "psychological support, followed by monitoring in the community. This describes a practice "
        "rather than one statute. " + CHECK_OFFICIAL_TEXT,
        "source": BOTH_SOURCES,
        "is_illustrative": True,
        "provisions": [
            _provision(
                "State-organised repatriation of nationals from the conflict zone",
                Cat.REPATRIATION,
                [To.NATIONALS, To.WOMEN, To.MINORS],
                "The state organises the return of its nationals from the conflict zone in Syria; many "
                "of those brought back were women and children.",
                source=ARTICLE_SOURCE,
            ),
            _provision(
                "Deradicalisation and religious re-education",
                Cat.DERADICALISATION,
                [To.ADULTS, To.WOMEN, To.MINORS],
                "Returnees take part in theological counselling and religious re-education aimed at "
                "disengagement from violent ideology.",
                source=BOTH_SOURCES,
            ),
            _provision(
                "Psychological support and rehabilitation",
                Cat.REHABILITATION,
                [To.ADULTS, To.WOMEN, To.MINORS],
                "Psychological support for returnees, first in rehabilitation centres and then after "
                "resettlement; the other services offered must be confirmed from official sources.",
                source=BOTH_SOURCES,
            ),
            _provision(
                "Monitoring after resettlement",
                Cat.PROBATION_MONITORING,
                [To.ADULTS, To.WOMEN],
                "Reintegration is monitored after returnees go back to their communities; the terms and "
                "the agencies involved must be confirmed from official sources.",
            ),
        ],
    },
    # --- Kyrgyzstan ---------------------------------------------------------------------------------
    {
        "country": "KG",
        "title": "Criminal Code of the Kyrgyz Republic",
        "kind": Kind.CRIMINAL_LAW,
        "adopted_on": None,
        "summary": "Kyrgyzstan's Criminal Code punishes terrorist offences, including taking part in a "
        "terrorist organisation and in armed conflicts abroad. The code has been replaced more than "
        "once in recent years, so the applicable edition and article depend on when the acts took "
        "place; articles are left blank. " + CHECK_OFFICIAL_TEXT,
        "source": SECONDARY_SOURCE,
        "is_illustrative": True,
        "provisions": [
            _provision(
                "Participation in a terrorist organisation or in an armed conflict abroad",
                Cat.CRIMINALISATION,
                [To.ADULTS, To.NATIONALS],
                "Joining a foreign terrorist organisation or fighting in a conflict abroad is a crime. "
                + CHECK_OFFICIAL_TEXT,
            ),
        ],
    },
    # --- Tajikistan ---------------------------------------------------------------------------------
    {
        "country": "TJ",
        "title": "Criminal Code of the Republic of Tajikistan",
        "kind": Kind.CRIMINAL_LAW,
        "adopted_on": None,
        "summary": "Tajikistan's Criminal Code makes unlawful participation in armed conflicts or "
        "military action abroad a crime (Article 401¹). A 2015 amendment added a note releasing from "
        "liability those who return voluntarily and renounce the armed group, unless their acts amount "
        "to another crime. " + CHECK_OFFICIAL_TEXT,
        "source": SECONDARY_SOURCE,
        "is_illustrative": True,
        "provisions": [
            _provision(
                "Unlawful participation in armed conflicts or military action abroad",
                Cat.CRIMINALISATION,
                [To.ADULTS, To.NATIONALS],
                "Taking part in an armed conflict or military action on the territory of another state "
                "is a crime. Penalties are left blank until checked. " + CHECK_OFFICIAL_TEXT,
                article="401¹",
            ),
            _provision(
                "Release from liability on voluntary return and renunciation",
                Cat.VOLUNTARY_RETURN_EXEMPTION,
                [To.ADULTS, To.NATIONALS],
                "Added in 2015: a person who voluntarily stops taking part and returns is released from "
                "criminal liability under Article 401¹, provided the acts contain no other crime. "
                + CHECK_OFFICIAL_TEXT,
                article="401¹ (note)",
            ),
        ],
    },
    {
        "country": "TJ",
        "title": "Amnesty for repentant returnees (Tajikistan)",
        "kind": Kind.AMNESTY,
        "adopted_on": None,
        "summary": "Tajikistan offers amnesty to citizens who come back and repent. As far as is known "
        "this rests on the exemption in the note to Criminal Code Article 401¹ together with official "
        "appeals to return, rather than on a separate amnesty act; no such act is recorded here. "
        + CHECK_OFFICIAL_TEXT,
        "source": BOTH_SOURCES,
        "is_illustrative": True,
        "provisions": [
            _provision(
                "Amnesty for returnees who repent",
                Cat.AMNESTY,
                [To.ADULTS, To.NATIONALS],
                "Returnees who repent and have committed no other crime are not prosecuted. Eligibility "
                "and procedure must be confirmed from official sources.",
                source=BOTH_SOURCES,
            ),
        ],
    },
    # --- Turkmenistan -------------------------------------------------------------------------------
    {
        "country": "TM",
        "title": "Criminal Code of Turkmenistan",
        "kind": Kind.CRIMINAL_LAW,
        "adopted_on": None,
        "summary": "Turkmenistan's Criminal Code punishes terrorism and participation in terrorist "
        "organisations. Little is published about Turkmen returnees and the project's source article "
        "does not cover Turkmenistan; articles are left blank. " + CHECK_OFFICIAL_TEXT,
        "source": SECONDARY_SOURCE,
        "is_illustrative": True,
        "provisions": [
            _provision(
                "Participation in a terrorist organisation",
                Cat.CRIMINALISATION,
                [To.ADULTS, To.NATIONALS],
                "Taking part in a terrorist organisation is a crime; how this applies to acts abroad is not "
                "confirmed. " + CHECK_OFFICIAL_TEXT,
            ),
        ],
    },
    # --- Uzbekistan ---------------------------------------------------------------------------------
    {
        "country": "UZ",
        "title": "Criminal Code of the Republic of Uzbekistan",
        "kind": Kind.CRIMINAL_LAW,
        "adopted_on": None,
        "summary": "Uzbekistan's Criminal Code punishes terrorism and membership of banned extremist or "
        "terrorist organisations. Articles are left blank until verified. " + CHECK_OFFICIAL_TEXT,
        "source": SECONDARY_SOURCE,
        "is_illustrative": True,
        "provisions": [
            _provision(
                "Participation in a terrorist or banned extremist organisation",
                Cat.CRIMINALISATION,
                [To.ADULTS, To.NATIONALS],
                "Joining a foreign terrorist organisation or a banned extremist group is a crime. "
                + CHECK_OFFICIAL_TEXT,
            ),
        ],
    },
    {
        "country": "UZ",
        "title": "State-led repatriation and closed trials of returnees (Uzbekistan)",
        "kind": Kind.REPATRIATION,
        "adopted_on": None,
        "summary": "Uzbekistan brings its nationals back in controlled, state-organised operations and "
        "deals with adult returnees through the courts, often in closed hearings, combined with "
        "deradicalisation. This describes a practice rather than one statute. " + CHECK_OFFICIAL_TEXT,
        "source": BOTH_SOURCES,
        "is_illustrative": True,
        "provisions": [
            _provision(
                "State-organised repatriation of nationals",
                Cat.REPATRIATION,
                [To.NATIONALS],
                "The state organises the return of its nationals under controlled conditions.",
                source=ARTICLE_SOURCE,
            ),
            _provision(
                "Closed court proceedings for returnees",
                Cat.CLOSED_TRIAL,
                [To.ADULTS],
                "Adult returnees go through judicial proceedings that are often held behind closed "
                "doors. The legal basis for closing hearings must be confirmed from the official text.",
                source=ARTICLE_SOURCE,
            ),
            _provision(
                "Deradicalisation alongside the judicial process",
                Cat.DERADICALISATION,
                [To.ADULTS],
                "Judicial procedures are combined with deradicalisation and reintegration measures.",
                source=ARTICLE_SOURCE,
            ),
        ],
    },
    # --- Regional -----------------------------------------------------------------------------------
    {
        "country": None,
        "title": "Collective Security Treaty Organization (CSTO)",
        "kind": Kind.AGREEMENT,
        "adopted_on": None,
        "summary": "Regional security alliance through which member states share intelligence and "
        "strengthen border control, including against foreign terrorist fighters. Of the countries "
        "loaded here, Kazakhstan, Kyrgyzstan, Tajikistan and Russia are members; Uzbekistan suspended "
        "its membership in 2012 and Turkmenistan never joined. The other member states are not loaded; "
        "administrators who add them can add them as parties. " + CHECK_OFFICIAL_TEXT,
        "source": BOTH_SOURCES,
        "is_illustrative": True,
        "parties": ["KZ", "KG", "TJ", "RU"],
        "provisions": [
            _provision(
                "Intelligence sharing and border control",
                Cat.COOPERATION,
                [],
                "Member states exchange intelligence and coordinate border control; the specific "
                "instruments must be identified from official CSTO texts.",
                source=ARTICLE_SOURCE,
            ),
        ],
    },
]

PROGRAMMES: list[dict[str, Any]] = [
    {
        "name": "Operation Zhusan",
        "country": "KZ",
        "kind": Programme.Kind.STATE_REPATRIATION,
        "start_year": 2019,
        "end_year": 2021,
        "description": "Publicly announced, state-led operation in several phases that brought Kazakh "
        "nationals, many of them women and children, back from the conflict zone in Syria. Returnees "
        "went through rehabilitation centres before resettlement.",
        "source": BOTH_SOURCES,
        "is_illustrative": True,
        "frameworks": [("KZ", "Repatriation and monitored reintegration of returnees (Kazakhstan)")],
        "figures": [
            {
                "label": "Nationals returned, including women and children",
                "qualifier": ReportedFigure.Qualifier.MORE_THAN,
                "value": 600,
                "value_high": None,
                "is_estimate": True,
                "as_of_year": None,
                "source": ARTICLE_SOURCE,
            },
        ],
    },
    {
        "name": "Tajikistan amnesty for repentant returnees",
        "country": "TJ",
        "kind": Programme.Kind.AMNESTY,
        "start_year": None,
        "end_year": None,
        "description": "Tajikistan does not prosecute citizens who come back voluntarily and renounce the "
        "armed group, unless they committed another crime (the 2015 note to Criminal Code Article "
        "401¹). The figure recorded here is the country-wide number of returnees reported for "
        "Tajikistan, not a count of people amnestied.",
        "source": BOTH_SOURCES,
        "is_illustrative": True,
        "frameworks": [
            ("TJ", "Criminal Code of the Republic of Tajikistan"),
            ("TJ", "Amnesty for repentant returnees (Tajikistan)"),
        ],
        "figures": [
            {
                "label": "Returnees accepted by Tajikistan (country-wide total reported, not only "
                "under this amnesty)",
                "qualifier": ReportedFigure.Qualifier.MORE_THAN,
                "value": 200,
                "value_high": None,
                "is_estimate": True,
                "as_of_year": None,
                "source": ARTICLE_SOURCE,
            },
        ],
    },
    {
        "name": "Uzbekistan court-supervised repatriations",
        "country": "UZ",
        "kind": Programme.Kind.COURT_SUPERVISED,
        "start_year": None,
        "end_year": None,
        "description": "Uzbekistan repatriates its nationals in state-organised, tightly controlled "
        "operations and puts adult returnees through court proceedings alongside deradicalisation "
        "measures. The project source gives no number of returnees, so none is recorded.",
        "source": ARTICLE_SOURCE,
        "is_illustrative": True,
        "frameworks": [
            ("UZ", "State-led repatriation and closed trials of returnees (Uzbekistan)"),
            ("UZ", "Criminal Code of the Republic of Uzbekistan"),
        ],
        "figures": [],
    },
]

# Figures not tied to a programme; `country` None means region-wide.
REGIONAL_FIGURES: list[dict[str, Any]] = [
    {
        "country": None,
        "label": "Central Asian foreign fighters who went to Syria and Iraq",
        "qualifier": ReportedFigure.Qualifier.RANGE,
        "value": 4000,
        "value_high": 5000,
        "is_estimate": True,
        "as_of_year": None,
        "source": f"{ARTICLE_SOURCE}, citing international counter-terrorism bodies",
    },
]

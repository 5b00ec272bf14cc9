"""What the demo generator (casework/demo.py) draws from: weighted choices and bland phrases.

Weights are rough shares that make the demo look like the caseloads DESIGN §1 describes (Operation
Zhusan's mothers and children, Uzbek men returned through closed trials, Tajik returnees amnestied),
not statistics. Free text is assembled from the phrases below, which hold no digits at all, so that
nothing can look like a phone, document number or date to the identifier screen (casework/screening.py).
"""

import bisect
import datetime
import itertools
import random
from dataclasses import dataclass
from typing import Any

from casework import choices
from policies.models import LegalFramework, Provision

RS = choices.ReferralStatus
Stage = choices.ProceedingStage
Status = choices.CaseStatus
Aff = choices.Affiliation
Circ = choices.Circumstance
Band = choices.AgeBand
Zone = choices.ConflictZone
Path = choices.ReturnPathway
V = choices.Vulnerability
D = choices.Driver
C = choices.ContactType
FW = LegalFramework.Kind
Cat = Provision.Category


class Weighted:
    """A fixed table of weighted choices. Bisecting precomputed cumulative weights is several times
    faster than `random.choices`, which recomputes them at every draw, and a million draws add up."""

    __slots__ = ("items", "cumulative", "total")

    def __init__(self, table: dict[Any, float]) -> None:
        self.items = list(table)
        self.cumulative = list(itertools.accumulate(table.values()))
        self.total = self.cumulative[-1]

    def pick(self, rng: random.Random) -> Any:
        return self.items[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


def month_start(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, 1)


# --- Reference data the demo relies on (loaded by seed_reference) --------------------------------

CENTRAL_ASIA = ("KZ", "KG", "TJ", "TM", "UZ")
COUNTRY_CODES = (*CENTRAL_ASIA, "RU")
ZHUSAN = "Operation Zhusan"
TJ_AMNESTY = "Tajikistan amnesty for repentant returnees"
UZ_COURT = "Uzbekistan court-supervised repatriations"
PROGRAMME_NAMES = (ZHUSAN, TJ_AMNESTY, UZ_COURT)
ISIS = "Islamic State (ISIS)"
KTJ = "Katibat al-Tawhid wal-Jihad"
KIB = "Katibat Imam al-Bukhari"
JUND = "Jund al-Khilafah"
SAYFULLAH = "Katibat Sayfullah al-Shishani"
TIP = "Turkistan Islamic Party"
GROUP_NAMES = (ISIS, KTJ, KIB, JUND, SAYFULLAH, TIP)
SERVICE_CODES = (
    "psychosocial-support",
    "counselling",
    "schooling",
    "vocational-training",
    "employment",
    "legal-aid",
    "civil-documents",
    "housing",
    "family-reunification",
    "health-care",
    "religious-counselling",
)

# Fictional providers: each kind in a few regions of every Central Asian state.
PROVIDER_KINDS = (
    ("Demo psychosocial centre", ("psychosocial-support", "counselling")),
    ("Demo family support service", ("family-reunification", "psychosocial-support", "housing")),
    ("Demo legal aid clinic", ("legal-aid", "civil-documents")),
    ("Demo vocational college", ("vocational-training", "employment")),
    ("Demo community school programme", ("schooling",)),
    ("Demo district health clinic", ("health-care",)),
    ("Demo theological counselling service", ("religious-counselling", "counselling")),
    ("Demo employment and housing office", ("employment", "housing")),
)
PROVIDER_REGIONS_PER_COUNTRY = 3


# --- Who came back, when and how -----------------------------------------------------------------


@dataclass(frozen=True)
class ProceedingPlan:
    kinds: tuple[str, ...]
    categories: tuple[str, ...]
    stages: Weighted
    closed_court: float


UZ_TRIAL = ProceedingPlan(
    (FW.CRIMINAL_LAW, FW.REPATRIATION),
    (Cat.CRIMINALISATION, Cat.CLOSED_TRIAL),
    Weighted(
        {
            Stage.INVESTIGATION: 4,
            Stage.CHARGED: 4,
            Stage.TRIAL: 7,
            Stage.SENTENCED: 22,
            Stage.PROBATION: 25,
            Stage.AMNESTIED: 5,
            Stage.ACQUITTED: 5,
            Stage.COMPLETED: 28,
        }
    ),
    0.85,
)
TJ_AMNESTIED = ProceedingPlan(
    (FW.AMNESTY,),
    (Cat.AMNESTY, Cat.VOLUNTARY_RETURN_EXEMPTION),
    Weighted({Stage.AMNESTIED: 85, Stage.PROBATION: 8, Stage.COMPLETED: 7}),
    0.1,
)
CRIMINAL = ProceedingPlan(
    (FW.CRIMINAL_LAW,),
    (Cat.CRIMINALISATION,),
    Weighted(
        {
            Stage.INVESTIGATION: 8,
            Stage.CHARGED: 6,
            Stage.TRIAL: 8,
            Stage.SENTENCED: 25,
            Stage.PROBATION: 18,
            Stage.AMNESTIED: 5,
            Stage.ACQUITTED: 8,
            Stage.COMPLETED: 22,
        }
    ),
    0.45,
)
WOMEN_CRIMINAL = ProceedingPlan(
    (FW.CRIMINAL_LAW,),
    (Cat.CRIMINALISATION, Cat.VOLUNTARY_RETURN_EXEMPTION),
    Weighted(
        {
            Stage.INVESTIGATION: 6,
            Stage.SENTENCED: 12,
            Stage.PROBATION: 30,
            Stage.AMNESTIED: 10,
            Stage.ACQUITTED: 17,
            Stage.COMPLETED: 25,
        }
    ),
    0.4,
)
EARLY_STAGES = (Stage.INVESTIGATION, Stage.CHARGED, Stage.TRIAL)

# Programme returns came in waves of flights; the months are illustrative, not a record of them.
ZHUSAN_WAVES = Weighted(
    {
        month_start(2019, 1): 8,
        month_start(2019, 5): 30,
        month_start(2019, 6): 20,
        month_start(2019, 11): 15,
        month_start(2020, 2): 5,
        month_start(2021, 2): 15,
        month_start(2022, 3): 4,
        month_start(2023, 5): 3,
    }
)
UZ_WAVES = Weighted(
    {
        month_start(2019, 5): 25,
        month_start(2019, 10): 20,
        month_start(2020, 12): 15,
        month_start(2021, 3): 10,
        month_start(2021, 4): 10,
        month_start(2022, 3): 8,
        month_start(2023, 2): 7,
        month_start(2024, 6): 5,
    }
)
ZHUSAN_ZONES = Weighted({Zone.SYRIA: 60, Zone.SYRIA_AND_IRAQ: 30, Zone.IRAQ: 10})
UZ_FAMILY_ZONES = Weighted({Zone.SYRIA: 50, Zone.IRAQ: 25, Zone.SYRIA_AND_IRAQ: 25})
UZ_MEN_ZONES = Weighted({Zone.SYRIA: 70, Zone.SYRIA_AND_IRAQ: 15, Zone.IRAQ: 10, Zone.AFGHANISTAN: 5})
TJ_ZONES = Weighted({Zone.SYRIA: 60, Zone.IRAQ: 20, Zone.SYRIA_AND_IRAQ: 20})
# Tajik and Kyrgyz women and children brought back from Iraqi camps and prisons.
IRAQ_FAMILY_YEARS = Weighted({2019: 30, 2020: 12, 2021: 28, 2022: 15, 2023: 15})
IRAQ_FAMILY_ZONES = Weighted({Zone.IRAQ: 70, Zone.SYRIA_AND_IRAQ: 30})
IRAQ_FAMILY_PATHWAYS = Weighted({Path.DEPORTATION: 50, Path.INDEPENDENT: 30, Path.UNKNOWN: 20})
# Men sent back from Turkey or Russia, often after working there.
DEPORTEE_COUNTRIES = Weighted({"UZ": 35, "TJ": 30, "KG": 20, "KZ": 10, "TM": 5})
DEPORTEE_ZONES = Weighted({Zone.SYRIA: 70, Zone.OTHER: 30})
INDEPENDENT_COUNTRIES = Weighted({"KZ": 25, "KG": 25, "TJ": 18, "UZ": 20, "TM": 12})
INDEPENDENT_ZONES = Weighted({Zone.SYRIA: 55, Zone.IRAQ: 15, Zone.SYRIA_AND_IRAQ: 20, Zone.OTHER: 10})
AFGHANISTAN_COUNTRIES = Weighted({"TJ": 40, "UZ": 35, "KG": 25})
AFGHANISTAN_PATHWAYS = Weighted({Path.DEPORTATION: 45, Path.EXTRADITION: 30, Path.INDEPENDENT: 25})
DEPARTURE_YEARS = Weighted({2012: 3, 2013: 12, 2014: 32, 2015: 30, 2016: 15, 2017: 5, 2018: 3})

WOMEN_AGES = Weighted({Band.AGE_18_24: 15, Band.AGE_25_34: 52, Band.AGE_35_44: 26, Band.AGE_45_59: 7})
# A mother of children who went with her, or were born there, is rarely under 25 at return.
MOTHER_AGES = Weighted({Band.AGE_25_34: 55, Band.AGE_35_44: 36, Band.AGE_45_59: 9})
MEN_AGES = Weighted(
    {Band.AGE_18_24: 12, Band.AGE_25_34: 44, Band.AGE_35_44: 30, Band.AGE_45_59: 12, Band.AGE_60_PLUS: 2}
)
CHILDREN_PER_MOTHER = Weighted({1: 20, 2: 30, 3: 25, 4: 15, 5: 10})

WOMEN_GOING = Weighted({Circ.TAKEN_BY_FAMILY: 45, Circ.CHOSE: 28, Circ.COERCED: 17, Circ.UNKNOWN: 10})
MEN_GOING = Weighted({Circ.CHOSE: 74, Circ.COERCED: 12, Circ.TAKEN_BY_FAMILY: 4, Circ.UNKNOWN: 10})

WOMEN_AFFILIATION = Weighted(
    {(Aff.GROUP, ISIS): 40, (Aff.UNKNOWN, None): 32, (Aff.NOT_DISCLOSED, None): 20, (Aff.NONE, None): 8}
)
CHILD_AFFILIATION = Weighted({(Aff.NONE, None): 70, (Aff.UNKNOWN, None): 30})
UZ_MEN_AFFILIATION = Weighted(
    {(Aff.GROUP, ISIS): 38, (Aff.GROUP, KTJ): 24, (Aff.GROUP, KIB): 20, (Aff.NOT_DISCLOSED, None): 18}
)
MEN_AFFILIATION = Weighted(
    {
        (Aff.GROUP, ISIS): 50,
        (Aff.GROUP, KTJ): 5,
        (Aff.GROUP, KIB): 5,
        (Aff.GROUP, JUND): 3,
        (Aff.GROUP, SAYFULLAH): 3,
        (Aff.NOT_DISCLOSED, None): 17,
        (Aff.UNKNOWN, None): 14,
        (Aff.NONE, None): 3,
    }
)
AFGHANISTAN_AFFILIATION = Weighted(
    {(Aff.GROUP, TIP): 35, (Aff.GROUP, JUND): 30, (Aff.GROUP, KIB): 25, (Aff.NOT_DISCLOSED, None): 10}
)

WOMEN_DRIVERS = (
    (D.FAMILY_TIES, 0.7),
    (D.SOCIO_ECONOMIC, 0.3),
    (D.IDEOLOGY, 0.18),
    (D.ONLINE_RECRUITMENT, 0.15),
    (D.IDENTITY, 0.1),
)
MEN_DRIVERS = (
    (D.SOCIO_ECONOMIC, 0.5),
    (D.LABOUR_MIGRATION, 0.35),
    (D.ONLINE_RECRUITMENT, 0.3),
    (D.IDEOLOGY, 0.33),
    (D.POLITICAL, 0.15),
    (D.IDENTITY, 0.15),
    (D.FAMILY_TIES, 0.08),
)
# Tajik and Uzbek men were often recruited while working in Russia.
MIGRANT_DRIVERS = ((D.LABOUR_MIGRATION, 0.6), *((c, p) for c, p in MEN_DRIVERS if c != D.LABOUR_MIGRATION))

WOMEN_VULNERABILITIES = (
    (V.TRAUMA, 0.5),
    (V.SINGLE_HEADED_HOUSEHOLD, 0.6),
    (V.STIGMA, 0.4),
    (V.NO_INCOME, 0.45),
    (V.CHRONIC_ILLNESS, 0.1),
    (V.DISABILITY, 0.03),
)
MEN_VULNERABILITIES = (
    (V.STIGMA, 0.5),
    (V.NO_INCOME, 0.5),
    (V.TRAUMA, 0.3),
    (V.CHRONIC_ILLNESS, 0.1),
    (V.DISABILITY, 0.06),
    (V.SUBSTANCE_USE, 0.05),
)


# --- Case life and records -----------------------------------------------------------------------

CASE_STATUSES = Weighted(
    {Status.INTAKE: 7, Status.ACTIVE: 38, Status.MONITORING: 22, Status.CLOSED: 25, Status.ARCHIVED: 8}
)
# How many days before the anchor a case must have been opened at the latest to have had its status's
# history: monitoring follows months of work, a case stays open at least 90 days before closing, and an
# archived case was closed at least a year before.
LATEST_OPENING = {
    Status.INTAKE: 0,
    Status.ACTIVE: 30,
    Status.MONITORING: 270,
    Status.CLOSED: 120,
    Status.ARCHIVED: 455,
}
CLOSURE_REASONS = Weighted(
    {
        choices.ClosureReason.REINTEGRATED: 45,
        choices.ClosureReason.MOVED: 10,
        choices.ClosureReason.TRANSFERRED: 9,
        choices.ClosureReason.LOST_CONTACT: 14,
        choices.ClosureReason.CONSENT_WITHDRAWN: 5,
        choices.ClosureReason.DETAINED: 8,
        choices.ClosureReason.DECEASED: 2,
        choices.ClosureReason.OTHER: 7,
    }
)

OPEN_CASE_REFERRALS = Weighted(
    {
        RS.PLANNED: 7,
        RS.REFERRED: 9,
        RS.ACCEPTED: 7,
        RS.IN_PROGRESS: 20,
        RS.COMPLETED: 32,
        RS.DECLINED: 8,
        RS.DROPPED_OUT: 9,
        RS.CANCELLED: 8,
    }
)
INTAKE_REFERRALS = Weighted({RS.PLANNED: 50, RS.REFERRED: 30, RS.ACCEPTED: 12, RS.CANCELLED: 8})
CLOSED_CASE_REFERRALS = Weighted({RS.COMPLETED: 55, RS.DECLINED: 12, RS.DROPPED_OUT: 18, RS.CANCELLED: 15})
NO_CONSENT_REFERRALS = Weighted({RS.PLANNED: 60, RS.CANCELLED: 40})
Outcome = choices.ReferralOutcome
OUTCOMES = {
    RS.COMPLETED: Weighted({Outcome.GOALS_MET: 55, Outcome.PARTLY_MET: 35, Outcome.NOT_MET: 5, "": 5}),
    RS.DECLINED: Weighted({Outcome.NOT_APPLICABLE: 70, "": 30}),
    RS.DROPPED_OUT: Weighted({Outcome.NOT_MET: 60, Outcome.PARTLY_MET: 30, "": 10}),
    RS.CANCELLED: Weighted({Outcome.NOT_APPLICABLE: 60, "": 40}),
}

SERVICES = {
    "child": Weighted(
        {
            "schooling": 25,
            "psychosocial-support": 25,
            "civil-documents": 12,
            "health-care": 15,
            "family-reunification": 8,
            "counselling": 7,
        }
    ),
    "woman": Weighted(
        {
            "psychosocial-support": 20,
            "counselling": 12,
            "vocational-training": 15,
            "employment": 10,
            "housing": 10,
            "legal-aid": 10,
            "civil-documents": 5,
            "religious-counselling": 10,
            "family-reunification": 5,
            "health-care": 8,
        }
    ),
    "man": Weighted(
        {
            "employment": 20,
            "vocational-training": 18,
            "counselling": 12,
            "religious-counselling": 12,
            "legal-aid": 15,
            "psychosocial-support": 12,
            "health-care": 6,
            "housing": 5,
        }
    ),
}

# Court hearings are added where there is a proceeding.
CONTACTS = {
    "child": Weighted(
        {C.HOME_VISIT: 35, C.SCHOOL: 25, C.OFFICE: 10, C.PHONE: 12, C.CASE_CONFERENCE: 10, C.OTHER: 5}
    ),
    "woman": Weighted(
        {C.HOME_VISIT: 35, C.OFFICE: 20, C.PHONE: 22, C.ONLINE: 10, C.CASE_CONFERENCE: 8, C.OTHER: 5}
    ),
    "man": Weighted(
        {C.HOME_VISIT: 25, C.OFFICE: 28, C.PHONE: 25, C.ONLINE: 10, C.CASE_CONFERENCE: 7, C.OTHER: 5}
    ),
}

# --- Free text: no digits anywhere (see the module docstring) ------------------------------------

NOTE_OPENINGS = {
    C.HOME_VISIT: (
        "Home visit.",
        "Visited the family at home.",
        "Home visit with the district social worker.",
        "Short home visit, as agreed last time.",
    ),
    C.OFFICE: (
        "Office meeting.",
        "Met at the office to review the support plan.",
        "Came to the office without an appointment.",
    ),
    C.PHONE: ("Phone call.", "Short call to check in.", "Called to confirm the next appointment."),
    C.ONLINE: (
        "Online call.",
        "Exchanged messages about the next steps.",
        "Video call, as travel was difficult this week.",
    ),
    C.COURT_HEARING: (
        "Attended the hearing as support.",
        "Accompanied to court; the hearing was short.",
        "Court hearing attended; it was adjourned.",
    ),
    C.SCHOOL: (
        "School visit.",
        "Met the class teacher at school.",
        "Visited the school with the psychologist.",
    ),
    C.CASE_CONFERENCE: (
        "Case conference with the psychologist and the local authority.",
        "Meeting of the agencies involved to review the support plan.",
        "Case conference with the school and the health clinic.",
    ),
    C.OTHER: (
        "Accompanied to the civil registry office.",
        "Met at the community centre.",
        "Joined a group activity at the youth centre.",
    ),
}
NOTE_OBSERVATIONS = {
    "child": (
        "Sleeps better and has fewer nightmares.",
        "Is making friends in class.",
        "Still very quiet with adults outside the family.",
        "Reading has improved since the last visit.",
        "Attends school regularly.",
        "Was unwell recently but is recovering.",
        "Enjoys the football group at the youth centre.",
        "Birth registration is still pending.",
        "Is learning the local language quickly.",
        "Teacher reports outbursts of anger in the playground.",
    ),
    "woman": (
        "Reports feeling calmer and more confident.",
        "Worried about money; looking for part-time work.",
        "Relations with her parents are improving.",
        "Neighbours remain distant; the local imam has visited.",
        "Started the sewing course.",
        "Housing is stable for now.",
        "Asked for help with the children's documents.",
        "Feels tired and anxious; agreed to see the psychologist again.",
        "Takes part in the women's support group.",
    ),
    "man": (
        "Reports regular contact with the probation officer.",
        "Started work on a construction site.",
        "Looking for work; has an interview soon.",
        "Attends the sessions with the theologian.",
        "Family relations are tense but improving.",
        "Talked openly about his time away for the first time.",
        "Complains of back pain; advised to see the clinic.",
        "Keeps to the conditions set by the court.",
        "Helps a relative in the family shop.",
    ),
}
NOTE_NEXT_STEPS = (
    "Next visit in about a month.",
    "Will follow up on the referral.",
    "Agreed to meet again after the school holidays.",
    "No further action needed for now.",
    "Will call again next week.",
    "",
    "",
)
RESTRICTED_NOTES = (
    "Concerns about pressure from a relative; discussed with the caseworker.",
    "A neighbour reports contact with former associates; not confirmed, to be checked carefully.",
    "Safety concerns discussed; agreed a plan with the psychologist.",
    "Signs of tension at home; offered a confidential session.",
    "Mentioned thoughts of self-harm in the past; urgent psychological support arranged.",
)
OUTCOME_NOTES = {
    RS.COMPLETED: (
        "Completed the course and received a certificate.",
        "Sessions ended as planned; feels more settled.",
        "Documents issued; registration is now complete.",
        "Found stable work through the service.",
        "Goals reviewed together at the last session.",
    ),
    RS.DECLINED: (
        "The provider had no places left.",
        "Declined by the person; may reconsider later.",
        "Not eligible under the provider's rules.",
    ),
    RS.DROPPED_OUT: (
        "Stopped attending after a few sessions.",
        "Moved away before the end of the service.",
        "Could not combine it with work.",
    ),
    RS.CANCELLED: (
        "No longer needed.",
        "Replaced by a referral to another service.",
        "Cancelled when the support plan changed.",
    ),
}
PROCEEDING_OUTCOMES = {
    Stage.AMNESTIED: (
        "Amnesty granted on voluntary return and cooperation.",
        "Released under the amnesty; reports to the local police.",
    ),
    Stage.ACQUITTED: ("Acquitted; no further obligations.", "Charges dropped for lack of evidence."),
    Stage.COMPLETED: (
        "Sentence served; released.",
        "Probation period completed without incident.",
        "Suspended sentence completed.",
    ),
    Stage.SENTENCED: (
        "Sentenced to a prison term; family visits allowed.",
        "Sentenced; serving the term away from the home region.",
    ),
    Stage.PROBATION: (
        "Suspended sentence with probation and regular reporting.",
        "Released on probation with a deradicalisation course.",
    ),
}

ADULT_DOMAINS = tuple(d.value for d in choices.AssessmentDomain)
# Young children are not scored on work, legal situation or ideology.
YOUNG_CHILD_DOMAINS = (
    "psychosocial",
    "health",
    "family_ties",
    "community_acceptance",
    "housing",
    "education",
)

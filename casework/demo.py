"""Deterministic, plausible demo data behind `manage.py seed_demo` (DESIGN §5).

Everything is fictional. All choices come from one `random.Random` and every date hangs off a fixed
anchor, so a seed gives the same cases and records on any machine and on any day. Rows are built in
memory a chunk at a time and written with `bulk_create`: 10^5 cases make about a million rows, which
per-row `save()` and `full_clean()` could not write in minutes. The generator therefore keeps every
model rule itself, and the tests run `full_clean()` over everything it makes. What it draws from
(weights, phrases) is in `casework.demo_vocabulary`.
"""

from __future__ import annotations

import datetime
import math
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from django.db.models import Q
from django.db.models.deletion import ProtectedError
from django.test import override_settings
from django.utils import timezone

from casework import choices
from casework import demo_vocabulary as vocab
from casework.models import (
    Assessment,
    AuditEvent,
    Case,
    CaseNote,
    Household,
    LegalProceeding,
    Organisation,
    Referral,
    SavedReport,
    ServiceProvider,
    ServiceType,
    User,
)
from casework.models.cases import REFERENCE_ALPHABET
from policies.models import ArmedGroup, Country, LegalFramework, Programme, Provision, Region

Role = choices.Role
RS = choices.ReferralStatus
Stage = choices.ProceedingStage
Status = choices.CaseStatus
Circ = choices.Circumstance
Band = choices.AgeBand
Zone = choices.ConflictZone
Path = choices.ReturnPathway
HouseholdRole = choices.HouseholdRole
Sex = choices.Sex
V = choices.Vulnerability
D = choices.Driver
C = choices.ContactType

# The demo's "today": fixed, so that a seed gives the same data next month too.
ANCHOR = datetime.date(2025, 6, 30)
# The demo NGOs started using the system then; no case is opened earlier.
EARLIEST_OPENING = datetime.date(2016, 1, 1)

BATCH_SIZE = 1000
# Cases built in memory before they are written; bounds memory at 10^5 cases.
CHUNK_CASES = 2000

# (slug, name, country where it mainly works)
ORGANISATIONS = (("ngo-a", "NGO A (demo)", "KZ"), ("ngo-b", "NGO B (demo)", "UZ"))
ORGANISATION_SLUGS = tuple(slug for slug, _name, _country in ORGANISATIONS)
# Where each organisation takes most of its cases; the rest go to the other one.
HOME_ORGANISATION = {"KZ": "ngo-a", "KG": "ngo-a", "TJ": "ngo-b", "UZ": "ngo-b", "TM": "ngo-b"}
# (username, role, is_staff, is_superuser): the staff who work across organisations.
GLOBAL_USERS = (
    ("admin", Role.SYSTEM_ADMIN, True, True),
    ("analyst", Role.ANALYST, False, False),
    ("auditor", Role.AUDITOR, True, False),
)
CASES_PER_CASEWORKER = 150
MIN_CASEWORKERS = 3


class MissingReferenceData(LookupError):
    """The reference data the demo draws on is not loaded (run seed_reference)."""


def _day_between(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=rng.randint(0, max(0, (end - start).days)))


def _later(
    rng: random.Random, day: datetime.date, low: int, high: int, limit: datetime.date
) -> datetime.date:
    """A day `low` to `high` days after `day`, but never after `limit`."""
    return min(day + datetime.timedelta(days=rng.randint(low, high)), limit)


def _flags(rng: random.Random, table: Sequence[tuple[str, float]]) -> list[str]:
    """Independent yes/no draws in a fixed order, so the result never depends on set ordering."""
    return [code for code, probability in table if rng.random() < probability]


# --- Reference data -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferenceData:
    countries: dict[str, Country]
    regions: dict[str, list[Region]]
    programmes: dict[str, Programme]
    service_types: dict[str, ServiceType]
    groups: dict[str, ArmedGroup]
    # Per country, its frameworks with their provisions.
    frameworks: dict[str, list[tuple[LegalFramework, list[Provision]]]]
    # (country code, service-type code) -> the demo providers offering that service there.
    providers: dict[tuple[str, str], list[ServiceProvider]] = field(default_factory=dict)


def load_reference_data() -> ReferenceData:
    """The reference rows the demo draws on, each list ordered by natural keys (never by id, which
    differs between databases), so that a seed picks the same rows everywhere."""
    countries = {c.code: c for c in Country.objects.filter(code__in=vocab.COUNTRY_CODES)}
    programmes = {p.name: p for p in Programme.objects.filter(name__in=vocab.PROGRAMME_NAMES)}
    service_types = {s.code: s for s in ServiceType.objects.filter(code__in=vocab.SERVICE_CODES)}
    groups = {g.name: g for g in ArmedGroup.objects.filter(name__in=vocab.GROUP_NAMES)}
    missing = [
        *(f"country {code}" for code in vocab.COUNTRY_CODES if code not in countries),
        *(f"programme {name!r}" for name in vocab.PROGRAMME_NAMES if name not in programmes),
        *(f"service type {code}" for code in vocab.SERVICE_CODES if code not in service_types),
        *(f"armed group {name!r}" for name in vocab.GROUP_NAMES if name not in groups),
    ]
    if missing:
        raise MissingReferenceData(", ".join(missing))

    regions: dict[str, list[Region]] = defaultdict(list)
    for region in Region.objects.filter(country__code__in=vocab.COUNTRY_CODES).select_related("country"):
        regions[region.country.code].append(region)
    for country_regions in regions.values():
        country_regions.sort(key=lambda r: r.name)

    frameworks: dict[str, list[tuple[LegalFramework, list[Provision]]]] = defaultdict(list)
    queryset = LegalFramework.objects.filter(country__code__in=vocab.CENTRAL_ASIA).select_related("country")
    for framework in sorted(queryset.prefetch_related("provisions"), key=lambda f: f.title):
        provisions = sorted(framework.provisions.all(), key=lambda p: (p.article, p.title, p.pk))
        frameworks[framework.country.code].append((framework, provisions))
    return ReferenceData(
        countries=countries,
        regions=dict(regions),
        programmes=programmes,
        service_types=service_types,
        groups=groups,
        frameworks=dict(frameworks),
    )


def ensure_demo_providers(reference: ReferenceData) -> int:
    """Create the fictional providers that are missing (matched by country and name, so running it
    again creates none) and fill `reference.providers`. Returns how many were created."""
    created = 0
    for code in vocab.CENTRAL_ASIA:
        country = reference.countries[code]
        regions = reference.regions.get(code, [])
        step = max(1, len(regions) // vocab.PROVIDER_REGIONS_PER_COUNTRY)
        places: list[Region | None] = list(regions[::step][: vocab.PROVIDER_REGIONS_PER_COUNTRY]) or [None]
        existing = ServiceProvider.objects.filter(country=country, name__startswith="Demo ")
        by_name = {p.name: p for p in existing.prefetch_related("service_types")}
        for label, codes in vocab.PROVIDER_KINDS:
            for region in places:
                name = f"{label}, {region.name if region else country.name}"
                provider = by_name.get(name)
                if provider is None:
                    provider = ServiceProvider.objects.create(name=name, country=country, region=region)
                    provider.service_types.set([reference.service_types[c] for c in codes])
                    offered = set(codes)
                    created += 1
                else:
                    # An administrator may have changed what an existing demo provider offers.
                    offered = {s.code for s in provider.service_types.all()}
                for service in codes:
                    if service in offered:
                        reference.providers.setdefault((code, service), []).append(provider)
    return created


# --- Organisations and staff ----------------------------------------------------------------------


@dataclass
class OrgStaff:
    organisation: Organisation
    supervisor: User
    caseworkers: list[User]


def caseworkers_per_organisation(n_cases: int) -> int:
    """About one caseworker per 150 cases, so that a caseworker's list is not the whole organisation."""
    return max(MIN_CASEWORKERS, math.ceil(n_cases / len(ORGANISATIONS) / CASES_PER_CASEWORKER))


def caseworker_username(slug: str, number: int) -> str:
    return f"{slug}-caseworker" if number == 1 else f"{slug}-caseworker{number}"


def demo_organisations_exist() -> bool:
    return Organisation.objects.filter(slug__in=ORGANISATION_SLUGS).exists()


def create_staff(reference: ReferenceData, n_cases: int, password_hash: str) -> dict[str, OrgStaff]:
    """The demo organisations and their users, all with one password hash (hashing is slow)."""
    staff: dict[str, OrgStaff] = {}
    users: list[User] = []
    per_org = caseworkers_per_organisation(n_cases)
    for slug, name, code in ORGANISATIONS:
        org = Organisation.objects.create(
            name=name, slug=slug, country=reference.countries[code], shares_with_analysts=True
        )

        def member(username: str, role: str, org: Organisation = org) -> User:
            user = User(username=username, role=role, organisation=org, password=password_hash)
            user.is_staff = role == Role.ORG_ADMIN
            users.append(user)
            return user

        member(f"{slug}-orgadmin", Role.ORG_ADMIN)
        supervisor = member(f"{slug}-supervisor", Role.SUPERVISOR)
        caseworkers = [member(caseworker_username(slug, n), Role.CASEWORKER) for n in range(1, per_org + 1)]
        staff[slug] = OrgStaff(organisation=org, supervisor=supervisor, caseworkers=caseworkers)
    User.objects.bulk_create(users, batch_size=BATCH_SIZE)

    # The users who work across organisations may exist already (an `admin` made with createsuperuser):
    # they are given the demo's role and password rather than duplicated.
    for username, role, is_staff, is_superuser in GLOBAL_USERS:
        user = User.objects.filter(username=username).first() or User(username=username)
        user.role, user.organisation = role, None
        user.is_staff, user.is_superuser, user.is_active = is_staff, is_superuser, True
        user.password = password_hash
        user.save()
    return staff


def demo_usernames() -> list[str]:
    """The demo users that exist, grouped for printing, with the caseworkers as a range."""
    global_names = [name for name, *_ in GLOBAL_USERS]
    present = set(User.objects.filter(username__in=global_names).values_list("username", flat=True))
    groups = [", ".join(name for name in global_names if name in present)] if present else []
    for slug in ORGANISATION_SLUGS:
        workers = User.objects.filter(organisation__slug=slug, role=Role.CASEWORKER).count()
        if not workers:
            continue
        names = [f"{slug}-orgadmin", f"{slug}-supervisor", caseworker_username(slug, 1)]
        if workers == 2:
            names.append(caseworker_username(slug, 2))
        elif workers > 2:
            names.append(f"… {caseworker_username(slug, workers)}")
        groups.append(", ".join(names))
    return groups


def delete_demo_data() -> None:
    """Remove the demo organisations with their cases, records, households and users.

    The audit trail is append-only: if it records anything done by the demo staff, the demo cannot be
    removed in place, and ProtectedError is raised before anything is deleted.
    """
    orgs = Organisation.objects.filter(slug__in=ORGANISATION_SLUGS)
    if AuditEvent.objects.filter(Q(actor__organisation__in=orgs) | Q(actor_organisation__in=orgs)).exists():
        raise ProtectedError("the audit trail records actions of the demo organisations' staff", set())
    # Demo data leaves no field history behind: removing it is not a change anyone made.
    with override_settings(SIMPLE_HISTORY_ENABLED=False):
        # Records first, each kind in one DELETE, so the collector never loads 10^5 cases' records.
        for model in (Referral, CaseNote, Assessment, LegalProceeding):
            model.objects.filter(case__organisation__in=orgs).delete()
            model.history.filter(case__organisation__in=orgs).delete()
        # Deleting a case loads it (other rows refer to it); in slices, memory stays flat at 10^5 cases.
        case_ids = list(Case.objects.filter(organisation__in=orgs).values_list("pk", flat=True))
        for start in range(0, len(case_ids), CHUNK_CASES):
            Case.objects.filter(pk__in=case_ids[start : start + CHUNK_CASES]).delete()
        Case.history.filter(organisation__in=orgs).delete()
        Household.objects.filter(organisation__in=orgs).delete()
        Household.history.filter(organisation__in=orgs).delete()
    User.objects.filter(organisation__in=orgs).delete()
    orgs.delete()


# --- The generator --------------------------------------------------------------------------------


@dataclass
class Person:
    sex: str
    age_band: str
    circumstance: str
    departure_year: int | None
    affiliation: tuple[str, str | None]  # (Affiliation, armed group name or None)
    drivers: list[str]
    vulnerabilities: list[str]
    household_role: str = ""
    proceeding: vocab.ProceedingPlan | None = None


@dataclass
class Journey:
    """What the members of one unit (one person, or a family) share."""

    citizenship: str
    return_month: datetime.date
    conflict_zone: str
    pathway: str
    programme: str | None = None
    residence: str | None = None


@dataclass
class Batch:
    households: list[Household] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)
    notes: list[CaseNote] = field(default_factory=list)
    assessments: list[Assessment] = field(default_factory=list)
    proceedings: list[LegalProceeding] = field(default_factory=list)

    def save(self) -> Counter:
        """Write the batch, parents first: bulk_create sets their ids, which the children then pick up."""
        counts: Counter = Counter()
        for model, rows in (
            (Household, self.households),
            (Case, self.cases),
            (Referral, self.referrals),
            (CaseNote, self.notes),
            (Assessment, self.assessments),
            (LegalProceeding, self.proceedings),
        ):
            model.objects.bulk_create(rows, batch_size=BATCH_SIZE)
            counts[str(model._meta.verbose_name_plural)] += len(rows)
        return counts


class DemoGenerator:
    """Builds cases with their records from one `random.Random`: the same seed gives the same rows."""

    def __init__(
        self,
        rng: random.Random,
        reference: ReferenceData,
        staff: dict[str, OrgStaff],
        anchor: datetime.date = ANCHOR,
        taken_references: set[str] | None = None,
    ) -> None:
        self.rng = rng
        self.ref = reference
        self.staff = staff
        # Never after the real today: the models refuse dates in the future.
        self.anchor = min(anchor, timezone.localdate())
        self.taken = taken_references if taken_references is not None else set()
        self.profiles = vocab.Weighted(
            {
                self._zhusan_family: 22,
                self._uzbek_family: 8,
                self._uzbek_man: 16,
                self._tajik_amnesty: 12,
                self._family_from_iraq: 8,
                self._deportee: 12,
                self._independent: 14,
                self._from_afghanistan: 4,
            }
        )

    def batches(self, n_cases: int) -> Iterator[Batch]:
        """Yield batches of unsaved rows, exactly `n_cases` cases in all; save each before the next."""
        batch = Batch()
        remaining = n_cases
        while remaining > 0:
            remaining -= self._unit(batch, remaining)
            if len(batch.cases) >= CHUNK_CASES:
                yield batch
                batch = Batch()
        if batch.cases:
            yield batch

    # Units: who came back together, and how -------------------------------------------------------

    def _unit(self, batch: Batch, remaining: int) -> int:
        rng = self.rng
        profile: Callable[[int], tuple[Journey, list[Person]]] = self.profiles.pick(rng)
        journey, people = profile(remaining)
        residence = journey.residence or journey.citizenship
        regions = self.ref.regions.get(residence, [])
        region = rng.choice(regions) if regions and rng.random() < 0.93 else None
        home = HOME_ORGANISATION[journey.citizenship]
        away = next(slug for slug in ORGANISATION_SLUGS if slug != home)
        staff = self.staff[home if rng.random() < 0.75 else away]
        timeline = self._timeline(journey.return_month)
        assigned, opener = self._assignment(staff, timeline["status"])
        consent = self._consent(timeline)

        household = None
        if len(people) > 1:
            household = Household(reference=self._reference(), organisation=staff.organisation)
            batch.households.append(household)
        for person in people:
            affiliation, group_name = person.affiliation
            case = Case(
                reference=self._reference(),
                organisation=staff.organisation,
                assigned_to=assigned,
                created_by=opener,
                **timeline,
                **consent,
                sex=person.sex,
                age_band=person.age_band,
                citizenship=self.ref.countries[journey.citizenship],
                residence_country=self.ref.countries[residence],
                residence_region=region,
                return_month=journey.return_month,
                departure_year=person.departure_year,
                conflict_zone=journey.conflict_zone,
                return_pathway=journey.pathway,
                programme=self.ref.programmes[journey.programme] if journey.programme else None,
                affiliation=affiliation,
                armed_group=self.ref.groups[group_name] if group_name else None,
                circumstance=person.circumstance,
                drivers=sorted(person.drivers),
                vulnerabilities=sorted(person.vulnerabilities),
                household=household,
                household_role=person.household_role if household else "",
            )
            batch.cases.append(case)
            self._records(batch, case, person, staff)
        return len(people)

    def _departure(self, return_year: int) -> int:
        return min(vocab.DEPARTURE_YEARS.pick(self.rng), return_year - 1)

    def _woman(self, departure: int, plan: vocab.ProceedingPlan | None, role: str = "") -> Person:
        rng = self.rng
        ages = vocab.MOTHER_AGES if role == HouseholdRole.MOTHER else vocab.WOMEN_AGES
        return Person(
            sex=Sex.FEMALE,
            age_band=ages.pick(rng),
            circumstance=vocab.WOMEN_GOING.pick(rng),
            departure_year=departure,
            affiliation=vocab.WOMEN_AFFILIATION.pick(rng),
            drivers=_flags(rng, vocab.WOMEN_DRIVERS) or [D.FAMILY_TIES],
            vulnerabilities=_flags(rng, vocab.WOMEN_VULNERABILITIES),
            household_role=role,
            proceeding=plan,
        )

    def _man(
        self,
        affiliation: vocab.Weighted,
        drivers: Sequence[tuple[str, float]],
        return_month: datetime.date,
        plan: vocab.ProceedingPlan | None,
    ) -> Person:
        rng = self.rng
        going = vocab.MEN_GOING.pick(rng)
        found = _flags(rng, drivers)
        if not found and going == Circ.CHOSE:
            found = [drivers[0][0]]
        return Person(
            sex=Sex.MALE,
            age_band=vocab.MEN_AGES.pick(rng),
            circumstance=going,
            departure_year=self._departure(return_month.year),
            affiliation=affiliation.pick(rng),
            drivers=found,
            vulnerabilities=_flags(rng, vocab.MEN_VULNERABILITIES),
            proceeding=plan,
        )

    def _child(self, departure: int, years_away: int, role: str = HouseholdRole.CHILD) -> Person:
        rng = self.rng
        born_there = years_away >= 1 and rng.random() < 0.6
        if born_there:
            band = Band.UNDER_5 if years_away <= 4 or rng.random() < 0.55 else Band.AGE_5_11
        elif years_away >= 5:
            band = Band.AGE_5_11 if rng.random() < 0.55 else Band.AGE_12_17
        else:
            band = rng.choice((Band.UNDER_5, Band.AGE_5_11, Band.AGE_5_11, Band.AGE_12_17))
        odds = ((V.TRAUMA, 0.6), (V.NO_CIVIL_DOCUMENTS, 0.85 if born_there else 0.15))
        vulnerabilities = _flags(rng, (*odds, (V.CHRONIC_ILLNESS, 0.08), (V.DISABILITY, 0.05)))
        if role != HouseholdRole.CHILD:
            vulnerabilities.append(V.UNACCOMPANIED_CHILD)
        return Person(
            sex=rng.choice((Sex.FEMALE, Sex.MALE)),
            age_band=band,
            circumstance=Circ.BORN_IN_ZONE if born_there else Circ.TAKEN_BY_FAMILY,
            departure_year=None if born_there else departure,
            affiliation=vocab.CHILD_AFFILIATION.pick(rng),
            drivers=[] if born_there else [D.FAMILY_TIES],
            vulnerabilities=vulnerabilities,
            household_role=role,
        )

    def _mother_and_children(
        self, remaining: int, return_month: datetime.date, plan_rate: float
    ) -> list[Person]:
        rng = self.rng
        departure = self._departure(return_month.year)
        plan = vocab.WOMEN_CRIMINAL if rng.random() < plan_rate else None
        mother = self._woman(departure, plan, HouseholdRole.MOTHER)
        count = min(vocab.CHILDREN_PER_MOTHER.pick(rng), remaining - 1)
        return [mother, *(self._child(departure, return_month.year - departure) for _ in range(count))]

    def _zhusan_family(self, remaining: int) -> tuple[Journey, list[Person]]:
        rng = self.rng
        return_month = vocab.ZHUSAN_WAVES.pick(rng)
        journey = Journey("KZ", return_month, vocab.ZHUSAN_ZONES.pick(rng), Path.PROGRAMME, vocab.ZHUSAN)
        if remaining >= 2 and rng.random() < 0.08:
            # Children whose parents died or stayed behind came back without them, as siblings.
            departure = self._departure(return_month.year)
            count = min(rng.randint(2, 4), remaining)
            siblings = [
                self._child(departure, return_month.year - departure, HouseholdRole.SIBLING)
                for _ in range(count)
            ]
            return journey, siblings
        return journey, self._mother_and_children(remaining, return_month, 0.1)

    def _uzbek_family(self, remaining: int) -> tuple[Journey, list[Person]]:
        rng = self.rng
        return_month = vocab.UZ_WAVES.pick(rng)
        journey = Journey("UZ", return_month, vocab.UZ_FAMILY_ZONES.pick(rng), Path.PROGRAMME, vocab.UZ_COURT)
        return journey, self._mother_and_children(remaining, return_month, 0.15)

    def _family_from_iraq(self, remaining: int) -> tuple[Journey, list[Person]]:
        rng = self.rng
        country = rng.choice(("TJ", "TJ", "KG"))
        return_month = vocab.month_start(vocab.IRAQ_FAMILY_YEARS.pick(rng), rng.randint(1, 12))
        pathway = vocab.IRAQ_FAMILY_PATHWAYS.pick(rng)
        journey = Journey(country, return_month, vocab.IRAQ_FAMILY_ZONES.pick(rng), pathway)
        return journey, self._mother_and_children(remaining, return_month, 0.1)

    def _uzbek_man(self, remaining: int) -> tuple[Journey, list[Person]]:
        rng = self.rng
        return_month = vocab.UZ_WAVES.pick(rng)
        journey = Journey("UZ", return_month, vocab.UZ_MEN_ZONES.pick(rng), Path.PROGRAMME, vocab.UZ_COURT)
        plan = vocab.UZ_TRIAL if rng.random() < 0.85 else None
        return journey, [self._man(vocab.UZ_MEN_AFFILIATION, vocab.MIGRANT_DRIVERS, return_month, plan)]

    def _tajik_amnesty(self, remaining: int) -> tuple[Journey, list[Person]]:
        rng = self.rng
        return_month = vocab.month_start(rng.randint(2015, 2020), rng.randint(1, 12))
        zone = vocab.TJ_ZONES.pick(rng)
        if rng.random() < 0.85:
            journey = Journey("TJ", return_month, zone, Path.PROGRAMME, vocab.TJ_AMNESTY)
            plan = vocab.TJ_AMNESTIED if rng.random() < 0.9 else None
        else:
            journey = Journey("TJ", return_month, zone, Path.INDEPENDENT)
            plan = vocab.CRIMINAL if rng.random() < 0.4 else None
        if rng.random() < 0.12:
            return journey, [self._woman(self._departure(return_month.year), plan)]
        return journey, [self._man(vocab.MEN_AFFILIATION, vocab.MIGRANT_DRIVERS, return_month, plan)]

    def _deportee(self, remaining: int) -> tuple[Journey, list[Person]]:
        rng = self.rng
        country = vocab.DEPORTEE_COUNTRIES.pick(rng)
        return_month = vocab.month_start(rng.randint(2016, 2024), rng.randint(1, 12))
        pathway = Path.DEPORTATION if rng.random() < 0.8 else Path.EXTRADITION
        journey = Journey(country, return_month, vocab.DEPORTEE_ZONES.pick(rng), pathway)
        plan = (vocab.UZ_TRIAL if country == "UZ" else vocab.CRIMINAL) if rng.random() < 0.35 else None
        return journey, [self._man(vocab.MEN_AFFILIATION, vocab.MIGRANT_DRIVERS, return_month, plan)]

    def _independent(self, remaining: int) -> tuple[Journey, list[Person]]:
        rng = self.rng
        country = vocab.INDEPENDENT_COUNTRIES.pick(rng)
        return_month = vocab.month_start(rng.randint(2015, 2023), rng.randint(1, 12))
        # A few labour migrants went back to Russia rather than home.
        residence = "RU" if rng.random() < 0.04 else None
        journey = Journey(
            country, return_month, vocab.INDEPENDENT_ZONES.pick(rng), Path.INDEPENDENT, None, residence
        )
        if rng.random() < 0.3:
            plan = vocab.WOMEN_CRIMINAL if rng.random() < 0.1 else None
            return journey, [self._woman(self._departure(return_month.year), plan)]
        plan = vocab.CRIMINAL if rng.random() < 0.2 else None
        return journey, [self._man(vocab.MEN_AFFILIATION, vocab.MEN_DRIVERS, return_month, plan)]

    def _from_afghanistan(self, remaining: int) -> tuple[Journey, list[Person]]:
        rng = self.rng
        country = vocab.AFGHANISTAN_COUNTRIES.pick(rng)
        return_month = vocab.month_start(rng.randint(2016, 2024), rng.randint(1, 12))
        journey = Journey(country, return_month, Zone.AFGHANISTAN, vocab.AFGHANISTAN_PATHWAYS.pick(rng))
        plan = (vocab.UZ_TRIAL if country == "UZ" else vocab.CRIMINAL) if rng.random() < 0.45 else None
        return journey, [self._man(vocab.AFGHANISTAN_AFFILIATION, vocab.MEN_DRIVERS, return_month, plan)]

    # Case life: status, dates, staff, consent ------------------------------------------------------

    def _timeline(self, return_month: datetime.date) -> dict:
        rng, anchor = self.rng, self.anchor
        earliest = max(return_month, EARLIEST_OPENING)
        status = vocab.CASE_STATUSES.pick(rng)
        latest = anchor - datetime.timedelta(days=vocab.LATEST_OPENING[status])
        if latest < earliest:
            status = Status.INTAKE
        if status == Status.INTAKE:
            opened = _day_between(rng, max(earliest, anchor - datetime.timedelta(days=75)), anchor)
        else:
            # Most cases are opened within months of the return, some long after.
            opened = earliest + datetime.timedelta(days=int(rng.expovariate(1 / 150)))
            if opened > latest:
                opened = _day_between(rng, earliest, latest)
        timeline = {"status": status, "opened_on": opened, "closed_on": None, "closure_reason": ""}
        if status == Status.CLOSED:
            timeline["closed_on"] = _later(rng, opened, 90, 1500, anchor)
        elif status == Status.ARCHIVED:
            closed = _later(rng, opened, 90, 1200, anchor - datetime.timedelta(days=365))
            archived = _later(rng, closed, 180, 720, anchor)
            timeline["closed_on"] = closed
            timeline["archived_at"] = datetime.datetime.combine(
                archived, datetime.time(16, 30), tzinfo=datetime.UTC
            )
        if timeline["closed_on"]:
            timeline["closure_reason"] = vocab.CLOSURE_REASONS.pick(rng)
        return timeline

    def _assignment(self, staff: OrgStaff, status: str) -> tuple[User | None, User]:
        rng = self.rng
        worker = rng.choice(staff.caseworkers)
        # Some cases are opened by one caseworker (on intake duty, say) and handed to another.
        opener = worker if rng.random() < 0.85 else rng.choice(staff.caseworkers)
        if status == Status.INTAKE and rng.random() < 0.5:
            return None, opener
        if rng.random() < 0.03:
            return staff.supervisor, opener
        return worker, opener

    def _consent(self, timeline: dict) -> dict:
        rng = self.rng
        opened, closed = timeline["opened_on"], timeline["closed_on"]
        consent = {
            "consent_services": False,
            "consent_services_on": None,
            "consent_data_sharing": False,
            "consent_data_sharing_on": None,
            "consent_withdrawn_on": None,
        }
        if timeline["closure_reason"] == choices.ClosureReason.CONSENT_WITHDRAWN:
            consent["consent_withdrawn_on"] = max(
                opened, closed - datetime.timedelta(days=rng.randint(0, 20))
            )
        elif rng.random() < (0.6 if timeline["status"] == Status.INTAKE else 0.93):
            end = closed or self.anchor
            given = _later(rng, opened, 0, 14, end)
            consent.update(consent_services=True, consent_services_on=given)
            if rng.random() < 0.8:
                shared = given if rng.random() < 0.7 else _later(rng, given, 1, 60, end)
                consent.update(consent_data_sharing=True, consent_data_sharing_on=shared)
        return consent

    # Records: referrals, proceedings, notes, assessments ------------------------------------------

    def _records(self, batch: Batch, case: Case, person: Person, staff: OrgStaff) -> None:
        rng = self.rng
        if case.age_band in choices.CHILD_AGE_BANDS:
            group = "child"
        else:
            group = "woman" if person.sex == Sex.FEMALE else "man"
        start, end = case.opened_on, case.closed_on or self.anchor
        worker = case.assigned_to or case.created_by
        intake = case.status == Status.INTAKE

        # Services need consent; after it is withdrawn, every referral has ended by that day.
        if case.consent_withdrawn_on:
            count, statuses = rng.randint(1, 4), vocab.CLOSED_CASE_REFERRALS
        elif not case.consent_services:
            count, statuses = rng.randint(0, 1), vocab.NO_CONSENT_REFERRALS
        elif intake:
            count, statuses = rng.randint(0, 1), vocab.INTAKE_REFERRALS
        else:
            count = rng.randint(1, 5)
            statuses = vocab.CLOSED_CASE_REFERRALS if case.closed_on else vocab.OPEN_CASE_REFERRALS
        referrals_end = case.consent_withdrawn_on or end
        for _ in range(count):
            service = vocab.SERVICES[group].pick(rng)
            if group == "child" and V.NO_CIVIL_DOCUMENTS in person.vulnerabilities and rng.random() < 0.3:
                service = "civil-documents"
            referral = self._referral(case, service, statuses.pick(rng), start, referrals_end, worker)
            batch.referrals.append(referral)

        proceeding = self._proceeding(case, person.proceeding) if person.proceeding else None
        if proceeding:
            batch.proceedings.append(proceeding)

        for _ in range(rng.randint(1, 2) if intake else rng.randint(1, 5)):
            contact_on = _day_between(rng, start, end)
            if rng.random() < 0.1:
                contact_type = rng.choice((C.OFFICE, C.PHONE, C.CASE_CONFERENCE))
                text = rng.choice(vocab.RESTRICTED_NOTES)
                author, restricted = staff.supervisor, True
            else:
                hearing = proceeding is not None and rng.random() < 0.2
                contact_type = C.COURT_HEARING if hearing else vocab.CONTACTS[group].pick(rng)
                parts = (
                    rng.choice(vocab.NOTE_OPENINGS[contact_type]),
                    rng.choice(vocab.NOTE_OBSERVATIONS[group]),
                    rng.choice(vocab.NOTE_NEXT_STEPS),
                )
                text = " ".join(part for part in parts if part)
                author, restricted = (worker if rng.random() < 0.85 else case.created_by), False
            batch.notes.append(
                CaseNote(
                    case=case,
                    author=author,
                    contact_on=contact_on,
                    contact_type=contact_type,
                    text=text,
                    restricted=restricted,
                )
            )

        self._assessments(batch, case, start, end, worker, 1 if intake else rng.randint(1, 4))

    def _referral(
        self, case: Case, service: str, status: str, start: datetime.date, end: datetime.date, author: User
    ) -> Referral:
        rng = self.rng
        # Referrals still under way are recent; finished ones can lie anywhere in the case's life.
        recent = {RS.REFERRED: 120, RS.ACCEPTED: 120, RS.IN_PROGRESS: 365}.get(status)
        base = _day_between(rng, max(start, end - datetime.timedelta(days=recent)) if recent else start, end)
        dates: dict[str, datetime.date] = {}
        if status == RS.CANCELLED:
            if rng.random() < 0.5:
                dates["referred_on"] = base
            dates["ended_on"] = _later(rng, base, 1, 60, end)
        elif status == RS.DECLINED:
            dates["referred_on"] = base
            dates["ended_on"] = _later(rng, base, 3, 30, end)
        elif status != RS.PLANNED:
            dates["referred_on"] = base
            if status != RS.REFERRED:
                dates["accepted_on"] = _later(rng, base, 0, 21, end)
            if status in (RS.IN_PROGRESS, RS.COMPLETED, RS.DROPPED_OUT):
                dates["started_on"] = _later(rng, dates["accepted_on"], 0, 30, end)
            if status == RS.COMPLETED:
                dates["ended_on"] = _later(rng, dates["started_on"], 30, 270, end)
            elif status == RS.DROPPED_OUT:
                dates["ended_on"] = _later(rng, dates["started_on"], 14, 120, end)
        outcome = note = ""
        if status in vocab.OUTCOMES:
            outcome = vocab.OUTCOMES[status].pick(rng)
            if rng.random() < 0.5:
                note = rng.choice(vocab.OUTCOME_NOTES[status])
        providers = self.ref.providers.get((case.residence_country.code, service), ())
        return Referral(
            case=case,
            service_type=self.ref.service_types[service],
            provider=rng.choice(providers) if providers and rng.random() < 0.85 else None,
            status=status,
            outcome=outcome,
            outcome_note=note,
            created_by=author,
            **dates,
        )

    def _proceeding(self, case: Case, plan: vocab.ProceedingPlan) -> LegalProceeding | None:
        rng = self.rng
        frameworks = self.ref.frameworks.get(case.citizenship.code, [])
        preferred = [item for item in frameworks if item[0].kind in plan.kinds] or frameworks
        if not preferred:
            return None
        framework, provisions = rng.choice(preferred)
        matching = [p for p in provisions if p.category in plan.categories] or provisions
        stage = plan.stages.pick(rng)
        # An investigation does not stay open for years: older returns have reached a later stage.
        if stage in vocab.EARLY_STAGES and case.return_month < self.anchor - datetime.timedelta(days=1095):
            stage = rng.choice((Stage.SENTENCED, Stage.PROBATION, Stage.COMPLETED))
        started = _later(rng, case.return_month, 0, 90, self.anchor)
        ended = None
        if stage in choices.FINAL_PROCEEDING_STAGES:
            ended = _later(rng, started, 30 if stage == Stage.AMNESTIED else 90, 900, self.anchor)
        outcomes = vocab.PROCEEDING_OUTCOMES.get(stage)
        return LegalProceeding(
            case=case,
            framework=framework,
            provision=rng.choice(matching) if matching and rng.random() < 0.92 else None,
            stage=stage,
            started_on=started,
            ended_on=ended,
            closed_court=rng.random() < plan.closed_court,
            outcome=rng.choice(outcomes) if outcomes and rng.random() < 0.7 else "",
        )

    def _assessments(
        self, batch: Batch, case: Case, start: datetime.date, end: datetime.date, assessor: User, count: int
    ) -> None:
        rng = self.rng
        young = case.age_band in (Band.UNDER_5, Band.AGE_5_11)
        domains = vocab.YOUNG_CHILD_DOMAINS if young else vocab.ADULT_DOMAINS
        # Start low and drift upwards with noise: progress that can be plotted, not a straight line.
        level = {domain: rng.uniform(1.2, 3.2) for domain in domains}
        day = _later(rng, start, 0, 30, end)
        for _ in range(count):
            scores = {
                domain: min(5, max(1, round(level[domain] + rng.gauss(0, 0.4))))
                for domain in domains
                if domain == "psychosocial" or rng.random() < 0.9
            }
            batch.assessments.append(Assessment(case=case, assessed_on=day, assessed_by=assessor, **scores))
            for domain in domains:
                level[domain] = min(5.0, level[domain] + rng.gauss(0.35, 0.45))
            day += datetime.timedelta(days=rng.randint(90, 240))
            if day > end:
                break

    def _reference(self) -> str:
        """Like `new_reference`, but from the seeded generator, and unique among rows already made."""
        while True:
            chars = "".join(self.rng.choices(REFERENCE_ALPHABET, k=8))
            reference = f"{chars[:4]}-{chars[4:]}"
            if reference not in self.taken:
                self.taken.add(reference)
                return reference


def create_saved_reports(staff: dict[str, OrgStaff]) -> int:
    """One-click reports on /reports/: each organisation's caseload since the demo's first returns, and
    country briefs of the three countries most returnees came back to (for everyone)."""
    created = 0
    for org_staff in staff.values():
        org = org_staff.organisation
        SavedReport.objects.create(
            name=f"{org.name}: caseload since 2019",
            report="caseload",
            parameters={"organisation": org.slug, "from": "2019-01-01"},
            organisation=org,
        )
        created += 1
    for code, name in (("KZ", "Kazakhstan"), ("UZ", "Uzbekistan"), ("TJ", "Tajikistan")):
        _report, made = SavedReport.objects.get_or_create(
            name=f"Country brief: {name}",
            organisation=None,
            defaults={"report": "country-brief", "parameters": {"country": code}},
        )
        created += made
    return created


def seed(n_cases: int, seed: int, password_hash: str) -> dict[str, int]:
    """Create the demo organisations, staff, providers and `n_cases` cases; return counts by model.

    Expects the reference data loaded and no demo organisations present; run it in a transaction.
    """
    reference = load_reference_data()
    providers = ensure_demo_providers(reference)
    staff = create_staff(reference, n_cases, password_hash)
    # Real cases may sit beside the demo; a demo reference must not collide with theirs.
    taken = set(Case.objects.values_list("reference", flat=True))
    taken.update(Household.objects.values_list("reference", flat=True))
    generator = DemoGenerator(random.Random(seed), reference, staff, taken_references=taken)
    counts: Counter = Counter()
    for batch in generator.batches(n_cases):
        counts.update(batch.save())
    saved = create_saved_reports(staff)
    users = sum(len(s.caseworkers) + 2 for s in staff.values()) + len(GLOBAL_USERS)
    result = {
        "organisations": len(staff),
        "users": users,
        "service providers created": providers,
        "saved reports": saved,
    }
    for model in (Household, Case, Referral, CaseNote, Assessment, LegalProceeding):
        label = str(model._meta.verbose_name_plural)
        result[label] = counts[label]
    return result

"""`manage.py seed_reference` loads the shipped reference data, and loading it again changes nothing."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Q

from casework.models import ServiceType
from policies.loader import LABELS, load_reference_data
from policies.models import (
    ArmedGroup,
    ArmedGroupAlias,
    Country,
    LegalFramework,
    Programme,
    Provision,
    Region,
    ReportedFigure,
)

pytestmark = pytest.mark.django_db

Cat = Provision.Category

MODELS = [
    Country,
    Region,
    ArmedGroup,
    ArmedGroupAlias,
    ServiceType,
    LegalFramework,
    LegalFramework.parties.through,
    Provision,
    Programme,
    Programme.frameworks.through,
    ReportedFigure,
]
CENTRAL_ASIA = ["KZ", "KG", "TJ", "TM", "UZ"]
REGION_COUNTS = {"KZ": 20, "KG": 9, "TJ": 5, "TM": 6, "UZ": 14}


def snapshot() -> dict[str, list[dict]]:
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in MODELS}


def group_called(name: str) -> ArmedGroup:
    """The group known by this name or alias, as a caseworker's search would resolve it."""
    return ArmedGroup.objects.filter(Q(name__iexact=name) | Q(aliases__name__iexact=name)).distinct().get()


@pytest.fixture
def seeded() -> dict[str, int]:
    return load_reference_data()


def test_second_run_creates_and_updates_nothing_and_leaves_every_row_as_it_was(seeded):
    before = snapshot()

    again = load_reference_data()

    assert snapshot() == before
    assert {key: value for key, value in again.items() if not key.endswith("_unchanged")} == dict.fromkeys(
        (f"{label}_{outcome}" for label in LABELS for outcome in ("created", "updated")), 0
    )
    for label in LABELS:
        assert again[f"{label}_unchanged"] == seeded[f"{label}_created"]


def test_first_run_reports_what_it_created(seeded):
    assert seeded["countries_created"] == Country.objects.count() == 10
    assert seeded["regions_created"] == Region.objects.count() == sum(REGION_COUNTS.values())
    assert seeded["service_types_created"] == ServiceType.objects.count() == 11
    assert seeded["programmes_created"] == Programme.objects.count() == 3
    assert all(seeded[f"{label}_updated"] == 0 for label in LABELS)


def test_countries_are_flagged_central_asian_exactly_for_the_five_states(seeded):
    assert sorted(Country.objects.filter(is_central_asian=True).values_list("code", flat=True)) == sorted(
        CENTRAL_ASIA
    )
    assert dict(Country.objects.filter(is_central_asian=False).values_list("code", "name")) == {
        "SY": "Syria",
        "IQ": "Iraq",
        "AF": "Afghanistan",
        "RU": "Russia",
        "TR": "Turkey",
    }


@pytest.mark.parametrize("code", CENTRAL_ASIA)
def test_each_central_asian_state_has_its_first_level_regions_with_iso_codes(seeded, code):
    regions = Region.objects.filter(country__code=code)

    assert regions.count() == REGION_COUNTS[code]
    codes = [region.code for region in regions if region.code]
    assert len(codes) == len(set(codes))
    assert all(region_code.startswith(f"{code}-") for region_code in codes)


def test_kazakhstan_includes_the_regions_created_in_2022(seeded):
    assert set(
        Region.objects.filter(country__code="KZ", code__in=["KZ-10", "KZ-33", "KZ-62"]).values_list(
            "name", flat=True
        )
    ) == {"Abai Region", "Jetisu Region", "Ulytau Region"}


def test_cities_with_the_name_of_their_region_are_separate_regions(seeded):
    assert Region.objects.get(country__code="KZ", code="KZ-75").name == "Almaty"
    assert Region.objects.get(country__code="KZ", code="KZ-19").name == "Almaty Region"
    assert Region.objects.get(country__code="KG", code="KG-GO").name == "Osh"
    assert Region.objects.get(country__code="UZ", code="UZ-TK").name == "Tashkent"


@pytest.mark.parametrize("code", CENTRAL_ASIA)
def test_each_central_asian_state_criminalises_joining_with_a_provision(seeded, code):
    frameworks = LegalFramework.objects.filter(country__code=code)

    assert frameworks.exists()
    assert Provision.objects.filter(framework__in=frameworks, category=Cat.CRIMINALISATION).exists()


@pytest.mark.parametrize(
    ("code", "categories"),
    [
        ("TJ", {Cat.VOLUNTARY_RETURN_EXEMPTION, Cat.AMNESTY}),
        ("KZ", {Cat.REPATRIATION, Cat.DERADICALISATION, Cat.REHABILITATION, Cat.PROBATION_MONITORING}),
        ("UZ", {Cat.CLOSED_TRIAL, Cat.REPATRIATION}),
    ],
)
def test_national_responses_have_provisions_of_their_categories(seeded, code, categories):
    present = set(Provision.objects.filter(framework__country__code=code).values_list("category", flat=True))

    assert categories <= present


def test_tajikistan_has_an_amnesty_framework_and_the_article_401_1_exemption(seeded):
    assert LegalFramework.objects.filter(country__code="TJ", kind=LegalFramework.Kind.AMNESTY).exists()
    exemption = Provision.objects.get(framework__country__code="TJ", category=Cat.VOLUNTARY_RETURN_EXEMPTION)
    assert exemption.article.startswith("401¹")
    assert Provision.AppliesTo.NATIONALS in exemption.applies_to


def test_csto_is_a_regional_agreement_between_its_members_among_the_loaded_countries(seeded):
    csto = LegalFramework.objects.get(title="Collective Security Treaty Organization (CSTO)")

    assert csto.kind == LegalFramework.Kind.AGREEMENT
    assert csto.country is None
    # Uzbekistan suspended its membership in 2012; Turkmenistan never joined.
    assert set(csto.parties.values_list("code", flat=True)) == {"KZ", "KG", "TJ", "RU"}
    assert csto.provisions.filter(category=Cat.COOPERATION).exists()


@pytest.mark.parametrize(
    ("name", "group"),
    [
        ("Tavhid va Jihod Katibasi", "Katibat al-Tawhid wal-Jihad"),
        ("Katibat al-Tawhid wal-Jihad", "Katibat al-Tawhid wal-Jihad"),
        ("Imam Bukhari Jamaat", "Katibat Imam al-Bukhari"),
        ("KIB", "Katibat Imam al-Bukhari"),
        ("Daesh", "Islamic State (ISIS)"),
        ("ISIL", "Islamic State (ISIS)"),
        ("Islamic State", "Islamic State (ISIS)"),
        ("TIP", "Turkistan Islamic Party"),
    ],
)
def test_aliases_resolve_to_one_armed_group(seeded, name, group):
    assert group_called(name).name == group


def test_groups_named_in_the_source_are_one_record_each_not_one_per_spelling(seeded):
    assert set(ArmedGroup.objects.values_list("name", flat=True)) == {
        "Islamic State (ISIS)",
        "Katibat al-Tawhid wal-Jihad",
        "Katibat Imam al-Bukhari",
        "Jund al-Khilafah",
        "Katibat Sayfullah al-Shishani",
        "Turkistan Islamic Party",
        "Other al-Qaeda-aligned group",
    }
    assert not ArmedGroup.objects.filter(name__in=ArmedGroupAlias.objects.values("name")).exists()


def test_service_types_have_the_stable_codes(seeded):
    assert set(ServiceType.objects.values_list("code", flat=True)) == {
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
    }


def test_programmes_have_their_country_and_kind(seeded):
    assert {(p.name, p.country.code, p.kind) for p in Programme.objects.select_related("country")} == {
        ("Operation Zhusan", "KZ", Programme.Kind.STATE_REPATRIATION),
        ("Tajikistan amnesty for repentant returnees", "TJ", Programme.Kind.AMNESTY),
        ("Uzbekistan court-supervised repatriations", "UZ", Programme.Kind.COURT_SUPERVISED),
    }
    assert Programme.objects.get(name="Operation Zhusan").start_year == 2019
    assert all(programme.frameworks.exists() for programme in Programme.objects.all())


def test_every_figure_is_an_estimate_with_a_source_and_no_invented_url(seeded):
    assert ReportedFigure.objects.count() == 3
    for figure in ReportedFigure.objects.all():
        assert figure.is_estimate
        assert figure.source
        assert figure.source_url == ""
        assert "(estimate)" in figure.display_value


def test_reported_figures_match_the_source(seeded):
    zhusan = ReportedFigure.objects.get(programme__name="Operation Zhusan")
    assert (zhusan.qualifier, zhusan.value) == (ReportedFigure.Qualifier.MORE_THAN, 600)

    tajikistan = ReportedFigure.objects.get(programme__name="Tajikistan amnesty for repentant returnees")
    assert (tajikistan.qualifier, tajikistan.value) == (ReportedFigure.Qualifier.MORE_THAN, 200)
    assert "country-wide" in tajikistan.label

    regional = ReportedFigure.objects.get(programme=None, country=None)
    assert (regional.qualifier, regional.value, regional.value_high) == (
        ReportedFigure.Qualifier.RANGE,
        4000,
        5000,
    )


def test_no_figure_is_invented_for_uzbekistan(seeded):
    assert not ReportedFigure.objects.filter(
        Q(programme__name="Uzbekistan court-supervised repatriations") | Q(country__code="UZ")
    ).exists()


def test_unverified_legal_content_is_flagged_and_says_to_check_the_official_text(seeded):
    for framework in LegalFramework.objects.all():
        assert framework.is_illustrative
        assert "official text" in framework.summary
        assert framework.source
        assert framework.source_url == ""
    # No penalty has been checked against an official text, so none is shipped.
    assert not Provision.objects.filter(
        Q(penalty_min_years__isnull=False) | Q(penalty_max_years__isnull=False)
    ).exists()


@pytest.mark.parametrize("model", [model for model in MODELS if not model._meta.auto_created])
def test_every_loaded_object_passes_full_clean(seeded, model):
    objects = list(model.objects.all())

    assert objects
    for obj in objects:
        obj.full_clean()


def test_rows_and_links_added_by_an_administrator_survive_a_rerun(seeded):
    kazakhstan = Country.objects.get(code="KZ")
    belarus = Country.objects.create(code="BY", name="Belarus")
    csto = LegalFramework.objects.get(title="Collective Security Treaty Organization (CSTO)")
    csto.parties.add(belarus)
    region = Region.objects.create(country=kazakhstan, name="Baikonur", code="")
    alias = ArmedGroupAlias.objects.create(group=ArmedGroup.objects.get(name="Jund al-Khilafah"), name="JaK")
    provision = Provision.objects.create(
        framework=csto, title="Extra clause added by an administrator", category=Cat.COOPERATION
    )
    service = ServiceType.objects.create(code="peer-support", name="Peer support")
    programme = Programme.objects.create(country=kazakhstan, name="Local NGO programme", kind="ngo")
    figure = ReportedFigure.objects.create(
        programme=programme, label="Participants", qualifier="exact", value=12, source="NGO report"
    )
    before = snapshot()

    again = load_reference_data()

    assert snapshot() == before
    assert sum(again[f"{label}_created"] + again[f"{label}_updated"] for label in LABELS) == 0
    assert set(csto.parties.values_list("code", flat=True)) == {"KZ", "KG", "TJ", "RU", "BY"}
    for obj in (belarus, region, alias, provision, service, programme, figure):
        obj.refresh_from_db()


def test_work_that_administrators_complete_is_kept(seeded):
    """Articles, penalties, status and the illustrative flag are for administrators to verify."""
    provision = Provision.objects.get(framework__country__code="KZ", category=Cat.CRIMINALISATION)
    provision.article = "257"
    provision.penalty_min_years = Decimal("5")
    provision.penalty_max_years = Decimal("9")
    provision.is_illustrative = False
    provision.save()
    framework = provision.framework
    framework.status = LegalFramework.Status.AMENDED
    framework.is_illustrative = False
    framework.save()
    service = ServiceType.objects.get(code="housing")
    service.is_active = False
    service.save()

    load_reference_data()

    provision.refresh_from_db()
    framework.refresh_from_db()
    service.refresh_from_db()
    assert (provision.article, provision.penalty_min_years, provision.penalty_max_years) == ("257", 5, 9)
    assert not provision.is_illustrative
    assert (framework.status, framework.is_illustrative) == (LegalFramework.Status.AMENDED, False)
    assert not service.is_active


def test_shipped_values_that_were_altered_are_restored_and_counted_as_updated(seeded):
    ReportedFigure.objects.filter(programme__name="Operation Zhusan").update(value=6000, is_estimate=False)
    ArmedGroupAlias.objects.filter(name="KIB").update(
        group=ArmedGroup.objects.get(name="Turkistan Islamic Party")
    )
    Programme.objects.get(name="Operation Zhusan").frameworks.clear()

    again = load_reference_data()

    assert (again["figures_updated"], again["aliases_updated"], again["programmes_updated"]) == (1, 1, 1)
    zhusan = ReportedFigure.objects.get(programme__name="Operation Zhusan")
    assert (zhusan.value, zhusan.is_estimate) == (600, True)
    assert group_called("KIB").name == "Katibat Imam al-Bukhari"
    assert Programme.objects.get(name="Operation Zhusan").frameworks.exists()


def test_the_command_prints_a_summary_per_kind_of_row():
    out = StringIO()

    call_command("seed_reference", stdout=out)
    call_command("seed_reference", stdout=out)

    first, second = out.getvalue().split("Reference data:")[1:]
    assert "countries" in first and "10 created" in first
    assert "armed groups" in first and "service types" in first and "provisions" in first
    assert "Done: 0 created, 0 updated" in second
    assert "10 unchanged" in second

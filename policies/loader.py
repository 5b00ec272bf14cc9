"""Idempotent loading of the shipped reference data (`policies.reference_data`).

Each row is found by its natural key (country code, region name within its country, group name, alias,
service-type code, framework title within its country, provision title within its framework, programme
name, figure label within its programme and country) and then:

- created if missing;
- brought back to the shipped values if the loader owns those fields and they differ (a later release
  may correct a description, and every deployment should then show the correction);
- left alone otherwise, so a second run writes nothing.

Rows that administrators add themselves are never touched or deleted, and many-to-many links are only
ever added. Fields that exist for administrators to complete after checking an official text (article
numbers, penalties, dates, status, the illustrative flag, source URLs, whether a service type is active)
are set when a row is created and never overwritten, so a re-run after an upgrade keeps their work.
"""

from collections import Counter
from typing import Any

from django.db import connection, models, transaction

from casework.models import ServiceType
from policies import reference_data as data
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

# Order of the summary; each label yields <label>_created, <label>_updated and <label>_unchanged.
LABELS = (
    "countries",
    "regions",
    "armed_groups",
    "aliases",
    "service_types",
    "frameworks",
    "provisions",
    "programmes",
    "figures",
)
OUTCOMES = ("created", "updated", "unchanged")

# Arbitrary but fixed: identifies this loader's PostgreSQL advisory lock.
ADVISORY_LOCK_KEY = 0x5EED_2EF


class _Loader:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.countries: dict[str, Country] = {}
        self.frameworks: dict[tuple[str | None, str], LegalFramework] = {}

    def upsert(
        self,
        model: type[models.Model],
        label: str,
        lookup: dict[str, Any],
        values: dict[str, Any],
        create_only: dict[str, Any] | None = None,
    ) -> tuple[Any, str]:
        """Create or update one row; returns it with its outcome ("created", "updated", "unchanged")."""
        # order_by("pk") keeps the choice deterministic where the key is not enforced by the database
        # (provisions, figures) and an administrator has added a row with the same key.
        obj = model.objects.filter(**lookup).order_by("pk").first()
        if obj is None:
            obj = model(**lookup, **values, **(create_only or {}))
            obj.full_clean()
            obj.save()
            outcome = "created"
        else:
            changed = [name for name, value in values.items() if _differs(obj, name, value)]
            if changed:
                for name in changed:
                    setattr(obj, name, values[name])
                obj.full_clean()
                obj.save(update_fields=changed)
            outcome = "updated" if changed else "unchanged"
        self.counts[f"{label}_{outcome}"] += 1
        return obj, outcome

    def link(self, label: str, outcome: str, manager: Any, targets: list[models.Model]) -> None:
        """Add missing many-to-many links, never removing those an administrator added.

        A row whose own fields were unchanged but which gained a link counts as updated.
        """
        present = set(manager.values_list("pk", flat=True))
        missing = [target for target in targets if target.pk not in present]
        if missing:
            manager.add(*missing)
            if outcome == "unchanged":
                self.counts[f"{label}_unchanged"] -= 1
                self.counts[f"{label}_updated"] += 1

    def run(self) -> dict[str, int]:
        self.load_countries()
        self.load_regions()
        self.load_armed_groups()
        self.load_service_types()
        self.load_frameworks()
        self.load_programmes()
        self.load_regional_figures()
        return {
            f"{label}_{outcome}": self.counts[f"{label}_{outcome}"]
            for label in LABELS
            for outcome in OUTCOMES
        }

    def load_countries(self) -> None:
        for code, name, is_central_asian in data.COUNTRIES:
            self.countries[code], _ = self.upsert(
                Country, "countries", {"code": code}, {"name": name, "is_central_asian": is_central_asian}
            )

    def load_regions(self) -> None:
        for country_code, regions in data.REGIONS.items():
            country = self.countries[country_code]
            for name, code in regions:
                self.upsert(Region, "regions", {"country": country, "name": name}, {"code": code})

    def load_armed_groups(self) -> None:
        for name, (description, aliases) in data.ARMED_GROUPS.items():
            group, _ = self.upsert(ArmedGroup, "armed_groups", {"name": name}, {"description": description})
            for alias in aliases:
                self.upsert(ArmedGroupAlias, "aliases", {"name": alias}, {"group": group})

    def load_service_types(self) -> None:
        for code, (name, description) in data.SERVICE_TYPES.items():
            # is_active is left to administrators: retiring a shipped service must survive a re-run.
            self.upsert(
                ServiceType, "service_types", {"code": code}, {"name": name, "description": description}
            )

    def load_frameworks(self) -> None:
        for item in data.FRAMEWORKS:
            country = self.countries[item["country"]] if item["country"] else None
            framework, outcome = self.upsert(
                LegalFramework,
                "frameworks",
                {"country": country, "title": item["title"]},
                {"kind": item["kind"], "summary": item["summary"], "source": item["source"]},
                create_only={
                    "status": item.get("status", LegalFramework.Status.IN_FORCE),
                    "adopted_on": item["adopted_on"],
                    "is_illustrative": item["is_illustrative"],
                },
            )
            self.frameworks[(item["country"], item["title"])] = framework
            parties = [self.countries[code] for code in item.get("parties", [])]
            self.link("frameworks", outcome, framework.parties, parties)
            for provision in item["provisions"]:
                self.upsert(
                    Provision,
                    "provisions",
                    {"framework": framework, "title": provision["title"]},
                    {
                        "category": provision["category"],
                        "applies_to": provision["applies_to"],
                        "summary": provision["summary"],
                        "source": provision["source"],
                    },
                    create_only={
                        "article": provision["article"],
                        "penalty_min_years": provision["penalty_min_years"],
                        "penalty_max_years": provision["penalty_max_years"],
                        "is_illustrative": provision["is_illustrative"],
                    },
                )

    def load_programmes(self) -> None:
        for item in data.PROGRAMMES:
            country = self.countries[item["country"]]
            programme, outcome = self.upsert(
                Programme,
                "programmes",
                {"name": item["name"]},
                {
                    "country": country,
                    "kind": item["kind"],
                    "start_year": item["start_year"],
                    "description": item["description"],
                    "source": item["source"],
                },
                create_only={"end_year": item["end_year"], "is_illustrative": item["is_illustrative"]},
            )
            frameworks = [self.frameworks[key] for key in item["frameworks"]]
            self.link("programmes", outcome, programme.frameworks, frameworks)
            for figure in item["figures"]:
                self.load_figure(figure, programme=programme, country=country)

    def load_regional_figures(self) -> None:
        for figure in data.REGIONAL_FIGURES:
            country = self.countries[figure["country"]] if figure["country"] else None
            self.load_figure(figure, programme=None, country=country)

    def load_figure(
        self, figure: dict[str, Any], *, programme: Programme | None, country: Country | None
    ) -> None:
        self.upsert(
            ReportedFigure,
            "figures",
            {"programme": programme, "country": country, "label": figure["label"]},
            {
                "qualifier": figure["qualifier"],
                "value": figure["value"],
                "value_high": figure["value_high"],
                "is_estimate": figure["is_estimate"],
                "source": figure["source"],
            },
            create_only={"as_of_year": figure["as_of_year"]},
        )


def _differs(obj: models.Model, name: str, value: Any) -> bool:
    field = obj._meta.get_field(name)
    if field.is_relation:
        # Compare keys rather than instances to avoid fetching each related row.
        return getattr(obj, field.attname) != (value.pk if value is not None else None)
    return getattr(obj, name) != value


@transaction.atomic
def load_reference_data() -> dict[str, int]:
    """Create or update the shipped reference data; returns counts per kind of row and outcome.

    Runs in one transaction: either all of the reference data is loaded or none of it is.
    """
    if connection.vendor == "postgresql":
        # Several app containers may run this on the same deploy; provisions and figures have no
        # unique constraint, so without the lock two concurrent runs could both insert the same row.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
    return _Loader().run()

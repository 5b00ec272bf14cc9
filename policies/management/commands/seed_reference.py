"""`manage.py seed_reference`: load or refresh the shipped reference data. Safe to run on every deploy."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from policies.loader import LABELS, OUTCOMES, load_reference_data


class Command(BaseCommand):
    help = (
        "Load countries, regions, armed groups, service types, legal frameworks, provisions and "
        "programmes. Idempotent: running it again changes nothing and keeps rows added by administrators."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = load_reference_data()
        except ValidationError as exc:
            # Shipped data that fails model validation is a bug in the release; nothing was written.
            raise CommandError(f"Reference data is invalid, nothing was loaded: {exc}") from exc
        width = max(len(label) for label in LABELS)
        self.stdout.write("Reference data:")
        for label in LABELS:
            created, updated, unchanged = (counts[f"{label}_{outcome}"] for outcome in OUTCOMES)
            self.stdout.write(
                f"  {label.replace('_', ' '):<{width}}  {created:>4} created  {updated:>4} updated  "
                f"{unchanged:>4} unchanged"
            )
        totals = {outcome: sum(counts[f"{label}_{outcome}"] for label in LABELS) for outcome in OUTCOMES}
        self.stdout.write(
            self.style.SUCCESS(
                f"Done: {totals['created']} created, {totals['updated']} updated, "
                f"{totals['unchanged']} unchanged."
            )
        )

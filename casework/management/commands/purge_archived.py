"""`manage.py purge_archived [--dry-run] [--now YYYY-MM-DD]`: the retention policy (casework/retention.py)."""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from casework.retention import purge_archived


def _day(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--now must be a date as YYYY-MM-DD, got {value!r}.") from None


class Command(BaseCommand):
    help = (
        "Remove the free text (notes, outcomes, closure notes) and the field history of every case "
        "archived more than CASEWORK_RETENTION_YEARS_AFTER_ARCHIVE years ago, keeping the case and its "
        "records with their structured fields, so statistics and reports count them as before. "
        "Audited with counts and references only. Safe to run again; run it daily or weekly."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count and list what would be removed; change nothing."
        )
        parser.add_argument(
            "--now",
            type=_day,
            default=None,
            metavar="YYYY-MM-DD",
            help="Take this day as today (to check what a later run will remove). Default: today.",
        )

    def handle(self, *args, dry_run: bool, now: datetime.date | None, **options) -> None:
        years = settings.CASEWORK_RETENTION_YEARS_AFTER_ARCHIVE
        today = now or timezone.localdate()
        result = purge_archived(today=today, years=years, dry_run=dry_run)
        cutoff = f"{result.cutoff:%Y-%m-%d}"
        if dry_run:
            self.stdout.write(
                f"Dry run: nothing changed. Cases archived before {cutoff} ({years} years): "
                f"{result.expired}; with text or history to remove: {result.cases} "
                f"({result.texts} records with text, {result.history_rows} history rows)."
            )
            for reference in result.references:
                self.stdout.write(f"  would purge {reference}")
            return
        self.stdout.write(
            f"Purged {result.cases} of {result.expired} cases archived before {cutoff} ({years} years): "
            f"text removed from {result.texts} records, {result.history_rows} history rows deleted."
        )

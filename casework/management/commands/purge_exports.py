"""`manage.py purge_exports`: delete background exports past CASEWORK_EXPORT_KEEP_HOURS, files included."""

from django.conf import settings
from django.core.management.base import BaseCommand

from casework.export_jobs.jobs import purge_expired


class Command(BaseCommand):
    help = (
        "Delete every background export (and its prepared file) older than CASEWORK_EXPORT_KEEP_HOURS. "
        "Expired exports are already hidden and refused; this removes their data. The task queue's "
        "consumer does the same every hour; run this from cron where no consumer runs. Safe to repeat."
    )

    def handle(self, *args, **options) -> None:
        deleted = purge_expired()
        hours = settings.CASEWORK_EXPORT_KEEP_HOURS
        self.stdout.write(f"Deleted {deleted} background export(s) older than {hours} hour(s).")

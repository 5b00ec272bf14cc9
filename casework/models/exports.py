"""Background exports (issue 8): one requested file — a report as PDF or XLSX, or every visible case as
XLSX — prepared by the task queue and downloaded by the user who asked for it.

The file is kept here, in PostgreSQL, not on a disk: the worker and the web servers share nothing but the
database (DESIGN §6), and deleting the row deletes the data. It is kept for CASEWORK_EXPORT_KEEP_HOURS;
after that the job is gone for everyone (lists and downloads ignore it, `purge_exports` deletes it).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ExportJobQuerySet(models.QuerySet):
    def visible_to(self, user) -> ExportJobQuerySet:
        """The jobs `user` may see: only their own (casework.access.restrict_export_jobs)."""
        from casework import access

        return access.restrict_export_jobs(self, user)

    def current(self) -> ExportJobQuerySet:
        """Not yet expired."""
        return self.filter(expires_at__gt=timezone.now())

    def expired(self) -> ExportJobQuerySet:
        return self.filter(expires_at__lte=timezone.now())

    def unfinished(self) -> ExportJobQuerySet:
        """Queued or running, and not expired (a job whose worker died stops counting when it expires)."""
        return self.current().filter(status__in=[ExportJob.Status.QUEUED, ExportJob.Status.RUNNING])


class ExportJob(models.Model):
    class Kind(models.TextChoices):
        REPORT = "report", _("Report")
        CASES = "cases", _("Every case you can see")

    class Format(models.TextChoices):
        PDF = "pdf", "PDF"
        XLSX = "xlsx", "XLSX"

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Being prepared")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    # Random, so that a job's URL cannot be guessed from another's; access is still checked on every use.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # CASCADE: the file is the requester's alone; a deleted account takes its prepared files with it (the
    # audit trail keeps who downloaded what, by name).
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="export_jobs",
        verbose_name=_("requested by"),
    )
    organisation = models.ForeignKey(
        "casework.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
        help_text=_("The requester's organisation when they asked."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    report = models.CharField(_("report"), max_length=30, blank=True, help_text=_("The report's slug."))
    # The validated parameters as plain values (slugs, codes, ISO dates): never free text.
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    format = models.CharField(_("format"), max_length=5, choices=Format.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    stage = models.CharField(_("stage"), max_length=80, blank=True)
    # What the user is told; never the exception's text, which may hold data.
    error = models.CharField(_("error"), max_length=200, blank=True)
    result = models.BinaryField(_("file"), null=True, blank=True, editable=False)
    filename = models.CharField(_("file name"), max_length=120, blank=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), null=True, blank=True)
    created_at = models.DateTimeField(_("requested"), default=timezone.now, db_index=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), db_index=True)

    objects = ExportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("background export")
        verbose_name_plural = _("background exports")
        indexes = [models.Index(fields=["requested_by", "-created_at"], name="exportjob_requester_idx")]

    def __str__(self) -> str:
        return f"{self.title} ({self.format})"

    @property
    def title(self) -> str:
        if self.kind == self.Kind.CASES:
            return str(_("Every case you can see"))
        from casework.reports.registry import REPORTS

        kind = REPORTS.get(self.report)
        return str(kind.title) if kind else self.report

    @property
    def is_unfinished(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


def keep_for() -> timedelta:
    return timedelta(hours=settings.CASEWORK_EXPORT_KEEP_HOURS)

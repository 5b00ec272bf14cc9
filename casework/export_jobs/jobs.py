"""Asking for a background export and running it.

`request_export` checks that the user may have the export, caps how many unfinished jobs one user has,
creates the job and puts it on the queue. `run` is the task's body: it claims a queued job, builds the
file as the requester (rendering.produce) while writing its progress to the row, and ends the job done,
with the file, or failed, with a generic message. The exception's text is never stored, shown or logged
above DEBUG: it may quote the data.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.export_jobs import rendering
from casework.models import ExportJob, User
from casework.models.exports import keep_for

logger = logging.getLogger(__name__)

# What a user is told when a job fails: nothing about why, which could repeat the data.
FAILED = "The export could not be prepared. Try again; if it fails again, tell your administrator."
NOT_ALLOWED = "You may no longer have this export (your role or your organisation changed)."
QUEUE_DOWN = "The export queue is not answering. Try again later; if it persists, tell your administrator."


class TooManyUnfinished(Exception):
    """The user already has CASEWORK_EXPORT_MAX_UNFINISHED exports waiting or running."""


@transaction.atomic
def _create(*, user, report: str, parameters: dict[str, Any], output: str) -> ExportJob:
    # The requester's row is locked so that two requests at once cannot both pass the cap.
    User.objects.select_for_update().filter(pk=user.pk).first()
    if (
        ExportJob.objects.filter(requested_by=user).unfinished().count()
        >= settings.CASEWORK_EXPORT_MAX_UNFINISHED
    ):
        raise TooManyUnfinished
    now = timezone.now()
    return ExportJob.objects.create(
        requested_by=user,
        organisation_id=user.organisation_id,
        kind=ExportJob.Kind.CASES if report == rendering.CASES else ExportJob.Kind.REPORT,
        report="" if report == rendering.CASES else report,
        parameters=parameters,
        format=output,
        created_at=now,
        expires_at=now + keep_for(),
        stage=_("Waiting to start"),
    )


def request_export(*, user, report: str, parameters: dict[str, Any], output: str) -> ExportJob:
    """A new job for `user`, on the queue (or, without a broker, already run). `parameters` are the
    validated plain ones (rendering.plain_parameters). TooManyUnfinished when the cap is reached; a queue
    that does not answer leaves the job failed with QUEUE_DOWN."""
    job = _create(user=user, report=report, parameters=parameters, output=output)
    # Enqueued after the commit above: the worker must find the row.
    from casework.export_jobs.tasks import run_export_job

    try:
        run_export_job(str(job.pk))
    except Exception as error:
        # The class only: a broker's error may quote its URL, password included.
        logger.error("Could not enqueue export job %s: %s", job.pk, type(error).__name__)
        _finish(job.pk, status=ExportJob.Status.FAILED, error=QUEUE_DOWN)
    job.refresh_from_db(fields=["status", "progress", "stage", "error"])
    return job


def _finish(job_id, **fields: Any) -> None:
    ExportJob.objects.filter(pk=job_id).update(finished_at=timezone.now(), **fields)


def run(job_id: str, *, progress_hook=None) -> None:
    """Run one queued job. A job already claimed, finished or deleted (purged, or its user deleted) is
    left alone, so a task delivered twice runs once. `progress_hook(percent, stage)` is called after each
    progress write (tests watch the job between steps with it)."""
    now = timezone.now()
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED, expires_at__gt=now).update(
        status=ExportJob.Status.RUNNING, started_at=now, progress=1, stage=_("Starting")
    )
    if not claimed:
        return
    job = ExportJob.objects.defer("result").get(pk=job_id)
    # The requester as they are now: role, organisation and active state at run time.
    user = User.objects.get(pk=job.requested_by_id)

    def progress(percent: int, stage: str) -> None:
        ExportJob.objects.filter(pk=job_id).update(progress=max(1, min(percent, 99)), stage=stage[:80])
        if progress_hook is not None:
            progress_hook(percent, stage)

    report = job.report or rendering.CASES
    try:
        output = rendering.produce(user, report, job.parameters, job.format, progress)
    except rendering.NotAllowed:
        logger.warning("Export job %s refused at run time: the requester may no longer have it", job_id)
        _finish(job_id, status=ExportJob.Status.FAILED, error=NOT_ALLOWED, stage="")
        return
    except Exception as error:
        # The class only: the message and the traceback may quote data (DEBUG is for a deliberate look).
        logger.error("Export job %s failed: %s", job_id, type(error).__name__)
        logger.debug("Export job %s traceback", job_id, exc_info=True)
        _finish(job_id, status=ExportJob.Status.FAILED, error=FAILED, stage="")
        return
    finished = timezone.now()
    _finish(
        job_id,
        status=ExportJob.Status.DONE,
        progress=100,
        stage=_("Ready"),
        result=output.content,
        filename=output.filename[:120],
        content_type=output.content_type,
        size=len(output.content),
        expires_at=finished + keep_for(),
    )


def purge_expired() -> int:
    """Delete every expired job, its file with it; how many."""
    deleted, _by_model = ExportJob.objects.expired().delete()
    return deleted

"""The task queue's tasks of this app, where huey's consumer (`manage.py run_huey`) looks for them."""

from casework.export_jobs.tasks import purge_expired_exports, run_export_job

__all__ = ["purge_expired_exports", "run_export_job"]

"""Background exports (issue 8): large files prepared by the task queue, downloaded when ready.

- `rendering`: what a job produces (a report as PDF or XLSX, every case as XLSX), built as the requester;
- `jobs`: asking for a job (checks, the per-user cap, enqueueing) and running one (status, progress,
  the generic failure);
- `tasks`: the huey tasks — run a job, purge expired files every hour;
- `views`, `urls`: `/exports/` (the user's jobs), `/exports/new/` (POST), `/exports/<id>/` (progress),
  `/exports/<id>/download/` (step-up, audited).

The model is `casework.models.ExportJob`; who sees a job is `casework.access.restrict_export_jobs`.
"""

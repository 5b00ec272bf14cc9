"""The huey tasks (settings.HUEY: in-process without CASEWORK_TASKS_URL, Redis with it). The consumer
finds them through casework/tasks.py, the module name `manage.py run_huey` looks for in every app."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from casework.export_jobs import jobs


@db_task(name="casework.run_export_job")
def run_export_job(job_id: str) -> None:
    jobs.run(job_id)


@db_periodic_task(crontab(minute="7"), name="casework.purge_expired_exports")
def purge_expired_exports() -> int:
    return jobs.purge_expired()

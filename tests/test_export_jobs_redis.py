"""A background export through a real broker: Redis at 127.0.0.1:6379 (CI starts it; skipped, saying
why, where none answers). The task goes on a RedisHuey queue on a database number of its own, a consumer
thread takes it, and the job is seen going queued → running → done, with its progress, from another
connection — as the web servers see a worker's job in production."""

import os
import threading
import time
import uuid

import pytest
from django.db import connection

from casework.export_jobs import jobs, rendering
from casework.models import ExportJob
from tests.factories import CaseFactory

REDIS_URL = "redis://127.0.0.1:6379/15"  # a database number no deployment default uses


def redis_or_skip():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        reason = "Redis is not answering at 127.0.0.1:6379 (CI starts it; `apt-get install redis-server`)"
        if os.environ.get("CASEWORK_REQUIRE_REDIS"):
            pytest.fail(reason + "; CASEWORK_REQUIRE_REDIS is set, so this test must run")
        pytest.skip(reason)
    return client


@pytest.fixture
def broker():
    """A RedisHuey with the app's task registered on it, as settings.HUEY builds it from
    CASEWORK_TASKS_URL (tasks.py registers the same function on the configured queue)."""
    from huey import RedisHuey

    redis_or_skip()
    huey = RedisHuey(f"returnee-test-{uuid.uuid4().hex[:8]}", url=REDIS_URL, utc=True)
    run = huey.task(name="casework.run_export_job")(jobs.run)
    yield huey, run
    huey.flush()


@pytest.mark.django_db(transaction=True)
def test_a_job_on_redis_goes_queued_running_done_with_progress(broker, caseworker_a, monkeypatch):
    huey, run = broker
    for _ in range(9):
        CaseFactory(organisation=caseworker_a.organisation, assigned_to=caseworker_a)
    monkeypatch.setattr(rendering, "ROWS_PER_PROGRESS", 3)
    job = jobs._create(user=caseworker_a, report="cases", parameters={}, output="xlsx")
    run(str(job.pk))  # enqueued on Redis, not run: the queue is not immediate
    assert len(huey) == 1
    assert ExportJob.objects.get(pk=job.pk).status == ExportJob.Status.QUEUED

    # A slow consumer, so that the steps can be seen from here: each progress write waits a little.
    step = threading.Event()
    original = rendering.cases_xlsx

    def slow(user, progress):
        def waiting(percent, stage):
            progress(percent, stage)
            step.set()
            time.sleep(0.15)

        return original(user, waiting)

    monkeypatch.setattr(rendering, "cases_xlsx", slow)

    def consume():
        try:
            task = huey.dequeue()
            huey.execute(task)
        finally:
            connection.close()  # the worker thread's own connection

    worker = threading.Thread(target=consume)
    worker.start()
    seen = []
    deadline = time.monotonic() + 20
    while worker.is_alive() and time.monotonic() < deadline:
        row = ExportJob.objects.defer("result").get(pk=job.pk)
        if not seen or seen[-1] != (row.status, row.progress):
            seen.append((row.status, row.progress))
        time.sleep(0.03)
    worker.join(timeout=5)
    assert not worker.is_alive()

    job.refresh_from_db()
    assert (job.status, job.progress) == (ExportJob.Status.DONE, 100)
    assert len(bytes(job.result)) == job.size > 0
    running = [progress for status, progress in seen if status == ExportJob.Status.RUNNING]
    assert len(set(running)) >= 3, seen  # several distinct steps seen while it ran
    assert running == sorted(running)
    assert len(huey) == 0

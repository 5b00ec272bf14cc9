"""Background exports as an attacker sees them: a job is its requester's alone — anyone else, of the same
organisation or another, an analyst, a system administrator, gets the same 404 as for a job that does not
exist; expired jobs are gone; the download asks for a fresh second factor; the pages' query counts do
not grow with the number of jobs; expired files are purged."""

import datetime
import time
import uuid

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.export_jobs import jobs
from casework.models import AuditEvent, ExportJob
from casework.two_factor import devices
from casework.two_factor.step_up import VERIFIED_AT
from tests.factories import CaseFactory

LIST = reverse("exports:list")


def done_job(user, report="cases", output="xlsx", parameters=None) -> ExportJob:
    job = jobs._create(user=user, report=report, parameters=parameters or {}, output=output)
    jobs.run(str(job.pk))
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    return job


def urls(job) -> dict[str, str]:
    return {
        "page": reverse("exports:detail", args=[job.pk]),
        "download": reverse("exports:download", args=[job.pk]),
    }


@pytest.fixture
def alices_job(caseworker_a):
    CaseFactory(organisation=caseworker_a.organisation, assigned_to=caseworker_a, reference="K7QF-29XA")
    return done_job(caseworker_a)


# --- Isolation -----------------------------------------------------------------------------------------


def test_the_requester_sees_the_job_in_the_list_on_its_page_and_downloads_it(
    client, caseworker_a, alices_job
):
    client.force_login(caseworker_a)
    assert str(alices_job.pk) in client.get(LIST).content.decode()
    assert client.get(urls(alices_job)["page"]).status_code == 200
    assert client.get(urls(alices_job)["download"]).status_code == 200


@pytest.mark.parametrize(
    "who", ["colleague_a", "supervisor_a", "orgadmin_a", "caseworker_b", "analyst", "auditor", "superuser"]
)
def test_anyone_else_gets_404_and_an_empty_list(client, request, alices_job, who):
    client.force_login(request.getfixturevalue(who))
    for url in urls(alices_job).values():
        assert client.get(url).status_code == 404, url
    page = client.get(LIST).content.decode()
    assert str(alices_job.pk) not in page and 'id="no-exports"' in page
    assert not AuditEvent.objects.filter(action="export").exists()


def test_an_unknown_id_is_the_same_404(client, caseworker_a, alices_job):
    client.force_login(caseworker_a)
    for path in ("exports:detail", "exports:download"):
        assert client.get(reverse(path, args=[uuid.uuid4()])).status_code == 404
    assert client.get(f"/exports/{str(alices_job.pk)[:-1]}/").status_code == 404  # not a UUID at all


def test_anonymous_visitors_are_sent_to_sign_in(client, alices_job):
    for url in [LIST, *urls(alices_job).values()]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    response = client.post(reverse("exports:new"), {"report": "cases", "format": "xlsx"})
    assert response.status_code == 302 and not ExportJob.objects.exclude(pk=alices_job.pk).exists()


def test_a_deactivated_requester_loses_the_job(client, caseworker_a, alices_job):
    assert not ExportJob.objects.visible_to(type(caseworker_a)(is_active=False)).exists()
    caseworker_a.is_active = False
    caseworker_a.save()
    assert not ExportJob.objects.visible_to(caseworker_a).exists()


def test_a_requester_who_lost_the_role_cannot_download_the_file_made_before(client, supervisor_a):
    job = done_job(
        supervisor_a,
        report="caseload",
        output="xlsx",
        parameters={"organisation": "org-a", "from": "2023-01-01", "to": "2023-12-31"},
    )
    supervisor_a.role = "caseworker"
    supervisor_a.save()
    client.force_login(supervisor_a)
    assert client.get(urls(job)["download"]).status_code == 404


def test_a_job_not_yet_done_has_no_download(client, caseworker_a):
    job = jobs._create(user=caseworker_a, report="cases", parameters={}, output="xlsx")
    client.force_login(caseworker_a)
    assert client.get(urls(job)["download"]).status_code == 404
    assert client.get(urls(job)["page"]).status_code == 200


# --- Expiry ---------------------------------------------------------------------------------------------


def expire(job):
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))


def test_an_expired_job_is_gone_for_its_requester_too(client, caseworker_a, alices_job):
    expire(alices_job)
    client.force_login(caseworker_a)
    for url in urls(alices_job).values():
        assert client.get(url).status_code == 404
    assert str(alices_job.pk) not in client.get(LIST).content.decode()


def test_a_file_is_kept_for_the_configured_hours(caseworker_a, settings):
    settings.CASEWORK_EXPORT_KEEP_HOURS = 2
    job = done_job(caseworker_a)
    assert datetime.timedelta(hours=2) - datetime.timedelta(minutes=1) < job.expires_at - job.finished_at
    assert job.expires_at - job.finished_at <= datetime.timedelta(hours=2)


def test_purge_exports_deletes_expired_jobs_and_their_files_only(caseworker_a, alices_job, capsys):
    kept = done_job(caseworker_a)
    expire(alices_job)
    call_command("purge_exports")
    assert list(ExportJob.objects.values_list("pk", flat=True)) == [kept.pk]
    assert "1" in capsys.readouterr().out


def test_the_periodic_task_purges_too(caseworker_a, alices_job):
    from casework.export_jobs.tasks import purge_expired_exports

    expire(alices_job)
    purge_expired_exports.call_local()
    assert not ExportJob.objects.exists()


# --- Step-up --------------------------------------------------------------------------------------------


def verified(client, user, *, minutes_ago: int):
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    devices.confirm_enrolment(user, device)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[VERIFIED_AT] = int(time.time()) - minutes_ago * 60
    session.save()


def test_the_download_asks_for_a_fresh_code_when_two_factor_is_required(
    client, caseworker_a, alices_job, settings
):
    settings.REQUIRE_2FA = True
    verified(client, caseworker_a, minutes_ago=11)
    download = urls(alices_job)["download"]
    assert client.get(urls(alices_job)["page"]).status_code == 200, "the progress page needs no fresh code"
    response = client.get(download)
    assert response.status_code == 302
    assert response.url == f"{reverse('two_factor:verify')}?next={download.replace('/', '%2F')}"
    assert not AuditEvent.objects.filter(action="export").exists()
    verified(client, caseworker_a, minutes_ago=0)
    assert client.get(download).status_code == 200
    assert AuditEvent.objects.filter(action="export").count() == 1


def test_someone_else_with_a_fresh_code_still_gets_404(client, colleague_a, alices_job, settings):
    settings.REQUIRE_2FA = True
    verified(client, colleague_a, minutes_ago=0)
    assert client.get(urls(alices_job)["download"]).status_code == 404


# --- Query counts ----------------------------------------------------------------------------------------


def make_jobs(user, n: int) -> list[ExportJob]:
    made = []
    for number in range(n):
        job = ExportJob.objects.create(
            requested_by=user,
            kind=ExportJob.Kind.REPORT if number % 2 else ExportJob.Kind.CASES,
            report="caseload" if number % 2 else "",
            parameters={"organisation": "org-a", "from": "2023-01-01", "to": "2023-12-31"}
            if number % 2
            else {},
            format="xlsx",
            status=[ExportJob.Status.DONE, ExportJob.Status.FAILED, ExportJob.Status.RUNNING][number % 3],
            progress=50,
            result=b"x" * 1000,
            filename="cases.xlsx",
            size=1000,
            expires_at=timezone.now() + datetime.timedelta(hours=1),
        )
        made.append(job)
    return made


def count_queries(client, url, django_assert_max_num_queries, budget: int) -> int:
    with django_assert_max_num_queries(budget) as captured:
        assert client.get(url).status_code == 200
    assert not any('"result"' in query["sql"] for query in captured.captured_queries), "the file was read"
    return len(captured)


def test_the_list_and_the_page_take_the_same_queries_with_2_or_40_jobs(
    client, supervisor_a, django_assert_max_num_queries
):
    client.force_login(supervisor_a)
    few = make_jobs(supervisor_a, 2)
    counts_few = (
        count_queries(client, LIST, django_assert_max_num_queries, 6),
        count_queries(client, urls(few[0])["page"], django_assert_max_num_queries, 6),
    )
    many = make_jobs(supervisor_a, 38)
    counts_many = (
        count_queries(client, LIST, django_assert_max_num_queries, 6),
        count_queries(client, urls(many[-1])["page"], django_assert_max_num_queries, 6),
    )
    assert counts_few == counts_many
    assert client.get(LIST).content.decode().count("/download/") == 14  # the done ones

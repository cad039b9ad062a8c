"""The import task of the queue (`slrt.registry.tasks.run_import_job`), run in this process.

Delivered at least once, it must be idempotent: a done job is left alone, a job left running by a
dead attempt is taken over and imported once, a busy server puts the task off instead of failing
the job. The real worker, killed mid-import, is in test_queue_kill.py.
"""

import pytest

from slrt.registry.imports.slots import ImportsBusy, import_slot
from slrt.registry.models import ImportJob, ImportStatus, Person, Release
from slrt.registry.services.imports import create_import_job, enqueue_import
from slrt.registry.tasks import SLOT_RETRY_SECONDS, run_import_job
from tests.test_import import HEADER, person, write_csv

pytestmark = pytest.mark.django_db


def _job(tmp_path, n=2):
    path = write_csv(tmp_path / "f.csv", [person(i, kk_no=i) for i in range(1, n + 1)], header=HEADER)
    return create_import_job(path=path, original_name="f.csv")


def test_the_task_imports_a_pending_job_and_a_second_delivery_changes_nothing(tmp_path):
    job = _job(tmp_path)
    assert run_import_job.apply(args=[job.pk]).get() == ImportStatus.DONE
    assert run_import_job.apply(args=[job.pk]).get() == ImportStatus.DONE
    job.refresh_from_db()
    assert (job.status, job.created, job.attempts) == (ImportStatus.DONE, 2, 1)
    assert Release.objects.count() == 1 and Person.objects.system().count() == 2


def test_a_redelivered_task_takes_over_a_job_whose_worker_died_and_imports_it_once(tmp_path):
    job = _job(tmp_path)
    # What a worker killed mid-import leaves: the job running, no data (its transaction rolled
    # back), nobody holding the run lock, a pid that no longer exists.
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, pid=2**22 + 12345, attempts=1,
                                               worker="celery@dead", task_id="t" * 32)
    assert run_import_job.apply(args=[job.pk]).get() == ImportStatus.DONE
    job.refresh_from_db()
    assert (job.status, job.created, job.attempts) == (ImportStatus.DONE, 2, 2)
    assert job.worker != "celery@dead"
    assert Release.objects.count() == 1 and Person.objects.system().count() == 2


def test_a_failed_job_is_not_run_again_by_a_repeated_message(tmp_path):
    job = _job(tmp_path)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.FAILED, message="Berkas rusak.")
    assert run_import_job.apply(args=[job.pk]).get() == ImportStatus.FAILED
    assert not Release.objects.exists()


def test_on_a_worker_a_busy_server_puts_the_task_off_and_leaves_the_job_waiting(tmp_path, settings, monkeypatch):
    settings.SLRT_IMPORT_MAX_CONCURRENT = 1
    job = _job(tmp_path)
    retried = []

    def retry(countdown=None, exc=None, **kwargs):
        retried.append((countdown, type(exc)))
        return RuntimeError("retry")

    monkeypatch.setattr(run_import_job, "retry", retry)
    with import_slot():
        # Called as a worker calls it (not eager): the slot is taken, so the task retries later.
        with pytest.raises(RuntimeError, match="retry"):
            run_import_job(job.pk)
    assert retried == [(SLOT_RETRY_SECONDS, ImportsBusy)]
    job.refresh_from_db()
    assert job.status == ImportStatus.PENDING and not Release.objects.exists()
    # The retry, once a slot is free, imports it.
    assert run_import_job(job.pk) == ImportStatus.DONE


def test_eagerly_a_busy_server_fails_the_job_with_try_again_later(tmp_path, settings):
    settings.SLRT_IMPORT_MAX_CONCURRENT = 1
    job = _job(tmp_path)
    with import_slot():
        assert run_import_job.apply(args=[job.pk]).get() == ImportStatus.FAILED
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and "Coba lagi" in job.message


def test_enqueue_records_the_owner_task_and_sends_only_after_commit(tmp_path, monkeypatch,
                                                                   django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(run_import_job, "apply_async", lambda args, task_id: sent.append((args, task_id)))
    job = _job(tmp_path)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        task_id = enqueue_import(job)
    assert sent == [] and len(callbacks) == 1
    callbacks[0]()
    assert sent == [([job.pk], task_id)] and ImportJob.objects.get(pk=job.pk).task_id == task_id

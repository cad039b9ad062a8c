"""The task queue (Celery): the broker, delivery guarantees, the schedule.

Production sets SLRT_BROKER_URL (RabbitMQ `amqp://…`, or Redis `redis://…`); without it the broker
is a folder under VAR_DIR (kombu's filesystem transport), so `make run` needs no server beyond
itself. A task is acknowledged only after it ran (acks_late) and a worker that dies mid-task hands
it back (reject_on_worker_lost), so each task must be idempotent: its effect happens once however
often it is delivered.
"""

import os


def apply(s: dict) -> None:
    broker = os.environ.get("SLRT_BROKER_URL", "")
    s["CELERY_BROKER_URL"] = broker or "filesystem://"
    if not broker:
        folder = s["VAR_DIR"] / "queue"
        for sub in ("messages", "processed", "control"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        s["CELERY_BROKER_TRANSPORT_OPTIONS"] = {
            "data_folder_in": str(folder / "messages"), "data_folder_out": str(folder / "messages"),
            "processed_folder": str(folder / "processed"), "store_processed": False,
            "control_folder": str(folder / "control"),  # else kombu writes ./control in the cwd
        }
    s["CELERY_TASK_ACKS_LATE"] = True
    s["CELERY_TASK_REJECT_ON_WORKER_LOST"] = True
    s["CELERY_WORKER_PREFETCH_MULTIPLIER"] = 1  # a long import does not hold short jobs hostage
    s["CELERY_TASK_IGNORE_RESULT"] = True  # progress and outcomes live in the app's own records
    s["CELERY_WORKER_HIJACK_ROOT_LOGGER"] = False  # the app's LOGGING (scrubbed) stays in charge
    s["CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP"] = True
    s["CELERY_TASK_DEFAULT_QUEUE"] = os.environ.get("SLRT_QUEUE_NAME", "slrt")
    s["CELERY_TIMEZONE"] = s["TIME_ZONE"]
    # The test run (pytest-env) runs tasks in the caller, after its transaction commits; the tests
    # of the queue itself start real workers with SLRT_TASK_ALWAYS_EAGER=0.
    s["CELERY_TASK_ALWAYS_EAGER"] = os.environ.get("SLRT_TASK_ALWAYS_EAGER") == "1"
    s["CELERY_TASK_EAGER_PROPAGATES"] = True

    # The schedule: every job registered in slrt.notifications.jobs on its own clock-aligned
    # period (slrt.notifications.schedule); each run claims its (job, period) row, so two beats
    # running at once still run each period once. Each beat keeps its own schedule file (`-s`).
    s["CELERY_BEAT_SCHEDULER"] = "slrt.notifications.schedule:JobScheduler"
    s["CELERY_BEAT_MAX_LOOP_INTERVAL"] = 5  # beat wakes up for a period boundary on time
    # Shortens every job's period (tests, a demo you want to watch); unset: each job's own.
    s["SLRT_JOB_PERIOD_SECONDS"] = _seconds("SLRT_JOB_PERIOD_SECONDS", 0)
    # How long a claimed run may take before another delivery may take it over (its worker died).
    s["SLRT_JOB_LEASE_SECONDS"] = _seconds("SLRT_JOB_LEASE_SECONDS", 600)
    s["SLRT_JOB_RUNS_KEEP_DAYS"] = _seconds("SLRT_JOB_RUNS_KEEP_DAYS", 7)


def _seconds(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit():
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"{name}: '{value}' is not a whole number")
    return int(value)

"""Prometheus metrics: requests, latency, task runs and failures, the task queue's depth.

Served only by an exporter on a private address (SLRT_METRICS_ADDR, default 127.0.0.1:9108 for
the web server; SLRT_METRICS_WORKER_ADDR, default 127.0.0.1:9109, for a Celery worker): the
public site has no /metrics URL. gunicorn and Celery's prefork pool run several processes, so
values are kept in prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR, one folder
per server) and one exporter, in the master process, adds them up at each scrape. Without that
folder (make run, the tests) values live in the process's default registry.

prometheus_client picks its storage when it is first imported, so it is imported here only on
first use: the gunicorn config calls `gunicorn_setup()` (which sets the folder) before any of it.
Labels never carry a raw path: the route is the URL pattern's name (or the pattern itself).
"""

import logging
import os
import threading
import time
from functools import cache
from pathlib import Path

log = logging.getLogger("slrt.metrics")

HTTP_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
WEB_ADDR_DEFAULT = "127.0.0.1:9108"
WORKER_ADDR_DEFAULT = "127.0.0.1:9109"


_METRICS_LOCK = threading.Lock()


def _m():
    # Built once per process under a lock: gunicorn's threads (gthread) answer their first requests
    # at once, and a second registration of a metric raises DuplicateTimeseries (a 500).
    with _METRICS_LOCK:
        return _build_metrics()


@cache
def _build_metrics():
    from prometheus_client import Counter, Histogram

    class M:
        requests = Counter("slrt_http_requests", "HTTP requests answered", ["method", "route", "status"])
        latency = Histogram("slrt_http_request_duration_seconds", "Time to answer a request", ["method", "route"])
        task_runs = Counter("slrt_task_runs", "Task runs that ended, by outcome", ["task", "state"])
        task_failures = Counter("slrt_task_failures", "Task runs that raised (Celery task_failure)", ["task"])
        task_duration = Histogram("slrt_task_duration_seconds", "Time a task run took", ["task"],
                                  buckets=(0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600))

    return M


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    method = method if method in HTTP_METHODS else "other"
    m = _m()
    m.requests.labels(method, route, str(status)).inc()
    m.latency.labels(method, route).observe(seconds)


# --- Celery: task runs, failures, durations (connected by CoreConfig.ready) -----------------------

_started: dict[str, float] = {}


def _task_prerun(task_id=None, task=None, **_kw):
    _started[task_id] = time.monotonic()


def _task_postrun(task_id=None, task=None, state=None, **_kw):
    began = _started.pop(task_id, None)
    name = getattr(task, "name", "unknown")
    m = _m()
    m.task_runs.labels(name, (state or "unknown").lower()).inc()
    if began is not None:
        m.task_duration.labels(name).observe(time.monotonic() - began)


def _task_failure(sender=None, **_kw):
    _m().task_failures.labels(getattr(sender, "name", "unknown")).inc()


def _worker_init(**_kw):
    """The Celery worker's main process, before its pool forks: the folder, then the exporter."""
    addr = os.environ.get("SLRT_METRICS_WORKER_ADDR", WORKER_ADDR_DEFAULT).strip()
    if addr in ("", "off"):
        return
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(_var_dir() / "metrics" / f"worker-{_port(addr)}"))
    prepare_multiproc_dir()
    start_exporter(addr, with_queue=False)


def _worker_process_shutdown(pid=None, **_kw):
    mark_dead(pid or os.getpid())


def connect_celery() -> None:
    from celery import signals

    signals.task_prerun.connect(_task_prerun, weak=False, dispatch_uid="slrt.metrics.prerun")
    signals.task_postrun.connect(_task_postrun, weak=False, dispatch_uid="slrt.metrics.postrun")
    signals.task_failure.connect(_task_failure, weak=False, dispatch_uid="slrt.metrics.failure")
    signals.worker_init.connect(_worker_init, weak=False, dispatch_uid="slrt.metrics.worker_init")
    signals.worker_process_shutdown.connect(_worker_process_shutdown, weak=False,
                                            dispatch_uid="slrt.metrics.process_shutdown")


# --- The task queue's depth, read at each scrape -----------------------------------------------

def queue_depth(url: str, queue: str, transport_options: dict | None = None, timeout: float = 2.0) -> int:
    """Messages waiting in `queue`: a passive declare (AMQP's message count; kombu's virtual
    transports, Redis and the filesystem folder, count their own). A queue the broker does not
    know yet holds nothing."""
    from amqp.exceptions import NotFound
    from kombu import Connection
    from kombu.exceptions import ChannelError

    with Connection(url, transport_options=transport_options or {}, connect_timeout=timeout) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)
        channel = conn.channel()
        try:
            return channel.queue_declare(queue=queue, passive=True).message_count
        except (NotFound, ChannelError):
            return 0
        finally:
            try:
                channel.close()
            except Exception:  # noqa: BLE001, S110 - a channel the broker closed (404) is gone anyway
                pass


class QueueCollector:
    """slrt_task_queue_messages{queue} and slrt_task_queue_up, asked of the broker at scrape time."""

    def collect(self):
        from django.conf import settings
        from prometheus_client.core import GaugeMetricFamily

        queue = settings.CELERY_TASK_DEFAULT_QUEUE
        depth = GaugeMetricFamily("slrt_task_queue_messages", "Messages waiting in the task queue", labels=["queue"])
        up = GaugeMetricFamily("slrt_task_queue_up", "1 if the broker answered the last depth query")
        try:
            count = queue_depth(settings.CELERY_BROKER_URL, queue,
                                getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None))
            depth.add_metric([queue], count)
            up.add_metric([], 1)
        except Exception as e:  # noqa: BLE001 - a scrape never fails because the broker is away
            log.warning("metrics: task queue depth unavailable (%s)", type(e).__name__)
            up.add_metric([], 0)
        yield depth
        yield up


# --- The exporter and the multiprocess folder ---------------------------------------------------

def _var_dir() -> Path:
    return Path(os.environ.get("SLRT_VAR_DIR", Path(__file__).resolve().parent.parent.parent / "var"))


def _port(addr: str) -> int:
    return int(addr.rpartition(":")[2])


def prepare_multiproc_dir() -> None:
    """Create the folder; drop files of earlier runs (any other process id), whose counters
    would otherwise be added to this run's."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        return
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    mine = f"_{os.getpid()}.db"
    for old in path.glob("*.db"):
        if not old.name.endswith(mine):
            old.unlink(missing_ok=True)


def mark_dead(pid: int) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


def registry():
    """What the exporter serves: every process's values (multiprocess mode) or this process's."""
    from prometheus_client import REGISTRY, CollectorRegistry, multiprocess

    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    reg = CollectorRegistry()
    multiprocess.MultiProcessCollector(reg)
    return reg


def start_exporter(addr: str, with_queue: bool = True):
    """An HTTP server for /metrics on `addr` (host:port), in a daemon thread. Returns (server, thread)."""
    from prometheus_client import start_http_server

    host, _, port = addr.rpartition(":")
    reg = registry()
    if with_queue:
        reg.register(QueueCollector())
    try:
        server, thread = start_http_server(int(port), addr=host.strip("[]") or "127.0.0.1", registry=reg)
    except OSError as e:
        log.warning("metrics: exporter not started on %s (%s)", addr, e.strerror or type(e).__name__)
        return None, None
    log.info("metrics: exporter on http://%s/metrics", addr)
    return server, thread


# --- gunicorn hooks (deploy/gunicorn.conf.py) ---------------------------------------------------

def gunicorn_setup() -> None:
    """At the top of gunicorn.conf.py, before the app or prometheus_client is imported."""
    addr = os.environ.get("SLRT_METRICS_ADDR", WEB_ADDR_DEFAULT).strip()
    if addr in ("", "off"):
        return
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(_var_dir() / "metrics" / f"web-{_port(addr)}"))
    prepare_multiproc_dir()


def gunicorn_when_ready(server) -> None:
    """The master, once it listens: the one exporter of all its workers."""
    addr = os.environ.get("SLRT_METRICS_ADDR", WEB_ADDR_DEFAULT).strip()
    if addr in ("", "off") or not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slrt.settings")
    start_exporter(addr, with_queue=True)


def gunicorn_child_exit(server, worker) -> None:
    mark_dead(worker.pid)


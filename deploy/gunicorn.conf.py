"""gunicorn, the production web server: `gunicorn -c deploy/gunicorn.conf.py` (make serve, slrt-web.service).

Every value comes from the environment (the same /etc/slrt/slrt.env the other units read), with a
default fit for one machine:

  SLRT_BIND                 address(es) to listen on, comma-separated (127.0.0.1:8000; nginx in front,
                            never a public address: the app trusts X-Forwarded-Proto once SLRT_TLS=1)
  SLRT_WEB_WORKERS          processes (2 × CPUs + 1); SLRT_WEB_THREADS threads in each (4)
  SLRT_WEB_TIMEOUT          seconds before a silent worker is restarted (60)
  SLRT_WEB_GRACEFUL_TIMEOUT seconds a stopping worker finishes its requests (30)
  SLRT_WEB_MAX_REQUESTS     requests before a worker is replaced (1000, plus up to 10 % jitter; 0: never)
  SLRT_TRUSTED_PROXIES      the proxies whose X-Forwarded-* gunicorn honours (also the app's rule for
                            X-Forwarded-For, settings.py); unset: 127.0.0.1 and ::1 when
                            SLRT_PROXY_COUNT > 0 (nginx on this machine), else nobody
  SLRT_WEB_CONTROL_SOCKET   path of gunicorn's control socket (gunicornc); unset: none

The application is slrt.wsgi:application, which also sets the web requests' statement timeout
(SLRT_DB_STATEMENT_TIMEOUT_MS); nothing here touches the database settings.
"""

import os
from pathlib import Path


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the CPUs this process may use (containers, cgroups)
    except AttributeError:
        return os.cpu_count() or 1


chdir = str(Path(__file__).resolve().parent.parent)
wsgi_app = "slrt.wsgi:application"
bind = [b.strip() for b in os.environ.get("SLRT_BIND", "127.0.0.1:8000").split(",") if b.strip()]

# Threads: a request mostly waits on PostgreSQL, so a few threads per process serve more people
# per megabyte than more processes would; each thread holds at most one database connection.
worker_class = "gthread"
workers = _int("SLRT_WEB_WORKERS", 2 * _cpus() + 1)
threads = _int("SLRT_WEB_THREADS", 4)
timeout = _int("SLRT_WEB_TIMEOUT", 60)
graceful_timeout = _int("SLRT_WEB_GRACEFUL_TIMEOUT", 30)
keepalive = 5  # nginx keeps upstream connections open between requests
# Replacing workers now and then bounds any slow leak; the jitter keeps them from restarting together.
max_requests = _int("SLRT_WEB_MAX_REQUESTS", 1000)
max_requests_jitter = max_requests // 10
# The heartbeat file on tmpfs: an fchmod on a disk can stall a worker (gunicorn's FAQ).
_SHM = "/dev/shm"  # noqa: S108 - only the heartbeat file, which holds nothing
worker_tmp_dir = _SHM if os.path.isdir(_SHM) and os.access(_SHM, os.W_OK) else None

# X-Forwarded-Proto/-For are honoured only from the configured proxy: anyone else could claim HTTPS
# or another address. The app reads the client address itself (slrt/accounts/client_ip.py).
_proxies = os.environ.get("SLRT_TRUSTED_PROXIES", "").strip()
if not _proxies and _int("SLRT_PROXY_COUNT", 0) > 0:
    _proxies = "127.0.0.1,::1"
forwarded_allow_ips = _proxies
proxy_allow_ips = _proxies

# gunicorn 25+ opens a control socket in $HOME by default; two servers on one machine would share
# its path, and a service user's home is read-only. Only where asked for.
control_socket = os.environ.get("SLRT_WEB_CONTROL_SOCKET", "") or None
control_socket_disable = not control_socket

# Logs to stdout/stderr (journald under systemd). The access line has the path WITHOUT its query
# string (%(U)s, never %(r)s or %(q)s: the API's ?nik= and ?q= are personal data), no referrer (a
# previous page's address) and no Basic-auth user name; the request id ties it to the app's log,
# <pid> names the worker that answered.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("SLRT_WEB_LOG_LEVEL", "info")
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s" %({x-request-id}o)s %(p)s'
proc_name = "slrt-web"

# Metrics (slrt.core.metrics, README "Monitoring"): the workers keep their values in
# PROMETHEUS_MULTIPROC_DIR, set here before any of them imports prometheus_client; the master
# serves them all on SLRT_METRICS_ADDR (127.0.0.1:9108, never public) and forgets dead workers.
import sys  # noqa: E402

sys.path.insert(0, chdir)
from slrt.core import metrics  # noqa: E402

metrics.gunicorn_setup()
when_ready = metrics.gunicorn_when_ready
child_exit = metrics.gunicorn_child_exit


def on_starting(server):
    # Error lines may quote a request line ("Invalid request from …", "Error handling request
    # /…?nik=…"): the app's scrubber cleans both gunicorn loggers too, path and query alike.
    import logging

    from slrt.core.logs import ScrubPersonalData

    for name in ("gunicorn.error", "gunicorn.access"):
        logging.getLogger(name).addFilter(ScrubPersonalData())

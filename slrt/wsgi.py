"""The WSGI application for production servers (gunicorn: deploy/gunicorn.conf.py).

Before the settings load, the web defaults of slrt/conf/database.py (each kept if the environment
sets it): a statement timeout, so a runaway query answers an error page instead of holding a worker
and a database backend, and the connection pool. Management commands and Celery workers never
import this module: a registry import may run a statement for minutes, and a forked worker must not
share a pool.
"""

import os

from django.core.wsgi import get_wsgi_application

WEB_DEFAULTS = {"SLRT_DB_STATEMENT_TIMEOUT_MS": "30000", "SLRT_DB_POOL": "1"}

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slrt.settings")
_added = {name: value for name, value in WEB_DEFAULTS.items() if name not in os.environ}
os.environ.update(_added)
application = get_wsgi_application()  # the settings load here, with the web defaults
for _name in _added:
    # A process a request starts (a command) inherits the environment: it gets no web limits.
    os.environ.pop(_name, None)

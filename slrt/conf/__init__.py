"""The production stack's settings, one module per concern, each applied by `slrt/settings.py`
through `apply(settings)` (the settings module's globals): `database` (pooling, timeouts, the read
replica), `queue` (the Celery task queue), `storage` (files every server reaches), `observability`
(JSON logs, request ids, metrics). Each reads only the environment and the settings before it."""

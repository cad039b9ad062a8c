# SLRT — `make run` serves the demo, `make test` runs the whole suite.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1:8000
# The demo answers on the host it was started on (all names when bound to 0.0.0.0), DEBUG off.
comma := ,
HOST_NAME := $(firstword $(subst :, ,$(HOST)))
RUN_ALLOWED_HOSTS := $(if $(filter 0.0.0.0,$(HOST_NAME)),*,$(HOST_NAME)$(comma)127.0.0.1$(comma)localhost)

.PHONY: install run test test-pg bench lint demo migrate static clean

$(VENV)/.installed: requirements.txt requirements-dev.txt package.json
	test -x $(PY) || $$(scripts/find-python) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	npm install --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed

# The demo's secret key: generated once, kept outside git in var/ (mode 0600) and handed to every
# manage.py below as SLRT_SECRET_KEY, unless the environment already sets one. settings.py has
# no fallback: manage.py run any other way without SLRT_SECRET_KEY refuses to start.
SECRET_KEY_FILE := var/secret_key
KEY := SLRT_SECRET_KEY="$${SLRT_SECRET_KEY:-$$(cat $(SECRET_KEY_FILE))}"
$(SECRET_KEY_FILE):
	mkdir -p $(dir $@)
	umask 077 && python3 -c 'import secrets; print(secrets.token_urlsafe(50))' > $@.tmp && mv $@.tmp $@

# The demo requires two-factor sign-in of no role, so the printed accounts sign in with their
# password (production's default is admin,dinsos,manajer; README "Two-factor sign-in"). A value
# set in the environment, even empty, is kept: SLRT_2FA_ROLES=admin make run tries it out.
DEMO_2FA := SLRT_2FA_ROLES="$${SLRT_2FA_ROLES-}"

migrate: install $(SECRET_KEY_FILE)
	$(KEY) $(PY) manage.py migrate --noinput -v0
	$(KEY) $(PY) manage.py load_regions

demo: migrate
	$(KEY) $(DEMO_2FA) $(PY) manage.py seed_demo

# Hashed, gzip- and brotli-compressed static files that whitenoise serves with DEBUG off.
static: install $(SECRET_KEY_FILE)
	$(KEY) $(PY) manage.py collectstatic --noinput -v0

# The background work (imports, targeting runs, the outbox, escalation, sealing) runs on one Celery
# worker with its scheduler embedded (--beat), next to the web server, on the folder broker in
# var/queue (no server needed); the EXIT trap ends it however runserver ends (Ctrl-C included).
# Links in the messages it sends point at HOST unless SLRT_PUBLIC_URL says otherwise; pages use
# the address each request came in on. Log lines are plain text here (production: JSON).
run: demo static
	export $(KEY) $(DEMO_2FA) SLRT_LOG_FORMAT=$${SLRT_LOG_FORMAT:-plain}; \
	SLRT_PUBLIC_URL=$${SLRT_PUBLIC_URL:-http://$(HOST)} $(VENV)/bin/celery -A slrt worker --beat --pool solo \
	  --loglevel INFO --schedule "$${SLRT_VAR_DIR:-var}/celerybeat-schedule" & jobs=$$!; \
	trap 'kill $$jobs 2>/dev/null; wait $$jobs 2>/dev/null' EXIT; \
	SLRT_ALLOWED_HOSTS=$${SLRT_ALLOWED_HOSTS:-'$(RUN_ALLOWED_HOSTS)'} $(PY) manage.py runserver $(HOST)

# The production stack on one machine (README "Production"), on make run's demo data: gunicorn
# (deploy/gunicorn.conf.py, several workers), one Celery worker and one Celery beat, DEBUG off,
# against DATABASE_URL (default the SQLite file in the var dir) and SLRT_BROKER_URL (default the
# queue folder there). Ctrl-C, or any of the three ending, stops all three (the traps).
.PHONY: serve
serve: demo static
	export $(KEY) $(DEMO_2FA) SLRT_DEBUG=0 SLRT_ALLOWED_HOSTS=$${SLRT_ALLOWED_HOSTS:-'$(RUN_ALLOWED_HOSTS)'}; \
	trap 'kill -TERM $$web $$worker $$beat 2>/dev/null; wait $$web $$worker $$beat 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM; \
	jobs_env="SLRT_PUBLIC_URL=$${SLRT_PUBLIC_URL:-http://$(HOST)}"; \
	env "$$jobs_env" $(VENV)/bin/celery -A slrt worker --loglevel INFO & worker=$$!; \
	env "$$jobs_env" $(VENV)/bin/celery -A slrt beat --loglevel INFO \
	  --schedule "$${SLRT_VAR_DIR:-var}/celerybeat-schedule" & beat=$$!; \
	SLRT_BIND=$(HOST) $(VENV)/bin/gunicorn -c deploy/gunicorn.conf.py & web=$$!; \
	wait -n $$web $$worker $$beat

test: install
	$(PY) -m pytest -n 2 --dist loadgroup -q

test-pg: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/slrt} $(PY) -m pytest -n 2 --dist loadgroup -q

bench: install $(SECRET_KEY_FILE)
	$(KEY) $(PY) -m bench

# The load test (README "Load test"; bench/loadtest/run.py): builds the 1,000,000-person district
# once into its own database (DATABASE_URL, default slrt_loadtest; cached), then 100 Locust staff
# sessions for 5 minutes against the make serve stack (gunicorn + Celery) and again against
# runserver; p50/p95/p99 per endpoint, checked against the targets (LOADTEST_STRICT=1: exit 1 on
# a miss). LOADTEST_USERS / LOADTEST_TIME / LOADTEST_SPAWN_RATE make a quick trial; only a full
# run rewrites its section of docs/benchmarks.md. The servers run with SLRT_2FA_ROLES= (no OTP).
.PHONY: loadtest
loadtest: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/slrt_loadtest} \
	LOADTEST_REPORT=$${LOADTEST_REPORT:-$$([ -z "$${LOADTEST_USERS}$${LOADTEST_TIME}$${LOADTEST_SPAWN_RATE}" ] && echo 1)} \
	$(PY) -m bench.loadtest.run

# Backups (README "Backups and restore"): `make backup` writes var/backups/<UTC time>/ (or OUT=DIR);
# `make restore FROM=DIR` restores into the configured, empty database and storage.
.PHONY: backup restore
backup: install $(SECRET_KEY_FILE)
	$(KEY) $(PY) manage.py backup --out $${OUT:-var/backups/$$(date -u +%Y%m%dT%H%M%SZ)}

restore: install $(SECRET_KEY_FILE)
	test -n "$(FROM)" || { echo "usage: make restore FROM=DIR"; exit 2; }
	$(KEY) $(PY) manage.py restore --from "$(FROM)"

lint: install
	$(VENV)/bin/ruff check .
	PYTHONPATH=. $(VENV)/bin/lint-imports

clean:
	rm -rf var staticfiles

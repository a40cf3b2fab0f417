# Cadence: the two commands that set everything up are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: run test install migrate seed lint format check-deploy schema clean bench

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

## make run: virtualenv, install, .env (from .env.example, DEBUG on) unless there is one, migrate, demo data
## (with a connection profile and a first check), one background worker, serve on http://127.0.0.1:8000 (SQLite
## unless DATABASE_URL)
run: export DEBUG ?= True
run: $(STAMP) .env
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo
	@# One background worker beside the server (webhook deliveries); it stops when the server does.
	$(BIN)/python manage.py worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/python manage.py runserver 127.0.0.1:8000

## make test: virtualenv, install, the full suite (PostgreSQL when DATABASE_URL is set, SQLite otherwise)
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# A development .env, so `.venv/bin/python manage.py ...` works in a checkout as it does under `make run`.
# An existing .env is never overwritten.
.env:
	sed -e 's/^DEBUG=.*/DEBUG=True/' .env.example > .env
	@echo "Created .env from .env.example with DEBUG=True (for development only)."

## make check-deploy: Django's deployment checks on the settings the server will read: the environment as it is,
## then .env for what it leaves unset; nothing is forced. Set the production variables first (SECRET_KEY,
## DEBUG=False, APP_ENVIRONMENT=production, ALLOWED_HOSTS, DATABASE_URL, CACHE_URL ...). Fails when DEBUG is on
## and on any warning; with APP_ENVIRONMENT=production the settings themselves refuse DEBUG and a development .env.
check-deploy: $(STAMP)
	@$(BIN)/python manage.py shell -v0 -c '$(DEPLOY_SETTINGS_CHECK)'
	$(BIN)/python manage.py check --deploy --fail-level WARNING

# Says which settings check-deploy judges, and stops when DEBUG is on, whatever set it.
DEPLOY_SETTINGS_CHECK = from django.conf import settings as s; db = s.DATABASES["default"]; \
  print("check-deploy: APP_ENVIRONMENT=%s DEBUG=%s database=%s:%s@%s cache=%s .env=%s" % ( \
    s.APP_ENVIRONMENT, s.DEBUG, db["ENGINE"].rsplit(".", 1)[-1], db.get("NAME"), db.get("HOST") or "-", \
    s.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1], s.DOTENV_PATH if s.DOTENV_PATH.exists() else "none")); \
  raise SystemExit("check-deploy: DEBUG is on in the settings the server would read (set in the environment, " \
    "or in .env when the environment leaves it unset). Set DEBUG=False." if s.DEBUG else 0)

## make schema: the OpenAPI schema, validated, written to var/openapi.yaml (also served at /api/schema/)
schema: $(STAMP)
	DEBUG=True $(BIN)/python manage.py spectacular --validate --fail-on-warn --file var/openapi.yaml
	@echo "Wrote var/openapi.yaml"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --no-input

seed: $(STAMP)
	$(BIN)/python manage.py seed_demo

## make bench: Cadence against the raw psycopg + orjson floor (bench/run.py; BENCH_DATABASE_URL, BENCH_ARGS)
bench: $(STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache

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
## (with a connection profile and a first check), serve on http://127.0.0.1:8000 (SQLite unless DATABASE_URL)
run: export DEBUG ?= True
run: $(STAMP) .env
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

## make test: virtualenv, install, the full suite (PostgreSQL when DATABASE_URL is set, SQLite otherwise)
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# A development .env, so `.venv/bin/python manage.py ...` works in a checkout as it does under `make run`.
# An existing .env is never overwritten.
.env:
	sed -e 's/^DEBUG=.*/DEBUG=True/' .env.example > .env
	@echo "Created .env from .env.example with DEBUG=True (for development only)."

## make check-deploy: Django's deployment checks with DEBUG off; set the production variables first
## (SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, CACHE_URL ...). Fails on any warning.
check-deploy: $(STAMP)
	DEBUG=False $(BIN)/python manage.py check --deploy --fail-level WARNING

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

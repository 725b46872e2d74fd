# The two commands: `make run` (the whole portal on this machine) and `make test`.
# Both create .venv on first use and reinstall the project only when pyproject.toml changed.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export DEBIAN_FRONTEND := noninteractive

.DEFAULT_GOAL := help
.PHONY: help venv run test lint

help:
	@echo "make run   PostgreSQL, Redis, gunicorn, Celery worker and beat, the SIP executor under supervisord (DATA_DIR, default ./var; PORTAL_HTTP_PORT, default 8000)"
	@echo "make test  run the test suite against throwaway PostgreSQL and Redis (PYTEST_ARGS=...)"
	@echo "make lint  ruff, import contracts (.importlinter), mypy, manage.py check, and a check for missing migrations"

venv: $(STAMP)

# Debian's python3 ships without ensurepip until python3-venv is installed.
$(PY):
	@if ! $(PYTHON) -m venv $(VENV); then \
	  rm -rf $(VENV); \
	  echo "venv failed: installing python3-venv" >&2; \
	  apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null; \
	  $(PYTHON) -m venv $(VENV); \
	fi

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --disable-pip-version-check -q -e '.[test]'
	touch $@

run: $(STAMP)
	bash scripts/system-deps.sh
	exec $(PY) -m portal.run

test: $(STAMP)
	bash scripts/test-services.sh $(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy
	$(PY) manage.py check
	@# makemigrations needs no database; only its history check would warn that none is running.
	$(PY) -W "ignore:Got an error checking a consistent migration history" \
	  manage.py makemigrations --check --dry-run

# The Guardians Portal: `make run` serves it on http://127.0.0.1:5000, `make test` tests it.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := portal
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint format clean-db help

help:
	@echo "make run    - install, migrate, load demo data and serve http://$(HOST):$(PORT)"
	@echo "make test   - install test dependencies and run the whole test suite"
	@echo "make lint   - ruff check and format check"

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed (python3 --version)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/flask devserver --prepare --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-test
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check portal tests
	$(BIN)/ruff format --check portal tests

format: $(VENV)/.installed-test
	$(BIN)/ruff format portal tests
	$(BIN)/ruff check --fix portal tests

clean-db:
	rm -f instance/portal.db instance/portal.db-wal instance/portal.db-shm

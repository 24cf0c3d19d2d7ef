# The Guardians Portal: `make run` serves it on http://127.0.0.1:5000, `make test` tests it.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := portal
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test fuzz browser lint security format clean-db help bench bench-sqlite bench-postgres bench-signin

help:
	@echo "make run    - install, migrate, load demo data and serve http://$(HOST):$(PORT)"
	@echo "make test   - install test dependencies and run the whole test suite"
	@echo "make lint   - ruff check and format check"
	@echo "make security - bandit over portal/ (medium severity and above)"
	@echo "make fuzz   - the hostile-input fuzzing of every route, $(FUZZ_EXAMPLES) examples per route"
	@echo "make bench  - seed a large dataset, time the key pages on SQLite and PostgreSQL"

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed (python3 --version)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

# Playwright drives Debian's /usr/bin/chromium (see .ci/run); it never downloads a browser.
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed

# Links in email point at the server `make run` starts, unless PORTAL_BASE_URL says otherwise.
run: export PORTAL_BASE_URL ?= http://$(HOST):$(PORT)
run: $(VENV)/.installed
	$(BIN)/flask devserver --prepare --host $(HOST) --port $(PORT)

# The browser tests need Debian's Chromium: installed with apt when this machine
# can (as root, or with sudo), otherwise the exact command to run is printed.
CHROMIUM ?= /usr/bin/chromium
APT_INSTALL_CHROMIUM = apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

browser:
	@if [ -x "$(CHROMIUM)" ]; then exit 0; fi; \
	echo "Chromium is missing; the browser tests need it. Installing Debian's chromium."; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then sh -c '$(APT_INSTALL_CHROMIUM)'; \
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo sh -c '$(APT_INSTALL_CHROMIUM)'; \
	else echo "Cannot install it here. Run: sudo sh -c '$(APT_INSTALL_CHROMIUM)'" >&2; exit 1; fi; \
	[ -x "$(CHROMIUM)" ] || { echo "Chromium is still missing at $(CHROMIUM)." >&2; exit 1; }

test: $(VENV)/.installed-test browser
	$(BIN)/pytest $(PYTEST_ARGS)

# Deeper fuzzing than `make test` runs: random (not the fixed) examples, many
# more per route; on PostgreSQL with PORTAL_TEST_DATABASE_URL set.
FUZZ_EXAMPLES ?= 300
fuzz: $(VENV)/.installed-test
	PORTAL_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest tests/security/test_fuzz.py $(PYTEST_ARGS)

# The benchmark (bench/README.md): a large seeded dataset, p50/p95 per page,
# checked against bench/budgets.toml. PostgreSQL gets a throwaway database.
BENCH_POSTGRES_SERVER ?= postgresql://postgres@127.0.0.1
BENCH_POSTGRES_DATABASE ?= bench_tmp
BENCH_PG = BENCH_POSTGRES_SERVER=$(BENCH_POSTGRES_SERVER) BENCH_POSTGRES_DATABASE=$(BENCH_POSTGRES_DATABASE)
BENCH_PG_URL = BENCH_DATABASE_URL=$(BENCH_POSTGRES_SERVER)/$(BENCH_POSTGRES_DATABASE)

bench: $(VENV)/.installed
	@$(MAKE) --no-print-directory --keep-going bench-sqlite bench-postgres

# 100 simultaneous sign-ins over HTTP (gunicorn, Redis counters): no server
# error, no more passwords checked than the limit (bench/signin_burst.py).
bench-signin: $(VENV)/.installed
	$(BIN)/python bench/signin_burst.py

bench-sqlite: $(VENV)/.installed
	$(BIN)/python -m bench.seed
	$(BIN)/python -m bench.run $(BENCH_ARGS)

bench-postgres: $(VENV)/.installed
	$(BENCH_PG) $(BIN)/python -m bench.pgdb create
	$(BENCH_PG_URL) $(BIN)/python -m bench.seed && $(BENCH_PG_URL) $(BIN)/python -m bench.run $(BENCH_ARGS); \
	status=$$?; $(BENCH_PG) $(BIN)/python -m bench.pgdb drop; exit $$status

lint: $(VENV)/.installed-test
	$(BIN)/ruff check portal tests
	$(BIN)/ruff format --check portal tests

# bandit over portal/ fails on any finding of medium severity or above; a
# `# nosec` must name its check and give the reason on the same line.
security: $(VENV)/.installed-test
	$(BIN)/bandit -c pyproject.toml -r portal -ll -q
	@if grep -rnE '#[[:space:]]*nosec' portal --include='*.py' \
		| grep -vE '#[[:space:]]*nosec[[:space:]]+B[0-9]{3}(,[[:space:]]*B[0-9]{3})*[[:space:]]+-[[:space:]]+[^[:space:]]'; then \
		echo "Each # nosec above needs its check and a reason: # nosec B608 - why" >&2; exit 1; fi

format: $(VENV)/.installed-test
	$(BIN)/ruff format portal tests
	$(BIN)/ruff check --fix portal tests

clean-db:
	rm -f instance/portal.db instance/portal.db-wal instance/portal.db-shm

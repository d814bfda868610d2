# The two commands: `make dev` (Dagster UI on 127.0.0.1:3000 with the embedded default) and `make test`.
# Both create or update the same virtual environment first, from the lock file requirements/dev.txt.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: dev test test-quick lint venv lock browser
.DEFAULT_GOAL := test

# The lock files (`make lock` writes them from pyproject.toml): every package pinned with its hashes, so a
# fresh machine installs exactly the versions the suite last passed with. runtime.txt is what the image
# installs (the k8s, celery and s3 extras); dev.txt is the dev extra, on runtime.txt's versions; pip.txt is
# pip itself, installed first: the pip a Python 3.11 venv starts with (23.2) rejects a hashed lock in which a
# package requires another with an extra (dagster-dg-core: gql[requests]).
DEV_LOCK := requirements/dev.txt
RUNTIME_LOCK := requirements/runtime.txt
PIP_LOCK := requirements/pip.txt

# Re-install whenever pyproject.toml or a lock changes; the stamp file records the last install. The locked
# pip, then the lock (pip checks every hash and that nothing is missing), then the project itself, editable,
# without dependencies: they all come from the lock (tests/project/test_lock.py fails when pyproject.toml
# needs what the lock lacks; no `pip check` here, or such a venv could not even run `make lock`). Last the
# API simulators (connector_sandbox), a distribution of their own (sandbox/pyproject.toml) that dev and the
# tests need and the production image leaves out; their libraries are the connector's, so no deps either.
$(VENV)/.installed: pyproject.toml sandbox/pyproject.toml $(PIP_LOCK) $(DEV_LOCK)
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "ml-connector needs Python >= 3.11"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing ml-connector and its locked dependencies into $(VENV) (log: $(VENV)/install.log)"
	@# The build backend's notices (editable-install advice) go to the log, not the newcomer's screen;
	@# a failed install prints the whole log.
	@( $(BIN)/python -m pip install --require-hashes -r $(PIP_LOCK) \
		&& $(BIN)/python -m pip install --require-hashes -r $(DEV_LOCK) \
		&& $(BIN)/python -m pip install --no-deps -e . \
		&& $(BIN)/python -m pip install --no-deps -e ./sandbox ) \
		> $(VENV)/install.log 2>&1 || (cat $(VENV)/install.log; exit 1)
	touch $@

venv: $(VENV)/.installed

# Recompiles the lock files from pyproject.toml with uv (pinned in the dev extra), keeping every pin that
# still fits its range, then stamps them with pyproject.toml's hash (tests/project/test_lock.py checks it).
# `make lock LOCK_ARGS="--upgrade-package requests"` moves one package to its newest release in range;
# LOCK_ARGS=--upgrade moves everything. docs/development.md "Dependencies and the lock".
LOCK_ARGS ?=
UV ?= $(BIN)/uv
UV_COMPILE = $(UV) pip compile --universal --python-version 3.11 --generate-hashes --quiet $(LOCK_ARGS)

lock: | $(UV)
	echo pip | $(UV_COMPILE) - -o $(PIP_LOCK)
	$(UV_COMPILE) pyproject.toml --extra k8s --extra celery --extra s3 -o $(RUNTIME_LOCK)
	$(UV_COMPILE) pyproject.toml --extra dev -c $(RUNTIME_LOCK) -o $(DEV_LOCK)
	$(PYTHON) requirements/stamp.py $(RUNTIME_LOCK) $(DEV_LOCK)

$(BIN)/uv: $(VENV)/.installed

# Options for ml-connector dev, e.g. `make dev DEV_ARGS="--sandbox-ports free --port 3001"`.
DEV_ARGS ?=

dev: $(VENV)/.installed
	$(BIN)/ml-connector dev $(DEV_ARGS)

# lint-imports: the import contracts in pyproject.toml ([tool.importlinter]), e.g. no integration package
# imports another. basedpyright: the static type check ([tool.basedpyright]; about a minute on 2 cores).
lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo --no-cache
	$(BIN)/basedpyright --pythonpath $(BIN)/python

# The suite runs on PYTEST_WORKERS processes (pytest-xdist), each test file on one worker so its shared
# simulators start once. It is CPU-bound (test processes, Dagster subprocesses, simulators), and 3 workers
# keep 2 cores busier than 2 do. Last figure: 17:30 for 4,521 tests, pytest alone on a clean clone, 2 cores
# (about 20:50 with the install and lint, a benchmark running beside it; 2026-11-29 evening).
# PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= 3

# The desk's journeys and fit.html run in Debian's chromium through its chromedriver (selenium drives it; no
# browser is downloaded). Installed here when missing and this is a Debian machine we may install on (root);
# otherwise said, and those tests skip (or fail under CI=true, where the browser must be there).
BROWSER_PACKAGES := chromium chromium-driver
browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing $(BROWSER_PACKAGES) for the browser tests"; \
			apt-get install -y -q $(BROWSER_PACKAGES) >/dev/null 2>&1 \
				|| (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q $(BROWSER_PACKAGES) >/dev/null 2>&1) \
				|| echo "could not install $(BROWSER_PACKAGES): the browser tests will say so"; \
		else \
			echo "no chromium/chromedriver: apt-get install $(BROWSER_PACKAGES) (the browser tests will say so)"; \
		fi; \
	fi

# The suite starts hundreds of Python processes (run workers, daemons, CLI commands, steps killed with -9),
# and each compiles every project module it imports when no bytecode may be cached: a machine that sets
# PYTHONDONTWRITEBYTECODE (to keep checkouts clean) pays that every time. The tests cache it under the venv
# instead (PYTHONPYCACHEPREFIX), never in the checkout: 7% less CPU on in-process run tests, 19% on a test
# of two run processes (2026-11-27).
PYCACHE := $(abspath $(VENV))/pycache
TEST_ENV := env -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX=$(PYCACHE)

test: lint browser
	$(TEST_ENV) $(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile

# The loop while editing: lint, then every test but the end-to-end ones (marked e2e by tests/conftest.py),
# and how long the two took (docs/development.md says about how long to expect).
test-quick: $(VENV)/.installed
	@start=$$(date +%s); status=0; \
	$(MAKE) --no-print-directory lint \
		&& $(TEST_ENV) $(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile -m "not e2e" \
		|| status=$$?; \
	took=$$(( $$(date +%s) - start )); \
	echo "make test-quick: $$((took / 60)) min $$((took % 60)) s (lint, then the tests not marked e2e)"; \
	exit $$status

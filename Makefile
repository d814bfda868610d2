# The two commands: `make dev` (Dagster UI on 127.0.0.1:3000 with the embedded default) and `make test`.
# Both create or update the same virtual environment first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: dev test lint venv
.DEFAULT_GOAL := test

# Re-install whenever pyproject.toml changes; the stamp file records the last install.
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "ml-connector needs Python >= 3.11"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

dev: $(VENV)/.installed
	$(BIN)/ml-connector dev

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python -m pytest -q

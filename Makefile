# The two commands: `make run` and `make test`. Both work on a fresh machine with
# Python 3.11: they create .venv, install the project into it, then run.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint-content bench format

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The OpenID provider the sign-in tests start (tests/oidc_provider), from its lock file.
# Without npm, `make run` still works; the OIDC tests then skip (and fail under CI=true).
NODE_STAMP := tests/oidc_provider/node_modules/.installed
$(NODE_STAMP): tests/oidc_provider/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		cd tests/oidc_provider && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed; \
	else echo "npm not found: install Node.js 18+ to run the OpenID Connect sign-in tests"; fi

install: $(STAMP) $(NODE_STAMP)

# `make run PORT=8000` serves on another port; without PORT, the configured one (5000).
run: install
	$(BIN)/interviewkit init --demo
	$(BIN)/interviewkit load
	$(BIN)/interviewkit serve $(if $(PORT),--port $(PORT))

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/interviewkit lint --strict
	$(BIN)/pytest -n auto --maxprocesses=4

lint-content: install
	$(BIN)/interviewkit lint

bench: install
	$(BIN)/python bench/bank_build.py
	$(BIN)/python bench/autosave.py
	$(BIN)/python bench/analytics.py --requests 10

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

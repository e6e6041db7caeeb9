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

install: $(STAMP)

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

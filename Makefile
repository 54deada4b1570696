# The two fresh-machine commands are `make plan STACK=dev` (offline plan, then the policy gate)
# and `make test`; both set up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STACK ?= dev

.PHONY: setup plan test lint bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

plan: setup
	$(BIN)/python -m infractl plan --stack $(STACK)
	$(BIN)/python -m infractl policy --stack $(STACK)

test: setup lint
	$(BIN)/python -m pytest -n auto

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: setup
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache

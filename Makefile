# Two entry points (README "Quick start"):
#   make run   install Garrison and scan this machine's MCP setup (or run the attack lab when none is configured)
#   make test  install what the tests need (test extras, real MCP servers, conformance suite) and run them
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: install install-test run test lint

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	bash scripts/install-system-deps
	bash scripts/install-test-servers
	bash scripts/install-conformance

run: install
	@if $(BIN)/garrison inventory --format json | $(BIN)/python -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["servers"] else 1)'; \
	then $(BIN)/garrison scan; \
	else echo "No MCP servers are configured on this machine: running the attack lab instead." >&2; $(BIN)/garrison lab; fi

lint: install-test
	$(BIN)/ruff check src tests bench eval
	$(BIN)/mypy

test: install-test
	$(BIN)/ruff check src tests bench eval
	$(BIN)/mypy
	$(BIN)/pytest

# Two commands for a newcomer: `make run` and `make test`. Everything else is here to serve them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest system-packages clean

run: $(STAMP)
	$(BIN)/safeschool up --demo

test: $(STAMP) system-packages lint typecheck pytest

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

system-packages:
	scripts/ensure-system-packages

lint: $(STAMP)
	$(BIN)/ruff check safeschool tests benchmarks
	$(BIN)/ruff format --check safeschool tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy safeschool

# SQLite always; PostgreSQL as well when DATABASE_URL is set.
pytest: $(STAMP)
	env -u DATABASE_URL $(BIN)/python -m pytest
	if [ -n "$$DATABASE_URL" ]; then $(BIN)/python -m pytest; fi

clean:
	rm -rf $(VENV) var/test-* .pytest_cache .mypy_cache .ruff_cache

# ecs-medic: `make demo` and `make test` work on a fresh clone; the venv bootstraps itself.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: help install demo test lint typecheck unit bench accuracy heal-bench test-all clean

help:
	@echo "make demo   - set up and run ecs-medic against the built-in lab (no AWS account)"
	@echo "make test   - set up, then lint, type check and run the tests"
	@echo "make lint   - ruff check and format check"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m ecs_medic.aws.mcp_provision  # the pinned AWS MCP servers, each in its own env
	@touch $(STAMP)

install: $(STAMP)

# exit 1 means "problems found", which is the point of the demo; only 2+ is a failure here
demo: $(STAMP)
	@$(BIN)/ecs-medic demo $(SCENARIO) || [ $$? -eq 1 ]

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest tests/unit -q $(PYTEST_ARGS)

# `make test` (CI) leaves out the sweeps marked slow; `make test-all` runs every test.
# loadgroup: tests marked xdist_group share one worker (and its module-scoped lab).
XDIST := -n 2 --dist loadgroup
test: lint typecheck
	$(BIN)/pytest -q $(XDIST) -m "not slow" $(PYTEST_ARGS)

test-all: lint typecheck
	$(BIN)/pytest -q $(XDIST) $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/bench_diagnose.py

accuracy: $(STAMP)
	$(BIN)/python bench/accuracy.py

# `fix --yes` on every A1/A2 lab scenario: bench/results/healing.md (about half an hour)
heal-bench: $(STAMP)
	$(BIN)/python bench/bench_healing.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache

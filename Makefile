# Two entry points: `make demo` runs the main job, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test lint bench clean docs

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test,cli,calendar,docs]"
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/mdreg simulate --physicians 500 --days 60 --seed 1 \
		--json simulation.json --html simulation.html

lint: $(VENV)/.installed
	$(PY) -m ruff check src tests examples
	$(PY) -m mypy

test: lint
	$(PY) -m sphinx -W -q -b html docs docs/_build/html
	$(PY) -m pytest -n 2 -q

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis

# The benchmark suite (docs/performance.md); BENCH="--quick" or BENCH="--only command" to narrow it.
bench: $(VENV)/.installed
	$(PY) -c "import statemachine" 2>/dev/null || $(PY) -m pip install -q -e ".[bench]"
	$(PY) -m benchmarks $(BENCH)

docs: $(VENV)/.installed
	$(PY) -m sphinx -W -q -b html docs docs/_build/html

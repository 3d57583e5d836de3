# Two entry points: `make demo` runs the main job, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test lint package bench clean docs portal mutation mutation-changed mutation-gate FORCE

# Which interpreter a python is. A .venv whose python is not $(PYTHON) — another version, another
# installation — or does not run, or cannot import mdreg, is removed and built again.
WHICH_PYTHON := import sys; print(sys.implementation.name, "%d.%d.%d" % sys.version_info[:3], sys.base_prefix)
PYTHON_ID := $(shell $(PYTHON) -c '$(WHICH_PYTHON)' 2>/dev/null)
VENV_ID := $(shell $(PY) -c 'import mdreg; $(WHICH_PYTHON)' 2>/dev/null)
ifneq ($(wildcard $(VENV)),)
ifneq ($(PYTHON_ID),$(VENV_ID))
REBUILD := FORCE
endif
endif

$(VENV)/.installed: pyproject.toml $(REBUILD)
	$(if $(REBUILD),@echo "$(VENV) was not built by $(PYTHON) ($(PYTHON_ID)) or is broken: rebuilding")
	$(if $(REBUILD),rm -rf $(VENV))
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test,cli,calendar,docs]"
	touch $@

FORCE:

demo: $(VENV)/.installed
	$(VENV)/bin/mdreg simulate --physicians 500 --days 60 --seed 1 \
		--json simulation.json --html simulation.html

# The reference portal (examples/portal, docs/portal.md) on http://127.0.0.1:8000 with the demo
# province, on portal.sqlite; DB=postgresql+psycopg://user@host/db for PostgreSQL.
portal: $(VENV)/.installed
	$(PY) -c "import uvicorn, multipart, itsdangerous" 2>/dev/null || $(PY) -m pip install -q -e ".[portal]"
	$(PY) -m examples.portal $(if $(DB),--db $(DB))

lint: $(VENV)/.installed
	$(PY) -m ruff check src tests examples tools
	$(PY) -m mypy

# The wheel and the sdist as a user gets them, installed into a clean environment (.ci/check-package).
package: $(VENV)/.installed
	PYTHON=$(PY) .ci/check-package

test: lint package
	$(PY) -m sphinx -W -q -b html docs docs/_build/html
	$(PY) -m pytest -n 2 -q
	$(MAKE) --no-print-directory mutation-gate

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis mutants

# The benchmark suite (docs/performance.md); BENCH="--quick" or BENCH="--only command" to narrow it.
bench: $(VENV)/.installed
	$(PY) -c "import statemachine" 2>/dev/null || $(PY) -m pip install -q -e ".[bench]"
	$(PY) -m benchmarks $(BENCH)

docs: $(VENV)/.installed
	$(PY) -m sphinx -W -q -b html docs docs/_build/html

# Mutation testing of rules/, workflows/, the deadlines and the calendar (docs/rule-authors.md);
# MODULES=mdreg.rules.account,... narrows it, JOBS=1 runs one mutant at a time. Writes
# mutation/summary.txt and, for each file that meets 95 %, its text's hash to mutation/measured.json.
mutation: $(VENV)/.installed
	$(PY) -c "import mutmut" 2>/dev/null || $(PY) -m pip install -q "mutmut>=3.8,<4"
	$(PY) tools/mutation.py $(if $(MODULES),--modules $(MODULES)) --max-children $(or $(JOBS),2)

# Only the configured files whose text differs from their last passing measurement
# (mutation/measured.json), or with BASE=REF those changed since a git ref.
mutation-changed: $(VENV)/.installed
	$(PY) -c "import mutmut" 2>/dev/null || $(PY) -m pip install -q "mutmut>=3.8,<4"
	$(PY) tools/mutation.py --changed $(if $(BASE),--base $(BASE)) --max-children $(or $(JOBS),2) \
		--budget $(or $(BUDGET),900)

# The regression gate `make test` ends with: the files that met the target once and changed
# since are measured again (nothing runs while they are as measured).
mutation-gate: $(VENV)/.installed
	$(PY) -c "import mutmut" 2>/dev/null || $(PY) -m pip install -q "mutmut>=3.8,<4"
	$(PY) tools/mutation.py --changed --recorded-only --max-children 2 --budget $(or $(BUDGET),900)

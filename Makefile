# Two commands a new user needs: `make demo` (the main job on an embedded default) and
# `make test` (the test suite). Each creates .venv and installs what it needs on first use.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PYTEST_WORKERS ?= 2

.PHONY: install demo test test-all docs clean speed audit-calibration

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/rnninit run --out runs/demo

test: $(STAMP)
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup -m "not slow"

test-all: $(STAMP)
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup

# The documentation site (MkDocs + Material + mkdocstrings) into site/; --strict: a broken link or a
# missing reference fails the build. `$(VENV)/bin/mkdocs serve` previews it.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

clean:
	rm -rf $(VENV) runs site .pytest_cache

# Benchmarks (not part of the tests): the speed grid, and the audit's calibration page.
speed: $(STAMP)
	OMP_NUM_THREADS=1 $(VENV)/bin/rnninit speed --threads 1 --clock cpu

audit-calibration: $(STAMP)
	PYTHONPATH=src OMP_NUM_THREADS=2 $(PY) scripts/audit_calibration.py --audits 3000

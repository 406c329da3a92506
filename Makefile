# Two commands a new user needs: `make demo` (the main job on an embedded default) and
# `make test` (the test suite). Each creates .venv and installs what it needs on first use.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PYTEST_WORKERS ?= 2

.PHONY: install demo test test-all test-keras-jax lint docs clean speed audit-calibration

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/rnninit run --out runs/demo

# Keras 3 picks its backend once per process, at import: the Keras tests run a second time, in a
# second pytest process, on the JAX backend. The saved model's load in a fresh torch process is left
# to the first run (the second loads it in a fresh JAX process instead). rnninit.dynamics' Keras
# cells are float64, which JAX gives only with JAX_ENABLE_X64: without it they are an error, which
# tests/dynamics/test_dynamics_keras.py checks in subprocesses on both settings.
KERAS_JAX_TESTS := tests/keras/test_keras_apply.py tests/keras/test_keras_builtin_layout.py tests/keras/test_keras_cells.py \
	tests/keras/test_keras_initializer.py tests/keras/test_keras_saving.py tests/keras/test_keras_torch_parity.py \
	tests/audit/test_audit_keras.py \
	--deselect "tests/keras/test_keras_saving.py::test_saved_model_loads_in_a_fresh_process_with_identical_weights[torch]"

test: $(STAMP)
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup -m "not slow"
	KERAS_BACKEND=jax $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup -m "not slow" $(KERAS_JAX_TESTS)

test-all: $(STAMP)
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup
	KERAS_BACKEND=jax $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(KERAS_JAX_TESTS)

test-keras-jax: $(STAMP)
	KERAS_BACKEND=jax $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup -m "not slow" $(KERAS_JAX_TESTS)

# Lint, format, types and the docstring examples (CI runs this after the tests, in .ci/run). The
# doctests import every module of the package, so they need the dev extra that $(STAMP) installs.
lint: $(STAMP)
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/ruff format --check src tests
	$(VENV)/bin/mypy src/rnninit
	$(PY) -m pytest --doctest-modules src/rnninit -q

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

"""Shared by the whole suite.

The folders mirror the package: ``core`` (inits, spec, layout, plan, seeding, walk, writer, ...),
``torch``, ``keras``, ``flax``, ``audit`` (audit and describe), ``dynamics``, ``experiments``, ``tune``,
``bench``, ``cli``; ``docs`` runs the README, the docs pages and the examples as written, ``packaging``
installs the wheel, ``zoo`` holds third-party cell designs. A test goes where its main subject lives.

Test folders have no ``__init__.py``: pytest imports each test file by its basename, so no two test
files may share one (collection fails on a clash: name a file for its subject, ``test_keras_apply.py``).
Helpers used by more than one folder are in ``tests/helpers.py`` (``from helpers import ROOT``):
``tests`` is on pytest's ``pythonpath``.
"""

import pytest

# helpers' own asserts (assert_torch_unchanged) report their operands like a test's.
pytest.register_assert_rewrite("helpers")

"""The ``>>>`` examples in rnninit.flax's docstrings run as written."""

import doctest
import importlib

import pytest

MODULES = [
    "rnninit.flax",
    "rnninit.flax.apply",
    "rnninit.flax.layouts",
    "rnninit.flax.declare",
    "rnninit.flax.initializers",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0

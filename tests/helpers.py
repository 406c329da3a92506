"""Helpers shared by test modules in more than one folder: ``from helpers import ROOT, src_env``.

``tests`` is on pytest's ``pythonpath`` (pyproject.toml), so this module imports by its name from any
folder. It imports no framework at module level: a core test that imports it loads no torch or Keras.
Fixtures shared by several folders live in ``tests/conftest.py``; helpers of one folder stay in that
folder (``tests/core/core_blocks.py``, ``tests/zoo/zoo_checks.py``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

#: The repository root (README.md, docs/, examples/, src/).
ROOT = Path(__file__).resolve().parents[1]
#: The source tree, for a subprocess that must import this checkout's rnninit.
SRC = ROOT / "src"


def src_env(**extra: str) -> dict[str, str]:
    """This process's environment with ``PYTHONPATH`` set to :data:`SRC`, plus ``extra``: for running
    rnninit (``python -m rnninit.cli ...``, an example script) in a subprocess."""
    return {**os.environ, "PYTHONPATH": str(SRC), **extra}


def last_json(text: str):
    """The JSON object on the last line of ``text``: what a ``--json`` command (``rnninit run``,
    ``rnninit tune``) prints last, after any progress lines."""
    return json.loads(text.strip().splitlines()[-1])


def torch_state(module) -> dict:
    """A copy of every tensor of ``module``'s state dict: what :func:`assert_torch_unchanged` compares to."""
    return {name: value.clone() for name, value in module.state_dict().items()}


def assert_torch_unchanged(module, before: dict) -> None:
    """Every tensor of ``module``'s state dict equals its copy in ``before`` (from :func:`torch_state`),
    value for value: a failed ``apply`` must leave every weight as it was. The message names the ones
    that changed."""
    import torch

    changed = [name for name, value in module.state_dict().items() if not torch.equal(before[name], value)]
    assert not changed, f"changed: {changed}"

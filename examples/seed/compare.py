"""Measure what each version does: the std of kernel_ih and kernel_hh, and whether keras.layers.RNN accepts the cell.

PYTHONPATH=src python examples/seed/compare.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import keras
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import fixed
import problem

SCALE_IH, SCALE_HH, UNITS = 1.0, 0.05, 128


def stds(cell, input_dim):
    try:
        cell.build((None, input_dim))
    except ValueError as exc:
        return f"build fails: {exc}"
    return f"std(kernel_ih)={np.std(cell.kernel_ih.numpy()):.3f}  std(kernel_hh)={np.std(cell.kernel_hh.numpy()):.3f}"


def accepted_by_rnn(cell) -> str:
    try:
        keras.layers.RNN(cell)
        return "accepted"
    except ValueError as exc:
        return f"rejected: {str(exc).split('. ')[0]}"


def main() -> None:
    print(f"asked for: std(kernel_ih)={SCALE_IH}, std(kernel_hh)={SCALE_HH}, units={UNITS}\n")
    versions = {
        "IncorrectInitializer": lambda: problem.CustomRNNCell(
            UNITS, problem.IncorrectInitializer(SCALE_IH, SCALE_HH)
        ),
        "ShapeDispatchInitializer": lambda: problem.CustomRNNCell(
            UNITS, problem.ShapeDispatchInitializer(SCALE_IH, SCALE_HH)
        ),
        "rnninit RoleRNNCell": lambda: fixed.RoleRNNCell(
            UNITS, init=fixed.scaled_spec(SCALE_IH, SCALE_HH), seed=0
        ),
    }
    for name, make in versions.items():
        print(name, "| keras.layers.RNN:", accepted_by_rnn(make()))
        for input_dim in (256, 128, 64):
            print(f"  input_dim={input_dim:3d}: {stds(make(), input_dim)}")


if __name__ == "__main__":
    main()

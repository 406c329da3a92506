"""Keras variables as a `rnninit.writer.Target`: what ``apply`` writes, all or nothing."""

from __future__ import annotations

from collections.abc import Mapping

import keras
import numpy as np

from rnninit.writer import Target


def _in_stateless_scope() -> bool:
    # Keras exports the scope (keras.StatelessScope) but not the question; guard the private path
    try:
        from keras.src.backend.common.stateless_scope import in_stateless_scope
    except ImportError:  # pragma: no cover - a Keras without it
        return False
    return bool(in_stateless_scope())


class KerasTarget(Target):
    """Named Keras variables, for `rnninit.writer.write_all`."""

    def __init__(self, variables: Mapping[str, keras.Variable]):
        self.variables = dict(variables)

    def dtype(self, name: str) -> str:
        return str(self.variables[name].dtype)

    def problem(self, name: str, shape: tuple[int, ...]) -> str | None:
        v = self.variables[name]
        if _in_stateless_scope():
            return "inside a keras.StatelessScope, an assignment does not change a variable: apply outside it"
        if not keras.backend.is_float_dtype(self.dtype(name)):
            return f"dtype {self.dtype(name)} is not a floating-point type"
        actual = tuple(int(d) for d in v.shape)
        if actual != shape:
            return f"shape {actual}, expected {shape}"
        return None

    def convert(self, name: str, value: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):  # an overflow becomes inf, which write_all reports
            return value.astype(np.dtype(self.dtype(name)))

    def nonfinite(self, converted: np.ndarray) -> np.ndarray:
        return ~np.isfinite(converted)

    def save(self, name: str) -> np.ndarray:
        return np.array(self.variables[name].numpy(), copy=True)

    def assign(self, name: str, value: np.ndarray) -> None:
        self.variables[name].assign(value)

"""Flax parameters as a `rnninit.writer.Target`: the checks ``apply`` makes before writing.

An nnx module is written in place (``nnx.Param.set_value``); a Linen model's variables are
immutable, so its target only collects the new values, which ``apply_linen`` returns. Both get the
same checks: the shape, a floating dtype, and every value finite in the parameter's own dtype.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from rnninit.writer import Target


def cast(value: np.ndarray, like) -> jax.Array | np.ndarray:
    """``value`` with the dtype and placement (sharding) of ``like`` (a NumPy array stays one)."""
    with np.errstate(over="ignore"):  # an overflow becomes inf, which write_all reports
        value = np.asarray(value).astype(like.dtype)
    return jax.device_put(value, like.sharding) if isinstance(like, jax.Array) else value


class FlaxTarget(Target):
    """The parameters a `Found` points to.

    ``in_place``: write nnx ``Param`` s; otherwise keep the new values in `new`."""

    def __init__(self, found, *, in_place: bool):
        self.found = found
        self.in_place = in_place
        self.new: dict[str, Any] = {}

    def dtype(self, name: str) -> str:
        return str(np.dtype(self.found.values[name].dtype))

    def problem(self, name: str, shape: tuple[int, ...]) -> str | None:
        like = self.found.values[name]
        if not jnp.issubdtype(like.dtype, jnp.floating):
            return f"dtype {self.dtype(name)} is not a floating-point type"
        if tuple(np.shape(like)) != shape:
            return f"shape {tuple(np.shape(like))}, expected {shape}"
        return None

    def convert(self, name: str, value: np.ndarray):
        return cast(value, self.found.values[name])

    def nonfinite(self, converted) -> np.ndarray:
        return ~np.isfinite(np.asarray(converted))

    def save(self, name: str):
        return self.found.values[name]  # a JAX array is immutable; set_value replaces, never mutates

    def assign(self, name: str, value) -> None:
        if self.in_place:
            self.found.where[name].set_value(value)
        else:
            self.new[name] = value

"""Constant initializers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from rnninit.inits.base import Block, Init


@dataclass(frozen=True, kw_only=True)
class Constant(Init):
    """Every entry equals ``value``. A bare number in a spec means ``constant(value)``."""

    name: ClassVar[str] = "constant"
    summary: ClassVar[str] = "every entry = value"
    positional: ClassVar[tuple[str, ...]] = ("value",)
    value: float

    def constant_value(self, form: str) -> float:
        return self.value

    def _sample(self, block: Block, rng: np.random.Generator) -> np.ndarray:
        return np.full(block.shape, self.value)


@dataclass(frozen=True, kw_only=True)
class Zeros(Init):
    """Every entry 0."""

    name: ClassVar[str] = "zeros"
    summary: ClassVar[str] = "every entry = 0"

    def constant_value(self, form: str) -> float:
        return 0.0

    def _sample(self, block: Block, rng: np.random.Generator) -> np.ndarray:
        return np.zeros(block.shape)


@dataclass(frozen=True, kw_only=True)
class Ones(Init):
    """Every entry 1."""

    name: ClassVar[str] = "ones"
    summary: ClassVar[str] = "every entry = 1"

    def constant_value(self, form: str) -> float:
        return 1.0

    def _sample(self, block: Block, rng: np.random.Generator) -> np.ndarray:
        return np.ones(block.shape)

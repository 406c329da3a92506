"""Constant initializers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from rnninit.inits.base import Block, Init


@dataclass(frozen=True, kw_only=True)
class Constant(Init):
    """Every entry equals ``value``. A bare number in a spec means ``constant(value)``.

    Args:
        value: The value of every entry, any finite number (required).
        fused: Over all gates of a role at once (the same values either way; see `Init`).

    Raises:
        SpecError: ``value`` not a finite number, or (in a spec or `make_init`) missing.

    Examples:
        >>> import numpy as np
        >>> from rnninit.inits import Block, Constant
        >>> block = Block("bias", "f", (3,), "vector", hidden_size=3)
        >>> Constant(value=1.0).sample(block, np.random.default_rng(0)).tolist()
        [1.0, 1.0, 1.0]
        >>> str(Constant(value=1.0)), Constant(value=1.0).to_config()
        ('constant(1.0)', {'name': 'constant', 'value': 1.0})
    """

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
    """Every entry 0.

    Args:
        fused: Over all gates of a role at once (the same values either way; see `Init`).

    Examples:
        >>> import numpy as np
        >>> from rnninit.inits import Block, Zeros
        >>> block = Block("bias", None, (3,), "vector", hidden_size=3)
        >>> Zeros().sample(block, np.random.default_rng(0)).tolist(), str(Zeros())
        ([0.0, 0.0, 0.0], 'zeros')
    """

    name: ClassVar[str] = "zeros"
    summary: ClassVar[str] = "every entry = 0"

    def constant_value(self, form: str) -> float:
        return 0.0

    def _sample(self, block: Block, rng: np.random.Generator) -> np.ndarray:
        return np.zeros(block.shape)


@dataclass(frozen=True, kw_only=True)
class Ones(Init):
    """Every entry 1.

    Args:
        fused: Over all gates of a role at once (the same values either way; see `Init`).

    Examples:
        >>> import numpy as np
        >>> from rnninit.inits import Block, Ones
        >>> block = Block("bias", "f", (3,), "vector", hidden_size=3)
        >>> Ones().sample(block, np.random.default_rng(0)).tolist(), str(Ones())
        ([1.0, 1.0, 1.0], 'ones')
    """

    name: ClassVar[str] = "ones"
    summary: ClassVar[str] = "every entry = 1"

    def constant_value(self, form: str) -> float:
        return 1.0

    def _sample(self, block: Block, rng: np.random.Generator) -> np.ndarray:
        return np.ones(block.shape)

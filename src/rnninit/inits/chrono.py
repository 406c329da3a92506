"""Chrono initialization of gate biases (Tallec & Ollivier 2018)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from rnninit.errors import SpecError
from rnninit.inits.base import Block, Init
from rnninit.inits.properties import ChronoGate, ConstantValue


@dataclass(frozen=True, kw_only=True)
class Chrono(Init):
    """Chrono initialization, Tallec & Ollivier, "Can recurrent neural networks warp time?" (ICLR 2018).

    The forget gate's bias is ``b_f = log(U(1, t_max - 1))`` and the input gate's bias its
    negative, ``b_i = -b_f``, so that the cell's characteristic memory times spread over
    ``[1, t_max]``. Any other gate of the role gets 0 when the whole role is initialized
    (``bias=chrono(t_max=...)``).

    Only a gate bias of a cell with a forget-like gate accepts it (LSTM ``f`` with input ``i``;
    GRU ``z``, which multiplies the previous state and has no separate input gate).

    Args:
        t_max: The longest memory time to spread over, in time steps, ``t_max > 2`` (required).
        fused: Must be false: the forget and input gate biases are set separately.

    Raises:
        SpecError: ``t_max <= 2`` or not a finite number (in a spec or `make_init`, missing), or
            ``fused=true``; at sampling, a block that is not the gate bias of a cell with a forget
            gate, or a gate entry for a gate other than the forget and input gates.

    Examples:
        >>> import numpy as np
        >>> from rnninit.inits import Block, Chrono
        >>> forget = Block("bias", "f", (256,), "vector", hidden_size=256, gates=("i", "f", "g", "o"),
        ...                gate_semantics={"forget": "f", "input": "i"})
        >>> b_f = Chrono(t_max=100).sample(forget, np.random.default_rng(0))
        >>> bool(b_f.min() >= 0 and b_f.max() <= np.log(99)), str(Chrono(t_max=100))
        (True, 'chrono(t_max=100.0)')
    """

    name: ClassVar[str] = "chrono"
    summary: ClassVar[str] = "b_f = log U(1, t_max-1), b_i = -b_f"
    accepts: ClassVar[tuple[str, ...]] = ("vector",)
    t_max: float

    def _validate_args(self) -> None:
        if not self.t_max > 2:
            raise SpecError(
                f"chrono: t_max must be > 2 (it samples U(1, t_max - 1)), got {self.t_max!r}",
                token="t_max",
            )
        if self.fused:
            raise SpecError(
                "chrono sets the forget and input gate biases separately and cannot be fused", token="fused"
            )

    def _validate_block(self, block: Block) -> None:
        forget = block.gate_semantics.get("forget")
        if block.role != "bias" or forget is None:
            raise SpecError(
                f"chrono initializes the gate bias of a cell with a forget gate (LSTM, GRU), "
                f"not {block.describe()}",
                token=str(self),
            )
        allowed = {gate for gate in (forget, block.gate_semantics.get("input")) if gate is not None}
        if block.from_gate_entry and block.gate not in allowed:
            raise SpecError(
                f"chrono sets the forget ({forget}) and input gate biases, not gate '{block.gate}'"
                f" (valid: {', '.join(sorted(allowed))})",
                token=str(self),
            )

    def exact_property(self, block: Block) -> ChronoGate | ConstantValue:
        forget, inp, gate = block.gate_semantics["forget"], block.gate_semantics.get("input"), block.gate
        if gate is not None and gate in (forget, inp):
            return ChronoGate(self.t_max, gate, forget, inp)
        return ConstantValue(0.0, note="chrono leaves other gates at 0")

    def forget_bias(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """``size`` draws of ``log(U(1, t_max - 1))``: the forget gate's bias (the input gate's: minus it)."""
        return np.log(rng.uniform(1.0, self.t_max - 1.0, size=size))

    def _sample(self, block: Block, rng: np.random.Generator) -> np.ndarray:
        forget = block.gate_semantics["forget"]
        if block.gate == forget:
            return self.forget_bias(block.shape[0], rng)
        if block.gate == block.gate_semantics.get("input"):
            assert block.rng_for is not None, "chrono needs the forget gate's random stream"
            return -self.forget_bias(block.shape[0], block.rng_for(forget))
        return np.zeros(block.shape)

"""What holds exactly of every value an init gives a block: what an init's
`exact_property` says.

Random draws are described by their law (`rnninit.inits.distributions`); these are the facts
that hold for *every* sample, without statistics: every entry equal, a scaled identity, a scaled
(semi-)orthogonal matrix, a spectral radius, chrono's rule for gate biases. They only describe; the
audit (`rnninit.audit.checks`) checks a block against them, with tolerances for the storage's
rounding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class ExactProperty:
    """Base class: a property that every value an init gives one block has."""

    #: Whether the values are random all the same (so all zeros, or a copy of another block, is suspicious).
    random: ClassVar[bool] = False


@dataclass(frozen=True)
class ConstantValue(ExactProperty):
    """Every entry equals ``value``; ``note`` says why, when the init is not a constant itself.

    Attributes:
        value: The value of every entry.
        note: Why, when the init is not a constant itself (``"chrono leaves other gates at 0"``).

    Examples:
        >>> from rnninit.inits import Block, Normal
        >>> Normal(mean=0.5, std=0.0).exact_property(Block("bias", None, (4,), "vector", hidden_size=4))
        ConstantValue(value=0.5, note='')
    """

    value: float
    note: str = ""


@dataclass(frozen=True)
class ScaledIdentity(ExactProperty):
    """``gain · I`` on a square block; on a ``diagonal`` block (stored as a vector), every entry ``gain``.

    Attributes:
        gain: The diagonal's value.
        diagonal: The block is a diagonal stored as a vector (IndRNN), not a square matrix.

    Examples:
        >>> from rnninit.inits import Block, Identity
        >>> Identity(gain=0.5).exact_property(Block("hh", None, (4,), "diagonal", hidden_size=4))
        ScaledIdentity(gain=0.5, diagonal=True)
    """

    gain: float
    diagonal: bool = False


@dataclass(frozen=True)
class ScaledOrthogonal(ExactProperty):
    """``gain · Q`` with ``Q`` Haar-random (semi-)orthogonal: orthonormal rows for a wide block (columns
    for a tall one) times ``gain``; never a signed permutation such as the identity.

    Attributes:
        gain: The factor on ``Q``.
    """

    random: ClassVar[bool] = True
    gain: float


@dataclass(frozen=True)
class SpectralRadius(ExactProperty):
    """A random square matrix whose largest absolute eigenvalue is exactly ``radius``.

    Attributes:
        radius: The spectral radius.
    """

    random: ClassVar[bool] = True
    radius: float


@dataclass(frozen=True)
class ChronoGate(ExactProperty):
    """Chrono's rule for one gate bias (Tallec & Ollivier 2018): on the ``forget`` gate,
    ``b = log u`` with ``u ~ U(1, t_max - 1)`` i.i.d.; on the ``input`` gate, ``b = -b_forget``, drawn
    from the forget gate's stream, so the two are exact negatives. (Other gates are a
    `ConstantValue` 0.)

    Attributes:
        t_max: Chrono's ``t_max``.
        gate: The gate whose bias this is (the forget or the input gate).
        forget: The cell's forget gate.
        input: The cell's input gate, ``None`` when it has none (GRU).
    """

    random: ClassVar[bool] = True
    t_max: float
    gate: str
    forget: str
    input: str | None = None

    @property
    def sign(self) -> float:
        """``+1`` on the forget gate (``b = log u``), ``-1`` on the input gate (``b = -log u``)."""
        return 1.0 if self.gate == self.forget else -1.0

    @property
    def negates(self) -> str | None:
        """The gate whose bias this one is the exact negative of (the forget gate, for the input gate)."""
        return self.forget if self.gate == self.input else None


__all__ = [
    "ChronoGate",
    "ConstantValue",
    "ExactProperty",
    "ScaledIdentity",
    "ScaledOrthogonal",
    "SpectralRadius",
]

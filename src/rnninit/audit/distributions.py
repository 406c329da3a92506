"""The exact distribution of one entry of a block under a random init, for the audit's tests.

Each init says it itself (`rnninit.inits.Init.entry_distribution`, a
`Dist`: CDF, mean, std, excess kurtosis, support) for every
init whose entries are i.i.d.: ``normal``, ``truncated_normal``, ``uniform``, the variance
scaling family (Glorot, He, LeCun, Keras' ``variance_scaling``, PyTorch's ``kaiming_*``; per block
or fused; truncated or not), and ``torch_default``, whose *effective* bias on PyTorch's two additive
biases is the sum of ``terms`` draws of ``U(±1/√H)`` (an Irwin–Hall distribution: triangular for
two terms). This module keeps the audit's names for them.
"""

from __future__ import annotations

from rnninit.inits import Block, Init
from rnninit.inits.distributions import Dist, irwin_hall, normal, triangular, uniform


def explicit(init: Init) -> str:
    """``normal(mean=0.0, std=1.0)`` rather than ``normal``: `rnninit.inits.Init.explicit`."""
    return init.explicit()


def entry_distribution(init: Init, block: Block) -> Dist | None:
    """The distribution of every entry of ``block`` under ``init``, or ``None`` if entries are not i.i.d.
    (`rnninit.inits.Init.entry_distribution`).

    A zero-width distribution (``std=0``) is also ``None``: it is a constant, checked exactly.
    """
    return init.entry_distribution(block)


__all__ = ["Dist", "entry_distribution", "explicit", "irwin_hall", "normal", "triangular", "uniform"]

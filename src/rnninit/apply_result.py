"""What an ``apply`` did, the same record for every framework backend."""

from __future__ import annotations

from dataclasses import dataclass

from rnninit.plan import Plan


@dataclass
class ApplyResult:
    """What ``apply`` did: the seed it used and, per block, where it is stored and what it got.

    Every backend's ``apply`` (`rnninit.torch.apply`, `rnninit.keras.apply`,
    `rnninit.flax.apply`) returns one. ``skipped`` lists the parameters of recognized cells that no
    layout explains and that ``strict=False`` left as they were (empty in strict mode, where they
    are an error).

    Attributes:
        seed: The seed used (the one given, or the one drawn for ``seed=None``): passing it again
            reproduces the same numbers.
        plan: What each block got (`Plan`).

    Examples:
        >>> import torch, rnninit.torch as rt
        >>> result = rt.apply("hh=orthogonal bias=zeros", torch.nn.GRU(3, 4), seed=7)
        >>> result.seed, len(result.records), result.skipped
        (7, 10, ())
        >>> sorted(result.records[0])
        ['direction', 'fused', 'gate', 'init', 'layer', 'path', 'role', 'rule', 'shape', 'tensors']
    """

    seed: int
    plan: Plan

    @property
    def records(self) -> list[dict]:
        """One plain dict per block: where it is stored and what it got (`Plan.records`)."""
        return self.plan.records()

    @property
    def skipped(self) -> tuple[str, ...]:
        """The parameters ``strict=False`` left as they were, by name."""
        return self.plan.skipped

    def __repr__(self) -> str:
        done = len(self.plan.assignments)
        left = len(self.plan.untouched)
        text = f"ApplyResult(seed={self.seed}, initialized={done} blocks, untouched={left} blocks"
        if self.skipped:
            text += f", skipped={len(self.skipped)} parameters: {', '.join(self.skipped)}"
        return text + ")"

"""What an ``apply`` did, the same record for every framework backend."""

from __future__ import annotations

from dataclasses import dataclass

from rnninit.plan import Plan


@dataclass
class ApplyResult:
    """What ``apply`` did: the seed it used and, per block, where it is stored and what it got."""

    seed: int
    plan: Plan

    @property
    def records(self) -> list[dict]:
        return self.plan.records()

    def __repr__(self) -> str:
        done = len(self.plan.assignments)
        left = len(self.plan.untouched)
        return f"ApplyResult(seed={self.seed}, initialized={done} blocks, untouched={left} blocks)"

"""What an ``apply`` did, the same record for every framework backend."""

from __future__ import annotations

from dataclasses import dataclass

from rnninit.plan import Plan


@dataclass
class ApplyResult:
    """What ``apply`` did: the seed it used and, per block, where it is stored and what it got.

    ``skipped`` lists the parameters of recognized cells that no layout explains and that
    ``strict=False`` left as they were (empty in strict mode, where they are an error).
    """

    seed: int
    plan: Plan

    @property
    def records(self) -> list[dict]:
        return self.plan.records()

    @property
    def skipped(self) -> tuple[str, ...]:
        return self.plan.skipped

    def __repr__(self) -> str:
        done = len(self.plan.assignments)
        left = len(self.plan.untouched)
        text = f"ApplyResult(seed={self.seed}, initialized={done} blocks, untouched={left} blocks"
        if self.skipped:
            text += f", skipped={len(self.skipped)} parameters: {', '.join(self.skipped)}"
        return text + ")"

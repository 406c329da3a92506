"""Interleaved timing of forward and backward passes, and the statistics reported from it.

A *case* is ``prepare() -> state``, ``forward(state) -> out``, ``backward(state, out)``. Each repeat
times every case once, in an order rotated from repeat to repeat (no case always runs first, right
after another one has filled the caches). Ratios are taken repeat by repeat against the baseline
case, then summarized by their median and range: a noise burst that slows one whole repeat changes
both times of that repeat's ratio alike.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

CLOCKS: dict[str, Callable[[], float]] = {
    "wall": time.perf_counter,
    # CPU time of this process: immune to time-sharing with other processes; honest only with one thread.
    "cpu": time.process_time,
}


@dataclass
class Case:
    """One thing to time: ``forward`` returns what ``backward`` needs (``backward`` may be ``None``)."""

    name: str
    forward: Callable[[], object]
    backward: Callable[[object], None] | None = None
    reset: Callable[[], None] | None = None  # untimed, before every forward (e.g. drop gradients)

    def run_once(self) -> None:
        """One step as a repeat runs it, untimed: ``reset``, ``forward``, then ``backward`` of its output."""
        if self.reset is not None:
            self.reset()
        out = self.forward()
        if self.backward is not None:
            self.backward(out)


@dataclass
class Timings:
    """Seconds per repeat of one case."""

    forward: list[float] = field(default_factory=list)
    backward: list[float] = field(default_factory=list)

    @property
    def total(self) -> list[float]:
        if not self.backward:
            return list(self.forward)
        return [f + b for f, b in zip(self.forward, self.backward, strict=True)]


def time_cases(
    cases: list[Case], repeats: int, warmup: int, clock: str = "wall", sync: Callable[[], None] | None = None
) -> dict[str, Timings]:
    """Run every case ``warmup`` times, then ``repeats`` interleaved timed rounds; seconds per case.

    ``sync`` (e.g. ``torch.cuda.synchronize``) is called before every clock reading, so that
    asynchronous device work is counted where it was launched.
    """
    read = CLOCKS[clock]

    def now() -> float:
        if sync is not None:
            sync()
        return read()

    for _ in range(warmup):
        for case in cases:
            if case.reset is not None:
                case.reset()
            out = case.forward()
            if case.backward is not None:
                case.backward(out)
    results = {case.name: Timings() for case in cases}
    for r in range(repeats):
        order = cases[r % len(cases) :] + cases[: r % len(cases)]
        for case in order:
            if case.reset is not None:
                case.reset()
            t0 = now()
            out = case.forward()
            t1 = now()
            results[case.name].forward.append(t1 - t0)
            if case.backward is not None:
                case.backward(out)
                results[case.name].backward.append(now() - t1)
            del out
    return results


@dataclass(frozen=True)
class Ratio:
    """Median and range of per-repeat ratios ``case / baseline``."""

    median: float
    low: float
    high: float

    def to_dict(self) -> dict:
        return {"median": self.median, "low": self.low, "high": self.high}


def ratio(case: list[float], baseline: list[float]) -> Ratio:
    values = [c / b for c, b in zip(case, baseline, strict=True)]
    return Ratio(statistics.median(values), min(values), max(values))


def median_ms(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1e3 if seconds else float("nan")

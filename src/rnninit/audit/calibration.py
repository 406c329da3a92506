"""Measure the audit's false-positive rate and detection power (used by the tests and the docs).

``false_positives(n)`` audits ``n`` correctly initialized, seeded PyTorch models (a rotation of
cells and specs covering every init family) and returns, per audit, the Bonferroni-adjusted
smallest p-value and whether an exact check failed. ``std_power(...)`` measures how often a 64×64
normal block whose standard deviation is off by a relative ``delta`` is caught.

Run ``python scripts/audit_calibration.py`` to regenerate ``docs/audit-calibration.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rnninit.audit.checks import MAX_SAMPLE, Context, check_block
from rnninit.inits import Block, Normal

#: (model factory description, spec): the rotation of correct initializations the calibration audits.
CASES: tuple[tuple[str, str], ...] = (
    ("lstm(8, 16, layers=2, bidirectional)", "pytorch_default"),
    ("lstm(8, 16, layers=2, bidirectional)", "ih=normal(std=0.5) hh=orthogonal bias=zeros bias[f]=1.0"),
    ("lstm(64, 64)", "ih=glorot_uniform hh=orthogonal(gain=1.2) bias=chrono(t_max=50)"),
    ("lstm(64, 64)", "keras_default"),
    (
        "gru(16, 32)",
        "ih=truncated_normal(std=0.2) hh=he_uniform bias=uniform(low=-0.1, high=0.1) bias_hn=torch_default",
    ),
    ("gru(64, 48)", "ih=lecun_normal hh=glorot_normal bias=normal(mean=0.5, std=0.1) bias_hn=zeros"),
    ("rnn(8, 32)", "ih=uniform(low=-0.3, high=0.3) hh=spectral(radius=0.9) bias=torch_default"),
    ("rnn(48, 48)", "ih=he_normal hh=identity bias=lecun_uniform"),
    ("lstm(64, 64)", "pytorch_default"),
)


def build(description: str):
    """A torch model from a CASES description."""
    import torch

    name, _, rest = description.partition("(")
    args = rest.rstrip(")").split(", ")
    inp, hidden = int(args[0]), int(args[1])
    kwargs = {"num_layers": 2 if "layers=2" in rest else 1, "bidirectional": "bidirectional" in rest}
    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[name]
    return cls(inp, hidden, **kwargs)


@dataclass
class Calibration:
    """Per audit: tests run, Bonferroni-adjusted smallest p-value, exact-check failures."""

    tests: list[int] = field(default_factory=list)
    adjusted_min_p: list[float] = field(default_factory=list)
    exact_failures: list[int] = field(default_factory=list)
    #: Every statistical p-value of every audit (their tail should be at most uniform).
    p_values: list[float] = field(default_factory=list)
    #: Whether the audit itself (default alpha = 1e-3, every kind of finding) reported anything.
    reported: list[bool] = field(default_factory=list)

    @property
    def audits(self) -> int:
        return len(self.tests)

    def flagged(self, alpha: float) -> int:
        """How many audits would report a finding at family-wise level ``alpha``."""
        return sum(
            (p < alpha) or (e > 0) for p, e in zip(self.adjusted_min_p, self.exact_failures, strict=True)
        )


def false_positives(n_audits: int, *, first_seed: int = 0) -> Calibration:
    """Audit ``n_audits`` correctly initialized models (seeds ``first_seed, first_seed + 1, ...``)."""
    import torch

    import rnninit.torch as rt
    from rnninit.audit import audit

    out = Calibration()
    for i in range(n_audits):
        seed = first_seed + i
        description, spec = CASES[i % len(CASES)]
        torch.manual_seed(seed)
        model = build(description)
        if spec != "pytorch_default":
            rt.apply(spec, model, seed=seed)
        report = audit(model, spec)
        ps = [t.p_value for r in report.rows for t in r.tests if t.p_value is not None]
        exact = sum(t.passed is False for r in report.rows for t in r.tests if t.p_value is None)
        out.tests.append(len(ps))
        out.adjusted_min_p.append(min(1.0, min(ps) * len(ps)) if ps else 1.0)
        out.exact_failures.append(exact)
        out.p_values.extend(ps)
        out.reported.append(not report.ok)
    return out


def binomial_upper(k: int, n: int, confidence: float = 0.95) -> float:
    """One-sided Clopper–Pearson upper confidence bound of a rate with ``k`` events in ``n`` trials."""
    from scipy import stats

    if k >= n:
        return 1.0
    return float(stats.beta.ppf(confidence, k + 1, n - k))


def std_power(
    delta: float,
    *,
    shape: tuple[int, int] = (64, 64),
    tests_in_audit: int = 3,
    alpha: float = 1e-3,
    trials: int = 200,
    seed: int = 0,
    max_sample: int = MAX_SAMPLE,
) -> float:
    """Detection rate of a ``normal(std=1)`` block whose entries have std ``1 + delta``.

    The block is flagged when any of its tests fails at the Bonferroni level ``alpha / tests_in_audit``
    (3 = the block audited alone; more tests in the audit lower the level and the power).
    """
    init = Normal(std=1.0)
    block = Block("hh", None, shape, "matrix", shape[0])
    rng = np.random.default_rng(seed)
    threshold = alpha / tests_in_audit
    caught = 0
    for _ in range(trials):
        value = rng.normal(0.0, 1.0 + delta, size=shape)
        result = check_block(init, block, value, Context(rng, max_sample))
        caught += any(
            (t.p_value is not None and t.p_value < threshold) or t.passed is False for t in result.tests
        )
    return caught / trials


def smallest_detected(
    *, target: float = 0.99, deltas: tuple[float, ...] | None = None, **kwargs
) -> tuple[float | None, float | None]:
    """Smallest |relative std error| (too small, too large) on the grid ``deltas`` caught with
    probability ≥ ``target`` (``None`` when even the largest is not). Power grows with |delta|, so
    the grid is bisected."""
    grid = deltas or tuple(float(round(x, 3)) for x in np.arange(0.005, 0.4001, 0.005))
    found: list[float | None] = []
    for sign in (-1.0, 1.0):
        if std_power(sign * grid[-1], **kwargs) < target:
            found.append(None)
            continue
        lo, hi = -1, len(grid) - 1  # power(grid[hi]) >= target; lo is below the threshold or -1
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if std_power(sign * grid[mid], **kwargs) >= target:
                hi = mid
            else:
                lo = mid
        found.append(grid[hi])
    return found[0], found[1]


def summary_lines(cal: Calibration, alphas=(1e-3, 1e-2, 5e-2)) -> list[str]:
    lines = []
    for a in alphas:
        k = cal.flagged(a)
        lines.append(
            f"alpha={a:g}: {k} of {cal.audits} correct audits flagged "
            f"(rate {k / cal.audits:.2g}, 95% upper bound {binomial_upper(k, cal.audits):.2g})"
        )
    ps = np.asarray(cal.p_values)
    for q in (1e-4, 1e-3, 1e-2):
        lines.append(f"single tests: fraction of p < {q:g} = {np.mean(ps < q):.2g} over {ps.size} tests")
    return lines


__all__ = [
    "CASES",
    "Calibration",
    "binomial_upper",
    "false_positives",
    "smallest_detected",
    "std_power",
    "summary_lines",
]

"""Does one block's effective value plausibly come from the init the spec gives it?

`check_block` asks the init what it is and returns a `BlockCheck`: observed statistics,
the expected ones, and a list of `Test` s of two kinds. What holds exactly of every sample
(`rnninit.inits.Init.exact_property`, one of `rnninit.inits.properties`) gets exact tests
(`check_property`); otherwise the law of one entry (`rnninit.inits.Init.entry_distribution`)
gets the distribution tests.

*Exact* tests have no false positives beyond floating-point rounding; their tolerances follow the
dtype the weights are stored in (`unit_roundoff`; float32 when unknown, see below):
``constant``/``zeros``/``ones`` and ``identity`` entry by entry; ``orthogonal`` by the Gram
matrix (``W Wᵀ = gain² I`` for a wide block, ``Wᵀ W`` for a tall one) and "not a signed
permutation" (a Haar-random matrix never is); ``spectral`` by its spectral radius; chrono's
``b_i = -b_f``; and the support of every bounded distribution (uniform, truncated normal,
``torch_default``'s triangular effective bias, chrono's ``[0, log(t_max - 1)]``).

*Statistical* tests give a p-value, which the audit compares with ``alpha / m`` (Bonferroni over
all ``m`` statistical tests of one audit, so the family-wise false-positive rate is at most
``alpha``). For i.i.d. entries with distribution ``F`` (see `rnninit.audit.distributions`),
on at most ``max_sample`` entries drawn without replacement:

- Kolmogorov–Smirnov against ``F`` (exact p-value for n ≤ 10⁴, asymptotic above);
- mean: ``z = (x̄ - μ) √n / σ``, two-sided; exact for a normal, CLT otherwise (only for n ≥ 1000);
- scale: for a normal ``Σ(x - μ)²/σ² ~ χ²(n)`` (exact, two-sided); otherwise the mean of
  ``(x - μ)²`` is ``σ²`` with variance ``(κ + 2) σ⁴ / n`` (κ the excess kurtosis), a CLT z-test,
  only for n ≥ 1000.

An init that says neither is checked by a two-sample Kolmogorov–Smirnov test against a fresh sample
of the init (valid for any init with i.i.d. entries), or exactly when the init is deterministic.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from rnninit.inits import Block, Init, spectral_radius
from rnninit.inits.distributions import Dist, uniform
from rnninit.inits.properties import (
    ChronoGate,
    ConstantValue,
    ExactProperty,
    ScaledIdentity,
    ScaledOrthogonal,
    SpectralRadius,
)

#: Relative tolerance of exact checks: float32 rounds to about 6e-8 relative; this leaves room for
#: the sum of two stored biases and for frameworks that compute in float32. Weights stored in a
#: coarser dtype get ``4 u`` (`exact_rtol`).
EXACT_RTOL = 1e-5
#: Largest |G - I| accepted for the normalized Gram matrix of an orthogonal block (float32 QR in
#: the frameworks leaves errors around 1e-6 to 1e-5). Coarser dtypes: `orthogonality_tol`.
ORTHOGONALITY_TOL = 1e-3
#: Relative tolerance on a spectral radius (coarser dtypes: `spectral_tolerance`).
SPECTRAL_RTOL = 1e-3

#: Unit roundoff ``u`` (half the machine epsilon) of the dtypes weights are stored in: rounding a
#: real number to the dtype changes it by at most ``u`` relative.
ROUNDOFF = {"float64": 2.0**-53, "float32": 2.0**-24, "float16": 2.0**-11, "bfloat16": 2.0**-8}
FLOAT32_ROUNDOFF = ROUNDOFF["float32"]
#: Failure probability allowed to the probabilistic rounding bound of `spectral_tolerance`.
ROUNDING_DELTA = 1e-9


def unit_roundoff(dtype: str) -> float:
    """The unit roundoff of a dtype name (``"bfloat16"`` -> 2⁻⁸); float32's for a name it does not know."""
    name = str(dtype).removeprefix("torch.")
    if name in ROUNDOFF:
        return ROUNDOFF[name]
    try:
        return float(np.finfo(np.dtype(name)).eps) / 2
    except (TypeError, ValueError):
        return FLOAT32_ROUNDOFF


def exact_rtol(roundoff: float) -> float:
    """Relative tolerance of exact checks for weights stored with unit roundoff ``roundoff``: each
    stored value is off by at most ``u`` relative (``2 u`` for a sum of two); ``4 u`` leaves room."""
    return max(EXACT_RTOL, 4.0 * roundoff)


def orthogonality_tol(roundoff: float) -> float:
    """Largest ``|G/g² - I|`` of an orthogonal block stored with unit roundoff ``u``: rounding every
    entry by at most ``u`` relative moves each Gram entry by at most ``(2u + u²) g²`` (Cauchy-Schwarz)
    and ``g²`` by as much, so the normalized error stays below ``4u + O(u²)``; ``5u`` leaves room."""
    return max(ORTHOGONALITY_TOL, 5.0 * roundoff)


#: CLT-based tests (mean and scale of a non-normal distribution) need at least this many entries.
CLT_MIN = 1000
#: Statistical tests use at most this many entries of a block (drawn without replacement).
MAX_SAMPLE = 65536
#: Orthogonality is checked on at most this many rows (or columns) of a large block.
MAX_GRAM = 256


@dataclass
class Test:
    """One test of one block.

    An exact test has ``passed`` set; a statistical test has ``p_value`` and gets ``passed`` when
    the audit knows the Bonferroni threshold.
    """

    name: str
    expected: str
    found: str
    p_value: float | None = None
    passed: bool | None = None

    @property
    def statistical(self) -> bool:
        return self.p_value is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "expected": self.expected,
            "found": self.found,
            "p_value": self.p_value,
            "passed": self.passed,
        }


@dataclass
class BlockCheck:
    """Everything the audit learned about one block."""

    observed: dict[str, float] = field(default_factory=dict)
    expected: dict[str, float] = field(default_factory=dict)
    tests: list[Test] = field(default_factory=list)
    sample_size: int = 0
    #: The init gives random values (so all zeros, or values equal to another block's, are suspicious).
    random: bool = False

    @property
    def ok(self) -> bool:
        """No test failed (statistical tests must have been judged, see `check_value`)."""
        return all(t.passed is not False for t in self.tests)


def observe(value: np.ndarray, *, gram: bool = True) -> dict[str, float]:
    """Mean, std, min, max of a block; for a matrix up to `MAX_GRAM` on a side, also its
    normalized orthogonality error, its gain and (square) spectral radius. The range sees every entry;
    mean and std of a block above `MAX_SAMPLE` entries come from a strided sample of it."""
    flat = value.reshape(-1)
    if not flat.size:
        return {"mean": math.nan, "std": math.nan, "min": math.nan, "max": math.nan}
    sample = flat[:: max(1, flat.size // MAX_SAMPLE)]
    out = {
        "mean": float(sample.mean()),
        "std": float(sample.std()),
        "min": float(flat.min()),
        "max": float(flat.max()),
    }
    small = value.ndim == 2 and 0 < min(value.shape) and max(value.shape) <= MAX_GRAM
    if gram and small and math.isfinite(out["min"]) and math.isfinite(out["max"]):
        err, gain = orthogonality(value, None)
        out["orthogonality_error"] = err
        out["gain"] = gain
        if value.shape[0] == value.shape[1] and value.shape[0] <= 256:
            out["spectral_radius"] = spectral_radius(value)
    return out


def orthogonality(value: np.ndarray, rng: np.random.Generator | None) -> tuple[float, float]:
    """``(max |G/g² - I|, g)`` where ``G`` is the Gram matrix of the shorter side and ``g²`` its mean
    diagonal.

    A block with more than `MAX_GRAM` rows (columns, if tall) uses a random subset of them
    (the first ones when ``rng`` is None): any subset of an orthonormal set is orthonormal.
    """
    w = value if value.shape[0] <= value.shape[1] else value.T
    if w.shape[0] > MAX_GRAM:
        rows = rng.choice(w.shape[0], MAX_GRAM, replace=False) if rng is not None else np.arange(MAX_GRAM)
        w = w[np.sort(rows)]
    gram = w @ w.T
    gain2 = float(np.mean(np.diag(gram)))
    if gain2 <= 0:
        return math.inf, 0.0
    err = float(np.max(np.abs(gram / gain2 - np.eye(gram.shape[0]))))
    return err, math.sqrt(gain2)


def _fmt(x: float) -> str:
    return f"{x:.3g}"


def _two_sided_normal(z: float) -> float:
    return float(2.0 * stats.norm.sf(abs(z)))


def subsample(flat: np.ndarray, rng: np.random.Generator, max_sample: int) -> np.ndarray:
    if flat.size <= max_sample:
        return flat
    return flat[rng.choice(flat.size, max_sample, replace=False)]


def distribution_tests(
    value: np.ndarray, dist: Dist, rng: np.random.Generator, max_sample: int, rtol: float = EXACT_RTOL
) -> list[Test]:
    """Support (exact, on every entry, to relative tolerance ``rtol``), then KS, mean and scale tests
    on a subsample."""
    flat = value.reshape(-1)
    tests: list[Test] = []
    if math.isfinite(dist.low) or math.isfinite(dist.high):
        tol = rtol * max(
            abs(dist.low) if math.isfinite(dist.low) else 0.0,
            abs(dist.high) if math.isfinite(dist.high) else 0.0,
            1e-30,
        )
        lo, hi = float(flat.min()), float(flat.max())
        tests.append(
            Test(
                "range",
                f"values in [{_fmt(dist.low)}, {_fmt(dist.high)}]",
                f"[{_fmt(lo)}, {_fmt(hi)}]",
                passed=bool(lo >= dist.low - tol and hi <= dist.high + tol),
            )
        )
    x = subsample(flat, rng, max_sample)
    n = x.size
    if n == 0:
        return tests
    # scipy-stubs types a callable cdf as scalar -> scalar; kstest calls it on the sorted sample array
    ks = stats.kstest(x, dist.cdf)  # type: ignore[arg-type]
    tests.append(Test("KS", dist.label, f"D={ks.statistic:.3g}", p_value=float(ks.pvalue)))
    mean = float(x.mean())
    ms = float(np.mean((x - dist.mean) ** 2))
    if dist.normal or n >= CLT_MIN:
        z = (mean - dist.mean) * math.sqrt(n) / dist.std
        tests.append(
            Test("mean", f"mean {_fmt(dist.mean)}", f"mean {_fmt(mean)}", p_value=_two_sided_normal(z))
        )
    if dist.normal:
        chi2 = n * ms / dist.std**2
        p = float(min(1.0, 2.0 * min(stats.chi2.cdf(chi2, n), stats.chi2.sf(chi2, n))))
        tests.append(Test("std", f"std {_fmt(dist.std)}", f"std {_fmt(math.sqrt(ms))}", p_value=p))
    elif n >= CLT_MIN:
        var = dist.std**2
        z = (ms - var) / math.sqrt((dist.excess_kurtosis + 2.0) * var**2 / n)
        tests.append(
            Test("std", f"std {_fmt(dist.std)}", f"std {_fmt(math.sqrt(ms))}", p_value=_two_sided_normal(z))
        )
    return tests


def _exact_equal(value: np.ndarray, target: np.ndarray | float, what: str, rtol: float = EXACT_RTOL) -> Test:
    target_arr = np.broadcast_to(np.asarray(target, dtype=np.float64), value.shape)
    scale = max(float(np.max(np.abs(target_arr))) if target_arr.size else 0.0, 1.0)
    err = float(np.max(np.abs(value - target_arr))) if value.size else 0.0
    return Test("exact", what, f"max |error| {_fmt(err)}", passed=bool(err <= rtol * scale))


@dataclass(frozen=True)
class Context:
    """What a check may need beyond the block itself."""

    rng: np.random.Generator
    max_sample: int = MAX_SAMPLE
    #: For chrono's input gate: the effective value of the forget gate's bias, when the same chrono
    #: init drew it (then ``b_i = -b_f`` is checked exactly).
    forget_value: np.ndarray | None = None
    #: Unit roundoff of the dtype the block is stored in (`unit_roundoff`): exact checks
    #: allow for rounding to it.
    roundoff: float = FLOAT32_ROUNDOFF

    @property
    def rtol(self) -> float:
        return exact_rtol(self.roundoff)


def check_block(init: Init, block: Block, value: np.ndarray, ctx: Context) -> BlockCheck:
    """Check that ``value`` (the block's effective value, neutral orientation) came from ``init``."""
    result = BlockCheck(observed=observe(value, gram=block.kind == "matrix"))
    flat = value.reshape(-1)
    if not (math.isfinite(result.observed["min"]) and math.isfinite(result.observed["max"])):
        bad = int(np.size(flat) - np.isfinite(flat).sum())
        result.tests.append(Test("finite", "finite values", f"{bad} NaN/Inf", passed=False))
        return result
    result.sample_size = min(flat.size, ctx.max_sample)
    result.tests.extend(_dispatch(init, block, value, ctx, result))
    return result


def check_value(
    init: Init, block: Block, value: np.ndarray, *, alpha: float = 1e-3, dtype: str = "float32"
) -> BlockCheck:
    """Check one block on its own: `check_block`, with its statistical tests judged at
    ``alpha / m`` (Bonferroni over its ``m`` tests); ``.ok`` is False with probability at most
    ``alpha`` for a genuine sample. ``dtype`` is the dtype the values were stored in (exact checks
    allow for rounding to it).

    Examples:
        >>> from rnninit.inits import Block, Normal
        >>> block = Block("hh", None, (64, 64), "matrix", 64)
        >>> check_value(Normal(std=0.5), block, np.random.default_rng(0).normal(0, 0.5, (64, 64))).ok
        True
    """
    ctx = Context(np.random.default_rng(0), roundoff=unit_roundoff(dtype))
    result = check_block(init, block, np.asarray(value, dtype=np.float64), ctx)
    m = max(sum(t.statistical for t in result.tests), 1)
    for test in result.tests:
        if test.p_value is not None:  # a statistical test
            test.passed = test.p_value >= alpha / m
    return result


def _dispatch(init: Init, block: Block, value: np.ndarray, ctx: Context, result: BlockCheck) -> list[Test]:
    """The init's exact property when it has one, else its entry distribution, else fresh samples."""
    exact = init.exact_property(block)
    if exact is not None:
        result.random = exact.random
        return check_property(exact, value, ctx, result)
    dist = init.entry_distribution(block)
    result.random = dist is not None
    if dist is not None:
        result.expected = {"mean": dist.mean, "std": dist.std}
        if math.isfinite(dist.low):
            result.expected.update(min=dist.low, max=dist.high)
        return distribution_tests(value, dist, ctx.rng, ctx.max_sample, ctx.rtol)
    return _check_by_resampling(init, block, value, ctx, result)


@functools.singledispatch
def check_property(prop: ExactProperty, value: np.ndarray, ctx: Context, result: BlockCheck) -> list[Test]:
    """The exact tests of ``value`` against one of the properties of `rnninit.inits.properties`
    (``result.expected`` is filled in); one function per property."""
    raise TypeError(f"the audit has no check for {type(prop).__name__}")


@check_property.register(ConstantValue)
def _check_constant(prop: ConstantValue, value: np.ndarray, ctx: Context, result: BlockCheck) -> list[Test]:
    target = prop.value
    result.expected = {"mean": target, "std": 0.0, "min": target, "max": target}
    note = f" ({prop.note})" if prop.note else ""
    return [_exact_equal(value, target, f"every entry {_fmt(target)}{note}", ctx.rtol)]


@check_property.register(ScaledIdentity)
def _check_identity(prop: ScaledIdentity, value: np.ndarray, ctx: Context, result: BlockCheck) -> list[Test]:
    result.expected = {"gain": prop.gain}
    target = np.full(value.shape, prop.gain) if prop.diagonal else prop.gain * np.eye(value.shape[0])
    return [_exact_equal(value, target, f"{_fmt(prop.gain)}·I", ctx.rtol)]


@check_property.register(ScaledOrthogonal)
def _check_orthogonal(
    prop: ScaledOrthogonal, value: np.ndarray, ctx: Context, result: BlockCheck
) -> list[Test]:
    result.expected = {
        "gain": prop.gain,
        "orthogonality_error": 0.0,
        "std": prop.gain / math.sqrt(max(value.shape)),
    }
    if prop.gain == 0:
        return [_exact_equal(value, 0.0, "every entry 0 (gain 0)", ctx.rtol)]
    err, gain = orthogonality(value, ctx.rng)
    result.observed["orthogonality_error"] = err
    result.observed["gain"] = gain
    shorter = "rows" if value.shape[0] <= value.shape[1] else "columns"
    tol = orthogonality_tol(ctx.roundoff)
    tests = [
        Test(
            "orthogonality",
            f"orthonormal {shorter} × gain {_fmt(prop.gain)} (|G/g² - I| ≤ {tol:g})",
            f"|G/g² - I| = {_fmt(err)}",
            passed=bool(err <= tol),
        ),
        Test(
            "gain",
            f"gain {_fmt(prop.gain)}",
            f"gain {_fmt(gain)}",
            passed=bool(abs(gain - prop.gain) <= tol * prop.gain),
        ),
    ]
    # A 2x2 rotation by an angle within t of a multiple of pi/2 has every entry within t of 0 or
    # ±gain, with probability about 4t/pi: only a fine dtype tells it from a permutation.
    if min(value.shape) > 2 or (min(value.shape) == 2 and ctx.rtol <= EXACT_RTOL):
        # a signed permutation has only entries 0 and ±gain; one other entry in a sample rules it out
        def only_levels(x: np.ndarray) -> bool:
            levels = np.abs(x) / prop.gain
            return bool(np.all((levels < ctx.rtol) | (np.abs(levels - 1.0) < ctx.rtol)))

        flat = value.reshape(-1)
        permutation = only_levels(flat[:: max(1, flat.size // 4096)]) and only_levels(flat)
        tests.append(
            Test(
                "random",
                "a Haar-random orthogonal matrix",
                "a signed permutation (e.g. the identity)" if permutation else "not a permutation",
                passed=not permutation,
            )
        )
    return tests


def block_radius(value: np.ndarray) -> float:
    """The spectral radius of a square block (Arnoldi iteration above 1024 rows)."""
    if value.shape[0] <= 1024:
        return spectral_radius(value)
    from scipy.sparse.linalg import eigs

    return float(np.abs(eigs(value, k=1, which="LM", return_eigenvectors=False, tol=1e-8)[0]))


def _top_eigenpair(value: np.ndarray) -> tuple[complex, np.ndarray, np.ndarray]:
    """The eigenvalue of largest modulus with its right (``x``) and left (``y``) eigenvectors."""
    if value.shape[0] <= 1024:
        from scipy.linalg import eig

        w, left, right = eig(value, left=True, right=True)
        k = int(np.argmax(np.abs(w)))
        return complex(w[k]), right[:, k], left[:, k]
    from scipy.sparse.linalg import eigs

    w, right = eigs(value, k=1, which="LM", tol=1e-8)
    wl, left = eigs(value.T, k=1, which="LM", tol=1e-8)
    if abs(wl[0] - w[0]) > abs(w[0]) * 1e-6:  # the conjugate of a complex pair: its left vector
        left = left.conj()
    return complex(w[0]), right[:, 0], left[:, 0]


def spectral_tolerance(value: np.ndarray, radius: float, expected: float, roundoff: float) -> float:
    """Absolute tolerance on the spectral radius of ``value`` stored with unit roundoff ``u``.

    `SPECTRAL_RTOL` relative, or what rounding each entry by up to ``u`` relative can do to
    the top eigenvalue ``λ`` (right and left eigenvectors ``x``, ``y``), if larger. To first order
    ``Δλ = yᴴ E x / yᴴ x`` with ``|E_ij| ≤ u |W_ij|``, so with ``c_ij = |y_i| |W_ij| |x_j|``:
    at most ``u Σ c / |yᴴ x|``, and (independent rounding errors, Hoeffding) beyond
    ``u √(2 ln(2/δ) Σ c²) / |yᴴ x|`` with probability at most δ = `ROUNDING_DELTA`. The
    smaller of the two, doubled for the second-order terms. A nearly defective ``λ`` (a large
    ``1 / |yᴴ x|``) is that sensitive to rounding; a float32 or float64 block never needs it.
    """
    base = SPECTRAL_RTOL * expected
    if roundoff <= FLOAT32_ROUNDOFF or value.size == 0:
        return base
    _, x, y = _top_eigenpair(value)
    overlap = abs(np.vdot(y, x))
    if overlap == 0:
        return math.inf
    c = np.abs(y)[:, None] * np.abs(value) * np.abs(x)[None, :]
    worst = roundoff * float(c.sum()) / overlap
    likely = roundoff * math.sqrt(2.0 * math.log(2.0 / ROUNDING_DELTA) * float((c**2).sum())) / overlap
    return max(base, 2.0 * min(worst, likely))


@check_property.register(SpectralRadius)
def _check_spectral(prop: SpectralRadius, value: np.ndarray, ctx: Context, result: BlockCheck) -> list[Test]:
    radius = block_radius(value)
    result.observed["spectral_radius"] = radius
    result.expected = {"spectral_radius": prop.radius}
    tol = spectral_tolerance(value, radius, prop.radius, ctx.roundoff)
    within = f" (± {_fmt(tol)})" if tol > SPECTRAL_RTOL * prop.radius else ""
    return [
        Test(
            "spectral radius",
            f"spectral radius {_fmt(prop.radius)}{within}",
            f"spectral radius {_fmt(radius)}",
            passed=bool(abs(radius - prop.radius) <= tol),
        )
    ]


@check_property.register(ChronoGate)
def _check_chrono(prop: ChronoGate, value: np.ndarray, ctx: Context, result: BlockCheck) -> list[Test]:
    forget = prop.forget
    log_high = math.log(prop.t_max - 1.0)
    if prop.negates is not None and ctx.forget_value is not None:
        result.expected = {"min": -log_high, "max": 0.0}
        return [_exact_equal(value, -ctx.forget_value, f"b_{prop.gate} = -b_{forget}", ctx.rtol)]
    b_f = prop.sign * value
    result.expected = {"min": min(0.0, prop.sign * log_high), "max": max(0.0, prop.sign * log_high)}
    tests = []
    lo, hi = float(b_f.min()), float(b_f.max())
    tol = ctx.rtol * max(log_high, 1.0)
    tests.append(
        Test(
            "range",
            f"b_{forget} in [0, log(t_max - 1) = {_fmt(log_high)}]",
            f"[{_fmt(lo)}, {_fmt(hi)}]",
            passed=bool(lo >= -tol and hi <= log_high + tol),
        )
    )
    # exp(b_f) ~ U(1, t_max - 1): test that (clipped into the support, which the range test guards).
    u = np.exp(np.clip(b_f, 0.0, log_high))
    dist = uniform(f"exp(b_{forget}) ~ U(1, {_fmt(prop.t_max - 1)})", 1.0, prop.t_max - 1.0)
    tests += [t for t in distribution_tests(u, dist, ctx.rng, ctx.max_sample, ctx.rtol) if t.name != "range"]
    return tests


def _check_by_resampling(
    init: Init, block: Block, value: np.ndarray, ctx: Context, result: BlockCheck
) -> list[Test]:
    """Fallback for init types without a dedicated check: compare with fresh samples of the init."""
    first = init.sample(block, np.random.default_rng(1))
    second = init.sample(block, np.random.default_rng(2))
    result.expected = {"mean": float(first.mean()), "std": float(first.std())}
    result.random = not np.array_equal(first, second)
    if not result.random:
        return [_exact_equal(value, first, f"{init} (deterministic)", ctx.rtol)]
    x = subsample(value.reshape(-1), ctx.rng, ctx.max_sample)
    reference = subsample(np.concatenate([first.reshape(-1), second.reshape(-1)]), ctx.rng, ctx.max_sample)
    ks = stats.ks_2samp(x, reference)
    return [
        Test(
            "KS (2-sample)",
            f"like fresh samples of {init}",
            f"D={ks.statistic:.3g}",
            p_value=float(ks.pvalue),
        )
    ]

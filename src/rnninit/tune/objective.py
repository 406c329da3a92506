"""The objective that `rnninit.tune` minimizes: how far an initialized cell is, over ``T`` steps
of its input, from passing gradients and signals through time undistorted. See ``docs/tune.md``.

Along the trajectory ``s_t = F(x_t, s_{t-1})`` from the zero state (``s = [h; c]`` for an LSTM), with
``J_t = ∂s_t/∂s_{t-1}`` and ``r_k = ‖J_T J_{T-1} … J_{T-k}‖₂`` (the gradient's gain ``k+1`` steps
back, as `rnninit.dynamics.diagnose` reports it), three terms, each in decades (log10):

- ``gradient = max_k |log10 r_k|`` over ``k = 0 … T-1``: how many decades the gradient through up to
  ``T`` steps is away from being preserved. 0 at a critical point (``r_k = 1`` for every ``k``); the
  memory horizon is at least ``T`` exactly when this is at most 3.
- ``isometry = mean_t log10(rms σ(J_t) / geometric mean σ(J_t))``: the spread of one step's singular
  values. 0 when every direction is scaled alike (an orthogonal map); it grows when saturated units
  (``tanh' ≈ 0``) squash some directions to nothing. Scale-free: multiplying ``J_t`` by a constant
  does not change it, so it does not pull against ``gradient``.
- ``input = |mean_t log10 ‖∂s_t/∂x_t‖₂|``: how many decades one step's response to its input is away
  from unit gain; large when the input is ignored (tiny input weights) or overdrives the cell.

``objective = gradient + isometry + input``. Norms over a batch of sequences are geometric means.
Everything is computed from the step Jacobians, which come from two ``torch.func.jacrev`` calls over
all ``T·batch`` visited states at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from rnninit.dynamics.jacobians import spectral_norm, trajectory
from rnninit.dynamics.stepper import Stepper

#: Singular values below this fraction of a Jacobian's rms count as this fraction (a dead direction
#: costs at most 12 decades instead of an infinite isometry term).
FLOOR = 1e-12
#: Steps at which the one-step terms are measured (spread evenly over 1 … T), and probes of ``k``.
STEP_SAMPLES = 16
GRADIENT_PROBES = 24
#: Jacobians are computed in chunks of at most this many float64 entries (16 MiB: larger chunks cost
#: more in page faults than they save in calls).
CHUNK_ENTRIES = 2**21
TERMS = ("gradient", "isometry", "input")


@dataclass(frozen=True)
class Measurement:
    """The objective at one point and what it is made of.

    ``terms``: ``gradient``, ``isometry``, ``input`` (decades; see the module docstring).
    ``log10_gradient[i]``: ``log10 r_k`` at ``k = probes[i]`` (batch geometric mean).
    ``objective`` is ``inf`` when the state or a Jacobian is not finite (``reason`` says which).

    Attributes:
        objective: The sum of the terms (lower is better; 0 is a perfectly critical cell).
        terms: ``gradient``, ``isometry``, ``input``, in decades.
        probes: The steps ``k`` at which the gradient's scale was measured.
        log10_gradient: ``log10 r_k`` at each probe.
        reason: Why the objective is not finite, if it is not.

    Examples:
        >>> import torch
        >>> from rnninit.dynamics import make_cell
        >>> from rnninit.tune import measure
        >>> stepper = make_cell("elman", 8, 8, "hh=orthogonal bias=zeros", seed=0)
        >>> m = measure(stepper, torch.zeros(20, 4, 8, dtype=torch.float64))
        >>> sorted(m.terms), round(m.terms["gradient"], 6), m.reason
        (['gradient', 'input', 'isometry'], 0.0, None)
    """

    objective: float
    terms: dict[str, float]
    probes: list[int]
    log10_gradient: list[float]
    reason: str | None = None

    def to_dict(self) -> dict:
        def clean(x: float) -> float | None:
            return x if math.isfinite(x) else None

        return {
            "objective": clean(self.objective),
            "terms": {k: clean(v) for k, v in self.terms.items()},
            "probes": list(self.probes),
            "log10_gradient": [clean(v) for v in self.log10_gradient],
            "reason": self.reason,
        }


def _infinite(reason: str) -> Measurement:
    return Measurement(math.inf, dict.fromkeys(TERMS, math.inf), [], [], reason)


def gradient_probes(steps: int, count: int = GRADIENT_PROBES) -> list[int]:
    """Values of ``k`` (0-based) at which ``r_k`` is measured: log-spaced over ``0 … steps-1``, both
    ends included."""
    ks = np.unique(np.round(np.geomspace(1, steps, min(count, steps))).astype(int)) - 1
    return sorted({int(k) for k in ks} | {steps - 1})


def _sampled_steps(steps: int) -> list[int]:
    """Up to `STEP_SAMPLES` step indices (0-based) spread over the sequence, the last included."""
    return sorted({int(round(t)) for t in np.linspace(steps - 1, 0, min(STEP_SAMPLES, steps))})


def _chunks(total: int, per_item: int) -> list[slice]:
    size = max(1, CHUNK_ENTRIES // max(1, per_item))
    return [slice(i, min(total, i + size)) for i in range(0, total, size)]


def step_jacobians(stepper: Stepper, xs: Tensor, states: Tensor) -> Tensor:
    """``J_t = ∂s_t/∂s_{t-1}`` for every step and sequence: ``(T, batch, S, S)``."""
    steps, batch = xs.shape[:2]
    size = stepper.state_size
    x = xs.reshape(steps * batch, -1)
    s = states[:-1].reshape(steps * batch, size)
    out = []
    for part in _chunks(steps * batch, size * size):
        xp, sp = x[part], s[part]
        jac = torch.func.jacrev(lambda v, xp=xp: stepper.step(xp, v).sum(0))(sp)  # (S, n, S)
        out.append(jac.permute(1, 0, 2))
    return torch.cat(out).reshape(steps, batch, size, size)


def input_jacobians(stepper: Stepper, xs: Tensor, states: Tensor) -> Tensor:
    """``∂s_t/∂x_t`` for the given steps and sequences: ``(n, batch, S, input)``."""
    n, batch = xs.shape[:2]
    x = xs.reshape(n * batch, -1)
    s = states.reshape(n * batch, stepper.state_size)
    jac = torch.func.jacrev(lambda v: stepper.step(v, s).sum(0))(x)  # (S, n*batch, input)
    return jac.permute(1, 0, 2).reshape(n, batch, stepper.state_size, x.shape[-1])


def measure(stepper: Stepper, xs: Tensor, initial: Tensor | None = None) -> Measurement:
    """The objective of an initialized cell (a float64 `Stepper`) on inputs ``xs``
    ``(T, batch, input)``, from ``initial`` (default: the zero state).

    Args:
        stepper: The initialized cell, in float64 (`rnninit.dynamics.make_cell` builds one).
        xs: The inputs, ``(T, batch, input_size)``.
        initial: The initial state (default: zeros).

    Returns:
        The objective and its terms; ``inf`` with a ``reason`` when the state or a Jacobian is
        not finite.

    Examples:
        >>> import torch
        >>> from rnninit.dynamics import make_cell
        >>> from rnninit.tune import measure
        >>> stepper = make_cell("elman", 8, 8, "hh=orthogonal(gain=3.0) bias=zeros", seed=0)
        >>> m = measure(stepper, torch.zeros(20, 4, 8, dtype=torch.float64))
        >>> m.terms["gradient"] > 5   # a gain of 3 grows gradients by 3**19 over 20 steps
        True
    """
    steps, batch = xs.shape[:2]
    if initial is None:
        initial = stepper.zeros(batch, xs.dtype)
    with torch.no_grad():
        states = trajectory(stepper, xs, initial)
    if not torch.isfinite(states).all():
        return _infinite("the state became non-finite")
    # Detached: only numbers come out of a measurement, and a Jacobian built from weights that require
    # grad would carry a graph (and torch warns when such a tensor becomes a float).
    jac = step_jacobians(stepper, xs, states).detach()  # a non-finite entry shows up as a NaN objective

    # gradient: walk back from T, keeping the product rescaled and its scale as a logarithm
    probes = gradient_probes(steps)
    wanted = set(probes)
    log10_r: list[float] = []
    product = None
    log_scale = torch.zeros(batch, dtype=jac.dtype)
    for k in range(steps):
        step = jac[steps - 1 - k]
        product = step if product is None else product @ step
        peak = product.abs().amax(dim=(-2, -1))
        if k in wanted:
            norm = spectral_norm(product)
            with np.errstate(divide="ignore"):
                logs = (log_scale + torch.log(norm)) / math.log(10.0)
            log10_r.append(float(logs.mean()))
        if not bool((peak > 0).all()):
            log10_r.extend([-math.inf] * (len(probes) - len(log10_r)))
            break
        product = product / peak[:, None, None]
        log_scale = log_scale + peak.log()
    gradient = float(np.max(np.abs(log10_r)))  # NaN (a non-finite Jacobian) propagates

    sampled = _sampled_steps(steps)
    sigma = torch.linalg.svdvals(jac[sampled])  # (n, batch, S)
    rms = sigma.pow(2).mean(-1).sqrt()
    if not bool((rms > 0).all()):
        isometry = -math.log10(FLOOR)
    else:
        floor = (FLOOR * rms)[..., None]
        geo = torch.log(torch.maximum(sigma, floor)).mean(-1).exp()
        isometry = float(torch.log10(rms / geo).mean())
    input_jac = input_jacobians(stepper, xs[sampled], states[sampled]).detach()
    gains = spectral_norm(input_jac)
    if not bool((gains > 0).all()):
        input_term = math.inf
    else:
        input_term = abs(float(torch.log10(gains).mean()))
    terms = {"gradient": gradient, "isometry": isometry, "input": input_term}
    total = sum(terms.values())
    if math.isnan(total):
        return _infinite("a step Jacobian is non-finite")
    reason = None if math.isfinite(total) else "the gradient or the input response is exactly zero"
    return Measurement(total, terms, probes, log10_r, reason)

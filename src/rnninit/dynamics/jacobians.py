"""Recurrent Jacobians along a trajectory, and the gradient's norm through time.

With ``s_t = F(x_t, s_{t-1})`` (a `Stepper`; ``s = [h; c]`` for an
LSTM), the one-step Jacobian is ``J_t = ∂s_t/∂s_{t-1}``, evaluated at the state the cell actually
visits, and by the chain rule

    ∂s_T/∂s_{T-1-k} = J_T · J_{T-1} · … · J_{T-k},      k = 0 … T-1,

so ``k = T-1`` gives ``∂s_T/∂s_0``. The gradient of a loss at step ``T`` reaches step ``T-1-k`` as
``(∂s_T/∂s_{T-1-k})ᵀ g``, whose size is at most ``‖∂s_T/∂s_{T-1-k}‖₂ · ‖g‖`` (the spectral norm:
the largest singular value). Reported norms are means over the batch of per-sequence norms.

How: ``J_t`` for the whole batch comes from one ``torch.func.jacrev`` of the batch-summed step
(sequences in a batch do not interact, so ``∂(Σ_b F_b)/∂s_b = ∂F_b/∂s_b``). The product is
accumulated backwards from ``J_T``, one matrix product per step, rescaled each step (its scale kept
as a logarithm) so that it neither overflows nor underflows. Spectral norms come from the largest
eigenvalue of the Gram matrix ``Q Qᵀ`` of the rescaled product (relative error ~1e-15).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from rnninit.arguments import check_integer
from rnninit.dynamics.stepper import Stepper
from rnninit.errors import DynamicsError


def _check_inputs(stepper: Stepper, inputs: object, *, one_step: bool = False) -> Tensor:
    """``inputs`` as the stepper takes them: a tensor ``(T, batch, input_size)`` (``(batch, input_size)``
    for ``one_step``) in the dtype of the cell's weights; checked once, before any step runs."""
    shape = "(batch, {})" if one_step else "(steps, batch, {})"
    shape = shape.format(stepper.input_size)
    if not isinstance(inputs, Tensor):
        raise DynamicsError(
            f"inputs must be a torch tensor shaped {shape}, got {type(inputs).__name__} "
            "(make_inputs makes one from an array)"
        )
    if inputs.ndim != (2 if one_step else 3):
        raise DynamicsError(f"inputs must be shaped {shape}, got {tuple(inputs.shape)}")
    if inputs.shape[-1] != stepper.input_size:
        raise DynamicsError(
            f"the inputs have input size {inputs.shape[-1]}, but the cell expects {stepper.input_size} "
            f"(its input_size): give inputs shaped {shape}, e.g. make_inputs(..., "
            f"input_size={stepper.input_size})"
        )
    weights = next((p for p in stepper.module.parameters() if p.is_floating_point()), None)
    if weights is not None and inputs.dtype != weights.dtype:
        raise DynamicsError(
            f"the inputs are {inputs.dtype} but the cell's weights are {weights.dtype}: give inputs of "
            f"the cell's dtype (make_inputs(..., dtype={weights.dtype}))"
        )
    return inputs


def _check_states(
    stepper: Stepper, states: object, shape: tuple[int, ...], what: str, dtype: torch.dtype
) -> Tensor:
    """``states`` when it is a tensor of ``shape`` (its last axis the flat state ``S``) in ``dtype``
    (the inputs')."""
    layout = " + ".join(f"{name}:{size}" for name, size in stepper.parts)
    got = tuple(states.shape) if isinstance(states, Tensor) else type(states).__name__
    if not isinstance(states, Tensor) or tuple(states.shape) != shape:
        raise DynamicsError(f"{what} must be shaped {shape} (the flat state {layout}), got {got}")
    if states.dtype != dtype:
        raise DynamicsError(
            f"{what} is {states.dtype} but the inputs are {dtype}: give both in the cell's dtype "
            f"(stepper.zeros(batch, dtype={dtype}) is a zero state)"
        )
    return states


def step_jacobian(stepper: Stepper, x: Tensor, state: Tensor) -> Tensor:
    """``J[b] = ∂F(x_b, s_b)/∂s_b``, shape ``(batch, S, S)``, rows indexing the new state.

    Args:
        stepper: The cell.
        x: The inputs of one step, ``(batch, input)``.
        state: The flat states the step starts from, ``(batch, S)``.

    Returns:
        The Jacobian of each sequence's step, ``(batch, S, S)``. Where the cell's weights require
        grad, it stays differentiable in them (`gradient_flow`, which only measures, builds no graph).

    Raises:
        DynamicsError: ``x`` is not a tensor ``(batch, input_size)`` of the cell's input size and
            dtype, or ``state`` is not ``(batch, S)``.

    Examples:
        >>> import torch
        >>> from rnninit.dynamics import make_cell, step_jacobian
        >>> stepper = make_cell("elman", 3, 4, "hh=identity bias=zeros")
        >>> jac = step_jacobian(stepper, torch.zeros(2, 3, dtype=torch.float64), stepper.zeros(2))
        >>> tuple(jac.shape), bool(torch.allclose(jac[0], torch.eye(4, dtype=torch.float64)))
        ((2, 4, 4), True)
    """
    x = _check_inputs(stepper, x, one_step=True)
    state = _check_states(stepper, state, (x.shape[0], stepper.state_size), "the state", x.dtype)
    return _jacobian(stepper, x, state)


def _jacobian(stepper: Stepper, x: Tensor, state: Tensor) -> Tensor:
    """`step_jacobian` on arguments already checked."""
    per_output = torch.func.jacrev(lambda s: stepper.step(x, s).sum(0))(state)  # (S_out, batch, S_in)
    return per_output.permute(1, 0, 2)


def spectral_norm(matrices: Tensor) -> Tensor:
    """``‖M‖₂ = σ_max(M)`` of each matrix in a batch ``(..., m, n)``, via ``λ_max`` of ``M Mᵀ``.

    Each matrix is scaled by its largest entry first, so a norm near a float's range neither
    overflows nor underflows.

    Args:
        matrices: A matrix or a batch of them, ``(..., m, n)``.

    Returns:
        The spectral norm of each matrix, shape ``(...)``.

    Examples:
        >>> import torch
        >>> from rnninit.dynamics import spectral_norm
        >>> spectral_norm(torch.stack([2 * torch.eye(3), torch.ones(3, 3)])).tolist()
        [2.0, 3.0]
    """
    scale = matrices.abs().amax(dim=(-2, -1))
    unit = matrices / torch.where(scale > 0, scale, torch.ones_like(scale))[..., None, None]
    gram = unit @ unit.mT if unit.shape[-2] <= unit.shape[-1] else unit.mT @ unit
    return scale * torch.linalg.eigvalsh(gram)[..., -1].clamp_min(0).sqrt()


def spectral_radius(matrices: Tensor) -> Tensor:
    """``ρ(M) = max |λ_i(M)|`` of each square matrix in a batch."""
    return torch.linalg.eigvals(matrices).abs().amax(dim=-1)


def trajectory(stepper: Stepper, inputs: Tensor, initial: Tensor) -> Tensor:
    """States ``s_0 … s_T``, shape ``(T+1, batch, S)``, from ``inputs`` ``(T, batch, input)``.

    Args:
        stepper: The cell.
        inputs: ``(T, batch, input)`` (see `make_inputs`).
        initial: ``s_0``, ``(batch, S)``.

    Returns:
        The states, ``s_0`` first, computed without gradients (weights that require grad are fine).

    Raises:
        DynamicsError: ``inputs`` is not a tensor ``(T, batch, input_size)`` of the cell's input size
            and dtype, or ``initial`` is not ``(batch, S)``.

    Examples:
        >>> from rnninit.dynamics import make_cell, make_inputs, trajectory
        >>> stepper = make_cell("lstm", 3, 4, seed=0)
        >>> xs = make_inputs("normal", steps=5, input_size=3, batch=2)
        >>> states = trajectory(stepper, xs, stepper.zeros(2))
        >>> tuple(states.shape)
        (6, 2, 8)
    """
    inputs = _check_inputs(stepper, inputs)
    initial = _check_states(
        stepper, initial, (inputs.shape[1], stepper.state_size), "the initial state", inputs.dtype
    )
    with torch.no_grad():
        states = [initial]
        for x in inputs:
            states.append(stepper.step(x, states[-1]))
        return torch.stack(states)


def probe_steps(steps: int, count: int) -> list[int]:
    """Up to ``count`` steps in ``1 … steps``, evenly spaced, always including the last."""
    if count <= 0:
        return []
    return sorted({int(round(t)) for t in np.linspace(steps, 1, min(count, steps))})


@dataclass(frozen=True)
class GradientFlow:
    """How the recurrent Jacobian behaves along one trajectory (batch means throughout).

    ``norms[k] = ‖∂s_T/∂s_{T-1-k}‖₂`` on the full state; ``part_norms[p][k]`` the same for the
    diagonal block of state part ``p`` (``∂c_T/∂c_{T-1-k}`` for ``p = "c"``), other parts held fixed.
    ``step_norms[t-1] = ‖J_t‖₂`` for ``t = 1 … T``; ``step_radius[i] = ρ(J_t)`` at ``t = probes[i]``;
    ``last_singular_values`` are the singular values of ``J_T``, descending.
    """

    norms: np.ndarray
    part_norms: dict[str, np.ndarray]
    step_norms: np.ndarray
    probes: list[int]
    step_radius: np.ndarray
    last_singular_values: np.ndarray


def gradient_flow(stepper: Stepper, inputs: Tensor, states: Tensor, probes: int = 8) -> GradientFlow:
    """Walk back from ``T`` to 1 accumulating ``∂s_T/∂s_{t-1} = (∂s_T/∂s_t) J_t``.

    ``states`` is the `trajectory` of ``inputs``. Cost per step: one Jacobian (``S`` batched
    vector-Jacobian products), one ``S × S`` matrix product and a few symmetric eigenproblems per
    sequence; ``ρ(J_t)`` (a non-symmetric eigenproblem) only at the ``probes`` steps.

    Args:
        stepper: The cell. Its weights may require grad: the measurement builds no graph to
            them (torch.no_grad), and gives the numbers its `Stepper.frozen_copy` gives.
        inputs: ``(T, batch, input)``.
        states: The `trajectory` of ``inputs``, ``(T+1, batch, S)``.
        probes: How many steps get ``ρ(J_t)``.

    Returns:
        The norms of the Jacobian products and of each step's Jacobian, batch means.

    Raises:
        DynamicsError: ``inputs`` is not a tensor ``(T, batch, input_size)`` of the cell's input
            size and dtype, ``states`` is not ``(T+1, batch, S)``, or ``probes`` is not an
            integer >= 0.

    Examples:
        >>> import math
        >>> from rnninit.dynamics import gradient_flow, make_cell, make_inputs, trajectory
        >>> stepper = make_cell("elman", 4, 4, "hh=orthogonal(gain=0.5) bias=zeros")
        >>> xs = make_inputs("zeros", steps=6, input_size=4, batch=1)
        >>> flow = gradient_flow(stepper, xs, trajectory(stepper, xs, stepper.zeros(1)))
        >>> [round(n, 6) for n in flow.norms.tolist()] == [round(0.5 ** (k + 1), 6) for k in range(6)]
        True
    """
    inputs = _check_inputs(stepper, inputs)
    steps, batch = inputs.shape[:2]
    states = _check_states(stepper, states, (steps + 1, batch, stepper.state_size), "states", inputs.dtype)
    probes = check_integer(probes, "probes", error=DynamicsError, minimum=0, expected="an integer >= 0")
    # Measuring needs no gradient in the weights: without a graph to them, a cell whose weights require
    # grad gives exactly its frozen copy's numbers (torch.func.jacrev still differentiates in the state).
    with torch.no_grad():
        return _gradient_flow(stepper, inputs, states, probes)


def _gradient_flow(stepper: Stepper, inputs: Tensor, states: Tensor, probes: int) -> GradientFlow:
    """`gradient_flow` on arguments already checked, without gradients to the weights."""
    steps = inputs.shape[0]
    parts = {name: stepper.part_slice(name) for name in stepper.part_names} if len(stepper.parts) > 1 else {}
    probe_at = set(probe_steps(steps, probes))
    norms, step_norms = [], []
    part_norms: dict[str, list[Tensor]] = {name: [] for name in parts}
    radius: dict[int, float] = {}
    last_singular = np.zeros(0)
    product = None
    log_scale = torch.zeros(inputs.shape[1], dtype=states.dtype)
    for t in range(steps, 0, -1):
        jac = _jacobian(stepper, inputs[t - 1], states[t - 1])
        step_norms.append(spectral_norm(jac).mean())
        if t in probe_at:
            radius[t] = float(spectral_radius(jac).mean())
        if t == steps:
            last_singular = torch.linalg.svdvals(jac).mean(0).numpy()
        product = jac if product is None else product @ jac
        peak = product.abs().amax(dim=(-2, -1))
        peak = torch.where(peak > 0, peak, torch.ones_like(peak))
        product = product / peak[:, None, None]
        log_scale = log_scale + peak.log()
        norms.append((log_scale.exp() * spectral_norm(product)).mean())
        for name, sl in parts.items():
            part_norms[name].append((log_scale.exp() * spectral_norm(product[:, sl, sl])).mean())
    return GradientFlow(
        norms=torch.stack(norms).numpy(),
        part_norms={name: torch.stack(values).numpy() for name, values in part_norms.items()},
        step_norms=torch.stack(step_norms).flip(0).numpy(),
        probes=sorted(radius),
        step_radius=np.array([radius[t] for t in sorted(radius)]),
        last_singular_values=last_singular,
    )

"""``diagnose``: what a cell's initialization does to signal and gradient flow, before any training.

One call runs the cell ``T`` steps on the chosen input from the zero state (or a given one) in
float64, and measures the spectra of its recurrent weights, the recurrent Jacobian along the
states it visits, the gradient norm through time, the state norms, and the memory horizon.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from rnninit.arguments import check_integer
from rnninit.dynamics.factories import make_cell
from rnninit.dynamics.horizon import memory_horizon
from rnninit.dynamics.inputs import make_inputs
from rnninit.dynamics.jacobians import gradient_flow, trajectory
from rnninit.dynamics.keras_twin import is_keras_cell, torch_twin
from rnninit.dynamics.spectra import recurrent_spectra
from rnninit.dynamics.stepper import Stepper
from rnninit.errors import DynamicsError, LayoutError
from rnninit.seeding import check_seed
from rnninit.spec import Spec, SpecLike


@dataclass(frozen=True)
class Diagnosis:
    """Everything `diagnose` measured. Norms over a batch are means of per-sequence norms.

    - ``spectral_radius[block]``, ``singular_values[block]``: of each recurrent weight block
      (``hh``, ``hh[f]``, …; ``hh[*]`` = all gates stacked, singular values only).
    - ``jacobian_norms[k] = ‖∂s_T/∂s_{T-1-k}‖₂``, ``k = 0 … T-1`` (last entry ``‖∂s_T/∂s_0‖₂``), on
      the full state ``s`` (``[h; c]`` for an LSTM); ``part_jacobian_norms[p]``: the same for the
      block of state part ``p`` alone (``"h"``: ``∂h_T/∂h_{T-1-k}``, ``"c"``: ``∂c_T/∂c_{T-1-k}``),
      given only for several-part states.
    - ``state_norms[t-1] = ‖h_t‖₂``, ``t = 1 … T``; ``part_state_norms[p]`` per part (several-part states).
    - ``step_jacobian_norms[t-1] = ‖J_t‖₂`` with ``J_t = ∂s_t/∂s_{t-1}`` at the visited state;
      ``step_jacobian_spectral_radius[i] = ρ(J_t)`` at ``t = probe_steps[i]``;
      ``step_jacobian_singular_values``: of ``J_T``.
    - ``memory_horizon``: steps until ``jacobian_norms`` leaves ``[1e-3, 1e3]`` (``None``: not within
      ``T``), and ``memory_horizon_reason`` (``"vanishing"``/``"exploding"``/``None``).
    - ``notes``: what was not measured and why (e.g. weight spectra of a cell with no layout).

    Attributes:
        label: What the cell was initialized with (the spec, or ``"framework default"``).
        cell: The cell's name.
        hidden_size: The size of the state's first part ``h``.
        input_size: The number of input features.
        steps: ``T``, the number of steps measured.
        inputs: ``"zeros"``, ``"normal"``, ``"uniform"`` or ``"data"``.
        batch: The number of sequences averaged over.
        seed: The seed of the inputs (and, in `diagnose_spec`, of the weights).
        spectral_radius: Of each square recurrent weight block.
        singular_values: Of each recurrent weight block, descending.
        jacobian_norms: ``‖∂s_T/∂s_{T-1-k}‖₂`` for ``k = 0 … T-1``.
        part_jacobian_norms: The same per state part (several-part states only).
        state_norms: ``‖h_t‖₂`` for ``t = 1 … T``.
        part_state_norms: The same per state part (several-part states only).
        step_jacobian_norms: ``‖J_t‖₂`` for ``t = 1 … T``.
        probe_steps: The steps ``t`` where ``ρ(J_t)`` was computed.
        step_jacobian_spectral_radius: ``ρ(J_t)`` at each probe step.
        step_jacobian_singular_values: The singular values of ``J_T``, descending.
        memory_horizon: Steps until ``jacobian_norms`` leaves ``[1e-3, 1e3]``; ``None`` if not
            within ``T``.
        memory_horizon_reason: ``"vanishing"``, ``"exploding"`` or ``None``.
        notes: What was not measured, and why.

    Examples:
        >>> from rnninit.dynamics import diagnose_spec
        >>> d = diagnose_spec("elman", "hh=orthogonal(gain=0.5) bias=zeros", hidden_size=8, steps=20)
        >>> d.memory_horizon, d.memory_horizon_reason, d.to_dict()["T"]
        (10, 'vanishing', 20)
    """

    label: str
    cell: str
    hidden_size: int
    input_size: int
    steps: int
    inputs: str
    batch: int
    seed: int
    spectral_radius: dict[str, float]
    singular_values: dict[str, np.ndarray]
    jacobian_norms: np.ndarray
    part_jacobian_norms: dict[str, np.ndarray]
    state_norms: np.ndarray
    part_state_norms: dict[str, np.ndarray]
    step_jacobian_norms: np.ndarray
    probe_steps: list[int]
    step_jacobian_spectral_radius: np.ndarray
    step_jacobian_singular_values: np.ndarray
    memory_horizon: int | None
    memory_horizon_reason: str | None
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: arrays become lists, and non-finite numbers become ``None``."""
        return {
            "label": self.label,
            "cell": self.cell,
            "hidden_size": self.hidden_size,
            "input_size": self.input_size,
            "T": self.steps,
            "input": self.inputs,
            "batch": self.batch,
            "seed": self.seed,
            "spectral_radius": _clean(self.spectral_radius),
            "singular_values": _clean(self.singular_values),
            "jacobian_norms": _clean(self.jacobian_norms),
            "part_jacobian_norms": _clean(self.part_jacobian_norms),
            "state_norms": _clean(self.state_norms),
            "part_state_norms": _clean(self.part_state_norms),
            "step_jacobian_norms": _clean(self.step_jacobian_norms),
            "probe_steps": list(self.probe_steps),
            "step_jacobian_spectral_radius": _clean(self.step_jacobian_spectral_radius),
            "step_jacobian_singular_values": _clean(self.step_jacobian_singular_values),
            "memory_horizon": self.memory_horizon,
            "memory_horizon_reason": self.memory_horizon_reason,
            "notes": list(self.notes),
        }


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return [_clean(float(v)) for v in value.ravel()]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return value


def diagnose(
    cell: Stepper | nn.Module | Any,
    *,
    steps: int,
    inputs: str | np.ndarray | Tensor = "zeros",
    batch: int | None = None,
    seed: int = 0,
    initial_state: np.ndarray | Tensor | None = None,
    probes: int = 8,
    label: str | None = None,
    cell_name: str | None = None,
) -> Diagnosis:
    """Measure an initialized cell over ``steps`` steps of ``inputs``.

    ``cell`` is a `Stepper`, a cell module (``torch.nn.RNNCell``/``GRUCell``/``LSTMCell``
    or one with ``input_size``/``hidden_size``; see `Stepper.for_module`), or a built Keras
    cell (measured through its exact PyTorch twin, `torch_twin`).
    ``inputs``:
    ``"zeros"``, ``"normal"`` (N(0, 1), drawn from ``seed``) or data ``(steps, batch, input)``.
    ``initial_state``: the flat state ``s_0`` ``(batch, S)`` or ``(S,)``; zeros if ``None``.
    The cell is copied to float64; the original is not changed.

    Args:
        cell: A `Stepper`, a one-step cell module, or a built Keras cell.
        steps: ``T``, the number of steps (a positive integer).
        inputs: ``"zeros"``, ``"normal"``, ``"uniform"``, or data ``(steps, batch, input)`` /
            ``(steps, input)`` (see `make_inputs`).
        batch: The number of sequences (a positive integer); ``None``: the input kind's default,
            or the data's.
        seed: The seed of random inputs.
        initial_state: ``s_0``, ``(batch, S)`` or ``(S,)``; ``None`` for zeros.
        probes: How many steps get the spectral radius of their Jacobian.
        label: The diagnosis' label; ``None``: the module's class name.
        cell_name: The cell's name in the diagnosis; ``None``: the module's class name.

    Returns:
        Every measurement (see `Diagnosis`).

    Raises:
        DynamicsError: ``steps`` or ``batch`` is not a positive integer, ``cell`` is a sequence
            module or one whose state layout cannot be told, an unknown input kind, data or an
            initial state of the wrong shape, or non-finite data.
        SeedError: ``seed`` is not an integer in ``[0, 2**63 - 1]`` (whatever the inputs: the
            diagnosis records it).

    Examples:
        >>> import torch
        >>> from rnninit.dynamics import diagnose
        >>> torch.manual_seed(0) and None
        >>> d = diagnose(torch.nn.LSTMCell(4, 8), steps=10, inputs="normal")
        >>> len(d.jacobian_norms), sorted(d.part_jacobian_norms)
        (10, ['c', 'h'])
    """
    steps = check_integer(steps, "steps (T)", error=DynamicsError, minimum=1, expected="a positive integer")
    seed = check_seed(seed, none_allowed=False)  # recorded in the diagnosis whatever the inputs
    if isinstance(cell, Stepper):
        stepper = cell
    elif is_keras_cell(cell):
        stepper = torch_twin(cell)
        cell_name = cell_name or f"keras {type(cell).__name__}"
    else:
        stepper = Stepper.for_module(cell)
    notes = []
    try:
        spectra = recurrent_spectra(stepper.module)
    except LayoutError as exc:
        spectra = {}
        notes.append(f"weight spectra not measured: rnninit cannot tell which weights are recurrent ({exc})")
    stepper = stepper.frozen_copy(torch.float64)
    xs = make_inputs(inputs, steps=steps, input_size=stepper.input_size, batch=batch, seed=seed)
    batch = xs.shape[1]
    s0 = _initial_state(stepper, initial_state, batch)
    states = trajectory(stepper, xs, s0)
    flow = gradient_flow(stepper, xs, states, probes=probes)
    horizon = memory_horizon(flow.norms)
    hidden = stepper.part_slice(stepper.part_names[0])
    part_states = {}
    if len(stepper.parts) > 1:
        part_states = {p: _mean_norm(states[1:, :, stepper.part_slice(p)]) for p in stepper.part_names}
    return Diagnosis(
        label=label if label is not None else type(stepper.module).__name__,
        cell=cell_name or type(stepper.module).__name__,
        hidden_size=hidden.stop - hidden.start,
        input_size=stepper.input_size,
        steps=steps,
        inputs=inputs if isinstance(inputs, str) else "data",
        batch=batch,
        seed=seed,
        spectral_radius={k: s.spectral_radius for k, s in spectra.items() if s.spectral_radius is not None},
        singular_values={k: s.singular_values for k, s in spectra.items()},
        jacobian_norms=flow.norms,
        part_jacobian_norms=flow.part_norms,
        state_norms=_mean_norm(states[1:, :, hidden]),
        part_state_norms=part_states,
        step_jacobian_norms=flow.step_norms,
        probe_steps=flow.probes,
        step_jacobian_spectral_radius=flow.step_radius,
        step_jacobian_singular_values=flow.last_singular_values,
        memory_horizon=horizon.steps,
        memory_horizon_reason=horizon.reason,
        notes=tuple(notes),
    )


def _mean_norm(states: Tensor) -> np.ndarray:
    return states.norm(dim=-1).mean(dim=-1).numpy()


def _initial_state(stepper: Stepper, given: np.ndarray | Tensor | None, batch: int) -> Tensor:
    if given is None:
        return stepper.zeros(batch)
    state = torch.as_tensor(np.asarray(given.detach().cpu() if isinstance(given, Tensor) else given))
    state = state.to(torch.float64)
    if state.ndim == 1:
        state = state.expand(batch, -1)
    if state.shape != (batch, stepper.state_size):
        raise DynamicsError(
            f"initial_state must be shaped ({batch}, {stepper.state_size}) or ({stepper.state_size},) "
            f"(the state {' + '.join(f'{n}:{s}' for n, s in stepper.parts)}), got {tuple(state.shape)}"
        )
    return state.clone()


def diagnose_spec(
    cell: str,
    spec: SpecLike | None,
    *,
    hidden_size: int,
    steps: int,
    input_size: int | None = None,
    inputs: str | np.ndarray | Tensor = "zeros",
    batch: int | None = None,
    seed: int = 0,
    probes: int = 8,
) -> Diagnosis:
    """Build cell ``cell`` (a name from `rnninit.dynamics.CELLS`), initialize it from ``spec``
    with ``seed``, and `diagnose` it. ``input_size`` defaults to ``hidden_size``.

    Args:
        cell: A name from `rnninit.dynamics.CELLS` (``"lstm"``, ``"gru"``, ``"elman"``, ...).
        spec: The initialization: a `Spec`, a spec string, a preset name or a dict; ``None`` for
            the framework's default.
        hidden_size: The number of hidden units (a positive integer).
        steps: ``T``, the number of steps (a positive integer).
        input_size: The number of input features; ``None``: ``hidden_size``.
        inputs: ``"zeros"``, ``"normal"``, ``"uniform"`` or data (see `make_inputs`).
        batch: The number of sequences; ``None``: the input kind's default.
        seed: The seed of the weights and of random inputs.
        probes: How many steps get the spectral radius of their Jacobian.

    Returns:
        Every measurement (see `Diagnosis`).

    Raises:
        DynamicsError: An unknown cell name, a size, ``steps`` or ``batch`` that is not a positive
            integer, or bad inputs (as for `diagnose`).
        SpecError: The spec is malformed or does not fit the cell.

    Examples:
        >>> from rnninit.dynamics import diagnose_spec
        >>> d = diagnose_spec("elman", "hh=orthogonal(gain=0.9) bias=zeros", hidden_size=16, steps=20)
        >>> round(float(d.jacobian_norms[-1]), 6) == round(0.9**20, 6)
        True
    """
    spec = Spec.coerce(spec) if spec is not None else None
    stepper = make_cell(cell, input_size or hidden_size, hidden_size, spec, seed=seed)
    label = str(spec) if spec is not None else "framework default"
    return diagnose(
        stepper,
        steps=steps,
        inputs=inputs,
        batch=batch,
        seed=seed,
        probes=probes,
        label=label,
        cell_name=cell,
    )

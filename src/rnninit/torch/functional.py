"""The math of rnninit's PyTorch cells, apart from any module: one step, and one layer over time.

Each cell has two kinds of function:

- ``*_cell(x, state, weights...)``: one full step from an input ``x`` of shape ``(B, I)``; used by
  the ``*Cell`` modules and as the reference for the step.
- ``*_layer(x, state, weights..., reverse=False, lengths=None)``: one layer and one direction over
  a whole sequence ``x`` of shape ``(T, B, I)``; returns ``(outputs (T, B, H_out), final state)``.

A layer function does every input-side product for all time steps in *one* GEMM before the loop,
walks time with `torch.Tensor.unbind` (indexing a tensor inside the loop makes the backward
pass quadratic in the length), calls a small ``*_step`` function that holds only the recurrent part,
and stacks the outputs once at the end.

Without packed ``lengths``, ``elman_layer``, ``lstm_layer`` and ``gru_layer`` hand the whole
sequence to `rnninit.torch.fast` (hand-derived whole-sequence backwards, or PyTorch's fused
kernel where that is faster; see `rnninit.torch.fast.backend`); ``elman_loop``, ``lstm_loop``
and ``gru_loop`` are the reference loop itself, which ``rnninit.torch.fast.use_backend("loop")``
selects. Under ``torch.compile`` the layer functions run eagerly (`rnninit.torch.compiler`).

``lengths`` (a ``(B,)`` integer tensor, sequences of unequal length padded to ``T``) makes each
sequence's state stop at its own end: steps at ``t >= lengths[b]`` leave sequence ``b``'s state
unchanged and output zeros. In reverse (``reverse=True``) the loop runs from ``T - 1`` down to 0, so a
padded sequence's state stays the initial state until its last real step: the same results as
PyTorch's packed sequences. Weights follow PyTorch's storage: matrices ``(out, in)`` with gates stacked
along the rows (LSTM ``i, f, g, o``; GRU ``r, z, n``); biases may be ``None``.

Equations (``σ`` the logistic sigmoid, ``⊙`` the elementwise product):

- Elman: ``h' = φ(W_ih x + b_ih + W_hh h + b_hh)``, ``φ = tanh`` or ``relu``.
- LSTM: ``i, f, g, o = σ, σ, tanh, σ (W_ih x + b_ih + W_hh h + b_hh)``; ``c' = f ⊙ c + i ⊙ g``;
  ``h' = o ⊙ tanh(c')``, then ``h' = W_hr h'`` when there is a projection.
- GRU (PyTorch's form): ``r = σ(W_ir x + b_ir + W_hr h + b_hr)``, ``z = σ(W_iz x + b_iz + W_hz h + b_hz)``,
  ``n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))``, ``h' = (1 - z) ⊙ n + z ⊙ h``.
- IndRNN (Li et al. 2018): ``h' = φ(W_ih x + b + u ⊙ h)``, ``u`` a vector (the diagonal recurrence).
- MinimalRNN (Chen 2017; Chen, Pennington & Schoenholz 2018): ``z = tanh(W_x x + b_x)``,
  ``u = σ(U_h h + U_z z + b_u)``, ``h' = u ⊙ h + (1 - u) ⊙ z``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any, TypeVar

import torch
import torch.nn.functional as F
from torch import Tensor

from rnninit.errors import CellArgumentError
from rnninit.torch.compiler import run_eagerly_under_compile
from rnninit.torch.fast import layers as fast_layers

LSTMState = tuple[Tensor, Tensor]

ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {"tanh": torch.tanh, "relu": torch.relu}


def activation(nonlinearity: str) -> Callable[[Tensor], Tensor]:
    """``torch.tanh`` or ``torch.relu`` by name (a `CellArgumentError`, a
    ``ValueError``, names the valid ones)."""
    try:
        return ACTIVATIONS[nonlinearity]
    except KeyError:
        raise CellArgumentError(f"unknown nonlinearity {nonlinearity!r}; valid: 'tanh', 'relu'") from None


def step_mask(lengths: Tensor | None, steps: int, like: Tensor) -> Tensor | None:
    """``(T, B, 1)`` boolean mask, true where ``t < lengths[b]``; ``None`` when ``lengths`` is."""
    if lengths is None:
        return None
    time = torch.arange(steps, device=like.device).unsqueeze(1)
    return (time < lengths.to(like.device).unsqueeze(0)).unsqueeze(2)


_Steps = TypeVar("_Steps", list[Any], tuple[Any, ...])


def _time_order(items: _Steps, reverse: bool) -> _Steps:
    return items[::-1] if reverse else items


def _stack(outputs: list[Tensor], reverse: bool, mask: Tensor | None) -> Tensor:
    out = torch.stack(_time_order(outputs, reverse))
    return out if mask is None else out * mask


def _scan(
    step: Callable[..., tuple[Tensor, ...]],
    inputs: tuple[Tensor, ...],
    state: tuple[Tensor, ...],
    lengths: Tensor | None,
    reverse: bool,
) -> tuple[Tensor, tuple[Tensor, ...]]:
    """The loop over time every layer shares: ``step(*inputs_t, state) -> new_state`` for each step.

    ``inputs`` are the precomputed input sides ``(T, B, ...)``, walked with ``unbind``; the output at
    each step is ``new_state[0]``. With ``lengths``, a sequence past its end keeps its state and
    outputs zeros. Returns ``(outputs (T, B, ...), final state)``.
    """
    mask = step_mask(lengths, inputs[0].shape[0], inputs[0])
    per_step = zip(*(_time_order(x.unbind(0), reverse) for x in inputs), strict=True)
    masks = _time_order(mask.unbind(0), reverse) if mask is not None else itertools.repeat(None)
    outputs = []
    for xs, m in zip(per_step, masks):
        new = step(*xs, state)
        outputs.append(new[0])
        if m is not None:
            # A sequence past its end keeps its state, in the dtype a step returns: under autocast a
            # step may return lower precision than the initial state, as the built-in's steps do.
            new = tuple(torch.where(m, n, old.to(n.dtype)) for n, old in zip(new, state, strict=True))
        state = new
    return _stack(outputs, reverse, mask), state


# -- Elman -------------------------------------------------------------------------------------


def elman_step(
    x_proj: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None, act: Callable[[Tensor], Tensor]
) -> Tensor:
    """One Elman step from the input projection ``x_proj = W_ih x + b_ih``:
    ``act(x_proj + W_hh h + b_hh)``."""
    return act(x_proj + F.linear(h, w_hh, b_hh))


def elman_cell(
    x: Tensor,
    h: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
    nonlinearity: str = "tanh",
) -> Tensor:
    """One Elman step from ``x`` ``(B, I)`` and ``h`` ``(B, H)``:
    ``h' = φ(W_ih x + b_ih + W_hh h + b_hh)``."""
    return elman_step(F.linear(x, w_ih, b_ih), h, w_hh, b_hh, activation(nonlinearity))


@run_eagerly_under_compile
def elman_layer(
    x: Tensor,
    h: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
    nonlinearity: str = "tanh",
    *,
    reverse: bool = False,
    lengths: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """An Elman layer over ``x`` ``(T, B, I)`` from ``h`` ``(B, H)``: returns ``(outputs (T, B, H), h_T)``."""
    activation(nonlinearity)
    if lengths is None:
        fast = fast_layers.elman_layer(x, h, w_ih, w_hh, b_ih, b_hh, nonlinearity, reverse=reverse)
        if fast is not None:
            return fast
    return elman_loop(x, h, w_ih, w_hh, b_ih, b_hh, nonlinearity, reverse=reverse, lengths=lengths)


def elman_loop(
    x: Tensor,
    h: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
    nonlinearity: str = "tanh",
    *,
    reverse: bool = False,
    lengths: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """`elman_layer` by the reference loop, one `elman_step` at a time (autograd op by op)."""
    act = activation(nonlinearity)

    def step(xp: Tensor, s: tuple[Tensor]) -> tuple[Tensor]:
        return (elman_step(xp, s[0], w_hh, b_hh, act),)

    out, (h,) = _scan(step, (F.linear(x, w_ih, b_ih),), (h,), lengths, reverse)
    return out, h


# -- LSTM --------------------------------------------------------------------------------------


def lstm_step(
    x_proj: Tensor, state: LSTMState, w_hh: Tensor, b_hh: Tensor | None, w_hr: Tensor | None = None
) -> LSTMState:
    """One LSTM step from the input projection ``x_proj = W_ih x + b_ih`` ``(B, 4H)``;
    returns ``(h', c')``."""
    h, c = state
    gates = x_proj + F.linear(h, w_hh, b_hh)
    i, f, g, o = gates.chunk(4, dim=1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h = torch.sigmoid(o) * torch.tanh(c)
    if w_hr is not None:
        h = torch.matmul(h, w_hr.t())  # as the built-in projects (autocast rounds it alike)
    return h, c


def lstm_cell(
    x: Tensor,
    state: LSTMState,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
    w_hr: Tensor | None = None,
) -> LSTMState:
    """One LSTM step from ``x`` ``(B, I)`` and ``(h, c)``; returns ``(h', c')`` (``h'`` projected by
    ``w_hr``)."""
    return lstm_step(F.linear(x, w_ih, b_ih), state, w_hh, b_hh, w_hr)


@run_eagerly_under_compile
def lstm_layer(
    x: Tensor,
    state: LSTMState,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
    w_hr: Tensor | None = None,
    *,
    reverse: bool = False,
    lengths: Tensor | None = None,
) -> tuple[Tensor, LSTMState]:
    """An LSTM layer over ``x`` ``(T, B, I)`` from ``(h, c)``: returns
    ``(outputs (T, B, P or H), (h_T, c_T))``."""
    if lengths is None:
        fast = fast_layers.lstm_layer(x, state, w_ih, w_hh, b_ih, b_hh, w_hr, reverse=reverse)
        if fast is not None:
            return fast
    return lstm_loop(x, state, w_ih, w_hh, b_ih, b_hh, w_hr, reverse=reverse, lengths=lengths)


def lstm_loop(
    x: Tensor,
    state: LSTMState,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
    w_hr: Tensor | None = None,
    *,
    reverse: bool = False,
    lengths: Tensor | None = None,
) -> tuple[Tensor, LSTMState]:
    """`lstm_layer` by the reference loop, one `lstm_step` at a time (autograd op by op)."""

    def step(xp: Tensor, s: LSTMState) -> LSTMState:
        return lstm_step(xp, s, w_hh, b_hh, w_hr)

    out, (h, c) = _scan(step, (F.linear(x, w_ih, b_ih),), tuple(state), lengths, reverse)
    return out, (h, c)


# -- GRU ---------------------------------------------------------------------------------------


def gru_step(x_proj: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> Tensor:
    """One GRU step from ``x_proj = W_ih x + b_ih`` ``(B, 3H)``; ``b_hn`` stays inside
    ``r ⊙ (W_hn h + b_hn)``."""
    x_r, x_z, x_n = x_proj.chunk(3, dim=1)
    h_r, h_z, h_n = F.linear(h, w_hh, b_hh).chunk(3, dim=1)
    r = torch.sigmoid(x_r + h_r)
    z = torch.sigmoid(x_z + h_z)
    n = torch.tanh(x_n + r * h_n)
    return n + z * (h - n)


def gru_cell(
    x: Tensor,
    h: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
) -> Tensor:
    """One GRU step from ``x`` ``(B, I)`` and ``h`` ``(B, H)`` (PyTorch's equations, gates ``r, z, n``)."""
    return gru_step(F.linear(x, w_ih, b_ih), h, w_hh, b_hh)


@run_eagerly_under_compile
def gru_layer(
    x: Tensor,
    h: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
    *,
    reverse: bool = False,
    lengths: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """A GRU layer over ``x`` ``(T, B, I)`` from ``h`` ``(B, H)``: returns ``(outputs (T, B, H), h_T)``."""
    if lengths is None:
        fast = fast_layers.gru_layer(x, h, w_ih, w_hh, b_ih, b_hh, reverse=reverse)
        if fast is not None:
            return fast
    return gru_loop(x, h, w_ih, w_hh, b_ih, b_hh, reverse=reverse, lengths=lengths)


def gru_loop(
    x: Tensor,
    h: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
    *,
    reverse: bool = False,
    lengths: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """`gru_layer` by the reference loop, one `gru_step` at a time (autograd op by op)."""

    def step(xp: Tensor, s: tuple[Tensor]) -> tuple[Tensor]:
        return (gru_step(xp, s[0], w_hh, b_hh),)

    out, (h,) = _scan(step, (F.linear(x, w_ih, b_ih),), (h,), lengths, reverse)
    return out, h


# -- IndRNN ------------------------------------------------------------------------------------


def indrnn_step(x_proj: Tensor, h: Tensor, u: Tensor, act: Callable[[Tensor], Tensor]) -> Tensor:
    """One IndRNN step from ``x_proj = W_ih x + b``: ``act(x_proj + u ⊙ h)``."""
    return act(torch.addcmul(x_proj, u, h))


def indrnn_cell(
    x: Tensor,
    h: Tensor,
    w_ih: Tensor,
    u: Tensor,
    b: Tensor | None = None,
    nonlinearity: str = "relu",
) -> Tensor:
    """One IndRNN step from ``x`` ``(B, I)`` and ``h`` ``(B, H)``: ``h' = φ(W_ih x + b + u ⊙ h)``."""
    return indrnn_step(F.linear(x, w_ih, b), h, u, activation(nonlinearity))


@run_eagerly_under_compile
def indrnn_layer(
    x: Tensor,
    h: Tensor,
    w_ih: Tensor,
    u: Tensor,
    b: Tensor | None = None,
    nonlinearity: str = "relu",
    *,
    reverse: bool = False,
    lengths: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """An IndRNN layer over ``x`` ``(T, B, I)`` from ``h`` ``(B, H)``: returns
    ``(outputs (T, B, H), h_T)``."""
    act = activation(nonlinearity)

    def step(xp: Tensor, s: tuple[Tensor]) -> tuple[Tensor]:
        return (indrnn_step(xp, s[0], u, act),)

    out, (h,) = _scan(step, (F.linear(x, w_ih, b),), (h,), lengths, reverse)
    return out, h


# -- MinimalRNN --------------------------------------------------------------------------------


def minimalrnn_input(
    x: Tensor,
    w_x: Tensor,
    b_x: Tensor | None,
    u_z: Tensor,
    b_u: Tensor | None,
) -> tuple[Tensor, Tensor]:
    """The input side of a MinimalRNN, for any leading shape: ``z = tanh(W_x x + b_x)`` and
    ``U_z z + b_u``."""
    z = torch.tanh(F.linear(x, w_x, b_x))
    return z, F.linear(z, u_z, b_u)


def minimalrnn_step(z: Tensor, z_proj: Tensor, h: Tensor, u_h: Tensor) -> Tensor:
    """One MinimalRNN step from ``z`` and ``z_proj = U_z z + b_u``: ``u = σ(z_proj + U_h h)``,
    ``h' = z + u ⊙ (h - z)``."""
    u = torch.sigmoid(z_proj + F.linear(h, u_h))
    return z + u * (h - z)


def minimalrnn_cell(
    x: Tensor,
    h: Tensor,
    w_x: Tensor,
    b_x: Tensor | None,
    u_h: Tensor,
    u_z: Tensor,
    b_u: Tensor | None = None,
) -> Tensor:
    """One MinimalRNN step from ``x`` ``(B, I)`` and ``h`` ``(B, H)``."""
    z, z_proj = minimalrnn_input(x, w_x, b_x, u_z, b_u)
    return minimalrnn_step(z, z_proj, h, u_h)


@run_eagerly_under_compile
def minimalrnn_layer(
    x: Tensor,
    h: Tensor,
    w_x: Tensor,
    b_x: Tensor | None,
    u_h: Tensor,
    u_z: Tensor,
    b_u: Tensor | None = None,
    *,
    reverse: bool = False,
    lengths: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """A MinimalRNN layer over ``x`` ``(T, B, I)`` from ``h`` ``(B, H)``: returns
    ``(outputs (T, B, H), h_T)``.

    Both input-side maps (``W_x`` and ``U_z``) are computed for all steps before the loop; only
    ``U_h h`` is recurrent.
    """
    inputs = minimalrnn_input(x, w_x, b_x, u_z, b_u)

    def step(z: Tensor, z_proj: Tensor, s: tuple[Tensor]) -> tuple[Tensor]:
        return (minimalrnn_step(z, z_proj, s[0], u_h),)

    out, (h,) = _scan(step, inputs, (h,), lengths, reverse)
    return out, h

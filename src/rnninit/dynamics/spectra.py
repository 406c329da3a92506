"""Spectra of a cell's recurrent weights, read through its layout (so every cell rnninit knows works).

For each recurrent block ``W`` (role ``hh``, one per gate) this gives its singular values
``σ_1 ≥ … ≥ σ_n`` and, for a square block, its spectral radius ``ρ(W) = max |λ_i(W)|``. For a
gated cell, the fused matrix ``[W_h·]`` stacking all gates ``(gates·H, H)`` is listed too (singular
values only: it is not square). IndRNN's diagonal ``u`` is the matrix ``diag(u)``.

``ρ`` says how a small perturbation of the state grows per step of the *linearized* map around a
fixed point (``h ↦ W h``): ``‖W^t‖^{1/t} → ρ(W)`` (Gelfand). ``σ_1 = ‖W‖₂`` bounds one step's growth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch import nn

from rnninit.errors import DynamicsError
from rnninit.torch.layouts import model_layout, read_arrays

RECURRENT_ROLE = "hh"


@dataclass(frozen=True)
class Spectrum:
    """Singular values (descending) of a matrix, and its spectral radius (``None`` if not square).

    Attributes:
        singular_values: Largest first.
        spectral_radius: ``max |λ_i|``; ``None`` for a non-square matrix.
    """

    singular_values: np.ndarray
    spectral_radius: float | None


def spectrum(matrix: np.ndarray) -> Spectrum:
    """The singular values of a matrix and, if it is square, its spectral radius.

    Args:
        matrix: A 2-D array (any array-like; computed in float64).

    Returns:
        The singular values, largest first, and the spectral radius (``None`` for a
        non-square matrix).

    Examples:
        >>> import numpy as np
        >>> s = spectrum(np.diag([3.0, -2.0]))
        >>> s.singular_values.round(12).tolist(), s.spectral_radius
        ([3.0, 2.0], 3.0)
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    singular = np.linalg.svd(matrix, compute_uv=False)
    radius = None
    if matrix.shape[0] == matrix.shape[1]:
        radius = float(np.max(np.abs(np.linalg.eigvals(matrix))))
    return Spectrum(singular, radius)


def _as_matrix(value: np.ndarray) -> np.ndarray:
    return np.diag(value) if value.ndim == 1 else value


def recurrent_blocks(module: nn.Module) -> dict[str, np.ndarray]:
    """Each recurrent block of the (single) cell in ``module``, in neutral ``(out, in)`` orientation,
    keyed by its label (``hh``, ``hh[f]``); for a gated cell also ``hh[*]``, all gates stacked.

    Args:
        module: A PyTorch module holding one recurrent cell (one layer, one direction).

    Returns:
        Label -> block (a diagonal recurrent weight, IndRNN's, as its diagonal matrix).

    Raises:
        LayoutError: ``module`` holds no recurrent cell rnninit knows.
        DynamicsError: ``module`` holds several cells (layers or directions).

    Examples:
        >>> import torch
        >>> from rnninit.dynamics import recurrent_blocks
        >>> {label: block.shape for label, block in recurrent_blocks(torch.nn.GRUCell(3, 4)).items()}
        {'hh[r]': (4, 4), 'hh[z]': (4, 4), 'hh[n]': (4, 4), 'hh[*]': (12, 4)}
    """
    layout = model_layout(module, strict=False)
    if len(layout.cells) != 1:
        raise DynamicsError(
            f"a diagnosis measures one cell, but {type(module).__name__} holds {len(layout.cells)} "
            "(layers or directions); pass a single cell"
        )
    cell = layout.cells[0]
    slots = [slot for slot in cell.slots if slot.role == RECURRENT_ROLE]
    arrays = read_arrays(module, {p.tensor for slot in slots for p in slot.placements})
    blocks = {slot.label: _as_matrix(slot.read(arrays)) for slot in slots}
    if len(slots) > 1:
        blocks[f"{RECURRENT_ROLE}[*]"] = np.vstack([blocks[slot.label] for slot in slots])
    return blocks


def recurrent_spectra(module: nn.Module) -> dict[str, Spectrum]:
    """`spectrum` of every block of `recurrent_blocks`.

    Args:
        module: A PyTorch module holding one recurrent cell.

    Returns:
        Label -> spectrum (``hh[*]``, not square, has no spectral radius).

    Raises:
        LayoutError: ``module`` holds no recurrent cell rnninit knows.
        DynamicsError: ``module`` holds several cells.

    Examples:
        >>> import torch, rnninit.torch as rt
        >>> from rnninit.dynamics import recurrent_spectra
        >>> rnn = torch.nn.RNN(3, 4)
        >>> _ = rt.apply("hh=orthogonal(gain=0.9)", rnn, seed=0)
        >>> round(recurrent_spectra(rnn)["hh"].spectral_radius, 6)  # float32 weights
        0.9
    """
    return {label: spectrum(block) for label, block in recurrent_blocks(module).items()}

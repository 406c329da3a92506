"""Storage layouts of Flax's built-in recurrent cells (``flax.nnx`` and ``flax.linen``, flax 0.12.8).

Pure functions of the cells' sizes: no jax or flax import. A Flax cell keeps its weights in
``Linear`` (nnx) or ``Dense`` (Linen) sub-layers whose ``kernel`` is ``(in, out)``, the transpose of
the neutral ``(out, in)``; a fused sub-layer stacks the gates side by side along its last axis in
the cell's own order, which for every Flax cell is the canonical one (LSTM ``i, f, g, o``, GRU
``r, z, n``). Flax adds the input and the recurrent sub-layer and gives a bias to only one of
them, so every effective bias is stored once. Read from ``flax/nnx/nn/recurrent.py`` and
``flax/linen/recurrent.py``:

================================  ========================  ========================  ========================
cell                              ``ih``                    ``hh``                    ``bias`` (``bias_hn``)
================================  ========================  ========================  ========================
``nnx.SimpleCell``                ``dense_i``               ``dense_h``               ``dense_i``
``nnx.LSTMCell``                  ``ii if_ ig io``          ``hi hf hg ho``           ``hi hf hg ho``
``nnx.OptimizedLSTMCell``         ``dense_i`` (i,f,g,o)     ``dense_h`` (i,f,g,o)     ``dense_h``
``nnx.GRUCell``                   ``dense_i`` (r,z,n)       ``dense_h`` (r,z,n)       ``dense_i`` (no b_hn)
``linen.SimpleCell``              ``i``                     ``h``                     ``i``
``linen.(Optimized)LSTMCell``     ``ii if ig io``           ``hi hf hg ho``           ``hi hf hg ho``
``linen.GRUCell``                 ``ir iz in``              ``hr hz hn``              ``ir iz in`` (``hn``)
``linen.MGUCell``                 ``if in``                 ``hf hn``                 ``if in`` (``hn``)
================================  ========================  ========================  ========================

``nnx.GRUCell`` computes ``n = tanh(W_in x + b_in + r ⊙ W_hn h)``: its recurrent ``Linear`` has no
bias, so ``b_hn`` is fixed at 0 (`unstored`), while
``linen.GRUCell`` has it (``hn.bias``), like ``torch.nn.GRU``. ``linen.MGUCell(reset_gate=False)``
is the kind ``mgu_no_reset``. ``SimpleCell(residual=True)`` (``h' = φ(W_i x + b + W_h h + h)``,
whose recurrent matrix is ``W_h + I``) and ``linen.ConvLSTMCell`` (convolution kernels; a forget
bias of 1 hard-coded in its step) have no layout: they are errors, never approximations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rnninit.errors import UnsupportedCellError
from rnninit.layout.kinds import ELMAN, GRU, LSTM, MGU, MGU_NO_RESET, CellKind
from rnninit.layout.storage import CellLayout, Placement, Slot, role_slots

#: One sub-layer holding every gate side by side, or one sub-layer per gate.
Where = str | Mapping[str, str]


@dataclass(frozen=True)
class FlaxCellStorage:
    """Which sub-layer of a Flax cell holds which role (its ``kernel`` for matrices, its ``bias`` for
    biases)."""

    kind: CellKind
    ih: Where
    hh: Where
    bias: Where
    bias_hn: str | None = None

    @property
    def input_kernel(self) -> str:
        """The local name of a kernel whose first axis is the input size."""
        first = self.ih if isinstance(self.ih, str) else next(iter(self.ih.values()))
        return f"{first}.kernel"


def _per_gate(names: str) -> dict[str, str]:
    return dict(zip(("i", "f", "g", "o"), names.split(), strict=True))


_LINEN_LSTM = FlaxCellStorage(
    LSTM, ih=_per_gate("ii if ig io"), hh=_per_gate("hi hf hg ho"), bias=_per_gate("hi hf hg ho")
)

NNX_CELLS: dict[str, FlaxCellStorage] = {
    "SimpleCell": FlaxCellStorage(ELMAN, ih="dense_i", hh="dense_h", bias="dense_i"),
    "LSTMCell": FlaxCellStorage(
        LSTM, ih=_per_gate("ii if_ ig io"), hh=_per_gate("hi hf hg ho"), bias=_per_gate("hi hf hg ho")
    ),
    "OptimizedLSTMCell": FlaxCellStorage(LSTM, ih="dense_i", hh="dense_h", bias="dense_h"),
    "GRUCell": FlaxCellStorage(GRU, ih="dense_i", hh="dense_h", bias="dense_i"),
}

LINEN_CELLS: dict[str, FlaxCellStorage] = {
    "SimpleCell": FlaxCellStorage(ELMAN, ih="i", hh="h", bias="i"),
    "LSTMCell": _LINEN_LSTM,
    "OptimizedLSTMCell": _LINEN_LSTM,  # per-gate parameters "compatible with LSTMCell", fused at call time
    "GRUCell": FlaxCellStorage(
        GRU,
        ih={"r": "ir", "z": "iz", "n": "in"},
        hh={"r": "hr", "z": "hz", "n": "hn"},
        bias={"r": "ir", "z": "iz", "n": "in"},
        bias_hn="hn",
    ),
    "MGUCell": FlaxCellStorage(
        MGU, ih={"f": "if", "n": "in"}, hh={"f": "hf", "n": "hn"}, bias={"f": "if", "n": "in"}, bias_hn="hn"
    ),
}

_MGU_NO_RESET = FlaxCellStorage(
    MGU_NO_RESET, ih={"f": "if", "n": "in"}, hh={"f": "hf", "n": "hn"}, bias={"f": "if", "n": "in"}
)


#: Flax cells that no layout can describe, and why.
UNSUPPORTED = {
    "ConvLSTMCell": (
        "its kernels are convolutions (kernel_size..., in, 4·features), not matrices, and its step adds a "
        "fixed 1 to the forget gate"
    ),
}


def flax_cell_storage(
    api: str, class_name: str, *, residual: bool = False, reset_gate: bool = True
) -> FlaxCellStorage | None:
    """The storage of the built-in cell ``class_name`` of ``api`` (``"nnx"`` or ``"linen"``), ``None``
    for a class Flax does not ship; an `UnsupportedCellError` for a built-in no layout describes."""
    where = f"flax.{api}.{class_name}"
    if class_name in UNSUPPORTED:
        raise UnsupportedCellError(
            f"{where} has no rnninit layout: {UNSUPPORTED[class_name]}; pass strict=False to leave it "
            "untouched"
        )
    if class_name == "SimpleCell" and residual:
        raise UnsupportedCellError(
            f"{where}(residual=True) computes φ(W_i x + b + W_h h + h): its recurrent matrix is W_h + I, "
            "which no spec role describes; use residual=False, or pass strict=False to leave it untouched"
        )
    if api == "linen" and class_name == "MGUCell" and not reset_gate:
        return _MGU_NO_RESET
    return (NNX_CELLS if api == "nnx" else LINEN_CELLS).get(class_name)


def flax_cell_layout(
    storage: FlaxCellStorage,
    *,
    input_size: int,
    hidden_size: int,
    path: str = "",
    prefix: str = "",
    layer: int = 0,
    direction: int = 0,
    num_layers: int = 1,
    num_directions: int = 1,
    source: str = "",
) -> tuple[CellLayout, dict[str, tuple[int, ...]]]:
    """The layout of one built-in Flax cell; its tensors are named ``prefix + "<sub-layer>.kernel"``.

    Returns the cell layout and the tensors it owns (name -> shape).
    """
    kind = storage.kind
    sizes = {
        "input": input_size,
        "hidden": hidden_size,
        "state": hidden_size,
        "layers": num_layers,
        "directions": num_directions,
    }
    tensors: dict[str, tuple[int, ...]] = {}
    slots: list[Slot] = []
    for role_name, where, leaf in (
        ("ih", storage.ih, "kernel"),
        ("hh", storage.hh, "kernel"),
        ("bias", storage.bias, "bias"),
    ):
        role = kind.role(role_name)
        block = role.shape(sizes)
        matrix = len(block) == 2
        if isinstance(where, str):
            name = f"{prefix}{where}.{leaf}"
            width = block[0] * max(len(kind.gates), 1)
            tensors[name] = (block[1], width) if matrix else (width,)
            slots += role_slots(kind, role, sizes, [name], transpose=matrix)
            continue
        for gate in kind.gates:
            name = f"{prefix}{where[gate]}.{leaf}"
            tensors[name] = (block[1], block[0]) if matrix else block
            full = tuple(slice(None) for _ in block)
            slots.append(Slot(role_name, gate, block, (Placement(name, full, transpose=matrix),)))
    unstored: tuple[str, ...] = ()
    if storage.bias_hn is not None:
        name = f"{prefix}{storage.bias_hn}.bias"
        tensors[name] = (hidden_size,)
        slots.append(Slot("bias_hn", None, (hidden_size,), (Placement(name, (slice(None),)),)))
    elif "bias_hn" in kind.role_names:
        unstored = ("bias_hn",)
    cell = CellLayout(
        path=path,
        kind=kind,
        sizes=sizes,
        slots=tuple(slots),
        layer=layer,
        direction=direction,
        framework="flax",
        source=source,
        unstored=unstored,
    )
    return cell, tensors

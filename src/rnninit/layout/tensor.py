"""One tensor on its own, as a cell: the layout behind ``rnninit.torch.init_``.

A lone tensor has one role, ``tensor``. With ``gates=k`` its rows (dim 0) are ``k`` stacked gate
blocks named ``g0 … g{k-1}``, each a block of its own (its own fans, its own random stream), as
the gate blocks of a recurrent weight are. The block identities are those of a cell declared with
``{"tensor": "tensor[g0,…]"}`` (or ``{"tensor": "tensor"}`` when ``k = 1``) on the kind
`tensor_kind` returns, at path ``""``, layer 0, direction 0; so a spec ``tensor=<init>``
applied to such a cell gives the numbers ``init_`` gives.
"""

from __future__ import annotations

from rnninit.arguments import check_integer
from rnninit.errors import LayoutError
from rnninit.layout.declared import declared_layout
from rnninit.layout.kinds import CellKind
from rnninit.layout.storage import ModelLayout

#: The role (and the tensor's name in the layout) of a lone tensor.
TENSOR = "tensor"


def gate_names(gates: int) -> tuple[str, ...]:
    """``()`` for one block, else ``('g0', 'g1', …)``."""
    return () if gates == 1 else tuple(f"g{j}" for j in range(gates))


def tensor_kind(gates: int) -> CellKind:
    """The cell kind of a lone tensor split into ``gates`` blocks (it gains its one role from the
    declaration)."""
    return CellKind(
        name=TENSOR,
        gates=gate_names(_check_gates(gates)),
        roles=(),
        equations="one tensor initialized on its own; with gates, dim 0 stacks the gate blocks",
    )


def tensor_declaration(gates: int) -> str:
    """``'tensor'`` or ``'tensor[g0,g1,…]'``: how a declared cell says what a lone tensor is."""
    names = gate_names(_check_gates(gates))
    return TENSOR + (f"[{','.join(names)}]" if names else "")


def tensor_layout(shape: tuple[int, ...], gates: int = 1) -> ModelLayout:
    """The layout of a lone vector or matrix of ``shape`` whose dim 0 stacks ``gates`` blocks.

    Raises `LayoutError` for a tensor that is not a non-empty vector or
    matrix, or whose dim 0 does not split into ``gates`` equal blocks.
    """
    gates = _check_gates(gates)
    shape = tuple(int(d) for d in shape)
    if len(shape) not in (1, 2):
        raise LayoutError(
            f"a tensor to initialize must be a vector or a matrix (1 or 2 dimensions), got shape {shape}"
        )
    if 0 in shape:
        raise LayoutError(f"a tensor to initialize must not be empty, got shape {shape}")
    if shape[0] % gates:
        raise LayoutError(
            f"dim 0 of a tensor of shape {shape} has {shape[0]} rows, which do not split into "
            f"gates={gates} equal blocks; gates must divide {shape[0]}"
        )
    cells, tensors = declared_layout(
        {TENSOR: shape},
        {TENSOR: tensor_declaration(gates)},
        kind=tensor_kind(gates),
        source="a lone tensor",
    )
    return ModelLayout(tuple(cells), tensors)


def _check_gates(gates: object) -> int:
    expected = "a positive integer (how many blocks dim 0 stacks)"
    return check_integer(gates, "gates", error=LayoutError, minimum=1, expected=expected)

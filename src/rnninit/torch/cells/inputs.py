"""The inputs and states rnninit's PyTorch cells and sequence modules take, checked, and given back.

A ``*Cell`` takes ``(B, I)`` or unbatched ``(I,)``; a sequence module takes ``(T, B, I)``, ``(B, T, I)``
with ``batch_first``, unbatched ``(T, I)`` or a ``PackedSequence``, and states
``(num_layers * num_directions, B, H)``, as ``torch.nn.LSTM`` does. A wrong shape is a
`CellArgumentError` that names the expected one.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from rnninit.errors import CellArgumentError

State = tuple[Tensor, ...]


def as_state(hx: Tensor | Sequence[Tensor] | None) -> State | None:
    """A state given as one tensor, a tuple of tensors or ``None``, as a tuple (or ``None``)."""
    if hx is None:
        return None
    return (hx,) if isinstance(hx, Tensor) else tuple(hx)


def batched_cell_input(
    input: Tensor, hx: State | None, input_size: int, owner: str
) -> tuple[Tensor, State | None, bool]:
    """``(B, I)`` or unbatched ``(I,)`` input of a ``*Cell``; returns the batched input and state, and
    whether they were unbatched."""
    if input.dim() not in (1, 2):
        raise CellArgumentError(
            f"{owner}: expected input of shape (batch, {input_size}) or ({input_size},), "
            f"got {tuple(input.shape)}"
        )
    if input.shape[-1] != input_size:
        raise CellArgumentError(
            f"{owner}: input has {input.shape[-1]} features, expected input_size={input_size}"
        )
    unbatched = input.dim() == 1
    if unbatched:
        input = input.unsqueeze(0)
        hx = None if hx is None else tuple(h.unsqueeze(0) for h in hx)
    return input, hx, unbatched


def time_major_input(
    input: Tensor | PackedSequence, hx: State | None, *, batch_first: bool, input_size: int, owner: str
) -> tuple[Tensor, State | None, Tensor | None, bool]:
    """A sequence module's input as a padded ``(T, B, I)`` tensor.

    Returns it, the state (batched), the sequences' lengths (``None`` unless the input was packed) and
    whether the input was unbatched; `as_given` undoes it on the output.
    """
    lengths = None
    unbatched = False
    if isinstance(input, PackedSequence):
        x, lengths = pad_packed_sequence(input)
    else:
        if input.dim() not in (2, 3):
            raise CellArgumentError(f"{owner}: expected a 2-D (unbatched) or 3-D input, got {input.dim()}-D")
        unbatched = input.dim() == 2
        x = input.unsqueeze(1) if unbatched else (input.transpose(0, 1) if batch_first else input)
        if unbatched and hx is not None:
            hx = tuple(h.unsqueeze(1) for h in hx)
    if x.shape[-1] != input_size:
        raise CellArgumentError(
            f"{owner}: input has {x.shape[-1]} features, expected input_size={input_size}"
        )
    return x, hx, lengths, unbatched


def check_state(state: State, sizes: Sequence[int], layers: int, batch: int, owner: str) -> None:
    """Each state tensor must be ``(layers, batch, size)``, ``layers`` = num_layers * num_directions."""
    for h, size in zip(state, sizes, strict=True):
        if tuple(h.shape) != (layers, batch, size):
            raise CellArgumentError(
                f"{owner}: expected a state of shape {(layers, batch, size)} "
                f"(num_layers * num_directions, batch, {size}), got {tuple(h.shape)}"
            )


def as_given(
    output: Tensor,
    h_n: State,
    like: Tensor | PackedSequence,
    lengths: Tensor | None,
    unbatched: bool,
    batch_first: bool,
) -> tuple[Tensor | PackedSequence, State]:
    """The ``(T, B, H)`` output and final states in the form the input ``like`` came in."""
    if isinstance(like, PackedSequence) and lengths is not None:
        return _repack(output, lengths, like), h_n
    if unbatched:
        return output.squeeze(1), tuple(h.squeeze(1) for h in h_n)
    return (output.transpose(0, 1) if batch_first else output), h_n


def _repack(padded: Tensor, lengths: Tensor, like: PackedSequence) -> PackedSequence:
    """Pack ``padded`` (original batch order) with exactly ``like``'s batch sizes and permutation."""
    order = like.sorted_indices
    if order is not None:
        padded = padded.index_select(1, order)
        lengths = lengths.index_select(0, order.to(lengths.device))
    data = pack_padded_sequence(padded, lengths, enforce_sorted=True).data
    return like._replace(data=data)

"""What every rnninit PyTorch cell shares: initialization from a spec, and the sequence driver.

:class:`InitializedModule` turns ``init=`` and ``seed=`` into weights: ``reset_parameters`` runs
:func:`rnninit.torch.apply` on the module itself, through the module's own ``rnninit_layout``.

:class:`RecurrentLayers` is the driver behind the sequence modules (``Elman``, ``LSTM``, ...). It
follows ``torch.nn.RNNBase``: parameters named ``{weight,bias}_{ih,hh}_l{k}[_reverse]``, input
``(T, B, I)`` (``(B, T, I)`` with ``batch_first``, ``(T, I)`` unbatched, or a ``PackedSequence``),
initial state ``(num_layers * num_directions, B, H_out)`` defaulting to zeros, dropout on each layer's
output except the last (training mode only), and final states at each sequence's true end. A subclass
says which parameters a layer has and which function of :mod:`rnninit.torch.functional` runs it.

:class:`BuiltinCell` and :class:`BuiltinLayers` hold what the drop-ins for ``nn.RNNCell``/``LSTMCell``/
``GRUCell`` and ``nn.RNN``/``LSTM``/``GRU`` share: PyTorch's tensor names and shapes (the gates of the
cell kind stacked along the rows) and their layout.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from rnninit.layout.kinds import CellKind
from rnninit.layout.storage import CellLayout, Slot, role_slots
from rnninit.layout.torch_builtin import torch_cell_layout, torch_rnn_layout
from rnninit.plan import make_plan
from rnninit.seeding import check_seed
from rnninit.spec import Spec, SpecLike
from rnninit.torch.apply import apply, draw_seed
from rnninit.torch.compiler import run_eagerly_under_compile
from rnninit.torch.fast import backend as fast_backend
from rnninit.torch.layouts import model_layout, read_arrays, write_arrays

Owned = tuple[list[CellLayout], dict[str, tuple[int, ...]]]
State = tuple[Tensor, ...]
PYTORCH_DEFAULT = Spec.parse("pytorch_default")


class InitializedModule(nn.Module):
    """A module whose parameters are initialized by :func:`rnninit.torch.apply` from ``init`` and ``seed``.

    ``init`` is a spec, a spec string, a preset name or a dict (default ``pytorch_default``); blocks
    whose role it does not mention get PyTorch's default, U(±1/√H), never uninitialized memory.
    ``seed=None`` draws from torch's global generator (so ``torch.manual_seed`` governs it), an int seed
    gives the same weights every time, in every process.
    """

    def _set_init(self, init: SpecLike, seed: int | None) -> None:
        self.init_spec = Spec.coerce(init)
        self.seed = None if seed is None else check_seed(seed)

    def _check_options(self) -> None:
        """Check (and normalize) a subclass's extra constructor arguments, e.g. ``nonlinearity``.

        A subclass stores them as attributes before calling the base constructor, which calls this after
        checking its own arguments and before creating any parameter.
        """

    def reset_parameters(self) -> None:
        """(Re)initialize every parameter from ``self.init_spec`` and ``self.seed``.

        The spec is validated before anything is written: a bad spec changes no weight. On the
        ``meta`` device, where parameters have shapes but no storage, there is nothing to write, and
        (as ``torch.nn.LSTM`` built there) the module is left uninitialized; ``rnninit.torch.apply``
        initializes it once it is materialized (``module.to_empty(device=...)``).
        """
        seed = draw_seed() if self.seed is None else self.seed
        plan = make_plan(self.init_spec, model_layout(self), seed)
        if any(p.is_meta for p in self.parameters()):
            return
        if plan.untouched:
            apply(PYTORCH_DEFAULT, self, seed=seed)
        write_arrays(self, plan.new_arrays(read_arrays(self, plan.partly_touched_tensors())), plan)

    def rnninit_layout(self, path: str) -> Owned:  # pragma: no cover - every subclass defines it
        raise NotImplementedError


def library_cell_layout(
    kind: CellKind,
    *,
    path: str,
    sizes: dict[str, int],
    names: dict[str, str],
    suffix: str = "",
    layer: int = 0,
    direction: int = 0,
    source: str = "",
) -> tuple[CellLayout, dict[str, tuple[int, ...]]]:
    """Layout of a library cell that stores each role in one tensor ``names[role] + suffix``.

    Gated roles stack their gates along the rows in the kind's canonical order.
    """
    prefix = f"{path}." if path else ""
    slots: list[Slot] = []
    tensors: dict[str, tuple[int, ...]] = {}
    for role_name, base in names.items():
        role = kind.role(role_name)
        name = f"{prefix}{base}{suffix}"
        shape = role.shape(sizes)
        if role.gated:
            shape = (shape[0] * len(kind.gates), *shape[1:])
        tensors[name] = shape
        slots += role_slots(kind, role, sizes, [name])
    cell = CellLayout(path, kind, dict(sizes), tuple(slots), layer, direction, "torch", source)
    return cell, tensors


def gate_rows(kind: CellKind, hidden_size: int) -> int:
    """Rows of a PyTorch ``weight_ih``/``weight_hh``/``bias_*``: one ``H`` block per gate (one if ungated)."""
    return max(len(kind.gates), 1) * hidden_size


def check_sizes(input_size: int, hidden_size: int) -> None:
    for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def batched_cell_input(
    input: Tensor, hx: State | None, input_size: int, name: str
) -> tuple[Tensor, State | None, bool]:
    """``(B, I)`` or unbatched ``(I,)`` input of a ``*Cell``; returns the batched input and state."""
    if input.dim() not in (1, 2):
        raise ValueError(
            f"{name}: expected input of shape (batch, {input_size}) or ({input_size},), got {tuple(input.shape)}"
        )
    if input.shape[-1] != input_size:
        raise ValueError(f"{name}: input has {input.shape[-1]} features, expected input_size={input_size}")
    unbatched = input.dim() == 1
    if unbatched:
        input = input.unsqueeze(0)
        hx = None if hx is None else tuple(h.unsqueeze(0) for h in hx)
    return input, hx, unbatched


class BuiltinCell(InitializedModule):
    """A cell with ``torch.nn.RNNCell``'s tensors: ``weight_ih`` ``(G·H, I)``, ``weight_hh`` ``(G·H, H)``,
    ``bias_ih`` and ``bias_hh`` ``(G·H,)``, the ``G`` gates of :attr:`kind` stacked along the rows.

    Subclasses set :attr:`kind` and :attr:`layout_source` and define ``forward``.
    """

    kind: CellKind
    layout_source: str

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        *,
        init: SpecLike = "pytorch_default",
        seed: int | None = None,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        check_sizes(input_size, hidden_size)
        self.input_size, self.hidden_size, self.bias = int(input_size), int(hidden_size), bool(bias)
        self._check_options()
        self._set_init(init, seed)
        factory = {"device": device, "dtype": dtype}
        rows = gate_rows(self.kind, hidden_size)
        self.weight_ih = nn.Parameter(torch.empty(rows, input_size, **factory))
        self.weight_hh = nn.Parameter(torch.empty(rows, hidden_size, **factory))
        if bias:
            self.bias_ih = nn.Parameter(torch.empty(rows, **factory))
            self.bias_hh = nn.Parameter(torch.empty(rows, **factory))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def rnninit_layout(self, path: str) -> Owned:
        cell, tensors = torch_cell_layout(
            self.kind,
            path=path,
            input_size=self.input_size,
            hidden_size=self.hidden_size,
            bias=self.bias,
            source=self.layout_source,
        )
        return [cell], tensors

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, init='{self.init_spec}'"


class RecurrentLayers(InitializedModule):
    """Base of the sequence modules: layers × directions of one cell, with ``nn.LSTM``'s conventions.

    Subclasses define :meth:`layer_parameters` (names and shapes of one layer's tensors),
    :meth:`state_sizes` (the feature size of each state tensor), :meth:`run_layer` (one layer and
    direction over time, via :mod:`rnninit.torch.functional`) and :meth:`rnninit_layout`; one with
    extra constructor arguments stores them before calling ``__init__`` and checks them in
    :meth:`_check_options`. ``__init__`` creates the parameters and initializes them from the spec.
    """

    #: As ``nn.RNNBase``: 0 unless an LSTM projects its hidden state.
    proj_size: int = 0

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        *,
        init: SpecLike = "pytorch_default",
        seed: int | None = None,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        check_sizes(input_size, hidden_size)
        if isinstance(num_layers, bool) or not isinstance(num_layers, numbers.Integral) or num_layers <= 0:
            raise ValueError(f"num_layers must be a positive integer, got {num_layers!r}")
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1:
            raise ValueError(
                f"dropout must be a number in [0, 1] (the probability of zeroing an element), got {dropout!r}"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects "
                f"num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                stacklevel=2,
            )
        self.input_size = int(input_size)
        self.hidden_size = int(hidden_size)
        self.num_layers = int(num_layers)
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        self._set_init(init, seed)
        self._check_options()
        self._build(factory={"device": device, "dtype": dtype})

    # -- subclass hooks ---------------------------------------------------------------------
    def layer_parameters(self, layer_input: int) -> list[tuple[str, tuple[int, ...]]]:
        """``(base name, shape)`` of one layer's tensors, in registration order."""
        raise NotImplementedError

    def state_sizes(self) -> tuple[int, ...]:
        """Feature size of each state tensor (``(H_out,)``; LSTM ``(H_out, H)``)."""
        return (self.output_size,)

    def run_layer(
        self, x: Tensor, state: State, weights: list[Tensor | None], reverse: bool, lengths
    ) -> tuple[Tensor, State]:
        raise NotImplementedError

    def run_stack(self, x: Tensor, hx: State) -> tuple[Tensor, State] | None:
        """All layers and directions at once (padded input ``(T, B, I)``), or ``None``: then
        :meth:`run_layer` runs them one by one."""
        return None

    # -- construction -----------------------------------------------------------------------
    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def output_size(self) -> int:
        """Features of each direction's output and hidden state."""
        return self.hidden_size

    def suffixes(self) -> list[tuple[int, int, str]]:
        """``(layer, direction, suffix)`` for every layer and direction, in PyTorch's order."""
        return [
            (layer, d, f"_l{layer}" + ("_reverse" if d else ""))
            for layer in range(self.num_layers)
            for d in range(self.num_directions)
        ]

    def layer_input_size(self, layer: int) -> int:
        return self.input_size if layer == 0 else self.output_size * self.num_directions

    def _build(self, factory: dict) -> None:
        """Create every layer's parameters (empty, on ``factory``'s device and dtype) and initialize them."""
        self._weight_names: list[list[str | None]] = []
        for layer, _, suffix in self.suffixes():
            names: list[str | None] = []
            for base, shape in self.layer_parameters(self.layer_input_size(layer)):
                if shape is None:
                    names.append(None)
                    continue
                name = base + suffix
                self.register_parameter(name, nn.Parameter(torch.empty(shape, **factory)))
                names.append(name)
            self._weight_names.append(names)
        self.reset_parameters()

    def library_layout(self, kind: CellKind, path: str, names: dict[str, str], source: str) -> Owned:
        """Layout of every layer and direction, each role in one tensor ``names[role] + suffix``."""
        cells, tensors = [], {}
        for layer, direction, suffix in self.suffixes():
            sizes = {
                "input": self.layer_input_size(layer),
                "hidden": self.hidden_size,
                "layers": self.num_layers,
                "directions": self.num_directions,
            }
            cell, owned = library_cell_layout(
                kind,
                path=path,
                sizes=sizes,
                names=names,
                suffix=suffix,
                layer=layer,
                direction=direction,
                source=source,
            )
            cells.append(cell)
            tensors.update(owned)
        return cells, tensors

    def flatten_parameters(self) -> None:
        """No-op, so code written for ``nn.RNNBase`` (which compacts weights for cuDNN) runs unchanged."""

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        for name, default in (
            ("num_layers", 1),
            ("bias", True),
            ("batch_first", False),
            ("dropout", 0.0),
            ("bidirectional", False),
        ):
            if getattr(self, name) != default:
                text += f", {name}={getattr(self, name)}"
        return text + f", init='{self.init_spec}'"

    # -- forward ------------------------------------------------------------------------------
    def _check_state(self, state: State, batch: int) -> None:
        layers = self.num_layers * self.num_directions
        for h, size in zip(state, self.state_sizes(), strict=True):
            if tuple(h.shape) != (layers, batch, size):
                raise ValueError(
                    f"{type(self).__name__}: expected a state of shape {(layers, batch, size)} "
                    f"(num_layers * num_directions, batch, {size}), got {tuple(h.shape)}"
                )

    @run_eagerly_under_compile
    def forward_states(self, input, hx: State | None) -> tuple[Tensor | PackedSequence, State]:
        """Run all layers; ``hx`` is a tuple of state tensors or ``None`` (zeros).

        Under ``torch.compile`` this runs eagerly, as Dynamo runs ``torch.nn.RNNBase``
        (:mod:`rnninit.torch.compiler`).
        """
        packed = isinstance(input, PackedSequence)
        lengths = None
        if packed:
            x, lengths = pad_packed_sequence(input)
            unbatched = False
        else:
            if input.dim() not in (2, 3):
                raise ValueError(
                    f"{type(self).__name__}: expected a 2-D (unbatched) or 3-D input, got {input.dim()}-D"
                )
            unbatched = input.dim() == 2
            x = input.unsqueeze(1) if unbatched else (input.transpose(0, 1) if self.batch_first else input)
            if unbatched and hx is not None:
                hx = tuple(h.unsqueeze(1) for h in hx)
        if x.shape[-1] != self.input_size:
            raise ValueError(
                f"{type(self).__name__}: input has {x.shape[-1]} features, expected input_size={self.input_size}"
            )
        batch = x.shape[1]
        if hx is None:
            layers = self.num_layers * self.num_directions
            hx = tuple(x.new_zeros(layers, batch, size) for size in self.state_sizes())
        self._check_state(hx, batch)
        stack = None if lengths is not None else self.run_stack(x, hx)
        if stack is not None:
            x, h_n = stack
            if unbatched:
                return x.squeeze(1), tuple(h.squeeze(1) for h in h_n)
            return (x.transpose(0, 1) if self.batch_first else x), h_n
        finals: list[State] = []
        index = 0
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(self.num_directions):
                weights = [None if n is None else getattr(self, n) for n in self._weight_names[index]]
                state = tuple(h[index] for h in hx)
                out, final = self.run_layer(x, state, weights, direction == 1, lengths)
                outputs.append(out)
                finals.append(final)
                index += 1
            x = outputs[0] if len(outputs) == 1 else torch.cat(outputs, dim=2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, training=True)
        h_n = tuple(torch.stack(parts) for parts in zip(*finals, strict=True))
        if packed:
            return _repack(x, lengths, input), h_n
        if unbatched:
            return x.squeeze(1), tuple(h.squeeze(1) for h in h_n)
        return (x.transpose(0, 1) if self.batch_first else x), h_n


class BuiltinLayers(RecurrentLayers):
    """Layers with ``torch.nn.RNN``'s tensors: per layer ``k`` ``weight_ih_l{k}`` ``(G·H, I_k)``,
    ``weight_hh_l{k}`` ``(G·H, H_out)``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` (``_reverse`` for the second
    direction), the ``G`` gates of :attr:`kind` stacked along the rows.

    Subclasses set :attr:`kind` and :attr:`layout_source` and define :meth:`run_layer` and ``forward``.
    """

    kind: CellKind
    layout_source: str

    def builtin_op(self):
        """The built-in op of the whole stack (``torch._VF.lstm``, ``gru``, ``rnn_tanh``, ``rnn_relu``)."""
        raise NotImplementedError

    def run_stack(self, x: Tensor, hx: State) -> tuple[Tensor, State] | None:
        """When the layers run on the built-in op (:func:`rnninit.torch.fast.backend.resolve`: a float32
        LSTM on a CPU, any CUDA tensor, autocast), one call for all layers and directions, as
        ``torch.nn.LSTM/GRU/RNN`` make it: their numbers, dropout included, at their cost."""
        if fast_backend.resolve(self.kind.name, x, projected=self.proj_size > 0) != "builtin":
            return None
        weights = [getattr(self, n) for names in self._weight_names for n in names if n is not None]
        state = hx if len(hx) == 2 else hx[0]
        flags = (self.bias, self.num_layers, self.dropout, self.training, self.bidirectional, False)
        y, *final = self.builtin_op()(x, state, weights, *flags)
        return y, tuple(final)

    def layer_parameters(self, layer_input: int) -> list[tuple[str, tuple[int, ...]]]:
        rows = gate_rows(self.kind, self.hidden_size)
        bias = (rows,) if self.bias else None
        return [
            ("weight_ih", (rows, layer_input)),
            ("weight_hh", (rows, self.output_size)),
            ("bias_ih", bias),
            ("bias_hh", bias),
        ]

    def rnninit_layout(self, path: str) -> Owned:
        return torch_rnn_layout(
            self.kind,
            path=path,
            input_size=self.input_size,
            hidden_size=self.hidden_size,
            num_layers=self.num_layers,
            bidirectional=self.bidirectional,
            bias=self.bias,
            proj_size=self.proj_size,
            source=self.layout_source,
        )


def _repack(padded: Tensor, lengths: Tensor, like: PackedSequence) -> PackedSequence:
    """Pack ``padded`` (original batch order) with exactly ``like``'s batch sizes and permutation."""
    order = like.sorted_indices
    if order is not None:
        padded = padded.index_select(1, order)
        lengths = lengths.index_select(0, order.to(lengths.device))
    data = pack_padded_sequence(padded, lengths, enforce_sorted=True).data
    return like._replace(data=data)


def as_state(hx: Tensor | Sequence[Tensor] | None) -> State | None:
    if hx is None:
        return None
    return (hx,) if isinstance(hx, Tensor) else tuple(hx)

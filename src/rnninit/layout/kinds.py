"""Cell kinds: the math of each recurrent cell, independent of any framework's storage.

A `CellKind` names a cell's gates and the *roles* of its weights: what each weight
means in the cell's equations, its block shape in terms of the cell's sizes, and whether it has
one block per gate. Specs are validated against a cell kind; storage layouts
(`rnninit.layout.storage`) map its blocks onto a framework's tensors.

Canonical gate names and order follow PyTorch (LSTM ``i, f, g, o``; GRU ``r, z, n``); Keras'
names are accepted as aliases (LSTM ``c`` for ``g``; GRU ``h`` for ``n``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from rnninit.errors import SpecError, did_you_mean, one_of


@dataclass(frozen=True)
class RoleDef:
    """One kind of weight in a cell.

    ``rows``/``cols`` name sizes (``input``, ``hidden``, ``state``, ``proj``); ``cols=None`` is a
    vector. ``diagonal`` marks a vector that stores the diagonal of a square matrix (IndRNN).

    ``gates`` restricts a gated role to some of the cell's gates (a peephole on ``i, f, o`` only);
    ``None`` means every gate. ``custom`` marks a role a declaration added to a cell kind (presets,
    which describe the kind's own roles, leave it alone). ``bias_part`` marks a bias vector that adds
    to a gate's pre-activation apart from the effective bias (GRU's ``b_hn``): when a spec sets
    ``bias`` but not this role, the effective-bias rule writes zeros to it, as it does to the second
    of two additive biases, so one spec gives one function in every framework.

    Attributes:
        name: The role's name in a spec (``"ih"``, ``"hh"``, ``"bias"``, ``"bias_hn"``, ...).
        rows: The size that counts the block's rows (its outputs, per gate).
        cols: The size that counts its columns (its inputs), or ``None`` for a vector.
        gated: Whether the role has one block per gate.
        doc: What the role is in the cell's equations, for ``rnninit describe`` and messages.
        diagonal: The vector stores the diagonal of a square matrix (IndRNN's ``hh``).
        gates: The gates a gated role has blocks for, or ``None`` for all of the cell's gates.
        custom: A declaration added the role to the cell kind; presets leave it alone.
        bias_part: A bias vector that adds to a gate's pre-activation apart from the effective
            bias (GRU's ``b_hn``), zeroed when a spec sets ``bias`` but not this role.
        form: The block's form (a property): ``"matrix"`` when it has ``cols``, else
            ``"diagonal"`` or ``"vector"``.

    Examples:
        >>> from rnninit.layout import INDRNN, LSTM
        >>> hh = LSTM.role("hh")
        >>> hh.form, hh.gated, hh.shape({"hidden": 16, "state": 16})
        ('matrix', True, (16, 16))
        >>> INDRNN.role("hh").form, LSTM.role("bias").form
        ('diagonal', 'vector')
    """

    name: str
    rows: str
    cols: str | None
    gated: bool
    doc: str
    diagonal: bool = False
    gates: tuple[str, ...] | None = None
    custom: bool = False
    bias_part: bool = False

    @property
    def form(self) -> str:
        """The block's form: `'matrix'`, `'vector'` or `'diagonal'` (a matrix's diagonal as a vector)."""
        if self.cols is not None:
            return "matrix"
        return "diagonal" if self.diagonal else "vector"

    def shape(self, sizes: Mapping[str, int]) -> tuple[int, ...]:
        """One block's shape, ``(rows, cols)`` or ``(rows,)``, with the sizes read from ``sizes``.

        Raises:
            KeyError: ``sizes`` lacks ``rows`` or ``cols``.
        """
        if self.cols is None:
            return (sizes[self.rows],)
        return (sizes[self.rows], sizes[self.cols])


@dataclass(frozen=True)
class CellKind:
    """A cell's gates, roles and gate semantics: what a spec is validated against.

    Every kind rnninit knows is in `CELL_KINDS`; look one up with `cell_kind`.

    Attributes:
        name: The kind's name (``lstm``, ``gru``, ...).
        gates: The gate names, in canonical (storage) order.
        roles: What each tensor of the cell means (``ih``, ``hh``, ``bias``, ...).
        equations: The cell's equations, as text.
        gate_semantics: Which gate plays which part (part -> gate): ``forget`` (multiplies the
            carried state) and ``input``.
        gate_aliases: Other names of gates (Keras' ``c`` for ``g``) -> the gate.
        torch_bias_terms: How many additive bias tensors PyTorch's own cell sums for each gate's
            effective bias (used by ``torch_default`` to reproduce PyTorch's default exactly);
            ``None`` keys an ungated cell.

    Examples:
        >>> import rnninit as ri
        >>> lstm = ri.cell_kind("lstm")
        >>> lstm.gates, lstm.role_names, lstm.gate_semantics["forget"]
        (('i', 'f', 'g', 'o'), ('ih', 'hh', 'bias', 'proj'), 'f')
    """

    name: str
    gates: tuple[str, ...]
    roles: tuple[RoleDef, ...]
    equations: str
    #: Which gate plays which part: ``forget`` (multiplies the carried state) and ``input``.
    gate_semantics: Mapping[str, str] = field(default_factory=dict)
    gate_aliases: Mapping[str, str] = field(default_factory=dict)
    #: How many additive bias tensors PyTorch's own cell sums for each gate's effective bias
    #: (used by ``torch_default`` to reproduce PyTorch's default exactly); ``None`` keys an ungated cell.
    torch_bias_terms: Mapping[str | None, int] = field(default_factory=dict)

    def role(self, name: str, *, position: int | None = None) -> RoleDef:
        for role in self.roles:
            if role.name == name:
                return role
        names = [r.name for r in self.roles]
        raise SpecError(
            f"unknown role '{name}' for {self.a_cell}{did_you_mean(name, names)}; "
            f"valid roles: {one_of(names)}",
            token=name,
            position=position,
        )

    @property
    def a_cell(self) -> str:
        """``'a lstm cell'``, ``'an elman cell'``: the cell named in messages."""
        return f"{'an' if self.name[0] in 'aeiou' else 'a'} {self.name} cell"

    @property
    def role_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.roles)

    def role_gates(self, role: RoleDef) -> tuple[str | None, ...]:
        """The gates ``role`` has blocks for (``(None,)`` for an ungated role)."""
        if not role.gated:
            return (None,)
        return role.gates if role.gates is not None else self.gates

    def canonical_gate(self, role: RoleDef, gate: str, *, position: int | None = None) -> str:
        """Resolve a gate name (or a Keras alias) for ``role``; raise `SpecError` if invalid."""
        if not role.gated:
            gated = [r.name for r in self.roles if r.gated]
            hint = f" (gated roles: {one_of(gated)})" if gated else " (this cell has no gates)"
            raise SpecError(
                f"role '{role.name}' of {self.a_cell} has no gates, so '{role.name}[{gate}]' "
                f"is invalid; write '{role.name}=...'{hint}",
                token=gate,
                position=position,
            )
        gate = self.gate_aliases.get(gate, gate)
        if gate not in self.gates:
            valid = list(self.gates) + [f"{a} (= {g})" for a, g in self.gate_aliases.items()]
            raise SpecError(
                f"unknown gate '{gate}' for {self.a_cell}{did_you_mean(gate, self.gates)}; "
                f"valid gates: {', '.join(valid)}",
                token=gate,
                position=position,
            )
        if role.gates is not None and gate not in role.gates:
            raise SpecError(
                f"role '{role.name}' of {self.a_cell} has blocks for gates {', '.join(role.gates)} only, "
                f"so '{role.name}[{gate}]' names nothing; valid: "
                + ", ".join(f"{role.name}[{g}]" for g in role.gates),
                token=gate,
                position=position,
            )
        return gate

    @property
    def base_roles(self) -> tuple[RoleDef, ...]:
        """The kind's own roles, without those a declaration added."""
        return tuple(r for r in self.roles if not r.custom)

    def bias_terms(self, gate: str | None) -> int:
        return self.torch_bias_terms.get(gate, 1)


_IH = "input-to-hidden weights W_{x·}"
_HH = "hidden-to-hidden (recurrent) weights W_{h·}"
_BIAS = "effective gate bias (the sum of all additive bias tensors)"

ELMAN = CellKind(
    name="elman",
    gates=(),
    roles=(
        RoleDef("ih", "hidden", "input", False, _IH),
        RoleDef("hh", "hidden", "hidden", False, _HH),
        RoleDef("bias", "hidden", None, False, _BIAS),
    ),
    equations="h' = φ(W_ih x + W_hh h + b),  φ = tanh or relu",
    torch_bias_terms={None: 2},
)
"""The Elman (vanilla) RNN cell, ``torch.nn.RNN``'s: one ungated block per role."""

LSTM = CellKind(
    name="lstm",
    gates=("i", "f", "g", "o"),
    roles=(
        RoleDef("ih", "hidden", "input", True, _IH),
        RoleDef("hh", "hidden", "state", True, _HH + " (from the projected state when proj_size > 0)"),
        RoleDef("bias", "hidden", None, True, _BIAS),
        RoleDef("proj", "proj", "hidden", False, "output projection W_hr (proj_size > 0 only)"),
    ),
    equations=(
        "i = σ(W_ii x + W_hi h + b_i);  f = σ(W_if x + W_hf h + b_f);  g = tanh(W_ig x + W_hg h + b_g);\n"
        "o = σ(W_io x + W_ho h + b_o);  c' = f ⊙ c + i ⊙ g;  h' = o ⊙ tanh(c')  (h' = W_hr h' with proj)"
    ),
    gate_semantics={"forget": "f", "input": "i"},
    gate_aliases={"c": "g"},
    torch_bias_terms={"i": 2, "f": 2, "g": 2, "o": 2},
)
"""The LSTM cell (gates ``i, f, g, o``; an optional projection, role ``proj``)."""

GRU = CellKind(
    name="gru",
    gates=("r", "z", "n"),
    roles=(
        RoleDef("ih", "hidden", "input", True, _IH),
        RoleDef("hh", "hidden", "hidden", True, _HH),
        RoleDef("bias", "hidden", None, True, _BIAS + "; for n, the input-side bias b_in only"),
        RoleDef(
            "bias_hn",
            "hidden",
            None,
            False,
            "hidden-side n-gate bias b_hn, inside r ⊙ (W_hn h + b_hn)",
            bias_part=True,
        ),
    ),
    equations=(
        "r = σ(W_ir x + W_hr h + b_r);  z = σ(W_iz x + W_hz h + b_z);\n"
        "n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn));  h' = (1 - z) ⊙ n + z ⊙ h"
    ),
    gate_semantics={"forget": "z"},
    gate_aliases={"h": "n"},
    torch_bias_terms={"r": 2, "z": 2, "n": 1},
)
"""The GRU cell with the reset gate after the recurrent product (PyTorch's, cuDNN's; gates ``r, z, n``)."""

GRU_RESET_BEFORE = CellKind(
    name="gru_reset_before",
    gates=("r", "z", "n"),
    roles=(
        RoleDef("ih", "hidden", "input", True, _IH),
        RoleDef("hh", "hidden", "hidden", True, _HH + "; for n, applied to r ⊙ h"),
        RoleDef("bias", "hidden", None, True, _BIAS),
    ),
    equations=(
        "r = σ(W_ir x + W_hr h + b_r);  z = σ(W_iz x + W_hz h + b_z);\n"
        "n = tanh(W_in x + W_hn (r ⊙ h) + b_n);  h' = (1 - z) ⊙ n + z ⊙ h"
        "   (Cho et al. 2014; Keras GRU with reset_after=False)"
    ),
    gate_semantics={"forget": "z"},
    gate_aliases={"h": "n"},
    torch_bias_terms={"r": 1, "z": 1, "n": 1},
)
"""The GRU cell with the reset gate before the recurrent product (Cho et al. 2014; Keras'
``reset_after=False``).
"""

INDRNN = CellKind(
    name="indrnn",
    gates=(),
    roles=(
        RoleDef("ih", "hidden", "input", False, _IH),
        RoleDef("hh", "hidden", None, False, "recurrent weights u (the diagonal of W_hh)", diagonal=True),
        RoleDef("bias", "hidden", None, False, _BIAS),
    ),
    equations="h' = φ(W x + u ⊙ h + b)   (Li et al. 2018)",
)
"""The IndRNN cell: a diagonal recurrent weight (role ``hh`` is a vector)."""

MINIMALRNN = CellKind(
    name="minimalrnn",
    gates=("u",),
    roles=(
        RoleDef("ih", "hidden", "input", False, "input map Φ: z = tanh(W_x x + b_x)"),
        RoleDef("input_bias", "hidden", None, False, "input-map bias b_x"),
        RoleDef("hh", "hidden", "hidden", True, "update-gate weights on the state, U_h"),
        RoleDef("zh", "hidden", "hidden", True, "update-gate weights on the mapped input, U_z"),
        RoleDef("bias", "hidden", None, True, "update-gate bias b_u"),
    ),
    equations=(
        "z = tanh(W_x x + b_x);  u = σ(U_h h + U_z z + b_u);  h' = u ⊙ h + (1 - u) ⊙ z"
        "   (Chen 2017; Chen, Pennington & Schoenholz 2018)"
    ),
    gate_semantics={"forget": "u"},
)
"""The MinimalRNN cell (Chen 2017): an input map, then one update gate ``u``."""

MGU = CellKind(
    name="mgu",
    gates=("f", "n"),
    roles=(
        RoleDef("ih", "hidden", "input", True, _IH),
        RoleDef("hh", "hidden", "hidden", True, _HH),
        RoleDef("bias", "hidden", None, True, _BIAS + "; for n, the input-side bias b_in only"),
        RoleDef(
            "bias_hn",
            "hidden",
            None,
            False,
            "hidden-side n bias b_hn, inside f ⊙ (W_hn h + b_hn)",
            bias_part=True,
        ),
    ),
    equations=(
        "f = σ(W_if x + W_hf h + b_f);  n = tanh(W_in x + b_in + f ⊙ (W_hn h + b_hn));\n"
        "h' = (1 - f) ⊙ n + f ⊙ h   (Zhou et al. 2016, minimal gated unit; flax.linen.MGUCell)"
    ),
    gate_semantics={"forget": "f"},
)
"""The minimal gated unit (Zhou et al. 2016; ``flax.linen.MGUCell``): one gate ``f`` that also resets."""

MGU_NO_RESET = CellKind(
    name="mgu_no_reset",
    gates=("f", "n"),
    roles=(
        RoleDef("ih", "hidden", "input", True, _IH),
        RoleDef("hh", "hidden", "hidden", True, _HH),
        RoleDef("bias", "hidden", None, True, _BIAS),
    ),
    equations=(
        "f = σ(W_if x + W_hf h + b_f);  n = tanh(W_in x + W_hn h + b_n);  h' = (1 - f) ⊙ n + f ⊙ h"
        "   (flax.linen.MGUCell with reset_gate=False)"
    ),
    gate_semantics={"forget": "f"},
)
"""The minimal gated unit without the reset (``flax.linen.MGUCell(reset_gate=False)``)."""

CELL_KINDS: dict[str, CellKind] = {
    k.name: k for k in (ELMAN, LSTM, GRU, GRU_RESET_BEFORE, INDRNN, MINIMALRNN, MGU, MGU_NO_RESET)
}
"""Every cell kind by name: what `cell_kind` looks names up in, and what a spec is validated against."""


def cell_kind(name: str | CellKind) -> CellKind:
    """Look up a cell kind by name (``elman``, ``lstm``, ``gru``, ``gru_reset_before``,
    ``indrnn``, ``minimalrnn``, ``mgu``, ``mgu_no_reset``).

    Args:
        name: A kind's name, or a `CellKind` (returned as it is).

    Returns:
        The cell kind.

    Raises:
        SpecError: ``name`` is not a known kind (the message lists them, and the closest).

    Examples:
        >>> import rnninit as ri
        >>> ri.cell_kind("gru").gates
        ('r', 'z', 'n')
    """
    if isinstance(name, CellKind):
        return name
    kind = CELL_KINDS.get(name)
    if kind is None:
        raise SpecError(
            f"unknown cell '{name}'{did_you_mean(name, CELL_KINDS)}; valid cells: {one_of(CELL_KINDS)}",
            token=name,
        )
    return kind


def kind_for_gates(
    gates: Iterable[str],
    *,
    error: Callable[[str], Exception] = SpecError,
    argument: str = "kind",
) -> CellKind:
    """The cell kind that gate names (or their aliases, Keras' ``c`` for ``g``) belong to.

    The kinds that have every gate named are the candidates; one whose gates are exactly those named
    wins over kinds that have more. Kinds with the same gates (``gru`` and ``gru_reset_before``,
    ``mgu`` and ``mgu_no_reset``) differ in their equations, not their gates: the first registered is
    taken, and a caller who means the other passes it by name. Names that fit no kind, or kinds with
    different gates (``f`` is a gate of ``lstm`` and of ``mgu``), are an ``error`` (the caller's type)
    that says to pass ``argument=``. No gates at all is ``elman``.

    Args:
        gates: Gate names, canonical or aliases, in any order; repeats are ignored.
        error: The exception type to raise (the caller's: `SpecError` by default).
        argument: The caller's argument that names a kind, for the message (``pass kind=...``).

    Returns:
        The cell kind.

    Raises:
        SpecError: (or ``error``) No kind has every gate named, or kinds with different gates do.

    Examples:
        >>> kind_for_gates(["z", "r", "h"]).name, kind_for_gates(["i", "f", "c", "o"]).name
        ('gru', 'lstm')
    """
    named = list(dict.fromkeys(gates))
    if not named:
        return ELMAN
    fitting = []
    for kind in CELL_KINDS.values():
        resolved = {kind.gate_aliases.get(g, g) for g in named}
        if kind.gates and resolved <= set(kind.gates):
            fitting.append((kind, resolved == set(kind.gates)))
    exact = [kind for kind, whole in fitting if whole]
    candidates = exact or [kind for kind, _ in fitting]
    gate_sets = {frozenset(kind.gates) for kind in candidates}
    gated = ", ".join(f"{k.name} ({' '.join(k.gates)})" for k in CELL_KINDS.values() if k.gates)
    if not candidates:
        listed = ", ".join(sorted(named))
        raise error(f"no cell kind has the gates {listed}; pass {argument}=... (gated kinds: {gated})")
    if len(gate_sets) > 1:
        kinds = ", ".join(f"{k.name} ({' '.join(k.gates)})" for k in candidates)
        raise error(
            f"the gates {', '.join(sorted(named))} are gates of several cell kinds: {kinds}; "
            f"pass {argument}=... to say which"
        )
    return candidates[0]

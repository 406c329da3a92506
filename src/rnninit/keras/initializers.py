"""A Keras initializer bound to one role of a spec: the fix for "one initializer, many weights".

Keras calls an initializer as ``init(shape, dtype)`` and never says which weight it builds, so a
single multi-argument initializer shared by all weights applies one argument set to all of them,
and dispatching on shape breaks when ``input_dim == units``. A `RoleInitializer` is told its
role when it is made (``rk.role(spec, "hh")``), so the shape is only used to split the weight into
gate blocks. Keras stores matrices ``(in, out)``: the initializer samples each gate block in the
neutral ``(out, in)`` orientation (fans per gate block) and writes it transposed.

Every call draws from the stream of one block identity ``(seed, path, layer, direction, role,
gate)``. The first call of an initializer uses its identity as given (so it reproduces what
`rnninit.keras.apply` gives that block); every further call of the same instance appends
``#k`` to the path, so one initializer reused for two weights never gives them equal values (a
seeded Keras initializer does).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import keras
import numpy as np

from rnninit.errors import SpecError
from rnninit.keras.apply import draw_seed
from rnninit.layout.kinds import CellKind, cell_kind, kind_for_gates
from rnninit.role_binding import check_role_given, parse_gates, sample_declared
from rnninit.seeding import check_seed
from rnninit.spec import Spec, SpecLike

_WEIGHT = "weight"


@keras.saving.register_keras_serializable(package="rnninit")
class RoleInitializer(keras.initializers.Initializer):
    """Initialize one weight (possibly several gate blocks side by side) by one role of a spec.

    Use it as a weight's ``initializer`` in a custom cell's ``build`` (`role` makes one). It is
    registered with Keras' serialization, so a saved model that uses it loads after
    ``import rnninit.keras``. Keras' ``LSTMCell(unit_forget_bias=True)``, which asks for its bias in
    slices and sets the forget gate to 1 itself, is handled: each slice gets the values
    `rnninit.keras.apply` gives it, and a spec whose ``bias[f]`` is not 1 is an error.

    Args:
        spec: A `Spec`, spec string, preset name or dict; the whole spec is kept (and serialized),
            the initializer uses the entries for ``role``.
        role: What the weight means: ``ih``, ``hh``, ``bias``, ... (see the cell kinds).
        gates: For a gated role, the gates stacked along the weight's last axis, in storage order
            (``"ifco"``, ``"z,r,h"``); ``None`` means all of the kind's gates in its canonical order.
        kind: The cell kind (``elman``, ``lstm``, ``gru``, ...); inferred from ``gates`` if omitted,
            ``elman`` (no gates) if both are omitted.
        seed: An int in ``[0, 2**63 - 1]`` for reproducible values; ``None`` draws one at the first
            call from Python's generator (``keras.utils.set_random_seed`` governs it).
        path: The block identity's path (the random stream derives from the whole identity).
        layer: The block identity's layer index.
        direction: The block identity's direction (0 forward, 1 backward).

    Raises:
        SpecError: The spec is malformed, ``kind`` is unknown, no kind has ``gates``, the spec
            gives no init for ``role``, or ``role`` is neither a role of the kind nor a cell-specific
            role the spec has an entry for (all at construction); at a call, a cell-specific role's
            blocks the spec leaves out, or Keras' ``unit_forget_bias=True`` with a spec whose
            ``bias[f]`` is not 1.
        SeedError: ``seed`` is not an integer in ``[0, 2**63 - 1]`` or ``None``.

    Examples:
        >>> import keras, rnninit.keras as rk
        >>> spec = "ih=normal(std=0.5) hh=orthogonal bias[f]=1.0 bias=zeros"
        >>> init = rk.RoleInitializer(spec, "hh", gates="ifco", seed=0)
        >>> tuple(init((16, 64)).shape)
        (16, 64)
        >>> bias = rk.RoleInitializer("bias=zeros bias[f]=1.0", "bias", gates="ifco", seed=0)((64,))
        >>> float(bias[16:32].numpy().min()), float(abs(bias[:16].numpy()).max())
        (1.0, 0.0)
    """

    def __init__(
        self,
        spec: SpecLike,
        role: str,
        gates: str | Sequence[str] | None = None,
        kind: str | None = None,
        seed: int | None = None,
        path: str = "",
        layer: int = 0,
        direction: int = 0,
    ):
        self.spec = Spec.coerce(spec)
        self.role = role
        self.gates = parse_gates(gates)
        if kind is not None:
            self.kind: CellKind = cell_kind(kind)
        elif self.gates is not None:
            self.kind = kind_for_gates(self.gates)
        else:
            self.kind = cell_kind("elman")
        self.seed = None if seed is None else check_seed(seed)
        self.path = str(path)
        self.layer = int(layer)
        self.direction = int(direction)
        self._calls = 0
        self._drawn_seed: int | None = None
        self._check_role()

    def _check_role(self) -> None:
        """Fail at construction when the spec does not fit the kind or says nothing about the role."""
        check_role_given(self.spec, self.kind, self.role, self.gates)

    def __call__(self, shape, dtype=None):
        shape = tuple(int(d) for d in shape)
        split = _keras_forget_bias_slice(self, shape)
        if split is not None:
            value = self._sample_bias_slice(*split)
        else:
            declaration = self.role + (f"[{','.join(self.gates)}]" if self.gates else "")
            value = self._sample({_WEIGHT: shape}, {_WEIGHT: declaration}, shape)[_WEIGHT]
            self._calls += 1
        dtype = keras.backend.standardize_dtype(dtype or keras.config.floatx())
        return keras.ops.convert_to_tensor(value.astype(dtype), dtype=dtype)

    def _sample(self, shapes, declarations, shape) -> dict[str, np.ndarray]:
        path = self.path if self._calls == 0 else f"{self.path}#{self._calls}"
        return sample_declared(
            self.spec,
            self.kind,
            shapes,
            declarations,
            self._stream_seed(),
            path=path,
            layer=self.layer,
            direction=self.direction,
            framework="keras",
            who="RoleInitializer",
        )

    def _sample_bias_slice(self, units: int, gates: tuple[str, ...]) -> np.ndarray:
        """Keras' ``LSTMCell(unit_forget_bias=True)`` asks for the bias in two slices, ``i`` and then
        ``c, o``, and fills ``f`` with ones itself. Each slice gets the values ``rnninit.keras.apply``
        gives those gates (the whole bias is sampled with one block identity), and the forget gate's
        ones must be what the spec says."""
        resolved = self.spec.resolve(self.kind)
        forget, _ = resolved.lookup("bias", "f")
        if not _is_one(forget):
            raise SpecError(
                f"Keras' LSTMCell(unit_forget_bias=True) sets the forget gate's bias to 1 itself, but the "
                f"spec {str(self.spec)!r} gives bias[f]={forget}; create the layer with "
                "unit_forget_bias=False so that the spec's forget bias is used"
            )
        full = self._sample({_WEIGHT: (4 * units,)}, {_WEIGHT: "bias[i,f,c,o]"}, (4 * units,))[_WEIGHT]
        blocks = dict(zip(("i", "f", "c", "o"), np.split(full, 4), strict=True))
        if gates[-1] == "o":  # the last slice: the next call is another weight
            self._calls += 1
        return np.concatenate([blocks[g] for g in gates])

    def _stream_seed(self) -> int:
        if self.seed is not None:
            return self.seed
        if self._drawn_seed is None:
            self._drawn_seed = draw_seed()
        return self._drawn_seed

    def get_config(self) -> dict:
        return {
            "spec": self.spec.to_dict(),
            "role": self.role,
            "gates": list(self.gates) if self.gates else None,
            "kind": self.kind.name,
            "seed": self.seed,
            "path": self.path,
            "layer": self.layer,
            "direction": self.direction,
        }

    def __repr__(self) -> str:
        gates = f"[{','.join(self.gates)}]" if self.gates else ""
        return (
            f"RoleInitializer({str(self.spec)!r}, role={self.role + gates!r}, kind={self.kind.name!r}, "
            f"seed={self.seed})"
        )


def _is_one(init) -> bool:
    """Whether ``init`` gives every entry of a bias 1 (``ones``, ``constant(1.0)``, ...)."""
    return init is not None and init.constant_value("vector") == 1.0


def _keras_forget_bias_slice(
    initializer: RoleInitializer, shape: tuple[int, ...]
) -> tuple[int, tuple[str, ...]] | None:
    """``(units, gates)`` when Keras' ``LSTMCell(unit_forget_bias=True)`` is asking for one slice of its
    bias (its ``build`` calls the bias initializer on ``(units,)`` for ``i`` and ``(2 * units,)`` for
    ``c, o``); ``None`` for any other call. Without this, each slice would be split into four "gates"
    and the ones would land in the wrong gates, silently."""
    if initializer.role != "bias" or initializer.kind.name != "lstm" or len(shape) != 1:
        return None
    caller = sys._getframe(2)
    cell = caller.f_locals.get("self") if caller.f_code.co_name == "bias_initializer" else None
    if not isinstance(cell, keras.layers.LSTMCell) or not cell.unit_forget_bias:
        return None
    units = int(cell.units)
    if shape == (units,):
        return units, ("i",)
    if shape == (2 * units,):
        return units, ("c", "o")
    return None


def role(
    spec: SpecLike,
    role: str,
    gates: str | Sequence[str] | None = None,
    *,
    kind: str | None = None,
    seed: int | None = None,
    path: str = "",
    layer: int = 0,
    direction: int = 0,
) -> RoleInitializer:
    """The one-liner for a custom cell's ``build``: ``add_weight(..., initializer=rk.role(spec, "hh"))``.

    Args:
        spec: A `Spec`, spec string, preset name or dict.
        role: What the weight means: ``ih``, ``hh``, ``bias``, ...
        gates: For a gated role, the gates stacked along the weight's last axis, in storage order;
            ``None`` means all of the kind's gates in its canonical order.
        kind: The cell kind; inferred from ``gates`` if omitted, ``elman`` if both are omitted.
        seed: An int in ``[0, 2**63 - 1]``; ``None`` draws one at the first call.
        path: The block identity's path.
        layer: The block identity's layer index.
        direction: The block identity's direction.

    Returns:
        A `RoleInitializer` with these arguments.

    Raises:
        SpecError: The spec is malformed, ``kind`` is unknown, no kind has ``gates``, the spec
            gives no init for ``role``, or ``role`` is neither a role of the kind nor a cell-specific
            role the spec has an entry for.
        SeedError: ``seed`` is not an integer in ``[0, 2**63 - 1]`` or ``None``.

    Examples:
        >>> import numpy as np, rnninit.keras as rk
        >>> w = np.asarray(rk.role("hh=orthogonal", "hh", seed=0)((6, 6)))
        >>> bool(np.allclose(w.T @ w, np.eye(6), atol=1e-5))
        True
    """
    return RoleInitializer(
        spec, role, gates, kind=kind, seed=seed, path=path, layer=layer, direction=direction
    )

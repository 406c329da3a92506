"""A JAX initializer ``(key, shape, dtype) -> array`` bound to one role of a spec, like ``rk.role``.

For a user's own Flax cell: ``nnx.Linear(d, 4 * h, kernel_init=rf.role(spec, "ih", "ifgo", kind="lstm"),
rngs=rngs)`` or ``self.param("U", rf.role(spec, "hh", "ifgo", kind="lstm"), (h, 4 * h))``. The weight
is split into its gate blocks along the last axis (Flax stores ``(in, out)``) and each block is
sampled in the neutral ``(out, in)`` orientation, fans per gate block.

Where the randomness comes from:

* ``seed=None`` (the default): from the ``key`` Flax passes, like any JAX initializer. The same key
  gives the same values, another key other values; it works under ``jax.jit`` and ``jax.eval_shape``
  (the NumPy sampling runs in a ``jax.pure_callback``).
* ``seed=<int>``: the key is ignored and the values are exactly those ``rnninit.torch.apply`` /
  ``rnninit.keras.apply`` / ``rnninit.flax.apply`` give the block ``(path, layer, direction, role,
  gate)`` with that seed. As any pure function, a seeded initializer gives equal arguments equal
  values: give each weight of one role its own ``gates``, ``path``, ``layer`` or ``direction``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from rnninit.flax.apply import key_to_seed
from rnninit.layout.kinds import CellKind, cell_kind, kind_for_gates
from rnninit.role_binding import check_role_given, parse_gates, sample_role
from rnninit.seeding import MAX_SEED, check_seed
from rnninit.spec import Spec, SpecLike


@dataclass(frozen=True)
class RoleInitializer:
    """Initialize one weight (its gate blocks side by side) by one role of a spec.

    Made by `role` (which checks the arguments); hashable and comparable, as Flax module attributes
    should be. Called as any JAX initializer, ``init(key, shape, dtype)``.

    Attributes:
        spec: The whole spec; the initializer uses the entries for ``role``.
        role: What the weight means: ``ih``, ``hh``, ``bias``, ...
        gates: The gates stacked along the weight's last axis, in storage order (``None``: all of
            the kind's gates, canonical order).
        kind_name: The cell kind's name (a name, not a `CellKind`: nnx hashes initializers).
        seed: An int seed (the key passed at a call is then ignored), or ``None`` (values from the
            key).
        path: The block identity's path.
        layer: The block identity's layer index.
        direction: The block identity's direction.

    Raises:
        LayoutError: At a call, a shape that cannot be split into the role's gate blocks.

    Examples:
        >>> import jax, rnninit.flax as rf
        >>> init = rf.role("hh=orthogonal", "hh", seed=0)
        >>> init == rf.role("hh=orthogonal", "hh", seed=0), init(jax.random.key(1), (4, 4)).shape
        (True, (4, 4))
    """

    spec: Spec
    role: str
    gates: tuple[str, ...] | None
    kind_name: str  # the name, not the CellKind: nnx hashes a Linear's kernel_init with its graph
    seed: int | None = None
    path: str = ""
    layer: int = 0
    direction: int = 0

    @property
    def kind(self) -> CellKind:
        return cell_kind(self.kind_name)

    def _value(self, shape: tuple[int, ...], seed: int) -> np.ndarray:
        return sample_role(
            self.spec,
            self.kind,
            self.role,
            self.gates,
            shape,
            seed,
            path=self.path,
            layer=self.layer,
            direction=self.direction,
            framework="flax",
            who="rnninit.flax.role",
        )

    def __call__(self, key: jax.Array, shape: Sequence[int], dtype=jnp.float32) -> jax.Array:
        shape = tuple(int(d) for d in shape)
        dtype = jnp.dtype(dtype)
        if self.seed is not None:
            return jnp.asarray(self._value(shape, self.seed).astype(dtype))
        self._value(shape, 0)  # shape and spec errors now, not inside a callback
        bits = jax.random.bits(key, (2,), jnp.uint32)

        def host(words: np.ndarray) -> np.ndarray:
            high, low = (int(w) for w in np.asarray(words))
            return self._value(shape, ((high << 32) | low) & MAX_SEED).astype(dtype)

        return jax.pure_callback(host, jax.ShapeDtypeStruct(shape, dtype), bits, vmap_method="sequential")

    def __repr__(self) -> str:
        gates = f"[{','.join(self.gates)}]" if self.gates else ""
        return (
            f"rf.role({str(self.spec)!r}, {self.role + gates!r}, kind={self.kind.name!r}, seed={self.seed})"
        )


def role(
    spec: SpecLike,
    role: str,
    gates: str | Sequence[str] | None = None,
    *,
    kind: str | CellKind | None = None,
    seed: int | None = None,
    path: str = "",
    layer: int = 0,
    direction: int = 0,
) -> RoleInitializer:
    """A JAX initializer for the weight that holds ``role`` of ``spec`` (``gates`` stacked in that
    order along its last axis; ``None``: all of the kind's gates, canonical order).

    ``kind`` is inferred from ``gates`` when omitted (``elman`` without gates); ``seed`` and the block
    identity ``path, layer, direction`` are described in `rnninit.flax.initializers`.

    Args:
        spec: A `Spec`, spec string, preset name or dict.
        role: What the weight means: ``ih``, ``hh``, ``bias``, ...
        gates: The gates stacked along the weight's last axis, in storage order (``"ifgo"``,
            ``"r,z,n"``); ``None`` means all of the kind's gates in its canonical order.
        kind: The cell kind (a name or `CellKind`); inferred from ``gates`` if omitted, ``elman``
            if both are omitted.
        seed: An int in ``[0, 2**63 - 1]`` (the values ``rnninit.flax.apply`` gives the same block),
            or ``None`` (values from the key Flax passes).
        path: The block identity's path.
        layer: The block identity's layer index.
        direction: The block identity's direction.

    Returns:
        A JAX initializer ``(key, shape, dtype) -> array``.

    Raises:
        SpecError: The spec is malformed, ``kind`` is unknown, no kind has ``gates``, the spec
            gives no init for ``role``, or ``role`` is neither a role of the kind nor a cell-specific
            role the spec has an entry for (all when it is made; a cell-specific role's blocks are
            checked against the weight's shape at the call).
        SeedError: ``seed`` is not an integer in ``[0, 2**63 - 1]`` or ``None``.

    Examples:
        >>> import jax, rnninit.flax as rf
        >>> init = rf.role("ih=normal(std=0.5) hh=orthogonal bias=zeros bias[f]=1.0", "bias", "ifgo")
        >>> init(jax.random.key(0), (4 * 3,)).tolist()
        [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    """
    spec = Spec.coerce(spec)
    parsed = parse_gates(gates)
    if kind is not None:
        the_kind = cell_kind(kind)
    elif parsed is not None:
        the_kind = kind_for_gates(parsed)
    else:
        the_kind = cell_kind("elman")
    check_role_given(spec, the_kind, role, parsed)
    return RoleInitializer(
        spec,
        role,
        parsed,
        the_kind.name,
        None if seed is None else check_seed(seed),
        str(path),
        int(layer),
        int(direction),
    )


__all__ = ["RoleInitializer", "key_to_seed", "role"]

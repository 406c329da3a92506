"""``rnninit.flax.apply`` (nnx modules, in place) and ``apply_linen`` (Linen variables, returned new).

Seeds. JAX has no global random generator, so there is nothing for ``seed=None`` to follow:
``seed=None`` draws a fresh seed from the operating system's entropy (``secrets``), and the
``ApplyResult`` says which, so a run can be repeated with ``seed=result.seed``. A JAX PRNG key is
accepted too (``seed=jax.random.key(0)``, or ``rngs.params()`` in nnx): it is turned into an int seed
by ``jax.random.bits``, so the same key gives the same weights. An int seed gives exactly the
numbers ``rnninit.torch.apply`` and ``rnninit.keras.apply`` give the same blocks.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx, traverse_util
from flax.core import FrozenDict

from rnninit.apply_result import ApplyResult
from rnninit.errors import LayoutError, SeedError
from rnninit.flax.layouts import find_linen_cells, find_nnx_cells, linen
from rnninit.flax.target import FlaxTarget
from rnninit.plan import make_plan
from rnninit.seeding import MAX_SEED, check_seed
from rnninit.spec import SpecLike
from rnninit.writer import write_all


def is_key(value: object) -> bool:
    """A JAX PRNG key: a typed key array, or a raw ``uint32[2]`` key."""
    if not isinstance(value, jax.Array):
        return False
    if jax.dtypes.issubdtype(value.dtype, jax.dtypes.prng_key):
        return value.shape == ()
    return value.dtype == jnp.uint32 and value.shape == (2,)


def key_to_seed(key: jax.Array) -> int:
    """A 63-bit int seed drawn from ``key`` (the same key, the same seed)."""
    high, low = (int(w) for w in np.asarray(jax.random.bits(key, (2,), jnp.uint32)))
    return ((high << 32) | low) & MAX_SEED


def resolve_seed(seed: int | jax.Array | None) -> int:
    """``None`` -> fresh OS entropy; a JAX key -> `key_to_seed`; an int -> itself, checked."""
    if seed is None:
        return secrets.randbelow(MAX_SEED + 1)
    if isinstance(seed, jax.Array):
        if is_key(seed):
            return key_to_seed(seed)
        raise SeedError(
            f"seed must be an int, a JAX PRNG key (jax.random.key(n)) or None, got an array of shape "
            f"{seed.shape} and dtype {seed.dtype}"
        )
    return check_seed(seed)


def apply(
    spec: SpecLike, module: nnx.Module, seed: int | jax.Array | None = None, strict: bool = True
) -> ApplyResult:
    """Initialize every recurrent cell in an ``flax.nnx`` module from ``spec``, in place.

    ``spec`` is a `Spec`, a spec string, a preset name or a dict. Roles are the math:
    ``bias`` is the effective gate bias, wherever Flax keeps it (``hf.bias`` of an ``LSTMCell``,
    ``dense_i.bias`` of a ``GRUCell``). ``nnx.GRUCell`` has no hidden-side ``b_hn``: a spec giving
    ``bias_hn`` anything but zeros is a `SpecError` there. Blocks whose role the
    spec does not mention are left as they are. Each parameter keeps its dtype and sharding.

    ``seed``: an int (the numbers ``rnninit.torch.apply`` gives the same blocks), a JAX key, or
    ``None`` (fresh OS entropy; JAX has no global generator); see `rnninit.flax.apply`.
    Everything is validated and sampled before anything is written, and every value is checked to be
    finite in its parameter's dtype (`rnninit.writer.write_all`): on any error no weight changes.

    Args:
        spec: What to initialize each role and gate with: a `Spec`, a spec string, a preset name
            or a dict.
        module: An ``flax.nnx`` module containing recurrent cells: Flax's ``SimpleCell``,
            ``LSTMCell``, ``OptimizedLSTMCell``, ``GRUCell`` (alone, in ``RNN`` or ``Bidirectional``),
            or cells that declare their roles (`declare`).
        seed: An int in ``[0, 2**63 - 1]``, a JAX PRNG key, or ``None`` (fresh OS entropy).
        strict: If true, a parameter of a recognized cell that no layout explains is an error; if
            false, it is left as it is and listed in the result's ``skipped``.

    Returns:
        The seed used and, per block, where it is stored and what it got.

    Raises:
        SpecError: The spec is malformed, names a role or gate the model's cells lack, or gives
            ``nnx.GRUCell``'s absent ``bias_hn`` a value other than zeros.
        LayoutError: ``module`` is a Linen module (use `apply_linen`) or not an nnx module, holds no
            recurrent cell rnninit knows, or has an unexplained parameter (with ``strict``).
        SeedError: ``seed`` is not an integer in ``[0, 2**63 - 1]``, a JAX key or ``None``.
        StorageError: A value is not finite in its parameter's dtype.

    Examples:
        >>> from flax import nnx
        >>> import rnninit.flax as rf
        >>> lstm = nnx.RNN(nnx.LSTMCell(8, 16, rngs=nnx.Rngs(0)))
        >>> rf.apply("ih=glorot_uniform hh=orthogonal bias=zeros bias[f]=1.0", lstm, seed=0)
        ApplyResult(seed=0, initialized=12 blocks, untouched=0 blocks)
        >>> lstm.cell.hf.bias[...].tolist() == [1.0] * 16, float(abs(lstm.cell.hi.bias[...]).max())
        (True, 0.0)
    """
    if isinstance(module, nn.Module):
        raise LayoutError(
            f"{type(module).__name__} is a Linen module, which holds no weights: use "
            "rnninit.flax.apply_linen(spec, module, variables, *inputs, seed=...), which returns new "
            "variables"
        )
    if not isinstance(module, nnx.Module):
        raise LayoutError(f"expected a flax.nnx.Module, got {type(module).__name__}")
    found = find_nnx_cells(module, strict=strict)
    seed = resolve_seed(seed)
    plan = make_plan(spec, found.layout, seed)
    current = {
        name: np.asarray(found.values[name], dtype=np.float64) for name in plan.partly_touched_tensors()
    }
    write_all(FlaxTarget(found, in_place=True), plan.new_arrays(current), plan)
    plan.release()
    return ApplyResult(seed, plan)


def apply_linen(
    spec: SpecLike,
    module: nn.Module,
    variables: Mapping[str, Any],
    *args,
    seed: int | jax.Array | None = None,
    strict: bool = True,
    **kwargs,
) -> tuple[Mapping[str, Any], ApplyResult]:
    """New variables for a ``flax.linen`` model, with every recurrent cell initialized from ``spec``.

    ``variables`` is what ``module.init`` returned (``{'params': ...}``, other collections passed
    through); ``*args, **kwargs`` are what ``module.apply(variables, ...)`` takes: the model is traced
    once, abstractly, to see which cell owns which parameters (`rnninit.flax.layouts`). Nothing
    is modified: returns ``(new_variables, result)``, with the same container type. ``seed`` and
    ``strict`` are as for `apply`; ``linen.GRUCell`` and ``MGUCell`` do have ``b_hn``
    (``hn.bias``, role ``bias_hn``).

    Args:
        spec: What to initialize each role and gate with: a `Spec`, a spec string, a preset name
            or a dict.
        module: A ``flax.linen`` model containing recurrent cells (Flax's built-in cells, alone, in
            ``RNN`` or ``Bidirectional``, or cells that declare their roles).
        variables: What ``module.init`` returned: a dict with a ``params`` collection.
        *args: The positional arguments of ``module.apply(variables, ...)`` (the inputs).
        seed: An int in ``[0, 2**63 - 1]``, a JAX PRNG key, or ``None`` (fresh OS entropy).
        strict: If true, a parameter of a recognized cell that no layout explains is an error; if
            false, it is left as it is and listed in the result's ``skipped``.
        **kwargs: The keyword arguments of ``module.apply(variables, ...)``.

    Returns:
        ``(new_variables, result)``: the variables with every initialized block replaced (the same
        container type; ``variables`` itself is unchanged), and the seed used and what each block
        got.

    Raises:
        SpecError: The spec is malformed or names a role or gate the model's cells lack.
        LayoutError: ``module`` is not a Linen module, ``variables`` has no ``params``, the model
            cannot be traced with these arguments, holds no recurrent cell rnninit knows, or has an
            unexplained parameter (with ``strict``).
        SeedError: ``seed`` is not an integer in ``[0, 2**63 - 1]``, a JAX key or ``None``.
        StorageError: A value is not finite in its parameter's dtype.

    Examples:
        >>> import jax, jax.numpy as jnp, flax.linen as nn, rnninit.flax as rf
        >>> model = nn.RNN(nn.GRUCell(16)); x = jnp.ones((2, 5, 8))
        >>> spec = "ih=glorot_uniform hh=orthogonal bias=zeros bias_hn=zeros"
        >>> variables, result = rf.apply_linen(spec, model, model.init(jax.random.key(0), x), x, seed=0)
        >>> result
        ApplyResult(seed=0, initialized=10 blocks, untouched=0 blocks)
        >>> float(abs(variables["params"]["cell"]["hn"]["bias"]).max())
        0.0
    """
    found = find_linen_cells(linen(module, variables, *args, **kwargs), strict=strict)
    seed = resolve_seed(seed)
    plan = make_plan(spec, found.layout, seed)
    current = {
        name: np.asarray(found.values[name], dtype=np.float64) for name in plan.partly_touched_tensors()
    }
    target = FlaxTarget(found, in_place=False)
    write_all(target, plan.new_arrays(current), plan)  # the same checks as apply; collects the values
    plan.release()
    flat = traverse_util.flatten_dict(variables["params"])
    for name, value in target.new.items():
        flat[found.where[name]] = value
    params = traverse_util.unflatten_dict(flat)
    out = {
        **variables,
        "params": FrozenDict(params) if isinstance(variables["params"], FrozenDict) else params,
    }
    return (FrozenDict(out) if isinstance(variables, FrozenDict) else out), ApplyResult(seed, plan)

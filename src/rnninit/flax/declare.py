"""Custom Flax cells: a user's own nnx or Linen module says which parameter plays which role.

As class attributes (nnx or Linen)::

    class MyCell(nnx.Module):
        rnninit_roles = {"W": "ih[i,f,g,o]", "U": "hh[i,f,g,o]", "b": "bias[i,f,g,o]"}
        rnninit_kind = "lstm"             # optional for ungated (Elman-like) cells

or with `declare` on a class (nnx or Linen) or on one nnx instance. Names are the dotted
parameter paths inside the cell (``"dense_i.kernel"`` for a sub-layer's); declarations use
`rnninit.layout.declared.declared_layout`'s syntax. Flax stores matrices ``(in, out)``, as
``x @ W``, so declared matrices are read that way unless ``transpose=False``
(``rnninit_transpose = False``) says they are ``(out, in)``.
"""

from __future__ import annotations

from collections.abc import Mapping

import flax.linen as nn
from flax import nnx

from rnninit.errors import LayoutError
from rnninit.layout.declared import check_declaration, declared_layout
from rnninit.layout.kinds import CellKind
from rnninit.layout.storage import CellLayout


def declares_roles(module: object) -> bool:
    return getattr(module, "rnninit_roles", None) is not None


def declared_cell_layout(
    cell: object, shapes: Mapping[str, tuple[int, ...]], where: str
) -> tuple[list[CellLayout], dict[str, tuple[int, ...]]]:
    """The local layout (tensor names inside the cell) of a cell that declares ``rnninit_roles``."""
    roles = getattr(cell, "rnninit_roles", None)
    if isinstance(roles, tuple):  # what declare() stores on an nnx instance: hashable, as nnx needs
        roles = dict(roles)
    if not isinstance(roles, Mapping):
        raise LayoutError(
            f"{type(cell).__name__}.rnninit_roles must be a dict of parameter path -> role, got {roles!r}"
        )
    try:
        return declared_layout(
            shapes,
            roles,
            kind=getattr(cell, "rnninit_kind", None),
            transpose=bool(getattr(cell, "rnninit_transpose", True)),
            framework="flax",
            source=f"{type(cell).__module__}.{type(cell).__qualname__} (declared)",
        )
    except LayoutError as exc:
        raise LayoutError(f"{where} ({type(cell).__name__}): {exc}") from None


def declare(
    module_or_class,
    roles: Mapping[str, str],
    kind: str | CellKind | None = None,
    transpose: bool = True,
):
    """Declare the roles of a custom Flax cell's parameters; returns ``module_or_class``.

    ``roles`` maps dotted parameter paths inside the cell to declarations (``"ih"``,
    ``"hh[i,f,g,o]"``, ``"bias"``, ...); ``kind`` is the cell kind the spec is validated against
    (``None``: an Elman-like ungated cell); ``transpose=False`` if matrices are stored ``(out, in)``.
    A Linen module is declared by class (its instances are frozen dataclasses). Declaring an nnx
    instance checks the declaration against its parameters at once.

    Args:
        module_or_class: An ``flax.nnx`` module class or instance, or a ``flax.linen`` module class.
        roles: Dotted parameter path inside the cell -> declaration (``"ih"``, ``"hh[i,f,g,o]"``,
            ``"+bias"``, ...), not empty.
        kind: The cell kind the spec is validated against; ``None`` for an ungated (Elman-like)
            cell.
        transpose: True if matrices are stored ``(in, out)`` (Flax's way), false for ``(out, in)``.

    Returns:
        ``module_or_class`` itself, with ``rnninit_roles``, ``rnninit_kind`` and
        ``rnninit_transpose`` set.

    Raises:
        LayoutError: ``module_or_class`` is not a Flax module class or nnx instance (or is a Linen
            instance), ``roles`` is empty or not a dict, a declaration is malformed, or (on an nnx
            instance) a declared parameter does not exist or does not fit.
        SpecError: ``kind`` is not a known cell kind.

    Examples:
        >>> import jax.numpy as jnp, rnninit.flax as rf
        >>> from flax import nnx
        >>> class Cell(nnx.Module):
        ...     def __init__(self):
        ...         self.W = nnx.Param(jnp.zeros((3, 4))); self.U = nnx.Param(jnp.zeros((4, 4)))
        >>> cell = rf.declare(Cell(), {"W": "ih", "U": "hh"})
        >>> rf.apply("ih=normal(std=0.1) hh=orthogonal", cell, seed=0)
        ApplyResult(seed=0, initialized=2 blocks, untouched=0 blocks)
    """
    is_class = isinstance(module_or_class, type)
    modules = (nnx.Module, nn.Module)
    if not (issubclass(module_or_class, modules) if is_class else isinstance(module_or_class, modules)):
        raise LayoutError(
            "declare() needs a flax.nnx.Module or flax.linen.Module class (or an nnx instance), "
            f"got {module_or_class!r}"
        )
    if not is_class and isinstance(module_or_class, nn.Module):
        raise LayoutError(
            f"declare() on a Linen module instance: Linen modules are frozen; declare the class, "
            f"rf.declare({type(module_or_class).__name__}, ...)"
        )
    kind = check_declaration(roles, kind, names="parameter path")
    if not is_class:
        params = {
            ".".join(str(k) for k in path): v
            for path, v in nnx.iter_graph(module_or_class)
            if isinstance(v, nnx.Param)
        }
        shapes = {name: tuple(p.get_value().shape) for name, p in params.items()}
        probe = type(
            "Declared",
            (),
            {"rnninit_roles": dict(roles), "rnninit_kind": kind, "rnninit_transpose": transpose},
        )
        declared_cell_layout(probe(), shapes, "<cell>")  # check before changing anything
    # On an nnx instance the roles are a tuple of pairs: nnx keeps them as static attributes (so they
    # survive nnx.split/merge and clone) and hashes those.
    declared = dict(roles) if is_class else tuple(roles.items())
    for name, value in (
        ("rnninit_roles", declared),
        ("rnninit_kind", kind),
        ("rnninit_transpose", bool(transpose)),
    ):
        setattr(module_or_class, name, value)
    return module_or_class

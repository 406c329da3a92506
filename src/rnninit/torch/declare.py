"""Custom cells: a user's own ``nn.Module`` says which parameter plays which role, in a line or two.

Either as class attributes::

    class MyCell(nn.Module):
        rnninit_roles = {"W_ih": "ih", "W_hh": "hh", "b": "bias"}
        rnninit_kind = "elman"          # optional: "lstm", "gru", ... for gated cells

or with :func:`declare` on a class or one instance::

    rt.declare(MyLSTMCell, {"W": "ih[i,f,g,o]", "U": "hh[i,f,g,o]", "b": "bias[i,f,g,o]"}, kind="lstm")

Declarations use :func:`rnninit.layout.declared.declared_layout`'s syntax: ``role`` or ``role[gates]``
(gates stacked along the output axis in the order written), a role the kind lacks becomes a
cell-specific role, and several tensors with one role are additive (their sum is the effective value).
Parameter names are those of ``module.named_parameters()`` (``"lin.weight"`` for a submodule's).
``rnninit.torch.apply`` then treats the module as one cell; in strict mode a parameter the declaration
leaves out is an error that lists it.
"""

from __future__ import annotations

from collections.abc import Mapping

from rnninit.errors import LayoutError
from rnninit.layout.cells import CellKind, cell_kind
from rnninit.layout.declared import declared_layout, parse_declaration
from rnninit.layout.storage import CellLayout
from torch import nn


def declare(
    module_or_class: nn.Module | type[nn.Module],
    roles: Mapping[str, str],
    kind: str | CellKind | None = None,
    transpose: bool = False,
):
    """Declare the roles of a custom cell's parameters; returns ``module_or_class``.

    ``roles`` maps parameter names to declarations (``"ih"``, ``"hh[i,f,g,o]"``, ``"bias"``, ...);
    ``kind`` is the cell kind the spec is validated against (``None``: an Elman-like ungated cell);
    ``transpose=True`` if matrices are stored ``(in, out)`` (as for ``x @ W``).

    Declaring an instance checks the declaration against its parameters at once (a
    :class:`~rnninit.errors.LayoutError` names the problem); a class is checked when ``apply`` meets an
    instance.

    >>> import torch, rnninit.torch as rt
    >>> class Cell(torch.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.W = torch.nn.Parameter(torch.empty(4, 3)); self.U = torch.nn.Parameter(torch.empty(4, 4))
    >>> cell = rt.declare(Cell(), {"W": "ih", "U": "hh"})
    >>> rt.apply("ih=normal(std=0.1) hh=orthogonal", cell, seed=0)
    ApplyResult(seed=0, initialized=2 blocks, untouched=0 blocks)
    """
    is_class = isinstance(module_or_class, type)
    if not (issubclass(module_or_class, nn.Module) if is_class else isinstance(module_or_class, nn.Module)):
        raise LayoutError(f"declare() needs a torch.nn.Module subclass or instance, got {module_or_class!r}")
    if not isinstance(roles, Mapping) or not roles:
        raise LayoutError(f"declare() needs a non-empty dict of parameter name -> role, got {roles!r}")
    for text in roles.values():
        parse_declaration(text)
    if kind is not None:
        kind = cell_kind(kind).name  # a SpecError naming the valid kinds
    if not is_class:
        _layout(module_or_class, "", roles, kind, transpose)  # check before changing anything
    # Plain attributes, on a class or on one instance (an instance's shadow its class's).
    module_or_class.rnninit_roles = dict(roles)
    module_or_class.rnninit_kind = kind
    module_or_class.rnninit_transpose = bool(transpose)
    return module_or_class


def declared_module_layout(
    module: nn.Module, path: str
) -> tuple[list[CellLayout], dict[str, tuple[int, ...]]] | None:
    """The layout of a module that declares ``rnninit_roles``, or ``None`` if it declares nothing."""
    roles = getattr(module, "rnninit_roles", None)
    if roles is None:
        return None
    if not isinstance(roles, Mapping):
        raise LayoutError(
            f"{type(module).__name__}.rnninit_roles must be a dict of parameter name -> role, got {roles!r}"
        )
    return _layout(
        module,
        path,
        roles,
        getattr(module, "rnninit_kind", None),
        getattr(module, "rnninit_transpose", False),
    )


def _layout(module: nn.Module, path: str, roles: Mapping[str, str], kind, transpose: bool):
    shapes = {name: tuple(p.shape) for name, p in module.named_parameters()}
    try:
        cell, tensors = declared_layout(
            shapes,
            roles,
            kind=kind,
            path=path,
            transpose=bool(transpose),
            framework="torch",
            source=f"{type(module).__module__}.{type(module).__qualname__} (declared)",
        )
    except LayoutError as exc:
        raise LayoutError(f"{path or '<model>'} ({type(module).__name__}): {exc}") from None
    return [cell], tensors

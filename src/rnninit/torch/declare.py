"""Custom cells: a user's own ``nn.Module`` says which parameter plays which role, in a line or two.

Either as class attributes::

    class MyCell(nn.Module):
        rnninit_roles = {"W_ih": "ih", "W_hh": "hh", "b": "bias"}
        rnninit_kind = "elman"          # optional: "lstm", "gru", ... for gated cells

or with `declare` on a class or one instance::

    rt.declare(MyLSTMCell, {"W": "ih[i,f,g,o]", "U": "hh[i,f,g,o]", "b": "bias[i,f,g,o]"}, kind="lstm")

Declarations use `rnninit.layout.declared`'s syntax: ``role`` or ``role[gates]`` (gates stacked
along the output axis in the order written), ``+role`` for an additive part of a block another
tensor holds (``{"b_ih": "bias", "b_hh": "+bias"}``), several parts separated by commas, and
``@ layer K reverse`` for a tensor of one layer and direction of a stacked or bidirectional module.
A role the kind lacks becomes a cell-specific role. Parameter names are those of
``module.named_parameters()`` (``"lin.weight"`` for a submodule's).

A wrapper around a built-in that renames some of its parameters (fastai's ``WeightDropout`` keeps
``weight_hh_l0_raw`` and turns the LSTM's ``weight_hh_l0`` into a plain tensor; Salesforce's
``WeightDrop`` registers ``module.weight_hh_l0_raw``) is declared in one line with
`declare_wrapped`, and gets the built-in's layout and block identities.

``rnninit.torch.apply`` then treats the module as one cell (or one per declared layer and
direction); in strict mode a parameter the declaration leaves out is an error that lists it.
"""

from __future__ import annotations

from collections.abc import Mapping

from torch import nn

from rnninit.errors import LayoutError
from rnninit.layout.declared import check_declaration, declared_layout
from rnninit.layout.kinds import CellKind
from rnninit.layout.storage import CellLayout, renamed_layout

Owned = tuple[list[CellLayout], dict[str, tuple[int, ...]]]


def declare(
    module_or_class: nn.Module | type[nn.Module],
    roles: Mapping[str, str],
    kind: str | CellKind | None = None,
    transpose: bool = False,
):
    """Declare the roles of a custom cell's parameters; returns ``module_or_class``.

    ``roles`` maps parameter names to declarations (``"ih"``, ``"hh[i,f,g,o]"``, ``"+bias"``,
    ``"hh @ reverse"``, ...); ``kind`` is the cell kind the spec is validated against (``None``: an
    Elman-like ungated cell); ``transpose=True`` if matrices are stored ``(in, out)`` (as for ``x @ W``).

    Declaring an instance checks the declaration against its parameters at once (a
    `LayoutError` names the problem); a class is checked when ``apply`` meets an
    instance. The declaration language is in ``docs/cookbook.md``.

    Args:
        module_or_class: The cell (an instance) or its class (every instance).
        roles: Parameter name -> declaration, e.g. ``{"W": "ih[i,f,g,o]", "U": "hh[i,f,g,o]",
            "b": "bias[i,f,g,o]"}``.
        kind: The cell kind the spec is validated against (``"lstm"``, ``"gru"``, a `CellKind`,
            ...); ``None`` for an Elman-like ungated cell, or inferred from the gates declared.
        transpose: True if matrices are stored ``(in, out)`` (as for ``x @ W``).

    Returns:
        ``module_or_class`` itself, now declared.

    Raises:
        LayoutError: ``roles`` is empty or not a dict, a declaration does not parse, or (for an
            instance) names a parameter it lacks or does not fit its tensor's shape or the cell kind.
        SpecError: An unknown cell kind.

    Examples:
        >>> import torch, rnninit.torch as rt
        >>> class Cell(torch.nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.W = torch.nn.Parameter(torch.empty(4, 3))
        ...         self.U = torch.nn.Parameter(torch.empty(4, 4))
        >>> cell = rt.declare(Cell(), {"W": "ih", "U": "hh"})
        >>> rt.apply("ih=normal(std=0.1) hh=orthogonal", cell, seed=0)
        ApplyResult(seed=0, initialized=2 blocks, untouched=0 blocks)
    """
    _check_target(module_or_class, "declare")
    kind = check_declaration(roles, kind)
    if not isinstance(module_or_class, type):
        _layout(module_or_class, "", roles, kind, transpose)  # check before changing anything
    _set_declaration(
        module_or_class, rnninit_roles=dict(roles), rnninit_kind=kind, rnninit_transpose=bool(transpose)
    )
    return module_or_class


def declare_wrapped(
    wrapper_or_class: nn.Module | type[nn.Module],
    inner: str = "module",
    renamed: Mapping[str, str] | str = "{name}_raw",
):
    """Declare a wrapper whose submodule ``inner`` is a recurrent module some of whose parameters
    the wrapper renamed; returns ``wrapper_or_class``.

    The wrapper gets ``inner``'s layout (a built-in ``nn.LSTM``, an rnninit module, a declared cell)
    with the wrapper's path as the block identity, so a wrapped ``nn.LSTM`` receives exactly the numbers
    the bare ``nn.LSTM`` would. ``renamed`` maps an inner parameter name to where the wrapper keeps it,
    relative to the wrapper (``{"weight_hh_l0": "weight_hh_l0_raw"}`` for fastai's ``WeightDropout``,
    ``{"weight_hh_l0": "module.weight_hh_l0_raw"}`` for Salesforce's ``WeightDrop``), or is a template
    with ``{name}`` applied to every inner tensor that is no longer a parameter of ``inner``
    (``"{name}_raw"``, the default; ``"module.{name}_raw"`` for ``WeightDrop``).

    Args:
        wrapper_or_class: The wrapper (an instance) or its class (every instance).
        inner: The attribute of the wrapper that holds the recurrent module.
        renamed: Inner parameter name -> its path in the wrapper, or a template with ``{name}``.

    Returns:
        ``wrapper_or_class`` itself, now declared.

    Raises:
        LayoutError: ``inner`` is not a submodule of the instance (a class is checked when
            ``apply`` meets an instance).

    Examples:
        >>> import torch, rnninit.torch as rt
        >>> class WeightDropout(torch.nn.Module):  # fastai's, reduced to what matters here
        ...     def __init__(self, module, layer="weight_hh_l0"):
        ...         super().__init__()
        ...         self.module = module
        ...         w = getattr(module, layer); del module._parameters[layer]
        ...         self.register_parameter(f"{layer}_raw", torch.nn.Parameter(w.data))
        ...         setattr(module, layer, w.clone())
        >>> wrapped = rt.declare_wrapped(WeightDropout(torch.nn.LSTM(3, 4)))
        >>> rt.apply("ih=glorot_uniform hh=orthogonal bias=zeros bias[f]=1.0", wrapped, seed=0)
        ApplyResult(seed=0, initialized=12 blocks, untouched=0 blocks)
    """
    _check_target(wrapper_or_class, "declare_wrapped")
    if not isinstance(inner, str) or not inner:
        raise LayoutError(f"declare_wrapped() needs inner= the wrapped submodule's name, got {inner!r}")
    if isinstance(renamed, str):
        if "{name}" not in renamed:
            raise LayoutError(f"a renamed= template must contain '{{name}}', got {renamed!r}")
    elif not isinstance(renamed, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in renamed.items()
    ):
        raise LayoutError(
            f"renamed= maps inner parameter names to the wrapper's, e.g. {{'weight_hh_l0': "
            f"'weight_hh_l0_raw'}}, or is a template such as '{{name}}_raw'; got {renamed!r}"
        )
    wraps = {"inner": inner, "renamed": renamed if isinstance(renamed, str) else dict(renamed)}
    if not isinstance(wrapper_or_class, type):
        _wrapped_layout(wrapper_or_class, "", wraps)  # check before changing anything
    _set_declaration(wrapper_or_class, rnninit_wraps=wraps)
    return wrapper_or_class


def _set_declaration(target, **attributes) -> None:
    """Plain attributes, on a class or on one instance (an instance's shadow its class's).

    An instance's are written to its own ``__dict__``: a TorchScript ``ScriptModule`` forwards
    ``setattr`` to its compiled module, so its class's declaration would still be found first and the
    instance's silently ignored. Read back, so that no other ``__setattr__`` can drop one silently."""
    for name, value in attributes.items():
        if isinstance(target, type):
            setattr(target, name, value)
        else:
            object.__setattr__(target, name, value)
        if getattr(target, name, None) is not value:
            raise LayoutError(
                f"cannot declare {type(target).__name__}: its {name} did not keep the value set (a class "
                f"attribute or __setattr__ of {type(target).__name__} intervenes); declare the class instead"
            )


def _check_target(target, function: str) -> None:
    is_class = isinstance(target, type)
    if not (issubclass(target, nn.Module) if is_class else isinstance(target, nn.Module)):
        raise LayoutError(f"{function}() needs a torch.nn.Module subclass or instance, got {target!r}")


def _own_layout(module: nn.Module, path: str) -> Owned | None:
    """`rnninit.torch.layouts.own_layout`: the layout of the module a wrapper wraps (any kind the walk
    recognizes: a built-in, an rnninit cell, a declared cell, another wrapper)."""
    from rnninit.torch.layouts import own_layout  # layouts imports this module

    return own_layout(module, path)


def declared_module_layout(module: nn.Module, path: str) -> Owned | None:
    """The layout of a module that declares ``rnninit_roles`` or ``rnninit_wraps``, or ``None``."""
    wraps = getattr(module, "rnninit_wraps", None)
    if wraps is not None:
        return _wrapped_layout(module, path, wraps)
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


def _layout(module: nn.Module, path: str, roles: Mapping[str, str], kind, transpose: bool) -> Owned:
    shapes = {name: tuple(p.shape) for name, p in module.named_parameters()}
    try:
        return declared_layout(
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


def _wrapped_layout(module: nn.Module, path: str, wraps: Mapping) -> Owned:
    cells, tensors, _ = wrapped_layout(module, path, wraps)
    return cells, tensors


def wrapped_aliases(module: nn.Module, path: str) -> set[str]:
    """The inner tensors a declared wrapper replaced (``module.weight_hh_l0``, a view or a dropout of
    ``weight_hh_l0_raw``): not parameters of their own, so neither unexplained nor a tie."""
    wraps = getattr(module, "rnninit_wraps", None)
    if wraps is None:
        return set()
    return wrapped_layout(module, path, wraps)[2]


def wrapped_layout(module: nn.Module, path: str, wraps: Mapping) -> tuple[list, dict, set[str]]:
    """The wrapped module's layout with the wrapper's names, and the inner names it replaced."""
    where = f"{path or '<model>'} ({type(module).__name__})"
    inner_name, renamed = wraps["inner"], wraps["renamed"]
    try:
        inner = module.get_submodule(inner_name)
    except AttributeError:
        children = ", ".join(name for name, _ in module.named_children()) or "none"
        raise LayoutError(
            f"{where} has no submodule {inner_name!r} to wrap; submodules: {children}"
        ) from None
    found = _own_layout(inner, path)
    if found is None:
        raise LayoutError(
            f"{where}: its submodule {inner_name!r} ({type(inner).__name__}) is not a recurrent module "
            "rnninit knows (nn.RNN/LSTM/GRU, their cells, an rnninit cell, or a declared cell)"
        )
    cells, tensors = found
    prefix = f"{path}." if path else ""
    own_params = {name for name, _ in module.named_parameters(remove_duplicate=False)}
    mapping: dict[str, str] = {}
    aliases: set[str] = set()
    for qualified in tensors:
        local = qualified[len(prefix) :]
        plain = f"{inner_name}.{local}"
        if isinstance(renamed, str):
            candidates = [renamed.format(name=local), f"{inner_name}.{renamed.format(name=local)}"]
            target = next((c for c in candidates if c in own_params), plain)
        else:
            target = renamed.get(local, plain)
        if target not in own_params:
            raise LayoutError(
                f"{where}: the {type(inner).__name__} it wraps needs {local!r}, which the wrapper should "
                f"hold as {target!r}, but it has no such parameter; "
                f"its parameters: {', '.join(sorted(own_params))}"
            )
        if target != plain:
            aliases.add(prefix + plain)
        mapping[qualified] = prefix + target
    cells, tensors = renamed_layout(cells, tensors, mapping)
    return cells, tensors, aliases

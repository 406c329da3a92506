"""Helpers for users' own test suites.

Examples:
    >>> import torch, rnninit.torch as rt
    >>> from rnninit.testing import assert_initialized
    >>> lstm = torch.nn.LSTM(8, 16)
    >>> _ = rt.apply("ih=normal(std=0.5) hh=orthogonal bias=zeros bias[f]=1.0", lstm, seed=0)
    >>> assert_initialized(lstm, "ih=normal(std=0.5) hh=orthogonal bias=zeros bias[f]=1.0")
    AuditReport(ok=True, findings=0, blocks=12, tests=12, alpha=0.001)
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from rnninit.spec import SpecLike


def assert_initialized(
    model: object, spec: SpecLike, roles: Mapping[str, str] | None = None, *, alpha: float = 1e-3
):
    """Audit ``model`` against ``spec``; raise an ``AssertionError`` carrying the findings and the table.

    A correctly initialized model fails with probability at most ``alpha`` (default 1e-3).
    Returns the `AuditReport` when all is well.

    Args:
        model: The model to check, in any framework ``rnninit.audit`` reads.
        spec: What each block should have got: a `Spec`, a spec string, a preset name or a dict.
        roles: Tensor name -> role declaration, for a cell no layout knows (as for
            ``rnninit.audit``).
        alpha: The family-wise false-positive rate, in ``(0, 1)``.

    Returns:
        The audit report (``ok`` is true).

    Raises:
        AssertionError: The audit found a block that does not match the spec; the message holds
            the findings and the table.
        SpecError: The spec is malformed or does not fit the model, or ``alpha`` is not in
            ``(0, 1)``.
        LayoutError: ``model`` is not a model rnninit reads, or holds no recurrent cell it knows.

    Examples:
        >>> import torch, rnninit.torch as rt
        >>> from rnninit.testing import assert_initialized
        >>> lstm = torch.nn.LSTM(4, 8)
        >>> _ = rt.apply("hh=orthogonal", lstm, seed=0)
        >>> assert_initialized(lstm, "hh=normal(std=0.1)")
        Traceback (most recent call last):
        ...
        AssertionError: ...
    """
    from rnninit.audit import audit

    report = audit(model, spec, roles, alpha=alpha)
    if not report.ok:
        findings = "\n".join(f"- {f.message}" for f in report.findings)
        raise AssertionError(f"{report.summary()}\n{findings}\n\n{report.to_text()}")
    return report


def describe_round_trip(model: object, fresh: object, spec: SpecLike, *, seed: int = 1, apply=None):
    """The describe round trip: ``d = describe(model)``, applied to ``fresh`` (a new model of the same
    architecture) with ``seed``, then ``fresh`` audited against ``spec``, the spec ``model`` was made
    with. Returns ``(d, report)``; ``report.ok`` is the property (docs/audit.md, "The round trip").

    Blocks ``d`` leaves open (too few entries to tell the candidates apart) have no entry in ``d.spec``;
    ``fresh`` gets those from ``spec`` itself, so the audit still covers every block. ``apply`` is
    ``rnninit.torch.apply``, ``rnninit.keras.apply`` or ``rnninit.flax.apply`` (an nnx module), by
    default the one for ``fresh``.

    Args:
        model: A model initialized with ``spec``.
        fresh: A new model of the same architecture, which the described spec is applied to.
        spec: The spec ``model`` was made with (what ``fresh`` is audited against).
        seed: The seed of the apply to ``fresh``.
        apply: The framework's ``apply``; ``None`` picks the one for ``fresh``.

    Returns:
        ``(description, report)``: what describe read from ``model``, and the audit of ``fresh``
        against ``spec``.

    Raises:
        SpecError: ``spec`` is malformed or does not fit the models.
        LayoutError: A model is not one rnninit reads, or holds no recurrent cell it knows.
        SeedError: ``seed`` is not an integer in ``[0, 2**63 - 1]``.

    Examples:
        >>> import torch, rnninit.torch as rt
        >>> from rnninit.testing import describe_round_trip
        >>> spec = "ih=glorot_uniform hh=orthogonal bias=zeros bias[f]=1.0"
        >>> model = torch.nn.LSTM(16, 32)
        >>> _ = rt.apply(spec, model, seed=0)
        >>> description, report = describe_round_trip(model, torch.nn.LSTM(16, 32), spec)
        >>> report.ok
        True
    """
    from rnninit.audit import audit, describe
    from rnninit.audit.backends import backend_for
    from rnninit.spec import Spec

    apply = apply or _apply_for(backend_for(fresh).name)
    spec = Spec.coerce(spec)
    described = describe(model)
    if described.spec.entries or described.spec.preset:
        apply(described.spec, fresh, seed=seed)
    left_open = _open_entries(described, spec, model)
    if left_open:
        apply(Spec(left_open), fresh, seed=seed)
    return described, audit(fresh, spec)


def _apply_for(framework: str):
    """The ``apply`` of ``rnninit.<framework>`` (for flax: nnx modules, written in place; a Linen
    bundle needs ``rnninit.flax.apply_linen``)."""
    return importlib.import_module(f"rnninit.{framework}").apply


def _open_entries(described, spec, model) -> dict:
    """``spec``'s entries for the blocks ``described`` left open (the whole role where ``spec`` fuses it)."""
    from rnninit.audit.backends import backend_for
    from rnninit.audit.layouts import audited_layout

    layout, _ = audited_layout(backend_for(model), model, None, None, strict=True)
    kinds = {c.name: c.kind for c in layout.cells}
    entries: dict = {}
    for block in described.open:
        resolved = spec.resolve(kinds[block.cell])
        whole, _ = resolved.lookup(block.role, None)
        if whole is not None and whole.fused:
            entries.setdefault((block.role, None), whole)
            continue
        init, _ = resolved.lookup(block.role, block.gate)
        if init is not None:
            entries.setdefault((block.role, block.gate), init)
    return entries


__all__ = ["assert_initialized", "describe_round_trip"]

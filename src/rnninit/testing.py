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

from collections.abc import Mapping

from rnninit.spec import SpecLike


def assert_initialized(
    model: object, spec: SpecLike, roles: Mapping[str, str] | None = None, *, alpha: float = 1e-3
):
    """Audit ``model`` against ``spec``; raise an ``AssertionError`` carrying the findings and the table.

    A correctly initialized model fails with probability at most ``alpha`` (default 1e-3).
    Returns the `AuditReport` when all is well.
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
    if framework == "torch":
        from rnninit.torch import apply as torch_apply

        return torch_apply
    if framework == "keras":
        from rnninit.keras import apply as keras_apply

        return keras_apply
    # flax: nnx modules, written in place (a Linen bundle needs rnninit.flax.apply_linen)
    from rnninit.flax import apply as flax_apply

    return flax_apply


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

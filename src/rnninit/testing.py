"""Helpers for users' own test suites.

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
    Returns the :class:`~rnninit.audit.AuditReport` when all is well.
    """
    from rnninit.audit import audit

    report = audit(model, spec, roles, alpha=alpha)
    if not report.ok:
        findings = "\n".join(f"- {f.message}" for f in report.findings)
        raise AssertionError(f"{report.summary()}\n{findings}\n\n{report.to_text()}")
    return report


__all__ = ["assert_initialized"]

"""What every cell of the zoo goes through, written once: read the audit's report, never rnninit's layouts.

The block-by-block checks are in each zoo module, in NumPy, slicing the stored tensors by the original
code's own row conventions; these helpers only judge what ``rnninit.audit`` and ``describe`` say.
"""

from __future__ import annotations

import numpy as np

import rnninit as ri
from rnninit.testing import describe_round_trip as round_trip


def numpy(tensor) -> np.ndarray:
    """A framework tensor (a torch parameter) as a float64 NumPy array, detached from autograd."""
    return tensor.detach().numpy().astype(np.float64)


def rows(tensor: np.ndarray, k: int, size: int) -> np.ndarray:
    """The k-th block of ``size`` rows (``tensor[k*size:(k+1)*size]``)."""
    return np.asarray(tensor)[k * size : (k + 1) * size]


def assert_orthogonal(block: np.ndarray, gain: float = 1.0, atol: float = 1e-5) -> None:
    """Semi-orthogonal: orthonormal rows or columns, whichever are fewer, times ``gain``."""
    block = np.asarray(block, dtype=np.float64) / gain
    small = block @ block.T if block.shape[0] <= block.shape[1] else block.T @ block
    np.testing.assert_allclose(small, np.eye(small.shape[0]), atol=atol)


def assert_glorot_uniform(block: np.ndarray, fan_in: int, fan_out: int) -> None:
    """Within ±√(6/(fan_in+fan_out)) and spread over most of it (the block's own fans: one gate)."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    assert np.abs(block).max() <= limit + 1e-6
    assert np.abs(block).max() > 0.8 * limit
    assert abs(np.std(block) - limit / np.sqrt(3.0)) < 0.25 * limit / np.sqrt(3.0)


def assert_audits_clean(model, spec) -> ri.audit.AuditReport:
    """The audit passes, and has nothing to add (no unaudited tensor, no inferred role)."""
    report = ri.audit(model, spec)
    assert report.ok, report.to_text()
    assert report.notes == [], report.notes
    return report


def assert_caught(model, spec, *, tensor: str, role: str, gate: str | None):
    """The audit fails on exactly the planted mistake, and its finding names the tensor, role and gate."""
    report = ri.audit(model, spec)
    assert not report.ok
    assert len(report.findings) == 1, [f.message for f in report.findings]
    (finding,) = report.findings
    assert tensor in finding.tensors, finding
    assert (finding.role, finding.gate) == (role, gate), finding
    label = f"{role}[{gate}]" if gate else role
    assert tensor in finding.message and label in finding.message, finding.message
    return finding


def describe_round_trip(model, fresh, spec, apply, seed: int):
    """Apply what ``describe(model)`` infers to ``fresh`` (a new copy), and audit it against ``spec``,
    the spec ``model`` was made with: :func:`rnninit.testing.describe_round_trip`, where the blocks
    describe leaves open (too small to tell) get their values from ``spec``."""
    return round_trip(model, fresh, spec, seed=seed, apply=apply)

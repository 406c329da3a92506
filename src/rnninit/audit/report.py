"""The audit's result: one row per weight block, a list of findings, and three renderings."""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass, field
from typing import Any

from rnninit.audit.checks import Test
from rnninit.audit.power import Power


@dataclass
class BlockRow:
    """One logical weight block: where it is stored, what the spec expects, what was found.

    Attributes:
        cell: The cell's name in the model (``<model>`` for the model itself).
        path: The cell's path in the model.
        layer: The layer index.
        direction: 0 forward, 1 reverse.
        role: The block's role (``ih``, ``hh``, ``bias``, ...).
        gate: Its gate, or ``None`` for an ungated role.
        tensors: The tensors that store it (two for PyTorch's additive biases).
        shape: The block's shape.
        init: The init the spec gives it (``None``: the spec does not mention it).
        observed: Statistics of the values (mean, std, min, max, ...).
        expected: The same statistics as the init implies them.
        tests: The checks run on the block and their outcome.

    Examples:
        >>> import torch, rnninit as ri
        >>> row = ri.audit(torch.nn.LSTM(8, 16), "pytorch_default").rows[0]
        >>> row.label, row.tensors, row.shape, row.verdict
        ('ih[i]', ('weight_ih_l0',), (16, 8), 'ok')
    """

    cell: str
    path: str
    layer: int
    direction: int
    role: str
    gate: str | None
    tensors: tuple[str, ...]
    shape: tuple[int, ...]
    #: The init the spec gives this block (``None``: the spec does not mention it).
    init: str | None
    fused: bool = False
    #: The same init with every argument written out (``normal(mean=0.0, std=1.0)``).
    init_explicit: str | None = None
    observed: dict[str, float] = field(default_factory=dict)
    expected: dict[str, float] = field(default_factory=dict)
    tests: list[Test] = field(default_factory=list)
    sample_size: int = 0
    #: Set when a rule, not a spec entry, gave the expected init (the effective-bias rule).
    rule: str | None = None
    #: For a block checked against an entry distribution: the tests' power against the same-std
    #: alternative shape they are weakest against (`rnninit.audit.power`).
    power: Power | None = None

    @property
    def expected_init(self) -> str | None:
        """The expected init as shown: with the rule that chose it, if any."""
        if self.init is None:
            return None
        return f"{self.init} ({self.rule})" if self.rule else self.init

    @property
    def label(self) -> str:
        if self.fused:
            return f"{self.role}[*]"
        return f"{self.role}[{self.gate}]" if self.gate else self.role

    @property
    def failed(self) -> list[Test]:
        return [t for t in self.tests if t.passed is False]

    @property
    def verdict(self) -> str:
        if self.failed:
            return "FAIL"
        return "ok" if self.init is not None else "not in spec"

    @property
    def min_p(self) -> float | None:
        ps = [t.p_value for t in self.tests if t.p_value is not None]
        return min(ps) if ps else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "cell": self.cell,
            "path": self.path,
            "layer": self.layer,
            "direction": self.direction,
            "role": self.role,
            "gate": self.gate,
            "fused": self.fused,
            "tensors": list(self.tensors),
            "shape": list(self.shape),
            "init": self.init,
            "init_explicit": self.init_explicit,
            "rule": self.rule,
            "verdict": self.verdict,
            "observed": _clean(self.observed),
            "expected": _clean(self.expected),
            "sample_size": self.sample_size,
            "power": None if self.power is None else self.power.to_dict(),
            "tests": [t.to_dict() for t in self.tests],
        }


@dataclass
class Finding:
    """Something wrong, named by tensor, cell (layer/direction), role and gate.

    ``str(finding)`` is one line that says what was expected and what was found.

    Examples:
        >>> import torch, rnninit as ri, rnninit.torch as rt
        >>> lstm = torch.nn.LSTM(8, 16)
        >>> _ = rt.apply("hh=orthogonal", lstm, seed=0)
        >>> finding = ri.audit(lstm, "hh=normal(std=0.1)").findings[0]
        >>> finding.tensors, finding.role, finding.gate
        (('weight_hh_l0',), 'hh', 'i')
    """

    kind: str
    message: str
    tensors: tuple[str, ...] = ()
    cell: str = ""
    role: str | None = None
    gate: str | None = None
    expected: str = ""
    found: str = ""

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "message": self.message,
            "tensors": list(self.tensors),
            "cell": self.cell,
            "role": self.role,
            "gate": self.gate,
            "expected": self.expected,
            "found": self.found,
        }


@dataclass(repr=False)
class AuditReport:
    """What `rnninit.audit` found. ``ok`` is True when there are no findings.

    Printing the report shows one table row per block; ``to_dict`` gives it as plain data.

    Attributes:
        spec: The spec checked against.
        framework: The model's framework.
        rows: One `BlockRow` per block.
        findings: One `Finding` per problem (empty when ``ok``).
        alpha: The family-wise false-positive rate.
        tests: The number of statistical tests run.
        threshold: The per-test significance level, ``alpha / tests`` (Bonferroni).
        notes: What the audit assumed or left out.
        limits: What it could not establish although every test passed (blocks too small to
            tell the expected shape from a normal or uniform of the same mean and std).

    Examples:
        >>> import torch, rnninit as ri
        >>> report = ri.audit(torch.nn.LSTM(8, 16), "pytorch_default")
        >>> report.ok, len(report.rows), report.tests, report.findings
        (True, 12, 12, [])
    """

    spec: str
    framework: str
    rows: list[BlockRow]
    findings: list[Finding]
    alpha: float
    tests: int
    #: Per-test significance level: ``alpha / tests`` (Bonferroni).
    threshold: float
    notes: list[str] = field(default_factory=list)
    #: What the audit could not establish although every test passed: blocks too small for the
    #: distribution tests to tell the expected shape from a normal or uniform of the same mean and std.
    limits: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def __bool__(self) -> bool:
        return self.ok

    def summary(self) -> str:
        checked = sum(r.init is not None for r in self.rows)
        head = "OK" if self.ok else f"{len(self.findings)} finding(s)"
        return (
            f"audit {head}: {checked} of {len(self.rows)} blocks checked against '{self.spec}' "
            f"({self.tests} statistical tests, family-wise false-positive rate ≤ {self.alpha:g})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "spec": self.spec,
            "framework": self.framework,
            "alpha": self.alpha,
            "tests": self.tests,
            "threshold": self.threshold,
            "notes": list(self.notes),
            "limits": list(self.limits),
            "findings": [f.to_dict() for f in self.findings],
            "blocks": [r.to_dict() for r in self.rows],
        }

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    def _cells(self, row: BlockRow) -> list[str]:
        o, e = row.observed, row.expected
        return [
            row.cell,
            row.label,
            ", ".join(row.tensors),
            "×".join(map(str, row.shape)),
            row.expected_init or "—",
            _pair(e.get("mean"), o.get("mean")),
            _pair(e.get("std"), o.get("std")),
            f"[{_num(o.get('min'))}, {_num(o.get('max'))}]",
            _num(o.get("orthogonality_error")),
            _num(o.get("spectral_radius")),
            row.verdict,
        ]

    _HEADERS = (
        "cell",
        "block",
        "tensor",
        "shape",
        "expected init",
        "mean exp/obs",
        "std exp/obs",
        "range",
        "orth. err",
        "spec. radius",
        "verdict",
    )

    def to_table(self):
        """A `rich.table.Table` (print it with ``rich.print`` or ``Console().print``)."""
        from rich.markup import escape
        from rich.table import Table

        caption = "\n".join([*self.notes, *self.limits])
        table = Table(title=escape(self.summary()), caption=escape(caption) or None)
        for header in self._HEADERS:
            table.add_column(escape(header))
        for row in self.rows:
            style = "red" if row.verdict == "FAIL" else ("dim" if row.init is None else None)
            table.add_row(*(escape(c) for c in self._cells(row)), style=style)
        return table

    def to_text(self, width: int = 200) -> str:
        """The table and the findings as plain text."""
        from rich.console import Console

        console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
        console.print(self.to_table())
        lines = [console.export_text().rstrip()]
        lines += [f"- {f.message}" for f in self.findings]
        return "\n".join(lines)

    def to_markdown(self) -> str:
        lines = [f"**{self.summary()}**", ""]
        lines += [f"> {note}" for note in [*self.notes, *self.limits]]
        if self.notes or self.limits:
            lines.append("")
        lines.append("| " + " | ".join(self._HEADERS) + " |")
        lines.append("|" + "---|" * len(self._HEADERS))
        for row in self.rows:
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in self._cells(row)) + " |")
        if self.findings:
            lines += ["", "Findings:", ""]
            lines += [f"- {f.message}" for f in self.findings]
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return (
            f"AuditReport(ok={self.ok}, findings={len(self.findings)}, blocks={len(self.rows)}, "
            f"tests={self.tests}, alpha={self.alpha:g})"
        )


def _num(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{x:.3g}"


def _pair(expected: float | None, observed: float | None) -> str:
    return f"{_num(expected)} / {_num(observed)}"


def _clean(d: dict[str, float]) -> dict[str, float | None]:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()}

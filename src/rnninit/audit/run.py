"""``rnninit.audit(model, spec)``: is every weight block what the spec says?

The audit walks the same layouts as ``apply``: for every cell (layer, direction) it resolves the
spec against the cell kind, builds each block exactly as `rnninit.plan.make_plan` does
(fused inits over the stacked gates), reads the block's *effective* value (the sum over redundant
storage) and checks it (`rnninit.audit.checks`). All statistical tests of one audit share a
Bonferroni correction, so a correctly initialized model is flagged with probability at most
``alpha`` (default 1e-3). Findings that need no spec (NaN/Inf, blocks with identical values, zeros
where random values were expected, a module still at its framework's default) come on top.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from rnninit.arguments import check_integer
from rnninit.audit.backends import Backend, backend_for
from rnninit.audit.checks import (
    FLOAT32_ROUNDOFF,
    MAX_SAMPLE,
    Context,
    Test,
    check_block,
    observe,
    unit_roundoff,
)
from rnninit.audit.layouts import audited_layout, cell_tensors, cell_values
from rnninit.audit.power import TARGET_POWER, shape_power
from rnninit.audit.report import AuditReport, BlockRow, Finding
from rnninit.errors import SpecError
from rnninit.inits import Block, Init
from rnninit.inits.distributions import Dist
from rnninit.inits.properties import ChronoGate
from rnninit.layout.kinds import CellKind
from rnninit.layout.storage import CellLayout
from rnninit.seeding import block_rng
from rnninit.spec import Resolved, Spec, SpecLike, format_key
from rnninit.walk import Visit, walk_cell

#: Seed of the streams that pick subsamples of large blocks (fixed, so audits are reproducible).
SUBSAMPLE_SEED = 0x5EED_A0D1


@dataclass
class _Checked:
    row: BlockRow
    value_key: tuple | None  # fingerprint for the identical-values finding
    random: bool
    #: The entry distribution the block's statistical tests compare with (``None``: no such tests).
    dist: Dist | None = None


def audit(
    model: object,
    spec: SpecLike,
    roles: Mapping[str, str] | None = None,
    *,
    cell: str | CellKind | None = None,
    alpha: float = 1e-3,
    strict: bool = True,
    max_sample: int = MAX_SAMPLE,
) -> AuditReport:
    """Check every weight block of ``model`` (a torch module, a Keras layer/model, an nnx module or
    ``rnninit.flax.linen(model, variables, *inputs)``) against ``spec``.

    ``roles`` maps tensor names of a cell no layout knows to roles (``{"kernel_ih": "ih",
    "kernel_hh": "hh"}``; ``"ih[i,f,g,o]"`` for stacked gates, with ``cell=`` the cell kind when
    the gates do not tell). Without ``roles`` such a cell's roles are inferred from conventional
    names (``weight_ih``, ``kernel`` -> ih; ``weight_hh``, ``recurrent_kernel`` -> hh; ``bias``), and
    the report's ``notes`` say so.

    ``alpha`` is the family-wise false-positive rate of the whole audit; blocks larger than
    ``max_sample`` entries are tested on a random subsample of that size (range, NaN and exact
    checks always see every entry).

    Args:
        model: The model to check, in any framework rnninit reads.
        spec: What each block should have got: a `Spec`, a spec string, a preset name or a dict.
        roles: Tensor name -> role declaration, for a cell no layout knows.
        cell: The cell kind of such a cell, when its declared gates do not tell.
        alpha: The family-wise false-positive rate of the whole audit, in ``(0, 1)``.
        strict: If true, a parameter of a recognized cell that no layout explains is an error; if
            false, it is left out and named in the notes.
        max_sample: The largest number of entries per block the distribution tests see (an
            integer >= 1).

    Returns:
        The report: one row per block, the findings (empty when ``ok``), notes and limits.
        Printing it shows a table.

    Raises:
        SpecError: The spec is malformed or does not fit the model's cells, ``alpha`` is not
            in ``(0, 1)``, or ``max_sample`` is not an integer >= 1.
        LayoutError: ``model`` is not a model rnninit reads, holds no recurrent cell it knows,
            or has an unexplained parameter (with ``strict``).

    Examples:
        >>> import torch, rnninit as ri, rnninit.torch as rt
        >>> ri.audit(torch.nn.LSTM(8, 16), "pytorch_default").ok
        True
        >>> lstm = torch.nn.LSTM(8, 16)
        >>> _ = rt.apply("hh=orthogonal", lstm, seed=0)
        >>> report = ri.audit(lstm, "hh=normal(std=0.1)")
        >>> report.ok, report.findings[0].tensors
        (False, ('weight_hh_l0',))
    """
    if not 0 < alpha < 1:
        raise SpecError(f"alpha must be in (0, 1), got {alpha!r}")
    # 0 would run no distribution test at all (a model far off its spec would pass): 1 is the least
    # that tests every block.
    max_sample = check_integer(max_sample, "max_sample", error=SpecError, minimum=1)
    spec = Spec.coerce(spec)
    backend = backend_for(model)
    layout, notes = audited_layout(backend, model, roles, cell, strict)
    checked: list[_Checked] = []
    findings: list[Finding] = []
    values_by_cell: dict[int, dict[tuple[str, str | None], np.ndarray]] = {}
    resolved_per_cell = spec.resolve_for([c.kind for c in layout.cells])
    for index, (cell_layout, resolved) in enumerate(zip(layout.cells, resolved_per_cell, strict=True)):
        values = cell_values(backend, model, cell_layout)
        checked += _audit_cell(
            cell_layout, resolved, values, max_sample, _roundoff(backend, model, cell_layout)
        )
        values_by_cell[index] = values if len(layout.cells) <= 1 else {}
        del values
    rows = [c.row for c in checked]
    m = sum(t.statistical for r in rows for t in r.tests)
    threshold = alpha / max(m, 1)
    for row in rows:
        for test in row.tests:
            if test.p_value is not None:  # a statistical test
                test.passed = test.p_value >= threshold
    for c in checked:
        if c.dist is not None and c.row.sample_size:
            c.row.power = shape_power(c.dist, int(np.prod(c.row.shape)), threshold, max_sample)
    # the likeliest root cause first: a module apply never reached
    findings += _default_findings(backend, model, layout, spec, rows, alpha, max_sample)
    findings += _mismatch_findings(checked, threshold)
    findings += _duplicate_findings(checked)
    limits = _power_limits(rows, threshold)
    return AuditReport(str(spec), backend.name, rows, findings, alpha, m, threshold, notes, limits)


def _roundoff(backend: Backend, model, cell: CellLayout) -> float:
    """The coarsest unit roundoff among the cell's tensors (exact checks allow for it)."""
    dtypes = backend.dtypes(model, cell_tensors(cell)).values()
    return max((unit_roundoff(d) for d in dtypes), default=FLOAT32_ROUNDOFF)


def _rng(cell: CellLayout, role: str, gate: str | None) -> np.random.Generator:
    return block_rng(SUBSAMPLE_SEED, cell.path, cell.layer, cell.direction, role, gate)


def _row(visit: Visit, init_known: bool = True) -> BlockRow:
    cell, init = visit.cell, visit.init if init_known else None
    return BlockRow(
        cell=cell.name,
        path=cell.path,
        layer=cell.layer,
        direction=cell.direction,
        role=visit.role,
        gate=visit.gate,
        tensors=visit.tensors,
        shape=visit.shape,
        init=None if init is None else str(init),
        init_explicit=None if init is None else init.explicit(),
        fused=visit.fused,
        rule=visit.rule if init is not None else None,
    )


def _fingerprint(value: np.ndarray) -> tuple | None:
    """Shape plus the values at up to 4096 fixed positions, for a block that looks random there
    (finite, and at least half of those values distinct); ``None`` otherwise.

    Two blocks of independent random values never agree there; copies always do. Structured
    values (an identity, a constant) legitimately repeat, so they get no fingerprint."""
    flat = value.reshape(-1)
    if flat.size < 2:
        return None
    positions = np.random.default_rng(0).choice(flat.size, min(flat.size, 4096), replace=False)
    picked = flat[np.sort(positions)]
    if not np.isfinite(picked).all() or np.unique(picked).size * 2 < picked.size:
        return None
    return (value.shape, picked.tobytes())


def _audit_cell(
    cell: CellLayout, resolved: Resolved, values, max_sample: int, roundoff: float = FLOAT32_ROUNDOFF
) -> list[_Checked]:
    """Check every block of one cell, on the walk the plan takes (`rnninit.walk.walk_cell`)."""
    out: list[_Checked] = []
    for visit in walk_cell(cell, resolved):
        value = visit.join(values)
        if visit.init is None:
            row = _row(visit)
            row.observed = observe(value, gram=False)
            row.tests = _nan_check(value)
            out.append(_Checked(row, _fingerprint(value), False))
            continue
        block = visit.block()
        forget_value = None
        exact = visit.init.exact_property(block)
        if isinstance(exact, ChronoGate) and exact.negates is not None:  # b_i = -b_f, if one chrono drew both
            if resolved.lookup(visit.role, exact.negates)[0] == visit.init:
                forget_value = values[(visit.role, exact.negates)]
        ctx = Context(_rng(cell, visit.role, visit.gate), max_sample, forget_value, roundoff)
        out.append(_check(visit, visit.init, block, value, ctx))
    return out


def _nan_check(value: np.ndarray) -> list[Test]:
    flat = value.reshape(-1)
    finite = np.isfinite(flat)
    if finite.all():
        return []
    return [Test("finite", "finite values", f"{int(flat.size - finite.sum())} NaN/Inf", passed=False)]


def _check(visit: Visit, init: Init, block: Block, value: np.ndarray, ctx: Context) -> _Checked:
    row = _row(visit)
    result = check_block(init, block, value, ctx)
    row.observed, row.expected, row.tests, row.sample_size = (
        result.observed,
        result.expected,
        result.tests,
        result.sample_size,
    )
    # the blocks checked against an entry distribution (chrono's and structured checks are not)
    dist = init.entry_distribution(block) if any(t.name == "KS" for t in result.tests) else None
    return _Checked(row, _fingerprint(value) if result.random else None, result.random, dist)


def _power_limits(rows: list[BlockRow], threshold: float) -> list[str]:
    """One line per role (and size) whose blocks are too small for the distribution tests to tell the
    expected distribution from another shape with the same mean and std (`rnninit.audit.power`)."""
    groups: dict[tuple, list[BlockRow]] = {}
    for row in rows:
        if row.power is not None and row.power.too_small:
            key = (
                row.cell,
                row.role,
                row.init,
                int(np.prod(row.shape)),
                row.power.alternative,
                row.power.needed,
            )
            groups.setdefault(key, []).append(row)
    lines = []
    for (cell, role, init, entries, alternative, needed), members in groups.items():
        gates = [r.gate for r in members if r.gate is not None]
        where = f"{role}[{','.join(gates)}]" if gates else (f"{role}[*]" if members[0].fused else role)
        worst = min(r.power.power for r in members if r.power is not None)
        reach = f"{needed} entries would" if needed is not None else "no block size would"
        lines.append(
            f"too small to tell the shape: {where} of {cell} ({entries} entries"
            f"{' each' if len(members) > 1 else ''}): the tests tell {init} from a {alternative} of the same "
            f"mean and std with probability ≥ {worst:.2g} at the per-test level {threshold:.2g}; "
            f"{reach} give {TARGET_POWER:.0%}"
        )
    return lines


def _what(row: BlockRow) -> str:
    where = row.cell
    block = row.role + " (fused)" if row.fused else format_key((row.role, row.gate))
    return f"{', '.join(row.tensors)} ({block} of {where})"


def _mismatch_findings(checked: list[_Checked], threshold: float) -> list[Finding]:
    findings = []
    for c in checked:
        row = c.row
        failed = row.failed
        if not failed:
            continue
        names = {t.name for t in failed}
        obs, exp = row.observed, row.expected
        if "finite" in names:
            kind, expected, found = "nan", "finite values", failed[0].found
            message = f"{_what(row)}: {found}"
        elif c.random and obs.get("min") == 0 and obs.get("max") == 0:
            kind, expected, found = "zeros", f"random values from {row.init}", "all zeros"
            message = f"{_what(row)}: all zeros where {row.init_explicit} should give random values"
        else:
            kind = "mismatch"
            parts = []
            if "std" in exp and "std" in obs and names & {"std", "KS", "range", "exact"}:
                parts.append(f"expected std {_g(exp['std'])}, found {_g(obs['std'])}")
            if "mean" in exp and "mean" in obs and names & {"mean", "exact"}:
                parts.append(f"expected mean {_g(exp['mean'])}, found {_g(obs['mean'])}")
            for t in failed:
                if t.name == "KS":
                    parts.append(f"values do not follow {t.expected} (KS {t.found})")
                elif t.name not in ("std", "mean"):
                    parts.append(f"expected {t.expected}, found {t.found}")
            pvals = [f"{t.name} p={t.p_value:.2g}" for t in failed if t.p_value is not None]
            expected = "; ".join(t.expected for t in failed)
            found = "; ".join(t.found for t in failed)
            message = f"{_what(row)} should be {row.init_explicit}: " + "; ".join(dict.fromkeys(parts))
            if pvals:
                message += f" ({', '.join(pvals)}; per-test level {threshold:.2g})"
        findings.append(Finding(kind, message, row.tensors, row.cell, row.role, row.gate, expected, found))
    return findings


def _g(x: float) -> str:
    """Two significant digits, keeping a '.0' on whole numbers (``1.0``, ``0.5``, ``0.14``)."""
    text = f"{x:.2g}"
    return text if any(c in text for c in ".en") else text + ".0"


def _duplicate_findings(checked: list[_Checked]) -> list[Finding]:
    """Blocks with identical values, one finding per set of tensors involved."""
    groups: dict[tuple, list[BlockRow]] = {}
    for c in checked:
        if c.value_key is not None:
            groups.setdefault(c.value_key, []).append(c.row)
    by_tensors: dict[tuple[str, ...], list[list[BlockRow]]] = {}
    for rows in groups.values():
        if len(rows) > 1:
            tensors = tuple(dict.fromkeys(t for r in rows for t in r.tensors))
            by_tensors.setdefault(tensors, []).append(rows)
    findings = []
    for tensors, sets in by_tensors.items():
        described = "; ".join(" = ".join(f"{r.label} of {r.cell}" for r in rows) for rows in sets)
        first = sets[0][0]
        findings.append(
            Finding(
                "duplicate",
                f"identical values in {' and '.join(tensors)} ({described}): a shared or reused random "
                "stream (e.g. one unseeded Keras initializer object used for several weights)",
                tensors,
                first.cell,
                first.role,
                first.gate,
                "independent random values",
                "identical values",
            )
        )
    return findings


def _default_findings(backend, model, layout, spec, rows, alpha, max_sample) -> list[Finding]:
    """For each module with failures: do its failing cells pass its framework's default instead?

    Only the failing cells tell: in a module that mixes kinds (a Keras stack of minimal cells and an
    LSTM cell), a cell the spec gives what the default would give looks default although apply ran."""
    failing = {(r.path, r.layer, r.direction) for r in rows if r.failed and r.init is not None}
    if not failing or backend.default_preset is None:
        return []
    default = Spec.parse(backend.default_preset)
    if default == spec:
        return []
    findings = []
    for path in dict.fromkeys(c.path for c in layout.cells if (c.path, c.layer, c.direction) in failing):
        cells = [c for c in layout.cells if (c.path, c.layer, c.direction) in failing and c.path == path]
        if not all(_looks_default(backend, model, cell, default, alpha, max_sample) for cell in cells):
            continue
        name = path or "<model>"
        findings.append(
            Finding(
                "default",
                f"{name} still looks exactly like {backend.name}'s default initialization "
                f"({backend.default_preset}), although the spec says otherwise: apply was probably never "
                "called on this module",
                tuple(t for c in layout.cells if c.path == path for t in cell_tensors(c)),
                name,
                expected=str(spec),
                found=backend.default_preset,
            )
        )
    return findings


def _looks_default(
    backend: Backend, model, cell: CellLayout, default: Spec, alpha: float, max_sample: int
) -> bool:
    """Whether ``cell`` passes the framework's default spec (its own tests, Bonferroni-corrected)."""
    try:
        resolved = default.resolve(cell.kind)
    except SpecError:
        return False
    values = cell_values(backend, model, cell)
    roundoff = _roundoff(backend, model, cell)
    tests = [t for c in _audit_cell(cell, resolved, values, max_sample, roundoff) for t in c.row.tests]
    m = max(sum(t.statistical for t in tests), 1)
    return bool(tests) and all(t.p_value >= alpha / m if t.p_value is not None else t.passed for t in tests)


__all__ = ["audit"]

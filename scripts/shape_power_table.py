"""Print the table of docs/audit.md "Too small to tell": entries a block needs before the audit's
tests tell its expected shape from another with the same mean and std (a normal, a uniform, a
truncated normal), with 99% power.

    PYTHONPATH=src python scripts/shape_power_table.py

The numbers come from :mod:`rnninit.audit.power` (a lower bound on the power, so they are upper
bounds on the entries needed); ``tests/audit/test_audit_power.py`` checks that the doc shows this output.
"""

from __future__ import annotations

from scipy import stats

from rnninit.audit.checks import MAX_SAMPLE
from rnninit.audit.distributions import Dist, normal, triangular, uniform
from rnninit.audit.power import TARGET_POWER, entries_needed, like

SHAPES = [
    ("normal (`normal`, `glorot_normal`, `he_normal`, `lecun_normal`)", normal("normal", 0.0, 1.0)),
    (
        "uniform (`uniform`, `glorot_uniform`, ..., `torch_default` on a matrix)",
        uniform("uniform", -1.0, 1.0),
    ),
    ("triangular (`torch_default`'s effective bias, two terms)", triangular("triangular", 1.0)),
    (
        "truncated normal (`truncated_normal`)",
        Dist.from_scipy("truncated normal", stats.truncnorm(-2.0, 2.0)),
    ),
]
ALTERNATIVES = [
    (label.split(" (")[0], dist) for label, dist in SHAPES if label.startswith(("normal", "uniform", "trunc"))
]
#: A lone test at describe's acceptance level; the per-test level of an audit of 100 tests at alpha 1e-3.
LEVELS = (1e-3, 1e-5)


def table() -> str:
    lines = [
        "| expected shape | alternative (same mean and std) | "
        + " | ".join(f"entries needed, level {level:g}" for level in LEVELS)
        + " |",
        "|---|---|" + "---|" * len(LEVELS),
    ]
    for label, dist in SHAPES:
        for name, shape in ALTERNATIVES:
            if shape.label == dist.label:
                continue
            alt = like(shape, dist)
            needed = [entries_needed(dist, alt, level, MAX_SAMPLE) for level in LEVELS]
            lines.append(
                f"| {label} | {name} | " + " | ".join("never" if n is None else str(n) for n in needed) + " |"
            )
    return (
        "\n".join(lines)
        + f"\n\n(power ≥ {TARGET_POWER:.0%}; a block's entries, at most {MAX_SAMPLE} of them for KS)\n"
    )


if __name__ == "__main__":
    print(table(), end="")

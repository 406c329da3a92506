"""Print the Markdown result tables of docs/experiments.md from the summary.json that
`rnninit run ... --out DIR` writes: `python docs/experiments/tables.py DIR [DIR ...]`."""

import json
import sys
from pathlib import Path


def fmt(value):
    if value is None:
        return "—"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


for directory in sys.argv[1:]:
    summary = json.loads(Path(directory, "summary.json").read_text())
    print(
        f"`{directory}` — {summary['runs']} runs: {summary['completed']} completed, "
        f"{summary['diverged']} diverged, {summary['failed']} failed\n"
    )
    print(
        "| experiment | label | final metric (mean over seeds) | baseline | solved | median steps to solve |"
    )
    print("|---|---|---|---|---|---|")
    for label, m in summary["models"].items():
        print(
            f"| {m['experiment']} | {label} | {m['metric']} {fmt(m['final_metric'])} | {fmt(m['baseline'])} | "
            f"{m['solved']}/{m['of']} | {fmt(m['median_steps_to_solve'])} |"
        )
    print()

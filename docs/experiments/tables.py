"""Print the Markdown result tables of docs/experiments.md from the summary.json that
`rnninit run ... --out DIR` writes: `python docs/experiments/tables.py DIR [DIR ...]`.

With `--runs`, also print one row per run from DIR/runs/*.json (its learning curve): the eval metric
at the start and at the end, both relative to the task's baseline, the best point of the curve, and
the first evaluation at least 5% below the baseline (for metrics where lower is better). With
`--at 10000,50000` (implies `--runs`), also a table of each run's eval metric at those steps. With
`--ratio REFERENCE,OTHER` (two labels of the same experiment), also how many times lower OTHER's final
metric is than REFERENCE's and than the task's baseline: per seed, and for the means over seeds."""

import json
import sys
from pathlib import Path

#: "Clearly below the baseline": the eval metric under this fraction of it.
BELOW = 0.95


def fmt(value):
    if value is None:
        return "—"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def summary_table(directory):
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
        final = f"{m['metric']} {fmt(m['final_metric'])}"
        print(
            f"| {m['experiment']} | {label} | {final} | {fmt(m['baseline'])} | "
            f"{m['solved']}/{m['of']} | {fmt(m['median_steps_to_solve'])} |"
        )
    print()
    return summary


def runs_table(directory, summary):
    records = [json.loads(path.read_text()) for path in sorted(Path(directory, "runs").glob("*.json"))]
    records.sort(key=lambda r: (list(summary["models"]).index(r["run"]["label"]), r["run"]["seed"]))
    print(
        "| label | seed | status | eval at step 0 (× baseline) | final eval (× baseline) "
        f"| best eval (× baseline), at step | first step ≤ {BELOW} × baseline | wall s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for record in records:
        run, result = record["run"], record["result"]
        baseline = summary["models"][run["label"]]["baseline"]
        curve = [(step, value) for step, value, _ in result["curve"] if value is not None]
        best_step, best = min(curve, key=lambda point: point[1])
        first = next((step for step, value in curve if value <= BELOW * baseline), None)
        final, start = result["final_metric"], curve[0][1]
        final_text = "—" if final is None else f"{fmt(final)} ({final / baseline:.3f})"
        print(
            f"| {run['label']} | {run['seed']} | {result['status']} | "
            f"{fmt(start)} ({start / baseline:.3f}) | {final_text} | "
            f"{fmt(best)} ({best / baseline:.3f}), {best_step} | {fmt(first)} | {result['wall_s']:.0f} |"
        )
    print()


def checkpoints_table(directory, summary, steps):
    records = [json.loads(path.read_text()) for path in sorted(Path(directory, "runs").glob("*.json"))]
    records.sort(key=lambda r: (list(summary["models"]).index(r["run"]["label"]), r["run"]["seed"]))
    print("| label | seed | " + " | ".join(f"step {step}" for step in steps) + " |")
    print("|---|---|" + "---|" * len(steps))
    for record in records:
        run, result = record["run"], record["result"]
        at = {step: value for step, value, _ in result["curve"]}
        print(f"| {run['label']} | {run['seed']} | " + " | ".join(fmt(at.get(step)) for step in steps) + " |")
    print()


def ratio_table(directory, summary, reference, other):
    finals = {}
    for path in Path(directory, "runs").glob("*.json"):
        record = json.loads(path.read_text())
        finals[(record["run"]["label"], record["run"]["seed"])] = record["result"]["final_metric"]
    for label in (reference, other):
        if label not in summary["models"]:
            sys.exit(f"--ratio: no label {label!r} in {directory}; labels: {', '.join(summary['models'])}")
    baseline = summary["models"][other]["baseline"]
    seeds = sorted(seed for label, seed in finals if label == other)
    print(f"| seed | {reference} | {other} | {reference} / {other} | baseline / {other} |")
    print("|---|---|---|---|---|")

    def row(name, ref, value):
        if ref is None or value is None:  # a diverged run has no final metric
            print(f"| {name} | {fmt(ref)} | {fmt(value)} | — | — |")
        else:
            print(f"| {name} | {fmt(ref)} | {fmt(value)} | {ref / value:.3g} | {baseline / value:.3g} |")

    for seed in seeds:
        row(seed, finals.get((reference, seed)), finals[(other, seed)])
    row("mean", summary["models"][reference]["final_metric"], summary["models"][other]["final_metric"])
    print()


args = sys.argv[1:]
ratio = None
if "--ratio" in args:
    where = args.index("--ratio")
    ratio = args[where + 1].split(",")
    del args[where : where + 2]
steps = []
if "--at" in args:
    where = args.index("--at")
    steps = [int(step) for step in args[where + 1].split(",")]
    del args[where : where + 2]
runs = "--runs" in args or bool(steps)
for directory in [arg for arg in args if arg != "--runs"]:
    summary = summary_table(directory)
    if runs:
        runs_table(directory, summary)
    if steps:
        checkpoints_table(directory, summary, steps)
    if ratio:
        ratio_table(directory, summary, *ratio)

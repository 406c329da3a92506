"""``rnninit run [CONFIG] --out DIR [--workers N] [--executor local|ray [--address ADDR]] [--mlflow [URI]]
[--json]``: train models x seeds on a task, store every run crash-safely in DIR, and write DIR/report.html.

Without CONFIG the embedded default experiment runs (``rnninit/experiments/default.yaml``: the
adding problem under several initializations, a few minutes on 2 cores). Rerunning the same command
reuses every finished run. With ``--json`` the last line printed is a JSON summary. With ``--mlflow``
every run is also logged to MLflow (`rnninit.experiments.tracking`; default store DIR/mlflow.db).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


def register(sub: argparse._SubParsersAction) -> None:
    from rnninit.experiments.executor import EXECUTORS

    p = sub.add_parser("run", help="train cells on long-memory tasks under several inits; report")
    p.add_argument("config", nargs="?", help="experiment YAML file (default: the embedded demo experiment)")
    p.add_argument("--out", required=True, help="results directory (reused on rerun)")
    p.add_argument(
        "--workers",
        type=int,
        default=max(1, min(2, os.cpu_count() or 1)),
        help="parallel local processes (default: min(2, CPUs))",
    )
    p.add_argument(
        "--executor",
        choices=sorted(EXECUTORS),
        default="local",
        help="where runs execute: local processes, or Ray tasks (pip install 'rnninit[ray]'; docs/ray.md)",
    )
    p.add_argument(
        "--address",
        help="with --executor ray: the Ray cluster to use ('auto', HOST:6379 or "
        "ray://HOST:10001; default $RAY_ADDRESS, else a local Ray instance with --workers CPUs)",
    )
    p.add_argument(
        "--mlflow",
        nargs="?",
        const="",
        default=None,
        metavar="URI",
        help="also log every run to MLflow (pip install 'rnninit[mlflow]'): an experiment named after the "
        "sweep, one run per training run under a parent run with the report and summary; URI is an MLflow "
        "tracking URI (default: sqlite:///DIR/mlflow.db). Put it after CONFIG",
    )
    p.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rnninit.errors import ConfigError
    from rnninit.experiments.config import load_experiment
    from rnninit.experiments.executor import make_executor
    from rnninit.experiments.report import write_report
    from rnninit.experiments.runner import run_experiment
    from rnninit.experiments.store import check_root

    if args.mlflow and args.config is None and args.mlflow.endswith((".yaml", ".yml")):
        raise ConfigError(
            f"--mlflow took {args.mlflow!r} as its tracking URI; put CONFIG before --mlflow "
            f"(rnninit run {args.mlflow} --out {args.out} --mlflow)"
        )
    sweep = load_experiment(args.config)  # validated completely before anything runs
    # a file, an unwritable place or someone else's directory: refused before any run
    check_root(args.out, name="out")
    options = {"workers": args.workers}
    if args.address is not None:
        if args.executor != "ray":
            raise ConfigError(f"--address is for --executor ray, not --executor {args.executor}")
        options["address"] = args.address
    tracker = None
    if args.mlflow is not None:  # before any training: a missing MLflow or a bad URI fails fast
        from rnninit.experiments.tracking import MlflowLogger

        tracker = MlflowLogger(args.mlflow or None, args.out, sweep, config=args.config)
    executor = make_executor(args.executor, **options)
    console = Console(stderr=True)
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("elapsed"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[last]}"),
        console=console,
        transient=False,
    )
    bar = None

    # names and labels come from the user's file: text, never Rich markup
    def on_start(to_run: int, reused: int) -> None:
        nonlocal bar
        console.print(
            escape(
                f"{sweep.name}: {len(sweep.runs)} runs, {reused} reused from {args.out}, "
                f"{to_run} to run on "
                + (
                    f"the Ray cluster at {args.address}"
                    if args.address
                    else f"{args.workers} {args.executor} worker(s)"
                )
            )
        )
        bar = progress.add_task(escape(sweep.name), total=to_run, last="")

    def on_result(record: dict) -> None:
        result = record["result"]
        metric = result.get("final_metric")
        text = f"{record['run']['label']} seed {record['run']['seed']}: {result['status']}"
        if metric is not None:
            text += f" ({metric:.4g})"
        if bar is None:  # the runner calls on_start before any result
            raise RuntimeError("a run finished before the sweep started")
        progress.update(bar, advance=1, last=escape(text))
        if tracker is not None:
            tracker.log(record)

    def on_wait(holder: str) -> None:
        console.print(
            escape(f"{args.out} is in use by another rnninit run ({holder}); waiting for it to finish")
        )

    try:
        with progress:
            outcome = run_experiment(
                sweep, args.out, executor, on_start=on_start, on_result=on_result, on_wait=on_wait
            )
        path = write_report(outcome, args.out)
        if tracker is not None:
            tracker.finish(outcome, path, Path(args.out, "summary.json"))
    except BaseException:
        if tracker is not None:
            tracker.close()
        raise
    summary = outcome.summary()
    console.print(escape(f"report: {path}"))
    if tracker is not None:
        console.print(
            escape(
                f"mlflow: experiment {sweep.name!r} at {tracker.uri}: {tracker.logged_now} run(s) logged "
                f"now, {len(tracker.logged)} in all"
            )
        )
    for label, s in summary["models"].items():
        final = "—" if s["final_metric"] is None else format(s["final_metric"], ".4g")
        line = f"  {label:<24} final {s['metric']} {final:>8}  solved {s['solved']}/{s['of']}"
        console.print(escape(line + (f"  diverged {s['diverged']}" if s["diverged"] else "")))
    if args.json:
        sys.stdout.flush()
        print(json.dumps(summary))
    return 0

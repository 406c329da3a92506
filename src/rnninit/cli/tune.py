"""``rnninit tune FAMILY --cell KIND --hidden H --T T [--input normal|uniform|zeros] [--input-size N]
[--batch B] [--seed S] [--json] [--plot FILE]``: fill a spec family's free arguments (``?``) from the
cell's dynamics at initialization. With ``--json`` the last line is one JSON object: ``spec`` (the
chosen spec, a string ``Spec.parse`` accepts), ``values``, ``objective``, ``terms``, ``diagnostics``
and the search ``trace``."""

from __future__ import annotations

import argparse
import json
import sys

from rich.markup import escape
from rich.table import Table

from rnninit.cli.console import stdout_console
from rnninit.named_cells import cell_names
from rnninit.outputs import PLOT_SUFFIXES, check_output_file
from rnninit.seeding import check_seed


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "tune",
        help="fill in a spec family's free arguments ('?') from the dynamics at initialization",
        description=(
            "Choose the free arguments of FAMILY (a spec with '?', e.g. "
            '"ih=normal(std=1.0) hh=normal(std=?)") '
            "so that the cell, at initialization, passes gradients through T steps of the input without "
            "vanishing or exploding and keeps its units out of saturation (docs/tune.md)."
        ),
    )
    p.add_argument("family", help="a spec family: a spec with '?' or '?[low,high]', or a .yaml/.json file")
    p.add_argument("--cell", required=True, help=f"cell: {', '.join(cell_names('step'))}")
    p.add_argument("--hidden", type=int, required=True, help="hidden size")
    p.add_argument(
        "--T", type=int, required=True, dest="steps", help="steps (the horizon to keep gradients over)"
    )
    p.add_argument(
        "--input",
        default="normal",
        choices=("normal", "uniform", "zeros"),
        help="input: normal N(0,1) (default), uniform U(-√3,√3), or zeros",
    )
    p.add_argument("--input-size", type=int, default=None, help="input size (default: the hidden size)")
    p.add_argument("--batch", type=int, default=None, help="sequences (default 1 for zeros, else 8)")
    p.add_argument("--seed", type=int, default=0, help="seed for the weights and the input (default 0)")
    p.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    p.add_argument(
        "--plot", default=None, metavar="FILE.png", help="write a plot of the search and the chosen point"
    )
    p.set_defaults(func=run)


def load_family(text: str):
    from rnninit.spec import SpecFamily

    if text.endswith((".yaml", ".yml", ".json")):
        return SpecFamily.load(text)
    return SpecFamily.parse(text)


def run(args: argparse.Namespace) -> int:
    from rnninit.errors import TuneError

    family = load_family(args.family)  # a bad family is reported before torch is even imported
    for flag, value in (("--hidden", args.hidden), ("--T", args.steps), ("--input-size", args.input_size)):
        if value is not None and value < 1:
            raise TuneError(f"{flag} must be a positive integer, got {value}")
    if args.batch is not None and args.batch < 1:
        raise TuneError(f"--batch must be a positive integer, got {args.batch}")
    check_seed(args.seed)
    names = cell_names("step")
    if args.cell not in names:
        from rnninit.errors import did_you_mean, one_of

        suggestion = did_you_mean(args.cell, names)
        raise TuneError(f"unknown cell '{args.cell}'{suggestion}; valid cells: {one_of(names)}")
    if args.plot is not None:  # before the search: a search is wasted if the plot cannot be written
        check_output_file(args.plot, "--plot", PLOT_SUFFIXES)
    from rnninit.tune import tune

    result = tune(
        family,
        cell=args.cell,
        hidden=args.hidden,
        T=args.steps,
        input=args.input,
        input_size=args.input_size,
        batch=args.batch,
        seed=args.seed,
    )
    if args.plot is not None:
        from rnninit.tune.plots import plot_tune

        plot_tune(result, args.plot)
    if args.json:
        sys.stdout.flush()
        print(json.dumps(result.to_dict()))
        return 0
    _print(result, args)
    return 0


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.4g}"


def _print(result, args: argparse.Namespace) -> None:
    console = stdout_console()
    table = Table(
        title=escape(
            f"tune {result.family} on {result.cell}, hidden={result.hidden_size}, T={result.steps}, "
            f"input={result.inputs} (size {result.input_size}), batch={result.batch}, seed={result.seed}"
        )
    )
    for column in ("free argument", "range", "chosen"):
        table.add_column(escape(column))
    for arg in result.family.free_arguments:
        scale = "log" if arg.log else "linear"
        table.add_row(
            escape(arg.name), escape(f"[{arg.low:g}, {arg.high:g}] {scale}"), _fmt(result.values[arg.name])
        )
    console.print(table)
    d = result.diagnosis
    horizon = (
        f"> {d.steps}" if d.memory_horizon is None else f"{d.memory_horizon} ({d.memory_horizon_reason})"
    )
    terms = ", ".join(f"{k} {_fmt(v)}" for k, v in result.terms.items())
    console.print(f"spec: {escape(str(result.spec))}")
    console.print(
        f"objective {_fmt(result.objective)} decades ({escape(terms)}); "
        f"‖∂s_T/∂s_0‖ = {_fmt(float(d.jacobian_norms[-1]))}, memory horizon {escape(horizon)}; "
        f"{len(result.trace)} points in {result.seconds:.1f} s"
    )
    for note in result.notes:
        console.print(f"[bold]warning[/bold]: {escape(note)}")
    if args.plot is not None:
        console.print(f"plot written to {escape(args.plot)}")

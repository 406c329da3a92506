"""``rnninit speed``: time rnninit's LSTM/GRU/Elman against torch.nn's, a user's declared cell, and apply.

Forward and backward milliseconds (medians after a warm-up), the ratio to the built-in (median and
range of per-repeat ratios, all candidates interleaved in one process), achieved GFLOP/s and the
fraction of the machine's measured matrix-multiply rate. ``--json`` prints the raw numbers.
"""

from __future__ import annotations

import argparse
import json
import sys

from rich.markup import escape
from rich.table import Table

# Only names here: building the parser must not import torch (rnninit.bench.suite does, in run()).
from rnninit.bench.options import BACKENDS, CELLS, DEVICES, DTYPE_NAMES, BenchError
from rnninit.cli.console import stdout_console


def _ints(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise BenchError(f"expected comma-separated integers, got {text!r}") from None
    return values


def _names(text: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in text.split(",") if v.strip())


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("speed", help="benchmark rnninit's cells against torch.nn's built-ins")
    p.add_argument("--quick", action="store_true", help="a few-second smoke run on tiny shapes")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.add_argument("--markdown", action="store_true", help="print Markdown tables (as in docs/speed.md)")
    p.add_argument("--cells", default=",".join(CELLS), help=f"comma-separated, of {', '.join(CELLS)}")
    p.add_argument("--steps", help="sequence lengths T (default 50,200)")
    p.add_argument("--batch", help="batch sizes B (default 16,64)")
    p.add_argument("--hidden", help="hidden sizes H = input sizes I (default 64,256,512)")
    p.add_argument(
        "--backends",
        default="auto",
        help=f"rnninit backends to time, comma-separated, of {', '.join(BACKENDS)} (default auto)",
    )
    p.add_argument("--dtype", default="float32", choices=DTYPE_NAMES)
    p.add_argument("--device", default="cpu", choices=DEVICES, help="cuda: against cuDNN (needs a GPU)")
    p.add_argument("--repeats", type=int, help="timed repeats per grid point (default 5; --quick 3)")
    p.add_argument("--warmup", type=int, help="untimed runs of every candidate first (default 1)")
    p.add_argument("--threads", type=int, help="torch threads (default: torch's own default)")
    p.add_argument(
        "--clock",
        default="wall",
        choices=("wall", "cpu"),
        help="wall time, or this process's CPU time (robust on a shared machine; needs --threads 1)",
    )
    p.add_argument("--no-grid", action="store_true", help="skip the grid (time only the user cell and apply)")
    p.add_argument("--no-user-cell", action="store_true", help="skip the user's declared cell")
    p.add_argument(
        "--apply-layers",
        type=int,
        help="layers of the nn.LSTM(1024, 1024) timed with apply/audit (default 12, ~100M parameters)",
    )
    p.set_defaults(func=run)


def config_from_args(args: argparse.Namespace):
    """The :class:`~rnninit.bench.suite.SpeedConfig` the command line asks for."""
    from rnninit.bench.suite import SpeedConfig

    overrides: dict = {
        "cells": _names(args.cells),
        "backends": _names(args.backends),
        "dtype": args.dtype,
        "device": args.device,
        "threads": args.threads,
        "clock": args.clock,
        "grid": not args.no_grid,
        "user_cell": not args.no_user_cell,
    }
    for name in ("steps", "batch", "hidden"):
        if getattr(args, name) is not None:
            overrides[name] = _ints(getattr(args, name))
    for name in ("repeats", "warmup", "apply_layers"):
        if getattr(args, name) is not None:
            overrides[name] = getattr(args, name)
    return SpeedConfig.quick(**overrides) if args.quick else SpeedConfig(**overrides)


def grid_table(rows: list[dict], title: str, baseline: str) -> Table:
    """One section per grid point; the shape is printed on its first row only."""
    table = Table(title=title)
    columns = ("cell", "T", "B", "H", "candidate", "fwd ms", "bwd ms")
    columns += (f"x {baseline}", "range", "GFLOP/s", "% GEMM")
    for name in columns:
        table.add_column(name, justify="left" if name in ("cell", "candidate") else "right", no_wrap=True)
    previous = None
    for row in rows:
        key = (row["cell"], row["steps"], row["batch"], row["hidden"])
        if previous is not None and key != previous:
            table.add_section()
        shape = [row["cell"], *map(str, key[1:])] if key != previous else [""] * 4
        previous = key
        gemm = row.get("gemm_fraction")
        r = row["ratio"]
        table.add_row(
            *shape,
            escape(row["candidate"]),
            f"{row['forward_ms']:.2f}",
            f"{row['backward_ms']:.2f}",
            f"{r['median']:.2f}",
            f"{r['low']:.2f}-{r['high']:.2f}",
            f"{row['gflops']:.1f}",
            "" if gemm is None else f"{100 * gemm:.0f}%",
        )
    return table


def header(m: dict) -> str:
    """The line that says where and how the numbers were taken."""
    device = "" if m.get("device", "cpu") == "cpu" else f", device {m['device']}"
    return (
        f"torch {m['torch']} on {m['cpu']} ({m['cores']} cores){device}, {m['threads']} thread(s), "
        f"{m['dtype']}, {m['clock']} clock, median of {m['repeats']} interleaved repeats after "
        f"{m['warmup']} warm-up; {m['utc']}"
    )


def markdown(result: dict) -> str:
    """The same tables in Markdown, with the line that says how they were measured."""
    lines = [header(result["machine"]) + ".", ""]
    sections = [("builtin", result["grid"])] if result["grid"] else []
    if result["user_cell"]:
        sections.append(("rnninit.LSTM", result["user_cell"]))
    for baseline, rows in sections:
        lines += [
            f"| cell | T | B | H | candidate | fwd ms | bwd ms | x {baseline} | range | GFLOP/s | % GEMM |",
            "|---|--:|--:|--:|---|--:|--:|--:|--:|--:|--:|",
        ]
        for row in rows:
            gemm = row.get("gemm_fraction")
            r = row["ratio"]
            lines.append(
                f"| {row['cell']} | {row['steps']} | {row['batch']} | {row['hidden']} | {row['candidate']} | "
                f"{row['forward_ms']:.2f} | {row['backward_ms']:.2f} | **{r['median']:.2f}** | "
                f"{r['low']:.2f}-{r['high']:.2f} | {row['gflops']:.1f} | "
                f"{'' if gemm is None else f'{100 * gemm:.0f}%'} |"
            )
        lines.append("")
    applied = result["apply"]
    if applied:
        audit = "not available" if applied.get("audit_s") is None else f"{applied['audit_s']:.2f} s"
        lines += [
            f"`rnninit.torch.apply('{applied['spec']}')` on `{applied['model']}` "
            f"({applied['parameters'] / 1e6:.1f}M parameters), one run each, wall clock: "
            f"{applied['apply_s']:.2f} s; `rnninit.audit`: {audit}.",
            "",
        ]
    return "\n".join(lines)


def apply_table(result: dict) -> Table:
    table = Table(title=f"apply / audit on {result['model']} ({result['parameters'] / 1e6:.1f}M parameters)")
    table.add_column("step")
    table.add_column("seconds", justify="right")
    table.add_row(escape(f"rnninit.torch.apply('{result['spec']}')"), f"{result['apply_s']:.2f}")
    if result.get("audit_s") is None:
        table.add_row("rnninit.audit", escape(result.get("audit_note", "not run")))
    else:
        table.add_row(f"rnninit.audit (ok={result['audit_ok']})", f"{result['audit_s']:.2f}")
    return table


def run(args: argparse.Namespace) -> int:
    from rnninit.bench.suite import run_speed

    result = run_speed(config_from_args(args), progress=lambda what: print(f"timing {what}", file=sys.stderr))
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    if args.markdown:
        print(markdown(result))
        return 0
    console = stdout_console()
    console.print(escape(header(result["machine"])))
    if result["grid"]:
        console.print(grid_table(result["grid"], "forward + backward (training step) vs torch.nn", "builtin"))
    if result["user_cell"]:
        title = "a user's declared LSTM vs rnninit.LSTM"
        console.print(grid_table(result["user_cell"], title, "rnninit.LSTM"))
    if result["apply"]:
        console.print(apply_table(result["apply"]))
    return 0

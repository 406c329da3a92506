"""``rnninit speed``: time rnninit's LSTM/GRU/Elman against torch.nn's, a user's declared cell, and apply.

Forward and backward milliseconds (medians after a warm-up), the ratio to the built-in (median and
range of per-repeat ratios, all candidates interleaved in one process), achieved GFLOP/s and the
fraction of the machine's measured matrix-multiply rate; ``--compile`` and ``--double-backward`` add
the grid under ``torch.compile`` and with a gradient-penalty step; apply and audit are timed beside
``torch.nn.init`` doing the same work. ``--json`` prints the raw numbers.
"""

from __future__ import annotations

import argparse
import json
import sys

from rich.markup import escape
from rich.table import Table

# Only names here: building the parser must not import torch (rnninit.bench.suite does, in run()).
from rnninit.bench.options import BACKENDS, CELLS, DEVICES, DTYPE_NAMES
from rnninit.cli.console import stdout_console
from rnninit.errors import BenchError


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
        "--compile",
        action="store_true",
        help="also time the grid under torch.compile: compile time and steady state, built-in and rnninit",
    )
    p.add_argument(
        "--double-backward",
        action="store_true",
        help="also time a double-backward (gradient-penalty) step of the built-in and every backend",
    )
    p.add_argument(
        "--apply-layers",
        type=int,
        help="layers of the nn.LSTM timed with apply/audit and torch.nn.init (default 3; 0 skips)",
    )
    p.add_argument("--apply-size", type=int, help="input and hidden size of that LSTM (default 2048)")
    p.add_argument(
        "--apply-repeats", type=int, help="rounds of torch.nn.init / apply / audit (default 3; --quick 1)"
    )
    p.set_defaults(func=run)


def config_from_args(args: argparse.Namespace):
    """The `SpeedConfig` the command line asks for."""
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
        "compile": args.compile,
        "double_backward": args.double_backward,
    }
    for name in ("steps", "batch", "hidden"):
        if getattr(args, name) is not None:
            overrides[name] = _ints(getattr(args, name))
    for name in ("repeats", "warmup", "apply_layers", "apply_size", "apply_repeats"):
        if getattr(args, name) is not None:
            overrides[name] = getattr(args, name)
    return SpeedConfig.quick(**overrides) if args.quick else SpeedConfig(**overrides)


#: The columns of each kind of table: the grid's, the compiled grid's, the double-backward one's.
GRID_COLUMNS = ("fwd ms", "bwd ms", "x", "range", "GFLOP/s", "% GEMM")
COMPILE_COLUMNS = ("compile s", "fwd ms", "bwd ms", "x", "range")
DOUBLE_BACKWARD_COLUMNS = ("fwd ms", "bwd ms", "x", "range")


def _cells(row: dict, columns: tuple[str, ...]) -> list[str]:
    r = row["ratio"]
    gemm = row.get("gemm_fraction")
    compile_s = row.get("compile_s")
    values = {
        "compile s": "" if compile_s is None else f"{compile_s:.1f}",
        "fwd ms": f"{row['forward_ms']:.2f}",
        "bwd ms": f"{row['backward_ms']:.2f}",
        "x": f"{r['median']:.2f}",
        "range": f"{r['low']:.2f}-{r['high']:.2f}",
        "GFLOP/s": f"{row['gflops']:.1f}",
        "% GEMM": "" if gemm is None else f"{100 * gemm:.0f}%",
    }
    return [values[c] for c in columns]


def _header(columns: tuple[str, ...], baseline: str) -> list[str]:
    return ["cell", "T", "B", "H", "candidate", *(f"x {baseline}" if c == "x" else c for c in columns)]


def grid_table(rows: list[dict], title: str, baseline: str, columns: tuple[str, ...] = GRID_COLUMNS) -> Table:
    """One section per grid point; the shape is printed on its first row only."""
    table = Table(title=title)
    for name in _header(columns, baseline):
        table.add_column(name, justify="left" if name in ("cell", "candidate") else "right", no_wrap=True)
    previous = None
    for row in rows:
        key = (row["cell"], row["steps"], row["batch"], row["hidden"])
        if previous is not None and key != previous:
            table.add_section()
        shape = [row["cell"], *map(str, key[1:])] if key != previous else [""] * 4
        previous = key
        table.add_row(*shape, escape(row["candidate"]), *_cells(row, columns))
    return table


def _markdown_table(rows: list[dict], baseline: str, columns: tuple[str, ...]) -> list[str]:
    header = _header(columns, baseline)
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" if h in ("cell", "candidate") else "--:" for h in header) + "|",
    ]
    for row in rows:
        cells = _cells(row, columns)
        if "x" in columns:
            i = columns.index("x")
            cells[i] = f"**{cells[i]}**"
        shape = [row["cell"], str(row["steps"]), str(row["batch"]), str(row["hidden"]), row["candidate"]]
        lines.append("| " + " | ".join(shape + cells) + " |")
    return lines


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
    sections: list[tuple[str, list, tuple[str, ...]]] = (
        [("builtin", result["grid"], GRID_COLUMNS)] if result["grid"] else []
    )
    if result["user_cell"]:
        sections.append(("rnninit.LSTM", result["user_cell"], GRID_COLUMNS))
    if result.get("compile"):
        sections.append(("builtin", result["compile"], COMPILE_COLUMNS))
    if result.get("double_backward"):
        sections.append(("builtin", result["double_backward"], DOUBLE_BACKWARD_COLUMNS))
    for baseline, rows, columns in sections:
        lines += _markdown_table(rows, baseline, columns)
        lines.append("")
    applied = result["apply"]
    if applied:
        lines += [apply_sentence(applied), ""]
    return "\n".join(lines)


def apply_sentence(applied: dict) -> str:
    """The apply benchmark in one sentence: seconds and ratios to ``torch.nn.init``."""
    r = applied["apply_ratio"]
    text = (
        f"`{applied['model']}` ({applied['parameters'] / 1e6:.1f}M parameters), spec `{applied['spec']}`, "
        f"median of {applied['repeats']} round(s), {applied['clock']} clock: `torch.nn.init` "
        f"{applied['torch_init_s']:.2f} s; `rnninit.torch.apply` {applied['apply_s']:.2f} s "
        f"(**{r['median']:.2f}x** torch.nn.init, range {r['low']:.2f}-{r['high']:.2f})"
    )
    if applied.get("audit_s") is None:
        text += f"; `rnninit.audit`: {applied.get('audit_note', 'not run')}"
    else:
        a = applied["audit_ratio"]
        text += (
            f"; `rnninit.audit` {applied['audit_s']:.2f} s (**{a['median']:.2f}x**, range "
            f"{a['low']:.2f}-{a['high']:.2f}, ok={applied['audit_ok']})"
        )
    size = applied["size"]
    return text + (
        f". One {size}x{size} orthogonal gate block: `torch.nn.init.orthogonal_` (float32 QR) "
        f"{applied['torch_orthogonal_block_s']:.3f} s, rnninit (float64 QR) "
        f"{applied['orthogonal_block_s']:.3f} s."
    )


def apply_table(result: dict) -> Table:
    table = Table(
        title=f"apply / audit on {result['model']} ({result['parameters'] / 1e6:.1f}M parameters), "
        f"median of {result['repeats']} round(s), {result['clock']} clock"
    )
    for name in ("step", "seconds", "x torch.nn.init", "range"):
        table.add_column(name, justify="left" if name == "step" else "right")
    table.add_row(
        "one orthogonal gate block, torch.nn.init (float32 QR)",
        f"{result['torch_orthogonal_block_s']:.3f}",
        "",
        "",
    )
    table.add_row(
        "one orthogonal gate block, rnninit (float64 QR)", f"{result['orthogonal_block_s']:.3f}", "", ""
    )
    table.add_row("torch.nn.init (the same work)", f"{result['torch_init_s']:.2f}", "1.00", "")
    r = result["apply_ratio"]
    table.add_row(
        escape(f"rnninit.torch.apply('{result['spec']}')"),
        f"{result['apply_s']:.2f}",
        f"{r['median']:.2f}",
        f"{r['low']:.2f}-{r['high']:.2f}",
    )
    if result.get("audit_s") is None:
        table.add_row("rnninit.audit", escape(result.get("audit_note", "not run")), "", "")
    else:
        a = result["audit_ratio"]
        table.add_row(
            f"rnninit.audit (ok={result['audit_ok']})",
            f"{result['audit_s']:.2f}",
            f"{a['median']:.2f}",
            f"{a['low']:.2f}-{a['high']:.2f}",
        )
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
    if result.get("compile"):
        title = "torch.compile: compile time (first step) and steady state vs torch.nn, eager"
        console.print(grid_table(result["compile"], title, "builtin", COMPILE_COLUMNS))
    if result.get("double_backward"):
        title = "double backward (gradient-penalty step) vs torch.nn"
        console.print(grid_table(result["double_backward"], title, "builtin", DOUBLE_BACKWARD_COLUMNS))
    if result["apply"]:
        console.print(apply_table(result["apply"]))
    return 0

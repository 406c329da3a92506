"""``rnninit diagnose``: signal and gradient flow of an initialized cell, before any training.

``rnninit diagnose --cell NAME --spec SPEC [--spec SPEC ...] [--hidden N] [--T N]
[--input zeros|normal|uniform|FILE.npy] [--json] [--plot out.png]``
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from rich.markup import escape
from rich.table import Table

from rnninit.cli.console import stdout_console
from rnninit.cli.quiet import import_quietly
from rnninit.cli.spec import load_spec
from rnninit.errors import shown
from rnninit.named_cells import cell_names
from rnninit.outputs import PLOT_SUFFIXES, check_output_file
from rnninit.seeding import check_seed

#: The cell names ``--cell`` takes (the named cells with a one-step cell); listing them imports neither
#: torch nor keras, so building the parser (``rnninit --help``, ``rnninit spec``) stays light.
CELL_NAMES = cell_names("step")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "diagnose",
        help="spectra, gradient norms through time, state norms and memory horizon of an initialized cell",
        description=(
            "Initialize a cell from each spec and run it T steps from the zero state; report the spectral "
            "radius of each recurrent block, ‖∂s_T/∂s_{T-1-k}‖₂ for k = 0..T-1, ‖h_t‖ for t = 1..T and the "
            "memory horizon (steps until that gradient norm leaves [1e-3, 1e3]). Several --spec give one "
            "column each."
        ),
    )
    p.add_argument("--cell", required=True, help=f"cell: {', '.join(CELL_NAMES)}")
    p.add_argument(
        "--spec",
        action="append",
        required=True,
        help="a spec string, preset name or .yaml/.json file; repeat to compare several",
    )
    p.add_argument("--hidden", type=int, default=64, help="hidden size (default 64)")
    p.add_argument("--T", type=int, default=100, dest="steps", help="steps to run (default 100)")
    p.add_argument(
        "--input",
        default="zeros",
        help="zeros (default), normal (N(0,1) noise), uniform (U(-√3,√3)), or a .npy file (T, batch, input)",
    )
    p.add_argument("--input-size", type=int, default=None, help="input size (default: the hidden size)")
    p.add_argument(
        "--batch", type=int, default=None, help="sequences averaged over (default 1 for zeros, 8 for normal)"
    )
    p.add_argument("--seed", type=int, default=0, help="seed for the weights and the noise (default 0)")
    p.add_argument("--json", action="store_true", help="print JSON (one object; a list for several specs)")
    p.add_argument("--plot", default=None, metavar="FILE.png", help="write a plot, one column per spec")
    p.set_defaults(func=run)


def _inputs(text: str, input_size: int | None) -> tuple[str | np.ndarray, int | None]:
    from rnninit.errors import DynamicsError

    if text.endswith(".npy"):
        try:
            data = np.load(text, allow_pickle=False)  # never unpickle: a .npy may hold Python objects
        except Exception as exc:  # noqa: BLE001 - NumPy raises many types for a bad file
            raise DynamicsError(
                f"cannot read input data {shown(text)}: {type(exc).__name__}: {shown(exc)}"
            ) from None
        if not isinstance(data, np.ndarray):
            raise DynamicsError(
                f"input data {shown(text)} must be one .npy array, not a {type(data).__name__}"
            )
        if data.ndim not in (2, 3) or 0 in data.shape:
            raise DynamicsError(
                f"input data {shown(text)} must be (T, batch, input) or (T, input), got shape {data.shape}"
            )
        if data.dtype.kind not in "iuf":
            raise DynamicsError(f"input data {shown(text)} must hold real numbers, got dtype {data.dtype}")
        if not np.isfinite(data).all():
            raise DynamicsError(f"input data {shown(text)} holds NaN or infinite values")
        return data, input_size or int(data.shape[-1])
    return text, input_size


def run(args: argparse.Namespace) -> int:
    from rnninit.dynamics.diagnose import diagnose_spec
    from rnninit.errors import DynamicsError

    for flag, value in (
        ("--hidden", args.hidden),
        ("--T", args.steps),
        ("--input-size", args.input_size),
        ("--batch", args.batch),
    ):
        if value is not None and value < 1:
            raise DynamicsError(f"{flag} must be a positive integer, got {value}")
    check_seed(args.seed)
    if args.plot is not None:  # before computing anything: a run is wasted if the plot cannot be written
        check_output_file(args.plot, "--plot", PLOT_SUFFIXES)
    if args.cell.startswith("keras_"):
        import_quietly("keras")
    inputs, input_size = _inputs(args.input, args.input_size)
    specs = [load_spec(text) for text in args.spec]
    results = [
        diagnose_spec(
            args.cell,
            spec,
            hidden_size=args.hidden,
            steps=args.steps,
            input_size=input_size,
            inputs=inputs,
            batch=args.batch,
            seed=args.seed,
        )
        for spec in specs
    ]
    if args.plot is not None:
        from rnninit.dynamics.plots import plot_diagnoses

        plot_diagnoses(results, args.plot)
    if args.json:
        payload = [d.to_dict() for d in results]
        print(json.dumps(payload[0] if len(payload) == 1 else payload))
        return 0
    _print_table(results, args)
    return 0


def _fmt(value: float | None) -> str:
    return "-" if value is None or not np.isfinite(value) else f"{value:.4g}"


def _print_table(results, args: argparse.Namespace) -> None:
    first = results[0]
    table = Table(
        title=escape(
            f"{args.cell}, hidden={first.hidden_size}, input={first.inputs} (size {first.input_size}), "
            f"T={first.steps}, batch={first.batch}, seed={first.seed}"
        )
    )
    table.add_column("spec", overflow="fold", min_width=14)
    for column in ("max ρ(hh)", "‖J_T‖", "‖∂s_T/∂s_0‖", "‖h_T‖", "horizon"):
        table.add_column(escape(column), overflow="fold")
    for d in results:
        radii = _fmt(max(d.spectral_radius.values())) if d.spectral_radius else "-"
        if d.memory_horizon is None:
            horizon = f"> {d.steps}"
        else:
            horizon = f"{d.memory_horizon} ({d.memory_horizon_reason})"
        table.add_row(
            escape(d.label),
            escape(radii),
            _fmt(d.jacobian_norms[0]),
            _fmt(d.jacobian_norms[-1]),
            _fmt(d.state_norms[-1]),
            horizon,
        )
    stdout_console().print(table)
    if args.plot is not None:
        stdout_console().print(f"plot written to {escape(args.plot)}")

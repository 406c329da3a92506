"""``rnninit spec SPEC [--cell NAME] [--json]``: validate a spec and show what each role and gate gets."""

from __future__ import annotations

import argparse
import json

from rich.markup import escape
from rich.table import Table

from rnninit.cli.console import stdout_console
from rnninit.layout.kinds import CELL_KINDS
from rnninit.spec import Spec, format_key


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("spec", help="validate a spec and show its canonical form and resolution")
    p.add_argument("spec", help="a spec string, a preset name, or a .yaml/.json file")
    p.add_argument("--cell", choices=sorted(CELL_KINDS), default="lstm", help="cell to resolve against")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)


def load_spec(text: str) -> Spec:
    """A spec from the command line: a file path ending in .yaml/.yml/.json, or a spec string."""
    if text.endswith((".yaml", ".yml", ".json")):
        return Spec.load(text)
    return Spec.parse(text)


def run(args: argparse.Namespace) -> int:
    spec = load_spec(args.spec)
    resolved = spec.resolve(args.cell)
    if args.json:
        print(
            json.dumps(
                {
                    "spec": str(spec),
                    "cell": args.cell,
                    "resolved": {format_key(k): v.to_config() for k, v in resolved.entries.items()},
                }
            )
        )
        return 0
    table = Table(title=escape(f"{spec}  on a {args.cell} cell"))
    table.add_column(escape("role[gate]"))
    table.add_column("init")
    for key, init in resolved.entries.items():
        table.add_row(escape(format_key(key)), escape(str(init)))
    stdout_console().print(table)
    return 0

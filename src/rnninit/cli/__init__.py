"""The ``rnninit`` command line: one module per subcommand, each with ``register(subparsers)``.

Exit codes: 0 all is well, 1 findings (audit), 2 bad input (a clear message on stderr).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from rnninit.errors import RnninitError

#: Subcommand modules, in the order ``rnninit --help`` lists them.
SUBCOMMANDS = ("spec", "audit", "describe", "diagnose", "tune", "run", "speed")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rnninit",
        description="Declare, apply, audit and measure initializations of recurrent cells.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(f"rnninit.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except RnninitError as exc:
        print(f"rnninit {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `rnninit ... --json | head`: the reader left, not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

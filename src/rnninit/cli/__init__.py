"""The ``rnninit`` command line: one module per subcommand, each with ``register(subparsers)``.

Exit codes: 0 all is well, 1 findings (audit), 2 bad input: one line on stderr,
``rnninit COMMAND: error: ...``, never a traceback. An error rnninit did not foresee is exit 3,
also one line (``RNNINIT_DEBUG=1`` shows its traceback); it is a bug to report.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import shlex
import sys
from collections.abc import Callable

from rnninit.errors import Arg, RnninitError

#: Subcommand modules, in the order ``rnninit --help`` lists them.
SUBCOMMANDS = ("spec", "audit", "describe", "diagnose", "tune", "run", "speed")
#: Longest error message printed: the rest is cut (inputs are echoed bounded, this caps the sum).
MESSAGE_MAX = 2000
#: Exit status of an error that is not bad input (a bug in rnninit or a framework).
INTERNAL_ERROR = 3


class Parser(argparse.ArgumentParser):
    """argparse, with a usage error as one line (the same shape as every other error)."""

    def error(self, message: str):
        self.exit(2, f"{one_line(f'{self.prog}: error: {message} (see {self.prog} --help)')}\n")


def one_line(text: str) -> str:
    """``text`` on one line (line breaks become spaces), at most `MESSAGE_MAX` characters."""
    text = re.sub(r"\s*\n\s*", " ", text.strip())
    if len(text) > MESSAGE_MAX:
        text = f"{text[:MESSAGE_MAX]}… ({len(text) - MESSAGE_MAX} more characters)"
    return text


def flag_names(parser: argparse.ArgumentParser) -> Callable[[Arg], str]:
    """How a command writes an argument that a library error names: as the flag that sets it
    (``workers`` -> ``--workers``, ``clock='cpu'`` -> ``--clock cpu``, ``trust_file=True`` ->
    ``--trust-file``), or as a Python caller would where the command has no such flag."""
    # argparse keeps a parser's actions in ``_actions`` (no public accessor); read, never changed
    actions = {action.dest: action for action in parser._actions if action.option_strings}

    def name(arg: Arg) -> str:
        action = actions.get(arg.name)
        if action is None:
            return str(arg)
        flag = max(action.option_strings, key=len)
        if not arg.value or action.nargs == 0:  # named alone, or a switch such as --trust-file
            return flag
        return f"{flag} {shlex.quote(str(arg.value[0]))}"

    return name


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="rnninit",
        description="Declare, apply, audit and measure initializations of recurrent cells.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(f"rnninit.cli.{name}").register(sub)
    parser.set_defaults(subcommands=sub.choices)
    return parser


def main(argv: list[str] | None = None) -> int:
    # TensorFlow (Keras' backend) logs start-up notices on stderr at import; keep stderr for our line
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:  # said by the subcommand's parser, so that the line names the subcommand
            args.subcommands[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exc:  # --help (0) or a usage error (2), already printed
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return int(args.func(args) or 0)
    except RnninitError as exc:
        message = exc.render(flag_names(args.subcommands[args.command]))
        print(one_line(f"rnninit {args.command}: error: {message}"), file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `rnninit ... --json | head`: the reader left, not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:
        if os.environ.get("RNNINIT_DEBUG"):
            raise
        print(
            one_line(
                f"rnninit {args.command}: internal error: {type(exc).__name__}: {exc} "
                "(a bug: please report it; RNNINIT_DEBUG=1 shows the traceback)"
            ),
            file=sys.stderr,
        )
        return INTERNAL_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""The one Rich console the CLI prints tables with."""

from __future__ import annotations

import sys

from rich.console import Console

#: Width of the output when it is not a terminal (a pipe, a file, CI logs): Rich would otherwise
#: assume 80 columns and squeeze wide tables (the audit's has 11 columns) into unreadable cells.
PIPE_WIDTH = 200


def stdout_console() -> Console:
    """A console for standard output: the terminal's width, or `PIPE_WIDTH` when piped."""
    return Console() if sys.stdout.isatty() else Console(width=PIPE_WIDTH)

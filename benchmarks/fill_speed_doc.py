"""Paste the Markdown that benchmarks/speed.sh wrote into docs/speed.md, between its markers.

Usage: python benchmarks/fill_speed_doc.py OUTDIR [docs/speed.md]
Each ``<!-- begin NAME ... -->`` / ``<!-- end NAME -->`` pair gets the contents of ``OUTDIR/NAME.md``;
a pair whose file OUTDIR does not have keeps its contents.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path


def fill(doc: str, outdir: Path) -> str:
    def replace(match: re.Match) -> str:
        name = match.group(2)
        path = outdir / f"{name}.md"
        if not path.exists():  # a run not made this time (speed.sh RUNS=...): keep what the doc has
            return match.group(0)
        body = path.read_text().strip()
        return f"{match.group(1)}\n{body}\n{match.group(3)}"

    pattern = re.compile(r"(<!-- begin (\w+)[^>]*-->)\n.*?\n?(<!-- end \2 -->)", re.S)
    return pattern.sub(replace, doc)


if __name__ == "__main__":
    outdir = Path(sys.argv[1])
    doc_path = Path(sys.argv[2] if len(sys.argv) > 2 else "docs/speed.md")
    doc_path.write_text(fill(doc_path.read_text(), outdir))

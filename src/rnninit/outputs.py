"""Check that an output path can be written *before* the work that produces it.

A plot or a results directory that turns out to be unwritable after minutes of computing is a
wasted run; a path that names a directory where a file is expected, or a file where a directory
is, is a confusing traceback. These checks turn each into an `OutputError` up front.

Writability is tested by creating (and at once discarding) an anonymous temporary file where the
output will go, so it is right for every user (root included), read-only filesystems, ACLs and
pseudo-filesystems such as ``/proc``: nothing visible is left behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from rnninit.errors import Arg, OutputError, shown


def can_create_in(folder: Path) -> str | None:
    """Why a file cannot be created in the existing directory ``folder`` (a phrase), or ``None``."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


#: File types a ``--plot`` option writes (Matplotlib's image and vector formats that need nothing else).
PLOT_SUFFIXES = (".png", ".pdf", ".svg", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".eps", ".ps")


def check_output_file(path: str | Path, what: str | Arg, suffixes: tuple[str, ...] | None = None) -> Path:
    """``path`` as a `Path`, once it is known that a file can be written there.

    ``what`` names the output in messages (``Arg("plot")``, or text); ``suffixes`` (lower case, with the dot)
    are the extensions the writer understands.
    """
    path = Path(path)
    label = (what, f" {shown(str(path))}")
    if path.is_dir():
        raise OutputError(*label, f" is a directory; give a file name, e.g. {shown(str(path / 'out'))}")
    if suffixes is not None and path.suffix.lower() not in suffixes:
        found = f"'{path.suffix}'" if path.suffix else "none"
        raise OutputError(
            *label, f": unknown file type (extension {found}); use one of {', '.join(suffixes)}"
        )
    parent = path.parent
    if parent.exists() and not parent.is_dir():
        raise OutputError("cannot write ", *label, f": {shown(str(parent))} is a file, not a folder")
    if not parent.is_dir():
        raise OutputError("cannot write ", *label, f": its folder does not exist ({shown(str(parent))})")
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputError("cannot write ", *label, ": the file exists and is read-only")
    reason = can_create_in(parent)
    if reason is not None:
        raise OutputError("cannot write ", *label, f": its folder is not writable ({reason})")
    return path


def check_output_dir(path: str | Path, what: str | Arg) -> Path:
    """``path`` as a `Path`, once it is known that it is (or can be made) a writable directory.

    ``what`` names the directory in messages (``Arg("root")``, or text). Nothing is created: a
    directory that does not exist yet is checked through its nearest existing ancestor.
    """
    path = Path(path)
    label = (what, f" {shown(str(path))}")
    if path.exists() and not path.is_dir():
        raise OutputError(*label, " is a file, not a directory; give a directory for the results")
    existing = path
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError("cannot create ", *label, f": {shown(str(existing))} is a file, not a directory")
    reason = can_create_in(existing)
    if reason is not None:
        where = "it" if existing == path else f"its parent {shown(str(existing))}"
        raise OutputError("cannot write ", *label, f": {where} is not writable ({reason})")
    return path

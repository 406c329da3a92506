"""A results store that survives a crash and a second ``rnninit run`` on the same directory.

``DIR/runs/<key>.json`` holds a run's full config and its result; ``key`` is a hash of the config
(`RunSpec.key`), so an identical run is found again and a changed one is not.

What the store guarantees (docs/security.md says the same for users):

- **Crash-safe files.** Every file (a run, ``summary.json``, ``report.html``) is written to a
  temporary file of this process (``.NAME.HOST.PID.RANDOM.tmp``), flushed to disk and renamed over
  its final name with ``os.replace`` (atomic on POSIX). After a ``kill -9`` at any moment each file
  is complete or absent: a rerun reuses every stored run and redoes the rest.
- **Temporary files.** A store removes only temporary files it can prove stale: written on this
  host by a process that no longer exists. Another live process's file in flight is never touched.
- **One writer at a time.** `ResultStore.lock` holds an exclusive lock on ``DIR/.rnninit-lock``
  (``fcntl.flock``; the kernel releases it when the process exits, however it exits). A second
  ``rnninit run`` on the same directory waits for the first, then reuses everything it stored,
  so no run is trained twice.
- **Only its own directory.** The store refuses a directory that is neither empty nor an rnninit
  run directory (one holding ``DIR/.rnninit-run``, or an older store's ``runs/`` and outputs
  only), so it never overwrites or deletes files it did not make.
- **Corrupt records are redone.** A run file that is torn, not JSON, JSON of another shape, or the
  record of another config is treated as absent. Runs recorded as ``failed`` (an exception in the
  trainer, e.g. out of memory) are not reused either: the next invocation tries them again.
  ``completed`` and ``diverged`` runs are final.
"""

from __future__ import annotations

import json
import os
import re
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from rnninit.arguments import is_number
from rnninit.errors import Arg, StoreError, shown
from rnninit.experiments.config import RunSpec
from rnninit.outputs import check_output_dir

fcntl: ModuleType | None
try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no inter-process lock (documented)
    fcntl = None

FINAL = ("completed", "diverged")
#: Marks a directory as an rnninit run directory (created with the store).
MARKER = ".rnninit-run"
#: The file whose ``flock`` the writing process holds.
LOCK = ".rnninit-lock"
#: What ``rnninit run --mlflow`` keeps in DIR (its default tracking store), made before the store.
MLFLOW_ENTRIES = ("mlflow.db", "mlartifacts")
#: What an rnninit run directory holds (an older store has no marker: these alone identify it).
OWN_ENTRIES = ("runs", "summary.json", "report.html", MARKER, LOCK, *MLFLOW_ENTRIES)
_HOST = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:40] or "host"
_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<host>[A-Za-z0-9-]+)\.(?P<pid>\d+)\.[A-Za-z0-9_]+\.tmp$")


def check_root(root: str | Path, *, name: str = "root") -> Path:
    """``root`` as a `Path` once it is known a store may live there; creates nothing.

    Raises `StoreError` (or `OutputError`) for a file, an unwritable
    place, or a non-empty directory that is not an rnninit run directory. ``name`` is what the
    messages call the argument that gave ``root`` (``rnninit run`` passes ``"out"``, its ``--out``)."""
    path = check_output_dir(root, Arg(name))
    if path.is_dir():
        names = sorted(entry.name for entry in path.iterdir())
        if names and not _is_run_dir(path, names):
            foreign = [n for n in names if not _own(n)] or names
            listed = ", ".join(shown(n, 60) for n in foreign[:5]) + (" ..." if len(foreign) > 5 else "")
            raise StoreError(
                Arg(name),
                f" {shown(str(path))} is a non-empty directory that is not an rnninit run directory "
                f"(it holds {listed}); rnninit would overwrite report.html and summary.json there. Give a "
                "new or empty directory, or the directory of an earlier rnninit run",
            )
    return path


def _own(name: str) -> bool:
    return name in OWN_ENTRIES or name.startswith("mlflow.db-") or bool(_TEMP.match(name))


def _is_run_dir(path: Path, names: list[str]) -> bool:
    if MARKER in names:
        return True
    # a store made before the marker existed: runs/ and nothing but rnninit's own outputs; or only
    # the MLflow store that `rnninit run --mlflow` creates there just before the results store
    mlflow_only = all(n in MLFLOW_ENTRIES or n.startswith("mlflow.db-") for n in names)
    return all(_own(n) or n.endswith(".tmp") for n in names) and ((path / "runs").is_dir() or mlflow_only)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def is_stale_temp(path: Path) -> bool:
    """A temporary file this host's dead process left (never one whose writer may still be alive)."""
    match = _TEMP.match(path.name)
    return match is not None and match["host"] == _HOST and not _alive(int(match["pid"]))


def write_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically: a temporary file of this process, fsync, ``os.replace``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{_HOST}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # make the rename itself durable
    finally:
        os.close(dir_fd)
    return path


class ResultStore:
    """The runs stored under ``root`` (see the module docstring for what it guarantees)."""

    def __init__(self, root: str | Path):
        self.root = check_root(root)
        self.runs_dir = self.root / "runs"
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        if not (self.root / MARKER).exists():
            write_atomic(self.root / MARKER, json.dumps({"rnninit": "run directory", "format": 1}) + "\n")
        self.remove_stale_temp_files()

    def remove_stale_temp_files(self) -> list[Path]:
        """Remove the temporary files that dead processes of this host left; returns them."""
        removed = []
        for folder in (self.root, self.runs_dir):
            for path in folder.glob(".*.tmp"):
                if is_stale_temp(path):
                    path.unlink(missing_ok=True)
                    removed.append(path)
        return removed

    @contextmanager
    def lock(self, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
        """Hold the directory's exclusive lock for the ``with`` block.

        If another process holds it, ``on_wait(who)`` is called once (``who`` says which process,
        since when) and the call blocks until that process is done."""
        if fcntl is None:  # pragma: no cover
            yield
            return
        fd = os.open(self.root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if on_wait is not None:
                    on_wait(_holder(fd))
                fcntl.flock(fd, fcntl.LOCK_EX)
            os.ftruncate(fd, 0)
            holder = (
                f"pid {os.getpid()} on {socket.gethostname()}, since {time.strftime('%Y-%m-%d %H:%M:%S')}"
            )
            os.pwrite(fd, holder.encode(), 0)
            self.remove_stale_temp_files()
            yield
        finally:
            os.close(fd)  # releases the lock

    def path(self, run: RunSpec) -> Path:
        return self.runs_dir / f"{run.key}.json"

    def get(self, run: RunSpec) -> dict | None:
        """The stored record of ``run`` if it finished (``completed`` or ``diverged``), else ``None``.

        A file that is not the complete record of this very run (torn, not JSON, JSON of another
        shape, another config's record) counts as absent: the run is done again."""
        try:
            record = json.loads(self.path(run).read_text())
        except (OSError, ValueError, RecursionError):
            return None
        if not isinstance(record, dict) or record.get("run") != run.to_dict():
            return None
        return record if is_final_result(record.get("result")) else None

    def put(self, run: RunSpec, result: dict) -> Path:
        """Store ``result`` for ``run`` atomically; returns the file's path."""
        record = {"key": run.key, "run": run.to_dict(), "result": result}
        return write_atomic(self.path(run), json.dumps(record, indent=1, sort_keys=True))


def _number_or_none(value: object) -> bool:
    return value is None or is_number(value)


def is_final_result(result: object) -> bool:
    """``result`` has the shape of a finished run's result (`TrainResult`
    as a dict: a final status, a curve of ``[step, metric, loss]`` rows, numbers where numbers go)."""
    if not isinstance(result, dict) or result.get("status") not in FINAL:
        return False
    curve = result.get("curve", [])
    if not isinstance(curve, list) or not all(
        isinstance(row, list) and len(row) == 3 and all(_number_or_none(v) for v in row) for row in curve
    ):
        return False
    if result["status"] == "completed" and not isinstance(result.get("final_metric"), (int, float)):
        return False
    return (
        _number_or_none(result.get("final_metric"))
        and isinstance(result.get("solved", False), bool)
        and all(_number_or_none(result.get(k)) for k in ("steps_to_solve", "diverged_at", "wall_s"))
    )


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 300, 0).decode(errors="replace").strip()
    except OSError:
        text = ""
    return text or "another process"

"""A results store that survives a crash: one JSON file per finished run, written atomically.

``DIR/runs/<key>.json`` holds a run's full config and its result; ``key`` is a hash of the config
(:attr:`RunSpec.key`), so an identical run is found again and a changed one is not. A file is
written to a temporary name, flushed to disk and renamed over its final name with ``os.replace``
(atomic on POSIX), so after a ``kill -9`` at any moment each run is either completely stored or
absent: a rerun reuses every stored run and redoes the rest.

Runs recorded as ``failed`` (an exception in the trainer, e.g. out of memory) are not reused: the
next invocation tries them again. ``completed`` and ``diverged`` runs are final.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from rnninit.experiments.config import RunSpec

FINAL = ("completed", "diverged")


class ResultStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.runs_dir = self.root / "runs"
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        for stale in self.runs_dir.glob(".*.tmp"):
            stale.unlink(missing_ok=True)  # left by a write that was killed before its rename

    def path(self, run: RunSpec) -> Path:
        return self.runs_dir / f"{run.key}.json"

    def get(self, run: RunSpec) -> dict | None:
        """The stored record of ``run`` if it finished (``completed`` or ``diverged``), else ``None``."""
        try:
            record = json.loads(self.path(run).read_text())
        except (OSError, ValueError):
            return None
        if record.get("run") != run.to_dict() or record.get("result", {}).get("status") not in FINAL:
            return None
        return record

    def put(self, run: RunSpec, result: dict) -> Path:
        """Store ``result`` for ``run`` atomically; returns the file's path."""
        record = {"key": run.key, "run": run.to_dict(), "result": result}
        final = self.path(run)
        fd, tmp = tempfile.mkstemp(prefix=f".{run.key}.", suffix=".tmp", dir=self.runs_dir)
        try:
            with os.fdopen(fd, "w") as handle:
                json.dump(record, handle, indent=1, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, final)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dir_fd = os.open(self.runs_dir, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # make the rename itself durable
        finally:
            os.close(dir_fd)
        return final

"""Keep the command line's stderr for its own line: TensorFlow (Keras' backend) logs start-up
notices from native code straight to file descriptor 2 when it is imported, before any Python
logging setting can stop it."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import tempfile


def import_quietly(module: str) -> None:
    """Import ``module`` with file descriptor 2 sent to a temporary file; what it wrote there is
    dropped if the import succeeds and written back if it fails (the failure is then raised again,
    with its output, by the code that needs the module)."""
    if module in sys.modules or importlib.util.find_spec(module) is None:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            importlib.import_module(module)
        except Exception:  # noqa: BLE001 - re-raised by the caller's own import, with a clear message
            os.dup2(saved, 2)
            captured.seek(0)
            os.write(2, captured.read())
        finally:
            os.dup2(saved, 2)
            os.close(saved)

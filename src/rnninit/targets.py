"""Load the model a TARGET names (``file.py:factory``, a ``.keras`` file or a ``torch.save`` file)."""

from __future__ import annotations

import pickle
import re
import sys
import types
import zipfile
from pathlib import Path

from rnninit.errors import Arg, TargetError, shown

#: What the opt-in means, for messages (parts of one: the command line names its own flag).
TRUST_HINT = ("if you trust the file (it can run any code when loaded), pass ", Arg("trust_file", True))


def load_target(target: str, *, trust_file: bool = False) -> object:
    """The model ``target`` names.

    - ``path/to/file.py:factory``: imports the file and calls ``factory()`` (no arguments). This runs
      the file's code: name only files you would run yourself.
    - ``model.keras``: ``keras.saving.load_model(path, safe_mode=not trust_file)``. Safe mode (the
      default) refuses a file that holds Python code (e.g. a ``Lambda`` layer's bytecode); custom
      objects must be registered by the code that defines them
      (``keras.saving.register_keras_serializable``).
    - anything else: a file written by ``torch.save``. By default it is read with
      ``torch.load(weights_only=True)``, which restores tensors and plain containers and never runs
      code from the file, so a whole pickled ``torch.nn.Module`` is refused. ``trust_file=True``
      unpickles it, which runs whatever code the file names: use it only for files
      you made or trust. See docs/security.md.

    Raises:
        TargetError: the target cannot be loaded (the message says why and what would work).
    """
    if not isinstance(trust_file, bool):
        raise TargetError(f"trust_file must be True or False, got {trust_file!r}")
    path_text, sep, factory = target.rpartition(":")
    if sep and path_text.endswith(".py"):
        return _from_factory(Path(path_text), factory)
    path = Path(target)
    if not path.is_file():
        raise TargetError(
            f"target {shown(target)} is not a file; expected path/to/file.py:factory, a .keras file, "
            "or a file written by torch.save"
        )
    if path.suffix == ".keras":
        return _from_keras(path, trust_file)
    return _from_torch(path, trust_file)


def _from_factory(path: Path, factory: str) -> object:
    if not path.is_file():
        raise TargetError(f"cannot read {shown(str(path))}: no such file")
    if not factory.isidentifier():
        raise TargetError(f"{shown(factory)} is not a function name; write {shown(str(path))}:make_model")
    name = f"_rnninit_target_{abs(hash(str(path.resolve())))}"
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module  # as an import would: classes defined there can find their module
    try:
        # compiled here rather than imported, so that no __pycache__ is written next to the user's file
        code = compile(path.read_bytes(), str(path), "exec")
        exec(code, module.__dict__)  # noqa: S102 - the user named this file as code to run
    except SystemExit as exc:
        raise TargetError(f"importing {shown(str(path))} called sys.exit({shown(exc.code)})") from None
    except Exception as exc:
        raise TargetError(
            f"importing {shown(str(path))} failed: {type(exc).__name__}: {shown(exc, 400)}"
        ) from exc
    fn = getattr(module, factory, None)
    if not callable(fn):
        names = [n for n in dir(module) if callable(getattr(module, n)) and not n.startswith("_")]
        raise TargetError(
            f"{shown(str(path))} has no function {shown(factory)}; callables there: "
            f"{shown(', '.join(names)) if names else 'none'}"
        )
    try:
        return fn()
    except SystemExit as exc:  # the audit would otherwise end with the factory's exit code
        raise TargetError(
            f"{path}:{factory}() called sys.exit({shown(exc.code)}) instead of returning a model"
        ) from None
    except Exception as exc:
        raise TargetError(f"{path}:{factory}() failed: {type(exc).__name__}: {shown(exc, 400)}") from exc


def _from_keras(path: Path, trust_file: bool) -> object:
    if not zipfile.is_zipfile(path):
        raise TargetError(f"{shown(str(path))} is not a .keras file (a .keras file is a zip archive)")
    try:
        import keras
    except ImportError as exc:  # pragma: no cover
        raise TargetError("reading a .keras file needs keras (pip install 'rnninit[keras]')") from exc
    try:
        return keras.saving.load_model(path, safe_mode=not trust_file)
    except Exception as exc:
        if "safe_mode" in str(exc) and not trust_file:
            raise TargetError(
                f"{shown(str(path))} holds Python code (e.g. a Lambda layer's function), which Keras' safe "
                "mode (safe_mode=True) refuses to load because it would run; ",
                *TRUST_HINT,
            ) from None
        raise TargetError(
            f"keras cannot load {shown(str(path))}: {type(exc).__name__}: {shown(exc, 400)}"
        ) from exc


def _from_torch(path: Path, trust_file: bool) -> object:
    try:
        import torch
    except ImportError as exc:  # pragma: no cover
        raise TargetError("reading a torch.save file needs torch (pip install 'rnninit[torch]')") from exc
    try:
        obj = torch.load(path, weights_only=not trust_file, map_location="cpu")
    except pickle.UnpicklingError as exc:
        if trust_file or "weights_only" not in str(exc):
            raise TargetError(
                f"torch cannot read {shown(str(path))}: {type(exc).__name__}: {shown(exc, 400)}"
            ) from exc
        raise TargetError(
            f"{shown(str(path))} holds pickled Python objects ({_unsupported(exc)}), not only tensors: "
            "unpickling them can run any code the file names, so rnninit reads only tensors and plain "
            "containers by default. A whole torch.nn.Module saved with torch.save is such a file: ",
            *TRUST_HINT,
            "; or give path/to/file.py:factory, a function that builds the model and loads its state_dict",
        ) from None
    except Exception as exc:
        raise TargetError(
            f"{shown(str(path))} is neither a .keras file nor a file torch.load can read: "
            f"{type(exc).__name__}: {shown(exc, 400)}"
        ) from exc
    if not isinstance(obj, torch.nn.Module):
        hint = (
            " (a state_dict: save the module itself, or use file.py:factory)" if isinstance(obj, dict) else ""
        )
        raise TargetError(f"{shown(str(path))} holds a {type(obj).__name__}, not a torch.nn.Module{hint}")
    return obj


def _unsupported(exc: Exception) -> str:
    """The global the weights-only unpickler refused, e.g. ``torch.nn.modules.rnn.LSTM``."""
    text = str(exc)
    match = re.search(r"Unsupported global: GLOBAL ([\w.]+)", text) or re.search(r"GLOBAL ([\w.]+)", text)
    return f"e.g. {match[1]}" if match else "objects beyond tensors"

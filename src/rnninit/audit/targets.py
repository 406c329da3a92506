"""Load the model a command-line TARGET names: ``file.py:factory``, a ``.keras`` file, or a ``torch.save`` file."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from rnninit.errors import RnninitError


class TargetError(RnninitError, ValueError):
    """A command-line target cannot be loaded."""


def load_target(target: str) -> object:
    """The model ``target`` names.

    - ``path/to/file.py:factory``: imports the file and calls ``factory()`` (no arguments);
    - ``model.keras``: ``keras.saving.load_model`` (custom objects must be registered by the file
      that defines them, e.g. with ``keras.saving.register_keras_serializable``);
    - anything else: ``torch.load(path, weights_only=False)`` of a whole module saved with ``torch.save``.
    """
    path_text, sep, factory = target.rpartition(":")
    if sep and path_text.endswith(".py"):
        return _from_factory(Path(path_text), factory)
    path = Path(target)
    if not path.is_file():
        raise TargetError(
            f"target {target!r} is not a file; expected path/to/file.py:factory, a .keras file, "
            "or a file written by torch.save"
        )
    if path.suffix == ".keras":
        return _from_keras(path)
    return _from_torch(path)


def _from_factory(path: Path, factory: str) -> object:
    if not path.is_file():
        raise TargetError(f"cannot read {str(path)!r}: no such file")
    if not factory.isidentifier():
        raise TargetError(f"{factory!r} is not a function name; write {path}:make_model")
    name = f"_rnninit_target_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise TargetError(f"importing {str(path)!r} failed: {type(exc).__name__}: {exc}") from exc
    fn = getattr(module, factory, None)
    if not callable(fn):
        names = [n for n in dir(module) if callable(getattr(module, n)) and not n.startswith("_")]
        raise TargetError(
            f"{str(path)!r} has no function {factory!r}; callables there: {', '.join(names) or 'none'}"
        )
    try:
        return fn()
    except Exception as exc:
        raise TargetError(f"{path}:{factory}() failed: {type(exc).__name__}: {exc}") from exc


def _from_keras(path: Path) -> object:
    try:
        import keras
    except ImportError as exc:  # pragma: no cover
        raise TargetError("reading a .keras file needs keras (pip install 'rnninit[keras]')") from exc
    try:
        return keras.saving.load_model(path)
    except Exception as exc:
        raise TargetError(f"keras cannot load {str(path)!r}: {type(exc).__name__}: {exc}") from exc


def _from_torch(path: Path) -> object:
    try:
        import torch
    except ImportError as exc:  # pragma: no cover
        raise TargetError("reading a torch.save file needs torch (pip install 'rnninit[torch]')") from exc
    try:
        obj = torch.load(path, weights_only=False, map_location="cpu")
    except Exception as exc:
        raise TargetError(
            f"{str(path)!r} is neither a .keras file nor a file torch.load can read: {type(exc).__name__}: {exc}"
        ) from exc
    if not isinstance(obj, torch.nn.Module):
        hint = (
            " (a state_dict: save the module itself, or use file.py:factory)" if isinstance(obj, dict) else ""
        )
        raise TargetError(f"{str(path)!r} holds a {type(obj).__name__}, not a torch.nn.Module{hint}")
    return obj

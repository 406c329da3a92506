"""Every exception class rnninit defines lives in ``rnninit.errors`` and derives from ``RnninitError``
(and the builtin a caller expects); the modules that first defined them still offer them."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import rnninit
from rnninit import errors

SRC = Path(rnninit.__file__).parent

#: Where each error was importable before it moved to rnninit.errors (code and users import these).
OLD_HOMES = {
    "SeedError": ["rnninit", "rnninit.seeding"],
    "UnsupportedCellError": ["rnninit.layout.flax_builtin"],
    "TensorTypeError": ["rnninit.torch", "rnninit.torch.init"],
    "TargetError": ["rnninit.targets"],
    "DynamicsError": ["rnninit.dynamics", "rnninit.dynamics.errors"],
    "TuneError": ["rnninit.tune", "rnninit.tune.errors"],
    "ConfigError": ["rnninit.experiments.errors"],
    "StoreError": ["rnninit.experiments.store"],
    "OutputError": ["rnninit.outputs"],
    "TrackingError": ["rnninit.experiments.tracking"],
    "RayNotInstalledError": ["rnninit.experiments.ray_executor"],
    "RayConnectionError": ["rnninit.experiments.ray_executor"],
    "BenchError": ["rnninit.bench.options"],
}

#: The builtin each error also is, so that ``except ValueError`` (etc.) keeps catching it.
BUILTINS = {
    "RnninitError": Exception,
    "TensorTypeError": TypeError,
    "TrackingError": RuntimeError,
    "RayNotInstalledError": ImportError,
    "RayConnectionError": ConnectionError,
}


def _error_classes() -> dict[str, type]:
    return {
        name: value
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, BaseException)
    }


def test_no_module_but_rnninit_errors_defines_an_exception_class():
    names = set(_error_classes())
    defined_elsewhere = []
    for path in sorted(SRC.rglob("*.py")):
        if path == SRC / "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ClassDef):
                continue
            bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
            if bases & (names | {"Exception", "BaseException"}) or any(
                b.endswith(("Error", "Exception")) for b in bases
            ):
                defined_elsewhere.append(f"{path.relative_to(SRC)}: class {node.name}")
    assert defined_elsewhere == []


def test_every_error_is_an_rnninit_error_and_the_builtin_a_caller_expects():
    for name, cls in _error_classes().items():
        assert issubclass(cls, errors.RnninitError), name
        assert issubclass(cls, BUILTINS.get(name, ValueError)), name


@pytest.mark.parametrize("name", sorted(OLD_HOMES))
def test_an_error_is_still_importable_where_it_was_first_defined(name):
    for module in OLD_HOMES[name]:
        assert getattr(importlib.import_module(module), name) is getattr(errors, name), module


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def test_no_library_message_names_a_command_line_flag():
    """The library names its arguments (``workers``); only the CLI says ``--workers``."""
    from rnninit.cli import build_parser

    parser = build_parser()
    flags = {
        flag
        for command in parser.get_default("subcommands").values()
        for action in command._actions
        for flag in action.option_strings
        if flag.startswith("--") and flag != "--help"
    }
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if path.parent.name == "cli":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
                named = {f for f in flags if f in node.value.split() or f"{f} " in node.value}
                found += [f"{path.relative_to(SRC)}:{node.lineno}: {flag}" for flag in sorted(named)]
    assert flags and found == []

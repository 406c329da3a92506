"""Typed exceptions: each names what is wrong and what would be valid.

Every error a user can cause derives from `RnninitError`, so one ``except`` clause
catches them all; each also derives from the builtin a caller would naturally expect. Every error
class rnninit defines is defined here.

An error speaks of the library's arguments, never of a command-line flag: a message that names an
argument holds it as an `Arg`, which reads ``workers`` (or ``clock='cpu'``) to a Python caller
and which the command line renders as its flag (``--workers``, ``--clock cpu``).
"""

from __future__ import annotations

import difflib
import reprlib
from collections.abc import Callable, Iterable

#: At most this many characters of one input value are echoed in an error message: a 324-byte YAML
#: file of aliases expands to millions of characters when printed whole.
SHOWN_MAX = 200

_repr = reprlib.Repr()
_repr.maxlevel, _repr.maxdict, _repr.maxlist, _repr.maxtuple, _repr.maxset = 3, 6, 6, 6, 6
_repr.maxstring, _repr.maxother, _repr.maxlong = 60, 60, 60


class Arg:
    """An argument that an error message names, given as one part of the message:
    ``ConfigError(Arg("workers"), f" must be an integer >= 1, got {workers!r}")``.

    ``str(arg)`` is how a Python caller writes it: ``workers``, or with a value ``clock='cpu'``.
    The command line writes its own flag instead (``--workers``, ``--clock cpu``), through
    `RnninitError.render`.

    Examples:
        >>> str(Arg("clock", "cpu")), str(Arg("workers"))
        ("clock='cpu'", 'workers')
    """

    def __init__(self, name: str, *value: object):
        if len(value) > 1:
            raise TypeError(f"Arg takes a name and at most one value, got {len(value)} values")
        self.name = name
        #: ``()`` when the message names the argument alone, else ``(value,)``.
        self.value = value

    def __str__(self) -> str:
        return f"{self.name}={shown(self.value[0])}" if self.value else self.name

    def __repr__(self) -> str:
        return f"Arg({', '.join(map(repr, (self.name, *self.value)))})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Arg) and (self.name, self.value) == (other.name, other.value)

    def __hash__(self) -> int:
        return hash((self.name, self.value))


class RnninitError(Exception):
    """Base class of every error raised by rnninit for bad input.

    Raised only through its subclasses; ``except RnninitError`` catches every error a user can
    cause. The message is the error's argument (text), or several parts, some of them `Arg`:
    ``str(error)`` writes those as a Python caller would, `render` as the caller says.
    """

    def __str__(self) -> str:
        if any(isinstance(part, Arg) for part in self.args):
            return self.render()
        return super().__str__()

    def render(self, name: Callable[[Arg], str] = str) -> str:
        """The message, each `Arg` in it written by ``name`` (e.g. as a command-line flag).

        Examples:
            >>> error = RnninitError(Arg("threads"), " must be a positive integer, got 0")
            >>> str(error), error.render(lambda arg: "--" + arg.name)
            ('threads must be a positive integer, got 0', '--threads must be a positive integer, got 0')
        """
        if not any(isinstance(part, Arg) for part in self.args):
            return str(self)
        return "".join(name(part) if isinstance(part, Arg) else str(part) for part in self.args)


class SpecError(RnninitError, ValueError):
    """A spec is malformed, or does not fit the cell it is used on.

    ``message`` says what is wrong, ``token`` is the offending piece of text (if any) and
    ``position`` its 0-based offset in the spec string it came from (if it came from one).
    Raised by everything that reads a spec, a preset, an init or a cell kind: `Spec.parse`,
    `make_init`, `make_plan`, every ``apply``, the cells' ``init=``, ``role`` initializers.
    ``str(error)`` is the message followed by where it is, e.g.
    ``"unknown init 'normall' (at 'normall', position 3)"``; code that rewraps an error reads
    the fields, never the text.
    """

    def __init__(self, message: str, *, token: str | None = None, position: int | None = None):
        super().__init__(message)
        self.message = message
        self.token = token
        self.position = position

    def __str__(self) -> str:
        if self.token is None:
            return self.message
        token = self.token
        quoted = f"'{token}'" if len(token) <= 400 else shown(token, 400)
        if self.position is not None:
            return f"{self.message} (at {quoted}, position {self.position})"
        return f"{self.message} (at {quoted})"


class LayoutError(RnninitError, ValueError):
    """A module or layer has parameters that no layout explains, or a layout is inconsistent.

    Raised by every framework's ``apply`` and ``model_layout`` (not a model, no recurrent cell
    rnninit knows, a cell not built yet, tied storage, an unexplained parameter with ``strict``), by
    the ``declare`` functions for a bad declaration, and by ``read_arrays`` for an unknown name.
    """


class CellArgumentError(RnninitError, ValueError):
    """A bad argument to one of rnninit's cells or sequence modules (PyTorch or Keras).

    A size that is not a positive integer, an unknown nonlinearity, a dropout outside ``[0, 1]``, a
    ``proj_size`` not below ``hidden_size``; at call time, an input or state of the wrong shape. The
    message names the argument and what would be valid. It is a ``ValueError``, as the same mistake
    is for ``torch.nn.LSTM``, so code written for the built-ins catches it unchanged. Raised by the
    constructors and calls of ``rnninit.torch``'s and ``rnninit.keras``' cells and modules.
    """


class StorageError(RnninitError, ValueError):
    """A model's weights cannot be read or written as they are: no data (``meta`` device), an
    inference tensor, elements that share memory, or a value the weight's dtype cannot hold.
    Raised by every ``apply``, ``write_arrays`` and ``init_`` before anything is written, or after
    what was written is restored: the model is unchanged."""


# -- The errors of each part of rnninit. They live here, with the core's, so that every error class is
# in one module; each part also offers its own under its old name (``rnninit.dynamics.DynamicsError``,
# ``rnninit.experiments.errors.ConfigError``, ``rnninit.torch.TensorTypeError``, ...).


class SeedError(RnninitError, ValueError):
    """A seed is not an integer in ``[0, 2**63 - 1]`` (or, where accepted, ``None`` or a JAX key).

    Raised by every function and cell that takes ``seed=``."""


class UnsupportedCellError(LayoutError):
    """A Flax built-in cell that no layout describes (``strict=False`` leaves it untouched).

    Raised by `rnninit.flax.apply`, ``apply_linen`` and ``model_layout`` with ``strict=True``."""


class TensorTypeError(RnninitError, TypeError):
    """The object to initialize is not a floating-point ``torch.Tensor``.

    Raised by ``rnninit.torch.init_``."""


class TargetError(RnninitError, ValueError):
    """A model file or ``file.py:factory`` target cannot be loaded.

    Raised by ``rnninit audit`` / ``rnninit describe`` (and `rnninit.targets`) when
    loading the model they are given."""


class DynamicsError(RnninitError, ValueError):
    """A diagnosis was asked for something it cannot do; the message says what would be valid.

    Raised by `rnninit.dynamics` (``diagnose``, the steppers, factories and inputs)."""


class TuneError(RnninitError, ValueError):
    """A tune was asked for something it cannot do; the message says what would be valid.

    Raised by `rnninit.tune` and ``rnninit tune``."""


class ConfigError(RnninitError, ValueError):
    """An experiment file is invalid; found before any run starts. The message names the entry.

    Raised by `rnninit.experiments` (config, tasks, models, trainer, executors) and ``rnninit run``."""


class StoreError(RnninitError, ValueError):
    """A results directory cannot be used (it belongs to something else, or cannot be written).

    Raised by the experiments' results store (``rnninit run --out DIR``)."""


class OutputError(RnninitError, ValueError):
    """An output path cannot be written (checked before the work that would produce it).

    Raised by the commands that write files (`rnninit.outputs`)."""


class TrackingError(RnninitError, RuntimeError):
    """MLflow is missing, or its tracking store refused a request.

    Raised by ``rnninit run --mlflow``."""


class RayNotInstalledError(RnninitError, ImportError):
    """The Ray executor was asked for, but Ray cannot be imported.

    Raised by the experiments' Ray executor (``executor: ray``)."""


class RayConnectionError(RnninitError, ConnectionError):
    """Ray could not be started or reached at the given address.

    Raised by the experiments' Ray executor."""


class BenchError(RnninitError, ValueError):
    """A speed benchmark configuration that cannot run (names what would be valid).

    Raised by `rnninit.bench` and ``rnninit speed``."""


def shown(value: object, limit: int = SHOWN_MAX) -> str:
    """A bounded ``repr`` of ``value`` for an error message: a string quoted, an exception its
    message, anything else ``reprlib``-style (never expanding a deeply nested or self-referencing
    structure); cut to ``limit`` characters, saying how much was left out.

    Examples:
        >>> shown("x" * 1000, limit=10)
        "'xxxxxxxxxx'… (1000 characters)"
    """
    if isinstance(value, str):
        if len(value) <= limit:
            return repr(value)
        return f"{value[:limit]!r}… ({len(value)} characters)"
    text = str(value) if isinstance(value, BaseException) else _repr.repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


def did_you_mean(word: str, valid: Iterable[str]) -> str:
    """Return ``"; did you mean 'x'?"`` for the closest valid word, or an empty string."""
    if not isinstance(word, str) or len(word) > 100:  # a long input is no typo (and difflib is quadratic)
        return ""
    close = difflib.get_close_matches(word, list(valid), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def one_of(valid: Iterable[str]) -> str:
    """Format a list of valid alternatives for an error message."""
    return ", ".join(f"'{v}'" for v in valid)

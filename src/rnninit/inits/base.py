"""The `Init` base class and the `Block` an init samples for.

An init is a frozen, typed, framework-neutral value. It samples NumPy arrays for one logical
weight block (one role, one gate, in one layer and direction of one cell) from a random stream
that the caller derives from a seed and the block's identity, so the same spec and seed give the
same numbers in every process and every framework.

Blocks are in the *neutral orientation*: a matrix maps its input to its output as
``y = W @ x``, so its shape is ``(out, in)`` (PyTorch's storage order; Keras stores the
transpose, and its layout says so). Fans are per block: ``fan_in = in``, ``fan_out = out``, so a
gate block of an LSTM has ``fan_out = hidden_size``, not ``4 * hidden_size``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from rnninit.arguments import finite_float, is_integer, is_number
from rnninit.errors import SpecError, did_you_mean, one_of, shown
from rnninit.inits.distributions import Dist
from rnninit.inits.properties import ConstantValue, ExactProperty

BLOCK_FORMS = ("matrix", "diagonal", "vector")
"""The shapes a block can have: a matrix, a diagonal (a vector acting as a diagonal matrix), or a vector (a
bias).
"""


@dataclass(frozen=True)
class Block:
    """Everything an init needs to know about the weight block it samples.

    ``fused`` blocks stand for all gates of a role at once, stacked along the output axis in
    the cell's gate order; their ``gate`` is ``None`` and ``fan_out`` is ``gates * hidden``.
    ``rng_for(gate)`` returns the random stream of another gate's block of the same role (chrono
    uses it to make ``b_i = -b_f`` without shared state).

    rnninit builds blocks from a cell's layout (`CellLayout.block`); build one by hand to sample an
    init on its own.

    Attributes:
        role: The role the block belongs to (``"ih"``, ``"hh"``, ``"bias"``, ...).
        gate: Its canonical gate name, or ``None`` for an ungated role or a fused block.
        shape: ``(out, in)`` for a matrix, ``(out,)`` for a vector or diagonal.
        form: ``"matrix"``, ``"diagonal"`` or ``"vector"`` (one of `BLOCK_FORMS`).
        hidden_size: The cell's hidden size (``torch_default`` draws ``U(±1/√hidden_size)``).
        gates: The cell's gates in canonical order (empty for an ungated cell).
        gate_semantics: Which gate plays which part (``"forget"``, ``"input"``) -> gate.
        bias_terms: How many additive bias tensors PyTorch's own cell sums for this block's
            effective bias (``torch_default`` sums as many draws).
        fused: The block stands for all gates of its role at once.
        from_gate_entry: True when the spec entry named this gate (``bias[f]=...``), False for a
            role-wide entry.
        rng_for: Gate -> the random stream of that gate's block of the same role, or ``None``.

    Examples:
        >>> from rnninit.inits import Block
        >>> block = Block("ih", "f", (16, 8), "matrix", hidden_size=16, gates=("i", "f", "g", "o"))
        >>> block.fan_in, block.fan_out, block.is_bias, block.describe()
        (8, 16, False, 'ih[f] matrix of shape (16, 8)')
    """

    role: str
    gate: str | None
    shape: tuple[int, ...]
    form: str
    hidden_size: int
    gates: tuple[str, ...] = ()
    gate_semantics: Mapping[str, str] = field(default_factory=dict)
    bias_terms: int = 1
    fused: bool = False
    from_gate_entry: bool = False
    rng_for: Callable[[str | None], np.random.Generator] | None = field(
        default=None, compare=False, repr=False
    )

    @property
    def fan_in(self) -> int:
        """Inputs per output: ``shape[1]`` of a matrix, the length of a vector."""
        return self.shape[1] if len(self.shape) == 2 else self.shape[0]

    @property
    def fan_out(self) -> int:
        """Outputs: ``shape[0]`` (per gate; ``gates·H`` when fused)."""
        return self.shape[0]

    @property
    def is_bias(self) -> bool:
        """Whether the block is a vector (a bias)."""
        return self.form == "vector"

    def describe(self) -> str:
        """``'bias[f] vector of shape (16,)'``: the block named in messages."""
        gate = f"[{self.gate}]" if self.gate else ""
        return f"{self.role}{gate} {self.form} of shape {self.shape}"


@dataclass(frozen=True, kw_only=True)
class Init:
    """Base class of all initializers.

    Subclasses set ``name`` and ``summary``, declare typed fields (their arguments, in the order
    positional arguments fill them), implement `_sample`, and say what they draw: the law of
    an entry (`entry_distribution`) and what holds exactly (`exact_property`,
    `constant_value`), which is all the audit and describe know of an init. ``fused=True``
    applies the init over all gates of a role at once, as Keras does for its default kernel
    initializers.

    Inits are frozen dataclasses: equal arguments, equal inits; ``str`` writes the spec form
    (non-default arguments only) and `to_config` a JSON-able dict. Build one by name with
    `make_init`, or from either form with `rnninit.init_from_config`.

    Args:
        fused: Apply the init over all gates of a role at once (one matrix of ``gates·hidden``
            rows) rather than to each gate block on its own.

    Attributes:
        name: The init's name in the spec language (a class attribute).
        summary: One line saying what it draws (a class attribute).
        accepts: Block forms this init accepts; others are a `SpecError` at validation.
        positional: Arguments that ``str`` writes without their name when they come first
            (``constant(1.0)``).
        aliases: Other names accepted for an argument (Keras' ``stddev`` for ``std``): alias ->
            argument. They are normalized when the init is built, so ``str`` and ``to_config`` give
            the canonical name.
        choices: The values a ``str`` argument may take: argument -> valid values.

    Raises:
        SpecError: An argument of the wrong type, out of its range, or not one of its choices.

    Examples:
        >>> import numpy as np, rnninit as ri
        >>> init = ri.make_init("normal", stddev=0.5)
        >>> str(init), init.to_config()
        ('normal(std=0.5)', {'name': 'normal', 'std': 0.5})
    """

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    #: Block forms this init accepts; others are a `SpecError` at validation.
    accepts: ClassVar[tuple[str, ...]] = BLOCK_FORMS
    #: Arguments that ``str`` writes without their name when they come first (``constant(1.0)``).
    positional: ClassVar[tuple[str, ...]] = ()
    #: Other names accepted for an argument (Keras' ``stddev`` for ``std``): alias -> argument.
    #: They are normalized when the init is built, so ``str`` and ``to_config`` give the canonical name.
    aliases: ClassVar[dict[str, str]] = {}
    #: The values a ``str`` argument may take: argument -> valid values.
    choices: ClassVar[dict[str, tuple[str, ...]]] = {}

    fused: bool = False

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = _check_type(self.name, f.name, getattr(self, f.name), f.type)
            if str(f.type) == "str":
                _check_choice(self, f.name, value)
            object.__setattr__(self, f.name, value)
        self._validate_args()

    # -- subclass hooks -------------------------------------------------------------------
    def _validate_args(self) -> None:
        """Check argument values (not types); raise `SpecError`."""

    def _validate_block(self, block: Block) -> None:
        """Check that this init makes sense for ``block``; raise `SpecError`."""

    def _sample(self, block: Block, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    # -- what the init is: the audit and describe read these, never the init's class ------------
    def entry_distribution(self, block: Block) -> Dist | None:
        """The law every entry of ``block`` follows, independently, under this init
        (`rnninit.inits.distributions`); ``None`` when the entries are not i.i.d. draws of one law
        with a spread (a constant, a structured matrix, chrono's gate rule: see `exact_property`)."""
        return None

    def exact_property(self, block: Block) -> ExactProperty | None:
        """What holds exactly of every value this init gives ``block`` (`rnninit.inits.properties`):
        every entry one value, ``gain·I``, orthogonal with a gain, a spectral radius, chrono's gate rule;
        ``None`` when only the law of the entries can be tested. By default the
        `constant_value`, if there is one."""
        value = self.constant_value(block.form)
        return None if value is None else ConstantValue(value)

    def constant_value(self, form: str) -> float | None:
        """The value of every entry, when this init gives every entry of any block of ``form``
        one value (``zeros``, ``constant(c)``, ``normal(std=0)``, ``identity`` on a diagonal); else
        ``None``."""
        return None

    # -- public API -----------------------------------------------------------------------
    def validate(self, block: Block) -> None:
        """Raise `SpecError` if this init cannot initialize ``block``.

        Args:
            block: The block to initialize (role, gate, shape, form, ...).

        Raises:
            SpecError: The block's form is not one this init accepts (a matrix init on a bias,
                ...), a fused init on a single gate block, or an init-specific reason.
        """
        if block.form not in self.accepts:
            kinds = " or ".join(self.accepts)
            raise SpecError(
                f"{self.name} cannot initialize {block.describe()}: it needs a {kinds}",
                token=str(self),
            )
        if self.fused and not block.fused:
            raise SpecError(
                f"{self} is fused but {block.describe()} is a single gate block: fused inits apply "
                "to a whole gated role (write 'role=...', not 'role[gate]=...')",
                token=str(self),
            )
        self._validate_block(block)

    def sample(self, block: Block, rng: np.random.Generator) -> np.ndarray:
        """Sample a float64 array of ``block.shape`` from ``rng``.

        Args:
            block: The block to initialize (its shape and fans decide the scale of fan-based inits).
            rng: The generator to draw from (rnninit gives each block its own stream).

        Returns:
            The block's values, float64, of ``block.shape``.

        Raises:
            SpecError: The init cannot initialize ``block`` (`validate`), or its arguments are so
                large that the values overflow a float.
        """
        self.validate(block)
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                out = np.asarray(self._sample(block, rng), dtype=np.float64)
        except OverflowError:
            out = np.full(block.shape, np.inf)
        assert out.shape == block.shape, (self, out.shape, block.shape)
        # min and max are NaN if any entry is, and infinite if any is: no block-sized mask
        if out.size and not (np.isfinite(out.min()) and np.isfinite(out.max())):
            raise SpecError(
                f"{self} drew values beyond a float's range for {block.describe()}; "
                "its arguments are too large",
                token=str(self),
            )
        return out

    @classmethod
    def arg_names(cls) -> tuple[str, ...]:
        """Argument names in positional order (``fused`` last)."""
        names = [f.name for f in dataclasses.fields(cls) if f.name != "fused"]
        return (*names, "fused")

    def args(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def non_default_args(self) -> dict[str, Any]:
        """Arguments that differ from their defaults (and required ones), in `arg_names` order."""
        out = {}
        fields = {f.name: f for f in dataclasses.fields(self)}
        for f in (fields[name] for name in self.arg_names()):
            value = getattr(self, f.name)
            if f.default is not dataclasses.MISSING:
                default = f.default
            elif f.default_factory is not dataclasses.MISSING:
                default = f.default_factory()
            else:
                default = dataclasses.MISSING
            if default is dataclasses.MISSING or value != default:
                out[f.name] = value
        return out

    def to_config(self) -> dict[str, Any]:
        """A JSON-able dict: ``{"name": ..., <non-default args>}``; nested inits nest."""
        config: dict[str, Any] = {"name": self.name}
        for key, value in self.non_default_args().items():
            config[key] = value.to_config() if isinstance(value, Init) else value
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Init:
        """Inverse of `to_config` (works on the base class or the matching subclass).

        Args:
            config: ``{"name": ..., <arguments>}``, as `to_config` gives it.

        Returns:
            The init the config describes.

        Raises:
            SpecError: The config is not a dict with a ``name``, names an unknown init or argument,
                or (on a subclass) names another init.

        Examples:
            >>> from rnninit.inits import Init, Normal
            >>> config = {"name": "normal", "std": 0.5}
            >>> Normal.from_config(config) == Init.from_config(config) == Normal(std=0.5)
            True
        """
        from rnninit.inits import init_from_config

        init = init_from_config(config)
        if cls is not Init and not isinstance(init, cls):
            raise SpecError(f"config names init '{init.name}', expected '{cls.name}'")
        return init

    def explicit(self) -> str:
        """``normal(mean=0.0, std=1.0)`` rather than ``normal``: every argument, defaults included
        (``fused`` only when true)."""
        args = {k: v for k, v in self.args().items() if k != "fused" or v}
        if not args:
            return self.name
        return (
            f"{self.name}("
            + ", ".join(f"{k}={v.explicit() if isinstance(v, Init) else v}" for k, v in args.items())
            + ")"
        )

    def __str__(self) -> str:
        args = self.non_default_args()
        if not args:
            return self.name
        parts: list[str] = []
        for k, v in args.items():
            bare = len(parts) < len(self.positional) and self.positional[len(parts)] == k
            parts.append(_format_value(v) if bare else f"{k}={_format_value(v)}")
        return f"{self.name}({', '.join(parts)})"


def _check_choice(init: Init, arg: str, value: str) -> None:
    valid = init.choices.get(arg, ())
    if value not in valid:
        raise SpecError(
            f"{init.name}: {arg} must be one of {one_of(valid)}, got {value!r}{did_you_mean(value, valid)}",
            token=arg,
        )


def _format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _check_type(init_name: str, arg: str, value: Any, annotation: Any) -> Any:
    """Type-check one argument and return it normalized (ints given for floats become floats).

    Annotations are strings (``from __future__ import annotations``)."""
    ann = str(annotation)
    if ann == "bool":
        ok = isinstance(value, bool)
        expected = "true or false"
    elif ann == "int":
        ok = is_integer(value)
        expected = "an integer"
        if ok:
            value = int(value)
    elif ann == "float":
        ok = is_number(value)
        expected = "a number"
        if ok:
            value = finite_float(init_name, arg, value)
    elif ann == "int | None":
        ok = value is None or is_integer(value)
        expected = "an integer"
        if ok and value is not None:
            value = int(value)
    elif ann == "Init":
        ok = isinstance(value, Init)
        expected = "an init, e.g. normal(std=1.0)"
    elif ann == "str":
        ok = isinstance(value, str)
        expected = "a name"
    else:  # pragma: no cover - a programming error in an Init subclass
        raise TypeError(f"unsupported annotation {ann!r} on {init_name}.{arg}")
    if not ok:
        echoed = f"'{value}'" if isinstance(value, Init) else shown(value)
        raise SpecError(
            f"{init_name}: {arg} must be {expected}, got {echoed} ({type(value).__name__})",
            token=arg,
        )
    return value

"""Random initializers: plain distributions, variance scaling (Glorot, He, LeCun, Keras' ``VarianceScaling``,
PyTorch's ``kaiming_*``), PyTorch's default."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy import stats

from rnninit.errors import SpecError
from rnninit.inits import scratch
from rnninit.inits.base import Block, Init
from rnninit.inits.distributions import Dist, irwin_hall, normal, uniform

#: Truncated normals are cut at this many standard deviations, as in Keras and TensorFlow.
TRUNCATION = 2.0

#: ``torch_default`` sums one draw per additive bias tensor; PyTorch has at most 2, and a bound keeps
#: a typo (``terms=10000000000``) from allocating that many draws.
MAX_TERMS = 16


def normal_draws(rng: np.random.Generator, mean: float, std: float, shape: tuple[int, ...]) -> np.ndarray:
    """``rng.normal(mean, std, shape)``, bit for bit, without a function call per element.

    NumPy's `Generator.normal` computes ``mean + std * z`` from the stream's standard normals ``z``
    through a function call per element; here the same ``z`` come from ``standard_normal`` (one
    vectorized fill) and the same two roundings are made in place.

    Examples:
        >>> a = normal_draws(np.random.default_rng(3), 0.5, 2.0, (4, 5))
        >>> bool((a == np.random.default_rng(3).normal(0.5, 2.0, (4, 5))).all())
        True
    """
    values = scratch.empty(shape)
    rng.standard_normal(out=values)
    values *= std
    values += mean
    return values


def uniform_draws(rng: np.random.Generator, low: float, high: float, shape: tuple[int, ...]) -> np.ndarray:
    """``rng.uniform(low, high, shape)``, bit for bit: ``low + (high - low) * u`` from the stream's
    ``u`` in ``[0, 1)``, filled by ``random`` and scaled in place.

    Examples:
        >>> a = uniform_draws(np.random.default_rng(3), -0.25, 0.75, (4, 5))
        >>> bool((a == np.random.default_rng(3).uniform(-0.25, 0.75, (4, 5))).all())
        True
    """
    values = scratch.empty(shape)
    rng.random(out=values)
    values *= high - low
    values += low
    return values


def _nonnegative(init: Init, arg: str) -> None:
    value = getattr(init, arg)
    if value < 0:
        raise SpecError(f"{init.name}: {arg} must be >= 0, got {value!r}", token=arg)


@dataclass(frozen=True, kw_only=True)
class Normal(Init):
    """Normal distribution `\\mathcal{N}(\\text{mean}, \\text{std}^2)`: every entry an independent draw.

    Args:
        mean: The mean, any finite number.
        std: The standard deviation, ``std >= 0`` (``std=0`` gives every entry ``mean``); Keras'
            ``stddev`` is an alias (in a spec and `make_init`).
        fused: Draw over all gates of a role at once (the same law either way; see `Init`).

    Raises:
        SpecError: ``std < 0``, or an argument that is not a finite number.

    Examples:
        >>> import numpy as np
        >>> from rnninit.inits import Block, Normal
        >>> block = Block("hh", None, (256, 256), "matrix", hidden_size=256)
        >>> w = Normal(mean=0.1, std=0.5).sample(block, np.random.default_rng(0))
        >>> w.shape, round(float(w.mean()), 2), round(float(w.std()), 2)
        ((256, 256), 0.1, 0.5)
        >>> from rnninit.inits import make_init
        >>> make_init("normal", stddev=0.5) == Normal(std=0.5)
        True
    """

    name: ClassVar[str] = "normal"
    summary: ClassVar[str] = "N(mean, std^2)"
    aliases: ClassVar[dict[str, str]] = {"stddev": "std"}
    mean: float = 0.0
    std: float = 1.0

    def _validate_args(self) -> None:
        _nonnegative(self, "std")

    def entry_distribution(self, block: Block) -> Dist | None:
        return None if self.std == 0 else normal(self.explicit(), self.mean, self.std)

    def constant_value(self, form: str) -> float | None:
        return self.mean if self.std == 0 else None

    def _sample(self, block: Block, rng: np.random.Generator) -> np.ndarray:
        return normal_draws(rng, self.mean, self.std, block.shape)


@dataclass(frozen=True, kw_only=True)
class TruncatedNormal(Init):
    """Normal distribution cut at ``mean ± 2·std`` and renormalized (values outside are redrawn).

    ``std`` is the standard deviation *before* truncation, as in ``keras.initializers.TruncatedNormal``
    and ``tf.random.truncated_normal``; the truncated distribution's own standard deviation is
    ``0.87962566 · std``.

    Args:
        mean: The mean (and centre of the cut), any finite number.
        std: The standard deviation before truncation, ``std >= 0`` (``std=0`` gives every entry
            ``mean``); Keras' ``stddev`` is an alias (in a spec and `make_init`).
        fused: Draw over all gates of a role at once (the same law either way; see `Init`).

    Raises:
        SpecError: ``std < 0``, or an argument that is not a finite number.

    Examples:
        >>> import numpy as np
        >>> from rnninit.inits import Block, TruncatedNormal
        >>> block = Block("hh", None, (256, 256), "matrix", hidden_size=256)
        >>> w = TruncatedNormal(std=0.5).sample(block, np.random.default_rng(0))
        >>> float(abs(w).max()) <= 1.0, round(float(w.std()), 2)
        (True, 0.44)
    """

    name: ClassVar[str] = "truncated_normal"
    summary: ClassVar[str] = "N(mean, std^2) cut at 2 std"
    aliases: ClassVar[dict[str, str]] = {"stddev": "std"}
    mean: float = 0.0
    std: float = 1.0

    def _validate_args(self) -> None:
        _nonnegative(self, "std")

    def distribution(self):
        """The scipy.stats frozen distribution this init samples from."""
        return stats.truncnorm(-TRUNCATION, TRUNCATION, loc=self.mean, scale=self.std)

    def entry_distribution(self, block: Block) -> Dist | None:
        return None if self.std == 0 else Dist.from_scipy(self.explicit(), self.distribution())

    def constant_value(self, form: str) -> float | None:
        return self.mean if self.std == 0 else None

    def _sample(self, block: Block, rng: np.random.Generator) -> np.ndarray:
        if self.std == 0:
            return np.full(block.shape, self.mean)
        return self.distribution().rvs(size=block.shape, random_state=rng)


@dataclass(frozen=True, kw_only=True)
class Uniform(Init):
    """Uniform distribution `\\mathcal{U}(\\text{low}, \\text{high})`: every entry an independent draw.

    Args:
        low: The lower bound, a finite number below ``high``; Keras' ``minval`` is an alias (in a spec and
            `make_init`).
        high: The upper bound, ``high > low``; Keras' ``maxval`` is an alias.
        fused: Draw over all gates of a role at once (the same law either way; see `Init`).

    Raises:
        SpecError: ``low >= high``, or an argument that is not a finite number.

    Examples:
        >>> import numpy as np
        >>> from rnninit.inits import Block, Uniform
        >>> block = Block("hh", None, (256, 256), "matrix", hidden_size=256)
        >>> w = Uniform(low=-0.1, high=0.3).sample(block, np.random.default_rng(0))
        >>> bool(w.min() >= -0.1 and w.max() < 0.3), round(float(w.mean()), 2)
        (True, 0.1)
        >>> from rnninit.inits import make_init
        >>> str(make_init("uniform", minval=-0.1, maxval=0.3))
        'uniform(low=-0.1, high=0.3)'
    """

    name: ClassVar[str] = "uniform"
    summary: ClassVar[str] = "U(low, high)"
    aliases: ClassVar[dict[str, str]] = {"minval": "low", "maxval": "high"}
    low: float = -0.05
    high: float = 0.05

    def _validate_args(self) -> None:
        if not self.low < self.high:
            raise SpecError(
                f"uniform: low must be < high, got low={self.low!r}, high={self.high!r}",
                token="low",
            )

    def entry_distribution(self, block: Block) -> Dist:
        return uniform(self.explicit(), self.low, self.high)

    def _sample(self, block: Block, rng: np.random.Generator) -> np.ndarray:
        return uniform_draws(rng, self.low, self.high, block.shape)


#: The standard deviation of a standard normal cut at ±TRUNCATION: Keras divides by it so that a
#: truncated variance-scaling init keeps the variance its formula states (0.87962566103423978).
TRUNCATED_STD = float(stats.truncnorm(-TRUNCATION, TRUNCATION).std())

#: ``torch.nn.init.calculate_gain`` for each nonlinearity ``kaiming_*`` accepts (``leaky_relu``'s
#: depends on its slope ``a``: ``√(2 / (1 + a²))``).
TORCH_GAINS: dict[str, float] = {
    "linear": 1.0,
    "conv1d": 1.0,
    "conv2d": 1.0,
    "conv3d": 1.0,
    "conv_transpose1d": 1.0,
    "conv_transpose2d": 1.0,
    "conv_transpose3d": 1.0,
    "sigmoid": 1.0,
    "tanh": 5.0 / 3.0,
    "relu": math.sqrt(2.0),
    "leaky_relu": math.sqrt(2.0),
    "selu": 3.0 / 4.0,
}


def block_fan(block: Block, mode: str) -> float:
    """``fan_in``, ``fan_out`` or their average for ``block`` (per gate block; all gates when fused).

    Args:
        block: The block whose fans to read.
        mode: ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"``.

    Returns:
        The fan, as a float.

    Raises:
        KeyError: ``mode`` is not one of those three.

    Examples:
        >>> from rnninit.inits import Block
        >>> block = Block("ih", None, (128, 64), "matrix", hidden_size=128)
        >>> block_fan(block, "fan_in"), block_fan(block, "fan_out"), block_fan(block, "fan_avg")
        (64, 128, 96.0)
    """
    return {
        "fan_in": block.fan_in,
        "fan_out": block.fan_out,
        "fan_avg": (block.fan_in + block.fan_out) / 2.0,
    }[mode]


@dataclass(frozen=True, kw_only=True)
class _VarianceScaling(Init):
    """Zero-mean i.i.d. entries whose standard deviation `std` depends on the block's fans.

    `sampler` says how they are drawn: ``uniform`` from ``U(±√3·std)``, ``normal`` from
    ``N(0, std²)``, ``truncated_normal`` from a normal cut at ±2 of its own scale and rescaled so
    that the *truncated* distribution has standard deviation ``std`` (as Keras does).
    """

    def block_std(self, block: Block) -> float:
        """The standard deviation of every entry of ``block``."""
        raise NotImplementedError

    def sampler(self) -> str:
        """``uniform``, ``normal`` or ``truncated_normal``."""
        raise NotImplementedError

    @staticmethod
    def _truncated(std: float):
        """The scipy.stats normal cut at ±2 of its scale whose standard deviation after the cut is ``std``."""
        return stats.truncnorm(-TRUNCATION, TRUNCATION, scale=std / TRUNCATED_STD)

    def entry_distribution(self, block: Block) -> Dist | None:
        std = self.block_std(block)
        if std == 0:
            return None
        sampler = self.sampler()
        if sampler == "uniform":
            limit = math.sqrt(3.0) * std
            return uniform(self.explicit(), -limit, limit)
        if sampler == "truncated_normal":
            return Dist.from_scipy(self.explicit(), self._truncated(std))
        return normal(self.explicit(), 0.0, std)

    def _sample(self, block: Block, rng: np.random.Generator) -> np.ndarray:
        std = self.block_std(block)
        sampler = self.sampler()
        if sampler == "uniform":
            limit = math.sqrt(3.0) * std
            return uniform_draws(rng, -limit, limit, block.shape)
        if sampler == "truncated_normal":
            if std == 0:
                return np.zeros(block.shape)
            return self._truncated(std).rvs(size=block.shape, random_state=rng)
        return normal_draws(rng, 0.0, std, block.shape)


@dataclass(frozen=True, kw_only=True)
class _NamedScaling(_VarianceScaling):
    """A named variance-scaling scheme: variance ``gain² · SCALE / fan``, ``fan`` chosen by ``MODE``."""

    MODE: ClassVar[str] = "fan_avg"
    SCALE: ClassVar[float] = 1.0
    LAW: ClassVar[str] = "uniform"
    gain: float = 1.0

    def _validate_args(self) -> None:
        _nonnegative(self, "gain")

    def block_std(self, block: Block) -> float:
        return self.gain * math.sqrt(self.SCALE / block_fan(block, self.MODE))

    def constant_value(self, form: str) -> float | None:
        return 0.0 if self.gain == 0 else None

    def sampler(self) -> str:
        return self.LAW


@dataclass(frozen=True, kw_only=True)
class _NamedNormal(_NamedScaling):
    """The normal variant: untruncated by default, as ``torch.nn.init``; ``truncated=true`` is Keras'
    meaning of the same name (a normal cut at ±2 scales, rescaled to the same variance)."""

    LAW: ClassVar[str] = "normal"
    truncated: bool = False

    def sampler(self) -> str:
        return "truncated_normal" if self.truncated else "normal"


@dataclass(frozen=True, kw_only=True)
class GlorotUniform(_NamedScaling):
    """Glorot & Bengio (2010): ``U(±gain·√(6 / (fan_in + fan_out)))``.

    The same as ``keras.initializers.GlorotUniform`` and ``torch.nn.init.xavier_uniform_(gain)``.
    Also known as ``xavier_uniform``. Fans are per gate block unless ``fused``.

    Args:
        gain: Multiplies the standard deviation, ``gain >= 0`` (``gain=0`` gives zeros).
        fused: Use the fans of the whole gated role (``gates·H`` rows), as Keras does.

    Raises:
        SpecError: ``gain < 0``, or ``gain`` not a finite number.

    Examples:
        >>> import numpy as np
        >>> from rnninit.inits import Block, GlorotUniform
        >>> block = Block("hh", None, (256, 256), "matrix", hidden_size=256)
        >>> init = GlorotUniform()
        >>> w = init.sample(block, np.random.default_rng(0))
        >>> round(init.block_std(block), 3), round(float(w.std()), 3), bool(abs(w).max() < np.sqrt(6 / 512))
        (0.062, 0.062, True)
    """

    name: ClassVar[str] = "glorot_uniform"
    summary: ClassVar[str] = "U(±gain·sqrt(6/(fan_in+fan_out)))"


@dataclass(frozen=True, kw_only=True)
class GlorotNormal(_NamedNormal):
    """Glorot & Bengio (2010): ``N(0, gain² · 2 / (fan_in + fan_out))``, as ``torch.nn.init.xavier_normal_``.

    ``truncated=true``: ``keras.initializers.GlorotNormal``, a normal cut at ±2 scales whose
    standard deviation after the cut is ``gain·√(2 / (fan_in + fan_out))``. Also known as
    ``xavier_normal``.

    Args:
        gain: Multiplies the standard deviation, ``gain >= 0`` (``gain=0`` gives zeros).
        truncated: ``true`` for Keras' truncated normal, ``false`` (default) for PyTorch's normal.
        fused: Use the fans of the whole gated role (``gates·H`` rows), as Keras does.

    Raises:
        SpecError: ``gain < 0``, ``gain`` not a finite number, or ``truncated`` not true/false.

    Examples:
        >>> import numpy as np
        >>> from rnninit.inits import Block, GlorotNormal
        >>> block = Block("hh", None, (256, 256), "matrix", hidden_size=256)
        >>> init = GlorotNormal(truncated=True)
        >>> w = init.sample(block, np.random.default_rng(0))
        >>> round(init.block_std(block), 3), round(float(w.std()), 3), str(init)
        (0.062, 0.062, 'glorot_normal(truncated=true)')
    """

    name: ClassVar[str] = "glorot_normal"
    summary: ClassVar[str] = "N(0, gain^2·2/(fan_in+fan_out)), truncated=true: Keras' truncated normal"


@dataclass(frozen=True, kw_only=True)
class HeUniform(_NamedScaling):
    """``U(±gain·√(6 / fan_in))``: the variance of He et al. (2015, §2.2), who give only the Gaussian;
    the uniform with that variance is Keras' convention (``keras.initializers.HeUniform``), and
    ``torch.nn.init.kaiming_uniform_`` with its defaults (``a=0``, ``nonlinearity='leaky_relu'``).
    ``gain`` multiplies He's own √2; PyTorch's other gains are ``kaiming_uniform``.

    Args:
        gain: Multiplies the standard deviation (on top of He's √2), ``gain >= 0``.
        fused: Use the fans of the whole gated role (``gates·H`` rows), as Keras does.

    Raises:
        SpecError: ``gain < 0``, or ``gain`` not a finite number.

    Examples:
        >>> import numpy as np
        >>> from rnninit.inits import Block, HeUniform
        >>> block = Block("hh", None, (256, 256), "matrix", hidden_size=256)
        >>> init = HeUniform()
        >>> w = init.sample(block, np.random.default_rng(0))
        >>> round(init.block_std(block), 3), round(float(w.std()), 3)
        (0.088, 0.088)
    """

    name: ClassVar[str] = "he_uniform"
    summary: ClassVar[str] = "U(±gain·sqrt(6/fan_in))"
    MODE: ClassVar[str] = "fan_in"
    SCALE: ClassVar[float] = 2.0


@dataclass(frozen=True, kw_only=True)
class HeNormal(_NamedNormal):
    """He et al. (2015, §2.2): ``N(0, gain² · 2 / fan_in)``; ``gain`` multiplies He's own √2.

    ``torch.nn.init.kaiming_normal_`` with its defaults; ``truncated=true``:
    ``keras.initializers.HeNormal``.

    Args:
        gain: Multiplies the standard deviation (on top of He's √2), ``gain >= 0``.
        truncated: ``true`` for Keras' truncated normal, ``false`` (default) for PyTorch's normal.
        fused: Use the fans of the whole gated role (``gates·H`` rows), as Keras does.

    Raises:
        SpecError: ``gain < 0``, ``gain`` not a finite number, or ``truncated`` not true/false.

    Examples:
        >>> import numpy as np
        >>> from rnninit.inits import Block, HeNormal
        >>> block = Block("hh", None, (256, 256), "matrix", hidden_size=256)
        >>> init = HeNormal()
        >>> w = init.sample(block, np.random.default_rng(0))
        >>> round(init.block_std(block), 3), round(float(w.std()), 3)
        (0.088, 0.088)
    """

    name: ClassVar[str] = "he_normal"
    summary: ClassVar[str] = "N(0, gain^2·2/fan_in), truncated=true: Keras' truncated normal"
    MODE: ClassVar[str] = "fan_in"
    SCALE: ClassVar[float] = 2.0


@dataclass(frozen=True, kw_only=True)
class LecunUniform(_NamedScaling):
    """LeCun et al. (1998): ``U(±gain·√(3 / fan_in))``, as ``keras.initializers.LecunUniform``.

    Args:
        gain: Multiplies the standard deviation, ``gain >= 0`` (``gain=0`` gives zeros).
        fused: Use the fans of the whole gated role (``gates·H`` rows), as Keras does.

    Raises:
        SpecError: ``gain < 0``, or ``gain`` not a finite number.

    Examples:
        >>> import numpy as np
        >>> from rnninit.inits import Block, LecunUniform
        >>> block = Block("hh", None, (256, 256), "matrix", hidden_size=256)
        >>> init = LecunUniform()
        >>> w = init.sample(block, np.random.default_rng(0))
        >>> round(init.block_std(block), 3), round(float(w.std()), 3), bool(abs(w).max() < np.sqrt(3 / 256))
        (0.062, 0.062, True)
    """

    name: ClassVar[str] = "lecun_uniform"
    summary: ClassVar[str] = "U(±gain·sqrt(3/fan_in))"
    MODE: ClassVar[str] = "fan_in"


@dataclass(frozen=True, kw_only=True)
class LecunNormal(_NamedNormal):
    """LeCun et al. (1998): ``N(0, gain² / fan_in)``; ``truncated=true``: Keras' ``LecunNormal``.

    Args:
        gain: Multiplies the standard deviation, ``gain >= 0`` (``gain=0`` gives zeros).
        truncated: ``true`` for Keras' truncated normal, ``false`` (default) for an untruncated normal.
        fused: Use the fans of the whole gated role (``gates·H`` rows), as Keras does.

    Raises:
        SpecError: ``gain < 0``, ``gain`` not a finite number, or ``truncated`` not true/false.

    Examples:
        >>> import numpy as np
        >>> from rnninit.inits import Block, LecunNormal
        >>> block = Block("hh", None, (256, 256), "matrix", hidden_size=256)
        >>> init = LecunNormal(gain=2.0)
        >>> w = init.sample(block, np.random.default_rng(0))
        >>> round(init.block_std(block), 3), round(float(w.std()), 3)
        (0.125, 0.125)
    """

    name: ClassVar[str] = "lecun_normal"
    summary: ClassVar[str] = "N(0, gain^2/fan_in), truncated=true: Keras' truncated normal"
    MODE: ClassVar[str] = "fan_in"


@dataclass(frozen=True, kw_only=True)
class VarianceScaling(_VarianceScaling):
    """``keras.initializers.VarianceScaling``, with Keras' arguments and defaults.

    Variance ``scale / fan`` with ``fan`` chosen by ``mode`` (``fan_in``, ``fan_out``, ``fan_avg``);
    ``distribution`` is ``truncated_normal`` (cut at ±2 scales, rescaled so that the truncated
    distribution has that variance), ``untruncated_normal`` or ``uniform`` (``U(±√(3·scale/fan))``).
    Keras reads ``distribution='normal'`` as ``truncated_normal``; here it is an error that says so.

    Args:
        scale: The variance times the fan, ``scale > 0``.
        mode: Which fan divides ``scale``: ``fan_in`` (default), ``fan_out`` or ``fan_avg``.
        distribution: ``truncated_normal`` (default, Keras' ``normal``), ``untruncated_normal`` or
            ``uniform``.
        fused: Use the fans of the whole gated role (``gates·H`` rows), as Keras does.

    Raises:
        SpecError: ``scale <= 0``, ``scale`` not a finite number, ``distribution=normal``
            (ambiguous), or a ``mode`` or ``distribution`` not among those listed.

    Examples:
        >>> import numpy as np
        >>> from rnninit.inits import Block, VarianceScaling
        >>> block = Block("hh", None, (256, 256), "matrix", hidden_size=256)
        >>> init = VarianceScaling(scale=2.0, mode="fan_avg", distribution="uniform")
        >>> w = init.sample(block, np.random.default_rng(0))
        >>> round(init.block_std(block), 3), round(float(w.std()), 3)
        (0.088, 0.088)
        >>> str(init)
        'variance_scaling(scale=2.0, mode=fan_avg, distribution=uniform)'
    """

    name: ClassVar[str] = "variance_scaling"
    summary: ClassVar[str] = "variance scale/fan (Keras' VarianceScaling)"
    positional: ClassVar[tuple[str, ...]] = ()
    choices: ClassVar[dict[str, tuple[str, ...]]] = {
        "mode": ("fan_in", "fan_out", "fan_avg"),
        "distribution": ("truncated_normal", "untruncated_normal", "uniform"),
    }
    scale: float = 1.0
    mode: str = "fan_in"
    distribution: str = "truncated_normal"

    def __post_init__(self) -> None:
        if self.distribution == "normal":
            raise SpecError(
                "variance_scaling: distribution=normal is ambiguous: Keras reads it as truncated_normal; "
                "write distribution=truncated_normal (Keras' meaning) or distribution=untruncated_normal",
                token="distribution",
            )
        super().__post_init__()

    def _validate_args(self) -> None:
        if not self.scale > 0:
            raise SpecError(f"variance_scaling: scale must be > 0, got {self.scale!r}", token="scale")

    def block_std(self, block: Block) -> float:
        return math.sqrt(self.scale / block_fan(block, self.mode))

    def sampler(self) -> str:
        return {"untruncated_normal": "normal"}.get(self.distribution, self.distribution)


@dataclass(frozen=True, kw_only=True)
class _Kaiming(_VarianceScaling):
    """``torch.nn.init.kaiming_*_`` with PyTorch's arguments: std ``gain / √fan``, where ``gain`` is
    ``torch.nn.init.calculate_gain(nonlinearity, a)``."""

    choices: ClassVar[dict[str, tuple[str, ...]]] = {
        "mode": ("fan_in", "fan_out"),
        "nonlinearity": tuple(TORCH_GAINS),
    }
    a: float = 0.0
    mode: str = "fan_in"
    nonlinearity: str = "leaky_relu"

    def _validate_args(self) -> None:
        if self.a != 0 and self.nonlinearity != "leaky_relu":
            raise SpecError(
                f"{self.name}: a (the negative slope) only applies to nonlinearity=leaky_relu, "
                f"but nonlinearity={self.nonlinearity} (PyTorch ignores it there; drop a or use leaky_relu)",
                token="a",
            )

    def gain(self) -> float:
        """``torch.nn.init.calculate_gain(nonlinearity, a)``."""
        if self.nonlinearity == "leaky_relu":
            return math.sqrt(2.0) / math.hypot(1.0, self.a)  # √(2 / (1 + a²)) without overflow
        return TORCH_GAINS[self.nonlinearity]

    def block_std(self, block: Block) -> float:
        return self.gain() / math.sqrt(block_fan(block, self.mode))


@dataclass(frozen=True, kw_only=True)
class KaimingNormal(_Kaiming):
    """``torch.nn.init.kaiming_normal_(a, mode, nonlinearity)``: ``N(0, gain² / fan)``, untruncated.

    With the defaults it equals ``he_normal``; ``kaiming_normal(nonlinearity=tanh)`` has std
    ``(5/3)/√fan_in``, whereas ``he_normal(gain=5/3)`` has ``(5/3)·√(2/fan_in)``.

    Args:
        a: The negative slope of ``leaky_relu`` (any finite number; default 0); only with
            ``nonlinearity=leaky_relu``.
        mode: Which fan divides the gain: ``fan_in`` (default) or ``fan_out``.
        nonlinearity: A name ``torch.nn.init.calculate_gain`` knows (``leaky_relu`` by default,
            ``relu``, ``tanh``, ``sigmoid``, ``linear``, ``selu``, the ``conv*`` names).
        fused: Use the fans of the whole gated role (``gates·H`` rows).

    Raises:
        SpecError: ``a != 0`` with a nonlinearity other than ``leaky_relu``, ``a`` not a finite
            number, or a ``mode`` or ``nonlinearity`` not among those listed.

    Examples:
        >>> import numpy as np
        >>> from rnninit.inits import Block, KaimingNormal
        >>> block = Block("hh", None, (256, 256), "matrix", hidden_size=256)
        >>> init = KaimingNormal(nonlinearity="tanh")
        >>> w = init.sample(block, np.random.default_rng(0))
        >>> round(init.block_std(block), 3), round(float(w.std()), 3)
        (0.104, 0.104)
    """

    name: ClassVar[str] = "kaiming_normal"
    summary: ClassVar[str] = "N(0, calculate_gain(nonlinearity, a)^2/fan) (torch.nn.init.kaiming_normal_)"

    def sampler(self) -> str:
        return "normal"


@dataclass(frozen=True, kw_only=True)
class KaimingUniform(_Kaiming):
    """``torch.nn.init.kaiming_uniform_(a, mode, nonlinearity)``: ``U(±gain·√(3 / fan))``.

    ``kaiming_uniform(a=2.23606797749979)`` (``a=√5``) is what ``torch.nn.Linear`` uses for its weight.

    Args:
        a: The negative slope of ``leaky_relu`` (any finite number; default 0); only with
            ``nonlinearity=leaky_relu``.
        mode: Which fan divides the gain: ``fan_in`` (default) or ``fan_out``.
        nonlinearity: A name ``torch.nn.init.calculate_gain`` knows (``leaky_relu`` by default,
            ``relu``, ``tanh``, ``sigmoid``, ``linear``, ``selu``, the ``conv*`` names).
        fused: Use the fans of the whole gated role (``gates·H`` rows).

    Raises:
        SpecError: ``a != 0`` with a nonlinearity other than ``leaky_relu``, ``a`` not a finite
            number, or a ``mode`` or ``nonlinearity`` not among those listed.

    Examples:
        >>> import math
        >>> import numpy as np
        >>> from rnninit.inits import Block, KaimingUniform
        >>> block = Block("ih", None, (256, 64), "matrix", hidden_size=256)
        >>> w = KaimingUniform(a=math.sqrt(5)).sample(block, np.random.default_rng(0))
        >>> bool(abs(w).max() < 1 / math.sqrt(64)), round(float(abs(w).max()), 3)
        (True, 0.125)
    """

    name: ClassVar[str] = "kaiming_uniform"
    summary: ClassVar[str] = (
        "U(±calculate_gain(nonlinearity, a)·sqrt(3/fan)) (torch.nn.init.kaiming_uniform_)"
    )

    def sampler(self) -> str:
        return "uniform"


@dataclass(frozen=True, kw_only=True)
class TorchDefault(Init):
    """PyTorch's RNN default: every parameter ``U(±1/√hidden_size)`` (``nn.RNNBase.reset_parameters``).

    PyTorch stores two additive biases (``bias_ih + bias_hh``), each ``U(±1/√H)``, so the
    *effective* bias is the sum of two such draws (a triangular distribution on ``±2/√H``).
    ``terms`` is how many draws are summed; by default it is what PyTorch does for that block
    (2 for a gate bias of ``nn.RNN``/``nn.LSTM``/``nn.GRU`` except GRU's n gate, 1 elsewhere).

    Args:
        terms: How many ``U(±1/√H)`` draws to sum per entry, ``1 <= terms <= 16``; ``None``
            (default) for what PyTorch does for the block.
        fused: Must be false: PyTorch draws per stored tensor.

    Raises:
        SpecError: ``terms`` not an integer in ``[1, 16]``, or ``fused=true``.

    Examples:
        >>> import numpy as np
        >>> from rnninit.inits import Block, TorchDefault
        >>> block = Block("bias", "i", (256,), "vector", hidden_size=256, bias_terms=2)
        >>> b = TorchDefault().sample(block, np.random.default_rng(0))
        >>> bool(abs(b).max() < 2 / 16), round(float(abs(b).max()), 2)
        (True, 0.12)
        >>> TorchDefault().terms_for(block), TorchDefault(terms=1).terms_for(block)
        (2, 1)
    """

    name: ClassVar[str] = "torch_default"
    summary: ClassVar[str] = "U(±1/sqrt(hidden)), summed over PyTorch's additive biases"
    terms: int | None = None

    def _validate_args(self) -> None:
        if self.terms is not None and not 1 <= self.terms <= MAX_TERMS:
            raise SpecError(
                f"torch_default: terms (additive bias tensors) must be in [1, {MAX_TERMS}], got {self.terms}",
                token="terms",
            )
        if self.fused:  # PyTorch draws per stored tensor, and the bias terms differ per gate (GRU n)
            raise SpecError(
                "torch_default is PyTorch's per-tensor default and cannot be fused", token="fused"
            )

    def bound(self, block: Block) -> float:
        """The bound of one draw, ``1/√hidden_size``."""
        return 1.0 / math.sqrt(block.hidden_size)

    def terms_for(self, block: Block) -> int:
        """How many draws are summed for ``block``: ``terms`` if given, else PyTorch's count."""
        if self.terms is not None:
            return self.terms
        return block.bias_terms if block.is_bias else 1

    def entry_distribution(self, block: Block) -> Dist:
        """The sum of `terms_for` draws of ``U(±1/√H)``
        (`irwin_hall`)."""
        dist = irwin_hall(self.terms_for(block), self.bound(block))
        return dataclasses.replace(dist, label=f"{self.explicit()} = {dist.label}")

    def _sample(self, block: Block, rng: np.random.Generator) -> np.ndarray:
        bound = self.bound(block)
        terms = self.terms_for(block)
        if terms == 1:  # the same numbers as the general case, without a copy through sum()
            return uniform_draws(rng, -bound, bound, block.shape)
        return uniform_draws(rng, -bound, bound, (terms, *block.shape)).sum(axis=0)

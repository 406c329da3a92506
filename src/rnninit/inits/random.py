"""Random initializers: plain distributions, variance scaling (Glorot, He, LeCun), PyTorch's default."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy import stats

from rnninit.errors import SpecError
from rnninit.inits.base import Block, Init

#: Truncated normals are cut at this many standard deviations, as in Keras and TensorFlow.
TRUNCATION = 2.0

#: ``torch_default`` sums one draw per additive bias tensor; PyTorch has at most 2, and a bound keeps
#: a typo (``terms=10000000000``) from allocating that many draws.
MAX_TERMS = 16


def _nonnegative(init: Init, arg: str) -> None:
    value = getattr(init, arg)
    if value < 0:
        raise SpecError(f"{init.name}: {arg} must be >= 0, got {value!r}", token=arg)


@dataclass(frozen=True, kw_only=True)
class Normal(Init):
    """Normal distribution :math:`\\mathcal{N}(\\text{mean}, \\text{std}^2)`.

    >>> normal = Normal(std=0.5)
    """

    name: ClassVar[str] = "normal"
    summary: ClassVar[str] = "N(mean, std^2)"
    mean: float = 0.0
    std: float = 1.0

    def _validate_args(self) -> None:
        _nonnegative(self, "std")

    def _sample(self, block: Block, rng: np.random.Generator) -> np.ndarray:
        return rng.normal(self.mean, self.std, size=block.shape)


@dataclass(frozen=True, kw_only=True)
class TruncatedNormal(Init):
    """Normal distribution cut at ``mean ± 2·std`` and renormalized (values outside are redrawn).

    ``std`` is the standard deviation *before* truncation, as in ``keras.initializers.TruncatedNormal``
    and ``tf.random.truncated_normal``; the truncated distribution's own standard deviation is
    ``0.87962566 · std``.
    """

    name: ClassVar[str] = "truncated_normal"
    summary: ClassVar[str] = "N(mean, std^2) cut at 2 std"
    mean: float = 0.0
    std: float = 1.0

    def _validate_args(self) -> None:
        _nonnegative(self, "std")

    def distribution(self):
        """The scipy.stats frozen distribution this init samples from."""
        return stats.truncnorm(-TRUNCATION, TRUNCATION, loc=self.mean, scale=self.std)

    def _sample(self, block: Block, rng: np.random.Generator) -> np.ndarray:
        if self.std == 0:
            return np.full(block.shape, self.mean)
        return self.distribution().rvs(size=block.shape, random_state=rng)


@dataclass(frozen=True, kw_only=True)
class Uniform(Init):
    """Uniform distribution :math:`\\mathcal{U}(\\text{low}, \\text{high})`."""

    name: ClassVar[str] = "uniform"
    summary: ClassVar[str] = "U(low, high)"
    low: float = -0.05
    high: float = 0.05

    def _validate_args(self) -> None:
        if not self.low < self.high:
            raise SpecError(
                f"uniform: low must be < high, got low={self.low!r}, high={self.high!r}",
                token="low",
            )

    def _sample(self, block: Block, rng: np.random.Generator) -> np.ndarray:
        return rng.uniform(self.low, self.high, size=block.shape)


@dataclass(frozen=True, kw_only=True)
class _VarianceScaling(Init):
    """Zero-mean init with variance ``gain² · scale / fan``, ``fan`` chosen by ``mode``.

    Uniform variants draw from ``U(±√3·std)``; normal variants from ``N(0, std²)`` (as
    ``torch.nn.init``; Keras' ``*Normal`` variance-scaling initializers use a truncated normal).
    """

    mode: ClassVar[str] = "fan_avg"
    scale: ClassVar[float] = 1.0
    distribution: ClassVar[str] = "uniform"
    gain: float = 1.0

    def _validate_args(self) -> None:
        _nonnegative(self, "gain")

    def std(self, block: Block) -> float:
        fan = {
            "fan_in": block.fan_in,
            "fan_out": block.fan_out,
            "fan_avg": (block.fan_in + block.fan_out) / 2.0,
        }[self.mode]
        return self.gain * math.sqrt(self.scale / fan)

    def _sample(self, block: Block, rng: np.random.Generator) -> np.ndarray:
        std = self.std(block)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0) * std
            return rng.uniform(-limit, limit, size=block.shape)
        return rng.normal(0.0, std, size=block.shape)


@dataclass(frozen=True, kw_only=True)
class GlorotUniform(_VarianceScaling):
    """Glorot & Bengio (2010): ``U(±gain·√(6 / (fan_in + fan_out)))``."""

    name: ClassVar[str] = "glorot_uniform"
    summary: ClassVar[str] = "U(±gain·sqrt(6/(fan_in+fan_out)))"


@dataclass(frozen=True, kw_only=True)
class GlorotNormal(_VarianceScaling):
    """Glorot & Bengio (2010): ``N(0, gain² · 2 / (fan_in + fan_out))``."""

    name: ClassVar[str] = "glorot_normal"
    summary: ClassVar[str] = "N(0, gain^2·2/(fan_in+fan_out))"
    distribution: ClassVar[str] = "normal"


@dataclass(frozen=True, kw_only=True)
class HeUniform(_VarianceScaling):
    """``U(±gain·√(6 / fan_in))``: the variance of He et al. (2015, §2.2), who give only the Gaussian;
    the uniform with that variance is Keras' ``HeUniform``."""

    name: ClassVar[str] = "he_uniform"
    summary: ClassVar[str] = "U(±gain·sqrt(6/fan_in))"
    mode: ClassVar[str] = "fan_in"
    scale: ClassVar[float] = 2.0


@dataclass(frozen=True, kw_only=True)
class HeNormal(_VarianceScaling):
    """He et al. (2015, §2.2): ``N(0, gain² · 2 / fan_in)``."""

    name: ClassVar[str] = "he_normal"
    summary: ClassVar[str] = "N(0, gain^2·2/fan_in)"
    mode: ClassVar[str] = "fan_in"
    scale: ClassVar[float] = 2.0
    distribution: ClassVar[str] = "normal"


@dataclass(frozen=True, kw_only=True)
class LecunUniform(_VarianceScaling):
    """LeCun et al. (1998): ``U(±gain·√(3 / fan_in))``."""

    name: ClassVar[str] = "lecun_uniform"
    summary: ClassVar[str] = "U(±gain·sqrt(3/fan_in))"
    mode: ClassVar[str] = "fan_in"


@dataclass(frozen=True, kw_only=True)
class LecunNormal(_VarianceScaling):
    """LeCun et al. (1998): ``N(0, gain² / fan_in)``."""

    name: ClassVar[str] = "lecun_normal"
    summary: ClassVar[str] = "N(0, gain^2/fan_in)"
    mode: ClassVar[str] = "fan_in"
    distribution: ClassVar[str] = "normal"


@dataclass(frozen=True, kw_only=True)
class TorchDefault(Init):
    """PyTorch's RNN default: every parameter ``U(±1/√hidden_size)`` (``nn.RNNBase.reset_parameters``).

    PyTorch stores two additive biases (``bias_ih + bias_hh``), each ``U(±1/√H)``, so the
    *effective* bias is the sum of two such draws (a triangular distribution on ``±2/√H``).
    ``terms`` is how many draws are summed; by default it is what PyTorch does for that block
    (2 for a gate bias of ``nn.RNN``/``nn.LSTM``/``nn.GRU`` except GRU's n gate, 1 elsewhere).
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
        return 1.0 / math.sqrt(block.hidden_size)

    def terms_for(self, block: Block) -> int:
        if self.terms is not None:
            return self.terms
        return block.bias_terms if block.is_bias else 1

    def _sample(self, block: Block, rng: np.random.Generator) -> np.ndarray:
        bound = self.bound(block)
        terms = self.terms_for(block)
        if terms == 1:  # the same numbers as the general case, without a copy through sum()
            return rng.uniform(-bound, bound, size=block.shape)
        return rng.uniform(-bound, bound, size=(terms, *block.shape)).sum(axis=0)

"""Structured matrices: orthogonal, identity, and random matrices scaled to a spectral radius."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from scipy.linalg import lapack

from rnninit.errors import SpecError
from rnninit.inits import scratch
from rnninit.inits.base import Block, Init
from rnninit.inits.constant import Constant, Ones, Zeros
from rnninit.inits.properties import ScaledIdentity, ScaledOrthogonal, SpectralRadius
from rnninit.inits.random import Normal, _nonnegative


def orthogonal_matrix(rows: int, cols: int, rng: np.random.Generator) -> np.ndarray:
    """A Haar-random (semi-)orthogonal ``rows × cols`` matrix.

    QR of a Gaussian matrix with the signs of ``R``'s diagonal folded into ``Q`` (Mezzadri 2007),
    which makes the result exactly Haar-distributed; the same recipe as ``torch.nn.init.orthogonal_``.
    Rows are orthonormal when ``rows <= cols``, columns otherwise.

    ``Q`` is unique once ``diag(R) > 0``, so how it is computed changes only rounding: LAPACK's
    Householder QR (``geqrt`` then ``orgqr``) runs in place on the column-major draw, without
    ``numpy.linalg.qr``'s copies and the ``triu`` that reads ``R``'s diagonal. Its ``Q`` is
    ``numpy.linalg.qr``'s to float64 rounding (``tests/core/test_orthogonal_identity_spectral.py``
    holds them within 1e-13).

    Args:
        rows: The number of rows, ``>= 1``.
        cols: The number of columns, ``>= 1``.
        rng: The generator to draw the Gaussian matrix from.

    Returns:
        A float64 ``rows × cols`` array (column-major when ``rows >= cols``).

    Examples:
        >>> import numpy as np
        >>> from rnninit.inits import orthogonal_matrix
        >>> q = orthogonal_matrix(3, 5, np.random.default_rng(0))
        >>> q.shape, bool(np.allclose(q @ q.T, np.eye(3)))
        ((3, 5), True)
    """
    tall = rows >= cols
    shape = (rows, cols) if tall else (cols, rows)
    q = _householder_q(_standard_normal_column_major(shape, rng))
    return q if tall else q.T  # column-major when tall: whoever writes it into storage copies it once


def _standard_normal_column_major(
    shape: tuple[int, int], rng: np.random.Generator, chunk: int = 64
) -> np.ndarray:
    """``rng.standard_normal(shape)`` (the same numbers at the same places), stored column-major.

    Drawn a few rows at a time: consecutive draws continue one stream, so the values are those of one
    row-major draw, and each small chunk is moved into column order while it is still in cache.
    """
    out = scratch.empty(shape, order="F")
    for start in range(0, shape[0], chunk):
        stop = min(start + chunk, shape[0])
        out[start:stop] = rng.standard_normal((stop - start, shape[1]))
    return out


#: ``geqrt``'s block size: its recursive panels then run mostly in matrix-matrix products.
QR_BLOCK = 128


def _householder_q(a: np.ndarray) -> np.ndarray:
    """``Q`` of ``a = QR`` (``a`` tall, column-major, overwritten), signed so that ``diag(R) > 0``.

    ``geqrt`` factors with recursive panels in blocks of `QR_BLOCK` columns (faster than
    ``geqrf``'s, which are narrower), leaving the same Householder vectors below the diagonal and
    their factors ``tau`` on the diagonals of its ``T`` blocks; ``orgqr`` then forms ``Q``.
    """
    # scipy-stubs types the result as one function or a list; for a tuple of names it is the list
    geqrt, orgqr = lapack.get_lapack_funcs(("geqrt", "orgqr"), (a,))  # type: ignore[misc]
    k = a.shape[1]
    block = min(QR_BLOCK, k)
    qr, t, info = geqrt(block, a, overwrite_a=True)
    _check_lapack("geqrt", info)
    tau = t[np.arange(k) % block, np.arange(k)]  # T's block j holds tau[j*block:(j+1)*block] on its diagonal
    signs = np.where(qr.diagonal() < 0, -1.0, 1.0)
    _, work, _ = orgqr(qr, tau, lwork=-1, overwrite_a=True)  # workspace query: reads only the shape
    q, _, info = orgqr(qr, tau, lwork=max(1, int(work[0])), overwrite_a=True)
    _check_lapack("orgqr", info)
    q *= signs
    return q


def _check_lapack(name: str, info: int) -> None:
    if info != 0:  # only a bad argument, i.e. a bug here: geqrt/orgqr cannot fail on finite input
        raise RuntimeError(f"LAPACK {name} returned info={info}")


@dataclass(frozen=True, kw_only=True)
class Orthogonal(Init):
    """``gain · Q`` with ``Q`` Haar-random (semi-)orthogonal (Saxe, McClelland & Ganguli 2014).

    Per gate block unless ``fused=true``, in which case the stacked ``(gates·H, in)`` matrix is
    semi-orthogonal, as ``keras.initializers.Orthogonal`` on a fused Keras kernel. Matrices only
    (`orthogonal_matrix` draws ``Q``).

    Args:
        gain: Multiplies ``Q``, ``gain >= 0`` (``gain=0`` gives zeros).
        fused: Make the whole gated role's stacked matrix semi-orthogonal, not each gate block.

    Raises:
        SpecError: ``gain < 0`` or not a finite number; at sampling, a block that is not a matrix.

    Examples:
        >>> import numpy as np
        >>> from rnninit.inits import Block, Orthogonal
        >>> block = Block("hh", None, (64, 64), "matrix", hidden_size=64)
        >>> w = Orthogonal(gain=2.0).sample(block, np.random.default_rng(0))
        >>> bool(np.allclose(w @ w.T, 4.0 * np.eye(64))), str(Orthogonal(gain=2.0))
        (True, 'orthogonal(gain=2.0)')
    """

    name: ClassVar[str] = "orthogonal"
    summary: ClassVar[str] = "gain·Q, Q Haar-orthogonal (QR with sign correction)"
    accepts: ClassVar[tuple[str, ...]] = ("matrix",)
    gain: float = 1.0

    def _validate_args(self) -> None:
        _nonnegative(self, "gain")

    def exact_property(self, block: Block) -> ScaledOrthogonal:
        return ScaledOrthogonal(self.gain)

    def constant_value(self, form: str) -> float | None:
        return 0.0 if self.gain == 0 else None

    def _sample(self, block: Block, rng: np.random.Generator) -> np.ndarray:
        rows, cols = block.shape
        q = orthogonal_matrix(rows, cols, rng)
        if self.gain != 1.0:
            q *= self.gain  # in place: the same product, without another block-sized array
        return q


@dataclass(frozen=True, kw_only=True)
class Identity(Init):
    """``gain · I`` on a square block; on a diagonal block (IndRNN), every entry ``gain``.

    IRNN (Le, Jaitly & Hinton 2015) uses it for the recurrent weights of a ReLU RNN.

    Args:
        gain: The diagonal's value, ``gain >= 0``.
        fused: Over all gates of a role at once: the stacked ``gates·H``-row block, square only in a
            one-gate cell (``minimalrnn``).

    Raises:
        SpecError: ``gain < 0`` or not a finite number; at sampling, a non-square matrix block or a
            vector (bias) block.

    Examples:
        >>> import numpy as np
        >>> from rnninit.inits import Block, Identity
        >>> block = Block("hh", None, (3, 3), "matrix", hidden_size=3)
        >>> Identity(gain=0.5).sample(block, np.random.default_rng(0)).tolist()
        [[0.5, 0.0, 0.0], [0.0, 0.5, 0.0], [0.0, 0.0, 0.5]]
        >>> diagonal = Block("hh", None, (3,), "diagonal", hidden_size=3)
        >>> Identity(gain=0.5).sample(diagonal, np.random.default_rng(0)).tolist()
        [0.5, 0.5, 0.5]
    """

    name: ClassVar[str] = "identity"
    summary: ClassVar[str] = "gain·I"
    accepts: ClassVar[tuple[str, ...]] = ("matrix", "diagonal")
    gain: float = 1.0

    def _validate_args(self) -> None:
        _nonnegative(self, "gain")

    def exact_property(self, block: Block) -> ScaledIdentity:
        return ScaledIdentity(self.gain, diagonal=block.form == "diagonal")

    def constant_value(self, form: str) -> float | None:
        return self.gain if form == "diagonal" or self.gain == 0 else None

    def _validate_block(self, block: Block) -> None:
        if block.form == "matrix" and block.shape[0] != block.shape[1]:
            raise SpecError(
                f"identity needs a square block, but {block.describe()} is not square "
                "(use orthogonal for a non-square block)",
                token=str(self),
            )

    def _sample(self, block: Block, rng: np.random.Generator) -> np.ndarray:
        if block.form == "diagonal":
            return np.full(block.shape, self.gain)
        return self.gain * np.eye(block.shape[0])


def spectral_radius(matrix: np.ndarray) -> float:
    """Largest absolute eigenvalue of a square matrix.

    Args:
        matrix: A square 2-D array.

    Returns:
        ``max |λ|`` over the eigenvalues ``λ`` of ``matrix``.

    Raises:
        numpy.linalg.LinAlgError: ``matrix`` is not square.

    Examples:
        >>> import numpy as np
        >>> from rnninit.inits import spectral_radius
        >>> spectral_radius(np.diag([0.5, -2.0]))
        2.0
    """
    return float(np.max(np.abs(np.linalg.eigvals(matrix))))


@dataclass(frozen=True, kw_only=True)
class Spectral(Init):
    """A matrix drawn from ``base`` and rescaled so that its spectral radius is exactly ``radius``.

    The echo-state-network recipe (Jaeger 2001): ``W = radius · W₀ / ρ(W₀)``. Square blocks only.

    Args:
        radius: The spectral radius of the result, ``radius > 0``.
        base: The random init that draws ``W₀`` (default ``normal``); not fused, able to draw a
            matrix, and not ``spectral``, ``identity``, ``constant``, ``zeros`` or ``ones``.
        fused: Over all gates of a role at once: the stacked ``gates·H``-row block, square only in a
            one-gate cell (``minimalrnn``).

    Raises:
        SpecError: ``radius <= 0`` or not a finite number, an unsuitable ``base``; at sampling, a
            non-square block, or a ``W₀`` with spectral radius 0.

    Examples:
        >>> import numpy as np
        >>> from rnninit.inits import Block, Spectral, Uniform, spectral_radius
        >>> block = Block("hh", None, (64, 64), "matrix", hidden_size=64)
        >>> init = Spectral(radius=0.9, base=Uniform(low=-1.0, high=1.0))
        >>> round(spectral_radius(init.sample(block, np.random.default_rng(0))), 6)
        0.9
        >>> str(init)
        'spectral(radius=0.9, base=uniform(low=-1.0, high=1.0))'
    """

    name: ClassVar[str] = "spectral"
    summary: ClassVar[str] = "base rescaled to spectral radius"
    accepts: ClassVar[tuple[str, ...]] = ("matrix",)
    radius: float = 1.0
    base: Init = field(default_factory=Normal)

    def _validate_args(self) -> None:
        if self.radius <= 0:
            raise SpecError(f"spectral: radius must be > 0, got {self.radius!r}", token="radius")
        if self.base.fused:
            raise SpecError("spectral: base must not be fused", token="base")
        if "matrix" not in self.base.accepts:
            raise SpecError(f"spectral: base {self.base.name} cannot draw a matrix", token="base")
        if isinstance(self.base, (Spectral, Identity, Constant, Zeros, Ones)):
            raise SpecError(
                f"spectral: base {self.base.name} has no useful spectrum to rescale; "
                "use a random init such as normal or uniform",
                token="base",
            )

    def exact_property(self, block: Block) -> SpectralRadius:
        """Only the radius: the entries are ``base``'s draws divided by their own matrix's radius, so
        they are not independent, and have no `entry_distribution`."""
        return SpectralRadius(self.radius)

    def _validate_block(self, block: Block) -> None:
        if block.shape[0] != block.shape[1]:
            raise SpecError(
                f"spectral needs a square block, but {block.describe()} is not square",
                token=str(self),
            )

    def _sample(self, block: Block, rng: np.random.Generator) -> np.ndarray:
        w0 = self.base.sample(block, rng)  # a base whose values overflow is a SpecError, as on its own
        rho = spectral_radius(w0)
        if rho == 0:
            raise SpecError(f"spectral: {self.base} drew a matrix with spectral radius 0")
        return self.radius * w0 / rho

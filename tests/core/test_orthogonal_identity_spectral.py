"""Structured matrices: orthogonal is exactly (semi-)orthogonal and Haar-distributed, identity is
exact, spectral hits its radius.

Haar check: for a Haar-random orthogonal matrix the distribution of each entry is symmetric about
0, so the sign correction of the QR decomposition must leave the diagonal entries as often
positive as negative (without it, Householder QR makes them systematically one-signed). The
binomial test runs at a false-positive rate of ``ALPHA = 1e-4`` with fixed seeds.
"""

from __future__ import annotations

import numpy as np
import pytest
from core_blocks import ALPHA, matrix_block, rng, torch_layout
from scipy import stats

from rnninit.errors import SpecError
from rnninit.inits import (
    Block,
    Identity,
    Normal,
    Orthogonal,
    Spectral,
    Uniform,
    orthogonal_matrix,
    spectral_radius,
)
from rnninit.plan import make_plan


@pytest.mark.parametrize(("rows", "cols"), [(16, 16), (40, 12), (12, 40), (1, 9), (9, 1)])
@pytest.mark.parametrize("gain", [1.0, 0.7])
def test_orthogonal_is_orthogonal_to_1e_6(rows, cols, gain):
    w = Orthogonal(gain=gain).sample(matrix_block(rows, cols), rng())
    small = min(rows, cols)
    gram = w.T @ w if rows >= cols else w @ w.T  # orthonormal columns (tall) or rows (wide)
    np.testing.assert_allclose(gram, gain**2 * np.eye(small), atol=1e-6)


def test_orthogonal_per_gate_block_on_an_lstm_makes_each_gate_orthogonal():
    hidden = 24
    plan = make_plan("hh=orthogonal(gain=1.5)", torch_layout("lstm", 10, hidden), seed=3)
    blocks = [a.value for a in plan.assignments]
    assert len(blocks) == 4
    for w in blocks:
        np.testing.assert_allclose(w @ w.T, 1.5**2 * np.eye(hidden), atol=1e-6)


def test_fused_orthogonal_makes_the_stacked_matrix_semi_orthogonal_not_each_gate():
    hidden = 24
    plan = make_plan("hh=orthogonal(gain=0.5, fused=true)", torch_layout("lstm", 10, hidden), seed=3)
    stacked = np.concatenate([a.value for a in plan.assignments])  # (4H, H): orthonormal columns
    np.testing.assert_allclose(stacked.T @ stacked, 0.25 * np.eye(hidden), atol=1e-6)
    first = plan.assignments[0].value
    assert not np.allclose(first @ first.T, 0.25 * np.eye(hidden), atol=1e-2)


def test_orthogonal_is_haar_the_diagonal_is_sign_symmetric():
    diagonal = np.concatenate([orthogonal_matrix(8, 8, rng(seed)).diagonal() for seed in range(500)])
    positives = int((diagonal > 0).sum())
    assert stats.binomtest(positives, diagonal.size, 0.5).pvalue > ALPHA
    # Haar entries of an n×n orthogonal matrix: n·Q_ij² ~ Beta(1/2, (n-1)/2) scaled; check E[Q_ij²] = 1/n
    assert abs(np.mean(diagonal**2) - 1 / 8) < 0.01


def test_power_plain_qr_without_sign_correction_fails_the_haar_check():
    diagonal = []
    for seed in range(500):
        q, _ = np.linalg.qr(rng(seed).standard_normal((8, 8)))
        diagonal.append(q.diagonal())
    diagonal = np.concatenate(diagonal)
    assert stats.binomtest(int((diagonal > 0).sum()), diagonal.size, 0.5).pvalue < ALPHA


def test_orthogonal_needs_a_matrix():
    with pytest.raises(SpecError, match="orthogonal cannot initialize bias vector"):
        Orthogonal().sample(Block("bias", None, (4,), "vector", 4), rng())


def test_identity_is_exact_and_scaled():
    np.testing.assert_array_equal(Identity(gain=0.5).sample(matrix_block(6, 6), rng()), 0.5 * np.eye(6))


def test_identity_on_a_diagonal_block_fills_the_diagonal():
    block = Block("hh", None, (5,), "diagonal", 5)
    np.testing.assert_array_equal(Identity(gain=0.9).sample(block, rng()), np.full(5, 0.9))


def test_identity_on_a_non_square_block_names_the_block():
    with pytest.raises(
        SpecError, match=r"identity needs a square block, but hh matrix of shape \(4, 6\) is not square"
    ):
        Identity().sample(matrix_block(4, 6), rng())


@pytest.mark.parametrize("base", [Normal(), Uniform(low=-1.0, high=1.0), Normal(mean=0.1, std=3.0)])
@pytest.mark.parametrize("radius", [0.5, 1.0, 1.7])
def test_spectral_hits_its_radius_to_1e_9(base, radius):
    w = Spectral(radius=radius, base=base).sample(matrix_block(32, 32), rng(7))
    assert abs(spectral_radius(w) - radius) < 1e-9


def test_spectral_rescales_its_base_draw_without_changing_its_direction():
    block = matrix_block(10, 10)
    w0 = Normal().sample(block, rng(5))
    w = Spectral(radius=0.8).sample(block, rng(5))
    np.testing.assert_allclose(w, 0.8 * w0 / spectral_radius(w0), rtol=1e-12)


def test_spectral_needs_a_square_block():
    with pytest.raises(SpecError, match="spectral needs a square block"):
        Spectral().sample(matrix_block(3, 5), rng())


def test_spectral_refuses_bases_without_a_useful_spectrum():
    from rnninit.inits import Zeros

    for base in (Zeros(), Identity(), Spectral()):
        with pytest.raises(SpecError, match="has no useful spectrum"):
            Spectral(base=base)


def previous_orthogonal_matrix(rows, cols, generator):
    """The implementation before LAPACK was called directly (numpy.linalg.qr, then np.diag(R)'s signs)."""
    tall = rows >= cols
    a = generator.standard_normal((rows, cols) if tall else (cols, rows))
    q, r = np.linalg.qr(a)
    q = q * np.sign(np.diag(r))
    return q if tall else q.T


@pytest.mark.parametrize(
    ("rows", "cols"), [(1, 1), (1, 7), (7, 1), (16, 16), (40, 12), (12, 40), (300, 300), (257, 520)]
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_orthogonal_gives_the_numbers_of_the_previous_implementation(rows, cols, seed):
    # Same draws, and Q of a QR with diag(R) > 0 is unique: only rounding differs (geqrt's panels
    # round differently from geqrf's; the entries stay within a few float64 units).
    got = orthogonal_matrix(rows, cols, rng(seed))
    want = previous_orthogonal_matrix(rows, cols, rng(seed))
    assert got.shape == want.shape  # row- or column-major: whoever stores it copies it once
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-13)


def test_orthogonal_with_a_gain_scales_the_previous_numbers():
    got = Orthogonal(gain=0.7).sample(matrix_block(30, 30), rng(4))
    np.testing.assert_allclose(got, 0.7 * previous_orthogonal_matrix(30, 30, rng(4)), rtol=0, atol=1e-13)


def test_spectral_with_a_base_whose_values_overflow_is_a_spec_error():
    with pytest.raises(SpecError, match="drew values beyond a float's range"):
        Spectral(base=Normal(std=1e308)).sample(matrix_block(6, 6), rng(0))

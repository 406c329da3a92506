"""Jacobians and their products against brute-force autograd through the unrolled cell."""

import numpy as np
import pytest
import torch

from rnninit.dynamics import CELLS, diagnose, make_cell, make_inputs, spectral_norm, step_jacobian, trajectory


def unrolled_jacobian(stepper, inputs, start, batch_index):
    """∂s_T/∂s_start for one sequence, by autograd through steps start+1 … T."""

    def run(s):
        for x in inputs[start:, batch_index : batch_index + 1]:
            s = stepper.step(x, s)
        return s[0]

    states = trajectory(stepper, inputs, stepper.zeros(inputs.shape[1]))
    return torch.autograd.functional.jacobian(run, states[start, batch_index : batch_index + 1])[:, 0, :]


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_step_jacobian_matches_autograd_per_sequence(cell):
    stepper = make_cell(cell, 3, 5, "pytorch_default", seed=1).frozen_copy()
    x = torch.randn(4, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    s = torch.randn(4, stepper.state_size, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    jac = step_jacobian(stepper, x, s)
    for b in range(4):
        expected = torch.autograd.functional.jacobian(lambda v: stepper.step(x[b : b + 1], v[None])[0], s[b])
        torch.testing.assert_close(jac[b], expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cell", ["lstm", "gru", "minimalrnn", "elman"])
def test_jacobian_norms_are_batch_means_of_spectral_norms_of_unrolled_jacobians(cell):
    steps, batch = 7, 3
    stepper = make_cell(cell, 2, 4, "pytorch_default", seed=3)
    inputs = make_inputs("normal", steps=steps, input_size=2, batch=batch, seed=5)
    d = diagnose(stepper, steps=steps, inputs=inputs)
    frozen = stepper.frozen_copy()
    for k in range(steps):
        start = steps - 1 - k
        jacs = [unrolled_jacobian(frozen, inputs, start, b).numpy() for b in range(batch)]
        full = np.mean([np.linalg.norm(j, 2) for j in jacs])
        np.testing.assert_allclose(d.jacobian_norms[k], full, rtol=1e-10)
        for name in d.part_jacobian_norms:
            sl = frozen.part_slice(name)
            block = np.mean([np.linalg.norm(j[sl, sl], 2) for j in jacs])
            np.testing.assert_allclose(d.part_jacobian_norms[name][k], block, rtol=1e-10)


def test_step_jacobian_norms_and_radius_match_numpy_at_visited_states():
    steps = 6
    stepper = make_cell("gru", 2, 5, "pytorch_default", seed=0)
    d = diagnose(stepper, steps=steps, inputs="normal", batch=2, probes=3)
    frozen = stepper.frozen_copy()
    inputs = make_inputs("normal", steps=steps, input_size=2, batch=2, seed=0)
    states = trajectory(frozen, inputs, frozen.zeros(2))
    jacs = [step_jacobian(frozen, inputs[t - 1], states[t - 1]).numpy() for t in range(1, steps + 1)]
    step_norms = [np.mean([np.linalg.norm(j, 2) for j in js]) for js in jacs]
    np.testing.assert_allclose(d.step_jacobian_norms, step_norms)
    assert d.probe_steps == [1, 4, 6]
    radius = [np.mean([np.abs(np.linalg.eigvals(j)).max() for j in jacs[t - 1]]) for t in d.probe_steps]
    np.testing.assert_allclose(d.step_jacobian_spectral_radius, radius, rtol=1e-10)
    last = np.mean([np.linalg.svd(j, compute_uv=False) for j in jacs[-1]], axis=0)
    np.testing.assert_allclose(d.step_jacobian_singular_values, last)


@pytest.mark.parametrize("scale", [1e-200, 1e-3, 1.0, 1e200])
def test_spectral_norm_matches_numpy_at_any_scale(scale):
    rng = np.random.default_rng(0)
    matrices = rng.standard_normal((5, 6, 4)) * scale
    expected = [np.linalg.norm(m, 2) for m in matrices]
    np.testing.assert_allclose(spectral_norm(torch.from_numpy(matrices)).numpy(), expected, rtol=1e-12)
    zeros = torch.zeros(2, 3, 3, dtype=torch.float64)
    np.testing.assert_array_equal(spectral_norm(zeros).numpy(), [0.0, 0.0])


def test_long_exploding_product_neither_overflows_early_nor_turns_nan():
    # gain 2 over 1100 steps: 2^1023 is still a float64, 2^1024 is not; the product is kept rescaled,
    # so every norm up to the overflow is exact and the rest are inf, never NaN.
    d = make_cell("elman", 1, 4, "hh=orthogonal(gain=2.0) bias=zeros", seed=0)
    result = diagnose(d, steps=1100)
    np.testing.assert_allclose(result.jacobian_norms[:1023], 2.0 ** np.arange(1, 1024), rtol=1e-9)
    assert np.isinf(result.jacobian_norms[1023:]).all()
    assert result.to_dict()["jacobian_norms"][-1] is None
    assert (result.memory_horizon, result.memory_horizon_reason) == (10, "exploding")


def test_diagnosis_leaves_the_cell_and_the_global_generator_untouched_and_repeats_exactly():
    cell = torch.nn.LSTMCell(3, 4)
    before = {k: v.clone() for k, v in cell.state_dict().items()}
    torch.manual_seed(123)
    expected_draw = torch.rand(3)
    torch.manual_seed(123)
    first = diagnose(cell, steps=5, inputs="normal", seed=2)
    second = diagnose(cell, steps=5, inputs="normal", seed=2)
    assert torch.equal(torch.rand(3), expected_draw)
    for key, value in cell.state_dict().items():
        assert torch.equal(value, before[key]) and value.dtype == torch.float32
    np.testing.assert_array_equal(first.jacobian_norms, second.jacobian_norms)
    assert first.cell == "LSTMCell" and sorted(first.part_jacobian_norms) == ["c", "h"]

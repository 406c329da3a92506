"""Public dynamics functions on bad or unusual input: a library error that names what is valid, and a
stepper whose weights require grad measured exactly like its frozen copy."""

import warnings

import numpy as np
import pytest
import torch

from rnninit.dynamics import (
    DynamicsError,
    diagnose,
    gradient_flow,
    make_cell,
    make_inputs,
    step_jacobian,
    trajectory,
)
from rnninit.errors import SeedError


@pytest.mark.parametrize("cell", ["lstm", "gru", "elman"])
def test_a_stepper_whose_weights_require_grad_gives_its_frozen_copys_numbers_without_warnings(cell):
    stepper = make_cell(cell, 3, 5, "pytorch_default", seed=0)
    stepper.module.requires_grad_(True)
    frozen = stepper.frozen_copy()
    xs = make_inputs("normal", steps=6, input_size=3, batch=2, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch's "requires_grad=True to a scalar" warning fails the test
        states = trajectory(stepper, xs, stepper.zeros(2))
        flow = gradient_flow(stepper, xs, states, probes=3)
    frozen_states = trajectory(frozen, xs, frozen.zeros(2))
    frozen_flow = gradient_flow(frozen, xs, frozen_states, probes=3)
    assert not states.requires_grad
    torch.testing.assert_close(states, frozen_states, rtol=0, atol=0)
    np.testing.assert_array_equal(flow.norms, frozen_flow.norms)
    np.testing.assert_array_equal(flow.step_norms, frozen_flow.step_norms)
    np.testing.assert_array_equal(flow.step_radius, frozen_flow.step_radius)
    np.testing.assert_array_equal(flow.last_singular_values, frozen_flow.last_singular_values)
    for part in frozen_flow.part_norms:
        np.testing.assert_array_equal(flow.part_norms[part], frozen_flow.part_norms[part])
    # the diagnosis (which measures a frozen copy itself) agrees with both
    d = diagnose(stepper, steps=6, inputs=xs)
    np.testing.assert_array_equal(d.jacobian_norms, flow.norms)
    assert all(p.requires_grad for p in stepper.module.parameters())  # the caller's stepper is untouched
    assert all(p.grad is None for p in stepper.module.parameters())


def test_step_jacobian_stays_differentiable_in_the_weights_and_equals_the_frozen_one():
    stepper = make_cell("gru", 3, 4, "pytorch_default", seed=0)
    stepper.module.requires_grad_(True)
    x, s = make_inputs("normal", steps=1, input_size=3, batch=2)[0], stepper.zeros(2) + 0.1
    jac = step_jacobian(stepper, x, s)
    torch.testing.assert_close(jac.detach(), step_jacobian(stepper.frozen_copy(), x, s), rtol=0, atol=0)
    jac.sum().backward()  # a user may train through it: the graph to the weights is kept
    assert stepper.module.weight_hh.grad is not None


@pytest.mark.parametrize("seed", [-1, 2**63, 1.5, True, "0"])
def test_make_cell_checks_its_seed_like_the_rest_of_the_library(seed):
    with pytest.raises(SeedError, match=r"seed must be an integer in \[0, 2\*\*63 - 1\]"):
        make_cell("lstm", 3, 4, seed=seed)


def test_make_cell_checks_the_seed_of_keras_cells_before_building_them():
    pytest.importorskip("keras")
    with pytest.raises(SeedError, match="seed must be"):
        make_cell("keras_lstm", 3, 4, seed=-1)


@pytest.mark.parametrize("steps", [0, -2, 1.0, True, None])
@pytest.mark.parametrize("source", ["zeros", "normal", "uniform"])
def test_make_inputs_refuses_steps_that_are_not_a_positive_integer(source, steps):
    with pytest.raises(DynamicsError, match=r"steps must be a positive integer, got"):
        make_inputs(source, steps=steps, input_size=3, batch=2)


def test_make_inputs_refuses_bad_steps_for_data_too_and_a_bad_input_size():
    with pytest.raises(DynamicsError, match=r"steps must be a positive integer, got 0"):
        make_inputs(np.zeros((0, 2, 3)), steps=0, input_size=3)
    with pytest.raises(DynamicsError, match=r"input_size must be a positive integer, got 0"):
        make_inputs("zeros", steps=3, input_size=0)


@pytest.mark.parametrize("seed", [-1, 2**64])
def test_make_inputs_checks_the_seed_of_random_inputs(seed):
    with pytest.raises(SeedError, match="seed must be"):
        make_inputs("normal", steps=3, input_size=2, seed=seed)


def test_trajectory_names_the_expected_and_given_input_size_before_running():
    stepper = make_cell("lstm", 3, 4, seed=0)
    xs = make_inputs("zeros", steps=3, input_size=5, batch=2)
    with pytest.raises(DynamicsError, match=r"input size 5.*expects 3"):
        trajectory(stepper, xs, stepper.zeros(2))
    states = trajectory(stepper, make_inputs("zeros", steps=3, input_size=3, batch=2), stepper.zeros(2))
    with pytest.raises(DynamicsError, match=r"input size 5.*expects 3"):
        gradient_flow(stepper, xs, states)
    with pytest.raises(DynamicsError, match=r"input size 5.*expects 3"):
        step_jacobian(stepper, xs[0], stepper.zeros(2))


def test_trajectory_and_gradient_flow_name_a_wrongly_shaped_input_or_state():
    stepper = make_cell("lstm", 3, 4, seed=0)
    xs = make_inputs("zeros", steps=3, input_size=3, batch=2)
    with pytest.raises(DynamicsError, match=r"inputs must be shaped \(steps, batch, 3\), got \(2, 3\)"):
        trajectory(stepper, xs[0], stepper.zeros(2))
    with pytest.raises(DynamicsError, match=r"initial state must be shaped \(2, 8\).*got \(2, 4\)"):
        trajectory(stepper, xs, torch.zeros(2, 4, dtype=torch.float64))
    states = trajectory(stepper, xs, stepper.zeros(2))
    with pytest.raises(DynamicsError, match=r"states must be shaped \(4, 2, 8\).*got \(3, 2, 8\)"):
        gradient_flow(stepper, xs, states[:-1])


def test_a_seed_of_none_is_refused_without_offering_none():
    with pytest.raises(SeedError, match=r"an integer in \[0, 2\*\*63 - 1\], got None"):
        make_cell("elman", 3, 4, seed=None)


def test_inputs_and_states_of_another_dtype_than_the_cells_are_named():
    stepper = make_cell("elman", 3, 4, seed=0, dtype=torch.float32)
    xs64 = make_inputs("zeros", steps=3, input_size=3)
    with pytest.raises(
        DynamicsError, match=r"inputs are torch.float64 but the cell's weights are torch.float32"
    ):
        trajectory(stepper, xs64, stepper.zeros(1, torch.float32))
    xs = make_inputs("zeros", steps=3, input_size=3, dtype=torch.float32)
    with pytest.raises(
        DynamicsError, match=r"initial state is torch.float64 but the inputs are torch.float32"
    ):
        trajectory(stepper, xs, stepper.zeros(1))
    states = trajectory(stepper, xs, stepper.zeros(1, torch.float32))
    assert states.dtype == torch.float32 and states.shape == (4, 1, 4)


@pytest.mark.parametrize("inputs", ["zeros", "data"])
def test_diagnose_checks_its_seed_whatever_the_inputs(inputs):
    # the diagnosis records the seed, so a bad one is refused even where no input is drawn from it
    from rnninit.dynamics import diagnose

    xs = np.zeros((4, 2, 3)) if inputs == "data" else inputs
    with pytest.raises(SeedError, match="seed must be"):
        diagnose(torch.nn.RNNCell(3, 4), steps=4, inputs=xs, seed=-1)

"""Inputs, initial states, the step interface and bad input: typed errors that name what is valid."""

import numpy as np
import pytest
import torch
from torch import nn

import rnninit.torch as rt
from rnninit import RnninitError
from rnninit.dynamics import DynamicsError, Stepper, diagnose, diagnose_spec, make_cell, make_inputs


def test_normal_inputs_are_seeded_numpy_draws_and_zeros_default_to_one_sequence():
    x = make_inputs("normal", steps=3, input_size=2, seed=7)
    np.testing.assert_array_equal(x.numpy(), np.random.default_rng(7).standard_normal((3, 8, 2)))
    assert make_inputs("zeros", steps=3, input_size=2).shape == (3, 1, 2)


def test_task_data_as_an_array_gives_the_same_diagnosis_as_the_same_numbers_drawn_internally():
    stepper = make_cell("gru", 3, 6, "pytorch_default", seed=0)
    data = np.random.default_rng(4).standard_normal((12, 5, 3))
    from_data = diagnose(stepper, steps=12, inputs=data)
    drawn = diagnose(stepper, steps=12, inputs="normal", batch=5, seed=4)
    np.testing.assert_array_equal(from_data.jacobian_norms, drawn.jacobian_norms)
    assert from_data.inputs == "data" and from_data.batch == 5
    one_sequence = diagnose(stepper, steps=12, inputs=data[:, 0, :])
    assert one_sequence.batch == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"inputs": "gaussian"}, "valid inputs: 'zeros', 'normal', 'uniform'"),
        ({"inputs": np.zeros((5, 2, 3))}, r"shaped \(steps=4, batch, input_size=2\)"),
        ({"inputs": np.full((4, 2), np.nan)}, "finite"),
        ({"inputs": "normal", "batch": 0}, "batch must be a positive integer"),
        ({"steps": 0}, "positive integer"),
        ({"initial_state": np.zeros(7)}, r"initial_state must be shaped \(1, 6\)"),
    ],
)
def test_bad_diagnosis_arguments_raise_a_typed_error_naming_what_is_valid(kwargs, message):
    stepper = make_cell("lstm", 2, 3, seed=0)
    args = {"steps": 4, **kwargs}
    with pytest.raises(DynamicsError, match=message) as info:
        diagnose(stepper, **args)
    assert isinstance(info.value, RnninitError) and isinstance(info.value, ValueError)


def test_unknown_cell_suggests_the_closest_name():
    with pytest.raises(DynamicsError, match="unknown cell 'lstn'; did you mean 'lstm'"):
        make_cell("lstn", 2, 3)


def test_a_spec_that_does_not_fit_the_cell_raises_the_spec_error():
    with pytest.raises(RnninitError, match="unknown gate"):
        diagnose_spec("gru", "bias[f]=1.0", hidden_size=4, steps=3)


def test_a_sequence_module_is_refused_with_what_to_pass_instead():
    with pytest.raises(DynamicsError, match="sequence module"):
        diagnose(nn.LSTM(2, 3), steps=3)


def test_given_initial_state_starts_the_trajectory_there():
    # identity recurrence, zero input and bias: the state stays where it starts
    stepper = make_cell("elman", 2, 3, "ih=zeros hh=identity bias=zeros", seed=0)
    d = diagnose(stepper, steps=4, initial_state=np.array([0.1, 0.0, 0.0]))
    h = 0.1
    for t in range(4):
        h = np.tanh(h)
        assert d.state_norms[t] == pytest.approx(h, rel=1e-12)


def test_any_cell_with_the_step_convention_works_and_unexplained_weights_are_noted():
    class Leaky(nn.Module):
        """h' = 0.5 h + tanh(W x): a custom cell rnninit has no layout for."""

        def __init__(self):
            super().__init__()
            self.w = nn.Linear(2, 3, bias=False)

        def forward(self, x, h):
            return 0.5 * h + torch.tanh(self.w(x))

    d = diagnose(Stepper(Leaky(), (("h", 3),), input_size=2), steps=5, inputs="normal")
    np.testing.assert_allclose(d.jacobian_norms, 0.5 ** np.arange(1, 6), rtol=1e-12)
    assert d.spectral_radius == {} and "weight spectra not measured" in d.notes[0]


def test_library_cells_are_diagnosed_through_their_layouts():
    cell = rt.IndRNNCell(2, 4, init="ih=zeros hh=constant(value=0.5) bias=constant(value=1.0)", seed=0)
    d = diagnose(cell, steps=3)
    assert d.spectral_radius == {"hh": pytest.approx(0.5)}
    # relu, positive pre-activation: J = diag(u) = 0.5 I
    np.testing.assert_allclose(d.jacobian_norms, [0.5, 0.25, 0.125], rtol=1e-12)

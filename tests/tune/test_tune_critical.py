"""``rnninit.tune`` finds critical points known in closed form, and its objective has the values the
theory gives (docs/tune.md)."""

import math
import warnings

import numpy as np
import pytest
import torch
from torch import nn

import rnninit
from rnninit.dynamics import make_cell, make_inputs
from rnninit.tune import TuneError, measure


class LinearCell(nn.Module):
    """h' = W_ih x + W_hh h: a linear RNN cell, declared so that rnninit can initialize it."""

    rnninit_roles = {"W_ih": "ih", "W_hh": "hh"}

    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.W_ih = nn.Parameter(torch.empty(hidden_size, input_size))
        self.W_hh = nn.Parameter(torch.empty(hidden_size, hidden_size))
        nn.init.normal_(self.W_ih)
        nn.init.normal_(self.W_hh)

    def forward(self, x, h):
        return x @ self.W_ih.T + h @ self.W_hh.T


@pytest.mark.parametrize(
    ("cell", "family", "name"),
    [
        (LinearCell, "hh=orthogonal(gain=?)", "hh.gain"),
        ("elman", "hh=orthogonal(gain=?) bias=zeros", "hh.gain"),
        ("elman", "hh=identity(gain=?[0.1, 3]) bias=zeros", "hh.gain"),
        ("indrnn_tanh", "hh=identity(gain=?) bias=zeros", "hh.gain"),
    ],
)
def test_gain_one_is_found_within_2_percent_where_it_is_the_critical_point(cell, family, name):
    # At zero input from the zero state a tanh cell stays at 0 where tanh' = 1, so J_t = gain·Q and
    # ‖∂s_T/∂s_{T-1-k}‖ = gain^(k+1): the gradient is preserved over T steps exactly at gain 1.
    result = rnninit.tune(family, cell=cell, hidden=16, T=60, input="zeros")
    assert result.values[name] == pytest.approx(1.0, rel=0.02)
    assert result.diagnosis.memory_horizon is None
    assert rnninit.Spec.parse(str(result.spec)) == result.spec


def test_the_objective_terms_are_the_theoretical_values_on_an_orthogonal_elman():
    steps, gain = 40, 1.1
    stepper = make_cell("elman", 8, 8, f"hh=orthogonal(gain={gain}) bias=zeros", seed=0)
    m = measure(stepper.frozen_copy(), make_inputs("zeros", steps=steps, input_size=8))
    assert m.terms["gradient"] == pytest.approx(steps * math.log10(gain), rel=1e-9)
    assert m.terms["isometry"] == pytest.approx(0.0, abs=1e-9)  # every singular value of gain·Q is gain
    w_ih = stepper.module.weight_ih.detach().numpy()
    assert m.terms["input"] == pytest.approx(abs(math.log10(np.linalg.norm(w_ih, 2))), rel=1e-9)
    np.testing.assert_allclose(m.log10_gradient, [(k + 1) * math.log10(gain) for k in m.probes], rtol=1e-9)


def test_measuring_a_cell_whose_weights_require_grad_warns_nothing_and_gives_the_frozen_numbers():
    # The Jacobians of a cell with trainable weights carry a graph; measure turned them into floats
    # with torch's "Converting a tensor with requires_grad=True to a scalar" UserWarning.
    stepper = make_cell("elman", 8, 8, "hh=orthogonal(gain=3.0) bias=zeros", seed=0)
    xs = make_inputs("zeros", steps=20, input_size=8, batch=4)
    assert any(p.requires_grad for p in stepper.module.parameters())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = measure(stepper, xs)
    assert m.terms == measure(stepper.frozen_copy(), xs).terms


def test_saturation_shows_in_the_isometry_term():
    xs = make_inputs("normal", steps=30, input_size=8, batch=4, seed=0)
    quiet = make_cell("elman", 8, 8, "ih=normal(std=0.1) hh=orthogonal bias=zeros", seed=0)
    loud = make_cell("elman", 8, 8, "ih=normal(std=3.0) hh=orthogonal bias=zeros", seed=0)
    low, high = (measure(s.frozen_copy(), xs).terms["isometry"] for s in (quiet, loud))
    assert low < 0.05 and high > 0.5


def test_the_problem_statements_family_recovers_about_one_over_sqrt_h():
    for hidden in (32, 64):
        result = rnninit.tune(
            "ih=normal(std=1.0) hh=normal(std=?) bias=zeros",
            cell="elman",
            hidden=hidden,
            T=100,
            input="zeros",
        )
        assert result.values["hh.std"] * math.sqrt(hidden) == pytest.approx(1.0, abs=0.1)


def test_chosen_values_are_rounded_and_inside_the_bounds_and_the_trace_holds_every_point():
    result = rnninit.tune("hh=normal(std=?[0.05, 0.5]) bias=zeros", cell="gru", hidden=8, T=20, seed=3)
    (value,) = result.values.values()
    assert 0.05 <= value <= 0.5 and float(f"{value:.4g}") == value
    assert result.trace[-1].values == result.values and len(result.trace) >= 9
    assert result.objective == pytest.approx(sum(result.terms.values()))
    assert result.to_dict()["spec"] == str(result.spec)


def test_a_factory_keras_cell_and_a_library_class_are_tuned_like_builtin_cells():
    import keras

    import rnninit.torch as rt

    by_class = rnninit.tune(
        "hh=orthogonal(gain=?) bias=zeros", cell=rt.ElmanCell, hidden=8, T=30, input="zeros"
    )
    assert by_class.values["hh.gain"] == pytest.approx(1.0, rel=0.02)
    by_keras = rnninit.tune(
        "hh=orthogonal(gain=?) bias=zeros",
        cell=lambda i, h: keras.layers.SimpleRNNCell(h, dtype="float64"),
        hidden=8,
        T=30,
        input="zeros",
        input_size=3,
    )
    assert by_keras.values["hh.gain"] == pytest.approx(1.0, rel=0.02)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cell": "lstn"}, "did you mean 'lstm'"),
        ({"cell": 3}, "cell must be a cell name"),
        ({"T": 0}, "T must be a positive integer"),
        ({"hidden": -1}, "hidden must be a positive integer"),
        ({"input": "gaussian"}, "valid inputs"),
        ({"cell": "elman_relu", "input": "zeros"}, "ReLU cell at zero input"),
    ],
)
def test_bad_tune_arguments_are_typed_errors_that_say_what_is_valid(kwargs, message):
    args = {"cell": "elman", "hidden": 4, "T": 5, **kwargs}
    family = (
        "hh=normal(std=?) bias=zeros" if args["cell"] != "elman_relu" else "hh=identity(gain=?) bias=zeros"
    )
    with pytest.raises(TuneError, match=message) as info:
        rnninit.tune(family, **args)
    assert isinstance(info.value, rnninit.RnninitError)


def test_a_family_with_no_critical_member_says_so_and_a_value_at_a_bound_is_flagged():
    # N(0, 1) inputs of size 16 through input weights N(0, 1) saturate every tanh unit: no recurrent
    # scale makes the cell critical, and the result must say so rather than look like a success.
    saturated = rnninit.tune("ih=normal(std=1.0) hh=normal(std=?) bias=zeros", cell="elman", hidden=16, T=60)
    assert any("units are saturated" in note for note in saturated.notes)
    nowhere = rnninit.tune(
        "hh=orthogonal(gain=?[0.1, 0.5]) bias=zeros", cell="elman", hidden=8, T=60, input="zeros"
    )
    assert any("no point tried keeps the gradient" in note for note in nowhere.notes)
    edge = rnninit.tune(
        "hh=orthogonal(gain=?[0.1, 0.5]) bias=zeros", cell="elman", hidden=8, T=30, input="zeros"
    )
    assert edge.values["hh.gain"] == 0.5
    assert any("upper end of its range" in note for note in edge.notes)
    fine = rnninit.tune("hh=orthogonal(gain=?) bias=zeros", cell="elman", hidden=8, T=30, input="zeros")
    assert fine.notes == ()

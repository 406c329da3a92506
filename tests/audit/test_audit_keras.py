"""rnninit.audit on Keras: built-in layers at their defaults pass keras_default; the problem
statement's incorrect cell is caught, naming kernel_hh, expected std 1.0, found 0.5."""

import re
import sys

import keras
import numpy as np
import pytest
from helpers import ROOT

import rnninit as ri
import rnninit.keras as rk

sys.path.insert(0, str(ROOT / "examples" / "seed"))
from problem import CustomRNNCell, IncorrectInitializer  # noqa: E402 (examples/seed is not a package)

SPEC = "ih=normal(std=0.5) hh=normal(std=1.0)"


def _built(layer, shape):
    layer.build(shape)
    return layer


def test_problem_statement_incorrect_cell_is_caught_naming_kernel_hh():
    keras.utils.set_random_seed(0)
    cell = _built(
        CustomRNNCell(128, IncorrectInitializer(scale_ih=0.5, scale_hh=1.0), name="cell"), (None, 256)
    )
    report = ri.audit(cell, SPEC)
    [finding] = report.findings
    assert finding.tensors == ("cell/kernel_hh",) and finding.role == "hh"
    assert re.search(r"kernel_hh .*expected std 1\.0, found 0\.5\b", finding.message), finding.message
    assert report.notes and "kernel_hh → hh" in report.notes[0]
    explicit = ri.audit(cell, SPEC, roles={"kernel_ih": "ih", "kernel_hh": "hh"})
    assert [f.tensors for f in explicit.findings] == [("cell/kernel_hh",)]
    assert explicit.notes == []


def test_inference_skips_layers_without_a_recurrent_weight():
    keras.utils.set_random_seed(0)
    cell = CustomRNNCell(32, IncorrectInitializer(scale_ih=0.5, scale_hh=1.0), name="cell")
    model = keras.Sequential([keras.Input((16,)), keras.layers.Dense(16, name="dense")])
    _built(cell, (None, 16))
    holder = keras.layers.Layer(name="holder")
    holder.cell, holder.head = cell, model
    report = ri.audit(holder, "ih=normal(std=0.5) hh=normal(std=0.5)")
    assert {t for r in report.rows for t in r.tensors} == {"cell/kernel_ih", "cell/kernel_hh"}


def test_problem_statement_cell_with_right_scales_passes():
    keras.utils.set_random_seed(0)
    cell = _built(
        CustomRNNCell(128, IncorrectInitializer(scale_ih=0.5, scale_hh=0.5), name="cell"), (None, 256)
    )
    assert ri.audit(cell, "ih=normal(std=0.5) hh=normal(std=0.5)").ok


@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize(
    "layer",
    [
        lambda: keras.layers.LSTM(32),
        lambda: keras.layers.GRU(24),
        lambda: keras.layers.GRU(24, reset_after=False),
        lambda: keras.layers.SimpleRNN(20),
    ],
)
def test_untouched_keras_layers_pass_against_keras_default(layer, seed):
    keras.utils.set_random_seed(seed)
    built = _built(layer(), (None, 5, 12))
    report = ri.audit(built, "keras_default")
    assert report.ok, [f.message for f in report.findings]
    assert str(ri.describe(built)) == "keras_default"


def test_keras_lstm_against_a_per_gate_spec_is_caught_and_blamed_on_missing_apply():
    keras.utils.set_random_seed(0)
    lstm = _built(keras.layers.LSTM(32), (None, 5, 12))
    report = ri.audit(lstm, "ih=glorot_uniform hh=orthogonal bias=zeros bias[f]=1.0")
    assert report.findings[0].kind == "default"
    assert {f.role for f in report.findings[1:]} == {"ih", "hh"}
    rk.apply("ih=glorot_uniform hh=orthogonal bias=zeros bias[f]=1.0", lstm, seed=0)
    assert ri.audit(lstm, "ih=glorot_uniform hh=orthogonal bias=zeros bias[f]=1.0").ok


def test_reused_unseeded_keras_initializer_gives_identical_weights():
    init = keras.initializers.RandomNormal(stddev=0.5)
    cell = _built(CustomRNNCell(64, init, name="cell"), (None, 64))
    # the failure itself (Keras 3 reuses an unseeded initializer's stream and warns about it)
    np.testing.assert_array_equal(cell.kernel_ih.numpy(), cell.kernel_hh.numpy())
    report = ri.audit(cell, "ih=normal(std=0.5) hh=normal(std=0.5)")
    [finding] = report.findings
    assert finding.kind == "duplicate"
    assert set(finding.tensors) == {"cell/kernel_ih", "cell/kernel_hh"}


def test_keras_file_on_the_command_line(tmp_path):
    from rnninit.cli import main

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((5, 8)), keras.layers.LSTM(16), keras.layers.Dense(1)])
    model.save(tmp_path / "model.keras")
    assert main(["audit", str(tmp_path / "model.keras"), "--spec", "keras_default"]) == 0
    assert main(["audit", str(tmp_path / "model.keras"), "--spec", "pytorch_default"]) == 1


def test_rnninit_keras_cells_and_keras_apply_pass_their_spec():
    spec = "ih=normal(std=0.3) hh=orthogonal bias=zeros bias[f]=1.0"
    layer = _built(keras.layers.RNN(rk.LSTMCell(16, init=spec, seed=0)), (None, 5, 8))
    assert ri.audit(layer, spec).ok
    bidirectional = _built(keras.layers.Bidirectional(keras.layers.GRU(12)), (None, 5, 8))
    gru_spec = "ih=he_uniform hh=orthogonal bias=zeros bias_hn=uniform(low=-0.1, high=0.1)"
    rk.apply(gru_spec, bidirectional, seed=0)
    report = ri.audit(bidirectional, gru_spec)
    assert report.ok and {r.direction for r in report.rows} == {0, 1}

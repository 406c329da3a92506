"""Run in a fresh process by test_keras_saving.py: load a saved model, and check rnninit.keras on this
backend.

    python keras_fresh_process.py DIR      # DIR holds model.keras and expected.npz (weights, x, y, specs)

Exits non-zero (with the failing assertion) if the model does not load with identical weights,
outputs and specs, or if rk.apply / the cells disagree with torch.nn on this Keras backend.
"""

import json
import sys
from pathlib import Path

import keras
import numpy as np

import rnninit as ri
import rnninit.keras as rk


def check_loaded(folder: Path) -> None:
    expected = np.load(folder / "expected.npz")
    model = keras.saving.load_model(folder / "model.keras")
    weights = model.get_weights()
    assert len(weights) == int(expected["count"]), (len(weights), int(expected["count"]))
    for k, value in enumerate(weights):
        np.testing.assert_array_equal(value, expected[f"w{k}"])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(expected["x"])), expected["y"], atol=1e-5)
    role_value = rk.role("ih=normal hh=orthogonal bias=zeros", "hh", gates="zrh", seed=0)((4, 12))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(role_value), expected["role_value"])
    specs = json.loads(str(expected["specs"]))
    for layer_name, spec in specs.items():
        layer = model.get_layer(layer_name)
        rnn = getattr(layer, "forward_layer", layer)
        assert rnn.cell.init == ri.Spec.parse(spec), (layer_name, rnn.cell.init, spec)
        assert ri.Spec.from_dict(rnn.cell.get_config()["init"]) == ri.Spec.parse(spec)


def check_against_torch() -> None:
    import torch

    import rnninit.torch as rt

    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    lstm = "ih=glorot_uniform hh=orthogonal bias=uniform(low=-0.5, high=0.5) bias[f]=1.0"
    gru = "ih=glorot_uniform hh=orthogonal bias=uniform(low=-0.5, high=0.5) bias_hn=normal(std=0.3)"
    cases = [
        (keras.layers.LSTM(4, return_sequences=True), torch.nn.LSTM(3, 4, batch_first=True), lstm),
        (
            keras.layers.Bidirectional(keras.layers.GRU(4, return_sequences=True)),
            torch.nn.GRU(3, 4, batch_first=True, bidirectional=True),
            gru,
        ),
        (
            keras.layers.Bidirectional(
                keras.layers.RNN(rk.LSTMCell(4, init=lstm, seed=1), return_sequences=True)
            ),
            torch.nn.LSTM(3, 4, batch_first=True, bidirectional=True),
            None,  # the cells initialize themselves from their spec and seed
        ),
    ]
    for layer, module, spec in cases:
        layer.build((None, 5, 3))
        if spec is not None:
            rk.apply(spec, layer, seed=1)
        rt.apply(spec or lstm, module, seed=1)
        with torch.no_grad():
            expected = module(torch.from_numpy(x))[0].numpy()
        np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(x)), expected, atol=1e-5)


if __name__ == "__main__":
    check_loaded(Path(sys.argv[1]))
    check_against_torch()
    print(f"OK backend={keras.backend.backend()}")

"""A model using rnninit's cells saves to .keras and loads in a fresh process with identical weights and
specs."""

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from helpers import SRC

import rnninit.keras as rk

HERE = Path(__file__).parent
SPECS = {
    "elman": "irnn",
    "lstm": "ih=normal(std=0.2) hh=orthogonal bias=zeros bias[f]=1.0",
    "gru": "chrono(t_max=20) hh=orthogonal",
    "indrnn": "indrnn(t_max=50)",
    "minimal": "hh=orthogonal zh=orthogonal",
}

#: Also checked in the fresh process: a RoleInitializer gives the same numbers on every backend.
ROLE_SPEC = "ih=normal hh=orthogonal bias=zeros"


def build_model() -> keras.Model:
    inputs = keras.Input((5, 3))
    h = keras.layers.RNN(
        rk.ElmanCell(4, init=SPECS["elman"], activation="relu"), return_sequences=True, name="elman"
    )(inputs)
    h = keras.layers.Bidirectional(
        keras.layers.RNN(rk.LSTMCell(3, init=SPECS["lstm"]), return_sequences=True), name="lstm"
    )(h)
    h = keras.layers.RNN(rk.GRUCell(4, init=SPECS["gru"], seed=3), return_sequences=True, name="gru")(h)
    h = keras.layers.RNN(rk.IndRNNCell(4, init=SPECS["indrnn"]), return_sequences=True, name="indrnn")(h)
    h = keras.layers.RNN(rk.MinimalRNNCell(2, init=SPECS["minimal"]), name="minimal")(h)
    return keras.Model(inputs, keras.layers.Dense(1)(h))


def save(folder: Path) -> None:
    model = build_model()
    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    weights = model.get_weights()
    model.save(folder / "model.keras")
    np.savez(
        folder / "expected.npz",
        count=len(weights),
        x=x,
        y=np.asarray(model(x)),
        specs=json.dumps(SPECS),
        role_value=np.asarray(rk.role(ROLE_SPEC, "hh", gates="zrh", seed=0)((4, 12))),
        **{f"w{k}": w for k, w in enumerate(weights)},
    )


def run_fresh(folder: Path, backend: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "KERAS_BACKEND": backend, "OMP_NUM_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, str(HERE / "keras_fresh_process.py"), str(folder)],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("backend", ["torch", "jax", pytest.param("tensorflow", marks=pytest.mark.slow)])
def test_saved_model_loads_in_a_fresh_process_with_identical_weights(tmp_path, backend):
    save(tmp_path)
    done = run_fresh(tmp_path, backend)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert f"OK backend={backend}" in done.stdout


def test_loading_in_this_process_restores_weights_not_a_fresh_draw(tmp_path):
    model = build_model()
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert loaded.get_layer("gru").cell.seed == 3

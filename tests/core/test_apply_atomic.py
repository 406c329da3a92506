"""A failed ``apply`` changes no weight, bit for bit, in PyTorch and Keras: targets that cannot be
written are found before anything is written, values are checked to be finite in the weight's own
dtype, and a write that fails midway restores what was already written."""

import keras
import numpy as np
import pytest
import torch

import rnninit as ri
import rnninit.keras as rk
import rnninit.torch as rt
from rnninit.errors import RnninitError, StorageError

SPEC = "ih=normal(std=0.5) hh=orthogonal bias=zeros bias[f]=1.0"


def torch_bits(model: torch.nn.Module) -> dict[str, bytes]:
    """Every parameter's raw bytes (so -0.0 != 0.0 and a NaN equals itself)."""
    return {
        name: p.detach().cpu().contiguous().view(torch.uint8).numpy().tobytes()
        for name, p in model.named_parameters()
    }


def keras_bits(layer) -> dict[str, bytes]:
    return {w.path: np.array(w.numpy()).tobytes() for w in layer.weights}


# ---------------------------------------------------------------- torch: found before any write


def test_a_model_built_under_inference_mode_is_refused_unchanged():
    with torch.inference_mode():
        lstm = torch.nn.LSTM(3, 4, num_layers=2)
    before = torch_bits(lstm)
    with pytest.raises(StorageError, match=r"inference_mode\(\).*nothing was changed"):
        rt.apply(SPEC, lstm, seed=0)
    assert torch_bits(lstm) == before
    with torch.inference_mode():  # where writing an inference tensor is allowed, apply works
        rt.apply(SPEC, lstm, seed=0)
    assert torch_bits(lstm) != before


def test_an_expanded_parameter_is_refused_and_no_other_parameter_changes():
    lstm = torch.nn.LSTM(3, 4)
    lstm.weight_hh_l0 = torch.nn.Parameter(torch.randn(1, 4).expand(16, 4))  # stride 0 along the rows
    before = torch_bits(lstm)
    with pytest.raises(StorageError, match=r"weight_hh_l0: elements share memory \(an expanded tensor"):
        rt.apply(SPEC, lstm, seed=0)
    assert torch_bits(lstm) == before


def test_a_parameter_whose_rows_overlap_in_memory_is_refused_and_nothing_changes():
    # rows two elements apart in a 4-wide matrix: writing one row would change its neighbours
    rnn = torch.nn.RNN(3, 4)
    rnn.weight_hh_l0 = torch.nn.Parameter(torch.zeros(16).as_strided((4, 4), (2, 1)))
    before = torch_bits(rnn)
    with pytest.raises(StorageError, match=r"weight_hh_l0: elements may share memory \(strides \(2, 1\)"):
        rt.apply("hh=orthogonal ih=normal", rnn, seed=0)
    assert torch_bits(rnn) == before


def test_a_transposed_parameter_is_written_like_a_contiguous_one():
    rnn, plain = torch.nn.RNN(3, 4), torch.nn.RNN(3, 4)
    rnn.weight_hh_l0 = torch.nn.Parameter(torch.zeros(4, 4).t())  # strides (1, 4): no overlap
    rt.apply("hh=orthogonal ih=normal bias=zeros", rnn, seed=0)
    rt.apply("hh=orthogonal ih=normal bias=zeros", plain, seed=0)
    assert torch.equal(rnn.weight_hh_l0, plain.weight_hh_l0) and rnn.weight_hh_l0.stride() == (1, 4)


def test_a_meta_device_model_is_a_clear_error_for_apply_audit_and_describe():
    lstm = torch.nn.LSTM(3, 4, device="meta")
    for call in (
        lambda: rt.apply(SPEC, lstm, seed=0),  # whole tensors: nothing to write
        lambda: rt.apply("bias[f]=1.0", lstm, seed=0),  # partial: would read the other gates first
        lambda: ri.audit(lstm, SPEC),
        lambda: ri.describe(lstm),
    ):
        with pytest.raises(StorageError, match=r"meta device.*to_empty\(device='cpu'\)"):
            call()
    lstm.to_empty(device="cpu")  # the fix the message names
    rt.apply(SPEC, lstm, seed=0)
    assert ri.audit(lstm, SPEC).ok


# ---------------------------------------------------------------- overflow in the target dtype


@pytest.mark.parametrize(
    "dtype, spec, block",
    [
        (torch.float32, "bias[f]=1e39", "bias[f]"),
        (torch.float16, "bias=1e5", "bias[i]"),
        (torch.bfloat16, "bias[g]=-1e39", "bias[g]"),
    ],
)
def test_a_value_that_overflows_the_parameter_dtype_is_refused(dtype, spec, block):
    lstm = torch.nn.LSTM(3, 4, num_layers=2).to(dtype)
    before = torch_bits(lstm)
    name = str(dtype).removeprefix("torch.")
    with pytest.raises(StorageError) as caught:
        rt.apply(f"ih=normal(std=0.5) {spec}", lstm, seed=0)
    message = str(caught.value)
    assert f"{block} of <model> (layer 0)" in message and f"do not fit {name}" in message
    assert "bias_ih_l0" in message and "Nothing was changed" in message
    assert torch_bits(lstm) == before
    assert torch.isfinite(torch.cat([p.flatten().float() for p in lstm.parameters()])).all()


def test_a_value_that_fits_float32_but_not_float16_is_written_to_float32():
    lstm = torch.nn.LSTM(3, 4)
    rt.apply("bias=1e5", lstm, seed=0)
    assert float(lstm.bias_ih_l0.detach()[0]) == 1e5


# ---------------------------------------------------------------- torch: a write that fails midway


class FailsOnceOnWrite(torch.nn.Parameter):
    """A parameter whose first in-place copy raises, as a device or driver error would."""

    failures = 0

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func is torch.Tensor.copy_ and cls.failures == 0:
            cls.failures += 1
            raise RuntimeError("simulated device failure during copy_")
        return super().__torch_function__(func, types, args, kwargs or {})


def test_a_write_that_fails_midway_restores_every_tensor_already_written():
    lstm = torch.nn.LSTM(3, 4)
    # written last (tensors are written in name order), so three are already overwritten when it fails
    lstm.weight_ih_l0 = FailsOnceOnWrite(lstm.weight_ih_l0.detach().clone())
    before = torch_bits(lstm)
    with pytest.raises(
        StorageError, match=r"writing weight_ih_l0 failed \(RuntimeError: simulated"
    ) as caught:
        rt.apply(SPEC, lstm, seed=0)
    assert "the 3 tensor(s) written before it were restored" in str(caught.value)
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert torch_bits(lstm) == before


def test_storage_errors_are_rnninit_errors():
    assert issubclass(StorageError, RnninitError) and issubclass(StorageError, ValueError)


# ---------------------------------------------------------------- keras


def built_lstm(dtype: str = "float32"):
    # TensorFlow has no bfloat16 QR, so Keras' orthogonal default cannot build a bfloat16 LSTM
    layer = keras.layers.LSTM(4, dtype=dtype, recurrent_initializer="glorot_uniform")
    layer.build((None, 5, 3))
    return layer


@pytest.mark.parametrize(
    "dtype, spec, block",
    [
        ("float32", "bias[f]=1e39", "bias[f]"),
        ("float16", "bias=1e5", "bias[i]"),
        ("bfloat16", "bias[o]=4e38", "bias[o]"),
    ],
)
def test_keras_refuses_a_value_that_overflows_the_weight_dtype(dtype, spec, block):
    layer = built_lstm(dtype)
    before = keras_bits(layer)
    with pytest.raises(StorageError) as caught:
        rk.apply(f"ih=normal(std=0.5) {spec}", layer, seed=0)
    message = str(caught.value)
    assert (
        f"{block} of <model>" in message
        and f"do not fit {dtype}" in message
        and "(stored in bias)" in message
    )
    assert keras_bits(layer) == before


def test_keras_apply_inside_a_stateless_scope_is_refused_instead_of_writing_nothing():
    layer = built_lstm()
    before = keras_bits(layer)
    with keras.StatelessScope(), pytest.raises(StorageError, match="StatelessScope"):
        rk.apply(SPEC, layer, seed=0)
    assert keras_bits(layer) == before


def test_keras_a_write_that_fails_midway_restores_every_variable_already_written():
    layer = built_lstm()
    before = keras_bits(layer)
    recurrent = layer.cell.recurrent_kernel  # written last: 'bias' and 'kernel' come first by name
    original = recurrent.assign
    calls = []

    def fail_first(value):
        calls.append(value)
        if len(calls) == 1:
            raise RuntimeError("simulated failure in assign")
        return original(value)

    recurrent.assign = fail_first
    with pytest.raises(StorageError, match=r"writing recurrent_kernel failed .* the 2 tensor\(s\) written"):
        rk.apply(SPEC, layer, seed=0)
    assert keras_bits(layer) == before


# ---------------------------------------------------------------- flax (nnx in place; Linen returned new)


def flax_bits(module) -> dict[str, bytes]:
    from flax import nnx

    return {
        ".".join(map(str, path)): np.array(v.get_value()).tobytes()
        for path, v in nnx.iter_graph(module)
        if isinstance(v, nnx.Param)
    }


@pytest.mark.parametrize("dtype, spec", [("float16", "bias=1e5"), ("bfloat16", "bias[f]=1e39")])
def test_flax_refuses_a_value_that_overflows_the_parameter_dtype(dtype, spec):
    import flax.linen as nn
    import jax
    import jax.numpy as jnp
    from flax import nnx

    import rnninit.flax as rf

    # JAX has no low-precision QR, so Flax's orthogonal default cannot build these cells
    dense = nnx.initializers.lecun_normal()
    cell = nnx.LSTMCell(3, 4, param_dtype=getattr(jnp, dtype), recurrent_kernel_init=dense, rngs=nnx.Rngs(0))
    before = flax_bits(cell)
    with pytest.raises(StorageError, match=f"do not fit {dtype}.*Nothing was changed"):
        rf.apply(f"ih=normal(std=0.5) {spec}", cell, seed=0)
    assert flax_bits(cell) == before
    low = getattr(jnp, dtype)
    model = nn.RNN(
        nn.LSTMCell(
            4,
            param_dtype=low,
            dtype=low,
            carry_init=nn.initializers.zeros_init(),
            recurrent_kernel_init=dense,
        )
    )
    x = jnp.ones((2, 5, 3), dtype=low)
    with pytest.raises(StorageError, match=f"do not fit {dtype}"):
        rf.apply_linen(f"ih=normal(std=0.5) {spec}", model, model.init(jax.random.key(0), x), x, seed=0)


def test_flax_a_write_that_fails_midway_restores_every_parameter_already_written(monkeypatch):
    from flax import nnx

    import rnninit.flax as rf

    cell = nnx.LSTMCell(3, 4, rngs=nnx.Rngs(0))
    before = flax_bits(cell)
    last = cell.ho.kernel  # 'ho.kernel' is written after every 'h*' and 'i*' bias and kernel
    original = type(last).set_value
    calls = []

    def fail_once(self, value, *args, **kwargs):
        if self is last and not calls:
            calls.append(value)
            raise RuntimeError("simulated failure in set_value")
        return original(self, value, *args, **kwargs)

    monkeypatch.setattr(type(last), "set_value", fail_once)
    with pytest.raises(StorageError, match=r"writing .*ho\.kernel failed .*were restored"):
        rf.apply(SPEC, cell, seed=0)
    assert calls and flax_bits(cell) == before

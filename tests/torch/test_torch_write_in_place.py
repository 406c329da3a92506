"""``rnninit.torch.apply`` writes CPU parameters in place, block by block (no staged copy of the model),
with the numbers, the checks and the all-or-nothing promise of the staged path."""

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_limits

import rnninit.torch as rt
import rnninit.torch.layouts as torch_layouts
from rnninit.errors import SpecError, StorageError
from rnninit.layout.storage import Slot
from rnninit.plan import make_plan
from rnninit.torch.layouts import model_layout, param_dtypes, write_arrays

SPEC = "ih=normal(std=0.02) hh=orthogonal bias=zeros bias[f]=1.0"


def bits(model: torch.nn.Module) -> dict[str, bytes]:
    return {
        n: p.detach().contiguous().view(torch.uint8).numpy().tobytes() for n, p in model.named_parameters()
    }


def staged(model: torch.nn.Module, spec: str, seed: int) -> torch.nn.Module:
    """``model`` initialized through whole staged arrays, as every backend without views is."""
    plan = make_plan(spec, model_layout(model), seed)
    write_arrays(model, plan.new_arrays({}, dtypes=param_dtypes(model, plan.touched_tensors())), plan)
    return model


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16])
@pytest.mark.parametrize("threads", [1, 2])
def test_in_place_writes_the_staged_numbers(dtype, threads):
    # 512-wide blocks are drawn into reused memory (rnninit.inits.scratch) on several threads
    model = torch.nn.LSTM(512, 512, num_layers=2, bidirectional=True).to(dtype)
    with threadpool_limits(limits=threads, user_api="blas"):
        rt.apply(SPEC, model, seed=3)
    assert bits(model) == bits(staged(torch.nn.LSTM(512, 512, 2, bidirectional=True).to(dtype), SPEC, 3))


def test_float32_cpu_parameters_take_the_in_place_path(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the staged path was taken")

    monkeypatch.setattr(torch_layouts, "write_arrays", refuse)
    model = torch.nn.GRU(8, 16)
    pointers = [p.data_ptr() for p in model.parameters()]
    result = rt.apply("hh=orthogonal bias[z]=1.0 ih=glorot_uniform", model, seed=0)
    assert [p.data_ptr() for p in model.parameters()] == pointers
    assert not any(a.draw.drawn for a in result.plan.assignments)  # the result holds no copy of the model
    z = next(a for a in result.plan.assignments if a.slot.label == "bias[z]")
    assert np.array_equal(z.value, np.ones(16)) and torch.equal(model.bias_ih_l0[16:32], torch.ones(16))


def test_part_of_a_tensor_is_written_and_the_rest_kept_unread():
    model = torch.nn.LSTM(4, 8)
    before = model.weight_hh_l0.detach().clone()
    rt.apply("hh[f]=identity", model, seed=0)
    assert torch.equal(model.weight_hh_l0[8:16], torch.eye(8))
    assert torch.equal(model.weight_hh_l0[:8], before[:8]) and torch.equal(
        model.weight_hh_l0[16:], before[16:]
    )


@pytest.mark.parametrize("dtype", [torch.bfloat16])
def test_a_dtype_numpy_cannot_view_takes_the_staged_path_with_the_same_numbers(dtype):
    model = torch.nn.LSTM(6, 5).to(dtype)
    result = rt.apply(SPEC, model, seed=1)
    assert not any(a.draw.drawn for a in result.plan.assignments)  # drawn to stage, then let go
    assert bits(model) == bits(staged(torch.nn.LSTM(6, 5).to(dtype), SPEC, 1))


def failing_write(monkeypatch, after: int, error: BaseException):
    original, calls = Slot.write, []

    def write(self, arrays, value):
        calls.append(self.label)
        if len(calls) > after:
            raise error
        original(self, arrays, value)

    monkeypatch.setattr(Slot, "write", write)
    return calls


def test_a_write_that_fails_midway_restores_every_tensor(monkeypatch):
    model = torch.nn.LSTM(3, 4, num_layers=2)
    before = bits(model)
    calls = failing_write(monkeypatch, after=5, error=RuntimeError("simulated failure"))
    with threadpool_limits(limits=1, user_api="blas"), pytest.raises(StorageError) as caught:
        rt.apply(SPEC, model, seed=0)
    assert len(calls) == 6 and bits(model) == before
    assert str(caught.value).startswith("writing the blocks failed (RuntimeError: simulated failure)")
    assert "every tensor was restored, so nothing was changed" in str(caught.value)
    assert isinstance(caught.value.__cause__, RuntimeError)


def test_an_interrupt_midway_restores_every_tensor_and_is_raised_as_it_is(monkeypatch):
    model = torch.nn.LSTM(3, 4)
    before = bits(model)
    failing_write(monkeypatch, after=2, error=KeyboardInterrupt())
    with threadpool_limits(limits=1, user_api="blas"), pytest.raises(KeyboardInterrupt):
        rt.apply(SPEC, model, seed=0)
    assert bits(model) == before


def test_a_block_that_cannot_be_drawn_restores_every_tensor_and_raises_the_plans_error():
    spec = "bias=zeros ih=normal(mean=1e308, std=1e308)"  # bias written first, then ih overflows
    model = torch.nn.LSTM(3, 4)
    before = bits(model)
    with pytest.raises(SpecError, match="beyond a float's range") as caught:
        rt.apply(spec, model, seed=0)
    assert bits(model) == before
    with pytest.raises(SpecError) as eager:
        make_plan(spec, model_layout(model), seed=0)
    assert str(caught.value) == str(eager.value)


def test_a_value_that_does_not_fit_the_dtype_is_named_by_the_staged_path_and_nothing_changes():
    model = torch.nn.LSTM(3, 4).half()
    before = bits(model)
    with pytest.raises(StorageError, match=r"bias\[f\] of <model>.*do not fit float16"):
        rt.apply("ih=normal(std=0.5) bias[f]=1e6", model, seed=0)
    assert bits(model) == before


def test_a_graph_that_saved_a_parameter_sees_it_changed():
    # as after an in-place copy_: backward through a stale graph is an error, never a silent wrong gradient
    model = torch.nn.LSTM(3, 4)
    out, _ = model(torch.randn(5, 2, 3))
    rt.apply(SPEC, model, seed=0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


class Watched(torch.nn.Parameter):
    """A parameter subclass that sees its writes: rnninit must write it with copy_, not behind its back."""

    copies = 0

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func is torch.Tensor.copy_:
            cls.copies += 1
        return super().__torch_function__(func, types, args, kwargs or {})


def test_a_parameter_subclass_is_written_through_copy():
    model = torch.nn.RNN(3, 4)
    model.weight_hh_l0 = Watched(model.weight_hh_l0.detach().clone())
    rt.apply("hh=identity", model, seed=0)
    assert Watched.copies >= 1 and torch.equal(model.weight_hh_l0.detach(), torch.eye(4))


def test_a_lazily_negated_parameter_is_written_through_copy():
    # its memory holds the negated values: a NumPy view would write them with the wrong sign
    model = torch.nn.RNN(3, 4)
    model.weight_hh_l0 = torch.nn.Parameter(torch.zeros(4, 4)._neg_view())
    assert model.weight_hh_l0.is_neg()
    rt.apply("hh=identity", model, seed=0)
    assert torch.equal(model.weight_hh_l0.detach().resolve_neg(), torch.eye(4))


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_an_error_a_draw_raises_passes_through_as_it_is_on_either_path(monkeypatch, dtype):
    # the in-place path (float32) and the staged one (bfloat16) raise what the init raised, not a
    # StorageError: nothing about storage failed
    from rnninit.inits import Orthogonal

    def broken(self, block, rng):
        raise np.linalg.LinAlgError("simulated LAPACK failure")

    model = torch.nn.LSTM(3, 4).to(dtype)
    before = bits(model)
    monkeypatch.setattr(Orthogonal, "_sample", broken)
    with pytest.raises(np.linalg.LinAlgError, match="simulated"):
        rt.apply("bias=zeros hh=orthogonal", model, seed=0)
    assert bits(model) == before


def test_a_failed_draw_in_reset_parameters_changes_no_weight():
    # the library's cells write PyTorch's defaults to the blocks a spec leaves out: only after every
    # block the spec names was drawn
    model = rt.LSTM(3, 4, seed=0)
    before = bits(model)
    model.set_init("ih=normal hh=spectral(radius=0.9, base=normal(std=0.0))", seed=7)
    with pytest.raises(SpecError, match="spectral radius 0"):
        model.reset_parameters()
    assert bits(model) == before


def test_values_read_from_the_result_are_drawn_on_one_blas_thread(monkeypatch):
    # as apply drew them (rnninit.parallel): the QR's rounding must not depend on the core count
    from threadpoolctl import threadpool_info

    import rnninit.inits.structured as structured

    seen, original = [], structured.orthogonal_matrix

    def watched(rows, cols, rng):
        seen.append({i["num_threads"] for i in threadpool_info() if i.get("user_api") == "blas"})
        return original(rows, cols, rng)

    model = torch.nn.GRU(4, 8)
    result = rt.apply("hh=orthogonal", model, seed=0)
    monkeypatch.setattr(structured, "orthogonal_matrix", watched)
    z = next(a for a in result.plan.assignments if a.slot.label == "hh[z]")
    assert np.array_equal(z.value.astype(np.float32), model.weight_hh_l0[8:16].detach().numpy())
    assert seen == [{1}]

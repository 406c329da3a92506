"""A plan made without drawing (``sample=False``) checks everything a drawn one checks, reads the
same values, and streams them block by block into reused memory with the same numbers."""

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from rnninit.errors import SpecError
from rnninit.layout.kinds import GRU, LSTM
from rnninit.layout.storage import ModelLayout
from rnninit.layout.torch_builtin import torch_rnn_layout
from rnninit.plan import make_plan

SPEC = "ih=normal(std=0.02) hh=orthogonal bias=zeros bias[f]=1.0"


def layout(kind=LSTM, size=512, layers=2) -> ModelLayout:
    cells, tensors = torch_rnn_layout(kind, path="", input_size=size, hidden_size=size, num_layers=layers)
    return ModelLayout(tuple(cells), tensors)


def values(plan) -> list[np.ndarray]:
    return [np.array(a.value) for a in plan.assignments]


def test_a_lazy_plan_reads_the_values_of_a_drawn_one_and_draws_each_once():
    drawn, lazy = make_plan(SPEC, layout(), seed=4), make_plan(SPEC, layout(), seed=4, sample=False)
    assert all(a.draw.drawn for a in drawn.assignments) and not any(a.draw.drawn for a in lazy.assignments)
    first = lazy.assignments[0].value
    assert lazy.assignments[0].draw.drawn and np.shares_memory(lazy.assignments[0].value, first)  # kept
    for a, b in zip(values(drawn), values(lazy), strict=True):
        assert np.array_equal(a, b)


def test_a_fused_draw_is_cut_into_its_gate_blocks_lazily_too():
    spec = "hh=orthogonal(fused=true) ih=glorot_uniform(fused=true)"
    drawn, lazy = (
        make_plan(spec, layout(GRU, 64), seed=2),
        make_plan(spec, layout(GRU, 64), seed=2, sample=False),
    )
    assert len(drawn.draws()) * 3 == len(drawn.assignments)
    for a, b in zip(values(drawn), values(lazy), strict=True):
        assert np.array_equal(a, b)


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("bias[i]=orthogonal", "orthogonal cannot initialize"),
        ("hh[f]=orthogonal(fused=true)", "is fused but"),
    ],
)
def test_a_lazy_plan_refuses_what_a_drawn_one_refuses_before_drawing(spec, problem):
    messages = []
    for sample in (True, False):
        with pytest.raises(SpecError, match=problem) as caught:
            make_plan(spec, layout(size=8), seed=0, sample=sample)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]


def test_an_overflowing_draw_fails_with_the_same_error_when_it_is_drawn():
    spec = "ih=normal(mean=1e308, std=1e308)"
    with pytest.raises(SpecError) as eager:
        make_plan(spec, layout(size=8), seed=0)
    lazy = make_plan(spec, layout(size=8), seed=0, sample=False)  # checked, not drawn
    with pytest.raises(SpecError) as late:
        lazy.stream(lambda assignment, value: None)
    assert str(late.value) == str(eager.value) and "beyond a float's range" in str(eager.value)


@pytest.mark.parametrize("threads", [1, 2])
def test_streamed_values_are_the_drawn_ones_and_reuse_memory(threads):
    plan = make_plan(SPEC, layout(), seed=9, sample=False)
    want = values(make_plan(SPEC, layout(), seed=9))
    got, roots = {}, []

    def consume(assignment, value):
        got[id(assignment)] = value.copy()  # the array itself is reused once consume returns
        root = value
        while isinstance(root.base, np.ndarray):
            root = root.base
        if value.nbytes >= 1 << 20:
            roots.append(root)  # kept alive, so distinct buffers have distinct ids

    with threadpool_limits(limits=threads, user_api="blas"):
        plan.stream(consume)
    assert [np.array_equal(got[id(a)], w) for a, w in zip(plan.assignments, want, strict=True)] == [
        True
    ] * len(want)
    assert not any(a.draw.drawn for a in plan.assignments)  # streamed values are kept nowhere
    big = 2 * 2 * 4  # ih and hh gate blocks of 2 layers, 512 x 512 each
    assert len(roots) == big and len({id(r) for r in roots}) <= threads + 1 < big


def test_streaming_a_drawn_plan_hands_over_its_kept_values():
    plan = make_plan(SPEC, layout(size=16), seed=1)
    seen = []
    plan.stream(
        lambda assignment, value: seen.append(
            value is assignment.draw.value() or np.shares_memory(value, assignment.draw.value())
        )
    )
    assert seen and all(seen)


def test_a_lazy_plan_checks_real_block_sizes_before_drawing():
    cells, tensors = torch_rnn_layout(LSTM, path="", input_size=3, hidden_size=4, num_layers=1)
    for sample in (True, False):
        with pytest.raises(SpecError, match=r"ih\[i\]: identity needs a square block"):
            make_plan("ih=identity", ModelLayout(tuple(cells), tensors), seed=0, sample=sample)


def test_a_released_value_is_drawn_again_with_the_same_numbers():
    plan = make_plan(SPEC, layout(size=16), seed=5)
    before = values(plan)
    plan.release()
    assert not any(a.draw.drawn for a in plan.assignments)
    assert all(np.array_equal(a, b) for a, b in zip(before, values(plan), strict=True))

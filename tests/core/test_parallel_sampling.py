"""Blocks sampled on several threads give the numbers one thread gives, and a plan staged in a
tensor's float32/float16 holds exactly what converting its float64 staging would."""

import time

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from rnninit.layout.kinds import LSTM
from rnninit.layout.storage import ModelLayout
from rnninit.layout.torch_builtin import torch_rnn_layout
from rnninit.parallel import PARALLEL_MIN_ELEMENTS, available_threads, map_blocks
from rnninit.plan import make_plan

SPEC = "ih=normal(std=0.02) hh=orthogonal bias=zeros bias[f]=1.0"


def big_layout() -> ModelLayout:
    cells, tensors = torch_rnn_layout(LSTM, path="", input_size=300, hidden_size=300, num_layers=2)
    assert sum(np.prod(s) for s in tensors.values()) > PARALLEL_MIN_ELEMENTS
    return ModelLayout(tuple(cells), tensors)


def test_threads_do_not_change_the_numbers():
    layout = big_layout()
    with threadpool_limits(limits=1, user_api="blas"):  # one thread: map_blocks runs sequentially
        assert available_threads() == 1
        one = make_plan(SPEC, layout, seed=3).new_arrays({})
    several = make_plan(SPEC, layout, seed=3).new_arrays({})
    assert one.keys() == several.keys()
    for name in one:
        assert np.array_equal(one[name], several[name]), name


def test_a_float32_staging_equals_the_float64_one_converted():
    layout = big_layout()
    plan = make_plan(SPEC, layout, seed=1)
    wide = plan.new_arrays({})
    narrow = plan.new_arrays({}, dtypes={name: "float32" for name in layout.tensors})
    for name in wide:
        assert narrow[name].dtype == np.float32
        assert np.array_equal(narrow[name], wide[name].astype(np.float32)), name


def test_a_value_too_large_for_the_dtype_stays_float64_for_the_writer_to_name():
    layout = big_layout()
    plan = make_plan("bias=1e39", layout, seed=0)
    arrays = plan.new_arrays({}, dtypes={name: "float32" for name in layout.tensors})
    assert arrays["bias_ih_l0"].dtype == np.float64 and arrays["bias_ih_l0"].max() == 1e39


def test_map_blocks_keeps_order_and_raises_the_first_error_in_order():
    def f(i):
        if i in (5, 9):
            raise ValueError(f"item {i}")
        return i * i

    assert map_blocks(lambda i: i * i, list(range(20)), [PARALLEL_MIN_ELEMENTS] * 20) == [
        i * i for i in range(20)
    ]
    with pytest.raises(ValueError, match="item 5"):
        map_blocks(f, list(range(20)), [PARALLEL_MIN_ELEMENTS] * 20)


def test_map_blocks_starts_nothing_more_once_an_item_failed_and_returns_when_all_stopped():
    started, running = [], []

    def f(i):
        started.append(i)
        running.append(i)
        if i == 0:
            raise ValueError("item 0")
        time.sleep(0.01)
        running.remove(i)
        return i

    with threadpool_limits(limits=2, user_api="blas"), pytest.raises(ValueError, match="item 0"):
        map_blocks(f, list(range(100)), [PARALLEL_MIN_ELEMENTS] * 100)
    assert running == [0]  # every other item that started had finished when the error was raised
    assert len(started) < 10  # the other 90-odd were never started

"""``rnninit speed``: the quick run's structure and numbers, the FLOP model, bad input, equal candidates."""

from __future__ import annotations

import json
import math

import pytest
import torch

from rnninit.bench.candidates import GridPoint, builtin_case, library_case, user_cases
from rnninit.bench.flops import forward_flops, training_flops
from rnninit.bench.suite import SpeedConfig
from rnninit.bench.timing import Case, ratio, time_cases
from rnninit.cli import main


def finite_positive(x) -> bool:
    return isinstance(x, float) and math.isfinite(x) and x > 0


@pytest.fixture(scope="module")
def quick_json():
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["speed", "--quick", "--json", "--threads", "1"])
    assert code == 0
    return json.loads(buf.getvalue())


def test_quick_json_has_every_cell_and_candidate_with_positive_finite_numbers(quick_json):
    grid = quick_json["grid"]
    assert {(r["cell"], r["candidate"]) for r in grid} == {
        (c, k) for c in ("lstm", "gru", "elman") for k in ("builtin", "rnninit", "gemm")
    }
    for row in grid:
        for key in ("forward_ms", "backward_ms", "total_ms", "gflops", "gemm_fraction"):
            assert finite_positive(row[key]), (row["candidate"], key, row[key])
        r = row["ratio"]
        assert all(finite_positive(r[k]) for k in ("median", "low", "high"))
        assert r["low"] <= r["median"] <= r["high"]
        if row["candidate"] == "builtin":
            assert r == {"median": 1.0, "low": 1.0, "high": 1.0}
        if row["candidate"] == "gemm":
            assert row["gemm_fraction"] == 1.0


def test_quick_json_times_the_user_cell_and_apply(quick_json):
    names = [r["candidate"] for r in quick_json["user_cell"]]
    assert names == ["rnninit.LSTM", "user, own loop", "user, functional"]
    assert all(finite_positive(r["ratio"]["median"]) for r in quick_json["user_cell"])
    applied = quick_json["apply"]
    assert applied["parameters"] == sum(p.numel() for p in torch.nn.LSTM(32, 32).parameters())
    for key in ("apply_s", "torch_init_s", "audit_s"):
        assert finite_positive(applied[key]), key
    for key in ("apply_ratio", "audit_ratio"):
        r = applied[key]
        assert r["low"] <= r["median"] <= r["high"] and finite_positive(r["median"])
    assert applied["audit_ok"] is True
    assert quick_json["machine"]["threads"] == 1
    assert quick_json["compile"] == [] and quick_json["double_backward"] == []  # only on request


def test_the_torch_nn_init_reference_does_what_the_apply_spec_says():
    # The apply ratio compares like with like only if torch.nn.init does the spec's work: the audit,
    # which checks every block against the spec (family-wise false-positive rate 1e-3), passes it.
    import rnninit as ri
    from rnninit.bench.suite import APPLY_SPEC, torch_init_reference

    torch.manual_seed(0)
    lstm = torch.nn.LSTM(48, 48, num_layers=2)
    torch_init_reference(lstm)
    assert ri.audit(lstm, APPLY_SPEC).ok
    torch.nn.init.uniform_(lstm.weight_hh_l1)
    assert not ri.audit(lstm, APPLY_SPEC).ok


def test_compile_and_double_backward_rows_on_request():
    import contextlib
    import io

    buf = io.StringIO()
    argv = ["speed", "--quick", "--json", "--threads", "1", "--cells", "elman", "--no-user-cell"]
    with contextlib.redirect_stdout(buf):
        assert main([*argv, "--repeats", "1", "--apply-layers", "0", "--compile", "--double-backward"]) == 0
    result = json.loads(buf.getvalue())
    compiled = {r["candidate"]: r for r in result["compile"]}
    assert list(compiled) == ["builtin", "rnninit", "builtin+compile", "rnninit+compile"]
    assert compiled["builtin"]["compile_s"] is None and finite_positive(
        compiled["rnninit+compile"]["compile_s"]
    )
    assert all(finite_positive(r["total_ms"]) for r in result["compile"])
    names = [r["candidate"] for r in result["double_backward"]]
    assert names == ["builtin", "rnninit", "rnninit[kernels]", "rnninit[builtin]", "rnninit[loop]"]
    assert all(finite_positive(r["total_ms"]) for r in result["double_backward"])


def test_quick_table_prints_the_three_tables(capsys):
    assert main(["speed", "--quick", "--threads", "1", "--cells", "elman", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "vs torch.nn" in out and "apply / audit" in out
    assert "user's declared LSTM" not in out  # only with lstm among the cells


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--cells", "lstm,peephole"], "valid: lstm, gru, elman"),
        (["--backends", "cudnn"], "valid: auto, kernels, builtin, loop"),
        (["--clock", "cpu"], "--threads 1"),
        (["--hidden", "64,x"], "comma-separated integers"),
        (["--steps", "0"], "positive integers"),
        (
            ["--device", "cuda", "--clock", "cpu", "--threads", "1"],
            "--clock wall" if torch.cuda.is_available() else "--device cuda needs a GPU",
        ),
    ],
)
def test_bad_options_exit_2_naming_what_is_valid(argv, message, capsys):
    assert main(["speed", "--quick", *argv]) == 2
    assert message in capsys.readouterr().err


def test_flops_count_both_products_per_gate_and_triple_for_training():
    # LSTM: x W_ih^T is (TB x I)(I x 4H), h W_hh^T is T times (B x H)(H x 4H); 2 FLOPs per multiply-add.
    assert forward_flops("lstm", 50, 16, 32, 64) == 2 * (50 * 16 * 32 * 256 + 50 * 16 * 64 * 256)
    assert forward_flops("gru", 1, 1, 1, 1) == 2 * 3 * 2
    assert training_flops("elman", 5, 4, 3, 2) == 3 * forward_flops("elman", 5, 4, 3, 2)


def test_ratios_are_taken_repeat_by_repeat():
    # A slow repeat that slows both candidates alike leaves the ratio alone.
    r = ratio([2.0, 20.0, 2.2], [1.0, 10.0, 1.0])
    assert (r.median, r.low, r.high) == (2.0, 2.0, 2.2)


def test_cases_are_interleaved_in_a_rotating_order():
    calls = []
    cases = [Case(n, lambda n=n: calls.append(n), lambda _: None) for n in "abc"]
    timings = time_cases(cases, repeats=3, warmup=0)
    assert calls == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]
    assert all(len(t.forward) == len(t.backward) == 3 for t in timings.values())


@pytest.mark.parametrize("cell", ["lstm", "gru", "elman"])
def test_benchmark_candidates_compute_the_same_function(cell):
    point = GridPoint(cell, 4, 2, 3, 5, torch.float64)
    cases = [builtin_case(point), library_case(point), library_case(point, "kernels")]
    if cell == "lstm":
        cases += user_cases(point)[1:]
    outputs = [case.forward().detach() for case in cases]
    for out in outputs[1:]:
        torch.testing.assert_close(out, outputs[0], rtol=1e-9, atol=1e-9)


def test_quick_config_is_small():
    config = SpeedConfig.quick()
    assert max(config.steps) * max(config.batch) * max(config.hidden) <= 1000


def test_markdown_prints_one_table_row_per_candidate(capsys):
    assert main(["speed", "--quick", "--threads", "1", "--cells", "gru", "--repeats", "1", "--markdown"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| gru |")]
    assert [row.split("|")[5].strip() for row in rows] == ["builtin", "rnninit", "gemm"]
    assert "rnninit.torch.apply" in out and "torch.nn.init" in out

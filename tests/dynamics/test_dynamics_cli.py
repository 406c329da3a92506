"""``rnninit diagnose``: JSON keys and values, several specs, plots, and exit code 2 for bad input."""

import json

import numpy as np
import pytest

from rnninit.cli import main

ELMAN_ORTHO = ["--cell", "elman", "--hidden", "8", "--T", "12"]
ELMAN_ORTHO += ["--spec", "hh=orthogonal(gain=0.9) bias=zeros"]


def run_json(capsys, argv):
    assert main(["diagnose", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_has_one_value_per_step_and_the_theoretical_numbers(capsys):
    out = run_json(capsys, ELMAN_ORTHO)
    for key in ("spectral_radius", "jacobian_norms", "state_norms", "memory_horizon"):
        assert key in out
    assert len(out["jacobian_norms"]) == 12 and len(out["state_norms"]) == 12
    np.testing.assert_allclose(out["jacobian_norms"], 0.9 ** np.arange(1, 13), rtol=1e-10)
    assert out["spectral_radius"] == {"hh": pytest.approx(0.9)}
    assert out["memory_horizon"] is None and out["T"] == 12 and out["input"] == "zeros"


def test_several_specs_give_a_list_in_order(capsys):
    argv = ["--cell", "lstm", "--hidden", "6", "--T", "10", "--input", "normal", "--batch", "2"]
    argv += ["--spec", "pytorch_default", "--spec", "chrono(t_max=10)"]
    out = run_json(capsys, argv)
    assert [d["label"] for d in out] == ["pytorch_default", "chrono(t_max=10.0)"]
    assert all(sorted(d["part_jacobian_norms"]) == ["c", "h"] and d["batch"] == 2 for d in out)


def test_input_data_from_a_npy_file_sets_the_input_size_and_batch(tmp_path, capsys):
    path = tmp_path / "x.npy"
    np.save(path, np.random.default_rng(0).standard_normal((9, 3, 2)))
    argv = ["--cell", "gru", "--hidden", "5", "--T", "9", "--spec", "orthogonal", "--input", str(path)]
    out = run_json(capsys, argv)
    assert (out["input"], out["input_size"], out["batch"]) == ("data", 2, 3)


def test_plot_is_written_and_non_empty_and_the_table_mentions_it(tmp_path, capsys):
    path = tmp_path / "flow.png"
    argv = ["--cell", "elman", "--hidden", "8", "--T", "15", "--spec", "pytorch_default", "--spec", "irnn"]
    assert main(["diagnose", *argv, "--plot", str(path)]) == 0
    assert path.stat().st_size > 10_000 and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out = capsys.readouterr().out
    assert "pytorch_default" in out and "irnn" in out and "plot written" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--cell", "lstn", "--spec", "orthogonal"], "did you mean 'lstm'"),
        (["--cell", "lstm", "--spec", "hh=orthogonl"], "orthogonl"),
        (["--cell", "elman", "--spec", "bias[f]=1.0"], "no gates"),
        (["--cell", "lstm", "--spec", "orthogonal", "--T", "0"], "--T must be a positive integer"),
        (["--cell", "lstm", "--spec", "orthogonal", "--hidden", "-3"], "--hidden must be a positive integer"),
        (["--cell", "lstm", "--spec", "orthogonal", "--input", "gaussian"], "valid inputs"),
        (["--cell", "lstm", "--spec", "orthogonal", "--input", "missing.npy"], "cannot read input data"),
        (["--cell", "lstm", "--spec", "orthogonal", "--plot", "/no/such/dir/x.png"], "folder does not exist"),
    ],
)
def test_bad_input_exits_2_with_a_message_and_no_output(argv, message, capsys):
    assert main(["diagnose", *argv, "--json"]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""


def test_missing_spec_is_a_usage_error_with_exit_2(capsys):
    assert main(["diagnose", "--cell", "lstm"]) == 2
    assert "--spec" in capsys.readouterr().err


def test_help_lists_every_factory_cell_and_building_the_parser_imports_no_framework():
    import os
    import subprocess
    import sys
    from pathlib import Path

    import rnninit
    from rnninit.cli.diagnose import CELL_NAMES
    from rnninit.dynamics import CELLS

    assert tuple(CELLS) == CELL_NAMES
    probe = (
        "import sys; from rnninit.cli import build_parser; p = build_parser(); "
        "p.parse_args(['diagnose', '--cell', 'lstm', '--spec', 'orthogonal']); "
        "print(sorted(m for m in ('torch', 'keras', 'matplotlib') if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(rnninit.__file__).parents[1])}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "[]"

"""``rnninit tune``: the JSON contract, the table and the plot; exit code 2 with one line for bad input."""

import subprocess
import sys

import pytest
from helpers import last_json

from rnninit import Spec
from rnninit.cli import main

FAMILY = "hh=orthogonal(gain=?) bias=zeros"
ARGV = ["tune", FAMILY, "--cell", "elman", "--hidden", "8", "--T", "30", "--input", "zeros"]


def test_json_is_one_object_on_the_last_line_with_a_parseable_spec_objective_and_diagnostics(capsys):
    assert main([*ARGV, "--json"]) == 0
    out = last_json(capsys.readouterr().out)
    spec = Spec.parse(out["spec"])
    assert spec == Spec.parse(f"hh=orthogonal(gain={out['values']['hh.gain']}) bias=zeros")
    assert out["values"]["hh.gain"] == pytest.approx(1.0, rel=0.02)
    assert out["family"] == FAMILY and out["objective"] == pytest.approx(sum(out["terms"].values()))
    assert sorted(out["terms"]) == ["gradient", "input", "isometry"]
    assert out["diagnostics"]["T"] == 30 and len(out["diagnostics"]["jacobian_norms"]) == 30
    assert out["diagnostics"]["label"] == out["spec"] and out["diagnostics"]["memory_horizon"] is None
    assert out["evaluations"] == len(out["trace"]) and out["trace"][-1]["values"] == out["values"]
    assert (out["cell"], out["hidden_size"], out["input"], out["input_size"]) == ("elman", 8, "zeros", 8)
    assert out["free"] == [
        {
            "name": "hh.gain",
            "owner": "orthogonal",
            "argument": "gain",
            "low": 0.001,
            "high": 10.0,
            "scale": "log",
            "bounded": False,
        }
    ]


def test_table_and_plot(tmp_path, capsys):
    path = tmp_path / "tune.png"
    assert main([*ARGV, "--plot", str(path)]) == 0
    out = capsys.readouterr().out
    assert "hh.gain" in out and "spec: hh=orthogonal" in out and "plot written" in out
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["hh=normal(std=?", "--cell", "elman"], "expected ')'"),
        (["hh=normal(std=0.1)", "--cell", "elman"], "no free argument"),
        (["hh=normal(std=?[1, 0])", "--cell", "elman"], "low < high"),
        (["bias[f]=?", "--cell", "elman"], "no gates"),
        (["hh=normal(std=?)", "--cell", "elmn"], "did you mean 'elman'"),
        (["hh=normal(std=?)", "--cell", "elman", "--T", "0"], "--T must be a positive integer"),
        (["hh=normal(std=?)", "--cell", "elman", "--plot", "/no/such/dir/x.png"], "folder does not exist"),
    ],
)
def test_bad_input_exits_2_with_one_line_on_stderr(argv, message, capsys):
    argv = [*argv, "--hidden", "4"] + ([] if "--T" in argv else ["--T", "5"])
    assert main(["tune", *argv]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert captured.out == "" and len(lines) == 1
    assert lines[0].startswith("rnninit tune: error:") and message in lines[0]


def test_the_installed_command_exits_2_for_a_bad_family_without_importing_torch():
    code = (
        "import sys; from rnninit.cli import main; rc = main(['tune', 'hh=normal(std=?', '--cell', 'elman', "
        "'--hidden', '4', '--T', '5']); assert 'torch' not in sys.modules; sys.exit(rc)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "expected ')'" in proc.stderr

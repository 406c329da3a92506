"""`rnninit audit` / `rnninit describe` on the command line, and rnninit.testing.assert_initialized."""

import json
import textwrap

import pytest
import torch

import rnninit.torch as rt
from rnninit.cli import main
from rnninit.testing import assert_initialized

SPEC = "ih=normal(std=0.5) hh=orthogonal bias=zeros bias[f]=1.0"


@pytest.fixture
def factory(tmp_path):
    path = tmp_path / "models.py"
    path.write_text(
        textwrap.dedent(
            f"""
            import torch
            import rnninit.torch as rt

            def good():
                lstm = torch.nn.LSTM(8, 16)
                rt.apply({SPEC!r}, lstm, seed=0)
                return lstm

            def untouched():
                torch.manual_seed(0)
                return torch.nn.LSTM(8, 16)

            class Cell(torch.nn.Module):
                def __init__(self):
                    super().__init__()
                    torch.manual_seed(0)
                    self.kernel_ih = torch.nn.Parameter(torch.randn(32, 4) * 0.5)
                    self.kernel_hh = torch.nn.Parameter(torch.randn(32, 32) * 0.5)

            def custom():
                return Cell()

            def broken():
                raise RuntimeError("no model today")
            """
        )
    )
    return path


def test_audit_exits_0_when_clean_and_1_with_findings(factory, capsys):
    assert main(["audit", f"{factory}:good", "--spec", SPEC]) == 0
    assert "audit OK" in capsys.readouterr().out
    assert main(["audit", f"{factory}:untouched", "--spec", SPEC]) == 1
    assert "apply was probably never called" in capsys.readouterr().out


def test_audit_json_names_the_findings(factory, capsys):
    code = main(["audit", f"{factory}:untouched", "--spec", SPEC, "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1 and data["ok"] is False
    assert data["findings"][0]["kind"] == "default"


def test_audit_with_roles_on_the_command_line(factory, capsys):
    code = main(
        [
            "audit",
            f"{factory}:custom",
            "--spec",
            "ih=normal(std=0.5) hh=normal(std=1.0)",
            "--roles",
            "kernel_ih=ih,kernel_hh=hh",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1 and "kernel_hh" in out and "expected std 1.0" in out


def test_audit_of_a_torch_save_file(tmp_path):
    lstm = torch.nn.LSTM(4, 8)
    rt.apply(SPEC, lstm, seed=0)
    torch.save(lstm, tmp_path / "lstm.pt")  # a whole pickled module: read only when trusted
    assert main(["audit", str(tmp_path / "lstm.pt"), "--spec", SPEC, "--trust-file"]) == 0
    torch.save(lstm.state_dict(), tmp_path / "state.pt")
    assert main(["audit", str(tmp_path / "state.pt"), "--spec", SPEC]) == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["audit", "missing.py:make", "--spec", "pytorch_default"], "no such file"),
        (["audit", "{f}:nope", "--spec", "pytorch_default"], "has no function 'nope'"),
        (["audit", "{f}:broken", "--spec", "pytorch_default"], "no model today"),
        (["audit", "{f}:good", "--spec", "ih=gaussian"], "unknown init 'gaussian'"),
        (["audit", "{f}:custom", "--spec", "ih=normal", "--roles", "kernel_ih"], "name=role pairs"),
        (["audit", "nothing-here.keras", "--spec", "pytorch_default"], "is not a file"),
        (["describe", "{f}:broken"], "no model today"),
    ],
)
def test_bad_input_exits_2_with_a_message(factory, capsys, argv, message):
    argv = [a.replace("{f}", str(factory)) for a in argv]
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_describe_prints_a_spec_that_parses(factory, capsys):
    from rnninit import Spec

    assert main(["describe", f"{factory}:untouched"]) == 0
    assert Spec.parse(capsys.readouterr().out.strip()) == Spec.parse("pytorch_default")
    assert main(["describe", f"{factory}:good", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert Spec.parse(data["spec"]).resolve("lstm").entries[("hh", None)].name == "orthogonal"


def test_assert_initialized_raises_with_the_table():
    lstm = torch.nn.LSTM(4, 8)
    rt.apply(SPEC, lstm, seed=0)
    assert assert_initialized(lstm, SPEC).ok
    with pytest.raises(AssertionError) as info:
        assert_initialized(lstm, "ih=normal(std=0.5) hh=orthogonal bias=zeros bias[f]=2.0")
    text = str(info.value)
    assert "bias_ih_l0, bias_hh_l0" in text and "bias[f]" in text and "FAIL" in text

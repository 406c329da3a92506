"""Loading an untrusted file runs none of its code: torch.save files are read weights-only and
.keras files in Keras' safe mode, unless the caller says plainly that it trusts the file."""

import os
import textwrap

import keras
import pytest
import torch

import rnninit.torch as rt
from rnninit.cli import main
from rnninit.targets import TargetError, load_target

SPEC = "ih=normal(std=0.5) hh=orthogonal bias=zeros bias[f]=1.0"


class Payload:
    """What a hostile pickle does: unpickling it runs a shell command (here: creates a file)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture
def hostile_pt(tmp_path):
    marker = tmp_path / "code-ran"
    path = tmp_path / "model.pt"
    torch.save({"model": Payload(marker)}, path)
    return path, marker


def test_a_hostile_torch_file_runs_no_code_by_default(hostile_pt):
    path, marker = hostile_pt
    with pytest.raises(TargetError, match="pass trust_file=True") as caught:
        load_target(str(path))
    assert "posix.system" in str(caught.value) or "os.system" in str(caught.value)
    assert "--trust-file" not in str(caught.value)  # the library names its argument, the CLI its flag
    assert not marker.exists()


@pytest.mark.parametrize("command", [["audit", "--spec", "pytorch_default"], ["describe"]])
def test_the_cli_runs_no_code_from_a_hostile_torch_file_by_default(hostile_pt, command, capsys):
    path, marker = hostile_pt
    assert main([command[0], str(path), *command[1:]]) == 2
    err = capsys.readouterr().err
    assert "can run any code" in err and "--trust-file" in err and len(err.splitlines()) == 1
    assert not marker.exists()


def test_trust_file_is_what_lets_the_payload_run(hostile_pt, capsys):
    """The test's pickle is live: with the opt-in, unpickling runs it (so the default really guards)."""
    path, marker = hostile_pt
    assert main(["audit", str(path), "--spec", "pytorch_default", "--trust-file"]) == 2  # not a module
    assert marker.exists()
    assert "holds a dict, not a torch.nn.Module" in capsys.readouterr().err


def test_a_whole_module_needs_the_opt_in_and_a_state_dict_is_read_safely(tmp_path, capsys):
    lstm = torch.nn.LSTM(4, 8)
    rt.apply(SPEC, lstm, seed=0)
    torch.save(lstm, tmp_path / "lstm.pt")
    assert main(["audit", str(tmp_path / "lstm.pt"), "--spec", SPEC]) == 2
    err = capsys.readouterr().err
    assert "torch.nn.modules.rnn.LSTM" in err and "--trust-file" in err and "file.py:factory" in err
    assert main(["audit", str(tmp_path / "lstm.pt"), "--spec", SPEC, "--trust-file"]) == 0
    assert isinstance(load_target(str(tmp_path / "lstm.pt"), trust_file=True), torch.nn.LSTM)
    torch.save(lstm.state_dict(), tmp_path / "state.pt")  # safe to read; just not a model
    with pytest.raises(TargetError, match="a state_dict: save the module itself, or use file.py:factory"):
        load_target(str(tmp_path / "state.pt"))


def test_a_keras_file_with_code_is_refused_in_safe_mode(tmp_path, capsys):
    marker = tmp_path / "code-ran"
    command = f"touch {marker}"
    layer = keras.layers.Lambda(lambda x: (__import__("os").system(command), x)[1])
    model = keras.Sequential([keras.Input((5, 3)), layer, keras.layers.LSTM(4)])
    path = tmp_path / "model.keras"
    model.save(path)
    marker.unlink()  # building the model above ran the lambda once, here, by our own hand
    assert main(["describe", str(path)]) == 2
    err = capsys.readouterr().err
    assert "safe_mode" in err and "--trust-file" in err and len(err.splitlines()) == 1
    assert not marker.exists()
    assert main(["describe", str(path), "--trust-file"]) == 0  # trusted: the lambda runs
    assert marker.exists()


def test_a_factory_that_exits_is_an_error_not_a_clean_audit(tmp_path, capsys):
    path = tmp_path / "models.py"
    path.write_text(
        textwrap.dedent(
            """
            import sys

            def quits():
                sys.exit(0)
            """
        )
    )
    assert main(["audit", f"{path}:quits", "--spec", "pytorch_default"]) == 2
    assert "called sys.exit(0) instead of returning a model" in capsys.readouterr().err
    (tmp_path / "exits_on_import.py").write_text("import sys\nsys.exit(3)\n")
    assert main(["describe", f"{tmp_path / 'exits_on_import.py'}:make"]) == 2
    assert "called sys.exit(3)" in capsys.readouterr().err


def test_trust_file_must_be_a_bool():
    with pytest.raises(TargetError, match="trust_file must be True or False"):
        load_target("x.pt", trust_file="yes")

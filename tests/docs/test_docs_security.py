"""docs/security.md: the limits it prints are the code's, and its safe-loading example runs."""

import re
import shlex
import subprocess
import sys

import torch
from helpers import ROOT, src_env

DOC = ROOT / "docs" / "security.md"


def test_the_limits_the_page_prints_are_the_ones_the_code_has():
    text = DOC.read_text()
    command = re.search(r'```bash\n(python -c ".*?")\n```', text).group(1)
    shown = re.search(r"```text\n(.*?)\n```", text, re.S).group(1)
    argv = [sys.executable, *shlex.split(command)[1:]]
    env = src_env()
    assert subprocess.run(argv, capture_output=True, text=True, env=env, check=True).stdout.strip() == shown


def test_the_safe_factory_example_loads_the_weights(tmp_path, monkeypatch):
    (code,) = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    reference = torch.nn.LSTM(8, 64)
    torch.save(reference.state_dict(), tmp_path / "weights.pt")
    monkeypatch.chdir(tmp_path)
    names: dict = {}
    exec(compile(code, str(DOC), "exec"), names)
    model = names["make_model"]()
    for name, value in reference.state_dict().items():
        assert torch.equal(model.state_dict()[name], value)

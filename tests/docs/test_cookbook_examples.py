"""docs/cookbook.md: every Python block runs as written, each on its own (copy-pasteable) as a script in a
scratch directory (a file, so that TorchScript can read the source of a ScriptModule)."""

import re
import runpy

import pytest
from helpers import ROOT

COOKBOOK = ROOT / "docs" / "cookbook.md"


def sections() -> list[tuple[str, str]]:
    """``(heading, block)`` for every Python block, under the heading it follows."""
    out, heading = [], ""
    for match in re.finditer(r"^## ([^\n]+)$|^```python\n(.*?)^```", COOKBOOK.read_text(), flags=re.S | re.M):
        if match.group(1):
            heading = match.group(1)
        else:
            out.append((heading, match.group(2)))
    return out


BLOCKS = sections()


def test_the_cookbook_declares_every_design_of_the_zoo():
    text = COOKBOOK.read_text()
    designs = ["WeightDropout", "WeightDrop", "AugmentedLSTMCell", "LstmCellWithProjection", "LSTMCell"]
    designs += [
        "LayerNormLSTMCell",
        "PeepholeLSTMCell",
        "MinimalRNNCell",
        "StackedRNNCells",
        "declare_wrapped",
    ]
    assert all(name in text for name in designs)
    assert len(BLOCKS) >= 8


@pytest.mark.parametrize(
    "heading, block", BLOCKS, ids=[f"{i}-{h.split(':')[0][:40]}" for i, (h, _) in enumerate(BLOCKS)]
)
def test_every_python_block_runs_on_its_own(heading, block, tmp_path, monkeypatch):
    script = tmp_path / "block.py"
    script.write_text(block)
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(script), run_name="cookbook")

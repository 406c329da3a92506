"""The README's Python examples run as written (in order, in one namespace, in a scratch directory)."""

import re

import numpy as np
import pytest
from helpers import ROOT

README = ROOT / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


@pytest.fixture(scope="module")
def namespace(tmp_path_factory):
    import os

    here = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("readme"))  # the Keras example saves model.keras
    try:
        names: dict = {}
        for block in python_blocks():
            exec(compile(block, str(README), "exec"), names)
        yield names
    finally:
        os.chdir(here)


def test_the_readme_has_its_python_examples():
    assert len(python_blocks()) >= 5


def test_the_custom_torch_cell_gets_each_weight_its_own_scale(namespace):
    cell = namespace["cell"]
    assert abs(cell.W_ih.detach().std().item() - 1.0) < 0.05
    assert abs(cell.W_hh.detach().std().item() - 0.125) < 0.01
    np.testing.assert_array_equal(cell.b.detach().numpy(), np.zeros(64))


def test_the_audit_example_passes_its_own_spec_and_describes_the_default(namespace):
    import torch

    import rnninit as ri

    assert namespace["report"].ok
    assert str(ri.describe(torch.nn.LSTM(8, 64))) == "pytorch_default"


def test_the_flax_example_applies_audits_and_binds_each_weight_to_its_role(namespace):
    encoder, my_cell = namespace["encoder"], namespace["my_cell"]
    assert namespace["flax_report"].ok
    for rnn in (encoder.forward_rnn, encoder.backward_rnn):
        np.testing.assert_array_equal(np.asarray(rnn.cell.hf.bias[...]), np.ones(32))
    bias, recurrent = np.asarray(my_cell.b[...]), np.asarray(my_cell.U[...])
    np.testing.assert_array_equal(bias, np.r_[np.zeros(32), np.ones(32), np.zeros(64)])
    for k in range(4):
        block = recurrent[:, 32 * k : 32 * (k + 1)]
        np.testing.assert_allclose(block.T @ block, np.eye(32), atol=1e-5)

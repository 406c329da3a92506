"""examples/torch_custom_cell.py runs and gives each weight of the custom cell its own arguments.

Tolerance: each 64×64 matrix has n = 4096 draws; the sample std's relative standard error is
sqrt((kurtosis - 1) / (4n)): 1.1% for a normal, 0.7% for a uniform. A 5% band is more than 4.5
standard errors (false-positive rate below 1e-5 per check), and the seed is fixed, so the test is
deterministic.
"""

import runpy
import subprocess
import sys

import pytest
import torch
from helpers import ROOT, SRC

EXAMPLE = ROOT / "examples" / "torch_custom_cell.py"


@pytest.fixture(scope="module")
def example():
    return runpy.run_path(str(EXAMPLE))


@pytest.mark.parametrize("distribution", ["normal", "uniform"])
def test_each_weight_gets_its_own_scale_even_when_the_shapes_are_equal(example, distribution):
    cell, result = example["main"](scale_ih=0.5, scale_hh=0.05, distribution=distribution, size=64, seed=0)
    assert cell.W_ih.shape == cell.W_hh.shape  # shape alone could not tell them apart
    assert cell.W_ih.std().item() == pytest.approx(0.5, rel=0.05)
    assert cell.W_hh.std().item() == pytest.approx(0.05, rel=0.05)
    assert torch.all(cell.b == 0)
    inits = {r["role"]: r["init"] for r in result.records}
    assert inits["ih"].startswith(distribution) and inits["hh"].startswith(distribution)
    if distribution == "uniform":  # U(±√3 s): bounded by √3 s
        assert cell.W_ih.abs().max().item() <= 3**0.5 * 0.5
        assert cell.W_hh.abs().max().item() <= 3**0.5 * 0.05


def test_an_unknown_distribution_is_a_typed_error(example):
    import rnninit as ri

    with pytest.raises(ri.SpecError, match="'normal', 'uniform'"):
        example["scaled_init"](0.5, 0.05, "cauchy")


def test_the_example_runs_as_a_script():
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "--scale-ih", "0.3", "--scale-hh", "0.1", "--distribution", "uniform"],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "W_ih  role=ih" in done.stdout and "W_hh  role=hh" in done.stdout

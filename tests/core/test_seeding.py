"""Deterministic per-block random streams: same seed and block identity -> same numbers, in any
process and any visiting order; different identities -> independent streams."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from core_blocks import torch_layout

from rnninit.plan import make_plan
from rnninit.seeding import MAX_SEED, SeedError, block_rng, check_seed

SPEC = "ih=glorot_uniform hh=orthogonal bias=torch_default bias[f]=chrono(t_max=20) proj=normal(std=0.3)"
LAYOUT_ARGS = {
    "kind": "lstm",
    "input_size": 5,
    "hidden_size": 7,
    "num_layers": 2,
    "bidirectional": True,
    "proj_size": 3,
}


def plan_digest(seed: int) -> str:
    plan = make_plan(SPEC, torch_layout(**LAYOUT_ARGS), seed=seed)
    digest = hashlib.sha256()
    for a in plan.assignments:
        digest.update(f"{a.cell.layer}/{a.cell.direction}/{a.slot.label}".encode())
        digest.update(np.ascontiguousarray(a.value).tobytes())
    return digest.hexdigest()


def test_same_spec_and_seed_give_the_same_bytes_in_another_process():
    src = Path(__file__).resolve().parents[2] / "src"
    code = (
        "import json, sys; sys.path[:0] = [sys.argv[1], sys.argv[2]];"
        "from test_seeding import plan_digest; print(json.dumps(plan_digest(11)))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "123", "OMP_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code, str(src), str(Path(__file__).parent)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=120,
    )
    assert json.loads(out.stdout) == plan_digest(11)


def test_different_seeds_give_different_numbers():
    assert plan_digest(0) != plan_digest(1)


def test_visiting_order_does_not_matter():
    layout = torch_layout(**LAYOUT_ARGS)
    from rnninit.layout.storage import ModelLayout

    reversed_layout = ModelLayout(tuple(reversed(layout.cells)), layout.tensors)
    forward = make_plan(SPEC, layout, seed=4)
    backward = make_plan(SPEC, reversed_layout, seed=4)
    by_block = {(a.cell.layer, a.cell.direction, a.slot.label): a.value for a in backward.assignments}
    assert len(by_block) == len(forward.assignments)
    for a in forward.assignments:
        np.testing.assert_array_equal(a.value, by_block[(a.cell.layer, a.cell.direction, a.slot.label)])


def test_a_block_does_not_depend_on_which_other_blocks_the_spec_names():
    alone = make_plan("hh=normal", torch_layout(**LAYOUT_ARGS), seed=2)
    together = make_plan("ih=normal hh=normal bias=normal", torch_layout(**LAYOUT_ARGS), seed=2)
    hh = {
        (a.cell.layer, a.cell.direction, a.slot.gate): a.value
        for a in together.assignments
        if a.slot.role == "hh"
    }
    for a in alone.assignments:
        np.testing.assert_array_equal(a.value, hh[(a.cell.layer, a.cell.direction, a.slot.gate)])


def test_every_block_gets_its_own_stream():
    plan = make_plan("ih=normal hh=normal bias=normal", torch_layout(**LAYOUT_ARGS), seed=0)
    firsts = [float(a.value.flat[0]) for a in plan.assignments]
    assert len(set(firsts)) == len(firsts) == 2 * 2 * 3 * 4


@pytest.mark.parametrize(
    "other",
    [
        ("rnn", 1, 0, "hh", "f"),  # another layer
        ("rnn", 0, 1, "hh", "f"),  # another direction
        ("rnn", 0, 0, "ih", "f"),  # another role
        ("rnn", 0, 0, "hh", "i"),  # another gate
        ("rnn2", 0, 0, "hh", "f"),  # another path
        ("rnn", 0, 0, "hh", None),  # role-wide (fused) stream
    ],
)
def test_streams_of_different_identities_are_uncorrelated(other):
    base = block_rng(0, "rnn", 0, 0, "hh", "f").standard_normal(20_000)
    draws = block_rng(0, *other).standard_normal(20_000)
    assert not np.array_equal(base, draws)
    # |corr| of two independent N(0,1) samples is < 4.5/sqrt(n) with probability 1 - 7e-6
    assert abs(np.corrcoef(base, draws)[0, 1]) < 4.5 / np.sqrt(20_000)


def test_identity_fields_do_not_collide_by_concatenation():
    a = block_rng(0, "ab", 1, 0, "hh", None).integers(0, 2**62)
    b = block_rng(0, "a", 11, 0, "hh", None).integers(0, 2**62)
    assert a != b


@pytest.mark.parametrize("seed", [-1, MAX_SEED + 1, 1.0, "0", True, None])
def test_invalid_seeds_are_a_seed_error(seed):
    with pytest.raises(SeedError, match="seed must be an integer in \\[0, 2\\*\\*63 - 1\\]"):
        check_seed(seed)


def test_numpy_integer_seeds_are_accepted():
    assert check_seed(np.int64(5)) == 5
    assert check_seed(MAX_SEED) == MAX_SEED


def test_make_plan_and_block_rng_refuse_none_without_offering_it():
    """They take a seed and draw none (the backends draw one for ``None`` first), so their message
    must not offer ``None`` as a valid seed."""
    from rnninit.layout import ModelLayout
    from rnninit.layout.declared import declared_layout

    cells, tensors = declared_layout({"W": (4, 3), "U": (4, 4)}, {"W": "ih", "U": "hh"})
    layout = ModelLayout(tuple(cells), tensors)
    for call in (
        lambda: make_plan("ih=normal(std=0.1) hh=orthogonal", layout, seed=None),
        lambda: block_rng(None, "", 0, 0, "hh", None),
    ):
        with pytest.raises(SeedError, match=r"seed must be an integer in \[0, 2\*\*63 - 1\], got None$"):
            call()

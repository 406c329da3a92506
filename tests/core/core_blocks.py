"""Shared helpers for the core tests: blocks, layouts and fixed seeds (no framework imports)."""

from __future__ import annotations

import numpy as np

from rnninit.inits import Block
from rnninit.layout.kinds import cell_kind
from rnninit.layout.storage import ModelLayout
from rnninit.layout.torch_builtin import torch_rnn_layout
from rnninit.seeding import block_rng

#: The false-positive rate of every one-sample statistical test in these files. With fixed seeds each
#: test is deterministic; alpha is the chance that a correct sampler would have failed it for a
#: random seed, so a failure is evidence of a bug, not bad luck.
ALPHA = 1e-4


def matrix_block(rows: int, cols: int, *, role: str = "hh", hidden: int | None = None) -> Block:
    return Block(role=role, gate=None, shape=(rows, cols), form="matrix", hidden_size=hidden or rows)


def vector_block(size: int, *, role: str = "bias", bias_terms: int = 1) -> Block:
    return Block(role=role, gate=None, shape=(size,), form="vector", hidden_size=size, bias_terms=bias_terms)


def rng(seed: int = 0, tag: str = "test") -> np.random.Generator:
    return block_rng(seed, tag, 0, 0, "test", None)


def torch_layout(kind: str, input_size: int, hidden_size: int, **kwargs) -> ModelLayout:
    """The layout of an ``nn.RNN/LSTM/GRU``-shaped module, built without importing torch."""
    cells, tensors = torch_rnn_layout(
        cell_kind(kind), path="rnn", input_size=input_size, hidden_size=hidden_size, **kwargs
    )
    return ModelLayout(tuple(cells), tensors)

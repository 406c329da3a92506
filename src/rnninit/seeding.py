"""Deterministic random streams, one per logical weight block.

A block's stream depends only on the seed and the block's identity (cell path, layer,
direction, role, gate), never on the framework, the storage layout or the order in which
blocks are visited, so one spec and one seed give the same numbers everywhere.
"""

from __future__ import annotations

import hashlib

import numpy as np

from rnninit.arguments import check_integer
from rnninit.errors import SeedError

MAX_SEED = 2**63 - 1


def check_seed(seed: object, *, none_allowed: bool = True) -> int:
    """``seed`` as an ``int`` when it is an integer in ``[0, 2**63 - 1]``; otherwise a `SeedError`.

    ``None`` is always refused here; ``none_allowed`` only says whether the message offers it (the
    caller draws a seed for ``None`` before asking).
    """
    expected = "an integer in [0, 2**63 - 1]" + (" or None" if none_allowed else "")
    return check_integer(seed, "seed", error=SeedError, minimum=0, maximum=MAX_SEED, expected=expected)


def identity_words(path: str, layer: int, direction: int, role: str, gate: str | None) -> tuple[int, ...]:
    text = f"{path}\x1f{layer}\x1f{direction}\x1f{role}\x1f{gate or ''}"
    digest = hashlib.blake2b(text.encode(), digest_size=16).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


def block_rng(
    seed: int, path: str, layer: int, direction: int, role: str, gate: str | None
) -> np.random.Generator:
    """The random stream of one block: PCG64 seeded from ``seed`` and the block's identity."""
    sequence = np.random.SeedSequence(
        entropy=check_seed(seed, none_allowed=False),
        spawn_key=identity_words(path, layer, direction, role, gate),
    )
    return np.random.Generator(np.random.PCG64(sequence))

"""Memory that sampling may reuse from one block to the next, where the caller says it may.

A big model's blocks are each drawn into a new array; a caller that writes each block away before
the next is drawn (`Plan.stream`) keeps nothing, so the next draw may land in the same memory.
Reusing it is much cheaper than fresh memory, which the system must map and zero page by page
(docs/speed.md, table 4, measures what this saves on a 100M-parameter model).

Inside `lending`, `empty` lends this thread's spare buffers instead of allocating; outside it,
`empty` is ``np.empty``. A lent buffer comes back only through `Lender.reclaim`, which
takes back the buffer under the block's final value once the caller has used that value: an
intermediate array an init made on the way (a base init's draw that it then scaled into a new
array) is never reused while something might still hold it.

Examples:
    >>> import numpy as np
    >>> from rnninit.inits import scratch
    >>> with scratch.lending() as lender:
    ...     first = scratch.empty((512, 512))
    ...     lender.reclaim(first)  # done with it: the next block may reuse its memory
    ...     second = scratch.empty((256, 1024), order="F")
    >>> bool(np.shares_memory(first, second)), second.flags.f_contiguous
    (True, True)
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

#: Smaller arrays come from ``np.empty``: the allocator reuses small blocks by itself.
MIN_BYTES = 1 << 20

_local = threading.local()


class Lender:
    """One thread's spare float64 buffers, lent by `empty` and taken back by `reclaim`."""

    def __init__(self) -> None:
        self.spare: list[np.ndarray] = []
        self.lent: list[np.ndarray] = []

    def take(self, size: int) -> np.ndarray:
        """A flat float64 buffer of at least ``size`` elements: the smallest spare that fits, or a new one."""
        fits = [i for i, b in enumerate(self.spare) if b.size >= size]
        if fits:
            buffer = self.spare.pop(
                min(fits, key=lambda i: self.spare[i].size)
            )  # by place: == compares arrays
        else:
            buffer = np.empty(size)
        self.lent.append(buffer)
        return buffer

    def reclaim(self, value: np.ndarray) -> None:
        """Take back the buffer under ``value`` (a final value its user is done with) for the next
        block; forget every other lent buffer, which something may still hold."""
        root = value
        while isinstance(root.base, np.ndarray):
            root = root.base
        for buffer in self.lent:
            if buffer is root:
                self.spare.append(buffer)
        self.lent.clear()


@contextmanager
def lending(lender: Lender | None = None) -> Iterator[Lender]:
    """Within this block, `empty` on this thread lends from ``lender`` (a new one by default), which
    it returns; pass the same lender again to reuse its spares in a later block of the same thread."""
    outer = getattr(_local, "lender", None)
    _local.lender = lender = Lender() if lender is None else lender
    try:
        yield lender
    finally:
        _local.lender = outer


def empty(shape: tuple[int, ...], order: str = "C") -> np.ndarray:
    """``np.empty(shape, order=order)`` of float64; inside `lending`, in a lent buffer when big."""
    lender: Lender | None = getattr(_local, "lender", None)
    size = math.prod(shape)
    if lender is None or size * 8 < MIN_BYTES:
        return np.empty(shape, order=order)  # type: ignore[call-overload]
    return lender.take(size)[:size].reshape(shape, order=order)  # type: ignore[call-overload]


__all__ = ["MIN_BYTES", "Lender", "empty", "lending"]

"""Independent blocks, sampled and written on several cores.

Every block has its own random stream (`rnninit.seeding`), so blocks can be sampled in any
order, and at once: the numbers do not depend on how many threads there are. NumPy's generators
and LAPACK release the GIL for large arrays, so threads suffice. BLAS is limited to one thread per
block while the blocks run side by side (a 2048² QR parallelizes better across blocks than inside
one), and to one thread always, so a block's rounding does not depend on the machine's core count.

The number of threads follows the BLAS limit in force (``threadpoolctl.threadpool_limits``,
``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``), capped by the cores this process may run on:
whoever limits BLAS to one thread gets one thread here too.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from threadpoolctl import threadpool_info, threadpool_limits

T = TypeVar("T")
R = TypeVar("R")

#: Below this many elements in all, threads cost more than they save.
PARALLEL_MIN_ELEMENTS = 1 << 20


def available_threads() -> int:
    """The threads sampling may use: the cores this process may run on, at most the BLAS limit."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    limits = [info["num_threads"] for info in threadpool_info() if info.get("user_api") == "blas"]
    return max(1, min([cores, *limits]))


def map_blocks(function: Callable[[T], R], items: Sequence[T], sizes: Iterable[int]) -> list[R]:
    """``[function(item) for item in items]``, in order, on several threads when the work is big.

    An exception is raised as the sequential loop would raise it: the first failing item's, in order.
    Items not started by then are not started; those running are finished before it is raised, so
    nothing still runs when the caller handles it (a writer restores what was written).
    """
    threads = min(available_threads(), len(items))
    with threadpool_limits(limits=1, user_api="blas"):
        if threads < 2 or sum(sizes) < PARALLEL_MIN_ELEMENTS:
            return [function(item) for item in items]
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="rnninit") as pool:
            futures = [pool.submit(function, item) for item in items]
            try:
                return [future.result() for future in futures]
            except BaseException:
                for future in futures:
                    future.cancel()  # leaving the block then waits only for the items running
                raise


__all__ = ["PARALLEL_MIN_ELEMENTS", "available_threads", "map_blocks"]

"""Reused sampling memory: lent only inside ``lending``, reused only once the user is done with a final
value, never while an intermediate array may still be held."""

import threading

import numpy as np

from rnninit.inits import scratch
from rnninit.inits.random import normal_draws
from rnninit.inits.structured import orthogonal_matrix

BIG = (512, 512)  # 2 MiB of float64: above scratch.MIN_BYTES


def test_outside_lending_every_array_is_new():
    assert scratch.MIN_BYTES <= np.prod(BIG) * 8
    a, b = scratch.empty(BIG), scratch.empty(BIG)
    assert not np.shares_memory(a, b)


def test_a_reclaimed_final_value_is_reused_in_either_order():
    with scratch.lending() as lender:
        first = scratch.empty(BIG)
        lender.reclaim(first.T)  # a view of the buffer stands for it
        second = scratch.empty((256, 1024), order="F")
        lender.reclaim(second)
        third = scratch.empty((100, 100))  # small: never lent
    assert np.shares_memory(first, second) and second.flags.f_contiguous and second.shape == (256, 1024)
    assert not np.shares_memory(third, first)


def test_an_unreclaimed_or_intermediate_buffer_is_never_lent_again():
    with scratch.lending() as lender:
        intermediate = scratch.empty(BIG)
        final = scratch.empty(BIG)
        lender.reclaim(final)  # the intermediate is forgotten, not reused: something may hold it
        after = [scratch.empty(BIG) for _ in range(2)]
    assert np.shares_memory(after[0], final)
    assert not any(np.shares_memory(a, intermediate) for a in after)
    assert not np.shares_memory(after[0], after[1])  # two live arrays never share a buffer


def test_a_value_not_from_the_lender_returns_nothing():
    with scratch.lending() as lender:
        lent = scratch.empty(BIG)
        lender.reclaim(np.ones(BIG))  # not lent: the lent buffer is forgotten too
        again = scratch.empty(BIG)
    assert not np.shares_memory(lent, again)


def test_lending_is_per_thread_and_ends_with_the_block():
    seen = {}

    def other():
        seen["lender"] = getattr(scratch._local, "lender", None)

    with scratch.lending() as lender:
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        assert scratch._local.lender is lender
    assert seen["lender"] is None and getattr(scratch._local, "lender", None) is None


def test_draws_into_lent_memory_are_the_numbers_of_fresh_draws():
    with scratch.lending() as lender:
        normal = normal_draws(np.random.default_rng(5), 0.1, 2.0, BIG)
        assert np.array_equal(normal, np.random.default_rng(5).normal(0.1, 2.0, BIG))
        lender.reclaim(normal)
        q = orthogonal_matrix(*BIG, np.random.default_rng(6))
        assert np.shares_memory(q, normal)  # the QR ran in place, in the reused buffer
    assert np.array_equal(q, orthogonal_matrix(*BIG, np.random.default_rng(6)))


def test_spares_of_several_sizes_lend_the_smallest_that_fits():
    with scratch.lending() as lender:
        small = scratch.empty(BIG)
        lender.reclaim(small)
        big = scratch.empty((512, 1024))  # the small spare does not fit: a new buffer
        lender.reclaim(big)
        again_big = scratch.empty((1024, 512))  # only the second spare fits
        again_small = scratch.empty(BIG)
    assert not np.shares_memory(small, big)
    assert np.shares_memory(again_small, small) and np.shares_memory(again_big, big)

"""rf.role shares rk.role's check: a role no init can ever reach is refused when it is made; a
cell-specific role the spec names still works."""

import jax
import numpy as np
import pytest

import rnninit.flax as rf
from rnninit import SpecError


def test_an_unknown_role_without_an_entry_in_the_spec_is_refused_when_made():
    with pytest.raises(SpecError, match=r"unknown role 'zz' for a lstm cell: its roles are .*'zz=zeros'"):
        rf.role("orthogonal", "zz", kind="lstm")


def test_a_cell_specific_role_with_an_entry_is_still_made_and_initialized():
    init = rf.role("peephole=constant(0.5)", "peephole", kind="lstm", seed=0)
    np.testing.assert_array_equal(np.asarray(init(jax.random.key(0), (6,))), np.full(6, 0.5))

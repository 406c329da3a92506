"""rk.role / RoleInitializer: a role no init can ever reach is refused when the initializer is made, not
when Keras first calls it; a cell-specific role the spec names still works."""

import keras
import numpy as np
import pytest

import rnninit.keras as rk
from rnninit import SpecError


@pytest.mark.parametrize(
    ("spec", "role", "kwargs", "kind"),
    [
        ("hh=orthogonal", "zz", {}, "an elman cell"),
        ("orthogonal", "hx", {"kind": "lstm"}, "a lstm cell"),
        ("ih=normal hh=orthogonal bias=zeros", "peephole", {"gates": "ifco"}, "a lstm cell"),
    ],
)
def test_an_unknown_role_without_an_entry_in_the_spec_is_refused_at_construction(spec, role, kwargs, kind):
    message = rf"unknown role '{role}' for {kind}: its roles are 'ih', 'hh', 'bias'.*'{role}=zeros'"
    with pytest.raises(SpecError, match=message):
        rk.RoleInitializer(spec, role, **kwargs)
    with pytest.raises(SpecError, match=message):
        rk.role(spec, role, **kwargs)


def test_a_role_that_is_not_a_name_is_refused():
    with pytest.raises(SpecError, match="role must be a role name such as 'hh', got 3"):
        rk.role("hh=orthogonal", 3)


def test_a_cell_specific_role_with_an_entry_is_still_built_and_its_gates_come_from_the_weight():
    init = rk.role("hh=orthogonal peephole[i]=ones peephole[f]=zeros", "peephole", "if", kind="lstm", seed=0)
    np.testing.assert_array_equal(np.asarray(init((3 * 2,))), [1, 1, 1, 0, 0, 0])


def test_an_unknown_role_in_a_layer_fails_before_keras_builds_anything():
    with pytest.raises(SpecError, match="unknown role 'zz'"):
        keras.layers.Dense(4, kernel_initializer=rk.role("hh=orthogonal", "zz", seed=0))

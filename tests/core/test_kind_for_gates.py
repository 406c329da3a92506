"""One rule infers a cell kind from gate names (``rnninit.layout.kind_for_gates``), for the bound-role
initializers (``rnninit.keras.role``, ``rnninit.flax.role``) and for the audit's ``roles=``."""

from __future__ import annotations

import pytest

from rnninit.errors import LayoutError, SpecError
from rnninit.layout import kind_for_gates


@pytest.mark.parametrize(
    ("gates", "kind"),
    [
        (("i", "f", "g", "o"), "lstm"),
        (("i", "f", "c", "o"), "lstm"),  # Keras' name for g
        (("z", "r", "h"), "gru"),  # the first of the kinds with these gates (gru_reset_before too)
        (("f", "n"), "mgu"),
        (("u",), "minimalrnn"),
        (("i",), "lstm"),  # a weight holding some of a kind's gates: the only kind with them
        (("i", "f"), "lstm"),
        ((), "elman"),
    ],
)
def test_the_kind_whose_gates_they_are(gates, kind):
    assert kind_for_gates(gates).name == kind


def test_gates_of_several_kinds_are_ambiguous_and_names_of_none_are_unknown():
    with pytest.raises(SpecError, match=r"gates of several cell kinds: lstm \(i f g o\), mgu \(f n\)"):
        kind_for_gates(["f"])
    with pytest.raises(SpecError, match="no cell kind has the gates f, x; pass kind="):
        kind_for_gates(["f", "x"])
    with pytest.raises(LayoutError, match="pass cell="):
        kind_for_gates(["q"], error=LayoutError, argument="cell")


def test_the_bound_roles_parse_gates_then_use_the_rule():
    from rnninit.role_binding import parse_gates

    assert kind_for_gates(parse_gates("zrh")).name == "gru"
    assert kind_for_gates(parse_gates("i,f,c,o")).name == "lstm"

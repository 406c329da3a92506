"""One table of cell names: every name says its cell kind and builds what it offers; dynamics, tune,
experiments, the speed benchmark and the command line take their names from it."""

from __future__ import annotations

import inspect

import pytest

from rnninit.layout import CELL_KINDS
from rnninit.named_cells import NAMED_CELLS, USES, cell_names


@pytest.mark.parametrize("name", list(NAMED_CELLS))
def test_every_name_has_a_kind_and_builds_each_module_it_offers(name):
    cell = NAMED_CELLS[name]
    assert cell.name == name and cell.kind in CELL_KINDS and cell.framework in ("torch", "keras")
    offered = [use for use in USES if getattr(cell, use) is not None]
    assert offered, name
    for use in offered:
        module = cell.module(use)
        accepted = inspect.signature(module).parameters
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values())  # torch.nn.RNN
        for argument in (*cell.arguments, *cell.options):
            assert argument in accepted or takes_any, (name, use, argument)
    for option, values in cell.options.items():
        assert cell.sequence is not None and values, (name, option)  # options are set by run configs
        assert cell.arguments.get(option, values[0]) in values
    assert set(cell.state) <= {"h", "c"} and cell.state[0] == "h"


def test_a_module_a_name_does_not_offer_is_a_key_error_naming_the_use():
    with pytest.raises(KeyError, match="has no dropin module"):
        NAMED_CELLS["indrnn"].module("dropin")


def test_each_layer_takes_its_names_from_the_one_table():
    from rnninit.bench.options import CELLS as BENCH
    from rnninit.cli.diagnose import CELL_NAMES
    from rnninit.dynamics import CELLS as DYNAMICS
    from rnninit.experiments.models import CELLS as EXPERIMENTS

    assert tuple(DYNAMICS) == cell_names("step") == CELL_NAMES
    assert tuple(EXPERIMENTS) == cell_names("sequence")
    assert BENCH == cell_names("dropin") == ("lstm", "gru", "elman")
    assert all(EXPERIMENTS[name] is NAMED_CELLS[name] for name in EXPERIMENTS)


def test_the_names_users_type_are_all_still_there():
    """Renaming is no reason to break a command line or a run config that worked."""
    assert set(cell_names("step")) == {
        "elman",
        "elman_relu",
        "lstm",
        "gru",
        "indrnn",
        "indrnn_tanh",
        "minimalrnn",
        "keras_elman",
        "keras_lstm",
        "keras_gru",
    }
    assert set(cell_names("sequence")) == {"elman", "lstm", "gru", "indrnn", "minimalrnn", "two_kernel_tanh"}

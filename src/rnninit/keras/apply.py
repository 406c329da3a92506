"""``rnninit.keras.apply``: initialize every recurrent cell of a built Keras layer or model from one spec."""

from __future__ import annotations

import random

import keras
import numpy as np

from rnninit.apply_result import ApplyResult
from rnninit.keras.layouts import find_cells
from rnninit.keras.target import KerasTarget
from rnninit.plan import make_plan
from rnninit.seeding import MAX_SEED, check_seed
from rnninit.spec import SpecLike
from rnninit.writer import write_all


def draw_seed() -> int:
    """A seed from Python's global generator, which ``keras.utils.set_random_seed`` seeds."""
    return random.randint(0, MAX_SEED)


def apply(
    spec: SpecLike, obj: keras.layers.Layer, seed: int | None = None, strict: bool = True
) -> ApplyResult:
    """Initialize every recurrent cell in ``obj`` (a *built* layer, cell or model) from ``spec``, in place.

    ``spec`` is a `Spec`, a spec string, a preset name or a dict. Gate names follow the
    math (LSTM ``i f g o``, GRU ``r z n``; Keras' ``c`` and ``h`` are accepted as aliases); ``bias`` is
    the effective gate bias, so on a GRU with ``reset_after=True`` the value goes to the input-bias row
    and the recurrent row gets zeros (its ``h`` entry is ``b_hn``, role ``bias_hn``). Blocks whose
    role the spec does not mention are left as they are.

    Block identities (path, layer, direction) are those of `rnninit.keras.layouts`, so an
    ``LSTM`` layer and a ``torch.nn.LSTM`` given the same spec and int seed get the same effective
    weights. ``seed=None`` draws one from Python's generator (``keras.utils.set_random_seed``
    governs it). Everything is validated and sampled before anything is written, every value is
    checked to be finite in its weight's dtype, and a write that still fails restores what was
    written: on any error no weight changes (`StorageError` for a weight
    that cannot take the values).

    Args:
        spec: What to initialize each role and gate with: a `Spec`, a spec string, a preset name
            or a dict.
        obj: A *built* Keras layer, cell or model containing recurrent cells: ``SimpleRNN``/``LSTM``/
            ``GRU`` and their cells (also in ``keras.layers.RNN``, ``StackedRNNCells`` or
            ``Bidirectional``), rnninit's cells, or cells that declare ``rnninit_roles``.
        seed: The seed (an int in ``[0, 2**63 - 1]``); ``None`` draws one from Python's global
            generator.
        strict: If true, a weight of a recognized cell that no layout explains, or a cell that
            rnninit does not know, is an error; if false, it is left as it is and listed in the
            result's ``skipped``.

    Returns:
        The seed used and, per block, where it is stored and what it got.

    Raises:
        SpecError: The spec is malformed or names a role or gate the model's cells lack.
        LayoutError: ``obj`` is not a Keras layer, holds no recurrent cell rnninit knows, is not
            built yet, or has an unexplained weight (with ``strict``).
        SeedError: ``seed`` is not an integer in ``[0, 2**63 - 1]`` or ``None``.
        StorageError: A weight cannot take the values (a value not finite in its dtype).

    Examples:
        >>> import keras, rnninit.keras as rk
        >>> lstm = keras.layers.LSTM(16); lstm.build((None, 5, 8))
        >>> rk.apply("ih=glorot_uniform hh=orthogonal bias=zeros bias[f]=1.0", lstm, seed=0)
        ApplyResult(seed=0, initialized=12 blocks, untouched=0 blocks)
        >>> float(lstm.cell.bias.numpy()[16:32].min()), float(abs(lstm.cell.bias.numpy()[:16]).max())
        (1.0, 0.0)
    """
    found = find_cells(obj, strict=strict)
    seed = draw_seed() if seed is None else check_seed(seed)
    plan = make_plan(spec, found.layout, seed)
    current = {
        name: np.array(found.variables[name].numpy(), dtype=np.float64)
        for name in plan.partly_touched_tensors()
    }
    variables = {name: found.variables[name] for name in plan.touched_tensors()}
    write_all(KerasTarget(variables), plan.new_arrays(current), plan)
    plan.release()
    return ApplyResult(seed, plan)

"""``rnninit.torch.apply``: initialize every recurrent cell of a PyTorch model from one spec."""

from __future__ import annotations

import torch
from torch import nn

from rnninit.apply_result import ApplyResult
from rnninit.plan import make_plan
from rnninit.seeding import MAX_SEED, check_seed
from rnninit.spec import SpecLike
from rnninit.torch.layouts import model_layout, write_plan


def draw_seed() -> int:
    """A seed from torch's global generator, so ``torch.manual_seed`` governs ``seed=None``."""
    return int(torch.randint(0, MAX_SEED, (), dtype=torch.int64))


def apply(spec: SpecLike, module: nn.Module, seed: int | None = None, strict: bool = True) -> ApplyResult:
    """Initialize every recurrent cell in ``module`` from ``spec``, in place.

    ``spec`` is a `Spec`, a spec string, a preset name or a dict. Roles are the
    math, not the storage: ``bias`` is the *effective* gate bias, so on PyTorch's two additive biases
    the value goes to ``bias_ih`` and ``bias_hh`` gets zeros (GRU's ``b_hn`` is its own role,
    ``bias_hn``). Blocks whose role the spec does not mention are left as they are.

    ``seed=None`` draws a seed from torch's global generator; an int seed gives the same numbers in
    every process and framework. The spec is validated against every block and every parameter is
    checked to be writable before anything is written. CPU parameters are then written in place,
    block by block as each is drawn (no copy of the model in fresh memory); others get whole new
    contents once every block is drawn. Every value is checked to be finite in its parameter's
    dtype, and anything that still fails on the way (a write, an init whose arguments overflow, an
    interrupt) restores what was written: on any error no weight changes (`StorageError` for a
    parameter that cannot take the values).

    Args:
        spec: What to initialize each role and gate with: a `Spec`, a spec string, a preset name
            or a dict.
        module: A model containing recurrent cells: ``nn.RNN``/``LSTM``/``GRU``, their ``*Cell``
            variants, rnninit's cells, or cells declared with `declare` / `declare_wrapped`.
        seed: The seed (an int in ``[0, 2**63 - 1]``); ``None`` draws one from torch's global
            generator.
        strict: If true, a parameter of a recognized cell that no layout explains is an error;
            if false, it is left as it is and listed in the result's ``skipped``.

    Returns:
        The seed used and, per block, where it is stored and what it got.

    Raises:
        SpecError: The spec is malformed or names a role or gate the model's cells lack.
        LayoutError: ``module`` is not a module, holds no recurrent cell rnninit knows, has an
            unexplained parameter (with ``strict``), or ties two cells' storage.
        SeedError: ``seed`` is not an integer in ``[0, 2**63 - 1]`` or ``None``.
        StorageError: A parameter cannot take the values (no data, not writable, or a value not
            finite in its dtype).

    Examples:
        >>> import torch, rnninit.torch as rt
        >>> lstm = torch.nn.LSTM(8, 16, num_layers=2, bidirectional=True)
        >>> rt.apply("ih=glorot_uniform hh=orthogonal bias=zeros bias[f]=1.0", lstm, seed=0)
        ApplyResult(seed=0, initialized=48 blocks, untouched=0 blocks)
        >>> lstm.bias_ih_l0[16:32].min().item(), lstm.bias_hh_l0.abs().max().item()
        (1.0, 0.0)
    """
    layout = model_layout(module, strict=strict)
    seed = draw_seed() if seed is None else check_seed(seed)
    plan = make_plan(spec, layout, seed, sample=False)  # drawn as it is written
    write_plan(module, plan)
    plan.release()  # drawn only on the staged path; the result keeps no float64 copy of the model
    return ApplyResult(seed, plan)

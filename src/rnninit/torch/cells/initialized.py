"""Modules whose parameters come from a spec: ``init=`` and ``seed=`` turned into weights.

Every rnninit PyTorch cell and sequence module is an `InitializedModule`. Its tensors are
exactly those its own layout (``rnninit_layout``) lists, so what the module stores and what
`rnninit.torch.apply` and the audit read cannot disagree; ``reset_parameters`` initializes them
through that same layout.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn

from rnninit.layout.storage import CellLayout
from rnninit.plan import make_plan
from rnninit.seeding import check_seed
from rnninit.spec import Spec, SpecLike
from rnninit.torch.apply import apply, draw_seed
from rnninit.torch.layouts import model_layout, write_plan

Owned = tuple[list[CellLayout], dict[str, tuple[int, ...]]]
PYTORCH_DEFAULT = Spec.parse("pytorch_default")


class InitializedModule(nn.Module):
    """A module whose parameters are initialized by `rnninit.torch.apply` from ``init`` and ``seed``.

    ``init`` is a spec, a spec string, a preset name or a dict (default ``pytorch_default``); blocks
    whose role it does not mention get PyTorch's default, U(±1/√H), never uninitialized memory.
    ``seed=None`` draws from torch's global generator (so ``torch.manual_seed`` governs it), an int seed
    gives the same weights every time, in every process.

    The constructors follow ``torch.nn.RNNBase``: ``super().__init__()`` first, then the arguments are
    checked and stored, and the tensors are built last (`build`), once everything their shapes
    depend on is known. A base constructor builds, unless the class sets `builds_itself`: one with
    constructor arguments of its own (``nonlinearity``, ``proj_size``) stores them after
    ``super().__init__(...)`` and calls `build` as its own last step.
    """

    #: Set by a subclass whose own constructor calls `build` after storing its own arguments.
    builds_itself: ClassVar[bool] = False

    def set_init(self, init: SpecLike, seed: int | None) -> None:
        """Store the spec (checked now: a bad spec fails before any tensor exists) and the seed."""
        self.init_spec = Spec.coerce(init)
        self.seed = None if seed is None else check_seed(seed)

    def rnninit_layout(self, path: str) -> Owned:  # pragma: no cover - every subclass defines it
        """Which tensor holds which role and gate block (see `rnninit.layout.torch_builtin`)."""
        raise NotImplementedError

    def create_parameters(
        self, names: list[str], *, none_for_missing: bool, device=None, dtype=None
    ) -> list[str | None]:
        """Register an empty parameter, in the order of ``names``, for each name this module's layout lists.

        ``names`` are every tensor the module's functions take, in their argument order; a name the layout
        does not list (a bias with ``bias=False``) gives ``None`` in the list returned, and is registered
        as ``None`` with ``none_for_missing`` (as ``torch.nn.RNNCell`` does; ``torch.nn.RNN`` does not).
        """
        _, tensors = self.rnninit_layout("")
        assert set(tensors) <= set(names), f"layout tensors no function takes: {set(tensors) - set(names)}"
        registered: list[str | None] = []
        for name in names:
            shape = tensors.get(name)
            if shape is not None:
                self.register_parameter(name, nn.Parameter(torch.empty(shape, device=device, dtype=dtype)))
            elif none_for_missing:
                self.register_parameter(name, None)
            registered.append(None if shape is None else name)
        return registered

    def reset_parameters(self) -> None:
        """(Re)initialize every parameter from ``self.init_spec`` and ``self.seed``.

        The spec is validated, and every block it names drawn or checked, before anything is written:
        a bad spec changes no weight. On the ``meta``
        device, where parameters have shapes but no storage, there is nothing to write, and (as
        ``torch.nn.LSTM`` built there) the module is left uninitialized: once materialized
        (``module.to_empty(device=...)``), ``reset_parameters()`` or `rnninit.torch.apply`
        initializes it. A module with only some parameters on ``meta`` is refused by the writer: the
        others would otherwise stay uninitialized memory.
        """
        seed = draw_seed() if self.seed is None else self.seed
        plan = make_plan(self.init_spec, model_layout(self), seed, sample=False)
        if all(p.is_meta for p in self.parameters()):
            return
        if plan.untouched:
            plan.sample()  # a draw that fails (an overflow) fails here, before the defaults are written
            apply(PYTORCH_DEFAULT, self, seed=seed)
        write_plan(self, plan)

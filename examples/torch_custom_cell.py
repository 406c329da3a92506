"""A custom PyTorch cell whose initializer takes several arguments, each weight getting its own.

The problem: a user writes an initializer ``init(scale_ih, scale_hh, distribution)`` and wants
``W_ih`` drawn with ``scale_ih`` and ``W_hh`` with ``scale_hh``. Handing one such function to every
weight (the Keras ``init(shape, dtype)`` protocol, or a loop over ``module.parameters()``) tells it
nothing about *which* weight it is filling; guessing from the shape breaks as soon as
``input_size == hidden_size``, which is the case below.

Done right: the cell declares which parameter is which role (one class attribute), the
initializer's arguments become a :class:`rnninit.Spec` with one entry per role, and
``rnninit.torch.apply`` gives each weight its own arguments, from a seed, atomically.

Run it::

    PYTHONPATH=src python examples/torch_custom_cell.py --scale-ih 0.5 --scale-hh 0.05 --distribution uniform
"""

from __future__ import annotations

import argparse
import math

import torch
from torch import nn

import rnninit as ri
import rnninit.torch as rt
from rnninit.inits import Init, Normal, Uniform, Zeros

DISTRIBUTIONS = ("normal", "uniform")


class ScaledRNNCell(nn.Module):
    r"""A user's own Elman-style cell: :math:`h' = \tanh(W_{ih} x + W_{hh} h + b)`.

    ``rnninit_roles`` is all rnninit needs to know about it: which parameter is the input-to-hidden
    matrix, which the recurrent one, which the bias.
    """

    rnninit_roles = {"W_ih": "ih", "W_hh": "hh", "b": "bias"}

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.W_ih = nn.Parameter(torch.empty(hidden_size, input_size))
        self.W_hh = nn.Parameter(torch.empty(hidden_size, hidden_size))
        self.b = nn.Parameter(torch.empty(hidden_size))

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        return torch.tanh(x @ self.W_ih.T + h @ self.W_hh.T + self.b)


def scaled_init(scale_ih: float, scale_hh: float, distribution: str = "normal") -> ri.Spec:
    """The multi-argument initializer, as a spec: ``W_ih`` with ``scale_ih``, ``W_hh`` with ``scale_hh``.

    ``distribution='normal'`` draws :math:`\\mathcal{N}(0, s^2)`; ``'uniform'`` draws
    :math:`\\mathcal{U}(-\\sqrt{3}s, \\sqrt{3}s)`, which has the same standard deviation ``s``.
    Biases start at zero.
    """
    if distribution not in DISTRIBUTIONS:
        raise ri.SpecError(
            f"distribution must be one of {', '.join(map(repr, DISTRIBUTIONS))}, got {distribution!r}"
        )

    def draw(scale: float) -> Init:
        if distribution == "normal":
            return Normal(std=scale)
        bound = math.sqrt(3.0) * scale
        return Uniform(low=-bound, high=bound)

    return ri.Spec(ih=draw(scale_ih), hh=draw(scale_hh), bias=Zeros())


def main(
    scale_ih: float = 0.5, scale_hh: float = 0.05, distribution: str = "normal", size: int = 64, seed: int = 0
) -> tuple[ScaledRNNCell, rt.ApplyResult]:
    """Build a square cell (``input_size == hidden_size``), initialize it, and report what each weight got."""
    cell = ScaledRNNCell(size, size)
    spec = scaled_init(scale_ih, scale_hh, distribution)
    result = rt.apply(spec, cell, seed=seed)
    print(f"spec: {spec}")
    for record in result.records:
        tensor = cell.get_parameter(record["tensors"][0]).detach()
        print(
            f"  {record['tensors'][0]:5s} role={record['role']:4s} init={record['init']:45s} std={tensor.std().item():.4f}"
        )
    h = torch.zeros(1, size)
    for x in torch.randn(20, 1, size, generator=torch.Generator().manual_seed(seed)).unbind(0):
        h = cell(x, h)
    print(f"  |h| after 20 steps of N(0, 1) input: {h.norm().item():.3f}")
    return cell, result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale-ih", type=float, default=0.5)
    parser.add_argument("--scale-hh", type=float, default=0.05)
    parser.add_argument("--distribution", choices=DISTRIBUTIONS, default="normal")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(args.scale_ih, args.scale_hh, args.distribution, args.size, args.seed)

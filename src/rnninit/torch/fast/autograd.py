"""What the kernels' hand-written backward takes from autograd: its fused pointwise backward kernels,
and, when autograd records the backward itself (``create_graph=True``), a differentiable
vector-Jacobian product of the reference loop."""

from __future__ import annotations

import torch
from torch import Tensor


def sigmoid_backward(u: Tensor, s: Tensor, out: Tensor | None = None) -> Tensor:
    """``u * s * (1 - s)`` in one pass (``s = sigmoid(z)``): the kernel autograd uses for sigmoid."""
    if out is None:
        return torch.ops.aten.sigmoid_backward(u, s)
    return torch.ops.aten.sigmoid_backward.grad_input(u, s, grad_input=out)


def tanh_backward(u: Tensor, t: Tensor, out: Tensor | None = None) -> Tensor:
    """``u * (1 - t^2)`` in one pass (``t = tanh(z)``): the kernel autograd uses for tanh."""
    if out is None:
        return torch.ops.aten.tanh_backward(u, t)
    return torch.ops.aten.tanh_backward.grad_input(u, t, grad_input=out)


def differentiable_vjp(reference, inputs: tuple, needs, grad_outputs: tuple) -> tuple:
    """The gradients a kernel's backward returns, as a differentiable function of ``inputs`` and
    ``grad_outputs``: what a backward must compute when autograd records it (``create_graph=True``).

    ``reference(*inputs)`` recomputes the layer's outputs with differentiable ops (the reference loop);
    the vector-Jacobian product of that, taken with ``create_graph=True``, is the kernel's gradient
    (the same function, so equal to rounding) and can be differentiated again. ``needs`` is
    ``ctx.needs_input_grad`` restricted to ``inputs``; inputs that need no gradient get ``None``.
    """
    with torch.enable_grad():
        outputs = reference(*inputs)
        wrt = [t for t, need in zip(inputs, needs, strict=True) if need]
        used = [(out, grad) for out, grad in zip(outputs, grad_outputs, strict=True) if grad is not None]
        grads = torch.autograd.grad(
            [out for out, _ in used],
            wrt,
            [grad for _, grad in used],
            create_graph=True,
            allow_unused=True,
        )
    found = iter(grads)
    return tuple(next(found) if need else None for need in needs)

"""How should rnninit's layers meet torch.compile? The three ways measured (docs/speed.md).

A model ``Linear -> 2-layer GRU or Elman -> Linear`` is compiled (inductor, caches off) with:

- ``builtin``: ``torch.nn.GRU/RNN``, which Dynamo runs eagerly behind a graph break;
- ``rnninit (graph break)``: what rnninit ships (:mod:`rnninit.torch.compiler`), the same treatment;
- ``rnninit (custom op)``: the whole-sequence kernels registered as ``torch.library.custom_op`` with
  ``register_autograd`` and ``register_fake`` (defined below, not shipped): one opaque node per layer,
  no graph break;
- ``rnninit (traced)``: Dynamo traces the layers, unrolling the kernels' time loops into the graph
  (what ``torch.compile`` did before rnninit broke the graph).

For each: the wall time of the first training step (compiling included), the steady-state step
(CPU time, median of interleaved repeats, one thread), whether the result equals eager, and whether
a double backward (``create_graph=True``) through the compiled model works.

Usage: OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/compile_alternatives.py [--hidden 64] [--steps 50]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Optional

import torch
from torch import Tensor, nn
from torch._inductor import config as inductor_config

import rnninit.torch as rt
from rnninit.torch.cells.layers import RecurrentLayers
from rnninit.torch.fast import elman as fast_elman
from rnninit.torch.fast import gru as fast_gru
from rnninit.torch.fast import layers as fast_layers


class _Ctx:
    """Enough of an autograd ctx to run a kernel Function's forward and backward outside autograd."""

    def __init__(self, saved=(), needs=()):
        self.saved_tensors, self.needs_input_grad = tuple(saved), tuple(needs)

    def save_for_backward(self, *tensors):
        self.saved_tensors = tensors


@torch.library.custom_op("rnninit_bench::gru", mutates_args=())
def gru_op(
    x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Optional[Tensor], b_hh: Optional[Tensor]
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    ctx = _Ctx()
    y, h = fast_gru.GRUSequence.forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh)
    a, hn = ctx.saved_tensors[6:8]
    return y, h, a, hn


@gru_op.register_fake
def _(x, h0, w_ih, w_hh, b_ih, b_hh):
    steps, batch, _ = x.shape
    hidden = w_hh.shape[1]
    y, h = x.new_empty(steps, batch, hidden), x.new_empty(batch, hidden)
    return y, h, x.new_empty(steps, batch, 3 * hidden), x.new_empty(steps, batch, hidden)


@torch.library.custom_op("rnninit_bench::gru_backward", mutates_args=())
def gru_backward_op(
    x: Tensor,
    h0: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    a: Tensor,
    hn: Tensor,
    y: Tensor,
    dy: Tensor,
    dh: Tensor,
) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
    ctx = _Ctx((x, h0, w_ih, w_hh, None, None, a, hn, y), (True,) * 6)
    return tuple(fast_gru.GRUSequence.backward(ctx, dy, dh))


@gru_backward_op.register_fake
def _(x, h0, w_ih, w_hh, a, hn, y, dy, dh):
    rows = w_ih.shape[0]
    return (torch.empty_like(x), torch.empty_like(h0), torch.empty_like(w_ih), torch.empty_like(w_hh),
            w_ih.new_empty(rows), w_ih.new_empty(rows))  # fmt: skip


def _gru_setup(ctx, inputs, output):
    x, h0, w_ih, w_hh, _, _ = inputs
    y, _, a, hn = output
    ctx.save_for_backward(x, h0, w_ih, w_hh, a, hn, y)


def _gru_backward(ctx, dy, dh, _a, _hn):
    return gru_backward_op(*ctx.saved_tensors, dy, dh)


gru_op.register_autograd(_gru_backward, setup_context=_gru_setup)


@torch.library.custom_op("rnninit_bench::elman", mutates_args=())
def elman_op(
    x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Optional[Tensor], b_hh: Optional[Tensor]
) -> tuple[Tensor, Tensor]:
    return fast_elman.ElmanSequence.forward(_Ctx(), x, h0, w_ih, w_hh, b_ih, b_hh, "tanh")


@elman_op.register_fake
def _(x, h0, w_ih, w_hh, b_ih, b_hh):
    return x.new_empty(x.shape[0], x.shape[1], w_hh.shape[1]), x.new_empty(x.shape[1], w_hh.shape[1])


@torch.library.custom_op("rnninit_bench::elman_backward", mutates_args=())
def elman_backward_op(
    x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, y: Tensor, dy: Tensor, dh: Tensor
) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
    ctx = _Ctx((x, h0, w_ih, w_hh, None, None, y), (True,) * 7)
    ctx.nonlinearity = "tanh"
    return tuple(fast_elman.ElmanSequence.backward(ctx, dy, dh)[:6])


@elman_backward_op.register_fake
def _(x, h0, w_ih, w_hh, y, dy, dh):
    rows = w_ih.shape[0]
    return (torch.empty_like(x), torch.empty_like(h0), torch.empty_like(w_ih), torch.empty_like(w_hh),
            w_ih.new_empty(rows), w_ih.new_empty(rows))  # fmt: skip


def _elman_setup(ctx, inputs, output):
    x, h0, w_ih, w_hh, _, _ = inputs
    ctx.save_for_backward(x, h0, w_ih, w_hh, output[0])


def _elman_backward(ctx, dy, dh):
    return elman_backward_op(*ctx.saved_tensors, dy, dh)


elman_op.register_autograd(_elman_backward, setup_context=_elman_setup)


def _flip(x, reverse):
    return x.flip(0) if reverse else x


class CustomOpGRU(rt.GRU):
    def run_layer(self, x, state, weights, reverse, lengths):
        y, h, _, _ = gru_op(_flip(x, reverse), state[0], *weights)
        return _flip(y, reverse), (h,)


class CustomOpElman(rt.Elman):
    def run_layer(self, x, state, weights, reverse, lengths):
        y, h = elman_op(_flip(x, reverse), state[0], *weights)
        return _flip(y, reverse), (h,)


class TracedGRU(rt.GRU):
    def forward(self, input, hx=None):
        output, (h_n,) = RecurrentLayers.forward_states.__wrapped__(self, input, None)
        return output, h_n

    def run_layer(self, x, state, weights, reverse, lengths):
        out, h = fast_layers.gru_layer(x, state[0], *weights, reverse=reverse)
        return out, (h,)


class TracedElman(rt.Elman):
    def forward(self, input, hx=None):
        output, (h_n,) = RecurrentLayers.forward_states.__wrapped__(self, input, None)
        return output, h_n

    def run_layer(self, x, state, weights, reverse, lengths):
        out, h = fast_layers.elman_layer(x, state[0], *weights, reverse=reverse)
        return out, (h,)


CANDIDATES = {
    "gru": {
        "builtin": nn.GRU,
        "rnninit (graph break)": rt.GRU,
        "rnninit (custom op)": CustomOpGRU,
        "rnninit (traced)": TracedGRU,
    },
    "elman": {
        "builtin": nn.RNN,
        "rnninit (graph break)": rt.Elman,
        "rnninit (custom op)": CustomOpElman,
        "rnninit (traced)": TracedElman,
    },
}


class Model(nn.Module):
    def __init__(self, rnn: nn.Module, hidden: int):
        super().__init__()
        self.inp, self.rnn, self.head = nn.Linear(hidden, hidden), rnn, nn.Linear(hidden, 1)

    def forward(self, x):
        return self.head(self.rnn(torch.relu(self.inp(x)))[0]).sum()


def measure(kind: str, steps: int, batch: int, hidden: int, repeats: int) -> list[str]:
    torch.manual_seed(0)
    x = torch.randn(steps, batch, hidden)
    reference = Model(rt.GRU(hidden, hidden, num_layers=2, seed=0) if kind == "gru" else
                      rt.Elman(hidden, hidden, num_layers=2, seed=0), hidden)  # fmt: skip
    want = reference(x)
    steps_of, rows = {}, []
    for name, cls in CANDIDATES[kind].items():
        rnn = (
            cls(hidden, hidden, num_layers=2)
            if cls in (nn.GRU, nn.RNN)
            else cls(hidden, hidden, num_layers=2, seed=0)
        )
        model = Model(rnn, hidden)
        model.load_state_dict(reference.state_dict())
        torch._dynamo.reset()
        compiled = torch.compile(model)
        with inductor_config.patch(force_disable_caches=True):
            t0 = time.perf_counter()
            loss = compiled(x)
            loss.backward()
            first = time.perf_counter() - t0
        same = torch.allclose(loss, want, rtol=1e-5, atol=1e-5)
        try:
            xg = x.clone().requires_grad_(True)
            (g,) = torch.autograd.grad(compiled(xg), xg, create_graph=True)
            g.pow(2).sum().backward()
            double = "works"
        except RuntimeError as exc:
            message = str(exc).split("\n")[0]
            aot = "does not currently support double backward" in message
            double = "refused by AOTAutograd" if aot else f"error: {message[:60]}"
        steps_of[name] = (compiled, model)
        rows.append([name, first, same, double])
    times = {name: [] for name in steps_of}
    names = list(steps_of)
    for r in range(repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            compiled, model = steps_of[name]
            model.zero_grad(set_to_none=True)
            t0 = time.process_time()
            compiled(x).backward()
            times[name].append(time.process_time() - t0)
    base = times["builtin"]
    lines = []
    for name, first, same, double in rows:
        ratios = [t / b for t, b in zip(times[name], base, strict=True)]
        lines.append(
            f"| {kind} | {steps} | {batch} | {hidden} | {name} | {first:.1f} | "
            f"{1e3 * statistics.median(times[name]):.2f} | **{statistics.median(ratios):.2f}** | "
            f"{min(ratios):.2f}-{max(ratios):.2f} | {'yes' if same else 'NO'} | {double} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--hidden", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    torch.set_num_threads(1)
    utc = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(
        f"torch {torch.__version__}, 1 thread, first step wall clock (inductor caches off), steady state "
        f"CPU time, median of {args.repeats} interleaved repeats; {utc}."
    )
    print()
    columns = "compiled model with | first step s | step ms | x builtin | range | = eager | double backward"
    print(f"| cell | T | B | H | {columns} |")
    print("|---|--:|--:|--:|---|--:|--:|--:|--:|---|---|")
    for kind in ("gru", "elman"):
        for hidden in args.hidden:
            print("\n".join(measure(kind, args.steps, args.batch, hidden, args.repeats)), flush=True)


if __name__ == "__main__":
    main()

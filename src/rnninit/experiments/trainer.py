"""Train one model on one task: RMSprop or Adam, gradient-norm clipping, a fixed held-out
evaluation set, metrics over steps, wall time.

A run whose loss or gradient becomes non-finite, or whose training loss exceeds ``explode`` times
the task's baseline loss scale, stops and is recorded as ``diverged`` (never an exception). Same
config and seed -> the same numbers (single-threaded CPU).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch import nn

from rnninit.errors import ConfigError
from rnninit.experiments.tasks import Task

OPTIMIZERS = ("rmsprop", "adam")


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 1000
    batch_size: int = 32
    optimizer: str = "rmsprop"
    lr: float = 1e-3
    clip: float | None = 1.0
    eval_every: int = 100
    eval_size: int = 1000
    #: A training loss above ``explode`` x the initial loss counts as divergence.
    explode: float = 1e4

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TrainResult:
    """The outcome of one run. ``curve`` is a list of ``[step, eval_metric, train_loss]`` (train loss
    ``None`` at step 0, before any training; eval metric ``None`` where it was not finite)."""

    status: str  # "completed" or "diverged"
    curve: list[list[float | None]] = field(default_factory=list)
    final_metric: float | None = None
    solved: bool = False
    steps_to_solve: int | None = None
    diverged_at: int | None = None
    reason: str = ""
    wall_s: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def make_optimizer(name: str, params, lr: float) -> torch.optim.Optimizer:
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    raise ConfigError(f"unknown optimizer {name!r}; valid: {', '.join(OPTIMIZERS)}")


def _finite(value: float) -> bool:
    return math.isfinite(value)


@torch.no_grad()
def evaluate(model: nn.Module, task: Task, batch) -> float:
    model.eval()
    value = task.metric(model(batch.x), batch.y)
    model.train()
    return value


def train(model: nn.Module, task: Task, config: TrainConfig, seed: int) -> TrainResult:
    """Train ``model`` in place on ``task``; training batches come from ``numpy.default_rng(seed)``."""
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    eval_set = task.eval_batch(config.eval_size)
    optimizer = make_optimizer(config.optimizer, model.parameters(), config.lr)
    result = TrainResult(status="completed")
    first_loss: float | None = None

    def record(step: int, train_loss: float | None) -> bool:
        """Evaluate; return False if the run diverged. Non-finite values are stored as ``None`` (JSON)."""
        value = evaluate(model, task, eval_set)
        result.curve.append([step, value if _finite(value) else None, train_loss])
        if not _finite(value):
            result.status, result.diverged_at, result.reason = "diverged", step, f"eval metric is {value}"
            return False
        result.final_metric = value
        if result.steps_to_solve is None and task.solved(value):
            result.steps_to_solve = step
        return True

    if record(0, None):
        for step in range(1, config.steps + 1):
            batch = task.sample(config.batch_size, rng)
            optimizer.zero_grad(set_to_none=True)
            loss = task.loss(model(batch.x), batch.y)
            value = loss.item()
            if first_loss is None:
                first_loss = value
            if not _finite(value) or value > config.explode * max(first_loss, 1e-8):
                result.status, result.diverged_at = "diverged", step
                result.reason = f"training loss {value:.4g} (initial {first_loss:.4g})"
                break
            loss.backward()
            if config.clip:
                norm = float(nn.utils.clip_grad_norm_(model.parameters(), config.clip))
            else:
                norm = float(
                    sum(p.grad.pow(2).sum() for p in model.parameters() if p.grad is not None) ** 0.5
                )
            if not _finite(norm):
                result.status, result.diverged_at, result.reason = (
                    "diverged",
                    step,
                    f"gradient norm is {norm}",
                )
                break
            optimizer.step()
            if (step % config.eval_every == 0 or step == config.steps) and not record(step, value):
                break
    if result.status == "diverged":
        result.final_metric = None
    result.solved = (
        result.status == "completed" and result.final_metric is not None and task.solved(result.final_metric)
    )
    result.wall_s = time.perf_counter() - start
    return result

"""What a task is: a batch sampler, a loss, an evaluation metric, a baseline and a "solved" threshold."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch


@dataclass(frozen=True)
class Batch:
    """Inputs ``x`` of shape (batch, time, input_size) and targets ``y`` (shape depends on the task)."""

    x: torch.Tensor
    y: torch.Tensor


class Task(ABC):
    """A supervised sequence task.

    Subclasses say how the model reads out (``readout``: ``"last"`` uses the final hidden state,
    ``"all"`` every step), how the loss and the evaluation metric are computed, and what a model
    that ignores the past scores (``baseline``). A run is ``solved`` when its evaluation metric
    passes ``threshold`` (below it if ``lower_is_better``, else at or above it).
    """

    name: ClassVar[str]
    readout: ClassVar[str]
    metric_name: ClassVar[str]
    lower_is_better: ClassVar[bool] = True
    #: The seed of the held-out evaluation set: fixed, so every run is scored on the same data.
    eval_seed: ClassVar[int] = 20161

    input_size: int
    output_size: int
    length: int

    @property
    @abstractmethod
    def baseline(self) -> float:
        """The metric of the trivial predictor named in `baseline_rule`."""

    @property
    @abstractmethod
    def threshold(self) -> float:
        """The metric a run must reach to count as solved."""

    baseline_rule: ClassVar[str] = ""
    threshold_rule: ClassVar[str] = ""

    @abstractmethod
    def sample(self, n: int, rng: np.random.Generator) -> Batch:
        """``n`` fresh training examples drawn from ``rng``."""

    def eval_batch(self, n: int) -> Batch:
        """The fixed held-out set (same for every run and every seed)."""
        return self.sample(n, np.random.default_rng(self.eval_seed))

    @abstractmethod
    def loss(self, output: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The training loss (a scalar) of the model's ``output`` against ``y``."""

    def metric(self, output: torch.Tensor, y: torch.Tensor) -> float:
        """The evaluation metric; by default the loss."""
        return float(self.loss(output, y))

    def trivial_output(self, batch: Batch) -> torch.Tensor:
        """The output of the trivial predictor whose metric is `baseline`."""
        raise NotImplementedError

    def solved(self, value: float) -> bool:
        if not np.isfinite(value):
            return False
        return value < self.threshold if self.lower_is_better else value >= self.threshold

    def describe(self) -> dict:
        return {
            "name": self.name,
            "length": self.length,
            "metric": self.metric_name,
            "lower_is_better": self.lower_is_better,
            "baseline": self.baseline,
            "baseline_rule": self.baseline_rule,
            "threshold": self.threshold,
            "threshold_rule": self.threshold_rule,
        }

"""The adding problem (Hochreiter & Schmidhuber 1997), in the convention of Arjovsky, Shah & Bengio 2016
(§5.2)."""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from rnninit.arguments import check_integer
from rnninit.errors import ConfigError
from rnninit.experiments.tasks.base import Batch, Task


class Adding(Task):
    """Two input channels over ``length`` steps: values ``u_t ~ U(0, 1)`` and a marker channel that is
    1 at exactly two steps, one drawn uniformly from each half of the sequence (Arjovsky et al. 2016,
    "Unitary evolution recurrent neural networks", §5.2). The target is the sum of the two
    marked values, read out after the last step; the loss is the mean squared error.

    Baseline: always predicting 1 (the mean of the target) scores ``Var(u_1 + u_2) = 2/12 = 1/6``.
    Solved: evaluation MSE below 0.01 (6% of the baseline; the target's spread is ±1).
    """

    name = "adding"
    readout = "last"
    metric_name = "mse"
    baseline_rule = "always predict 1: Var(u1 + u2) = 1/6"
    threshold_rule = "eval MSE < 0.01"

    def __init__(self, length: int = 100):
        self.length = check_integer(length, "adding: length", error=ConfigError, minimum=2)
        self.input_size = 2
        self.output_size = 1

    @property
    def baseline(self) -> float:
        return 1.0 / 6.0

    @property
    def threshold(self) -> float:
        return 0.01

    def sample(self, n: int, rng: np.random.Generator) -> Batch:
        half = self.length // 2
        values = rng.uniform(0.0, 1.0, size=(n, self.length))
        first = rng.integers(0, half, size=n)
        second = rng.integers(half, self.length, size=n)
        markers = np.zeros((n, self.length))
        rows = np.arange(n)
        markers[rows, first] = 1.0
        markers[rows, second] = 1.0
        x = np.stack([values, markers], axis=-1)
        y = values[rows, first] + values[rows, second]
        return Batch(torch.from_numpy(x).float(), torch.from_numpy(y).float().unsqueeze(-1))

    def loss(self, output: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.mse_loss(output, y)

    def trivial_output(self, batch: Batch) -> torch.Tensor:
        return torch.ones_like(batch.y)

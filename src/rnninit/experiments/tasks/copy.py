"""The copy memory task (Hochreiter & Schmidhuber 1997; Arjovsky, Shah & Bengio 2016, §5.1) and its
variable-delay variant (Henaff, Szlam & LeCun 2016, as Tallec & Ollivier 2018 describe it in §3)."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch.nn import functional as F

from rnninit.arguments import check_integer
from rnninit.errors import ConfigError
from rnninit.experiments.tasks.base import Batch, Task

BLANK = 0
DELIMITER = 9
SYMBOLS = 8  # the symbols are 1..8
CATEGORIES = 10  # blank, 8 symbols, delimiter
N_COPY = 10


class Copy(Task):
    """Remember 10 symbols over a delay of ``length`` steps, then repeat them.

    Arjovsky et al. 2016 (§5.1): the input is 10 symbols drawn uniformly from {1..8}, then
    ``length - 1`` blanks (0), the delimiter (9), and 10 more blanks: ``length + 20`` steps, one-hot
    over 10 categories (the codes of the authors' ``memory_problem.py``). The target is blank for the
    first ``length + 10`` steps and the 10 symbols over the last 10. The loss is the cross-entropy
    averaged over all steps.

    Baseline: the memoryless strategy (blank, then a uniform guess among the 8 symbols for the last
    10 steps) scores ``10 ln 8 / (length + 20)``. Solved: eval cross-entropy below 10% of the baseline.
    """

    name = "copy"
    readout = "all"
    metric_name = "cross-entropy"
    baseline_rule = "blanks, then a uniform guess of the 8 symbols: 10 ln 8 / (T + 20)"
    threshold_rule = "eval cross-entropy < 0.1 x baseline"

    def __init__(self, length: int = 100):
        self.length = check_integer(length, f"{self.name}: length", error=ConfigError, minimum=1)
        self.input_size = CATEGORIES
        self.output_size = CATEGORIES

    @property
    def steps(self) -> int:
        return self.length + 2 * N_COPY

    @property
    def baseline(self) -> float:
        return N_COPY * math.log(SYMBOLS) / self.steps

    @property
    def threshold(self) -> float:
        return 0.1 * self.baseline

    def delimiter_positions(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return np.full(n, N_COPY + self.length - 1)

    def sample(self, n: int, rng: np.random.Generator) -> Batch:
        symbols = rng.integers(1, SYMBOLS + 1, size=(n, N_COPY))
        where = self.delimiter_positions(n, rng)
        tokens = np.full((n, self.steps), BLANK)
        tokens[:, :N_COPY] = symbols
        rows = np.arange(n)
        tokens[rows, where] = DELIMITER
        target = np.full((n, self.steps), BLANK)
        recall = where[:, None] + 1 + np.arange(N_COPY)[None, :]
        target[rows[:, None], recall] = symbols
        x = F.one_hot(torch.from_numpy(tokens), CATEGORIES).float()
        return Batch(x, torch.from_numpy(target).long())

    def loss(self, output: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(output.reshape(-1, output.shape[-1]), y.reshape(-1))

    def trivial_output(self, batch: Batch) -> torch.Tensor:
        """Certain blank everywhere except a uniform guess over the 8 symbols after the delimiter."""
        n, steps = batch.y.shape
        logits = torch.full((n, steps, CATEGORIES), -1e9)
        logits[..., BLANK] = 0.0
        delimiter = batch.x[..., DELIMITER].argmax(dim=1)
        for row, where in enumerate(delimiter.tolist()):
            recall = slice(where + 1, where + 1 + N_COPY)
            logits[row, recall, :] = -1e9
            logits[row, recall, 1 : SYMBOLS + 1] = 0.0
        return logits


class VariableCopy(Copy):
    """Copy with a variable delay (Henaff, Szlam & LeCun 2016, "Recurrent orthogonal networks and
    long-memory tasks"), as Tallec & Ollivier 2018 (§3) describe it: the number of blanks between the
    10 symbols and the delimiter is drawn uniformly from ``1..length``, and the symbols are due right
    after the delimiter, so the model must watch for the delimiter instead of counting. The longest
    delay needs ``length + 21`` steps; every sequence has that many, with blanks after the recall.

    Baseline: blanks, and a uniform guess of the 8 symbols after the delimiter: ``10 ln 8 / (length + 21)``.
    Solved: eval cross-entropy below 10% of the baseline.
    """

    name = "variable_copy"
    baseline_rule = "blanks, then a uniform guess of the 8 symbols after the delimiter: 10 ln 8 / (T + 21)"

    @property
    def steps(self) -> int:
        return self.length + 2 * N_COPY + 1

    def delimiter_positions(self, n: int, rng: np.random.Generator) -> np.ndarray:
        blanks = rng.integers(1, self.length + 1, size=n)  # 1..length blanks after the 10 symbols
        return N_COPY + blanks

"""Sequential digits: scikit-learn's bundled 8x8 handwritten digits read one pixel per step
(the small-scale cousin of sequential MNIST, Le, Jaitly & Hinton 2015), and a permuted variant."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
from torch.nn import functional as F

from rnninit.errors import ConfigError, shown
from rnninit.experiments.tasks.base import Batch, Task

N_TEST = 397  # 1797 images: 1400 to train, 397 held out
SPLIT_SEED = 0
PERMUTATION_SEED = 1


@lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray]:
    """Images as (n, 64) floats in [0, 1] and labels, in a fixed shuffled order (data ships with
    scikit-learn; nothing is downloaded)."""
    from sklearn.datasets import load_digits

    data = load_digits()
    order = np.random.default_rng(SPLIT_SEED).permutation(len(data.target))
    return data.data[order] / 16.0, data.target[order]


class SequentialDigits(Task):
    """Classify an 8x8 digit from its 64 pixels fed one per step (row by row), reading out after the
    last step; cross-entropy loss; the metric is accuracy on the 397 held-out images.

    Baseline: always predicting the most frequent class of the held-out set (51 of 397 = 0.128 on
    this split; the ten classes are nearly balanced). Solved: held-out accuracy of at least 0.80.
    """

    name = "digits"
    readout = "last"
    metric_name = "accuracy"
    lower_is_better = False
    baseline_rule = "always predict the most frequent held-out class (0.128)"
    threshold_rule = "held-out accuracy >= 0.80"
    permuted = False

    def __init__(self, length: int = 64):
        if length != 64:
            raise ConfigError(f"{self.name}: length is fixed at 64 (8x8 pixels), got {shown(length)}")
        self.length = 64
        self.input_size = 1
        self.output_size = 10
        images, labels = _digits()
        if self.permuted:
            images = images[:, np.random.default_rng(PERMUTATION_SEED).permutation(64)]
        self._train = (images[:-N_TEST], labels[:-N_TEST])
        self._test = (images[-N_TEST:], labels[-N_TEST:])

    @property
    def baseline(self) -> float:
        counts = np.bincount(self._test[1], minlength=10)
        return float(counts.max() / counts.sum())

    @property
    def threshold(self) -> float:
        return 0.8

    @staticmethod
    def _batch(images: np.ndarray, labels: np.ndarray) -> Batch:
        x = torch.from_numpy(images).float().unsqueeze(-1)
        return Batch(x, torch.from_numpy(labels).long())

    def sample(self, n: int, rng: np.random.Generator) -> Batch:
        images, labels = self._train
        pick = rng.integers(0, len(labels), size=n)
        return self._batch(images[pick], labels[pick])

    def eval_batch(self, n: int) -> Batch:
        """The whole held-out split (``n`` is ignored: the split is fixed)."""
        return self._batch(*self._test)

    def loss(self, output: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(output, y)

    def metric(self, output: torch.Tensor, y: torch.Tensor) -> float:
        return float((output.argmax(dim=-1) == y).float().mean())

    def trivial_output(self, batch: Batch) -> torch.Tensor:
        majority = int(np.bincount(self._test[1], minlength=10).argmax())
        logits = torch.zeros(len(batch.y), 10)
        logits[:, majority] = 1.0
        return logits


class PermutedDigits(SequentialDigits):
    """Sequential digits with the 64 pixels in one fixed random order (seed 1), which spreads the
    informative pixels over the whole sequence (as permuted MNIST does, Le et al. 2015).
    Baseline and threshold as for ``digits``."""

    name = "permuted_digits"
    permuted = True

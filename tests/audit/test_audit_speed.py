"""A 100M-parameter stacked LSTM is audited in seconds: large blocks are tested on a subsample."""

import time

import pytest
import torch

from rnninit.audit import audit
from rnninit.audit.checks import MAX_SAMPLE


@pytest.mark.slow
def test_a_100m_parameter_lstm_is_audited_in_seconds():
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(2048, 2048, num_layers=3)
    assert sum(p.numel() for p in lstm.parameters()) > 100_000_000
    audit(torch.nn.LSTM(4, 4), "pytorch_default")  # imports
    start = time.perf_counter()
    report = audit(lstm, "pytorch_default")
    elapsed = time.perf_counter() - start
    assert report.ok
    assert max(r.sample_size for r in report.rows) == MAX_SAMPLE
    # ~3 s on 2 idle cores; the bound leaves room for a shared machine
    assert elapsed < 30, elapsed

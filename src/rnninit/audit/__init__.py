"""Audit: prove that every weight block got what the spec says; describe what a model got.

>>> import torch, rnninit as ri
>>> report = ri.audit(torch.nn.LSTM(8, 16), "pytorch_default")
>>> report.ok
True
"""

from rnninit.audit.describe import Description, describe
from rnninit.audit.report import AuditReport, BlockRow, Finding
from rnninit.audit.run import audit

__all__ = ["AuditReport", "BlockRow", "Description", "Finding", "audit", "describe"]

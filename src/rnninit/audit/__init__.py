"""Audit: prove that every weight block got what the spec says; describe what a model got.

``rnninit.audit`` is both this package and a function: ``rnninit.audit(model, spec)`` calls
`rnninit.audit.audit`.

Examples:
    >>> import torch, rnninit as ri
    >>> report = ri.audit(torch.nn.LSTM(8, 16), "pytorch_default")
    >>> report.ok
    True
"""

import sys
import types

from rnninit.audit.describe import Description, describe
from rnninit.audit.report import AuditReport, BlockRow, Finding
from rnninit.audit.run import audit


class _CallableModule(types.ModuleType):
    """Lets ``rnninit.audit(model, spec)`` call `audit` while ``rnninit.audit.X`` stays a package."""

    def __call__(self, *args, **kwargs) -> AuditReport:
        return audit(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

__all__ = ["AuditReport", "BlockRow", "Description", "Finding", "audit", "describe"]

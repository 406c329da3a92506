"""PyTorch backend: apply a spec to built-in and custom recurrent modules."""

from rnninit.torch.apply import ApplyResult, apply
from rnninit.torch.layouts import model_layout

__all__ = ["ApplyResult", "apply", "model_layout"]

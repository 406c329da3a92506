"""Flax backend: apply a spec to ``flax.nnx`` modules (in place) and ``flax.linen`` variables (new ones).

Examples:
    >>> import jax, jax.numpy as jnp, flax.linen as nn, rnninit.flax as rf
    >>> from flax import nnx
    >>> spec = "ih=glorot_uniform hh=orthogonal bias=zeros bias[f]=1.0"
    >>> rf.apply(spec, nnx.RNN(nnx.LSTMCell(8, 16, rngs=nnx.Rngs(0))), seed=0)
    ApplyResult(seed=0, initialized=12 blocks, untouched=0 blocks)
    >>> model, x = nn.RNN(nn.LSTMCell(16)), jnp.ones((2, 5, 8))
    >>> variables, result = rf.apply_linen(spec, model, model.init(jax.random.key(0), x), x, seed=0)

An int seed gives the numbers ``rnninit.torch.apply`` gives ``torch.nn.LSTM(8, 16)``; ``seed=None``
draws fresh OS entropy (JAX has no global generator), a JAX key is accepted too.
"""

from rnninit.apply_result import ApplyResult
from rnninit.flax.apply import apply, apply_linen
from rnninit.flax.declare import declare
from rnninit.flax.initializers import RoleInitializer, role
from rnninit.flax.layouts import Linen, linen, model_layout, read_arrays

__all__ = [
    "ApplyResult",
    "Linen",
    "RoleInitializer",
    "apply",
    "apply_linen",
    "declare",
    "linen",
    "model_layout",
    "read_arrays",
    "role",
]

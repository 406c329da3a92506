"""Dynamics at initialization: what a spec does to signal and gradient flow, before any training.

Examples:
    >>> from rnninit.dynamics import diagnose_spec
    >>> d = diagnose_spec("lstm", "chrono(t_max=100)", hidden_size=32, steps=50, inputs="normal")
    >>> sorted(d.spectral_radius)
    ['hh[f]', 'hh[g]', 'hh[i]', 'hh[o]']

See ``docs/dynamics.md`` for what each number means and the checks against theory.
"""

from rnninit.dynamics.diagnose import Diagnosis, diagnose, diagnose_spec
from rnninit.dynamics.factories import CELLS, make_cell, register_cell
from rnninit.dynamics.horizon import Horizon, memory_horizon
from rnninit.dynamics.inputs import make_inputs
from rnninit.dynamics.jacobians import gradient_flow, spectral_norm, step_jacobian, trajectory
from rnninit.dynamics.spectra import Spectrum, recurrent_blocks, recurrent_spectra, spectrum
from rnninit.dynamics.stepper import Stepper
from rnninit.errors import DynamicsError

__all__ = [
    "CELLS",
    "Diagnosis",
    "DynamicsError",
    "Horizon",
    "Spectrum",
    "Stepper",
    "diagnose",
    "diagnose_spec",
    "gradient_flow",
    "make_cell",
    "make_inputs",
    "memory_horizon",
    "recurrent_blocks",
    "recurrent_spectra",
    "register_cell",
    "spectral_norm",
    "spectrum",
    "step_jacobian",
    "trajectory",
]

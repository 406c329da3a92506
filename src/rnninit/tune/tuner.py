"""``tune(family, cell=..., hidden=..., T=...)``: choose a spec family's free arguments from the
cell's dynamics at initialization, before any training. See ``docs/tune.md``."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from rnninit.arguments import check_integer
from rnninit.dynamics.diagnose import Diagnosis, diagnose
from rnninit.dynamics.inputs import make_inputs
from rnninit.dynamics.stepper import Stepper
from rnninit.errors import DynamicsError, SpecError, TuneError
from rnninit.spec import Spec, SpecFamily
from rnninit.tune.builders import cell_builder, describe_cell
from rnninit.tune.objective import Measurement, measure
from rnninit.tune.search import search


@dataclass(frozen=True)
class TunePoint:
    """One evaluated point: the free arguments' values, its objective and terms (``None`` where not
    finite), or the ``error`` that made the point invalid (a value the init rejects).

    Attributes:
        values: Each free argument's value at this point (``"hh.gain"``).
        objective: The objective there, or ``None`` where it is not finite.
        terms: The objective's terms (``gradient``, ``isometry``, ``input``).
        error: Why the point is invalid, if it is.

    Examples:
        >>> import rnninit
        >>> r = rnninit.tune("hh=orthogonal(gain=?) bias=zeros", cell="elman", hidden=16, T=50, input="zeros")
        >>> first = r.trace[0]
        >>> sorted(first.values), sorted(first.terms), first.error
        (['hh.gain'], ['gradient', 'input', 'isometry'], None)
    """

    values: dict[str, float]
    objective: float | None
    terms: dict[str, float | None]
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"values": self.values, "objective": self.objective, "terms": self.terms, "error": self.error}


@dataclass(frozen=True)
class TuneResult:
    """What `tune` chose and why.

    ``spec``: the family filled at the chosen point (a plain `Spec`); ``values``: the chosen
    value of each free argument; ``objective``/``terms``/``measurement``: the objective there
    (`rnninit.tune.objective`); ``diagnosis``: `rnninit.dynamics.diagnose` of the cell
    under ``spec`` on the same input; ``trace``: every point evaluated, in order.

    Attributes:
        family: The family tuned.
        spec: The family filled at the chosen point.
        values: The chosen value of each free argument.
        objective: The objective at the chosen point.
        terms: Its terms.
        measurement: The full measurement there (`Measurement`).
        diagnosis: The dynamics of the cell under ``spec`` (``None`` with ``diagnostics=False``).
        trace: Every point evaluated, in order (`TunePoint`).
        notes: Warnings about the choice: no critical point in the family, a value at the edge
            of its range.

    Examples:
        >>> import rnninit
        >>> r = rnninit.tune("hh=orthogonal(gain=?) bias=zeros", cell="elman", hidden=16, T=50, input="zeros")
        >>> r.spec, r.values
        (Spec.parse('hh=orthogonal bias=zeros'), {'hh.gain': 1.0})
    """

    family: SpecFamily
    spec: Spec
    values: dict[str, float]
    objective: float
    terms: dict[str, float]
    measurement: Measurement
    diagnosis: Diagnosis | None
    trace: tuple[TunePoint, ...]
    #: Warnings about the choice: no critical point in the family, a value at the edge of its range.
    notes: tuple[str, ...]
    cell: str
    hidden_size: int
    input_size: int
    steps: int
    inputs: str
    batch: int
    seed: int
    seconds: float

    def to_dict(self, *, diagnostics: bool = True, trace: bool = True) -> dict[str, Any]:
        """JSON-ready; ``spec`` is the chosen spec as a string that `Spec.parse` accepts."""
        data: dict[str, Any] = {
            "spec": str(self.spec),
            "family": str(self.family),
            "free": [a.to_dict() for a in self.family.free_arguments],
            "values": dict(self.values),
            "objective": self.objective,
            "terms": dict(self.terms),
            "cell": self.cell,
            "hidden_size": self.hidden_size,
            "input_size": self.input_size,
            "T": self.steps,
            "input": self.inputs,
            "batch": self.batch,
            "seed": self.seed,
            "evaluations": len(self.trace),
            "seconds": round(self.seconds, 3),
            "measurement": self.measurement.to_dict(),
            "notes": list(self.notes),
        }
        if diagnostics and self.diagnosis is not None:
            data["diagnostics"] = self.diagnosis.to_dict()
        if trace:
            data["trace"] = [p.to_dict() for p in self.trace]
        return data


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


#: Chosen values are rounded to this many significant digits: readable specs, and the same spec
#: string from every machine (a last-bit difference in a float sum cannot change a run's key).
SIGNIFICANT = 4


def _significant(value: float, low: float, high: float) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    digits = SIGNIFICANT - 1 - math.floor(math.log10(abs(value)))
    return min(high, max(low, round(value, digits)))


#: Past this many decades the gradient term means the memory horizon is shorter than T.
CRITICAL_DECADES = 3.0
#: Past this many decades the isometry term means saturated units (an unsaturated Gaussian tanh
#: cell sits near 0.2, an LSTM's [h; c] Jacobian near 1).
SATURATED_DECADES = 2.0
#: A value within this fraction of its (log) range from a bound counts as at the bound.
EDGE = 0.01


def _notes(family: SpecFamily, values: list[float], chosen: Measurement, steps: int) -> tuple[str, ...]:
    """What the user must know before trusting the choice."""
    notes = []
    if chosen.terms["gradient"] > CRITICAL_DECADES:
        notes.append(
            f"no point tried keeps the gradient through T={steps} steps within [1e-3, 1e3]: the best is "
            f"{chosen.terms['gradient']:.3g} decades away (isometry {chosen.terms['isometry']:.3g}); "
            "no member "
            "of this family is critical for this cell and input (saturated units? try smaller input weights, "
            "another input, or other ranges)"
        )
    if chosen.terms["isometry"] > SATURATED_DECADES:
        notes.append(
            f"the units are saturated at the chosen point: one step's singular values spread over "
            f"{chosen.terms['isometry']:.3g} decades (rms against geometric mean), so some directions are "
            "crushed at every step and the gradient norms vary wildly between sequences; try smaller "
            "input weights or another input"
        )
    for arg, value in zip(family.free_arguments, values, strict=True):
        span = (math.log(arg.high) - math.log(arg.low)) if arg.log else (arg.high - arg.low)
        pos = ((math.log(value) - math.log(arg.low)) if arg.log else (value - arg.low)) / span
        if pos <= EDGE or pos >= 1 - EDGE:
            which = "lower" if pos <= EDGE else "upper"
            notes.append(
                f"{arg.name} = {value:.4g} is at the {which} end of its range [{arg.low:g}, {arg.high:g}]: "
                f"the best value may lie beyond it; widen the range, e.g. {arg.argument}=?[low, high]"
            )
    return tuple(notes)


def _positive_int(name: str, value: Any) -> int:
    return check_integer(value, name, error=TuneError, minimum=1, expected="a positive integer")


def tune(
    family: SpecFamily | str | Mapping[str, Any],
    *,
    cell: Any,
    hidden: int | None = None,
    T: int,
    input: str | np.ndarray = "normal",  # noqa: A002 - the name the CLI and the docs use
    input_size: int | None = None,
    batch: int | None = None,
    seed: int = 0,
    max_evaluations: int = 120,
    diagnostics: bool = True,
    builder: Callable[[Spec], Stepper] | None = None,
) -> TuneResult:
    """Fill ``family``'s free arguments so that the cell, at initialization, keeps gradients and signals
    through ``T`` steps of ``input`` (criticality), with its units out of saturation.

    ``cell``: a cell name (``"elman"``, ``"lstm"``, ``"gru"``, … as in ``rnninit diagnose``), a factory
    ``(input_size, hidden_size) -> cell`` (a library class such as ``rnninit.torch.LSTMCell``, or a
    function returning your own declared torch module or a Keras cell), or a torch cell module.
    ``input``: ``"normal"`` (N(0, 1)), ``"uniform"`` (U(-√3, √3)), ``"zeros"``, or data
    ``(T, batch, input_size)``. ``input_size`` defaults to ``hidden`` (or the data's last axis).
    ``builder`` (advanced): a function ``spec -> Stepper`` that replaces ``cell``.

    Args:
        family: A spec family with free arguments (``"hh=orthogonal(gain=?)"``), as a
            `SpecFamily`, its text or its dict.
        cell: The cell: a name, a factory ``(input_size, hidden_size) -> cell``, or a torch cell.
        hidden: The hidden size (required unless ``cell`` is a module).
        T: The number of steps the dynamics are measured over.
        input: The input: ``"normal"``, ``"uniform"``, ``"zeros"``, or an array
            ``(T, batch, input_size)``.
        input_size: The input size (default ``hidden``, or the data's last axis).
        batch: The number of input sequences the objective averages over.
        seed: The seed of the input and of the cell's initialization at each point.
        max_evaluations: The most points the search evaluates.
        diagnostics: If true, the result carries `rnninit.dynamics.diagnose` of the chosen spec.
        builder: A function ``spec -> Stepper`` that replaces ``cell`` (advanced).

    Returns:
        The chosen spec and values, the objective there, every point evaluated, and notes.

    Raises:
        SpecError: ``family`` is malformed or has no free argument (it is a spec already).
        TuneError: An unknown cell name, a bad size, ``T``, ``input`` or ``seed``, or a cell
            that cannot be measured.

    Examples:
        >>> import rnninit
        >>> r = rnninit.tune("hh=orthogonal(gain=?) bias=zeros", cell="elman", hidden=16, T=50, input="zeros")
        >>> round(r.values["hh.gain"], 3)
        1.0
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # 2·H-sized matrices gain nothing from threads, and lose much on a busy machine
    try:
        return _tune(
            family, cell, hidden, T, input, input_size, batch, seed, max_evaluations, diagnostics, builder
        )
    finally:
        torch.set_num_threads(threads)


def _tune(family, cell, hidden, T, input, input_size, batch, seed, max_evaluations, diagnostics, builder):  # noqa: A002
    started = time.perf_counter()
    family = SpecFamily.coerce(family)
    steps = _positive_int("T", T)
    seed = check_integer(seed, "seed", error=TuneError, minimum=0, expected="a non-negative integer")
    data = None if isinstance(input, str) else np.asarray(input)
    if input_size is None:
        if data is not None:
            input_size = int(data.shape[-1])
        elif isinstance(cell, str) or builder is not None:
            input_size = hidden
        else:
            input_size = getattr(cell, "input_size", hidden)
    hidden = _positive_int("hidden", hidden)
    input_size = _positive_int("input_size", input_size)
    if builder is None:
        builder = cell_builder(cell, input_size=input_size, hidden_size=hidden, seed=seed)
    try:
        xs = make_inputs(input, steps=steps, input_size=input_size, batch=batch, seed=seed)
    except DynamicsError as exc:
        raise TuneError(str(exc)) from None

    args = family.free_arguments
    trace: list[TunePoint] = []
    measured: dict[tuple[float, ...], Measurement] = {}

    def evaluate(values: list[float]) -> float:
        named = {a.name: v for a, v in zip(args, values, strict=True)}
        try:
            spec = family.fill(values)
            stepper = builder(spec)
        except SpecError as exc:  # e.g. uniform(low=?, high=?) with low >= high at this point
            trace.append(TunePoint(named, None, {}, str(exc)))
            return math.inf
        if stepper.input_size != input_size:
            raise TuneError(
                f"the cell takes inputs of size {stepper.input_size}, but the tune's input has size "
                f"{input_size}: pass input_size={stepper.input_size}"
            )
        result = measure(stepper.frozen_copy(), xs)
        measured[tuple(values)] = result
        terms = {k: _finite_or_none(v) for k, v in result.terms.items()}
        trace.append(TunePoint(named, _finite_or_none(result.objective), terms, result.reason))
        return result.objective

    best = search(args, evaluate, max_evaluations=max_evaluations)
    rounded = [_significant(v, a.low, a.high) for v, a in zip(best, args, strict=True)]
    if rounded != best and tuple(best) in measured:  # the reported point is the rounded one, measured
        evaluate(rounded)
        best = rounded if tuple(rounded) in measured else best
    chosen = measured.get(tuple(best))
    if chosen is None or not math.isfinite(chosen.objective):
        reasons = sorted({p.error for p in trace if p.error})
        raise TuneError(
            f"no point of '{family}' could be measured on a {describe_cell(cell)} cell over T={steps} "
            f"({'; '.join(reasons[:3]) or 'the objective is infinite everywhere'}); a ReLU cell at zero "
            "input has a zero Jacobian: try input='normal', or other bounds"
        )
    spec = family.fill(best)
    notes = _notes(family, best, chosen, steps)
    diagnosis = None
    if diagnostics:
        diagnosis = diagnose(
            builder(spec),
            steps=steps,
            inputs=xs.numpy(),
            seed=seed,
            label=str(spec),
            cell_name=describe_cell(cell),
        )
    return TuneResult(
        family=family,
        spec=spec,
        values={a.name: v for a, v in zip(args, best, strict=True)},
        objective=chosen.objective,
        terms=dict(chosen.terms),
        measurement=chosen,
        diagnosis=diagnosis,
        trace=tuple(trace),
        notes=notes,
        cell=describe_cell(cell),
        hidden_size=hidden,
        input_size=input_size,
        steps=steps,
        inputs=input if isinstance(input, str) else "data",
        batch=int(xs.shape[1]),
        seed=seed,
        seconds=time.perf_counter() - started,
    )

"""The speed benchmark: a grid of cells and shapes, a user's own cell, and apply/audit on a big model.

:func:`run_speed` returns plain dicts (what ``rnninit speed --json`` prints): per grid point and
candidate the median forward and backward milliseconds, the ratio to the built-in (median and range
over repeats), the achieved GFLOP/s (training FLOPs ``3 x 2 T B G H (I + H)`` over the measured time)
and the fraction of the GEMM rate (the time the same matrix products take alone, over the
candidate's time).
"""

from __future__ import annotations

import importlib
import os
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch
from torch import nn

import rnninit.torch as rt
from rnninit.bench.cells import Problem, builtin_case, library_case, user_cases
from rnninit.bench.flops import gemm_case, training_flops
from rnninit.bench.options import BACKENDS, CELLS, DEVICES, BenchError
from rnninit.bench.timing import median_ms, ratio, time_cases

DTYPES = {"float32": torch.float32, "float64": torch.float64}
APPLY_SPEC = "ih=glorot_uniform hh=orthogonal bias=zeros bias[f]=1.0"


@dataclass
class SpeedConfig:
    """What to measure. The defaults are the full grid of the speed issue; :meth:`quick` is a smoke run."""

    cells: tuple[str, ...] = CELLS
    steps: tuple[int, ...] = (50, 200)
    batch: tuple[int, ...] = (16, 64)
    hidden: tuple[int, ...] = (64, 256, 512)  # input size = hidden size
    backends: tuple[str, ...] = ("auto",)
    dtype: str = "float32"
    device: str = "cpu"  # "cuda": the same benchmark against cuDNN (torch.cuda.synchronize around clocks)
    repeats: int = 5
    warmup: int = 1
    threads: int | None = None  # None: torch's default
    clock: str = "wall"
    grid: bool = True
    user_cell: bool = True
    apply_layers: int = 12  # stacked nn.LSTM(1024, 1024): 8.4M parameters a layer, 100.8M for 12; 0 skips
    apply_size: int = 1024

    @classmethod
    def quick(cls, **overrides) -> SpeedConfig:
        """A run of a few seconds that exercises every part (tiny shapes, tiny apply model)."""
        base = dict(steps=(10,), batch=(4,), hidden=(16,), repeats=3, warmup=1, apply_layers=1, apply_size=32)
        return cls(**{**base, **overrides})

    def check(self) -> None:
        for name, values, valid in (("cell", self.cells, CELLS), ("backend", self.backends, BACKENDS)):
            bad = [v for v in values if v not in valid]
            if bad or not values:
                given = ", ".join(map(repr, bad)) or "(none given)"
                raise BenchError(f"unknown {name} {given}; valid: {', '.join(valid)}")
        if self.dtype not in DTYPES:
            raise BenchError(f"unknown dtype {self.dtype!r}; valid: {', '.join(DTYPES)}")
        if self.clock not in ("wall", "cpu"):
            raise BenchError(f"unknown clock {self.clock!r}; valid: wall, cpu")
        if self.device not in DEVICES:
            raise BenchError(f"unknown device {self.device!r}; valid: {', '.join(DEVICES)}")
        if self.device == "cuda" and not torch.cuda.is_available():
            raise BenchError(
                "--device cuda needs a GPU and a CUDA build of torch; torch.cuda.is_available() is False"
            )
        if self.clock == "cpu" and self.device != "cpu":
            raise BenchError(
                "--clock cpu measures CPU time, which says nothing about GPU kernels; use --clock wall"
            )
        if self.clock == "cpu" and self.threads != 1:
            raise BenchError(
                "--clock cpu measures this process's CPU time, which is honest only with --threads 1"
            )
        for name in ("steps", "batch", "hidden"):
            values = getattr(self, name)
            if not values or any(not isinstance(v, int) or v <= 0 for v in values):
                raise BenchError(f"{name} must be positive integers, got {values!r}")
        if self.repeats < 1 or self.warmup < 0 or self.apply_layers < 0 or self.apply_size <= 0:
            raise BenchError("repeats must be >= 1, warmup >= 0, apply layers >= 0 and apply size > 0")


def machine(config: SpeedConfig) -> dict:
    """Where and how the numbers were taken."""
    return {
        "torch": torch.__version__,
        "cpu": _cpu_name(),
        "cores": os.cpu_count(),
        "threads": torch.get_num_threads(),
        "mkldnn": torch.backends.mkldnn.is_available(),
        "device": config.device if config.device == "cpu" else torch.cuda.get_device_name(),
        "clock": config.clock,
        "dtype": config.dtype,
        "repeats": config.repeats,
        "warmup": config.warmup,
        "python": platform.python_version(),
        "utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def grid_rows(config: SpeedConfig, progress: Callable[[str], None] | None = None) -> list[dict]:
    """One row per (cell, T, B, H, candidate); candidates: builtin, rnninit per backend, gemm."""
    dtype = DTYPES[config.dtype]
    rows = []
    for kind in config.cells:
        for steps in config.steps:
            for batch in config.batch:
                for hidden in config.hidden:
                    if progress is not None:
                        progress(f"{kind} T={steps} B={batch} H={hidden}")
                    problem = Problem(kind, steps, batch, hidden, hidden, dtype, config.device)
                    cases = [builtin_case(problem)] + [library_case(problem, b) for b in config.backends]
                    cases.append(gemm_case(kind, steps, batch, hidden, hidden, dtype, config.device))
                    rows += _rows(config, problem, cases, "builtin")
    return rows


def user_cell_rows(config: SpeedConfig) -> list[dict]:
    """The user's declared LSTM against the library's, at the grid's largest and smallest shapes."""
    dtype = DTYPES[config.dtype]
    rows = []
    shapes = {
        (min(config.steps), min(config.batch), min(config.hidden)),
        (max(config.steps), max(config.batch), max(config.hidden)),
    }
    for steps, batch, hidden in sorted(shapes):
        problem = Problem("lstm", steps, batch, hidden, hidden, dtype, config.device)
        rows += _rows(config, problem, user_cases(problem), "rnninit.LSTM")
    return rows


def _rows(config: SpeedConfig, problem: Problem, cases, baseline: str) -> list[dict]:
    sync = torch.cuda.synchronize if config.device == "cuda" else None
    timings = time_cases(cases, config.repeats, config.warmup, config.clock, sync)
    base = timings[baseline]
    gemm = timings.get("gemm")
    flops = training_flops(problem.kind, problem.steps, problem.batch, problem.input_size, problem.hidden)
    rows = []
    for case in cases:
        t = timings[case.name]
        total_ms = median_ms(t.total)
        row = {
            "cell": problem.kind,
            "steps": problem.steps,
            "batch": problem.batch,
            "input": problem.input_size,
            "hidden": problem.hidden,
            "candidate": case.name,
            "forward_ms": median_ms(t.forward),
            "backward_ms": median_ms(t.backward),
            "total_ms": total_ms,
            "ratio": ratio(t.total, base.total).to_dict(),
            "forward_ratio": ratio(t.forward, base.forward).to_dict(),
            "backward_ratio": ratio(t.backward, base.backward).to_dict(),
            "gflops": flops / (total_ms * 1e-3) / 1e9,
        }
        if gemm is not None:
            row["gemm_fraction"] = ratio(gemm.total, t.total).median
        rows.append(row)
    return rows


def apply_timing(config: SpeedConfig) -> dict:
    """Seconds to ``rnninit.torch.apply`` (and ``rnninit.audit``, where present) a stacked LSTM."""
    torch.manual_seed(0)
    size = config.apply_size
    model = nn.LSTM(size, size, num_layers=config.apply_layers)
    result = {
        "model": f"torch.nn.LSTM({size}, {size}, num_layers={config.apply_layers})",
        "parameters": sum(p.numel() for p in model.parameters()),
        "spec": APPLY_SPEC,
    }
    t0 = time.perf_counter()
    rt.apply(APPLY_SPEC, model, seed=0)
    result["apply_s"] = time.perf_counter() - t0
    try:
        audit = importlib.import_module("rnninit.audit").audit
    except (ImportError, AttributeError):
        result["audit_s"] = None
        result["audit_note"] = "rnninit.audit is not available in this installation"
    else:
        t0 = time.perf_counter()
        report = audit(model, APPLY_SPEC)
        result["audit_s"] = time.perf_counter() - t0
        result["audit_ok"] = bool(report.ok)
    return result


def run_speed(config: SpeedConfig, progress: Callable[[str], None] | None = None) -> dict:
    """Everything ``rnninit speed`` reports, as plain data; ``progress`` hears what is being timed."""
    config.check()
    previous_threads = torch.get_num_threads()
    if config.threads is not None:
        torch.set_num_threads(config.threads)
    try:
        out = {"config": _config_dict(config), "machine": machine(config)}
        out["grid"] = grid_rows(config, progress) if config.grid else []
        say = progress or (lambda what: None)
        out["user_cell"] = []
        if config.user_cell and "lstm" in config.cells:
            say("a user's declared LSTM")
            out["user_cell"] = user_cell_rows(config)
        out["apply"] = None
        if config.apply_layers:
            say(f"apply/audit on {config.apply_layers} stacked LSTM layers of {config.apply_size}")
            out["apply"] = apply_timing(config)
    finally:
        torch.set_num_threads(previous_threads)
    return out


def _config_dict(config: SpeedConfig) -> dict:
    d = asdict(config)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}

"""The speed benchmark: a grid of cells and shapes, a user's own cell, and apply/audit on a big model.

`run_speed` returns plain dicts (what ``rnninit speed --json`` prints): per grid point and
candidate the median forward and backward milliseconds, the ratio to the built-in (median and range
over repeats), the achieved GFLOP/s (training FLOPs ``3 x 2 T B G H (I + H)`` over the measured time)
and the fraction of the GEMM rate (the time the same matrix products take alone, over the
candidate's time). On request, the same grid under ``torch.compile`` (compile time and steady-state
step, built-in and rnninit, eager and compiled) and with a double-backward step per backend; and
``rnninit.torch.apply`` and ``rnninit.audit`` on a big LSTM beside ``torch.nn.init`` doing the same.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any, cast

import numpy as np
import torch
from torch import nn

import rnninit.torch as rt
from rnninit.arguments import is_integer
from rnninit.bench.candidates import (
    GridPoint,
    builtin_case,
    library_case,
    library_module,
    module_case,
    user_cases,
)
from rnninit.bench.flops import gemm_case, training_flops
from rnninit.bench.options import BACKENDS, CELLS, DEVICES
from rnninit.bench.timing import CLOCKS, median_ms, ratio, time_cases
from rnninit.errors import Arg, BenchError
from rnninit.inits import orthogonal_matrix
from rnninit.named_cells import NAMED_CELLS

DTYPES = {"float32": torch.float32, "float64": torch.float64}
#: The spec of the apply benchmark (the one of the apply-speed issue), and `torch_init_reference`
#: is the same work written with ``torch.nn.init``.
APPLY_SPEC = "ih=normal(std=0.02) hh=orthogonal bias=zeros bias[f]=1.0"


@dataclass
class SpeedConfig:
    """What to measure. The defaults are the full grid of the speed issue; `quick` is a smoke run."""

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
    apply_layers: int = 3  # nn.LSTM(2048, 2048, num_layers=3): 100.7M parameters; 0 skips
    apply_size: int = 2048
    apply_repeats: int = 3  # rounds of (torch.nn.init, rnninit apply, audit), ratios taken round by round
    compile: bool = False  # also time the grid's modules under torch.compile
    double_backward: bool = False  # also time a double-backward (gradient-penalty) step per backend

    @classmethod
    def quick(cls, **overrides) -> SpeedConfig:
        """A run of a few seconds that exercises every part (tiny shapes, tiny apply model)."""
        base = dict(
            steps=(10,),
            batch=(4,),
            hidden=(16,),
            repeats=3,
            warmup=1,
            apply_layers=1,
            apply_size=32,
            apply_repeats=1,
        )
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
                Arg("device", "cuda"),
                " needs a GPU and a CUDA build of torch; torch.cuda.is_available() is False",
            )
        if self.clock == "cpu" and self.device != "cpu":
            raise BenchError(
                Arg("clock", "cpu"),
                " measures CPU time, which says nothing about GPU kernels; use ",
                Arg("clock", "wall"),
            )
        if self.clock == "cpu" and self.threads != 1:
            raise BenchError(
                Arg("clock", "cpu"),
                " measures this process's CPU time, which is honest only with ",
                Arg("threads", 1),
            )
        for name in ("steps", "batch", "hidden"):
            values = getattr(self, name)
            if not values or any(not is_integer(v) or v <= 0 for v in values):
                raise BenchError(Arg(name), f" must be positive integers, got {values!r}")
        if self.threads is not None and self.threads < 1:
            raise BenchError(Arg("threads"), f" must be a positive integer, got {self.threads}")
        if (
            self.repeats < 1
            or self.warmup < 0
            or self.apply_layers < 0
            or self.apply_size <= 0
            or self.apply_repeats < 1
        ):
            raise BenchError(
                *(Arg("repeats"), " must be >= 1, ", Arg("warmup"), " >= 0, ", Arg("apply_layers")),
                *(" >= 0, ", Arg("apply_size"), " > 0 and ", Arg("apply_repeats"), " >= 1"),
            )


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
    rows = []
    for point in grid_points(config, progress):
        cases = [builtin_case(point)] + [library_case(point, b) for b in config.backends]
        kind = NAMED_CELLS[point.cell].kind
        cases.append(
            gemm_case(
                kind, point.steps, point.batch, point.input_size, point.hidden, point.dtype, point.device
            )
        )
        rows += _rows(config, point, cases, "builtin")
    return rows


def grid_points(
    config: SpeedConfig, progress: Callable[[str], None] | None = None, what: str = ""
) -> Iterator[GridPoint]:
    """Every (cell, T, B, H) of the grid as a `GridPoint` (input size ``H``), each announced to
    ``progress`` (prefixed by ``what``) before it is built."""
    dtype = DTYPES[config.dtype]
    for cell, steps, batch, hidden in itertools.product(
        config.cells, config.steps, config.batch, config.hidden
    ):
        if progress is not None:
            progress(f"{what}{cell} T={steps} B={batch} H={hidden}")
        yield GridPoint(cell, steps, batch, hidden, hidden, dtype, config.device)


def user_cell_rows(config: SpeedConfig) -> list[dict]:
    """The user's declared LSTM against the library's, at the grid's largest and smallest shapes."""
    dtype = DTYPES[config.dtype]
    rows = []
    shapes = {
        (min(config.steps), min(config.batch), min(config.hidden)),
        (max(config.steps), max(config.batch), max(config.hidden)),
    }
    for steps, batch, hidden in sorted(shapes):
        point = GridPoint("lstm", steps, batch, hidden, hidden, dtype, config.device)
        rows += _rows(config, point, user_cases(point), "rnninit.LSTM")
    return rows


def _rows(config: SpeedConfig, point: GridPoint, cases, baseline: str) -> list[dict]:
    sync = torch.cuda.synchronize if config.device == "cuda" else None
    timings = time_cases(cases, config.repeats, config.warmup, config.clock, sync)
    base = timings[baseline]
    gemm = timings.get("gemm")
    flops = training_flops(
        NAMED_CELLS[point.cell].kind, point.steps, point.batch, point.input_size, point.hidden
    )
    rows = []
    for case in cases:
        t = timings[case.name]
        total_ms = median_ms(t.total)
        row = {
            "cell": point.cell,
            "steps": point.steps,
            "batch": point.batch,
            "input": point.input_size,
            "hidden": point.hidden,
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


def compile_rows(config: SpeedConfig, progress: Callable[[str], None] | None = None) -> list[dict]:
    """Per grid point: the built-in and rnninit's module, eager and under ``torch.compile``.

    ``compile_s`` is the wall time of a compiled module's first training step (Dynamo, AOTAutograd and
    inductor, with inductor's caches off, plus one step); the other columns are the steady state,
    all four candidates interleaved as in the grid. Compiling runs worker processes, so it is timed by
    the wall clock whatever ``clock`` says.
    """
    from torch._inductor import config as inductor_config

    rows = []
    for point in grid_points(config, progress, "torch.compile: "):
        library = library_module(point)
        cases = [builtin_case(point), module_case("rnninit", library, point)]
        compile_s = {}
        for name, module in (
            ("builtin+compile", point.reference),
            ("rnninit+compile", library),
        ):
            torch._dynamo.reset()
            # torch.compile of a module is a module (OptimizedModule); its stub says "a callable"
            case = module_case(name, cast(nn.Module, torch.compile(module)), point)
            with inductor_config.patch(force_disable_caches=True):
                t0 = time.perf_counter()
                case.run_once()
                compile_s[name] = time.perf_counter() - t0
            cases.append(case)
        for row in _rows(config, point, cases, "builtin"):
            row["compile_s"] = compile_s.get(row["candidate"])
            rows.append(row)
    return rows


def double_backward_rows(config: SpeedConfig, progress: Callable[[str], None] | None = None) -> list[dict]:
    """Per grid point: a double-backward (gradient-penalty) step of the built-in and of every backend.

    The kernels' first backward is hand-derived; under ``create_graph=True`` they recompute the layer
    with the reference loop and differentiate that, which is what these rows cost.
    """
    rows = []
    for point in grid_points(config, progress, "double backward: "):
        cases = [module_case("builtin", point.reference, point, double_backward=True)]
        for backend in BACKENDS:
            cases.append(library_case(point, backend, double_backward=True))
        rows += _rows(config, point, cases, "builtin")
    return rows


def torch_init_reference(model: nn.LSTM) -> None:
    """`APPLY_SPEC` written with ``torch.nn.init``: the same work, for the apply benchmark's ratio.

    ``normal_(std=0.02)`` on every ``weight_ih``, ``orthogonal_`` on each gate block of every ``weight_hh``
    (rnninit's ``orthogonal`` is per gate block), zeros on the biases and the effective forget bias 1 in
    ``bias_ih``.
    """
    hidden = model.hidden_size
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.startswith("weight_ih"):
                nn.init.normal_(p, std=0.02)
            elif name.startswith("weight_hh"):
                for gate in p.split(hidden):
                    nn.init.orthogonal_(gate)
            else:
                nn.init.zeros_(p)
                if name.startswith("bias_ih"):
                    p[hidden : 2 * hidden] = 1.0


def _blas_threads(threads: int | None):
    """Limit BLAS (which rnninit's sampling uses through NumPy and SciPy) to torch's thread count."""
    if threads is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # then OMP_NUM_THREADS, set before the process started, is what limits BLAS
        return contextlib.nullcontext()
    return threadpool_limits(limits=threads, user_api="blas")


def apply_timing(config: SpeedConfig) -> dict:
    """Seconds to initialize a stacked LSTM with ``torch.nn.init``, ``rnninit.torch.apply`` and to
    ``rnninit.audit`` it, in ``apply_repeats`` rounds; ratios to ``torch.nn.init`` round by round."""
    torch.manual_seed(0)
    size = config.apply_size
    model = nn.LSTM(size, size, num_layers=config.apply_layers)
    result = {
        "model": f"torch.nn.LSTM({size}, {size}, num_layers={config.apply_layers})",
        "size": size,
        "parameters": sum(p.numel() for p in model.parameters()),
        "spec": APPLY_SPEC,
        "clock": config.clock,
        "repeats": config.apply_repeats,
    }
    try:
        audit = importlib.import_module("rnninit.audit").audit
    except (ImportError, AttributeError):
        audit = None
        result["audit_note"] = "rnninit.audit is not available in this installation"
    read = CLOCKS[config.clock]
    seconds: dict[str, list[float]] = {
        "torch_init": [],
        "apply": [],
        "audit": [],
        "torch_orthogonal_block": [],
        "orthogonal_block": [],
    }
    block = torch.empty(size, size)
    with _blas_threads(config.threads):
        for r in range(config.apply_repeats):
            # Where the time goes: one gate block's orthogonal init, float32 QR (torch.nn.init) and
            # rnninit's float64 QR, which every framework shares.
            t0 = read()
            nn.init.orthogonal_(block)
            seconds["torch_orthogonal_block"].append(read() - t0)
            t0 = read()
            orthogonal_matrix(size, size, np.random.default_rng(r))
            seconds["orthogonal_block"].append(read() - t0)
            t0 = read()
            torch_init_reference(model)
            seconds["torch_init"].append(read() - t0)
            t0 = read()
            rt.apply(APPLY_SPEC, model, seed=0)
            seconds["apply"].append(read() - t0)
            if audit is not None:
                t0 = read()
                report = audit(model, APPLY_SPEC)
                seconds["audit"].append(read() - t0)
                result["audit_ok"] = bool(report.ok)
    result["torch_orthogonal_block_s"] = statistics.median(seconds["torch_orthogonal_block"])
    result["orthogonal_block_s"] = statistics.median(seconds["orthogonal_block"])
    result["torch_init_s"] = statistics.median(seconds["torch_init"])
    result["apply_s"] = statistics.median(seconds["apply"])
    result["apply_ratio"] = ratio(seconds["apply"], seconds["torch_init"]).to_dict()
    result["audit_s"] = statistics.median(seconds["audit"]) if seconds["audit"] else None
    if seconds["audit"]:
        result["audit_ratio"] = ratio(seconds["audit"], seconds["torch_init"]).to_dict()
    return result


def run_speed(config: SpeedConfig, progress: Callable[[str], None] | None = None) -> dict:
    """Everything ``rnninit speed`` reports, as plain data; ``progress`` hears what is being timed."""
    config.check()
    previous_threads = torch.get_num_threads()
    if config.threads is not None:
        torch.set_num_threads(config.threads)
    try:
        out: dict[str, Any] = {"config": _config_dict(config), "machine": machine(config)}
        out["grid"] = grid_rows(config, progress) if config.grid else []
        say = progress or (lambda what: None)
        out["user_cell"] = []
        if config.user_cell and "lstm" in config.cells:
            say("a user's declared LSTM")
            out["user_cell"] = user_cell_rows(config)
        out["compile"] = compile_rows(config, progress) if config.compile else []
        out["double_backward"] = double_backward_rows(config, progress) if config.double_backward else []
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

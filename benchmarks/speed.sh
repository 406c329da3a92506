#!/usr/bin/env bash
# The runs behind docs/speed.md. Each writes Markdown to OUTDIR; then
#   python benchmarks/fill_speed_doc.py OUTDIR
# pastes them, unedited, between the doc's <!-- begin/end NAME --> markers.
# Usage: PYTHON=.venv/bin/python bash benchmarks/speed.sh [OUTDIR]   (about 1-2 hours on 2 busy cores)
# Some runs only: RUNS="4 5 6 7" PYTHON=.venv/bin/python bash benchmarks/speed.sh OUTDIR
set -euo pipefail
out="${1:-speed-results}"
mkdir -p "$out"
PY="${PYTHON:-python}"
RUNS="${RUNS:-1 2 3 4 4t 5 6 7}"
run() { PYTHONPATH=src OMP_NUM_THREADS=1 "$PY" -m rnninit.cli speed "$@"; }
want() { [[ " $RUNS " == *" $1 "* ]]; }

# 1. The grid of the speed issue, float32, one thread, CPU-time clock (robust on a shared machine).
if want 1; then
    run --threads 1 --clock cpu --markdown --apply-layers 0 > "$out/grid_f32.md"
fi
# 2. LSTM with every backend: the hand-derived kernels and the reference loop next to the fused built-in.
if want 2; then
    run --threads 1 --clock cpu --markdown --cells lstm --backends auto,kernels,loop --steps 50,200 --batch 16,64 \
        --hidden 64,256 --no-user-cell --apply-layers 0 > "$out/lstm_backends_f32.md"
fi
# 3. float64, where torch.nn.LSTM has no oneDNN kernel.
if want 3; then
    run --threads 1 --clock cpu --markdown --dtype float64 --steps 50 --hidden 64,256 --no-user-cell \
        --apply-layers 0 > "$out/grid_f64.md"
fi
# 4. apply and audit on nn.LSTM(2048, 2048, 3) beside torch.nn.init doing the same work (one thread,
#    torch's and BLAS's; CPU-time clock), and one orthogonal gate block each way.
if want 4; then
    run --threads 1 --clock cpu --markdown --no-grid --no-user-cell > "$out/apply.md"
fi
# 4t. The same on both cores (torch's threads, BLAS's, and rnninit's blocks sampled in parallel),
#     wall clock: meaningful only on an otherwise idle machine.
if want 4t; then
    PYTHONPATH=src "$PY" -m rnninit.cli speed --threads 2 --clock wall --markdown --no-grid --no-user-cell \
        > "$out/apply_threads.md"
fi
# 5. torch.compile: compile time and steady state, built-in and rnninit, eager and compiled.
if want 5; then
    run --threads 1 --clock cpu --markdown --no-grid --no-user-cell --apply-layers 0 --compile --steps 50 \
        --batch 16 --hidden 64,256 > "$out/compile.md"
fi
# 6. A double-backward (gradient-penalty) step on every backend.
if want 6; then
    run --threads 1 --clock cpu --markdown --no-grid --no-user-cell --apply-layers 0 --double-backward --steps 50 \
        --batch 16 --hidden 64,256 > "$out/double_backward.md"
fi
# 7. The ways rnninit's layers could meet torch.compile, measured on a model around a GRU or Elman.
if want 7; then
    PYTHONPATH=src OMP_NUM_THREADS=1 "$PY" benchmarks/compile_alternatives.py > "$out/compile_alternatives.md"
fi

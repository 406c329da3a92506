#!/usr/bin/env bash
# The runs behind docs/speed.md. Each writes Markdown to OUTDIR; then
#   python benchmarks/fill_speed_doc.py OUTDIR
# pastes them, unedited, between the doc's <!-- begin/end NAME --> markers.
# Usage: PYTHON=.venv/bin/python bash benchmarks/speed.sh [OUTDIR]   (30-60 minutes on 2 busy cores)
set -euo pipefail
out="${1:-speed-results}"
mkdir -p "$out"
PY="${PYTHON:-python}"
run() { PYTHONPATH=src OMP_NUM_THREADS=1 "$PY" -m rnninit.cli speed "$@"; }

# 1. The grid of the speed issue, float32, one thread, CPU-time clock (robust on a shared machine).
run --threads 1 --clock cpu --markdown --apply-layers 0 > "$out/grid_f32.md"
# 2. LSTM with every backend: the hand-derived kernels and the reference loop next to the fused built-in.
run --threads 1 --clock cpu --markdown --cells lstm --backends auto,kernels,loop --steps 50,200 --batch 16,64 \
    --hidden 64,256 --no-user-cell --apply-layers 0 > "$out/lstm_backends_f32.md"
# 3. float64, where torch.nn.LSTM has no oneDNN kernel.
run --threads 1 --clock cpu --markdown --dtype float64 --steps 50 --hidden 64,256 --no-user-cell \
    --apply-layers 0 > "$out/grid_f64.md"
# 4. apply (and audit, where installed) on a ~100M-parameter stacked LSTM, wall clock, one thread.
run --markdown --no-grid --no-user-cell > "$out/apply.md"

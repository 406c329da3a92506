"""Plot of a tune (Matplotlib, Agg backend): the objective along each free argument, and the gradient
through time at the chosen point."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rnninit.dynamics.horizon import EXPLODED, VANISHED
from rnninit.tune.objective import TERMS
from rnninit.tune.tuner import TuneResult

TERM_STYLES = {"gradient": ("C0", "--"), "isometry": ("C2", ":"), "input": ("C4", "-.")}


def plot_tune(result: TuneResult, path: str | Path) -> Path:
    """Write a PNG (or any format Matplotlib infers from ``path``): one panel per free argument with the
    objective and its terms at every point evaluated, and one with ``‖∂s_T/∂s_{T-1-k}‖₂`` of the chosen
    spec against ``k``."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    args = result.family.free_arguments
    n = len(args) + (1 if result.diagnosis is not None else 0)
    fig, axes = plt.subplots(1, n, figsize=(4.6 * n + 0.4, 4.2), squeeze=False)
    valid = [p for p in result.trace if p.objective is not None]
    for ax, arg in zip(axes[0], args, strict=False):
        xs = np.array([p.values[arg.name] for p in valid])
        order = np.argsort(xs)
        total = np.array([p.objective for p in valid])[order]
        ax.plot(xs[order], total, "o-", color="k", ms=3, lw=1.2, label="objective")
        for term in TERMS:
            values = np.array([np.nan if p.terms.get(term) is None else p.terms[term] for p in valid])[order]
            color, style = TERM_STYLES[term]
            ax.plot(xs[order], values, ls=style, color=color, lw=1.2, label=term)
        ax.axvline(result.values[arg.name], color="C3", lw=1)
        ax.set_yscale("symlog", linthresh=1.0)
        ax.set_ylim(bottom=0)
        if arg.log:
            ax.set_xscale("log")
        ax.set_xlabel(f"{arg.name} (chosen {result.values[arg.name]:.4g})")
        ax.set_ylabel("decades")
        ax.legend(fontsize=7)
        ax.grid(True, alpha=0.3)
    if result.diagnosis is not None:
        ax = axes[0][-1]
        d = result.diagnosis
        k = np.arange(d.steps)
        norms = np.asarray(d.jacobian_norms, dtype=float)
        norms[~np.isfinite(norms) | (norms <= 0)] = np.nan
        ax.axhspan(VANISHED, EXPLODED, color="0.93", zorder=0)
        ax.semilogy(k, norms, color="C0", lw=2, label="chosen spec")
        ax.set_xlabel("k (steps back from T)")
        ax.set_ylabel(r"$\|\partial s_T / \partial s_{T-1-k}\|_2$")
        ax.legend(fontsize=7)
        ax.grid(True, alpha=0.3)
    fig.suptitle(
        f"tune {result.family} on {result.cell}, hidden={result.hidden_size}, T={result.steps}, "
        f"input={result.inputs}\nchosen: {result.spec}",
        fontsize=9,
    )
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path

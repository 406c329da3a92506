"""Plots of one or several diagnoses side by side (Matplotlib, Agg backend: no display needed).

One column per diagnosis, three rows sharing their y axes so columns compare at a glance:

1. gradient through time, ``‖∂s_T/∂s_{T-1-k}‖₂`` against ``k`` (log scale), with the band
   ``[1e-3, 1e3]`` whose exit defines the memory horizon, and per state part (``h``, ``c``) if any;
2. state norm ``‖h_t‖₂`` against ``t`` (and ``‖c_t‖₂`` for an LSTM);
3. singular values of each recurrent weight block, and of the step Jacobian ``J_T`` at the last
   visited state, in descending order.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rnninit.dynamics.diagnose import Diagnosis
from rnninit.dynamics.horizon import EXPLODED, VANISHED

PART_STYLES = {"h": ("C2", ":"), "c": ("C1", "--")}
OTHER_PART = ("C4", "-.")


def _finite(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64).copy()
    values[~np.isfinite(values)] = np.nan
    return values


def _positive(values: np.ndarray) -> np.ndarray:
    values = _finite(values)
    values[values <= 0] = np.nan
    return values


def plain(text: str) -> str:
    """``text`` shown as is by Matplotlib: a ``$`` no longer starts mathtext (a label such as
    ``cost $\\x{$`` would otherwise be parsed as math, and fail)."""
    return str(text).replace("$", r"\$")


def plot_diagnoses(diagnoses: Sequence[Diagnosis], path: str | Path, title: str | None = None) -> Path:
    """Write a PNG (or any format Matplotlib infers from ``path``) comparing ``diagnoses``."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    n = len(diagnoses)
    fig, axes = plt.subplots(3, n, figsize=(4.3 * n + 0.6, 10), sharey="row", squeeze=False)
    for col, d in enumerate(diagnoses):
        _gradient_panel(axes[0, col], d)
        _state_panel(axes[1, col], d)
        _spectrum_panel(axes[2, col], d)
        head = "\n".join(textwrap.wrap(d.label, 38)[:3])
        axes[0, col].set_title(plain(f"{d.cell}: {head}"), fontsize=9)
    axes[0, 0].set_ylabel(r"$\|\partial s_T / \partial s_{T-1-k}\|_2$")
    axes[1, 0].set_ylabel("state norm")
    axes[2, 0].set_ylabel("singular value")
    first = diagnoses[0]
    default_title = f"hidden={first.hidden_size}, T={first.steps}, input={first.inputs}, batch={first.batch}"
    fig.suptitle(plain(title or default_title))
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _gradient_panel(ax, d: Diagnosis) -> None:
    k = np.arange(d.steps)
    ax.axhspan(VANISHED, EXPLODED, color="0.93", zorder=0)
    parts = list(d.part_jacobian_norms)
    whole = f"s = [{'; '.join(parts)}]" if parts else "s = h"
    ax.semilogy(k, _positive(d.jacobian_norms), color="C0", lw=2, label=f"full state {whole}")
    for part, values in d.part_jacobian_norms.items():
        color, style = PART_STYLES.get(part, OTHER_PART)
        label = rf"$\|\partial {part}_T/\partial {part}_{{T-1-k}}\|_2$"
        ax.semilogy(k, _positive(values), color=color, ls=style, lw=1.5, label=label)
    if d.memory_horizon is not None:
        ax.axvline(d.memory_horizon - 1, color="C3", lw=1)
        where = f"horizon {d.memory_horizon} ({d.memory_horizon_reason})"
    else:
        where = f"horizon > T={d.steps}"
    ax.text(0.98, 0.04, where, transform=ax.transAxes, ha="right", va="bottom", fontsize=8, color="C3")
    ax.set_xlabel("k (steps back from T)")
    ax.legend(fontsize=7, loc="lower left")
    ax.grid(True, which="major", alpha=0.3)


def _state_panel(ax, d: Diagnosis) -> None:
    t = np.arange(1, d.steps + 1)
    ax.plot(t, _finite(d.state_norms), color=PART_STYLES["h"][0], lw=2, label=r"$\|h_t\|_2$")
    for part, values in d.part_state_norms.items():
        if part != "h":
            color, style = PART_STYLES.get(part, OTHER_PART)
            ax.plot(t, _finite(values), color=color, ls=style, lw=1.5, label=rf"$\|{part}_t\|_2$")
    ax.set_xlabel("t")
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(True, alpha=0.3)


def _spectrum_panel(ax, d: Diagnosis) -> None:
    for label, values in d.singular_values.items():
        radius = d.spectral_radius.get(label)
        extra = f", ρ={radius:.3g}" if radius is not None else " (all gates stacked)"
        ax.plot(np.arange(1, len(values) + 1), _finite(values), lw=1.2, label=f"{label}{extra}")
    jac = d.step_jacobian_singular_values
    label = r"$J_T = \partial s_T/\partial s_{T-1}$ (visited state)"
    ax.plot(np.arange(1, len(jac) + 1), _finite(jac), color="k", ls="--", lw=1.5, label=label)
    ax.set_xlabel("index")
    ax.legend(fontsize=7, loc="upper right")
    ax.grid(True, alpha=0.3)

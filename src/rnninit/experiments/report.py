"""``DIR/report.html``: one self-contained page (plots embedded as base64 PNG, no external files).

Contents: the task (baseline, solved threshold); learning curves per label (mean over seeds, and
the band from the lowest to the highest seed); a table of final metric, solved rate and steps to
solve; and, per model, its spec's audit and its dynamics at initialization where those modules
(``rnninit.audit``, ``rnninit.dynamics``) are installed. The page is a function of the stored
results only, so an interrupted-then-resumed experiment gives the same page as an uninterrupted one.
"""

from __future__ import annotations

import base64
import html
import importlib
import io
import statistics
from pathlib import Path

import numpy as np

from rnninit.experiments.config import Experiment
from rnninit.experiments.html_table import table_row
from rnninit.experiments.runner import Outcome
from rnninit.experiments.tasks import make_task


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _img(data: str, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _curves(outcome: Outcome, experiment: Experiment) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per label: the eval steps and a (seeds, steps) array of the metric (NaN after divergence)."""
    found = {}
    for model in experiment.models:
        curves = [r["result"].get("curve") or [] for r in outcome.records_of(model["label"])]
        curves = [c for c in curves if c]
        if not curves:
            continue
        steps = np.array([row[0] for row in max(curves, key=len)], dtype=float)
        values = np.full((len(curves), len(steps)), np.nan)
        for i, curve in enumerate(curves):
            values[i, : len(curve)] = [np.nan if row[1] is None else row[1] for row in curve]
        found[model["label"]] = (steps, values)
    return found


def learning_curves_png(outcome: Outcome, experiment: Experiment) -> str:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    from rnninit.dynamics.plots import plain  # labels and names are text, never mathtext

    task = make_task(experiment.task)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for label, (steps, values) in _curves(outcome, experiment).items():
        with np.errstate(all="ignore"):
            mean = np.nanmean(values, axis=0)
            low, high = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
        (line,) = ax.plot(steps, mean, label=plain(f"{label} (n={len(values)})"))
        if len(values) > 1:
            ax.fill_between(steps, low, high, color=line.get_color(), alpha=0.2, linewidth=0)
    ax.axhline(task.baseline, color="grey", linestyle="--", linewidth=1, label="baseline")
    ax.axhline(task.threshold, color="black", linestyle=":", linewidth=1, label="solved")
    if task.lower_is_better:
        ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel(f"held-out {task.metric_name}")
    ax.set_title(plain(f"{experiment.name}: {task.name} (T={task.length}); mean over seeds, band = min..max"))
    ax.legend(fontsize=8)
    fig.tight_layout()
    data = _png(fig)
    plt.close(fig)
    return data


def _fmt(value, digits: int = 4) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def _table(outcome: Outcome, experiment: Experiment) -> str:
    summary = outcome.summary()
    task = make_task(experiment.task)
    rows = []
    for model in experiment.models:
        label = model["label"]
        s = summary["models"][label]
        finals = [
            r["result"]["final_metric"]
            for r in outcome.records_of(label)
            if r["result"]["status"] == "completed"
        ]
        spread = f" ± {statistics.stdev(finals):.2g}" if len(finals) > 1 else ""
        rows.append(
            table_row(
                label,
                model["cell"] + "".join(f" {k}={v}" for k, v in model["options"].items()),
                model["hidden"],
                model["spec"],
                f"{model['train']['optimizer']} lr={model['train']['lr']:g}",
                _fmt(s["final_metric"]) + spread,
                f"{s['solved']}/{s['of']}",
                _fmt(s["median_steps_to_solve"]),
                s["diverged"],
                s["failed"],
            )
        )
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "label",
            "cell",
            "hidden",
            "spec",
            "optimizer",
            f"final {task.metric_name} (mean ± sd)",
            "solved",
            "median steps to solve",
            "diverged",
            "failed",
        )
    )
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _optional(module: str):
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def _resolved_table(model: dict) -> str:
    """What each role and gate of the model's cell gets under its spec (presets expanded)."""
    from rnninit.experiments.models import CELLS
    from rnninit.spec import Spec, format_key

    resolved = Spec.coerce(model["spec"]).resolve(CELLS[model["cell"]].kind)
    rows = "".join(
        f"<tr><td><code>{html.escape(format_key(key))}</code></td><td><code>{html.escape(str(init))}</code></td></tr>"
        for key, init in resolved.entries.items()
    )
    return f"<table><tr><th>role[gate]</th><th>init</th></tr>{rows}</table>"


def _per_spec_sections(experiment: Experiment) -> str:
    """Per model: its spec resolved against its cell and, where ``rnninit.audit`` /
    ``rnninit.dynamics`` are installed, the audit of the initialized model and (one figure for the
    experiment) its dynamics at initialization."""
    audit = _optional("rnninit.audit")
    dynamics = _optional("rnninit.dynamics")
    parts = []
    missing = [m for m, found in (("rnninit.audit", audit), ("rnninit.dynamics", dynamics)) if found is None]
    if missing:
        parts.append(f"<p><em>{' and '.join(missing)} not installed: those sections are left out.</em></p>")
    if dynamics is not None:
        from rnninit.experiments.init_views import dynamics_png

        parts.append(_img(dynamics_png(experiment), f"dynamics at initialization of {experiment.name}"))
    for model in experiment.models:
        parts.append(
            f"<h4>{html.escape(model['label'])}</h4>"
            f"<p><code>{html.escape(model['spec'])}</code> on {model['cell']}</p>"
        )
        if "tuned" in model:
            parts.append(_tuned_html(model["tuned"]))
        if "intended" in model:
            parts.append(f"<p>intended: <code>{html.escape(model['intended'])}</code></p>")
        parts.append(_resolved_table(model))
        if audit is not None:
            from rnninit.experiments.init_views import audit_html

            parts.append(audit_html(experiment, model))
    return "".join(parts)


def _tuned_html(tuned: dict) -> str:
    """How a tuned model's spec was chosen: its family, the chosen values and the objective's terms."""
    values = ", ".join(f"<code>{html.escape(k)}</code> = {v:.4g}" for k, v in tuned["values"].items())
    terms = ", ".join(f"{html.escape(k)} {_fmt(v, 3)}" for k, v in tuned["terms"].items())
    source = "the task's own data" if tuned["input"] == "task" else f"{html.escape(tuned['input'])} input"
    return (
        f"<p>Tuned by <code>rnninit.tune</code> from the family <code>{html.escape(tuned['family'])}</code> "
        f"over T = {tuned['T']} steps of {source} (batch {tuned['batch']}, {tuned['evaluations']} points "
        f"evaluated): {values}. Objective {_fmt(tuned['objective'], 3)} decades ({terms}); "
        "see docs/tune.md.</p>"
        + "".join(f"<p><b>warning</b>: {html.escape(note)}</p>" for note in tuned.get("notes", []))
    )


STYLE = """
body { font-family: sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
table { border-collapse: collapse; font-size: 0.9em; }
td, th { border: 1px solid #ccc; padding: 4px 8px; text-align: left; }
th { background: #f2f2f2; }
code { background: #f6f6f6; }
img { max-width: 100%; }
"""


def _experiment_section(outcome: Outcome, experiment: Experiment) -> str:
    task = make_task(experiment.task)
    info = task.describe()
    records = [r for m in experiment.models for r in outcome.records_of(m["label"])]
    counts = {
        k: sum(r["result"]["status"] == k for r in records) for k in ("completed", "diverged", "failed")
    }
    baseline_rule, threshold_rule = html.escape(info["baseline_rule"]), html.escape(info["threshold_rule"])
    return f"""<h2>{html.escape(experiment.name)}</h2>
<p>{html.escape(experiment.description)}</p>
<p>Task <b>{html.escape(task.name)}</b>, T = {task.length}; metric: held-out {html.escape(task.metric_name)}
({"lower" if task.lower_is_better else "higher"} is better).
Baseline {task.baseline:.4g} ({baseline_rule}); solved: {threshold_rule}
(threshold {task.threshold:.4g}). Seeds: {", ".join(map(str, experiment.seeds))}.
Runs: {len(records)} ({", ".join(f"{v} {k}" for k, v in counts.items())}).</p>
<h3>Learning curves</h3>
{_img(learning_curves_png(outcome, experiment), f"learning curves of {experiment.name}")}
<h3>Results</h3>
{_table(outcome, experiment)}
<h3>Initialization per model</h3>
{_per_spec_sections(experiment)}
"""


def render_report(outcome: Outcome) -> str:
    sweep = outcome.sweep
    sections = "".join(_experiment_section(outcome, e) for e in sweep.experiments)
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(sweep.name)} — rnninit</title>
<style>{STYLE}</style></head><body>
<h1>{html.escape(sweep.name)}</h1>
<p>{html.escape(sweep.description)}</p>
{sections}
</body></html>
"""


def write_report(outcome: Outcome, out: str | Path) -> Path:
    from rnninit.experiments.store import write_atomic

    return write_atomic(Path(out) / "report.html", render_report(outcome))

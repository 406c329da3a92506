"""Layers point one way: importing the core loads nothing above it (no audit, experiments, CLI,
framework backend, or framework)."""

import json
import subprocess
import sys

CORE = [
    "rnninit",
    "rnninit.inits",
    "rnninit.spec",
    "rnninit.layout",
    "rnninit.plan",
    "rnninit.walk",
    "rnninit.seeding",
]
ABOVE = (
    "rnninit.audit",
    "rnninit.experiments",
    "rnninit.cli",
    "rnninit.dynamics",
    "rnninit.tune",
    "rnninit.bench",
)
BACKENDS = ("rnninit.torch", "rnninit.keras", "rnninit.flax")
FRAMEWORKS = ("torch", "keras", "tensorflow", "jax", "flax", "matplotlib", "ray", "mlflow")


def loaded_after(code: str) -> list[str]:
    script = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_the_core_loads_no_layer_above_it():
    loaded = loaded_after("\n".join(f"import {m}" for m in CORE))
    above = [m for m in loaded if m.startswith(ABOVE + BACKENDS)]
    frameworks = [m for m in loaded if m.split(".")[0] in FRAMEWORKS]
    assert above == [] and frameworks == []


def test_audit_and_describe_are_there_when_asked_for():
    loaded = loaded_after("import rnninit\nrnninit.describe\nassert callable(rnninit.audit)")
    assert "rnninit.audit.run" in loaded and "torch" not in loaded


def test_listing_the_executors_imports_neither_ray_nor_a_framework():
    loaded = loaded_after(
        "from rnninit.experiments.executor import EXECUTORS\nassert set(EXECUTORS) == {'local', 'ray'}"
    )
    assert not [m for m in loaded if m.split(".")[0] in FRAMEWORKS]

"""The built wheel stands alone: installed into a fresh virtual environment it carries the embedded
default experiment and ``py.typed``, and ``rnninit run`` works from it, outside the source tree.

The wheel is built offline from a copy of the sources (``pip wheel --no-build-isolation``, with the
setuptools of the running environment) and installed with ``--no-deps``; the fresh environment
reaches its dependencies (numpy, torch, ...) through a ``.pth`` line naming this environment's
site-packages, which comes after its own, so ``import rnninit`` finds the installed wheel and never
the sources (the editable install's own ``.pth`` is not processed there).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest
import yaml
from helpers import ROOT

pytestmark = pytest.mark.xdist_group("wheel")


def _run(args: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["OMP_NUM_THREADS"] = "1"
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path]:
    """(the fresh environment's bin directory, a working directory outside the sources)."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    dist = root / "dist"
    built = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(dist),
            str(source),
        ],
        cwd=root,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = dist.glob("rnninit-*.whl")
    env_dir = root / "env"
    venv.create(env_dir, with_pip=False)
    bin_dir = env_dir / "bin"
    ours = Path(sysconfig.get_paths(vars={"base": str(env_dir), "platbase": str(env_dir)})["purelib"])
    (ours / "dev-site-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(bin_dir / "python"),
            "install",
            "--no-deps",
            str(wheel),
        ],
        cwd=root,
        timeout=300,
    )
    assert pip.returncode == 0, pip.stdout + pip.stderr
    work = root / "work"
    work.mkdir()
    return bin_dir, work


def test_the_installed_wheel_carries_the_default_experiment_and_py_typed(installed):
    bin_dir, work = installed
    probe = _run(
        [
            str(bin_dir / "python"),
            "-c",
            "import json, rnninit, rnninit.experiments.config as c; from pathlib import Path; "
            "p = Path(rnninit.__file__).parent; print(json.dumps({'package': str(p), "
            "'typed': (p / 'py.typed').is_file(), 'default': str(c.DEFAULT_CONFIG), "
            "'experiments': [e.name for e in c.load_experiment(None).experiments]}))",
        ],
        cwd=work,
        timeout=120,
    )
    assert probe.returncode == 0, probe.stderr
    found = json.loads(probe.stdout)
    package = Path(found["package"])
    assert package.is_relative_to(bin_dir.parent) and not package.is_relative_to(ROOT)
    assert found["typed"]
    assert Path(found["default"]).is_file() and Path(found["default"]).is_relative_to(package)
    assert found["experiments"] == ["lstm-adding-T100", "elman-adding-T30"]


def test_rnninit_run_works_from_the_installed_wheel(installed):
    bin_dir, work = installed
    config = work / "tiny.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "name": "tiny",
                "task": {"name": "adding", "length": 5},
                "train": {"steps": 20, "batch_size": 8, "eval_every": 10, "eval_size": 32},
                "models": [{"cell": "lstm", "hidden": 4, "spec": "chrono(t_max=5)", "label": "lstm"}],
            }
        )
    )
    done = _run(
        [str(bin_dir / "rnninit"), "run", str(config), "--out", "out", "--workers", "1", "--json"], work, 300
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["completed"] == 1
    assert (work / "out" / "report.html").is_file()


@pytest.mark.slow
def test_the_embedded_demo_runs_from_the_installed_wheel(installed):
    """``rnninit run --out DIR`` with no config: the whole embedded demo (minutes)."""
    bin_dir, work = installed
    done = _run([str(bin_dir / "rnninit"), "run", "--out", "demo", "--workers", "2", "--json"], work, 1800)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["name"] == "rnninit-demo" and summary["runs"] == 21 and summary["failed"] == 0
    assert (work / "demo" / "report.html").is_file()

"""The documentation site builds with ``mkdocs build --strict`` (no broken link, no missing reference),
its home page is the README, and the API reference covers every public package and every name each
public module exports."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys

import griffe  # mkdocstrings' reader of the sources: where each exported name is documented
import mkdocs  # noqa: F401  (the dev extra installs the docs tools: missing, the build fails, not skips)
import mkdocstrings  # noqa: F401
import pytest
from helpers import ROOT

PUBLIC = ("inits", "spec", "layout", "torch", "keras", "flax", "audit", "dynamics", "tune", "experiments")
#: The modules whose ``__all__`` is the public interface: each exported name must have a reference entry.
EXPORTING = (
    "rnninit",
    "rnninit.torch",
    "rnninit.keras",
    "rnninit.flax",
    "rnninit.audit",
    "rnninit.tune",
    "rnninit.dynamics",
    "rnninit.testing",
    "rnninit.inits",
    "rnninit.spec",
    "rnninit.layout",
)


def test_the_reference_pages_cover_every_public_package():
    text = "\n".join(p.read_text() for p in (ROOT / "docs" / "reference").glob("*.md"))
    documented = set(re.findall(r"^::: rnninit\.(\w+)", text, re.M))
    assert set(PUBLIC) <= documented
    nav = (ROOT / "mkdocs.yml").read_text()
    for page in (ROOT / "docs" / "reference").glob("*.md"):
        assert f"reference/{page.name}" in nav


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site, built once with ``--strict`` (the build's output is the failure message)."""
    site = tmp_path_factory.mktemp("docs") / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return site


def test_the_site_builds_strictly_with_the_readme_as_home_and_the_api_reference(site):
    home = (site / "index.html").read_text()
    assert "Quick start: PyTorch" in home and 'href="spec-language/"' in home
    torch_page = (site / "reference" / "torch" / "index.html").read_text()
    assert 'id="rnninit.torch.init.init_"' in torch_page and 'id="rnninit.torch.apply.apply"' in torch_page
    flax_page = (site / "reference" / "flax" / "index.html").read_text()
    assert 'id="rnninit.flax.apply.apply"' in flax_page and 'id="rnninit.flax.apply.apply_linen"' in flax_page
    inits_page = (site / "reference" / "inits" / "index.html").read_text()
    assert 'id="rnninit.inits.random.VarianceScaling"' in inits_page


def _documented_path(module, griffe_module, name: str) -> str:
    """Where the reference documents ``module.name``: the path of the object it resolves to."""
    try:
        member = griffe_module[name]
        return member.final_target.path if member.is_alias else member.path
    except KeyError:  # a lazy attribute (``rnninit.tune``'s) or a built name: what importing it gives
        obj = getattr(importlib.import_module(module), name)
        return (
            obj.__name__
            if obj.__class__.__name__ in ("module", "_CallableModule")
            else (f"{obj.__module__}.{obj.__qualname__}")
        )


def test_every_exported_name_has_an_entry_in_the_reference(site):
    anchors: set[str] = set()
    for page in (site / "reference").rglob("*.html"):
        anchors |= set(re.findall(r'id="(rnninit[\w.]*)"', page.read_text()))
    package = griffe.load("rnninit", search_paths=[str(ROOT / "src")], resolve_aliases=True)
    missing = []
    for module in EXPORTING:
        griffe_module = package if module == "rnninit" else package[module.removeprefix("rnninit.")]
        exports = importlib.import_module(module).__all__  # imported: some are built (rnninit.inits)
        for name in exports:
            path = _documented_path(module, griffe_module, name)
            if path not in anchors:
                missing.append(f"{module}.{name} (documented as {path})")
    assert not missing, "exported but not in docs/reference: " + ", ".join(missing)

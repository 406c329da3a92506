"""The documentation site builds with ``mkdocs build --strict`` (no broken link, no missing reference),
its home page is the README, and the API reference covers every public package."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import mkdocs  # noqa: F401  (the dev extra installs the docs tools: missing, the build fails, not skips)
import mkdocstrings  # noqa: F401
from helpers import ROOT

PUBLIC = ("inits", "spec", "layout", "torch", "keras", "flax", "audit", "dynamics", "tune", "experiments")


def test_the_reference_pages_cover_every_public_package():
    text = "\n".join(p.read_text() for p in (ROOT / "docs" / "reference").glob("*.md"))
    documented = set(re.findall(r"^::: rnninit\.(\w+)", text, re.M))
    assert set(PUBLIC) <= documented
    nav = (ROOT / "mkdocs.yml").read_text()
    for page in (ROOT / "docs" / "reference").glob("*.md"):
        assert f"reference/{page.name}" in nav


def test_the_site_builds_strictly_with_the_readme_as_home_and_the_api_reference(tmp_path):
    site = tmp_path / "site"
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
    home = (site / "index.html").read_text()
    assert "Quick start: PyTorch" in home and 'href="spec-language/"' in home
    torch_page = (site / "reference" / "torch" / "index.html").read_text()
    assert 'id="rnninit.torch.init.init_"' in torch_page and 'id="rnninit.torch.apply.apply"' in torch_page
    flax_page = (site / "reference" / "flax" / "index.html").read_text()
    assert 'id="rnninit.flax.apply.apply"' in flax_page and 'id="rnninit.flax.apply.apply_linen"' in flax_page
    inits_page = (site / "reference" / "inits" / "index.html").read_text()
    assert 'id="rnninit.inits.random.VarianceScaling"' in inits_page

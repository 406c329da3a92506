"""CONTRIBUTING.md stays true: every file or folder it names exists."""

import re

import pytest
from helpers import ROOT

TEXT = (ROOT / "CONTRIBUTING.md").read_text()
# code spans that are paths in the repository: src/..., tests/..., docs/..., and top-level files
NAMED = sorted(
    {
        span
        for span in re.findall(r"`([^`\s]+)`", TEXT)
        if re.match(r"(src|tests|docs)/", span) or re.fullmatch(r"[\w.-]+\.(md|toml)|\.ci/run", span)
    }
)


def test_the_paths_are_found():
    assert "src/rnninit/layout/kinds.py" in NAMED and "CHANGELOG.md" in NAMED and len(NAMED) > 20


@pytest.mark.parametrize("path", NAMED)
def test_every_named_path_exists(path):
    if "<" in path:  # a pattern such as src/rnninit/<framework>/: its folder exists
        path = path[: path.index("<")]
    assert (ROOT / path).exists(), f"CONTRIBUTING.md names {path}, which does not exist"

"""The version lives in one place (pyproject.toml; ``rnninit.__version__`` reads the installed
distribution), and the LICENSE file is the license pyproject.toml declares."""

import importlib.metadata
import tomllib

from helpers import ROOT

import rnninit

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_the_version_is_pyprojects_read_through_the_installed_metadata():
    assert rnninit.__version__ == importlib.metadata.version("rnninit") == PROJECT["version"]


def test_the_license_file_is_the_license_pyproject_declares():
    assert PROJECT["license"] == "MIT" and PROJECT["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "Permission is hereby granted, free of charge" in text

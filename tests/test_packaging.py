"""pyproject.toml's metadata in the forms setuptools keeps supporting (a build with a deprecated
form fails after setuptools' deadline)."""

from __future__ import annotations

import tomllib

from helpers.cli import ROOT


def test_the_licence_is_an_spdx_expression_that_the_build_backend_understands() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["license"] == "MIT"  # PEP 639, not the table { text = ... }
    # a licence classifier beside the expression is an error under PEP 639
    assert not [c for c in pyproject["project"].get("classifiers", []) if c.startswith("License")]
    # the string form needs setuptools 77
    assert "setuptools>=77" in pyproject["build-system"]["requires"]
    assert (ROOT / "LICENSE").is_file()

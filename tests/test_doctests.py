"""The examples in the package's docstrings run, so small helpers' edge cases stay true (petl's style)."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "neiqin_xl"
MODULES = sorted(".".join(("neiqin_xl", *p.relative_to(PACKAGE).with_suffix("").parts))
                 for p in PACKAGE.rglob("*.py") if ">>>" in p.read_text(encoding="utf-8"))


def test_some_modules_have_examples():
    assert "neiqin_xl.core.columns" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed"

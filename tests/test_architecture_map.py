"""docs/ARCHITECTURE.md is the newcomer's map: every module and file it names exists.

A path it names (``books/balances.py``, ``tests/day/test_golden.py``, ``deliver/publish.write_outputs``) must
be a file of the checkout; a bare module name (``saving.py``) must be one module of the package (no two share a
file name, tests/test_structure.py). Written after issue 27 found 13 claims of the map the code contradicted.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "neiqin_xl"
MAP = ROOT / "docs" / "ARCHITECTURE.md"
STAGES = ("core", "read", "books", "reports", "deliver", "tools")


def named_paths(text: str) -> set[str]:
    """The paths the map names inside backticks: ``x.py`` files, ``folder/`` folders and ``<stage>/<module>``
    references."""
    found = set()
    for code in re.findall(r"`([^`]+)`", text):
        for token in re.findall(r"[\w./-]+", code):
            if token.endswith(".py") or token.endswith("/"):
                found.add(token)
            elif token.split("/", 1)[0] in STAGES and "/" in token:
                found.add(token.split(".", 1)[0] + ".py")  # deliver/publish.write_outputs → deliver/publish.py
    return found


def exists(path: str) -> bool:
    if "/" not in path:
        return any(PACKAGE.rglob(path)) or (ROOT / path).exists()
    candidates = [ROOT / path, PACKAGE / path]
    return any(c.exists() for c in candidates)


def test_every_module_path_the_map_names_exists():
    missing = sorted(p for p in named_paths(MAP.read_text(encoding="utf-8")) if not exists(p))
    assert not missing, "docs/ARCHITECTURE.md names paths that do not exist: " + ", ".join(missing)


def test_the_check_finds_a_wrong_path():
    # the map's old name for the input history: moved to neiqin_xl/input_history.py by issue 27
    assert named_paths("the `read/history.py` index and `deliver/state.RunState`") == {"read/history.py",
                                                                                       "deliver/state.py"}
    assert not exists("read/history.py") and not exists("deliver/state.py")
    assert exists("books/balances.py") and exists("saving.py") and exists("tests/day/test_golden.py")

"""The golden test: every output of three whole days, cell by cell and in layout, against a digest kept in
tests/golden/ — the demo on a month end (2026-11-30) and on a year end (2026-12-31), and the S benchmark
workspace (10 reps, ~50,000 rows) on the month end.

The digest (benchmarks/compare_outputs.py) is text: per sheet the layout, every cell's style, and the
values (the demo's row by row, S's one hash per column), plus manifest.json's figures. A change to any
output fails here with the lines that differ. When an issue changes outputs on purpose, regenerate with

    NEIQIN_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py

and commit the golden files with the change, saying which outputs changed and why.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
sys.path.insert(0, str(ROOT / "benchmarks"))

import compare_outputs  # noqa: E402

DAYS = {  # name: (how the workspace is made, run date, detail of the digest)
    "demo_2026-11-30": ("demo", "2026-11-30", "rows"),
    "demo_2026-12-31": ("demo", "2026-12-31", "rows"),
    "S_2026-11-30": ("S", "2026-11-30", "columns"),
}


def run(args: list[str], env: dict) -> None:
    proc = subprocess.run([sys.executable, *args], capture_output=True, env=env, cwd=str(ROOT), timeout=600)
    assert proc.returncode == 0, proc.stdout.decode("utf-8", "replace") + proc.stderr.decode("utf-8", "replace")


def produce(name: str, tmp: Path) -> list[str]:
    """A fresh workspace, the day's run with mail off, and the digest of its output folder."""
    kind, day, detail = DAYS[name]
    workspace = tmp / "工作区"
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp / "cache"), "LOCALAPPDATA": str(tmp / "cache")}
    env.pop("NEIQIN_SMTP_PASSWORD", None)
    if kind == "demo":
        run(["run_daily.py", "demo", "--workspace", str(workspace), "--date", day], env)
    else:
        run([str(ROOT / "benchmarks" / "make_workspace.py"), "--scenario", kind, str(workspace)], env)
    run(["run_daily.py", "--workspace", str(workspace), "--date", day, "--no-email", "--quiet"], env)
    return compare_outputs.digest(workspace / "output" / day, detail)


@pytest.mark.parametrize("name", DAYS)
def test_outputs_equal_the_golden_digest(name, tmp_path):
    got = produce(name, tmp_path)
    golden = GOLDEN / f"{name}.txt"
    if os.environ.get("NEIQIN_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text("\n".join(got) + "\n", encoding="utf-8")
    expected = golden.read_text(encoding="utf-8").splitlines()
    diff = compare_outputs.differences(expected, got)
    assert not diff, f"{name}: outputs differ from {golden.name} ({len(diff)} diff lines):\n" + "\n".join(diff[:60])


def test_the_digest_sees_a_changed_cell_a_changed_format_and_a_missing_sheet(tmp_path):
    # The safety net must catch what it is for: three workbooks written by hand, then changed one way each.
    import xlsxwriter

    def book(path: Path, value: float, money: bool, second_sheet: bool) -> None:
        wb = xlsxwriter.Workbook(str(path))
        ws = wb.add_worksheet("账龄分析")
        ws.write_row(0, 0, ["客户", "余额"])
        ws.write(1, 0, "明达")
        ws.write(1, 1, value, wb.add_format({"num_format": "#,##0.00" if money else "0.0%"}))
        if second_sheet:
            wb.add_worksheet("明细账")
        wb.close()

    (tmp_path / "a").mkdir()
    book(tmp_path / "a" / "应收.xlsx", 1020.0, True, True)
    base = compare_outputs.digest(tmp_path / "a")
    for change in [(1200.0, True, True), (1020.0, False, True), (1020.0, True, False)]:
        book(tmp_path / "a" / "应收.xlsx", *change)
        assert compare_outputs.differences(base, compare_outputs.digest(tmp_path / "a")), change
    book(tmp_path / "a" / "应收.xlsx", 1020.0, True, True)
    assert not compare_outputs.differences(base, compare_outputs.digest(tmp_path / "a"))
    assert "  2\t明达\t1020" in base  # the row as a reader would see it

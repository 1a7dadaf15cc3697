"""The golden test: every output of three whole days, cell by cell and in layout, against a digest kept in
tests/golden/<day>/ — the demo on a month end (2026-11-30) and on a year end (2026-12-31), and the S benchmark
workspace (10 reps, ~50,000 rows) on the month end.

Each day is run as tests/day/whole_days.py says, once for this test and test_end_to_end. The digest
(benchmarks/compare_outputs.py) is text: per sheet the layout, every cell's style, and the values (the demo's
row by row, S's one hash per column), plus manifest.json's figures. It is kept cut by report
(``compare_outputs.split``): tests/golden/<day>/<report>.txt holds the sections of that report's workbooks (a
folder of per-rep or per-customer files is one part: 对账函, 问题清单 …), manifest.txt the figures and styles.txt
the legend of the style labels. Each part is its own test, so a changed output fails as ``[<day>-<report>]``
with the lines that differ. When an issue changes outputs on purpose, regenerate with

    NEIQIN_UPDATE_GOLDEN=1 python -m pytest tests/day/test_golden.py

and commit the golden files with the change, saying which outputs changed and why.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .whole_days import DAYS, GOLDEN, compare_outputs, golden_digest, golden_parts

# one test per day and part, from the golden folders (a part the day stops or starts writing fails the
# test below)
PARTS = [pytest.param(name, path.stem, id=f"{name}-{path.stem}", marks=pytest.mark.slow)
         for name in DAYS for path in sorted((GOLDEN / name).glob("*.txt"))]


@pytest.mark.slow
@pytest.mark.parametrize("name", DAYS)
def test_the_day_writes_the_reports_the_golden_lists(name, whole_day):
    assert sorted(whole_day(name).digest) == sorted(golden_parts(name)), f"{name}: reports written ≠ tests/golden/{name}/"


@pytest.mark.parametrize(("name", "part"), PARTS)
def test_outputs_equal_the_golden_digest(name, part, whole_day):
    got = whole_day(name).digest.get(part, [])
    golden = GOLDEN / name / f"{part}.txt"
    expected = golden.read_text(encoding="utf-8").splitlines()
    diff = compare_outputs.differences(expected, got)
    assert not diff, (f"{name} {part}: outputs differ from tests/golden/{name}/{golden.name} ({len(diff)} diff lines):\n"
                      + "\n".join(diff[:60]))


def test_split_digest_joins_back_line_for_line():
    # every workbook's section falls in the part of its report (a folder of files is one part), and join
    # restores the order digest() reads the folder in: paths sorted, so 回款提醒/… comes before 回款提醒_…
    lines = ["# manifest.json figures {}",
             "# 回款提醒/回款提醒_刘洋_2026-11-30.xlsx", "## 回款提醒/回款提醒_刘洋_2026-11-30.xlsx[回款提醒] A1:B2", "  1\t客户",
             "# 回款提醒_2026-11-30.xlsx names: x", "  1\t客户",
             "# 对账单/明达_对账单_2026-11-30.xlsx",
             "# 月报_2026-11.xlsx",
             "# styles", "s1 = fmt=General"]
    parts = compare_outputs.split(lines)
    assert sorted(parts) == ["manifest", "styles", "回款提醒", "对账单", "月报"]
    assert len(parts["回款提醒"]) == 5 and parts["styles"] == ["# styles", "s1 = fmt=General"]
    assert compare_outputs.join(parts) == lines
    for name in DAYS:  # each kept file holds its own report's sections and no other's
        assert compare_outputs.split(golden_digest(name)) == golden_parts(name), name


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

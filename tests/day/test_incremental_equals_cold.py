"""An incremental rerun's outputs are a cold run's (issue 34): after one rep corrects one collection, the
rerun in the same output folder (workbooks kept when unchanged, the big books' parts taken from the part
cache, deliver/incremental.py and deliver/parts.py) must show in every sheet of every workbook what a run
of the same inputs into an empty output folder shows.

A small generated workspace (3 reps) with the big-book line lowered (``IN_MEMORY_CELLS``) and small parts
(``CHUNK_ROWS``), so that the 合同履行一览表 and the 应收账款明细账 are written in several parts and the rerun
reuses some of them. The outputs are compared through ``benchmarks/compare_outputs.py``'s digest: every
cell's value (formulas with their cached value) and style, the layout of each sheet, manifest figures.
"""

from __future__ import annotations

import re
import shutil
import sys
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from neiqin_xl.core.config import Settings
from neiqin_xl.deliver import writer
from neiqin_xl.pipeline import RunOptions, run_day
from neiqin_xl.tools.demo import generate_demo

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import compare_outputs  # noqa: E402

pytestmark = pytest.mark.slow  # three whole days run for real

DAY = date(2026, 11, 30)


def run(workspace: Path):
    s = Settings().with_workspace(workspace)
    s = s.model_copy(update={"writing": s.writing.model_copy(update={"workers": 0})})  # the patched writer here
    result = run_day(s, DAY, RunOptions(no_email=True))
    assert result.ok, (result.failed_reports, result.failures)
    return result


def correct_last_collection(book: Path) -> tuple[object, int]:
    """The rep's last 回款 row collected ¥1.00 more (a figure fixed by hand); its customer and the new amount."""
    wb = openpyxl.load_workbook(book)
    ws = wb["回款"]
    header = [c.value for c in ws[1]]
    cell = ws.cell(ws.max_row, header.index("回款金额") + 1)
    cell.value = cell.value + 1
    customer = ws.cell(ws.max_row, header.index("客户名称") + 1).value
    wb.save(book)
    return customer, cell.value


def parts_said(caplog) -> tuple[int, int]:
    """(parts written, parts whose rows were converted) over the big books of a run, from the writer's log."""
    said = [re.search(r"大表分 (\d+) 块写出.*\((\d+) 块的行重新转换", r.getMessage()) for r in caplog.records]
    caplog.clear()
    return tuple(sum(int(m.group(i)) for m in said if m) for i in (1, 2))


def test_a_rerun_after_one_reps_correction_shows_what_a_cold_run_shows(tmp_path, monkeypatch, caplog):
    caplog.set_level("INFO", logger="neiqin_xl")
    monkeypatch.setattr(writer, "IN_MEMORY_CELLS", 2_000)  # the two big books are streamed and written in parts
    monkeypatch.setattr(writer, "CHUNK_ROWS", 100)
    workspace = tmp_path / "workbooks"
    generate_demo(workspace, DAY, reps=3, customers=12, rows_scale=0.5)
    output = run(workspace).output_dir
    parts_before = {p.name for p in (output / ".parts").glob("*.part")}
    assert len(parts_before) > 4  # several parts per big book, else the part cache is not exercised
    first_digest = compare_outputs.digest(output, "rows")

    written, cold = parts_said(caplog)
    assert written and cold  # a cold run converts every part's rows (a lone totals cell is a part, not counted)
    book = sorted((workspace / "reps").glob("*.xlsx"))[0]
    correct_last_collection(book)
    again = run(workspace)
    assert parts_said(caplog)[1] in range(1, cold)  # the rerun converts the parts the correction reaches only
    assert not again.manifest.get("unchanged")
    kept = [o for o in again.manifest["outputs"] if o.get("kept")]
    parts_after = {p.name for p in (output / ".parts").glob("*.part")}
    assert kept and parts_after & parts_before  # the rerun did reuse: workbooks kept, parts copied

    cold = tmp_path / "cold"
    shutil.copytree(workspace, cold)  # the same inputs and the same input history (the same change audit)
    shutil.rmtree(cold / "output")
    cold_output = run(cold).output_dir
    rerun_digest = compare_outputs.digest(output, "rows")
    cold_digest = compare_outputs.digest(cold_output, "rows")
    assert compare_outputs.differences(cold_digest, rerun_digest) == []
    assert compare_outputs.differences(first_digest, rerun_digest)  # and the correction does show
    assert len(rerun_digest) > 1000  # every workbook's sheets and cells, not an empty folder

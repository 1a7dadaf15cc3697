"""A rerun writes only what changed (deliver/incremental.py) and the pool writes what one process would
(deliver/pool.py): the demo workspace on 2026-11-30, run for real, its output files compared on disk."""

import hashlib
import shutil
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from neiqin_xl.core.config import Settings
from neiqin_xl.deliver import pool
from neiqin_xl.pipeline import RunOptions, run_day
from neiqin_xl.runs import OFFICIAL, RERUN
from neiqin_xl.tools.demo import generate_demo

pytestmark = pytest.mark.slow  # the demo day run for real, again and again

DAY = date(2026, 11, 30)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    workspace = tmp_path_factory.mktemp("demo") / "workbooks"
    generate_demo(workspace, DAY)
    return workspace


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory) -> Path:
    """A smaller demo (4 reps, the demo's 40 customers, half the rows) for the tests that hold for any workspace,
    not for one of the demo's own rows (the full demo stays for the one that edits 刘洋's row): every report and
    every kind of output (对账函, 提成确认单, 报价单 …) is in it, and more than the 50 workbooks the pool test asks
    for (3 reps give exactly 50)."""
    workspace = tmp_path_factory.mktemp("small_demo") / "workbooks"
    generate_demo(workspace, DAY, reps=4, rows_scale=0.5)
    return workspace


def copy_of(demo: Path, tmp_path: Path) -> Path:
    workspace = tmp_path / "workbooks"
    shutil.copytree(demo, workspace)
    return workspace


def settings(workspace: Path, workers: int | None = None) -> Settings:
    """The workspace's settings; no 报价单 PDFs (review.quotation_pdf: no LibreOffice start per run): what these
    tests compare is the workbooks (the PDFs kept when up to date: tests/deliver/test_office_suites.py)."""
    s = Settings().with_workspace(workspace)
    return s.model_copy(update={"writing": s.writing.model_copy(update={"workers": workers}),
                                "review": s.review.model_copy(update={"quotation_pdf": False})})


def run(workspace: Path, workers: int | None = None, kind: str = OFFICIAL):
    result = run_day(settings(workspace, workers), DAY, RunOptions(kind=kind, no_email=True))
    assert result.ok, (result.failed_reports, result.failures)
    return result


def files(output: Path) -> dict[str, tuple[int, str]]:
    """Every workbook of the output folder: its mtime (ns) and the sha256 of its bytes."""
    return {p.relative_to(output).as_posix(): (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(output.rglob("*.xlsx"))}


def rewritten(before: dict, after: dict) -> set[str]:
    return {f for f in after if f not in before or after[f][0] != before[f][0]}


def test_an_unchanged_rerun_writes_no_workbook(small_demo, tmp_path):
    workspace = copy_of(small_demo, tmp_path)
    first = run(workspace)
    output = first.output_dir
    before = files(output)
    again = run(workspace, kind=RERUN)  # the clerk starts the day a second time, nothing changed
    assert files(output) == before  # every mtime and every byte as they were
    assert again.manifest["unchanged"] is True and again.manifest["kind"] == RERUN
    # built by the full day's builder: the same keys (and one more), the same figures, its own history id
    assert set(again.manifest) == set(first.manifest) | {"unchanged"}
    assert again.manifest["figures"] == first.manifest["figures"]
    assert again.manifest["history"] and again.manifest["history"] != first.manifest["history"]
    assert len(again.written) == len(before) and all(w.kept for w in again.written)
    # the manifest still lists every workbook with its hashes, so the run after this one can check them too
    assert {o["file"].replace("\\", "/") for o in again.manifest["outputs"]} == set(before)


def test_one_changed_workbook_rewrites_exactly_the_workbooks_that_show_it(demo, tmp_path):
    workspace = copy_of(demo, tmp_path)
    output = run(workspace).output_dir
    before = files(output)
    # 刘洋 corrects one collection: 合肥融创设备有限公司 paid ¥53,300.00 on 2026-02-06, not ¥53,400.00
    book = workspace / "reps" / "刘洋.xlsx"
    wb = openpyxl.load_workbook(book)
    ws = wb["回款"]
    assert [c.value for c in ws[2]][1:4] == ["合肥融创设备有限公司", "HT2025-0004", 53400]
    ws.cell(row=2, column=4).value = 53300
    wb.save(book)

    again = run(workspace)
    after = files(output)
    assert not again.manifest.get("unchanged")
    changed = rewritten(before, after)
    # what shows that collection: the customer's 对账函 (October's: the ¥100.00 now open since February is in its
    # 期初 and 期末), the 对账跟踪 (its balance) and the books over every customer
    assert [f for f in changed if f.startswith("对账函/")] == ["对账函/合肥融创设备有限公司_对账函_DZ-202610-KH028.xlsx"]
    assert {"应收账款明细账_2026-11-30.xlsx", "合同履行一览表_2026-11-30.xlsx"} <= changed
    # no other customer's 对账函 and no rep's 提成确认单 (a February collection is no November commission)
    assert not [f for f in changed if f.startswith("对账函/") and "合肥融创" not in f]
    assert not [f for f in changed if f.startswith("提成确认单/")]
    # exactly the dependent ones: each rewritten file's bytes changed, and every file is what a cold run of
    # the same inputs writes (a fresh copy of the workspace, nothing to keep)
    assert all(f not in before or after[f][1] != before[f][1] for f in changed)
    cold = copy_of(workspace, tmp_path / "cold")
    shutil.rmtree(cold / "output")
    assert {f: h for f, (_, h) in files(run(cold).output_dir).items()} == {f: h for f, (_, h) in after.items()}


def test_a_deleted_or_hand_edited_output_is_written_again(small_demo, tmp_path):
    workspace = copy_of(small_demo, tmp_path)
    output = run(workspace).output_dir
    before = files(output)
    statement = sorted((output / "对账函").glob("*.xlsx"))[0]
    statement.unlink()
    ledger = output / "应收账款明细账_2026-11-30.xlsx"
    wb = openpyxl.load_workbook(ledger)  # the clerk types a note into the ledger and saves it
    wb.worksheets[0]["A1"] = "已核对"
    wb.save(ledger)

    again = run(workspace)
    after = files(output)
    assert not again.manifest.get("unchanged")
    assert rewritten(before, after) == {statement.relative_to(output).as_posix(), ledger.name}
    assert {f: h for f, (_, h) in after.items()} == {f: h for f, (_, h) in before.items()}  # as first written


def test_the_pool_writes_what_one_process_writes(small_demo, tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(pool, "POOL_MIN_CELLS", 0)  # the demo is small: the pool would not start for it
    one = run(copy_of(small_demo, tmp_path / "one"), workers=1).output_dir
    caplog.set_level("INFO", logger="neiqin_xl")
    two = run(copy_of(small_demo, tmp_path / "two"), workers=2).output_dir
    assert any("由本进程和 1 个写出进程写出" in r.getMessage() for r in caplog.records)
    in_one = {f: h for f, (_, h) in files(one).items()}
    assert len(in_one) > 50
    assert {f: h for f, (_, h) in files(two).items()} == in_one

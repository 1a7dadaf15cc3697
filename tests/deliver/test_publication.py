"""A report's workbooks are written while the next report is computed (deliver/publish.Publication with the
writing processes of deliver/pool.py), and the files are those one process writes after all the reports."""

import hashlib
import time
from pathlib import Path

import pandas as pd
import pytest

from neiqin_xl.core.output import ReportOutput
from neiqin_xl.core.sheets import MONEY, Col, Sheet, Table, WorkbookSpec
from neiqin_xl.deliver import pool
from neiqin_xl.deliver.publish import Publication

pytestmark = pytest.mark.slow  # a writing process is spawned: about a second


def book(filename: str, customer: str, fen: int, subfolder: str = "") -> WorkbookSpec:
    rows = pd.DataFrame({"客户名称": [customer], "余额": [fen]})
    table = Table([Col("客户名称"), Col("余额", MONEY)], rows)
    return WorkbookSpec(filename, [Sheet("对账单", [table], title=f"{customer} 对账单")], subfolder=subfolder)


def files(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*.xlsx"))}


def wait_for(path: Path, seconds: float = 60) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if path.is_file():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def pool_for_any_size(monkeypatch):
    monkeypatch.setattr(pool, "POOL_MIN_CELLS", 0)  # these books are tiny: the workers would not start for them


def test_a_reports_workbooks_are_written_before_the_next_report_is_made(tmp_path, pool_for_any_size):
    out = tmp_path / "out"
    with Publication(out, workers=2) as publication:
        publication.add("statements", ReportOutput(workbooks=[book("甲公司_对账单.xlsx", "甲公司", 1_234_56, "对账函")]))
        assert wait_for(out / "对账函" / "甲公司_对账单.xlsx")  # written by a worker while no later report exists
        publication.add("daily", ReportOutput(workbooks=[book("销售日报.xlsx", "乙公司", 99)]))
        written = publication.finish()
    assert [w.path for w in written["statements"]] == [out / "对账函" / "甲公司_对账单.xlsx"]
    assert [w.path for w in written["daily"]] == [out / "销售日报.xlsx"]
    assert all(w.digest for ws in written.values() for w in ws)

    alone = tmp_path / "alone"
    with Publication(alone, workers=1) as publication:
        publication.add("statements", ReportOutput(workbooks=[book("甲公司_对账单.xlsx", "甲公司", 1_234_56, "对账函")]))
        publication.add("daily", ReportOutput(workbooks=[book("销售日报.xlsx", "乙公司", 99)]))
        publication.finish()
    assert files(out) == files(alone)  # the same files, byte for byte


def test_a_name_the_whole_run_changes_is_written_again_under_its_final_name(tmp_path, pool_for_any_size):
    """Two reports ask for names that are one file name once cleaned (汇总*一 and 汇总?一 → 汇总_一.xlsx) in one
    folder: the first is written early under it; once the second comes, the run names both apart (each with
    the hash of the name it asked for), so the early file goes."""
    def publish(folder: Path, workers: int) -> dict:
        with Publication(folder, workers=workers) as publication:
            publication.add("a", ReportOutput(workbooks=[book("汇总*一.xlsx", "甲公司", 100)]))
            if workers > 1:
                assert wait_for(folder / "汇总_一.xlsx")
            publication.add("b", ReportOutput(workbooks=[book("汇总?一.xlsx", "乙公司", 200)]))
            return publication.finish()

    early = publish(tmp_path / "early", workers=2)
    alone = publish(tmp_path / "alone", workers=1)
    assert files(tmp_path / "early") == files(tmp_path / "alone")
    names = sorted(files(tmp_path / "early"))
    assert len(names) == 2 and "汇总_一.xlsx" not in names and all(n.startswith("汇总_一_") for n in names)
    assert [w.path.name for w in early["a"] + early["b"]] == [w.path.name for w in alone["a"] + alone["b"]]

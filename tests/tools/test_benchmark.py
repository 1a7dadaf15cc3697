"""The benchmark's tools kept working: the scaled workspace generator is deterministic and sensible, and
benchmarks/run.py measures a small workspace end to end (in this process) and writes its report.

Small on purpose (5 reps, a few hundred rows each); the speed targets live in the benchmark, not here.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

import openpyxl
import pytest

from neiqin_xl.deliver import office

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import make_workspace  # noqa: E402
import run as bench_run  # noqa: E402

SMALL = ["--reps", "5", "--rows", "300", "--customers", "30", "--seed", "11"]


def digest_of(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("bench") / "ws"
    return out, make_workspace.main([*SMALL, str(out)])


def test_generator_is_deterministic_for_a_seed(small, tmp_path):
    first, summary = small
    again = make_workspace.main([*SMALL, str(tmp_path / "again")])
    other = make_workspace.main([*SMALL[:-1], "12", str(tmp_path / "other")])
    assert digest_of(first) == digest_of(tmp_path / "again")
    assert summary["rows"] == again["rows"]
    assert digest_of(first) != digest_of(tmp_path / "other") and other["reps"] == 5


def test_generated_workspace_has_the_scale_asked_for(small):
    ws, summary = small
    assert sorted(p.stem for p in (ws / "reps").glob("*.xlsx")) == sorted(["张伟", "王强", "李娜", "刘洋", "陈静"])
    per_rep = sum(summary["rows"].values()) / 5
    assert 200 <= per_rep <= 400, per_rep  # "about" 300 rows a rep
    assert summary["customers"] == 30
    # three years of history: the oldest contract is signed more than two years before the run date
    contracts = openpyxl.load_workbook(ws / "reps" / "张伟.xlsx")["合同"]
    signed = [r[1] for r in contracts.iter_rows(min_row=2, values_only=True) if r[1] is not None]
    assert (max(signed) - min(signed)).days > 2 * 365
    # finance exports for the last three months, and a problem planted in every rep's workbook
    assert len(list((ws / "finance").glob("财务收款_*.xlsx"))) == 3
    assert any("其余" in p for p in summary["problems"])


def test_customer_names_beyond_one_per_city_and_brand_are_unique(tmp_path):
    from datetime import date

    from neiqin_xl.tools.demo import generate_demo

    summary = generate_demo(tmp_path, date(2026, 11, 26), reps=2, customers=600, rows_scale=0.2)
    names = [r[1] for r in openpyxl.load_workbook(tmp_path / "master" / "客户档案.xlsx")["客户"]
             .iter_rows(min_row=2, values_only=True)]
    assert summary["customers"] == 600 and len(set(names)) == 600


@pytest.mark.slow
def test_benchmark_runs_on_a_small_workspace_and_reports(small, tmp_path):
    ws = tmp_path / "ws"
    shutil.copytree(small[0], ws)  # the run edits one rep's workbook and writes outputs
    out = tmp_path / "results.md"
    found = office.soffice
    [result] = bench_run.main(["--workspace", str(ws), "--reps", "5", "--in-process", "--out", str(out)])
    assert office.soffice is found  # the runs' "no PDFs" is given back: the tests after it in this process find LibreOffice
    assert result["full"]["failed"] == []
    assert result["floor"]["cells_read"] == result["naive"]["cells"] > 0  # the same input cells, two readers
    assert result["floor"]["cells_written"] > 0 and result["floor"]["files_written"] == result["full"]["files_written"]
    assert result["warm"]["rows"] == result["cold"]["rows"] == result["intake"]["rows"] > 0
    assert "读取工作簿" in result["full"]["timings"] and "写出工作簿" in result["full"]["timings"]
    text = out.read_text(encoding="utf-8")
    assert "one-process floor" in text and "nproc" in text and "写出工作簿" in text
    # the day again: nothing changed skips the whole day; one rep's edit writes some workbooks and keeps the rest
    assert result["rerun"]["unchanged"] and result["rerun"]["files_kept"] == result["full"]["files_written"]
    changed = result["rerun_changed"]
    assert not changed["unchanged"] and 0 < changed["files_kept"] < changed["files_written"]
    assert "day rerun, nothing changed / full" in text and "Load average" in text

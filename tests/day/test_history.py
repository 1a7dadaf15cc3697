"""Issue 17: the input history, the change audit (变更记录), replay and closing a month's commission.

The comparison is tested on tables in the business's notation (books/changes.compare); the rest on real
workspaces run through the command line: real workbooks written and read back, the outputs opened.
"""

from __future__ import annotations

import gzip
import sqlite3
import sys
from contextlib import closing
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
import yaml

from neiqin_xl import cli
from neiqin_xl.books.changes import compare
from neiqin_xl.deliver.run_state import RunState
from neiqin_xl import input_history
from neiqin_xl.status import status_text

from ..helpers import table, tables
from ..helpers_intake import write_book

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import compare_outputs  # noqa: E402

RUN = date(2026, 12, 2)


def changes_of(before, after, closed=()):
    frame = compare(before, after, {"张伟.xlsx"}, RUN, closed)
    return frame.drop(columns=["工作簿"]).to_dict("records")


# ---------------------------------------------------------------- the comparison (books/changes.py)

COLLECTION = {"回款日期": "2026-11-17", "客户名称": "明达", "合同编号": "HT-1", "回款金额": "10,000.00", "银行流水号": "HK-1"}


def test_a_collection_amount_raised_in_a_past_month_is_one_change_marked_past():
    before = tables(回款=table("回款", [COLLECTION]))
    after = tables(回款=table("回款", [{**COLLECTION, "回款金额": "12,000.00"}]))

    # the same 银行流水号: one 修改 of 回款金额 10,000.00 → 12,000.00; dated 2026-11, before the run's December
    assert changes_of(before, after) == [{
        "业务员": "张伟", "工作表": "回款", "现行号": 2, "原行号": 2, "单据": "银行流水号 HK-1", "字段": "回款金额",
        "原值": "10,000.00", "新值": "12,000.00", "类型": "修改", "日期": "2026-11-17", "月份": "2026-11",
        "标记": "往月 2026-11"}]


def test_a_deleted_row_is_one_change_with_its_old_row():
    shipments = [{"发货单号": "FH-1", "发货日期": "2026-12-01", "合同编号": "HT-1", "发货金额": "5,000.00"},
                 {"发货单号": "FH-2", "发货日期": "2026-10-20", "合同编号": "HT-1", "发货金额": "8,000.00"}]
    before = tables(发货=table("发货", shipments))
    after = tables(发货=table("发货", shipments[:1]))

    [change] = changes_of(before, after)
    # FH-2 was Excel row 3 (the second data row); dated October: 往月
    assert (change["类型"], change["单据"], change["原行号"], change["现行号"], change["标记"]) == \
           ("删除", "发货单号 FH-2", 3, None, "往月 2026-10")
    assert change["原值"].startswith("发货单号 FH-2；发货日期 2026-10-20；合同编号 HT-1；发货金额 8,000.00")


def test_a_row_re_dated_into_a_closed_month_is_marked_closed():
    invoice = {"发票号码": "FP-3", "开票日期": "2026-12-01", "合同编号": "HT-1", "开票金额": "3,000.00"}
    before = tables(开票=table("开票", [invoice]))
    after = tables(开票=table("开票", [{**invoice, "开票日期": "2026-11-28"}]))

    [change] = changes_of(before, after, closed=["2026-11"])
    # moved from December (open) into November (closed): the closed month is what the mark names
    assert (change["字段"], change["原值"], change["新值"], change["月份"], change["标记"]) == \
           ("开票日期", "2026-12-01", "2026-11-28", "2026-11、2026-12", "已结账 2026-11")


def test_re_sorting_and_inserting_rows_is_no_change():
    collections = [COLLECTION, {**COLLECTION, "回款日期": "2026-11-20", "银行流水号": "HK-2"}]
    expenses = [{"日期": "2026-11-03", "费用类别": "差旅费", "金额": "300.00"},
                {"日期": "2026-11-04", "费用类别": "餐费", "金额": "80.00"}]
    before = tables(回款=table("回款", collections), 费用=table("费用", expenses))
    # the rows in the other order, below a new row of today's month: only that row is a change
    new = {"日期": "2026-12-02", "费用类别": "餐费", "金额": "60.00"}
    after = tables(回款=table("回款", collections[::-1]), 费用=table("费用", [new, *expenses[::-1]]))

    [change] = changes_of(before, after)
    assert (change["类型"], change["工作表"], change["现行号"], change["单据"], change["标记"]) == \
           ("新增", "费用", 2, "费用 第2行", "")


def test_a_new_row_in_todays_month_is_not_marked_past():
    before = tables(回款=table("回款", [COLLECTION]))
    after = tables(回款=table("回款", [COLLECTION, {**COLLECTION, "回款日期": "2026-12-02", "银行流水号": "HK-9"}]))

    [change] = changes_of(before, after, closed=["2026-11"])
    assert (change["类型"], change["单据"], change["月份"], change["标记"]) == ("新增", "银行流水号 HK-9", "2026-12", "")


# ---------------------------------------------------------------- the store

def test_a_stored_file_comes_back_only_when_its_hash_checks(tmp_path):
    digest = input_history.put(tmp_path, b"workbook bytes")
    assert input_history.put(tmp_path, b"workbook bytes") == digest  # stored once
    assert input_history.get(tmp_path, digest) == b"workbook bytes"

    input_history.object_path(tmp_path, digest).write_bytes(gzip.compress(b"workbook bytez"))
    with pytest.raises(input_history.Damaged, match="内容与其 sha256 不符"):
        input_history.get(tmp_path, digest)
    input_history.object_path(tmp_path, digest).write_bytes(b"not gzip")
    with pytest.raises(input_history.Damaged, match="无法解压"):
        input_history.get(tmp_path, digest)


# ---------------------------------------------------------------- a small workspace, run day by day

STAFF = [["姓名", "部门", "角色", "邮箱", "底薪", "绩效基数"],
         ["张伟", "销售部", "业务员", "zhangwei@example.com", 5000, 2000],
         ["吴海涛", "销售部", "销售经理", "wuhaitao@example.com", None, None]]


def rep_book(path: Path, collected: float, extra: list | None = None) -> None:
    """张伟's workbook: contract HT-1 ¥100,000 shipped on 11-02, one collection of ``collected`` on 11-10."""
    write_book(path, {
        "合同": [["合同编号", "签订日期", "客户名称", "合同金额"], ["HT-1", datetime(2026, 10, 20), "明达公司", 100000]],
        "发货": [["发货单号", "发货日期", "合同编号", "发货金额"], ["FH-1", datetime(2026, 11, 2), "HT-1", 100000]],
        "回款": [["回款日期", "客户名称", "合同编号", "回款金额", "银行流水号"],
                 ["2026-11-10", "明达公司", "HT-1", collected, "HK-1"], *(extra or [])],
    })


@pytest.fixture
def workspace(tmp_path):
    ws = tmp_path / "工作区"
    for folder in ("reps", "master", "attendance", "finance"):
        (ws / folder).mkdir(parents=True)
    write_book(ws / "master" / "人员.xlsx", {"人员": STAFF})
    write_book(ws / "master" / "客户档案.xlsx", {"客户": [["客户名称", "账期天数"], ["明达公司", 30]]})
    rep_book(ws / "reps" / "张伟.xlsx", 30000)
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"paths": {"workspace": str(ws), "logs": str(tmp_path / "logs")}},
                                     allow_unicode=True), encoding="utf-8")
    return config


def run(config: Path, *args: str) -> int:
    return cli.main(["--config", str(config), "--no-email", "--quiet", *args])


def sheet_rows(path: Path, sheet: str, header: str) -> list[tuple]:
    """The rows of ``sheet`` below the header row starting with ``header``, up to the totals."""
    rows = list(openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] == header)
    return [r for r in rows[start + 1:] if r[0] not in (None, "合计")]


@pytest.mark.slow
def test_replay_reproduces_a_day_cell_by_cell_after_the_workbooks_changed(workspace):
    ws = workspace.parent / "工作区"
    assert run(workspace, "--date", "2026-11-30") == 0
    rep_book(ws / "reps" / "张伟.xlsx", 45000)  # changed after the day

    assert run(workspace, "replay", "--date", "2026-11-30") == 0

    original = compare_outputs.digest(ws / "output" / "2026-11-30", "rows")
    replayed = compare_outputs.digest(ws / "output" / "回放" / "2026-11-30", "rows")
    assert replayed == original and len(original) > 100
    assert len(input_history.runs(ws / "history")) == 1  # a replay keeps nothing in history


@pytest.mark.slow
def test_close_then_a_change_gives_an_adjustment_line_in_the_next_month(workspace):
    ws = workspace.parent / "工作区"
    assert run(workspace, "--date", "2026-11-30") == 0
    assert run(workspace, "close", "--month", "2026-11", "--date", "2026-11-27") == 2  # the month is not over
    assert run(workspace, "close", "--month", "2026-11", "--date", "2026-11-30") == 0
    assert run(workspace, "close", "--month", "2026-11", "--date", "2026-11-30") == 2  # closed already
    # no target: the lowest tier, 1% of the ¥30,000 collected in November = ¥300.00 paid
    [closed] = RunState(ws).closed_months()
    assert (closed.month, dict(closed.paid)) == ("2026-11", {"张伟": 30000})

    rep_book(ws / "reps" / "张伟.xlsx", 50000, extra=[["2026-12-01", "明达公司", "HT-1", 10000, "HK-2"]])
    assert run(workspace, "--date", "2026-12-01") == 0

    out = ws / "output" / "2026-12-01"
    # November worked out again: 1% of ¥50,000 = ¥500.00; paid ¥300.00 → 补提 ¥200.00, with the change behind it
    [line] = sheet_rows(out / "提成计算表_2026-12.xlsx", "提成调整", "业务员")
    assert line == ("张伟", "2026-11", "补提", 300, 500, 200,
                    "张伟.xlsx[回款] 银行流水号 HK-1 回款金额 30,000.00→50,000.00")
    changes = sheet_rows(out / "变更记录_2026-12-01.xlsx", "变更记录", "业务员")
    assert [(c[5], c[6], c[7], c[8], c[9], c[12]) for c in changes] == [
        ("银行流水号 HK-1", "回款金额", "30,000.00", "50,000.00", "修改", "已结账 2026-11"),
        ("银行流水号 HK-2", None, None, "回款日期 2026-12-01；客户名称 明达公司；合同编号 HT-1；回款金额 10,000.00；"
                                       "银行流水号 HK-2", "新增", None)]
    assert sheet_rows(out / "变更记录_2026-12-01.xlsx", "已结账月份差额", "业务员") == [line]
    # the 日报's 今日要点 (its own sheet) counts them in one line
    daily = [r for r in openpyxl.load_workbook(out / "销售日报_2026-12-01.xlsx")["今日要点"].iter_rows(values_only=True)
             if r[0] == "台账变更"]
    assert [r[6] for r in daily] == ["自 2026-11-30 正式运行以来台账变更：修改 1 处，新增 1 处，删除 0 处；"
                                     "其中涉及往月 0 处、已结账月份 1 处（见 变更记录）"]
    # the sales manager (人员 角色 销售经理) receives the 变更记录: recipients.audit is not set
    eml = [p for p in (ws / "outbox").rglob("*.eml") if "变更记录" in p.read_bytes().decode("utf-8", "replace")
           or "wuhaitao" in p.read_bytes().decode("utf-8", "replace")]
    assert any("wuhaitao@example.com" in p.read_bytes().decode("utf-8", "replace") for p in eml)
    # status shows the closed month and what was paid
    text = "\n".join(status_text(cli.load_settings(workspace), datetime(2026, 12, 1, 18)))
    assert "2026-11 结账于" in text and "张伟 ¥300.00" in text

    assert run(workspace, "close", "--reopen", "--month", "2026-11") == 0
    assert RunState(ws).closed_months() == ()
    with closing(sqlite3.connect(RunState(ws).path)) as con:  # the state's close_log table records the reopening
        assert con.execute("SELECT action FROM close_log ORDER BY id DESC").fetchone() == ("reopen",)
    # replayed after the reopening, 12-01 still shows what it showed: the day's closed months are in its index
    assert run(workspace, "replay", "--date", "2026-12-01") == 0
    assert compare_outputs.digest(ws / "output" / "回放" / "2026-12-01", "rows") == compare_outputs.digest(out, "rows")


@pytest.mark.slow
def test_a_damaged_history_file_is_reported_and_not_used(workspace):
    ws = workspace.parent / "工作区"
    assert run(workspace, "--date", "2026-11-30") == 0
    [record] = input_history.runs(ws / "history")
    rep = next(i for i in record["inputs"] if i["name"] == "张伟.xlsx")
    input_history.object_path(ws / "history", rep["sha256"]).write_bytes(gzip.compress(b"tampered"))
    rep_book(ws / "reps" / "张伟.xlsx", 50000)

    assert run(workspace, "--date", "2026-12-01") == 0
    problems = sheet_rows(ws / "output" / "2026-12-01" / "数据问题清单_2026-12-01.xlsx", "问题清单", "严重程度")
    damaged = [p for p in problems if "已损坏" in (p[7] or "")]
    assert [(p[0], p[2]) for p in damaged] == [("错误", "张伟.xlsx")]
    # the damaged file is not compared with: no change is made up from it
    assert sheet_rows(ws / "output" / "2026-12-01" / "变更记录_2026-12-01.xlsx", "变更记录", "业务员") == []
    # and a day whose inputs are damaged cannot be replayed: said, exit 1
    assert run(workspace, "replay", "--date", "2026-11-30") == 1


@pytest.mark.slow
def test_keep_days_prunes_old_runs_and_the_files_only_they_named(workspace, tmp_path):
    ws = workspace.parent / "工作区"
    assert run(workspace, "--date", "2026-11-02") == 0
    old = {i["sha256"] for i in input_history.runs(ws / "history")[0]["inputs"] if i["name"] == "张伟.xlsx"}
    rep_book(ws / "reps" / "张伟.xlsx", 50000)
    assert run(workspace, "--date", "2026-11-30") == 0
    data = yaml.safe_load(workspace.read_text(encoding="utf-8"))
    workspace.write_text(yaml.safe_dump({**data, "history": {"keep_days": 10}}, allow_unicode=True), encoding="utf-8")

    assert run(workspace, "--date", "2026-12-01") == 0

    # 11-02 is more than 10 days before 12-01: its index goes, and 张伟's old workbook with it
    assert [r["run_date"] for r in input_history.runs(ws / "history")] == ["2026-11-30", "2026-12-01"]
    assert not any(input_history.object_path(ws / "history", d).exists() for d in old)


@pytest.mark.slow
def test_a_workbook_that_cannot_be_opened_today_is_not_read_as_every_row_deleted(workspace):
    ws = workspace.parent / "工作区"
    assert run(workspace, "--date", "2026-11-30") == 0
    (ws / "reps" / "张伟.xlsx").write_bytes(b"PK\x03\x04 broken by a USB stick")

    run(workspace, "--date", "2026-12-01")

    out = ws / "output" / "2026-12-01"
    assert sheet_rows(out / "变更记录_2026-12-01.xlsx", "变更记录", "业务员") == []
    problems = sheet_rows(out / "数据问题清单_2026-12-01.xlsx", "问题清单", "严重程度")
    assert any(p[0] == "错误" and p[2] == "张伟.xlsx" for p in problems)  # the 问题清单 says why

"""Issue 28 part 4: a rep whose sheet could not be read is not reported as final. The workbooks are written and
read back through the loader; the 提成计算表, the rep's 提成确认单 and the 日报's per-rep table say 数据不全 and why."""

from __future__ import annotations

from datetime import date

import pandas as pd

from neiqin_xl.books.roster import incomplete_reps
from neiqin_xl.core.model import ERROR
from neiqin_xl.loader import open_books, report_context
from neiqin_xl.reports import commission, daily

from ..helpers_intake import COLLECTION_HEADER, CONTRACT_HEADER, workspace, write_book

MONTH_END = date(2026, 11, 30)  # a Monday, November's last working day: the commission is the month-end figure
WHY = "张伟.xlsx[发货] 未读取: 第 1 行表头缺少必填列: 发货金额"


def books(tmp_path):
    settings = workspace(tmp_path)
    write_book(settings.folder("master") / "人员.xlsx", {"人员": [
        ["姓名", "部门", "角色", "底薪", "绩效基数"], ["张伟", "销售一部", "业务员", 5000, 2000],
        ["李娜", "销售二部", "业务员", 5000, 2000]]})
    reps = settings.folder("reps")
    # 张伟's 发货 amounts sit under a header no definition knows, as text: no column is read as 发货金额, the
    # sheet's two rows are left out (one error for the sheet, not one per row)
    write_book(reps / "张伟.xlsx", {
        "合同": [CONTRACT_HEADER, ["HT-1", date(2026, 11, 2), "上海明达", "设备", 100000, "月结"]],
        "发货": [["发货单号", "发货日期", "合同编号", "出库额(见单)"],
                 ["FH-1", date(2026, 11, 5), "HT-1", "见出库单"], ["FH-2", date(2026, 11, 6), "HT-1", "见出库单"]],
        "回款": [COLLECTION_HEADER, [date(2026, 11, 10), "上海明达", "HT-1", 10000, "LS-1"]]})
    write_book(reps / "李娜.xlsx", {
        "合同": [CONTRACT_HEADER, ["HT-2", date(2026, 11, 3), "杭州远景", "设备", 50000, "月结"]],
        "回款": [COLLECTION_HEADER, [date(2026, 11, 11), "杭州远景", "HT-2", 5000, "LS-2"]]})
    loaded = open_books(settings, MONTH_END)
    return report_context(loaded, settings, MONTH_END)


def test_a_rep_whose_sheet_was_not_read_is_marked_incomplete_everywhere(tmp_path):
    ctx = books(tmp_path)
    assert incomplete_reps(ctx.problems) == {"张伟": WHY}

    out = commission.build(ctx)
    summary = out.data.summary.set_index("业务员")
    # no targets: the lowest tier, 1%. 张伟 collected 10,000.00 → 100.00; 李娜 5,000.00 → 50.00
    assert int(summary.at["张伟", "提成金额"]) == 100_00 and int(summary.at["李娜", "提成金额"]) == 50_00
    assert summary.at["张伟", "备注"].startswith("数据不全：" + WHY)
    assert "数据不全" not in summary.at["李娜", "备注"]
    assert out.figures["provisional"] is False and out.figures["incomplete_reps"] == ["张伟"]

    zhang = next(s for s in out.workbooks if s.for_rep == "张伟").sheets[0]
    li = next(s for s in out.workbooks if s.for_rep == "李娜").sheets[0]
    assert zhang.title == "提成确认单 2026-11（数据不全） — 张伟" and li.title == "提成确认单 2026-11 — 李娜"
    assert f"数据不全，不是正式数：{WHY}。补齐后重新出单。" in zhang.subtitle
    assert not any("签字：" in n for n in zhang.notes) and any("业务员签字" in n for n in li.notes)
    mail = {d.rep: d for d in out.deliveries}
    assert "数据不全，不是正式数" in mail["张伟"].summary_text and "签字交回" not in mail["张伟"].summary_text
    assert "数据不全" not in mail["李娜"].summary_text

    day = daily.build(ctx)
    by_rep = day.data.by_rep.set_index("业务员")
    assert by_rep.at["张伟", "数据不全"] == WHY and by_rep.at["李娜", "数据不全"] == ""
    [table] = day.workbooks[0].sheets[0].tables
    assert table.columns[-1].name == "数据不全"
    assert f"[数据不全: {WHY}]" in day.deliveries[0].summary_text


def test_a_single_bad_row_leaves_the_rep_final(tmp_path):
    settings = workspace(tmp_path)
    write_book(settings.folder("reps") / "李娜.xlsx", {
        "回款": [COLLECTION_HEADER, [date(2026, 11, 11), "杭州远景", "HT-2", "五千", "LS-2"],
                [date(2026, 11, 12), "杭州远景", "HT-2", 5000, "LS-3"]]})
    ctx = report_context(open_books(settings, MONTH_END), settings, MONTH_END)
    assert [p.cell for p in ctx.problems if p.rep == "李娜" and p.severity == ERROR]  # the one row's error
    assert incomplete_reps(ctx.problems) == {}
    assert "数据不全" not in daily.build(ctx).data.by_rep.columns


def test_a_rep_whose_whole_workbook_failed_is_listed_incomplete_not_dropped(tmp_path):
    # 张伟's workbook is cut off half way (a copy interrupted on the shared drive): a real .xlsx, truncated, that
    # no reader can open. His 角色 is blank: the workbook in the reps folder says he is a rep, read or not
    settings = workspace(tmp_path)
    write_book(settings.folder("master") / "人员.xlsx", {"人员": [
        ["姓名", "部门", "角色", "底薪", "绩效基数"], ["张伟", "销售一部", "", 5000, 2000],
        ["李娜", "销售二部", "业务员", 5000, 2000]]})
    reps = settings.folder("reps")
    whole = write_book(reps / "张伟.xlsx", {
        "合同": [CONTRACT_HEADER, ["HT-1", date(2026, 11, 2), "上海明达", "设备", 100000, "月结"]],
        "回款": [COLLECTION_HEADER, [date(2026, 11, 10), "上海明达", "HT-1", 10000, "LS-1"]]}).read_bytes()
    (reps / "张伟.xlsx").write_bytes(whole[: len(whole) // 2])
    write_book(reps / "李娜.xlsx", {
        "合同": [CONTRACT_HEADER, ["HT-2", date(2026, 11, 3), "杭州远景", "设备", 50000, "月结"]],
        "回款": [COLLECTION_HEADER, [date(2026, 11, 11), "杭州远景", "HT-2", 5000, "LS-2"]]})
    ctx = report_context(open_books(settings, MONTH_END), settings, MONTH_END)
    why = "张伟.xlsx 未读取: 无法打开工作簿: 文件已损坏"
    assert incomplete_reps(ctx.problems) == {"张伟": why}

    out = commission.build(ctx)
    summary = out.data.summary.set_index("业务员")
    # 张伟 is on the 提成计算表 with nothing read: 0.00, and why; 李娜 5,000.00 at 1% → 50.00 as before
    assert list(summary.index) == ["张伟", "李娜"]
    assert int(summary.at["张伟", "提成金额"]) == 0 and int(summary.at["李娜", "提成金额"]) == 50_00
    assert summary.at["张伟", "备注"].startswith("数据不全：" + why)
    zhang = next(s for s in out.workbooks if s.for_rep == "张伟").sheets[0]
    assert zhang.title == "提成确认单 2026-11（数据不全） — 张伟"

    day = daily.build(ctx)
    by_rep = day.data.by_rep.set_index("业务员")
    assert list(by_rep.index) == ["张伟", "李娜"]
    assert by_rep.at["张伟", "数据不全"] == why and by_rep.at["李娜", "数据不全"] == ""
    assert int(by_rep.at["张伟", "本月回款"]) == 0 and int(by_rep.at["李娜", "本月回款"]) == 5000_00
    assert pd.isna(by_rep.at["张伟", "回款排名"])  # no target: not ranked, as any rep without one
    assert f"[数据不全: {why}]" in day.deliveries[0].summary_text

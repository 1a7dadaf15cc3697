"""客户服务 (books/feedback.py, reports/service.py and the 反馈 sheet): days open in working days and overdue,
complaints in the 日报's 今日要点, who is due a 回访, satisfaction by rep and month, the 月报's section, the
clerk's own master/客户服务.xlsx, the 1–5 check on 满意度, and the 客户服务跟踪 workbook as written."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import openpyxl
import pandas as pd
import xlsxwriter

from neiqin_xl.books import feedback as S
from neiqin_xl.books.validate import check_ranges
from neiqin_xl.core.config import Settings
from neiqin_xl.deliver.writer import write_workbook
from neiqin_xl.read.intake import read_workspace
from neiqin_xl.reports import daily

from ..helpers import context, reports, table, tables

D = date(2026, 11, 30)  # a Monday; November 2026 has no holiday
SETTINGS = Settings()  # service.response_days 3, revisit_days 90


def feedback_book():
    """张伟's 反馈 sheet (Excel rows 2..8) and the other sheets the rules read."""
    fb = table("反馈", [
        {"日期": "2026-11-24", "客户名称": "明达", "类型": "投诉", "合同编号": "HT-1", "内容": "设备报警", "状态": "处理中"},
        {"日期": "2026-11-25", "客户名称": "恒远", "类型": "投诉", "产品": "变频器"},  # 状态 blank = 待处理
        {"日期": "2026-11-20", "客户名称": "恒远", "类型": "咨询", "状态": "已解决"},  # solved, customer not told yet
        {"日期": "2026-11-02", "客户名称": "明达", "类型": "投诉", "状态": "已回复客户", "完成日期": "2026-11-05"},
        {"日期": "2026-11-10", "客户名称": "明达", "类型": "投诉", "状态": "已回复客户", "完成日期": "2026-12-02"},
        {"日期": "2026-11-26", "客户名称": "明达", "类型": "回访", "满意度": 5},
        {"日期": "2026-12-01", "客户名称": "明达", "类型": "投诉"},  # after the run date: not yet
    ])
    contracts = table("合同", [{"合同编号": "HT-1", "签订日期": "2026-10-01", "客户名称": "明达", "产品名称": "控制器",
                               "合同金额": "10,000"}])
    return tables(反馈=fb, 合同=contracts)


def test_days_open_are_working_days_and_overdue_past_response_days():
    items = S.open_items(feedback_book(), SETTINGS, D)
    # 11-10 投诉: answered only on 12-02, so open on 11-30: working days 11-11..11-30 = 3 + 5 + 5 + 1 = 14
    # 11-20 咨询 已解决: 11-23..27, 11-30 = 6;  11-24 投诉: 25, 26, 27, 30 = 4;  11-25 投诉: 26, 27, 30 = 3
    # overdue = more than 3 working days; the overdue first, then the longest waiting
    got = [(f"{r['日期']:%m-%d}", r["类型"], r["状态"], r["已开天数"], bool(r["超时"])) for r in items.to_dict("records")]
    assert got == [("11-10", "投诉", "已回复客户", 14, True), ("11-20", "咨询", "已解决", 6, True),
                   ("11-24", "投诉", "处理中", 4, True), ("11-25", "投诉", "待处理", 3, False)]


def test_days_open_skip_the_national_day_holiday_and_count_the_swapped_saturday():
    fb = tables(反馈=table("反馈", [{"日期": "2026-09-30", "客户名称": "明达", "类型": "投诉"}]))
    # 10-01..07 are holidays: on Friday 10-09 the complaint has waited 10-08 and 10-09 = 2 working days
    assert S.open_items(fb, SETTINGS, date(2026, 10, 9))["已开天数"].tolist() == [2]
    # Saturday 10-10 is a swapped working day (调休): on Monday 10-12 it is 4, past 3: overdue
    assert S.open_items(fb, SETTINGS, date(2026, 10, 12))[["已开天数", "超时"]].values.tolist() == [[4, True]]


def test_overdue_complaints_are_in_the_daily_highlights():
    ctx = context(feedback_book(), run_date=D)
    lines = daily.complaints_overdue(ctx.tables, ctx.settings, D)
    # the two 投诉 past 3 working days (the 咨询 is overdue too, but only complaints go to the 日报)
    assert [(h["类别"], h["客户名称"], h["合同编号"], h["说明"]) for h in lines] == [
        ("投诉超时", "明达", "", "投诉已 14 个工作日未回复客户 (已回复客户)"),
        ("投诉超时", "明达", "HT-1", "投诉已 4 个工作日未回复客户 (处理中): 设备报警")]
    highlights = daily.build(ctx).data.highlights
    assert (highlights["类别"] == "投诉超时").sum() == 2


def test_complaints_per_customer_and_per_product():
    t = feedback_book()
    by_customer = S.complaints_by(t, SETTINGS, D, "客户名称")
    # 明达: 11-24, 11-02, 11-10 (the 12-01 one is after the run date); open: 11-24 and 11-10.  恒远: 11-25, open
    assert by_customer.values.tolist() == [["明达", 3, 2, pd.Timestamp("2026-11-24")],
                                           ["恒远", 1, 1, pd.Timestamp("2026-11-25")]]
    by_product = S.complaints_by(t, SETTINGS, D, "产品")
    # 11-24 names HT-1 → its 产品名称 控制器; 11-25 names 变频器; 11-02 and 11-10 name nothing → 未注明;
    # most complaints first, then the most recent
    assert by_product.values.tolist() == [["未注明", 2, 1, pd.Timestamp("2026-11-10")],
                                          ["变频器", 1, 1, pd.Timestamp("2026-11-25")],
                                          ["控制器", 1, 1, pd.Timestamp("2026-11-24")]]


def test_revisit_due_after_90_days_without_contact_for_customers_with_a_contract_this_year():
    contracts = table("合同", [
        {"合同编号": "A", "签订日期": "2026-03-01", "客户名称": "甲公司", "合同金额": "1"},
        {"合同编号": "B", "签订日期": "2026-05-01", "客户名称": "乙公司", "合同金额": "1"},
        {"合同编号": "C", "签订日期": "2025-11-29", "客户名称": "丙公司", "合同金额": "1"},  # 366 days before: not in the year
        {"合同编号": "D", "签订日期": "2026-10-15", "客户名称": "丁公司", "合同金额": "1"},
        {"合同编号": "E", "签订日期": "2026-06-01", "客户名称": "东方公司", "合同金额": "1"},
        {"合同编号": "F", "签订日期": "2026-06-01", "客户名称": "西山公司", "合同金额": "1", "业务员": "王强"},
    ])
    activities = table("日报", [{"日期": "2026-09-01", "客户名称": "甲公司", "活动类型": "电话"},  # 90 days: within
                               {"日期": "2026-08-31", "客户名称": "乙公司", "活动类型": "拜访"}])  # 91 days: due
    feedback = table("反馈", [{"日期": "2026-10-20", "客户名称": "丁公司", "类型": "回访"},  # a 回访: contact
                             {"日期": "2026-11-01", "客户名称": "西山公司", "类型": "投诉"}])  # a complaint is not a 回访
    archive = table("客户", [{"客户名称": "乙公司", "负责业务员": "李娜"}])
    due = S.revisits_due(tables(合同=contracts, 日报=activities, 反馈=feedback, 客户=archive), SETTINGS, D)
    # never contacted first (by name), then the longest without contact; 乙公司's rep from the archive
    assert [(r["客户名称"], r["业务员"], r["最近联系方式"], None if pd.isna(r["未联系天数"]) else r["未联系天数"])
            for r in due.to_dict("records")] == [("东方公司", "张伟", "从未联系", None), ("西山公司", "王强", "从未联系", None),
                                                 ("乙公司", "李娜", "日报拜访", 91)]


def test_satisfaction_by_rep_and_month():
    mine = table("反馈", [{"日期": "2026-11-03", "客户名称": "甲", "类型": "满意度调查", "满意度": 5},
                          {"日期": "2026-11-20", "客户名称": "甲", "类型": "回访", "满意度": 4},
                          {"日期": "2026-10-15", "客户名称": "甲", "类型": "回访", "满意度": 3},
                          {"日期": "2026-11-21", "客户名称": "甲", "类型": "回访", "满意度": 6},  # out of range: left out
                          {"日期": "2025-11-30", "客户名称": "甲", "类型": "回访", "满意度": 1}])  # before the 12 months
    clerk = table("反馈", [{"日期": "2026-11-10", "客户名称": "乙", "类型": "满意度调查", "满意度": 2},
                           {"日期": "2026-11-11", "客户名称": "新客户", "类型": "满意度调查", "满意度": 4}],
                  rep="")  # master/客户服务.xlsx: no rep; 乙's 负责业务员 is 王强, 新客户 is in no archive → 内勤
    clerk["来源工作簿"] = "客户服务.xlsx"
    t = tables(反馈=pd.concat([mine, clerk], ignore_index=True), 客户=table("客户", [{"客户名称": "乙", "负责业务员": "王强"}]))
    got = S.satisfaction(t, D)
    # 张伟 11: (5 + 4) / 2 = 4.50; 张伟 10: 3.00; 王强 11: 2.00; 内勤 11: 4.00
    assert [(r["业务员"], r["月份"], r["评价数"], str(r["平均满意度"])) for r in got.to_dict("records")] == [
        ("内勤", "2026-11", 1, "4.00"), ("张伟", "2026-10", 1, "3.00"), ("张伟", "2026-11", 2, "4.50"),
        ("王强", "2026-11", 1, "2.00")]


def test_a_score_outside_1_to_5_is_a_warning_at_its_cell():
    t = tables(反馈=table("反馈", [{"日期": "2026-11-03", "客户名称": "甲", "类型": "回访", "满意度": 4},
                                 {"日期": "2026-11-04", "客户名称": "甲", "类型": "回访", "满意度": 0}]))
    found = check_ranges(t, SETTINGS, D)
    # 满意度 is the template's 10th column (J); the second data row is Excel row 3
    assert [(p.severity, p.where(), p.message, p.value) for p in found] == [
        ("警告", "张伟.xlsx[反馈]!J3", "应在 1 到 5 之间, 不计入统计", "0")]


def test_month_report_section():
    summary = S.period_summary(feedback_book(), SETTINGS, date(2026, 11, 1), D)
    # logged in November up to 11-30: 投诉 11-24, 11-25, 11-02, 11-10; 咨询 11-20; 回访 11-26 (5 points);
    # open on 11-30: four, three overdue (see above); 明达 (contract HT-1) had its 回访 on 11-26: none due
    assert dict(zip(summary["指标"], summary["数值"])) == {
        "咨询": 1, "投诉": 4, "建议": 0, "回访": 1, "满意度调查": 0, "期末未结": 4, "其中超时": 3, "应回访客户": 0,
        "平均满意度": Decimal("5.00")}


def test_the_tracking_workbook(tmp_path):
    out = reports(context(feedback_book(), run_date=D), "service")["service"]
    assert out.figures == {"produced": True, "date": "2026-11-30", "open": 4, "overdue": 3, "revisits_due": 0,
                           "complaints_year": 4}
    path = write_workbook(out.workbooks[0], tmp_path).path
    assert path.name == "客户服务跟踪_2026-11-30.xlsx"
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["未结事项", "投诉统计", "应回访", "满意度"]
    ws = wb["未结事项"]
    header = next(r for r in range(1, 10) if ws.cell(r, 1).value == "日期")
    assert [ws.cell(header, c).value for c in (1, 2, 3, 10, 11)] == ["日期", "客户名称", "类型", "已开天数", "超时"]
    assert [ws.cell(header + 1, c).value for c in (2, 3, 10, 11)] == ["明达", "投诉", 14, "超时"]
    assert [ws.cell(header + 4, c).value for c in (2, 3, 10, 11)] == ["恒远", "投诉", 3, None]
    assert ws.conditional_formatting  # the 超时 rows highlighted


def test_not_on_a_holiday_unless_forced():
    ctx = context(feedback_book(), run_date=date(2026, 10, 3))
    assert reports(ctx, "service")["service"].workbooks == []


def test_the_clerks_own_workbook_is_read_and_its_absence_is_no_problem(tmp_path):
    ws = tmp_path / "工作区"
    (ws / "master").mkdir(parents=True)
    settings = Settings().with_workspace(ws).model_copy(
        update={"intake": Settings().intake.model_copy(update={"workers": 0, "cache": False})})
    _, problems = read_workspace(settings)
    assert not [p for p in problems if "客户服务" in p.message or "客户服务" in p.workbook]
    book = xlsxwriter.Workbook(str(ws / "master" / "客户服务.xlsx"))
    sheet = book.add_worksheet("反馈")
    sheet.write_row(0, 0, ["日期", "客户名称", "类型", "内容", "状态"])
    sheet.write_row(1, 0, ["2026-11-24", "明达", "投诉", "电话投诉到公司", "处理中"])
    book.close()
    t, _ = read_workspace(settings)
    rows = t["反馈"]
    assert rows[["客户名称", "类型", "状态", "来源工作簿", "来源行"]].values.tolist() == [["明达", "投诉", "处理中", "客户服务.xlsx", 2]]
    # no rep column and 明达 in no archive: the clerk's own (内勤); 4 working days open on 11-30: overdue
    assert S.open_items(t, SETTINGS, D)[["业务员", "已开天数", "超时"]].values.tolist() == [["内勤", 4, True]]

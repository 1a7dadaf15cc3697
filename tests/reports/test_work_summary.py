"""周/月/年工作总结 and 新客户开发: a week of two reps' 日报 worked out by hand — activities by type and by
customer, first contacts, open follow-ups, targets pro-rated to the week — and conversion days."""

from datetime import date

import openpyxl
import pandas as pd

from neiqin_xl.books import activities as A
from neiqin_xl.books import periods as P
from neiqin_xl.core.config import settings_from_dict
from neiqin_xl.core.model import WARNING, Problem
from neiqin_xl.core.names import CustomerIndex
from neiqin_xl.deliver.writer import write_workbook
from neiqin_xl.deliver.publish import write_outputs
from neiqin_xl.reports import summary

from .. import helpers
from ..helpers import fen, table, tables

S = settings_from_dict({})
MONDAY = date(2026, 11, 30)  # the first working day after the week 2026-11-23 (Mon) … 11-29 (Sun)
MINGDA, HENGYUAN, HUAXIN = "明达贸易有限公司", "恒远科技有限公司", "华信集团有限公司"


def week_books():
    """张伟 and 李娜's 日报, contracts, shipments, collections and targets around the week 11-23 … 11-29."""
    return tables(
        客户=table("客户", [{"客户名称": n} for n in (MINGDA, HENGYUAN, HUAXIN)], rep=""),
        日报=pd.concat([
            table("日报", [
                {"日期": "2026-11-10", "客户名称": MINGDA, "活动类型": "拜访", "下一步": "送报价"},
                {"日期": "2026-11-24", "客户名称": MINGDA, "活动类型": "电话", "下一步": "跟进合同"},
                {"日期": "2026-11-25", "客户名称": HENGYUAN, "活动类型": "拜访", "下一步": "下周送样"},
                {"日期": "2026-11-26", "客户名称": HENGYUAN, "活动类型": "会议", "下一步": ""},
                {"日期": "2026-11-27", "内容": "整理客户资料"},
                {"日期": "2026-11-30", "客户名称": HUAXIN, "活动类型": "拜访", "下一步": "报价"}], rep="张伟"),
            table("日报", [{"日期": "2026-11-23", "客户名称": HUAXIN, "活动类型": "拜访", "下一步": "报价"}], rep="李娜"),
        ], ignore_index=True),
        合同=table("合同", [{"合同编号": "HT1", "签订日期": "2026-11-27", "客户名称": HENGYUAN, "产品名称": "控制器",
                           "合同金额": "30,000.00"}], rep="张伟"),
        发货=table("发货", [{"发货日期": "2026-11-26", "合同编号": "HT1", "发货金额": "20,000.00"}], rep="张伟"),
        回款=table("回款", [{"回款日期": "2026-11-27", "客户名称": HENGYUAN, "合同编号": "HT1",
                           "回款金额": "10,000.00"}], rep="张伟"),
        目标=table("目标", [{"月份": "2026-11", "姓名": "张伟", "销售目标": "210,000.00", "回款目标": "105,000.00"}],
                  rep=""))


PROBLEMS = [Problem(WARNING, "日期写成了文本", workbook="张伟.xlsx", sheet="日报", cell="A7", rep="张伟"),
            Problem(WARNING, "客户不在档案", workbook="李娜.xlsx", sheet="合同", cell="C3", rep="李娜"),
            Problem(WARNING, "缺少本月目标", workbook="人员.xlsx", sheet="目标", rep="张伟")]


def week_summary():
    out = summary.build(helpers.context(week_books(), S, MONDAY, problems=PROBLEMS))
    assert [s.period.code for s in out.data.summaries] == ["2026-11-23_2026-11-29", "2026-11"]  # a month end too
    return out, out.data.summaries[0]


def page(s, rep):
    return next(p for p in s.pages if p.rep == rep)


def test_a_weeks_activities_by_type_and_by_customer():
    _, week = week_summary()
    zhang = page(week, "张伟")
    # 11-24 电话, 11-25 拜访, 11-26 会议, 11-27 no type (其他); 11-10 and 11-30 are outside the week
    assert zhang.activity.iloc[0].to_dict() == {"拜访": 1, "电话": 1, "会议": 1, "其他": 1, "活动合计": 4, "客户数": 2,
                                                "首次接触": 1, "待跟进": 1, "数据问题": 1}
    assert [(r["客户名称"], r["拜访"], r["电话"], r["会议"], r["其他"], r["合计"]) for r in zhang.customers.to_dict("records")] == [
        (HENGYUAN, 1, 0, 1, 0, 2), (A.NO_CUSTOMER, 0, 0, 0, 1, 1), (MINGDA, 0, 1, 0, 0, 1)]  # most first, then by name


def test_first_contacts_of_the_week():
    _, week = week_summary()
    # 恒远 first seen 11-25 (张伟; no contract before: 新客户); 华信 first seen 11-23 by 李娜 (张伟's 11-30 visit is
    # after the week); 明达 was first seen on 11-10
    assert [(r["客户名称"], r["日期"], r["类型"]) for r in page(week, "张伟").first_contacts.to_dict("records")] == [
        (HENGYUAN, pd.Timestamp("2026-11-25"), A.NEW)]
    assert list(page(week, "李娜").first_contacts["客户名称"]) == [HUAXIN]


def test_open_follow_ups_at_the_end_of_the_week():
    _, week = week_summary()
    # 明达: 11-10's 送报价 was followed by the 11-24 call, whose 跟进合同 is open (5 days to 11-29);
    # 恒远: 11-25's 下一步 was followed by the 11-26 meeting, which set none
    assert [(r["日期"], r["客户名称"], r["下一步"], r["已过天数"]) for r in page(week, "张伟").follow_ups.to_dict("records")] == [
        (pd.Timestamp("2026-11-24"), MINGDA, "跟进合同", 5)]
    assert [(r["客户名称"], r["已过天数"]) for r in page(week, "李娜").follow_ups.to_dict("records")] == [(HUAXIN, 6)]


def test_contracts_and_collections_against_the_target_pro_rated_to_the_week():
    _, week = week_summary()
    # November 2026 has 21 working days, the week 5: 210,000.00 × 5/21 = 50,000.00; 105,000.00 × 5/21 = 25,000.00
    perf = page(week, "张伟").performance.set_index("指标")
    # 签约完成率 as in the 日报 and 月报: 合同金额 30,000 (HT1) ÷ 销售目标 50,000 = 60%
    assert perf.loc["合同金额", "目标(按工作日折算)"] == fen("50,000.00") and str(perf.loc["合同金额", "完成率"]) == "0.6000"
    # shipments have no target of their own: shown, not rated (they were 20,000 / 50,000 "销售完成率" before)
    assert perf.loc["发货金额", "本期"] == fen("20,000.00") and pd.isna(perf.loc["发货金额", "目标(按工作日折算)"])
    assert perf.loc["发货金额", "完成率"] is None
    assert perf.loc["回款金额", "目标(按工作日折算)"] == fen("25,000.00") and str(perf.loc["回款金额", "完成率"]) == "0.4000"
    row = week.compare.set_index("业务员").loc["张伟"]
    assert (row["合同数"], row["合同金额"], row["新签约客户"], row["数据问题"]) == (1, fen("30,000.00"), 1, 1)
    assert str(row["签约完成率"]) == "0.6000" and "发货完成率" not in week.compare
    assert week.compare.set_index("业务员").at["李娜", "签约完成率"] == "无目标"  # no target row for 李娜
    # the contract signed in the week is on the page
    assert list(page(week, "张伟").contracts["合同编号"]) == ["HT1"]


def test_a_reps_open_problems_are_those_in_their_own_workbook():
    _, week = week_summary()
    # the 人员.xlsx problem names 张伟 but is the clerk's to fix
    assert list(page(week, "张伟").problems["位置"]) == ["张伟.xlsx[日报]!A7"]


def test_the_managers_workbook_and_each_reps_own(tmp_path):
    out, week = week_summary()
    manager, *own = out.workbooks[:3]
    assert manager.filename == "周工作总结_2026-11-23_2026-11-29.xlsx"
    wb = openpyxl.load_workbook(write_workbook(manager, tmp_path).path)
    assert wb.sheetnames == ["对比", "张伟", "李娜", "新客户开发"]
    # one printed page: fitToPage, 1 wide and 1 high (xlsxwriter leaves out the value 1, the OOXML default)
    assert wb["张伟"].sheet_properties.pageSetUpPr.fitToPage and wb["张伟"].page_setup.fitToHeight in (None, 1)
    # each rep's own workbook: their page only, and no other rep's name anywhere in it
    written = write_outputs({"summary": out}, tmp_path / "out", reps={"张伟", "李娜"})["summary"]
    zhang = openpyxl.load_workbook(written[1].path)
    assert written[1].path.name == "周工作总结_张伟_2026-11-23_2026-11-29.xlsx" and zhang.sheetnames == ["周工作总结"]
    cells = [str(c.value) for row in zhang["周工作总结"].iter_rows() for c in row if c.value is not None]
    assert not any("李娜" in c for c in cells)
    # no recipients key summary in config.yaml: the manager's copy goes to those of the period reports
    routes = [(d.report, d.rep, d.title) for d in out.deliveries[:3]]
    assert routes == [("period", None, "周工作总结 2026-11-23~2026-11-29"),
                      ("summary", "张伟", "周工作总结 2026-11-23~2026-11-29"),
                      ("summary", "李娜", "周工作总结 2026-11-23~2026-11-29")]


def test_the_managers_copy_goes_to_the_summary_recipients_when_configured():
    settings = settings_from_dict({"email": {"recipients": {"summary": {"to": ["gm@example.com"]}}}})
    out = summary.build(helpers.context(week_books(), settings, MONDAY))
    assert [(d.report, d.rep) for d in out.deliveries[:3]] == [("summary", None), ("summary", "张伟"),
                                                               ("summary", "李娜")]


def test_no_summary_on_a_tuesday_and_the_missed_week_on_the_next_run():
    assert summary.build(helpers.context(week_books(), S, date(2026, 12, 1))).workbooks == []
    # last run on Friday 11-27, the next on Wednesday 12-02: the week due on Monday 11-30 is caught up
    out = summary.build(helpers.context(week_books(), S, date(2026, 12, 2), last_run_date=date(2026, 11, 27)))
    assert [s.period.code for s in out.data.summaries] == ["2026-11-23_2026-11-29", "2026-11"]


# ---------------------------------------------------------------- 新客户开发

def development_books():
    """A: first visited 10-01, signed 10-31, paid 11-15. B: first called 09-20, nothing signed. C: a contract of
    08-01 before its first visit (10-05): an existing customer."""
    return tables(
        客户=table("客户", [{"客户名称": n} for n in ("甲公司", "乙公司", "丙公司")], rep=""),
        日报=table("日报", [{"日期": "2026-10-01", "客户名称": "甲公司", "活动类型": "拜访", "下一步": "报价"},
                          {"日期": "2026-10-20", "客户名称": "甲公司", "活动类型": "电话", "下一步": "签合同"},
                          {"日期": "2026-09-20", "客户名称": "乙公司", "活动类型": "电话", "下一步": "再联系"},
                          {"日期": "2026-10-05", "客户名称": "丙公司", "活动类型": "拜访"}]),
        合同=table("合同", [{"合同编号": "HT1", "签订日期": "2026-10-31", "客户名称": "甲公司", "合同金额": "5,000"},
                          {"合同编号": "HT0", "签订日期": "2026-08-01", "客户名称": "丙公司", "合同金额": "5,000"}]),
        回款=table("回款", [{"回款日期": "2026-11-15", "客户名称": "甲公司", "回款金额": "5,000"}]))


def development_of(start, end):
    t = development_books()
    customers = CustomerIndex.from_archive(t["客户"])
    acts = A.activities(t, customers, end)
    return (A.development(acts, t, customers, start, end, 60),
            A.development_by_rep(acts, t, customers, start, end, 60))


def test_conversion_days_and_customers_stale_without_a_contract():
    detail, by_rep = development_of(date(2026, 11, 1), date(2026, 11, 30))
    rows = {r["客户名称"]: r for r in detail.to_dict("records")}
    # 甲: 10-01 → 10-31 = 30 days, first paid in November; 乙: 09-20 → 11-30 = 71 days > 60 with no contract
    assert (rows["甲公司"]["转化天数"], rows["甲公司"]["状态"]) == (30, A.PAID)
    assert (rows["乙公司"]["未签约天数"], rows["乙公司"]["状态"]) == (71, A.STALE)
    assert "丙公司" not in rows  # signed before its first visit
    row = by_rep.iloc[0].to_dict()
    # in November: none first contacted, none signed, 甲 first paid, 乙 stale; to date 2 contacted, 1 signed: 50%
    assert (row["新接触"], row["新签约"], row["首次回款"], row["超期未签约"], row["累计接触"], row["累计签约"]) == (
        0, 0, 1, 1, 2, 1)
    assert str(row["累计转化率"]) == "0.5000"


def test_in_the_month_of_the_contract_the_conversion_is_counted():
    detail, by_rep = development_of(date(2026, 10, 1), date(2026, 10, 31))
    row = by_rep.iloc[0].to_dict()
    # October: 甲 first contacted and signed (30 days); 乙 (09-20) is 41 days old at 10-31: not yet stale
    assert (row["新接触"], row["新签约"], str(row["平均转化天数"]), row["超期未签约"]) == (1, 1, "30.0", 0)
    assert {r["客户名称"]: r["状态"] for r in detail.to_dict("records")} == {"甲公司": A.SIGNED}


def test_the_month_report_has_the_development_sheet():
    t = development_books()
    out = helpers.reports(helpers.context(t, S, MONDAY, last_run_date=date(2026, 11, 27)), "period")["period"]
    [month] = [w for w in out.workbooks if w.filename == "月报_2026-11.xlsx"]
    sheet = month.sheets[-1]
    assert sheet.name == "新客户开发" and sheet.tables[1].records()[0]["客户名称"] == "乙公司"


def test_weeks_are_monday_to_sunday():
    week = P.period_containing(P.WEEK, date(2026, 11, 26))
    assert (week.start, week.end, week.code) == (date(2026, 11, 23), date(2026, 11, 29), "2026-11-23_2026-11-29")


def test_one_meaning_of_signing_attainment_in_the_daily_month_and_summary_reports():
    from decimal import Decimal

    from neiqin_xl.reports import daily, period_report

    out, _ = week_summary()
    month = out.data.summaries[1]
    ctx = helpers.context(week_books(), S, MONDAY)
    # 张伟 in November: HT1 30,000 signed against 销售目标 210,000 -> 30,000 / 210,000 = 14.2857…% -> 0.1429
    in_summary = month.compare.set_index("业务员").at["张伟", "签约完成率"]
    in_daily = daily.daily_by_rep(ctx.tables, MONDAY).set_index("业务员").at["张伟", "签约完成率"]
    nov = P.period_containing(P.MONTH, MONDAY)
    in_month = period_report.compute(ctx.tables, ctx.customers, nov, 10).by_rep.set_index("业务员").at["张伟", "签约完成率"]
    assert in_summary == in_daily == in_month == Decimal("0.1429")
    # and 回款完成率 alike: 10,000 / 105,000 = 9.5238…% -> 0.0952
    assert {month.compare.set_index("业务员").at["张伟", "回款完成率"],
            daily.daily_by_rep(ctx.tables, MONDAY).set_index("业务员").at["张伟", "回款完成率"]} == {Decimal("0.0952")}

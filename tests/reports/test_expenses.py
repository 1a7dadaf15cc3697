"""The expense audit: daily caps, entertainment rules, the route check, per-rep totals; worked out by hand.

Policy (config defaults): 住宿 500 a day in 北京/上海/广州/深圳, 400 in provincial capitals, 300 elsewhere;
餐补 100 a day; 招待 names a customer, and above 2,000 carries 经理批准/已审批/经理同意; each claim's city must
appear in the rep's 日报 within ±1 day.
"""

from datetime import date

import openpyxl
import pandas as pd
import pytest

from neiqin_xl.books.periods import month_window
from neiqin_xl.core.config import settings_from_dict
from neiqin_xl.reports import expenses
from neiqin_xl.deliver.writer import write_workbook

from .. import helpers
from ..helpers import fen, header_of, table, tables

S = settings_from_dict({})


def claim(day, category, city, amount, reason=""):
    return {"日期": f"2026-11-{day:02d}", "费用类别": category, "城市": city, "金额": amount, "事由": reason}


# 张伟's claims, in row order (row numbers 2 …). Expected result of each in the comment.
ZHANG_CLAIMS = [
    claim(3, "住宿", "上海市", "300", "出差住宿"),  # 1: day total 300 ≤ 500: passes
    claim(3, "住宿", "上海", "300", "出差住宿"),  # 2: day total 600 > 500: 住宿超标 100
    claim(5, "住宿", "成都", "420", "出差住宿"),  # 3: provincial capital 400: 住宿超标 20
    claim(7, "住宿", "苏州", "300", "出差住宿"),  # 4: elsewhere 300: passes
    claim(7, "餐补", "苏州", "120"),  # 5: 餐补 100: 超标 20
    claim(3, "招待", "上海", "500", "请朋友吃饭"),  # 6: no customer named: 招待未注明客户
    claim(3, "招待", "上海", "500", "宴请明达采购部"),  # 7: 明达 is the archive alias: passes
    claim(10, "招待", "北京", "2,500", "宴请华东机电王总"),  # 8: customer from the 回款 book; > 2,000 unapproved: 500
    claim(10, "招待", "北京", "3,000", "宴请明达，经理批准"),  # 9: approved: passes
    claim(20, "交通", "成都", "200", "打车"),  # 10: 日报 in 成都 only on 11-05: 出差路线不符
    claim(6, "交通", "成都", "80", "打车"),  # 11: 11-05 is within 1 day: passes
    claim(7, "交通", "成都", "50", "打车"),  # 12: 11-05 is 2 days before: 出差路线不符
    {**claim(1, "交通", "上海", "999", "十月的票"), "日期": "2026-10-31"},  # 13: October: not in this audit
]


def context(run_date=date(2026, 11, 30), month=None, last_run_date=None):
    activities = table("日报", [{"日期": f"2026-11-{d:02d}", "城市": c, "客户名称": "明达"}
                              for d, c in ((3, "上海"), (5, "成都市"), (7, "苏州"), (10, "北京"), (19, "上海"))])
    claims = pd.concat([table("费用", ZHANG_CLAIMS, rep="张伟"),
                        table("费用", [claim(3, "交通", "上海", "100", "打车")], rep="王强")],  # no 日报: 路线不符
                       ignore_index=True)
    t = tables(客户=table("客户", [{"客户名称": "上海明达贸易有限公司", "别名": "明达"}], rep=""),
               合同=table("合同", [{"合同编号": "HT1", "签订日期": "2026-01-01", "客户名称": "上海明达贸易有限公司",
                                  "合同金额": "100,000"}]),
               回款=table("回款", [{"回款日期": "2026-11-12", "客户名称": "华东机电", "回款金额": "10,000"}]),
               日报=activities, 费用=claims)
    return helpers.context(t, S, run_date, month=month, last_run_date=last_run_date)


def flagged_by_row(result, rep="张伟"):
    flagged = result.flagged[result.flagged["业务员"] == rep]
    return {int(r) - 1: (rule, int(excess)) for r, rule, excess in
            zip(flagged["来源行"], flagged["审核结果"], flagged["超标金额"])}  # claim number = Excel row − 1


def test_daily_caps_by_city_tier_and_meal_allowance():
    result = expenses.build(context()).data
    flags = flagged_by_row(result)
    assert 1 not in flags and 4 not in flags
    assert flags[2] == ("住宿超标", fen(100))  # 300 + 300 = 600 in 上海 (上海市 = 上海), cap 500
    assert flags[3] == ("住宿超标", fen(20))  # 420 in 成都, cap 400
    assert flags[5] == ("餐补超标", fen(20))  # 120, cap 100


def test_entertainment_needs_a_customer_and_approval_above_2000():
    result = expenses.build(context()).data
    flags = flagged_by_row(result)
    assert flags[6] == ("招待未注明客户", 0)
    assert 7 not in flags and 9 not in flags
    assert flags[8] == ("招待超2000元未审批", fen(500))  # 2,500 − 2,000


def test_claim_in_a_city_the_rep_was_not_in_within_a_day():
    result = expenses.build(context()).data
    flags = flagged_by_row(result)
    assert flags[10] == ("出差路线不符", 0) and flags[12] == ("出差路线不符", 0)
    assert 11 not in flags
    # 王强 has no 日报 at all: his 上海 claim is flagged although 张伟 was in 上海 that day
    assert flagged_by_row(result, "王强") == {1: ("出差路线不符", 0)}
    assert "2026-11-20" in result.flagged.loc[result.flagged["来源行"] == 11, "说明"].iloc[0]


def test_per_rep_totals_expense_ratio_and_figures():
    out = expenses.build(context())
    by_rep = out.data.by_rep.set_index("业务员")
    # 张伟: 住宿 300+300+420+300 = 1,320; 餐补 120; 招待 500+500+2,500+3,000 = 6,500; 交通 200+80+50 = 330;
    # total 8,270 over 12 lines (the October line is left out); flagged claims 2, 3, 5, 6, 8, 10, 12:
    # 300+420+120+500+2,500+200+50 = 4,090; excess 100+20+20+500 = 640.
    zw = by_rep.loc["张伟"]
    assert (zw["笔数"], zw["住宿"], zw["餐补"], zw["招待"], zw["交通"], zw["其他"]) == (
        12, fen(1320), fen(120), fen(6500), fen(330), 0)
    assert (zw["费用合计"], zw["标记笔数"], zw["标记金额"], zw["超标金额"]) == (fen(8270), 7, fen(4090), fen(640))
    # 华东机电's 10,000 (no contract, in 张伟's workbook) is credited to 张伟: 8,270 / 10,000 = 82.7%
    assert zw["回款金额"] == fen(10000) and str(zw["费用率"]) == "0.827"
    assert pd.isna(by_rep.loc["王强", "费用率"])  # no collections: no ratio rather than a division by zero
    # flagged: 7 + 1 lines; 4,090 + 100 = 4,190; excess 640
    assert out.figures["expense_flagged_lines"] == 8
    assert out.figures["expense_flagged_amount_fen"] == fen(4190)
    assert out.figures["expense_excess_fen"] == fen(640)
    assert out.figures["expense_total_fen"] == fen(8370)  # 8,270 + 王强's 100


def test_workbook_sheets_and_values(tmp_path):
    spec = expenses.build(context()).workbooks[0]
    assert spec.filename == "费用审核_2026-11.xlsx"
    wb = openpyxl.load_workbook(write_workbook(spec, tmp_path).path)
    assert wb.sheetnames == ["审核结果", "按业务员汇总", "费用明细"]
    ws = wb["审核结果"]
    header_row, header = header_of(ws, "业务员")
    assert header == ["业务员", "日期", "费用类别", "城市", "金额", "事由", "审核结果", "超标金额", "说明", "来源"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=header_row + 1)]
    first = dict(zip(header, rows[0]))  # the earliest flagged line: 11-03 住宿 上海 300, 超标 100
    assert (first["费用类别"], first["金额"], first["超标金额"], first["审核结果"]) == ("住宿", 300.0, 100.0, "住宿超标")
    assert ws.cell(header_row + 1, 5).number_format == "#,##0.00;[Red]-#,##0.00"
    assert len(rows) == 8 + 1  # 8 flagged lines and the 合计 row
    detail = wb["费用明细"]
    assert sum(1 for r in detail.iter_rows() if r[7].value == "通过") == 5  # claims 1, 4, 7, 9, 11


def test_route_window_is_inclusive_and_counts_only_the_reps_own_city():
    # window 1 day; 张伟's 日报: 杭州 on 11-10. Claims in 杭州 on 11-09 and 11-11 pass (1 day apart), 11-12 is flagged
    # (2 days); a 南京 claim on 11-10 is flagged (no 南京 in the 日报).
    claims = table("费用", [claim(9, "交通", "杭州市", "10"), claim(11, "交通", "杭州", "10"),
                            claim(12, "交通", "杭州", "10"), claim(10, "交通", "南京", "10")])
    t = tables(日报=table("日报", [{"日期": "2026-11-10", "城市": "浙江省杭州市", "客户名称": "明达"}]), 费用=claims)
    lines = expenses.expense_lines(t, month_window(date(2026, 11, 30))).set_index("行号")
    flagged = [(f"{lines.at[f['行号'], '日期']:%m-%d}", lines.at[f["行号"], "城市"], f["规则"])
               for f in expenses.check_route(lines.reset_index(), t["日报"], S)]
    assert flagged == [("11-10", "南京", "出差路线不符"), ("11-12", "杭州", "出差路线不符")]


@pytest.mark.parametrize("typed", ["2026-13", "abc", "2026-1-5"])
def test_a_month_option_that_is_no_month_is_one_error_and_no_audit(typed):
    ctx = context(month=typed)
    out = expenses.build(ctx)
    assert [(p.severity, p.field, p.value) for p in out.problems] == [("错误", "--month", typed)]
    assert "未生成费用审核" in out.problems[0].message and out.workbooks == []


def test_a_month_option_of_an_earlier_month_audits_that_month():
    # --month 2026-10 on 11-30: only claim 13 (10-31 交通 上海 999.00) is in October.
    ctx = context(month="2026-10")
    out = expenses.build(ctx)
    assert out.problems == [] and out.workbooks[0].filename == "费用审核_2026-10.xlsx"
    assert (len(out.data.lines), int(out.data.lines["金额"].sum())) == (1, fen("999"))


def test_mailed_to_the_expenses_recipients_at_month_end_and_when_a_line_is_newly_flagged():
    # 2026-11-30 (Mon) is November's last working day: the month's audit goes out.
    [month_end] = expenses.build(context(date(2026, 11, 30))).deliveries
    assert (month_end.report, month_end.title) == ("expenses", "费用审核 2026-11")
    assert [str(a) for a in month_end.attachments] == ["费用审核_2026-11.xlsx"]
    assert month_end.summary_text.startswith("月末费用审核")
    # 11-20 (Fri), last run 11-19: 张伟's 交通 of 11-20 in 成都 (路线不符) is flagged since: mailed, one new line.
    [fresh] = expenses.build(context(date(2026, 11, 20), last_run_date=date(2026, 11, 19))).deliveries
    assert fresh.summary_text.startswith("新标记 1 笔")
    # 11-24 (Tue), last run 11-23: nothing flagged is dated 11-24: not mailed.
    assert expenses.build(context(date(2026, 11, 24), last_run_date=date(2026, 11, 23))).deliveries == []

"""回款计划 and 承兑汇票 (issue 19): due dates from the plan, the 质保金 column, the shipping check, the
reminders, the 月报's plan vs actual, and acceptance bills (commission factor, 应收票据, matching by 票据号).

The contract most cases use: HT1, 明达, signed 2026-01-05, ¥100,000, 分期, plan 30% 预付 / 60% 到货 + 30 天 /
10% 质保; shipped in full on 2026-02-01, signed for (签收) on 2026-02-05; default 账期 30 天. So by the plan:
期1 30,000 due 01-05 (signing), 期2 60,000 due 02-05 + 30 = 03-07, 期3 10,000 due 02-05 + 365 = 2027-02-05.
By the default rule everything would be due 02-01 + 30 = 03-03.
"""

from datetime import date, datetime

import openpyxl
import pandas as pd

from neiqin_xl.books.allocation import due_parts_as_of, plan_lines_as_of
from neiqin_xl.books.validate import validate
from neiqin_xl.core.config import settings_from_dict
from neiqin_xl.core.model import ERROR
from neiqin_xl.core.schema import PLAN_NODES
from neiqin_xl.read.intake import read_workspace
from neiqin_xl.reports import commission, period_report, statements
from neiqin_xl.books import periods as P
from neiqin_xl.tools.templates import write_rep_template

from .. import helpers
from ..helpers import context, fen, report, reports, table, tables
from ..helpers_finance import collections as fin_side_collections, match, receipts
from ..helpers_intake import CONTRACT_HEADER, SHIPMENT_HEADER, workspace, write_book

S = settings_from_dict({})
MINGDA = "明达"
PLAN_30_60_10 = [{"合同编号": "HT1", "期次": 1, "节点": "预付", "比例": 0.3},
                 {"合同编号": "HT1", "期次": 2, "节点": "到货", "比例": 0.6, "节点后天数": 30},
                 {"合同编号": "HT1", "期次": 3, "节点": "质保", "比例": 0.1}]


def contract(no="HT1", amount="100,000", **extra):
    return {"合同编号": no, "签订日期": "2026-01-05", "客户名称": MINGDA, "合同金额": amount, "付款方式": "分期", **extra}


def ht1(signed_for="2026-02-05", paid=(("2026-01-10", "30,000"), ("2026-03-01", "60,000")), plan=PLAN_30_60_10,
        **frames):
    """HT1 shipped in full on 02-01 (签收 ``signed_for``), collections ``paid`` naming HT1, the plan ``plan``."""
    return tables(合同=table("合同", [contract()]),
                  发货=table("发货", [{"发货日期": "2026-02-01", "合同编号": "HT1", "发货金额": "100,000", "客户名称": MINGDA,
                                    "签收日期": signed_for}]),
                  回款=table("回款", [{"回款日期": d, "客户名称": MINGDA, "合同编号": "HT1", "回款金额": a} for d, a in paid]),
                  回款计划=table("回款计划", plan), **frames)


def aging_row(t, day, settings=S):
    data = report("receivables", context(t, settings, day)).data
    return data, data.aging[data.aging["客户名称"] == MINGDA].iloc[0]


# ---------------------------------------------------------------- due dates

def test_the_ten_percent_warranty_is_not_overdue_within_warranty_and_overdue_the_day_after():
    # 30% paid 01-10 (a credit of HT1, applied to the shipment on 02-01), 60% paid 03-01: 10,000 open, the 质保
    # line, due 2027-02-05. On 2027-02-05: 逾期金额 0, 未到期质保金 10,000 (by the default rule it would be
    # 339 days overdue). Age 2027-02-05 − 2026-02-01 = 369 days: 365天以上.
    data, row = aging_row(ht1(), date(2027, 2, 5))
    assert (row["应收余额"], row["逾期金额"], row["最长逾期天数"], row["未到期质保金"]) == (fen(10000), 0, 0, fen(10000))
    assert row["365天以上"] == fen(10000)
    [part] = data.open_items.to_dict("records")
    assert (part["未收"], part["期次"], part["回款节点"], part["到期日"]) == (fen(10000), 3, "质保", pd.Timestamp("2027-02-05"))
    # the 对账函 of January 2027 (run 02-05) shows it on its own line: at 01-31 the 质保 part is not yet due
    [letter] = report("statements", context(ht1(), S, date(2027, 2, 5))).workbooks
    assert letter.sheets[0].tables[-1].records()[0] == {"项目": "其中：未到期质保金", "金额": fen(10000)}
    [pieces] = statements.all_pieces(data.open_items, S.receivables.aging_buckets).values()
    assert pieces.held == fen(10000)
    # the day after: overdue 1 day, no longer 未到期
    _, row = aging_row(ht1(), date(2027, 2, 6))
    assert (row["逾期金额"], row["最长逾期天数"], row["未到期质保金"]) == (fen(10000), 1, 0)


def test_the_sixty_percent_falls_due_thirty_days_after_arrival_not_thirty_after_shipment():
    # only the 30% paid. On 03-07 (the 期2 due date) nothing is overdue, though the default rule (03-03) would
    # make 70,000 overdue 4 days; on 03-08 the 60,000 is overdue 1 day, the 10,000 質保 still not due.
    t = ht1(paid=(("2026-01-10", "30,000"),))
    _, row = aging_row(t, date(2026, 3, 7))
    assert (row["应收余额"], row["逾期金额"], row["未到期质保金"]) == (fen(70000), 0, fen(10000))
    _, row = aging_row(t, date(2026, 3, 8))
    assert (row["逾期金额"], row["最长逾期天数"], row["未到期质保金"]) == (fen(60000), 1, fen(10000))


def test_a_node_whose_event_has_not_happened_is_not_due():
    # shipped 02-01 but not signed for: 到货 has not happened, so 期2 and 期3 have no due date. On 06-01 (four
    # months on) nothing is overdue; by the default rule 70,000 would be 90 days overdue.
    t = ht1(signed_for=None, paid=(("2026-01-10", "30,000"),))
    lines = plan_lines_as_of(helpers.context(t, S, date(2026, 6, 1)).allocation, date(2026, 6, 1))
    assert lines["到期日"].isna().tolist() == [False, True, True]
    assert lines["未回款"].tolist() == [0, fen(60000), fen(10000)]
    _, row = aging_row(t, date(2026, 6, 1))
    assert (row["应收余额"], row["逾期金额"], row["最长逾期天数"]) == (fen(70000), 0, 0)
    # signed for on 06-10: as of 06-01 that has not happened yet; on 07-11 期2 (due 06-10 + 30 = 07-10) is 1 day late
    t = ht1(signed_for="2026-06-10", paid=(("2026-01-10", "30,000"),))
    _, row = aging_row(t, date(2026, 6, 1))
    assert row["逾期金额"] == 0
    _, row = aging_row(t, date(2026, 7, 11))
    assert (row["逾期金额"], row["最长逾期天数"]) == (fen(60000), 1)


def test_an_unpaid_prepayment_is_overdue_from_signing_and_a_partial_shipment_maps_to_the_first_lines():
    # nothing paid, shipped 40,000 of 100,000 on 02-01 (signed for 02-05). The open 40,000 is the stretch 0–40,000
    # of the plan: 30,000 of 期1 (预付, due 01-05) and 10,000 of 期2. 到货 = the last 签收 of the shipments made
    # (02-05), so 期2 is due 03-07. On 03-01: 30,000 overdue since 01-05 = 55 days; the 10,000 not yet due.
    t = tables(合同=table("合同", [contract()]),
               发货=table("发货", [{"发货日期": "2026-02-01", "合同编号": "HT1", "发货金额": "40,000", "客户名称": MINGDA,
                                 "签收日期": "2026-02-05"}]),
               回款计划=table("回款计划", PLAN_30_60_10))
    parts = due_parts_as_of(helpers.context(t, S, date(2026, 3, 1)).allocation, date(2026, 3, 1))
    assert parts[["未收", "期次"]].values.tolist() == [[fen(30000), 1], [fen(10000), 2]]
    _, row = aging_row(t, date(2026, 3, 1))
    assert (row["逾期金额"], row["最长逾期天数"]) == (fen(30000), 55)


def test_a_plan_that_does_not_add_up_is_a_problem_naming_its_cells_and_the_default_rule_holds(tmp_path):
    # read for real: 30% typed as text "30%", 60% as a number 0.6: 30,000 + 60,000 = 90,000 ≠ 100,000.
    settings = workspace(tmp_path)
    write_book(settings.folder("reps") / "张伟.xlsx", {
        "合同": [CONTRACT_HEADER, ["HT1", datetime(2026, 1, 5), MINGDA, "设备", 100000, "分期"]],
        "发货": [SHIPMENT_HEADER, ["FH1", datetime(2026, 2, 1), "HT1", 100000, "已发货"]],
        "回款计划": [["合同编号", "期次", "节点", "比例", "计划金额", "计划日期", "节点后天数"],
                   ["HT1", 1, "预付", "30%"], ["HT1", 2, "到货", 0.6, None, None, 30]]})
    t, found = read_workspace(settings)
    assert t["回款计划"]["比例"].tolist() == [0.3, 0.6]
    t, problems = validate(t, settings, date(2026, 3, 10))
    [p] = [p for p in problems if p.sheet == "回款计划"]
    assert p.severity == ERROR and p.where() == "张伟.xlsx[回款计划]!E2"
    assert "合计 90,000.00 与合同金额 100,000.00 不符" in p.message
    assert "张伟.xlsx[回款计划]!D2、张伟.xlsx[回款计划]!D3" in p.message
    # no plan in use: the shipment is due 02-01 + 30 = 03-03, on 03-10 overdue 7 days
    ctx = helpers.context(t, settings, date(2026, 3, 10))
    assert ctx.allocation.plans.lines.empty
    row = report("receivables", ctx).data.aging.iloc[0]
    assert (row["逾期金额"], row["最长逾期天数"]) == (fen(100000), 7)


def test_plan_lines_need_an_amount_and_a_date_rule():
    # HT1 line 2 has neither 比例 nor 计划金额 (an error at its 计划金额 cell, E3); line 3 is 其他 without a
    # 计划日期 (an error at its 节点 cell, C4). Amounts by 计划金额: 40,000 + 60,000 = 100,000 adds up on HT2.
    t = tables(合同=table("合同", [contract(), contract("HT2")]),
               回款计划=table("回款计划", [{"合同编号": "HT1", "期次": 1, "节点": "预付", "比例": 1.0},
                                      {"合同编号": "HT1", "期次": 2, "节点": "到货"},
                                      {"合同编号": "HT1", "期次": 3, "节点": "其他", "计划金额": "0"},
                                      {"合同编号": "HT2", "期次": 1, "计划日期": "2026-03-01", "计划金额": "40,000"},
                                      {"合同编号": "HT2", "期次": 2, "计划日期": "2026-04-01", "计划金额": "60,000"}]))
    _, problems = validate(t, S, date(2026, 3, 10))
    where = sorted(p.where() for p in problems if p.severity == ERROR and "合计" not in p.message)
    assert where == ["张伟.xlsx[回款计划]!C4", "张伟.xlsx[回款计划]!E3", "张伟.xlsx[回款计划]!E4"]
    assert not [p for p in problems if "HT2" in p.message]


# ---------------------------------------------------------------- the shipping check

def test_a_customer_whose_only_open_amount_is_warranty_money_may_ship():
    # HT1 as in the first case (10,000 质保 open, due 2027-02-05); on 2026-06-01 明达 asks to ship 20,000 on HT2
    # (月结, 限额 500,000). By the default rule the 10,000 would be 90 days overdue (> 30 grace): held. By the plan
    # nothing is overdue: 当前应收 10,000 + 20,000 ≤ 500,000 -> 可发货.
    t = ht1()
    t = t.replace(合同=table("合同", [contract(), contract("HT2", 付款方式="月结")]),
                  发货=pd.concat([t["发货"], table("发货", [{"发货日期": None, "状态": "待发货", "合同编号": "HT2",
                                                             "发货金额": "20,000", "客户名称": MINGDA}])],
                                 ignore_index=True),
                  客户=table("客户", [{"客户名称": MINGDA, "信用额度": "500,000"}], rep=""))
    [r] = report("shipping", context(t, S, date(2026, 6, 1))).data.requests.to_dict("records")
    assert (r["结论"], r["当前应收"], r["逾期金额"]) == ("可发货", fen(10000), 0)


# ---------------------------------------------------------------- 回款提醒

def reminder_case():
    # HT1 by 计划日期: 期1 30,000 due 02-20, 期2 60,000 due 03-09, 期3 10,000 due 03-10; nothing paid.
    # D = 03-02, window 7 days (to 03-09): 期1 late 10 days, 期2 due in 7 days (listed), 期3 in 8 days (not).
    plan = [{"合同编号": "HT1", "期次": n, "计划日期": d, "比例": r}
            for n, d, r in ((1, "2026-02-20", 0.3), (2, "2026-03-09", 0.6), (3, "2026-03-10", 0.1))]
    return tables(合同=table("合同", [contract()]), 回款计划=table("回款计划", plan),
                  客户=table("客户", [{"客户名称": MINGDA, "联系人": "王经理", "电话": "13800000000"}], rep=""))


def test_reminders_list_late_lines_and_lines_due_within_the_window_with_contact_and_phone():
    ctx = context(reminder_case(), S, date(2026, 3, 2))
    out = reports(ctx, "collection_reminders", "daily")
    lines = out["collection_reminders"].data
    assert lines[["期次", "未回款", "状态", "天数", "联系人", "电话"]].values.tolist() == [
        [1, fen(30000), "已逾期", 10, "王经理", "13800000000"], [2, fen(60000), "即将到期", 7, "王经理", "13800000000"]]
    [d] = out["collection_reminders"].deliveries
    assert (d.rep, d.report) == ("张伟", "collection_reminders")
    assert "1 期回款已逾期 (¥30,000.00)" in d.summary_text
    # the 日报's 今日要点 has the same two lines
    highlights = out["daily"].data.highlights
    reminded = highlights[highlights["类别"] == "回款提醒"]
    assert reminded["金额"].tolist() == [fen(30000), fen(60000)]
    assert reminded["说明"].tolist() == ["第 1 期 已逾期 10 天, 联系人 王经理 13800000000",
                                       "第 2 期 即将到期 7 天, 联系人 王经理 13800000000"]
    # a window of 8 days takes 期3 in as well
    wider = settings_from_dict({"reminders": {"collection_days_before": 8}})
    lines = report("collection_reminders", context(reminder_case(), wider, date(2026, 3, 2))).data
    assert lines["期次"].tolist() == [1, 2, 3]


def test_no_reminders_on_a_non_working_day_unless_forced_or_asked_for():
    # Sunday 2026-03-01: not made (said the way every report with a DUE says it); --force or --only makes it
    sunday = date(2026, 3, 1)
    assert report("collection_reminders", context(reminder_case(), S, sunday)).figures == \
        {"produced": False, "date": "2026-03-01", "reason": "非工作日"}
    assert report("collection_reminders", context(reminder_case(), S, sunday, force=True)).figures["produced"]
    assert report("collection_reminders", context(reminder_case(), S, sunday,
                                                  only=("collection_reminders",))).figures["produced"]


# ---------------------------------------------------------------- 月报: plan vs actual

def test_month_report_plan_vs_actual_per_rep():
    # 期1 30,000 due 11-10, 期2 60,000 due 11-25, 期3 10,000 due 12-20. 50,000 received by 11-30 pays 期1 and
    # 20,000 of 期2: November's plan 90,000, received 50,000 (55.56%), 40,000 open. 期3 is December's.
    plan = [{"合同编号": "HT1", "期次": n, "计划日期": d, "比例": r}
            for n, d, r in ((1, "2026-11-10", 0.3), (2, "2026-11-25", 0.6), (3, "2026-12-20", 0.1))]
    t = tables(合同=table("合同", [contract()]), 回款计划=table("回款计划", plan),
               回款=table("回款", [{"回款日期": "2026-11-12", "客户名称": MINGDA, "合同编号": "HT1", "回款金额": "50,000"}]))
    ctx = context(t, S, date(2026, 11, 30))
    month = P.Period(P.MONTH, date(2026, 11, 1), date(2026, 11, 30))
    [row] = period_report.plan_vs_actual(ctx.allocation, month).to_dict("records")
    assert (row["业务员"], row["计划期次"], row["计划回款"], row["已回款"], row["未回款"]) == \
        ("张伟", 2, fen(90000), fen(50000), fen(40000))
    assert str(row["计划完成率"]) == "0.5556"


# ---------------------------------------------------------------- 承兑汇票

def test_commission_on_an_acceptance_bill_collection_is_multiplied_by_the_factor():
    # 张伟 collected 10,000 by 银行承兑汇票 against a target of 10,000: 100% -> 3%: 300.00 × 0.98 = 294.00.
    # With the default factor 1.0 nothing changes: 300.00.
    frames = dict(合同=table("合同", [{"合同编号": "HT1", "签订日期": "2026-01-01", "客户名称": MINGDA, "合同金额": "10,000"}]),
                  发货=table("发货", [{"发货日期": "2026-11-02", "合同编号": "HT1", "发货金额": "10,000", "客户名称": MINGDA}]),
                  回款=table("回款", [{"回款日期": "2026-11-10", "客户名称": MINGDA, "合同编号": "HT1", "回款金额": "10,000",
                                    "回款方式": "银行承兑汇票", "票据号": "3100-0051", "票据到期日": "2027-05-10"}]),
                  目标=table("目标", [{"月份": "2026-11", "姓名": "张伟", "回款目标": "10,000"}], rep=""))
    factor = settings_from_dict({"commission": {"acceptance_bill_factor": 0.98}})
    for settings, expected in ((factor, "294.00"), (S, "300.00")):
        ctx = context(tables(**frames), settings, date(2026, 11, 30))
        data, _ = commission.compute(tables=ctx.tables, allocation=ctx.allocation, settings=settings,
                                     run_date=ctx.run_date)
        assert data.summary.iloc[0]["提成金额"] == fen(expected)
    # the bill is listed in the receivables book as 应收票据 until it matures
    out = report("receivables", context(tables(**frames), S, date(2026, 11, 30)))
    bills = [s for s in out.workbooks[0].sheets if s.name == "应收票据"][0].tables[0].rows
    assert bills[["票据号", "票面金额", "距到期天数"]].values.tolist() == [["3100-0051", fen(10000), 161]]
    assert out.figures["bills_fen"] == fen(10000)
    matured = report("receivables", context(tables(**frames), S, date(2027, 5, 10)))
    assert [s.name for s in matured.workbooks[0].sheets] == ["账龄分析", "信用额度", "明细账", "核销明细", "按业务员汇总", "已结清"]


def test_reconciliation_matches_a_bill_by_its_number_like_a_bank_reference():
    # no 银行流水号 on either side; the 票据号 written 3100-0051 and 31000051 is one reference. Finance booked it
    # 20 days later (outside the 3-day window): still matched, at level 1.
    sales = fin_side_collections([{"回款日期": "2026-11-02", "客户名称": "上海明达贸易有限公司", "回款金额": "8,000.00",
                                   "回款方式": "承兑汇票", "票据号": "3100-0051"}])
    finance = receipts([{"日期": "2026-11-22", "客户名称": "上海明达贸易有限公司", "金额": "8,000.00", "票据号": "31000051",
                         "凭证号": "收-0031"}])
    result = match(sales, finance)
    assert [(m.level, m.sales, m.finance) for m in result.matches] == [(1, (0,), (0,))]


# ---------------------------------------------------------------- the template

def test_the_template_has_the_plan_sheet_with_its_drop_downs(tmp_path):
    wb = openpyxl.load_workbook(write_rep_template(tmp_path / "模板.xlsx", ["上海明达贸易有限公司"], []))
    ws = wb["回款计划"]
    assert [c.value for c in ws[1]] == ["合同编号", "期次", "节点", "比例", "计划金额", "计划日期", "节点后天数", "备注"]
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    assert rules["C2:C1001"].formula1 == '"' + ",".join(PLAN_NODES) + '"'
    assert (rules["D2:D1001"].type, rules["D2:D1001"].formula1, rules["D2:D1001"].formula2) == ("decimal", "0", "100")
    contracts = {str(dv.sqref): dv for dv in wb["合同"].data_validations.dataValidation}
    assert "预付+尾款" in contracts["G2:G1001"].formula1 and "质保金" in contracts["G2:G1001"].formula1

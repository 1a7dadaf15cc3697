"""客户档案汇总: each archive customer's business as of D, and the names the archive lacks (新客户)."""

from datetime import date

import openpyxl
import pandas as pd

from neiqin_xl.core.config import settings_from_dict
from neiqin_xl.reports import archive, receivables
from neiqin_xl.deliver.writer import write_workbook

from .. import helpers
from ..helpers import fen, table, tables

S = settings_from_dict({"company": {"name": "测试贸易有限公司"}})
D = date(2026, 11, 26)


def books():
    customers = table("客户", [
        {"客户编码": "C001", "客户名称": "明达", "别名": "明达贸易", "信用额度": "200,000", "账期天数": 30,
         "负责业务员": "张伟", "联系人": "王总", "电话": "02155550001"},
        {"客户编码": "C002", "客户名称": "华光", "信用额度": "100,000", "负责业务员": "李娜"},
        {"客户编码": "C003", "客户名称": "恒通"}])
    contracts = pd.concat([
        table("合同", [{"合同编号": "HT1", "签订日期": "2026-09-01", "客户名称": "明达", "合同金额": "100,000", "账期天数": 30},
                     {"合同编号": "HT2", "签订日期": "2026-11-05", "客户名称": "明达贸易", "合同金额": "20,000"},
                     {"合同编号": "HT9", "签订日期": "2026-12-01", "客户名称": "明达", "合同金额": "99,000"}], rep="张伟"),
        table("合同", [{"合同编号": "HT3", "签订日期": "2026-11-01", "客户名称": "华光", "合同金额": "50,000"},
                     {"合同编号": "HT7", "签订日期": "2026-11-15", "客户名称": "远方科技", "合同金额": "8,000"}], rep="李娜"),
    ], ignore_index=True)
    shipments = table("发货", [
        {"发货日期": "2026-09-10", "合同编号": "HT1", "发货金额": "60,000", "客户名称": "明达"},
        {"发货日期": "2026-11-20", "合同编号": "HT1", "发货金额": "30,000", "客户名称": "明达"}])
    collections = pd.concat([
        table("回款", [{"回款日期": "2026-10-15", "客户名称": "明达", "合同编号": "HT1", "回款金额": "50,000"},
                     {"回款日期": "2026-11-25", "客户名称": "明达", "合同编号": "HT2", "回款金额": "8,000"},
                     {"回款日期": "2026-11-28", "客户名称": "明达", "合同编号": "HT1", "回款金额": "10,000"}], rep="张伟"),
        table("回款", [{"回款日期": "2026-11-10", "客户名称": "远方科技", "回款金额": "5,000"}], rep="李娜"),
    ], ignore_index=True)
    activities = pd.concat([
        table("日报", [{"日期": "2026-11-10", "客户名称": "华光", "活动类型": "拜访"},
                     {"日期": "2026-11-20", "客户名称": "华光", "活动类型": "电话"},
                     {"日期": "2026-11-03", "客户名称": "东海实业", "活动类型": "拜访", "联系人": "刘工"}], rep="张伟"),
        table("日报", [{"日期": "2026-11-18", "客户名称": "东海实业", "活动类型": "电话"},
                     {"日期": "2026-11-20", "客户名称": "远方科技 ", "活动类型": "拜访"}], rep="李娜"),
    ], ignore_index=True)
    return tables(客户=customers, 合同=contracts, 发货=shipments, 回款=collections, 日报=activities)


def context():
    return helpers.context(books(), S, D)


def test_customer_rows_as_of_the_run_date():
    ctx = context()
    rows = archive.customer_summary(ctx.tables, ctx.allocation, ctx.customers, D).set_index("客户名称")
    assert list(rows.index) == ["明达", "华光", "恒通"]  # the archive's order, one row each
    m = rows.loc["明达"]
    # contracts up to 11-26: HT1 100,000 and HT2 20,000 (typed with the alias 明达贸易); HT9 (12-01) is later
    assert (m["合同数"], m["合同金额"], m["最近签约日期"]) == (2, fen("120,000"), pd.Timestamp("2026-11-05"))
    # shipments 60,000 (09-10, due 10-10) and 30,000 (11-20, due 12-20); 10-15 paid 50,000 of the first.
    # On 11-26: 10,000 + 30,000 open; HT2's 8,000 (11-25) has nothing to pay: a prepayment.
    # 应收余额 = 40,000 − 8,000 = 32,000; 逾期 = the 10,000 left of the item due 10-10.
    # The 11-28 collection comes after the run date and does not count.
    assert (m["应收余额"], m["逾期金额"]) == (fen("32,000"), fen("10,000"))
    assert m["最近回款日期"] == pd.Timestamp("2026-11-25")
    assert (m["客户编码"], m["联系人"], m["信用额度"], m["账期天数"]) == ("C001", "王总", fen("200,000"), 30)
    h = rows.loc["华光"]
    # a 拜访 on 11-10; the 电话 of 11-20 is no visit
    assert (h["合同数"], h["合同金额"], h["应收余额"], h["最近拜访日期"]) == (1, fen("50,000"), 0, pd.Timestamp("2026-11-10"))
    assert pd.isna(h["最近回款日期"])
    t = rows.loc["恒通"]
    assert (t["合同数"], t["合同金额"], t["应收余额"], t["逾期金额"]) == (0, 0, 0, 0) and pd.isna(t["最近签约日期"])


def test_the_archive_shows_the_ledgers_balance_and_overdue_amount():
    # one rule (books/balances.py): 明达 on 11-26 owes 40,000 − 8,000 prepaid = 32,000, of which 10,000 overdue
    # (worked out in the test above), in the 客户档案汇总 and in the 应收账款明细账's 账龄分析 alike
    ctx = context()
    rows = archive.customer_summary(ctx.tables, ctx.allocation, ctx.customers, D).set_index("客户名称")
    aging = receivables.compute(ctx.allocation, ctx.tables["客户"], S, D).aging.set_index("客户名称")
    assert (aging.loc["明达", "应收余额"], aging.loc["明达", "逾期金额"]) == (fen("32,000"), fen("10,000"))
    # the archive's customers (恒通: no business, not in the ledger: 0)
    ledger = aging[["应收余额", "逾期金额"]].reindex(rows.index, fill_value=0)
    assert rows[["应收余额", "逾期金额"]].to_dict("index") == ledger.to_dict("index")


def test_new_customers_with_first_occurrence_count_and_reps():
    ctx = context()
    fresh = archive.unknown_customers(ctx.tables, ctx.customers)
    assert list(fresh.columns[:9]) == archive.PASTE_COLUMNS
    assert list(fresh["客户名称"]) == ["东海实业", "远方科技"]  # in order of first appearance
    east, far = fresh.to_dict("records")
    # 东海实业: 张伟's 日报 (third row -> Excel row 4) on 11-03, then 李娜's on 11-18
    assert (east["首次出现"], east["出现次数"], east["业务员(全部)"]) == ("张伟.xlsx[日报]!行 4", 2, "张伟、李娜")
    assert (east["负责业务员"], east["联系人"], east["客户编码"]) == ("张伟", "刘工", "")
    assert (east[archive.SRC_WORKBOOK], east[archive.SRC_SHEET], east[archive.SRC_ROW]) == ("张伟.xlsx", "日报", 4)
    # 远方科技: 回款 11-10 (first), 合同 HT7 11-15, 日报 11-20 typed with a trailing space: 3 occurrences
    assert (far["首次出现"], far["首次日期"], far["出现次数"]) == ("李娜.xlsx[回款]!行 2", pd.Timestamp("2026-11-10"), 3)


def test_archive_workbook(tmp_path):
    out = archive.build(context())
    assert out.figures == {"customers": 3, "new_customers": 2, "receivable_fen": fen("32,000"),
                           "overdue_fen": fen("10,000")}
    written = write_workbook(out.workbooks[0], tmp_path)
    assert written.path.name == "客户档案汇总_2026-11-26.xlsx"
    wb = openpyxl.load_workbook(written.path)
    assert wb.sheetnames == ["客户档案", "新客户"]
    ws = wb["客户档案"]
    # title, 2 subtitle lines, blank, header (5), 3 customers (6-8), 合计 (9)
    assert [ws.cell(5, c).value for c in range(1, 16)] == archive.SUMMARY_COLUMNS
    assert ws["B6"].value == "明达" and ws["A9"].value == "合计" and ws["G9"].value is None  # credit limits not summed
    cached = openpyxl.load_workbook(written.path, data_only=True)["客户档案"]
    # 合同金额 120,000 + 50,000; 应收余额 32,000; 逾期 10,000
    assert (cached["J9"].value, cached["M9"].value, cached["N9"].value) == (170000, 32000, 10000)
    assert ws["K6"].number_format == "yyyy-mm-dd" and ws["M6"].number_format.startswith("#,##0.00")
    fresh = wb["新客户"]
    # title, 3 subtitle lines, blank, header (6)
    assert [fresh.cell(6, c).value for c in range(1, 10)] == archive.PASTE_COLUMNS
    assert (fresh["B7"].value, fresh["J7"].value) == ("东海实业", "张伟.xlsx[日报]!行 4")

"""财务对账: the rows of each match level; the reference rule in a month; the differences; finance total rows;
missing exports; the month-due rule; the workbook as finance opens it.

Tables are typed as the clerk and finance would (yuan amounts, Chinese headers); every expected figure is
worked out by hand in the comment beside it.
"""

from datetime import date

import openpyxl
import pandas as pd
import pytest

from neiqin_xl.core.config import Settings
from neiqin_xl.reports import reconciliation as rec
from neiqin_xl.deliver.writer import write_workbook

from .. import helpers
from ..helpers import fen, table, tables
from ..helpers_finance import (HENGYUAN, LIANHE, MINGDA, MONTH, archive, collections, fin_balances,
                              fin_invoices, match, notes, receipts)

FIN_BOOK = "财务收款_2026-11.xlsx"


def no_items() -> pd.DataFrame:
    return pd.DataFrame({"日期": pd.Series(dtype="datetime64[us]"), "客户名称": pd.Series(dtype="str"),
                         "金额": pd.Series(dtype="int64")})


# ---------------------------------------------------------------- which month runs

def test_months_due_run_date_in_month_or_ten_days_into_the_next_or_forced():
    nov = {"2026-11"}
    # run on 11-20 and finance gave November: November
    assert rec.months_due(date(2026, 11, 20), nov) == ["2026-11"]
    # 12-10 is the 10th day of December, within the 10 days: still November
    assert rec.months_due(date(2026, 12, 10), nov) == ["2026-11"]
    # 12-11 is past the 10 days and there is no December export: nothing
    assert rec.months_due(date(2026, 12, 11), nov) == []
    # 12-05 with both exports: November (the month before) and December (the run month)
    assert rec.months_due(date(2026, 12, 5), {"2026-11", "2026-12"}) == ["2026-11", "2026-12"]
    # January 3rd looks back to the December of the year before
    assert rec.months_due(date(2027, 1, 3), {"2026-12"}) == ["2026-12"]
    # no export for the run month: nothing
    assert rec.months_due(date(2026, 11, 20), set()) == []
    # forced: that month, whatever the date and the exports
    assert rec.months_due(date(2026, 11, 20), set(), forced="2026-09") == ["2026-09"]
    # days_into_next_month: 3 -> the 5th no longer looks back
    assert rec.months_due(date(2026, 12, 5), nov, days_into_next_month=3) == []
    # from the month's last working day on, the month is due without any export (it says what is missing):
    # November 2026 ends on Monday the 30th
    assert rec.months_due(date(2026, 11, 27), set(), month_end=date(2026, 11, 30)) == []
    assert rec.months_due(date(2026, 11, 30), set(), month_end=date(2026, 11, 30)) == ["2026-11"]
    assert rec.months_due(date(2026, 12, 3), set(), month_end=date(2026, 12, 31)) == []  # the month before: an export


def test_month_end_without_any_export_or_finance_folder_says_so():
    t = month_tables()
    t.frames = {k: v for k, v in t.frames.items() if k not in rec.FINANCE_EXPORTS}
    t.inputs = []
    out = rec.build(context(t, run_date=date(2026, 11, 30)))  # November's last working day, nothing from finance
    assert [w.filename for w in out.workbooks] == ["财务对账_2026-11.xlsx"]
    assert out.figures["months"]["2026-11"]["missing_exports"] == ["财务收款", "财务开票", "应收余额"]
    assert "finance_folder_missing" not in out.figures["months"]["2026-11"]
    t.inputs = [{"path": "财务", "sha256": "", "status": "missing", "rows": {}, "folder": "finance"}]
    out = rec.build(context(t, run_date=date(2026, 11, 30)))
    assert out.figures["months"]["2026-11"]["finance_folder_missing"] == "财务"
    assert out.workbooks[0].sheets[0].subtitle[3].startswith("找不到财务导出文件夹 财务: ")
    assert "找不到财务导出文件夹 财务" in out.deliveries[0].summary_text


def test_finance_months_from_rows_and_from_file_names():
    t = tables(财务收款=receipts([{"日期": "2026-11-03", "客户名称": MINGDA, "金额": "1.00"}]))
    t.inputs = [{"path": "finance/应收余额_2026-10.xlsx", "status": "ok"},
                {"path": "finance/财务开票_2026-09.xlsx", "status": "error"}]
    # 11 from the rows, 10 from the (maybe empty) file that was read; the unreadable 09 file does not count
    assert rec.finance_months(t) == {"2026-11", "2026-10"}


# ---------------------------------------------------------------- the sheets' rows of each match level
# (the levels themselves are books/matching.py's, tested in test_matching.py)

def test_same_reference_different_amount_is_an_amount_mismatch():
    sales = collections([{"回款日期": "2026-11-09", "客户名称": MINGDA, "回款金额": "5,000.00", "银行流水号": "HX0009"}])
    finance = receipts([{"日期": "2026-11-09", "客户名称": MINGDA, "金额": "5,500.00", "银行流水号": "HX0009",
                         "凭证号": "收-0020"}])
    result = match(sales, finance)
    assert result.matches == [] and result.mismatches == [(0, 0)]
    # both lines are used: neither is listed as one-sided
    assert result.unmatched("sales").empty and result.unmatched("finance").empty
    [row] = rec.mismatch_rows(result)
    # 5,000.00 − 5,500.00 = −500.00 = −50,000 fen
    assert (row["销售金额"], row["财务金额"], row["差额"]) == (500000, 550000, -50000)
    assert row["单据号"] == "HX0009" and row["财务凭证号/发票号"] == "收-0020"


def test_same_customer_amount_and_a_date_one_day_apart_closest_date_first():
    sales = collections([{"回款日期": "2026-11-10", "客户名称": MINGDA, "回款金额": "2,000.00"},
                         {"回款日期": "2026-11-12", "客户名称": MINGDA, "回款金额": "2,000.00"}])
    # finance has one 2,000.00 on 11-13: 11-12 is 1 day away, 11-10 is 3 days away -> takes the 11-12 line
    finance = receipts([{"日期": "2026-11-13", "客户名称": MINGDA, "金额": "2000.00"}])
    result = match(sales, finance)
    assert notes(result) == [(2, "金额日期一致")] and result.matches[0].sales == (1,)
    # the 11-10 line is left: 销售有财务无 2,000.00
    left = rec.sales_only_rows(result)
    assert [(r["日期"], r["金额"]) for r in left] == [(pd.Timestamp("2026-11-10"), 200000)]


def test_a_one_character_typo_in_a_short_name_is_not_close_enough():
    sales = collections([{"回款日期": "2026-11-18", "客户名称": "杭州恒远科技有限公司", "回款金额": "900.00"}])
    # keys 杭州恒远科技 / 杭州恒远科枝 (6 chars each, one substituted = 2 indel edits): 1 − 2/12 = 0.833 < 0.90;
    # 恒远科技 vs 恒达科技 would score the same, so this is left to the clerk (or an archive alias)
    finance = receipts([{"日期": "2026-11-18", "客户名称": "杭州恒远科枝有限公司", "金额": "900.00"}])
    result = match(sales, finance)
    assert result.matches == []
    finance_only = rec.finance_only_rows(result)
    assert [(r["客户名称"], r["金额"]) for r in finance_only] == [("杭州恒远科枝有限公司", 90000)]


def test_one_finance_receipt_equal_to_two_rep_lines():
    sales = collections([{"回款日期": "2026-11-18", "客户名称": MINGDA, "回款金额": "12,000.00"},
                         {"回款日期": "2026-11-19", "客户名称": MINGDA, "回款金额": "18,000.00"},
                         {"回款日期": "2026-11-19", "客户名称": MINGDA, "回款金额": "4,000.00"}])
    # 12,000.00 + 18,000.00 = 30,000.00 (the 4,000.00 cannot be part: 30,000 − 4,000 = 26,000 is no other line)
    finance = receipts([{"日期": "2026-11-20", "客户名称": MINGDA, "金额": "30,000.00", "凭证号": "收-0031"}])
    result = match(sales, finance)
    assert notes(result) == [(3, "合并 2 笔")]
    assert result.matches[0].sales == (0, 1) and result.matches[0].finance == (0,)
    assert list(result.unmatched("sales")["金额"]) == [400000]
    rows = rec.matched_rows(result)
    # two rows for the group; the finance line only on the first, so the column sums are not doubled
    assert [(r["销售金额"], r.get("财务金额")) for r in rows] == [(1200000, 3000000), (1800000, None)]


# ---------------------------------------------------------------- finance total rows

def test_total_and_subtotal_rows_are_skipped_and_counted():
    finance = receipts([
        {"日期": "2026-11-03", "客户名称": LIANHE, "金额": "500.00", "摘要": "收联合计算机货款"},
        {"日期": "2026-11-03", "客户名称": "小计", "金额": "500.00"},
        {"日期": "2026-11-30", "客户名称": "", "金额": "500.00", "摘要": "本月合计"},
        {"日期": "2026-11-30", "客户名称": "", "金额": "8,800.00"},  # no customer, an amount: a total
        {"日期": "2026-11-30", "客户名称": "本年累计", "金额": "99,999.00"},
        {"日期": "2026-11-30", "客户名称": MINGDA, "金额": "0", "摘要": "销售发货"},  # a debit row: 贷方 empty
    ])
    t = tables(回款=collections([{"回款日期": "2026-11-03", "客户名称": LIANHE, "回款金额": "500.00"}]),
               财务收款=finance)
    result = rec.reconcile_month(t, no_items(), archive(), Settings(), MONTH)
    # rows 2, 3, 4, 5 are totals (4 rows); row 6 is a zero line; only row 1 is matched
    assert (result.skipped_total_rows, result.skipped_zero_rows) == (4, 1)
    assert notes(result.collections) == [(2, "金额日期一致")]
    assert len(result.collections.finance) == 1


# ---------------------------------------------------------------- a month: missing exports, balances, summary

def test_a_reference_0012_345_at_finance_is_the_reps_12345_in_the_month():
    # the rep typed 12345 (Excel dropped the zeros) and 0300 1234 for the invoice; finance exported 0012-345 and
    # 03001234. Finance booked both a week later (outside the 3-day window): only the references can pair them.
    t = tables(回款=collections([{"回款日期": "2026-11-02", "客户名称": MINGDA, "回款金额": "6,600.00",
                                 "银行流水号": "12345"}]),
               开票=table("开票", [{"发票号码": "0300 1234", "开票日期": "2026-11-03", "合同编号": "HT-01",
                                  "开票金额": "6,600.00", "客户名称": MINGDA}]),
               合同=table("合同", [{"合同编号": "HT-01", "签订日期": "2026-10-01", "客户名称": MINGDA,
                                  "合同金额": "6,600.00"}]),
               财务收款=receipts([{"日期": "2026-11-09", "客户名称": "明达", "金额": "6,600.00",
                                  "银行流水号": "0012-345"}]),
               财务开票=fin_invoices([{"发票号码": "03001234", "开票日期": "2026-11-10", "客户名称": MINGDA,
                                      "金额": "6,600.00"}]),
               应收余额=fin_balances([]))
    result = rec.reconcile_month(t, no_items(), archive(), Settings(), MONTH)
    assert notes(result.collections) == [(1, "流水号一致")] and notes(result.invoices) == [(1, "发票号一致")]
    figures = rec.month_figures(result)
    # nothing one-sided: 销售有财务无 0, 财务有销售无 0; 明达's 回款差额 and 开票差额 are 6,600.00 − 6,600.00 = 0
    assert figures["sales_only"]["count"] == 0 and figures["finance_only"]["count"] == 0
    mingda = result.summary.set_index("客户名称").loc[MINGDA]
    assert (mingda["回款差额"], mingda["开票差额"]) == (0, 0)


def month_tables():
    t = tables(
        回款=collections([
            {"回款日期": "2026-10-28", "客户名称": MINGDA, "回款金额": "1,000.00"},  # October: counts in the balance only
            {"回款日期": "2026-11-05", "客户名称": MINGDA, "回款金额": "10,000.00", "银行流水号": "HX0001"},
            {"回款日期": "2026-11-20", "客户名称": HENGYUAN, "回款金额": "3,000.00"},
            {"回款日期": "2026-12-01", "客户名称": MINGDA, "回款金额": "9,000.00"},  # December: nowhere
        ]),
        财务收款=receipts([
            {"日期": "2026-11-05", "客户名称": "明达", "金额": "10,000.00", "银行流水号": "HX0001"},
            {"日期": "2026-11-27", "客户名称": HENGYUAN, "金额": "2,500.00"},
            {"日期": "2026-11-30", "客户名称": "合计", "金额": "12,500.00"},
        ]),
        应收余额=fin_balances([{"客户名称": MINGDA, "期末余额": "39,000.00"},
                             {"客户名称": "杭州恒远（集团）有限公司", "期末余额": "5,000.00"},
                             {"客户名称": "合计", "期末余额": "44,000.00"}]),
    )
    return t


def month_items() -> pd.DataFrame:
    return pd.DataFrame({"日期": pd.to_datetime(["2026-10-10", "2026-11-15", "2026-12-02"]),
                         "客户名称": [MINGDA, HENGYUAN, MINGDA],
                         "金额": [fen("50,000.00"), fen("8,000.00"), fen("70,000.00")]})


def test_month_with_a_missing_invoice_export_reconciles_the_rest():
    result = rec.reconcile_month(month_tables(), month_items(), archive(), Settings(), MONTH)
    assert result.missing == ["财务开票"] and result.invoices is None and result.skipped_total_rows == 2
    summary = result.summary.set_index("客户名称")
    # 明达: collections 10,000.00 both sides (reference match);
    # sales balance at 11-30 = item 50,000.00 (10-10) − 回款 1,000.00 (10-28) − 10,000.00 (11-05) = 39,000.00,
    # finance 39,000.00 -> all 0, 一致
    mingda = summary.loc[MINGDA]
    assert (mingda["销售回款"], mingda["财务收款"], mingda["回款差额"]) == (1000000, 1000000, 0)
    assert (mingda["销售应收余额"], mingda["财务应收余额"], mingda["余额差额"]) == (3900000, 3900000, 0)
    assert pd.isna(mingda["财务开票"]) and pd.isna(mingda["开票差额"]) and mingda["状态"] == "一致"
    # 恒远: sales 3,000.00 (11-20) vs finance 2,500.00 (11-27): no match, 回款差额 = 500.00;
    # balance = 8,000.00 − 3,000.00 = 5,000.00, finance 5,000.00 (name with （）) -> 余额差额 0
    hengyuan = summary.loc[HENGYUAN]
    assert (hengyuan["销售回款"], hengyuan["财务收款"], hengyuan["回款差额"]) == (300000, 250000, 50000)
    assert (hengyuan["销售应收余额"], hengyuan["余额差额"]) == (500000, 0) and hengyuan["状态"] == "有差异"
    figures = rec.month_figures(result)
    assert figures["matched"] == {"1": 1, "2": 0, "3": 0}
    assert figures["sales_only"] == {"count": 1, "amount": 300000}
    assert figures["finance_only"] == {"count": 1, "amount": 250000}
    assert figures["missing_exports"] == ["财务开票"] and figures["customers_with_differences"] == 1
    assert figures["skipped_total_rows"] == 2


def context(t, run_date=date(2026, 12, 3), **options):
    return helpers.context(t, Settings(), run_date, customers=archive(), **options)


def test_build_runs_the_due_month_and_names_the_delivery():
    t = month_tables()
    t["发货"] = table("发货", [{"发货单号": "FH-1", "发货日期": "2026-10-10", "合同编号": "HT-01", "发货金额": "50,000.00",
                               "客户名称": MINGDA}])
    out = rec.build(context(t))  # 12-03 is within 10 days of November's end; finance gave November
    assert [w.filename for w in out.workbooks] == ["财务对账_2026-11.xlsx"]
    assert [(d.report, d.title) for d in out.deliveries] == [("reconciliation", "财务对账 2026-11")]
    assert list(out.figures["months"]) == ["2026-11"]
    # the allocation's items are the 发货 (basis shipment); 恒远 has none ->
    # its sales balance is −3,000.00 (paid without a shipment) against finance 5,000.00: −8,000.00
    hengyuan = out.data.months["2026-11"].summary.set_index("客户名称").loc[HENGYUAN]
    assert (hengyuan["销售应收余额"], hengyuan["余额差额"]) == (-300000, -800000)
    # forcing October: no finance export at all -> all three said missing
    october = rec.build(context(t, month="2026-10"))
    assert october.figures["months"]["2026-10"]["missing_exports"] == ["财务收款", "财务开票", "应收余额"]
    assert rec.build(context(t, run_date=date(2026, 12, 15))).workbooks == []
    assert rec.build(context(t, month="2026-13")).problems[0].value == "2026-13"


# ---------------------------------------------------------------- the workbook

def test_workbook_sheets_headers_totals_and_highlight(tmp_path):
    t = month_tables()
    t["开票"] = table("开票", [{"发票号码": "00001", "开票日期": "2026-11-12", "合同编号": "HT-01", "开票金额": "11,300.00",
                               "客户名称": MINGDA}])
    t["财务开票"] = fin_invoices([{"发票号码": "00001", "开票日期": "2026-11-12", "客户名称": MINGDA,
                                   "金额": "11,300.00"}])
    result = rec.reconcile_month(t, month_items(), archive(), Settings(), MONTH)
    spec = rec.layout(result, Settings(), date(2026, 12, 3))
    path = write_workbook(spec, tmp_path).path
    assert path.name == "财务对账_2026-11.xlsx"
    wb = openpyxl.load_workbook(path, data_only=True)
    assert wb.sheetnames == ["对账汇总", "已匹配", "销售有财务无", "财务有销售无", "金额不符"]
    ws = wb["对账汇总"]
    assert ws["A1"].value == "财务对账 2026-11"
    assert ws["A2"].value == "示例贸易有限公司" and "截至 2026-11-30" in ws["A4"].value
    header = next(r for r in range(1, 12) if ws.cell(r, 1).value == "客户名称")
    assert [c.value for c in ws[header]][:12] == ["客户名称", "业务员", "销售回款", "财务收款", "回款差额", "销售开票",
                                                  "财务开票", "开票差额", "销售应收余额", "财务应收余额", "余额差额", "状态"]
    # 恒远 (有差异) sorts first, then 明达; then the 合计 row
    names = [ws.cell(r, 1).value for r in range(header + 1, header + 4)]
    assert names == [HENGYUAN, MINGDA, "合计"]
    total_row = header + 3
    for col in range(3, 12):
        values = [ws.cell(r, col).value or 0 for r in range(header + 1, total_row)]
        assert ws.cell(total_row, col).value == pytest.approx(sum(values)), ws.cell(header, col).value
    # by hand: 销售回款 10,000.00 + 3,000.00 = 13,000.00; 财务收款 10,000.00 + 2,500.00 = 12,500.00;
    # 销售开票 = 财务开票 = 11,300.00; 销售应收余额 39,000.00 + 5,000.00 = 44,000.00
    assert [ws.cell(total_row, c).value for c in (3, 4, 5, 6, 7, 9)] == [13000, 12500, 500, 11300, 11300, 44000]
    assert ws.cell(header + 1, 3).number_format == "#,##0.00;[Red]-#,##0.00"
    assert ws.conditional_formatting  # 有差异 rows are highlighted
    matched = wb["已匹配"]
    m_header = next(r for r in range(1, 12) if matched.cell(r, 1).value == "类型")
    assert [c.value for c in matched[m_header]][:4] == ["类型", "匹配组", "匹配级别", "说明"]
    # the collection by 流水号, with its own 回款合计 (10,000.00); the invoice by 发票号 in a table of its own with
    # 开票合计 (11,300.00): collections and invoices are never added together
    assert [matched.cell(r, c).value for r, c in ((m_header + 1, 4), (m_header + 2, 1))] == ["流水号一致", "回款合计"]
    assert matched.cell(m_header + 2, 7).value == 10000
    i_header = next(r for r in range(m_header + 3, m_header + 8) if matched.cell(r, 1).value == "类型")
    assert matched.cell(i_header - 1, 1).value == "开票" and matched.cell(i_header + 1, 4).value == "发票号一致"
    assert (matched.cell(i_header + 2, 1).value, matched.cell(i_header + 2, 7).value) == ("开票合计", 11300)
    only = wb["销售有财务无"]
    o_header = next(r for r in range(1, 12) if only.cell(r, 1).value == "类型")
    assert only.cell(o_header + 1, 3).value == HENGYUAN and only.cell(o_header + 1, 5).value == 3000
    assert only.cell(o_header + 1, 8).value == "张伟.xlsx[回款]!4"  # the third 回款 row, Excel row 2 + 2


def test_sales_balance_from_the_allocation_items_and_an_invoice_basis():
    t = tables(
        合同=table("合同", [{"合同编号": "HT-01", "签订日期": "2026-09-01", "客户名称": MINGDA, "合同金额": "100,000.00"}]),
        开票=table("开票", [{"发票号码": "A1", "开票日期": "2026-10-20", "合同编号": "HT-01", "开票金额": "30,000.00"},
                           {"发票号码": "A2", "开票日期": "2026-11-20", "合同编号": "HT-01", "开票金额": "20,000.00"},
                           {"发票号码": "A3", "开票日期": "2026-12-02", "合同编号": "HT-01", "开票金额": "40,000.00"}]),
        回款=collections([{"回款日期": "2026-11-08", "客户名称": MINGDA, "合同编号": "HT-01", "回款金额": "25,000.00"}]),
        应收余额=fin_balances([{"客户名称": MINGDA, "期末余额": "25,000.00"}]),
        财务开票=fin_invoices([{"发票号码": "A2", "开票日期": "2026-11-20", "客户名称": MINGDA, "金额": "20,000.00"}]),
    )
    settings = Settings(receivables={"basis": "invoice"})
    ctx = helpers.context(t, settings, date(2026, 11, 30), customers=archive())
    out = rec.build(ctx)
    result = out.data.months["2026-11"]
    # the 开票 rows carry no 客户名称 here: taken from the contract. Invoices to 11-30: 30,000 + 20,000 = 50,000;
    # collected to 11-30: 25,000 -> sales balance 25,000.00 = finance's; A3 (12-02) is after the month end
    row = result.summary.set_index("客户名称").loc[MINGDA]
    assert (row["销售开票"], row["财务开票"], row["开票差额"]) == (2000000, 2000000, 0)
    assert (row["销售应收余额"], row["财务应收余额"], row["余额差额"]) == (2500000, 2500000, 0)
    # finance gave no 财务收款 for November: collections are not compared, 回款差额 stays blank, status 一致
    assert result.missing == ["财务收款"] and pd.isna(row["回款差额"]) and row["状态"] == "一致"
    assert notes(result.invoices) == [(1, "发票号一致")]


def test_names_are_normalised_the_same_however_often_they_come_back():
    # the text work is cached by the string: a number typed as 1 and as 1.0 stay different, blanks stay ''
    from neiqin_xl.core.names import match_key, normalize_name
    for _ in range(2):
        assert normalize_name(" 上海明达（集团） 有限公司 ") == "上海明达(集团)有限公司"
        assert (normalize_name(1), normalize_name(1.0), normalize_name(None), normalize_name(float("nan"))) == \
            ("1", "1.0", "", "")
        assert match_key("上海明达（集团）有限公司") == "上海明达集团"


def test_a_month_finance_booked_but_the_reps_did_not_is_all_finance_only():
    # finance has 900 from 明达 on 11-05; no rep booked a 回款 in November: 财务有销售无 900, 回款差额 −900.
    t = tables(财务收款=receipts([{"日期": "2026-11-05", "客户名称": MINGDA, "金额": "900"}]))
    month = rec.reconcile_month(t, no_items(), archive(), Settings(), MONTH)
    assert month.collections.unmatched("sales").empty
    assert month.collections.unmatched("finance")["金额"].tolist() == [fen(900)]
    row = month.summary.set_index("客户名称").loc[MINGDA]
    assert (row["销售回款"], row["财务收款"], row["回款差额"], row["状态"]) == (0, fen(900), -fen(900), "有差异")


@pytest.mark.parametrize("typed", ["2026-13", "abc", "2026-1-5"])
def test_a_month_option_that_is_no_month_is_one_error_and_no_reconciliation(typed):
    # finance gave November and 12-03 would reconcile it; a bad --month makes nothing rather than another month.
    out = rec.build(context(month_tables(), month=typed))
    assert [(p.severity, p.field, p.value) for p in out.problems] == [("错误", "--month", typed)]
    assert "未生成财务对账" in out.problems[0].message
    assert out.workbooks == [] and out.figures["months"] == {}

"""对账单: period, opening and closing balances, who gets one, and the printed file."""

from datetime import date

import openpyxl

from neiqin_xl.core.config import settings_from_dict
from neiqin_xl.core.files import Name
from neiqin_xl.deliver.writer import write_workbook
from neiqin_xl.reports import statements

from ..helpers import context, fen, report, table, tables

D = date(2026, 11, 26)


def run(t, day, settings):
    return report("statements", context(t, settings, day))


def month_case():
    # 明达: shipped 5,000 (10-10), paid 2,000 (10-20, no contract), shipped 1,000 (11-05), paid 3,000 (11-20, no contract).
    return tables(
        合同=table("合同", [{"合同编号": "HT1", "签订日期": "2026-10-01", "客户名称": "明达", "合同金额": "6,000"}]),
        发货=table("发货", [{"发货日期": "2026-10-10", "发货单号": "FH1", "合同编号": "HT1", "发货金额": "5,000", "客户名称": "明达"},
                          {"发货日期": "2026-11-05", "发货单号": "FH2", "合同编号": "HT1", "发货金额": "1,000", "客户名称": "明达"}]),
        回款=table("回款", [{"回款日期": "2026-10-20", "客户名称": "明达", "回款金额": "2,000"},
                          {"回款日期": "2026-11-20", "客户名称": "明达", "回款金额": "3,000"}]))


def test_opening_movements_closing_for_a_month():
    # period 11-01 .. 11-26. Opening = 5,000 - 2,000 = 3,000; movements: debit 1,000, credit 3,000;
    # closing = 3,000 + 1,000 - 3,000 = 1,000. Open on D: the 10-10 item got 2,000 + 3,000 = 5,000 (paid), the
    # 11-05 item 1,000 is open, due 12-05, not overdue.
    s = settings_from_dict({"receivables": {"statement_period_start": "month"}})
    out = run(month_case(), D, s)
    summary = out.data.summary.iloc[0]
    assert (summary["期初余额"], summary["本期借方"], summary["本期贷方"], summary["期末余额"]) == \
        (fen(3000), fen(1000), fen(3000), fen(1000))
    assert out.data.period == (date(2026, 11, 1), D)
    assert out.figures == {"statements": 1, "closing_balance_fen": fen(1000)}
    assert out.deliveries == []  # sent by hand
    spec = out.workbooks[0]
    assert (spec.subfolder, spec.filename) == ("对账单", Name("明达", after="_对账单_2026-11-26.xlsx"))
    moves = spec.sheets[0].tables[0].records()
    assert [(m["摘要"], m["余额"]) for m in moves] == [("期初余额", fen(3000)), ("发货 HT1", fen(4000)),
                                                      ("回款 未指定合同", fen(1000)), ("期末余额", fen(1000))]
    open_rows = spec.sheets[0].tables[1].records()
    assert [(r["单据号"], r["未收金额"], r["逾期天数"]) for r in open_rows] == [("FH2", fen(1000), 0)]


def test_who_gets_a_statement():
    # year period 2026-01-01 .. 11-26:
    # 甲 settled in 2025 (shipped and paid in 2025, nothing in 2026, balance 0)  -> never a statement
    # 乙 shipped 2,000 in 2025, nothing in 2026 (balance 2,000)                   -> statement, opening 2,000
    # 丙 shipped and paid 1,000 in February (balance 0, nothing this month)       -> only with include: all
    # 丁 shipped and paid 500 in November (balance 0, moved this month)           -> statement
    t = tables(
        合同=table("合同", [{"合同编号": c, "签订日期": "2025-01-01", "客户名称": n, "合同金额": "9,000"}
                          for c, n in (("H1", "甲"), ("H2", "乙"), ("H3", "丙"), ("H4", "丁"))]),
        发货=table("发货", [{"发货日期": "2025-05-01", "合同编号": "H1", "发货金额": "1,000", "客户名称": "甲"},
                          {"发货日期": "2025-06-01", "合同编号": "H2", "发货金额": "2,000", "客户名称": "乙"},
                          {"发货日期": "2026-02-01", "合同编号": "H3", "发货金额": "1,000", "客户名称": "丙"},
                          {"发货日期": "2026-11-02", "合同编号": "H4", "发货金额": "500", "客户名称": "丁"}]),
        回款=table("回款", [{"回款日期": "2025-05-10", "客户名称": "甲", "合同编号": "H1", "回款金额": "1,000"},
                          {"回款日期": "2026-02-10", "客户名称": "丙", "合同编号": "H3", "回款金额": "1,000"},
                          {"回款日期": "2026-11-20", "客户名称": "丁", "合同编号": "H4", "回款金额": "500"}]))
    active = run(t, D, settings_from_dict({})).data.summary.set_index("客户名称")  # statements.include: active
    assert sorted(active.index) == ["丁", "乙"]
    assert (active.loc["乙", "期初余额"], active.loc["乙", "期末余额"]) == (fen(2000), fen(2000))
    assert (active.loc["丁", "本期借方"], active.loc["丁", "本期贷方"], active.loc["丁", "期末余额"]) == (fen(500), fen(500), 0)
    summary = run(t, D, settings_from_dict({"statements": {"include": "all"}})).data.summary.set_index("客户名称")
    assert sorted(summary.index) == ["丁", "丙", "乙"]
    assert (summary.loc["丙", "期初余额"], summary.loc["丙", "本期借方"], summary.loc["丙", "期末余额"]) == (0, fen(1000), 0)


def test_the_closing_balance_in_words_on_the_statement():
    # 明达 (month_case) closes at 1,000.00: 人民币壹仟元整, in the lines above the tables
    out = run(month_case(), D, settings_from_dict({}))
    assert out.workbooks[0].sheets[0].subtitle[-1] == "期末余额（大写）：人民币壹仟元整（贵司尚欠我司）"
    # the cases an accountant checks: 零 inside, 角 with 整, only 分, and money paid in advance stated as 预收
    assert statements.closing_in_words(fen("10,005.00")) == "期末余额（大写）：人民币壹万零伍元整（贵司尚欠我司）"
    assert statements.closing_in_words(fen("100,000.50")) == "期末余额（大写）：人民币壹拾万元伍角整（贵司尚欠我司）"
    assert statements.closing_in_words(fen("0.07")) == "期末余额（大写）：人民币柒分（贵司尚欠我司）"
    assert statements.closing_in_words(fen("-2,300.00")) == "期末余额（大写）：预收人民币贰仟叁佰元整（贵司预付我司）"
    assert statements.closing_in_words(0) == "期末余额（大写）：人民币零元整（双方无欠款）"


def test_printed_statement_reads_back(tmp_path):
    # A customer whose name holds "/" gets a safe file name; portrait A4, company, period, opening 3,000, closing
    # 1,000, the signature block, a prepayment table when money is unapplied (none here).
    s = settings_from_dict({"company": {"name": "华东贸易有限公司", "contact": "王敏", "phone": "021-5555"},
                            "receivables": {"statement_period_start": "month"}})
    t = month_case()
    for name in ("合同", "发货", "回款"):
        t[name]["客户名称"] = "明达/上海"
    out = run(t, D, s)
    spec = out.workbooks[0]
    assert spec.filename == Name("明达/上海", after="_对账单_2026-11-26.xlsx")  # the name as written: the writer
    written = write_workbook(spec, tmp_path)
    assert written.path == tmp_path / "对账单" / "明达_上海_对账单_2026-11-26.xlsx"
    ws = openpyxl.load_workbook(written.path, data_only=True)["对账单"]
    assert ws.page_setup.orientation == "portrait" and ws.page_setup.paperSize == 9
    lines = [c.value for c in ws["A"] if isinstance(c.value, str)]
    assert "往来对账单" in lines and "客户: 明达/上海" in lines and "对账期间: 2026-11-01 至 2026-11-26" in lines
    assert any(line.startswith("华东贸易有限公司") and "王敏" in line and "021-5555" in line for line in lines)
    assert any("客户确认" in line and "盖章" in line and "日期" in line for line in lines)
    assert any("寄回" in line for line in lines)
    header = next(c.row for c in ws["E"] if c.value == "摘要")
    assert [ws.cell(header, col).value for col in range(1, 9)] == ["日期", "单据类型", "单据号", "合同编号", "摘要", "借方",
                                                                   "贷方", "余额"]
    assert ws.cell(header + 1, 5).value == "期初余额" and ws.cell(header + 1, 8).value == 3000
    assert ws.cell(header + 4, 5).value == "期末余额" and ws.cell(header + 4, 8).value == 1000
    assert ws.cell(header + 5, 1).value == "本期合计" and ws.cell(header + 5, 6).value == 1000
    assert ws.cell(header + 5, 7).value == 3000
    assert ws.cell(header + 1, 8).number_format.startswith("#,##0.00")


def cells(table, *columns):
    """A table's rows as tuples of the given columns, blanks (NaN) as None."""
    return [tuple(None if v != v else v for v in (r[c] for c in columns)) for r in table.records()]


def test_each_customer_gets_its_own_lines_open_items_and_prepayments():
    # month period 11-01 .. 11-26, three customers whose rows interleave in date order:
    # 甲 (H1): shipped 1,000 on 10-05; shipped 2,000 on 11-03; paid 500 naming H1 on 11-10 (pays the 10-05 item).
    #     opening 1,000 -> +2,000 = 3,000 -> −500 = 2,500 closing; open: FH1 500 (due 11-04, 22 days overdue), FH2 2,000.
    # 乙 (H2): shipped 4,000 on 10-20, nothing in the period: only opening and closing 4,000; FH3 overdue 7 days.
    # 丙 (H3): paid 3,000 naming H3 on 11-05, shipped 1,000 on 11-08 (paid from that money):
    #     0 -> −3,000 -> −2,000 closing; nothing open; 2,000 received and not yet applied.
    s = settings_from_dict({"receivables": {"statement_period_start": "month"}})
    t = tables(
        合同=table("合同", [{"合同编号": c, "签订日期": "2026-09-01", "客户名称": n, "合同金额": "9,000"}
                          for c, n in (("H1", "甲"), ("H2", "乙"), ("H3", "丙"))]),
        发货=table("发货", [{"发货日期": "2026-10-05", "发货单号": "FH1", "合同编号": "H1", "发货金额": "1,000", "客户名称": "甲"},
                          {"发货日期": "2026-10-20", "发货单号": "FH3", "合同编号": "H2", "发货金额": "4,000", "客户名称": "乙"},
                          {"发货日期": "2026-11-03", "发货单号": "FH2", "合同编号": "H1", "发货金额": "2,000", "客户名称": "甲"},
                          {"发货日期": "2026-11-08", "发货单号": "FH4", "合同编号": "H3", "发货金额": "1,000", "客户名称": "丙"}]),
        回款=table("回款", [{"回款日期": "2026-11-05", "客户名称": "丙", "合同编号": "H3", "回款金额": "3,000"},
                          {"回款日期": "2026-11-10", "客户名称": "甲", "合同编号": "H1", "回款金额": "500"}]))
    out = run(t, D, s)
    specs = {spec.filename.text: spec.sheets[0].tables for spec in out.workbooks}
    assert sorted(specs) == ["丙", "乙", "甲"]
    assert cells(specs["甲"][0], "摘要", "借方", "贷方", "余额") == [
        ("期初余额", None, None, fen(1000)), ("发货 H1", fen(2000), None, fen(3000)), ("回款", None, fen(500), fen(2500)),
        ("期末余额", None, None, fen(2500))]
    assert cells(specs["甲"][1], "单据号", "未收金额", "逾期天数") == [("FH1", fen(500), 22), ("FH2", fen(2000), 0)]
    assert cells(specs["乙"][0], "摘要", "余额") == [("期初余额", fen(4000)), ("期末余额", fen(4000))]
    assert cells(specs["乙"][1], "单据号", "未收金额", "逾期天数") == [("FH3", fen(4000), 7)]
    assert cells(specs["丙"][0], "摘要", "余额") == [("期初余额", 0), ("回款", -fen(3000)), ("发货 H3", -fen(2000)),
                                                ("期末余额", -fen(2000))]
    assert cells(specs["丙"][1], "单据号") == [] and cells(specs["丙"][2], "合同编号", "未核销金额") == [("H3", fen(2000))]
    assert len(specs["甲"]) == len(specs["乙"]) == 2  # no prepayment table without unapplied money
    summary = out.data.summary.set_index("客户名称")
    assert summary.loc["甲", ["期初余额", "本期借方", "本期贷方", "期末余额"]].tolist() == [fen(1000), fen(2000), fen(500), fen(2500)]
    assert summary.loc["乙", ["期初余额", "本期借方", "本期贷方", "期末余额"]].tolist() == [fen(4000), 0, 0, fen(4000)]

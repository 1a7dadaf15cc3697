"""Cash application as a clerk does it (issue 30): 核销单号 first, then the named contract up to what it has not
yet shipped, then the one open item of exactly the amount, else oldest first. Every figure worked out by hand."""

from __future__ import annotations

from datetime import date

import openpyxl
import pandas as pd

from neiqin_xl.books.allocation import allocate, credits_as_of
from neiqin_xl.books.prepayments import check_write_offs
from neiqin_xl.core.config import settings_from_dict
from neiqin_xl.core.model import ERROR
from neiqin_xl.deliver.writer import write_workbook
from neiqin_xl.reports import fulfilment, receivables

from ..helpers import context, fen, header_of, report, table, tables

S = settings_from_dict({})
INVOICE = settings_from_dict({"receivables": {"basis": "invoice"}})


def contracts(*rows, customer="明达"):
    return table("合同", [{"签订日期": "2026-01-01", "客户名称": customer, **r} for r in rows])


def shipments(*rows):
    return table("发货", [{"客户名称": "明达", **r} for r in rows])


def collections(*rows):
    return table("回款", [{"客户名称": "明达", **r} for r in rows])


def applied(a):
    """(回款 row, 单据号, 金额 in yuan, 规则) of every application, in booking order."""
    numbers = dict(zip(a.items["单据ID"], a.items["单据号"]))
    return [(cid.split("#")[-1], numbers[item], amount / 100, rule) for cid, item, amount, rule in
            zip(a.applications["回款ID"], a.applications["单据ID"], a.applications["金额"], a.applications["规则"])]


def example():
    # The issue's example. HT-1 100,000 (A), HT-2 80,000 (B), HT-3 50,000 (C), HT-4 60,000 (D and E); terms 30 days.
    return tables(
        合同=contracts({"合同编号": "HT-1", "合同金额": "100,000"}, {"合同编号": "HT-2", "合同金额": "80,000"},
                      {"合同编号": "HT-3", "合同金额": "50,000"}, {"合同编号": "HT-4", "合同金额": "60,000"}),
        发货=shipments({"发货单号": "A", "发货日期": "2026-08-01", "合同编号": "HT-1", "发货金额": "100,000"},
                      {"发货单号": "B", "发货日期": "2026-09-01", "合同编号": "HT-2", "发货金额": "80,000"},
                      {"发货单号": "C", "发货日期": "2026-10-01", "合同编号": "HT-3", "发货金额": "50,000"},
                      {"发货单号": "D", "发货日期": "2026-11-02", "合同编号": "HT-4", "发货金额": "30,000"},
                      {"发货单号": "E", "发货日期": "2026-11-05", "合同编号": "HT-4", "发货金额": "30,000"}),
        回款=collections({"回款日期": "2026-09-02", "回款金额": "80,000"},  # row 2
                        {"回款日期": "2026-10-15", "合同编号": "HT-3", "回款金额": "70,000"},  # row 3
                        {"回款日期": "2026-11-10", "回款金额": "30,000", "核销单号": "E"}))  # row 4


def test_the_issues_example_by_hand():
    # 09-02 80,000, no contract: open A 100,000 and B 80,000; B is the one item of exactly 80,000 -> B (按金额).
    # 10-15 70,000 naming HT-3: C 50,000 (按合同); HT-3 has 50,000 − 50,000 − 0 = 0 left to ship, so the 20,000
    #       goes by rule 2: the only open item is A (100,000 ≠ 20,000) -> A, oldest first (先到先核): A owes 80,000.
    # 11-10 30,000, 核销单号 E: E (按核销单号), though D is also 30,000 (two equal: no exact match anyway).
    t = example()
    a = allocate(t, S)
    assert applied(a) == [("2", "B", 80000, "按金额"), ("3", "C", 50000, "按合同"), ("3", "A", 20000, "先到先核"),
                          ("4", "E", 30000, "按核销单号")]
    assert a.credits.empty and a.write_off_errors.empty
    ctx = context(t, S, date(2026, 11, 30))
    # 11-30: A (due 08-31) 80,000 overdue; D (11-02, due 12-02) 30,000 not due; 应收余额 110,000, 逾期 80,000
    aging = report("receivables", ctx).data.aging.set_index("客户名称").loc["明达"]
    assert (aging["应收余额"], aging["逾期金额"], aging["预收款"]) == (fen("110,000"), fen("80,000"), 0)
    rows = report("fulfilment", ctx).data.contracts.set_index("合同编号")
    # 已回款: HT-1 20,000 (the rest of row 3), HT-2 80,000, HT-3 50,000, HT-4 30,000 (E); none above its amount
    assert rows["已回款金额"].to_dict() == {"HT-1": fen("20,000"), "HT-2": fen("80,000"), "HT-3": fen("50,000"),
                                        "HT-4": fen("30,000")}
    assert (rows["未回款金额"] >= 0).all()


def test_a_workbook_without_the_write_off_column_still_allocates():
    # an older 回款 sheet has no 核销单号: the 11-10 30,000 then finds D and E both 30,000 open (no exact match)
    # and pays the oldest open item, A (80,000 open -> 50,000).
    t = example()
    t.frames["回款"] = t["回款"].drop(columns="核销单号")
    a = allocate(t, S)
    assert applied(a)[-1] == ("4", "A", 30000, "先到先核") and a.write_off_errors.empty
    assert a.items.set_index("单据号")["未收"].to_dict() == {"A": fen("50,000"), "B": 0, "C": 0, "D": fen("30,000"),
                                                           "E": fen("30,000")}


def test_the_write_off_details_sheet_names_each_application_and_its_rule():
    details = receivables.write_off_details(allocate(example(), S), date(2026, 11, 30))
    assert details[["回款日期", "指定合同", "核销单号", "回款金额", "单据号", "合同编号", "核销金额", "规则"]].assign(
        回款日期=lambda f: f["回款日期"].dt.strftime("%m-%d")).values.tolist() == [
        ["09-02", "", "", fen("80,000"), "B", "HT-2", fen("80,000"), "按金额"],
        ["10-15", "HT-3", "", fen("70,000"), "C", "HT-3", fen("50,000"), "按合同"],
        ["10-15", "HT-3", "", fen("70,000"), "A", "HT-1", fen("20,000"), "先到先核"],
        ["11-10", "", "E", fen("30,000"), "E", "HT-4", fen("30,000"), "按核销单号"]]
    sheet = receivables.write_off_sheet(details, date(2026, 11, 30), "公司")
    assert sheet.name == "核销明细" and [c.name for c in sheet.tables[0].columns][-3:] == ["核销金额", "规则", "来源"]


def test_the_written_ledger_has_the_write_off_sheet_after_the_ledger(tmp_path):
    # the 应收账款明细账 as written: 核销明细 after 明细账, a row per application, money as #,##0.00;
    # the 核销金额 total is 80,000 + 50,000 + 20,000 + 30,000 = 180,000.
    out = report("receivables", context(example(), S, date(2026, 11, 30)))
    book = openpyxl.load_workbook(write_workbook(out.workbooks[0], tmp_path).path, data_only=True)  # totals: cached
    assert book.sheetnames[:4] == ["账龄分析", "信用额度", "明细账", "核销明细"]
    ws = book["核销明细"]
    row, header = header_of(ws, "客户名称")
    assert header[:14] == ["客户名称", "回款日期", "银行流水号", "指定合同", "核销单号", "回款金额", "核销日期", "单据类型",
                           "单据号", "单据日期", "合同编号", "核销金额", "规则", "来源"]
    rules = [ws.cell(r, 13).value for r in range(row + 1, row + 5)]
    assert rules == ["按金额", "按合同", "先到先核", "按核销单号"]
    assert ws.cell(row + 4, 9).value == "E" and ws.cell(row + 4, 12).value == 30000
    assert ws.cell(row + 4, 12).number_format.startswith("#,##0.00")
    assert ws.cell(row + 5, 1).value == "合计" and ws.cell(row + 5, 12).value == 180000


def test_one_of_two_equal_open_amounts_goes_oldest_first_not_by_amount():
    # open: X 5,000 (03-01, HT1), Y 5,000 (03-02, HT2), Z 8,000 (03-03, HT2).
    # 03-10 8,000 without contract: Z is the one item of 8,000 -> Z (按金额).
    # 03-11 5,000 without contract: X and Y both 5,000 -> no exact match: oldest first -> X (先到先核).
    t = tables(合同=contracts({"合同编号": "HT1", "合同金额": "100,000"}, {"合同编号": "HT2", "合同金额": "100,000"}),
               发货=shipments({"发货单号": "X", "发货日期": "2026-03-01", "合同编号": "HT1", "发货金额": "5,000"},
                             {"发货单号": "Y", "发货日期": "2026-03-02", "合同编号": "HT2", "发货金额": "5,000"},
                             {"发货单号": "Z", "发货日期": "2026-03-03", "合同编号": "HT2", "发货金额": "8,000"}),
               回款=collections({"回款日期": "2026-03-10", "回款金额": "8,000"},
                               {"回款日期": "2026-03-11", "回款金额": "5,000"}))
    a = allocate(t, S)
    assert applied(a) == [("2", "Z", 8000, "按金额"), ("3", "X", 5000, "先到先核")]
    assert list(a.items["未收"]) == [0, fen(5000), 0]


def write_off_case(number: str):
    # 明达: FH-1 3,000 (03-01) and FH-2 2,000 (03-05) on HT1; 华光 (李娜): FH-9 2,000 (03-02) on HT2.
    # 03-03 明达 pays FH-1's 3,000 naming it (row 2); 03-10 明达 pays 2,000, 核销单号 ``number``, no contract (row 3).
    return tables(
        合同=pd.concat([contracts({"合同编号": "HT1", "合同金额": "100,000"}),
                       contracts({"合同编号": "HT2", "合同金额": "100,000"}, customer="华光")], ignore_index=True),
        发货=table("发货", [{"发货单号": "FH-1", "发货日期": "2026-03-01", "合同编号": "HT1", "发货金额": "3,000", "客户名称": "明达"},
                          {"发货单号": "FH-2", "发货日期": "2026-03-05", "合同编号": "HT1", "发货金额": "2,000", "客户名称": "明达"},
                          {"发货单号": "FH-9", "发货日期": "2026-03-02", "合同编号": "HT2", "发货金额": "2,000",
                           "客户名称": "华光"}]),
        回款=collections({"回款日期": "2026-03-03", "回款金额": "3,000", "核销单号": "FH-1"},
                        {"回款日期": "2026-03-10", "回款金额": "2,000", "核销单号": number}))


def test_a_write_off_number_of_another_customers_item_is_an_error_and_rules_1_2_apply():
    # FH-9 is 华光's: an error on 张伟.xlsx[回款]!J3 (核销单号 is the 10th column); the 2,000 goes by rule 2:
    # 明达's open items are FH-2 2,000 only -> FH-2 (按金额). 华光's FH-9 stays open.
    t = write_off_case("FH-9")
    a = allocate(t, S)
    assert applied(a) == [("2", "FH-1", 3000, "按核销单号"), ("3", "FH-2", 2000, "按金额")]
    assert list(a.items.set_index("单据号")["未收"].items()) == [("FH-1", 0), ("FH-2", 0), ("FH-9", fen(2000))]
    found = check_write_offs(t, a, S, date(2026, 3, 31))
    assert [(p.severity, p.where(), p.value, p.field) for p in found] == [(ERROR, "张伟.xlsx[回款]!J3", "FH-9", "核销单号")]
    assert found[0].message == ("核销单号 FH-9 无法核销: 这张单据属于另一个客户, 不是本笔回款的客户; "
                                "这笔回款已按合同编号、金额、先到先核的规则核销")
    assert "华光" not in found[0].message  # another rep's customer is not named
    assert check_write_offs(t, a, S, date(2026, 3, 9)) == []  # the collection is after that day


def test_a_write_off_number_naming_no_item_or_a_paid_item_is_an_error_too():
    # FH-7 names nothing; FH-1 was paid in full on 03-03 by row 2. Either way the 2,000 pays FH-2 by rule 2.
    for number, why in (("FH-7", "没有这个单据号的发货单/发票"), ("FH-1", "这张单据回款时已全部核销")):
        t = write_off_case(number)
        a = allocate(t, S)
        assert applied(a)[-1] == ("3", "FH-2", 2000, "按金额")
        assert a.write_off_errors.values.tolist() == [["张伟.xlsx#回款#3", number, why]]


def overpaid(settings):
    # 明达: HT1 10,000 and HT2 100,000. Items (shipments, or invoices under basis invoice): HT1 4,000 on 03-01,
    # HT2 3,000 on 03-02 (under basis invoice HT1's goods are all shipped, 10,000, but only 4,000 invoiced).
    # 03-10 15,000 naming HT1 (row 2): HT1's item 4,000 (按合同); HT1 may hold 10,000 − 4,000 − 0 = 6,000 not yet
    # shipped (invoiced) as its 预收款; the 5,000 beyond goes by rule 2: HT2's 3,000 (not equal: 先到先核), and the
    # 2,000 left is the customer's 预收款. 03-20 HT1's next 6,000 takes HT1's 6,000 (预收款).
    t = tables(合同=contracts({"合同编号": "HT1", "合同金额": "10,000"}, {"合同编号": "HT2", "合同金额": "100,000"}),
               回款=collections({"回款日期": "2026-03-10", "合同编号": "HT1", "回款金额": "15,000"}))
    if settings.receivables.basis == "invoice":
        t.frames["发货"] = shipments({"发货单号": "S1", "发货日期": "2026-02-01", "合同编号": "HT1", "发货金额": "10,000"})
        t.frames["开票"] = table("开票", [
            {"发票号码": "F1", "开票日期": "2026-03-01", "合同编号": "HT1", "开票金额": "4,000", "客户名称": "明达"},
            {"发票号码": "F2", "开票日期": "2026-03-02", "合同编号": "HT2", "开票金额": "3,000", "客户名称": "明达"},
            {"发票号码": "F3", "开票日期": "2026-03-20", "合同编号": "HT1", "开票金额": "6,000", "客户名称": "明达"}])
    else:
        t.frames["发货"] = shipments({"发货单号": "F1", "发货日期": "2026-03-01", "合同编号": "HT1", "发货金额": "4,000"},
                                   {"发货单号": "F2", "发货日期": "2026-03-02", "合同编号": "HT2", "发货金额": "3,000"},
                                   {"发货单号": "F3", "发货日期": "2026-03-20", "合同编号": "HT1", "发货金额": "6,000"})
    return t


def check_overpaid(settings):
    t = overpaid(settings)
    a = allocate(t, settings)
    assert applied(a) == [("2", "F1", 4000, "按合同"), ("2", "F2", 3000, "先到先核"), ("2", "F3", 6000, "预收款")]
    on_15th = credits_as_of(a, date(2026, 3, 15))
    assert on_15th[["合同编号", "指定合同", "金额"]].values.tolist() == [["HT1", "HT1", fen(6000)], ["", "HT1", fen(2000)]]
    on_31st = credits_as_of(a, date(2026, 3, 31))
    assert on_31st[["合同编号", "金额"]].values.tolist() == [["", fen(2000)]]
    # 合同履行一览表 on 03-31: HT1 4,000 + 6,000 applied + the customer's 2,000 it overpaid = 12,000 of 10,000:
    # 未回款 −2,000 (flagged); HT2 3,000.
    rows = fulfilment.compute(t, a, date(2026, 3, 31)).contracts.set_index("合同编号")
    assert rows["已回款金额"].to_dict() == {"HT1": fen(12000), "HT2": fen(3000)}
    assert rows.loc["HT1", "未回款金额"] == -fen(2000)


def test_an_overpaid_contract_with_unshipped_goods_keeps_prepayment_up_to_the_unshipped_amount_only():
    check_overpaid(S)


def test_the_same_under_the_invoice_basis_up_to_the_uninvoiced_amount():
    check_overpaid(INVOICE)


def test_under_the_invoice_basis_the_write_off_number_is_the_invoice_number():
    # invoices F1 4,000 (03-01, HT1) and F2 3,000 (03-02, HT2); 03-10 3,000 naming F1 pays F1 only (按核销单号),
    # though F2 is the one item of exactly 3,000.
    t = overpaid(INVOICE)
    t.frames["回款"] = collections({"回款日期": "2026-03-10", "回款金额": "3,000", "核销单号": "F1"})
    assert applied(allocate(t, INVOICE))[:1] == [("2", "F1", 3000, "按核销单号")]


def test_a_negative_uncollected_amount_is_highlighted():
    spec = fulfilment.layout(fulfilment.compute(overpaid(S), allocate(overpaid(S), S), date(2026, 3, 31)), "公司",
                             date(2026, 3, 31))
    highlights = spec.sheets[0].tables[0].highlights
    assert any(h.column == "未回款金额" and h.criteria == "<" and h.value == 0 for h in highlights)


def test_a_customer_with_an_open_item_and_as_much_prepayment_gets_a_statement():
    # HT2 shipped 1,000 on 06-01 (still open: the money named HT1); 06-05 1,000 naming HT1, which has shipped
    # nothing: 100,000 − 0 − 0 = 100,000 room, so all of it is HT1's 预收款. Balance 1,000 − 1,000 = 0 and nothing
    # moved in November, yet there is an open item and a prepayment to confirm: a 对账单 on 11-30.
    t = tables(合同=contracts({"合同编号": "HT1", "合同金额": "100,000"}, {"合同编号": "HT2", "合同金额": "100,000"}),
               发货=shipments({"发货单号": "F1", "发货日期": "2026-06-01", "合同编号": "HT2", "发货金额": "1,000"}),
               回款=collections({"回款日期": "2026-06-05", "合同编号": "HT1", "回款金额": "1,000"}))
    # (since issue 32 the letters confirm the last closed month: on 11-30, October, 期初 0 and 期末 0)
    out = report("statements", context(t, S, date(2026, 11, 30)))
    letters = out.data.letters[out.data.letters["期间"] == out.data.period.code]
    assert letters[["客户名称", "期末余额"]].values.tolist() == [["明达", 0]]

"""发货审核: money in for 款到发货, credit limit and overdue for the others, finance's confirmation."""

from datetime import date

from neiqin_xl.core.config import settings_from_dict
from neiqin_xl.core.names import CustomerIndex
from neiqin_xl.reports import shipping

from ..helpers import context, fen, report, table, tables
from ..helpers_mingda import contracts, paid

S = settings_from_dict({})


def run(t, day, settings=S):
    return report("shipping", context(t, settings, day))


def request(contract, amount, **extra):
    return {"发货日期": None, "状态": "待发货", "合同编号": contract, "发货金额": amount, "客户名称": "明达", **extra}


def test_cash_first_request_with_too_little_money_in_is_held():
    # HT1 款到发货: 2,000 received naming HT1; request 3,000 -> 可用预收 2,000 < 3,000: 暂缓, short by 1,000.
    t = tables(合同=contracts({"合同编号": "HT1", "付款方式": "款到发货"}),
               发货=table("发货", [request("HT1", "3,000")]),
               回款=paid({"回款日期": "2026-03-01", "合同编号": "HT1", "回款金额": "2,000"}))
    out = run(t, date(2026, 3, 10))
    r = out.data.requests.iloc[0]
    assert (r["结论"], r["可用预收"], r["合同已回款"], r["申请发货金额"]) == ("暂缓", fen(2000), fen(2000), fen(3000))
    assert "差 ¥1,000.00" in r["原因"]
    assert out.figures["shipping_held"] == 1 and out.figures["held_fen"] == fen(3000)
    assert [d.report for d in out.deliveries] == ["shipping"]


def test_cash_first_counts_the_contract_credit_and_the_customer_credit_in_order():
    # HT1 credit 2,000 + customer-level 1,500 = 3,500; HT2's own 5,000 does not count for HT1.
    # Request A 2,000: 3,500 >= 2,000 -> 可发货, takes HT1's 2,000. Request B 2,000: 1,500 left < 2,000 -> 暂缓.
    t = tables(合同=contracts({"合同编号": "HT1", "付款方式": "款到发货"}, {"合同编号": "HT2", "付款方式": "款到发货"}),
               发货=table("发货", [request("HT1", "2,000"), request("HT1", "2,000")]),
               回款=paid({"回款日期": "2026-03-01", "合同编号": "HT1", "回款金额": "2,000"},
                        {"回款日期": "2026-03-02", "回款金额": "1,500"},
                        {"回款日期": "2026-03-03", "合同编号": "HT2", "回款金额": "5,000"}))
    frame = run(t, date(2026, 3, 10)).data.requests
    assert frame[["结论", "可用预收"]].values.tolist() == [["可发货", fen(3500)], ["暂缓", fen(1500)]]


def test_credit_customer_over_its_limit_is_held_and_at_the_limit_may_ship():
    # 明达 limit 10,000, term 30; shipped 8,000 on 03-01 (due 03-31), D = 03-10: 当前应收 8,000, nothing overdue.
    # Request 3,000: 8,000 + 3,000 = 11,000 > 10,000 -> 暂缓. A separate run with 2,000: 10,000 <= 10,000 -> 可发货.
    def case(amount):
        return tables(合同=contracts({"合同编号": "HT1", "付款方式": "月结"}),
                      发货=table("发货", [{"发货日期": "2026-03-01", "合同编号": "HT1", "发货金额": "8,000", "客户名称": "明达"},
                                        request("HT1", amount)]),
                      客户=table("客户", [{"客户名称": "明达", "信用额度": "10,000", "账期天数": 30}]))
    held = run(case("3,000"), date(2026, 3, 10)).data.requests.iloc[0]
    assert (held["结论"], held["当前应收"], held["信用额度"]) == ("暂缓", fen(8000), fen(10000))
    assert "超信用额度" in held["原因"] and "¥11,000.00" in held["原因"]
    ok = run(case("2,000"), date(2026, 3, 10)).data.requests.iloc[0]
    assert ok["结论"] == "可发货" and "额度内" in ok["原因"]


def test_granted_requests_use_up_the_limit_for_the_next_ones():
    # limit 10,000, nothing owed: request 6,000 -> 可发货 (6,000); request 5,000 -> 6,000 + 5,000 = 11,000 -> 暂缓.
    t = tables(合同=contracts({"合同编号": "HT1"}),
               发货=table("发货", [request("HT1", "6,000"), request("HT1", "5,000")]),
               客户=table("客户", [{"客户名称": "明达", "信用额度": "10,000"}]))
    frame = run(t, date(2026, 3, 10)).data.requests
    assert frame[["结论", "当前应收"]].values.tolist() == [["可发货", 0], ["暂缓", fen(6000)]]


def test_no_limit_means_no_limit_check_but_overdue_beyond_grace_holds():
    # No archive row: no limit. Shipped 1,000 on 01-01, term 30 -> due 01-31.
    # D = 03-02: overdue 30 days, not beyond the 30-day grace -> 可发货 (原因 says no limit check).
    # D = 03-05: overdue 33 days > 30 -> 暂缓.
    t = tables(合同=contracts({"合同编号": "HT1", "付款方式": "货到付款"}),
               发货=table("发货", [{"发货日期": "2026-01-01", "合同编号": "HT1", "发货金额": "1,000", "客户名称": "明达"},
                                 request("HT1", "500")]))
    ok = run(t, date(2026, 3, 2)).data.requests.iloc[0]
    assert ok["结论"] == "可发货" and "未设信用额度" in ok["原因"] and ok["最长逾期天数"] == 30
    held = run(t, date(2026, 3, 5)).data.requests.iloc[0]
    assert held["结论"] == "暂缓" and "最长逾期 33 天" in held["原因"] and held["逾期金额"] == fen(1000)


def test_finance_export_for_the_month_limits_cash_first_to_confirmed_money():
    # D = 11-30, HT1 款到发货, request 4,000. Collections naming HT1 / the customer, nothing shipped:
    #   A 2,000 (11-20, 流水 B001)  finance has B001 (dated 11-21)           -> confirmed by 流水号
    #   C 1,000 (11-23, no 流水)     finance has 明达 1,000 on 11-26 (3 days)  -> confirmed by customer+amount±3
    #   B 1,500 (11-22, no contract) finance's 1,500 is dated 11-18 (4 days) -> not confirmed
    # Without the export: 2,000 + 1,000 + 1,500 = 4,500 >= 4,000 -> 可发货.
    # With it: 3,000 < 4,000 -> 暂缓, and 原因 names the 1,500 left out.
    base = dict(合同=contracts({"合同编号": "HT1", "付款方式": "款到发货"}),
                发货=table("发货", [request("HT1", "4,000")]),
                回款=paid({"回款日期": "2026-11-20", "合同编号": "HT1", "回款金额": "2,000", "银行流水号": "B001"},
                         {"回款日期": "2026-11-22", "回款金额": "1,500"},
                         {"回款日期": "2026-11-23", "合同编号": "HT1", "回款金额": "1,000"}))
    unchecked = run(tables(**base), date(2026, 11, 30))
    assert unchecked.data.requests.iloc[0]["结论"] == "可发货" and unchecked.data.finance_checked is False
    finance = table("财务收款", [{"日期": "2026-11-21", "客户名称": "明达有限公司", "金额": "2,000", "银行流水号": "B001"},
                               {"日期": "2026-11-26", "客户名称": "明达", "金额": "1,000"},
                               {"日期": "2026-11-18", "客户名称": "明达", "金额": "1,500"}], rep="")
    out = run(tables(**base, 财务收款=finance), date(2026, 11, 30))
    r = out.data.requests.iloc[0]
    assert (r["结论"], r["可用预收"]) == ("暂缓", fen(3000))
    assert "只计财务收款已有的回款" in r["原因"] and "¥1,500.00 未计入" in r["原因"]
    assert out.data.finance_checked is True
    assert any("已核对财务收款" in line for line in out.workbooks[0].sheets[0].subtitle)


def test_collections_in_a_month_the_export_does_not_cover_count_as_booked():
    # finance export covers 2026-11 only; a 2026-10 collection cannot be checked and counts; an unmatched 11 one doesn't.
    colls = paid({"回款日期": "2026-10-15", "回款金额": "700"}, {"回款日期": "2026-11-02", "回款金额": "900"})
    colls["回款ID"] = ["c10", "c11"]
    finance = table("财务收款", [{"日期": "2026-11-05", "客户名称": "别家", "金额": "900"}], rep="")
    assert shipping.confirmed_collections(colls, finance, S, CustomerIndex([])) == {"c10"}


def test_only_pending_requests_without_a_date_are_reviewed():
    # a shipped row (dated) and an undated row not marked 待发货 are not requests; no request -> no delivery.
    t = tables(合同=contracts({"合同编号": "HT1"}),
               发货=table("发货", [{"发货日期": "2026-03-01", "合同编号": "HT1", "发货金额": "1,000", "客户名称": "明达",
                                  "状态": "待发货"},
                                 {"发货日期": None, "合同编号": "HT1", "发货金额": "1,000", "客户名称": "明达", "状态": "已发货"}]))
    out = run(t, date(2026, 3, 10))
    assert out.data.requests.empty and out.deliveries == [] and out.figures["shipping_requests"] == 0


def test_finance_rows_are_matched_one_to_one_as_the_reconciliation_matches_them():
    # c1 and c2 carry the same 流水号 B7; finance has B7 once (11-03) and one row without a 流水号 (11-04):
    # c1 (the earlier row of the two) takes B7; c2 (11-03) and c3 (11-04) both fit the row without 流水号 by
    # customer and amount; the closest date wins: c3, 0 days away (c2 is 1 day away) -> c2 is not confirmed.
    colls = paid({"回款日期": "2026-11-03", "回款金额": "500", "银行流水号": "B7"},
                 {"回款日期": "2026-11-03", "回款金额": "500", "银行流水号": "B7"},
                 {"回款日期": "2026-11-04", "回款金额": "500"})
    colls["回款ID"] = ["c1", "c2", "c3"]
    finance = table("财务收款", [{"日期": "2026-11-03", "客户名称": "明达", "金额": "500", "银行流水号": " B7 "},
                               {"日期": "2026-11-04", "客户名称": "明达", "金额": "500"}], rep="")
    assert shipping.confirmed_collections(colls, finance, S, CustomerIndex([])) == {"c1", "c3"}


def test_finance_reference_0012_345_confirms_the_reps_12345():
    # the rep typed the 流水号 as the number 12345 (Excel dropped 00, no hyphen); finance's export has 0012-345,
    # booked 5 days later (outside the 3-day window): only the reference can confirm it, and it does.
    # The other collection, 11-10 with 流水号 777, is not in finance's export at all.
    colls = paid({"回款日期": "2026-11-02", "回款金额": "3,000", "银行流水号": "12345"},
                 {"回款日期": "2026-11-10", "回款金额": "3,000", "银行流水号": "777"})
    colls["回款ID"] = ["c1", "c2"]
    finance = table("财务收款", [{"日期": "2026-11-07", "客户名称": "明达", "金额": "3,000", "银行流水号": "0012-345"}],
                    rep="")
    assert shipping.confirmed_collections(colls, finance, S, CustomerIndex([])) == {"c1"}


def test_one_bank_receipt_the_rep_booked_as_two_lines_is_confirmed():
    # finance has one receipt of 5,000 (11-27); the rep entered it as 3,000 + 2,000 on 11-27 without a 流水号:
    # 3,000 + 2,000 = 5,000, same customer, same day -> both lines are money finance has (level 3, as in 财务对账)
    colls = paid({"回款日期": "2026-11-27", "回款金额": "3,000"}, {"回款日期": "2026-11-27", "回款金额": "2,000"})
    colls["回款ID"] = ["c1", "c2"]
    finance = table("财务收款", [{"日期": "2026-11-27", "客户名称": "明达", "金额": "5,000", "银行流水号": "B9"},
                               {"日期": "2026-11-30", "客户名称": "", "金额": "5,000", "摘要": "本月合计"}], rep="")
    assert shipping.confirmed_collections(colls, finance, S, CustomerIndex([])) == {"c1", "c2"}


def test_the_review_shows_product_quantity_and_agreed_date_and_marks_only_the_verdict():
    t = tables(合同=contracts({"合同编号": "HT1", "付款方式": "款到发货", "产品名称": "控制器", "约定交货日期": "2026-03-20"}),
               发货=table("发货", [request("HT1", "3,000", 数量=6)]))
    out = run(t, date(2026, 3, 10))
    r = out.data.requests.iloc[0]
    # the request names no product: the contract's; 6 units; no date of its own: the contract's agreed delivery
    # date, and the sheet says that is what it is
    assert (r["产品名称"], r["数量"], str(r["要求日期"])[:10], r["日期依据"], r["结论"]) == \
        ("控制器", 6, "2026-03-20", "合同约定", "暂缓")
    (table_,) = out.workbooks[0].sheets[0].tables
    (mark,) = table_.highlights
    assert (mark.column, mark.criteria, mark.value, mark.whole_row) == ("结论", "text", "暂缓", False)


def test_the_review_shows_the_date_the_rep_asks_for_read_from_his_workbook(tmp_path):
    # 张伟's 发货 sheet has a column 要货日期 (an alias of 要求发货日期): HT1's request asks for 2026-03-12, HT2's
    # leaves it blank -> HT1 shows 03-12 (申请), HT2 its contract's 约定交货日期 03-25 (合同约定)
    from datetime import date as day

    from neiqin_xl.read.intake import read_workspace

    from ..helpers_intake import workspace, write_book

    settings = workspace(tmp_path)
    write_book(settings.folder("master") / "人员.xlsx", {"人员": [["姓名", "部门"], ["张伟", "销售一部"]]})
    write_book(settings.folder("reps") / "张伟.xlsx", {
        "合同": [["合同编号", "签订日期", "客户名称", "合同金额", "约定交货日期"],
                 ["HT1", day(2026, 3, 1), "明达", 10000, day(2026, 3, 20)],
                 ["HT2", day(2026, 3, 2), "明达", 8000, day(2026, 3, 25)]],
        "发货": [["发货日期", "合同编号", "客户名称", "发货金额", "状态", "要货日期"],
                 [None, "HT1", "明达", 3000, "待发货", day(2026, 3, 12)],
                 [None, "HT2", "明达", 2000, "待发货", None]]})
    t, problems = read_workspace(settings)
    assert [p for p in problems if p.severity == "错误"] == []
    assert t["发货"]["要求发货日期"].dt.date.tolist()[0] == day(2026, 3, 12)
    requests = run(t, date(2026, 3, 10)).data.requests.set_index("合同编号")
    assert (str(requests.at["HT1", "要求日期"])[:10], requests.at["HT1", "日期依据"]) == ("2026-03-12", "申请")
    assert (str(requests.at["HT2", "要求日期"])[:10], requests.at["HT2", "日期依据"]) == ("2026-03-25", "合同约定")

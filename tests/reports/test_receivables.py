"""应收账款明细账: aging, balances, prepayments and the ledger, each case worked out by hand."""

from datetime import date

import pandas as pd

from neiqin_xl.core.config import settings_from_dict
from neiqin_xl.reports import receivables

from ..helpers import context, fen, table, tables
from ..helpers_mingda import contracts, paid, ship

S = settings_from_dict({})


def run(t, day, settings=S):
    return receivables.build(context(t, settings, day))


def row_of(frame, customer):
    return frame[frame["客户名称"] == customer].iloc[0]


def test_partial_payment_leaves_the_rest_open_and_overdue():
    # shipped 10,000 on 03-01 (term 30 by default -> due 03-31); 4,000 paid on 03-15 naming HT1.
    # D = 04-10: open 6,000, age 40 -> 31-60天, overdue 04-10 - 03-31 = 10 days.
    t = tables(合同=contracts({"合同编号": "HT1"}),
               发货=ship({"发货日期": "2026-03-01", "合同编号": "HT1", "发货金额": "10,000"}),
               回款=paid({"回款日期": "2026-03-15", "合同编号": "HT1", "回款金额": "4,000"}))
    out = run(t, date(2026, 4, 10))
    r = row_of(out.data.aging, "明达")
    assert (r["应收余额"], r["预收款"], r["31-60天"], r["0-30天"]) == (fen(6000), 0, fen(6000), 0)
    assert (r["逾期金额"], r["最长逾期天数"], r["账期天数"]) == (fen(6000), 10, 30)
    # ledger: debit 10,000 (balance 10,000), credit 4,000 (balance 6,000)
    ledger = out.data.ledger
    assert ledger[["借方", "贷方", "余额"]].values.tolist() == [[fen(10000), 0, fen(10000)], [0, fen(4000), fen(6000)]]


def test_prepayment_before_any_shipment_is_a_credit_and_a_negative_balance():
    # 5,000 received naming HT1 on 03-01; 3,000 shipped on 03-05 takes 3,000 of it.
    t = tables(合同=contracts({"合同编号": "HT1"}),
               发货=ship({"发货日期": "2026-03-05", "合同编号": "HT1", "发货金额": "3,000"}),
               回款=paid({"回款日期": "2026-03-01", "合同编号": "HT1", "回款金额": "5,000"}))
    # on 03-03 nothing is shipped yet: 预收款 5,000, 应收余额 -5,000, no bucket filled
    before = row_of(run(t, date(2026, 3, 3)).data.aging, "明达")
    assert (before["应收余额"], before["预收款"], before["0-30天"], before["逾期金额"]) == (-fen(5000), fen(5000), 0, 0)
    # on 03-10: 5,000 - 3,000 = 2,000 still unapplied; open items 0 -> 应收余额 -2,000
    out = run(t, date(2026, 3, 10))
    after = row_of(out.data.aging, "明达")
    assert (after["应收余额"], after["预收款"], after["0-30天"]) == (-fen(2000), fen(2000), 0)
    # ledger in date order: credit 5,000 (-5,000), then debit 3,000 (-2,000)
    assert out.data.ledger[["单据类型", "余额"]].values.tolist() == [["回款", -fen(5000)], ["发货", -fen(2000)]]
    assert out.figures["prepayments_fen"] == fen(2000) and out.figures["receivable_balance_fen"] == -fen(2000)


def test_same_day_shipment_and_collection_debit_first_balance_zero():
    # 1,000 shipped and 1,000 collected on 04-01: ledger 1,000 then 0; the customer is listed (activity), nothing open.
    t = tables(合同=contracts({"合同编号": "HT1"}),
               发货=ship({"发货日期": "2026-04-01", "合同编号": "HT1", "发货金额": "1,000"}),
               回款=paid({"回款日期": "2026-04-01", "合同编号": "HT1", "回款金额": "1,000"}))
    out = run(t, date(2026, 4, 1))
    assert out.data.ledger["余额"].tolist() == [fen(1000), 0]
    r = row_of(out.data.aging, "明达")
    assert (r["应收余额"], r["预收款"], r["0-30天"]) == (0, 0, 0)


def test_collection_larger_than_everything_open_leaves_a_customer_credit():
    # shipped 2,000 (03-01); 3,500 received without a contract (03-10): pays 2,000, 1,500 customer credit.
    t = tables(合同=contracts({"合同编号": "HT1"}),
               发货=ship({"发货日期": "2026-03-01", "合同编号": "HT1", "发货金额": "2,000"}),
               回款=paid({"回款日期": "2026-03-10", "回款金额": "3,500"}))
    out = run(t, date(2026, 3, 31))
    r = row_of(out.data.aging, "明达")
    assert (r["应收余额"], r["预收款"], r["逾期金额"], r["超信用额度"]) == (-fen(1500), fen(1500), 0, 0)
    assert out.data.credits[["合同编号", "金额"]].values.tolist() == [["", fen(1500)]]


def test_invoice_basis_ages_the_invoice_not_the_shipment():
    # basis invoice: the 5,000 shipment is no item; invoice 2,000 on 03-10, contract term 60 -> due 05-09.
    # D = 05-20: age 71 -> 61-90天; overdue 11 days.
    s = settings_from_dict({"receivables": {"basis": "invoice"}})
    t = tables(合同=contracts({"合同编号": "HT1", "账期天数": 60}),
               发货=ship({"发货日期": "2026-03-01", "合同编号": "HT1", "发货金额": "5,000"}),
               开票=table("开票", [{"发票号码": "0001", "开票日期": "2026-03-10", "合同编号": "HT1", "开票金额": "2,000",
                                 "客户名称": "明达"}]))
    r = row_of(run(t, date(2026, 5, 20), s).data.aging, "明达")
    assert (r["应收余额"], r["61-90天"], r["逾期金额"], r["最长逾期天数"]) == (fen(2000), fen(2000), fen(2000), 11)


def test_customer_over_its_credit_limit():
    # 明达: limit 10,000; shipped 8,000 + 5,000 = 13,000 -> 超信用额度 3,000.
    # 宏远 has no archive row: no limit, 超信用额度 0, 信用额度 blank.
    t = tables(合同=table("合同", [{"合同编号": "HT1", "签订日期": "2026-01-01", "客户名称": "明达", "合同金额": "50,000"},
                                 {"合同编号": "HT2", "签订日期": "2026-01-01", "客户名称": "宏远", "合同金额": "50,000"}]),
               发货=table("发货", [{"发货日期": "2026-03-01", "合同编号": "HT1", "发货金额": "8,000", "客户名称": "明达"},
                                 {"发货日期": "2026-03-02", "合同编号": "HT1", "发货金额": "5,000", "客户名称": "明达"},
                                 {"发货日期": "2026-03-02", "合同编号": "HT2", "发货金额": "20,000", "客户名称": "宏远"}]),
               客户=table("客户", [{"客户名称": "明达", "信用额度": "10,000", "账期天数": 45, "负责业务员": "李娜"}]))
    out = run(t, date(2026, 3, 10))
    mingda, hongyuan = row_of(out.data.aging, "明达"), row_of(out.data.aging, "宏远")
    assert (mingda["信用额度"], mingda["超信用额度"], mingda["账期天数"], mingda["业务员"]) == (fen(10000), fen(3000), 45, "李娜")
    assert hongyuan["超信用额度"] == 0 and str(hongyuan["信用额度"]) == "<NA>" and hongyuan["业务员"] == "张伟"
    assert out.figures["customers_over_limit"] == 1
    # the 账龄分析 by 逾期金额 (none overdue on 03-10), then 应收余额: 宏远 20,000 before 明达 13,000; the 信用额度
    # sheet puts the customer over its limit first: 明达 (3,000 over), then 宏远
    sheets = {s.name: s for s in out.workbooks[0].sheets}
    assert [r["客户名称"] for r in sheets["账龄分析"].tables[0].records()] == ["宏远", "明达"]
    credit = sheets["信用额度"].tables[0].records()
    assert [r["客户名称"] for r in credit] == ["明达", "宏远"] and credit[0]["超信用额度"] == fen(3000)
    assert pd.isna(credit[1]["超信用额度"])  # a zero shows blank


def test_aging_buckets_at_their_boundaries():
    # D = 2026-05-31. Ages: 30 (05-01) -> 0-30; 31 (04-30) and 60 (04-01) -> 31-60; 61 (03-31) -> 61-90;
    # 365 (2025-05-31) -> 181-365; 366 (2025-05-30) -> 365天以上.
    dates_amounts = [("2026-05-01", "100"), ("2026-04-30", "200"), ("2026-04-01", "400"), ("2026-03-31", "800"),
                     ("2025-05-31", "1,600"), ("2025-05-30", "3,200")]
    t = tables(合同=contracts({"合同编号": "HT1", "签订日期": "2025-01-01"}),
               发货=ship(*[{"发货日期": d, "合同编号": "HT1", "发货金额": a} for d, a in dates_amounts]))
    out = run(t, date(2026, 5, 31))
    r = row_of(out.data.aging, "明达")
    assert [r[c] for c in ("0-30天", "31-60天", "61-90天", "91-180天", "181-365天", "365天以上")] == \
        [fen(100), fen(600), fen(800), 0, fen(1600), fen(3200)]
    assert out.data.open_items["账龄天数"].tolist() == [366, 365, 61, 60, 31, 30]
    # overdue (term 30): every item but the age-30 one -> 6,300 - 100 = 6,200; longest 366 - 30 = 336 days
    assert (r["逾期金额"], r["最长逾期天数"]) == (fen(6200), 336)
    assert out.figures["aging_0_30_fen"] == fen(100) and out.figures["aging_365_plus_fen"] == fen(3200)


def test_items_and_collections_after_the_run_date_are_ignored():
    # shipped 1,000 on 03-01, collected 1,000 on 03-20; D = 03-10: still 1,000 open, the ledger has one line.
    t = tables(合同=contracts({"合同编号": "HT1"}),
               发货=ship({"发货日期": "2026-03-01", "合同编号": "HT1", "发货金额": "1,000"},
                        {"发货日期": "2026-03-12", "合同编号": "HT1", "发货金额": "7,000"}),
               回款=paid({"回款日期": "2026-03-20", "合同编号": "HT1", "回款金额": "1,000"}))
    out = run(t, date(2026, 3, 10))
    assert row_of(out.data.aging, "明达")["应收余额"] == fen(1000)
    assert len(out.data.ledger) == 1


def test_summary_by_rep_adds_up_to_the_aging_totals():
    # 张伟's HT1 open 3,000; 李娜's HT2 open 2,000 and a 500 prepayment naming HT2 received after it was shipped?
    # No: 500 naming HT2 arrives on 03-05 and pays HT2's 2,000 item down to 1,500. Customer credit 800 (no contract,
    # 03-06) pays the oldest open item first: HT1 (03-01) 3,000 -> 2,200.
    # 张伟: open 2,200; 李娜: open 1,500; total 3,700 = 明达's 应收余额.
    t = tables(合同=table("合同", [{"合同编号": "HT1", "签订日期": "2026-01-01", "客户名称": "明达", "合同金额": "9,000"},
                                 {"合同编号": "HT2", "签订日期": "2026-01-01", "客户名称": "明达", "合同金额": "9,000",
                                  "业务员": "李娜"}]),
               发货=ship({"发货日期": "2026-03-01", "合同编号": "HT1", "发货金额": "3,000"},
                        {"发货日期": "2026-03-02", "合同编号": "HT2", "发货金额": "2,000"}),
               回款=paid({"回款日期": "2026-03-05", "合同编号": "HT2", "回款金额": "500", "业务员": "李娜"},
                        {"回款日期": "2026-03-06", "回款金额": "800"}))
    out = run(t, date(2026, 3, 20))
    by_rep = out.data.by_rep.set_index("业务员")
    assert (by_rep.loc["张伟", "应收余额"], by_rep.loc["李娜", "应收余额"]) == (fen(2200), fen(1500))
    assert by_rep["应收余额"].sum() == out.data.aging["应收余额"].sum() == fen(3700)
    assert row_of(out.data.aging, "明达")["业务员"] == "张伟、李娜"  # no archive: the reps on its items


def test_prepayments_go_to_the_contract_rep_else_the_archive_owner_and_count_their_customers():
    # No shipments, two prepayments collected by 张伟 by 03-10:
    # 明达 3,000 naming HT1, a contract of 李娜           -> 李娜's prepayment (the named contract's rep);
    # 华光 1,000 without a contract, archive owner 王强   -> 王强's prepayment (the customer's 负责业务员).
    # 账龄分析: 明达 -3,000 (not in the archive: its rep is the collecting rep 张伟), 华光 -1,000 (王强).
    # 按业务员汇总: 李娜 and 王强 one customer each; 张伟, who holds the money, has no line.
    t = tables(客户=table("客户", [{"客户名称": "华光", "负责业务员": "王强"}]),
               合同=contracts({"合同编号": "HT1", "业务员": "李娜"}),
               回款=paid({"回款日期": "2026-03-01", "合同编号": "HT1", "回款金额": "3,000"},
                        {"回款日期": "2026-03-02", "客户名称": "华光", "回款金额": "1,000"}))
    out = run(t, date(2026, 3, 10))
    aging = out.data.aging.set_index("客户名称")
    assert aging.loc["明达", ["应收余额", "预收款", "业务员"]].tolist() == [-fen(3000), fen(3000), "张伟"]
    assert aging.loc["华光", ["应收余额", "预收款", "业务员"]].tolist() == [-fen(1000), fen(1000), "王强"]
    by_rep = out.data.by_rep
    assert by_rep[["业务员", "客户数", "应收余额", "预收款"]].values.tolist() == [
        ["李娜", 1, -fen(3000), fen(3000)], ["王强", 1, -fen(1000), fen(1000)]]
    assert out.data.credits[["客户名称", "合同编号", "金额", "来源"]].values.tolist() == [
        ["明达", "HT1", fen(3000), "张伟.xlsx[回款]!2"], ["华光", "", fen(1000), "张伟.xlsx[回款]!3"]]


def test_aging_most_overdue_first_and_the_settled_on_their_own_sheet(tmp_path):
    # on 11-26 (term 30 days):
    # 明达 owes 1,000 shipped 09-01 (due 10-01: overdue 1,000)                   -> first
    # 华光 owes 5,000 shipped 11-20 (not yet due: overdue 0, balance 5,000)      -> second (more owed, none overdue)
    # 新天 shipped and paid 2,000 in November (nothing open, moved this month)   -> stays, third
    # 恒通 shipped and paid 3,000 in March (nothing open, no movement in November) -> 已结清
    t = tables(
        合同=table("合同", [{"合同编号": c, "签订日期": "2026-01-01", "客户名称": n, "合同金额": "9,000"}
                          for c, n in (("H1", "明达"), ("H2", "华光"), ("H3", "新天"), ("H4", "恒通"))]),
        发货=table("发货", [{"发货日期": "2026-09-01", "合同编号": "H1", "发货金额": "1,000", "客户名称": "明达"},
                          {"发货日期": "2026-11-20", "合同编号": "H2", "发货金额": "5,000", "客户名称": "华光"},
                          {"发货日期": "2026-11-02", "合同编号": "H3", "发货金额": "2,000", "客户名称": "新天"},
                          {"发货日期": "2026-03-02", "合同编号": "H4", "发货金额": "3,000", "客户名称": "恒通"}]),
        回款=table("回款", [{"回款日期": "2026-11-05", "客户名称": "新天", "合同编号": "H3", "回款金额": "2,000"},
                          {"回款日期": "2026-03-20", "客户名称": "恒通", "合同编号": "H4", "回款金额": "3,000"}]))
    out = run(t, date(2026, 11, 26))
    # the data keeps every customer (equal figures: by name)
    assert list(out.data.aging["客户名称"]) == ["明达", "华光", "恒通", "新天"]
    active, settled = receivables.split_settled(out.data, date(2026, 11, 1))
    assert list(active["客户名称"]) == ["明达", "华光", "新天"] and list(settled["客户名称"]) == ["恒通"]
    sheets = {s.name: s for s in out.workbooks[0].sheets}
    assert list(sheets) == ["账龄分析", "信用额度", "明细账", "核销明细", "按业务员汇总", "已结清"]
    assert [r["客户名称"] for r in sheets["账龄分析"].tables[0].records()] == ["明达", "华光", "新天"]
    assert [r["客户名称"] for r in sheets["已结清"].tables[0].records()] == ["恒通"]
    # 恒通's last movement: the 3,000 collected on 03-20 (after the 03-02 shipment)
    assert sheets["已结清"].tables[0].records()[0]["最后往来日期"] == pd.Timestamp("2026-03-20")
    # a zero in the aging's buckets is shown blank (the settled owe nothing: the totals stay every customer's)
    first = sheets["账龄分析"].tables[0].records()[0]
    assert first["逾期金额"] == fen(1000) and pd.isna(first["0-30天"]) and pd.isna(first["预收款"])


def test_the_ledger_shows_each_customers_opening_balance_the_month_and_a_month_total(tmp_path):
    # on 11-30 (the month from 11-01):
    # 明达: shipped 1,000 on 10-15, paid 400 on 10-20 -> 期初 600; shipped 2,000 on 11-05 (余额 2,600),
    #       paid 500 on 11-10 (余额 2,100); 本月合计 借方 2,000, 贷方 500, 期末 600 + 2,000 − 500 = 2,100
    # 华光: shipped 300 on 11-02 -> 期初 0, 余额 300; 本月合计 借方 300, 期末 300
    # 恒通: shipped and paid 3,000 in March -> settled, not in the month's ledger
    # 合计 over the movements only: 借方 2,000 + 300 = 2,300, 贷方 500; 余额 = 2,100 + 300 = 2,400
    import openpyxl

    from neiqin_xl.deliver.writer import write_workbook

    t = tables(
        合同=table("合同", [{"合同编号": c, "签订日期": "2026-01-01", "客户名称": n, "合同金额": "9,000"}
                          for c, n in (("H1", "明达"), ("H2", "华光"), ("H4", "恒通"))]),
        发货=table("发货", [{"发货日期": "2026-10-15", "合同编号": "H1", "发货金额": "1,000", "客户名称": "明达"},
                          {"发货日期": "2026-11-05", "合同编号": "H1", "发货金额": "2,000", "客户名称": "明达"},
                          {"发货日期": "2026-11-02", "合同编号": "H2", "发货金额": "300", "客户名称": "华光"},
                          {"发货日期": "2026-03-02", "合同编号": "H4", "发货金额": "3,000", "客户名称": "恒通"}]),
        回款=table("回款", [{"回款日期": "2026-10-20", "客户名称": "明达", "合同编号": "H1", "回款金额": "400"},
                          {"回款日期": "2026-11-10", "客户名称": "明达", "合同编号": "H1", "回款金额": "500"},
                          {"回款日期": "2026-03-20", "客户名称": "恒通", "合同编号": "H4", "回款金额": "3,000"}]))
    out = run(t, date(2026, 11, 30))
    path = write_workbook(out.workbooks[0], tmp_path).path
    ws = openpyxl.load_workbook(path, data_only=True)["明细账"]
    top = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "客户名称")
    rows = [[ws.cell(r, c).value for c in (1, 6, 7, 8, 9)] for r in range(top + 1, ws.max_row + 1)]
    assert rows == [["华光", "期初余额", None, None, 0],
                    ["华光", "发货 H2", 300, None, 300],
                    ["华光", "本月合计", 300, None, 300],
                    ["明达", "期初余额", None, None, 600],
                    ["明达", "发货 H1", 2000, None, 2600],
                    ["明达", "回款", None, 500, 2100],
                    ["明达", "本月合计", 2000, 500, 2100],
                    ["合计", None, 2300, 500, 2400]]
    # the 期末 of the ledger equal the 账龄分析's 应收余额 (2,100 and 300)
    aging = out.data.aging.set_index("客户名称")["应收余额"]
    assert (aging["明达"], aging["华光"]) == (fen(2100), fen(300))

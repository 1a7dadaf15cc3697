"""合同履行一览表: shipped / invoiced / collected per contract and the status, each case worked out by hand."""

from datetime import date
from decimal import Decimal

from neiqin_xl.core.config import settings_from_dict
from neiqin_xl.reports import fulfilment

from ..helpers import context, fen, table, tables
from ..helpers_mingda import contracts as mingda_contracts
from ..helpers_mingda import paid, ship

S = settings_from_dict({})


def contracts(*rows):  # contracts of 10,000 each
    return mingda_contracts(*rows, amount="10,000")


def run(t, day, settings=S):
    return fulfilment.build(context(t, settings, day))


def by_contract(out):
    return out.data.contracts.set_index("合同编号")


def test_collection_without_contract_spreads_over_two_contracts():
    # HT1 shipped 4,000 (03-01), HT2 shipped 5,000 (03-02); 6,000 without a contract on 03-15 pays HT1's 4,000
    # then 2,000 of HT2. Contracts of 10,000 each: 已回款 4,000 / 2,000, 未回款 6,000 / 8,000, 回款进度 40% / 20%.
    t = tables(合同=contracts({"合同编号": "HT1"}, {"合同编号": "HT2"}),
               发货=ship({"发货日期": "2026-03-01", "合同编号": "HT1", "发货金额": "4,000"},
                        {"发货日期": "2026-03-02", "合同编号": "HT2", "发货金额": "5,000"}),
               回款=paid({"回款日期": "2026-03-15", "回款金额": "6,000"}))
    c = by_contract(run(t, date(2026, 3, 31)))
    assert c.loc["HT1", ["已回款金额", "未回款金额"]].tolist() == [fen(4000), fen(6000)]
    assert c.loc["HT2", ["已回款金额", "未回款金额"]].tolist() == [fen(2000), fen(8000)]
    assert c.loc["HT1", "回款进度"] == Decimal("0.4") and c.loc["HT2", "回款进度"] == Decimal("0.2")
    assert c.loc["HT2", "发货进度"] == Decimal("0.5")


def test_prepayment_counts_for_its_contract_but_a_customer_credit_for_none():
    # 3,000 naming HT1 on 03-01 (nothing shipped): HT1 已回款 3,000. 1,000 without a contract on 03-02 stays a
    # customer-level credit: it belongs to no contract, so HT1 stays at 3,000 and HT2 at 0.
    t = tables(合同=contracts({"合同编号": "HT1"}, {"合同编号": "HT2"}),
               回款=paid({"回款日期": "2026-03-01", "合同编号": "HT1", "回款金额": "3,000"},
                        {"回款日期": "2026-03-02", "回款金额": "1,000"}))
    out = run(t, date(2026, 3, 31))
    c = by_contract(out)
    assert (c.loc["HT1", "已回款金额"], c.loc["HT2", "已回款金额"]) == (fen(3000), 0)
    assert c.loc["HT1", "状态"] == "未执行"
    events = out.data.events
    prepay = events[(events["合同编号"] == "HT1") & (events["事项"] == "回款")]
    assert prepay[["金额", "累计回款"]].values.tolist() == [[fen(3000), fen(3000)]]
    assert str(prepay["日期"].iloc[0].date()) == "2026-03-01"


def test_each_status():
    # D = 2026-06-30, contracts of 10,000:
    # A agreed 06-01, shipped 4,000               -> 交货逾期, 29 days late
    # F agreed 06-20, nothing shipped             -> 交货逾期 (before 未执行), 10 days late
    # B agreed 07-31, only a 待发货 request         -> 未执行 (a request is not a shipment)
    # C no agreed date, shipped 4,000             -> 执行中
    # D agreed 06-01, shipped 10,000, paid 5,000  -> 已发货 (fully shipped: not late)
    # E shipped 10,000, paid 10,000               -> 已完成
    t = tables(合同=contracts({"合同编号": "A", "约定交货日期": "2026-06-01"}, {"合同编号": "F", "约定交货日期": "2026-06-20"},
                              {"合同编号": "B", "约定交货日期": "2026-07-31"}, {"合同编号": "C"},
                              {"合同编号": "D", "约定交货日期": "2026-06-01"}, {"合同编号": "E"}),
               发货=ship({"发货日期": "2026-05-01", "合同编号": "A", "发货金额": "4,000"},
                        {"发货日期": None, "状态": "待发货", "合同编号": "B", "发货金额": "10,000"},
                        {"发货日期": "2026-05-01", "合同编号": "C", "发货金额": "4,000"},
                        {"发货日期": "2026-05-20", "合同编号": "D", "发货金额": "10,000"},
                        {"发货日期": "2026-05-02", "合同编号": "E", "发货金额": "10,000"}),
               回款=paid({"回款日期": "2026-06-10", "合同编号": "D", "回款金额": "5,000"},
                        {"回款日期": "2026-06-10", "合同编号": "E", "回款金额": "10,000"}))
    out = run(t, date(2026, 6, 30))
    c = by_contract(out)
    assert c["状态"].to_dict() == {"A": "交货逾期", "F": "交货逾期", "B": "未执行", "C": "执行中", "D": "已发货", "E": "已完成"}
    assert c.loc["A", "交货逾期天数"] == 29 and c.loc["F", "交货逾期天数"] == 10
    assert c["交货逾期天数"].isna().sum() == 4
    assert c.loc["B", "已发货金额"] == 0 and str(c.loc["B", "最后发货日期"]) == "NaT"
    assert out.figures["contracts_by_status"] == {"交货逾期": 2, "未执行": 1, "执行中": 1, "已发货": 1, "已完成": 1}


def test_same_day_shipment_and_collection_in_the_detail():
    # 1,000 shipped and 1,000 collected naming HT1 on 04-01: detail 签订, 发货, 回款 with running totals.
    t = tables(合同=contracts({"合同编号": "HT1"}),
               发货=ship({"发货日期": "2026-04-01", "发货单号": "FH1", "合同编号": "HT1", "发货金额": "1,000"}),
               回款=paid({"回款日期": "2026-04-01", "合同编号": "HT1", "回款金额": "1,000", "银行流水号": "B1"}))
    out = run(t, date(2026, 4, 1))
    ev = out.data.events
    assert ev[["事项", "单据号", "累计发货", "累计回款"]].values.tolist() == [
        ["签订", "HT1", 0, 0], ["发货", "FH1", fen(1000), 0], ["回款", "B1", fen(1000), fen(1000)]]
    assert ev["来源"].tolist() == ["张伟.xlsx[合同]!2", "张伟.xlsx[发货]!2", "张伟.xlsx[回款]!2"]
    assert by_contract(out).loc["HT1", "已回款金额"] == fen(1000)


def test_partial_payments_invoices_and_the_run_date_cut():
    # HT1 10,000: shipped 6,000 (03-01) and 4,000 (04-15, after D); invoiced 6,000 (03-02) and 4,000 (04-16);
    # paid 2,500 (03-10) and 1,500 (03-20) naming HT1; D = 03-31: shipped 6,000, invoiced 6,000, collected 4,000.
    t = tables(合同=contracts({"合同编号": "HT1"}),
               发货=ship({"发货日期": "2026-03-01", "合同编号": "HT1", "发货金额": "6,000"},
                        {"发货日期": "2026-04-15", "合同编号": "HT1", "发货金额": "4,000"}),
               开票=table("开票", [{"发票号码": "001", "开票日期": "2026-03-02", "合同编号": "HT1", "开票金额": "6,000"},
                                 {"发票号码": "002", "开票日期": "2026-04-16", "合同编号": "HT1", "开票金额": "4,000"}]),
               回款=paid({"回款日期": "2026-03-10", "合同编号": "HT1", "回款金额": "2,500"},
                        {"回款日期": "2026-03-20", "合同编号": "HT1", "回款金额": "1,500"}))
    out = run(t, date(2026, 3, 31))
    row = by_contract(out).loc["HT1"]
    assert (row["已发货金额"], row["已开票金额"], row["已回款金额"], row["未回款金额"]) == \
        (fen(6000), fen(6000), fen(4000), fen(6000))
    assert row["状态"] == "执行中" and str(row["最后发货日期"].date()) == "2026-03-01"
    assert out.data.events["累计开票"].iloc[-1] == fen(6000)


def test_summary_by_rep():
    # 张伟: HT1 10,000 (shipped 4,000); 李娜: HT2 20,000 and HT3 5,000 (shipped 5,000, paid 5,000 naming HT3).
    t = tables(合同=contracts({"合同编号": "HT1"}, {"合同编号": "HT2", "合同金额": "20,000", "业务员": "李娜"},
                              {"合同编号": "HT3", "合同金额": "5,000", "业务员": "李娜"}),
               发货=ship({"发货日期": "2026-03-01", "合同编号": "HT1", "发货金额": "4,000"},
                        {"发货日期": "2026-03-01", "合同编号": "HT3", "发货金额": "5,000"}),
               回款=paid({"回款日期": "2026-03-05", "合同编号": "HT3", "回款金额": "5,000"}))
    out = run(t, date(2026, 3, 31))
    reps = out.data.by_rep.set_index("业务员")
    assert reps.loc["李娜", ["合同数", "合同金额", "已发货金额", "已回款金额", "未回款金额"]].tolist() == \
        [2, fen(25000), fen(5000), fen(5000), fen(20000)]
    assert reps.loc["张伟", ["合同数", "合同金额", "已发货金额", "未回款金额"]].tolist() == [1, fen(10000), fen(4000), fen(10000)]
    assert out.figures["contract_amount_fen"] == fen(35000) and out.figures["collected_fen"] == fen(5000)


def test_detail_order_on_one_date_and_running_totals_per_contract():
    # Everything on 03-01, read in a mixed order: the detail is per contract, then by date, then
    # 签订 < 发货 < 开票 < 回款, then the order read. HT1: shipments FH2 then FH1 (read in that order) of 1,000
    # and 2,000, invoice 001 of 3,000; HT2: shipment FH3 of 500. Running totals restart for each contract.
    t = tables(合同=contracts({"合同编号": "HT2", "签订日期": "2026-03-01"}, {"合同编号": "HT1", "签订日期": "2026-03-01"}),
               开票=table("开票", [{"发票号码": "001", "开票日期": "2026-03-01", "合同编号": "HT1", "开票金额": "3,000"}]),
               发货=ship({"发货日期": "2026-03-01", "发货单号": "FH2", "合同编号": "HT1", "发货金额": "1,000"},
                        {"发货日期": "2026-03-01", "发货单号": "FH3", "合同编号": "HT2", "发货金额": "500"},
                        {"发货日期": "2026-03-01", "发货单号": "FH1", "合同编号": "HT1", "发货金额": "2,000"}))
    ev = run(t, date(2026, 3, 31)).data.events
    assert ev[["合同编号", "事项", "单据号", "累计发货", "累计开票"]].values.tolist() == [
        ["HT1", "签订", "HT1", 0, 0], ["HT1", "发货", "FH2", fen(1000), 0], ["HT1", "发货", "FH1", fen(3000), 0],
        ["HT1", "开票", "001", fen(3000), fen(3000)],
        ["HT2", "签订", "HT2", 0, 0], ["HT2", "发货", "FH3", fen(500), 0]]
    assert ev["客户名称"].unique().tolist() == ["明达"] and ev["业务员"].unique().tolist() == ["张伟"]


def test_the_follow_up_sheets_late_deliveries_and_unpaid_shipments():
    # on 11-26: H1 due 11-01 nothing shipped (late 25 days); H2 due 11-20 half shipped (late 6 days);
    # H3 shipped 3,000, paid 1,000 (unpaid 2,000 of goods out); H4 shipped 1,000, paid nothing; H5 not shipped yet
    t = tables(
        合同=table("合同", [{"合同编号": c, "签订日期": "2026-10-01", "客户名称": "明达", "合同金额": "5,000",
                           "约定交货日期": due} for c, due in (("H1", "2026-11-01"), ("H2", "2026-11-20"),
                                                            ("H3", None), ("H4", None), ("H5", "2026-12-31"))]),
        发货=table("发货", [{"发货日期": "2026-11-10", "合同编号": c, "发货金额": a, "客户名称": "明达"}
                          for c, a in (("H2", "2,500"), ("H3", "3,000"), ("H4", "1,000"))]),
        回款=table("回款", [{"回款日期": "2026-11-12", "客户名称": "明达", "合同编号": "H3", "回款金额": "1,000"}]))
    out = run(t, date(2026, 11, 26))
    late, unpaid = fulfilment.follow_ups(out.data.contracts)
    assert list(late["合同编号"]) == ["H1", "H2"] and list(late["交货逾期天数"]) == [25, 6]
    # shipped more than collected: H2 (2,500 / 0), H3 (3,000 / 1,000), H4 (1,000 / 0); by 未回款金额 = 合同金额 −
    # 已回款: H2 5,000, H4 5,000 (equal: by number), H3 4,000
    assert list(unpaid["合同编号"]) == ["H2", "H4", "H3"] and list(unpaid["未回款金额"]) == [fen(5000), fen(5000), fen(4000)]
    names = [s.name for s in out.workbooks[0].sheets]
    assert names == ["合同履行一览表", "交货逾期", "未回款", "履行明细", "按业务员汇总"]


def test_the_list_puts_what_needs_action_first():
    import pandas as pd

    from neiqin_xl.reports.fulfilment import by_action

    frame = pd.DataFrame({
        "合同编号": ["A", "B", "C", "D", "E", "F"],
        "状态": ["已完成", "已发货", "交货逾期", "未执行", "交货逾期", "已发货"],
        "交货逾期天数": pd.array([None, None, 3, None, 10, None], dtype="Int64"),
        "约定交货日期": pd.to_datetime([None, None, "2026-11-27", "2026-12-20", "2026-11-20", None]),
        "未回款金额": [0, 500, 100, 100, 100, 900]})
    # late first (E 10 days before C 3 days), then 未执行 D, then 已发货 by unpaid (F 900 before B 500), 已完成 A last
    assert list(by_action(frame)["合同编号"]) == ["E", "C", "D", "F", "B", "A"]

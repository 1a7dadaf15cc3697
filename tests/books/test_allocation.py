"""The allocation rules, each case worked out by hand."""

import pandas as pd

from neiqin_xl.books.allocation import allocate
from neiqin_xl.core.config import settings_from_dict

from ..helpers import fen, table, tables

S = settings_from_dict({})


def contracts(*rows):
    return table("合同", [{"签订日期": "2026-01-01", "客户名称": "明达", "合同金额": "100,000.00", **r} for r in rows])


def test_collection_naming_a_contract_pays_its_oldest_item_first_and_leaves_a_prepayment():
    # HT1: shipped 3,000 on 03-01 and 2,000 on 03-05. 回款 6,000 on 03-10 naming HT1:
    # pays 3,000 then 2,000, leaves 1,000 as HT1's credit; a shipment of 1,500 on 03-20 takes that 1,000.
    t = tables(合同=contracts({"合同编号": "HT1"}),
               发货=table("发货", [{"发货日期": "2026-03-01", "合同编号": "HT1", "发货金额": "3,000", "客户名称": "明达"},
                                 {"发货日期": "2026-03-05", "合同编号": "HT1", "发货金额": "2,000", "客户名称": "明达"},
                                 {"发货日期": "2026-03-20", "合同编号": "HT1", "发货金额": "1,500", "客户名称": "明达"}]),
               回款=table("回款", [{"回款日期": "2026-03-10", "客户名称": "明达", "合同编号": "HT1", "回款金额": "6,000"}]))
    a = allocate(t, S)
    assert list(a.applications["金额"]) == [fen(3000), fen(2000), fen(1000)]
    assert list(a.applications["核销日期"].dt.strftime("%m-%d")) == ["03-10", "03-10", "03-20"]
    assert list(a.items["未收"]) == [0, 0, fen(500)]
    assert a.credits.empty


def test_collection_without_contract_spreads_over_two_contracts_oldest_first():
    # HT1 shipped 4,000 (03-01), HT2 shipped 5,000 (03-02); 回款 6,000 without a contract on 03-15:
    # HT1's 4,000 first, then 2,000 of HT2 -> HT2 still owes 3,000.
    t = tables(合同=contracts({"合同编号": "HT1"}, {"合同编号": "HT2"}),
               发货=table("发货", [{"发货日期": "2026-03-01", "合同编号": "HT1", "发货金额": "4000", "客户名称": "明达"},
                                 {"发货日期": "2026-03-02", "合同编号": "HT2", "发货金额": "5000", "客户名称": "明达"}]),
               回款=table("回款", [{"回款日期": "2026-03-15", "客户名称": "明达", "回款金额": "6000"}]))
    a = allocate(t, S)
    assert list(zip(a.applications["合同编号"], a.applications["金额"])) == [("HT1", fen(4000)), ("HT2", fen(2000))]
    assert list(a.items["未收"]) == [0, fen(3000)]


def test_same_day_shipment_is_booked_before_the_collection():
    # shipment 1,000 and collection 1,000 on the same day: the collection pays it; no prepayment left.
    t = tables(合同=contracts({"合同编号": "HT1"}),
               发货=table("发货", [{"发货日期": "2026-04-01", "合同编号": "HT1", "发货金额": "1000", "客户名称": "明达"}]),
               回款=table("回款", [{"回款日期": "2026-04-01", "客户名称": "明达", "合同编号": "HT1", "回款金额": "1000"}]))
    a = allocate(t, S)
    assert list(a.items["未收"]) == [0] and a.credits.empty
    assert a.applications["账龄天数"].tolist() == [0]


def test_customer_credit_pays_a_later_item_of_any_contract_after_the_contract_credit():
    # 回款 500 naming HT2 (03-01) and 800 without contract (03-02); shipment of HT2 1,000 on 03-05:
    # HT2's own credit 500 first, then 500 of the customer's 800, leaving 300 customer credit.
    t = tables(合同=contracts({"合同编号": "HT1"}, {"合同编号": "HT2"}),
               发货=table("发货", [{"发货日期": "2026-03-05", "合同编号": "HT2", "发货金额": "1000", "客户名称": "明达"}]),
               回款=table("回款", [{"回款日期": "2026-03-01", "客户名称": "明达", "合同编号": "HT2", "回款金额": "500"},
                                 {"回款日期": "2026-03-02", "客户名称": "明达", "回款金额": "800"}]))
    a = allocate(t, S)
    assert list(a.applications["金额"]) == [fen(500), fen(500)]
    assert a.credits[["合同编号", "金额"]].values.tolist() == [["", fen(300)]]


def test_invoice_basis_uses_invoices_as_items():
    # on the invoice basis, the shipment does not count; the invoice of 2,000 is the item, aged from its date.
    s = settings_from_dict({"receivables": {"basis": "invoice"}})
    t = tables(合同=contracts({"合同编号": "HT1", "账期天数": 60}),
               发货=table("发货", [{"发货日期": "2026-03-01", "合同编号": "HT1", "发货金额": "5000", "客户名称": "明达"}]),
               开票=table("开票", [{"发票号码": "0001", "开票日期": "2026-03-10", "合同编号": "HT1", "开票金额": "2000",
                                 "客户名称": "明达"}]))
    a = allocate(t, s)
    assert a.items["单据类型"].tolist() == ["开票"] and a.items["金额"].tolist() == [fen(2000)]
    assert str(a.items["到期日"].iloc[0].date()) == "2026-05-09"  # 03-10 + 60 days


def test_two_customers_interleaved_each_application_names_its_own_item_collection_and_reps():
    # 明达 (HT1, 张伟): shipped 3,000 on 03-01 (term 30 -> due 03-31); 华光 (HT2, 李娜): shipped 2,000 on 03-02.
    # 03-10: 李娜 collects 1,500 from 华光 naming HT2 -> pays 1,500 of the 03-02 item, 8 days old.
    # 03-12: 张伟 collects 4,000 from 明达 without a contract -> pays 明达's 3,000 (11 days old), 1,000 stays a
    #        customer credit of 明达 (not of 华光, whose 500 stays open).
    # 03-15: 明达 ships 600 on HT1 -> paid at once from 明达's credit (age 0), 400 credit left.
    t = tables(合同=pd.concat([contracts({"合同编号": "HT1"}),
                              table("合同", [{"合同编号": "HT2", "签订日期": "2026-01-01", "客户名称": "华光",
                                             "合同金额": "9,000"}], rep="李娜")], ignore_index=True),
               发货=table("发货", [{"发货日期": "2026-03-01", "合同编号": "HT1", "发货金额": "3000", "客户名称": "明达"},
                                 {"发货日期": "2026-03-02", "合同编号": "HT2", "发货金额": "2000", "客户名称": "华光"},
                                 {"发货日期": "2026-03-15", "合同编号": "HT1", "发货金额": "600", "客户名称": "明达"}]),
               回款=pd.concat([table("回款", [{"回款日期": "2026-03-10", "客户名称": "华光", "合同编号": "HT2",
                                             "回款金额": "1500"}], rep="李娜"),
                              table("回款", [{"回款日期": "2026-03-12", "客户名称": "明达", "回款金额": "4000"}])],
                             ignore_index=True))
    a = allocate(t, S)
    apps = a.applications
    assert apps[["回款ID", "单据ID", "客户名称", "业务员", "回款业务员", "金额", "账龄天数"]].values.tolist() == [
        ["李娜.xlsx#回款#2", "张伟.xlsx#发货#3", "华光", "李娜", "李娜", fen(1500), 8],
        ["张伟.xlsx#回款#2", "张伟.xlsx#发货#2", "明达", "张伟", "张伟", fen(3000), 11],
        ["张伟.xlsx#回款#2", "张伟.xlsx#发货#4", "明达", "张伟", "张伟", fen(600), 0]]
    assert list(apps["核销日期"].dt.strftime("%m-%d")) == ["03-10", "03-12", "03-15"]
    assert list(apps["单据日期"].dt.strftime("%m-%d")) == ["03-02", "03-01", "03-15"]
    assert list(a.items["未收"]) == [0, fen(500), 0]
    assert list(a.collections["已核销"]) == [fen(1500), fen(3600)] and list(a.collections["合同业务员"]) == ["李娜", ""]
    assert a.credits[["客户名称", "合同编号", "金额"]].values.tolist() == [["明达", "", fen(400)]]

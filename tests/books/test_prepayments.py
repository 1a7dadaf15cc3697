"""A collection far above what the customer owes is a warning on its cell (issue 15; books/prepayments.py)."""

from __future__ import annotations

from datetime import date

from neiqin_xl.books.allocation import allocate
from neiqin_xl.books.prepayments import check_large_collections
from neiqin_xl.core.config import settings_from_dict
from neiqin_xl.core.model import WARNING

from ..helpers import table, tables


def books(*shipments: dict):
    # 明达 has two contracts: HT1 ¥10,000.00 and HT2 ¥30,000.00 (its largest); HT1 shipped in full on 11-05.
    # 回款 (张伟.xlsx, rows 2-4):
    #   row 2, 11-10, no contract, ¥45,000.00: pays HT1's ¥10,000.00, leaves ¥35,000.00 > 1 × ¥30,000.00 -> warning
    #   row 3, 11-12, names HT2, ¥30,000.00: HT2 has nothing open, leaves ¥30,000.00 = 1 × ¥30,000.00 -> no warning
    #   row 4, 11-15, 新客户 (no contract anywhere), ¥500.00: leaves ¥500.00 > 0 -> warning
    return tables(
        合同=table("合同", [{"合同编号": "HT1", "签订日期": "2026-11-01", "客户名称": "明达", "合同金额": "10,000.00"},
                           {"合同编号": "HT2", "签订日期": "2026-11-01", "客户名称": "明达", "合同金额": "30,000.00"}]),
        发货=table("发货", [{"发货单号": "FH1", "发货日期": "2026-11-05", "合同编号": "HT1", "发货金额": "10,000.00",
                            "客户名称": "明达"}, *shipments]),
        回款=table("回款", [{"回款日期": "2026-11-10", "客户名称": "明达", "回款金额": "45,000.00"},
                           {"回款日期": "2026-11-12", "客户名称": "明达", "合同编号": "HT2", "回款金额": "30,000.00"},
                           {"回款日期": "2026-11-15", "客户名称": "新客户", "回款金额": "500.00"}]))


def check(t, run_date=date(2026, 11, 30), n=1):
    settings = settings_from_dict({"receivables": {"max_prepayment_contracts": n}})
    return check_large_collections(t, allocate(t, settings), settings, run_date)


def test_a_collection_above_the_open_items_plus_the_largest_contract_is_a_warning_on_its_cell():
    found = check(books())
    assert [(p.severity, p.where(), p.value) for p in found] == [(WARNING, "张伟.xlsx[回款]!D2", "45,000.00"),
                                                                 (WARNING, "张伟.xlsx[回款]!D4", "500.00")]
    assert found[0].message == ("回款付清可核销的未收款后仍余 ¥35,000.00 记为预收款, 超过该客户最大合同金额 ¥30,000.00 的 1 倍; "
                                "预收款照常计提成")
    assert "没有任何合同" in found[1].message and found[0].field == "回款金额" and found[0].rep == "张伟"


def test_twice_the_largest_contract_allowed_leaves_only_the_customer_without_contracts():
    # N = 2: ¥35,000.00 ≤ 2 × ¥30,000.00
    assert [p.where() for p in check(books(), n=2)] == ["张伟.xlsx[回款]!D4"]


def test_the_warning_stays_while_the_money_is_unapplied_and_goes_once_it_is_used():
    # HT2 ships ¥30,000.00 on 11-20 (paid by row 3's contract credit) and ¥35,000.00 on 11-25 (paid by row 2's
    # customer credit: nothing of it is left on 11-25)
    later = books({"发货单号": "FH2", "发货日期": "2026-11-20", "合同编号": "HT2", "发货金额": "30,000.00", "客户名称": "明达"},
                  {"发货单号": "FH3", "发货日期": "2026-11-25", "合同编号": "HT2", "发货金额": "35,000.00", "客户名称": "明达"})
    assert [p.where() for p in check(later, run_date=date(2026, 11, 21))] == ["张伟.xlsx[回款]!D2", "张伟.xlsx[回款]!D4"]
    assert [p.where() for p in check(later)] == ["张伟.xlsx[回款]!D4"]
    assert check(later, run_date=date(2026, 11, 9)) == []  # none received yet

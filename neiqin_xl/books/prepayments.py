"""Checks of the allocation's result, after it and before the reports: a 核销单号 that could not be applied
(``check_write_offs``), and collections far above what the customer owes (``check_large_collections``).

A 核销单号 (rule 4 of the allocation) that names no item, another customer's item, an item not yet booked on
the collection's date or one already paid is an 错误 on that cell; the money is still applied, by rules 1-2.

A collection pays the open items it may pay (the item its 核销单号 names, its contract's open items, then the
customer's: rules 4, 1 and 2 of the allocation); what it leaves on the day it arrives becomes 预收款 and earns
commission like any collection. A remainder above ``receivables.max_prepayment_contracts`` (N, default 1)
times the customer's largest contract is more money than the customer could owe: a mistyped amount (an extra
zero), another customer's money, or a deposit the clerk should know about. Put as an accountant reads it:

    回款金额 > 收到当日它可核销的未收款 + N × 该客户最大一份合同的金额   →   警告

The warning names the collection's 回款金额 cell; the money still becomes 预收款 (the books show what was
received), but the clerk sees it in the 问题清单 before commission is paid on it. It is repeated while any
of the remainder is still unapplied on the run date, and stops once later shipments have used it up.
``check_write_offs`` and ``check_large_collections`` are run right after ``allocate`` when the books are opened
(``loader.open_books``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd

from ..core.columns import column_texts
from ..core.config import Settings
from ..core.model import ERROR, WARNING, Problem, Tables, fmt_yuan
from ..core.schema import COLLECTION_AMOUNT, COLLECTION_DATE, CONTRACT_AMOUNT, CUSTOMER, INVOICE_NO, SHEETS, SHIPMENT_NO
from .allocation import WRITE_OFF, Allocation, unapplied_as_of
from .validate import Columns, problem, records


def check_write_offs(tables: Tables, allocation: Allocation, settings: Settings, run_date: date) -> list[Problem]:
    """An 错误 on the 核销单号 cell of each collection dated up to ``run_date`` whose 核销单号 could not be applied
    (``allocation.write_off_errors``), saying why and that the money went by the other rules."""
    errors = allocation.write_off_errors
    if errors.empty:
        return []
    colls = allocation.collections
    colls = colls[colls[COLLECTION_DATE] <= pd.Timestamp(run_date)]
    why = dict(zip(errors["回款ID"], errors["原因"]))
    columns = Columns(tables)
    basis = INVOICE_NO if settings.receivables.basis == "invoice" else SHIPMENT_NO
    return [problem(row, columns, SHEETS["回款"], ERROR,
                    f"核销单号 {row[WRITE_OFF]} 无法核销: {why[row['回款ID']]}; 这笔回款已按合同编号、金额、先到先核的规则核销",
                    WRITE_OFF, f"请改成本客户尚未收清的{basis}, 或清空 核销单号")
            for row in records(colls[colls["回款ID"].isin(why)])]


def remainders_at_receipt(allocation: Allocation) -> pd.Series:
    """Per collection (index 回款ID): what it left unapplied on the day it arrived. On one date debits are
    booked before credits, so every application a collection makes on its own date is made when it arrives."""
    apps = allocation.applications
    same_day = apps[apps["核销日期"] == apps[COLLECTION_DATE]].groupby("回款ID", sort=False)["金额"].sum()
    colls = allocation.collections
    paid = same_day.reindex(colls["回款ID"], fill_value=0).to_numpy(dtype="int64")
    return pd.Series(colls[COLLECTION_AMOUNT].astype("int64").to_numpy() - paid, index=colls["回款ID"].to_numpy())


def check_large_collections(tables: Tables, allocation: Allocation, settings: Settings, run_date: date
                            ) -> list[Problem]:
    """A warning on each collection dated up to ``run_date`` whose remainder at receipt exceeded N × the
    customer's largest contract (a customer without a contract: any remainder) and is not yet all applied."""
    n = Decimal(str(settings.receivables.max_prepayment_contracts))
    contracts = tables["合同"]
    largest = (contracts[CONTRACT_AMOUNT].astype("int64").groupby(column_texts(contracts, CUSTOMER)).max().to_dict()
               if len(contracts) else {})
    colls = unapplied_as_of(allocation, run_date)
    if colls.empty:
        return []
    customers = column_texts(colls, CUSTOMER)
    tops = [int(largest.get(c, 0)) for c in customers]
    rest = remainders_at_receipt(allocation).reindex(colls["回款ID"]).to_numpy(dtype="int64")
    over = [r > n * top and left > 0 for r, top, left in zip(rest.tolist(), tops, colls["未核销"].tolist())]
    flagged = colls.assign(_rest=rest, _top=tops)[over]
    columns = Columns(tables)
    found = []
    for row in records(flagged):
        top = row["_top"]
        basis = f"该客户最大合同金额 ¥{fmt_yuan(top)} 的 {n} 倍" if top else "零 (该客户没有任何合同)"
        found.append(problem(row, columns, SHEETS["回款"], WARNING,
                             f"回款付清可核销的未收款后仍余 ¥{fmt_yuan(row['_rest'])} 记为预收款, 超过{basis}; "
                             "预收款照常计提成", COLLECTION_AMOUNT,
                             "请核对金额、客户和合同编号 (多输了一个 0? 别的客户的款?), 确认后再发放提成",
                             fmt_yuan(int(row[COLLECTION_AMOUNT]))))
    return found

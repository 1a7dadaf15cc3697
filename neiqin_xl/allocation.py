"""The allocation of collections to open items: written once, consumed by every report.

Receivables arise on shipment (``receivables.basis: shipment``: every 发货 row with a 发货日期) or on invoice
(``invoice``: every 开票 row). Events are taken in date order, on one date debits before credits:

1. a collection that names a contract pays that contract's open items, oldest first; what is left stays as
   an unapplied credit of that contract (预收款) and pays that contract's next items when they arrive;
2. a collection without a contract pays the customer's open items, oldest first, across contracts; what is
   left stays as a customer-level credit and pays the customer's next items, of any contract;
3. a new item is paid first from its contract's credit, then from the customer's credit, oldest first.

``allocate`` is a pure function: tables in, ``Allocation`` out (see docs/ARCHITECTURE.md for the columns).
The fulfilment sheet, the ledger, the aging, the shipping check and the commission all read its result.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import date

import pandas as pd

from .config import Settings
from .model import REP, SOURCE_COLUMNS, SRC_ROW, SRC_SHEET, SRC_WORKBOOK, Tables, text as _text

ITEM_COLUMNS = ["单据ID", "单据类型", "单据号", "日期", "合同编号", "客户名称", "业务员", "金额", "已收", "未收", "到期日",
                "账期天数", *SOURCE_COLUMNS]
APPLICATION_COLUMNS = ["回款ID", "回款日期", "核销日期", "单据ID", "单据日期", "合同编号", "客户名称", "业务员", "回款业务员",
                       "金额", "账龄天数"]
CREDIT_COLUMNS = ["回款ID", "回款日期", "客户名称", "合同编号", "金额"]


@dataclass
class Allocation:
    items: pd.DataFrame  # debits: shipments or invoices, with 已收 / 未收 after every collection
    collections: pd.DataFrame  # the 回款 rows with 回款ID, 已核销, 未核销
    applications: pd.DataFrame  # which collection paid how much of which item, on which date
    credits: pd.DataFrame  # money not yet applied at the end: contract credits (预收款) and customer credits


def row_id(row: dict) -> str:
    """A stable id from a row's source: 张伟.xlsx#发货#12."""
    return f"{row.get(SRC_WORKBOOK, '')}#{row.get(SRC_SHEET, '')}#{row.get(SRC_ROW, '')}"


def _term_days(contract_terms: dict[str, int], customer_terms: dict[str, int], contract: str, customer: str,
               default: int) -> int:
    if contract in contract_terms:
        return contract_terms[contract]
    return customer_terms.get(customer, default)


def _terms(frame: pd.DataFrame, key: str) -> dict[str, int]:
    if frame.empty or "账期天数" not in frame:
        return {}
    sub = frame[[key, "账期天数"]].dropna()
    return {_text(k): int(v) for k, v in zip(sub[key], sub["账期天数"])}


def build_items(tables: Tables, settings: Settings) -> pd.DataFrame:
    """The debit items of the configured basis, each with its customer, rep, due date and source."""
    contracts = tables["合同"]
    by_contract = {_text(r["合同编号"]): r for r in contracts.to_dict("records")}
    if settings.receivables.basis == "invoice":
        src, kind, number, day, amount = tables["开票"], "开票", "发票号码", "开票日期", "开票金额"
    else:
        src, kind, number, day, amount = tables["发货"], "发货", "发货单号", "发货日期", "发货金额"
        src = src[src["发货日期"].notna()]
    contract_terms = _terms(contracts, "合同编号")
    customer_terms = _terms(tables["客户"], "客户名称")
    default = settings.receivables.default_term_days
    rows = []
    for r in src.to_dict("records"):
        contract_no = _text(r.get("合同编号"))
        contract = by_contract.get(contract_no, {})
        customer = _text(r.get("客户名称")) or _text(contract.get("客户名称"))
        term = _term_days(contract_terms, customer_terms, contract_no, customer, default)
        item_date = pd.Timestamp(r[day])
        rows.append({"单据ID": row_id(r), "单据类型": kind, "单据号": _text(r.get(number)), "日期": item_date,
                     "合同编号": contract_no, "客户名称": customer,
                     "业务员": _text(contract.get(REP)) or _text(r.get(REP)), "金额": int(r[amount]),
                     "到期日": item_date + pd.Timedelta(days=term), "账期天数": term,
                     **{c: r.get(c) for c in SOURCE_COLUMNS}})
    return pd.DataFrame(rows, columns=[c for c in ITEM_COLUMNS if c not in ("已收", "未收")])


def allocate(tables: Tables, settings: Settings) -> Allocation:
    """Applies every collection to open items by the three rules above."""
    items = build_items(tables, settings)
    collections = tables["回款"].copy()
    collections["回款ID"] = [row_id(r) for r in collections.to_dict("records")]
    contract_rep = {_text(k): _text(v) for k, v in zip(tables["合同"]["合同编号"], tables["合同"][REP])}

    # events: (date, 0 = debit / 1 = credit, sequence) -> on one date debits before credits
    events = [(pd.Timestamp(r["日期"]), 0, i, r) for i, r in enumerate(items.to_dict("records"))]
    events += [(pd.Timestamp(r["回款日期"]), 1, i, r) for i, r in enumerate(collections.to_dict("records"))]
    events.sort(key=lambda e: (e[0], e[1], e[2]))

    open_by_contract: dict[str, deque] = defaultdict(deque)  # [item, remaining] lists, oldest first
    open_by_customer: dict[str, deque] = defaultdict(deque)
    credit_by_contract: dict[str, deque] = defaultdict(deque)  # [collection, remaining] lists, oldest first
    credit_by_customer: dict[str, deque] = defaultdict(deque)
    paid: dict[str, int] = defaultdict(int)
    applied: dict[str, int] = defaultdict(int)
    applications: list[dict] = []

    def apply(coll: dict, item: dict, amount: int, on: pd.Timestamp) -> None:
        paid[item["单据ID"]] += amount
        applied[coll["回款ID"]] += amount
        applications.append({"回款ID": coll["回款ID"], "回款日期": pd.Timestamp(coll["回款日期"]), "核销日期": on,
                             "单据ID": item["单据ID"], "单据日期": item["日期"], "合同编号": item["合同编号"],
                             "客户名称": item["客户名称"], "业务员": item["业务员"], "回款业务员": _text(coll.get(REP)),
                             "金额": amount, "账龄天数": int((on - item["日期"]).days)})

    def pay_from_credits(item: dict, remaining: int, credits: deque, on: pd.Timestamp) -> int:
        while remaining and credits:
            entry = credits[0]
            take = min(remaining, entry[1])
            apply(entry[0], item, take, on)
            entry[1] -= take
            remaining -= take
            if entry[1] == 0:
                credits.popleft()
        return remaining

    def pay_open_items(coll: dict, remaining: int, queue: deque, on: pd.Timestamp) -> int:
        for entry in queue:
            if not remaining:
                break
            if entry[1]:
                take = min(remaining, entry[1])
                apply(coll, entry[0], take, on)
                entry[1] -= take
                remaining -= take
        while queue and queue[0][1] == 0:
            queue.popleft()
        return remaining

    for on, kind, _, rec in events:
        if kind == 0:
            remaining = int(rec["金额"])
            remaining = pay_from_credits(rec, remaining, credit_by_contract[rec["合同编号"]], on)
            remaining = pay_from_credits(rec, remaining, credit_by_customer[rec["客户名称"]], on)
            if remaining:
                entry = [rec, remaining]  # shared by both queues: paying it through one pays it in both
                open_by_contract[rec["合同编号"]].append(entry)
                open_by_customer[rec["客户名称"]].append(entry)
        else:
            remaining = int(rec["回款金额"])
            contract_no = _text(rec.get("合同编号"))
            customer = _text(rec.get("客户名称"))
            if contract_no:
                remaining = pay_open_items(rec, remaining, open_by_contract[contract_no], on)
                if remaining:
                    credit_by_contract[contract_no].append([rec, remaining])
            else:
                remaining = pay_open_items(rec, remaining, open_by_customer[customer], on)
                if remaining:
                    credit_by_customer[customer].append([rec, remaining])

    items["已收"] = [paid[i] for i in items["单据ID"]]
    items["未收"] = items["金额"] - items["已收"]
    items = items[ITEM_COLUMNS].astype({"金额": "int64", "已收": "int64", "未收": "int64"})
    collections["已核销"] = [applied[i] for i in collections["回款ID"]]
    collections["未核销"] = collections["回款金额"].astype("int64") - collections["已核销"]
    collections["合同业务员"] = [contract_rep.get(_text(c), "") for c in collections["合同编号"]]
    credits = [{"回款ID": e[0]["回款ID"], "回款日期": pd.Timestamp(e[0]["回款日期"]), "客户名称": _text(e[0].get("客户名称")),
                "合同编号": contract_no, "金额": e[1]}
               for contract_no, queue in credit_by_contract.items() for e in queue if e[1]]
    credits += [{"回款ID": e[0]["回款ID"], "回款日期": pd.Timestamp(e[0]["回款日期"]), "客户名称": customer, "合同编号": "",
                 "金额": e[1]} for customer, queue in credit_by_customer.items() for e in queue if e[1]]
    return Allocation(
        items=items.reset_index(drop=True),
        collections=collections.reset_index(drop=True),
        applications=pd.DataFrame(applications, columns=APPLICATION_COLUMNS).astype({"金额": "int64", "账龄天数": "int64"}),
        credits=pd.DataFrame(credits, columns=CREDIT_COLUMNS).astype({"金额": "int64"}).sort_values(
            ["客户名称", "回款日期"], kind="stable").reset_index(drop=True),
    )


def open_items_as_of(allocation: Allocation, day: date) -> pd.DataFrame:
    """Items dated up to ``day`` with what was still unpaid on ``day`` (applications after it undone)."""
    cutoff = pd.Timestamp(day)
    items = allocation.items[allocation.items["日期"] <= cutoff].copy()
    apps = allocation.applications[allocation.applications["核销日期"] <= cutoff]
    paid = apps.groupby("单据ID")["金额"].sum()
    items["已收"] = items["单据ID"].map(paid).fillna(0).astype("int64")
    items["未收"] = items["金额"] - items["已收"]
    return items


def unapplied_as_of(allocation: Allocation, day: date) -> pd.DataFrame:
    """Collections dated up to ``day`` with what of each was not yet applied on ``day`` (column 未核销)."""
    cutoff = pd.Timestamp(day)
    collections = allocation.collections[allocation.collections["回款日期"] <= cutoff].copy()
    apps = allocation.applications[allocation.applications["核销日期"] <= cutoff]
    applied = apps.groupby("回款ID")["金额"].sum()
    collections["未核销"] = (collections["回款金额"].astype("int64")
                          - collections["回款ID"].map(applied).fillna(0).astype("int64"))
    return collections

"""The allocation of collections to open items: written once, consumed by every report.

Receivables arise on shipment (``receivables.basis: shipment``: every 发货 row with a 发货日期) or on invoice
(``invoice``: every 开票 row). Events are taken in date order, on one date debits before credits. The money goes
where the customer meant it (核销, as a clerk applies it):

4. a collection with a 核销单号 (the item's 单据号: 发货单号, or 发票号码 under ``basis: invoice``) pays that item
   first, and only it; a 核销单号 naming no item, another customer's item, an item not yet booked on the
   collection's date or one already paid is kept in ``write_off_errors`` (a problem on that cell, see
   ``prepayments.check_write_offs``) and the money follows rules 1-2 as if it had none;
1. a collection that names a contract pays that contract's open items, oldest first; what is left stays as
   that contract's credit (预收款) only up to what the contract has not yet shipped (invoiced under ``basis:
   invoice``): 合同金额 − its items so far − the credit it already holds (a contract not in the 合同 sheet has
   nothing left to ship); anything beyond goes on by rule 2;
2. money without a contract (or the rest from rule 1): when exactly one open item of the customer has an open
   amount equal to it, to the fen, it pays that item; else the customer's open items, oldest first, across
   contracts; what is left stays as a customer-level credit;
3. a new item is paid first from its contract's credit, then from the customer's credit, oldest first.

Every application carries the rule that made it (column 规则: ``RULES``) and, for one paid from a credit, whose
credit it was (预收层级 合同 or 客户); a collection carries 合同预收, what it left as its contract's credit.

``allocate`` is a pure function: tables in, ``Allocation`` out (see docs/ARCHITECTURE.md for the columns).
The fulfilment sheet, the ledger, the aging, the shipping check and the commission all read its result,
as of their day through the views at the end of this module (``open_items_as_of``, ``unapplied_as_of``,
``collections_as_of``, ``applications_as_of``, ``credits_as_of``): one home for "what did the books say on D".
The events are booked in one pass (``Books``, rows referred to by number), so the work grows with the rows;
``row_ids`` reads whole columns at once (see ``columns``).
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from ..core.columns import column_texts, sources, texts
from ..core.config import Settings
from ..core.model import REP, SOURCE_COLUMNS, SRC_ROW, SRC_SHEET, SRC_WORKBOOK, Tables
from ..core.schema import (COLLECTION_AMOUNT, COLLECTION_DATE, CONTRACT_AMOUNT, CONTRACT_NO, CREDIT_DAYS, CUSTOMER,
                           INVOICE_AMOUNT, INVOICE_DATE, INVOICE_NO, PLANNED_AMOUNT, SHIPMENT_AMOUNT, SHIPMENT_DATE,
                           SHIPMENT_NO)
from .collection_plans import LINE_COLUMNS, Plans, build_plans, lines_as_of, split_by_plan

ITEM_COLUMNS = ["单据ID", "单据类型", "单据号", "日期", CONTRACT_NO, CUSTOMER, REP, "金额", "已收", "未收", "到期日",
                CREDIT_DAYS, *SOURCE_COLUMNS]
APPLICATION_COLUMNS = ["回款ID", COLLECTION_DATE, "核销日期", "单据ID", "单据日期", CONTRACT_NO, CUSTOMER, REP, "回款业务员",
                       "金额", "账龄天数", "规则", "预收层级"]
CREDIT_COLUMNS = ["回款ID", COLLECTION_DATE, CUSTOMER, CONTRACT_NO, "金额"]
CREDITS_ON_DAY_COLUMNS = ["回款ID", COLLECTION_DATE, CUSTOMER, CONTRACT_NO, "金额", REP, "合同业务员", "来源", "指定合同"]
WRITE_OFF_ERROR_COLUMNS = ["回款ID", "核销单号", "原因"]
WRITE_OFF = "核销单号"  # the optional 回款 column naming the item the money pays (rule 4)
BY_NUMBER, BY_CONTRACT, BY_AMOUNT, OLDEST_FIRST, FROM_CREDIT = "按核销单号", "按合同", "按金额", "先到先核", "预收款"
RULES = (BY_NUMBER, BY_CONTRACT, BY_AMOUNT, OLDEST_FIRST, FROM_CREDIT)  # 规则 of an application
CONTRACT_LEVEL, CUSTOMER_LEVEL = "合同", "客户"  # 预收层级: whose credit paid an item (rule 3)


@dataclass(frozen=True)
class Allocation:
    items: pd.DataFrame  # debits: shipments or invoices, with 已收 / 未收 after every collection
    collections: pd.DataFrame  # the 回款 rows with 回款ID, 已核销, 未核销
    applications: pd.DataFrame  # which collection paid how much of which item, on which date
    credits: pd.DataFrame  # money not yet applied at the end: contract credits (预收款) and customer credits
    plans: Plans | None = None  # the 回款计划 in use (books/collection_plans.py): when open amounts fall due
    # collections whose 核销单号 could not be applied (WRITE_OFF_ERROR_COLUMNS): rule 4's errors
    write_off_errors: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=WRITE_OFF_ERROR_COLUMNS))
    # as-of views several reports read for the same day, worked out once (``once_per_day``)
    _views: dict = field(default_factory=dict, init=False, repr=False, compare=False)


# ---------------------------------------------------------------- columns as plain lists (one pass, no pandas boxing)

def row_ids(frame: pd.DataFrame) -> list[str]:
    """A stable id of every row of ``frame`` from its source: 张伟.xlsx#发货#12."""
    parts = [frame[c].to_numpy(dtype=object) if c in frame else [""] * len(frame)
             for c in (SRC_WORKBOOK, SRC_SHEET, SRC_ROW)]
    return [f"{wb}#{sheet}#{line}" for wb, sheet, line in zip(*parts)]


# ---------------------------------------------------------------- the debit items

def _terms(frame: pd.DataFrame, key: str) -> dict[str, int]:
    if frame.empty or CREDIT_DAYS not in frame:
        return {}
    sub = frame[[key, CREDIT_DAYS]].dropna()
    return dict(zip(texts(sub[key]), (int(v) for v in sub[CREDIT_DAYS].to_numpy(dtype=object))))


def _term_days(contract_terms: dict[str, int], customer_terms: dict[str, int], contracts: list[str],
               customers: list[str], default: int) -> list[int]:
    """账期天数 of each item: its contract's, else its customer's, else ``default``."""
    return [contract_terms[k] if k in contract_terms else customer_terms.get(c, default)
            for k, c in zip(contracts, customers)]


def build_items(tables: Tables, settings: Settings) -> pd.DataFrame:
    """The debit items of the configured basis, each with its customer, rep, due date and source."""
    contracts = tables["合同"]
    if settings.receivables.basis == "invoice":
        src, kind, number, day, amount = tables["开票"], "开票", INVOICE_NO, INVOICE_DATE, INVOICE_AMOUNT
    else:
        src, kind, number, day, amount = tables["发货"], "发货", SHIPMENT_NO, SHIPMENT_DATE, SHIPMENT_AMOUNT
        src = src[src[SHIPMENT_DATE].notna()]
    src = src.reset_index(drop=True)
    contract_nos = column_texts(contracts, CONTRACT_NO)  # a contract listed twice: its last row counts
    contract_customer = dict(zip(contract_nos, column_texts(contracts, CUSTOMER)))
    contract_rep = dict(zip(contract_nos, column_texts(contracts, REP)))
    numbers = column_texts(src, CONTRACT_NO)
    customers = [own or contract_customer.get(no, "")
                 for own, no in zip(column_texts(src, CUSTOMER), numbers)]
    reps = [contract_rep.get(no, "") or own for own, no in zip(column_texts(src, REP), numbers)]
    terms = _term_days(_terms(contracts, CONTRACT_NO), _terms(tables["客户"], CUSTOMER), numbers, customers,
                       settings.receivables.default_term_days)
    dates = pd.Series(src[day].to_numpy(dtype="datetime64[us]"))
    columns = {"单据ID": row_ids(src), "单据类型": [kind] * len(src), "单据号": column_texts(src, number),
               "日期": dates, CONTRACT_NO: numbers, CUSTOMER: customers, REP: reps,
               "金额": src[amount].astype("int64").to_numpy(),
               "到期日": dates + pd.to_timedelta(pd.Series(terms, dtype="int64"), unit="D"),
               CREDIT_DAYS: pd.Series(terms, dtype="int64"),
               **{c: src[c] if c in src else [None] * len(src) for c in SOURCE_COLUMNS}}
    return pd.DataFrame(columns, columns=[c for c in ITEM_COLUMNS if c not in ("已收", "未收")])


# ---------------------------------------------------------------- the booking of events

def event_order(item_dates: pd.Series, collection_dates: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(every event's date, the events in booking order). Events 0 … n-1 are the items, n … the collections;
    they are booked by date, on one date debits before credits, then in table order."""
    dates = np.concatenate([item_dates.to_numpy(dtype="datetime64[us]"),
                            collection_dates.to_numpy(dtype="datetime64[us]")])
    kind = np.repeat([0, 1], [len(item_dates), len(collection_dates)])
    sequence = np.concatenate([np.arange(len(item_dates)), np.arange(len(collection_dates))])
    return dates, np.lexsort((sequence, kind, dates))


class Books:
    """The allocation's running state: open items and unapplied money per contract and per customer, oldest
    first, and every application made. Items and collections are their row numbers; entries are
    ``[row, remaining]`` lists, an open item's entry shared by its contract's and its customer's queue.

    ``item_customers``: each item's customer; ``contract_amounts``: 合同金额 per contract number (rule 1's
    limit)."""

    def __init__(self, n_items: int, n_collections: int, item_customers: list[str] | None = None,
                 contract_amounts: dict[str, int] | None = None):
        self.open_by_contract: dict[str, deque] = defaultdict(deque)
        self.open_by_customer: dict[str, deque] = defaultdict(deque)
        self.credit_by_contract: dict[str, deque] = defaultdict(deque)
        self.credit_by_customer: dict[str, deque] = defaultdict(deque)
        self.item_customers = item_customers if item_customers is not None else [""] * n_items
        self.contract_amounts = contract_amounts or {}
        self.entries: list[list | None] = [None] * n_items  # an item's open entry once booked
        self.open_amounts: dict[str, defaultdict] = defaultdict(lambda: defaultdict(int))  # customer: {未收: count}
        self.booked_by_contract: dict[str, int] = defaultdict(int)  # Σ items booked so far
        self.held_by_contract: dict[str, int] = defaultdict(int)  # Σ the contract's credit still held
        self.contract_credit = [0] * n_collections  # what each collection left as its contract's credit
        self.paid = [0] * n_items
        self.applied = [0] * n_collections
        self.write_off_errors: list[tuple[int, str, str]] = []  # (collection, 核销单号, 原因)
        # one list per column of the applications: collection, item, event (its date is the 核销日期), amount,
        # the rule that made it and, paid from a credit, whose credit
        self.app_collection: list[int] = []
        self.app_item: list[int] = []
        self.app_event: list[int] = []
        self.app_amount: list[int] = []
        self.app_rule: list[str] = []
        self.app_level: list[str] = []

    def apply(self, collection: int, item: int, amount: int, event: int, rule: str = OLDEST_FIRST,
              level: str = "") -> None:
        self.paid[item] += amount
        self.applied[collection] += amount
        self.app_collection.append(collection)
        self.app_item.append(item)
        self.app_event.append(event)
        self.app_amount.append(amount)
        self.app_rule.append(rule)
        self.app_level.append(level)

    def settle(self, collection: int, entry: list, take: int, event: int, rule: str) -> None:
        """``take`` of an open item's entry paid by ``collection``; the customer's count of open amounts follows."""
        counts = self.open_amounts[self.item_customers[entry[0]]]
        counts[entry[1]] -= 1
        entry[1] -= take
        if entry[1]:
            counts[entry[1]] += 1
        self.apply(collection, entry[0], take, event, rule)

    def book_item(self, item: int, amount: int, contract: str, customer: str, event: int) -> None:
        """Rule 3: a new item takes its contract's credit, then its customer's; the rest stays open."""
        self.booked_by_contract[contract] += amount
        remaining = self.pay_from_credits(item, amount, self.credit_by_contract[contract], event, CONTRACT_LEVEL)
        self.held_by_contract[contract] -= amount - remaining
        remaining = self.pay_from_credits(item, remaining, self.credit_by_customer[customer], event, CUSTOMER_LEVEL)
        if remaining:
            entry = [item, remaining]  # shared by both queues: paying it through one pays it in both
            self.entries[item] = entry
            self.open_by_contract[contract].append(entry)
            self.open_by_customer[customer].append(entry)
            self.open_amounts[customer][remaining] += 1
        else:
            self.entries[item] = [item, 0]

    def book_collection(self, collection: int, amount: int, contract: str, customer: str, event: int,
                        targets: list[int] | None = None, number: str = "") -> None:
        """Rules 4, 1 and 2: the item its 核销单号 names (``targets``: the items with that 单据号), then the
        named contract's open items and credit up to what it has not yet shipped, then the customer's."""
        remaining = amount
        if number:
            remaining = self.pay_named_item(collection, remaining, customer, targets or [], number, event)
        if contract and remaining:
            remaining = self.pay_open_items(collection, remaining, self.open_by_contract[contract], event, BY_CONTRACT)
            room = (self.contract_amounts.get(contract, 0) - self.booked_by_contract[contract]
                    - self.held_by_contract[contract])
            keep = max(0, min(remaining, room))
            if keep:
                self.credit_by_contract[contract].append([collection, keep])
                self.held_by_contract[contract] += keep
                self.contract_credit[collection] = keep
                remaining -= keep
        if remaining:
            remaining = self.pay_customer(collection, remaining, customer, event)
        if remaining:
            self.credit_by_customer[customer].append([collection, remaining])

    def pay_named_item(self, collection: int, remaining: int, customer: str, targets: list[int], number: str,
                       event: int) -> int:
        """Rule 4: the open item of this customer with the 单据号 ``number``; else an error kept, nothing paid."""
        mine = [i for i in targets if self.item_customers[i] == customer]
        booked = [i for i in mine if self.entries[i] is not None]
        open_ = [i for i in booked if self.entries[i][1]]
        if open_:
            entry = self.entries[open_[0]]
            take = min(remaining, entry[1])
            self.settle(collection, entry, take, event, BY_NUMBER)
            return remaining - take
        if not targets:
            reason = "没有这个单据号的发货单/发票"
        elif not mine:
            reason = "这张单据属于另一个客户, 不是本笔回款的客户"
        elif not booked:
            reason = "这张单据的日期在回款日期之后, 回款时还没有这笔应收"
        else:
            reason = "这张单据回款时已全部核销"
        self.write_off_errors.append((collection, number, reason))
        return remaining

    def pay_customer(self, collection: int, remaining: int, customer: str, event: int) -> int:
        """Rule 2: the one open item of exactly this amount, else the customer's open items oldest first."""
        queue = self.open_by_customer[customer]
        if self.open_amounts[customer].get(remaining, 0) == 1:
            entry = next(e for e in queue if e[1] == remaining)
            self.settle(collection, entry, remaining, event, BY_AMOUNT)
            return 0
        return self.pay_open_items(collection, remaining, queue, event, OLDEST_FIRST)

    def pay_from_credits(self, item: int, remaining: int, credits: deque, event: int, level: str = "") -> int:
        while remaining and credits:
            entry = credits[0]
            take = min(remaining, entry[1])
            self.apply(entry[0], item, take, event, FROM_CREDIT, level)
            entry[1] -= take
            remaining -= take
            if entry[1] == 0:
                credits.popleft()
        return remaining

    def pay_open_items(self, collection: int, remaining: int, queue: deque, event: int,
                       rule: str = OLDEST_FIRST) -> int:
        for entry in queue:
            if not remaining:
                break
            if entry[1]:
                take = min(remaining, entry[1])
                self.settle(collection, entry, take, event, rule)
                remaining -= take
        while queue and queue[0][1] == 0:
            queue.popleft()
        return remaining


def item_numbers(items: pd.DataFrame) -> dict[str, list[int]]:
    """单据号 -> the rows of the items that carry it (a 核销单号 looks its item up here)."""
    found: dict[str, list[int]] = defaultdict(list)
    for row, number in enumerate(texts(items["单据号"])):
        if number:
            found[number].append(row)
    return found


def allocate(tables: Tables, settings: Settings) -> Allocation:
    """Applies every collection to open items by the four rules above."""
    items = build_items(tables, settings)
    collections = tables["回款"].copy()
    collections["回款ID"] = row_ids(collections)
    item_amounts, item_contracts, item_customers = items["金额"].tolist(), texts(items[CONTRACT_NO]), texts(items[CUSTOMER])
    contracts = tables["合同"]
    amounts = dict(zip(column_texts(contracts, CONTRACT_NO), contracts[CONTRACT_AMOUNT].astype("int64").tolist())) \
        if len(contracts) else {}  # a contract listed twice: its last row counts
    books = Books(len(items), len(collections), item_customers, amounts)
    coll_amounts = collections[COLLECTION_AMOUNT].astype("int64").tolist()
    coll_contracts, coll_customers = column_texts(collections, CONTRACT_NO), column_texts(collections, CUSTOMER)
    write_offs = column_texts(collections, WRITE_OFF) if WRITE_OFF in collections else [""] * len(collections)
    numbers = item_numbers(items) if any(write_offs) else {}
    dates, order = event_order(items["日期"], collections[COLLECTION_DATE])
    n_items = len(items)
    for event in order.tolist():
        if event < n_items:
            books.book_item(event, item_amounts[event], item_contracts[event], item_customers[event], event)
        else:
            row = event - n_items
            books.book_collection(row, coll_amounts[row], coll_contracts[row], coll_customers[row], event,
                                  numbers.get(write_offs[row]), write_offs[row])

    items["已收"] = books.paid
    items["未收"] = items["金额"] - items["已收"]
    items = items[ITEM_COLUMNS].astype({"金额": "int64", "已收": "int64", "未收": "int64"})
    collections["已核销"] = books.applied
    collections["未核销"] = collections[COLLECTION_AMOUNT].astype("int64") - collections["已核销"]
    collections["合同预收"] = pd.Series(books.contract_credit, index=collections.index, dtype="int64")
    contract_rep = dict(zip(column_texts(tables["合同"], CONTRACT_NO), column_texts(tables["合同"], REP)))
    collections["合同业务员"] = [contract_rep.get(c, "") for c in coll_contracts]
    ids = collections["回款ID"].tolist()
    errors = pd.DataFrame([(ids[row], number, reason) for row, number, reason in books.write_off_errors],
                          columns=WRITE_OFF_ERROR_COLUMNS)
    return Allocation(items=items.reset_index(drop=True), collections=collections.reset_index(drop=True),
                      applications=application_table(books, items, collections, dates),
                      credits=credit_table(books, collections, coll_customers), plans=build_plans(tables, settings),
                      write_off_errors=errors)


def application_table(books: Books, items: pd.DataFrame, collections: pd.DataFrame, dates: np.ndarray) -> pd.DataFrame:
    """APPLICATION_COLUMNS from the books' applications: what each collection paid of each item, when."""
    coll, item = np.asarray(books.app_collection, dtype="int64"), np.asarray(books.app_item, dtype="int64")

    def of_items(column: str) -> np.ndarray:
        return items[column].to_numpy()[item]

    on = pd.Series(dates[np.asarray(books.app_event, dtype="int64")])
    item_dates = pd.Series(items["日期"].to_numpy(dtype="datetime64[us]")[item])
    frame = pd.DataFrame({"回款ID": collections["回款ID"].to_numpy()[coll],
                          COLLECTION_DATE: collections[COLLECTION_DATE].to_numpy(dtype="datetime64[us]")[coll],
                          "核销日期": on, "单据ID": of_items("单据ID"), "单据日期": item_dates,
                          CONTRACT_NO: of_items(CONTRACT_NO), CUSTOMER: of_items(CUSTOMER), REP: of_items(REP),
                          "回款业务员": np.asarray(column_texts(collections, REP), dtype=object)[coll],
                          "金额": np.asarray(books.app_amount, dtype="int64"), "账龄天数": (on - item_dates).dt.days,
                          "规则": np.asarray(books.app_rule, dtype=object),
                          "预收层级": np.asarray(books.app_level, dtype=object)})
    return frame[APPLICATION_COLUMNS].astype({"金额": "int64", "账龄天数": "int64"})


def credit_table(books: Books, collections: pd.DataFrame, customers: list[str]) -> pd.DataFrame:
    """CREDIT_COLUMNS: money still unapplied at the end, contract credits then customer credits, by 客户名称 and
    回款日期."""
    ids, days = collections["回款ID"].tolist(), collections[COLLECTION_DATE]
    credits = [{"回款ID": ids[e[0]], COLLECTION_DATE: pd.Timestamp(days.iat[e[0]]), CUSTOMER: customers[e[0]],
                CONTRACT_NO: contract_no, "金额": e[1]}
               for contract_no, queue in books.credit_by_contract.items() for e in queue if e[1]]
    credits += [{"回款ID": ids[e[0]], COLLECTION_DATE: pd.Timestamp(days.iat[e[0]]), CUSTOMER: customer, CONTRACT_NO: "",
                 "金额": e[1]} for customer, queue in books.credit_by_customer.items() for e in queue if e[1]]
    return pd.DataFrame(credits, columns=CREDIT_COLUMNS).astype({"金额": "int64"}).sort_values(
        [CUSTOMER, COLLECTION_DATE], kind="stable").reset_index(drop=True)


def once_per_day(allocation: Allocation, view: str, day: date, make) -> pd.DataFrame:
    """The as-of view ``view`` of ``day``, made by ``make()`` once per allocation (the reports read the same
    days' views: the run date, the 对账函's period ends); each caller gets its own copy."""
    key = (view, day)
    if key not in allocation._views:
        allocation._views[key] = make()
    return allocation._views[key].copy()


def open_items_as_of(allocation: Allocation, day: date) -> pd.DataFrame:
    """Items dated up to ``day`` with what was still unpaid on ``day`` (applications after it undone); worked
    out once per day (``once_per_day``)."""
    return once_per_day(allocation, "open_items", day, lambda: open_items_on(allocation, day))


def open_items_on(allocation: Allocation, day: date) -> pd.DataFrame:
    """``open_items_as_of``, worked out."""
    cutoff = pd.Timestamp(day)
    items = allocation.items[allocation.items["日期"] <= cutoff].copy()
    apps = allocation.applications[allocation.applications["核销日期"] <= cutoff]
    paid = apps.groupby("单据ID", sort=False)["金额"].sum()
    items["已收"] = paid.reindex(items["单据ID"], fill_value=0).to_numpy(dtype="int64")
    items["未收"] = items["金额"] - items["已收"]
    return items


def unapplied_as_of(allocation: Allocation, day: date) -> pd.DataFrame:
    """Collections dated up to ``day`` with what of each was not yet applied on ``day`` (column 未核销)."""
    cutoff = pd.Timestamp(day)
    collections = allocation.collections[allocation.collections[COLLECTION_DATE] <= cutoff].copy()
    apps = allocation.applications[allocation.applications["核销日期"] <= cutoff]
    applied = apps.groupby("回款ID", sort=False)["金额"].sum()
    collections["未核销"] = (collections[COLLECTION_AMOUNT].astype("int64")
                          - applied.reindex(collections["回款ID"], fill_value=0).to_numpy(dtype="int64"))
    return collections


def collections_as_of(allocation: Allocation, day: date) -> pd.DataFrame:
    """The collections (with 回款ID) dated up to ``day``."""
    return allocation.collections[allocation.collections[COLLECTION_DATE] <= pd.Timestamp(day)]


def applications_as_of(allocation: Allocation, day: date) -> pd.DataFrame:
    """The applications booked up to ``day`` (核销日期 ≤ day)."""
    return allocation.applications[allocation.applications["核销日期"] <= pd.Timestamp(day)]


def credits_as_of(allocation: Allocation, day: date) -> pd.DataFrame:
    """Unapplied money on ``day`` (CREDITS_ON_DAY_COLUMNS): per collection dated up to ``day``, what it had not
    paid by then, in up to two rows: the part still held as its contract's credit (合同编号 = that contract; rule
    1 keeps at most what the contract had not yet shipped) and the customer-level rest (合同编号 ""). Collections
    fully applied by then are left out.

    指定合同 is the contract the collection names (on both rows); 业务员 is the rep whose workbook holds the
    collection, 合同业务员 the rep of the named contract. Worked out once per day (``once_per_day``).
    """
    return once_per_day(allocation, "credits", day, lambda: credits_on(allocation, day))


def credits_on(allocation: Allocation, day: date) -> pd.DataFrame:
    """``credits_as_of``, worked out."""
    colls = unapplied_as_of(allocation, day)
    colls = colls[colls["未核销"] > 0]
    if colls.empty:  # object columns, as an empty list of records gives (not the float columns of empty lists)
        return pd.DataFrame(columns=CREDITS_ON_DAY_COLUMNS).astype({"金额": "int64"})
    apps = applications_as_of(allocation, day)
    used = apps[apps["预收层级"] == CONTRACT_LEVEL].groupby("回款ID", sort=False)["金额"].sum()
    held = (colls["合同预收"].to_numpy(dtype="int64")
            - used.reindex(colls["回款ID"], fill_value=0).to_numpy(dtype="int64"))
    left = colls["未核销"].to_numpy(dtype="int64")
    named = column_texts(colls, CONTRACT_NO)
    base = {"回款ID": colls["回款ID"].tolist(), COLLECTION_DATE: colls[COLLECTION_DATE].to_numpy(),
            CUSTOMER: column_texts(colls, CUSTOMER), REP: column_texts(colls, REP),
            "合同业务员": column_texts(colls, "合同业务员"), "来源": sources(colls), "指定合同": named}
    contract_part = pd.DataFrame({**base, CONTRACT_NO: named, "金额": held, "_part": 0})
    customer_part = pd.DataFrame({**base, CONTRACT_NO: [""] * len(colls), "金额": left - held, "_part": 1})
    both = pd.concat([contract_part.assign(_row=range(len(colls))), customer_part.assign(_row=range(len(colls)))],
                     ignore_index=True)
    both = both[both["金额"] > 0].sort_values(["_row", "_part"], kind="stable")
    return both[CREDITS_ON_DAY_COLUMNS].reset_index(drop=True).astype({"金额": "int64"})


def plan_lines_as_of(allocation: Allocation, day: date) -> pd.DataFrame:
    """The 回款计划 lines (``plans.LINE_COLUMNS``) as of ``day``: 到期日 from the events up to ``day``, and
    已回款/未回款 from the money received for each contract by then (what the allocation applied to its items,
    plus its unapplied contract credit), paying the lines in 期次 order. Worked out once per day
    (``once_per_day``)."""
    return once_per_day(allocation, "plan_lines", day, lambda: plan_lines_on(allocation, day))


def plan_lines_on(allocation: Allocation, day: date) -> pd.DataFrame:
    """``plan_lines_as_of``, worked out."""
    if allocation.plans is None:
        return pd.DataFrame(columns=LINE_COLUMNS).astype({"到期日": "datetime64[us]", PLANNED_AMOUNT: "int64", "已回款": "int64",
                                                         "未回款": "int64", "起": "int64", "止": "int64"})
    applied = applications_as_of(allocation, day).groupby(CONTRACT_NO)["金额"].sum()
    credits = credits_as_of(allocation, day)
    credit = credits[credits[CONTRACT_NO] != ""].groupby(CONTRACT_NO)["金额"].sum()
    received = applied.add(credit, fill_value=0).astype("int64").to_dict()
    return lines_as_of(allocation.plans, day, received)


def due_parts_as_of(allocation: Allocation, day: date) -> pd.DataFrame:
    """``open_items_as_of`` with each open amount of a contract with a 回款计划 split over its plan lines
    (``plans.split_by_plan``): 未收 and 到期日 per part, with 期次 and 回款节点. What is due when; the amounts
    add up to ``open_items_as_of``'s. Worked out once per day (the receivables, the daily report and the archive
    read the same day's: ``once_per_day``)."""
    return once_per_day(allocation, "due_parts", day,
                        lambda: split_by_plan(open_items_as_of(allocation, day), plan_lines_as_of(allocation, day)))

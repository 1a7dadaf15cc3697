"""发货审核: before a shipping request goes out, is the money in (款到发货) or within the credit limit?

Runs after the fulfilment sheet and the receivables, as of the run date D: it declares ``NEEDS`` and ``build``
receives their ``data`` (``FulfilmentData``, ``ReceivablesData``).
A request is a 发货 row with 状态 = 待发货 and no 发货日期. Rules, per request in the order the reps'
workbooks list them (workbook, row):

- 款到发货 contract: 可发货 when 可用预收 covers the request. 可用预收 = the contract's unapplied credits on D
  + the customer's unapplied customer-level credit on D (money in the customer's account counts, as an
  accountant reads it; a credit naming another contract does not, it belongs to that contract).
- any other contract: 可发货 when the customer's 应收余额 + the request stays within its 信用额度, and
  nothing of the customer is overdue by more than ``receivables.shipping_grace_days``. A customer without
  a limit (blank or 0 in the archive) gets no limit check, and 原因 says so; the overdue check still holds.
- requests granted earlier in the list use up the money and the limit: each granted request takes its
  amount from its contract's credit, then from the customer's credit (allocation rule 3), and adds to the
  customer's 当前应收 for the requests after it.
- finance's collections export: when ``tables["财务收款"]`` has rows in D's month, the 款到发货 money-in
  check counts only collections finance also has, matched as the month-end reconciliation matches them
  (``books.matching``: same 银行流水号, else same customer and amount within
  ``reconciliation.date_window_days`` (3) days, else one line equal to the sum of several; each line used
  once). Collections dated in a month the export does not cover at all cannot be checked and are counted
  as booked; 原因 and the subtitle say so.

``data`` (for the daily report's 暂缓发货) is a ``ShippingData`` (core.results): ``requests`` (every request with
the sheet's columns and 最长逾期天数), ``held`` (the 暂缓 ones), ``finance_checked`` (bool).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from ..books.allocation import collections_as_of
from ..books.customers import archive_lookup, credit_limit
from ..books.matching import COLLECTION, finance_lines, match_lines
from ..books.periods import months_of
from ..core.columns import sources, text_values
from ..core.config import Settings
from ..books.context import RunContext
from ..core.output import Delivery, ReportOutput
from ..core.model import REP, SRC_ROW, SRC_WORKBOOK, fmt_yuan, text
from ..core.months import Month, month_texts
from ..core.names import CustomerIndex
from ..core.results import REQUEST_DATE, FulfilmentData, ReceivablesData, ShippingData
from ..core.schema import (AGREED_DELIVERY_DATE, COLLECTION_DATE, CONTRACT_NO, CREDIT_LIMIT, CUSTOMER, PAYMENT_TERM,
                           PENDING_SHIPMENT, PRODUCT, SHIPMENT_AMOUNT, SHIPMENT_DATE)
from ..core.sheets import DATE, MONEY, NUMBER, Col, Highlight, Sheet, Table, WorkbookSpec

ALLOW, HOLD = "可发货", "暂缓"
CASH_FIRST = "款到发货"
WANTED, BASIS = REQUEST_DATE, "日期依据"  # the request's own 要求发货日期, else the contract's 约定交货日期, and which it is
ASKED, AGREED = "申请", "合同约定"  # short: the sheet already has 18 columns
REQUEST_COLUMNS = [CONTRACT_NO, CUSTOMER, REP, PRODUCT, "数量", WANTED, BASIS, "申请发货金额", PAYMENT_TERM, "合同已回款", "合同已发货", "可用预收", CREDIT_LIMIT,
                   "当前应收", "逾期金额", "最长逾期天数", "结论", "原因", "来源"]


def shipping_requests(shipments: pd.DataFrame) -> pd.DataFrame:
    """发货 rows with 状态 待发货 and no 发货日期, in workbook and row order."""
    undated = shipments[shipments[SHIPMENT_DATE].isna()]
    pending = undated[np.array([v.strip() == PENDING_SHIPMENT for v in text_values(undated, "状态")], dtype=bool)]
    return pending.sort_values([SRC_WORKBOOK, SRC_ROW], kind="stable").reset_index(drop=True)


def finance_covers(finance: pd.DataFrame, day: date) -> bool:
    """Does finance's collections export have rows for ``day``'s month?"""
    return bool(len(finance) > 0 and (months_of(finance, "日期") == Month.of(day)).any())


def confirmed_collections(collections: pd.DataFrame, finance: pd.DataFrame, settings: Settings,
                          customers: CustomerIndex) -> set[str]:
    """回款IDs finance also has, or that fall in a month the export does not cover (cannot be checked).

    "Finance also has" is the reconciliation's matching (``books.matching.match_lines``) of the collections
    to check with finance's lines: the same 银行流水号 (``normalize_reference``: 0012-345 is 12345), else the
    same customer and amount within ``reconciliation.date_window_days``, else one line equal to the sum of
    several. A collection finance has under its 流水号 with another amount (a bank fee taken off) counts
    too: the money is in, and the difference is the month end's 金额不符.
    """
    covered = set(months_of(finance, "日期"))
    ids = collections["回款ID"].to_numpy(dtype=object)
    checkable = np.array([m in covered for m in month_texts(collections[COLLECTION_DATE])], dtype=bool)
    lines, _, _ = finance_lines(finance)
    matched = match_lines(collections[checkable], lines, COLLECTION, settings, customers).used("sales")
    return set(ids[~checkable]) | set(ids[checkable][sorted(matched)])


def credit_pools(credits: pd.DataFrame, counted: set[str] | None) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """(by contract, customer-level by customer, left out by customer) of the unapplied credits on D.

    ``counted``: the 回款IDs that may count (None = all); the others are summed in the third dict.
    """
    by_contract: dict[str, int] = {}
    by_customer: dict[str, int] = {}
    left_out: dict[str, int] = {}
    for cid, customer, contract, amount in zip(credits["回款ID"].to_numpy(dtype=object),
                                               credits[CUSTOMER].to_numpy(dtype=object),
                                               credits[CONTRACT_NO].to_numpy(dtype=object), credits["金额"].tolist()):
        if counted is not None and cid not in counted:
            left_out[customer] = left_out.get(customer, 0) + int(amount)
        elif contract:
            by_contract[contract] = by_contract.get(contract, 0) + int(amount)
        else:
            by_customer[customer] = by_customer.get(customer, 0) + int(amount)
    return by_contract, by_customer, left_out


def cash_first_verdict(available: int, amount: int, left_out: int | None) -> tuple[str, str]:
    """款到发货: ship only when the money in covers the request."""
    note = "" if left_out is None else (
        "；只计财务收款已有的回款" + (f"，未经财务确认的 ¥{fmt_yuan(left_out)} 未计入" if left_out else ""))
    if available >= amount:
        return ALLOW, f"款到发货: 可用预收 ¥{fmt_yuan(available)} ≥ 申请 ¥{fmt_yuan(amount)}{note}"
    return HOLD, (f"款到发货: 可用预收 ¥{fmt_yuan(available)} 不足申请 ¥{fmt_yuan(amount)}，"
                  f"差 ¥{fmt_yuan(amount - available)}{note}")


def credit_verdict(receivable: int, amount: int, limit: int | None, longest_overdue: int, overdue: int,
                   grace_days: int) -> tuple[str, str]:
    """Other terms: within the credit limit (when one is set) and nothing overdue beyond the grace days."""
    reasons, holds = [], False
    after = receivable + amount
    if limit is None:
        reasons.append("未设信用额度，不做额度检查")
    elif after > limit:
        holds = True
        reasons.append(f"超信用额度: 当前应收 ¥{fmt_yuan(receivable)} + 申请 ¥{fmt_yuan(amount)} = ¥{fmt_yuan(after)} "
                       f"> 信用额度 ¥{fmt_yuan(limit)}")
    else:
        reasons.append(f"额度内: 当前应收 + 申请 = ¥{fmt_yuan(after)} ≤ 信用额度 ¥{fmt_yuan(limit)}")
    if longest_overdue > grace_days:
        holds = True
        reasons.append(f"有逾期超过 {grace_days} 天的应收: 最长逾期 {longest_overdue} 天，逾期金额 ¥{fmt_yuan(overdue)}")
    else:
        reasons.append(f"无逾期超过 {grace_days} 天的应收")
    return (HOLD if holds else ALLOW), "；".join(reasons)


class RowsByKey:
    """key -> {column: value} of its row (the last row of a repeated key; the columns the frame has), like a
    dict of ``to_dict("records")`` but built only for the few keys a review looks up."""

    def __init__(self, frame: pd.DataFrame, key: str, columns: Sequence[str]):
        self._position = dict(zip(text_values(frame, key), range(len(frame))))
        self._columns = {c: frame[c].to_numpy(dtype=object) for c in columns if c in frame}

    def get(self, key: str, default: dict | None = None) -> dict | None:
        k = self._position.get(key)
        return default if k is None else {c: values[k] for c, values in self._columns.items()}


def review_requests(requests: pd.DataFrame, contracts: pd.DataFrame, progress: pd.DataFrame, aging: pd.DataFrame,
                    credits: pd.DataFrame, customers: pd.DataFrame, counted: set[str] | None,
                    settings: Settings) -> pd.DataFrame:
    """One row per request with its figures, 结论 and 原因 (see the module docstring for the rules).

    ``progress``: the fulfilment contracts frame; ``aging``: the receivables aging frame;
    ``counted``: the 回款IDs the money-in check may count (None: all, no finance export for the month).
    """
    terms = RowsByKey(contracts, CONTRACT_NO, (CUSTOMER, PAYMENT_TERM, REP))
    prog = RowsByKey(progress, CONTRACT_NO, ("已回款金额", "已发货金额"))
    ages = RowsByKey(aging, CUSTOMER, ("应收余额", "最长逾期天数", "逾期金额"))
    archive = archive_lookup(customers)
    by_contract, by_customer, left_out = credit_pools(credits, counted)
    added: dict[str, int] = {}
    grace = settings.receivables.shipping_grace_days
    rows = []
    blank = [None] * len(requests)
    due = RowsByKey(contracts, CONTRACT_NO, (AGREED_DELIVERY_DATE, PRODUCT))
    for no, amount, typed_customer, typed_rep, origin, product, quantity, asked in zip(
            text_values(requests, CONTRACT_NO), requests[SHIPMENT_AMOUNT].tolist(), text_values(requests, CUSTOMER),
            text_values(requests, REP), sources(requests),
            text_values(requests, PRODUCT) if PRODUCT in requests else blank,
            requests["数量"].tolist() if "数量" in requests else blank,
            requests["要求发货日期"].tolist() if "要求发货日期" in requests else blank):
        wanted, basis = request_date(asked, due.get(no, {}).get(AGREED_DELIVERY_DATE))
        product = product or text(due.get(no, {}).get(PRODUCT))
        amount = int(amount)
        contract = terms.get(no, {})
        customer = typed_customer or text(contract.get(CUSTOMER))
        pay = text(contract.get(PAYMENT_TERM))
        age = ages.get(customer, {})
        limit = credit_limit(archive.get(customer))
        receivable = int(age.get("应收余额", 0)) + added.get(customer, 0)
        available = by_contract.get(no, 0) + by_customer.get(customer, 0)
        longest, overdue = int(age.get("最长逾期天数", 0)), int(age.get("逾期金额", 0))
        if pay == CASH_FIRST:
            verdict, reason = cash_first_verdict(available, amount, None if counted is None else left_out.get(customer, 0))
        else:
            verdict, reason = credit_verdict(receivable, amount, limit, longest, overdue, grace)
        if verdict == ALLOW:
            take = min(amount, by_contract.get(no, 0))
            by_contract[no] = by_contract.get(no, 0) - take
            by_customer[customer] = by_customer.get(customer, 0) - min(amount - take, by_customer.get(customer, 0))
            added[customer] = added.get(customer, 0) + amount
        rows.append({CONTRACT_NO: no, CUSTOMER: customer, REP: text(contract.get(REP)) or typed_rep,
                     PRODUCT: product or "", "数量": None if quantity is None or pd.isna(quantity) else quantity,
                     WANTED: wanted, BASIS: basis, "申请发货金额": amount, PAYMENT_TERM: pay, "合同已回款": int(prog.get(no, {}).get("已回款金额", 0)),
                     "合同已发货": int(prog.get(no, {}).get("已发货金额", 0)), "可用预收": available, CREDIT_LIMIT: limit,
                     "当前应收": receivable, "逾期金额": overdue, "最长逾期天数": longest, "结论": verdict, "原因": reason,
                     "来源": origin})
    frame = pd.DataFrame(rows, columns=REQUEST_COLUMNS)
    frame[CREDIT_LIMIT] = frame[CREDIT_LIMIT].astype("Int64")
    return frame.astype({c: "int64" for c in ("申请发货金额", "合同已回款", "合同已发货", "可用预收", "当前应收", "逾期金额",
                                              "最长逾期天数")})


def request_date(asked: object, agreed: object) -> tuple[object, str]:
    """The date a request is wanted by and what it is: the request's own 要求发货日期 when the rep typed one, else
    the contract's 约定交货日期 (a 待发货 row has no 发货日期), else none.

    >>> request_date(pd.Timestamp("2026-12-05"), pd.Timestamp("2026-12-20"))
    (Timestamp('2026-12-05 00:00:00'), '申请')
    >>> request_date(None, pd.Timestamp("2026-12-20")), request_date(pd.NaT, None)
    ((Timestamp('2026-12-20 00:00:00'), '合同约定'), (None, ''))
    """
    if asked is not None and not pd.isna(asked):
        return asked, ASKED
    if agreed is not None and not pd.isna(agreed):
        return agreed, AGREED
    return None, ""


def figures(frame: pd.DataFrame) -> dict:
    allowed, held = frame[frame["结论"] == ALLOW], frame[frame["结论"] == HOLD]
    return {"shipping_requests": len(frame), "shipping_allowed": len(allowed), "shipping_held": len(held),
            "requested_fen": int(frame["申请发货金额"].sum()), "allowed_fen": int(allowed["申请发货金额"].sum()),
            "held_fen": int(held["申请发货金额"].sum())}


def layout(frame: pd.DataFrame, settings: Settings, day: date, finance_checked: bool) -> WorkbookSpec:
    """The 发货审核 workbook: one sheet; each request with its product and quantity (the request's, else the
    contract's product), the date it is wanted by (``request_date``: the request's 要求发货日期, else the
    contract's 约定交货日期, the column 日期依据 saying which), only the 结论 cell of a 暂缓 marked."""
    grace = settings.receivables.shipping_grace_days
    finance = (f"已核对财务收款导出（{day:%Y-%m}）: 款到发货只计财务也有的回款（按财务对账的匹配规则: 银行流水号一致，"
               f"否则同客户同金额 ±{settings.reconciliation.date_window_days} 天，或一笔等于同客户多笔之和）"
               if finance_checked
               else f"未找到 {day:%Y-%m} 的财务收款导出: 款到发货按业务台账的回款核对，发货前请与财务确认到账")
    subtitle = [settings.company.name, f"截至 {day.isoformat()}", finance,
                f"规则: 款到发货 = 本合同未核销预收 + 客户未指定合同的预收 ≥ 申请金额；其他 = 当前应收 + 申请 ≤ 信用额度"
                f"（未设额度不检查）且无逾期超过 {grace} 天的应收；同一客户前面已准予的申请先占用预收和额度",
                f"要求日期 = 申请填的要求发货日期 (日期依据「{ASKED}」), 未填则为合同的约定交货日期 (「{AGREED}」)"]
    cols = [Col(CONTRACT_NO), Col(CUSTOMER), Col(REP), Col(PRODUCT), Col("数量", NUMBER, total=False),
            Col(WANTED, DATE), Col(BASIS), Col("申请发货金额", MONEY), Col(PAYMENT_TERM),
            Col("合同已回款", MONEY, total=False), Col("合同已发货", MONEY, total=False), Col("可用预收", MONEY, total=False),
            Col(CREDIT_LIMIT, MONEY, total=False), Col("当前应收", MONEY, total=False), Col("逾期金额", MONEY, total=False),
            Col("结论"), Col("原因", width=60), Col("来源")]
    sheet = Sheet("发货审核", [Table(cols, frame, totals=True, highlights=[Highlight("结论", "text", HOLD)])],
                  title="发货审核", subtitle=subtitle)
    return WorkbookSpec(f"发货审核_{day.isoformat()}.xlsx", [sheet])


NEEDS = ("fulfilment", "receivables")  # earlier reports whose data ``build`` takes


def build(ctx: RunContext, fulfilment: FulfilmentData, receivables: ReceivablesData) -> ReportOutput:
    day, settings, t = ctx.run_date, ctx.settings, ctx.tables
    finance = t["财务收款"]
    checked = finance_covers(finance, day)
    counted = None
    if checked:
        counted = confirmed_collections(collections_as_of(ctx.allocation, day), finance, settings, ctx.customers)
    frame = review_requests(shipping_requests(t["发货"]), t["合同"], fulfilment.contracts, receivables.aging,
                            receivables.credits, t["客户"], counted, settings)
    spec = layout(frame, settings, day, checked)
    figs = figures(frame)
    deliveries = []
    if len(frame):
        deliveries.append(Delivery(report="shipping", title="发货审核", attachments=[Path(spec.filename)],
                                   key_figure=f"可发货 {figs['shipping_allowed']} 笔, 暂缓 {figs['shipping_held']} 笔",
                                   summary_text=f"今日发货申请 {figs['shipping_requests']} 笔，可发货 {figs['shipping_allowed']} 笔，"
                                                f"暂缓 {figs['shipping_held']} 笔（暂缓金额 ¥{fmt_yuan(figs['held_fen'])}），明细见附件。"))
    return ReportOutput(workbooks=[spec], figures=figs, deliveries=deliveries,
                        data=ShippingData(requests=frame, held=frame[frame["结论"] == HOLD].reset_index(drop=True),
                                          finance_checked=checked))
